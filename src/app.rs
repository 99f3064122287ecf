//! Dispatch: turns a parsed command line into work, and outcomes into exit codes.
//!
//! Owns: the order of operations of each command and the mapping of errors to exit codes
//! (0 clean, 1 findings at or above `--fail-on`, 2 usage / invalid input, 3 the audit could not run).
//! It writes nothing itself: reports go through `report`, diagnostics are returned to `main`.

use std::path::Path;

use crate::catalog::Catalog;
use crate::check::{self, Selection};
use crate::cli::{
    CheckArgs, Cli, ColorChoice, Command, FailOn, RuleSources, RulesCommand, SnapshotCommand,
};
use crate::diag::{Code, Severity};
use crate::report::{self, Output, Style};
use crate::ruleset::{self, Library, RuleFile};
use crate::snapshot;

/// Exit codes (docs/cli.md).
pub mod exit {
    /// Nothing at or above `--fail-on`.
    pub const OK: u8 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// Usage error, invalid rules, configuration or snapshot.
    pub const INVALID: u8 = 2;
    /// The audit could not run (network, authentication, API).
    pub const UNAVAILABLE: u8 = 3;
}

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
    Baseline(#[from] crate::ratchet::BaselineError),
    #[error("unknown finding code `{code}`")]
    #[diagnostic(code(halo_audit::explain::unknown), help("{help}"))]
    UnknownCode { code: String, help: String },
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
        color: match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::IsTerminal::is_terminal(&std::io::stdout())
            }
        },
        verbose: cli.verbose,
        quiet: cli.quiet,
    };
    let catalog = Catalog::builtin()?;
    match &cli.command {
        Command::Check(args) => run_check(args, catalog, &style),
        Command::Snapshot(SnapshotCommand::Show { file }) => {
            let snap = snapshot::load(file)?;
            let tenant = snapshot::normalise(&snap, catalog, file)?;
            report::emit(
                &report::snapshot::render(&snap, &tenant, &style),
                &Output::Stdout,
            )?;
            Ok(exit::OK)
        }
        Command::Rules(command) => run_rules(command, catalog, &style),
        Command::Diff(args) => run_diff(args, catalog, &style),
        Command::Plan(args) => run_plan(args, catalog, &style),
        Command::Explain { code } => {
            let text = match code {
                None => report::explain::list(),
                Some(name) => match Code::from_name(name) {
                    Some(code) => code.markdown(),
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
    let mut files: Vec<RuleFile> = if sources.no_default_rules {
        Vec::new()
    } else {
        ruleset::builtin_files()
    };
    for path in &sources.rules {
        files.extend(ruleset::read_path(path)?);
    }
    Ok(ruleset::load(&files, catalog)?)
}

fn run_check(args: &CheckArgs, catalog: &Catalog, style: &Style) -> Result<u8, AppError> {
    let library = load_library(&args.sources, catalog)?;
    let snap = snapshot::load(&args.snapshot)?;
    let tenant = snapshot::normalise(&snap, catalog, &args.snapshot)?;
    let selection = Selection {
        sets: args.sets.clone(),
        ..Selection::default()
    };
    let outcome = check::check(&tenant, &library, catalog, &selection)?;
    let context = report::Context {
        tenant: &tenant,
        library: &library,
        catalog,
        style,
        fail_on: args.fail_on,
    };
    if let Some(path) = &args.baseline {
        return check_against_baseline(args, path, &outcome, &context);
    }
    let text = report::render(args.format, &outcome, &context);
    let output = args
        .output
        .as_deref()
        .map_or(Output::Stdout, |p| Output::File(p.to_owned()));
    report::emit(&text, &output)?;
    let failing = failing(&outcome, args.fail_on);
    if !style.quiet && (args.format != crate::cli::Format::Human || args.output.is_some()) {
        report::summary_line(&outcome, args.fail_on, failing, style);
    }
    Ok(if failing > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// `check --baseline`: renders the new findings (JSON: every finding with its baseline state),
/// lists the fixed ones, decides the exit code on the new ones, and rewrites the baseline when
/// asked (then every current finding is accepted and the findings do not fail the run).
fn check_against_baseline(
    args: &CheckArgs,
    path: &Path,
    outcome: &check::Outcome,
    context: &report::Context<'_>,
) -> Result<u8, AppError> {
    let baseline = match crate::ratchet::load(path) {
        Ok(b) => b,
        Err(crate::ratchet::BaselineError::Read { source, .. })
            if args.update_baseline && source.kind() == std::io::ErrorKind::NotFound =>
        {
            crate::ratchet::Baseline {
                path: path.to_owned(),
                entries: Vec::new(),
            }
        }
        Err(e) => return Err(e.into()),
    };
    let ratchet = crate::ratchet::compare(&outcome.findings, &baseline);
    let new = ratchet.new_findings(outcome);
    let text = match args.format {
        crate::cli::Format::Json => report::json::render_with_baseline(outcome, context, &ratchet),
        crate::cli::Format::Human => {
            let mut text = report::human::render_new(outcome, &new, context);
            text.push_str(&report::ratchet::human(outcome, &ratchet, context.style));
            text
        }
        #[allow(unreachable_patterns)]
        format => report::render(format, &new, context),
    };
    let output = args
        .output
        .as_deref()
        .map_or(Output::Stdout, |p| Output::File(p.to_owned()));
    report::emit(&text, &output)?;
    if args.update_baseline {
        let full = report::json::render(outcome, context);
        crate::fsio::write_atomic(path, full.as_bytes())?;
        report::ratchet::updated(
            &display(path),
            outcome.findings.len(),
            &ratchet,
            context.style,
        );
        return Ok(exit::OK);
    }
    let failing = failing(&new, args.fail_on);
    if !context.style.quiet && (args.format != crate::cli::Format::Human || args.output.is_some()) {
        report::summary_line(&new, args.fail_on, failing, context.style);
    }
    Ok(if failing > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

fn run_diff(args: &crate::cli::DiffArgs, catalog: &Catalog, style: &Style) -> Result<u8, AppError> {
    let old = snapshot::normalise(&snapshot::load(&args.old)?, catalog, &args.old)?;
    let new = snapshot::normalise(&snapshot::load(&args.new)?, catalog, &args.new)?;
    let diff = crate::diff::diff(&old, &new, catalog);
    let paths = (display(&args.old), display(&args.new));
    let paths = (paths.0.as_str(), paths.1.as_str());
    let text = match args.format {
        crate::cli::DiffFormat::Human => report::diff::human(&diff, paths, style),
        crate::cli::DiffFormat::Json => report::diff::json(&diff, paths),
        crate::cli::DiffFormat::Markdown => report::diff::markdown(&diff, paths),
    };
    let output = args
        .output
        .as_deref()
        .map_or(Output::Stdout, |p| Output::File(p.to_owned()));
    report::emit(&text, &output)?;
    Ok(if args.fail_on_drift && diff.is_drift() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

fn run_plan(args: &crate::cli::PlanArgs, catalog: &Catalog, style: &Style) -> Result<u8, AppError> {
    let library = load_library(&args.sources, catalog)?;
    let tenant = match &args.snapshot {
        Some(path) => Some(snapshot::normalise(&snapshot::load(path)?, catalog, path)?),
        None => None,
    };
    let selection = Selection {
        sets: args.sets.clone(),
        ..Selection::default()
    };
    let plan = crate::plan::plan(tenant.as_ref(), &library, catalog, &selection)?;
    let text = match args.format {
        crate::cli::PlanFormat::Human => report::plan::human(&plan, style),
        crate::cli::PlanFormat::Markdown => report::plan::markdown(&plan),
        crate::cli::PlanFormat::Json => report::plan::json(&plan),
    };
    let output = args
        .output
        .as_deref()
        .map_or(Output::Stdout, |p| Output::File(p.to_owned()));
    report::emit(&text, &output)?;
    Ok(exit::OK)
}

/// Number of findings at or above the threshold.
#[must_use]
pub fn failing(outcome: &check::Outcome, fail_on: FailOn) -> usize {
    let threshold = match fail_on {
        FailOn::Never => return 0,
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Note => Severity::Note,
    };
    outcome
        .findings
        .iter()
        .filter(|f| f.severity >= threshold)
        .count()
}

fn run_rules(command: &RulesCommand, catalog: &Catalog, style: &Style) -> Result<u8, AppError> {
    match command {
        RulesCommand::List { sources } => {
            let library = load_library(sources, catalog)?;
            report::emit(&report::rules::list(&library, style), &Output::Stdout)?;
            Ok(exit::OK)
        }
        RulesCommand::Show { id, sources } => {
            let library = load_library(sources, catalog)?;
            let set = library
                .get(id)
                .ok_or_else(|| AppError::UnknownSet { id: id.clone() })?;
            report::emit(&report::rules::show(set, catalog), &Output::Stdout)?;
            Ok(exit::OK)
        }
        RulesCommand::Validate { paths } => {
            let files = if paths.is_empty() {
                ruleset::builtin_files()
            } else {
                let mut files = Vec::new();
                for path in paths {
                    files.extend(ruleset::read_path(path)?);
                }
                files
            };
            let library = ruleset::load(&files, catalog)?;
            let requirements: usize = library
                .sets
                .iter()
                .map(|s| s.requirements.len() + s.policies.len())
                .sum();
            report::emit(
                &format!(
                    "ok: {} files, {} sets, {requirements} requirements and policies\n",
                    files.len(),
                    library.sets.len()
                ),
                &Output::Stdout,
            )?;
            Ok(exit::OK)
        }
        RulesCommand::Schema => {
            report::emit(&ruleset::schema::rules_schema(), &Output::Stdout)?;
            Ok(exit::OK)
        }
    }
}

/// Reads a path's display name for messages.
#[must_use]
pub fn display(path: &Path) -> String {
    path.display().to_string()
}
