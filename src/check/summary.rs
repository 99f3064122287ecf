//! The run's numbers, computed once: requirement counts and finding counts, per set and overall,
//! and what the run was told (configuration, severity overrides, catalog overlays, waivers, sets).
//!
//! Owns: [`Summary`], the one set of counts every reporter renders (human, table, JSON, Markdown,
//! HTML, SARIF, JUnit, GitHub, GitLab), and [`Inputs`], the record of a run's inputs the
//! dispatch fills in. Requirement counts (`requirements`: passed, missing, excessive,
//! unverifiable, not applicable; of the decided, how many rest on an assumption or on a catalog
//! overlay) count each requirement for each subject and each baseline policy once; finding counts
//! (`findings`: errors, warnings, notes, waived, silenced) count findings. The two are never mixed
//! in one line. Pure: it reads an outcome and decides nothing.

use serde::Serialize;

use super::{Basis, Coverage, Finding, Grade, Outcome, SetState, Status, Subject};
use crate::diag::{Code, Severity};

/// Findings counted. `errors + warnings + notes` are the findings reported and not waived;
/// `waived` ones are reported apart (they never fail a run); `silenced` ones were dropped by the
/// configuration's `severity: {code: allow}` and are reported only as counted here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FindingCounts {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    /// Of the reported findings (errors, warnings, notes), those with the code `unverifiable`.
    pub unverifiable: usize,
    /// Of the reported findings, those about a decision that rests on an assumption.
    pub assumed: usize,
    /// Accepted by a waiver of the configuration.
    pub waived: usize,
    /// Dropped by the configuration's `severity: {code: allow}`.
    pub silenced: usize,
}

impl FindingCounts {
    /// Findings reported and not waived.
    #[must_use]
    pub fn reported(&self) -> usize {
        self.errors + self.warnings + self.notes
    }

    fn add(&mut self, other: Self) {
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.notes += other.notes;
        self.unverifiable += other.unverifiable;
        self.assumed += other.assumed;
        self.waived += other.waived;
        self.silenced += other.silenced;
    }

    /// "2 errors, 1 warning, 0 notes (1 unverifiable), 1 waived, 3 silenced by configuration".
    #[must_use]
    pub fn text(&self) -> String {
        let mut text = format!(
            "{}, {}, {} ({} unverifiable",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.notes, "note"),
            self.unverifiable
        );
        if self.assumed > 0 {
            text.push_str(&format!(", {} on an assumption", self.assumed));
        }
        text.push(')');
        if self.waived > 0 {
            text.push_str(&format!(", {} waived", self.waived));
        }
        if self.silenced > 0 {
            text.push_str(&format!(", {} silenced by configuration", self.silenced));
        }
        text
    }
}

/// One set's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SetSummary {
    pub id: String,
    pub title: String,
    /// `evaluated`, `baseline`, `binding_not_found`, `not_evaluable`, `only_inactive`, `not_in_use`.
    pub state: &'static str,
    /// Requirement counts (each requirement for each subject, each baseline policy).
    pub requirements: Coverage,
    /// Finding counts.
    pub findings: FindingCounts,
}

/// A decision that rests on an assumption, and the assumption in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AssumedDecision {
    pub set: String,
    pub requirement: String,
    pub subject: Subject,
    pub status: Status,
    /// "no Ux claim on the agent or its roles: read as No Access".
    pub because: String,
}

/// The run's numbers: every reporter renders these, none counts for itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// Requirement counts of every set together.
    pub requirements: Coverage,
    /// Finding counts of the whole run.
    pub findings: FindingCounts,
    /// Per set, in the outcome's order (sets not in use included, with zero counts).
    pub sets: Vec<SetSummary>,
    /// Every decision resting on an assumption.
    pub assumed: Vec<AssumedDecision>,
}

impl Summary {
    /// Counts an outcome.
    #[must_use]
    pub fn of(outcome: &Outcome) -> Self {
        let mut summary = Self::default();
        for set in &outcome.sets {
            let mut findings = FindingCounts::default();
            for f in outcome
                .findings
                .iter()
                .filter(|f| f.requirement_set == set.id)
            {
                count_finding(&mut findings, f, outcome);
            }
            findings.silenced = outcome
                .silenced
                .iter()
                .filter(|f| f.requirement_set == set.id)
                .count();
            summary.requirements.add(set.coverage);
            summary.findings.add(findings);
            summary.sets.push(SetSummary {
                id: set.id.clone(),
                title: set.title.clone(),
                state: state_name(&set.state),
                requirements: set.coverage,
                findings,
            });
            for e in set.evaluations.iter().filter(|e| {
                e.evidence.grade == Grade::Assumed
                    && e.status != Status::Unverifiable
                    && !e.not_applicable
            }) {
                summary.assumed.push(AssumedDecision {
                    set: set.id.clone(),
                    requirement: e.requirement.clone(),
                    subject: e.subject.clone(),
                    status: e.status,
                    because: e.evidence.because.clone().unwrap_or_default(),
                });
            }
        }
        // Findings of no set of the outcome (a waiver naming an unknown set, ...).
        let mut rest = FindingCounts::default();
        for f in outcome
            .findings
            .iter()
            .filter(|f| !outcome.sets.iter().any(|s| s.id == f.requirement_set))
        {
            count_finding(&mut rest, f, outcome);
        }
        rest.silenced = outcome
            .silenced
            .iter()
            .filter(|f| !outcome.sets.iter().any(|s| s.id == f.requirement_set))
            .count();
        summary.findings.add(rest);
        summary
    }

    /// The numbers of one set.
    #[must_use]
    pub fn set(&self, id: &str) -> Option<&SetSummary> {
        self.sets.iter().find(|s| s.id == id)
    }
}

fn count_finding(counts: &mut FindingCounts, f: &Finding, outcome: &Outcome) {
    if f.waiver.is_some() {
        counts.waived += 1;
        return;
    }
    match f.severity {
        Severity::Error => counts.errors += 1,
        Severity::Warning => counts.warnings += 1,
        Severity::Note => counts.notes += 1,
    }
    if f.code == Code::Unverifiable {
        counts.unverifiable += 1;
    } else if outcome
        .basis_of(f)
        .is_some_and(|b| b.grade == Grade::Assumed)
    {
        counts.assumed += 1;
    }
}

fn state_name(state: &SetState) -> &'static str {
    match state {
        SetState::Evaluated { .. } => "evaluated",
        SetState::NotInUse => "not_in_use",
        SetState::OnlyInactive { .. } => "only_inactive",
        SetState::BindingNotFound => "binding_not_found",
        SetState::NotEvaluable { .. } => "not_evaluable",
        SetState::Baseline => "baseline",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Outcome {
    /// What the decision a finding reports rests on: the evaluation of its requirement for its
    /// subject (for a baseline finding, its policy). `None` for findings of no requirement.
    #[must_use]
    pub fn basis_of(&self, finding: &Finding) -> Option<&Basis> {
        let requirement = finding.requirement.as_deref()?;
        let set = self.sets.iter().find(|s| s.id == finding.requirement_set)?;
        let baseline = matches!(set.state, SetState::Baseline);
        set.evaluations
            .iter()
            .find(|e| e.requirement == requirement && (baseline || e.subject == finding.subject))
            .map(|e| &e.evidence)
    }
}

/// A file a run read, and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct InputFile {
    pub path: String,
    /// Lower-case hex of the SHA-256 of the file's bytes.
    pub sha256: String,
}

/// A severity override of the configuration, and what it did in this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OverrideEffect {
    pub code: Code,
    /// `allow`, `note`, `warn` or `deny`.
    pub level: &'static str,
    /// Findings dropped (`allow`).
    pub dropped: usize,
    /// Findings whose severity it changed.
    pub changed: usize,
}

/// A decision a catalog overlay changed: its status under the shipped catalog and under the
/// overlay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ChangedDecision {
    pub set: String,
    pub requirement: String,
    pub subject: Subject,
    /// The status under the shipped catalog.
    pub shipped: Status,
    /// The status under the overlay (this run's).
    pub overlaid: Status,
}

/// A permission a catalog overlay defines or redefines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Redefined {
    pub permission: String,
    pub label: String,
    /// Where the overlay defines it (`mine.yaml:3`).
    pub at: String,
}

/// A catalog overlay a run loaded (`--catalog`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OverlayInput {
    #[serde(flatten)]
    pub file: InputFile,
    /// The permissions it defines or redefines.
    pub redefines: Vec<Redefined>,
}

/// A waiver that accepted findings in this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct WaiverApplied {
    /// Where it is written (`halo-audit.yaml:12`).
    pub at: String,
    pub owner: String,
    pub expires: String,
    /// Findings it accepted.
    pub findings: usize,
}

/// What a run was told: its inputs besides the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Inputs {
    pub tool_version: String,
    /// The shipped permission catalog's version.
    pub catalog_version: u32,
    /// The configuration file, when one was read.
    pub config: Option<InputFile>,
    /// The configuration's severity overrides in effect, each with what it did.
    pub overrides: Vec<OverrideEffect>,
    /// True with `--no-config-overrides`: the configuration's `severity:` was not applied.
    pub overrides_ignored: bool,
    /// Catalog overlays (`--catalog`).
    pub overlays: Vec<OverlayInput>,
    /// Decisions that differ from what the shipped catalog gives (only with overlays).
    pub changed_by_overlays: Vec<ChangedDecision>,
    /// Waivers that accepted findings.
    pub waivers: Vec<WaiverApplied>,
    /// True with `--no-waivers`.
    pub waivers_ignored: bool,
    /// Sets asked for (`--set`, the configuration's `sets`); empty: every set in use.
    pub sets: Vec<String>,
    /// Requirement files read besides the shipped ones (`--rules`, the configuration's `rules`).
    pub rules: Vec<InputFile>,
    /// False with `--no-default-rules`.
    pub default_rules: bool,
}

impl Inputs {
    /// Lines saying what in the inputs changes what a report shows, for every format's summary:
    /// findings silenced, overrides in effect, overlays and the decisions they changed, waivers.
    #[must_use]
    pub fn notices(&self, summary: &Summary) -> Vec<String> {
        let mut out = Vec::new();
        if summary.findings.silenced > 0 {
            let by: Vec<String> = self
                .overrides
                .iter()
                .filter(|o| o.dropped > 0)
                .map(|o| format!("{} × {}", o.dropped, o.code.as_str()))
                .collect();
            out.push(format!(
                "{} silenced by configuration ({}: `severity: allow` in {}); --no-config-overrides reports {}",
                plural(summary.findings.silenced, "finding"),
                by.join(", "),
                self.config.as_ref().map_or("the configuration", |c| c.path.as_str()),
                if summary.findings.silenced == 1 { "it" } else { "them" }
            ));
        }
        let changed: Vec<String> = self
            .overrides
            .iter()
            .filter(|o| o.changed > 0)
            .map(|o| format!("{} × {} to {}", o.changed, o.code.as_str(), o.level))
            .collect();
        if !changed.is_empty() {
            out.push(format!(
                "severity changed by configuration: {}",
                changed.join(", ")
            ));
        }
        if self.overrides_ignored {
            out.push(
                "the configuration's severity overrides are not applied (--no-config-overrides)"
                    .to_owned(),
            );
        }
        for overlay in &self.overlays {
            let names: Vec<String> = overlay
                .redefines
                .iter()
                .map(|r| format!("{} ({})", r.label, r.at))
                .collect();
            out.push(format!(
                "catalog overlay {} (sha256 {}) redefines {}: {}",
                overlay.file.path,
                short(&overlay.file.sha256),
                plural(overlay.redefines.len(), "permission"),
                names.join(", ")
            ));
        }
        if !self.overlays.is_empty() {
            if self.changed_by_overlays.is_empty() {
                out.push("no decision differs from the shipped catalog's".to_owned());
            } else {
                let list: Vec<String> = self
                    .changed_by_overlays
                    .iter()
                    .map(|c| {
                        format!(
                            "{} for {} {}: {} with the shipped catalog, {} with the overlay",
                            c.requirement,
                            c.subject.kind.as_str(),
                            c.subject.name,
                            c.shipped.as_str(),
                            c.overlaid.as_str()
                        )
                    })
                    .collect();
                out.push(format!(
                    "{} changed by the catalog overlay: {}",
                    plural(self.changed_by_overlays.len(), "decision"),
                    list.join("; ")
                ));
            }
        }
        if summary.findings.waived > 0 {
            out.push(format!(
                "{} accepted by {}",
                plural(summary.findings.waived, "finding"),
                plural(self.waivers.len(), "waiver")
            ));
        }
        if self.waivers_ignored {
            out.push("waivers are not applied (--no-waivers)".to_owned());
        }
        out
    }
}

/// The first 12 hex digits of a hash, for a line a person reads.
#[must_use]
pub fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
