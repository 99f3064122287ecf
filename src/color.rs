//! Whether to colour: the one place that reads `--color` and the colour variables.
//!
//! Owns: the decision, for standard output or standard error, from `--color`, `NO_COLOR`,
//! `CLICOLOR_FORCE`, `FORCE_COLOR`, `CLICOLOR`, `TERM=dumb` and whether the stream is a terminal.
//! It writes nothing. `main` gives clap the same answer for its help and usage errors.

use std::io::IsTerminal;

use crate::cli::ColorChoice;

/// The stream a decision is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Whether to colour `stream`, reading the process environment.
#[must_use]
pub fn enabled(choice: ColorChoice, stream: Stream) -> bool {
    let terminal = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    decide(choice, terminal, |name| std::env::var(name).ok())
}

/// The decision, from `--color`, whether the stream is a terminal and an environment lookup:
/// - `--color always` / `never` decide alone;
/// - `auto`: `NO_COLOR` (non-empty) turns colour off; else `CLICOLOR_FORCE` or `FORCE_COLOR`
///   (non-empty, not `0`; `FORCE_COLOR=false` counts as `0`) turns it on, terminal or not; else
///   `CLICOLOR=0` or `TERM=dumb` turns it off; else a terminal is coloured.
#[must_use]
pub fn decide(choice: ColorChoice, terminal: bool, var: impl Fn(&str) -> Option<String>) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    let on = |name: &str| var(name).is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if set("NO_COLOR") {
                false
            } else if on("CLICOLOR_FORCE") || on("FORCE_COLOR") {
                true
            } else if var("CLICOLOR").as_deref() == Some("0")
                || var("TERM").as_deref() == Some("dumb")
            {
                false
            } else {
                terminal
            }
        }
    }
}

/// `--color` as written among raw arguments (`--color WHEN`, `--color=WHEN`), for clap's own help
/// and errors, decided before the arguments are parsed; `auto` when absent or unreadable.
#[must_use]
pub fn choice_in_args(args: &[std::ffi::OsString]) -> ColorChoice {
    let mut choice = ColorChoice::Auto;
    let mut iter = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        let value = if arg == "--color" {
            iter.next().map(|v| v.into_owned())
        } else {
            arg.strip_prefix("--color=").map(str::to_owned)
        };
        match value.as_deref() {
            Some("always") => choice = ColorChoice::Always,
            Some("never") => choice = ColorChoice::Never,
            Some("auto") => choice = ColorChoice::Auto,
            _ => {}
        }
    }
    choice
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn auto_follows_the_variables_then_the_terminal() {
        let auto =
            |terminal, vars: &[(&str, &str)]| decide(ColorChoice::Auto, terminal, with(vars));
        assert!(auto(true, &[]));
        assert!(!auto(false, &[]));
        assert!(!auto(true, &[("NO_COLOR", "1")]));
        assert!(
            auto(true, &[("NO_COLOR", "")]),
            "an empty NO_COLOR is unset"
        );
        assert!(auto(false, &[("CLICOLOR_FORCE", "1")]));
        assert!(auto(false, &[("FORCE_COLOR", "3")]));
        assert!(!auto(false, &[("FORCE_COLOR", "0")]));
        assert!(!auto(true, &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
        assert!(!auto(true, &[("TERM", "dumb")]));
        assert!(auto(false, &[("TERM", "dumb"), ("CLICOLOR_FORCE", "1")]));
        assert!(!auto(true, &[("CLICOLOR", "0")]));
    }

    #[test]
    fn the_flag_wins() {
        let vars = with(&[("NO_COLOR", "1")]);
        assert!(decide(ColorChoice::Always, false, &vars));
        assert!(!decide(
            ColorChoice::Never,
            true,
            with(&[("FORCE_COLOR", "1")])
        ));
    }

    #[test]
    fn the_flag_is_found_among_raw_arguments() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            choice_in_args(&args(&["x", "--color", "never"])),
            ColorChoice::Never
        );
        assert_eq!(
            choice_in_args(&args(&["x", "--color=always", "check"])),
            ColorChoice::Always
        );
        assert_eq!(
            choice_in_args(&args(&["x", "--", "--color=always"])),
            ColorChoice::Auto
        );
    }
}
