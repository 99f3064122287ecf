//! The plan of a login agent: what the sets of the applications logging in as it want of each
//! permission, merged, and the agent's items.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::PermRef;
use crate::check::{Subject, SubjectKind};
use crate::ruleset::{Expect, PolicyCheck, Requirement, RuleSet, SetKind};
use crate::tenant::Value;

use super::{
    AgentGroup, AgentKey, AgentPlan, Builder, Need, Unresolved, Want, need, needed_by, planned,
    requirement_ids,
};

impl Builder<'_> {
    /// What the sets (and the baseline's policies) want of each agent permission.
    pub(super) fn wants(&self, group: &AgentGroup<'_>) -> BTreeMap<usize, Want> {
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
        // Baseline policies that concern an integration agent: no ticket deletion, no escalation
        // (administrator, roles, SQL data sources, password fields, impersonation) unless a chosen
        // set asks for them, and an API-only agent rather than one a person can sign in with.
        for baseline in self
            .library
            .sets
            .iter()
            .filter(|s| s.kind == SetKind::Baseline)
        {
            for policy in &baseline.policies {
                let (key, granted) = match policy.check {
                    PolicyCheck::DeleteTicketsUnneeded
                    | PolicyCheck::CreateRolesUnneeded
                    | PolicyCheck::SqlDataSourcesUnneeded
                    | PolicyCheck::PasswordFieldsUnneeded
                    | PolicyCheck::ImpersonationIntegration => (
                        policy.check.agent_right().unwrap_or("ticket.can_delete"),
                        false,
                    ),
                    // Every agent planned here is an integration's login agent.
                    PolicyCheck::AdminApiAgent => ("agent.admin", false),
                    PolicyCheck::LoginAgentWebSignIn => ("agent.api_only", true),
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
                        lower: granted.then_some(Value::Flag(true)),
                        upper: (!granted).then_some(Value::Flag(false)),
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

    pub(super) fn agent_plan(&mut self, group: &AgentGroup<'_>) -> AgentPlan {
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
        let wants = self.wants(group);
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
}
