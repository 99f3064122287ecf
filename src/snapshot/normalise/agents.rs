//! Halo's agents (`Uname`): the reading plan of every catalog permission, built once per tenant
//! ([`Context`]), and one agent's record read into [`crate::tenant::Agent`] with its effective
//! permissions.

#[allow(clippy::wildcard_imports)]
use super::*;

/// What every agent of a tenant is normalised with: its roles and teams, and the catalog's plans.
pub(in crate::snapshot) struct Context<'a> {
    pub(super) catalog: &'a Catalog,
    pub(super) roles: Option<BTreeMap<&'a str, &'a Role>>,
    /// The claims of each fetched role that carries some, indexed.
    pub(super) role_claims: BTreeMap<&'a str, ClaimIndex<'a>>,
    pub(super) active_teams: Option<BTreeMap<i64, &'a str>>,
    /// The ids of the active teams by name (a membership may name its team without an id).
    pub(super) active_team_names: BTreeMap<&'a str, Vec<i64>>,
    pub(super) claims_recognised: bool,
    /// The ids of the roles fetched (an agent's inline role claims matter only for the others).
    pub(super) fetched_roles: &'a BTreeSet<&'a str>,
    /// The catalog's agent permission keys in ascending order, shared by every agent.
    pub(super) keys: Arc<[String]>,
    /// How to read each permission, in the order of `keys`.
    pub(super) plans: &'a [Plan<'a>],
}

/// How one catalog permission is read, with the values that are the same for many agents built
/// once per tenant rather than once per agent.
pub(super) enum Plan<'a> {
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
        /// Its index in the catalog, as `Catalog::by_claim` gives it.
        index: usize,
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
pub(super) fn plans(catalog: &Catalog, claims_returned: bool) -> (Arc<[String]>, Vec<Plan<'_>>) {
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
                // Where the holders' claims of its code are filed (`ClaimIndex`).
                index: catalog
                    .by_claim(claim)
                    .map_or(usize::MAX, |(index, _)| index),
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

/// The roles an agent holds, with their claims when known (a fetched role's, or those the agent's
/// record lists with it).
pub(super) struct HeldRole<'a> {
    pub(super) reference: RoleRef,
    pub(super) claims: Option<HeldClaims<'a>>,
}

pub(super) fn agent(
    ctx: &Context<'_>,
    id: i64,
    obj: &Map<String, Value>,
    mut record_claims: RecordClaims,
) -> Agent {
    let own_claims = record_claims.own.take();
    let roles: Option<Vec<HeldRole<'_>>> =
        obj.get("roles").and_then(Value::as_array).map(|items| {
            let mut held: Vec<HeldRole<'_>> = items
                .iter()
                .enumerate()
                .filter_map(|(at, r)| Some((at, r.as_object()?)))
                .filter_map(|(at, r)| {
                    let id = any_id(r)?;
                    let known = ctx
                        .roles
                        .as_ref()
                        .and_then(|roles| roles.get(id.as_str()).copied());
                    let name = string(r, "name")
                        .or_else(|| known.map(|k| k.name.clone()))
                        .unwrap_or_else(|| id.clone());
                    // A fetched role's claims; those listed with it when the role has none.
                    let claims = known
                        .and_then(|role| ctx.role_claims.get(role.id.as_str()))
                        .map(HeldClaims::Shared)
                        .or_else(|| {
                            record_claims.item(at).map(|claims| {
                                HeldClaims::Listed(ClaimIndex::of(ctx.catalog, claims))
                            })
                        });
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
                via_role: inherited_from(ctx, m),
                unassigned_access: boolean(m, "unassigned_access"),
                otheragent_access: boolean(m, "otheragent_access"),
            })
            .collect()
    });
    let own_index = own_claims
        .as_ref()
        .map(|claims| ClaimIndex::of(ctx.catalog, claims));
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
                index,
                absent,
                unrecognised,
            } => {
                let claimed = if ctx.claims_recognised {
                    claim_value(ctx, *index, perm, own_index.as_ref(), roles.as_deref())
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
        two_factor: boolean(obj, "twofactor_enabled"),
        sso: boolean(obj, "useadlogin"),
        last_login: string(obj, "lastlogindate").filter(|s| {
            let s = s.trim();
            !s.is_empty() && !s.starts_with("0001-01-01") && !s.starts_with("1900-01-01")
        }),
        default_team: string(obj, "team"),
        roles: roles.map(|r| r.into_iter().map(|h| h.reference).collect()),
        teams,
        claims: own_claims,
        permissions,
    }
}

/// The value of a yes/no field that is `b` (the same for every agent with that value).
pub(super) fn field_bool(field: &str, b: bool, negated: bool, perm: &PermissionDef) -> Effective {
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
pub(super) fn field_unknown(
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
