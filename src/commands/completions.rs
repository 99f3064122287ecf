//! `completions SHELL` and `man [--dir DIR]`: the completion scripts and manual pages, made from
//! the command line's own definition.

use std::path::PathBuf;

use crate::cli::Cli;
use crate::report::{self, Output, Style};
use crate::verdict::exit;

use super::AppError;

/// Runs `completions SHELL`.
///
/// # Errors
/// A closed standard output.
pub fn completions(shell: clap_complete::Shell) -> Result<u8, AppError> {
    let mut command = <Cli as clap::CommandFactory>::command();
    let script = crate::shell::completion_script(shell, &mut command, "halo-audit");
    report::emit(&script, &Output::Stdout)?;
    Ok(exit::OK)
}

/// Runs `man [--dir DIR]`: the page of `halo-audit` on standard output, or a page per command
/// written into DIR.
///
/// # Errors
/// A directory that cannot be made or a page that cannot be written.
pub fn man(dir: Option<&PathBuf>, style: &Style) -> Result<u8, AppError> {
    let pages = crate::shell::manual_pages(<Cli as clap::CommandFactory>::command());
    match dir {
        None => {
            let (_, text) = pages.into_iter().next().unwrap_or_default();
            report::emit(&text, &Output::Stdout)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|cause| crate::fsio::WriteError {
                path: dir.clone(),
                cause,
            })?;
            // Every page is checked before the first is written.
            for (name, _) in &pages {
                crate::fsio::check_in_dir(dir, name)?;
            }
            for (name, text) in &pages {
                crate::fsio::write_in_dir(dir, name, text.as_bytes())?;
            }
            if !style.quiet {
                report::status(&format!(
                    "wrote {} manual pages to {}\n",
                    pages.len(),
                    dir.display()
                ));
            }
        }
    }
    Ok(exit::OK)
}
