//! Drift between two snapshots, compared by effective permission.
//!
//! Owns: matching the subjects of two normalised tenants by stable id (applications by id, then by
//! client id; agents and teams by id; roles by GUID), comparing what each grants (scopes, login
//! agent, active state; an agent's flags, effective feature levels and ticket permissions with the
//! chain that decided them, teams and roles; a role's own settings), classifying every change as
//! widened, narrowed or neutral, and saying what could not be compared (a collection one snapshot
//! did not fetch is unknown, not empty). Pure: no I/O. The result is plain data that every
//! reporter renders. Cosmetic fields (last login, online status, counters, e-mail) are never read.
//!
//! Here: the model of a diff ([`Diff`], [`Change`]) and the run that fills it; the comparison of
//! each kind of subject in its own file (`applications`, `agents`, `teams`, `roles`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::{Catalog, PermissionDef};
use crate::check::{Subject, SubjectKind};
use crate::tenant::{Agent, Application, Role, Team, Tenant, Value};

mod agents;
mod applications;
mod members;
mod roles;
mod teams;

/// What a change does to access.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct NotCompared {
    /// What was not compared (`agents`, `teams`, `Customers of 3 agents`, ...).
    pub what: String,
    pub reason: String,
}

/// A member listed in one snapshot only, whose absence from the other cannot be told from deletion
/// or creation: the other snapshot's list of that kind was not read whole (cut short, over a
/// limit, an id listed twice).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct NotComparable {
    /// The member, as the snapshot that lists it names it.
    pub subject: Subject,
    /// The snapshot that lists it: `OLD` or `NEW`.
    pub listed_in: String,
    /// Why it is not comparable: which list was not read whole, and the gap's reason.
    pub reason: String,
}

/// Where a snapshot came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    /// Sorted by subject kind, subject name and id, then kind and permission.
    pub changes: Vec<Change>,
    pub not_compared: Vec<NotCompared>,
    /// Members in one snapshot only whose other snapshot's list was not read whole: neither
    /// created nor deleted. Sorted as changes are.
    pub not_comparable: Vec<NotComparable>,
    /// The lists (`/api/Agent`, ...) either snapshot did not read whole: the diff cannot say
    /// what changed in them (exit 3).
    pub incomplete: Vec<String>,
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

    /// True when both snapshots read every compared list whole, so that what is in one list only
    /// was created or deleted.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.incomplete.is_empty()
    }
}

/// The lists `diff` compares, by the endpoint they are fetched from.
const LISTS: [&str; 4] = ["/api/Application", "/api/Agent", "/api/Team", "/api/Roles"];

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
        not_comparable: Vec::new(),
        unknown_values: BTreeMap::new(),
        new_roles: new.roles().iter().map(|r| (r.id.as_str(), r)).collect(),
        new_holders,
    };
    run.members::<Application>();
    run.members::<Agent>();
    run.members::<Team>();
    run.members::<Role>();
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
        order(&a.subject, &b.subject)
            .then_with(|| (a.kind, &a.permission).cmp(&(b.kind, &b.permission)))
    });
    let mut not_comparable = run.not_comparable;
    not_comparable
        .sort_by(|a, b| order(&a.subject, &b.subject).then_with(|| a.listed_in.cmp(&b.listed_in)));
    let incomplete = LISTS
        .iter()
        .filter(|list| [old, new].iter().any(|t| members::cut(t, list).is_some()))
        .map(|list| (*list).to_owned())
        .collect();
    Diff {
        old: Side::of(old),
        new: Side::of(new),
        changes,
        not_compared: run.not_compared.into_iter().collect(),
        not_comparable,
        incomplete,
    }
}

/// Subjects in report order: by kind, name ignoring case, then id. Compares without building a
/// lower-case copy of either name (a name may be hundreds of megabytes, and a sort compares each
/// many times).
fn order(a: &Subject, b: &Subject) -> std::cmp::Ordering {
    a.kind
        .cmp(&b.kind)
        .then_with(|| {
            a.name
                .chars()
                .flat_map(char::to_lowercase)
                .cmp(b.name.chars().flat_map(char::to_lowercase))
        })
        .then_with(|| a.id.cmp(&b.id))
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
        name: nm(name).into_owned(),
    }
}

/// The most bytes of a name (or other tenant text) a change repeats whole.
const NAME_LIMIT: usize = 1024;

/// A name as changes show it: whole up to [`NAME_LIMIT`] bytes, else its first 256 bytes and its
/// size (`Ann…` ` (300000000 bytes)`). A change repeats its subject's name in its subject, message
/// and values, and an agent's in every change about it, so a name of hundreds of megabytes would
/// otherwise multiply the memory and output of a diff; the id still tells subjects apart.
fn nm(name: &str) -> std::borrow::Cow<'_, str> {
    if name.len() <= NAME_LIMIT {
        return std::borrow::Cow::Borrowed(name);
    }
    let mut cut = 256;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    std::borrow::Cow::Owned(format!("{}… ({} bytes)", &name[..cut], name.len()))
}

/// The permission labels and agent ids whose values one snapshot could not give.
type Unreadable = (BTreeSet<String>, BTreeSet<i64>);

struct Run<'a> {
    old: &'a Tenant,
    new: &'a Tenant,
    catalog: &'a Catalog,
    changes: Vec<Change>,
    not_compared: BTreeSet<NotCompared>,
    not_comparable: Vec<NotComparable>,
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
