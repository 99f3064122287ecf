//! `check --baseline`: the run judged on the findings the baseline does not hold.

use std::path::Path;

use crate::check;
use crate::cli::{CheckArgs, Format};
use crate::report;

use super::{human_on_stdout_only, places_in_repository, render_check};
use crate::commands::AppError;
use crate::commands::inputs::display;
use crate::commands::outputs::ReportTarget;

/// `check --baseline`: renders the new findings (JSON: every finding with its baseline state),
/// lists the fixed ones, decides the exit code on the new ones, and rewrites the baseline when
/// asked (then every current finding is accepted and the run is judged against the new baseline).
pub(super) fn check_against_baseline(
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
