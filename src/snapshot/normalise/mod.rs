//! Normaliser: snapshot (Halo's raw objects) → [`Tenant`] (typed model with effective permissions).
//!
//! Owns: reading Halo's field names (swagger `Uname`, `SectionDetail`, `NHD_Roles`,
//! `NHD_Identity_Application`), both list envelopes, and computing each agent's effective value of
//! every catalog permission as the highest of its own setting and every role's. It never guesses:
//! a value it cannot read is recorded as unknown with the reason, and the engine reports it
//! `unverifiable`. Driven by the catalog's `source` of each permission; no Halo names are hard-coded
//! here beyond the object fields themselves.
//!
//! Its one caller is `read.rs`, which parses only the members read here (`lean.rs` lists them: a
//! member newly read here must be added there too, or the permissions that depend on it are
//! unknown). The teams, roles and applications arrive parsed; the agents one record at a time,
//! each normalised on a worker thread with the tenant-wide `Context` (`normalise_parts`,
//! `agent_record`). [`normalise`], for a snapshot held whole, reads its text the same way.
//!
//! The parts: `fields` (collections, records, their members), `applications`, `agents` (the plan of
//! every permission and one agent's record), `claims`, `restrictions` (permissions derived from the
//! tenant's structure).
//!
//! Values that are the same for many agents (a claim nobody carries, `is_admin = false`) are built
//! once per tenant and shared ([`crate::tenant::Permissions`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

mod agents;
mod applications;
mod claims;
mod fields;
mod restrictions;
#[cfg(test)]
mod tests;

pub(in crate::snapshot) use agents::Context;
use agents::*;
use applications::*;
use claims::*;
use fields::*;
pub(in crate::snapshot) use fields::{Claims, RecordClaims, claim_pair, list};
use restrictions::*;

use super::{Snapshot, SnapshotError};
use crate::catalog::{Catalog, ClaimValue, Confidence, Derived, Kind, PermissionDef, Source};
use crate::tenant::{
    Agent, Application, Contribution, Effective, Gap, Membership, Origin, Permissions, Provenance,
    Role, RoleRef, Team, Tenant, UnknownClaim, Value as PermValue,
};

/// Builds the tenant model from a snapshot held whole (a live fetch), by the one read every
/// command uses ([`super::read_bytes`]) of its text.
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
    let text = serde_json::to_vec(snapshot).map_err(|e| SnapshotError::Encode {
        message: e.to_string(),
    })?;
    super::read_bytes(&text, path, catalog).map(|loaded| loaded.tenant)
}

/// Why the streamed read gave no tenant.
pub(in crate::snapshot) enum Refused {
    /// What is wrong with the file, said.
    Said(SnapshotError),
    /// Something the streamed read does not follow (invalid JSON, a key written twice): the
    /// document is parsed again, which names it with its line and column.
    Unnamed,
}

impl From<SnapshotError> for Refused {
    fn from(error: SnapshotError) -> Self {
        Self::Said(error)
    }
}

/// The tenant of a snapshot whose agents are read by `agents` (`None`: not fetched) and whose
/// teams, roles and applications are in `snapshot` (the roles' claims decoded apart, in
/// `role_claims`, by the position of each role record).
///
/// # Errors
/// [`Refused::Said`] for structural corruption (see [`normalise`]), or what `agents` refuses.
pub(in crate::snapshot) fn normalise_parts(
    snapshot: &Snapshot,
    agents: Option<&AgentStream<'_>>,
    mut role_claims: Vec<Option<Claims>>,
    catalog: &Catalog,
    path: &Path,
) -> Result<Tenant, Refused> {
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
            let claims = role_claims.get_mut(i).and_then(Option::take);
            out.push(Role {
                name: string(obj, "name").unwrap_or_else(|| format!("role {id}")),
                is_integration: boolean(obj, "is_integration"),
                claims,
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
    let mut unknown = Unknown::default();
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
        .any(|r| r.claims.as_ref().is_some_and(|c| recognised(catalog, c)));
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
        role_claims: roles
            .iter()
            .filter_map(|role| {
                let claims = role.claims.as_ref()?;
                Some((role.id.as_str(), ClaimIndex::of(catalog, claims)))
            })
            .collect(),
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

    let normalised = match agents {
        // Each record is parsed, normalised and dropped in turn. Whether the claim encoding is in
        // use depends on every agent's claims: when the roles do not settle it, assume it is and
        // normalise again in the rare tenant where no agent's claims match either.
        Some(run) => {
            let mut done = run(&context(true, true))?;
            if !roles_recognised && !done.iter().any(|n| n.own_claims_recognised) {
                let returned = roles_carry_claims || done.iter().any(|n| n.agent.claims.is_some());
                done = run(&context(false, returned))?;
            }
            tenant.claims_recognised =
                roles_recognised || done.iter().any(|n| n.own_claims_recognised);
            Some(done)
        }
        None => None,
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
    tenant.unknown_claims = unknown.listed.into_iter().collect();
    tenant.unknown_claims_cut = unknown.more;
    Ok(tenant)
}

/// Reads the agents for [`normalise_parts`]: every agent record normalised with this context, in
/// file order, or why one cannot be.
pub(in crate::snapshot) type AgentStream<'a> =
    dyn Fn(&Context<'_>) -> Result<Vec<Normalised>, Refused> + Sync + 'a;

/// One agent record (as parsed for the normaliser: its members and its claims), normalised, its
/// permission values shared with the equal ones in `pool`; `Err` says why it is not an object
/// with an integer `id`.
pub(in crate::snapshot) fn agent_record(
    ctx: &Context<'_>,
    value: &Value,
    claims: RecordClaims,
    pool: &mut crate::tenant::SharePool,
) -> Result<Normalised, String> {
    let obj = object(value)?;
    let id = int_id(obj).ok_or_else(|| "agent has no integer `id`".to_owned())?;
    let mut normalised = Normalised::of(ctx, id, obj, claims);
    normalised.agent.permissions.share(pool);
    Ok(normalised)
}

/// One agent record, normalised.
pub(in crate::snapshot) struct Normalised {
    agent: Agent,
    /// The claims of this record the catalog does not understand.
    unknown_claims: Unknown,
    /// Whether the agent's own claims include one the catalog knows.
    own_claims_recognised: bool,
}

impl Normalised {
    fn of(ctx: &Context<'_>, id: i64, obj: &Map<String, Value>, claims: RecordClaims) -> Self {
        let mut unknown = Unknown::default();
        agent_unknown_claims(
            ctx.catalog,
            id,
            obj,
            &claims,
            ctx.fetched_roles,
            &mut unknown,
        );
        let agent = agent(ctx, id, obj, claims);
        Self {
            own_claims_recognised: agent
                .claims
                .as_ref()
                .is_some_and(|c| recognised(ctx.catalog, c)),
            agent,
            unknown_claims: unknown,
        }
    }
}
