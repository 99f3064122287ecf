//! The one comparison of named members that every kind of subject shares: match the two lists by
//! stable id (and a second id for applications), then sort what is in one list only into created,
//! deleted, not known (the other snapshot's scope does not cover it) or not comparable (the other
//! snapshot's list was not read whole), and compare the pairs. A kind says only what differs: its
//! list, its ids, its words for created and deleted, and what else it compares in a pair.

use std::collections::BTreeMap;

use crate::check::Subject;
use crate::tenant::Tenant;

use super::{Change, ChangeKind, Class, NotComparable, Run, change, missing_reason, nm, plural};

/// A kind of subject, as the generic comparison sees it.
pub(super) trait Member: Sized {
    /// The stable id the two lists are matched by.
    type Id: Ord;
    /// The list's name in reports (`agents`) and one of it (`agent`).
    const PLURAL: &'static str;
    const NOUN: &'static str;
    /// The endpoint the list is fetched from (its gaps are recorded under it).
    const ENDPOINT: &'static str;

    fn list(tenant: &Tenant) -> Option<&[Self]>;
    fn id(&self) -> Self::Id;
    fn name(&self) -> &str;
    fn subject(&self) -> Subject;
    /// A second id a member left unmatched by [`Member::id`] is matched by (an application's
    /// client id).
    fn second_id(&self) -> Option<&str> {
        None
    }
    /// Why the snapshot `absent_from` (`OLD` or `NEW`, `tenant`) would not list this member even
    /// if the tenant held it (its scope covers only part of the tenant), or `None` when absence
    /// there means absence from the tenant.
    fn unseen(
        run: &Run<'_>,
        tenant: &Tenant,
        absent_from: &'static str,
        member: &Self,
    ) -> Option<String>;
    /// What a rename adds to the sentence (applications: requirement sets bind by name).
    const RENAME_NOTE: &'static str = "";
    fn created(run: &Run<'_>, member: &Self) -> Change;
    fn deleted(run: &Run<'_>, member: &Self) -> Change;
    /// Everything but the name that the kind compares in a pair (the name is compared here).
    fn pair(run: &mut Run<'_>, old: &Self, new: &Self);
}

/// The gap of a list a snapshot did not read whole (cut short, over a limit, an id listed twice).
pub(super) fn cut(tenant: &Tenant, endpoint: &str) -> Option<String> {
    let gap = tenant.provenance.gaps.iter().find(|g| {
        g.endpoint == endpoint && crate::snapshot::INCOMPLETE_LIST.contains(&g.reason.as_str())
    })?;
    Some(match &gap.detail {
        Some(detail) => format!("{}: {detail}", gap.reason),
        None => gap.reason.clone(),
    })
}

/// Pairs of members with the same id (the last of a list's copies, as a map keeps it), then pairs
/// by second id among those left; the rest of each list is in it only. Linear in the lists.
fn matched<'t, T: Member>(
    old: &'t [T],
    new: &'t [T],
) -> (Vec<(&'t T, &'t T)>, Vec<&'t T>, Vec<&'t T>) {
    let old_by: BTreeMap<T::Id, &T> = old.iter().map(|m| (m.id(), m)).collect();
    let mut new_by: BTreeMap<T::Id, &T> = new.iter().map(|m| (m.id(), m)).collect();
    let mut pairs = Vec::new();
    let mut old_only = Vec::new();
    for (id, o) in old_by {
        match new_by.remove(&id) {
            Some(n) => pairs.push((o, n)),
            None => old_only.push(o),
        }
    }
    let mut new_only: Vec<&T> = new_by.into_values().collect();
    if old_only.iter().any(|m| m.second_id().is_some()) {
        let mut by_second: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, m) in new_only.iter().enumerate() {
            if let Some(second) = m.second_id() {
                by_second.entry(second).or_default().push(i);
            }
        }
        // Each list of positions is consumed from its front: the first unmatched wins.
        for list in by_second.values_mut() {
            list.reverse();
        }
        let mut taken = vec![false; new_only.len()];
        old_only.retain(|o| {
            let found = o
                .second_id()
                .and_then(|s| by_second.get_mut(s))
                .and_then(Vec::pop);
            match found {
                Some(i) => {
                    taken[i] = true;
                    pairs.push((*o, new_only[i]));
                    false
                }
                None => true,
            }
        });
        let mut i = 0;
        new_only.retain(|_| {
            i += 1;
            !taken[i - 1]
        });
    }
    (pairs, old_only, new_only)
}

impl Run<'_> {
    /// Compares one kind of subject in the two snapshots.
    pub(super) fn members<T: Member>(&mut self) {
        let (old_tenant, new_tenant) = (self.old, self.new);
        let (Some(old), Some(new)) = (T::list(old_tenant), T::list(new_tenant)) else {
            for (tenant, side) in [(old_tenant, "OLD"), (new_tenant, "NEW")] {
                if T::list(tenant).is_none() {
                    let reason = format!(
                        "the {side} snapshot: {}",
                        missing_reason(tenant, T::NOUN, T::ENDPOINT)
                    );
                    self.skip(T::PLURAL, reason);
                }
            }
            return;
        };
        let (pairs, old_only, new_only) = matched(old, new);
        // Why each snapshot's list may lack a member of the other: cut short, or never whole.
        let cuts = [cut(old_tenant, T::ENDPOINT), cut(new_tenant, T::ENDPOINT)];
        let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
        let mut not_comparable = [0usize; 2];
        for (members, listed_in, absent_from, tenant, cut) in [
            (old_only, "OLD", "NEW", new_tenant, &cuts[1]),
            (new_only, "NEW", "OLD", old_tenant, &cuts[0]),
        ] {
            for member in members {
                if let Some(cut) = cut {
                    not_comparable[usize::from(absent_from == "NEW")] += 1;
                    self.not_comparable.push(NotComparable {
                        subject: member.subject(),
                        listed_in: listed_in.to_owned(),
                        reason: format!(
                            "in the {listed_in} snapshot only, and the {absent_from} snapshot's {} list was not read whole ({cut})",
                            T::NOUN
                        ),
                    });
                } else if let Some(why) = T::unseen(self, tenant, absent_from, member) {
                    *unknown.entry(why).or_default() += 1;
                } else if listed_in == "OLD" {
                    let c = T::deleted(self, member);
                    self.changes.push(c);
                } else {
                    let c = T::created(self, member);
                    self.changes.push(c);
                }
            }
        }
        for (why, count) in unknown {
            self.skip(&format!("presence of {}", plural(count, T::NOUN)), why);
        }
        for (side, cut, count) in [
            ("OLD", &cuts[0], not_comparable[0]),
            ("NEW", &cuts[1], not_comparable[1]),
        ] {
            if let Some(cut) = cut {
                self.skip(
                    &format!("the {} list", T::NOUN),
                    format!(
                        "the {side} snapshot did not read it whole ({cut}): {} absent from it {} not comparable (neither created nor deleted), and a change there may be missing",
                        plural(count, T::NOUN),
                        if count == 1 { "is" } else { "are" },
                    ),
                );
            }
        }
        for (o, n) in pairs {
            if o.name() != n.name() {
                self.changes.push(change(
                    Class::Neutral,
                    ChangeKind::Renamed,
                    n.subject(),
                    None,
                    Some(nm(o.name()).into_owned()),
                    Some(nm(n.name()).into_owned()),
                    format!(
                        "{} `{}` was renamed `{}`{}",
                        T::NOUN,
                        nm(o.name()),
                        nm(n.name()),
                        T::RENAME_NOTE
                    ),
                    Vec::new(),
                ));
            }
            T::pair(self, o, n);
        }
    }
}
