//! Drift of API applications: matched by id, then by client id; their scopes, login agent and
//! active state.

use std::collections::BTreeSet;

use crate::check::{Subject, SubjectKind};
use crate::tenant::{Application, Effective, Tenant};

use super::members::Member;
use super::{Change, ChangeKind, Class, Run, change, nm, scopes_text, subject, value_text};

impl Member for Application {
    type Id = String;
    const PLURAL: &'static str = "applications";
    const NOUN: &'static str = "application";
    const ENDPOINT: &'static str = "/api/Application";
    const RENAME_NOTE: &'static str = " (requirement sets bind by display name)";

    fn list(tenant: &Tenant) -> Option<&[Self]> {
        tenant.applications.as_deref()
    }
    fn id(&self) -> String {
        self.id.clone()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn subject(&self) -> Subject {
        subject(SubjectKind::Application, &self.id, &self.name)
    }
    fn second_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// Every scope fetches every application.
    fn unseen(_: &Run<'_>, _: &Tenant, _: &'static str, _: &Self) -> Option<String> {
        None
    }

    fn deleted(_: &Run<'_>, app: &Self) -> Change {
        change(
            Class::Narrowed,
            ChangeKind::Deleted,
            app.subject(),
            None,
            Some(scopes_text(app.scopes.as_deref())),
            None,
            format!("application `{}` was deleted", nm(&app.name)),
            Vec::new(),
        )
    }

    fn created(run: &Run<'_>, app: &Self) -> Change {
        let active = app.active != Some(false);
        let agent = app
            .login_agent_id
            .map(|id| run.agent_label(run.new, id, app.login_agent_name.as_deref()));
        change(
            if active {
                Class::Widened
            } else {
                Class::Neutral
            },
            ChangeKind::Created,
            app.subject(),
            None,
            None,
            Some(scopes_text(app.scopes.as_deref())),
            format!(
                "application `{}` was created{}, {}, with {}",
                nm(&app.name),
                if active { "" } else { " inactive" },
                agent.map_or_else(
                    || "logging in as no agent".to_owned(),
                    |a| format!("logging in as {a}")
                ),
                scopes_text(app.scopes.as_deref())
            ),
            Vec::new(),
        )
    }

    fn pair(run: &mut Run<'_>, old: &Self, new: &Self) {
        run.application_pair(old, new);
    }
}

impl Run<'_> {
    pub(super) fn agent_label(&self, tenant: &Tenant, id: i64, fallback: Option<&str>) -> String {
        let name = tenant
            .agent(id)
            .map(|a| nm(&a.name).into_owned())
            .or_else(|| fallback.map(|f| nm(f).into_owned()))
            .unwrap_or_else(|| format!("agent {id}"));
        format!("`{name}` (id {id})")
    }

    pub(super) fn application_pair(&mut self, o: &Application, n: &Application) {
        let subj = n.subject();
        match (o.active, n.active) {
            (Some(false), Some(true)) => {
                self.changes.push(change(
                    Class::Widened,
                    ChangeKind::Enabled,
                    subj.clone(),
                    None,
                    Some("inactive".into()),
                    Some("active".into()),
                    format!(
                        "application `{}` was activated{}",
                        nm(&n.name),
                        n.scopes
                            .as_deref()
                            .filter(|s| !s.is_empty())
                            .map(|s| {
                                format!(
                                    ": its scopes {} are live again",
                                    crate::text::bounded_list(s, ", ")
                                )
                            })
                            .unwrap_or_default()
                    ),
                    Vec::new(),
                ));
            }
            (Some(true), Some(false)) => self.changes.push(change(
                Class::Narrowed,
                ChangeKind::Disabled,
                subj.clone(),
                None,
                Some("active".into()),
                Some("inactive".into()),
                format!("application `{}` was deactivated", nm(&n.name)),
                Vec::new(),
            )),
            _ => {}
        }
        match (&o.scopes, &n.scopes) {
            (Some(before), Some(after)) => {
                let before_set: BTreeSet<&String> = before.iter().collect();
                let after_set: BTreeSet<&String> = after.iter().collect();
                for scope in after_set.difference(&before_set) {
                    let implied = self.catalog.implied_scopes(scope);
                    let chain = if implied.is_empty() {
                        Vec::new()
                    } else {
                        vec![format!(
                            "`{scope}` also grants {} (scope lattice in catalog/permissions.yaml)",
                            if implied.len() > 8 {
                                format!("{} scopes", implied.len())
                            } else {
                                implied.join(", ")
                            }
                        )]
                    };
                    self.changes.push(change(
                        Class::Widened,
                        ChangeKind::ScopeAdded,
                        subj.clone(),
                        Some(format!("scope:{scope}")),
                        Some(scopes_text(Some(before))),
                        Some(scopes_text(Some(after))),
                        format!("application `{}` gained scope `{scope}`", nm(&n.name)),
                        chain,
                    ));
                }
                for scope in before_set.difference(&after_set) {
                    self.changes.push(change(
                        Class::Narrowed,
                        ChangeKind::ScopeRemoved,
                        subj.clone(),
                        Some(format!("scope:{scope}")),
                        Some(scopes_text(Some(before))),
                        Some(scopes_text(Some(after))),
                        format!("application `{}` lost scope `{scope}`", nm(&n.name)),
                        Vec::new(),
                    ));
                }
            }
            (None, None) => {}
            (before, _) => {
                let side = if before.is_none() { "OLD" } else { "NEW" };
                self.skip(
                    &format!("scopes of application `{}`", nm(&n.name)),
                    format!("the {side} snapshot does not carry them"),
                );
            }
        }
        if o.login_agent_id != n.login_agent_id {
            self.login_agent_change(o, n, subj);
        }
    }

    pub(super) fn login_agent_change(&mut self, o: &Application, n: &Application, subj: Subject) {
        let before = o
            .login_agent_id
            .map(|id| self.agent_label(self.old, id, o.login_agent_name.as_deref()));
        let after = n
            .login_agent_id
            .map(|id| self.agent_label(self.new, id, n.login_agent_name.as_deref()));
        let old_agent = o.login_agent_id.and_then(|id| self.old.agent(id));
        let new_agent = n.login_agent_id.and_then(|id| self.new.agent(id));
        let mut gains = Vec::new();
        let mut losses = Vec::new();
        let mut undecided = false;
        match (old_agent, new_agent) {
            (Some(a), Some(b)) => {
                for perm in &self.catalog.permissions {
                    let (x, y) = (
                        a.permission(&perm.key).and_then(Effective::exact),
                        b.permission(&perm.key).and_then(Effective::exact),
                    );
                    match (x, y) {
                        (Some(x), Some(y)) if y > x => gains.push(format!(
                            "{}: {} → {}",
                            perm.label,
                            value_text(self.catalog, perm, x),
                            value_text(self.catalog, perm, y)
                        )),
                        (Some(x), Some(y)) if y < x => losses.push(format!(
                            "{}: {} → {}",
                            perm.label,
                            value_text(self.catalog, perm, x),
                            value_text(self.catalog, perm, y)
                        )),
                        (Some(_), Some(_)) => {}
                        _ => undecided = true,
                    }
                }
            }
            _ => undecided = true,
        }
        let class = match (&before, &after) {
            (None, Some(_)) => Class::Widened,
            (Some(_), None) => Class::Narrowed,
            _ if !gains.is_empty() => Class::Widened,
            _ if !losses.is_empty() => Class::Narrowed,
            _ => Class::Neutral,
        };
        let mut message = format!(
            "application `{}` now logs in as {} instead of {}",
            nm(&n.name),
            after.as_deref().unwrap_or("no agent"),
            before.as_deref().unwrap_or("no agent")
        );
        match class {
            Class::Widened if !gains.is_empty() => {
                message.push_str(&format!(", which can do more ({})", gains.join("; ")));
            }
            Class::Narrowed if !losses.is_empty() => {
                message.push_str(&format!(", which can do less ({})", losses.join("; ")));
            }
            Class::Neutral if undecided => {
                message.push_str(" (their permissions could not all be compared)");
            }
            _ => {}
        }
        let mut chain: Vec<String> = gains.iter().map(|g| format!("more: {g}")).collect();
        chain.extend(losses.iter().map(|l| format!("less: {l}")));
        self.changes.push(change(
            class,
            ChangeKind::LoginAgentChanged,
            subj,
            None,
            before,
            after,
            message,
            chain,
        ));
    }
}
