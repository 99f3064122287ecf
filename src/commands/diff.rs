//! `diff OLD NEW`: what changed between two snapshots, in every report format of `diff`.

use crate::catalog::Catalog;
use crate::report::{self, Style};
use crate::snapshot;

use super::AppError;
use super::inputs::{display, input_name};
use super::outputs::{check_writable_targets, refuse_clobbering, report_targets, target_outputs};

/// Runs `diff`; exit 1 on drift with `--fail-on-drift`.
///
/// # Errors
/// Unusable outputs, unreadable snapshots, snapshots of two instances, a failed write.
pub fn run(args: &crate::cli::DiffArgs, catalog: &Catalog, style: &Style) -> Result<u8, AppError> {
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
    Ok(report::diff::exit_code(&diff, args.fail_on_drift))
}
