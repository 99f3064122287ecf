//! The reports a `check` run writes, checked before any work.

use std::path::Path;

use crate::cli::{CheckArgs, Format, RuleSources};
use crate::config::Config;
use crate::report::{self, Style};

use crate::commands::AppError;
use crate::commands::outputs::{
    ReportTarget, check_writable_targets, format_name, refuse_clobbering, refuse_same_output,
    report_targets, target_outputs,
};

/// The reports of the run, checked before any work: no output replaces an input or another
/// output, every report file can be written, and a flag of a format not written is warned of.
pub(super) fn targets(
    args: &CheckArgs,
    sources: &RuleSources,
    style: &Style,
    config: &Config,
) -> Result<Vec<ReportTarget<Format>>, AppError> {
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
    Ok(targets)
}
