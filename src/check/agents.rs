//! Agent requirements: a login agent's effective permission, or a role it holds by name, against
//! what a requirement expects.

use crate::catalog::{Confidence, Derived, Kind, PermRef, PermissionDef, Source};
use crate::diag::{Code, Severity};
use crate::ruleset::{Expect, Requirement, RuleSet, glob_match};
use crate::tenant::{Agent, Application, Contribution, Effective, Origin, Value};

use super::evidence::{assumptions, basis, chain, decide, describe, fix_text};
use super::finding::{Evaluation, Status, Subject, SubjectKind};
use super::{Run, applies_only_if, missing_severity, only_if};

impl Run<'_> {
    pub(super) fn agent_requirement(
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
        let catalog = self.catalog;
        let evaluated = |subject: Subject, status: Status| {
            let mut e = Evaluation::new(set, requirement, subject, status);
            e.evidence = basis(catalog, perm, effective, requirement.expect, status);
            e
        };
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
            Status::Passed => return evaluated(subject, Status::Passed),
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
            // The reason is the message's; the help says only what to do about it.
            "`halo-audit snapshot show` lists the claims the catalog does not understand; a catalog overlay (`--catalog`) can say what your tenant stores".to_owned()
        } else {
            fix_text(self.catalog, perm, requirement, agent, effective)
        });
        self.findings.push(f);
        evaluated(subject, status)
    }
}

/// "Invoices: Invoices Access Level: Read" says the label twice: a title that already starts
/// with the permission's label stands alone; otherwise the label leads and the title explains.
pub(super) fn lacks_what(label: &str, title: &str) -> String {
    let starts = title
        .get(..label.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(label));
    if starts {
        title.to_owned()
    } else {
        format!("{label}: {title}")
    }
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
