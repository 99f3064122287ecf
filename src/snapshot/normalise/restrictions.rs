//! Permissions derived from the tenant's structure rather than a claim (`source: derived`): team
//! membership and the access restrictions of teams, departments, clients, ticket and asset types.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn derived_value(
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
                let inherited = inherited_teams(memberships);
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
                            format!("member of {}{inherited}", listed(names, covered.len())),
                            &mut effective,
                        );
                    }
                    return effective;
                }
                let missing = active.len() - covered.len();
                if missing == 0 {
                    set(
                        true,
                        format!("member of all {} active teams{inherited}", active.len()),
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
        Derived::DepartmentViewAll => department_view_all(ctx, obj, perm, &mut effective),
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
pub(super) fn team_structure<'c>(
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

pub(super) fn restriction(
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

/// The numbers of `departments[].membershiplevel` that are known, with the level's words and
/// whether it includes View All. Only Modify All = 2 is seen (a live 2026 tenant).
const MEMBERSHIP_LEVELS: &[(i64, &str, bool)] = &[(2, "Modify All", true)];

/// "department X" or "department X (through role R)": a department row with a `role_id` is
/// inherited from that role.
fn department_label(ctx: &Context<'_>, row: &Map<String, Value>) -> String {
    let name = string(row, "department_name")
        .or_else(|| int(row, "department_id").map(|id| format!("#{id}")))
        .unwrap_or_else(|| "?".to_owned());
    match inherited_from(ctx, row) {
        Some(role) => format!("department {name} (through role {role})"),
        None => format!("department {name}"),
    }
}

/// The role a team or department row is inherited from (`role_name`, else `role_id` looked up
/// among the fetched roles), or `None` for the agent's own row.
pub(super) fn inherited_from(ctx: &Context<'_>, row: &Map<String, Value>) -> Option<String> {
    if let Some(name) = string(row, "role_name").filter(|s| !s.trim().is_empty()) {
        return Some(name);
    }
    let id = match row.get("role_id") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return None,
    };
    if id.is_empty() || id == "0" || id.chars().all(|c| c == '0' || c == '-') {
        return None;
    }
    Some(
        ctx.roles
            .as_ref()
            .and_then(|roles| roles.get(id.as_str()))
            .map_or(id, |r| r.name.clone()),
    )
}

/// Department membership at View All or above: Yes when a membership's level is one known to
/// include it, No when the agent is in no department, else unverifiable with the numbers seen.
fn department_view_all(
    ctx: &Context<'_>,
    obj: &Map<String, Value>,
    perm: &PermissionDef,
    effective: &mut Effective,
) {
    let rows: Vec<&Map<String, Value>> = match obj.get("departments") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        _ => {
            effective.unknown.push(
                "the agent's department memberships (`departments`) are not in the snapshot"
                    .to_owned(),
            );
            return;
        }
    };
    if rows.is_empty() {
        effective.add(Contribution {
            origin: Origin::Structure,
            evidence: "in no department".to_owned(),
            value: PermValue::Flag(false),
            confidence: perm.confidence,
        });
        return;
    }
    let mut undecided: Vec<String> = Vec::new();
    for row in &rows {
        match int(row, "membershiplevel") {
            Some(level) => match MEMBERSHIP_LEVELS.iter().find(|(n, _, _)| *n == level) {
                Some((_, words, true)) => {
                    effective.add(Contribution {
                        origin: Origin::Structure,
                        evidence: format!(
                            "{}: membershiplevel {level} = {words}, which includes View All (inferred from the words)",
                            department_label(ctx, row)
                        ),
                        value: PermValue::Flag(true),
                        confidence: Confidence::Assumed,
                    });
                    return;
                }
                Some(_) => {}
                None => undecided.push(format!(
                    "{}: membershiplevel {level}",
                    department_label(ctx, row)
                )),
            },
            None => undecided.push(format!(
                "{}: no `membershiplevel`",
                department_label(ctx, row)
            )),
        }
    }
    if undecided.is_empty() {
        effective.add(Contribution {
            origin: Origin::Structure,
            evidence: "no department membership at View All or above".to_owned(),
            value: PermValue::Flag(false),
            confidence: perm.confidence,
        });
    } else {
        undecided.truncate(5);
        effective.unknown.push(format!(
            "{}; only membershiplevel 2 (Modify All) is decoded, so whether another number is View All is not known",
            undecided.join(", ")
        ));
    }
}

/// "; team T through role R, ..." for the memberships inherited from a role (at most five named).
fn inherited_teams(memberships: &[Membership]) -> String {
    let rows: Vec<String> = memberships
        .iter()
        .filter_map(|m| {
            m.via_role
                .as_ref()
                .map(|r| format!("team {} through role {r}", m.team_name))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let more = rows.len().saturating_sub(5);
    let mut text = format!(" ({}", rows[..rows.len().min(5)].join(", "));
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text.push(')');
    text
}
