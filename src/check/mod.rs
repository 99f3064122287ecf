//! The rule engine: `(Tenant, Library, Catalog, Selection) -> Outcome`.
//!
//! Owns: binding requirement sets to API applications, evaluating every requirement against the
//! application's scopes (through the catalog's scope lattice) and its login agent's effective
//! permissions, excess analysis, the baseline policies, and the chain of evidence behind each
//! finding. Pure: no I/O, no async, no printing; output order is deterministic.

mod baseline;
pub mod coverage;
mod finding;
pub mod waivers;

use std::collections::{BTreeMap, BTreeSet};

pub use coverage::{Coverage, NotAudited};
pub use finding::{
    Evaluation, Finding, SetOutcome, SetState, Status, Subject, SubjectKind, WaiverNote,
};

use crate::catalog::{Catalog, Confidence, Derived, Kind, PermRef, PermissionDef, Source};
use crate::diag::{Code, Severity};
use crate::ruleset::{Expect, Library, Requirement, RuleSet, SetKind, glob_match};
use crate::tenant::{Agent, Application, Contribution, Effective, Origin, Tenant, Value};

/// Which sets run and how they bind.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Sets asked for explicitly (`--set`, configuration). Empty: every set whose default binding
    /// matches an application.
    pub sets: Vec<String>,
    /// Explicit bindings: set id → application display names or client ids (exact, case-insensitive).
    pub bindings: BTreeMap<String, Vec<String>>,
    /// Explicit agent bindings: set id → the agent (name, or `#id`) whose permissions the set's
    /// agent requirements are checked against, instead of its applications' login agent.
    pub agents: BTreeMap<String, String>,
}

/// A selection that cannot run.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CheckError {
    #[error("unknown requirement set `{id}`")]
    #[diagnostic(code(halo_audit::check::unknown_set), help("{help}"))]
    UnknownSet { id: String, help: String },
}

/// Everything a check found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub sets: Vec<SetOutcome>,
    pub findings: Vec<Finding>,
    /// Why the run audited nothing it can stand behind (empty when it did): never a pass.
    pub not_audited: Vec<NotAudited>,
}

impl Outcome {
    /// Number of findings of a severity (waived findings excluded by the caller).
    #[must_use]
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The coverage of every set together.
    #[must_use]
    pub fn coverage(&self) -> Coverage {
        let mut total = Coverage::default();
        for set in &self.sets {
            total.add(set.coverage);
        }
        total
    }

    /// Number of `unverifiable` findings.
    #[must_use]
    pub fn unverifiable(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.code == Code::Unverifiable)
            .count()
    }
}

/// Runs the check.
///
/// # Errors
/// [`CheckError::UnknownSet`] when a selected set is not in the library.
pub fn check(
    tenant: &Tenant,
    library: &Library,
    catalog: &Catalog,
    selection: &Selection,
) -> Result<Outcome, CheckError> {
    validate(library, selection)?;
    let mut run = Run {
        tenant,
        catalog,
        findings: Vec::new(),
        agent_for: BTreeMap::new(),
    };
    for (set_id, wanted) in &selection.agents {
        match find_agent(tenant, wanted) {
            Some(id) => {
                run.agent_for.insert(set_id.clone(), id);
            }
            None => run.findings.push(Finding {
                code: Code::BindingNotFound,
                severity: Code::BindingNotFound.default_severity(),
                requirement_set: set_id.clone(),
                requirement: None,
                subject: Subject::tenant(tenant),
                permission: None,
                expected: Some(format!("the agent `{wanted}`")),
                actual: Some(if tenant.agents.is_none() {
                    "the snapshot holds no agents".to_owned()
                } else {
                    format!("{} agents, none matching", tenant.agents().len())
                }),
                message: format!(
                    "no agent matches `{wanted}`, configured as the agent of `{set_id}`"
                ),
                chain: Vec::new(),
                assumptions: Vec::new(),
                help: Some(
                    "give the agent's exact name or `#id` in halo-audit.yaml (bindings > agent)"
                        .to_owned(),
                ),
                rule_location: library.get(set_id).map(|s| s.location.clone()),
                waiver: None,
            }),
        }
    }
    let explicit: BTreeSet<&str> = selection
        .sets
        .iter()
        .chain(selection.bindings.keys())
        .chain(selection.agents.keys())
        .map(String::as_str)
        .collect();
    let mut sets = Vec::new();
    // Which sets bind each application, for excess and baseline analysis.
    let mut bound: BTreeMap<String, Vec<&RuleSet>> = BTreeMap::new();
    for set in library
        .sets
        .iter()
        .filter(|s| s.kind == SetKind::Integration)
    {
        let asked = explicit.contains(set.id.as_str());
        if !explicit.is_empty() && !asked {
            continue;
        }
        let outcome = run.integration_set(set, asked, selection.bindings.get(&set.id));
        if let SetState::Evaluated { applications } = &outcome.state {
            for app in applications {
                bound.entry(app.id.clone()).or_default().push(set);
            }
        }
        sets.push(outcome);
    }
    if tenant.applications.is_none() && explicit.is_empty() {
        let reason = applications_unreadable(tenant);
        run.findings.push(Finding {
            code: Code::Unverifiable,
            severity: Code::Unverifiable.default_severity(),
            requirement_set: "baseline".to_owned(),
            requirement: None,
            subject: Subject::tenant(tenant),
            permission: None,
            expected: Some("the tenant's API applications".to_owned()),
            actual: None,
            message: format!("no integration set could be checked: {reason}"),
            chain: Vec::new(),
            assumptions: Vec::new(),
            help: Some(
                "give the auditing application's agent access to API applications and fetch again"
                    .to_owned(),
            ),
            rule_location: library.get("baseline").map(|b| b.location.clone()),
            waiver: None,
        });
    }
    // A list the fetch could not read whole: what it left out is not audited, and a set "not in
    // use" may be in use. Never a silent pass.
    for gap in tenant
        .provenance
        .gaps
        .iter()
        .filter(|g| g.reason == "partial")
    {
        run.findings.push(Finding {
            code: Code::Unverifiable,
            severity: Code::Unverifiable.default_severity(),
            requirement_set: "baseline".to_owned(),
            requirement: None,
            subject: Subject::tenant(tenant),
            permission: None,
            expected: Some(format!("the whole {} list", gap.endpoint)),
            actual: gap.detail.clone(),
            message: format!(
                "the {} list is incomplete: what it left out is not audited, and sets reported not in use may be in use",
                gap.endpoint
            ),
            chain: Vec::new(),
            assumptions: Vec::new(),
            help: Some("fetch again; if the list stays short, the instance or a proxy is cutting its pages".to_owned()),
            rule_location: library.get("baseline").map(|b| b.location.clone()),
            waiver: None,
        });
    }
    run.excess_scopes(&bound);
    // Baseline policies judge an application by every set that describes it, whether or not this
    // run selected that set: `--set cloud-depot` must not make Rewst's application "unbound".
    let mut described = bound.clone();
    for set in library
        .sets
        .iter()
        .filter(|s| s.kind == SetKind::Integration && !sets.iter().any(|o| o.id == s.id))
    {
        for app in tenant
            .applications()
            .iter()
            .filter(|a| a.active != Some(false))
        {
            if binds(set, selection.bindings.get(&set.id), app, tenant) {
                described.entry(app.id.clone()).or_default().push(set);
            }
        }
    }
    for set in library.sets.iter().filter(|s| s.kind == SetKind::Baseline) {
        sets.push(baseline::run(&mut run, set, &described));
    }
    let mut findings = run.findings;
    findings.sort_by_key(|a| a.sort_key());
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
    for set in &mut sets {
        set.evaluations
            .sort_by(|a, b| (&a.requirement, &a.subject).cmp(&(&b.requirement, &b.subject)));
        set.evaluations
            .dedup_by(|a, b| a.requirement == b.requirement && a.subject == b.subject);
    }
    let mut outcome = Outcome {
        sets,
        findings,
        not_audited: Vec::new(),
    };
    coverage::fill(&mut outcome, tenant, library);
    Ok(outcome)
}

/// Checks that every set a selection names is in the library.
///
/// # Errors
/// [`CheckError::UnknownSet`] naming the first unknown set, with close ids as a hint.
pub fn validate(library: &Library, selection: &Selection) -> Result<(), CheckError> {
    for id in selection
        .sets
        .iter()
        .chain(selection.bindings.keys())
        .chain(selection.agents.keys())
    {
        if library.get(id).is_none() {
            let ids: Vec<&str> = library.sets.iter().map(|s| s.id.as_str()).collect();
            let close: Vec<&str> = ids
                .iter()
                .copied()
                .filter(|s| crate::catalog::edit_distance(s, id) <= 3 || s.contains(id.as_str()))
                .collect();
            let help = if close.is_empty() {
                format!(
                    "`halo-audit rules list` shows the {} sets available",
                    ids.len()
                )
            } else {
                format!(
                    "did you mean {}?",
                    close
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(CheckError::UnknownSet {
                id: id.clone(),
                help,
            });
        }
    }
    Ok(())
}

pub(crate) struct Run<'a> {
    pub(crate) tenant: &'a Tenant,
    pub(crate) catalog: &'a Catalog,
    pub(crate) findings: Vec<Finding>,
    /// Sets bound explicitly to an agent: set id → agent id.
    pub(crate) agent_for: BTreeMap<String, i64>,
}

/// Whether a set describes an application: by its configured binding (display names or client
/// ids, exact, case ignored) when it has one, else by its default binding.
fn binds(
    set: &RuleSet,
    explicit: Option<&Vec<String>>,
    app: &Application,
    tenant: &Tenant,
) -> bool {
    match explicit {
        Some(names) => names.iter().any(|n| {
            n.eq_ignore_ascii_case(&app.name)
                || app
                    .client_id
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(n))
        }),
        None => {
            let agent = app.login_agent_name.clone().or_else(|| {
                app.login_agent_id
                    .and_then(|id| tenant.agent(id))
                    .map(|a| a.name.clone())
            });
            set.binds(&app.name, app.client_id.as_deref(), agent.as_deref())
        }
    }
}

/// An agent by exact name (case-insensitive) or `#id`.
fn find_agent(tenant: &Tenant, wanted: &str) -> Option<i64> {
    let wanted = wanted.trim();
    if let Some(id) = wanted.strip_prefix('#') {
        let id: i64 = id.trim().parse().ok()?;
        return tenant.agent(id).map(|a| a.id);
    }
    tenant
        .agents()
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(wanted))
        .map(|a| a.id)
}

impl Run<'_> {
    fn integration_set(
        &mut self,
        set: &RuleSet,
        asked: bool,
        explicit: Option<&Vec<String>>,
    ) -> SetOutcome {
        let mut outcome = SetOutcome::new(set, SetState::NotInUse);
        let Some(apps) = self.tenant.applications.as_deref() else {
            let reason = applications_unreadable(self.tenant);
            if asked {
                self.findings.push(Finding {
                    code: Code::Unverifiable,
                    severity: Code::Unverifiable.default_severity(),
                    requirement_set: set.id.clone(),
                    requirement: None,
                    subject: Subject::tenant(self.tenant),
                    permission: None,
                    expected: Some("an application bound to this set".to_owned()),
                    actual: None,
                    message: format!("cannot tell whether `{}` is set up: {reason}", set.title),
                    chain: Vec::new(),
                    assumptions: Vec::new(),
                    help: Some("give the auditing application's agent access to API applications and fetch again".to_owned()),
                    rule_location: Some(set.location.clone()),
                    waiver: None,
                });
            }
            outcome.state = SetState::NotEvaluable { reason };
            return outcome;
        };
        let matched: Vec<&Application> = apps
            .iter()
            .filter(|a| binds(set, explicit, a, self.tenant))
            .collect();
        let active: Vec<&Application> = matched
            .iter()
            .copied()
            .filter(|a| a.active != Some(false))
            .collect();
        if active.is_empty() {
            let inactive: Vec<&str> = matched.iter().map(|a| a.name.as_str()).collect();
            if asked {
                let how = match explicit {
                    Some(names) => format!("the configured binding ({})", names.join(", ")),
                    None => format!("the default binding ({})", set.application_names.join(", ")),
                };
                let message = if inactive.is_empty() {
                    format!("no API application matches {how} of `{}`", set.id)
                } else {
                    format!(
                        "only inactive applications match {how} of `{}`: {}",
                        set.id,
                        inactive.join(", ")
                    )
                };
                self.findings.push(Finding {
                    code: Code::BindingNotFound,
                    severity: Code::BindingNotFound.default_severity(),
                    requirement_set: set.id.clone(),
                    requirement: None,
                    subject: Subject::tenant(self.tenant),
                    permission: None,
                    expected: Some(how),
                    actual: Some(match apps.len() { 1 => "1 application, not matching".to_owned(), n => format!("{n} applications, none matching") }),
                    message,
                    chain: Vec::new(),
                    assumptions: Vec::new(),
                    help: Some(format!("create the application as {}'s guide says, or bind the set explicitly in halo-audit.yaml", set.vendor.as_deref().unwrap_or(&set.title))),
                    rule_location: Some(set.location.clone()),
                    waiver: None,
                });
                outcome.state = SetState::BindingNotFound;
            } else if !inactive.is_empty() {
                outcome.state = SetState::OnlyInactive {
                    applications: inactive.iter().map(|s| (*s).to_owned()).collect(),
                };
            }
            return outcome;
        }
        outcome.state = SetState::Evaluated {
            applications: active.iter().map(|a| Subject::application(a)).collect(),
        };
        for app in active {
            let (findings_from, evaluations_from) =
                (self.findings.len(), outcome.evaluations.len());
            for requirement in &set.requirements {
                let evaluation = self.requirement(set, requirement, app);
                outcome.evaluations.push(evaluation);
            }
            self.alternatives(
                set,
                findings_from,
                &mut outcome.evaluations[evaluations_from..],
            );
        }
        outcome
    }

    /// Settles the set's alternatives for one application, given its requirements' evaluations
    /// (and the findings from `findings_from` on): when some option is met, the requirements of
    /// the other options are not needed, so their missing or undecided findings go and they count
    /// as passed; when none is, each finding says which other options would do.
    fn alternatives(
        &mut self,
        set: &RuleSet,
        findings_from: usize,
        evaluations: &mut [Evaluation],
    ) {
        for alt in &set.alternatives {
            let met = |ids: &Vec<String>, evaluations: &[Evaluation]| {
                ids.iter().all(|id| {
                    let of: Vec<&Evaluation> = evaluations
                        .iter()
                        .filter(|e| &e.requirement == id)
                        .collect();
                    !of.is_empty()
                        && of
                            .iter()
                            .all(|e| matches!(e.status, Status::Passed | Status::Excessive))
                })
            };
            let chosen = alt.options.iter().position(|o| met(o, evaluations));
            let option_text = |ids: &Vec<String>| ids.join(" and ");
            match chosen {
                Some(chosen) => {
                    let others: Vec<&String> = alt
                        .options
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != chosen)
                        .flat_map(|(_, o)| o)
                        .filter(|id| !alt.options[chosen].contains(id))
                        .collect();
                    for e in evaluations.iter_mut() {
                        if others.contains(&&e.requirement)
                            && matches!(e.status, Status::Missing | Status::Unverifiable)
                        {
                            e.status = Status::Passed;
                        }
                    }
                    let mut i = findings_from;
                    while i < self.findings.len() {
                        let f = &self.findings[i];
                        let drop = matches!(f.code, Code::MissingGrant | Code::Unverifiable)
                            && f.requirement.as_ref().is_some_and(|r| others.contains(&r));
                        if drop {
                            self.findings.remove(i);
                        } else {
                            i += 1;
                        }
                    }
                }
                None => {
                    for f in &mut self.findings[findings_from..] {
                        let Some(r) = f.requirement.clone() else {
                            continue;
                        };
                        if !matches!(f.code, Code::MissingGrant | Code::Unverifiable)
                            || !alt.mentions(&r)
                        {
                            continue;
                        }
                        let instead: Vec<String> = alt
                            .options
                            .iter()
                            .filter(|o| !o.contains(&r))
                            .map(option_text)
                            .collect();
                        f.message.push_str(&format!(
                            " ({}: any one option is enough; the others are {})",
                            alt.title,
                            instead.join(", or ")
                        ));
                    }
                }
            }
        }
    }

    fn requirement(
        &mut self,
        set: &RuleSet,
        requirement: &Requirement,
        app: &Application,
    ) -> Evaluation {
        if let Some(ambiguity) = &requirement.ambiguity {
            self.findings.push(self.finding(
                set,
                requirement,
                Subject::application(app),
                Code::AmbiguousRequirement,
                Severity::Note,
                ambiguity.clone(),
            ));
        }
        match &requirement.permission {
            PermRef::Scope(scope) => self.scope_requirement(set, requirement, app, scope),
            PermRef::Role(pattern) => {
                let perm = role_permission(pattern);
                self.agent_requirement(set, requirement, app, &perm)
            }
            PermRef::Agent(index) => match self.catalog.permissions.get(*index) {
                Some(perm) => self.agent_requirement(set, requirement, app, perm),
                None => Evaluation::new(
                    set,
                    requirement,
                    Subject::application(app),
                    Status::Unverifiable,
                ),
            },
        }
    }

    fn finding(
        &self,
        set: &RuleSet,
        requirement: &Requirement,
        subject: Subject,
        code: Code,
        severity: Severity,
        message: String,
    ) -> Finding {
        Finding {
            code,
            severity,
            requirement_set: set.id.clone(),
            requirement: Some(requirement.id.clone()),
            subject,
            permission: Some(requirement.key.clone()),
            expected: Some(self.expected_text(requirement)),
            actual: None,
            message,
            chain: Vec::new(),
            assumptions: Vec::new(),
            help: None,
            rule_location: Some(requirement.location.clone()),
            waiver: None,
        }
    }

    fn expected_text(&self, requirement: &Requirement) -> String {
        requirement.expected_text(self.catalog)
    }

    fn scope_requirement(
        &mut self,
        set: &RuleSet,
        requirement: &Requirement,
        app: &Application,
        scope: &str,
    ) -> Evaluation {
        let subject = Subject::application(app);
        let Some(held) = app.scopes.as_ref() else {
            let mut f = self.finding(
                set,
                requirement,
                subject.clone(),
                Code::Unverifiable,
                Code::Unverifiable.default_severity(),
                format!(
                    "the scopes of application `{}` are not in the snapshot",
                    app.name
                ),
            );
            f.help = Some(
                "fetch the application's details (`/api/Application/{id}?includedetails=true`)"
                    .to_owned(),
            );
            self.findings.push(f);
            return Evaluation::new(set, requirement, subject, Status::Unverifiable);
        };
        let grant = self.catalog.scope_grant(held.iter(), scope);
        let where_ = format!(
            "Configuration > Integrations > HaloPSA API > View Applications > {} > Permissions",
            app.name
        );
        let actual = if held.is_empty() {
            "no scopes".to_owned()
        } else {
            held.join(", ")
        };
        match (requirement.expect, grant) {
            (Expect::Granted, None) => {
                let mut f = self.finding(
                    set,
                    requirement,
                    subject.clone(),
                    Code::MissingGrant,
                    missing_severity(requirement),
                    format!(
                        "application `{}` lacks scope `{scope}`: {}{}",
                        app.name,
                        requirement.title,
                        only_if(requirement)
                    ),
                );
                f.actual = Some(actual);
                f.help = Some(format!("tick `{scope}` in {where_}"));
                self.findings.push(f);
                Evaluation::new(set, requirement, subject, Status::Missing)
            }
            (Expect::Granted, Some(grant)) => {
                let mut evaluation =
                    Evaluation::new(set, requirement, subject.clone(), Status::Passed);
                if grant.confidence == Confidence::Assumed {
                    let mut f = self.finding(set, requirement, subject, Code::SatisfiedByAssumption, Severity::Note, format!("application `{}` has `{scope}` only through `{}`, assumed to include it", app.name, grant.chain.first().map_or("", String::as_str)));
                    f.chain = vec![format!("scope chain: {}", grant.chain.join(" ⊇ "))];
                    f.assumptions = grant.notes.clone();
                    f.actual = Some(actual);
                    f.help = Some(format!(
                        "to rely on a documented grant instead, tick `{scope}` in {where_}"
                    ));
                    self.findings.push(f);
                    evaluation.assumed = true;
                }
                evaluation
            }
            (Expect::NotGranted, None) => {
                Evaluation::new(set, requirement, subject, Status::Passed)
            }
            (Expect::NotGranted, Some(grant)) => {
                let mut f = self.finding(
                    set,
                    requirement,
                    subject.clone(),
                    Code::ExcessiveGrant,
                    missing_severity(requirement),
                    format!(
                        "application `{}` holds `{scope}`{}, which {} says it must not have{}",
                        app.name,
                        if grant.is_direct() {
                            String::new()
                        } else {
                            format!(
                                " through `{}`",
                                grant.chain.first().map_or("", String::as_str)
                            )
                        },
                        set.title,
                        applies_only_if(requirement)
                    ),
                );
                f.actual = Some(actual);
                f.chain = vec![format!("scope chain: {}", grant.chain.join(" ⊇ "))];
                f.help = Some(format!(
                    "remove `{}` in {where_}",
                    grant.chain.first().map_or(scope, String::as_str)
                ));
                self.findings.push(f);
                Evaluation::new(set, requirement, subject, Status::Excessive)
            }
            (Expect::AtLeast { .. } | Expect::AtMost(_), _) => {
                Evaluation::new(set, requirement, subject, Status::Unverifiable)
            }
        }
    }

    fn agent_requirement(
        &mut self,
        set: &RuleSet,
        requirement: &Requirement,
        app: &Application,
        perm: &PermissionDef,
    ) -> Evaluation {
        let login = self.agent_for.get(&set.id).copied().or(app.login_agent_id);
        let Some(agent_id) = login else {
            let subject = Subject::application(app);
            let mut f = self.finding(
                set,
                requirement,
                subject.clone(),
                Code::Unverifiable,
                Code::Unverifiable.default_severity(),
                format!(
                    "application `{}` logs in as no agent, so `{}` cannot be checked",
                    app.name, perm.label
                ),
            );
            f.help = Some(format!(
                "set the agent to log in as in Configuration > Integrations > HaloPSA API > View Applications > {}",
                app.name
            ));
            self.findings.push(f);
            return Evaluation::new(set, requirement, subject, Status::Unverifiable);
        };
        let Some(agent) = self.tenant.agent(agent_id) else {
            let name = app
                .login_agent_name
                .clone()
                .unwrap_or_else(|| format!("agent {agent_id}"));
            let subject = Subject {
                kind: SubjectKind::Agent,
                id: agent_id.to_string(),
                name: name.clone(),
            };
            let reason = if self.tenant.agents.is_none() {
                "the snapshot holds no agents"
            } else {
                "the agent is not in the snapshot's agent list"
            };
            let f = self.finding(
                set,
                requirement,
                subject.clone(),
                Code::Unverifiable,
                Code::Unverifiable.default_severity(),
                format!(
                    "`{}` of `{name}` (login agent of `{}`) cannot be checked: {reason}",
                    perm.label, app.name
                ),
            );
            self.findings.push(f);
            return Evaluation::new(set, requirement, subject, Status::Unverifiable);
        };
        let subject = Subject::agent(agent);
        let empty = Effective::default();
        let held;
        let effective = match &requirement.permission {
            PermRef::Role(pattern) => {
                held = role_effective(agent, pattern);
                &held
            }
            _ => agent.permission(&perm.key).unwrap_or(&empty),
        };
        let actual = describe(self.catalog, perm, effective);
        let chain = chain(self.catalog, perm, effective);
        let assumptions = assumptions(self.catalog, perm, effective);
        let context = format!("login agent `{}` of application `{}`", agent.name, app.name);
        let decision = decide(requirement.expect, effective, perm, set.excess_levels);
        let status = decision.status;
        let (code, severity, message) = match status {
            Status::Unverifiable if decision.incomparable => (
                Code::AmbiguousRequirement,
                Severity::Note,
                format!(
                    "{context} has {} {actual}, which Halo's levels do not rank against {} (each allows something the other does not), so halo-audit does not decide it",
                    perm.label,
                    self.expected_text(requirement)
                ),
            ),
            Status::Passed => return Evaluation::new(set, requirement, subject, Status::Passed),
            Status::Missing => (
                Code::MissingGrant,
                missing_severity(requirement),
                format!(
                    "{context} lacks {}{}",
                    lacks_what(&perm.label, &requirement.title),
                    only_if(requirement)
                ),
            ),
            Status::Excessive => {
                let severity = if matches!(requirement.expect, Expect::AtLeast { .. }) {
                    set.excess_level_severity
                } else {
                    // A conditional "must not" that is broken is a note, like a conditional need.
                    missing_severity(requirement)
                };
                let condition = if matches!(requirement.expect, Expect::AtLeast { .. }) {
                    String::new()
                } else {
                    applies_only_if(requirement)
                };
                (
                    Code::ExcessiveGrant,
                    severity,
                    format!(
                        "{context}: \"{}\" is {actual}, beyond what {} needs ({}){condition}",
                        perm.label,
                        set.title,
                        self.expected_text(requirement)
                    ),
                )
            }
            Status::Unverifiable => (
                Code::Unverifiable,
                Code::Unverifiable.default_severity(),
                format!(
                    "{} of {context} cannot be decided: {}",
                    perm.label,
                    effective.unknown.join("; ")
                ),
            ),
        };
        let mut f = self.finding(set, requirement, subject.clone(), code, severity, message);
        f.actual = Some(actual.clone());
        f.chain = chain;
        f.assumptions = assumptions;
        f.help = Some(if decision.incomparable {
            format!(
                "decide whether {actual} meets what {} needs; set \"{}\" to a level that is comparable (e.g. {}) to make the check decidable",
                set.title,
                perm.label,
                self.expected_text(requirement)
            )
        } else if status == Status::Unverifiable {
            format!(
                "halo-audit could not read this value ({}); `halo-audit snapshot show` lists what the catalog does not understand",
                effective.unknown.join("; ")
            )
        } else {
            fix_text(self.catalog, perm, requirement, agent, effective)
        });
        self.findings.push(f);
        Evaluation::new(set, requirement, subject, status)
    }

    /// Scopes an application holds that no set bound to it needs.
    fn excess_scopes(&mut self, bound: &BTreeMap<String, Vec<&RuleSet>>) {
        for app in self.tenant.applications() {
            let Some(sets) = bound.get(&app.id) else {
                continue;
            };
            let reporting: Vec<&&RuleSet> = sets.iter().filter(|s| s.excess_scopes).collect();
            let Some(first) = reporting.first() else {
                continue;
            };
            let Some(held) = &app.scopes else { continue };
            // The scopes the bound sets' requirements name with an expectation.
            let scopes_expected = |expect: Expect| -> BTreeSet<&str> {
                sets.iter()
                    .flat_map(|s| s.requirements.iter())
                    .filter(|r| r.expect == expect)
                    .filter_map(|r| match &r.permission {
                        PermRef::Scope(s) => Some(s.as_str()),
                        PermRef::Agent(_) | PermRef::Role(_) => None,
                    })
                    .collect()
            };
            let needed = scopes_expected(Expect::Granted);
            // A scope a requirement forbids is reported by that requirement, not a second time here.
            let forbidden = scopes_expected(Expect::NotGranted);
            // Once per application, bounded: repeated in each excess finding, it must not grow
            // with the square of the number of scopes.
            let held_text = crate::text::bounded_list(held, ", ");
            for scope in held
                .iter()
                .filter(|s| !needed.contains(s.as_str()) && !forbidden.contains(s.as_str()))
            {
                let names: Vec<&str> = reporting.iter().map(|s| s.title.as_str()).collect();
                let covered: Vec<&str> = needed
                    .iter()
                    .copied()
                    .filter(|n| {
                        let one = [scope.clone()];
                        self.catalog.scope_grant(one.iter(), n).is_some()
                    })
                    .collect();
                let mut message = format!(
                    "application `{}` holds `{scope}`, which no requirement of {} needs",
                    app.name,
                    names.join(", ")
                );
                if !self.catalog.is_scope(scope) {
                    message.push_str(" (and which is not a scope halo-audit knows)");
                }
                let help = if covered.is_empty() {
                    format!(
                        "remove `{scope}` in Configuration > Integrations > HaloPSA API > View Applications > {} > Permissions",
                        app.name
                    )
                } else {
                    format!(
                        "`{scope}` is broader than needed: it stands in for {}; grant those instead and remove `{scope}`",
                        covered
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                self.findings.push(Finding {
                    code: Code::ExcessiveGrant,
                    severity: first.excess_scope_severity,
                    requirement_set: first.id.clone(),
                    requirement: None,
                    subject: Subject::application(app),
                    permission: Some(format!("scope:{scope}")),
                    expected: Some(if needed.is_empty() {
                        "no scopes".to_owned()
                    } else {
                        needed.iter().copied().collect::<Vec<_>>().join(", ")
                    }),
                    actual: Some(held_text.clone()),
                    message,
                    chain: Vec::new(),
                    assumptions: Vec::new(),
                    help: Some(help),
                    rule_location: Some(first.location.clone()),
                    waiver: None,
                });
            }
        }
    }
}

/// "Invoices: Invoices Access Level: Read" says the label twice: a title that already starts
/// with the permission's label stands alone; otherwise the label leads and the title explains.
fn lacks_what(label: &str, title: &str) -> String {
    let starts = title
        .get(..label.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(label));
    if starts {
        title.to_owned()
    } else {
        format!("{label}: {title}")
    }
}

/// A conditional requirement that is not met is a note: the tenant may not use that feature.
fn missing_severity(requirement: &Requirement) -> Severity {
    if requirement.condition.is_some() {
        Severity::Note
    } else {
        requirement.severity
    }
}

/// " (needed only if …)" for conditional requirements.
fn only_if(requirement: &Requirement) -> String {
    requirement
        .condition
        .as_deref()
        .map(|c| format!(" (needed only if {c})"))
        .unwrap_or_default()
}

/// " (applies only if …)" for conditional limits (`expect: no`, `at_most`).
fn applies_only_if(requirement: &Requirement) -> String {
    requirement
        .condition
        .as_deref()
        .map(|c| format!(" (applies only if {c})"))
        .unwrap_or_default()
}

/// Why the tenant's application list is not known.
fn applications_unreadable(tenant: &Tenant) -> String {
    tenant.gap("/api/Application").map_or_else(
        || "the snapshot holds no application list".to_owned(),
        |g| {
            let status = g.status.map(|s| s.to_string()).unwrap_or_default();
            format!(
                "the application list could not be read ({status} {})",
                g.reason
            )
        },
    )
}

/// Decides a requirement from an effective permission.
/// The catalog-like definition of a `role:PATTERN` requirement: a yes/no "holds such a role".
pub(crate) fn role_permission(pattern: &str) -> PermissionDef {
    PermissionDef::synthetic(
        format!("role:{pattern}"),
        format!("Role {pattern}"),
        Kind::Flag,
        "Roles",
        Source::Derived(Derived::HasRoles),
    )
}

/// Whether a role name matches a `role:` pattern: globs separated by `|`, any of which may match
/// (case ignored).
pub(crate) fn role_matches(pattern: &str, name: &str) -> bool {
    pattern
        .split('|')
        .map(str::trim)
        .any(|alternative| !alternative.is_empty() && glob_match(alternative, name))
}

/// Whether the agent holds a role whose name matches `pattern`, with the roles that decide it.
pub(crate) fn role_effective(agent: &Agent, pattern: &str) -> Effective {
    let mut effective = Effective::default();
    let Some(roles) = &agent.roles else {
        effective
            .unknown
            .push("the agent's roles are not in the snapshot".to_owned());
        return effective;
    };
    for role in roles.iter().filter(|r| role_matches(pattern, &r.name)) {
        effective.add(Contribution {
            origin: Origin::Role {
                id: role.id.clone(),
                name: role.name.clone(),
            },
            evidence: format!("holds role `{}`", role.name),
            value: Value::Flag(true),
            confidence: Confidence::Confirmed,
        });
    }
    if effective.contributions.is_empty() {
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        effective.add(Contribution {
            origin: Origin::Structure,
            evidence: if names.is_empty() {
                "holds no roles".to_owned()
            } else {
                format!("holds only {}", names.join(", "))
            },
            value: Value::Flag(false),
            confidence: Confidence::Confirmed,
        });
    }
    effective
}

/// A requirement's outcome, and whether it rests on levels that are not comparable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decision {
    status: Status,
    /// The effective level and the required one are not ordered (the status is then
    /// `Unverifiable` when nothing else decides it).
    incomparable: bool,
}

fn decide(
    expect: Expect,
    effective: &Effective,
    perm: &PermissionDef,
    excess_levels: bool,
) -> Decision {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let decided = |status| Decision {
        status,
        incomparable: false,
    };
    let complete = effective.unknown.is_empty();
    let maxima: Vec<usize> = effective
        .maxima()
        .filter_map(|v| match v {
            Value::Level(l) => Some(l),
            Value::Flag(_) => None,
        })
        .collect();
    let undecided = Decision {
        status: Status::Unverifiable,
        incomparable: true,
    };
    match (expect, effective.value) {
        (Expect::Granted, Some(Value::Flag(true))) => decided(Status::Passed),
        (Expect::NotGranted, Some(Value::Flag(true))) => decided(Status::Excessive),
        (
            Expect::AtLeast {
                level,
                allow_higher,
            },
            Some(Value::Level(_)),
        ) => {
            let order: Vec<Option<std::cmp::Ordering>> =
                maxima.iter().map(|&m| perm.compare(m, level)).collect();
            if order.iter().any(|o| matches!(o, Some(Greater | Equal))) {
                let report_excess = excess_levels && !allow_higher;
                if report_excess && order.contains(&Some(Greater)) {
                    decided(Status::Excessive)
                } else if report_excess && order.contains(&None) {
                    undecided
                } else {
                    decided(Status::Passed)
                }
            } else if order.contains(&None) {
                undecided
            } else if !complete {
                decided(Status::Unverifiable)
            } else {
                decided(Status::Missing)
            }
        }
        (Expect::AtMost(level), Some(Value::Level(_))) => {
            let order: Vec<Option<std::cmp::Ordering>> =
                maxima.iter().map(|&m| perm.compare(m, level)).collect();
            if order.contains(&Some(Greater)) {
                decided(Status::Excessive)
            } else if order.contains(&None) {
                undecided
            } else if !complete {
                decided(Status::Unverifiable)
            } else {
                debug_assert!(order.iter().all(|o| matches!(o, Some(Less | Equal))));
                decided(Status::Passed)
            }
        }
        _ if !complete => decided(Status::Unverifiable),
        (Expect::Granted, _) | (Expect::AtLeast { .. }, _) => decided(Status::Missing),
        (Expect::NotGranted | Expect::AtMost(_), _) => decided(Status::Passed),
    }
}

fn value_text(catalog: &Catalog, perm: &PermissionDef, value: Value) -> String {
    match value {
        Value::Flag(true) => "Yes".to_owned(),
        Value::Flag(false) => "No".to_owned(),
        Value::Level(l) => catalog.level_label(perm, l),
    }
}

/// "Read and Modify (through role Billing)".
fn describe(catalog: &Catalog, perm: &PermissionDef, effective: &Effective) -> String {
    let one = |value: Value| {
        let text = value_text(catalog, perm, value);
        match effective.contributions.iter().find(|c| c.value == value) {
            Some(c) => match &c.origin {
                Origin::Role { name, .. } => format!("{text} (through role {name})"),
                Origin::Structure => format!("{text} ({})", c.evidence),
                Origin::Agent => text,
            },
            None => text,
        }
    };
    if effective.value.is_none() {
        return "unknown".to_owned();
    }
    effective
        .maxima()
        .map(one)
        .collect::<Vec<_>>()
        .join(" and ")
}

fn chain(catalog: &Catalog, perm: &PermissionDef, effective: &Effective) -> Vec<String> {
    let mut out: Vec<String> = effective
        .contributions
        .iter()
        .map(|c| {
            let who = match &c.origin {
                Origin::Agent => "agent".to_owned(),
                Origin::Role { name, .. } => format!("role {name}"),
                Origin::Structure => "structure".to_owned(),
            };
            format!(
                "{who}: {} → {}",
                c.evidence,
                value_text(catalog, perm, c.value)
            )
        })
        .collect();
    out.extend(effective.unknown.iter().map(|u| format!("unknown: {u}")));
    out
}

fn assumptions(catalog: &Catalog, perm: &PermissionDef, effective: &Effective) -> Vec<String> {
    let mut out: Vec<String> = effective.notes.clone();
    let weakest = effective
        .contributions
        .iter()
        .map(|c| c.confidence)
        .min()
        .unwrap_or(Confidence::Confirmed);
    if let Some(place) = &perm.user_source
        && matches!(perm.source, Source::Claim(_))
    {
        out.push(format!(
            "\"{}\" is read as your catalog overlay ({place}) says",
            perm.label
        ));
    } else if weakest == Confidence::Observed {
        let cite = perm
            .cite
            .as_deref()
            .and_then(|c| catalog.cited(c).map(|text| (c, text)));
        out.push(match cite {
            Some((key, _)) => format!(
                "observed: the claim code and value table of \"{}\" come from public third-party tooling that decodes Halo's database (`{key}` in the catalog), not from Halo",
                perm.label
            ),
            None => format!(
                "observed: the claim code of \"{}\" comes from public third-party tooling, not from Halo",
                perm.label
            ),
        });
    }
    if weakest == Confidence::Assumed {
        if let Some(note) = &perm.note {
            out.push(note.clone());
        } else if perm.confidence == Confidence::Assumed {
            out.push(format!(
                "the mapping of \"{}\" to the API is assumed",
                perm.label
            ));
        }
        if effective
            .contributions
            .iter()
            .any(|c| c.confidence == Confidence::Assumed && c.evidence.starts_with("no "))
        {
            out.push(format!(
                "no claim for \"{}\" on the agent or its roles is read as the lowest setting (assumed: Halo may not store a claim for it)",
                perm.label
            ));
        }
    }
    out.dedup();
    out
}

fn fix_text(
    catalog: &Catalog,
    perm: &PermissionDef,
    requirement: &Requirement,
    agent: &Agent,
    effective: &Effective,
) -> String {
    let target = match requirement.expect {
        Expect::Granted => "Yes".to_owned(),
        Expect::NotGranted => "No".to_owned(),
        Expect::AtLeast { level, .. } | Expect::AtMost(level) => catalog.level_label(perm, level),
    };
    let path = |tail: &str| {
        format!(
            "Configuration > Teams & Agents > Agents > {} > {tail}",
            agent.name
        )
    };
    let place = match perm.section.as_str() {
        "Teams" => path("Teams"),
        "Departments" => path("Departments"),
        "General" => path("Details"),
        "Roles" => path("Roles"),
        section => path(&format!("Permissions > {section}")),
    };
    let mut text = match perm.kind {
        Kind::Flag if perm.key == "teams.all" => {
            format!("add the agent to every active team in {place}")
        }
        Kind::Flag if perm.key.starts_with("role:") => {
            let pattern = perm.key.trim_start_matches("role:");
            if requirement.expect == Expect::NotGranted {
                format!("remove the roles named like `{pattern}` in {place}")
            } else {
                format!(
                    "assign the role `{pattern}` (create it first if the tenant has none) in {place}"
                )
            }
        }
        Kind::Flag if perm.key.starts_with("teams.see_") => format!(
            "{} \"{}\" for each of the agent's teams in {place}",
            if requirement.expect == Expect::NotGranted {
                "untick"
            } else {
                "tick"
            },
            perm.label
        ),
        Kind::Flag if perm.key == "teams.any" => {
            if requirement.expect == Expect::NotGranted {
                format!("remove the agent from every team in {place}")
            } else {
                format!("add the agent to the team the integration works in, in {place}")
            }
        }
        Kind::Flag if perm.key == "agent.has_roles" => {
            let roles = path("Roles");
            if requirement.expect == Expect::NotGranted {
                format!("remove the agent's roles in {roles}")
            } else {
                format!("assign the role the vendor's guide names in {roles}")
            }
        }
        Kind::Flag if perm.key == "agent.default_team" => {
            let details = path("Details");
            if requirement.expect == Expect::NotGranted {
                format!("set the Default Team to \"No Default Team\" in {details}")
            } else {
                format!("choose a Default Team in {details}")
            }
        }
        _ => format!("set \"{}\" to {target} in {place}", perm.label),
    };
    let lowering = matches!(requirement.expect, Expect::NotGranted | Expect::AtMost(_)) || effective.value.is_some_and(|v| matches!((v, requirement.expect), (Value::Level(a), Expect::AtLeast { level, .. }) if a > level));
    if lowering {
        let roles: Vec<&str> = effective
            .contributions
            .iter()
            .filter(|c| Some(c.value) == effective.value)
            .filter_map(|c| match &c.origin {
                Origin::Role { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let agent_raises = effective
            .contributions
            .iter()
            .any(|c| c.origin == Origin::Agent && Some(c.value) == effective.value);
        if !roles.is_empty() && !agent_raises {
            text = format!(
                "lower \"{}\" to {target} on role {} in Configuration > Teams & Agents > Roles (the agent's own setting is not what raises it: an agent's permission is the highest of its own and every role's)",
                perm.label,
                roles.join(", ")
            );
        } else if !roles.is_empty() {
            text.push_str(&format!(", and on role {} (Configuration > Teams & Agents > Roles): an agent's permission is the highest of its own and every role's", roles.join(", ")));
        }
    }
    text
}

#[cfg(test)]
mod tests;
