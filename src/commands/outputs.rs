//! What the commands write alike: the reports `--format` and `-o` ask for, checked before any
//! work, and the refusal of an output that would replace an input or another output.

use std::path::Path;

use crate::report::{Output, Style};

use super::AppError;
use super::inputs::display;

/// Refuses, before any work, an output that is the same file as an input of the run (or as
/// another output).
pub(crate) fn refuse_clobbering(
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

/// One report a run writes: its format and where it goes.
#[derive(Debug, Clone)]
pub struct ReportTarget<F> {
    pub format: F,
    pub output: Output,
}

impl<F> ReportTarget<F> {
    /// How to render this report: as the terminal asks on standard output; without colours and
    /// at 80 columns in a file, so a file does not depend on the terminal.
    pub(crate) fn style(&self, style: &Style) -> Style {
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

/// The name of a format, as `--format` takes it.
pub(crate) fn format_name<F: clap::ValueEnum>(format: &F) -> String {
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
pub(crate) fn check_writable_targets<F>(targets: &[ReportTarget<F>]) -> Result<(), AppError> {
    for target in targets {
        if let Output::File(path) = &target.output {
            crate::fsio::check_writable(path)?;
        }
    }
    Ok(())
}

/// Refuses two outputs of a run naming the same file (`r.json` and `./r.json`), whether or not it
/// exists yet ([`refuse_clobbering`] compares the files that exist).
pub(crate) fn refuse_same_output(
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
pub(crate) fn target_outputs<'a, F>(
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
