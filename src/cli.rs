//! Command-line interface (clap). Parsing only: no behaviour lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

// Defined with what they choose between (the reporters, the severities), so that lower layers
// need not import the command line; named here as the options they are.
pub use crate::report::Format;
pub use crate::verdict::FailOn;

/// Audits the permissions of a HaloPSA instance against what its integrations document they need.
#[derive(Debug, Parser)]
#[command(name = "halo-audit", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to use colours in the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Print only the report (no progress, no summary on stderr).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more: evidence chains in human output, notes from the normaliser.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The configuration file (default: `halo-audit.yaml` or `halo-audit.yml` in the current
    /// directory or the nearest parent up to the repository root, if present).
    #[arg(long, global = true, value_name = "FILE", env = "HALO_AUDIT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Read no configuration file (neither --config, HALO_AUDIT_CONFIG nor one found).
    #[arg(long, global = true)]
    pub no_config: bool,
    /// A catalog overlay: your own claim types and values for permissions (repeatable; see
    /// docs/permissions.md).
    #[arg(long = "catalog", global = true, value_name = "FILE")]
    pub catalog: Vec<PathBuf>,
}

/// One `--format` value: a format, and the file its report goes to (`FORMAT=PATH`), or none for
/// the plain `FORMAT` (standard output, or `-o`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<F> {
    pub format: F,
    pub path: Option<PathBuf>,
}

/// Parses `FORMAT` or `FORMAT=PATH` (clap's value parser for `--format`).
///
/// # Errors
/// An unknown format (the known ones are listed) or an empty path.
pub fn parse_target<F: ValueEnum + Clone>(value: &str) -> Result<Target<F>, String> {
    let (name, path) = match value.split_once('=') {
        Some((name, path)) => (name, Some(path)),
        None => (value, None),
    };
    let known = || {
        F::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let format = F::from_str(name.trim(), true).map_err(|_| {
        format!(
            "unknown format `{}`; the formats are {}",
            crate::text::shown(name),
            known()
        )
    })?;
    let path = match path {
        None => None,
        Some("") => {
            return Err(format!(
                "no file after `{name}=`; give one (`{name}=report.{name}`), or `{name}` alone for \
                 standard output"
            ));
        }
        Some(p) => Some(PathBuf::from(p)),
    };
    Ok(Target { format, path })
}

/// clap's value parser for `--format`: [`parse_target`], naming the formats as possible values
/// (for completions and `--help`).
#[derive(Debug, Clone, Copy)]
pub struct TargetParser<F>(std::marker::PhantomData<F>);

impl<F> TargetParser<F> {
    /// The parser.
    #[must_use]
    pub fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<F> Default for TargetParser<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: ValueEnum + Clone + Send + Sync + 'static> clap::builder::TypedValueParser
    for TargetParser<F>
{
    type Value = Target<F>;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        // The errors are clap's for a function parser: `invalid value 'X' for '--format': why`.
        let parser: fn(&str) -> Result<Target<F>, String> = parse_target::<F>;
        clap::builder::TypedValueParser::parse_ref(&parser, cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            F::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

/// Parses `--sarif-category`: not empty, printable, no whitespace.
///
/// # Errors
/// An empty category, or one with whitespace or control characters.
pub fn parse_category(value: &str) -> Result<String, String> {
    if value.is_empty() || value == "/" {
        return Err("the category is empty; give a name such as `halo-audit-acme`".to_owned());
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{}` holds whitespace or control characters; use letters, digits, `-`, `_`, `.` \
             and `/`",
            crate::text::shown(value)
        ));
    }
    Ok(value.to_owned())
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read agents, teams, roles and API applications from HaloPSA into a snapshot file.
    Fetch(FetchArgs),
    /// Check a tenant (a snapshot, or fetched live) against requirement sets.
    Check(CheckArgs),
    /// Inspect snapshot files.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Report what the auditing credential itself can do, and warn when it holds more than read
    /// access (from a snapshot's record of it, or live).
    SelfCheck(SelfCheckArgs),
    /// Write a commented starter configuration (`halo-audit.yaml`), with bindings guessed from the
    /// applications of a snapshot.
    Init(InitArgs),
    /// List, show and validate requirement sets.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Compare two snapshots by effective permission: what changed, widened or narrowed.
    Diff(DiffArgs),
    /// The least-privilege setup of integrations in Halo's UI words; with a snapshot, a to-do list.
    Plan(PlanArgs),
    /// Explain a finding code (what it checks, why it matters, how to fix).
    Explain {
        /// A finding code such as `missing-grant`; without it, every code is listed.
        #[arg(value_parser = crate::shell::Suggested(crate::shell::Values::Codes), hide_possible_values = true)]
        code: Option<String>,
    },
    /// Print a shell completion script (e.g. `halo-audit completions bash >
    /// ~/.local/share/bash-completion/completions/halo-audit`).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page halo-audit(1) in roff; with --dir, write a page per command into DIR.
    Man {
        /// Write `halo-audit.1`, `halo-audit-check.1`, ... into this directory instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Where rules come from.
#[derive(Debug, Clone, Args)]
pub struct RuleSources {
    /// A directory of requirement sets (*.yaml) or a single file, in addition to the shipped sets
    /// (a set with the id of a shipped one replaces it). Repeatable.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Do not load the requirement sets shipped with halo-audit.
    #[arg(long)]
    pub no_default_rules: bool,
}

/// How to reach a HaloPSA instance (shared by `fetch` and a live `check`).
///
/// The client secret is read from the `HALO_CLIENT_SECRET` environment variable or from
/// `--client-secret-file`; it is never a flag, so it stays out of shell history and process lists.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectArgs {
    /// The HaloPSA web app URL, e.g. `https://acme.halopsa.com` (the API is at {URL}/api).
    #[arg(long, env = "HALO_URL", value_name = "URL")]
    pub url: Option<String>,
    /// The authorisation server (API Details in Halo); by default `{URL}/auth`, or where
    /// `{URL}/api/authinfo` says when `{URL}/auth` holds no token endpoint.
    #[arg(long, env = "HALO_AUTH_URL", value_name = "URL")]
    pub auth_url: Option<String>,
    /// The tenant name of a hosted instance (sent as `?tenant=` when asking for a token).
    #[arg(long, env = "HALO_TENANT", value_name = "NAME")]
    pub tenant: Option<String>,
    /// The client id of the auditing API application.
    #[arg(long, env = "HALO_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// Read the client secret from FILE instead of the HALO_CLIENT_SECRET environment variable.
    #[arg(long, value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,
    /// `all`: every agent, team, role and application; `integrations`: only the applications,
    /// the agents they log in as and those agents' roles (a readiness check in a few requests).
    #[arg(long = "scope", value_enum, default_value_t = crate::halo::FetchScope::All)]
    pub fetch_scope: crate::halo::FetchScope,
    /// The scope to ask the token endpoint for (space-separated).
    #[arg(long, value_name = "SCOPES", default_value = crate::halo::DEFAULT_TOKEN_SCOPE)]
    pub token_scope: String,
    /// Request budget, `N/PERIOD` (Halo's hosted limit is 300 per rolling 5 minutes; lower it to
    /// leave room for live integrations), or `off`. Requests are spread evenly, never bursted.
    #[arg(long, value_name = "N/PERIOD", default_value = "300/5m")]
    pub rate: String,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Timeout of one request (connect, send, read the whole answer).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub timeout: String,
    /// Attempts per request, the first included (429, 5xx, timeouts and dropped connections are
    /// retried with exponential back-off and jitter, honouring `Retry-After`).
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
    /// The first back-off delay (doubled per attempt, at most 60 s).
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub backoff: String,
    /// The longest one request may wait between attempts in all before the fetch gives up.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub max_retry_time: String,
    /// The most records read of one list (agents, teams, roles, applications); a list holding
    /// more is cut there and recorded as not read whole, and `check` exits 3 [default: the
    /// configuration's `instance.max_records`, else 50000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_records: Option<u64>,
    /// Allow the configuration file's `instance.auth_url` to name this origin (`https://host[:port]`)
    /// although it is not the instance's: the client secret is sent there. Command line only.
    #[arg(long, value_name = "ORIGIN")]
    pub allow_auth_origin: Vec<String>,
    /// Send the client secret to the configuration file's `instance.url` when neither --url nor
    /// HALO_URL names the instance. Without it, an instance URL found only in the file (which a
    /// pull request can change) is refused. Command line only.
    #[arg(long)]
    pub trust_config_url: bool,
    /// Set by [`ConnectArgs::with_config`] when the instance URL came from the configuration file
    /// (neither `--url` nor `HALO_URL` gave one): the secret is not sent there unless
    /// `--trust-config-url`.
    #[arg(skip)]
    pub url_from_config: bool,
    /// Set by [`ConnectArgs::with_config`] when the authorisation server came from the
    /// configuration file (which may be a repository's, so it is not trusted with the secret).
    #[arg(skip)]
    pub auth_url_from_config: bool,
}

impl ConnectArgs {
    /// These options with the configuration file's instance settings filling what neither a flag
    /// nor the environment gave (flags override the environment, which overrides the file).
    #[must_use]
    pub fn with_config(&self, config: &crate::config::Config) -> Self {
        let mut out = self.clone();
        if out.url.is_none() && config.url.is_some() {
            out.url = config.url.clone();
            out.url_from_config = true;
        }
        if out.auth_url.is_none() && config.auth_url.is_some() {
            out.auth_url = config.auth_url.clone();
            out.auth_url_from_config = true;
        }
        out.tenant = out.tenant.or_else(|| config.tenant.clone());
        out.client_id = out.client_id.or_else(|| config.client_id.clone());
        out.max_records = out.max_records.or(config.max_records);
        out
    }
}

/// Arguments of `fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Where to write the snapshot (atomically: a failed fetch never replaces an existing file).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

impl RuleSources {
    /// These sources after the configuration's: its rule paths first, and the shipped sets left
    /// out when either the flag or the configuration says so.
    #[must_use]
    pub fn with_config(&self, config: &crate::config::Config) -> Self {
        Self {
            rules: config.rules.iter().chain(&self.rules).cloned().collect(),
            no_default_rules: self.no_default_rules || !config.default_rules,
        }
    }
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The snapshot to check (written by `halo-audit fetch`). Without it, the tenant is fetched
    /// live with the connection options.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// With a live check: also keep the fetched snapshot in FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "snapshot")]
    pub save_snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub sources: RuleSources,
    /// Check only this set (plus the baseline); a set asked for that matches no application is a
    /// `binding-not-found` error. Repeatable. Without it, every set whose binding matches runs.
    #[arg(long = "set", value_name = "ID", value_parser = crate::shell::Suggested(crate::shell::Values::SetIds), hide_possible_values = true)]
    pub sets: Vec<String>,
    /// Report format: human, table, json, sarif, junit, github, markdown, gitlab, html or csv
    /// [default: human]. `FORMAT=PATH` writes that report to PATH (atomically); repeat it to
    /// write several reports from one run (`--format sarif=r.sarif --format html=r.html`). A
    /// plain `FORMAT` goes to standard output, or to `-o FILE`.
    #[arg(long, value_name = "FORMAT[=PATH]", value_parser = TargetParser::<Format>::new(), hide_possible_values = true)]
    pub format: Vec<Target<Format>>,
    /// Write the report of the plain `--format` to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// SARIF: the run's `automationDetails.id` (written `CATEGORY/`), so that several audits
    /// uploaded for one commit (two tenants, check and diff) stay apart in code scanning.
    /// Without it the log has none, and upload-sarif's `category` input applies.
    #[arg(long, value_name = "CATEGORY", value_parser = parse_category)]
    pub sarif_category: Option<String>,
    /// SARIF: keep waived findings as results marked with a `suppressions` entry (kind
    /// `external`, the waiver's reason as justification) instead of leaving them out.
    #[arg(long)]
    pub sarif_suppressions: bool,
    /// JUnit: warnings fail their test case too (by default only errors do, whatever
    /// `--fail-on` says).
    #[arg(long)]
    pub junit_fail_on_warning: bool,
    /// Exit with 1 when a finding at or above this severity remains [default: the
    /// configuration's `fail_on`, else error].
    #[arg(long, value_enum, env = "HALO_AUDIT_FAIL_ON")]
    pub fail_on: Option<FailOn>,
    /// Fail (exit 1) on every requirement or policy that could not be decided: `unverifiable`
    /// findings become errors [default: the configuration's `fail_on_unverifiable`, else off].
    #[arg(long)]
    pub fail_on_unverifiable: bool,
    /// Fail (exit 1) when less than PERCENT of the requirements checked were decided (passed,
    /// missing or excessive rather than unverifiable) [default: the configuration's
    /// `min_coverage`, else none].
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_coverage: Option<u8>,
    /// Fail (exit 1) when a decision rests on an assumption (an absent claim read as the lowest
    /// value, an assumed scope implication or claim mapping) [default: the configuration's
    /// `fail_on_assumed`, else off].
    #[arg(long)]
    pub fail_on_assumed: bool,
    /// Ignore every waiver in the configuration (for gates that must not be bypassed).
    #[arg(long)]
    pub no_waivers: bool,
    /// Ignore the configuration's severity overrides (`severity:`): every finding keeps its own
    /// severity and none is silenced (for gates that must not be bypassed).
    #[arg(long)]
    pub no_config_overrides: bool,
    /// Compare with a `--baseline` written for another HaloPSA instance (refused by default).
    #[arg(long, requires = "baseline")]
    pub allow_different_instances: bool,
    /// A previous JSON report: only findings not in it count towards `--fail-on` (matched by
    /// fingerprint, not wording); findings it holds that are gone are listed as fixed.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// Rewrite the `--baseline` file (atomically) with this run's JSON report, accepting every
    /// current finding; the file is created when it does not exist.
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
}

/// Arguments of `self-check`.
#[derive(Debug, Args)]
pub struct SelfCheckArgs {
    /// A snapshot written by `halo-audit fetch` (it records the credential that fetched it).
    /// Without it, the applications and their login agents are fetched live (`--scope
    /// integrations`: a handful of requests).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// `human` or `json`.
    #[arg(long, value_enum, default_value_t = SelfCheckFormat::Human)]
    pub format: SelfCheckFormat,
}

/// Output formats of `self-check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SelfCheckFormat {
    Human,
    Json,
}

/// Arguments of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// A snapshot whose applications are matched to requirement sets to fill in `bindings:`.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Where to write the configuration.
    #[arg(short, long, value_name = "FILE", default_value = "halo-audit.yaml")]
    pub output: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// One line per change with its chain, then what could not be compared.
    Human,
    /// The versioned JSON document (docs/drift.md).
    Json,
    /// A Markdown table of changes.
    Markdown,
    /// SARIF 2.1.0: a result per change, located in the NEW snapshot (docs/drift.md).
    Sarif,
    /// JUnit XML: a test suite per kind of subject, a test case per change.
    Junit,
    /// GitHub Actions annotations: a warning per widened change, a notice for the others.
    Github,
    /// A self-contained HTML page: a table per class of change (inline style, no script).
    Html,
}

/// Arguments of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older snapshot.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The newer snapshot.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Report format: human, json, markdown, sarif, junit, github or html [default: human].
    /// `FORMAT=PATH` writes that report to PATH (atomically); repeat it to write several
    /// reports from one comparison. A plain `FORMAT` goes to standard output, or to `-o FILE`.
    #[arg(long, value_name = "FORMAT[=PATH]", value_parser = TargetParser::<DiffFormat>::new(), hide_possible_values = true)]
    pub format: Vec<Target<DiffFormat>>,
    /// Write the report of the plain `--format` to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// SARIF: the run's `automationDetails.id` (written `CATEGORY/`); without it the log has
    /// none, and upload-sarif's `category` input applies.
    #[arg(long, value_name = "CATEGORY", value_parser = parse_category)]
    pub sarif_category: Option<String>,
    /// Exit with 1 when anything changed (cosmetic fields such as last login never count).
    /// A list either snapshot did not read whole exits 3 instead, with or without this flag.
    #[arg(long)]
    pub fail_on_drift: bool,
    /// Compare snapshots of two different HaloPSA instances (refused by default).
    #[arg(long)]
    pub allow_different_instances: bool,
}

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Per application and agent: what to add, remove, and what is already right.
    Human,
    /// A Markdown checklist.
    Markdown,
    /// The versioned, machine-applicable JSON document (docs/plan.md).
    Json,
}

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// An integration set to plan for (see `rules list`). Repeatable; at least one.
    #[arg(long = "set", value_name = "ID", required = true, value_parser = crate::shell::Suggested(crate::shell::Values::SetIds), hide_possible_values = true)]
    pub sets: Vec<String>,
    /// A snapshot to plan against: the plan becomes a to-do list (add, remove, already right) for
    /// the applications the sets bind to, as `check` binds them.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub sources: RuleSources,
    /// Report format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Write the plan to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `snapshot` subcommands.
#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Print a summary of a snapshot: agents, admins, teams, roles, applications, unknown claims.
    Show {
        /// The snapshot file.
        file: PathBuf,
    },
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the requirement sets with their vendors and requirement counts.
    List {
        #[command(flatten)]
        sources: RuleSources,
    },
    /// Show one requirement set in full.
    Show {
        /// The set id (see `rules list`).
        #[arg(value_parser = crate::shell::Suggested(crate::shell::Values::SetIds), hide_possible_values = true)]
        id: String,
        #[command(flatten)]
        sources: RuleSources,
    },
    /// Validate rule files; without PATH, the shipped sets.
    Validate {
        /// Rule files or directories; `-` reads one rule file from standard input.
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema (draft-07) of rule files.
    Schema,
    /// Write the shipped requirement sets into DIR as YAML files, with their JSON Schema beside
    /// them (`rules.schema.json`, named by each file's modeline), to pin, review and extend them;
    /// audit with them through `--no-default-rules --rules DIR`.
    Export {
        /// The directory to write into (created when missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Replace files that exist already.
        #[arg(long)]
        force: bool,
    },
    /// Check that the vendors' pages still say what the sets quote: pages moved or vanished, quotes
    /// no longer found, retrievals grown old. Reads the pages over HTTPS (only when run), or saved
    /// copies with --saved.
    Sources(SourcesArgs),
}

/// Arguments of `rules sources`.
#[derive(Debug, Clone, Args)]
pub struct SourcesArgs {
    /// The sets to check (default: every set loaded).
    #[arg(value_parser = crate::shell::Suggested(crate::shell::Values::SetIds), hide_possible_values = true)]
    pub sets: Vec<String>,
    #[command(flatten)]
    pub sources: RuleSources,
    /// Read saved copies of the pages from this directory instead of fetching them; a page of
    /// URL `https://a.example/b/c` is looked up as `a-example-b-c.html` (or .htm, .md, .txt).
    #[arg(long, value_name = "DIR")]
    pub saved: Option<PathBuf>,
    /// Seconds each page may take, all of it: resolving, connecting, reading and scanning.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Also fetch plain http pages from this machine (127.0.0.1, [::1], localhost), e.g. a local
    /// mirror; without it only https pages on public addresses are fetched.
    #[arg(long)]
    pub allow_http_loopback: bool,
    /// A retrieval older than this many days is reported as stale.
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub max_age: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SourcesFormat::Human)]
    pub format: SourcesFormat,
}

/// Output formats of `rules sources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourcesFormat {
    Human,
    Json,
}
