//! Halo's role claims (`{"type": "...", "value": "..."}`): reading them, telling whether the
//! tenant uses the catalog's encoding, the value of a claim permission from the agent's and its
//! roles' claims, and listing the claims the catalog does not understand.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Whether any of these claims is one the catalog knows (so the claim encoding is in use).
pub(super) fn recognised(catalog: &Catalog, claims: &Claims) -> bool {
    claims
        .iter()
        .any(|(t, _)| catalog.by_claim(t).is_some() || catalog.informational(t).is_some())
}

/// The values of one holder's claims for one permission that the catalog's table does not list
/// named one by one; those beyond are counted (a role may carry a million).
const UNDECODED_NAMED: usize = 10;

/// The claims the catalog does not understand kept for `snapshot show`: every holder of the
/// first this many types and values met (the roles' first, then the agents' by id); a tenant
/// with more says so ([`Unknown::more`]).
pub(super) const UNKNOWN_LISTED: usize = 10_000;

/// The claims the catalog does not understand: every holder of at most [`UNKNOWN_LISTED`] types
/// and values, and whether there were more.
#[derive(Debug, Default)]
pub(super) struct Unknown {
    pub(super) listed: BTreeSet<UnknownClaim>,
    /// The types, values and reasons listed.
    kinds: BTreeSet<(String, String, String)>,
    pub(super) more: bool,
}

impl Unknown {
    pub(super) fn insert(&mut self, claim: UnknownClaim) {
        let kind = (
            claim.claim_type.clone(),
            claim.value.clone(),
            claim.reason.clone(),
        );
        if self.kinds.len() < UNKNOWN_LISTED || self.kinds.contains(&kind) {
            self.kinds.insert(kind);
            self.listed.insert(claim);
        } else {
            self.more = true;
        }
    }

    pub(super) fn extend(&mut self, other: Unknown) {
        self.more |= other.more;
        for claim in other.listed {
            self.insert(claim);
        }
    }
}

/// One holder's claims that the catalog reads, by permission, each with its place in the list: a
/// permission reads its claims without going through every claim or comparing a type (a role may
/// carry a million, held by many agents).
#[derive(Debug, Default)]
pub(super) struct ClaimIndex<'a> {
    /// `(permission's index in the catalog, place in the list, type, value)`, in that order.
    claims: Vec<(usize, usize, &'a str, &'a str)>,
}

impl<'a> ClaimIndex<'a> {
    /// The claims of the types the catalog reads (no permission reads the others).
    pub(super) fn of(catalog: &Catalog, claims: &'a Claims) -> Self {
        let mut found: Vec<(usize, usize, &'a str, &'a str)> = claims
            .iter()
            .enumerate()
            .filter_map(|(at, (kind, raw))| Some((catalog.by_claim(kind)?.0, at, kind, raw)))
            .collect();
        found.sort_unstable_by_key(|&(perm, at, ..)| (perm, at));
        found.shrink_to_fit();
        Self { claims: found }
    }

    /// The claims of the permission at `index` of the catalog `(type, value)`, in the order of
    /// the list.
    fn of_perm(&self, index: usize) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        let start = self.claims.partition_point(|&(perm, ..)| perm < index);
        self.claims
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(move |&&(perm, ..)| perm == index)
            .map(|&(_, _, kind, raw)| (kind, raw))
    }
}

/// The claims of a role an agent holds: a fetched role's, indexed once per tenant, or those the
/// agent's record lists with it.
#[derive(Debug)]
pub(super) enum HeldClaims<'a> {
    Shared(&'a ClaimIndex<'a>),
    Listed(ClaimIndex<'a>),
}

impl<'a> HeldClaims<'a> {
    pub(super) fn index(&self) -> &ClaimIndex<'a> {
        match self {
            Self::Shared(index) => index,
            Self::Listed(index) => index,
        }
    }
}

pub(super) fn claim_value(
    ctx: &Context<'_>,
    index: usize,
    perm: &PermissionDef,
    own: Option<&ClaimIndex<'_>>,
    roles: Option<&[HeldRole]>,
) -> Option<Effective> {
    let catalog = ctx.catalog;
    let confidence = perm.confidence;
    let mut effective = Effective::default();
    // The origin and the holder's name are built only when used: most roles carry few claims.
    let read = |origin: &dyn Fn() -> Origin,
                holder: &dyn Fn() -> String,
                claims: Option<&ClaimIndex<'_>>,
                effective: &mut Effective| match claims {
        None => effective
            .unknown
            .push(format!("{}'s claims are not in the snapshot", holder())),
        Some(claims) => {
            let mut undecoded = 0usize;
            for (kind, raw) in claims.of_perm(index) {
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
                    None if undecoded >= UNDECODED_NAMED => undecoded += 1,
                    None => {
                        undecoded += 1;
                        effective.unknown.push(format!(
                            "{} has claim {kind} = \"{raw}\", a value the catalog's table for {} does not list{}",
                            holder(),
                            perm.label,
                            perm.undecoded_reason(raw, catalog)
                                .map(|r| format!(": {r}"))
                                .unwrap_or_default()
                        ));
                    }
                }
            }
            if let Some(more) = undecoded.checked_sub(UNDECODED_NAMED).filter(|m| *m > 0) {
                effective.unknown.push(format!(
                    "{} has {more} more claims for {} with values the catalog's table does not list",
                    holder(),
                    perm.label
                ));
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
                    role.claims.as_ref().map(HeldClaims::index),
                    &mut effective,
                );
            }
        }
    }
    if effective.contributions.is_empty() && effective.unknown.is_empty() {
        return None;
    }
    // A claim only the agent holds is one no role view shows (a live tenant had an agent-level
    // `SA` that its roles UI never showed): the chain says so.
    if !effective
        .contributions
        .iter()
        .any(|c| matches!(c.origin, Origin::Role { .. }))
    {
        for c in &mut effective.contributions {
            c.evidence
                .push_str(" (the agent's own claim, not through a role)");
        }
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
pub(super) fn combined(
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
pub(super) fn claim_absent(perm: &PermissionDef, claim: &str) -> Effective {
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
pub(super) fn claim_unrecognised(claims_returned: bool) -> Effective {
    Effective {
        unknown: vec![if claims_returned {
            "no claim in this snapshot has a type the catalog knows, so feature access and ticket permissions cannot be read (`halo-audit snapshot show` lists the claim types; a catalog overlay can map them)".to_owned()
        } else {
            "no agent or role in this snapshot carries `claims`, so feature access and ticket permissions cannot be read (the agent and role detail calls returned none: the auditing application's agent may lack the right to see permissions; docs/fetching.md)".to_owned()
        }],
        ..Effective::default()
    }
}

/// Adds the claims the catalog does not understand, of one holder, to `out`.
pub(super) fn scan_claims(
    catalog: &Catalog,
    holder: impl Fn() -> String,
    claims: &Claims,
    out: &mut Unknown,
) {
    for (kind, value) in claims.iter() {
        let reason = match catalog.by_claim(kind) {
            None => match catalog.informational(kind) {
                Some(info) if info.undecoded => {
                    format!("claim type seen before but not decoded: {}", info.meaning)
                }
                Some(_) => continue,
                None => match catalog.claim_case_twin(kind) {
                    Some(twin) => format!(
                        "claim type not in the catalog (it differs from `{twin}` only in letter case; claim types are case-sensitive, so it is not read as that)"
                    ),
                    None => "claim type not in the catalog".to_owned(),
                },
            },
            Some((_, perm)) if catalog.claim_value(perm, value).is_none() => {
                match perm.undecoded_reason(value, catalog) {
                    Some(why) => {
                        format!("value not in the catalog's table for {}: {why}", perm.key)
                    }
                    None => format!("value not in the catalog's table for {}", perm.key),
                }
            }
            Some(_) => continue,
        };
        out.insert(UnknownClaim {
            holder: holder(),
            claim_type: kind.to_owned(),
            value: value.to_owned(),
            reason,
        });
    }
}

/// The claims of one agent record the catalog does not understand: its own, and those of the
/// roles it names inline that were not fetched (a fetched role's claims are read from the role).
pub(super) fn agent_unknown_claims(
    catalog: &Catalog,
    id: i64,
    obj: &Map<String, Value>,
    claims: &RecordClaims,
    fetched_roles: &BTreeSet<&str>,
    out: &mut Unknown,
) {
    if let Some(own) = &claims.own {
        let name = || string(obj, "name").unwrap_or_default();
        scan_claims(catalog, || format!("agent {id} ({})", name()), own, out);
    }
    for (at, role) in obj
        .get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let (Some(role), Some(held)) = (role.as_object(), claims.item(at))
            && let Some(id) = any_id(role)
            && !fetched_roles.contains(id.as_str())
        {
            scan_claims(
                catalog,
                || format!("role {id} ({})", string(role, "name").unwrap_or_default()),
                held,
                out,
            );
        }
    }
}
