//! The `halo-audit` binary: parse arguments, run, render errors, exit with the documented code.

// The binary is where errors are printed.
#![allow(clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match halo_audit::cli::Cli::try_parse() {
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
    let color = match cli.color {
        halo_audit::cli::ColorChoice::Always => true,
        halo_audit::cli::ColorChoice::Never => false,
        halo_audit::cli::ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::IsTerminal::is_terminal(&std::io::stderr())
        }
    };
    match halo_audit::app::run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let code = error.exit_code();
            let handler = if color {
                miette::GraphicalReportHandler::new()
            } else {
                miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            };
            let mut text = String::new();
            if handler.render_report(&mut text, &error).is_err() {
                text = format!("error: {error}");
            }
            // A diagnostic quotes untrusted files (rule files, the configuration): without
            // colours of its own (a CI log), it is made safe line by line.
            if !color {
                text = halo_audit::text::shown_lines(&text);
            }
            eprintln!("{}", text.trim_end());
            ExitCode::from(code)
        }
    }
}
