//! `rules`: list, show, validate, export the requirement sets, print their schema, and check
//! their vendor sources.

use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::cli::{RulesCommand, SourcesArgs};
use crate::report::{self, Output, Style};
use crate::ruleset;
use crate::verdict::exit;

use super::AppError;
use super::inputs::{display, load_library};

/// Runs a `rules` subcommand; `rules sources` exits 1 on drift and 3 when no source was read.
///
/// # Errors
/// Invalid or unreadable rules, an unknown set, a failed write.
pub fn run(command: &RulesCommand, catalog: &Catalog, style: &Style) -> Result<u8, AppError> {
    match command {
        RulesCommand::List { sources } => {
            let library = load_library(sources, catalog)?;
            // Rule files are untrusted text, and these renderings have no colours of their own.
            report::emit(
                &crate::text::shown_lines(&report::rules::list(&library, style)),
                &Output::Stdout,
            )?;
            Ok(exit::OK)
        }
        RulesCommand::Show { id, sources } => {
            let library = load_library(sources, catalog)?;
            let set = library
                .get(id)
                .ok_or_else(|| AppError::UnknownSet { id: id.clone() })?;
            report::emit(
                &crate::text::fit_lines(
                    &crate::text::shown_lines(&report::rules::show(set, catalog)),
                    style.columns(),
                ),
                &Output::Stdout,
            )?;
            Ok(exit::OK)
        }
        RulesCommand::Validate { paths } => validate(paths, catalog),
        RulesCommand::Schema => {
            report::emit(&ruleset::schema::rules_schema(), &Output::Stdout)?;
            Ok(exit::OK)
        }
        RulesCommand::Export { dir, force } => export_rules(dir, *force, style),
        RulesCommand::Sources(args) => sources(args, catalog),
    }
}

/// `rules validate [PATH]...`: the files given (`-` once: standard input), else the shipped sets,
/// loaded beside the shipped sets as `check` loads them.
fn validate(paths: &[PathBuf], catalog: &Catalog) -> Result<u8, AppError> {
    if paths.iter().filter(|p| crate::fsio::is_stdio(p)).count() > 1 {
        return Err(AppError::Usage {
            command: "rules validate",
            flag: "PATH",
            value: crate::fsio::STDIO.to_owned(),
            reason: "standard input can be read once; give `-` once and the other files by \
                     their paths"
                .to_owned(),
        });
    }
    // Validated beside the shipped sets, as `check` loads them: a requirement id used by
    // a shipped set is a duplicate here too (a set of a shipped set's id replaces it).
    let mut files = ruleset::builtin_files();
    let mut own = files.len();
    if !paths.is_empty() {
        own = 0;
        for path in paths {
            let read = ruleset::read_path(path)?;
            own += read.len();
            files.extend(read);
        }
    }
    let library = ruleset::load(&files, catalog)?.strict()?;
    let sets: Vec<&ruleset::RuleSet> = library
        .sets
        .iter()
        .filter(|s| paths.is_empty() || !s.builtin)
        .collect();
    let requirements: usize = sets
        .iter()
        .map(|s| s.requirements.len() + s.policies.len())
        .sum();
    report::emit(
        &format!(
            "ok: {own} files, {} sets, {requirements} requirements and policies\n",
            sets.len()
        ),
        &Output::Stdout,
    )?;
    Ok(exit::OK)
}

/// `rules sources`: are the vendor documents the sets quote still saying it? Exit 1 on drift, 3
/// when no source could be read.
fn sources(args: &SourcesArgs, catalog: &Catalog) -> Result<u8, AppError> {
    let library = load_library(&args.sources, catalog)?;
    let mut sets = Vec::new();
    for id in &args.sets {
        sets.push(
            library
                .get(id)
                .ok_or_else(|| AppError::UnknownSet { id: id.clone() })?,
        );
    }
    if args.sets.is_empty() {
        sets.extend(library.sets.iter().filter(|s| !s.sources.is_empty()));
    }
    let options = crate::sources::Options {
        saved: args.saved.clone(),
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        allow_http_loopback: args.allow_http_loopback,
        max_age_days: args.max_age,
        today: jiff::tz::Offset::UTC
            .to_datetime(jiff::Timestamp::now())
            .date(),
    };
    let result = crate::sources::check(&sets, &options);
    let text = match args.format {
        crate::cli::SourcesFormat::Human => crate::sources::render(&result, &options),
        crate::cli::SourcesFormat::Json => crate::sources::render_json(&result),
    };
    report::emit(&text, &Output::Stdout)?;
    Ok(if result.nothing_read() {
        exit::UNAVAILABLE
    } else if result.drifted() > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// `rules export DIR`: the shipped sets and their schema, written into DIR; nothing is written
/// when a file exists already, unless `force`.
fn export_rules(dir: &Path, force: bool, style: &Style) -> Result<u8, AppError> {
    let mut files = ruleset::exported_files();
    let set_count = files.len();
    files.push((
        ruleset::EXPORTED_SCHEMA.to_owned(),
        ruleset::schema::rules_schema(),
    ));
    if !force {
        let existing: Vec<String> = files
            .iter()
            .filter(|(name, _)| dir.join(name).symlink_metadata().is_ok())
            .map(|(name, _)| name.clone())
            .collect();
        if !existing.is_empty() {
            let mut names = existing
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if existing.len() > 3 {
                names.push_str(&format!(" and {} more", existing.len() - 3));
            }
            return Err(AppError::ExportExists {
                dir: display(dir),
                names,
            });
        }
    }
    std::fs::create_dir_all(dir).map_err(|cause| crate::fsio::WriteError {
        path: dir.to_owned(),
        cause,
    })?;
    // Every file is checked before the first is written.
    for (name, _) in &files {
        crate::fsio::check_in_dir(dir, name)?;
    }
    for (name, text) in &files {
        crate::fsio::write_in_dir(dir, name, text.as_bytes())?;
    }
    if !style.quiet {
        report::status(&format!(
            "wrote {set_count} requirement sets and {} to {}; audit with them: \
             halo-audit check --no-default-rules --rules {}\n",
            ruleset::EXPORTED_SCHEMA,
            dir.display(),
            dir.display()
        ));
    }
    Ok(exit::OK)
}
