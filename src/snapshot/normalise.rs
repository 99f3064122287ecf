//! Normaliser: snapshot (Halo's raw objects) → [`Tenant`] (typed model with effective permissions).
//!
//! Owns: reading Halo's field names (swagger `Uname`, `SectionDetail`, `NHD_Roles`,
//! `NHD_Identity_Application`), both list envelopes, and computing each agent's effective value of
//! every catalog permission as the highest of its own setting and every role's. It never guesses:
//! a value it cannot read is recorded as unknown with the reason, and the engine reports it
//! `unverifiable`. Driven by the catalog's `source` of each permission; no Halo names are hard-coded
//! here beyond the object fields themselves.
//!
//! `check` loads only the members read here (`lean.rs` lists them): a member newly read here must
//! be added there too (`tests/scale.rs` compares the tenant from both loads on every fixture).
//! For `check` the agents arrive as raw records, each parsed and normalised on its own
//! ([`normalise_parts`]); otherwise as parsed JSON. Both give the same tenant.
//!
//! Values that are the same for many agents (a claim nobody carries, `is_admin = false`) are built
//! once per tenant and shared ([`crate::tenant::Permissions`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Snapshot, SnapshotError};
use crate::catalog::{Catalog, ClaimValue, Confidence, Derived, Kind, PermissionDef, Source};
use crate::tenant::{
    Agent, Application, Contribution, Effective, Gap, Membership, Origin, Permissions, Provenance,
    Role, RoleRef, Team, Tenant, UnknownClaim, Value as PermValue,
};

/// Builds the tenant model from a snapshot.
///
/// # Errors
/// Only for structural corruption: a collection that is neither an array nor a list envelope, a
/// record that is not an object, or an object without a usable `id`. Odd or missing *fields* are
/// not errors; they make the affected permissions unknown.
pub fn normalise(
    snapshot: &Snapshot,
    catalog: &Catalog,
    path: &Path,
) -> Result<Tenant, SnapshotError> {
    normalise_parts(snapshot, None, catalog, path)?.ok_or_else(|| SnapshotError::Shape {
        path: path.to_owned(),
        pointer: "/objects/agents".to_owned(),
        message: "the agents could not be read".to_owned(),
    })
}

/// [`normalise`], with the agents either in `snapshot` or, when `raw` is given, as the raw text of
/// each record (parsed, normalised and dropped in turn). `Ok(None)` when a raw record is not an
/// object with an integer `id` or not valid JSON: the caller then normalises the fully parsed
/// snapshot, which names the problem. Never `Ok(None)` without `raw`.
pub(super) fn normalise_parts(
    snapshot: &Snapshot,
    raw: Option<&AgentStream<'_>>,
    catalog: &Catalog,
    path: &Path,
) -> Result<Option<Tenant>, SnapshotError> {
    let shape = |pointer: String, message: String| SnapshotError::Shape {
        path: path.to_owned(),
        pointer,
        message,
    };
    let mut tenant = Tenant {
        provenance: Provenance {
            instance: snapshot.instance.url.clone(),
            tenant: snapshot.instance.tenant.clone(),
            fetched_at: snapshot.fetched_at.clone(),
            scope: snapshot.scope.clone(),
            gaps: snapshot
                .gaps
                .iter()
                .map(|g| Gap {
                    endpoint: g.endpoint.clone(),
                    status: g.status,
                    reason: g.reason.clone(),
                    detail: g.detail.clone(),
                })
                .collect(),
        },
        ..Tenant::default()
    };

    let teams = match &snapshot.objects.teams {
        Some(v) => Some(records(v, "teams").map_err(|m| shape("/objects/teams".into(), m))?),
        None => None,
    };
    let roles = match &snapshot.objects.roles {
        Some(v) => Some(records(v, "roles").map_err(|m| shape("/objects/roles".into(), m))?),
        None => None,
    };
    let agents = match &snapshot.objects.agents {
        Some(v) => Some(records(v, "agents").map_err(|m| shape("/objects/agents".into(), m))?),
        None => None,
    };
    let applications = match &snapshot.objects.applications {
        Some(v) => {
            Some(records(v, "applications").map_err(|m| shape("/objects/applications".into(), m))?)
        }
        None => None,
    };

    if let Some(items) = teams {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let obj = object(item).map_err(|m| shape(format!("/objects/teams/{i}"), m))?;
            let id = int_id(obj).ok_or_else(|| {
                shape(
                    format!("/objects/teams/{i}"),
                    "team has no integer `id`".into(),
                )
            })?;
            out.push(Team {
                id,
                name: string(obj, "name").unwrap_or_else(|| format!("team {id}")),
                inactive: boolean(obj, "inactive").unwrap_or(false),
            });
        }
        dedupe(&mut out, |t| t.id, "team", &mut tenant.notes);
        tenant.teams = Some(out);
    }

    if let Some(items) = roles {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let obj = object(item).map_err(|m| shape(format!("/objects/roles/{i}"), m))?;
            let id = any_id(obj)
                .ok_or_else(|| shape(format!("/objects/roles/{i}"), "role has no `id`".into()))?;
            out.push(Role {
                name: string(obj, "name").unwrap_or_else(|| format!("role {id}")),
                is_integration: boolean(obj, "is_integration"),
                claims: claims(obj),
                id,
            });
        }
        dedupe(&mut out, |r| r.id.clone(), "role", &mut tenant.notes);
        tenant.roles = Some(out);
    }

    if let Some(items) = applications {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let obj = object(item).map_err(|m| shape(format!("/objects/applications/{i}"), m))?;
            let id = any_id(obj).ok_or_else(|| {
                shape(
                    format!("/objects/applications/{i}"),
                    "application has no `id`".into(),
                )
            })?;
            out.push(application(obj, id));
        }
        dedupe(&mut out, |a| a.id.clone(), "application", &mut tenant.notes);
        tenant.applications = Some(out);
    }

    // Borrowed field by field: the agents, notes and flags of `tenant` are written below.
    let roles: &[Role] = tenant.roles.as_deref().unwrap_or_default();
    let fetched_roles: BTreeSet<&str> = roles.iter().map(|r| r.id.as_str()).collect();
    let mut unknown = BTreeSet::new();
    for role in roles {
        if let Some(claims) = &role.claims {
            scan_claims(
                catalog,
                || format!("role {} ({})", role.id, role.name),
                claims,
                &mut unknown,
            );
        }
    }
    let roles_recognised = roles
        .iter()
        .any(|r| r.claims.as_deref().is_some_and(|c| recognised(catalog, c)));
    let roles_carry_claims = roles.iter().any(|r| r.claims.is_some());
    let (keys, plans_returned) = plans(catalog, true);
    let (_, plans_missing) = plans(catalog, false);
    // `claims_returned`: whether any agent or role record carries `claims` at all.
    let context = |claims_recognised: bool, claims_returned: bool| Context {
        catalog,
        roles: tenant
            .roles
            .as_deref()
            .map(|r| r.iter().map(|role| (role.id.as_str(), role)).collect()),
        active_teams: tenant.teams.as_deref().map(|t| {
            t.iter()
                .filter(|team| !team.inactive)
                .map(|team| (team.id, team.name.as_str()))
                .collect()
        }),
        active_team_names: {
            let mut names: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
            for team in tenant.teams.iter().flatten().filter(|team| !team.inactive) {
                names.entry(team.name.as_str()).or_default().push(team.id);
            }
            names
        },
        claims_recognised,
        fetched_roles: &fetched_roles,
        keys: Arc::clone(&keys),
        plans: if claims_returned {
            &plans_returned
        } else {
            &plans_missing
        },
    };

    let normalised = if let Some(raw) = raw {
        // Each record is parsed, normalised and dropped in turn. Whether the claim encoding is in
        // use depends on every agent's claims: when the roles do not settle it, assume it is and
        // normalise again in the rare tenant where no agent's claims match either.
        let run = raw;
        let Some(mut done) = run(&context(true, true)) else {
            return Ok(None);
        };
        if !roles_recognised && !done.iter().any(|n| n.own_claims_recognised) {
            let returned = roles_carry_claims || done.iter().any(|n| n.agent.claims.is_some());
            let Some(again) = run(&context(false, returned)) else {
                return Ok(None);
            };
            done = again;
        }
        tenant.claims_recognised = roles_recognised || done.iter().any(|n| n.own_claims_recognised);
        Some(done)
    } else if let Some(items) = agents {
        let mut objects = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let obj = object(item).map_err(|m| shape(format!("/objects/agents/{i}"), m))?;
            let id = int_id(obj).ok_or_else(|| {
                shape(
                    format!("/objects/agents/{i}"),
                    "agent has no integer `id`".into(),
                )
            })?;
            objects.push((id, obj));
        }
        tenant.claims_recognised = roles_recognised
            || objects
                .iter()
                .any(|(_, obj)| claims(obj).is_some_and(|c| recognised(catalog, &c)));
        let returned = roles_carry_claims || objects.iter().any(|(_, obj)| claims(obj).is_some());
        let ctx = context(tenant.claims_recognised, returned);
        Some(map_in_parallel(&objects, |(id, obj)| {
            Normalised::of(&ctx, *id, obj)
        }))
    } else {
        None
    };
    if let Some(mut done) = normalised {
        // Sorted by id; the sort is stable, so of a duplicate id the first in the file is kept.
        done.sort_by_key(|n| n.agent.id);
        let mut agents: Vec<Agent> = Vec::with_capacity(done.len());
        let mut duplicates = 0;
        for n in done {
            // A duplicate's claims are listed too.
            unknown.extend(n.unknown_claims);
            if agents.last().is_some_and(|a| a.id == n.agent.id) {
                duplicates += 1;
            } else {
                agents.push(n.agent);
            }
        }
        if duplicates > 0 {
            tenant.notes.push(format!(
                "{duplicates} duplicate agent ids ignored (first kept)"
            ));
        }
        tenant.agents = Some(agents);
    }
    tenant.unknown_claims = unknown.into_iter().collect();
    Ok(Some(tenant))
}

/// Reads the agents for [`normalise_parts`]: every agent record normalised with this context, in
/// file order, or `None` when one cannot be (the caller then reads the snapshot whole).
pub(super) type AgentStream<'a> = dyn Fn(&Context<'_>) -> Option<Vec<Normalised>> + Sync + 'a;

/// One agent record (as parsed for the normaliser), normalised; `None` when it is not an object
/// with an integer `id`.
pub(super) fn agent_record(ctx: &Context<'_>, value: &Value) -> Option<Normalised> {
    let obj = value.as_object()?;
    let id = int_id(obj)?;
    Some(Normalised::of(ctx, id, obj))
}

/// One agent record, normalised.
pub(super) struct Normalised {
    agent: Agent,
    /// The claims of this record the catalog does not understand.
    unknown_claims: Vec<UnknownClaim>,
    /// Whether the agent's own claims include one the catalog knows.
    own_claims_recognised: bool,
}

impl Normalised {
    fn of(ctx: &Context<'_>, id: i64, obj: &Map<String, Value>) -> Self {
        let mut unknown = BTreeSet::new();
        agent_unknown_claims(ctx.catalog, obj, ctx.fetched_roles, &mut unknown);
        let agent = agent(ctx, id, obj);
        Self {
            own_claims_recognised: agent
                .claims
                .as_deref()
                .is_some_and(|c| recognised(ctx.catalog, c)),
            agent,
            unknown_claims: unknown.into_iter().collect(),
        }
    }
}

/// `items.iter().map(f).collect()` on the machine's cores: agents are normalised independently of
/// each other (tens of thousands in a large tenant), and the order is kept.
fn map_in_parallel<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8);
    if threads < 2 || items.len() < 256 {
        return items.iter().map(f).collect();
    }
    let mut parts = items.chunks(items.len().div_ceil(threads));
    let first = parts.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let f = &f;
        let others: Vec<_> = parts
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out: Vec<U> = Vec::with_capacity(items.len());
        out.extend(first.iter().map(f));
        for handle in others {
            match handle.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// Accepts a bare array or a list envelope such as `{"record_count": 2, "agents": [...]}`.
fn records<'a>(value: &'a Value, name: &str) -> Result<&'a [Value], String> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(map) => {
            if let Some(Value::Array(items)) = map.get(name) {
                return Ok(items);
            }
            let arrays: Vec<&Vec<Value>> = map.values().filter_map(Value::as_array).collect();
            match arrays.as_slice() {
                [only] => Ok(only),
                [] => Err(format!(
                    "expected an array of {name} or a list envelope with one, found an object without an array"
                )),
                _ => Err(format!(
                    "list envelope has several arrays and none is named `{name}`"
                )),
            }
        }
        other => Err(format!(
            "expected an array of {name}, found {}",
            kind(other)
        )),
    }
}

fn object(value: &Value) -> Result<&Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("expected an object, found {}", kind(value)))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn int_id(obj: &Map<String, Value>) -> Option<i64> {
    int(obj, "id")
}

fn int(obj: &Map<String, Value>, key: &str) -> Option<i64> {
    match obj.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn any_id(obj: &Map<String, Value>) -> Option<String> {
    match obj.get("id")? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn string(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key)?.as_str().map(str::to_owned)
}

fn boolean(obj: &Map<String, Value>, key: &str) -> Option<bool> {
    obj.get(key)?.as_bool()
}

fn claims(obj: &Map<String, Value>) -> Option<Vec<(String, String)>> {
    let items = obj.get("claims")?.as_array()?;
    Some(
        items
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|c| {
                let kind = c.get("type")?.as_str()?.to_owned();
                let value = match c.get("value")? {
                    Value::String(s) => s.clone(),
                    Value::Null => return None,
                    other => other.to_string(),
                };
                Some((kind, value))
            })
            .collect(),
    )
}

fn dedupe<T, K: Ord + Clone>(
    items: &mut Vec<T>,
    key: impl Fn(&T) -> K,
    what: &str,
    notes: &mut Vec<String>,
) {
    let mut seen = BTreeSet::new();
    let before = items.len();
    items.retain(|item| seen.insert(key(item)));
    if items.len() != before {
        notes.push(format!(
            "{} duplicate {what} ids ignored (first kept)",
            before - items.len()
        ));
    }
}

fn application(obj: &Map<String, Value>, id: String) -> Application {
    let scopes = obj.get("scopes").and_then(Value::as_array).map(|items| {
        let mut names: Vec<String> = items
            .iter()
            .filter_map(|s| match s {
                Value::String(name) => Some(name.clone()),
                Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        names.sort();
        names.dedup();
        names
    });
    Application {
        client_id: string(obj, "clientId").or_else(|| string(obj, "client_id")),
        name: string(obj, "displayName")
            .or_else(|| string(obj, "name"))
            .unwrap_or_else(|| format!("application {id}")),
        active: boolean(obj, "inactive").map(|inactive| !inactive),
        login_agent_id: int(obj, "loginas_agent_id").filter(|id| *id > 0),
        login_agent_name: string(obj, "loginas_agent_name").filter(|s| !s.is_empty()),
        scopes,
        system: boolean(obj, "_issystem").unwrap_or(false),
        id,
    }
}

/// Whether any of these claims is one the catalog knows (so the claim encoding is in use).
fn recognised(catalog: &Catalog, claims: &[(String, String)]) -> bool {
    claims
        .iter()
        .any(|(t, _)| catalog.by_claim(t).is_some() || catalog.informational(t).is_some())
}

/// What every agent of a tenant is normalised with: its roles and teams, and the catalog's plans.
pub(super) struct Context<'a> {
    catalog: &'a Catalog,
    roles: Option<BTreeMap<&'a str, &'a Role>>,
    active_teams: Option<BTreeMap<i64, &'a str>>,
    /// The ids of the active teams by name (a membership may name its team without an id).
    active_team_names: BTreeMap<&'a str, Vec<i64>>,
    claims_recognised: bool,
    /// The ids of the roles fetched (an agent's inline role claims matter only for the others).
    fetched_roles: &'a BTreeSet<&'a str>,
    /// The catalog's agent permission keys in ascending order, shared by every agent.
    keys: Arc<[String]>,
    /// How to read each permission, in the order of `keys`.
    plans: &'a [Plan<'a>],
}

/// How one catalog permission is read, with the values that are the same for many agents built
/// once per tenant rather than once per agent.
enum Plan<'a> {
    Field {
        perm: &'a PermissionDef,
        field: &'a str,
        negated: bool,
        /// The field is `false` / `true`.
        off: Arc<Effective>,
        on: Arc<Effective>,
    },
    Claim {
        perm: &'a PermissionDef,
        /// Nobody carries the claim.
        absent: Arc<Effective>,
        /// No claim in this tenant is one the catalog knows.
        unrecognised: Arc<Effective>,
    },
    /// No source says where the API carries the setting.
    Unknown(Arc<Effective>),
    Derived {
        perm: &'a PermissionDef,
        derived: Derived,
    },
}

/// The reading plan of every catalog permission, in ascending key order.
fn plans(catalog: &Catalog, claims_returned: bool) -> (Arc<[String]>, Vec<Plan<'_>>) {
    let mut perms: Vec<&PermissionDef> = catalog.permissions.iter().collect();
    perms.sort_by(|a, b| a.key.cmp(&b.key));
    perms.dedup_by(|a, b| a.key == b.key);
    let keys: Arc<[String]> = perms.iter().map(|p| p.key.clone()).collect();
    let plans = perms
        .into_iter()
        .map(|perm| match &perm.source {
            Source::Field(field) | Source::FieldNegated(field) => {
                let negated = matches!(perm.source, Source::FieldNegated(_));
                Plan::Field {
                    perm,
                    field,
                    negated,
                    off: Arc::new(field_bool(field, false, negated, perm)),
                    on: Arc::new(field_bool(field, true, negated, perm)),
                }
            }
            Source::Claim(claim) => Plan::Claim {
                perm,
                absent: Arc::new(claim_absent(perm, claim)),
                unrecognised: Arc::new(claim_unrecognised(claims_returned)),
            },
            Source::Unknown(reason) => Plan::Unknown(Arc::new(Effective {
                unknown: vec![format!(
                    "{reason}; a catalog overlay can name it (docs/permissions.md)"
                )],
                ..Effective::default()
            })),
            Source::Derived(derived) => Plan::Derived {
                perm,
                derived: *derived,
            },
        })
        .collect();
    (keys, plans)
}

/// The roles an agent holds, with their claims when known.
struct HeldRole {
    reference: RoleRef,
    claims: Option<Vec<(String, String)>>,
}

fn agent(ctx: &Context<'_>, id: i64, obj: &Map<String, Value>) -> Agent {
    let roles: Option<Vec<HeldRole>> = obj.get("roles").and_then(Value::as_array).map(|items| {
        let mut held: Vec<HeldRole> = items
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|r| {
                let id = any_id(r)?;
                let known = ctx
                    .roles
                    .as_ref()
                    .and_then(|roles| roles.get(id.as_str()).copied());
                let name = string(r, "name")
                    .or_else(|| known.map(|k| k.name.clone()))
                    .unwrap_or_else(|| id.clone());
                let claims = known.and_then(|k| k.claims.clone()).or_else(|| claims(r));
                Some(HeldRole {
                    reference: RoleRef { id, name },
                    claims,
                })
            })
            .collect();
        held.sort_by(|a, b| a.reference.name.cmp(&b.reference.name));
        held
    });
    let teams: Option<Vec<Membership>> = obj.get("teams").and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(Value::as_object)
            .map(|m| Membership {
                team_id: int(m, "team_id"),
                team_name: string(m, "team_name").unwrap_or_default(),
                via_role: string(m, "role_name")
                    .filter(|s| !s.is_empty())
                    .or_else(|| string(m, "role_id").filter(|s| !s.is_empty() && s != "0")),
                unassigned_access: boolean(m, "unassigned_access"),
                otheragent_access: boolean(m, "otheragent_access"),
            })
            .collect()
    });
    let own_claims = claims(obj);
    let values: Vec<Arc<Effective>> = ctx
        .plans
        .iter()
        .map(|plan| match plan {
            Plan::Field {
                perm,
                field,
                negated,
                off,
                on,
            } => match obj.get(*field) {
                Some(Value::Bool(b)) => Arc::clone(if *b { on } else { off }),
                other => Arc::new(field_unknown(field, other, *negated, perm)),
            },
            Plan::Claim {
                perm,
                absent,
                unrecognised,
            } => {
                let claimed = if ctx.claims_recognised {
                    claim_value(ctx, perm, own_claims.as_deref(), roles.as_deref())
                } else {
                    None
                };
                if perm.also_field.is_none() && perm.fallback.is_none() {
                    match claimed {
                        Some(effective) => Arc::new(effective),
                        None if ctx.claims_recognised => Arc::clone(absent),
                        None => Arc::clone(unrecognised),
                    }
                } else {
                    let mut effective = combined(
                        ctx,
                        perm,
                        claimed,
                        absent,
                        unrecognised,
                        obj,
                        roles.as_deref(),
                        teams.as_deref(),
                    );
                    effective.contributions.shrink_to_fit();
                    Arc::new(effective)
                }
            }
            Plan::Unknown(unknown) => Arc::clone(unknown),
            Plan::Derived { perm, derived } => {
                let mut effective =
                    derived_value(ctx, *derived, perm, obj, roles.as_deref(), teams.as_deref());
                // One per agent and derived permission: no spare capacity.
                effective.contributions.shrink_to_fit();
                effective.unknown.shrink_to_fit();
                Arc::new(effective)
            }
        })
        .collect();
    let permissions = Permissions::new(Arc::clone(&ctx.keys), values);
    Agent {
        id,
        name: string(obj, "name").unwrap_or_else(|| format!("agent {id}")),
        email: string(obj, "email").filter(|s| !s.is_empty()),
        enabled: boolean(obj, "isdisabled").map(|d| !d),
        api_only: boolean(obj, "isapiagent"),
        // Administrator: the `SA` claims of the agent and its roles with `is_admin` (the catalog's
        // `agent.admin`); `is_admin` alone when that cannot be read.
        admin: permissions
            .get("agent.admin")
            .and_then(Effective::exact)
            .map(|v| v == PermValue::Flag(true))
            .or_else(|| boolean(obj, "is_admin").filter(|b| *b)),
        default_team: string(obj, "team"),
        roles: roles.map(|r| r.into_iter().map(|h| h.reference).collect()),
        teams,
        claims: own_claims,
        permissions,
    }
}

/// The value of a yes/no field that is `b` (the same for every agent with that value).
fn field_bool(field: &str, b: bool, negated: bool, perm: &PermissionDef) -> Effective {
    let mut effective = Effective::default();
    effective.add(Contribution {
        origin: Origin::Agent,
        evidence: format!("field {field} = {b}"),
        value: PermValue::Flag(b != negated),
        confidence: perm.confidence,
    });
    effective
}

/// The value of a yes/no field that is missing or not a boolean.
fn field_unknown(
    field: &str,
    value: Option<&Value>,
    negated: bool,
    perm: &PermissionDef,
) -> Effective {
    let mut effective = Effective::default();
    match value {
        Some(Value::Bool(b)) => return field_bool(field, *b, negated, perm),
        None => effective
            .unknown
            .push(format!("the agent object has no `{field}` field")),
        Some(other) => effective.unknown.push(format!(
            "the agent's `{field}` is {}, not true/false",
            kind(other)
        )),
    }
    effective
}

fn claim_value(
    ctx: &Context<'_>,
    perm: &PermissionDef,
    own: Option<&[(String, String)]>,
    roles: Option<&[HeldRole]>,
) -> Option<Effective> {
    let catalog = ctx.catalog;
    let confidence = perm.confidence;
    let mut effective = Effective::default();
    // The origin and the holder's name are built only when used: most roles carry few claims.
    let read = |origin: &dyn Fn() -> Origin,
                holder: &dyn Fn() -> String,
                claims: Option<&[(String, String)]>,
                effective: &mut Effective| match claims {
        None => effective
            .unknown
            .push(format!("{}'s claims are not in the snapshot", holder())),
        Some(claims) => {
            for (kind, raw) in claims
                .iter()
                .filter(|(k, _)| perm.claim_types().any(|t| t == k))
            {
                match catalog.claim_value(perm, raw) {
                    Some(value) => effective.add(Contribution {
                        origin: origin(),
                        evidence: format!("claim {kind} = \"{raw}\""),
                        value: match value {
                            ClaimValue::Flag(b) => PermValue::Flag(b),
                            ClaimValue::Level(l) => PermValue::Level(l),
                        },
                        confidence,
                    }),
                    None => effective.unknown.push(format!(
                        "{} has claim {kind} = \"{raw}\", a value the catalog's table for {} does not list",
                        holder(),
                        perm.label
                    )),
                }
            }
        }
    };
    read(
        &|| Origin::Agent,
        &|| "the agent".to_owned(),
        own,
        &mut effective,
    );
    match roles {
        None => effective
            .unknown
            .push("the agent's roles are not in the snapshot".to_owned()),
        Some(roles) => {
            for role in roles {
                let origin = || Origin::Role {
                    id: role.reference.id.clone(),
                    name: role.reference.name.clone(),
                };
                read(
                    &origin,
                    &|| format!("role {}", role.reference.name),
                    role.claims.as_deref(),
                    &mut effective,
                );
            }
        }
    }
    if effective.contributions.is_empty() && effective.unknown.is_empty() {
        return None;
    }
    if perm.kind == Kind::Level && !perm.is_total() {
        effective.settle(perm);
    }
    effective.contributions.shrink_to_fit();
    effective.unknown.shrink_to_fit();
    Some(effective)
}

/// A claim permission read together with a field (`also_field`) or a structural fallback.
#[allow(clippy::too_many_arguments)]
fn combined(
    ctx: &Context<'_>,
    perm: &PermissionDef,
    claimed: Option<Effective>,
    absent: &Effective,
    unrecognised: &Effective,
    obj: &Map<String, Value>,
    roles: Option<&[HeldRole]>,
    teams: Option<&[Membership]>,
) -> Effective {
    let yes_no = |b: bool| if b { "Yes" } else { "No" };
    if let Some(field) = &perm.also_field {
        let read = match obj.get(field.as_str()) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        };
        let mut effective = match (&claimed, read) {
            (Some(claimed), _) => claimed.clone(),
            (None, Some(_)) => Effective::default(),
            (None, None) if ctx.claims_recognised => absent.clone(),
            (None, None) => unrecognised.clone(),
        };
        if let Some(b) = read {
            let from_claims = claimed.as_ref().and_then(Effective::exact);
            if let Some(PermValue::Flag(c)) = from_claims
                && c != b
            {
                effective.notes.push(format!(
                    "the agent's `{field}` says {} but its {} claims say {}; the wider ({}) is taken",
                    yes_no(b),
                    perm.claim_types().next().unwrap_or_default(),
                    yes_no(c),
                    yes_no(b || c)
                ));
            }
            effective.add(Contribution {
                origin: Origin::Agent,
                evidence: format!("field {field} = {b}"),
                value: PermValue::Flag(b),
                confidence: Confidence::Assumed.max(perm.confidence.min(Confidence::Observed)),
            });
            if claimed.is_none() {
                // The field alone decides: Halo computes it from the claims of the agent and its
                // roles (observed), so claims missing from the snapshot leave nothing unknown.
                effective.unknown.clear();
            }
        }
        return effective;
    }
    let Some(Source::Derived(derived)) = perm.fallback else {
        return claimed.unwrap_or_else(|| absent.clone());
    };
    let structural = derived_value(ctx, derived, perm, obj, roles, teams);
    let claim_name = perm.claim_types().next().unwrap_or_default();
    match claimed {
        Some(mut effective) => {
            if let (Some(PermValue::Flag(c)), Some(PermValue::Flag(s))) =
                (effective.exact(), structural.exact())
                && c != s
            {
                let evidence = structural
                    .contributions
                    .first()
                    .map_or("", |c| c.evidence.as_str());
                effective.notes.push(format!(
                    "the {claim_name} claim says {} but the agent's list says otherwise ({evidence}); the claim is taken",
                    yes_no(c)
                ));
            }
            effective
        }
        None => {
            let mut effective = structural;
            for c in &mut effective.contributions {
                c.confidence = Confidence::Assumed;
            }
            effective.notes.push(if ctx.claims_recognised {
                format!(
                    "no {claim_name} claim on the agent or its roles: read from the agent's list instead (an empty list is taken as no restriction, an assumption)"
                )
            } else {
                format!(
                    "the snapshot's claims cannot be read: read from the agent's list instead of the {claim_name} claim (an empty list is taken as no restriction, an assumption)"
                )
            });
            effective
        }
    }
}

/// A claim permission when the encoding is in use in this tenant and neither the agent nor a
/// role carries the claim: read as the lowest setting (an assumption, recorded as such).
fn claim_absent(perm: &PermissionDef, claim: &str) -> Effective {
    let mut effective = Effective::default();
    effective.add(Contribution {
        origin: Origin::Agent,
        evidence: format!("no {claim} claim on the agent or its roles"),
        value: match perm.kind {
            Kind::Flag => PermValue::Flag(false),
            Kind::Level => PermValue::Level(0),
        },
        confidence: Confidence::Assumed,
    });
    effective
}

/// A claim permission when no claim anywhere in the snapshot matches the catalog's encoding.
fn claim_unrecognised(claims_returned: bool) -> Effective {
    Effective {
        unknown: vec![if claims_returned {
            "no claim in this snapshot has a type the catalog knows, so feature access and ticket permissions cannot be read (`halo-audit snapshot show` lists the claim types; a catalog overlay can map them)".to_owned()
        } else {
            "no agent or role in this snapshot carries `claims`, so feature access and ticket permissions cannot be read (the agent and role detail calls returned none: the auditing application's agent may lack the right to see permissions; docs/fetching.md)".to_owned()
        }],
        ..Effective::default()
    }
}

fn derived_value(
    ctx: &Context<'_>,
    derived: Derived,
    perm: &PermissionDef,
    obj: &Map<String, Value>,
    roles: Option<&[HeldRole]>,
    teams: Option<&[Membership]>,
) -> Effective {
    let mut effective = Effective::default();
    let set = |value: bool, evidence: String, effective: &mut Effective| {
        effective.add(Contribution {
            origin: Origin::Structure,
            evidence,
            value: PermValue::Flag(value),
            confidence: perm.confidence,
        });
    };
    match derived {
        Derived::HasRoles => match roles {
            Some([]) => set(false, "no roles".to_owned(), &mut effective),
            Some(held) => {
                let names: Vec<&str> = held.iter().map(|h| h.reference.name.as_str()).collect();
                set(true, format!("roles: {}", names.join(", ")), &mut effective);
            }
            None => effective
                .unknown
                .push("the agent's roles are not in the snapshot".to_owned()),
        },
        Derived::DefaultTeam => match obj.get("team") {
            Some(Value::String(s)) if s.trim().is_empty() => {
                set(false, "no default team".to_owned(), &mut effective)
            }
            Some(Value::String(s)) => set(true, format!("default team \"{s}\""), &mut effective),
            _ => effective
                .unknown
                .push("the agent's default team (`team`) is not in the snapshot".to_owned()),
        },
        Derived::AllTeams | Derived::AnyTeam => {
            if let Some((active, memberships)) = team_structure(ctx, teams, &mut effective) {
                // The active teams a membership names, by id or by name. Work per membership, not
                // per team: a tenant of thousands of agents has hundreds of teams.
                let mut covered: BTreeSet<i64> = BTreeSet::new();
                for m in memberships {
                    if let Some(id) = m.team_id.filter(|id| active.contains_key(id)) {
                        covered.insert(id);
                    }
                    if let Some(ids) = ctx.active_team_names.get(m.team_name.as_str()) {
                        covered.extend(ids);
                    }
                }
                // Evidence names at most this many teams.
                const SHOWN: usize = 10;
                let listed = |names: Vec<&str>, total: usize| {
                    let more = if total > SHOWN {
                        format!(" and {} more", total - SHOWN)
                    } else {
                        String::new()
                    };
                    format!("{}{more}", names.join(", "))
                };
                if derived == Derived::AnyTeam {
                    if covered.is_empty() {
                        set(false, "in no active team".to_owned(), &mut effective);
                    } else {
                        let names = covered
                            .iter()
                            .filter_map(|id| active.get(id).copied())
                            .take(SHOWN)
                            .collect();
                        set(
                            true,
                            format!("member of {}", listed(names, covered.len())),
                            &mut effective,
                        );
                    }
                    return effective;
                }
                let missing = active.len() - covered.len();
                if missing == 0 {
                    set(
                        true,
                        format!("member of all {} active teams", active.len()),
                        &mut effective,
                    );
                } else {
                    let names = active
                        .iter()
                        .filter(|(id, _)| !covered.contains(id))
                        .map(|(_, name)| *name)
                        .take(SHOWN)
                        .collect();
                    set(
                        false,
                        format!("not a member of: {}", listed(names, missing)),
                        &mut effective,
                    );
                }
            }
        }
        Derived::MembershipsSeeUnassigned | Derived::MembershipsSeeOtherAgents => {
            let (field, flag): (&str, fn(&Membership) -> Option<bool>) =
                if derived == Derived::MembershipsSeeUnassigned {
                    ("unassigned_access", |m| m.unassigned_access)
                } else {
                    ("otheragent_access", |m| m.otheragent_access)
                };
            if let Some((active, memberships)) = team_structure(ctx, teams, &mut effective) {
                let in_active: Vec<&Membership> = memberships
                    .iter()
                    .filter(|m| {
                        m.team_id.is_some_and(|id| active.contains_key(&id))
                            || ctx.active_team_names.contains_key(m.team_name.as_str())
                    })
                    .collect();
                let unread: Vec<&str> = in_active
                    .iter()
                    .filter(|m| flag(m).is_none())
                    .map(|m| m.team_name.as_str())
                    .collect();
                let off: Vec<&str> = in_active
                    .iter()
                    .filter(|m| flag(m) == Some(false))
                    .map(|m| m.team_name.as_str())
                    .collect();
                if in_active.is_empty() {
                    set(false, "in no active team".to_owned(), &mut effective);
                } else if !off.is_empty() {
                    set(
                        false,
                        format!("`{field}` off in team {}", off.join(", ")),
                        &mut effective,
                    );
                } else if !unread.is_empty() {
                    effective.unknown.push(format!(
                        "the membership of team {} does not say `{field}`",
                        unread.join(", ")
                    ));
                } else {
                    set(
                        true,
                        format!(
                            "`{field}` on in all {} of its active teams",
                            in_active.len()
                        ),
                        &mut effective,
                    );
                }
            }
        }
        Derived::AnyDepartment => match obj.get("departments") {
            Some(Value::Array(items)) if items.is_empty() => {
                set(false, "in no department".to_owned(), &mut effective);
            }
            Some(Value::Array(items)) => {
                let names: Vec<String> = items
                    .iter()
                    .take(10)
                    .map(|d| {
                        d.get("department_name")
                            .and_then(Value::as_str)
                            .map_or_else(|| "?".to_owned(), str::to_owned)
                    })
                    .collect();
                set(
                    true,
                    format!("member of department {}", names.join(", ")),
                    &mut effective,
                );
            }
            _ => effective.unknown.push(
                "the agent's department memberships (`departments`) are not in the snapshot"
                    .to_owned(),
            ),
        },
        Derived::NoClientRestriction => restriction(
            obj,
            "clients",
            "client_name",
            "customer",
            &mut effective,
            perm,
        ),
        Derived::NoTicketTypeRestriction => restriction(
            obj,
            "tickettypes",
            "tickettype_name",
            "ticket type",
            &mut effective,
            perm,
        ),
        Derived::NoAssetTypeRestriction => restriction(
            obj,
            "assettypes",
            "assettype_name",
            "asset type",
            &mut effective,
            perm,
        ),
        Derived::NoAssetFieldRestriction => restriction(
            obj,
            "assetfields",
            "name",
            "asset field",
            &mut effective,
            perm,
        ),
    }
    effective
}

/// The tenant's active teams and the agent's memberships, or `None` with the reason recorded in
/// `effective` when either is not in the snapshot.
fn team_structure<'c>(
    ctx: &'c Context<'_>,
    teams: Option<&'c [Membership]>,
    effective: &mut Effective,
) -> Option<(&'c BTreeMap<i64, &'c str>, &'c [Membership])> {
    match (&ctx.active_teams, teams) {
        (None, _) => {
            effective
                .unknown
                .push("the tenant's teams are not in the snapshot".to_owned());
            None
        }
        (_, None) => {
            effective
                .unknown
                .push("the agent's team memberships are not in the snapshot".to_owned());
            None
        }
        (Some(active), Some(memberships)) => Some((active, memberships)),
    }
}

fn restriction(
    obj: &Map<String, Value>,
    field: &str,
    name_field: &str,
    what: &str,
    effective: &mut Effective,
    perm: &PermissionDef,
) {
    match obj.get(field) {
        Some(Value::Array(items)) => {
            let (value, evidence) = if items.is_empty() {
                (true, format!("{field}[] is empty: no {what} restriction"))
            } else {
                let names: Vec<String> = items
                    .iter()
                    .take(5)
                    .map(|i| {
                        i.get(name_field)
                            .and_then(Value::as_str)
                            .map_or_else(|| "?".to_owned(), str::to_owned)
                    })
                    .collect();
                let more = if items.len() > 5 {
                    format!(" and {} more", items.len() - 5)
                } else {
                    String::new()
                };
                (
                    false,
                    format!(
                        "restricted to {} {what}(s): {}{more}",
                        items.len(),
                        names.join(", ")
                    ),
                )
            };
            effective.add(Contribution {
                origin: Origin::Structure,
                evidence,
                value: PermValue::Flag(value),
                confidence: perm.confidence,
            });
        }
        _ => effective.unknown.push(format!(
            "the agent's `{field}` restriction list is not in the snapshot"
        )),
    }
}

/// Adds the claims the catalog does not understand, of one holder, to `out`.
fn scan_claims(
    catalog: &Catalog,
    holder: impl Fn() -> String,
    claims: &[(String, String)],
    out: &mut BTreeSet<UnknownClaim>,
) {
    for (kind, value) in claims {
        let reason = match catalog.by_claim(kind) {
            None if catalog.informational(kind).is_some() => continue,
            None => match catalog.claim_case_twin(kind) {
                Some(twin) => format!(
                    "claim type not in the catalog (it differs from `{twin}` only in letter case; claim types are case-sensitive, so it is not read as that)"
                ),
                None => "claim type not in the catalog".to_owned(),
            },
            Some((_, perm)) if catalog.claim_value(perm, value).is_none() => {
                format!("value not in the catalog's table for {}", perm.key)
            }
            Some(_) => continue,
        };
        out.insert(UnknownClaim {
            holder: holder(),
            claim_type: kind.clone(),
            value: value.clone(),
            reason,
        });
    }
}

/// The claims of one agent record the catalog does not understand: its own, and those of the
/// roles it names inline that were not fetched (a fetched role's claims are read from the role).
fn agent_unknown_claims(
    catalog: &Catalog,
    obj: &Map<String, Value>,
    fetched_roles: &BTreeSet<&str>,
    out: &mut BTreeSet<UnknownClaim>,
) {
    if let (Some(id), Some(claims)) = (int_id(obj), claims(obj)) {
        let name = || string(obj, "name").unwrap_or_default();
        scan_claims(catalog, || format!("agent {id} ({})", name()), &claims, out);
    }
    for role in obj
        .get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
    {
        if let (Some(id), Some(claims)) = (any_id(role), claims(role))
            && !fetched_roles.contains(id.as_str())
        {
            scan_claims(
                catalog,
                || format!("role {id} ({})", string(role, "name").unwrap_or_default()),
                &claims,
                out,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::snapshot::{Instance, Snapshot};

    fn catalog() -> &'static Catalog {
        Catalog::builtin().unwrap()
    }

    fn snap(agents: Value) -> Snapshot {
        let mut s = Snapshot::new(Instance::default());
        s.objects.agents = Some(agents);
        s.objects.teams =
            Some(json!([{"id": 1, "name": "Desk"}, {"id": 2, "name": "Old", "inactive": true}]));
        s.objects.roles = Some(
            json!({"record_count": 1, "roles": [{"id": "g-1", "name": "Billing", "claims": [{"type": "Xx", "value": "2"}]}]}),
        );
        s
    }

    fn norm(s: &Snapshot) -> Tenant {
        normalise(s, catalog(), Path::new("s.json")).unwrap()
    }

    fn full_agent() -> Value {
        json!({"id": 3, "name": "Api", "isdisabled": false, "isapiagent": true, "is_admin": true, "team": "Desk",
               "roles": [{"id": "g-1", "name": "Billing"}], "teams": [{"team_id": 1, "team_name": "Desk", "role_id": "g-1", "role_name": "Billing"}],
               "clients": [{"client_id": 5, "client_name": "Acme"}], "tickettypes": [], "assettypes": [], "assetfields": [],
               "claims": [{"type": "Xx", "value": "1"}, {"type": "l4", "value": "0"}]})
    }

    #[test]
    fn bare_arrays_and_list_envelopes_give_the_same_tenant() {
        let bare = norm(&snap(json!([full_agent()])));
        let enveloped = norm(&snap(json!({"record_count": 1, "agents": [full_agent()]})));
        assert_eq!(
            serde_json::to_value(&bare.agents).unwrap(),
            serde_json::to_value(&enveloped.agents).unwrap()
        );
        assert_eq!(bare.roles().len(), 1, "roles came in an envelope");
    }

    #[test]
    fn fields_are_read_with_their_chains() {
        let t = norm(&snap(json!([full_agent()])));
        let a = t.agent(3).unwrap();
        assert_eq!(
            (a.enabled, a.api_only, a.admin),
            (Some(true), Some(true), Some(true))
        );
        let invoices = a.permission("feature.invoices").unwrap();
        assert_eq!(
            invoices.value,
            Some(PermValue::Level(2)),
            "the role's level wins over the agent's"
        );
        assert_eq!(invoices.contributions.len(), 2);
        assert!(
            matches!(&invoices.decisive().unwrap().origin, Origin::Role { name, .. } if name == "Billing")
        );
        assert_eq!(
            a.permission("teams.all").unwrap().value,
            Some(PermValue::Flag(true)),
            "inactive teams do not count"
        );
        assert_eq!(
            a.permission("restrict.all_customers").unwrap().value,
            Some(PermValue::Flag(false))
        );
        assert_eq!(
            a.permission("agent.default_team").unwrap().value,
            Some(PermValue::Flag(true))
        );
        assert_eq!(
            a.permission("agent.has_roles").unwrap().value,
            Some(PermValue::Flag(true))
        );
        assert_eq!(
            a.permission("ticket.can_delete").unwrap().value,
            Some(PermValue::Flag(false))
        );
        // Absent claim, encoding in use: the lowest setting, recorded as an assumption.
        let crm = a.permission("feature.crm").unwrap();
        assert_eq!(crm.value, Some(PermValue::Level(0)));
        assert_eq!(crm.confidence(), Confidence::Assumed);
        assert_eq!(
            a.teams.as_ref().unwrap()[0].via_role.as_deref(),
            Some("Billing")
        );
    }

    #[test]
    fn all_teams_counts_memberships_by_id_or_name_and_lists_a_few_missing_teams() {
        let teams: Vec<Value> = (1..=30)
            .map(|i| json!({"id": i, "name": format!("T{i:02}"), "inactive": i == 30}))
            .collect();
        let member = |memberships: Value| {
            let mut s = snap(json!([{"id": 3, "name": "A", "teams": memberships}]));
            s.objects.teams = Some(Value::Array(teams.clone()));
            norm(&s)
        };
        // By id, by name only, and an inactive team (which does not count).
        let t = member(json!([{"team_id": 1}, {"team_name": "T02"}, {"team_id": 30}]));
        let all = t.agent(3).unwrap().permission("teams.all").unwrap();
        assert_eq!(all.value, Some(PermValue::Flag(false)));
        assert_eq!(
            all.contributions[0].evidence,
            "not a member of: T03, T04, T05, T06, T07, T08, T09, T10, T11, T12 and 17 more"
        );
        let every: Vec<Value> = teams[..29]
            .iter()
            .map(|t| json!({"team_id": t["id"], "team_name": t["name"]}))
            .collect();
        let t = member(Value::Array(every));
        let all = t.agent(3).unwrap().permission("teams.all").unwrap();
        assert_eq!(all.value, Some(PermValue::Flag(true)));
        assert_eq!(
            all.contributions[0].evidence,
            "member of all 29 active teams"
        );
        let any = t.agent(3).unwrap().permission("teams.any").unwrap();
        assert_eq!(any.value, Some(PermValue::Flag(true)));
        assert_eq!(
            any.contributions[0].evidence,
            "member of T01, T02, T03, T04, T05, T06, T07, T08, T09, T10 and 19 more"
        );
    }

    #[test]
    fn per_team_ticks_must_be_on_in_every_active_team() {
        let teams = json!([{"id": 1, "name": "Desk"}, {"id": 2, "name": "NOC"}, {"id": 3, "name": "Old", "inactive": true}]);
        let see = |memberships: Value| {
            let mut s = snap(json!([{"id": 3, "name": "A", "teams": memberships}]));
            s.objects.teams = Some(teams.clone());
            let t = norm(&s);
            let e = t
                .agent(3)
                .unwrap()
                .permission("teams.see_unassigned")
                .unwrap()
                .clone();
            (
                e.value,
                e.contributions.first().map(|c| c.evidence.clone()),
                e.unknown,
            )
        };
        let on = |id: i64, name: &str| json!({"team_id": id, "team_name": name, "unassigned_access": true});
        // Every active team ticked; an inactive one does not matter.
        let (value, evidence, _) = see(json!([on(1, "Desk"), on(2, "NOC"),
            {"team_id": 3, "team_name": "Old", "unassigned_access": false}]));
        assert_eq!(value, Some(PermValue::Flag(true)));
        assert_eq!(
            evidence.unwrap(),
            "`unassigned_access` on in all 2 of its active teams"
        );
        // One off decides, even beside a membership that does not say.
        let (value, evidence, _) = see(json!([on(1, "Desk"),
            {"team_id": 2, "team_name": "NOC", "unassigned_access": false}, {"team_name": "Desk"}]));
        assert_eq!(value, Some(PermValue::Flag(false)));
        assert_eq!(evidence.unwrap(), "`unassigned_access` off in team NOC");
        // None off but one that does not say: unknown.
        let (value, _, unknown) = see(json!([on(1, "Desk"), {"team_id": 2, "team_name": "NOC"}]));
        assert_eq!(value, None);
        assert!(unknown[0].contains("team NOC does not say"), "{unknown:?}");
        // In no active team: nothing to see.
        let (value, evidence, _) = see(json!([]));
        assert_eq!(value, Some(PermValue::Flag(false)));
        assert_eq!(evidence.unwrap(), "in no active team");
    }

    #[test]
    fn any_team_needs_one_active_team_by_id_or_name() {
        let teams =
            json!([{"id": 1, "name": "Support"}, {"id": 2, "name": "Old", "inactive": true}]);
        let any = |memberships: Value| {
            let mut s = snap(json!([{"id": 3, "name": "A", "teams": memberships}]));
            s.objects.teams = Some(teams.clone());
            let t = norm(&s);
            let e = t.agent(3).unwrap().permission("teams.any").unwrap().clone();
            (e.value, e.contributions.first().map(|c| c.evidence.clone()))
        };
        assert_eq!(
            any(json!([{"team_name": "Support"}])),
            (
                Some(PermValue::Flag(true)),
                Some("member of Support".to_owned())
            )
        );
        // Only an inactive team, or none.
        for memberships in [json!([{"team_id": 2}]), json!([])] {
            assert_eq!(
                any(memberships),
                (
                    Some(PermValue::Flag(false)),
                    Some("in no active team".to_owned())
                )
            );
        }
        // Memberships or teams not fetched: unknown, never a guess.
        let mut s = snap(json!([{"id": 3, "name": "A", "teams": [{"team_id": 1}]}]));
        s.objects.teams = None;
        let t = norm(&s);
        let e = t.agent(3).unwrap().permission("teams.any").unwrap();
        assert_eq!(e.value, None);
        assert!(
            e.unknown[0].contains("teams are not in the snapshot"),
            "{e:?}"
        );
    }

    #[test]
    fn nulls_missing_and_odd_fields_become_unknown_never_guesses() {
        let agent = json!({"id": "4", "name": null, "isdisabled": "no", "is_admin": null, "claims": null, "team": null});
        let t = norm(&snap(json!([agent])));
        let a = t.agent(4).unwrap();
        assert_eq!(a.name, "agent 4");
        assert_eq!(a.enabled, None);
        for key in [
            "agent.enabled",
            "agent.admin",
            "agent.api_only",
            "agent.default_team",
            "agent.has_roles",
            "teams.all",
            "restrict.all_customers",
        ] {
            let e = a.permission(key).unwrap();
            assert_eq!(e.value, None, "{key}");
            assert!(!e.unknown.is_empty(), "{key} has no reason");
        }
        assert!(a.permission("agent.enabled").unwrap().unknown[0].contains("a string"));
        // The role fetched elsewhere makes the claim encoding "in use", but this agent's own claims are null.
        assert!(
            a.permission("feature.invoices")
                .unwrap()
                .unknown
                .iter()
                .any(|u| u.contains("the agent's claims"))
        );
    }

    #[test]
    fn unknown_claim_types_and_values_are_listed() {
        let mut agent = full_agent();
        agent["claims"] = json!([{"type": "feature.widgets", "value": "2"}, {"type": "Xx", "value": "99"}, {"type": "Ex", "value": 1}]);
        let t = norm(&snap(json!([agent])));
        let reasons: Vec<(&str, &str)> = t
            .unknown_claims
            .iter()
            .map(|c| (c.claim_type.as_str(), c.reason.as_str()))
            .collect();
        assert!(
            reasons.contains(&("feature.widgets", "claim type not in the catalog")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|(t, r)| *t == "Xx" && r.contains("not in the catalog's table")),
            "{reasons:?}"
        );
        assert_eq!(
            reasons.len(),
            2,
            "a numeric value is read like its string: {reasons:?}"
        );
        let invoices = t.agent(3).unwrap().permission("feature.invoices").unwrap();
        assert_eq!(
            invoices.value,
            Some(PermValue::Level(2)),
            "the role still counts"
        );
        assert!(
            !invoices.unknown.is_empty(),
            "the unreadable claim makes the value a lower bound"
        );
        assert_eq!(
            t.agent(3).unwrap().permission("feature.crm").unwrap().value,
            Some(PermValue::Level(1))
        );
    }

    #[test]
    fn structural_corruption_is_an_error_naming_the_place() {
        for (agents, pointer) in [
            (json!("nope"), "/objects/agents"),
            (json!([1]), "/objects/agents/0"),
            (json!([{"name": "no id"}]), "/objects/agents/0"),
            (
                json!({"record_count": 1, "a": [], "b": []}),
                "/objects/agents",
            ),
        ] {
            let err = normalise(&snap(agents), catalog(), Path::new("s.json"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(pointer) && err.contains("s.json"), "{err}");
        }
    }

    #[test]
    fn collections_not_fetched_stay_unknown() {
        let t = norm(&Snapshot::new(Instance::default()));
        assert!(t.agents.is_none() && t.applications.is_none());
        let mut s = snap(json!([full_agent()]));
        s.objects.teams = None;
        let t = norm(&s);
        assert!(
            t.agent(3)
                .unwrap()
                .permission("teams.all")
                .unwrap()
                .value
                .is_none()
        );
    }

    #[test]
    fn applications_read_scopes_in_either_shape() {
        let mut s = snap(json!([]));
        s.objects.applications = Some(json!([
            {"id": "x", "displayName": "A", "inactive": true, "loginas_agent_id": 0, "scopes": [{"name": "read:tickets"}, "edit:tickets", {"name": " "}]},
            {"id": 12, "name": "B"},
        ]));
        let t = norm(&s);
        let a = &t.applications()[0];
        assert_eq!(
            a.scopes.as_deref(),
            Some(&["edit:tickets".to_owned(), "read:tickets".to_owned()][..])
        );
        assert_eq!((a.active, a.login_agent_id), (Some(false), None));
        let b = &t.applications()[1];
        assert_eq!(
            (b.id.as_str(), b.name.as_str(), b.scopes.is_none(), b.active),
            ("12", "B", true, None)
        );
    }

    #[test]
    fn no_secret_from_the_input_survives_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap.json");
        let mut s = snap(
            json!([{"id": 1, "name": "A", "password": "SECRET-1", "new_access_token": "SECRET-2",
            "orion_password": "SECRET-3", "new_ncentral_key": "SECRET-4", "nested": {"apiKey": "SECRET-5"}}]),
        );
        s.objects.applications = Some(
            json!([{"id": "a", "displayName": "X", "clientSecret": "SECRET-6",
            "tokens": [{"value": "SECRET-7"}], "authorizations": [{"refresh_token": "SECRET-8"}]}]),
        );
        s.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("SECRET-"), "{text}");
        let loaded = crate::snapshot::load(&path).unwrap();
        assert!(loaded.redacted.contains(&"clientSecret".to_owned()));
        // A snapshot written by someone else is stripped on load too.
        std::fs::write(
            &path,
            text.replace(
                "\"name\": \"A\"",
                "\"name\": \"A\", \"client_secret\": \"SECRET-9\"",
            ),
        )
        .unwrap();
        let loaded = crate::snapshot::load(&path).unwrap();
        assert!(!serde_json::to_string(&loaded).unwrap().contains("SECRET-9"));
    }
}
