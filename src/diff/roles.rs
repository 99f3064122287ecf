//! Drift of roles: matched by GUID; their own settings, with the agents that hold them.

use std::collections::BTreeMap;

use crate::catalog::{ClaimValue, Kind, Source};
use crate::check::SubjectKind;
use crate::tenant::{Role, Value};

use super::{ChangeKind, Class, Run, change, missing_reason, partial, plural, subject, value_text};

impl Run<'_> {
    pub(super) fn roles(&mut self) {
        let (Some(old), Some(new)) = (&self.old.roles, &self.new.roles) else {
            for (tenant, side) in [(self.old, "OLD"), (self.new, "NEW")] {
                if tenant.roles.is_none() {
                    let reason = format!(
                        "the {side} snapshot: {}",
                        missing_reason(tenant, "role", "/api/Roles")
                    );
                    self.skip("roles", reason);
                }
            }
            return;
        };
        let old_by: BTreeMap<&str, &Role> = old.iter().map(|r| (r.id.as_str(), r)).collect();
        let new_by: BTreeMap<&str, &Role> = new.iter().map(|r| (r.id.as_str(), r)).collect();
        let presence = !partial(self.old) && !partial(self.new);
        let mut unknown = 0;
        for (id, role) in &old_by {
            if new_by.contains_key(id) {
                continue;
            }
            if !presence {
                unknown += 1;
                continue;
            }
            self.changes.push(change(
                Class::Neutral,
                ChangeKind::Deleted,
                subject(SubjectKind::Role, id, &role.name),
                None,
                None,
                None,
                format!("role `{}` was deleted", role.name),
                self.role_settings(role),
            ));
        }
        for (id, role) in &new_by {
            if old_by.contains_key(id) {
                continue;
            }
            if !presence {
                unknown += 1;
                continue;
            }
            self.changes.push(change(
                Class::Neutral,
                ChangeKind::Created,
                subject(SubjectKind::Role, id, &role.name),
                None,
                None,
                None,
                format!("role `{}` was created", role.name),
                self.role_settings(role),
            ));
        }
        if unknown > 0 {
            self.skip(
                &format!("presence of {}", plural(unknown, "role")),
                "one snapshot's scope is `integrations`: it holds only the roles of the agents it fetched".to_owned(),
            );
        }
        for (id, o) in &old_by {
            let Some(n) = new_by.get(id) else { continue };
            self.role_pair(o, n);
        }
    }

    pub(super) fn holders(&self, role: &Role) -> String {
        let names: Vec<String> = self
            .new_holders
            .get(role.id.as_str())
            .into_iter()
            .flatten()
            .map(|name| format!("`{name}`"))
            .collect();
        match names.len() {
            0 => " (held by no agent)".to_owned(),
            _ => format!(" (held by {})", crate::text::bounded_list(&names, ", ")),
        }
    }

    pub(super) fn role_pair(&mut self, o: &Role, n: &Role) {
        let subj = subject(SubjectKind::Role, &n.id, &n.name);
        if o.name != n.name {
            self.changes.push(change(
                Class::Neutral,
                ChangeKind::Renamed,
                subj.clone(),
                None,
                Some(o.name.clone()),
                Some(n.name.clone()),
                format!("role `{}` was renamed `{}`", o.name, n.name),
                Vec::new(),
            ));
        }
        let (Some(before), Some(after)) = (&o.claims, &n.claims) else {
            if o.claims.is_some() != n.claims.is_some() {
                let side = if o.claims.is_none() { "OLD" } else { "NEW" };
                self.skip(
                    &format!("settings of role `{}`", n.name),
                    format!("the {side} snapshot does not carry its claims"),
                );
            }
            return;
        };
        let holders = self.holders(n);
        let who = format!("role `{}`", n.name);
        for perm in &self.catalog.permissions {
            if !matches!(perm.source, Source::Claim(_)) {
                continue;
            }
            // A role contributes the highest readable value it carries; none is the lowest.
            let read = |claims: &[(String, String)]| {
                claims
                    .iter()
                    .filter(|(k, _)| perm.claim_types().any(|t| t == k))
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
                        .filter(|(k, _)| perm.claim_types().any(|t| t == k))
                        .map(move |(k, raw)| format!("{when}: claim {k} = \"{raw}\""))
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
