//! The configuration file `halo-audit.yaml`: instance, rule directories, enabled sets, explicit
//! bindings, severity overrides, `fail_on` and accountable waivers.
//!
//! Owns: reading and validating the file (every problem at file:line:col, like rule files), and
//! the typed [`Config`] the rest of the program consumes. Precedence (flags over environment over
//! this file) is applied by `app`; waivers are applied by `check::waivers`. Documented in
//! `docs/config.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::diag::Code;
use crate::ruleset::model::Sp;
use crate::ruleset::{RuleFile, RuleProblem, RulesError, parse_problem, problem, yaml_options};

/// The file looked for, from the current directory up to the repository root, when `--config` is
/// not given.
pub const DEFAULT_NAME: &str = "halo-audit.yaml";

/// The other name accepted for it (both in one directory is an error).
pub const ALTERNATE_NAME: &str = "halo-audit.yml";

/// `halo-audit.yaml` as written.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "halo-audit configuration")]
pub struct RawConfig {
    /// The HaloPSA instance to fetch from.
    pub instance: Option<RawInstance>,
    /// Directories (or files) of extra requirement sets, relative to this file.
    pub rules: Option<Vec<Sp<String>>>,
    /// Load the requirement sets shipped with halo-audit (default true).
    pub default_rules: Option<Sp<bool>>,
    /// Sets to check, as with `--set`; without it, every set whose binding matches runs.
    pub sets: Option<Vec<Sp<String>>>,
    /// Explicit bindings: set id → the applications it describes (display names or client ids).
    pub bindings: Option<BTreeMap<Sp<String>, RawBinding>>,
    /// Per-code severity: `allow` (drop), `note`, `warn`, `deny` (error).
    pub severity: Option<BTreeMap<Sp<String>, Sp<String>>>,
    /// Exit 1 at or above this severity: `error`, `warning`, `note` or `never`.
    pub fail_on: Option<Sp<String>>,
    /// Exit 1 on every requirement that could not be decided (as `check --fail-on-unverifiable`).
    pub fail_on_unverifiable: Option<Sp<bool>>,
    /// Exit 1 when less than this share (percent, 0-100) of the requirements checked was decided
    /// (as `check --min-coverage`).
    pub min_coverage: Option<Sp<i64>>,
    /// Exit 1 when a decision rests on an assumption (as `check --fail-on-assumed`).
    pub fail_on_assumed: Option<Sp<bool>>,
    /// Accepted findings, each with a reason, an owner and an expiry date.
    pub waivers: Option<Vec<Sp<RawWaiver>>>,
    /// Thresholds of the baseline's hygiene checks.
    pub baseline: Option<RawBaseline>,
}

/// The `baseline` section: thresholds of the baseline's hygiene checks.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBaseline {
    /// `stale-privileged-agent`: days without a web sign-in, counted back from the snapshot's
    /// `fetched_at`, after which a privileged agent is reported (default 90).
    pub stale_sign_in_days: Option<Sp<i64>>,
    /// `administrator-count`: the range of active administrators (people) expected.
    pub administrators: Option<RawAdminRange>,
}

/// The range of `administrator-count` (defaults: min 2, max 4).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAdminRange {
    /// The fewest administrators (default 2).
    pub min: Option<Sp<i64>>,
    /// The most administrators (default 4).
    pub max: Option<Sp<i64>>,
}

/// The `instance` section.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawInstance {
    pub url: Option<Sp<String>>,
    pub auth_url: Option<Sp<String>>,
    pub tenant: Option<Sp<String>>,
    pub client_id: Option<Sp<String>>,
    /// Never put a secret here: it is refused with a warning. Use HALO_CLIENT_SECRET.
    pub client_secret: Option<Sp<String>>,
    /// The most records read of one list (agents, teams, roles, applications), as
    /// `--max-records`; a list holding more is recorded as not read whole (default 50000).
    pub max_records: Option<Sp<i64>>,
}

/// A set's explicit binding.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBinding {
    /// Application display names (exact, case-insensitive).
    pub applications: Option<Vec<Sp<String>>>,
    /// Application client ids.
    pub client_ids: Option<Vec<Sp<String>>>,
    /// The agent (exact name, or `#id`) whose permissions the set's agent requirements are
    /// checked against, instead of the applications' login agent.
    pub agent: Option<Sp<String>>,
}

/// One waiver as written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWaiver {
    /// The finding code, e.g. `excessive-grant`.
    pub code: Sp<String>,
    /// The requirement set id.
    pub set: Sp<String>,
    /// The requirement or policy id; absent: any.
    pub requirement: Option<Sp<String>>,
    /// `kind:name` or `kind:#id` (`application:Cloud Depot`, `agent:#35`); absent: any.
    pub subject: Option<Sp<String>>,
    /// The permission key, e.g. `feature.customers`; absent: any.
    pub permission: Option<Sp<String>>,
    /// Why the finding is accepted.
    pub reason: Sp<String>,
    /// Who answers for it.
    pub owner: Sp<String>,
    /// The last day the waiver applies (YYYY-MM-DD).
    pub expires: Sp<String>,
}

/// A severity override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The finding is dropped.
    Allow,
    Note,
    Warn,
    Deny,
}

/// Where a config value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub path: String,
    pub line: usize,
}

/// A validated waiver.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub code: Code,
    pub set: String,
    pub requirement: Option<String>,
    /// (kind, name or `#id`).
    pub subject: Option<(String, String)>,
    pub permission: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires: jiff::civil::Date,
    pub at: At,
    /// Where `set:` and `requirement:` are written, for the errors [`Config::check_waivers`]
    /// reports once the requirement sets are loaded.
    pub set_at: Sp<String>,
    pub requirement_at: Option<Sp<String>>,
}

/// The validated configuration.
#[derive(Debug, Default)]
pub struct Config {
    /// The file it came from (`None`: no file).
    pub path: Option<PathBuf>,
    /// The SHA-256 of the file's text, in hex (`None`: no file).
    pub sha256: Option<String>,
    pub url: Option<String>,
    pub auth_url: Option<String>,
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    /// `instance.max_records`.
    pub max_records: Option<u64>,
    /// Rule paths, resolved against the file's directory.
    pub rules: Vec<PathBuf>,
    pub default_rules: bool,
    pub sets: Vec<String>,
    pub bindings: BTreeMap<String, Vec<String>>,
    /// Set id → agent name or `#id`.
    pub agent_bindings: BTreeMap<String, String>,
    /// Set id → where its binding is written (line, column), for every set under `bindings:`.
    pub binding_lines: BTreeMap<String, (usize, usize)>,
    pub severity: BTreeMap<Code, Level>,
    pub fail_on: Option<crate::diag::FailOn>,
    pub fail_on_unverifiable: bool,
    pub min_coverage: Option<u8>,
    pub fail_on_assumed: bool,
    pub waivers: Vec<Waiver>,
    /// Thresholds of the baseline's hygiene checks (`baseline:`).
    pub thresholds: crate::ruleset::Thresholds,
    /// Problems that do not stop a run (a secret in the file), shown on stderr.
    pub warnings: Vec<RuleProblem>,
    /// The file as diagnostics show it (secrets masked), for problems found after parsing.
    pub shown: Option<RuleFile>,
}

/// The JSON Schema (draft-07) of `halo-audit.yaml`, generated from [`RawConfig`] as pretty JSON
/// with a trailing newline; committed as `docs/schema/config.schema.json` (a test fails when it is
/// stale).
#[must_use]
pub fn schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<RawConfig>();
    schema.insert(
        "$id".to_owned(),
        "https://halo-audit.invalid/schema/config.schema.json".into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The repository a directory is in: the nearest of it and its ancestors holding `.git` (a
/// directory, or the file of a worktree or submodule).
#[must_use]
pub fn repository_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_owned)
}

/// Where the configuration comes from.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    /// `--config FILE` (or `HALO_AUDIT_CONFIG`): it must exist.
    Explicit(&'a Path),
    /// `--no-config`: none.
    None,
    /// Found from the current directory up (see [`find`]).
    Discover,
}

/// The configuration file of the current directory: `halo-audit.yaml` (or `halo-audit.yml`) in it
/// or in the nearest of its ancestors up to the repository root (the nearest directory holding
/// `.git`); outside a repository, only the current directory is looked in. The path is relative
/// to the current directory (`../../halo-audit.yaml`).
///
/// # Errors
/// Both names in one directory.
pub fn find(cwd: &Path) -> Result<Option<PathBuf>, RulesError> {
    let root = repository_root(cwd);
    let mut up = PathBuf::new();
    for dir in cwd.ancestors() {
        let found: Vec<&str> = [DEFAULT_NAME, ALTERNATE_NAME]
            .into_iter()
            .filter(|name| dir.join(name).is_file())
            .collect();
        match found[..] {
            [] => {}
            [name] => return Ok(Some(up.join(name))),
            _ => {
                return Err(RulesError::ConfigAmbiguous {
                    dir: if up.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        up
                    },
                });
            }
        }
        if root.as_deref().is_none_or(|root| dir == root) {
            break;
        }
        up.push("..");
    }
    Ok(None)
}

/// Finds and loads the configuration (see [`Lookup`]), else the defaults.
///
/// # Errors
/// A missing or unreadable explicit file, two candidate files in one directory, or every problem
/// in an invalid one.
pub fn discover(lookup: Lookup<'_>) -> Result<Config, RulesError> {
    let defaults = || Config {
        default_rules: true,
        ..Config::default()
    };
    let path = match lookup {
        Lookup::Explicit(p) => p.to_owned(),
        Lookup::None => return Ok(defaults()),
        Lookup::Discover => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            match find(&cwd)? {
                Some(path) => path,
                None => return Ok(defaults()),
            }
        }
    };
    let file = crate::ruleset::read_file(&path).map_err(|e| match e {
        RulesError::Read { path, cause } => RulesError::ConfigRead { path, cause },
        other => other,
    })?;
    let mut config = parse(&file)?;
    config.sha256 = Some(crate::text::sha256_hex(file.text.as_bytes()));
    let base = path.parent().map(Path::to_owned).unwrap_or_default();
    config.rules = config.rules.iter().map(|r| base.join(r)).collect();
    config.path = Some(path);
    Ok(config)
}

/// Parses and validates configuration text; rule paths stay as written.
///
/// # Errors
/// Every problem found, each at its place.
pub fn parse(file: &RuleFile) -> Result<Config, RulesError> {
    // Diagnostics quote the file around the problem: they quote a copy whose secret-looking values
    // are masked, and their messages never repeat such a value.
    let (masked_text, secrets) = mask_secrets(&file.text);
    let masked = RuleFile {
        name: file.name.clone(),
        text: masked_text,
        builtin: file.builtin,
    };
    let scrub = |mut problems: Vec<RuleProblem>| {
        for p in &mut problems {
            for secret in &secrets {
                p.message = p.message.replace(secret.as_str(), "<redacted>");
            }
        }
        problems
    };
    let result = parse_text(file, &masked);
    match result {
        Ok(mut config) => {
            config.warnings = scrub(config.warnings);
            Ok(config)
        }
        Err(RulesError::InvalidConfig { problems }) => Err(RulesError::InvalidConfig {
            problems: scrub(problems),
        }),
        Err(other) => Err(other),
    }
}

/// Masks the values of secret-looking keys (`client_secret`, `password`, `token`, ...; see
/// [`crate::snapshot::secrets::is_secret_name`]) byte for byte with `*`, so spans stay right:
/// the rest of the line after `key:`, and the indented lines of a block value under it. Returns
/// the masked text and the values masked (to scrub messages).
pub fn mask_secrets(text: &str) -> (String, Vec<String>) {
    // The words of `is_secret_name`, with the separators a YAML key may have inside them.
    const MARKERS: [&str; 22] = [
        "secret",
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "private_key",
        "private-key",
        "privatekey",
        "signingkey",
        "signing_key",
        "signing-key",
        "credential",
        "authorization",
        "bearer",
        "jwt",
        "connectionstring",
        "connection_string",
        "connection-string",
    ];
    let mut out = String::with_capacity(text.len());
    let mut values = Vec::new();
    // The indentation of a key whose value continues on the following, more indented lines.
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let blank = line.trim().is_empty();
        if let Some(key_indent) = block {
            if blank || indent > key_indent {
                let content = line.trim_end_matches(['\r', '\n']);
                if !content.trim().is_empty() {
                    values.push(content.trim().to_owned());
                }
                out.push_str(&mask(content));
                out.push_str(&line[content.len()..]);
                continue;
            }
            block = None;
        }
        let lower = line.to_ascii_lowercase();
        // The first `:` after a secret-looking word that ends a key.
        let colon = MARKERS
            .iter()
            .filter_map(|m| lower.find(m).map(|at| at + m.len()))
            .filter_map(|after| {
                let rest = &lower[after..];
                let key_tail = rest.find(':').filter(|&c| {
                    rest[..c].chars().all(|ch| {
                        ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '"' | '\'')
                    })
                })?;
                Some(after + key_tail)
            })
            .min();
        match colon {
            Some(colon) => {
                let content_end = line.trim_end_matches(['\r', '\n']).len();
                let value = &line[colon + 1..content_end];
                let trimmed = value.trim().trim_matches(['"', '\'']);
                if trimmed.is_empty() || trimmed.starts_with(['|', '>']) {
                    block = Some(indent);
                }
                if !trimmed.is_empty() && !trimmed.starts_with(['|', '>']) {
                    values.push(trimmed.to_owned());
                }
                out.push_str(&line[..=colon]);
                out.push_str(&mask(value));
                out.push_str(&line[content_end..]);
            }
            None => out.push_str(line),
        }
    }
    // Longest first, so a value containing another is scrubbed whole.
    values.retain(|v| v.len() >= 4);
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    (out, values)
}

/// `text` with every byte that is not white space replaced by `*` (the same length in bytes).
fn mask(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_whitespace() {
                b as char
            } else {
                '*'
            }
        })
        .collect()
}

/// Parses `file`; diagnostics point into `shown` (the same text with secrets masked).
fn parse_text(file: &RuleFile, shown: &RuleFile) -> Result<Config, RulesError> {
    let cannot_parse = |e: &serde_saphyr::Error| {
        parse_problem(
            shown,
            e,
            "cannot parse configuration",
            "see docs/config.md for the members halo-audit.yaml may have".to_owned(),
        )
    };
    let mut v = Check {
        file: shown,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let raw: RawConfig = if file.text.trim().is_empty() {
        RawConfig::default()
    } else {
        match serde_saphyr::from_str_with_options(&file.text, yaml_options()) {
            Ok(raw) => raw,
            // The parser stops at the first mistake: when it is inside waivers, each broken
            // waiver is reported at its place and the rest of the file is validated too.
            Err(e) => match crate::ruleset::salvage::<RawConfig>(file) {
                Some(found) => {
                    v.problems.extend(found.errors.iter().map(cannot_parse));
                    found.raw
                }
                None => {
                    return Err(RulesError::InvalidConfig {
                        problems: vec![cannot_parse(&e)],
                    });
                }
            },
        }
    };
    let config = v.config(raw);
    if v.problems.is_empty() {
        Ok(Config {
            warnings: v.warnings,
            shown: Some(shown.clone()),
            ..config
        })
    } else {
        Err(RulesError::InvalidConfig {
            problems: v.problems,
        })
    }
}

struct Check<'a> {
    file: &'a RuleFile,
    problems: Vec<RuleProblem>,
    warnings: Vec<RuleProblem>,
}

impl Check<'_> {
    /// Reads the `baseline:` thresholds into `out`, reporting each value out of range.
    fn thresholds(&mut self, raw: &RawBaseline, out: &mut crate::ruleset::Thresholds) {
        if let Some(days) = &raw.stale_sign_in_days {
            match u32::try_from(days.value).ok().filter(|d| (1..=3650).contains(d)) {
                Some(d) => out.stale_sign_in_days = Some(d),
                None => self.push(
                    days,
                    format!("stale_sign_in_days {} is not a number of days", days.value),
                    "not between 1 and 3650",
                    "give the days without a sign-in after which a privileged agent is reported, e.g. 90",
                ),
            }
        }
        let Some(range) = &raw.administrators else {
            return;
        };
        let (default_min, default_max) = crate::ruleset::Thresholds::default().admin_range();
        let mut read = |at: &Option<Sp<i64>>, default: u32, name: &str| -> Option<u32> {
            let Some(at) = at else {
                return Some(default);
            };
            let value = u32::try_from(at.value).ok().filter(|n| *n <= 10_000);
            if value.is_none() {
                self.push(
                    at,
                    format!("administrators {name} {} is not a count", at.value),
                    "not between 0 and 10000",
                    "give a number of administrators, e.g. `min: 2` and `max: 4`",
                );
            }
            value
        };
        let min = read(&range.min, default_min, "min");
        let max = read(&range.max, default_max, "max");
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                if let Some(at) = range.min.as_ref().or(range.max.as_ref()) {
                    self.push(
                        at,
                        format!("administrators min {min} is above max {max}"),
                        "empty range",
                        "make `min` at most `max` (the defaults are 2 and 4)",
                    );
                }
            } else {
                out.administrators = Some((min, max));
            }
        }
    }

    fn push<T>(&mut self, at: &Sp<T>, message: String, label: &str, help: &str) {
        self.problems.push(problem(
            self.file,
            at,
            message,
            label,
            Some(help.to_owned()),
        ));
    }

    fn nonempty(&mut self, value: &Sp<String>, what: &str) -> Option<String> {
        let text = value.value.trim();
        if text.is_empty() {
            self.push(
                value,
                format!("{what} is empty"),
                "empty",
                "write a value or leave the member out",
            );
            None
        } else {
            Some(text.to_owned())
        }
    }

    fn config(&mut self, raw: RawConfig) -> Config {
        let mut config = Config {
            default_rules: raw.default_rules.as_ref().is_none_or(|b| b.value),
            ..Config::default()
        };
        if let Some(instance) = raw.instance {
            config.url = instance
                .url
                .and_then(|u| self.nonempty(&u, "`instance.url`"));
            config.auth_url = instance
                .auth_url
                .and_then(|u| self.nonempty(&u, "`instance.auth_url`"));
            config.tenant = instance
                .tenant
                .and_then(|u| self.nonempty(&u, "`instance.tenant`"));
            config.client_id = instance
                .client_id
                .and_then(|u| self.nonempty(&u, "`instance.client_id`"));
            if let Some(max) = instance.max_records {
                match u64::try_from(max.value).ok().filter(|m| *m >= 1) {
                    Some(m) => config.max_records = Some(m),
                    None => self.push(
                        &max,
                        format!("`instance.max_records` {} is not a count of records", max.value),
                        "not a whole number of at least 1",
                        "give the most records one list may hold (50000 by default, far above any real tenant)",
                    ),
                }
            }
            if let Some(secret) = instance.client_secret {
                // A warning, not an error: the run goes on without it. The value is never echoed,
                // not even in the source snippet of the warning.
                let mut text = self.file.text.replace(secret.value.as_str(), "<redacted>");
                if secret.value.trim().is_empty() {
                    text.clone_from(&self.file.text);
                }
                let redacted_file = RuleFile {
                    name: self.file.name.clone(),
                    text,
                    builtin: false,
                };
                let at = Sp {
                    value: (),
                    line: secret.line,
                    column: secret.column,
                    span: None,
                };
                self.warnings.push(problem(
                    &redacted_file,
                    &at,
                    "a client secret is written in the configuration file; it is ignored".to_owned(),
                    "remove this line",
                    Some(
                        "configuration files end up in repositories; give the secret through HALO_CLIENT_SECRET or --client-secret-file from your secret store, and rotate this one"
                            .to_owned(),
                    ),
                ));
            }
        }
        for rule in raw.rules.unwrap_or_default() {
            if let Some(path) = self.nonempty(&rule, "a rule path") {
                config.rules.push(PathBuf::from(path));
            }
        }
        for set in raw.sets.unwrap_or_default() {
            if let Some(id) = self.nonempty(&set, "a set id") {
                config.sets.push(id);
            }
        }
        for (set, binding) in raw.bindings.unwrap_or_default() {
            config
                .binding_lines
                .insert(set.value.clone(), (set.line, set.column));
            let mut targets = Vec::new();
            for t in binding
                .applications
                .iter()
                .flatten()
                .chain(binding.client_ids.iter().flatten())
            {
                if let Some(t) = self.nonempty(t, "a binding") {
                    targets.push(t);
                }
            }
            let agent = binding
                .agent
                .as_ref()
                .and_then(|a| self.nonempty(a, "`agent`"));
            if targets.is_empty() && agent.is_none() {
                self.push(
                    &set,
                    format!(
                        "the binding of `{}` names no application and no agent",
                        set.value
                    ),
                    "empty binding",
                    "give `applications: [display name]`, `client_ids: [id]` or `agent: name`",
                );
            }
            if let Some(agent) = agent {
                config.agent_bindings.insert(set.value.clone(), agent);
            }
            if !targets.is_empty() {
                config.bindings.insert(set.value, targets);
            }
        }
        for (code, level) in raw.severity.unwrap_or_default() {
            let Some(c) = self.code(&code) else { continue };
            let parsed = match level.value.trim().to_ascii_lowercase().as_str() {
                "allow" => Some(Level::Allow),
                "note" => Some(Level::Note),
                "warn" | "warning" => Some(Level::Warn),
                "deny" | "error" => Some(Level::Deny),
                _ => None,
            };
            match parsed {
                Some(l) => {
                    config.severity.insert(c, l);
                }
                None => self.push(
                    &level,
                    format!("unknown level `{}`", level.value),
                    "not a level",
                    "use `allow` (drop the finding), `note`, `warn` or `deny` (error)",
                ),
            }
        }
        if let Some(fail_on) = raw.fail_on {
            use clap::ValueEnum;
            match crate::diag::FailOn::from_str(fail_on.value.trim(), true) {
                Ok(f) => config.fail_on = Some(f),
                Err(_) => self.push(
                    &fail_on,
                    format!("unknown fail_on `{}`", fail_on.value),
                    "not a threshold",
                    "use `error`, `warning`, `note` or `never`",
                ),
            }
        }
        if let Some(flag) = raw.fail_on_unverifiable {
            config.fail_on_unverifiable = flag.value;
        }
        if let Some(flag) = raw.fail_on_assumed {
            config.fail_on_assumed = flag.value;
        }
        if let Some(min) = raw.min_coverage {
            match u8::try_from(min.value).ok().filter(|m| *m <= 100) {
                Some(m) => config.min_coverage = Some(m),
                None => self.push(
                    &min,
                    format!("min_coverage {} is not a percentage", min.value),
                    "not between 0 and 100",
                    "give the least share of requirements that must be decided, from 0 to 100",
                ),
            }
        }
        if let Some(baseline) = &raw.baseline {
            self.thresholds(baseline, &mut config.thresholds);
        }
        for waiver in raw.waivers.unwrap_or_default() {
            if let Some(w) = self.waiver(&waiver) {
                config.waivers.push(w);
            }
        }
        config
    }

    fn code(&mut self, code: &Sp<String>) -> Option<Code> {
        let found = Code::from_name(code.value.trim());
        if found.is_none() {
            let close: Vec<&str> = Code::ALL
                .iter()
                .map(|c| c.as_str())
                .filter(|c| crate::catalog::edit_distance(c, &code.value) <= 4)
                .collect();
            let help = if close.is_empty() {
                "`halo-audit explain` lists every code".to_owned()
            } else {
                format!("did you mean `{}`?", close.join("`, `"))
            };
            self.push(
                code,
                format!("unknown finding code `{}`", code.value),
                "unknown code",
                &help,
            );
        }
        found
    }

    fn waiver(&mut self, raw: &Sp<RawWaiver>) -> Option<Waiver> {
        let w = &raw.value;
        let code = self.code(&w.code);
        let set = self.nonempty(&w.set, "`set`");
        let reason = self.nonempty(&w.reason, "`reason`");
        self.reason_cut(&w.reason);
        let owner = self.nonempty(&w.owner, "`owner`");
        let expires = match w.expires.value.trim().parse::<jiff::civil::Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                self.push(
                    &w.expires,
                    format!("`{}` is not a date", w.expires.value),
                    "not YYYY-MM-DD",
                    "every waiver expires: write the last day it applies, e.g. 2027-03-31",
                );
                None
            }
        };
        let subject = match &w.subject {
            None => None,
            Some(s) => match s.value.split_once(':') {
                Some((kind, name))
                    if matches!(
                        kind.trim(),
                        "application" | "agent" | "team" | "role" | "tenant"
                    ) && !name.trim().is_empty() =>
                {
                    Some((kind.trim().to_owned(), name.trim().to_owned()))
                }
                _ => {
                    self.push(
                        s,
                        format!("`{}` is not a subject", s.value),
                        "not kind:name",
                        "write `application:Display Name`, `agent:Name` or `agent:#35` (by id)",
                    );
                    None
                }
            },
        };
        let requirement = w
            .requirement
            .as_ref()
            .and_then(|r| self.nonempty(r, "`requirement`"));
        let permission = w
            .permission
            .as_ref()
            .and_then(|p| self.nonempty(p, "`permission`"));
        Some(Waiver {
            code: code?,
            set: set?,
            requirement,
            subject: if w.subject.is_some() {
                Some(subject?)
            } else {
                None
            },
            permission,
            reason: reason?,
            owner: owner?,
            expires: expires?,
            at: At {
                path: self.file.name.clone(),
                line: raw.line,
            },
            set_at: w.set.clone(),
            requirement_at: w.requirement.clone(),
        })
    }

    /// Warns when a waiver's reason looks cut at a ` #`: YAML reads `#` after a space as the start
    /// of a comment, so `reason: accepted (ticket #1234)` keeps only `accepted (ticket`.
    fn reason_cut(&mut self, reason: &Sp<String>) {
        let Some(comment) = comment_after(&self.file.text, reason) else {
            return;
        };
        let value = reason.value.trim_end();
        let why = if let Some(open) = unclosed_bracket(value) {
            format!("it leaves `{open}` unclosed")
        } else if let Some(word) = value
            .rsplit(|c: char| !c.is_alphanumeric())
            .find(|w| !w.is_empty())
            .filter(|w| TRAILING_WORDS.contains(&w.to_lowercase().as_str()))
        {
            format!("it ends with `{word}`")
        } else if comment.starts_with(|c: char| c.is_ascii_digit()) {
            "the comment starts with a number".to_owned()
        } else {
            return;
        };
        let whole = format!("{value} #{comment}");
        self.warnings.push(problem(
            self.file,
            reason,
            format!(
                "the waiver's reason looks cut: YAML reads ` #{comment}` as a comment, so the reason is stored as `{value}` ({why})"
            ),
            "reason cut here",
            Some(format!(
                "quote the whole reason: reason: \"{}\"",
                whole.replace('\\', "\\\\").replace('"', "\\\"")
            )),
        ));
    }
}

/// Last words that leave a waiver's reason hanging (`... see ticket`, `... per change`).
const TRAILING_WORDS: &[&str] = &[
    "ticket",
    "tickets",
    "issue",
    "case",
    "incident",
    "change",
    "request",
    "ref",
    "reference",
    "see",
    "per",
    "pr",
    "cr",
    "bug",
    "jira",
    "no",
    "number",
];

/// The comment that follows a plain scalar on its own line (after ` #`), trimmed; `None` when
/// nothing but white space follows it, or the span is unknown.
fn comment_after(text: &str, at: &Sp<String>) -> Option<String> {
    let (offset, len) = at.span?;
    let rest = text.get(offset + len..)?;
    let line = rest.split('\n').next().unwrap_or_default();
    let trimmed = line.trim_start();
    // A space (or tab) before `#` makes it a comment; the scalar's span ends before the spaces.
    if trimmed.len() < line.len() || line.is_empty() {
        trimmed
            .strip_prefix('#')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
    } else {
        None
    }
}

/// The first opening bracket of `text` left unclosed.
fn unclosed_bracket(text: &str) -> Option<char> {
    let mut open = Vec::new();
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => open.push(c),
            ')' | ']' | '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.first().copied()
}

impl Config {
    /// Checks every waiver's `set:` and `requirement:` against the loaded requirement sets: a
    /// waiver naming a set or requirement that does not exist would silently waive nothing.
    ///
    /// # Errors
    /// [`RulesError::InvalidConfig`] with one problem per unknown set or requirement, each with
    /// the close ids as a hint.
    pub fn check_waivers(&self, library: &crate::ruleset::Library) -> Result<(), RulesError> {
        let Some(file) = &self.shown else {
            return Ok(());
        };
        let mut problems = Vec::new();
        for waiver in &self.waivers {
            let Some(set) = library.get(&waiver.set) else {
                problems.push(problem(
                    file,
                    &waiver.set_at,
                    format!("unknown requirement set `{}` in a waiver", waiver.set),
                    "unknown set",
                    Some(library.unknown_set_help(&waiver.set)),
                ));
                continue;
            };
            let (Some(id), Some(at)) = (&waiver.requirement, &waiver.requirement_at) else {
                continue;
            };
            let ids: Vec<&str> = set
                .requirements
                .iter()
                .map(|r| r.id.as_str())
                .chain(set.policies.iter().map(|p| p.id.as_str()))
                .collect();
            // Written in full, or without the set's prefix (as the waiver matches it).
            let full = format!("{}.{id}", set.id);
            if ids.contains(&id.as_str()) || ids.contains(&full.as_str()) {
                continue;
            }
            let elsewhere = library.sets.iter().find(|s| {
                s.requirements.iter().any(|r| &r.id == id) || s.policies.iter().any(|p| &p.id == id)
            });
            let close: Vec<String> = ids
                .iter()
                .filter(|r| {
                    crate::catalog::edit_distance(r, id) <= 3
                        || crate::catalog::edit_distance(r, &full) <= 3
                })
                .map(|r| format!("`{r}`"))
                .collect();
            let help = match elsewhere {
                Some(other) => format!(
                    "`{id}` is a requirement of set `{}`: write `set: {}`",
                    other.id, other.id
                ),
                None if !close.is_empty() => format!("did you mean {}?", close.join(", ")),
                None => format!(
                    "`halo-audit rules show {}` lists its {} requirement ids",
                    set.id,
                    ids.len()
                ),
            };
            problems.push(problem(
                file,
                at,
                format!("unknown requirement `{id}` of set `{}` in a waiver", set.id),
                "unknown requirement",
                Some(help),
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(RulesError::InvalidConfig { problems })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> RuleFile {
        RuleFile {
            name: "halo-audit.yaml".to_owned(),
            text: text.to_owned(),
            builtin: false,
        }
    }

    fn problems(text: &str) -> Vec<String> {
        match parse(&file(text)) {
            Ok(_) => Vec::new(),
            Err(RulesError::InvalidConfig { problems }) => problems
                .iter()
                .map(|p| format!("{}:{} {}", p.location.line, p.location.column, p.message))
                .collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn a_full_config_parses() {
        let c = parse(&file(
            "instance:\n  url: https://acme.halopsa.com\n  tenant: acme\n  client_id: abc\n\
             rules: [local-rules]\ndefault_rules: false\nsets: [vciotoolbox]\n\
             bindings:\n  vciotoolbox:\n    applications: [vCIO]\n    client_ids: [x-1]\n\
             severity:\n  excessive-grant: deny\n  ambiguous-requirement: allow\n\
             fail_on: warning\n\
             waivers:\n  - code: excessive-grant\n    set: cloud-depot\n    subject: application:Cloud Depot\n    permission: feature.customers\n    reason: agreed with vendor\n    owner: jane@msp.example\n    expires: 2027-01-31\n",
        ))
        .unwrap();
        assert_eq!(c.url.as_deref(), Some("https://acme.halopsa.com"));
        assert!(!c.default_rules);
        assert_eq!(c.bindings["vciotoolbox"], vec!["vCIO", "x-1"]);
        assert_eq!(c.severity[&Code::ExcessiveGrant], Level::Deny);
        assert_eq!(c.severity[&Code::AmbiguousRequirement], Level::Allow);
        assert_eq!(c.fail_on, Some(crate::diag::FailOn::Warning));
        let w = &c.waivers[0];
        assert_eq!(
            w.subject,
            Some(("application".to_owned(), "Cloud Depot".to_owned()))
        );
        assert_eq!(w.at.line, 17);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_its_place() {
        let found = problems(
            "severity:\n  excesive-grant: deny\n  missing-grant: loud\nfail_on: sometimes\n\
             waivers:\n  - code: excessive-grant\n    set: x\n    reason: ''\n    owner: me\n    expires: soon\n    subject: Cloud Depot\n",
        );
        assert_eq!(
            found,
            vec![
                "2:3 unknown finding code `excesive-grant`",
                "3:18 unknown level `loud`",
                "4:10 unknown fail_on `sometimes`",
                "8:13 `reason` is empty",
                "10:14 `soon` is not a date",
                "11:14 `Cloud Depot` is not a subject",
            ]
        );
    }

    #[test]
    fn unknown_members_and_missing_waiver_fields_are_parse_errors() {
        let found = problems("instance:\n  uri: https://x\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("2:"), "{found:?}");
        assert!(found[0].contains("unknown field"), "{found:?}");
        let found = problems("waivers:\n  - code: excessive-grant\n    set: x\n");
        assert!(found[0].contains("missing field"), "{found:?}");
    }

    #[test]
    fn a_secret_in_the_file_is_a_warning_that_never_echoes_it() {
        let c = parse(&file("instance:\n  client_secret: s3cr3t-value\n")).unwrap();
        assert_eq!(c.warnings.len(), 1);
        let w = &c.warnings[0];
        assert_eq!(w.location.line, 2);
        assert!(!w.message.contains("s3cr3t"));
        assert!(
            !format!("{:?}", w.src).contains("s3cr3t"),
            "not in the snippet either"
        );
        assert!(c.url.is_none());
    }

    #[test]
    fn secret_values_are_masked_in_place_and_never_in_messages() {
        let text = "instance:\n  client_secret: s3cr3t-value\n  url: https://x\n\
                    other: {api_token: \"tok-123456\"}\nkey_block:\n  password: |\n    multi-line-secret\n  next: 1\n";
        let (masked, values) = mask_secrets(text);
        assert_eq!(masked.len(), text.len(), "byte offsets are kept");
        for secret in ["s3cr3t-value", "tok-123456", "multi-line-secret"] {
            assert!(!masked.contains(secret), "{secret} in {masked}");
            assert!(values.iter().any(|v| v.contains(secret)), "{values:?}");
        }
        assert!(masked.contains("url: https://x") && masked.contains("  next: 1"));
        // A parse error next to the secret quotes the masked copy.
        let found = problems("instance:\n  client_secret: 12345678\n  urll: x\n");
        assert!(!found.iter().any(|p| p.contains("12345678")), "{found:?}");
        match parse(&file("instance:\n  client_secret: 12345678\n  urll: x\n")) {
            Err(RulesError::InvalidConfig { problems }) => {
                assert!(!format!("{:?}", problems[0].src).contains("12345678"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let c = parse(&file("# nothing yet\n")).unwrap();
        assert!(c.default_rules && c.sets.is_empty() && c.waivers.is_empty());
    }
}
