//! `plan`: what to grant for the chosen sets, from their requirements and a snapshot if given.

use std::path::Path;

use crate::catalog::Catalog;
use crate::check::Selection;
use crate::config::Config;
use crate::report::{self, Output, Style};
use crate::snapshot;
use crate::verdict::exit;

use super::AppError;
use super::inputs::load_library;
use super::outputs::refuse_clobbering;

/// Runs `plan`.
///
/// # Errors
/// Invalid rules, an unknown set, an unreadable snapshot, a failed write.
pub fn run(
    args: &crate::cli::PlanArgs,
    catalog: &Catalog,
    style: &Style,
    config: &Config,
) -> Result<u8, AppError> {
    let sources = args.sources.with_config(config);
    let mut inputs: Vec<(&'static str, Option<&Path>)> = vec![
        ("--snapshot", args.snapshot.as_deref()),
        ("--config", config.path.as_deref()),
    ];
    inputs.extend(sources.rules.iter().map(|r| ("--rules", Some(r.as_path()))));
    refuse_clobbering(&[("-o", args.output.as_deref())], &inputs)?;
    let library = load_library(&sources, catalog)?;
    let tenant = match &args.snapshot {
        Some(path) => Some(snapshot::read(path, catalog)?.tenant),
        None => None,
    };
    // The configuration's bindings of the chosen sets apply, as they do for `check`.
    let selection = Selection {
        sets: args.sets.clone(),
        bindings: config
            .bindings
            .iter()
            .filter(|(set, _)| args.sets.contains(set))
            .map(|(set, apps)| (set.clone(), apps.clone()))
            .collect(),
        agents: config
            .agent_bindings
            .iter()
            .filter(|(set, _)| args.sets.contains(set))
            .map(|(set, agent)| (set.clone(), agent.clone()))
            .collect(),
        readiness: false,
    };
    let plan = crate::plan::plan(tenant.as_ref(), &library, catalog, &selection)?;
    let text = match args.format {
        // Plain text without colours of its own: made safe line by line.
        crate::cli::PlanFormat::Human => {
            crate::text::shown_lines(&report::plan::human(&plan, style))
        }
        crate::cli::PlanFormat::Markdown => {
            crate::text::shown_lines(&report::plan::markdown(&plan))
        }
        crate::cli::PlanFormat::Json => report::plan::json(&plan),
    };
    let output = Output::of(args.output.as_deref());
    report::emit(&text, &output)?;
    Ok(exit::OK)
}
