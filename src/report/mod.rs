//! Reporters: one file per output format, all fed by the same [`Outcome`].
//!
//! Owns: everything written to standard output, and report files (atomically). Nothing else in the
//! crate prints. Reporters never change findings; they only render them.

pub mod diff;
pub mod explain;
pub mod human;
pub mod json;
pub mod plan;
pub mod ratchet;
pub mod rules;
pub mod snapshot;

use std::io::Write;
use std::path::PathBuf;

use crate::catalog::Catalog;
use crate::check::Outcome;
use crate::cli::{FailOn, Format};
use crate::ruleset::Library;
use crate::tenant::Tenant;

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    pub verbose: u8,
    pub quiet: bool,
}

/// What a reporter may consult besides the outcome.
#[derive(Debug)]
pub struct Context<'a> {
    pub tenant: &'a Tenant,
    pub library: &'a Library,
    pub catalog: &'a Catalog,
    pub style: &'a Style,
    pub fail_on: FailOn,
}

/// Where a report goes.
#[derive(Debug, Clone)]
pub enum Output {
    Stdout,
    File(PathBuf),
}

/// Renders an outcome in a format.
#[must_use]
pub fn render(format: Format, outcome: &Outcome, context: &Context<'_>) -> String {
    match format {
        Format::Human => human::render(outcome, context),
        Format::Json => json::render(outcome, context),
    }
}

/// Writes a report to its destination. A closed stdout (e.g. `| head`) is not an error.
///
/// # Errors
/// When a report file cannot be written (the previous file is left untouched).
pub fn emit(text: &str, output: &Output) -> Result<(), crate::fsio::WriteError> {
    match output {
        Output::Stdout => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(crate::fsio::WriteError {
                        path: PathBuf::from("<stdout>"),
                        source: e,
                    })
                }
                _ => Ok(()),
            }
        }
        Output::File(path) => crate::fsio::write_atomic(path, text.as_bytes()),
    }
}

/// One line on stderr summarising the outcome (for machine formats and `-o`).
pub fn summary_line(outcome: &Outcome, fail_on: FailOn, failing: usize, style: &Style) {
    let line = summary_text(outcome, fail_on, failing);
    let line = if style.color {
        format!("\u{1b}[1m{line}\u{1b}[0m")
    } else {
        line
    };
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// "halo-audit: 3 errors, 5 warnings, 2 notes (1 unverifiable): failed (--fail-on error)".
#[must_use]
pub fn summary_text(outcome: &Outcome, fail_on: FailOn, failing: usize) -> String {
    use crate::diag::Severity;
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("1 {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    let verdict = match fail_on {
        FailOn::Never => "not gating (--fail-on never)".to_owned(),
        _ if failing > 0 => format!("failed (--fail-on {})", fail_name(fail_on)),
        _ => format!("passed (--fail-on {})", fail_name(fail_on)),
    };
    format!(
        "halo-audit: {}, {}, {} ({} unverifiable): {verdict}",
        plural(outcome.count(Severity::Error), "error"),
        plural(outcome.count(Severity::Warning), "warning"),
        plural(outcome.count(Severity::Note), "note"),
        outcome.unverifiable(),
    )
}

fn fail_name(fail_on: FailOn) -> &'static str {
    match fail_on {
        FailOn::Error => "error",
        FailOn::Warning => "warning",
        FailOn::Note => "note",
        FailOn::Never => "never",
    }
}
