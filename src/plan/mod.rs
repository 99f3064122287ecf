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
//!
//! Here: the plan's model ([`Plan`], [`Item`], [`Operation`]), the grouping of sets by application
//! and agent, and the builder; its parts in files of their own: `applications` (scopes),
//! `agents` (what the sets want of an agent), `permissions` (an agent's item per permission) and
//! `roles` (roles to take away, roles a set names).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::{Catalog, PermissionDef};
use crate::check::{self, CheckError, Selection, SetState, Subject};
use crate::diag::Code;
use crate::ruleset::{Library, Requirement, RuleSet, SetKind};
use crate::tenant::{Application, Effective, Origin, Tenant, Value};

mod agents;
mod applications;
mod permissions;
mod roles;

/// What to do with one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Unresolved {
    pub sets: Vec<String>,
    pub requirements: Vec<String>,
    pub subject: Option<String>,
    pub reason: String,
}

/// A set of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SetRef {
    pub id: String,
    pub title: String,
    pub vendor: Option<String>,
    pub source: Option<String>,
}

/// The snapshot a plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SnapshotRef {
    pub instance: Option<String>,
    pub fetched_at: Option<String>,
}

/// A least-privilege plan.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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
}

#[cfg(test)]
mod tests;
