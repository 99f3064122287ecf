//! Roles in a plan: the roles to take away from an agent, and the role a set names.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::Source;
use crate::check;
use crate::ruleset::{Expect, Requirement, RuleSet};
use crate::tenant::{Agent, Origin, Value};

use super::{
    Builder, Item, Need, Operation, Status, Unresolved, Want, agent_place, condition, need,
    needed_by, requirement_ids, value_text,
};

impl Builder<'_> {
    /// Roles to take away from the agent: all of them when a set wants an agent without roles,
    /// and each role that raises a permission above what the sets allow. Pushes their items.
    pub(super) fn role_removals(
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
    pub(super) fn named_role_item(
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
}
