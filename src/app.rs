//! Dispatch: turns a parsed command line into work, and outcomes into exit codes.
//!
//! Owns: the set-up every command shares (the output style, the catalog with its overlays) and
//! the choice of the command to run. Each command's run is in `commands` (a module per command;
//! the errors and their exit codes in `commands::error`, what the commands read and write alike
//! in `commands::inputs` and `commands::outputs`). It writes nothing itself: reports go through
//! `report`, diagnostics are returned to `main`.

use crate::catalog::Catalog;
use crate::cli::{Cli, Command, SnapshotCommand};
use crate::commands::{self, inputs::load_config};
use crate::report::{self, Style};
use crate::ruleset::{self, RuleFile};

pub use crate::commands::AppError;
pub use crate::commands::connect::connection;
pub use crate::commands::inputs::{display, load_library};
pub use crate::commands::outputs::{ReportTarget, report_targets};
pub use crate::verdict::{exit, failing};

/// Runs a command; returns the exit code of a command that ran.
///
/// # Errors
/// Any [`AppError`]; `main` renders it and exits with [`AppError::exit_code`].
pub fn run(cli: &Cli) -> Result<u8, AppError> {
    let style = style(cli);
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
        Command::Fetch(args) => commands::fetch::run(args, cli, catalog, &style),
        Command::Check(args) => {
            let config = load_config(cli, &style)?;
            let catalogs = commands::check::Catalogs {
                catalog,
                shipped: builtin,
                overlays: &overlay_files,
            };
            commands::check::run(args, catalogs, &style, &config)
        }
        Command::Init(args) => commands::init::run(args, catalog),
        Command::SelfCheck(args) => commands::self_check::run(args, cli, catalog, &style),
        Command::Snapshot(SnapshotCommand::Show { file }) => {
            commands::snapshot::show(file, catalog, &style)
        }
        Command::Rules(command) => commands::rules::run(command, catalog, &style),
        Command::Diff(args) => commands::diff::run(args, catalog, &style),
        Command::Plan(args) => {
            let config = load_config(cli, &style)?;
            commands::plan::run(args, catalog, &style, &config)
        }
        Command::Completions { shell } => commands::completions::completions(*shell),
        Command::Man { dir } => commands::completions::man(dir.as_ref(), &style),
        Command::Explain { code } => commands::explain::run(code.as_ref(), &style),
    }
}

/// How the run writes to the terminal: colours (`--color`, the variables), `-v`, `-q` and the
/// terminal's width.
fn style(cli: &Cli) -> Style {
    Style {
        color: crate::color::enabled(cli.color, crate::color::Stream::Stdout),
        verbose: cli.verbose,
        quiet: cli.quiet,
        width: report::terminal_width(),
    }
}
