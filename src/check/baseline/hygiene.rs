//! Account hygiene: who can impersonate users, administrators' second factor, privileged agents
//! nobody signs in as, how many administrators there are, and how integrations' login agents are
//! used. "Now" is the snapshot's `fetched_at`, never the clock, so a report is reproducible.

use std::collections::BTreeMap;

use super::{Run, Subject, apps_by_agent, apps_log_in, finding, required_by, unverifiable};
use crate::diag::Severity;
use crate::ruleset::{Policy, RuleSet};
use crate::tenant::{Agent, Application, Effective, Origin, Value};

/// Where an agent's permissions are changed, in Halo's UI words.
fn agent_place(agent: &Agent, tab: &str) -> String {
    format!(
        "Configuration > Teams & Agents > Agents > {} > {tab}",
        agent.name
    )
}

/// The agent is a HaloPSA administrator, as far as the snapshot decides.
fn is_admin(agent: &Agent) -> Option<bool> {
    match agent.permission("agent.admin").and_then(Effective::exact) {
        Some(Value::Flag(b)) => Some(b),
        _ => agent.admin,
    }
}

/// A person, not an integration: active, not API-only.
fn is_person(agent: &Agent) -> bool {
    agent.enabled != Some(false) && agent.api_only != Some(true)
}

/// " (through role R)" or " (the agent's own setting)" for the contribution that decided a flag.
fn through(effective: &Effective) -> String {
    match effective.decisive().map(|c| &c.origin) {
        Some(Origin::Role { name, .. }) => format!(" (through role {name})"),
        Some(Origin::Agent) => " (the agent's own setting, not through a role)".to_owned(),
        _ => String::new(),
    }
}

fn chain_of(effective: &Effective) -> Vec<String> {
    effective
        .contributions
        .iter()
        .map(|c| c.evidence.clone())
        .collect()
}

/// Every active agent that is not an integration's login agent and holds "Can impersonate
/// Users": one note each, naming the role it comes through.
pub(super) fn impersonation_people(run: &mut Run<'_>, set: &RuleSet, policy: &Policy) {
    let by_agent = apps_by_agent(run);
    // A listing for review: agents whose claim cannot be read are not listed (their integration
    // findings, and `snapshot show`, say why).
    for agent in run
        .tenant
        .agents()
        .iter()
        .filter(|a| a.enabled != Some(false) && !by_agent.contains_key(&a.id))
    {
        let Some(effective) = agent.permission("security.impersonate_users") else {
            continue;
        };
        if effective.value != Some(Value::Flag(true)) {
            continue;
        }
        let mut f = finding(
            set,
            policy,
            Subject::agent(agent),
            format!(
                "agent `{}` can impersonate users{}",
                agent.name,
                through(effective)
            ),
            format!(
                "if `{}` does not need it, set \"Can impersonate Users\" to No in {} and on the role named",
                agent.name,
                agent_place(agent, "Permissions > Miscellaneous")
            ),
        );
        f.permission = Some("security.impersonate_users".to_owned());
        f.actual = Some("Yes".to_owned());
        f.chain = chain_of(effective);
        run.findings.push(f);
    }
}

/// Active administrators (people) without Halo's second factor and without SSO sign-in.
pub(super) fn admin_without_2fa(run: &mut Run<'_>, set: &RuleSet, policy: &Policy) {
    for agent in run.tenant.agents().iter().filter(|a| is_person(a)) {
        if is_admin(agent) != Some(true) {
            continue;
        }
        let place = agent_place(agent, "Details");
        match (agent.two_factor, agent.sso) {
            (Some(true), _) => {}
            (Some(false), Some(false)) => {
                let mut f = finding(
                    set,
                    policy,
                    Subject::agent(agent),
                    format!(
                        "administrator `{}` signs in without a second factor: Halo's two-factor authentication is off and the agent does not sign in through SSO",
                        agent.name
                    ),
                    format!(
                        "tick \"Two Factor Enabled\" in {place}, or set \"Use AD authentication\" to Yes with a second factor enforced by the identity provider"
                    ),
                );
                f.permission = Some("agent.two_factor".to_owned());
                f.actual = Some("twofactor_enabled = false, useadlogin = false".to_owned());
                f.expected = Some("a second factor".to_owned());
                run.findings.push(f);
            }
            (_, Some(true)) => {
                let mut f = finding(
                    set,
                    policy,
                    Subject::agent(agent),
                    format!(
                        "administrator `{}` signs in through SSO without Halo's own second factor: the second factor is the identity provider's, which halo-audit cannot see",
                        agent.name
                    ),
                    "check that the identity provider (Microsoft Entra ID or another) enforces a second factor for this account".to_owned(),
                );
                f.severity = Severity::Note.min(policy.severity);
                f.permission = Some("agent.two_factor".to_owned());
                f.actual = Some(format!(
                    "twofactor_enabled = {}, useadlogin = true",
                    agent
                        .two_factor
                        .map_or_else(|| "not in the snapshot".to_owned(), |b| b.to_string())
                ));
                run.findings.push(f);
            }
            (two_factor, sso) => {
                let mut missing = Vec::new();
                if two_factor.is_none() {
                    missing.push("`twofactor_enabled`");
                }
                if sso.is_none() {
                    missing.push("`useadlogin`");
                }
                run.findings.push(unverifiable(
                    set,
                    policy,
                    Subject::agent(agent),
                    &format!(
                        "whether administrator `{}` uses a second factor",
                        agent.name
                    ),
                    &[format!(
                        "the agent record has no {} (the agent detail call returns them)",
                        missing.join(" or ")
                    )],
                ));
            }
        }
    }
}

/// A point in time as Halo writes it: RFC 3339, or a date and time without a zone (read as UTC).
fn instant(text: &str) -> Option<jiff::Timestamp> {
    let text = text.trim();
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    let civil = text.parse::<jiff::civil::DateTime>().ok().or_else(|| {
        text.parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    })?;
    jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
}

/// True when an application holds a scope that writes (anything but `read:*`).
fn writes(app: &Application) -> bool {
    app.scopes
        .as_ref()
        .is_some_and(|s| s.iter().any(|scope| !scope.starts_with("read:")))
}

/// Privileged agents (administrators, and login agents of applications holding a write scope)
/// whose last web sign-in is older than the threshold, counted from the snapshot's `fetched_at`.
/// API-only agents never sign in to the web, so they are left out.
pub(super) fn stale_privileged(run: &mut Run<'_>, set: &RuleSet, policy: &Policy) {
    let days = policy.thresholds.stale_days();
    let by_agent = apps_by_agent(run);
    let privileged: Vec<(&Agent, Vec<&Application>)> = run
        .tenant
        .agents()
        .iter()
        .filter(|a| is_person(a))
        .filter_map(|a| {
            let writing: Vec<&Application> = by_agent
                .get(&a.id)
                .map(|apps| apps.iter().copied().filter(|app| writes(app)).collect())
                .unwrap_or_default();
            (is_admin(a) == Some(true) || !writing.is_empty()).then_some((a, writing))
        })
        .collect();
    if privileged.is_empty() {
        return;
    }
    let now = run
        .tenant
        .provenance
        .fetched_at
        .as_deref()
        .and_then(instant);
    let Some(now) = now else {
        run.findings.push(unverifiable(
            set,
            policy,
            Subject::tenant(run.tenant),
            "how long ago privileged agents last signed in",
            &["the snapshot has no readable `fetched_at`, and halo-audit measures from it rather than from the clock".to_owned()],
        ));
        return;
    };
    for (agent, writing) in privileged {
        let role = if writing.is_empty() {
            "administrator".to_owned()
        } else {
            format!(
                "agent `{}`, which {} as,",
                agent.name,
                apps_log_in(&writing)
            )
        };
        let who = if writing.is_empty() {
            format!("{role} `{}`", agent.name)
        } else {
            role
        };
        let (message, actual) = match agent.last_login.as_deref() {
            None => (
                format!("{who} has no web sign-in on record"),
                "never".to_owned(),
            ),
            Some(text) => match instant(text) {
                None => {
                    run.findings.push(unverifiable(
                        set,
                        policy,
                        Subject::agent(agent),
                        &format!("when `{}` last signed in", agent.name),
                        &[format!(
                            "`lastlogindate` is `{text}`, not a date halo-audit reads"
                        )],
                    ));
                    continue;
                }
                Some(last) => {
                    let elapsed = (now.as_second() - last.as_second()) / 86_400;
                    if elapsed <= i64::from(days) {
                        continue;
                    }
                    // The date, not the count of days, is in the message: the same finding
                    // whenever the snapshot was taken, so baselines and waivers keep matching.
                    (
                        format!(
                            "{who} has not signed in for more than {days} days before the snapshot was taken (last sign-in {text})"
                        ),
                        text.to_owned(),
                    )
                }
            },
        };
        let mut f = finding(
            set,
            policy,
            Subject::agent(agent),
            message,
            format!(
                "untick \"Account Active\" in {} if nobody uses it any more, or remove what makes it privileged",
                agent_place(agent, "Details")
            ),
        );
        f.permission = Some("agent.last_login".to_owned());
        f.actual = Some(actual);
        f.expected = Some(format!("a sign-in within {days} days"));
        run.findings.push(f);
    }
}

/// The number of active administrators who are people, against the configured range.
pub(super) fn administrator_count(run: &mut Run<'_>, set: &RuleSet, policy: &Policy) {
    let Some(agents) = run.tenant.agents.as_ref() else {
        return;
    };
    let (min, max) = policy.thresholds.admin_range();
    let people: Vec<&Agent> = agents.iter().filter(|a| is_person(a)).collect();
    let unread: Vec<&str> = people
        .iter()
        .filter(|a| is_admin(a).is_none())
        .map(|a| a.name.as_str())
        .collect();
    let admins: Vec<&str> = people
        .iter()
        .filter(|a| is_admin(a) == Some(true))
        .map(|a| a.name.as_str())
        .collect();
    let count = u32::try_from(admins.len()).unwrap_or(u32::MAX);
    // Unreadable agents could only add administrators: a count already above the maximum stands.
    if !unread.is_empty() && count <= max {
        run.findings.push(unverifiable(
            set,
            policy,
            Subject::tenant(run.tenant),
            "how many administrators the tenant has",
            &[format!(
                "whether {} is an administrator cannot be read",
                unread
                    .iter()
                    .take(5)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
        ));
        return;
    }
    if (min..=max).contains(&count) {
        return;
    }
    let listed = if admins.is_empty() {
        "none".to_owned()
    } else {
        admins
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (message, help) = if count < min {
        (
            format!(
                "the tenant has {count} active administrator(s), fewer than {min}: {listed}"
            ),
            "name another trusted person administrator (Configuration > Teams & Agents > Agents > the agent > tick \"Is a HaloPSA Administrator\"), so the tenant can be recovered when one is away or locked out; or set `baseline: {administrators: {min: N}}` in halo-audit.yaml".to_owned(),
        )
    } else {
        (
            format!("the tenant has {count} active administrators, more than {max}: {listed}"),
            "untick \"Is a HaloPSA Administrator\" (Configuration > Teams & Agents > Agents > the agent, and every role it holds) for those who do not need it; or set `baseline: {administrators: {max: N}}` in halo-audit.yaml".to_owned(),
        )
    };
    let mut f = finding(set, policy, Subject::tenant(run.tenant), message, help);
    f.permission = Some("agent.admin".to_owned());
    f.actual = Some(count.to_string());
    f.expected = Some(format!("{min} to {max}"));
    run.findings.push(f);
}

/// Login agents of active applications that are not API-only, so a person can sign in with them;
/// not when a set bound to one of those applications asks for an agent that is not API-only (Neo
/// Agent assigns tickets to itself).
pub(super) fn login_agent_web(
    run: &mut Run<'_>,
    set: &RuleSet,
    policy: &Policy,
    bound: &BTreeMap<String, Vec<&RuleSet>>,
) {
    for (id, apps) in apps_by_agent(run) {
        let Some(agent) = run.tenant.agent(id) else {
            continue;
        };
        if agent.enabled == Some(false) || required_by(bound, &apps, "agent.api_only", false) {
            continue;
        }
        match agent.api_only {
            Some(true) => {}
            Some(false) => {
                let mut f = finding(
                    set,
                    policy,
                    Subject::agent(agent),
                    format!(
                        "agent `{}`, which {} as, is not an API-only agent: a person can sign in to the web with it too",
                        agent.name,
                        apps_log_in(&apps)
                    ),
                    format!(
                        "create an API-only agent with only what the integration documents and set it as the \"Agent to log in as\" of {}; or tick \"Is an API-only Agent\" in {}",
                        apps.iter()
                            .map(|a| format!("`{}`", a.name))
                            .collect::<Vec<_>>()
                            .join(", "),
                        agent_place(agent, "Details")
                    ),
                );
                f.permission = Some("agent.api_only".to_owned());
                f.actual = Some("No".to_owned());
                f.expected = Some("Yes".to_owned());
                run.findings.push(f);
            }
            None => run.findings.push(unverifiable(
                set,
                policy,
                Subject::agent(agent),
                &format!("whether `{}` can sign in to the web", agent.name),
                &["the agent record has no `isapiagent`".to_owned()],
            )),
        }
    }
}

/// One agent that applications of different integrations log in as.
pub(super) fn shared_login_agent(
    run: &mut Run<'_>,
    set: &RuleSet,
    policy: &Policy,
    bound: &BTreeMap<String, Vec<&RuleSet>>,
) {
    for (id, apps) in apps_by_agent(run) {
        if apps.len() < 2 {
            continue;
        }
        let sets_of = |app: &Application| -> Vec<String> {
            let mut ids: Vec<String> = bound
                .get(&app.id)
                .map(|s| s.iter().map(|s| s.id.clone()).collect())
                .unwrap_or_default();
            ids.sort();
            ids
        };
        let first = sets_of(apps[0]);
        if !first.is_empty() && apps.iter().all(|a| sets_of(a) == first) {
            // Several applications of one integration.
            continue;
        }
        let Some(agent) = run.tenant.agent(id) else {
            continue;
        };
        let described: Vec<String> = apps
            .iter()
            .map(|a| {
                let sets = sets_of(a);
                if sets.is_empty() {
                    format!("`{}` (no set bound)", a.name)
                } else {
                    format!("`{}` ({})", a.name, sets.join(", "))
                }
            })
            .collect();
        let mut f = finding(
            set,
            policy,
            Subject::agent(agent),
            format!(
                "{} active applications of different integrations log in as agent `{}`: {}",
                apps.len(),
                agent.name,
                described.join(", ")
            ),
            "give each integration's application its own API-only agent holding only what that integration documents (`halo-audit plan --set ID`), and set it as the application's \"Agent to log in as\" (Configuration > Integrations > HaloPSA API > View Applications > the application)".to_owned(),
        );
        f.actual = Some(
            apps.iter()
                .map(|a| a.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
        );
        f.chain = apps
            .iter()
            .map(|a| format!("application `{}` loginas_agent_id {id}", a.name))
            .collect();
        run.findings.push(f);
    }
}
