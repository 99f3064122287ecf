//! Drift of agents: their flags, roles, teams and effective permissions with the chain that
//! decided them, and claims the catalog does not know.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{ClaimValue, Derived, Kind, PermissionDef, Source};
use crate::check::{Subject, SubjectKind};
use crate::tenant::{Agent, Claims, Effective, Origin, Role, Tenant, Value};

use super::members::Member;
use super::{Change, ChangeKind, Class, Run, change, covers_agent, nm, subject, value_text};

/// Claim types (and values of one type) the diff names one by one for a subject; the rest are
/// counted.
const NAMED: usize = 10;

impl Member for Agent {
    type Id = i64;
    const PLURAL: &'static str = "agents";
    const NOUN: &'static str = "agent";
    const ENDPOINT: &'static str = "/api/Agent";

    fn list(tenant: &Tenant) -> Option<&[Self]> {
        tenant.agents.as_deref()
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn subject(&self) -> Subject {
        subject(SubjectKind::Agent, self.id, &self.name)
    }

    fn unseen(
        _: &Run<'_>,
        tenant: &Tenant,
        absent_from: &'static str,
        member: &Self,
    ) -> Option<String> {
        if covers_agent(tenant, member.id) {
            return None;
        }
        let other = if absent_from == "OLD" { "NEW" } else { "OLD" };
        Some(format!(
            "they are in the {other} snapshot only, and the {absent_from} snapshot's scope is `{}`: it holds only the agents its applications log in as",
            tenant.provenance.scope.as_deref().unwrap_or("?")
        ))
    }

    fn deleted(_: &Run<'_>, agent: &Self) -> Change {
        change(
            Class::Narrowed,
            ChangeKind::Deleted,
            agent.subject(),
            None,
            None,
            None,
            format!("agent `{}` was deleted", nm(&agent.name)),
            Vec::new(),
        )
    }

    fn created(_: &Run<'_>, agent: &Self) -> Change {
        let enabled = agent.enabled != Some(false);
        let mut traits = Vec::new();
        if agent.api_only == Some(true) {
            traits.push("API-only".to_owned());
        }
        if agent.admin == Some(true) {
            traits.push("a HaloPSA administrator".to_owned());
        }
        if !enabled {
            traits.push("disabled".to_owned());
        }
        if let Some(roles) = agent.roles.as_ref().filter(|r| !r.is_empty()) {
            traits.push(format!(
                "holding {}",
                roles
                    .iter()
                    .map(|r| format!("role {}", nm(&r.name)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        change(
            if enabled {
                Class::Widened
            } else {
                Class::Neutral
            },
            ChangeKind::Created,
            agent.subject(),
            None,
            None,
            None,
            format!(
                "agent `{}` was created{}{}",
                nm(&agent.name),
                if traits.is_empty() { "" } else { ": " },
                traits.join(", ")
            ),
            Vec::new(),
        )
    }

    fn pair(run: &mut Run<'_>, old: &Self, new: &Self) {
        run.agent_pair(old, new);
    }
}

impl Run<'_> {
    /// "agent `Ava` (login agent of Cloud Depot)".
    pub(super) fn agent_words(&self, agent: &Agent) -> String {
        let apps: Vec<std::borrow::Cow<'_, str>> = self
            .new
            .applications()
            .iter()
            .filter(|a| a.login_agent_id == Some(agent.id))
            .map(|a| nm(&a.name))
            .collect();
        if apps.is_empty() {
            format!("agent `{}`", nm(&agent.name))
        } else {
            format!(
                "agent `{}` (login agent of {})",
                nm(&agent.name),
                crate::text::bounded_list(&apps, ", ")
            )
        }
    }

    pub(super) fn agent_pair(&mut self, o: &Agent, n: &Agent) {
        let subj = n.subject();
        let who = self.agent_words(n);
        let flag = |v: Option<bool>| v.map(|b| if b { "Yes" } else { "No" }.to_owned());
        // The agent's yes/no settings: (old, new, permission key, Halo field, whether the field
        // holds the negation, what turning it on and off is).
        let toggles = [
            (
                o.enabled,
                n.enabled,
                "agent.enabled",
                "isdisabled",
                true,
                (ChangeKind::Enabled, Class::Widened, "was enabled"),
                (ChangeKind::Disabled, Class::Narrowed, "was disabled"),
            ),
            (
                o.admin,
                n.admin,
                "agent.admin",
                "is_admin",
                false,
                (
                    ChangeKind::AdminGranted,
                    Class::Widened,
                    "became a HaloPSA administrator",
                ),
                (
                    ChangeKind::AdminRevoked,
                    Class::Narrowed,
                    "is no longer a HaloPSA administrator",
                ),
            ),
            (
                o.api_only,
                n.api_only,
                "agent.api_only",
                "isapiagent",
                false,
                (
                    ChangeKind::ApiOnlySet,
                    Class::Narrowed,
                    "became an API-only agent (no interactive login)",
                ),
                (
                    ChangeKind::ApiOnlyCleared,
                    Class::Widened,
                    "is no longer API-only: it can log in interactively",
                ),
            ),
        ];
        for (old, new, key, field, negated, on, off) in toggles {
            if let (Some(a), Some(b)) = (old, new)
                && a != b
            {
                let (kind, class, verb) = if b { on } else { off };
                self.changes.push(change(
                    class,
                    kind,
                    subj.clone(),
                    Some(key.into()),
                    flag(Some(a)),
                    flag(Some(b)),
                    format!("{who} {verb}"),
                    vec![format!("field {field} = {}", b != negated)],
                ));
            }
        }
        if let (Some(a), Some(b)) = (&o.default_team, &n.default_team)
            && a.trim() != b.trim()
        {
            let text = |s: &str| {
                if s.trim().is_empty() {
                    "No Default Team".to_owned()
                } else {
                    s.trim().to_owned()
                }
            };
            self.changes.push(change(
                Class::Neutral,
                ChangeKind::DefaultTeamChanged,
                subj.clone(),
                Some("agent.default_team".into()),
                Some(text(a)),
                Some(text(b)),
                format!(
                    "{who}: Default Team changed from {} to {}",
                    text(a),
                    text(b)
                ),
                Vec::new(),
            ));
        }
        self.agent_roles(o, n, &subj, &who);
        self.agent_teams(o, n, &subj, &who);
        self.agent_permissions(o, n, &subj, &who);
        self.unrecognised_claims(o.claims.as_ref(), n.claims.as_ref(), &subj, &who);
    }

    pub(super) fn agent_roles(&mut self, o: &Agent, n: &Agent, subj: &Subject, who: &str) {
        let (Some(before), Some(after)) = (&o.roles, &n.roles) else {
            if o.roles.is_some() != n.roles.is_some() {
                let side = if o.roles.is_none() { "OLD" } else { "NEW" };
                self.skip(
                    &format!("roles of agent `{}`", nm(&n.name)),
                    format!("the {side} snapshot does not carry them"),
                );
            }
            return;
        };
        let before_ids: BTreeSet<&str> = before.iter().map(|r| r.id.as_str()).collect();
        let after_ids: BTreeSet<&str> = after.iter().map(|r| r.id.as_str()).collect();
        for role in after.iter().filter(|r| !before_ids.contains(r.id.as_str())) {
            let grants = self
                .new_roles
                .get(role.id.as_str())
                .map(|r| self.role_settings(r))
                .unwrap_or_default();
            self.changes.push(change(
                Class::Widened,
                ChangeKind::RoleAssigned,
                subj.clone(),
                Some(format!("role:{}", role.id)),
                None,
                Some(nm(&role.name).into_owned()),
                format!("{who} was given role `{}`", nm(&role.name)),
                grants,
            ));
        }
        for role in before.iter().filter(|r| !after_ids.contains(r.id.as_str())) {
            self.changes.push(change(
                Class::Narrowed,
                ChangeKind::RoleRemoved,
                subj.clone(),
                Some(format!("role:{}", role.id)),
                Some(nm(&role.name).into_owned()),
                None,
                format!("{who} no longer holds role `{}`", nm(&role.name)),
                Vec::new(),
            ));
        }
    }

    /// "role Billing: Invoices = Read, Create and Modify", for the chain of a role assignment.
    pub(super) fn role_settings(&self, role: &Role) -> Vec<String> {
        role.claims
            .iter()
            .flat_map(Claims::iter)
            .filter_map(|(kind, raw)| {
                let (_, perm) = self.catalog.by_claim(kind)?;
                let value = match self.catalog.claim_value(perm, raw)? {
                    ClaimValue::Flag(b) => Value::Flag(b),
                    ClaimValue::Level(l) => Value::Level(l),
                };
                Some(format!(
                    "role {}: claim {kind} = \"{}\" → {} {}",
                    nm(&role.name),
                    nm(raw),
                    perm.label,
                    value_text(self.catalog, perm, value)
                ))
            })
            .collect()
    }

    pub(super) fn agent_teams(&mut self, o: &Agent, n: &Agent, subj: &Subject, who: &str) {
        let (Some(before), Some(after)) = (&o.teams, &n.teams) else {
            if o.teams.is_some() != n.teams.is_some() {
                let side = if o.teams.is_none() { "OLD" } else { "NEW" };
                self.skip(
                    &format!("team memberships of agent `{}`", nm(&n.name)),
                    format!("the {side} snapshot does not carry them"),
                );
            }
            return;
        };
        let key = |m: &crate::tenant::Membership| match m.team_id {
            Some(id) => format!("{id}"),
            None => format!("name:{}", nm(&m.team_name)),
        };
        let before_keys: BTreeMap<String, std::borrow::Cow<'_, str>> =
            before.iter().map(|m| (key(m), nm(&m.team_name))).collect();
        let after_keys: BTreeMap<String, std::borrow::Cow<'_, str>> =
            after.iter().map(|m| (key(m), nm(&m.team_name))).collect();
        for (k, name) in after_keys
            .iter()
            .filter(|(k, _)| !before_keys.contains_key(*k))
        {
            self.changes.push(change(
                Class::Widened,
                ChangeKind::TeamJoined,
                subj.clone(),
                Some(format!("team:{k}")),
                None,
                Some(name.clone().into_owned()),
                format!("{who} joined team `{name}`"),
                Vec::new(),
            ));
        }
        for (k, name) in before_keys
            .iter()
            .filter(|(k, _)| !after_keys.contains_key(*k))
        {
            self.changes.push(change(
                Class::Narrowed,
                ChangeKind::TeamLeft,
                subj.clone(),
                Some(format!("team:{k}")),
                Some(name.clone().into_owned()),
                None,
                format!("{who} left team `{name}`"),
                Vec::new(),
            ));
        }
    }

    pub(super) fn agent_permissions(&mut self, o: &Agent, n: &Agent, subj: &Subject, who: &str) {
        for perm in &self.catalog.permissions {
            // Fields have their own change kinds; has-roles and default-team follow from the role
            // and default-team changes reported above.
            if matches!(
                perm.source,
                Source::Field(_)
                    | Source::FieldNegated(_)
                    | Source::Derived(Derived::HasRoles | Derived::DefaultTeam)
            ) || perm.also_field.is_some()
                || matches!(perm.source, Source::Unknown(_))
            {
                continue;
            }
            let empty = Effective::default();
            let before = o.permission(&perm.key).unwrap_or(&empty);
            let after = n.permission(&perm.key).unwrap_or(&empty);
            let (Some(x), Some(y)) = (before.exact(), after.exact()) else {
                for (side, effective) in [("OLD", before), ("NEW", after)] {
                    if effective.exact().is_none() {
                        let reason = effective
                            .unknown
                            .first()
                            .cloned()
                            .unwrap_or_else(|| "no value is recorded".to_owned());
                        let entry = self.unknown_values.entry((side, reason)).or_default();
                        entry.0.insert(perm.label.clone());
                        entry.1.insert(n.id);
                    }
                }
                continue;
            };
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
                Kind::Level if raised => format!(
                    "{who} gained {}: {to}{} (was {from})",
                    perm.label,
                    self.cause(after)
                ),
                Kind::Level => format!(
                    "{who}: {} lowered to {to}{} (was {from}{})",
                    perm.label,
                    self.cause(after),
                    self.cause(before)
                ),
                Kind::Flag if raised => {
                    format!("{who} gained {}{}", perm.label, self.cause(after))
                }
                Kind::Flag => format!(
                    "{who} lost {} (was granted{})",
                    perm.label,
                    self.cause(before)
                ),
            };
            let mut chain: Vec<String> = before
                .contributions
                .iter()
                .map(|c| format!("before: {}", self.contribution(perm, c)))
                .collect();
            chain.extend(
                after
                    .contributions
                    .iter()
                    .map(|c| format!("after: {}", self.contribution(perm, c))),
            );
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
    }

    /// " through role Billing", " by its own setting", ": member of all 7 active teams".
    pub(super) fn cause(&self, effective: &Effective) -> String {
        match effective.decisive().map(|c| &c.origin) {
            Some(Origin::Role { name, .. }) => format!(" through role {}", nm(name)),
            Some(Origin::Agent) => " by its own setting".to_owned(),
            Some(Origin::Structure) => effective
                .decisive()
                .map(|c| format!(": {}", c.evidence))
                .unwrap_or_default(),
            None => String::new(),
        }
    }

    pub(super) fn contribution(
        &self,
        perm: &PermissionDef,
        c: &crate::tenant::Contribution,
    ) -> String {
        let who = match &c.origin {
            Origin::Agent => "agent".to_owned(),
            Origin::Role { name, .. } => format!("role {}", nm(name)),
            Origin::Structure => "structure".to_owned(),
        };
        format!(
            "{who}: {} → {}",
            c.evidence,
            value_text(self.catalog, perm, c.value)
        )
    }

    /// Claims the catalog does not understand, compared as raw `(type, value)` pairs. Bounded by
    /// the subject, not by the snapshot: at most [`NAMED`] claim types are reported one by one
    /// (the rest counted in one more change) and at most [`NAMED`] values named per type (the rest
    /// counted), so a record holding a million such claims costs a few changes, not a million.
    pub(super) fn unrecognised_claims(
        &mut self,
        before: Option<&Claims>,
        after: Option<&Claims>,
        subj: &Subject,
        who: &str,
    ) {
        let (Some(before), Some(after)) = (before, after) else {
            return;
        };
        let (a, b) = (
            unrecognised(self.catalog, before),
            unrecognised(self.catalog, after),
        );
        let (mut named, mut more) = (0usize, 0usize);
        // Both lists sorted by type then value: walk them side by side, one type at a time.
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let kind = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) => x.0.min(y.0),
                (Some(x), None) => x.0,
                (None, Some(y)) => y.0,
                (None, None) => break,
            };
            let x = run_of(&a, &mut i, kind);
            let y = run_of(&b, &mut j, kind);
            if x == y {
                continue;
            }
            if named == NAMED {
                more += 1;
                continue;
            }
            named += 1;
            let text = |v: &[(&str, &str)]| {
                (!v.is_empty()).then(|| {
                    let mut shown: Vec<String> = v
                        .iter()
                        .take(NAMED)
                        .map(|(_, v)| format!("\"{}\"", nm(v)))
                        .collect();
                    if v.len() > NAMED {
                        shown.push(format!("and {} more", v.len() - NAMED));
                    }
                    shown.join(", ")
                })
            };
            let (from, to) = (text(x), text(y));
            self.changes.push(change(
                Class::Neutral,
                ChangeKind::UnrecognisedClaimChanged,
                subj.clone(),
                Some(format!("claim:{kind}")),
                from.clone(),
                to.clone(),
                format!(
                    "{who}: claim `{kind}` changed from {} to {}, which the permission catalog does not understand: review it (`halo-audit snapshot show`)",
                    from.as_deref().unwrap_or("absent"),
                    to.as_deref().unwrap_or("absent")
                ),
                Vec::new(),
            ));
        }
        if more > 0 {
            self.changes.push(change(
                Class::Neutral,
                ChangeKind::UnrecognisedClaimChanged,
                subj.clone(),
                Some("claim:*".to_owned()),
                None,
                None,
                format!(
                    "{who}: {more} more claim types the permission catalog does not understand changed (the first {NAMED} are listed one by one): review them (`halo-audit snapshot show`)"
                ),
                Vec::new(),
            ));
        }
    }
}

/// The claims of a list the catalog does not understand, borrowed, sorted by type then value,
/// each pair once (16 bytes of pointers a claim, whatever the number of types).
fn unrecognised<'c>(
    catalog: &crate::catalog::Catalog,
    claims: &'c Claims,
) -> Vec<(&'c str, &'c str)> {
    let mut out: Vec<(&str, &str)> = claims
        .iter()
        .filter(|(kind, value)| {
            catalog
                .by_claim(kind)
                .is_none_or(|(_, perm)| catalog.claim_value(perm, value).is_none())
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The pairs of `list` from `*at` that have type `kind`; `*at` moves past them.
fn run_of<'l, 'c>(
    list: &'l [(&'c str, &'c str)],
    at: &mut usize,
    kind: &str,
) -> &'l [(&'c str, &'c str)] {
    let start = *at;
    while list.get(*at).is_some_and(|(k, _)| *k == kind) {
        *at += 1;
    }
    &list[start..*at]
}
