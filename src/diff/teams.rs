//! Drift of teams: matched by id; their active state (the name is compared by the generic
//! comparison, [`super::members`]).

use crate::check::{Subject, SubjectKind};
use crate::tenant::{Team, Tenant};

use super::members::Member;
use super::{Change, ChangeKind, Class, Run, change, nm, partial, subject};

impl Member for Team {
    type Id = i64;
    const PLURAL: &'static str = "teams";
    const NOUN: &'static str = "team";
    const ENDPOINT: &'static str = "/api/Team";

    fn list(tenant: &Tenant) -> Option<&[Self]> {
        tenant.teams.as_deref()
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn subject(&self) -> Subject {
        subject(SubjectKind::Team, self.id, &self.name)
    }

    fn unseen(run: &Run<'_>, _: &Tenant, _: &'static str, _: &Self) -> Option<String> {
        (partial(run.old) || partial(run.new)).then(|| {
            "one snapshot's scope is `integrations`: its team list is not the tenant's".to_owned()
        })
    }

    fn deleted(_: &Run<'_>, team: &Self) -> Change {
        change(
            Class::Neutral,
            ChangeKind::Deleted,
            team.subject(),
            None,
            None,
            None,
            format!("team `{}` was deleted", nm(&team.name)),
            Vec::new(),
        )
    }

    fn created(_: &Run<'_>, team: &Self) -> Change {
        change(
            Class::Neutral,
            ChangeKind::Created,
            team.subject(),
            None,
            None,
            None,
            format!(
                "team `{}` was created{}",
                nm(&team.name),
                if team.inactive { " inactive" } else { "" }
            ),
            Vec::new(),
        )
    }

    fn pair(run: &mut Run<'_>, o: &Self, n: &Self) {
        if o.inactive != n.inactive {
            let (kind, verb) = if n.inactive {
                (ChangeKind::Disabled, "was deactivated")
            } else {
                (ChangeKind::Enabled, "was reactivated")
            };
            run.changes.push(change(
                Class::Neutral,
                kind,
                n.subject(),
                None,
                Some(if o.inactive { "inactive" } else { "active" }.to_owned()),
                Some(if n.inactive { "inactive" } else { "active" }.to_owned()),
                format!(
                    "team `{}` {verb} (\"member of all teams\" counts active teams only)",
                    nm(&n.name)
                ),
                Vec::new(),
            ));
        }
    }
}
