//! Baseline policies: tenant-wide least-privilege checks, aware of which sets bind which application.

use std::collections::{BTreeMap, BTreeSet};

use super::{Finding, Run, SetOutcome, SetState, Subject};
use crate::catalog::PermRef;
use crate::ruleset::{Expect, Policy, PolicyCheck, RuleSet};
use crate::tenant::{Application, Value};

mod hygiene;

pub(super) fn run(
    run: &mut Run<'_>,
    set: &RuleSet,
    bound: &BTreeMap<String, Vec<&RuleSet>>,
) -> SetOutcome {
    for policy in &set.policies {
        if needs_applications(policy.check) && run.tenant.applications.is_none() {
            let reason = super::applications_unreadable(run.tenant);
            let mut f = unverifiable(
                set,
                policy,
                Subject::tenant(run.tenant),
                "which applications it concerns",
                &[reason],
            );
            f.help = Some(
                "give the auditing application's agent access to API applications and fetch again"
                    .to_owned(),
            );
            run.findings.push(f);
            continue;
        }
        match policy.check {
            PolicyCheck::BroadScopeUnneeded => broad_scopes(run, set, policy, bound),
            PolicyCheck::LoginAgentDisabled => login_agent_disabled(run, set, policy),
            PolicyCheck::LoginAgentMissing => login_agent_missing(run, set, policy),
            PolicyCheck::AdminApiAgent => admin_api_agent(run, set, policy, bound),
            PolicyCheck::InactiveAppWithScopes => inactive_with_scopes(run, set, policy),
            PolicyCheck::DeleteTicketsUnneeded
            | PolicyCheck::CreateRolesUnneeded
            | PolicyCheck::SqlDataSourcesUnneeded
            | PolicyCheck::PasswordFieldsUnneeded
            | PolicyCheck::ImpersonationIntegration => agent_right(run, set, policy, bound),
            PolicyCheck::SuspiciousEmptyList => empty_lists(run, set, policy),
            PolicyCheck::ImpersonationPeople => hygiene::impersonation_people(run, set, policy),
            PolicyCheck::AdminWithout2fa => hygiene::admin_without_2fa(run, set, policy),
            PolicyCheck::StalePrivilegedAgent => hygiene::stale_privileged(run, set, policy),
            PolicyCheck::AdministratorCount => hygiene::administrator_count(run, set, policy),
            PolicyCheck::LoginAgentWebSignIn => hygiene::login_agent_web(run, set, policy, bound),
            PolicyCheck::SharedLoginAgent => hygiene::shared_login_agent(run, set, policy, bound),
        }
    }
    SetOutcome::new(set, SetState::Baseline)
}

fn finding(
    set: &RuleSet,
    policy: &Policy,
    subject: Subject,
    message: String,
    help: String,
) -> Finding {
    Finding {
        code: policy.check.code(),
        severity: policy.severity,
        requirement_set: set.id.clone(),
        requirement: Some(policy.id.clone()),
        subject,
        permission: None,
        expected: None,
        actual: None,
        message,
        chain: Vec::new(),
        assumptions: Vec::new(),
        help: Some(help),
        rule_location: Some(policy.location.clone()),
        waiver: None,
    }
}

/// A policy that could not be decided for a subject: reported, never counted as passed.
fn unverifiable(
    set: &RuleSet,
    policy: &Policy,
    subject: Subject,
    what: &str,
    reasons: &[String],
) -> Finding {
    let mut f = finding(
        set,
        policy,
        subject,
        format!("{}: cannot tell {what}: {}", policy.title, reasons.join("; ")),
        "`halo-audit snapshot show` lists what the snapshot lacks or the catalog does not understand".to_owned(),
    );
    f.code = crate::diag::Code::Unverifiable;
    f.severity = crate::diag::Code::Unverifiable.default_severity();
    f
}

/// Policies that judge applications, or agents through the applications logging in as them: they
/// cannot be decided without the application list.
fn needs_applications(check: PolicyCheck) -> bool {
    matches!(
        check,
        PolicyCheck::BroadScopeUnneeded
            | PolicyCheck::LoginAgentDisabled
            | PolicyCheck::LoginAgentMissing
            | PolicyCheck::AdminApiAgent
            | PolicyCheck::InactiveAppWithScopes
            | PolicyCheck::DeleteTicketsUnneeded
            | PolicyCheck::CreateRolesUnneeded
            | PolicyCheck::SqlDataSourcesUnneeded
            | PolicyCheck::PasswordFieldsUnneeded
            | PolicyCheck::ImpersonationIntegration
            | PolicyCheck::ImpersonationPeople
            | PolicyCheck::StalePrivilegedAgent
            | PolicyCheck::LoginAgentWebSignIn
            | PolicyCheck::SharedLoginAgent
    )
}

/// An application the baseline policies judge: HaloPSA's own system applications (`_issystem`,
/// e.g. "HaloPSA Portal") are Halo's to configure, not the tenant's, and are out of scope.
fn in_scope(app: &Application) -> bool {
    !app.system
}

fn active(app: &Application) -> bool {
    app.active != Some(false) && in_scope(app)
}

/// "`A` logs in", "`A` and `B` log in": the applications as the subject of a verb.
fn apps_log_in(apps: &[&Application]) -> String {
    let names: Vec<String> = apps.iter().map(|a| format!("`{}`", a.name)).collect();
    match names.as_slice() {
        [] => "no application logs in".to_owned(),
        [one] => format!("{one} logs in"),
        [init @ .., last] => format!("{} and {last} log in", init.join(", ")),
    }
}

/// True when a set bound to `app` requires the agent permission `key` to be granted.
fn required_by(
    bound: &BTreeMap<String, Vec<&RuleSet>>,
    apps: &[&Application],
    key: &str,
    expect_granted: bool,
) -> bool {
    apps.iter()
        .filter_map(|a| bound.get(&a.id))
        .flatten()
        .flat_map(|s| s.requirements.iter())
        .any(|r| {
            r.key == key
                && if expect_granted {
                    matches!(r.expect, Expect::Granted | Expect::AtLeast { .. })
                } else {
                    r.expect == Expect::NotGranted
                }
        })
}

fn broad_scopes(
    run: &mut Run<'_>,
    set: &RuleSet,
    policy: &Policy,
    bound: &BTreeMap<String, Vec<&RuleSet>>,
) {
    for app in run.tenant.applications().iter().filter(|a| active(a)) {
        let Some(held) = &app.scopes else { continue };
        let sets = bound.get(&app.id).map(Vec::as_slice).unwrap_or_default();
        // A bound set that reports unneeded scopes already names this one as excessive.
        if sets.iter().any(|s| s.excess_scopes) {
            continue;
        }
        for scope in policy.scopes.iter().filter(|s| held.contains(s)) {
            let needed = sets.iter().flat_map(|s| s.requirements.iter()).any(|r| {
                r.expect == Expect::Granted && r.permission == PermRef::Scope(scope.clone())
            });
            if needed {
                continue;
            }
            let bound_to = if sets.is_empty() {
                "no requirement set is bound to it".to_owned()
            } else {
                format!(
                    "none of its sets ({}) requires it",
                    sets.iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let mut f = finding(
                set,
                policy,
                Subject::application(app),
                format!("application `{}` holds `{scope}` and {bound_to}", app.name),
                format!(
                    "replace `{scope}` with the scopes the integration documents (`halo-audit plan --set ID`) in Configuration > Integrations > HaloPSA API > View Applications > {} > Permissions",
                    app.name
                ),
            );
            f.permission = Some(format!("scope:{scope}"));
            f.actual = Some(held.join(", "));
            run.findings.push(f);
        }
    }
}

fn login_agent_disabled(run: &mut Run<'_>, set: &RuleSet, policy: &Policy) {
    for app in run.tenant.applications().iter().filter(|a| active(a)) {
        let Some(agent) = app.login_agent_id.and_then(|id| run.tenant.agent(id)) else {
            continue;
        };
        if agent.enabled == Some(false) {
            let mut f = finding(
                set,
                policy,
                Subject::application(app),
                format!(
                    "active application `{}` logs in as disabled agent `{}`",
                    app.name, agent.name
                ),
                format!(
                    "deactivate `{}` if it is no longer used, or set an active API-only agent to log in as",
                    app.name
                ),
            );
            f.permission = Some("agent.enabled".to_owned());
            f.chain = vec![format!(
                "loginas_agent_id {} → agent `{}` (isdisabled = true)",
                agent.id, agent.name
            )];
            run.findings.push(f);
        }
    }
}

fn login_agent_missing(run: &mut Run<'_>, set: &RuleSet, policy: &Policy) {
    let agents_known = run.tenant.agents.is_some();
    for app in run.tenant.applications().iter().filter(|a| active(a)) {
        let message = match app.login_agent_id {
            None => format!("active application `{}` logs in as no agent", app.name),
            Some(id) if agents_known && run.tenant.agent(id).is_none() => format!(
                "active application `{}` logs in as agent {id}{}, which is not in the tenant's agent list",
                app.name,
                app.login_agent_name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ),
            Some(_) => continue,
        };
        let help = format!(
            "set the agent to log in as in Configuration > Integrations > HaloPSA API > View Applications > {}, or deactivate it",
            app.name
        );
        run.findings.push(finding(
            set,
            policy,
            Subject::application(app),
            message,
            help,
        ));
    }
}

/// Active applications logging in as each agent.
fn apps_by_agent<'t>(run: &Run<'t>) -> BTreeMap<i64, Vec<&'t Application>> {
    let mut map: BTreeMap<i64, Vec<&Application>> = BTreeMap::new();
    for app in run.tenant.applications().iter().filter(|a| active(a)) {
        if let Some(id) = app.login_agent_id {
            map.entry(id).or_default().push(app);
        }
    }
    map
}

fn admin_api_agent(
    run: &mut Run<'_>,
    set: &RuleSet,
    policy: &Policy,
    bound: &BTreeMap<String, Vec<&RuleSet>>,
) {
    let by_agent = apps_by_agent(run);
    // API-only agents, and every agent an active application logs in as: an integration whose
    // agent is an ordinary one is no less an integration.
    for agent in run.tenant.agents().iter().filter(|a| {
        by_agent.contains_key(&a.id) || (a.api_only == Some(true) && a.enabled != Some(false))
    }) {
        let Some(effective) = agent.permission("agent.admin") else {
            continue;
        };
        if effective.value != Some(Value::Flag(true)) {
            if !effective.unknown.is_empty() {
                run.findings.push(unverifiable(
                    set,
                    policy,
                    Subject::agent(agent),
                    &format!(
                        "whether {} `{}` is an administrator",
                        kind_of(agent),
                        agent.name
                    ),
                    &effective.unknown,
                ));
            }
            continue;
        }
        let apps = by_agent
            .get(&agent.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if required_by(bound, apps, "agent.admin", true) {
            continue;
        }
        let used_by = if apps.is_empty() {
            "no active application logs in as it".to_owned()
        } else {
            format!(
                "no set bound to {} requires it",
                apps.iter()
                    .map(|a| format!("`{}`", a.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let disabled = if agent.enabled == Some(false) {
            " (disabled, but still the login agent of an active application)"
        } else {
            ""
        };
        let mut f = finding(
            set,
            policy,
            Subject::agent(agent),
            format!(
                "{} `{}` is a HaloPSA administrator and {used_by}{disabled}",
                kind_of(agent),
                agent.name
            ),
            format!(
                "untick \"Is a HaloPSA Administrator\" in Configuration > Teams & Agents > Agents > {} and grant the feature access its integrations document",
                agent.name
            ),
        );
        f.permission = Some("agent.admin".to_owned());
        f.actual = Some("Yes".to_owned());
        f.expected = Some("No".to_owned());
        f.chain = effective
            .contributions
            .iter()
            .map(|c| c.evidence.clone())
            .collect();
        run.findings.push(f);
    }
}

/// "API-only agent" or "integration agent" (an ordinary agent an application logs in as).
fn kind_of(agent: &crate::tenant::Agent) -> &'static str {
    if agent.api_only == Some(true) {
        "API-only agent"
    } else {
        "integration agent"
    }
}

fn inactive_with_scopes(run: &mut Run<'_>, set: &RuleSet, policy: &Policy) {
    for app in run
        .tenant
        .applications()
        .iter()
        .filter(|a| a.active == Some(false) && in_scope(a))
    {
        let Some(held) = app.scopes.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let mut f = finding(
            set,
            policy,
            Subject::application(app),
            format!(
                "inactive application `{}` still holds {}",
                app.name,
                held.join(", ")
            ),
            format!(
                "remove its scopes, or delete `{}` if it is no longer needed",
                app.name
            ),
        );
        f.actual = Some(held.join(", "));
        run.findings.push(f);
    }
}

/// An integration agent holding a right (`PolicyCheck::agent_right`) no bound set needs: ticket
/// deletion, creating roles or SQL data sources, seeing password fields.
fn agent_right(
    run: &mut Run<'_>,
    set: &RuleSet,
    policy: &Policy,
    bound: &BTreeMap<String, Vec<&RuleSet>>,
) {
    let Some(key) = policy.check.agent_right() else {
        return;
    };
    let Some((_, perm)) = run.catalog.permission(key) else {
        return;
    };
    let label = perm.label.clone();
    let phrase = match key {
        "ticket.can_delete" => "can delete tickets".to_owned(),
        "create.roles" => "can create roles".to_owned(),
        "create.sql_data_sources" => "can create SQL data sources".to_owned(),
        "general.view_passwords" => "can see password fields".to_owned(),
        "security.impersonate_users" => "can impersonate users".to_owned(),
        _ => format!("has \"{label}\""),
    };
    let by_agent = apps_by_agent(run);
    let mut seen = BTreeSet::new();
    for (agent_id, apps) in &by_agent {
        let Some(agent) = run.tenant.agent(*agent_id) else {
            continue;
        };
        if !seen.insert(agent.id) {
            continue;
        }
        let Some(effective) = agent.permission(key) else {
            continue;
        };
        // A set that requires it, or that already reports it as excessive, settles the question.
        let settled_by_a_set =
            required_by(bound, apps, key, true) || required_by(bound, apps, key, false);
        if effective.value != Some(Value::Flag(true)) {
            if !effective.unknown.is_empty() && !settled_by_a_set {
                run.findings.push(unverifiable(
                    set,
                    policy,
                    Subject::agent(agent),
                    &format!(
                        "whether agent `{}`, which {} as, {phrase}",
                        agent.name,
                        apps_log_in(apps)
                    ),
                    &effective.unknown,
                ));
            }
            continue;
        }
        if settled_by_a_set {
            continue;
        }
        let via = effective.decisive().map(|c| match &c.origin {
            crate::tenant::Origin::Role { name, .. } => format!(" (through role {name})"),
            _ => String::new(),
        });
        let mut f = finding(
            set,
            policy,
            Subject::agent(agent),
            format!(
                "agent `{}`, which {} as, {phrase}{}",
                agent.name,
                apps_log_in(apps),
                via.unwrap_or_default()
            ),
            format!(
                "untick \"{label}\" in Configuration > Teams & Agents > Agents > {} > Permissions > {}, and on every role it holds",
                agent.name, perm.section
            ),
        );
        f.permission = Some(key.to_owned());
        f.actual = Some("Yes".to_owned());
        f.expected = Some("No".to_owned());
        f.chain = effective
            .contributions
            .iter()
            .map(|c| c.evidence.clone())
            .collect();
        run.findings.push(f);
    }
}

fn empty_lists(run: &mut Run<'_>, set: &RuleSet, policy: &Policy) {
    let lists = [
        (
            "agent",
            run.tenant.agents.as_ref().map(Vec::len),
            "/api/Agent",
        ),
        ("team", run.tenant.teams.as_ref().map(Vec::len), "/api/Team"),
        (
            "application",
            run.tenant.applications.as_ref().map(Vec::len),
            "/api/Application",
        ),
    ];
    for (what, len, endpoint) in lists {
        if len == Some(0) {
            let f = finding(
                set,
                policy,
                Subject::tenant(run.tenant),
                format!(
                    "the snapshot's {what} list is empty: Halo answers `200 []` on {endpoint} when the reading agent lacks permission"
                ),
                format!(
                    "give the auditing application's agent read access to {what}s and fetch again"
                ),
            );
            run.findings.push(f);
        }
    }
}
