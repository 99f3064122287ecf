//! Where the formats that place findings in the repository (SARIF, GitHub, GitLab) put the
//! findings of the shipped sets, whose rule files are no files of the user's repository.

use std::path::Path;

use crate::check;
use crate::config::Config;
use crate::report;
use crate::ruleset::{self, Library};
use crate::snapshot;

use crate::commands::inputs::display;

/// Where the findings of shipped sets without a binding of their own were placed.
#[derive(Debug, Default)]
pub(super) struct Unplaced {
    /// The shipped sets whose findings were not placed at their binding.
    sets: std::collections::BTreeSet<String>,
    /// Where they were placed instead (`halo-audit.yaml`, `snapshot.json`), or none when no file
    /// of the repository could hold them (they name `rules/<set>.yaml`).
    at: Option<String>,
}

impl Unplaced {
    /// The warning for standard error, when some findings are not at their set's binding.
    pub(super) fn warning(&self) -> Option<String> {
        if self.sets.is_empty() {
            return None;
        }
        let sets = self.sets.iter().cloned().collect::<Vec<_>>().join(", ");
        let place = match &self.at {
            Some(file) => format!("are placed in {file}, not at a line of their own"),
            None => "point at rules/<set>.yaml, a file of halo-audit's own sources that is not \
                     in your repository"
                .to_owned(),
        };
        Some(format!(
            "warning: in SARIF, GitHub and GitLab reports the findings of the shipped sets {sets} {place}\n  \
             hint: for precise places, bind each set in halo-audit.yaml (`bindings:`; `halo-audit init` \
             writes them), or export the sets into the repository (`halo-audit rules export rules`) \
             and audit with `--no-default-rules --rules rules`\n"
        ))
    }
}

/// For the formats that place findings in the repository (SARIF, GitHub annotations, GitLab Code
/// Quality): a finding of a shipped set, whose rule file is no file of the user's repository, is
/// placed at that set's binding in the configuration file when it has one; else at the
/// configuration file's first line; else, when the snapshot is a file inside the repository, at
/// the subject's object in it (its first line for the tenant). Findings of sets read from the
/// user's own files keep their place in them.
pub(super) fn anchor_in_repository(
    outcome: &mut check::Outcome,
    library: &Library,
    config: &Config,
    snapshot: Option<&Path>,
) -> Unplaced {
    let shipped = |set: &str| library.get(set).is_some_and(|s| s.builtin);
    let base = report::sarif::Base::current();
    let snapshot = snapshot
        .filter(|p| !crate::fsio::is_stdio(p) && p.is_file())
        .filter(|p| base.relative(&display(p)).is_ok());
    let mut unplaced = Unplaced {
        at: config
            .path
            .as_deref()
            .or(snapshot)
            .map(|p| crate::text::shown_owned(&display(p))),
        ..Unplaced::default()
    };
    let mut lines = None;
    for finding in outcome
        .findings
        .iter_mut()
        .filter(|f| shipped(&f.requirement_set))
    {
        let place = match (
            &config.path,
            config.binding_lines.get(&finding.requirement_set),
        ) {
            (Some(path), Some(&(line, column))) => Some((display(path), line, column)),
            (Some(path), None) => Some((display(path), 1, 1)),
            (None, _) => snapshot.map(|path| {
                let lines = lines.get_or_insert_with(|| snapshot::ObjectLines::read(path));
                let collection = match finding.subject.kind {
                    check::SubjectKind::Application => "applications",
                    check::SubjectKind::Agent => "agents",
                    check::SubjectKind::Team => "teams",
                    check::SubjectKind::Role => "roles",
                    check::SubjectKind::Tenant => "",
                };
                let line = lines.line(collection, &finding.subject.id).unwrap_or(1);
                (display(path), line, 1)
            }),
        };
        // A baseline binds to no application: in the configuration file or the snapshot, its
        // findings are where they can be; only an integration set can be bound more precisely.
        let baseline = library
            .get(&finding.requirement_set)
            .is_some_and(|s| s.kind == ruleset::SetKind::Baseline);
        let bound =
            config.path.is_some() && config.binding_lines.contains_key(&finding.requirement_set);
        let placed_baseline = baseline && place.is_some();
        if !(bound || placed_baseline) {
            unplaced.sets.insert(finding.requirement_set.clone());
        }
        if let Some((path, line, column)) = place {
            finding.rule_location = Some(ruleset::Location { path, line, column });
        }
    }
    unplaced
}
