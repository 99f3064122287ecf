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
            let conditional: std::collections::BTreeSet<&str> = rules
                .map(|r| r.requirements.as_slice())
                .unwrap_or_default()
                .iter()
                .filter(|q| q.condition.is_some())
                .map(|q| q.id.as_str())
                .collect();
            for evaluation in &set.evaluations {
                let conditional = conditional.contains(evaluation.requirement.as_str());
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
    // An `integrations`-scope fetch reads only the agents applications log in as: none is right
    // when no application logs in as anyone.
    let agents_needed = tenant.provenance.scope.as_deref() != Some("integrations")
        || tenant
            .applications()
            .iter()
            .any(|a| a.login_agent_id.is_some());
    for (what, noun, len, endpoint, words) in lists {
        if what == "agents" && len == Some(0) && !agents_needed {
            continue;
        }
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value as Json, json};

    use super::super::{Selection, check};
    use super::*;
    use crate::catalog::Catalog;
    use crate::ruleset::{self, RuleFile};
    use crate::snapshot::{self, Snapshot};

    const SET: &str = r#"
id: demo-set
title: Demo integration
sources: [{url: "https://vendor.example/halo", retrieved: 2026-11-24}]
binding: {application_name: ["Demo*"]}
requirements:
  - {id: demo.read-tickets, title: "The application reads tickets", permission: "scope:read:tickets", expect: yes, source: {quote: q}}
  - {id: demo.customers, title: "Customers: Read Only", permission: Customers, expect: Read Only, source: {quote: q}}
  - {id: demo.no-delete, title: "Cannot delete tickets", permission: Can delete tickets, expect: no, severity: warning, source: {quote: q}}
  - {id: demo.kb, title: "Knowledge base sync", permission: "scope:read:kb", expect: yes, condition: "the knowledge base is synced", source: {quote: q}}
"#;

    fn catalog() -> &'static Catalog {
        Catalog::builtin().unwrap()
    }

    fn library() -> Library {
        let files = vec![
            RuleFile {
                name: "demo.yaml".into(),
                text: SET.into(),
                builtin: false,
            },
            RuleFile {
                name: "rules/baseline.yaml".into(),
                text: include_str!("../../rules/baseline.yaml").into(),
                builtin: true,
            },
        ];
        ruleset::load(&files, catalog()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn tenant(claims: Json, agents: bool, applications: Option<Json>) -> Tenant {
        let mut snap = Snapshot::new(snapshot::Instance {
            url: Some("https://t.example".into()),
            tenant: None,
        });
        snap.objects.agents = agents.then(|| {
            json!([{"id": 7, "name": "Demo API", "isdisabled": false, "isapiagent": true,
                    "is_admin": false, "roles": [], "teams": [{"team_id": 1, "team_name": "Desk"}],
                    "clients": [], "tickettypes": [], "assettypes": [], "claims": claims}])
        });
        snap.objects.roles = Some(json!([]));
        snap.objects.teams = Some(json!([{"id": 1, "name": "Desk", "inactive": false}]));
        snap.objects.applications = applications;
        snapshot::normalise(&snap, catalog(), Path::new("t.json")).unwrap()
    }

    fn demo_app() -> Json {
        json!([{"id": "app-1", "displayName": "Demo Sync", "inactive": false, "loginas_agent_id": 7,
                "scopes": [{"name": "read:tickets"}]}])
    }

    fn run(t: &Tenant) -> Outcome {
        check(t, &library(), catalog(), &Selection::default()).unwrap()
    }

    fn set<'a>(outcome: &'a Outcome, id: &str) -> &'a SetOutcome {
        outcome.sets.iter().find(|s| s.id == id).unwrap()
    }

    #[test]
    fn decided_unverifiable_and_not_applicable_are_counted_per_set_and_overall() {
        // Claims the catalog cannot read: Customers and Can delete tickets cannot be decided.
        let t = tenant(
            json!([{"type": "PermissionsV2", "value": "x"}]),
            true,
            Some(demo_app()),
        );
        let outcome = run(&t);
        let demo = set(&outcome, "demo-set").coverage;
        assert_eq!(
            demo,
            Coverage {
                decided: 1,
                unverifiable: 2,
                not_applicable: 1,
            }
        );
        assert_eq!(demo.percent(), 33);
        assert_eq!(
            demo.text(),
            "1 of 3 requirements decided (33%), 2 unverifiable, 1 not applicable"
        );
        // The set settles ticket deletion, so the baseline does not ask again; the other rights it
        // looks at (creating roles and SQL data sources, password fields) are claims it cannot read.
        // (and impersonating users).
        let baseline = set(&outcome, "baseline").coverage;
        assert_eq!(baseline.unverifiable, 4, "{baseline:?}");
        let total = outcome.coverage();
        assert_eq!(total.decided, demo.decided + baseline.decided);
        assert_eq!(total.unverifiable, 6);
        assert!(outcome.not_audited.is_empty());
    }

    #[test]
    fn nothing_checkable_is_zero_percent_not_a_division_by_zero() {
        assert_eq!(Coverage::default().percent(), 0);
        assert_eq!(
            Coverage::default().text(),
            "0 of 0 requirements decided (0%), 0 unverifiable, 0 not applicable"
        );
    }

    #[test]
    fn a_missing_or_empty_list_means_nothing_was_audited() {
        let outcome = run(&tenant(json!([]), true, None));
        assert_eq!(outcome.not_audited.len(), 1);
        assert_eq!(outcome.not_audited[0].what, "applications");
        assert_eq!(
            outcome.not_audited[0].reason,
            "the snapshot holds no application list"
        );
        // Every baseline policy that needs the application list is unverifiable, not passed.
        let baseline = set(&outcome, "baseline").coverage;
        assert_eq!(
            baseline.decided, 3,
            "only the policies that judge agents alone (empty lists, second factor, how many administrators): {baseline:?}"
        );
        let outcome = run(&tenant(json!([]), false, Some(json!([]))));
        let what: Vec<&str> = outcome.not_audited.iter().map(|n| n.what).collect();
        assert_eq!(what, ["applications", "agents"]);
        assert!(
            outcome.not_audited[0]
                .reason
                .starts_with("the application list is empty"),
            "{:?}",
            outcome.not_audited
        );
    }

    #[test]
    fn an_integrations_fetch_without_login_agents_may_hold_no_agent() {
        let mut snap = Snapshot::new(snapshot::Instance {
            url: Some("https://t.example".into()),
            tenant: None,
        });
        snap.scope = Some("integrations".into());
        snap.objects.agents = Some(json!([]));
        snap.objects.applications = Some(
            json!([{"id": "app-1", "displayName": "Demo Sync", "inactive": false, "scopes": []}]),
        );
        let t = snapshot::normalise(&snap, catalog(), Path::new("t.json")).unwrap();
        assert!(not_audited(&t).is_empty(), "{:?}", not_audited(&t));
        snap.scope = Some("all".into());
        let t = snapshot::normalise(&snap, catalog(), Path::new("t.json")).unwrap();
        let what: Vec<&str> = not_audited(&t).iter().map(|n| n.what).collect();
        assert_eq!(what, ["agents"]);
    }

    #[test]
    fn messages_name_a_permission_once() {
        let t = tenant(
            json!([{"type": "l4", "value": "1"}]),
            true,
            Some(demo_app()),
        );
        let outcome = run(&t);
        let message = |id: &str| {
            outcome
                .findings
                .iter()
                .find(|f| f.requirement.as_deref() == Some(id))
                .map(|f| f.message.clone())
                .unwrap()
        };
        assert_eq!(
            message("demo.customers"),
            "login agent `Demo API` of application `Demo Sync` lacks Customers: Read Only"
        );
        assert_eq!(
            message("demo.no-delete"),
            "login agent `Demo API` of application `Demo Sync`: \"Can Delete Tickets\" is Yes, beyond what Demo integration needs (not granted)"
        );
    }
}
