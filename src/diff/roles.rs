//! Drift of roles: matched by GUID; their own settings, with the agents that hold them.

use crate::catalog::{ClaimValue, Kind, Source};
use crate::check::{Subject, SubjectKind};
use crate::tenant::{Claims, Role, Tenant, Value};

use super::members::Member;
use super::{Change, ChangeKind, Class, Run, change, nm, partial, subject, value_text};

impl Member for Role {
    type Id = String;
    const PLURAL: &'static str = "roles";
    const NOUN: &'static str = "role";
    const ENDPOINT: &'static str = "/api/Roles";

    fn list(tenant: &Tenant) -> Option<&[Self]> {
        tenant.roles.as_deref()
    }
    fn id(&self) -> String {
        self.id.clone()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn subject(&self) -> Subject {
        subject(SubjectKind::Role, &self.id, &self.name)
    }

    fn unseen(run: &Run<'_>, _: &Tenant, _: &'static str, _: &Self) -> Option<String> {
        (partial(run.old) || partial(run.new)).then(|| {
            "one snapshot's scope is `integrations`: it holds only the roles of the agents it fetched".to_owned()
        })
    }

    fn deleted(run: &Run<'_>, role: &Self) -> Change {
        change(
            Class::Neutral,
            ChangeKind::Deleted,
            role.subject(),
            None,
            None,
            None,
            format!("role `{}` was deleted", nm(&role.name)),
            run.role_settings(role),
        )
    }

    fn created(run: &Run<'_>, role: &Self) -> Change {
        change(
            Class::Neutral,
            ChangeKind::Created,
            role.subject(),
            None,
            None,
            None,
            format!("role `{}` was created", nm(&role.name)),
            run.role_settings(role),
        )
    }

    fn pair(run: &mut Run<'_>, old: &Self, new: &Self) {
        run.role_pair(old, new);
    }
}

impl Run<'_> {
    pub(super) fn holders(&self, role: &Role) -> String {
        let names: Vec<String> = self
            .new_holders
            .get(role.id.as_str())
            .into_iter()
            .flatten()
            .map(|name| format!("`{}`", nm(name)))
            .collect();
        match names.len() {
            0 => " (held by no agent)".to_owned(),
            _ => format!(" (held by {})", crate::text::bounded_list(&names, ", ")),
        }
    }

    pub(super) fn role_pair(&mut self, o: &Role, n: &Role) {
        let subj = n.subject();
        let (Some(before), Some(after)) = (&o.claims, &n.claims) else {
            if o.claims.is_some() != n.claims.is_some() {
                let side = if o.claims.is_none() { "OLD" } else { "NEW" };
                self.skip(
                    &format!("settings of role `{}`", nm(&n.name)),
                    format!("the {side} snapshot does not carry its claims"),
                );
            }
            return;
        };
        let holders = self.holders(n);
        let who = format!("role `{}`", nm(&n.name));
        for perm in &self.catalog.permissions {
            if !matches!(perm.source, Source::Claim(_)) {
                continue;
            }
            // A role contributes the highest readable value it carries; none is the lowest.
            let read = |claims: &Claims| {
                claims
                    .iter()
                    .filter(|(k, _)| perm.claim_types().any(|t| t == *k))
                    .filter_map(|(_, raw)| self.catalog.claim_value(perm, raw))
                    .map(|v| match v {
                        ClaimValue::Flag(b) => Value::Flag(b),
                        ClaimValue::Level(l) => Value::Level(l),
                    })
                    .max()
                    .unwrap_or(match perm.kind {
                        Kind::Flag => Value::Flag(false),
                        Kind::Level => Value::Level(0),
                    })
            };
            let (x, y) = (read(before), read(after));
            if x == y {
                continue;
            }
            let raised = y > x;
            let kind = match (perm.kind, raised) {
                (Kind::Level, true) => ChangeKind::LevelRaised,
                (Kind::Level, false) => ChangeKind::LevelLowered,
                (Kind::Flag, true) => ChangeKind::PermissionGranted,
                (Kind::Flag, false) => ChangeKind::PermissionRevoked,
            };
            let (from, to) = (
                value_text(self.catalog, perm, x),
                value_text(self.catalog, perm, y),
            );
            let message = match perm.kind {
                Kind::Level => format!(
                    "{who} {} {} from {from} to {to}{holders}",
                    if raised { "raised" } else { "lowered" },
                    perm.label
                ),
                Kind::Flag if raised => format!("{who} now grants {}{holders}", perm.label),
                Kind::Flag => format!("{who} no longer grants {}{holders}", perm.label),
            };
            let chain = [("before", before), ("after", after)]
                .iter()
                .flat_map(|(when, claims)| {
                    claims
                        .iter()
                        .filter(|(k, _)| perm.claim_types().any(|t| t == *k))
                        .map(move |(k, raw)| format!("{when}: claim {k} = \"{}\"", nm(raw)))
                })
                .collect();
            self.changes.push(change(
                if raised {
                    Class::Widened
                } else {
                    Class::Narrowed
                },
                kind,
                subj.clone(),
                Some(perm.key.clone()),
                Some(from),
                Some(to),
                message,
                chain,
            ));
        }
        self.unrecognised_claims(Some(before), Some(after), &subj, &who);
    }
}
