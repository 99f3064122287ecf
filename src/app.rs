//! Dispatch: turns a parsed command line into work, and outcomes into exit codes.
//!
//! Owns: the order of operations of each command and the mapping of errors to exit codes
//! (0 clean, 1 findings at or above `--fail-on`, 2 usage / invalid input, 3 the audit could not run).
//! It writes nothing itself: reports go through `report`, diagnostics are returned to `main`.

use std::path::Path;

use crate::catalog::Catalog;
use crate::check::{self, Selection};
use crate::cli::{
    CheckArgs, Cli, Command, ConnectArgs, Format, RuleSources, RulesCommand, SnapshotCommand,
};
use crate::config::Config;
use crate::diag::Code;
use crate::report::{self, Output, Style};
use crate::ruleset::{self, Library, RuleFile};
use crate::snapshot;
use crate::verdict::FailOn;

pub use crate::verdict::{exit, failing};

/// Everything that stops a command, with its exit code.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AppError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Rules(#[from] ruleset::RulesError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] check::CheckError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Write(#[from] crate::fsio::WriteError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fetch(#[from] crate::halo::FetchError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    SameFile(#[from] crate::fsio::SameFileError),
    #[error("invalid {flag} `{value}`: {reason}")]
    #[diagnostic(code(halo_audit::usage), help("see `halo-audit {command} --help`"))]
    Usage {
        command: &'static str,
        flag: &'static str,
        value: String,
        reason: String,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Baseline(#[from] crate::ratchet::BaselineError),
    #[error("unknown finding code `{code}`")]
    #[diagnostic(code(halo_audit::explain::unknown), help("{help}"))]
    UnknownCode { code: String, help: String },
    #[error("{path} exists")]
    #[diagnostic(
        code(halo_audit::init::exists),
        help("pass --force to replace it, or -o to write elsewhere")
    )]
    Exists { path: String },
    #[error("{what} come from different HaloPSA instances: {old} and {new}")]
    #[diagnostic(
        code(halo_audit::different_instances),
        help(
            "compare reports and snapshots of the same instance; pass --allow-different-instances if comparing these is intended"
        )
    )]
    DifferentInstances {
        what: &'static str,
        old: String,
        new: String,
    },
    #[error("{names} exist already in {dir}")]
    #[diagnostic(
        code(halo_audit::rules::export_exists),
        help(
            "pass --force to replace them, or export into another directory; nothing was written"
        )
    )]
    ExportExists { dir: String, names: String },
    #[error("unknown requirement set `{id}`")]
    #[diagnostic(
        code(halo_audit::rules::unknown_set),
        help("`halo-audit rules list` shows the sets available")
    )]
    UnknownSet { id: String },
}

impl AppError {
    /// The exit code for this error.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Write(_) => exit::UNAVAILABLE,
            Self::Fetch(e) if !e.is_usage() => exit::UNAVAILABLE,
            Self::Snapshot(snapshot::SnapshotError::Write(_)) => exit::UNAVAILABLE,
            _ => exit::INVALID,
        }
    }
}

/// Runs a command; returns the exit code of a command that ran.
///
/// # Errors
/// Any [`AppError`]; `main` renders it and exits with [`AppError::exit_code`].
pub fn run(cli: &Cli) -> Result<u8, AppError> {
    let style = Style {
        color: crate::color::enabled(cli.color, crate::color::Stream::Stdout),
        verbose: cli.verbose,
        quiet: cli.quiet,
        width: report::terminal_width(),
    };
    let builtin = Catalog::builtin()?;
    let overlaid;
    let mut overlay_files: Vec<RuleFile> = Vec::new();
    let catalog: &Catalog = if cli.catalog.is_empty() {
        builtin
    } else {
        let files = cli
            .catalog
            .iter()
            .map(|path| ruleset::read_file(path))
            .collect::<Result<Vec<_>, _>>()?;
        overlaid = ruleset::overlay::apply(builtin, &files)?;
        overlay_files = files;
        &overlaid
    };
    match &cli.command {
        Command::Fetch(args) => {
            let config = load_config(cli, &style)?;
            refuse_clobbering(
                &[("-o", Some(&args.output))],
                &[
                    (
                        "--client-secret-file",
                        args.connect.client_secret_file.as_deref(),
                    ),
                    ("--config", config.path.as_deref()),
                ],
            )?;
            let settings = connection(&args.connect.with_config(&config), "fetch", &style)?;
            // Hours of fetching must not end in "cannot write".
            crate::fsio::check_writable(&args.output)?;
            let mut snap = crate::halo::fetch_snapshot(&settings)?;
            snap.save(&args.output)?;
            if !style.quiet {
                report::status(&report::fetch::summary(&snap, Some(&args.output)));
                warn_if_over_privileged(&snap, catalog, &args.output)?;
            }
            Ok(exit::OK)
        }
        Command::Check(args) => {
            let config = load_config(cli, &style)?;
            run_check(
                args,
                Catalogs {
                    catalog,
                    shipped: builtin,
                    overlays: &overlay_files,
                },
                &style,
                &config,
            )
        }
        Command::Init(args) => run_init(args, catalog),
        Command::SelfCheck(args) => {
            let (loaded, me) = match &args.snapshot {
                Some(path) => {
                    let loaded = snapshot::read(path, catalog)?;
                    let me = crate::selfcheck::recorded_agent(&loaded.header);
                    (loaded, me)
                }
                None => {
                    let config = load_config(cli, &style)?;
                    let mut connect = args.connect.with_config(&config);
                    connect.fetch_scope = crate::halo::FetchScope::Integrations;
                    let settings = connection(&connect, "self-check", &style)?;
                    // The fetch asks which agent the credential acts as, in Halo's own words;
                    // its object joins the agents read so its permissions are judged like a
                    // login agent's.
                    let (mut snap, me) = crate::halo::fetch_with_identity(&settings)?;
                    if let crate::halo::Identity::Agent { id, object, .. } = &me {
                        add_agent(&mut snap, *id, object);
                    }
                    let text = snap.to_json()?;
                    (
                        snapshot::read_bytes(text.as_bytes(), Path::new("<live>"), catalog)?,
                        Some(me),
                    )
                }
            };
            let result =
                crate::selfcheck::run_with(&loaded.header, &loaded.tenant, catalog, me.as_ref());
            let text = match args.format {
                crate::cli::SelfCheckFormat::Human => crate::text::fit_lines(
                    &crate::text::shown_lines(&crate::selfcheck::render(&result)),
                    style.columns(),
                ),
                crate::cli::SelfCheckFormat::Json => crate::selfcheck::json(&result),
            };
            report::emit(&text, &Output::Stdout)?;
            Ok(result.exit_code())
        }
        Command::Snapshot(SnapshotCommand::Show { file }) => {
            let loaded = snapshot::read(file, catalog)?;
            report::emit(
                &report::snapshot::render(&loaded.header, &loaded.tenant, &style),
                &Output::Stdout,
            )?;
            Ok(exit::OK)
        }
        Command::Rules(command) => run_rules(command, catalog, &style),
        Command::Diff(args) => run_diff(args, catalog, &style),
        Command::Plan(args) => {
            let config = load_config(cli, &style)?;
            run_plan(args, catalog, &style, &config)
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let script = crate::shell::completion_script(*shell, &mut command, "halo-audit");
            report::emit(&script, &Output::Stdout)?;
            Ok(exit::OK)
        }
        Command::Man { dir } => {
            let pages = crate::shell::manual_pages(<Cli as clap::CommandFactory>::command());
            match dir {
                None => {
                    let (_, text) = pages.into_iter().next().unwrap_or_default();
                    report::emit(&text, &Output::Stdout)?;
                }
                Some(dir) => {
                    std::fs::create_dir_all(dir).map_err(|cause| crate::fsio::WriteError {
                        path: dir.clone(),
                        cause,
                    })?;
                    // Every page is checked before the first is written.
                    for (name, _) in &pages {
                        crate::fsio::check_in_dir(dir, name)?;
                    }
                    for (name, text) in &pages {
                        crate::fsio::write_in_dir(dir, name, text.as_bytes())?;
                    }
                    if !style.quiet {
                        report::status(&format!(
                            "wrote {} manual pages to {}\n",
                            pages.len(),
                            dir.display()
                        ));
                    }
                }
            }
            Ok(exit::OK)
        }
        Command::Explain { code } => {
            let text = match code {
                None => report::explain::list(report::explain::width()),
                Some(name) => match Code::from_name(name) {
                    Some(code) => report::explain::code(code, &style, report::explain::width()),
                    None => {
                        let close: Vec<String> = Code::ALL
                            .iter()
                            .filter(|c| crate::catalog::edit_distance(c.as_str(), name) <= 4)
                            .map(|c| format!("`{}`", c.as_str()))
                            .collect();
                        let help = if close.is_empty() {
                            "`halo-audit explain` lists every code".to_owned()
                        } else {
                            format!(
                                "did you mean {}? `halo-audit explain` lists every code",
                                close.join(", ")
                            )
                        };
                        return Err(AppError::UnknownCode {
                            code: name.clone(),
                            help,
                        });
                    }
                },
            };
            report::emit(&text, &Output::Stdout)?;
            Ok(exit::OK)
        }
    }
}

/// Loads the shipped sets (unless excluded) plus the given paths.
///
/// # Errors
/// Unreadable paths or invalid rules.
pub fn load_library(sources: &RuleSources, catalog: &Catalog) -> Result<Library, AppError> {
    Ok(ruleset::load(&rule_files(sources)?, catalog)?)
}

/// The rule files of a run: the shipped ones (unless excluded) plus the given paths, each read once.
fn rule_files(sources: &RuleSources) -> Result<Vec<RuleFile>, AppError> {
    let mut files: Vec<RuleFile> = if sources.no_default_rules {
        Vec::new()
    } else {
        ruleset::builtin_files()
    };
    for path in &sources.rules {
        files.extend(ruleset::read_path(path)?);
    }
    Ok(files)
}

/// Adds an agent object to a snapshot's agents unless an agent with its id is there already.
fn add_agent(snap: &mut snapshot::Snapshot, id: i64, object: &serde_json::Value) {
    let same = |a: &serde_json::Value| {
        a.get("id")
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
            == Some(id)
    };
    match snap.objects.agents.as_mut() {
        Some(serde_json::Value::Array(list)) => {
            if !list.iter().any(same) {
                list.push(object.clone());
            }
        }
        // Halo's envelope: `{"record_count": N, "agents": [...]}`.
        Some(serde_json::Value::Object(map)) => {
            if let Some(serde_json::Value::Array(list)) = map.get_mut("agents")
                && !list.iter().any(same)
            {
                list.push(object.clone());
            }
        }
        Some(_) => {}
        None => snap.objects.agents = Some(serde_json::Value::Array(vec![object.clone()])),
    }
}

/// After a fetch: one warning per way the auditing credential holds more than read access.
fn warn_if_over_privileged(
    snap: &snapshot::Snapshot,
    catalog: &Catalog,
    path: &Path,
) -> Result<(), AppError> {
    let tenant = snapshot::normalise(snap, catalog, path)?;
    let result = crate::selfcheck::run(snap, &tenant, catalog);
    for item in result
        .items
        .iter()
        .filter(|i| i.severity >= crate::diag::Severity::Warning)
    {
        report::status(&format!(
            "warning: self-check: {}\n  fix: {}\n",
            crate::text::shown(&item.message),
            crate::text::shown(&item.fix)
        ));
    }
    Ok(())
}

/// The configuration file (`--config`, else none with `--no-config`, else `halo-audit.yaml` found
/// from the current directory up to the repository root); its warnings go to stderr.
///
/// # Errors
/// An unreadable or invalid configuration (exit 2).
fn load_config(cli: &Cli, style: &Style) -> Result<Config, AppError> {
    let lookup = match (&cli.config, cli.no_config) {
        (_, true) => crate::config::Lookup::None,
        (Some(path), false) => crate::config::Lookup::Explicit(path),
        (None, false) => crate::config::Lookup::Discover,
    };
    let config = crate::config::discover(lookup)?;
    if !style.quiet {
        for warning in &config.warnings {
            report::warning(warning, style);
        }
    }
    Ok(config)
}

/// Refuses, before any work, an output that is the same file as an input of the run (or as
/// another output).
fn refuse_clobbering(
    outputs: &[(&'static str, Option<&Path>)],
    inputs: &[(&'static str, Option<&Path>)],
) -> Result<(), AppError> {
    let on_stdout: Vec<&'static str> = outputs
        .iter()
        .filter(|(_, p)| p.is_some_and(crate::fsio::is_stdio))
        .map(|(flag, _)| *flag)
        .collect();
    if let [first, second, ..] = on_stdout[..] {
        return Err(AppError::Usage {
            command: "check",
            flag: second,
            value: crate::fsio::STDIO.to_owned(),
            reason: format!("{first} writes to standard output already; give one of them a file"),
        });
    }
    for (index, (flag, output)) in outputs.iter().enumerate() {
        let Some(output) = output else { continue };
        // The other outputs count as inputs: two outputs in one file lose one of them.
        let others = outputs
            .iter()
            .enumerate()
            .filter(|(other, _)| *other != index)
            .map(|(_, pair)| *pair);
        let against: Vec<(&'static str, &Path)> = inputs
            .iter()
            .copied()
            .chain(others)
            .filter_map(|(f, p)| p.map(|p| (f, p)))
            .collect();
        crate::fsio::refuse_same_file(flag, output, &against)?;
    }
    Ok(())
}

fn run_init(args: &crate::cli::InitArgs, catalog: &Catalog) -> Result<u8, AppError> {
    refuse_clobbering(
        &[("-o", Some(&args.output))],
        &[("--snapshot", args.snapshot.as_deref())],
    )?;
    if !crate::fsio::is_stdio(&args.output) && args.output.exists() && !args.force {
        return Err(AppError::Exists {
            path: display(&args.output),
        });
    }
    let library = ruleset::load(&ruleset::builtin_files(), catalog)?;
    let tenant = match &args.snapshot {
        Some(path) => Some(snapshot::read(path, catalog)?.tenant),
        None => None,
    };
    let text = report::init::starter(&library, tenant.as_ref(), args.snapshot.as_deref());
    crate::fsio::write_atomic(&args.output, text.as_bytes())?;
    report::status(&format!(
        "wrote {}; review it, then run `halo-audit check`\n",
        crate::fsio::describe_output(&args.output)
    ));
    Ok(exit::OK)
}

/// Builds fetch settings from the connection flags and the environment.
///
/// # Errors
/// Missing URL, client id or secret, or an unusable value (exit 2).
pub fn connection(
    args: &ConnectArgs,
    command: &'static str,
    style: &Style,
) -> Result<crate::halo::Settings, AppError> {
    use crate::halo::{FetchError, Rate, RetryPolicy, Settings, parse_duration};
    use secrecy::{ExposeSecret, SecretString};
    let url = args.url.as_deref().ok_or(FetchError::NoUrl)?;
    // The secret goes only where the command line or the environment said: a repository's
    // configuration file must not be able to send it elsewhere.
    if args.url_from_config && !args.trust_config_url {
        return Err(FetchError::ConfigUrl {
            url: crate::halo::shown_url(url),
        }
        .into());
    }
    let client_id = args
        .client_id
        .clone()
        .filter(|c| !c.trim().is_empty())
        .ok_or(FetchError::NoClientId)?;
    let secret = match &args.client_secret_file {
        Some(path) => {
            // A secret is a line of text: 64 KiB is plenty, and `/dev/zero` ends at once.
            let bytes =
                crate::fsio::read_input(path, 64 * 1024).map_err(|e| FetchError::SecretFile {
                    path: display(path),
                    detail: e.to_string(),
                })?;
            let text = String::from_utf8(bytes).map_err(|_| FetchError::SecretFile {
                path: display(path),
                detail: "it is not UTF-8 text".to_owned(),
            })?;
            SecretString::from(text.trim().to_owned())
        }
        None => SecretString::from(
            std::env::var("HALO_CLIENT_SECRET")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        ),
    };
    if secret.expose_secret().is_empty() {
        return Err(FetchError::NoSecret.into());
    }
    let usage = |flag: &'static str, value: &str, reason: String| AppError::Usage {
        command,
        flag,
        value: value.to_owned(),
        reason,
    };
    let duration = |flag: &'static str, value: &str| {
        parse_duration(value).map_err(|reason| usage(flag, value, reason))
    };
    let mut settings =
        Settings::new(url, client_id, secret)?.with_auth_url(args.auth_url.as_deref())?;
    if args.auth_url_from_config {
        settings.check_config_auth_origin(&args.allow_auth_origin)?;
    }
    settings.tenant = args.tenant.clone().filter(|t| !t.trim().is_empty());
    settings.scope = args.fetch_scope;
    settings.token_scope = args
        .token_scope
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    settings.rate =
        Rate::parse(&args.rate).map_err(|reason| usage("--rate", &args.rate, reason))?;
    settings.concurrency = usize::from(args.concurrency);
    settings.timeout = duration("--timeout", &args.timeout)?;
    if settings.timeout.is_zero() {
        return Err(usage(
            "--timeout",
            &args.timeout,
            "must be longer than zero".to_owned(),
        ));
    }
    settings.retry = RetryPolicy {
        max_attempts: args.max_attempts,
        base: duration("--backoff", &args.backoff)?,
        max_wait: duration("--max-retry-time", &args.max_retry_time)?,
        ..RetryPolicy::default()
    };
    settings.progress = !style.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    if let Some(max) = args.max_records {
        settings.max_records = usize::try_from(max).unwrap_or(usize::MAX);
    }
    Ok(settings)
}

/// The catalog a run uses, the shipped one, and the overlays that made the first from the second.
struct Catalogs<'a> {
    catalog: &'a Catalog,
    shipped: &'a Catalog,
    overlays: &'a [RuleFile],
}

fn run_check(
    args: &CheckArgs,
    catalogs: Catalogs<'_>,
    style: &Style,
    config: &Config,
) -> Result<u8, AppError> {
    let catalog = catalogs.catalog;
    let sources = args.sources.with_config(config);
    let mut inputs: Vec<(&'static str, Option<&Path>)> = vec![
        ("--snapshot", args.snapshot.as_deref()),
        (
            "--client-secret-file",
            args.connect.client_secret_file.as_deref(),
        ),
        ("--config", config.path.as_deref()),
    ];
    inputs.extend(sources.rules.iter().map(|r| ("--rules", Some(r.as_path()))));
    let baseline_output = args.baseline.as_deref().filter(|_| args.update_baseline);
    if baseline_output.is_none() {
        inputs.push(("--baseline", args.baseline.as_deref()));
    }
    let targets = report_targets("check", &args.format, args.output.as_deref(), Format::Human)?;
    let mut outputs = target_outputs(&targets, args.output.as_deref());
    outputs.push(("--save-snapshot", args.save_snapshot.as_deref()));
    outputs.push(("--baseline", baseline_output));
    refuse_clobbering(&outputs, &inputs)?;
    refuse_same_output("check", &outputs)?;
    if !style.quiet {
        let has = |format: Format| targets.iter().any(|t| t.format == format);
        for (given, flag, format) in [
            (
                args.sarif_category.is_some(),
                "--sarif-category",
                Format::Sarif,
            ),
            (
                args.sarif_suppressions,
                "--sarif-suppressions",
                Format::Sarif,
            ),
            (
                args.junit_fail_on_warning,
                "--junit-fail-on-warning",
                Format::Junit,
            ),
        ] {
            if given && !has(format) {
                report::status(&format!(
                    "warning: {flag} has no effect: no --format {} report is written\n",
                    format_name(&format)
                ));
            }
        }
    }
    // Every report file can be written, before any work: a run never ends with some reports
    // written and the next one refused.
    check_writable_targets(&targets)?;
    if args
        .save_snapshot
        .as_deref()
        .is_some_and(crate::fsio::is_stdio)
        && targets.iter().any(|t| !t.output.is_file())
    {
        return Err(AppError::Usage {
            command: "check",
            flag: "--save-snapshot",
            value: crate::fsio::STDIO.to_owned(),
            reason: "the report goes to standard output; write it to a file with -o FILE"
                .to_owned(),
        });
    }
    let rule_files = rule_files(&sources)?;
    let mut library = ruleset::load(&rule_files, catalog)?;
    // A waiver naming no real set or requirement would waive nothing, silently: exit 2.
    config.check_waivers(&library)?;
    // The configuration's thresholds for the baseline's hygiene checks.
    for policy in library.sets.iter_mut().flat_map(|s| s.policies.iter_mut()) {
        policy.thresholds = config.thresholds;
    }
    // The snapshot's text when it was fetched live: read again with the shipped catalog when an
    // overlay is loaded.
    let mut fetched: Option<(String, std::path::PathBuf)> = None;
    let tenant = match &args.snapshot {
        Some(path) => snapshot::read(path, catalog)?.tenant,
        None => {
            let settings = connection(&args.connect.with_config(config), "check", style)?;
            if let Some(path) = &args.save_snapshot {
                crate::fsio::check_writable(path)?;
            }
            let mut snap = crate::halo::fetch_snapshot(&settings)?;
            if let Some(path) = &args.save_snapshot {
                snap.save(path)?;
            }
            if !style.quiet {
                report::status(&report::fetch::summary(
                    &snap,
                    args.save_snapshot.as_deref(),
                ));
            }
            // Round-trip through the file format so a live check sees exactly what a saved
            // snapshot would hold (secrets stripped).
            let text = snap.to_json()?;
            let source = std::path::PathBuf::from(format!("<{}>", settings.url));
            let tenant = snapshot::read_bytes(text.as_bytes(), &source, catalog)?.tenant;
            if !catalogs.overlays.is_empty() {
                fetched = Some((text, source));
            }
            tenant
        }
    };
    let selection = Selection {
        sets: if args.sets.is_empty() {
            config.sets.clone()
        } else {
            args.sets.clone()
        },
        bindings: config.bindings.clone(),
        agents: config.agent_bindings.clone(),
        // `--set X` asks whether X is ready; the tenant-wide baseline runs when asked for too
        // (`--set baseline`), or when no `--set` is given (the configuration's `sets:` included).
        readiness: !args.sets.is_empty() && !args.sets.iter().any(|s| s == "baseline"),
    };
    let mut outcome = check::check(&tenant, &library, catalog, &selection)?;
    // Waiver dates are compared in UTC: the same answer on every CI runner.
    let today = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    check::waivers::apply_with(
        &mut outcome,
        config,
        today,
        !args.no_waivers,
        !args.no_config_overrides,
    );
    record_inputs(&mut outcome, &selection, &sources, &rule_files, config);
    if !catalogs.overlays.is_empty() {
        record_overlays(
            &mut outcome,
            &catalogs,
            args.snapshot.as_deref(),
            fetched.as_ref(),
            &rule_files,
            &selection,
        );
    }
    if args.fail_on_unverifiable || config.fail_on_unverifiable {
        // Every requirement that could not be decided fails the run: an error, whatever the
        // configuration's `severity:` says of `unverifiable`; a waived one stays accepted.
        for finding in &mut outcome.findings {
            if finding.code == Code::Unverifiable && finding.waiver.is_none() {
                finding.severity = crate::diag::Severity::Error;
            }
        }
    }
    // The formats that place findings in the repository read a copy whose shipped-set findings
    // are placed at files of the repository; the others name the requirement's own place.
    let anchored = targets
        .iter()
        .any(|t| places_in_repository(t.format))
        .then(|| {
            let mut copy = outcome.clone();
            let unplaced =
                anchor_in_repository(&mut copy, &library, config, args.snapshot.as_deref());
            if !style.quiet
                && let Some(text) = unplaced.warning()
            {
                report::status(&text);
            }
            copy
        });
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::Error);
    let context = report::Context {
        tenant: &tenant,
        library: &library,
        catalog,
        style,
        fail_on,
        min_coverage: args.min_coverage.or(config.min_coverage),
        fail_on_assumed: args.fail_on_assumed || config.fail_on_assumed,
    };
    if let Some(path) = &args.baseline {
        return check_against_baseline(args, path, &outcome, anchored.as_ref(), &context, &targets);
    }
    for target in &targets {
        let shown = match &anchored {
            Some(copy) if places_in_repository(target.format) => copy,
            _ => &outcome,
        };
        let style = target.style(style);
        let context = report::Context {
            style: &style,
            ..context
        };
        let text = render_check(target.format, shown, &context, args);
        report::emit(&text, &target.output)?;
    }
    if !style.quiet && !human_on_stdout_only(&targets) {
        for line in report::not_audited_lines(&outcome) {
            report::status(&format!("{line}\n"));
        }
        report::summary_line(&outcome, context.gate(), style);
    }
    let verdict = report::verdict(&outcome, context.gate());
    drop_in_background((tenant, outcome));
    Ok(verdict.exit_code())
}

/// The formats that place findings at files of the repository: SARIF, GitHub annotations and
/// GitLab Code Quality.
fn places_in_repository(format: Format) -> bool {
    matches!(format, Format::Sarif | Format::Github | Format::Gitlab)
}

/// Renders one report of `check` with the options of the command line.
fn render_check(
    format: Format,
    outcome: &check::Outcome,
    context: &report::Context<'_>,
    args: &CheckArgs,
) -> String {
    match format {
        Format::Sarif => report::sarif::render_with(
            outcome,
            context,
            &report::sarif::Base::current(),
            &report::sarif::Options {
                category: args.sarif_category.clone(),
                suppressions: args.sarif_suppressions,
            },
        ),
        Format::Junit => crate::text::shown_lines(&report::junit::render_with(
            outcome,
            context,
            report::junit::Options {
                fail_on_warning: args.junit_fail_on_warning,
            },
        )),
        format => report::render(format, outcome, context),
    }
}

/// Where the findings of shipped sets without a binding of their own were placed.
#[derive(Debug, Default)]
struct Unplaced {
    /// The shipped sets whose findings were not placed at their binding.
    sets: std::collections::BTreeSet<String>,
    /// Where they were placed instead (`halo-audit.yaml`, `snapshot.json`), or none when no file
    /// of the repository could hold them (they name `rules/<set>.yaml`).
    at: Option<String>,
}

impl Unplaced {
    /// The warning for standard error, when some findings are not at their set's binding.
    fn warning(&self) -> Option<String> {
        if self.sets.is_empty() {
            return None;
        }
        let sets = self.sets.iter().cloned().collect::<Vec<_>>().join(", ");
        let place = match &self.at {
            Some(file) => format!("are placed in {file}, not at a line of their own"),
            None => "point at rules/<set>.yaml, a file of halo-audit's own sources that is not \
                     in your repository"
                .to_owned(),
        };
        Some(format!(
            "warning: in SARIF, GitHub and GitLab reports the findings of the shipped sets {sets} {place}\n  \
             hint: for precise places, bind each set in halo-audit.yaml (`bindings:`; `halo-audit init` \
             writes them), or export the sets into the repository (`halo-audit rules export rules`) \
             and audit with `--no-default-rules --rules rules`\n"
        ))
    }
}

/// Records what the run was told: tool and catalog version, the configuration file and its hash,
/// the sets asked for, the requirement files read. (Severity overrides and waivers are recorded
/// where they are applied.)
fn record_inputs(
    outcome: &mut check::Outcome,
    selection: &Selection,
    sources: &RuleSources,
    rule_files: &[RuleFile],
    config: &Config,
) {
    let inputs = &mut outcome.inputs;
    inputs.tool_version = env!("CARGO_PKG_VERSION").to_owned();
    inputs.catalog_version = Catalog::builtin().map_or(0, |c| c.version);
    inputs.config = config
        .path
        .as_ref()
        .zip(config.sha256.as_ref())
        .map(|(path, sha256)| check::summary::InputFile {
            path: display(path),
            sha256: sha256.clone(),
        });
    inputs.sets = selection.sets.clone();
    inputs.default_rules = !sources.no_default_rules;
    inputs.rules = rule_files
        .iter()
        .filter(|file| !file.builtin)
        .map(|file| check::summary::InputFile {
            path: file.name.clone(),
            sha256: crate::text::sha256_hex(file.text.as_bytes()),
        })
        .collect();
}

/// Records the catalog overlays (path, hash, the permissions each redefines) and the decisions
/// that differ from what the shipped catalog gives: the snapshot is read and checked again with
/// the shipped catalog. When that cannot be done (a rule file needs a permission only an overlay
/// defines), no decision is listed as changed and the overlays are still recorded.
fn record_overlays(
    outcome: &mut check::Outcome,
    catalogs: &Catalogs<'_>,
    snapshot_path: Option<&Path>,
    fetched: Option<&(String, std::path::PathBuf)>,
    rule_files: &[RuleFile],
    selection: &Selection,
) {
    outcome.inputs.overlays = catalogs
        .overlays
        .iter()
        .map(|file| check::summary::OverlayInput {
            file: check::summary::InputFile {
                path: file.name.clone(),
                sha256: crate::text::sha256_hex(file.text.as_bytes()),
            },
            redefines: catalogs
                .catalog
                .permissions
                .iter()
                .filter_map(|p| {
                    let at = p.user_source.as_ref()?;
                    at.strip_prefix(file.name.as_str())
                        .filter(|rest| rest.starts_with(':'))
                        .map(|_| check::summary::Redefined {
                            permission: p.key.clone(),
                            label: p.label.clone(),
                            at: at.clone(),
                        })
                })
                .collect(),
        })
        .collect();
    let shipped_tenant = match (snapshot_path, fetched) {
        // Read again only from a regular file: a pipe or a device gives its bytes once.
        (Some(path), _) if std::fs::metadata(path).is_ok_and(|m| m.is_file()) => {
            snapshot::read(path, catalogs.shipped).ok()
        }
        (Some(_), _) => None,
        (None, Some((text, source))) => {
            snapshot::read_bytes(text.as_bytes(), source, catalogs.shipped).ok()
        }
        (None, None) => None,
    };
    let Some(shipped_tenant) = shipped_tenant.map(|l| l.tenant) else {
        return;
    };
    let Ok(library) = ruleset::load(rule_files, catalogs.shipped) else {
        return;
    };
    let Ok(shipped) = check::check(&shipped_tenant, &library, catalogs.shipped, selection) else {
        return;
    };
    let mut changed = Vec::new();
    for set in &outcome.sets {
        let Some(before) = shipped.sets.iter().find(|s| s.id == set.id) else {
            continue;
        };
        for e in &set.evaluations {
            if let Some(b) = before
                .evaluations
                .iter()
                .find(|b| b.requirement == e.requirement && b.subject == e.subject)
                && b.status != e.status
            {
                changed.push(check::summary::ChangedDecision {
                    set: set.id.clone(),
                    requirement: e.requirement.clone(),
                    subject: e.subject.clone(),
                    shipped: b.status,
                    overlaid: e.status,
                });
            }
        }
    }
    outcome.inputs.changed_by_overlays = changed;
    drop_in_background((shipped_tenant, shipped));
}

/// For the formats that place findings in the repository (SARIF, GitHub annotations, GitLab Code
/// Quality): a finding of a shipped set, whose rule file is no file of the user's repository, is
/// placed at that set's binding in the configuration file when it has one; else at the
/// configuration file's first line; else, when the snapshot is a file inside the repository, at
/// the subject's object in it (its first line for the tenant). Findings of sets read from the
/// user's own files keep their place in them.
fn anchor_in_repository(
    outcome: &mut check::Outcome,
    library: &Library,
    config: &Config,
    snapshot: Option<&Path>,
) -> Unplaced {
    let shipped = |set: &str| library.get(set).is_some_and(|s| s.builtin);
    let base = report::sarif::Base::current();
    let snapshot = snapshot
        .filter(|p| !crate::fsio::is_stdio(p) && p.is_file())
        .filter(|p| base.relative(&display(p)).is_ok());
    let mut unplaced = Unplaced {
        at: config
            .path
            .as_deref()
            .or(snapshot)
            .map(|p| crate::text::shown_owned(&display(p))),
        ..Unplaced::default()
    };
    let mut lines = None;
    for finding in outcome
        .findings
        .iter_mut()
        .filter(|f| shipped(&f.requirement_set))
    {
        let place = match (
            &config.path,
            config.binding_lines.get(&finding.requirement_set),
        ) {
            (Some(path), Some(&(line, column))) => Some((display(path), line, column)),
            (Some(path), None) => Some((display(path), 1, 1)),
            (None, _) => snapshot.map(|path| {
                let lines = lines.get_or_insert_with(|| snapshot::ObjectLines::read(path));
                let collection = match finding.subject.kind {
                    check::SubjectKind::Application => "applications",
                    check::SubjectKind::Agent => "agents",
                    check::SubjectKind::Team => "teams",
                    check::SubjectKind::Role => "roles",
                    check::SubjectKind::Tenant => "",
                };
                let line = lines.line(collection, &finding.subject.id).unwrap_or(1);
                (display(path), line, 1)
            }),
        };
        // A baseline binds to no application: in the configuration file or the snapshot, its
        // findings are where they can be; only an integration set can be bound more precisely.
        let baseline = library
            .get(&finding.requirement_set)
            .is_some_and(|s| s.kind == ruleset::SetKind::Baseline);
        let bound =
            config.path.is_some() && config.binding_lines.contains_key(&finding.requirement_set);
        let placed_baseline = baseline && place.is_some();
        if !(bound || placed_baseline) {
            unplaced.sets.insert(finding.requirement_set.clone());
        }
        if let Some((path, line, column)) = place {
            finding.rule_location = Some(ruleset::Location { path, line, column });
        }
    }
    unplaced
}

/// One report a run writes: its format and where it goes.
#[derive(Debug, Clone)]
pub struct ReportTarget<F> {
    pub format: F,
    pub output: Output,
}

impl<F> ReportTarget<F> {
    /// How to render this report: as the terminal asks on standard output; without colours and
    /// at 80 columns in a file, so a file does not depend on the terminal.
    fn style(&self, style: &Style) -> Style {
        match self.output {
            Output::Stdout => *style,
            Output::File(_) => Style {
                color: false,
                width: 80,
                ..*style
            },
        }
    }
}

/// True when the only report is `human` on standard output (the summary line is then in it).
fn human_on_stdout_only(targets: &[ReportTarget<Format>]) -> bool {
    matches!(targets, [only] if only.format == Format::Human && !only.output.is_file())
}

/// The name of a format, as `--format` takes it.
fn format_name<F: clap::ValueEnum>(format: &F) -> String {
    format
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

/// A path made absolute and cleaned of `.` and `..` without asking the file system, to tell
/// whether two outputs name the same file.
fn lexical(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let absolute = std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_owned());
    let mut clean = std::path::PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

/// The reports `--format` (repeatable, `FORMAT` or `FORMAT=PATH`) and `-o` ask for, in the order
/// given; `default` on standard output (or `-o`) when no `--format` is given.
///
/// # Errors
/// Usage errors (exit 2): two reports on standard output, a file named twice, `-o` with no plain
/// `--format` to apply to.
pub fn report_targets<F: clap::ValueEnum + Copy>(
    command: &'static str,
    formats: &[crate::cli::Target<F>],
    output: Option<&Path>,
    default: F,
) -> Result<Vec<ReportTarget<F>>, AppError> {
    let usage = |flag: &'static str, value: String, reason: String| AppError::Usage {
        command,
        flag,
        value,
        reason,
    };
    let plain: Vec<&crate::cli::Target<F>> = formats.iter().filter(|t| t.path.is_none()).collect();
    if let [first, second, ..] = plain[..] {
        let second = format_name(&second.format);
        return Err(usage(
            "--format",
            second.clone(),
            format!(
                "`--format {}` writes to standard output already; give this one a file: \
                 `--format {second}=PATH`",
                format_name(&first.format)
            ),
        ));
    }
    if plain.is_empty()
        && !formats.is_empty()
        && let Some(path) = output
    {
        return Err(usage(
            "-o",
            display(path),
            "every --format names its own file (FORMAT=PATH); -o is the file of a plain \
             `--format FORMAT`"
                .to_owned(),
        ));
    }
    let mut targets: Vec<ReportTarget<F>> = formats
        .iter()
        .map(|t| ReportTarget {
            format: t.format,
            output: match &t.path {
                Some(path) => Output::of(Some(path)),
                None => Output::of(output),
            },
        })
        .collect();
    if targets.is_empty() {
        targets.push(ReportTarget {
            format: default,
            output: Output::of(output),
        });
    }
    let on_stdout: Vec<&ReportTarget<F>> = targets.iter().filter(|t| !t.output.is_file()).collect();
    if let [first, second, ..] = on_stdout[..] {
        return Err(usage(
            "--format",
            format!("{}=-", format_name(&second.format)),
            format!(
                "the {} report goes to standard output already; give this one a file",
                format_name(&first.format)
            ),
        ));
    }
    let mut seen: Vec<(std::path::PathBuf, String)> = Vec::new();
    for target in &targets {
        if let Output::File(path) = &target.output {
            let key = lexical(path);
            let name = format_name(&target.format);
            if let Some((_, other)) = seen.iter().find(|(k, _)| *k == key) {
                return Err(usage(
                    "--format",
                    format!("{name}={}", display(path)),
                    format!(
                        "the {other} report is written to {} already; give each report a file \
                         of its own",
                        display(path)
                    ),
                ));
            }
            seen.push((key, name));
        }
    }
    Ok(targets)
}

/// Checks that every report file of `targets` can be written.
fn check_writable_targets<F>(targets: &[ReportTarget<F>]) -> Result<(), AppError> {
    for target in targets {
        if let Output::File(path) = &target.output {
            crate::fsio::check_writable(path)?;
        }
    }
    Ok(())
}

/// Refuses two outputs of a run naming the same file (`r.json` and `./r.json`), whether or not it
/// exists yet ([`refuse_clobbering`] compares the files that exist).
fn refuse_same_output(
    command: &'static str,
    outputs: &[(&'static str, Option<&Path>)],
) -> Result<(), AppError> {
    let files: Vec<(&'static str, &Path)> = outputs
        .iter()
        .filter_map(|(flag, path)| path.map(|p| (*flag, p)))
        .filter(|(_, p)| !crate::fsio::is_stdio(p))
        .collect();
    for (index, (flag, path)) in files.iter().enumerate() {
        if let Some((other, _)) = files[..index]
            .iter()
            .find(|(_, earlier)| lexical(earlier) == lexical(path))
        {
            return Err(AppError::Usage {
                command,
                flag,
                value: display(path),
                reason: format!(
                    "{other} writes to that file already; give each output a file of its own"
                ),
            });
        }
    }
    Ok(())
}

/// The report files of `targets` as outputs for [`refuse_clobbering`].
fn target_outputs<'a, F>(
    targets: &'a [ReportTarget<F>],
    output: Option<&'a Path>,
) -> Vec<(&'static str, Option<&'a Path>)> {
    let mut outputs: Vec<(&'static str, Option<&'a Path>)> = targets
        .iter()
        .filter_map(|t| match &t.output {
            Output::File(path) if Some(path.as_path()) != output => {
                Some(("--format", Some(path.as_path())))
            }
            _ => None,
        })
        .collect();
    outputs.push(("-o", output));
    outputs
}

/// `check --baseline`: renders the new findings (JSON: every finding with its baseline state),
/// lists the fixed ones, decides the exit code on the new ones, and rewrites the baseline when
/// asked (then every current finding is accepted and the run is judged against the new baseline).
fn check_against_baseline(
    args: &CheckArgs,
    path: &Path,
    outcome: &check::Outcome,
    anchored: Option<&check::Outcome>,
    context: &report::Context<'_>,
    targets: &[ReportTarget<Format>],
) -> Result<u8, AppError> {
    let baseline = match crate::ratchet::load(path) {
        Ok(b) => b,
        Err(crate::ratchet::BaselineError::Read { cause, .. })
            if args.update_baseline && cause.kind() == std::io::ErrorKind::NotFound =>
        {
            crate::ratchet::Baseline {
                path: path.to_owned(),
                ..crate::ratchet::Baseline::default()
            }
        }
        Err(e) => return Err(e.into()),
    };
    let current = context.tenant.provenance.instance.as_deref();
    if !args.allow_different_instances
        && crate::ratchet::different_instances(baseline.instance.as_deref(), current)
    {
        return Err(AppError::DifferentInstances {
            what: "the baseline and this snapshot",
            old: crate::text::shown_owned(&format!(
                "{} (baseline {})",
                baseline.instance.as_deref().unwrap_or_default(),
                display(path)
            )),
            new: crate::text::shown_owned(current.unwrap_or_default()),
        });
    }
    let mut ratchet = crate::ratchet::compare(&outcome.findings, &baseline);
    if args.update_baseline {
        // Write the baseline first, then judge the run against what was written: every current
        // finding is accepted, so none is new.
        let full = report::json::render(outcome, context);
        crate::fsio::write_atomic(path, full.as_bytes())?;
        report::ratchet::updated(
            &display(path),
            outcome.findings.len(),
            &ratchet,
            context.style,
        );
        ratchet.baselined = vec![true; outcome.findings.len()];
    }
    let new = ratchet.new_findings(outcome);
    let new_anchored = anchored.map(|a| ratchet.new_findings(a));
    for target in targets {
        let style = target.style(context.style);
        let context = &report::Context {
            style: &style,
            ..*context
        };
        let text = match target.format {
            Format::Json => report::json::render_with_baseline(outcome, context, &ratchet),
            Format::Human => {
                let mut text = report::without_colour_made_safe(
                    report::human::render_new(outcome, &new, context),
                    context.style,
                );
                text.push_str(&crate::text::shown_lines(&report::ratchet::human(
                    outcome,
                    &ratchet,
                    context.style,
                )));
                text
            }
            format => {
                let shown = match &new_anchored {
                    Some(copy) if places_in_repository(format) => copy,
                    _ => &new,
                };
                render_check(format, shown, context, args)
            }
        };
        report::emit(&text, &target.output)?;
    }
    if !context.style.quiet && !human_on_stdout_only(targets) {
        report::summary_line(&new, context.gate(), context.style);
    }
    Ok(report::verdict(&new, context.gate()).exit_code())
}

fn run_diff(args: &crate::cli::DiffArgs, catalog: &Catalog, style: &Style) -> Result<u8, AppError> {
    use crate::cli::DiffFormat;
    let targets = report_targets(
        "diff",
        &args.format,
        args.output.as_deref(),
        DiffFormat::Human,
    )?;
    refuse_clobbering(
        &target_outputs(&targets, args.output.as_deref()),
        &[("OLD", Some(&args.old)), ("NEW", Some(&args.new))],
    )?;
    check_writable_targets(&targets)?;
    if crate::fsio::is_stdio(&args.old) && crate::fsio::is_stdio(&args.new) {
        return Err(AppError::Usage {
            command: "diff",
            flag: "NEW",
            value: crate::fsio::STDIO.to_owned(),
            reason: "OLD is read from standard input already; give one of them as a file"
                .to_owned(),
        });
    }
    let old = snapshot::read(&args.old, catalog)?.tenant;
    // Standard input is spooled once: the SARIF and GitHub formats locate NEW's objects in the
    // same copy (a file is read again for that, by those formats only).
    let (new, new_stdin) = if crate::fsio::is_stdio(&args.new) {
        let spool = snapshot::Spooled::stdin()?;
        (snapshot::read_spooled(&spool, catalog)?.tenant, Some(spool))
    } else {
        (snapshot::read(&args.new, catalog)?.tenant, None)
    };
    let new_lines = || match &new_stdin {
        Some(spool) => snapshot::ObjectLines::spooled(spool),
        None => snapshot::ObjectLines::read(&args.new),
    };
    let (a, b) = (
        old.provenance.instance.as_deref(),
        new.provenance.instance.as_deref(),
    );
    if !args.allow_different_instances && crate::ratchet::different_instances(a, b) {
        return Err(AppError::DifferentInstances {
            what: "the two snapshots",
            old: crate::text::shown_owned(&format!(
                "{} ({})",
                a.unwrap_or_default(),
                display(&args.old)
            )),
            new: crate::text::shown_owned(&format!(
                "{} ({})",
                b.unwrap_or_default(),
                display(&args.new)
            )),
        });
    }
    let diff = crate::diff::diff(&old, &new, catalog);
    let paths = (input_name(&args.old), input_name(&args.new));
    let paths = (paths.0.as_str(), paths.1.as_str());
    let mut object_lines = None;
    for target in &targets {
        let style = target.style(style);
        let mut lines = || object_lines.get_or_insert_with(new_lines).clone();
        let text = match target.format {
            DiffFormat::Human => {
                report::without_colour_made_safe(report::diff::human(&diff, paths, &style), &style)
            }
            DiffFormat::Json => report::diff::json(&diff, paths),
            DiffFormat::Markdown => crate::text::shown_lines(&report::diff::markdown(&diff, paths)),
            DiffFormat::Sarif => report::diff::sarif::render_in(
                &diff,
                paths,
                &lines(),
                args.sarif_category.as_deref(),
            ),
            DiffFormat::Junit => crate::text::shown_lines(&report::diff::junit::render(
                &diff,
                paths,
                args.fail_on_drift,
            )),
            DiffFormat::Github => report::diff::github::render(&diff, paths, &lines()),
            DiffFormat::Html => crate::text::shown_lines(&report::diff::html::render(&diff, paths)),
        };
        report::emit(&text, &target.output)?;
    }
    Ok(if args.fail_on_drift && diff.is_drift() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

fn run_plan(
    args: &crate::cli::PlanArgs,
    catalog: &Catalog,
    style: &Style,
    config: &Config,
) -> Result<u8, AppError> {
    let sources = args.sources.with_config(config);
    let mut inputs: Vec<(&'static str, Option<&Path>)> = vec![
        ("--snapshot", args.snapshot.as_deref()),
        ("--config", config.path.as_deref()),
    ];
    inputs.extend(sources.rules.iter().map(|r| ("--rules", Some(r.as_path()))));
    refuse_clobbering(&[("-o", args.output.as_deref())], &inputs)?;
    let library = load_library(&sources, catalog)?;
    let tenant = match &args.snapshot {
        Some(path) => Some(snapshot::read(path, catalog)?.tenant),
        None => None,
    };
    // The configuration's bindings of the chosen sets apply, as they do for `check`.
    let selection = Selection {
        sets: args.sets.clone(),
        bindings: config
            .bindings
            .iter()
            .filter(|(set, _)| args.sets.contains(set))
            .map(|(set, apps)| (set.clone(), apps.clone()))
            .collect(),
        agents: config
            .agent_bindings
            .iter()
            .filter(|(set, _)| args.sets.contains(set))
            .map(|(set, agent)| (set.clone(), agent.clone()))
            .collect(),
        readiness: false,
    };
    let plan = crate::plan::plan(tenant.as_ref(), &library, catalog, &selection)?;
    let text = match args.format {
        // Plain text without colours of its own: made safe line by line.
        crate::cli::PlanFormat::Human => {
            crate::text::shown_lines(&report::plan::human(&plan, style))
        }
        crate::cli::PlanFormat::Markdown => {
            crate::text::shown_lines(&report::plan::markdown(&plan))
        }
        crate::cli::PlanFormat::Json => report::plan::json(&plan),
    };
    let output = Output::of(args.output.as_deref());
    report::emit(&text, &output)?;
    Ok(exit::OK)
}

/// Frees a large value on another thread so the command does not wait for it: freeing the millions
/// of nodes of a large tenant's snapshot takes about as long as parsing them. When the process
/// ends first, the operating system takes the memory back at once.
fn drop_in_background<T: Send + 'static>(value: T) {
    // When no thread can be started, the closure, and the value with it, is dropped right here.
    let _ = std::thread::Builder::new()
        .name("drop".to_owned())
        .spawn(move || drop(value));
}

fn run_rules(command: &RulesCommand, catalog: &Catalog, style: &Style) -> Result<u8, AppError> {
    match command {
        RulesCommand::List { sources } => {
            let library = load_library(sources, catalog)?;
            // Rule files are untrusted text, and these renderings have no colours of their own.
            report::emit(
                &crate::text::shown_lines(&report::rules::list(&library, style)),
                &Output::Stdout,
            )?;
            Ok(exit::OK)
        }
        RulesCommand::Show { id, sources } => {
            let library = load_library(sources, catalog)?;
            let set = library
                .get(id)
                .ok_or_else(|| AppError::UnknownSet { id: id.clone() })?;
            report::emit(
                &crate::text::fit_lines(
                    &crate::text::shown_lines(&report::rules::show(set, catalog)),
                    style.columns(),
                ),
                &Output::Stdout,
            )?;
            Ok(exit::OK)
        }
        RulesCommand::Validate { paths } => {
            if paths.iter().filter(|p| crate::fsio::is_stdio(p)).count() > 1 {
                return Err(AppError::Usage {
                    command: "rules validate",
                    flag: "PATH",
                    value: crate::fsio::STDIO.to_owned(),
                    reason:
                        "standard input can be read once; give `-` once and the other files by \
                             their paths"
                            .to_owned(),
                });
            }
            // Validated beside the shipped sets, as `check` loads them: a requirement id used by
            // a shipped set is a duplicate here too (a set of a shipped set's id replaces it).
            let mut files = ruleset::builtin_files();
            let mut own = files.len();
            if !paths.is_empty() {
                own = 0;
                for path in paths {
                    let read = ruleset::read_path(path)?;
                    own += read.len();
                    files.extend(read);
                }
            }
            let library = ruleset::load(&files, catalog)?;
            let sets: Vec<&ruleset::RuleSet> = library
                .sets
                .iter()
                .filter(|s| paths.is_empty() || !s.builtin)
                .collect();
            let requirements: usize = sets
                .iter()
                .map(|s| s.requirements.len() + s.policies.len())
                .sum();
            report::emit(
                &format!(
                    "ok: {own} files, {} sets, {requirements} requirements and policies\n",
                    sets.len()
                ),
                &Output::Stdout,
            )?;
            Ok(exit::OK)
        }
        RulesCommand::Schema => {
            report::emit(&ruleset::schema::rules_schema(), &Output::Stdout)?;
            Ok(exit::OK)
        }
        RulesCommand::Export { dir, force } => export_rules(dir, *force, style),
        RulesCommand::Sources(args) => {
            let library = load_library(&args.sources, catalog)?;
            let mut sets = Vec::new();
            for id in &args.sets {
                sets.push(
                    library
                        .get(id)
                        .ok_or_else(|| AppError::UnknownSet { id: id.clone() })?,
                );
            }
            if args.sets.is_empty() {
                sets.extend(library.sets.iter().filter(|s| !s.sources.is_empty()));
            }
            let options = crate::sources::Options {
                saved: args.saved.clone(),
                timeout: std::time::Duration::from_secs(args.timeout.max(1)),
                allow_http_loopback: args.allow_http_loopback,
                max_age_days: args.max_age,
                today: jiff::tz::Offset::UTC
                    .to_datetime(jiff::Timestamp::now())
                    .date(),
            };
            let result = crate::sources::check(&sets, &options);
            let text = match args.format {
                crate::cli::SourcesFormat::Human => crate::sources::render(&result, &options),
                crate::cli::SourcesFormat::Json => {
                    let mut t = serde_json::to_string_pretty(&result)
                        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
                    t.push('\n');
                    t
                }
            };
            report::emit(&text, &Output::Stdout)?;
            Ok(if result.nothing_read() {
                exit::UNAVAILABLE
            } else if result.drifted() > 0 {
                exit::FINDINGS
            } else {
                exit::OK
            })
        }
    }
}

/// `rules export DIR`: the shipped sets and their schema, written into DIR; nothing is written
/// when a file exists already, unless `force`.
fn export_rules(dir: &Path, force: bool, style: &Style) -> Result<u8, AppError> {
    let mut files = ruleset::exported_files();
    let set_count = files.len();
    files.push((
        ruleset::EXPORTED_SCHEMA.to_owned(),
        ruleset::schema::rules_schema(),
    ));
    if !force {
        let existing: Vec<String> = files
            .iter()
            .filter(|(name, _)| dir.join(name).symlink_metadata().is_ok())
            .map(|(name, _)| name.clone())
            .collect();
        if !existing.is_empty() {
            let mut names = existing
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if existing.len() > 3 {
                names.push_str(&format!(" and {} more", existing.len() - 3));
            }
            return Err(AppError::ExportExists {
                dir: display(dir),
                names,
            });
        }
    }
    std::fs::create_dir_all(dir).map_err(|cause| crate::fsio::WriteError {
        path: dir.to_owned(),
        cause,
    })?;
    // Every file is checked before the first is written.
    for (name, _) in &files {
        crate::fsio::check_in_dir(dir, name)?;
    }
    for (name, text) in &files {
        crate::fsio::write_in_dir(dir, name, text.as_bytes())?;
    }
    if !style.quiet {
        report::status(&format!(
            "wrote {set_count} requirement sets and {} to {}; audit with them: \
             halo-audit check --no-default-rules --rules {}\n",
            ruleset::EXPORTED_SCHEMA,
            dir.display(),
            dir.display()
        ));
    }
    Ok(exit::OK)
}

/// An input's name in reports: `<stdin>` for `-`.
fn input_name(path: &Path) -> String {
    if crate::fsio::is_stdio(path) {
        snapshot::STDIN_NAME.to_owned()
    } else {
        display(path)
    }
}

/// Reads a path's display name for messages.
#[must_use]
pub fn display(path: &Path) -> String {
    path.display().to_string()
}
