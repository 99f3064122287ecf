//! What an effective permission says about a requirement: whether its value meets it, and the
//! description, chain of evidence, assumptions and fix a finding shows.

use crate::catalog::{Catalog, Confidence, Kind, PermissionDef, Source};
use crate::ruleset::{Expect, Requirement};
use crate::tenant::{Agent, Effective, Origin, Value};

use super::finding::{Basis, Grade, Status};

/// A requirement's outcome, and whether it rests on levels that are not comparable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Decision {
    pub(super) status: Status,
    /// The effective level and the required one are not ordered (the status is then
    /// `Unverifiable` when nothing else decides it).
    pub(super) incomparable: bool,
}

pub(super) fn decide(
    expect: Expect,
    effective: &Effective,
    perm: &PermissionDef,
    excess_levels: bool,
) -> Decision {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let decided = |status| Decision {
        status,
        incomparable: false,
    };
    let complete = effective.unknown.is_empty();
    let maxima: Vec<usize> = effective
        .maxima()
        .filter_map(|v| match v {
            Value::Level(l) => Some(l),
            Value::Flag(_) => None,
        })
        .collect();
    let undecided = Decision {
        status: Status::Unverifiable,
        incomparable: true,
    };
    match (expect, effective.value) {
        (Expect::Granted, Some(Value::Flag(true))) => decided(Status::Passed),
        (Expect::NotGranted, Some(Value::Flag(true))) => decided(Status::Excessive),
        (
            Expect::AtLeast {
                level,
                allow_higher,
            },
            Some(Value::Level(_)),
        ) => {
            let order: Vec<Option<std::cmp::Ordering>> =
                maxima.iter().map(|&m| perm.compare(m, level)).collect();
            if order.iter().any(|o| matches!(o, Some(Greater | Equal))) {
                let report_excess = excess_levels && !allow_higher;
                if report_excess && order.contains(&Some(Greater)) {
                    decided(Status::Excessive)
                } else if report_excess && order.contains(&None) {
                    undecided
                } else {
                    decided(Status::Passed)
                }
            } else if order.contains(&None) {
                undecided
            } else if !complete {
                decided(Status::Unverifiable)
            } else {
                decided(Status::Missing)
            }
        }
        (Expect::AtMost(level), Some(Value::Level(_))) => {
            let order: Vec<Option<std::cmp::Ordering>> =
                maxima.iter().map(|&m| perm.compare(m, level)).collect();
            if order.contains(&Some(Greater)) {
                decided(Status::Excessive)
            } else if order.contains(&None) {
                undecided
            } else if !complete {
                decided(Status::Unverifiable)
            } else {
                debug_assert!(order.iter().all(|o| matches!(o, Some(Less | Equal))));
                decided(Status::Passed)
            }
        }
        _ if !complete => decided(Status::Unverifiable),
        (Expect::Granted, _) | (Expect::AtLeast { .. }, _) => decided(Status::Missing),
        (Expect::NotGranted | Expect::AtMost(_), _) => decided(Status::Passed),
    }
}

/// What a decision on an effective permission rests on: the contributions that decide it (those
/// reaching the effective value when the value is high enough to pass or to be excessive; every
/// contribution when the decision is that nothing reaches it) and the weakest of their grades.
pub(super) fn basis(
    catalog: &Catalog,
    perm: &PermissionDef,
    effective: &Effective,
    expect: Expect,
    status: Status,
) -> Basis {
    if status == Status::Unverifiable {
        return Basis::plain(Grade::Undecided);
    }
    let high_enough = match status {
        Status::Excessive => true,
        Status::Passed => matches!(expect, Expect::Granted | Expect::AtLeast { .. }),
        Status::Missing | Status::Unverifiable => false,
    };
    let maxima: Vec<Value> = effective.maxima().collect();
    let deciding: Vec<&crate::tenant::Contribution> = effective
        .contributions
        .iter()
        .filter(|c| !high_enough || maxima.contains(&c.value))
        .collect();
    let Some(weakest) = deciding.iter().map(|c| c.confidence).min() else {
        return Basis::because(
            Grade::Assumed,
            format!(
                "nothing in the snapshot sets \"{}\": read as not granted",
                perm.label
            ),
        );
    };
    if weakest == Confidence::Assumed {
        let assumed = deciding
            .iter()
            .find(|c| c.confidence == Confidence::Assumed);
        let why = match assumed {
            Some(c) if c.evidence.starts_with("no ") && c.origin == Origin::Agent => format!(
                "{}: read as {}",
                c.evidence,
                value_text(catalog, perm, c.value)
            ),
            _ if perm.confidence == Confidence::Assumed => perm.note.clone().unwrap_or_else(|| {
                format!("the mapping of \"{}\" to the API is assumed", perm.label)
            }),
            Some(c) => effective.notes.first().cloned().unwrap_or_else(|| {
                format!(
                    "{}: read as {}",
                    c.evidence,
                    value_text(catalog, perm, c.value)
                )
            }),
            None => format!("\"{}\" is read by assumption", perm.label),
        };
        return Basis::because(Grade::Assumed, why);
    }
    if let Some(place) = &perm.user_source {
        return Basis::because(Grade::Overlay, format!("catalog overlay {place}"));
    }
    if let Some(c) = deciding.iter().find(|c| c.origin == Origin::Structure) {
        return Basis::because(Grade::Implied, c.evidence.clone());
    }
    Basis::plain(Grade::Seen)
}

pub(super) fn value_text(catalog: &Catalog, perm: &PermissionDef, value: Value) -> String {
    match value {
        Value::Flag(true) => "Yes".to_owned(),
        Value::Flag(false) => "No".to_owned(),
        Value::Level(l) => catalog.level_label(perm, l),
    }
}

/// "Read and Modify (through role Billing)".
pub(super) fn describe(catalog: &Catalog, perm: &PermissionDef, effective: &Effective) -> String {
    let one = |value: Value| {
        let text = value_text(catalog, perm, value);
        match effective.contributions.iter().find(|c| c.value == value) {
            Some(c) => match &c.origin {
                Origin::Role { name, .. } => format!("{text} (through role {name})"),
                Origin::Structure => format!("{text} ({})", c.evidence),
                Origin::Agent => text,
            },
            None => text,
        }
    };
    if effective.value.is_none() {
        return "unknown".to_owned();
    }
    effective
        .maxima()
        .map(one)
        .collect::<Vec<_>>()
        .join(" and ")
}

pub(super) fn chain(catalog: &Catalog, perm: &PermissionDef, effective: &Effective) -> Vec<String> {
    let mut out: Vec<String> = effective
        .contributions
        .iter()
        .map(|c| {
            let who = match &c.origin {
                Origin::Agent => "agent".to_owned(),
                Origin::Role { name, .. } => format!("role {name}"),
                Origin::Structure => "structure".to_owned(),
            };
            format!(
                "{who}: {} → {}",
                c.evidence,
                value_text(catalog, perm, c.value)
            )
        })
        .collect();
    out.extend(effective.unknown.iter().map(|u| format!("unknown: {u}")));
    out
}

pub(super) fn assumptions(
    catalog: &Catalog,
    perm: &PermissionDef,
    effective: &Effective,
) -> Vec<String> {
    let mut out: Vec<String> = effective.notes.clone();
    let weakest = effective
        .contributions
        .iter()
        .map(|c| c.confidence)
        .min()
        .unwrap_or(Confidence::Confirmed);
    if let Some(place) = &perm.user_source
        && matches!(perm.source, Source::Claim(_))
    {
        out.push(format!(
            "\"{}\" is read as your catalog overlay ({place}) says",
            perm.label
        ));
    } else if weakest == Confidence::Observed {
        let cite = perm
            .cite
            .as_deref()
            .and_then(|c| catalog.cited(c).map(|text| (c, text)));
        out.push(match cite {
            Some((key, _)) => format!(
                "observed: the claim code and value table of \"{}\" come from public third-party tooling that decodes Halo's database (`{key}` in the catalog), not from Halo",
                perm.label
            ),
            None => format!(
                "observed: the claim code of \"{}\" comes from public third-party tooling, not from Halo",
                perm.label
            ),
        });
    }
    if weakest == Confidence::Assumed {
        if let Some(note) = &perm.note {
            out.push(note.clone());
        } else if perm.confidence == Confidence::Assumed {
            out.push(format!(
                "the mapping of \"{}\" to the API is assumed",
                perm.label
            ));
        }
        if effective
            .contributions
            .iter()
            .any(|c| c.confidence == Confidence::Assumed && c.evidence.starts_with("no "))
        {
            out.push(format!(
                "no claim for \"{}\" on the agent or its roles is read as the lowest setting (assumed: Halo may not store a claim for it)",
                perm.label
            ));
        }
    }
    out.dedup();
    out
}

pub(super) fn fix_text(
    catalog: &Catalog,
    perm: &PermissionDef,
    requirement: &Requirement,
    agent: &Agent,
    effective: &Effective,
) -> String {
    let target = match requirement.expect {
        Expect::Granted => "Yes".to_owned(),
        Expect::NotGranted => "No".to_owned(),
        Expect::AtLeast { level, .. } | Expect::AtMost(level) => catalog.level_label(perm, level),
    };
    let path = |tail: &str| {
        format!(
            "Configuration > Teams & Agents > Agents > {} > {tail}",
            agent.name
        )
    };
    let place = match perm.section.as_str() {
        "Teams" => path("Teams"),
        "Departments" => path("Departments"),
        "General" => path("Details"),
        "Roles" => path("Roles"),
        section => path(&format!("Permissions > {section}")),
    };
    let mut text = match perm.kind {
        Kind::Flag if perm.key == "teams.all" => {
            format!("add the agent to every active team in {place}")
        }
        Kind::Flag if perm.key.starts_with("role:") => {
            let pattern = perm.key.trim_start_matches("role:");
            if requirement.expect == Expect::NotGranted {
                format!("remove the roles named like `{pattern}` in {place}")
            } else {
                format!(
                    "assign the role `{pattern}` (create it first if the tenant has none) in {place}"
                )
            }
        }
        Kind::Flag if perm.key.starts_with("teams.see_") => format!(
            "{} \"{}\" for each of the agent's teams in {place}",
            if requirement.expect == Expect::NotGranted {
                "untick"
            } else {
                "tick"
            },
            perm.label
        ),
        Kind::Flag if perm.key == "teams.any" => {
            if requirement.expect == Expect::NotGranted {
                format!("remove the agent from every team in {place}")
            } else {
                format!("add the agent to the team the integration works in, in {place}")
            }
        }
        Kind::Flag if perm.key == "agent.has_roles" => {
            let roles = path("Roles");
            if requirement.expect == Expect::NotGranted {
                format!("remove the agent's roles in {roles}")
            } else {
                format!("assign the role the vendor's guide names in {roles}")
            }
        }
        Kind::Flag if perm.key == "agent.default_team" => {
            let details = path("Details");
            if requirement.expect == Expect::NotGranted {
                format!("set the Default Team to \"No Default Team\" in {details}")
            } else {
                format!("choose a Default Team in {details}")
            }
        }
        _ => format!("set \"{}\" to {target} in {place}", perm.label),
    };
    let lowering = matches!(requirement.expect, Expect::NotGranted | Expect::AtMost(_)) || effective.value.is_some_and(|v| matches!((v, requirement.expect), (Value::Level(a), Expect::AtLeast { level, .. }) if a > level));
    if lowering {
        let roles: Vec<&str> = effective
            .contributions
            .iter()
            .filter(|c| Some(c.value) == effective.value)
            .filter_map(|c| match &c.origin {
                Origin::Role { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let agent_raises = effective
            .contributions
            .iter()
            .any(|c| c.origin == Origin::Agent && Some(c.value) == effective.value);
        if !roles.is_empty() && !agent_raises {
            text = format!(
                "lower \"{}\" to {target} on role {} in Configuration > Teams & Agents > Roles (the agent's own setting is not what raises it: an agent's permission is the highest of its own and every role's)",
                perm.label,
                roles.join(", ")
            );
        } else if !roles.is_empty() {
            text.push_str(&format!(", and on role {} (Configuration > Teams & Agents > Roles): an agent's permission is the highest of its own and every role's", roles.join(", ")));
        }
    }
    text
}
