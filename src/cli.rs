//! Command-line interface (clap). Parsing only: no behaviour lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Check a tenant against requirement sets.
    Check(CheckArgs),
    /// Inspect snapshot files.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
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
        code: Option<String>,
    },
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with rule-file snippets, then a summary table per set.
    Human,
    /// The versioned JSON report (docs/json-report.md).
    Json,
}

/// Threshold for a failing exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
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

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The snapshot to check (written by `halo-audit fetch`).
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    #[command(flatten)]
    pub sources: RuleSources,
    /// Check only this set (plus the baseline); a set asked for that matches no application is a
    /// `binding-not-found` error. Repeatable. Without it, every set whose binding matches runs.
    #[arg(long = "set", value_name = "ID")]
    pub sets: Vec<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with 1 when a finding at or above this severity remains.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// A previous JSON report: only findings not in it count towards `--fail-on` (matched by
    /// fingerprint, not wording); findings it holds that are gone are listed as fixed.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// Rewrite the `--baseline` file (atomically) with this run's JSON report, accepting every
    /// current finding; the file is created when it does not exist.
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
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
    /// Report format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with 1 when anything changed (cosmetic fields such as last login never count).
    #[arg(long)]
    pub fail_on_drift: bool,
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
    #[arg(long = "set", value_name = "ID", required = true)]
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
        id: String,
        #[command(flatten)]
        sources: RuleSources,
    },
    /// Validate rule files; without PATH, the shipped sets.
    Validate {
        /// Rule files or directories.
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema (draft-07) of rule files.
    Schema,
}
