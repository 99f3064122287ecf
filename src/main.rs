//! The `halo-audit` binary: parse arguments, run, render errors, exit with the documented code.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use halo_audit::color;

fn main() -> ExitCode {
    // clap's help and usage errors are coloured as everything else is.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let clap_color = if color::enabled(color::choice_in_args(&args), color::Stream::Stderr) {
        clap::ColorChoice::Always
    } else {
        clap::ColorChoice::Never
    };
    let parsed = halo_audit::cli::Cli::command()
        .color(clap_color)
        .try_get_matches_from(&args)
        .and_then(|matches| halo_audit::cli::Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                halo_audit::app::exit::INVALID
            } else {
                halo_audit::app::exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let color = color::enabled(cli.color, color::Stream::Stderr);
    match halo_audit::app::run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let code = error.exit_code();
            let mut text = halo_audit::report::diagnostic_text(&error, color);
            // A diagnostic quotes untrusted files (rule files, the configuration): without
            // colours of its own (a CI log), it is made safe line by line.
            if !color {
                text = halo_audit::text::shown_lines(&text);
            }
            // A closed or full standard error loses the message, never the exit code.
            let _ = writeln!(std::io::stderr(), "{}", text.trim_end());
            ExitCode::from(code)
        }
    }
}
