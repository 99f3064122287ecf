//! Drift of teams: matched by id; their members.

use std::collections::BTreeMap;

use crate::check::SubjectKind;
use crate::tenant::Team;

use super::{ChangeKind, Class, Run, change, missing_reason, partial, plural, subject};

impl Run<'_> {
    pub(super) fn teams(&mut self) {
        let (Some(old), Some(new)) = (&self.old.teams, &self.new.teams) else {
            for (tenant, side) in [(self.old, "OLD"), (self.new, "NEW")] {
                if tenant.teams.is_none() {
                    let reason = format!(
                        "the {side} snapshot: {}",
                        missing_reason(tenant, "team", "/api/Team")
                    );
                    self.skip("teams", reason);
                }
            }
            return;
        };
        let old_by: BTreeMap<i64, &Team> = old.iter().map(|t| (t.id, t)).collect();
        let new_by: BTreeMap<i64, &Team> = new.iter().map(|t| (t.id, t)).collect();
        let presence = !partial(self.old) && !partial(self.new);
        let mut unknown = 0;
        for (id, team) in &old_by {
            if new_by.contains_key(id) {
                continue;
            }
            if !presence {
                unknown += 1;
                continue;
            }
            self.changes.push(change(
                Class::Neutral,
                ChangeKind::Deleted,
                subject(SubjectKind::Team, id, &team.name),
                None,
                None,
                None,
                format!("team `{}` was deleted", team.name),
                Vec::new(),
            ));
        }
        for (id, team) in &new_by {
            if old_by.contains_key(id) {
                continue;
            }
            if !presence {
                unknown += 1;
                continue;
            }
            self.changes.push(change(
                Class::Neutral,
                ChangeKind::Created,
                subject(SubjectKind::Team, id, &team.name),
                None,
                None,
                None,
                format!(
                    "team `{}` was created{}",
                    team.name,
                    if team.inactive { " inactive" } else { "" }
                ),
                Vec::new(),
            ));
        }
        if unknown > 0 {
            self.skip(
                &format!("presence of {}", plural(unknown, "team")),
                "one snapshot's scope is `integrations`: its team list is not the tenant's"
                    .to_owned(),
            );
        }
        for (id, o) in &old_by {
            let Some(n) = new_by.get(id) else { continue };
            let subj = subject(SubjectKind::Team, id, &n.name);
            if o.name != n.name {
                self.changes.push(change(
                    Class::Neutral,
                    ChangeKind::Renamed,
                    subj.clone(),
                    None,
                    Some(o.name.clone()),
                    Some(n.name.clone()),
                    format!("team `{}` was renamed `{}`", o.name, n.name),
                    Vec::new(),
                ));
            }
            if o.inactive != n.inactive {
                let (kind, verb) = if n.inactive {
                    (ChangeKind::Disabled, "was deactivated")
                } else {
                    (ChangeKind::Enabled, "was reactivated")
                };
                self.changes.push(change(
                    Class::Neutral,
                    kind,
                    subj,
                    None,
                    Some(if o.inactive { "inactive" } else { "active" }.to_owned()),
                    Some(if n.inactive { "inactive" } else { "active" }.to_owned()),
                    format!(
                        "team `{}` {verb} (\"member of all teams\" counts active teams only)",
                        n.name
                    ),
                    Vec::new(),
                ));
            }
        }
    }
}
