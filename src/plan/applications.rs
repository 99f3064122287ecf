//! The plan of an API application: the scopes the sets bound to it need, and the ones it holds
//! beyond them.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::PermRef;
use crate::check::{Subject, SubjectKind};
use crate::ruleset::{Expect, PolicyCheck, SetKind};

use super::{
    AgentKey, AppGroup, ApplicationPlan, Builder, Item, Need, Operation, Status, condition, need,
    needed_by, planned, requirement_ids, scope_place,
};

impl Builder<'_> {
    pub(super) fn application_plan(&mut self, group: &AppGroup<'_>) -> ApplicationPlan {
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
    pub(super) fn broad_scopes(&self) -> BTreeSet<String> {
        self.library
            .sets
            .iter()
            .filter(|s| s.kind == SetKind::Baseline)
            .flat_map(|s| s.policies.iter())
            .filter(|p| p.check == PolicyCheck::BroadScopeUnneeded)
            .flat_map(|p| p.scopes.iter().cloned())
            .collect()
    }
}
