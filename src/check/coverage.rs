//! Coverage: how much of what a run set out to check it could actually decide, and whether it
//! audited anything at all.
//!
//! Owns: counting, per set and overall, the requirements (each requirement for each subject, and
//! each baseline policy) that were decided, could not be decided (`unverifiable`) or do not apply
//! (a conditional requirement that is not met); and the reasons a run audited nothing (the
//! application or agent list is missing or empty). Pure: it reads the outcome the engine built and
//! decides nothing else.

use serde::Serialize;

use super::{Outcome, SetOutcome, SetState, Status};
use crate::diag::Code;
use crate::ruleset::{Library, RuleSet};
use crate::tenant::Tenant;

/// How many requirements a set (or a whole run) decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Passed, missing or excessive: the snapshot settled them.
    pub decided: usize,
    /// The snapshot could not settle them (an endpoint forbidden, a claim not understood, an
    /// agent or application list missing).
    pub unverifiable: usize,
    /// Conditional requirements (`condition:`) that are not met: they apply only when the tenant
    /// uses the feature they name, which the snapshot cannot tell.
    pub not_applicable: usize,
}

impl Coverage {
    /// Requirements that count towards the share: decided and unverifiable.
    #[must_use]
    pub fn checkable(&self) -> usize {
        self.decided + self.unverifiable
    }

    /// The decided share in whole percent, rounded down; 0 when nothing could be checked.
    #[must_use]
    pub fn percent(&self) -> usize {
        (self.decided * 100)
            .checked_div(self.checkable())
            .unwrap_or_default()
    }

    /// Adds another coverage to this one.
    pub fn add(&mut self, other: Coverage) {
        self.decided += other.decided;
        self.unverifiable += other.unverifiable;
        self.not_applicable += other.not_applicable;
    }

    /// "20 of 37 requirements decided (54%), 17 unverifiable, 0 not applicable".
    #[must_use]
    pub fn text(&self) -> String {
        format!(
            "{} of {} {} decided ({}%), {} unverifiable, {} not applicable",
            self.decided,
            self.checkable(),
            if self.checkable() == 1 {
                "requirement"
            } else {
                "requirements"
            },
            self.percent(),
            self.unverifiable,
            self.not_applicable
        )
    }
}

/// Why a run audited nothing it could stand behind, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotAudited {
    /// What is missing: `applications` or `agents`.
    pub what: &'static str,
    pub reason: String,
    pub fix: String,
}

/// The coverage of one set of an outcome.
pub(super) fn of_set(set: &SetOutcome, rules: Option<&RuleSet>, outcome: &Outcome) -> Coverage {
    let mut coverage = Coverage::default();
    match &set.state {
        SetState::Evaluated { .. } => {
            for evaluation in &set.evaluations {
                let conditional = rules
                    .and_then(|r| {
                        r.requirements
                            .iter()
                            .find(|q| q.id == evaluation.requirement)
                    })
                    .is_some_and(|q| q.condition.is_some());
                match evaluation.status {
                    Status::Unverifiable => coverage.unverifiable += 1,
                    Status::Missing if conditional => coverage.not_applicable += 1,
                    Status::Passed | Status::Missing | Status::Excessive => coverage.decided += 1,
                }
            }
        }
        SetState::Baseline => {
            for policy in rules.map(|r| r.policies.as_slice()).unwrap_or_default() {
                let mut findings = outcome.findings.iter().filter(|f| {
                    f.requirement_set == set.id && f.requirement.as_deref() == Some(&policy.id)
                });
                let (mut any, mut decided) = (false, false);
                for f in findings.by_ref() {
                    any = true;
                    decided |= f.code != Code::Unverifiable;
                }
                if any && !decided {
                    coverage.unverifiable += 1;
                } else {
                    coverage.decided += 1;
                }
            }
        }
        SetState::NotEvaluable { .. } => {
            coverage.unverifiable += rules.map_or(0, |r| r.requirements.len());
        }
        SetState::NotInUse | SetState::OnlyInactive { .. } | SetState::BindingNotFound => {}
    }
    coverage
}

/// Fills in every set's coverage and the reasons the run audited nothing.
pub(super) fn fill(outcome: &mut Outcome, tenant: &Tenant, library: &Library) {
    let coverages: Vec<Coverage> = outcome
        .sets
        .iter()
        .map(|set| of_set(set, library.get(&set.id), outcome))
        .collect();
    for (set, coverage) in outcome.sets.iter_mut().zip(coverages) {
        set.coverage = coverage;
    }
    outcome.not_audited = not_audited(tenant);
}

/// The lists every audit needs: the applications (which integrations run, and as whom) and the
/// agents (whose permissions cap theirs). Halo answers `200 []` when the reading agent lacks
/// permission, and the auditing application is itself an API application logging in as an agent, so
/// an empty list is never a tenant's real state.
fn not_audited(tenant: &Tenant) -> Vec<NotAudited> {
    let mut out = Vec::new();
    let lists = [
        (
            "applications",
            "application",
            tenant.applications.as_ref().map(Vec::len),
            "/api/Application",
            "API applications",
        ),
        (
            "agents",
            "agent",
            tenant.agents.as_ref().map(Vec::len),
            "/api/Agent",
            "agents",
        ),
    ];
    for (what, noun, len, endpoint, words) in lists {
        let reason = match len {
            Some(0) => format!(
                "the {noun} list is empty (Halo answers `200 []` on {endpoint} when the reading agent lacks permission, and the auditing credential itself belongs in it)"
            ),
            Some(_) => continue,
            None => match tenant.gap(endpoint) {
                Some(gap) => format!(
                    "the {noun} list could not be read ({}{})",
                    gap.status.map(|s| format!("{s} ")).unwrap_or_default(),
                    gap.reason
                ),
                None => format!("the snapshot holds no {noun} list"),
            },
        };
        out.push(NotAudited {
            what,
            reason,
            fix: format!(
                "give the auditing application's agent read access to {words} (Configuration > Teams & Agents > Agents > the agent > Permissions) and fetch again; `halo-audit self-check` shows what the credential can read"
            ),
        });
    }
    out
}
