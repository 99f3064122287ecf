//! Drift between two snapshots, compared by effective permission.
//!
//! Owns: matching the subjects of two normalised tenants by stable id (applications by id, then by
//! client id; agents and teams by id; roles by GUID), comparing what each grants (scopes, login
//! agent, active state; an agent's flags, effective feature levels and ticket permissions with the
//! chain that decided them, teams and roles; a role's own settings), classifying every change as
//! widened, narrowed or neutral, and saying what could not be compared (a collection one snapshot
//! did not fetch is unknown, not empty). Pure: no I/O. The result is plain data that every
//! reporter renders. Cosmetic fields (last login, online status, counters, e-mail) are never read.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::{Catalog, ClaimValue, Derived, Kind, PermissionDef, Source};
use crate::check::{Subject, SubjectKind};
use crate::tenant::{Agent, Application, Effective, Origin, Role, Team, Tenant, Value};

/// What a change does to access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Something can now do more.
    Widened,
    /// Something can now do less.
    Narrowed,
    /// Neither (a rename, a new empty team), or not decidable (a claim the catalog does not know).
    Neutral,
}

impl Class {
    /// The lower-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Widened => "widened",
            Self::Narrowed => "narrowed",
            Self::Neutral => "neutral",
        }
    }
}

/// The kinds of change. Combined with the subject kind (application, agent, team, role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Deleted,
    Enabled,
    Disabled,
    Renamed,
    ScopeAdded,
    ScopeRemoved,
    LoginAgentChanged,
    AdminGranted,
    AdminRevoked,
    ApiOnlySet,
    ApiOnlyCleared,
    LevelRaised,
    LevelLowered,
    PermissionGranted,
    PermissionRevoked,
    TeamJoined,
    TeamLeft,
    RoleAssigned,
    RoleRemoved,
    DefaultTeamChanged,
    UnrecognisedClaimChanged,
}

impl ChangeKind {
    /// The snake-case name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Deleted => "deleted",
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Renamed => "renamed",
            Self::ScopeAdded => "scope_added",
            Self::ScopeRemoved => "scope_removed",
            Self::LoginAgentChanged => "login_agent_changed",
            Self::AdminGranted => "admin_granted",
            Self::AdminRevoked => "admin_revoked",
            Self::ApiOnlySet => "api_only_set",
            Self::ApiOnlyCleared => "api_only_cleared",
            Self::LevelRaised => "level_raised",
            Self::LevelLowered => "level_lowered",
            Self::PermissionGranted => "permission_granted",
            Self::PermissionRevoked => "permission_revoked",
            Self::TeamJoined => "team_joined",
            Self::TeamLeft => "team_left",
            Self::RoleAssigned => "role_assigned",
            Self::RoleRemoved => "role_removed",
            Self::DefaultTeamChanged => "default_team_changed",
            Self::UnrecognisedClaimChanged => "unrecognised_claim_changed",
        }
    }

    /// One line saying what this kind of change is, for any subject it applies to.
    #[must_use]
    pub fn summary(self) -> &'static str {
        match self {
            Self::Created => "An application, agent, team or role was created",
            Self::Deleted => "An application, agent, team or role was deleted",
            Self::Enabled => "An application was activated, an agent enabled or a team reactivated",
            Self::Disabled => {
                "An application was deactivated, an agent disabled or a team deactivated"
            }
            Self::Renamed => "An application, agent, team or role was renamed",
            Self::ScopeAdded => "An application gained an API scope",
            Self::ScopeRemoved => "An application lost an API scope",
            Self::LoginAgentChanged => "An application now logs in as another agent",
            Self::AdminGranted => "An agent became a HaloPSA administrator",
            Self::AdminRevoked => "An agent is no longer a HaloPSA administrator",
            Self::ApiOnlySet => "An agent became API-only (no interactive login)",
            Self::ApiOnlyCleared => "An agent is no longer API-only (it can log in interactively)",
            Self::LevelRaised => "An access level was raised, on an agent (as effective) or a role",
            Self::LevelLowered => {
                "An access level was lowered, on an agent (as effective) or a role"
            }
            Self::PermissionGranted => {
                "A permission was granted, on an agent (as effective) or by a role"
            }
            Self::PermissionRevoked => {
                "A permission was revoked, on an agent (as effective) or by a role"
            }
            Self::TeamJoined => "An agent joined a team",
            Self::TeamLeft => "An agent left a team",
            Self::RoleAssigned => "An agent was given a role",
            Self::RoleRemoved => "An agent no longer holds a role",
            Self::DefaultTeamChanged => "An agent's Default Team changed",
            Self::UnrecognisedClaimChanged => {
                "A claim the permission catalog does not understand changed"
            }
        }
    }
}

/// One change between the two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub class: Class,
    pub kind: ChangeKind,
    /// The object that changed (its name in the newer snapshot when it is in both).
    pub subject: Subject,
    /// Canonical permission key (`feature.invoices`, `scope:read:kb`, `agent.admin`), when the
    /// change is about one.
    pub permission: Option<String>,
    /// The value before, in Halo's UI words.
    pub before: Option<String>,
    /// The value after, in Halo's UI words.
    pub after: Option<String>,
    /// One sentence: "agent `Ava` gained Invoices: Read, Create and Modify through role Billing".
    pub message: String,
    /// How the values were decided: each claim, field, role or structure involved, before and after.
    pub chain: Vec<String>,
}

impl Change {
    /// A stable identity of the change: its kind, the subject's kind and stable id, the permission
    /// and the value after (`scope_added|application:7|scope:read:kb|scopes read:customers, read:kb`).
    /// The message is left out and the subject is named by id, so rewording a message or renaming
    /// the subject does not change the fingerprints of its other changes (SARIF
    /// `partialFingerprints`).
    #[must_use]
    pub fn fingerprint(&self) -> String {
        format!(
            "{}|{}:{}|{}|{}",
            self.kind.as_str(),
            self.subject.kind.as_str(),
            self.subject.id,
            self.permission.as_deref().unwrap_or("-"),
            self.after.as_deref().unwrap_or("-"),
        )
    }
}

/// Something the two snapshots do not let halo-audit compare.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NotCompared {
    /// What was not compared (`agents`, `teams`, `Customers of 3 agents`, ...).
    pub what: String,
    pub reason: String,
}

/// Where a snapshot came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Side {
    pub instance: Option<String>,
    pub tenant: Option<String>,
    pub fetched_at: Option<String>,
    pub scope: Option<String>,
}

impl Side {
    fn of(tenant: &Tenant) -> Self {
        Self {
            instance: tenant.provenance.instance.clone(),
            tenant: tenant.provenance.tenant.clone(),
            fetched_at: tenant.provenance.fetched_at.clone(),
            scope: tenant.provenance.scope.clone(),
        }
    }
}

/// The drift between two snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    /// Sorted by subject kind, subject name and id, then kind and permission.
    pub changes: Vec<Change>,
    pub not_compared: Vec<NotCompared>,
}

impl Diff {
    /// Number of changes of a class.
    #[must_use]
    pub fn count(&self, class: Class) -> usize {
        self.changes.iter().filter(|c| c.class == class).count()
    }

    /// True when anything changed (`--fail-on-drift`).
    #[must_use]
    pub fn is_drift(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// Compares two tenants.
#[must_use]
pub fn diff(old: &Tenant, new: &Tenant, catalog: &Catalog) -> Diff {
    let mut new_holders: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for agent in new.agents() {
        // An agent listed twice with a role counts once.
        let held: BTreeSet<&str> = agent
            .roles
            .iter()
            .flatten()
            .map(|r| r.id.as_str())
            .collect();
        for id in held {
            new_holders.entry(id).or_default().push(agent.name.as_str());
        }
    }
    let mut run = Run {
        old,
        new,
        catalog,
        changes: Vec::new(),
        not_compared: BTreeSet::new(),
        unknown_values: BTreeMap::new(),
        new_roles: new.roles().iter().map(|r| (r.id.as_str(), r)).collect(),
        new_holders,
    };
    run.applications();
    run.agents();
    run.teams();
    run.roles();
    for ((side, reason), (labels, agents)) in std::mem::take(&mut run.unknown_values) {
        let what = match labels.iter().next() {
            Some(label) if labels.len() == 1 => label.clone(),
            _ => plural(labels.len(), "permission"),
        };
        run.not_compared.insert(NotCompared {
            what: format!("{what} of {}", plural(agents.len(), "agent")),
            reason: format!("the {side} snapshot: {reason}"),
        });
    }
    let mut changes = run.changes;
    changes.sort_by(|a, b| {
        (
            a.subject.kind,
            a.subject.name.to_lowercase(),
            &a.subject.id,
            a.kind,
            &a.permission,
        )
            .cmp(&(
                b.subject.kind,
                b.subject.name.to_lowercase(),
                &b.subject.id,
                b.kind,
                &b.permission,
            ))
    });
    Diff {
        old: Side::of(old),
        new: Side::of(new),
        changes,
        not_compared: run.not_compared.into_iter().collect(),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn partial(tenant: &Tenant) -> bool {
    tenant.provenance.scope.as_deref() == Some("integrations")
}

/// True when the tenant would hold agent `id` if it existed: the agent list is complete, or the
/// (integrations-scope) snapshot fetched the agents its applications log in as and this is one.
fn covers_agent(tenant: &Tenant, id: i64) -> bool {
    tenant.agents.is_some()
        && (!partial(tenant)
            || tenant
                .applications()
                .iter()
                .any(|a| a.login_agent_id == Some(id)))
}

fn missing_reason(tenant: &Tenant, collection: &str, endpoint: &str) -> String {
    match tenant.gap(endpoint) {
        Some(gap) => format!(
            "its {collection} list could not be read ({}{})",
            gap.status.map(|s| format!("{s} ")).unwrap_or_default(),
            gap.reason
        ),
        None => format!("it holds no {collection} list"),
    }
}

fn value_text(catalog: &Catalog, perm: &PermissionDef, value: Value) -> String {
    match value {
        Value::Flag(true) => "Yes".to_owned(),
        Value::Flag(false) => "No".to_owned(),
        Value::Level(l) => catalog.level_label(perm, l),
    }
}

fn subject(kind: SubjectKind, id: impl ToString, name: &str) -> Subject {
    Subject {
        kind,
        id: id.to_string(),
        name: name.to_owned(),
    }
}

/// The permission labels and agent ids whose values one snapshot could not give.
type Unreadable = (BTreeSet<String>, BTreeSet<i64>);

struct Run<'a> {
    old: &'a Tenant,
    new: &'a Tenant,
    catalog: &'a Catalog,
    changes: Vec<Change>,
    not_compared: BTreeSet<NotCompared>,
    /// (OLD/NEW, reason) → the permissions and agents whose values could not be compared.
    unknown_values: BTreeMap<(&'static str, String), Unreadable>,
    /// The NEW tenant's roles by id, and the agents holding each (names, in agent order): built
    /// once, so that looking them up per role or per assignment stays linear in the tenant.
    new_roles: BTreeMap<&'a str, &'a Role>,
    new_holders: BTreeMap<&'a str, Vec<&'a str>>,
}

#[allow(clippy::too_many_arguments)]
fn change(
    class: Class,
    kind: ChangeKind,
    subject: Subject,
    permission: Option<String>,
    before: Option<String>,
    after: Option<String>,
    message: String,
    chain: Vec<String>,
) -> Change {
    Change {
        class,
        kind,
        subject,
        permission,
        before,
        after,
        message,
        chain,
    }
}

impl Run<'_> {
    fn skip(&mut self, what: &str, reason: String) {
        self.not_compared.insert(NotCompared {
            what: what.to_owned(),
            reason,
        });
    }

    // --- applications -----------------------------------------------------------------------

    fn applications(&mut self) {
        let (Some(old), Some(new)) = (&self.old.applications, &self.new.applications) else {
            for (tenant, side) in [(self.old, "OLD"), (self.new, "NEW")] {
                if tenant.applications.is_none() {
                    let reason = format!(
                        "the {side} snapshot: {}",
                        missing_reason(tenant, "application", "/api/Application")
                    );
                    self.skip("applications", reason);
                }
            }
            return;
        };
        let mut unmatched_new: Vec<&Application> = new.iter().collect();
        let mut pairs = Vec::new();
        let mut gone = Vec::new();
        for app in old {
            let position = unmatched_new
                .iter()
                .position(|n| n.id == app.id)
                .or_else(|| {
                    app.client_id.as_deref().and_then(|c| {
                        unmatched_new
                            .iter()
                            .position(|n| n.client_id.as_deref() == Some(c))
                    })
                });
            match position {
                Some(i) => pairs.push((app, unmatched_new.remove(i))),
                None => gone.push(app),
            }
        }
        for app in gone {
            self.changes.push(change(
                Class::Narrowed,
                ChangeKind::Deleted,
                Subject::application(app),
                None,
                Some(scopes_text(app.scopes.as_deref())),
                None,
                format!("application `{}` was deleted", app.name),
                Vec::new(),
            ));
        }
        for app in unmatched_new {
            let active = app.active != Some(false);
            let agent = app
                .login_agent_id
                .map(|id| self.agent_label(self.new, id, app.login_agent_name.as_deref()));
            self.changes.push(change(
                if active {
                    Class::Widened
                } else {
                    Class::Neutral
                },
                ChangeKind::Created,
                Subject::application(app),
                None,
                None,
                Some(scopes_text(app.scopes.as_deref())),
                format!(
                    "application `{}` was created{}, {}, with {}",
                    app.name,
                    if active { "" } else { " inactive" },
                    agent.map_or_else(
                        || "logging in as no agent".to_owned(),
                        |a| format!("logging in as {a}")
                    ),
                    scopes_text(app.scopes.as_deref())
                ),
                Vec::new(),
            ));
        }
        for (o, n) in pairs {
            self.application_pair(o, n);
        }
    }

    fn agent_label(&self, tenant: &Tenant, id: i64, fallback: Option<&str>) -> String {
        let name = tenant
            .agent(id)
            .map(|a| a.name.clone())
            .or_else(|| fallback.map(str::to_owned))
            .unwrap_or_else(|| format!("agent {id}"));
        format!("`{name}` (id {id})")
    }

    fn application_pair(&mut self, o: &Application, n: &Application) {
        let subj = Subject::application(n);
        if o.name != n.name {
            self.changes.push(change(
                Class::Neutral,
                ChangeKind::Renamed,
                subj.clone(),
                None,
                Some(o.name.clone()),
                Some(n.name.clone()),
                format!(
                    "application `{}` was renamed `{}` (requirement sets bind by display name)",
                    o.name, n.name
                ),
                Vec::new(),
            ));
        }
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
                        n.name,
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
                format!("application `{}` was deactivated", n.name),
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
                        format!("application `{}` gained scope `{scope}`", n.name),
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
                        format!("application `{}` lost scope `{scope}`", n.name),
                        Vec::new(),
                    ));
                }
            }
            (None, None) => {}
            (before, _) => {
                let side = if before.is_none() { "OLD" } else { "NEW" };
                self.skip(
                    &format!("scopes of application `{}`", n.name),
                    format!("the {side} snapshot does not carry them"),
                );
            }
        }
        if o.login_agent_id != n.login_agent_id {
            self.login_agent_change(o, n, subj);
        }
    }

    fn login_agent_change(&mut self, o: &Application, n: &Application, subj: Subject) {
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
            n.name,
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

    // --- agents -------------------------------------------------------------------------------

    fn agents(&mut self) {
        let (Some(old), Some(new)) = (&self.old.agents, &self.new.agents) else {
            for (tenant, side) in [(self.old, "OLD"), (self.new, "NEW")] {
                if tenant.agents.is_none() {
                    let reason = format!(
                        "the {side} snapshot: {}",
                        missing_reason(tenant, "agent", "/api/Agent")
                    );
                    self.skip("agents", reason);
                }
            }
            return;
        };
        let old_by: BTreeMap<i64, &Agent> = old.iter().map(|a| (a.id, a)).collect();
        let new_by: BTreeMap<i64, &Agent> = new.iter().map(|a| (a.id, a)).collect();
        let mut unknown_presence = [0usize; 2];
        for (id, agent) in &old_by {
            if new_by.contains_key(id) {
                continue;
            }
            if !covers_agent(self.new, *id) {
                unknown_presence[1] += 1;
                continue;
            }
            self.changes.push(change(
                Class::Narrowed,
                ChangeKind::Deleted,
                Subject::agent(agent),
                None,
                None,
                None,
                format!("agent `{}` was deleted", agent.name),
                Vec::new(),
            ));
        }
        for (id, agent) in &new_by {
            if old_by.contains_key(id) {
                continue;
            }
            if !covers_agent(self.old, *id) {
                unknown_presence[0] += 1;
                continue;
            }
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
                        .map(|r| format!("role {}", r.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            self.changes.push(change(
                if enabled {
                    Class::Widened
                } else {
                    Class::Neutral
                },
                ChangeKind::Created,
                Subject::agent(agent),
                None,
                None,
                None,
                format!(
                    "agent `{}` was created{}{}",
                    agent.name,
                    if traits.is_empty() { "" } else { ": " },
                    traits.join(", ")
                ),
                Vec::new(),
            ));
        }
        for (count, (absent_from, holder)) in unknown_presence
            .into_iter()
            .zip([("OLD", self.old), ("NEW", self.new)])
        {
            if count > 0 {
                let other = if absent_from == "OLD" { "NEW" } else { "OLD" };
                self.skip(
                    &format!("presence of {}", plural(count, "agent")),
                    format!(
                        "they are in the {other} snapshot only, and the {absent_from} snapshot's scope is `{}`: it holds only the agents its applications log in as",
                        holder.provenance.scope.as_deref().unwrap_or("?")
                    ),
                );
            }
        }
        for (id, o) in &old_by {
            if let Some(n) = new_by.get(id) {
                self.agent_pair(o, n);
            }
        }
    }

    /// "agent `Ava` (login agent of Cloud Depot)".
    fn agent_words(&self, agent: &Agent) -> String {
        let apps: Vec<&str> = self
            .new
            .applications()
            .iter()
            .filter(|a| a.login_agent_id == Some(agent.id))
            .map(|a| a.name.as_str())
            .collect();
        if apps.is_empty() {
            format!("agent `{}`", agent.name)
        } else {
            format!(
                "agent `{}` (login agent of {})",
                agent.name,
                apps.join(", ")
            )
        }
    }

    fn agent_pair(&mut self, o: &Agent, n: &Agent) {
        let subj = Subject::agent(n);
        let who = self.agent_words(n);
        if o.name != n.name {
            self.changes.push(change(
                Class::Neutral,
                ChangeKind::Renamed,
                subj.clone(),
                None,
                Some(o.name.clone()),
                Some(n.name.clone()),
                format!("agent `{}` was renamed `{}`", o.name, n.name),
                Vec::new(),
            ));
        }
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
        self.unrecognised_claims(o.claims.as_deref(), n.claims.as_deref(), &subj, &who);
    }

    fn agent_roles(&mut self, o: &Agent, n: &Agent, subj: &Subject, who: &str) {
        let (Some(before), Some(after)) = (&o.roles, &n.roles) else {
            if o.roles.is_some() != n.roles.is_some() {
                let side = if o.roles.is_none() { "OLD" } else { "NEW" };
                self.skip(
                    &format!("roles of agent `{}`", n.name),
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
                Some(role.name.clone()),
                format!("{who} was given role `{}`", role.name),
                grants,
            ));
        }
        for role in before.iter().filter(|r| !after_ids.contains(r.id.as_str())) {
            self.changes.push(change(
                Class::Narrowed,
                ChangeKind::RoleRemoved,
                subj.clone(),
                Some(format!("role:{}", role.id)),
                Some(role.name.clone()),
                None,
                format!("{who} no longer holds role `{}`", role.name),
                Vec::new(),
            ));
        }
    }

    /// "role Billing: Invoices = Read, Create and Modify", for the chain of a role assignment.
    fn role_settings(&self, role: &Role) -> Vec<String> {
        role.claims
            .iter()
            .flatten()
            .filter_map(|(kind, raw)| {
                let (_, perm) = self.catalog.by_claim(kind)?;
                let value = match self.catalog.claim_value(perm, raw)? {
                    ClaimValue::Flag(b) => Value::Flag(b),
                    ClaimValue::Level(l) => Value::Level(l),
                };
                Some(format!(
                    "role {}: claim {kind} = \"{raw}\" → {} {}",
                    role.name,
                    perm.label,
                    value_text(self.catalog, perm, value)
                ))
            })
            .collect()
    }

    fn agent_teams(&mut self, o: &Agent, n: &Agent, subj: &Subject, who: &str) {
        let (Some(before), Some(after)) = (&o.teams, &n.teams) else {
            if o.teams.is_some() != n.teams.is_some() {
                let side = if o.teams.is_none() { "OLD" } else { "NEW" };
                self.skip(
                    &format!("team memberships of agent `{}`", n.name),
                    format!("the {side} snapshot does not carry them"),
                );
            }
            return;
        };
        let key = |m: &crate::tenant::Membership| match m.team_id {
            Some(id) => format!("{id}"),
            None => format!("name:{}", m.team_name),
        };
        let before_keys: BTreeMap<String, &str> = before
            .iter()
            .map(|m| (key(m), m.team_name.as_str()))
            .collect();
        let after_keys: BTreeMap<String, &str> = after
            .iter()
            .map(|m| (key(m), m.team_name.as_str()))
            .collect();
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
                Some((*name).to_owned()),
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
                Some((*name).to_owned()),
                None,
                format!("{who} left team `{name}`"),
                Vec::new(),
            ));
        }
    }

    fn agent_permissions(&mut self, o: &Agent, n: &Agent, subj: &Subject, who: &str) {
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
    fn cause(&self, effective: &Effective) -> String {
        match effective.decisive().map(|c| &c.origin) {
            Some(Origin::Role { name, .. }) => format!(" through role {name}"),
            Some(Origin::Agent) => " by its own setting".to_owned(),
            Some(Origin::Structure) => effective
                .decisive()
                .map(|c| format!(": {}", c.evidence))
                .unwrap_or_default(),
            None => String::new(),
        }
    }

    fn contribution(&self, perm: &PermissionDef, c: &crate::tenant::Contribution) -> String {
        let who = match &c.origin {
            Origin::Agent => "agent".to_owned(),
            Origin::Role { name, .. } => format!("role {name}"),
            Origin::Structure => "structure".to_owned(),
        };
        format!(
            "{who}: {} → {}",
            c.evidence,
            value_text(self.catalog, perm, c.value)
        )
    }

    /// Claims the catalog does not understand, compared as raw `(type, value)` pairs.
    fn unrecognised_claims(
        &mut self,
        before: Option<&[(String, String)]>,
        after: Option<&[(String, String)]>,
        subj: &Subject,
        who: &str,
    ) {
        let (Some(before), Some(after)) = (before, after) else {
            return;
        };
        let unrecognised = |claims: &[(String, String)]| -> BTreeMap<String, BTreeSet<String>> {
            let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (kind, value) in claims {
                let known = self
                    .catalog
                    .by_claim(kind)
                    .is_some_and(|(_, perm)| self.catalog.claim_value(perm, value).is_some());
                if !known {
                    out.entry(kind.clone()).or_default().insert(value.clone());
                }
            }
            out
        };
        let (a, b) = (unrecognised(before), unrecognised(after));
        let types: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for kind in types {
            let (x, y) = (a.get(kind), b.get(kind));
            if x == y {
                continue;
            }
            let text = |v: Option<&BTreeSet<String>>| {
                v.map(|s| {
                    s.iter()
                        .map(|v| format!("\"{v}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
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
    }

    // --- teams --------------------------------------------------------------------------------

    fn teams(&mut self) {
        let (Some(old), Some(new)) = (&self.old.teams, &self.new.teams) else {
            for (tenant, side) in [(self.old, "OLD"), (self.new, "NEW")] {
                if tenant.teams.is_none() {
                    let reason = format!(
                        "the {side} snapshot: {}",
                        missing_reason(tenant, "team", "/api/Team")
                    );
                    self.skip("teams", reason);
                }
            }
            return;
        };
        let old_by: BTreeMap<i64, &Team> = old.iter().map(|t| (t.id, t)).collect();
        let new_by: BTreeMap<i64, &Team> = new.iter().map(|t| (t.id, t)).collect();
        let presence = !partial(self.old) && !partial(self.new);
        let mut unknown = 0;
        for (id, team) in &old_by {
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
                subject(SubjectKind::Team, id, &team.name),
                None,
                None,
                None,
                format!("team `{}` was deleted", team.name),
                Vec::new(),
            ));
        }
        for (id, team) in &new_by {
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
                subject(SubjectKind::Team, id, &team.name),
                None,
                None,
                None,
                format!(
                    "team `{}` was created{}",
                    team.name,
                    if team.inactive { " inactive" } else { "" }
                ),
                Vec::new(),
            ));
        }
        if unknown > 0 {
            self.skip(
                &format!("presence of {}", plural(unknown, "team")),
                "one snapshot's scope is `integrations`: its team list is not the tenant's"
                    .to_owned(),
            );
        }
        for (id, o) in &old_by {
            let Some(n) = new_by.get(id) else { continue };
            let subj = subject(SubjectKind::Team, id, &n.name);
            if o.name != n.name {
                self.changes.push(change(
                    Class::Neutral,
                    ChangeKind::Renamed,
                    subj.clone(),
                    None,
                    Some(o.name.clone()),
                    Some(n.name.clone()),
                    format!("team `{}` was renamed `{}`", o.name, n.name),
                    Vec::new(),
                ));
            }
            if o.inactive != n.inactive {
                let (kind, verb) = if n.inactive {
                    (ChangeKind::Disabled, "was deactivated")
                } else {
                    (ChangeKind::Enabled, "was reactivated")
                };
                self.changes.push(change(
                    Class::Neutral,
                    kind,
                    subj,
                    None,
                    Some(if o.inactive { "inactive" } else { "active" }.to_owned()),
                    Some(if n.inactive { "inactive" } else { "active" }.to_owned()),
                    format!(
                        "team `{}` {verb} (\"member of all teams\" counts active teams only)",
                        n.name
                    ),
                    Vec::new(),
                ));
            }
        }
    }

    // --- roles --------------------------------------------------------------------------------

    fn roles(&mut self) {
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

    fn holders(&self, role: &Role) -> String {
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

    fn role_pair(&mut self, o: &Role, n: &Role) {
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

fn scopes_text(scopes: Option<&[String]>) -> String {
    match scopes {
        None => "scopes unknown".to_owned(),
        Some([]) => "no scopes".to_owned(),
        // Repeated in every scope change of the application: bounded, or a long list is quadratic.
        Some(s) => format!("scopes {}", crate::text::bounded_list(s, ", ")),
    }
}

#[cfg(test)]
mod tests;
