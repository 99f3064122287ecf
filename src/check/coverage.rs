//! Coverage: how much of what a run set out to check it could actually decide, and whether it
//! audited anything at all.
//!
//! Owns: counting, per set and overall, the requirements (each requirement for each subject, and
//! each baseline policy) that were decided, could not be decided (`unverifiable`) or do not apply
//! (a conditional requirement that is not met); and the reasons a run audited nothing (the
//! application or agent list is missing or empty). Pure: it reads the outcome the engine built and
//! decides nothing else.

use serde::Serialize;

use super::{Basis, Evaluation, Finding, Grade, Outcome, SetOutcome, SetState, Status, Subject};
use crate::diag::Code;
use crate::ruleset::{Library, RuleSet};
use crate::tenant::Tenant;

/// How a set's (or a whole run's) requirements came out: each requirement for each subject, each
/// baseline policy. Requirement counts, not finding counts: `passed + missing + excessive =
/// decided`, and `decided + unverifiable + not_applicable` is every requirement counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Coverage {
    /// Passed, missing or excessive: the snapshot settled them.
    pub decided: usize,
    /// The snapshot could not settle them (an endpoint forbidden, a claim not understood, an
    /// agent or application list missing).
    pub unverifiable: usize,
    /// Conditional requirements (`condition:`) that are not met: they apply only when the tenant
    /// uses the feature they name, which the snapshot cannot tell.
    pub not_applicable: usize,
    /// Decided and met.
    pub passed: usize,
    /// Decided and not met (conditional ones are `not_applicable` instead).
    pub missing: usize,
    /// Decided and granted beyond what is needed (a baseline policy that fails counts here unless
    /// it reports something missing).
    pub excessive: usize,
    /// Of the decided, those resting on an assumption (an absent claim read as the lowest value,
    /// an assumed scope implication or claim mapping): never evidence.
    pub assumed: usize,
    /// Of the decided, those resting on a catalog overlay's definition (`--catalog`).
    pub overlay: usize,
}

impl Coverage {
    /// Requirements that count towards the share: decided and unverifiable.
    #[must_use]
    pub fn checkable(&self) -> usize {
        self.decided + self.unverifiable
    }

    /// Every requirement counted: decided, unverifiable and not applicable.
    #[must_use]
    pub fn total(&self) -> usize {
        self.checkable() + self.not_applicable
    }

    /// Decided on evidence: decided and not on an assumption.
    #[must_use]
    pub fn on_evidence(&self) -> usize {
        self.decided.saturating_sub(self.assumed)
    }

    /// The decided share in whole percent, rounded down; 0 when nothing could be checked.
    #[must_use]
    pub fn percent(&self) -> usize {
        (self.decided * 100)
            .checked_div(self.checkable())
            .unwrap_or_default()
    }

    /// The share decided on evidence in whole percent, rounded down.
    #[must_use]
    pub fn evidence_percent(&self) -> usize {
        (self.on_evidence() * 100)
            .checked_div(self.checkable())
            .unwrap_or_default()
    }

    /// Adds another coverage to this one.
    pub fn add(&mut self, other: Coverage) {
        self.decided += other.decided;
        self.unverifiable += other.unverifiable;
        self.not_applicable += other.not_applicable;
        self.passed += other.passed;
        self.missing += other.missing;
        self.excessive += other.excessive;
        self.assumed += other.assumed;
        self.overlay += other.overlay;
    }

    /// Counts one evaluation.
    fn count(&mut self, evaluation: &Evaluation) {
        match evaluation.status {
            Status::Unverifiable => {
                self.unverifiable += 1;
                return;
            }
            Status::Missing if evaluation.not_applicable => {
                self.not_applicable += 1;
                return;
            }
            Status::Passed => self.passed += 1,
            Status::Missing => self.missing += 1,
            Status::Excessive => self.excessive += 1,
        }
        self.decided += 1;
        match evaluation.evidence.grade {
            Grade::Assumed => self.assumed += 1,
            Grade::Overlay => self.overlay += 1,
            Grade::Seen | Grade::Implied | Grade::Undecided => {}
        }
    }

    /// "20 of 37 requirements decided (54%), 3 of them on an assumption, 17 unverifiable, 0 not
    /// applicable".
    #[must_use]
    pub fn text(&self) -> String {
        format!(
            "{} of {} {} decided ({}%){}, {} unverifiable, {} not applicable",
            self.decided,
            self.checkable(),
            if self.checkable() == 1 {
                "requirement"
            } else {
                "requirements"
            },
            self.percent(),
            self.assumed_text(),
            self.unverifiable,
            self.not_applicable
        )
    }

    /// ", 3 of them on an assumption" (and on a catalog overlay), or nothing.
    #[must_use]
    pub fn assumed_text(&self) -> String {
        let mut text = String::new();
        if self.assumed > 0 {
            text.push_str(&format!(", {} of them on an assumption", self.assumed));
        }
        if self.overlay > 0 {
            text.push_str(&format!(
                ", {} {} on a catalog overlay",
                self.overlay,
                if self.assumed > 0 { "" } else { "of them" }
            ));
        }
        text.replace("  ", " ")
    }

    /// "3 passed, 1 missing, 0 excessive, 2 unverifiable, 1 not applicable (7 requirements; 2
    /// decided on an assumption)": requirement counts that add up.
    #[must_use]
    pub fn breakdown(&self) -> String {
        let mut text = format!(
            "{} passed, {} missing, {} excessive, {} unverifiable, {} not applicable ({} {}",
            self.passed,
            self.missing,
            self.excessive,
            self.unverifiable,
            self.not_applicable,
            self.total(),
            if self.total() == 1 {
                "requirement"
            } else {
                "requirements"
            }
        );
        if self.assumed > 0 {
            text.push_str(&format!("; {} decided on an assumption", self.assumed));
        }
        if self.overlay > 0 {
            text.push_str(&format!("; {} on a catalog overlay", self.overlay));
        }
        text.push(')');
        text
    }
}

/// Why a run audited nothing it could stand behind, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct NotAudited {
    /// What is missing: `applications`, `agents`, or a list not read whole (`teams`, `roles`).
    pub what: &'static str,
    pub reason: String,
    pub fix: String,
}

/// Marks the set's unmet conditional requirements not applicable, and counts its evaluations.
pub(super) fn of_set(set: &mut SetOutcome, rules: Option<&RuleSet>) -> Coverage {
    let conditional: std::collections::BTreeSet<&str> = rules
        .map(|r| r.requirements.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|q| q.condition.is_some())
        .map(|q| q.id.as_str())
        .collect();
    let mut coverage = Coverage::default();
    for evaluation in &mut set.evaluations {
        evaluation.not_applicable = evaluation.status == Status::Missing
            && conditional.contains(evaluation.requirement.as_str());
        coverage.count(evaluation);
    }
    coverage
}

/// The evaluations of a baseline set: one per policy, over the whole tenant, decided by the
/// policy's findings (none: passed; only `unverifiable` ones: unverifiable; a finding of something
/// missing: missing; else excessive).
fn baseline_evaluations(
    set: &SetOutcome,
    rules: &RuleSet,
    findings: &[Finding],
    tenant: &Tenant,
) -> Vec<Evaluation> {
    rules
        .policies
        .iter()
        .map(|policy| {
            let of: Vec<&Finding> = findings
                .iter()
                .filter(|f| {
                    f.requirement_set == set.id && f.requirement.as_deref() == Some(&policy.id)
                })
                .collect();
            let decided: Vec<&&Finding> =
                of.iter().filter(|f| f.code != Code::Unverifiable).collect();
            let status = if of.is_empty() {
                Status::Passed
            } else if decided.is_empty() {
                Status::Unverifiable
            } else if decided.iter().any(|f| {
                matches!(
                    f.code,
                    Code::MissingGrant
                        | Code::LoginAgentDisabled
                        | Code::LoginAgentMissing
                        | Code::SuspiciousEmptyList
                )
            }) {
                Status::Missing
            } else {
                Status::Excessive
            };
            let permission = policy.check.agent_right().map(str::to_owned).or_else(|| {
                matches!(policy.check, crate::ruleset::PolicyCheck::AdminApiAgent)
                    .then(|| "agent.admin".to_owned())
            });
            let evidence = match status {
                Status::Unverifiable => Basis::plain(Grade::Undecided),
                Status::Passed => permission
                    .as_deref()
                    .and_then(|key| assumed_for_login_agents(tenant, key))
                    .unwrap_or_else(|| Basis::plain(Grade::Seen)),
                _ => finding_basis(&decided),
            };
            Evaluation {
                requirement: policy.id.clone(),
                title: policy.title.clone(),
                permission: permission.unwrap_or_default(),
                subject: Subject::tenant(tenant),
                status,
                assumed: false,
                severity: policy.severity,
                evidence,
                not_applicable: false,
            }
        })
        .collect()
}

/// The basis of a failed policy, from its findings: a catalog overlay they cite, an absent claim
/// in their chain, or else what they saw.
fn finding_basis(findings: &[&&Finding]) -> Basis {
    for f in findings {
        if let Some(line) = f.chain.iter().find(|l| l.contains(ABSENT_CLAIM)) {
            return Basis::because(Grade::Assumed, line.clone());
        }
    }
    for f in findings {
        if let Some(line) = f.assumptions.iter().find(|l| l.contains("catalog overlay")) {
            return Basis::because(Grade::Overlay, line.clone());
        }
    }
    Basis::plain(Grade::Seen)
}

/// How the evidence of an absent claim reads (`no Ux claim on the agent or its roles`).
const ABSENT_CLAIM: &str = "claim on the agent or its roles";

/// A policy that passed because no login agent has a right: an assumption when that "no" is an
/// absent claim read as the lowest value on some login agent.
fn assumed_for_login_agents(tenant: &Tenant, key: &str) -> Option<Basis> {
    let mut ids: Vec<i64> = tenant
        .applications()
        .iter()
        .filter_map(|a| a.login_agent_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.iter()
        .filter_map(|id| tenant.agent(*id))
        .find_map(|agent| {
            let effective = agent.permission(key)?;
            let c = effective.contributions.iter().find(|c| {
                c.confidence == crate::catalog::Confidence::Assumed
                    && Some(c.value) == effective.value
            })?;
            Some(Basis::because(
                Grade::Assumed,
                format!("agent `{}`: {}: read as No", agent.name, c.evidence),
            ))
        })
}

/// Gives every set its evaluations (a baseline one per policy; a set whose application list
/// cannot be read one per requirement, unverifiable), fills in every set's coverage and the
/// reasons the run audited nothing.
pub(super) fn fill(outcome: &mut Outcome, tenant: &Tenant, library: &Library) {
    for i in 0..outcome.sets.len() {
        let Some(rules) = library.get(&outcome.sets[i].id) else {
            continue;
        };
        let set = &outcome.sets[i];
        let evaluations = match &set.state {
            SetState::Baseline => baseline_evaluations(set, rules, &outcome.findings, tenant),
            SetState::NotEvaluable { .. } => rules
                .requirements
                .iter()
                .map(|q| Evaluation::new(rules, q, Subject::tenant(tenant), Status::Unverifiable))
                .collect(),
            _ => continue,
        };
        outcome.sets[i].evaluations = evaluations;
    }
    for set in &mut outcome.sets {
        set.coverage = of_set(set, library.get(&set.id));
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
        // A list the fetch stopped reading is said below, with its own reason.
        if incomplete(tenant, endpoint).is_some() {
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
    // Every list the fetch did not read whole: what it left out may be what matters.
    for (what, noun, endpoint) in [
        ("applications", "application", "/api/Application"),
        ("agents", "agent", "/api/Agent"),
        ("teams", "team", "/api/Team"),
        ("roles", "role", "/api/Roles"),
    ] {
        if let Some(gap) = incomplete(tenant, endpoint) {
            out.push(NotAudited {
                what,
                reason: format!(
                    "the {noun} list was not read whole ({}){}",
                    gap.reason,
                    gap.detail
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ),
                fix: "fetch again (a list that changed while it was read is read whole the next time); if the tenant really holds more records than --max-records, raise it (or `instance.max_records`); a server whose paging breaks these bounds is not HaloPSA as halo-audit knows it (docs/fetching.md)".to_owned(),
            });
        }
    }
    out
}

/// The gap of a list (exactly `endpoint`) that the fetch did not read whole.
fn incomplete<'t>(tenant: &'t Tenant, endpoint: &str) -> Option<&'t crate::tenant::Gap> {
    tenant.provenance.gaps.iter().find(|g| {
        g.endpoint == endpoint && crate::snapshot::INCOMPLETE_LIST.contains(&g.reason.as_str())
    })
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
                passed: 1,
                ..Coverage::default()
            }
        );
        assert_eq!(demo.total(), 4, "every requirement counted once");
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
    fn an_absent_claim_is_a_decision_on_an_assumption_counted_apart() {
        // The tenant's claims are readable (`l4` is known), but neither the agent nor a role
        // carries a Customers claim: read as No Access, an assumption.
        let t = tenant(
            json!([{"type": "l4", "value": "1"}]),
            true,
            Some(demo_app()),
        );
        let outcome = run(&t);
        let demo = set(&outcome, "demo-set");
        let customers = demo
            .evaluations
            .iter()
            .find(|e| e.requirement == "demo.customers")
            .unwrap();
        assert_eq!(customers.status, Status::Missing);
        assert_eq!(customers.evidence.grade, Grade::Assumed);
        assert_eq!(
            customers.evidence.because.as_deref(),
            Some("no Ux claim on the agent or its roles: read as No Access")
        );
        // The claim that is there is evidence; a scope held is seen.
        let delete = demo
            .evaluations
            .iter()
            .find(|e| e.requirement == "demo.no-delete")
            .unwrap();
        assert_eq!(
            (delete.status, delete.evidence.grade),
            (Status::Excessive, Grade::Seen)
        );
        let c = demo.coverage;
        assert_eq!(
            (
                c.decided,
                c.assumed,
                c.on_evidence(),
                c.passed,
                c.missing,
                c.excessive
            ),
            (3, 1, 2, 1, 1, 1),
            "{c:?}"
        );
        assert_eq!(
            c.text(),
            "3 of 3 requirements decided (100%), 1 of them on an assumption, 0 unverifiable, 1 not applicable"
        );
        assert_eq!(
            c.breakdown(),
            "1 passed, 1 missing, 1 excessive, 0 unverifiable, 1 not applicable (4 requirements; 1 decided on an assumption)"
        );
        // The finding of the assumed decision points at its basis.
        let finding = outcome
            .findings
            .iter()
            .find(|f| f.requirement.as_deref() == Some("demo.customers"))
            .unwrap();
        assert_eq!(
            outcome.basis_of(finding).map(|b| b.grade),
            Some(Grade::Assumed)
        );
        let summary = outcome.summary();
        assert!(
            summary
                .assumed
                .iter()
                .any(|d| d.requirement == "demo.customers")
        );
        assert_eq!(summary.findings.assumed, 1, "{:?}", summary.findings);
    }

    #[test]
    fn the_baseline_has_an_evaluation_per_policy_adding_up_to_its_coverage() {
        let t = tenant(
            json!([{"type": "l4", "value": "1"}]),
            true,
            Some(demo_app()),
        );
        let outcome = run(&t);
        let baseline = set(&outcome, "baseline");
        let policies = library().get("baseline").unwrap().policies.len();
        assert_eq!(baseline.evaluations.len(), policies);
        let c = baseline.coverage;
        assert_eq!(c.total(), policies);
        assert_eq!(c.passed + c.missing + c.excessive, c.decided);
        // Every failed policy has its findings; every policy with a decided finding failed.
        for e in &baseline.evaluations {
            let decided = outcome.findings.iter().any(|f| {
                f.requirement.as_deref() == Some(e.requirement.as_str())
                    && f.code != Code::Unverifiable
            });
            assert_eq!(
                decided,
                matches!(e.status, Status::Missing | Status::Excessive),
                "{e:?}"
            );
        }
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
