//! Least-privilege plans: the setup the chosen integrations need, in Halo's UI words.
//!
//! Owns: merging the requirements of the chosen sets per API application (several sets may bind
//! one application) and per login agent (several applications may log in as one agent), the target
//! of every grant with the integrations that need it, and, against a snapshot, the to-do list: what
//! to add, what to remove (grants no bound integration needs), what is already right, each with a
//! machine-applicable [`Operation`] on Halo's objects. Sets bind to applications exactly as
//! `check` binds them ([`crate::check::check`]); current values are the normaliser's effective
//! permissions. What cannot be expressed as an operation is listed as unresolved, never guessed.
//! Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::{Catalog, ClaimValue, Derived, Kind, PermRef, PermissionDef, Source};
use crate::check::{self, CheckError, Selection, SetState, Subject, SubjectKind};
use crate::diag::Code;
use crate::ruleset::{Expect, Library, PolicyCheck, Requirement, RuleSet, SetKind};
use crate::tenant::{Agent, Application, Effective, Origin, Tenant, Value};

/// What to do with one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Grant it, or raise it (the snapshot lacks it).
    Add,
    /// Revoke it, or lower it (no chosen integration needs it).
    Remove,
    /// Already right.
    Keep,
    /// No snapshot to compare with (or the object does not exist yet): configure it so.
    Set,
}

impl Status {
    /// The lower-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Keep => "keep",
            Self::Set => "set",
        }
    }
}

/// A change to Halo's objects (as the snapshot stores them) that carries out one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Add `{"name": scope}` to the application's `scopes`.
    AddScope { application: String, scope: String },
    /// Remove the scope from the application's `scopes`.
    RemoveScope { application: String, scope: String },
    /// Set a boolean field of the agent (`is_admin`, `isapiagent`, `isdisabled`).
    SetAgentField {
        agent: i64,
        field: String,
        value: bool,
    },
    /// Set the agent's own claim of this type (replacing any it has) to this value, in the
    /// catalog's claim encoding.
    SetAgentClaim {
        agent: i64,
        claim: String,
        value: String,
    },
    /// Remove the role from the agent's `roles`.
    RemoveAgentRole { agent: i64, role: String },
    /// Add a membership of the team to the agent's `teams`.
    AddAgentTeam {
        agent: i64,
        team_id: i64,
        team_name: String,
    },
    /// Empty a restriction list of the agent (`clients`, `tickettypes`, `assettypes`, `assetfields`).
    ClearAgentRestriction { agent: i64, field: String },
    /// Set the agent's default team (`team`); empty for "No Default Team".
    SetAgentDefaultTeam { agent: i64, team: String },
    /// Set a yes/no member of every one of the agent's team memberships (`unassigned_access`,
    /// `otheragent_access`).
    SetAgentTeamFlag {
        agent: i64,
        field: String,
        value: bool,
    },
}

/// One grant of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub status: Status,
    /// Canonical key (`scope:edit:invoices`, `feature.invoices`), `role:GUID` or `team:ID`.
    pub permission: String,
    /// Halo's UI label.
    pub label: String,
    /// Where in Halo's UI.
    pub place: String,
    /// The current value (with the role or structure behind it), when a snapshot says.
    pub current: Option<String>,
    /// The value the integrations need.
    pub wanted: String,
    /// What to do, in Halo's UI words.
    pub instruction: String,
    /// Set ids that need this grant (`baseline` for tenant-wide policies).
    pub needed_by: Vec<String>,
    /// Requirement (or policy) ids behind it.
    pub requirements: Vec<String>,
    /// Set when every requirement behind it applies only under a condition (the vendor's words).
    pub condition: Option<String>,
    pub note: Option<String>,
    /// How to apply it to the snapshot's objects; `None` for `keep`, and for objects that do not
    /// exist yet.
    pub operation: Option<Operation>,
}

/// The plan for one API application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplicationPlan {
    /// The application (`id` empty when it does not exist yet).
    pub subject: Subject,
    pub exists: bool,
    /// Sets bound to it.
    pub sets: Vec<String>,
    /// The agent it logs in as (or should).
    pub login_agent: String,
    /// How to create it, when it does not exist.
    pub setup: Option<String>,
    pub items: Vec<Item>,
}

/// The plan for one login agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentPlan {
    /// The agent (`id` empty when it does not exist yet).
    pub subject: Subject,
    pub exists: bool,
    /// Applications of the plan that log in as it.
    pub applications: Vec<String>,
    pub sets: Vec<String>,
    pub setup: Option<String>,
    pub items: Vec<Item>,
}

/// A requirement the plan cannot turn into an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    pub sets: Vec<String>,
    pub requirements: Vec<String>,
    pub subject: Option<String>,
    pub reason: String,
}

/// A set of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetRef {
    pub id: String,
    pub title: String,
    pub vendor: Option<String>,
    pub source: Option<String>,
}

/// The snapshot a plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotRef {
    pub instance: Option<String>,
    pub fetched_at: Option<String>,
}

/// A least-privilege plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub sets: Vec<SetRef>,
    pub snapshot: Option<SnapshotRef>,
    pub applications: Vec<ApplicationPlan>,
    pub agents: Vec<AgentPlan>,
    pub unresolved: Vec<Unresolved>,
    pub notes: Vec<String>,
}

impl Plan {
    /// Every item, applications first.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.applications
            .iter()
            .flat_map(|a| a.items.iter())
            .chain(self.agents.iter().flat_map(|a| a.items.iter()))
    }

    /// Number of items with a status.
    #[must_use]
    pub fn count(&self, status: Status) -> usize {
        self.items().filter(|i| i.status == status).count()
    }
}

/// Makes a plan for `selection.sets`, against a tenant when one is given.
///
/// # Errors
/// [`CheckError::UnknownSet`] when a chosen set is not in the library.
pub fn plan(
    tenant: Option<&Tenant>,
    library: &Library,
    catalog: &Catalog,
    selection: &Selection,
) -> Result<Plan, CheckError> {
    check::validate(library, selection)?;
    let mut builder = Builder {
        catalog,
        library,
        tenant,
        unresolved: Vec::new(),
        notes: Vec::new(),
    };
    let chosen: Vec<&RuleSet> = selection
        .sets
        .iter()
        .chain(selection.bindings.keys())
        .filter_map(|id| library.get(id))
        .collect::<Vec<_>>();
    let mut seen = BTreeSet::new();
    let mut sets: Vec<&RuleSet> = Vec::new();
    for set in chosen {
        if !seen.insert(set.id.clone()) {
            continue;
        }
        if set.kind == SetKind::Baseline {
            builder.notes.push(format!(
                "`{}` is the tenant-wide baseline: it is not an integration to plan; the plan follows its policies for the agents it plans",
                set.id
            ));
            continue;
        }
        sets.push(set);
    }
    let groups = match tenant {
        Some(tenant) => builder.bind(tenant, selection, &sets)?,
        None => sets
            .iter()
            .map(|set| AppGroup::new_for(set))
            .collect::<Vec<_>>(),
    };
    let mut applications = Vec::new();
    let mut agent_groups: BTreeMap<AgentKey, AgentGroup> = BTreeMap::new();
    for group in &groups {
        applications.push(builder.application_plan(group));
        let entry = agent_groups
            .entry(group.agent.clone())
            .or_insert_with(|| AgentGroup {
                key: group.agent.clone(),
                applications: Vec::new(),
                sets: Vec::new(),
            });
        entry.applications.push(group.name.clone());
        for set in &group.sets {
            if !entry.sets.iter().any(|s| s.id == set.id) {
                entry.sets.push(set);
            }
        }
    }
    let mut agents: Vec<AgentPlan> = agent_groups
        .values()
        .map(|g| builder.agent_plan(g))
        .collect();
    agents.sort_by(|a, b| {
        a.subject
            .name
            .to_lowercase()
            .cmp(&b.subject.name.to_lowercase())
    });
    for agent in &mut agents {
        let subject = format!("agent `{}`", agent.subject.name);
        unknown_to_unresolved(&mut agent.items, &subject, &mut builder.unresolved);
    }
    for app in &mut applications {
        let subject = format!("application `{}`", app.subject.name);
        unknown_to_unresolved(&mut app.items, &subject, &mut builder.unresolved);
    }
    Ok(Plan {
        sets: sets
            .iter()
            .map(|s| SetRef {
                id: s.id.clone(),
                title: s.title.clone(),
                vendor: s.vendor.clone(),
                source: s.sources.first().map(|d| d.url.clone()),
            })
            .collect(),
        snapshot: tenant.map(|t| SnapshotRef {
            instance: t.provenance.instance.clone(),
            fetched_at: t.provenance.fetched_at.clone(),
        }),
        applications,
        agents,
        unresolved: builder.unresolved,
        notes: builder.notes,
    })
}

/// A change whose starting point could not be read is not a to-do item: whether anything is to
/// add or remove is unknown. It becomes unresolved (counted as such), saying what is wanted.
fn unknown_to_unresolved(items: &mut Vec<Item>, subject: &str, unresolved: &mut Vec<Unresolved>) {
    let unknown = |item: &Item| {
        matches!(item.status, Status::Add | Status::Remove)
            && (item.current.as_deref() == Some("unknown")
                || item
                    .note
                    .as_deref()
                    .is_some_and(|n| n.contains("could not be read")))
    };
    for item in items.iter().filter(|i| unknown(i)) {
        let why = item
            .note
            .clone()
            .unwrap_or_else(|| "the current value is not in the snapshot".to_owned());
        unresolved.push(Unresolved {
            sets: item.needed_by.clone(),
            requirements: item.requirements.clone(),
            subject: Some(subject.to_owned()),
            reason: format!(
                "\"{}\" should be {}, but {why}: check it in {} ({} if it is not)",
                item.label, item.wanted, item.place, item.instruction
            ),
        });
    }
    items.retain(|i| !unknown(i));
}

/// Which agent a group of applications logs in as.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum AgentKey {
    /// An agent of the snapshot.
    Existing(i64),
    /// One to create (or one the snapshot does not hold), by suggested name.
    New(String),
}

/// An application and the sets bound to it.
struct AppGroup<'a> {
    app: Option<&'a Application>,
    name: String,
    sets: Vec<&'a RuleSet>,
    agent: AgentKey,
    setup: Option<String>,
}

impl<'a> AppGroup<'a> {
    /// An application to create for a set.
    fn new_for(set: &'a RuleSet) -> Self {
        let name = suggested_name(set);
        let agent = format!("{name} API");
        let patterns = if set.application_names.is_empty() {
            String::new()
        } else {
            format!(
                " (the set binds display names matching {})",
                set.application_names.join(", ")
            )
        };
        Self {
            setup: Some(format!(
                "create it in Configuration > Integrations > HaloPSA API > View Applications > New: Application Name `{name}`{patterns}, Authentication Method \"Client ID and Secret (Services)\", Login Type Agent, Agent to log in as `{agent}`, Active ticked"
            )),
            app: None,
            name,
            sets: vec![set],
            agent: AgentKey::New(agent),
        }
    }
}

struct AgentGroup<'a> {
    key: AgentKey,
    applications: Vec<String>,
    sets: Vec<&'a RuleSet>,
}

/// Whether the plan sets a requirement up: of an alternative, only the first option's (the set
/// lists its preferred option first).
fn planned(set: &RuleSet, requirement: &Requirement) -> bool {
    set.alternative_of(&requirement.id).is_none_or(|a| {
        a.options
            .first()
            .is_some_and(|o| o.contains(&requirement.id))
    })
}

/// The application name a set's default binding suggests: its first display-name pattern without
/// wildcards, else the set's title.
fn suggested_name(set: &RuleSet) -> String {
    set.application_names
        .iter()
        .map(|p| p.replace(['*', '?'], "").trim().to_owned())
        .find(|p| !p.is_empty())
        .unwrap_or_else(|| set.title.clone())
}

/// One requirement behind a grant.
#[derive(Debug, Clone)]
struct Need {
    set: String,
    requirement: String,
    condition: Option<String>,
}

fn need(set: &RuleSet, requirement: &Requirement) -> Need {
    Need {
        set: set.id.clone(),
        requirement: requirement.id.clone(),
        condition: requirement.condition.clone(),
    }
}

/// What the chosen sets want of one agent permission.
#[derive(Debug, Clone, Default)]
struct Want {
    lower: Option<Value>,
    upper: Option<Value>,
    needs: Vec<Need>,
    ambiguity: Vec<String>,
}

impl Want {
    fn target(&self) -> Option<Value> {
        self.lower.or(self.upper)
    }

    fn accepts(&self, value: Value) -> bool {
        self.lower.is_none_or(|l| value >= l) && self.upper.is_none_or(|u| value <= u)
    }

    fn conflict(&self) -> bool {
        matches!((self.lower, self.upper), (Some(l), Some(u)) if l > u)
    }
}

fn needed_by(needs: &[Need]) -> Vec<String> {
    let mut out: Vec<String> = needs.iter().map(|n| n.set.clone()).collect();
    out.dedup();
    let set: BTreeSet<String> = out.into_iter().collect();
    set.into_iter().collect()
}

fn requirement_ids(needs: &[Need]) -> Vec<String> {
    let set: BTreeSet<String> = needs.iter().map(|n| n.requirement.clone()).collect();
    set.into_iter().collect()
}

/// The condition of a grant, when every requirement behind it is conditional.
fn condition(needs: &[Need]) -> Option<String> {
    if needs.is_empty() || needs.iter().any(|n| n.condition.is_none()) {
        return None;
    }
    let set: BTreeSet<&str> = needs
        .iter()
        .filter_map(|n| n.condition.as_deref())
        .collect();
    Some(set.into_iter().collect::<Vec<_>>().join("; or "))
}

fn scope_place(app: &str) -> String {
    format!("Configuration > Integrations > HaloPSA API > View Applications > {app} > Permissions")
}

fn agent_place(agent: &str, section: &str) -> String {
    match section {
        "General" => format!("Configuration > Teams & Agents > Agents > {agent} > Details"),
        "Teams" => format!("Configuration > Teams & Agents > Agents > {agent} > Teams"),
        "Roles" => format!("Configuration > Teams & Agents > Agents > {agent} > Roles"),
        section => {
            format!("Configuration > Teams & Agents > Agents > {agent} > Permissions > {section}")
        }
    }
}

fn value_text(catalog: &Catalog, perm: &PermissionDef, value: Value) -> String {
    match value {
        Value::Flag(true) => "Yes".to_owned(),
        Value::Flag(false) => "No".to_owned(),
        Value::Level(l) => catalog.level_label(perm, l),
    }
}

/// "Read and Modify (through role Billing)".
fn current_text(catalog: &Catalog, perm: &PermissionDef, effective: &Effective) -> String {
    let text = match (effective.value, effective.decisive()) {
        (Some(value), Some(decisive)) => {
            let text = value_text(catalog, perm, value);
            match &decisive.origin {
                Origin::Role { name, .. } => format!("{text} (through role {name})"),
                Origin::Structure => format!("{text} ({})", decisive.evidence),
                Origin::Agent => text,
            }
        }
        _ => "unknown".to_owned(),
    };
    if effective.unknown.is_empty() || effective.value.is_none() {
        text
    } else {
        format!("at least {text} (not every claim could be read)")
    }
}

struct Builder<'a> {
    catalog: &'a Catalog,
    library: &'a Library,
    tenant: Option<&'a Tenant>,
    unresolved: Vec<Unresolved>,
    notes: Vec<String>,
}

impl<'a> Builder<'a> {
    /// Binds the sets as `check` does and groups them by application.
    fn bind(
        &mut self,
        tenant: &'a Tenant,
        selection: &Selection,
        sets: &[&'a RuleSet],
    ) -> Result<Vec<AppGroup<'a>>, CheckError> {
        let outcome = check::check(tenant, self.library, self.catalog, selection)?;
        let mut by_app: BTreeMap<String, AppGroup<'a>> = BTreeMap::new();
        let mut created = Vec::new();
        for set in sets {
            let state = outcome
                .sets
                .iter()
                .find(|s| s.id == set.id)
                .map(|s| &s.state);
            match state {
                Some(SetState::Evaluated { applications }) => {
                    for subject in applications {
                        let Some(app) = tenant.applications().iter().find(|a| a.id == subject.id)
                        else {
                            continue;
                        };
                        let group = by_app.entry(app.id.clone()).or_insert_with(|| {
                            let agent = match app.login_agent_id {
                                Some(id) if tenant.agent(id).is_some() => AgentKey::Existing(id),
                                other => {
                                    let name = format!("{} API", app.name);
                                    let why = match other {
                                        None => format!("application `{}` logs in as no agent", app.name),
                                        Some(id) => format!(
                                            "application `{}` logs in as agent {id}{}, which is not in the snapshot",
                                            app.name,
                                            app.login_agent_name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
                                        ),
                                    };
                                    self.unresolved.push(Unresolved {
                                        sets: Vec::new(),
                                        requirements: Vec::new(),
                                        subject: Some(format!("application `{}`", app.name)),
                                        reason: format!(
                                            "{why}: set its \"Agent to log in as\" to an API-only agent (the plan calls it `{name}`) in Configuration > Integrations > HaloPSA API > View Applications > {}",
                                            app.name
                                        ),
                                    });
                                    AgentKey::New(name)
                                }
                            };
                            AppGroup {
                                app: Some(app),
                                name: app.name.clone(),
                                sets: Vec::new(),
                                agent,
                                setup: None,
                            }
                        });
                        group.sets.push(set);
                    }
                }
                Some(SetState::NotEvaluable { reason }) => self.unresolved.push(Unresolved {
                    sets: vec![set.id.clone()],
                    requirements: Vec::new(),
                    subject: None,
                    reason: format!("cannot tell which application `{}` binds: {reason}", set.id),
                }),
                _ => {
                    let mut group = AppGroup::new_for(set);
                    if let Some(f) = outcome
                        .findings
                        .iter()
                        .find(|f| f.code == Code::BindingNotFound && f.requirement_set == set.id)
                    {
                        group.setup = group.setup.map(|s| format!("{}; {s}", f.message));
                    }
                    created.push(group);
                }
            }
        }
        let mut groups: Vec<AppGroup<'a>> = by_app.into_values().collect();
        groups.sort_by_key(|a| a.name.to_lowercase());
        groups.extend(created);
        Ok(groups)
    }

    fn application_plan(&mut self, group: &AppGroup<'_>) -> ApplicationPlan {
        let mut needed: BTreeMap<String, Vec<Need>> = BTreeMap::new();
        let mut forbidden: BTreeMap<String, Vec<Need>> = BTreeMap::new();
        let mut notes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for set in &group.sets {
            for requirement in set.requirements.iter().filter(|r| planned(set, r)) {
                let PermRef::Scope(scope) = &requirement.permission else {
                    continue;
                };
                let target = match requirement.expect {
                    Expect::Granted => &mut needed,
                    Expect::NotGranted => &mut forbidden,
                    _ => continue,
                };
                target
                    .entry(scope.clone())
                    .or_default()
                    .push(need(set, requirement));
                if let Some(a) = &requirement.ambiguity {
                    notes.entry(scope.clone()).or_default().push(a.clone());
                }
            }
        }
        let place = scope_place(&group.name);
        let set_ids: Vec<String> = group.sets.iter().map(|s| s.id.clone()).collect();
        let item = |status: Status, scope: &str, needs: &[Need], instruction: String| Item {
            status,
            permission: format!("scope:{scope}"),
            label: scope.to_owned(),
            place: place.clone(),
            current: None,
            wanted: if status == Status::Remove {
                "not ticked".to_owned()
            } else {
                "ticked".to_owned()
            },
            instruction,
            needed_by: needed_by(needs),
            requirements: requirement_ids(needs),
            condition: condition(needs),
            note: notes.get(scope).map(|n| n.join(" ")),
            operation: None,
        };
        let mut items = Vec::new();
        let held = group.app.and_then(|a| a.scopes.as_ref());
        match (group.app, held) {
            (Some(app), Some(held)) => {
                for (scope, needs) in &needed {
                    let mut it = if held.contains(scope) {
                        item(Status::Keep, scope, needs, format!("`{scope}` is ticked"))
                    } else {
                        let mut it = item(Status::Add, scope, needs, format!("tick `{scope}`"));
                        it.operation = Some(Operation::AddScope {
                            application: app.id.clone(),
                            scope: scope.clone(),
                        });
                        if let Some(grant) = self.catalog.scope_grant(held.iter(), scope) {
                            it.note = Some(format!(
                                "now granted only through `{}` ({}), which the plan removes unless it is needed itself",
                                grant.chain.first().map_or("", String::as_str),
                                grant.confidence.as_str()
                            ));
                        }
                        it
                    };
                    it.current = Some(if held.contains(scope) {
                        "ticked".to_owned()
                    } else {
                        "not ticked".to_owned()
                    });
                    items.push(it);
                }
                let broad = self.broad_scopes();
                let reporting = group.sets.iter().any(|s| s.excess_scopes);
                for scope in held.iter().filter(|s| !needed.contains_key(*s)) {
                    let (needs, why) = match forbidden.get(scope) {
                        Some(needs) => (needs.clone(), None),
                        None if reporting || broad.contains(scope) => (
                            Vec::new(),
                            Some(format!("no requirement of {} needs it", set_ids.join(", "))),
                        ),
                        None => {
                            self.notes.push(format!(
                                "application `{}` holds `{scope}`, which no requirement names; its sets ({}) do not report unneeded scopes, so the plan leaves it to you",
                                group.name,
                                set_ids.join(", ")
                            ));
                            continue;
                        }
                    };
                    let mut it = item(Status::Remove, scope, &needs, format!("untick `{scope}`"));
                    it.current = Some("ticked".to_owned());
                    it.note = why;
                    it.operation = Some(Operation::RemoveScope {
                        application: app.id.clone(),
                        scope: scope.clone(),
                    });
                    items.push(it);
                }
            }
            (app, _) => {
                if app.is_some() {
                    self.notes.push(format!(
                        "the snapshot does not carry the scopes of application `{}`: the plan lists what it needs, not what to remove",
                        group.name
                    ));
                }
                for (scope, needs) in &needed {
                    let mut it = item(Status::Set, scope, needs, format!("tick `{scope}`"));
                    if let Some(app) = app {
                        it.operation = Some(Operation::AddScope {
                            application: app.id.clone(),
                            scope: scope.clone(),
                        });
                    }
                    items.push(it);
                }
            }
        }
        ApplicationPlan {
            subject: Subject {
                kind: SubjectKind::Application,
                id: group.app.map(|a| a.id.clone()).unwrap_or_default(),
                name: group.name.clone(),
            },
            exists: group.app.is_some(),
            sets: set_ids,
            login_agent: match &group.agent {
                AgentKey::Existing(id) => self
                    .tenant
                    .and_then(|t| t.agent(*id))
                    .map_or_else(|| format!("agent {id}"), |a| a.name.clone()),
                AgentKey::New(name) => name.clone(),
            },
            setup: group.setup.clone(),
            items,
        }
    }

    /// Scopes the baseline never wants held without a set needing them (`all`, `admin`).
    fn broad_scopes(&self) -> BTreeSet<String> {
        self.library
            .sets
            .iter()
            .filter(|s| s.kind == SetKind::Baseline)
            .flat_map(|s| s.policies.iter())
            .filter(|p| p.check == PolicyCheck::BroadScopeUnneeded)
            .flat_map(|p| p.scopes.iter().cloned())
            .collect()
    }

    /// What the sets (and the baseline's policies) want of each agent permission.
    fn wants(&self, group: &AgentGroup<'_>, agent: Option<&Agent>) -> BTreeMap<usize, Want> {
        let mut wants: BTreeMap<usize, Want> = BTreeMap::new();
        for set in &group.sets {
            for requirement in set.requirements.iter().filter(|r| planned(set, r)) {
                let PermRef::Agent(index) = requirement.permission else {
                    continue;
                };
                let want = wants.entry(index).or_default();
                match requirement.expect {
                    Expect::Granted => want.lower = want.lower.max(Some(Value::Flag(true))),
                    Expect::NotGranted => {
                        want.upper = Some(
                            want.upper
                                .map_or(Value::Flag(false), |u| u.min(Value::Flag(false))),
                        );
                    }
                    Expect::AtLeast {
                        level,
                        allow_higher,
                    } => {
                        want.lower = want.lower.max(Some(Value::Level(level)));
                        if !allow_higher && set.excess_levels {
                            want.upper = Some(
                                want.upper
                                    .map_or(Value::Level(level), |u| u.min(Value::Level(level))),
                            );
                        }
                    }
                    Expect::AtMost(level) => {
                        want.upper = Some(
                            want.upper
                                .map_or(Value::Level(level), |u| u.min(Value::Level(level))),
                        );
                    }
                }
                want.needs.push(need(set, requirement));
                if let Some(a) = &requirement.ambiguity {
                    want.ambiguity.push(a.clone());
                }
            }
        }
        // Baseline policies that concern an integration agent: no ticket deletion and no
        // administrator flag unless a chosen set asks for them.
        for baseline in self
            .library
            .sets
            .iter()
            .filter(|s| s.kind == SetKind::Baseline)
        {
            for policy in &baseline.policies {
                let key = match policy.check {
                    PolicyCheck::DeleteTicketsUnneeded
                    | PolicyCheck::CreateRolesUnneeded
                    | PolicyCheck::SqlDataSourcesUnneeded
                    | PolicyCheck::PasswordFieldsUnneeded => {
                        policy.check.agent_right().unwrap_or("ticket.can_delete")
                    }
                    PolicyCheck::AdminApiAgent => {
                        let api_only = agent.is_some_and(|a| a.api_only == Some(true))
                            || self
                                .catalog
                                .permission("agent.api_only")
                                .is_some_and(|(i, _)| {
                                    wants
                                        .get(&i)
                                        .is_some_and(|w| w.lower == Some(Value::Flag(true)))
                                });
                        if !api_only {
                            continue;
                        }
                        "agent.admin"
                    }
                    _ => continue,
                };
                let Some((index, _)) = self.catalog.permission(key) else {
                    continue;
                };
                if wants.contains_key(&index) {
                    continue;
                }
                wants.insert(
                    index,
                    Want {
                        lower: None,
                        upper: Some(Value::Flag(false)),
                        needs: vec![Need {
                            set: baseline.id.clone(),
                            requirement: policy.id.clone(),
                            condition: None,
                        }],
                        ambiguity: Vec::new(),
                    },
                );
            }
        }
        wants
    }

    fn agent_plan(&mut self, group: &AgentGroup<'_>) -> AgentPlan {
        let agent = match &group.key {
            AgentKey::Existing(id) => self.tenant.and_then(|t| t.agent(*id)),
            AgentKey::New(_) => None,
        };
        let name = match (&group.key, agent) {
            (_, Some(a)) => a.name.clone(),
            (AgentKey::New(name), None) => name.clone(),
            (AgentKey::Existing(id), None) => format!("agent {id}"),
        };
        let set_ids: Vec<String> = group.sets.iter().map(|s| s.id.clone()).collect();
        if let (Some(agent), Some(tenant)) = (agent, self.tenant) {
            let others: Vec<&str> = tenant
                .applications()
                .iter()
                .filter(|a| {
                    a.login_agent_id == Some(agent.id)
                        && a.active != Some(false)
                        && !group.applications.contains(&a.name)
                })
                .map(|a| a.name.as_str())
                .collect();
            if !others.is_empty() {
                self.notes.push(format!(
                    "agent `{}` is also the login agent of {}, which this plan does not cover: lowering its permissions may break {}",
                    agent.name,
                    others.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", "),
                    if others.len() == 1 { "it" } else { "them" }
                ));
            }
        }
        let wants = self.wants(group, agent);
        for want in wants.values().filter(|w| w.conflict()) {
            self.unresolved.push(Unresolved {
                sets: needed_by(&want.needs),
                requirements: requirement_ids(&want.needs),
                subject: Some(format!("agent `{name}`")),
                reason: "the chosen sets want different values of one permission of a shared agent: the plan grants the highest needed, which the others report as excessive; give each integration its own agent".to_owned(),
            });
        }
        let mut items = Vec::new();
        let named: Vec<(&RuleSet, &Requirement, &str)> = group
            .sets
            .iter()
            .flat_map(|set| set.requirements.iter().map(move |r| (*set, r)))
            .filter(|(set, r)| planned(set, r))
            .filter_map(|(set, r)| match &r.permission {
                PermRef::Role(pattern) => Some((set, r, pattern.as_str())),
                _ => None,
            })
            .collect();
        let wanted_roles: Vec<&str> = named
            .iter()
            .filter(|(_, r, _)| r.expect == Expect::Granted)
            .map(|(_, _, p)| *p)
            .collect();
        let removed = match agent {
            Some(agent) => self.role_removals(agent, &wants, &wanted_roles, &mut items),
            None => BTreeSet::new(),
        };
        for (index, want) in &wants {
            let Some(perm) = self.catalog.permissions.get(*index) else {
                continue;
            };
            self.agent_item(&name, agent, perm, want, &removed, &mut items);
        }
        for (set, requirement, pattern) in named {
            self.named_role_item(&name, agent, set, requirement, pattern, &mut items);
        }
        let setup = agent.is_none().then(|| {
            format!(
                "create it in Configuration > Teams & Agents > Agents > New: Name `{name}`, no roles, then set what follows"
            )
        });
        AgentPlan {
            subject: Subject {
                kind: SubjectKind::Agent,
                id: agent.map(|a| a.id.to_string()).unwrap_or_default(),
                name,
            },
            exists: agent.is_some(),
            applications: group.applications.clone(),
            sets: set_ids,
            setup,
            items,
        }
    }

    /// Roles to take away from the agent: all of them when a set wants an agent without roles,
    /// and each role that raises a permission above what the sets allow. Pushes their items.
    fn role_removals(
        &mut self,
        agent: &Agent,
        wants: &BTreeMap<usize, Want>,
        wanted_roles: &[&str],
        items: &mut Vec<Item>,
    ) -> BTreeSet<String> {
        let mut reasons: BTreeMap<String, (String, Vec<String>, Vec<Need>)> = BTreeMap::new();
        let roles = agent.roles.as_deref().unwrap_or_default();
        for (index, want) in wants {
            let Some(perm) = self.catalog.permissions.get(*index) else {
                continue;
            };
            if perm.key == "agent.has_roles" && want.upper == Some(Value::Flag(false)) {
                for role in roles {
                    let entry = reasons
                        .entry(role.id.clone())
                        .or_insert_with(|| (role.name.clone(), Vec::new(), Vec::new()));
                    entry
                        .1
                        .push("the integrations need an agent without roles".to_owned());
                    entry.2.extend(want.needs.iter().cloned());
                }
                continue;
            }
            if !matches!(perm.source, Source::Claim(_)) {
                continue;
            }
            let Some(upper) = want.upper else { continue };
            let Some(effective) = agent.permission(&perm.key) else {
                continue;
            };
            for c in &effective.contributions {
                if let Origin::Role { id, name } = &c.origin
                    && c.value > upper
                {
                    let entry = reasons
                        .entry(id.clone())
                        .or_insert_with(|| (name.clone(), Vec::new(), Vec::new()));
                    entry.1.push(format!(
                        "it raises {} to {}, above {}",
                        perm.label,
                        value_text(self.catalog, perm, c.value),
                        value_text(self.catalog, perm, upper)
                    ));
                    entry.2.extend(want.needs.iter().cloned());
                }
            }
        }
        // A role a set names is kept; what it raises too high is left to the user.
        reasons.retain(|_, (role_name, why, needs)| {
            if !wanted_roles
                .iter()
                .any(|p| check::role_matches(p, role_name))
            {
                return true;
            }
            self.unresolved.push(Unresolved {
                sets: needed_by(needs),
                requirements: requirement_ids(needs),
                subject: Some(format!("agent `{}`", agent.name)),
                reason: format!(
                    "role `{role_name}` is named by an integration, so it is kept, but {}: lower it on the role, or give the integrations separate agents",
                    why.join("; ")
                ),
            });
            false
        });
        for (id, (role_name, why, needs)) in &reasons {
            items.push(Item {
                status: Status::Remove,
                permission: format!("role:{id}"),
                label: format!("Role {role_name}"),
                place: agent_place(&agent.name, "Roles"),
                current: Some("held".to_owned()),
                wanted: "not held".to_owned(),
                instruction: format!("remove role `{role_name}` from the agent"),
                needed_by: needed_by(needs),
                requirements: requirement_ids(needs),
                condition: None,
                note: Some(format!(
                    "{}; what the integrations need from it is set on the agent itself below (an agent's permission is the highest of its own and every role's, so lowering the role would change every agent holding it)",
                    why.join("; ")
                )),
                operation: Some(Operation::RemoveAgentRole {
                    agent: agent.id,
                    role: id.clone(),
                }),
            });
        }
        reasons.into_keys().collect()
    }

    /// A `role:PATTERN` requirement: kept when met, removals when the role must not be held, and
    /// unresolved when a role must be assigned (the plan does not weigh a role's other grants).
    fn named_role_item(
        &mut self,
        name: &str,
        agent: Option<&Agent>,
        set: &RuleSet,
        requirement: &Requirement,
        pattern: &str,
        items: &mut Vec<Item>,
    ) {
        let needs = vec![need(set, requirement)];
        let wanted = requirement.expect == Expect::Granted;
        let base = Item {
            status: Status::Set,
            permission: requirement.key.clone(),
            label: format!("Role {pattern}"),
            place: agent_place(name, "Roles"),
            current: None,
            wanted: if wanted { "held" } else { "not held" }.to_owned(),
            instruction: if wanted {
                format!("assign the role `{pattern}` to the agent")
            } else {
                format!("hold no role named like `{pattern}`")
            },
            needed_by: needed_by(&needs),
            requirements: requirement_ids(&needs),
            condition: condition(&needs),
            note: requirement.ambiguity.clone(),
            operation: None,
        };
        let Some(agent) = agent else {
            items.push(base);
            return;
        };
        let effective = check::role_effective(agent, pattern);
        let current = effective
            .decisive()
            .map(|c| c.evidence.clone())
            .or_else(|| effective.unknown.first().cloned());
        match (effective.exact(), wanted) {
            (Some(Value::Flag(held)), _) if held == wanted => items.push(Item {
                status: Status::Keep,
                current,
                ..base
            }),
            (Some(Value::Flag(true)), false) => {
                for c in &effective.contributions {
                    if let Origin::Role { id, name: role } = &c.origin {
                        items.push(Item {
                            status: Status::Remove,
                            permission: format!("role:{id}"),
                            label: format!("Role {role}"),
                            current: Some("held".to_owned()),
                            instruction: format!("remove role `{role}` from the agent"),
                            operation: Some(Operation::RemoveAgentRole {
                                agent: agent.id,
                                role: id.clone(),
                            }),
                            ..base.clone()
                        });
                    }
                }
            }
            _ => self.unresolved.push(Unresolved {
                sets: needed_by(&needs),
                requirements: requirement_ids(&needs),
                subject: Some(format!("agent `{}`", agent.name)),
                reason: if effective.exact().is_some() {
                    format!(
                        "the integration needs the agent to hold a role named like `{pattern}` (it {}): assigning a role brings all of that role's grants, which the plan does not weigh",
                        current.unwrap_or_default()
                    )
                } else {
                    format!(
                        "whether the agent holds a role named like `{pattern}` cannot be decided: {}",
                        effective.unknown.join("; ")
                    )
                },
            }),
        }
    }

    #[allow(clippy::too_many_lines)]
    fn agent_item(
        &mut self,
        name: &str,
        agent: Option<&Agent>,
        perm: &PermissionDef,
        want: &Want,
        removed: &BTreeSet<String>,
        items: &mut Vec<Item>,
    ) {
        let Some(target) = want.target() else { return };
        let catalog = self.catalog;
        let wanted = match (want.lower, want.upper) {
            (Some(l), Some(u)) if l == u => value_text(catalog, perm, l),
            (Some(l), _) if perm.kind == Kind::Level => {
                format!("at least {}", value_text(catalog, perm, l))
            }
            (None, Some(u)) if perm.kind == Kind::Level => {
                format!("at most {}", value_text(catalog, perm, u))
            }
            _ => value_text(catalog, perm, target),
        };
        let section = match perm.source {
            Source::Derived(Derived::AllTeams | Derived::AnyTeam) => "Teams",
            Source::Derived(Derived::HasRoles) => "Roles",
            _ => perm.section.as_str(),
        };
        let mut base = Item {
            status: Status::Set,
            permission: perm.key.clone(),
            label: perm.label.clone(),
            place: agent_place(name, section),
            current: None,
            wanted: wanted.clone(),
            instruction: format!(
                "set \"{}\" to {}",
                perm.label,
                value_text(catalog, perm, target)
            ),
            needed_by: needed_by(&want.needs),
            requirements: requirement_ids(&want.needs),
            condition: condition(&want.needs),
            note: (!want.ambiguity.is_empty()).then(|| want.ambiguity.join(" ")),
            operation: None,
        };
        let unresolved = |this: &mut Self, reason: String| {
            this.unresolved.push(Unresolved {
                sets: needed_by(&want.needs),
                requirements: requirement_ids(&want.needs),
                subject: Some(format!("agent `{name}`")),
                reason,
            });
        };
        // Structural permissions that are a choice, not a setting.
        // A restriction read from a claim (with the list as fallback) is planned like the list.
        let planned_source = match (&perm.source, &perm.fallback) {
            (Source::Claim(_), Some(fallback @ Source::Derived(_))) => fallback,
            (source, _) => source,
        };
        match (planned_source, target) {
            (Source::Derived(Derived::AllTeams), Value::Flag(false)) => {
                return unresolved(
                    self,
                    "the integrations want the agent not to be in every team: which team to leave is a choice the plan does not make".to_owned(),
                );
            }
            (Source::Derived(Derived::DefaultTeam), Value::Flag(true))
                if agent.is_none_or(|a| {
                    a.permission(&perm.key).and_then(Effective::exact) != Some(Value::Flag(true))
                }) =>
            {
                return unresolved(
                    self,
                    format!(
                        "the integrations want a Default Team without naming one: choose it in {}",
                        agent_place(name, "General")
                    ),
                );
            }
            (Source::Derived(Derived::HasRoles), Value::Flag(true))
                if agent.is_none_or(|a| a.roles.as_ref().is_none_or(Vec::is_empty)) =>
            {
                return unresolved(
                    self,
                    format!(
                        "the integrations want the agent to hold a role without naming one: assign the role the vendor's guide names in {}",
                        agent_place(name, "Roles")
                    ),
                );
            }
            (
                Source::Derived(
                    Derived::NoClientRestriction
                    | Derived::NoTicketTypeRestriction
                    | Derived::NoAssetTypeRestriction
                    | Derived::NoAssetFieldRestriction,
                ),
                Value::Flag(false),
            ) => {
                return unresolved(
                    self,
                    format!(
                        "the integrations want \"{}\" off: which entries to allow is a choice the plan does not make",
                        perm.label
                    ),
                );
            }
            _ => {}
        }
        let Some(agent) = agent else {
            base.instruction = match &perm.source {
                Source::Derived(Derived::AllTeams) => {
                    "add the agent to every active team".to_owned()
                }
                Source::Derived(Derived::AnyTeam) => TEAM_OF_THE_INTEGRATION.to_owned(),
                Source::Derived(Derived::HasRoles) => "give the agent no roles".to_owned(),
                Source::Derived(Derived::DefaultTeam) => {
                    "set the Default Team to \"No Default Team\"".to_owned()
                }
                _ => base.instruction,
            };
            items.push(base);
            return;
        };
        let empty = Effective::default();
        let effective = agent.permission(&perm.key).unwrap_or(&empty);
        base.current = Some(current_text(catalog, perm, effective));
        let exact = effective.exact();
        // Lowering is removing; with the current value unknown, a "No" or "No Access" target is too.
        let direction = |from: Option<Value>| match from {
            Some(v) if v > target => Status::Remove,
            None if matches!(target, Value::Flag(false) | Value::Level(0)) => Status::Remove,
            _ => Status::Add,
        };
        match &perm.source {
            Source::Unknown(reason) => {
                unresolved(
                    self,
                    format!(
                        "\"{}\" cannot be read or written by halo-audit ({reason}): set it to {} in Halo's UI and check it by hand",
                        perm.label,
                        value_text(catalog, perm, target)
                    ),
                );
            }
            Source::Field(field) | Source::FieldNegated(field) => {
                if exact.is_some_and(|v| want.accepts(v)) {
                    base.status = Status::Keep;
                } else {
                    base.status = direction(exact);
                    let negated = matches!(perm.source, Source::FieldNegated(_));
                    base.operation = Some(Operation::SetAgentField {
                        agent: agent.id,
                        field: field.clone(),
                        value: (target == Value::Flag(true)) != negated,
                    });
                }
                items.push(base);
            }
            Source::Claim(claim) => {
                // The agent's own claim, or the structural reading a claim falls back to.
                let own = effective
                    .contributions
                    .iter()
                    .filter(|c| matches!(c.origin, Origin::Agent | Origin::Structure))
                    .map(|c| c.value)
                    .max();
                let remaining = effective
                    .contributions
                    .iter()
                    .filter(
                        |c| matches!(&c.origin, Origin::Role { id, .. } if !removed.contains(id)),
                    )
                    .map(|c| c.value)
                    .max();
                let after = own.max(remaining);
                let complete = effective.unknown.is_empty();
                if complete && after.is_some_and(|v| want.accepts(v)) {
                    base.status = Status::Keep;
                    if after != effective.value {
                        base.note = Some(format!(
                            "{} once the roles above are removed",
                            after.map_or_else(String::new, |v| value_text(catalog, perm, v))
                        ));
                    }
                } else {
                    base.status = direction(if complete { effective.value } else { None });
                    if !complete {
                        base.note = Some(format!(
                            "the current value could not be read ({})",
                            effective.unknown.join("; ")
                        ));
                    }
                    let written = match target {
                        Value::Flag(b) => ClaimValue::Flag(b),
                        Value::Level(l) => ClaimValue::Level(l),
                    };
                    let value = catalog
                        .claim_raw(perm, written)
                        .unwrap_or_else(|| match target {
                            Value::Flag(b) => b.to_string(),
                            Value::Level(l) => l.to_string(),
                        });
                    base.operation = Some(Operation::SetAgentClaim {
                        agent: agent.id,
                        claim: claim.clone(),
                        value,
                    });
                }
                items.push(base);
            }
            Source::Derived(Derived::AllTeams) => {
                base.instruction = "add the agent to every active team".to_owned();
                if exact == Some(Value::Flag(true)) {
                    base.status = Status::Keep;
                    items.push(base);
                    return;
                }
                let active: Vec<(i64, String)> = self
                    .tenant
                    .map(|t| {
                        t.teams()
                            .iter()
                            .filter(|team| !team.inactive)
                            .map(|team| (team.id, team.name.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                let (Some(memberships), false) = (&agent.teams, active.is_empty()) else {
                    base.note = Some(format!(
                        "the current teams could not be read ({})",
                        effective.unknown.join("; ")
                    ));
                    items.push(base);
                    return;
                };
                for (team_id, team_name) in active.iter().filter(|(id, name)| {
                    !memberships
                        .iter()
                        .any(|m| m.team_id == Some(*id) || &m.team_name == name)
                }) {
                    let mut it = base.clone();
                    it.status = Status::Add;
                    it.permission = format!("team:{team_id}");
                    it.label = format!("Team {team_name}");
                    it.wanted = "member".to_owned();
                    it.current = Some("not a member".to_owned());
                    it.instruction = format!("add the agent to team `{team_name}`");
                    it.note = Some(format!("for \"{}\"", perm.label));
                    it.operation = Some(Operation::AddAgentTeam {
                        agent: agent.id,
                        team_id: *team_id,
                        team_name: team_name.clone(),
                    });
                    items.push(it);
                }
            }
            Source::Derived(Derived::AnyTeam) => {
                base.instruction = TEAM_OF_THE_INTEGRATION.to_owned();
                if exact.is_some_and(|v| want.accepts(v)) {
                    base.status = Status::Keep;
                    items.push(base);
                } else if target == Value::Flag(true) {
                    unresolved(
                        self,
                        "the integrations want the agent in a team: which one (the team their tickets go to) is a choice the plan does not make".to_owned(),
                    );
                } else {
                    unresolved(
                        self,
                        "the integrations want the agent in no team: which memberships to end is a choice the plan does not make".to_owned(),
                    );
                }
            }
            Source::Derived(Derived::AnyDepartment) => {
                base.instruction =
                    "add the agent to the department the integration works in".to_owned();
                if exact.is_some_and(|v| want.accepts(v)) {
                    base.status = Status::Keep;
                    items.push(base);
                } else {
                    unresolved(
                        self,
                        "the integrations want the agent's department membership changed: which department is a choice the plan does not make".to_owned(),
                    );
                }
            }
            Source::Derived(
                derived @ (Derived::NoClientRestriction
                | Derived::NoTicketTypeRestriction
                | Derived::NoAssetTypeRestriction
                | Derived::NoAssetFieldRestriction),
            ) => {
                let field = match derived {
                    Derived::NoClientRestriction => "clients",
                    Derived::NoTicketTypeRestriction => "tickettypes",
                    Derived::NoAssetTypeRestriction => "assettypes",
                    _ => "assetfields",
                };
                base.instruction = format!(
                    "tick \"{}\" (remove every entry of the restriction list)",
                    perm.label
                );
                if exact == Some(Value::Flag(true)) {
                    base.status = Status::Keep;
                } else {
                    base.status = Status::Add;
                    base.operation = Some(Operation::ClearAgentRestriction {
                        agent: agent.id,
                        field: field.to_owned(),
                    });
                }
                items.push(base);
            }
            Source::Derived(
                derived @ (Derived::MembershipsSeeUnassigned | Derived::MembershipsSeeOtherAgents),
            ) => {
                let field = if *derived == Derived::MembershipsSeeUnassigned {
                    "unassigned_access"
                } else {
                    "otheragent_access"
                };
                let wanted = target == Value::Flag(true);
                base.instruction = format!(
                    "{} \"{}\" for each of the agent's teams",
                    if wanted { "tick" } else { "untick" },
                    perm.label
                );
                if exact.is_some_and(|v| want.accepts(v)) {
                    base.status = Status::Keep;
                } else {
                    base.status = direction(exact);
                    base.operation = Some(Operation::SetAgentTeamFlag {
                        agent: agent.id,
                        field: field.to_owned(),
                        value: wanted,
                    });
                    if wanted && agent.teams.as_ref().is_some_and(Vec::is_empty) {
                        base.note = Some(
                            "the agent is in no team: add it to the teams it works in first"
                                .to_owned(),
                        );
                    }
                }
                items.push(base);
            }
            Source::Derived(Derived::DefaultTeam) => {
                // A wanted default team the agent lacks is unresolved above: here the agent either
                // has what is wanted, or "No Default Team" is wanted.
                if exact.is_some_and(|v| want.accepts(v)) {
                    base.instruction = if target == Value::Flag(true) {
                        "keep the agent's Default Team".to_owned()
                    } else {
                        "set the Default Team to \"No Default Team\"".to_owned()
                    };
                    base.status = Status::Keep;
                } else {
                    base.instruction = "set the Default Team to \"No Default Team\"".to_owned();
                    base.status = Status::Remove;
                    base.operation = Some(Operation::SetAgentDefaultTeam {
                        agent: agent.id,
                        team: String::new(),
                    });
                }
                items.push(base);
            }
            Source::Derived(Derived::HasRoles) => {
                // Roles to remove are items of their own; this records the outcome.
                base.instruction = if target == Value::Flag(false) {
                    "the agent holds no roles".to_owned()
                } else {
                    "the agent holds a role".to_owned()
                };
                let holds = agent.roles.as_ref().map(|r| !r.is_empty());
                match holds {
                    Some(h) if want.accepts(Value::Flag(h)) => base.status = Status::Keep,
                    Some(_) => return,
                    None => {
                        base.note = Some("the agent's roles are not in the snapshot".to_owned());
                    }
                }
                items.push(base);
            }
        }
    }
}

/// What a plan says when an integration needs its agent in some team it does not name.
const TEAM_OF_THE_INTEGRATION: &str =
    "add the agent to the team the integration works in (the vendor's guide names it)";

#[cfg(test)]
mod tests;
