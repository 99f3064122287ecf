//! An agent's item for one permission: the value wanted, how the agent gets it (a flag, a
//! level, a team or a role), and the operation that sets it.

use std::collections::BTreeSet;

use crate::catalog::{ClaimValue, Derived, Kind, PermissionDef, Source};
use crate::tenant::{Agent, Effective, Origin, Value};

use super::{
    Builder, Item, Operation, Status, Unresolved, Want, agent_place, condition, current_text,
    needed_by, requirement_ids, value_text,
};

impl Builder<'_> {
    #[allow(clippy::too_many_lines)]
    pub(super) fn agent_item(
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
                    // A level Halo offers but whose stored number no source gives is set in the
                    // UI by its words: the plan writes no claim value it would have to guess.
                    match catalog.claim_raw(perm, written) {
                        Some(value) => {
                            base.operation = Some(Operation::SetAgentClaim {
                                agent: agent.id,
                                claim: claim.clone(),
                                value,
                            });
                        }
                        None => {
                            let words = value_text(catalog, perm, target);
                            base.note = Some(match base.note.take() {
                                Some(n) => format!(
                                    "{n}; no source gives the number Halo stores for {words}: set it in Halo's UI"
                                ),
                                None => format!(
                                    "no source gives the number Halo stores for {words}: set it in Halo's UI"
                                ),
                            });
                        }
                    }
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
            Source::Derived(Derived::DepartmentViewAll) => {
                base.instruction = "set the agent's membership of the department the integration works in to View All (Configuration > Teams & Agents > Agents > the agent > Departments)".to_owned();
                if exact.is_some_and(|v| want.accepts(v)) {
                    base.status = Status::Keep;
                    items.push(base);
                } else {
                    unresolved(
                        self,
                        "the integrations want a department membership level changed: which department, and View All or Modify All, is a choice the plan does not make".to_owned(),
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
