//! `gen-tenant`: writes a generated HaloPSA tenant as a halo-audit snapshot file.
//!
//! Owns argument parsing (by hand, no extra crates) and writing the output, atomically when it is a
//! file. The tenants themselves come from `halo_sim::generate`.

use std::ffi::OsString;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use halo_sim::{SyntheticSpec, demo, synthetic, write_rendered};
use serde_json::Value;

const USAGE: &str = "\
Usage:
  gen-tenant demo [-o FILE]
  gen-tenant synthetic --agents N --teams N --roles N --applications N [--seed S] [-o FILE]

Writes a deterministic HaloPSA tenant as a halo-audit snapshot (format v1).
  -o, --output FILE   where to write it; `-` or no -o writes to stdout.
  --seed S            seed of a synthetic tenant (default 1).";

enum Command {
    Help,
    Demo {
        output: Option<PathBuf>,
    },
    Synthetic {
        spec: SyntheticSpec,
        output: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen-tenant: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[OsString]) -> Result<(), String> {
    let (document, output) = match parse(args)? {
        Command::Help => {
            let mut out = io::stdout().lock();
            return writeln!(out, "{USAGE}").map_err(|e| format!("cannot write to stdout: {e}"));
        }
        Command::Demo { output } => (demo(), output),
        Command::Synthetic { spec, output } => (synthetic(&spec), output),
    };
    let result = match &output {
        None => write_rendered(&document, BufWriter::new(io::stdout().lock()))
            .map_err(|e| format!("cannot write to stdout: {e}")),
        Some(path) => write_atomically(path, &document),
    };
    // The process ends here: skip freeing a tree that can hold millions of values.
    std::mem::forget(document);
    result
}

fn parse(args: &[OsString]) -> Result<Command, String> {
    let mut words = Vec::with_capacity(args.len());
    for arg in args {
        let word = arg
            .to_str()
            .ok_or_else(|| format!("argument is not valid UTF-8: {}", arg.to_string_lossy()))?;
        // Accept `--flag=value` as well as `--flag value`.
        match word.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                words.push(flag.to_owned());
                words.push(value.to_owned());
            }
            _ => words.push(word.to_owned()),
        }
    }
    let mut words = words.into_iter();
    let command = match words.next() {
        None => return Err(format!("missing command\n\n{USAGE}")),
        Some(w) if w == "-h" || w == "--help" || w == "help" => return Ok(Command::Help),
        Some(w) => w,
    };

    let mut output: Option<PathBuf> = None;
    let mut agents = None;
    let mut teams = None;
    let mut roles = None;
    let mut applications = None;
    let mut seed: u64 = 1;
    while let Some(flag) = words.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        let mut value = || {
            words
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))
        };
        match (command.as_str(), flag.as_str()) {
            (_, "-o" | "--output") => {
                let v = value()?;
                output = if v == "-" {
                    None
                } else {
                    Some(PathBuf::from(v))
                };
            }
            ("synthetic", "--agents") => agents = Some(number(&flag, &value()?)?),
            ("synthetic", "--teams") => teams = Some(number(&flag, &value()?)?),
            ("synthetic", "--roles") => roles = Some(number(&flag, &value()?)?),
            ("synthetic", "--applications") => applications = Some(number(&flag, &value()?)?),
            ("synthetic", "--seed") => {
                let v = value()?;
                seed = v
                    .parse()
                    .map_err(|_| format!("--seed wants a non-negative integer, got `{v}`"))?;
            }
            _ => return Err(format!("unexpected argument `{flag}`\n\n{USAGE}")),
        }
    }

    match command.as_str() {
        "demo" => Ok(Command::Demo { output }),
        "synthetic" => {
            let need = |v: Option<u64>, flag: &str| {
                v.ok_or_else(|| format!("synthetic needs {flag} N\n\n{USAGE}"))
                    .and_then(|n| {
                        usize::try_from(n).map_err(|_| format!("{flag} {n} is too large"))
                    })
            };
            let spec = SyntheticSpec {
                agents: need(agents, "--agents")?,
                teams: need(teams, "--teams")?,
                roles: need(roles, "--roles")?,
                applications: need(applications, "--applications")?,
                seed,
            };
            Ok(Command::Synthetic { spec, output })
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}

fn number(flag: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} wants a non-negative integer, got `{value}`"))
}

/// Writes to a temporary file beside `path`, flushes it to disk, then renames it over `path`.
fn write_atomically(path: &Path, document: &Value) -> Result<(), String> {
    let file_name = path
        .file_name()
        .ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp_name = OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = dir.join(temp_name);

    let written = fs::File::create(&temp).and_then(|file| {
        let mut out = BufWriter::new(file);
        write_rendered(document, &mut out)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()
    });
    let result = written.and_then(|()| fs::rename(&temp, path));
    if let Err(e) = result {
        // Best effort: the temporary file may not exist.
        let _ = fs::remove_file(&temp);
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    Ok(())
}
