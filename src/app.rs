//! Dispatch: turns a parsed command line into work, and outcomes into exit codes.
//!
//! Owns: the order of operations of each command and the mapping of errors to exit codes
//! (0 clean, 1 findings at or above `--fail-on`, 2 usage / invalid input, 3 the audit could not run).
//! It writes nothing itself: reports go through `report`, diagnostics are returned to `main`.

use std::path::Path;

use crate::catalog::Catalog;
use crate::check::Selection;
use crate::cli::{Cli, Command, RulesCommand, SnapshotCommand};
use crate::config::Config;
use crate::diag::Code;
use crate::report::{self, Output, Style};
use crate::ruleset::{self, RuleFile};
use crate::snapshot;

pub use crate::commands::AppError;
pub use crate::commands::connect::connection;
pub use crate::commands::inputs::{display, load_library};
use crate::commands::inputs::{input_name, load_config};
pub use crate::commands::outputs::{ReportTarget, report_targets};
use crate::commands::outputs::{check_writable_targets, refuse_clobbering, target_outputs};
pub use crate::verdict::{exit, failing};

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
            crate::commands::check::run(
                args,
                crate::commands::check::Catalogs {
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
    // Standard input is read once: the SARIF and GitHub formats locate NEW's objects in the same
    // bytes (a file is read again for that, by those formats only).
    let (new, new_stdin) = if crate::fsio::is_stdio(&args.new) {
        let bytes = snapshot::read_stdin()?;
        let new = snapshot::read_bytes(&bytes, Path::new(snapshot::STDIN_NAME), catalog)?;
        (new.tenant, Some(bytes))
    } else {
        (snapshot::read(&args.new, catalog)?.tenant, None)
    };
    let new_lines = || match &new_stdin {
        Some(bytes) => snapshot::ObjectLines::scan(&String::from_utf8_lossy(bytes)),
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
