//! The rule engine: `(Tenant, Library, Catalog, Selection) -> Outcome`.
//!
//! Owns: binding requirement sets to API applications, evaluating every requirement against the
//! application's scopes (through the catalog's scope lattice) and its login agent's effective
//! permissions, excess analysis, the baseline policies, and the chain of evidence behind each
//! finding. Pure: no I/O, no async, no printing; output order is deterministic.
//!
//! Here: the selection, binding sets to applications and agents, and the run over each set; its
//! parts in files of their own: `scopes` (an application's scopes, excess scopes), `agents` (a
//! login agent's permissions and roles), `evidence` (whether a value meets a requirement, and the
//! chain, assumptions and fix of a finding), `baseline` (tenant-wide policies), `coverage`,
//! `finding` (the model of a finding) and `waivers` (after the engine).

mod agents;
mod baseline;
pub mod coverage;
mod evidence;
mod finding;
mod scopes;
pub mod summary;
pub mod waivers;

use std::collections::{BTreeMap, BTreeSet};

pub(crate) use agents::{role_effective, role_matches, role_permission};
pub use coverage::{Coverage, NotAudited};
pub use finding::{
    Basis, Evaluation, Finding, Grade, SetOutcome, SetState, Status, Subject, SubjectKind,
    WaiverNote,
};
pub use summary::{FindingCounts, Inputs, SetSummary, Summary};

use crate::catalog::{Catalog, PermRef};
use crate::diag::{Code, Severity};
use crate::ruleset::{Library, Requirement, RuleSet, SetKind};
use crate::tenant::{Application, Tenant};

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
    /// Readiness mode (`check --set X` without `--set baseline`): the baseline reports only what
    /// it finds about the selected sets' applications and their login agents (and the tenant-wide
    /// gaps that undermine any answer), not about the rest of the tenant.
    pub readiness: bool,
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
    /// Findings the configuration's `severity: {code: allow}` dropped: counted as silenced in
    /// every report's summary, listed in the JSON report.
    pub silenced: Vec<Finding>,
    /// What the run was told (configuration, overrides, overlays, waivers, sets); filled in by
    /// the dispatch.
    pub inputs: Inputs,
}

impl Outcome {
    /// The run's numbers ([`Summary`]), which every reporter renders.
    #[must_use]
    pub fn summary(&self) -> Summary {
        Summary::of(self)
    }

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
        .filter(|g| crate::snapshot::INCOMPLETE_LIST.contains(&g.reason.as_str()))
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
    let focus = selection
        .readiness
        .then(|| readiness_subjects(tenant, &sets, &run.agent_for));
    for set in library.sets.iter().filter(|s| s.kind == SetKind::Baseline) {
        let first = run.findings.len();
        let mut outcome = baseline::run(&mut run, set, &described);
        if let Some(focus) = &focus {
            // The policies ran over the whole tenant (they judge an application by every set that
            // describes it); only what they found about the selected integrations is kept.
            let found = run.findings.split_off(first);
            run.findings.extend(
                found.into_iter().filter(|f| {
                    f.subject.kind == SubjectKind::Tenant || focus.contains(&f.subject)
                }),
            );
            outcome.focus = Some(focus.clone());
        }
        sets.push(outcome);
    }
    let mut findings = run.findings;
    ui_only_notes(&mut findings, catalog);
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
        ..Outcome::default()
    };
    coverage::fill(&mut outcome, tenant, library);
    Ok(outcome)
}

/// The applications the evaluated sets bound, and their login agents (or the agent a set is bound
/// to explicitly): what a readiness check's baseline reports on.
fn readiness_subjects(
    tenant: &Tenant,
    sets: &[SetOutcome],
    agent_for: &BTreeMap<String, i64>,
) -> Vec<Subject> {
    let mut focus: BTreeSet<Subject> = BTreeSet::new();
    for set in sets {
        let SetState::Evaluated { applications } = &set.state else {
            continue;
        };
        for subject in applications {
            focus.insert(subject.clone());
            let login = tenant
                .applications()
                .iter()
                .find(|a| a.id == subject.id)
                .and_then(|a| a.login_agent_id);
            if let Some(agent) = login.and_then(|id| tenant.agent(id)) {
                focus.insert(Subject::agent(agent));
            }
        }
        if let Some(agent) = agent_for.get(&set.id).and_then(|&id| tenant.agent(id)) {
            focus.insert(Subject::agent(agent));
        }
    }
    focus.into_iter().collect()
}

/// Findings that rely on a setting Halo enforces in its web UI only (Timesheet rows, Item Costs) say
/// that it does not limit what an integration reads through the API.
fn ui_only_notes(findings: &mut [Finding], catalog: &Catalog) {
    for f in findings.iter_mut() {
        let Some((_, perm)) = f.permission.as_deref().and_then(|k| catalog.permission(k)) else {
            continue;
        };
        if let Some(why) = &perm.ui_only {
            f.message.push_str(&format!(
                " (\"{}\" is enforced in Halo's web UI only, not through the API: it does not limit an integration)",
                perm.label
            ));
            f.assumptions.push(why.clone());
        }
    }
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
            return Err(CheckError::UnknownSet {
                id: id.clone(),
                help: library.unknown_set_help(id),
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
                            e.evidence = Basis::because(
                                Grade::Implied,
                                format!("another option of \"{}\" is met", alt.title),
                            );
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

#[cfg(test)]
mod tests;
