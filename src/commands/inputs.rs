//! What the commands read alike: the rule files, the configuration, the names of inputs in
//! messages and reports; and how they let go of a large value without waiting for it.

use std::path::Path;

use crate::catalog::Catalog;
use crate::cli::{Cli, RuleSources};
use crate::config::Config;
use crate::report::{self, Style};
use crate::ruleset::{self, Library, RuleFile};
use crate::snapshot;

use super::AppError;

/// Loads the shipped sets (unless excluded) plus the given paths.
///
/// # Errors
/// Unreadable paths or invalid rules.
pub fn load_library(sources: &RuleSources, catalog: &Catalog) -> Result<Library, AppError> {
    Ok(ruleset::load(&rule_files(sources)?, catalog)?)
}

/// The rule files of a run: the shipped ones (unless excluded) plus the given paths, each read once.
pub(crate) fn rule_files(sources: &RuleSources) -> Result<Vec<RuleFile>, AppError> {
    let mut files: Vec<RuleFile> = if sources.no_default_rules {
        Vec::new()
    } else {
        ruleset::builtin_files()
    };
    for path in &sources.rules {
        files.extend(ruleset::read_path(path)?);
    }
    Ok(files)
}

/// The configuration file (`--config`, else none with `--no-config`, else `halo-audit.yaml` found
/// from the current directory up to the repository root); its warnings go to stderr.
///
/// # Errors
/// An unreadable or invalid configuration (exit 2).
pub fn load_config(cli: &Cli, style: &Style) -> Result<Config, AppError> {
    let lookup = match (&cli.config, cli.no_config) {
        (_, true) => crate::config::Lookup::None,
        (Some(path), false) => crate::config::Lookup::Explicit(path),
        (None, false) => crate::config::Lookup::Discover,
    };
    let config = crate::config::discover(lookup)?;
    if !style.quiet {
        for warning in &config.warnings {
            report::warning(warning, style);
        }
    }
    Ok(config)
}

/// Frees a large value on another thread so the command does not wait for it: freeing the millions
/// of nodes of a large tenant's snapshot takes about as long as parsing them. When the process
/// ends first, the operating system takes the memory back at once.
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    // When no thread can be started, the closure, and the value with it, is dropped right here.
    let _ = std::thread::Builder::new()
        .name("drop".to_owned())
        .spawn(move || drop(value));
}

/// An input's name in reports: `<stdin>` for `-`.
pub(crate) fn input_name(path: &Path) -> String {
    if crate::fsio::is_stdio(path) {
        snapshot::STDIN_NAME.to_owned()
    } else {
        display(path)
    }
}

/// Reads a path's display name for messages.
#[must_use]
pub fn display(path: &Path) -> String {
    path.display().to_string()
}
