//! What a `check` run records of what it was told: its inputs and the catalog overlays.

use std::path::Path;

use crate::catalog::Catalog;
use crate::check::{self, Selection};
use crate::cli::RuleSources;
use crate::config::Config;
use crate::ruleset::{self, RuleFile};
use crate::snapshot;

use super::Catalogs;
use crate::commands::inputs::{display, drop_in_background};

/// Records what the run was told: tool and catalog version, the configuration file and its hash,
/// the sets asked for, the requirement files read. (Severity overrides and waivers are recorded
/// where they are applied.)
pub(super) fn record_inputs(
    outcome: &mut check::Outcome,
    selection: &Selection,
    sources: &RuleSources,
    rule_files: &[RuleFile],
    config: &Config,
) {
    let inputs = &mut outcome.inputs;
    inputs.tool_version = env!("CARGO_PKG_VERSION").to_owned();
    inputs.catalog_version = Catalog::builtin().map_or(0, |c| c.version);
    inputs.config = config
        .path
        .as_ref()
        .zip(config.sha256.as_ref())
        .map(|(path, sha256)| check::summary::InputFile {
            path: display(path),
            sha256: sha256.clone(),
        });
    inputs.sets = selection.sets.clone();
    inputs.default_rules = !sources.no_default_rules;
    inputs.rules = rule_files
        .iter()
        .filter(|file| !file.builtin)
        .map(|file| check::summary::InputFile {
            path: file.name.clone(),
            sha256: crate::text::sha256_hex(file.text.as_bytes()),
        })
        .collect();
}

/// Records the catalog overlays (path, hash, the permissions each redefines) and the decisions
/// that differ from what the shipped catalog gives: the snapshot is read and checked again with
/// the shipped catalog. When that cannot be done (a rule file needs a permission only an overlay
/// defines), no decision is listed as changed and the overlays are still recorded.
pub(super) fn record_overlays(
    outcome: &mut check::Outcome,
    catalogs: &Catalogs<'_>,
    snapshot_path: Option<&Path>,
    fetched: Option<&(String, std::path::PathBuf)>,
    rule_files: &[RuleFile],
    selection: &Selection,
) {
    outcome.inputs.overlays = catalogs
        .overlays
        .iter()
        .map(|file| check::summary::OverlayInput {
            file: check::summary::InputFile {
                path: file.name.clone(),
                sha256: crate::text::sha256_hex(file.text.as_bytes()),
            },
            redefines: catalogs
                .catalog
                .permissions
                .iter()
                .filter_map(|p| {
                    let at = p.user_source.as_ref()?;
                    at.strip_prefix(file.name.as_str())
                        .filter(|rest| rest.starts_with(':'))
                        .map(|_| check::summary::Redefined {
                            permission: p.key.clone(),
                            label: p.label.clone(),
                            at: at.clone(),
                        })
                })
                .collect(),
        })
        .collect();
    let shipped_tenant = match (snapshot_path, fetched) {
        // Read again only from a regular file: a pipe or a device gives its bytes once.
        (Some(path), _) if std::fs::metadata(path).is_ok_and(|m| m.is_file()) => {
            snapshot::read(path, catalogs.shipped).ok()
        }
        (Some(_), _) => None,
        (None, Some((text, source))) => {
            snapshot::read_bytes(text.as_bytes(), source, catalogs.shipped).ok()
        }
        (None, None) => None,
    };
    let Some(shipped_tenant) = shipped_tenant.map(|l| l.tenant) else {
        return;
    };
    let Ok(library) = ruleset::load(rule_files, catalogs.shipped) else {
        return;
    };
    let Ok(shipped) = check::check(&shipped_tenant, &library, catalogs.shipped, selection) else {
        return;
    };
    let mut changed = Vec::new();
    for set in &outcome.sets {
        let Some(before) = shipped.sets.iter().find(|s| s.id == set.id) else {
            continue;
        };
        for e in &set.evaluations {
            if let Some(b) = before
                .evaluations
                .iter()
                .find(|b| b.requirement == e.requirement && b.subject == e.subject)
                && b.status != e.status
            {
                changed.push(check::summary::ChangedDecision {
                    set: set.id.clone(),
                    requirement: e.requirement.clone(),
                    subject: e.subject.clone(),
                    shipped: b.status,
                    overlaid: e.status,
                });
            }
        }
    }
    outcome.inputs.changed_by_overlays = changed;
    drop_in_background((shipped_tenant, shipped));
}
