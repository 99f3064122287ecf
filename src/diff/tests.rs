//! Diff unit tests on the fixtures of `fixtures/diff/` and on edited copies of them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value as Json, json};

use super::*;
use crate::snapshot;

const OLD: &str = include_str!("../../fixtures/diff/old.json");
const NEW: &str = include_str!("../../fixtures/diff/new.json");

fn catalog() -> &'static Catalog {
    Catalog::builtin().unwrap()
}

fn tenant(value: &Json) -> Tenant {
    let bytes = serde_json::to_vec(value).unwrap();
    let snap = snapshot::parse(&bytes, Path::new("s.json")).unwrap();
    snapshot::normalise(&snap, catalog(), Path::new("s.json")).unwrap()
}

fn fixture(text: &str) -> Json {
    serde_json::from_str(text).unwrap()
}

fn run(old: &Json, new: &Json) -> Diff {
    diff(&tenant(old), &tenant(new), catalog())
}

fn pairs(diff: &Diff) -> BTreeMap<(SubjectKind, ChangeKind), Vec<String>> {
    let mut out: BTreeMap<(SubjectKind, ChangeKind), Vec<String>> = BTreeMap::new();
    for c in &diff.changes {
        out.entry((c.subject.kind, c.kind))
            .or_default()
            .push(c.message.clone());
    }
    out
}

#[test]
fn each_kind_of_change_appears_exactly_once() {
    use ChangeKind as K;
    use SubjectKind as S;
    let d = run(&fixture(OLD), &fixture(NEW));
    let expected: Vec<(SubjectKind, ChangeKind)> = vec![
        (S::Application, K::Created),
        (S::Application, K::Deleted),
        (S::Application, K::Enabled),
        (S::Application, K::Disabled),
        (S::Application, K::Renamed),
        (S::Application, K::ScopeAdded),
        (S::Application, K::ScopeRemoved),
        (S::Application, K::LoginAgentChanged),
        (S::Agent, K::Created),
        (S::Agent, K::Deleted),
        (S::Agent, K::Enabled),
        (S::Agent, K::Disabled),
        (S::Agent, K::Renamed),
        (S::Agent, K::AdminGranted),
        (S::Agent, K::AdminRevoked),
        (S::Agent, K::ApiOnlySet),
        (S::Agent, K::ApiOnlyCleared),
        (S::Agent, K::LevelRaised),
        (S::Agent, K::LevelLowered),
        (S::Agent, K::PermissionGranted),
        (S::Agent, K::PermissionRevoked),
        (S::Agent, K::TeamJoined),
        (S::Agent, K::TeamLeft),
        (S::Agent, K::RoleAssigned),
        (S::Agent, K::RoleRemoved),
        (S::Agent, K::DefaultTeamChanged),
        (S::Agent, K::UnrecognisedClaimChanged),
        (S::Team, K::Created),
        (S::Team, K::Deleted),
        (S::Team, K::Enabled),
        (S::Team, K::Disabled),
        (S::Team, K::Renamed),
        (S::Role, K::Created),
        (S::Role, K::Deleted),
        (S::Role, K::Renamed),
        (S::Role, K::LevelRaised),
        (S::Role, K::LevelLowered),
        (S::Role, K::PermissionGranted),
        (S::Role, K::PermissionRevoked),
        (S::Role, K::UnrecognisedClaimChanged),
    ];
    let found = pairs(&d);
    for (key, messages) in &found {
        assert_eq!(
            messages.len(),
            1,
            "{key:?} appears {} times: {messages:#?}",
            messages.len()
        );
    }
    let found_keys: Vec<_> = found.keys().copied().collect();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(found_keys, expected_sorted);
    assert_eq!(d.changes.len(), 40);
    assert!(d.not_compared.is_empty(), "{:#?}", d.not_compared);
    // Every kind the diff knows is exercised by the fixture.
    let kinds: std::collections::BTreeSet<ChangeKind> = expected.iter().map(|(_, k)| *k).collect();
    assert_eq!(kinds.len(), 22);
    assert_eq!(
        (
            d.count(Class::Widened),
            d.count(Class::Narrowed),
            d.count(Class::Neutral)
        ),
        (14, 13, 13)
    );
}

#[test]
fn changes_name_the_chain_that_decided_them() {
    let d = run(&fixture(OLD), &fixture(NEW));
    let find = |kind: ChangeKind, name: &str| {
        d.changes
            .iter()
            .find(|c| c.kind == kind && c.subject.name == name)
            .unwrap_or_else(|| panic!("no {kind:?} for {name}"))
    };
    let ava = find(ChangeKind::LevelRaised, "Ava Stone");
    assert_eq!(
        ava.message,
        "agent `Ava Stone` gained Invoices: Read and Modify through role Billing (was Read Only)"
    );
    assert_eq!(ava.class, Class::Widened);
    assert_eq!(ava.permission.as_deref(), Some("feature.invoices"));
    assert!(
        ava.chain
            .iter()
            .any(|c| c == "after: role Billing: claim Xx = \"2\" → Read and Modify"),
        "{:?}",
        ava.chain
    );
    let bob = find(ChangeKind::LevelLowered, "Bob Reyes");
    assert_eq!(bob.class, Class::Narrowed);
    assert!(
        bob.message
            .contains("was Read and Modify through role Service Desk"),
        "{}",
        bob.message
    );
    let monitoring = find(ChangeKind::LoginAgentChanged, "Monitoring");
    assert_eq!(monitoring.class, Class::Widened);
    assert!(
        monitoring
            .message
            .contains("Customers: Read Only → Read and Modify")
    );
    let leads = find(ChangeKind::LevelRaised, "Helpdesk Leads");
    assert_eq!(leads.subject.kind, SubjectKind::Role);
    assert!(
        leads.message.contains("held by `Dana Kim`"),
        "{}",
        leads.message
    );
}

#[test]
fn cosmetic_changes_are_not_drift() {
    let old = fixture(OLD);
    let mut noisy = old.clone();
    noisy["fetched_at"] = json!("2026-12-01T00:00:00Z");
    noisy["requests"]["total"] = json!(999);
    let agents = noisy["objects"]["agents"].as_array_mut().unwrap();
    for agent in agents.iter_mut() {
        agent["lastlogindate"] = json!("2026-12-01T07:00:00Z");
        agent["isonline"] = json!(true);
        agent["onlinestatus"] = json!(3);
        if let Some(claims) = agent["claims"].as_array_mut() {
            claims.reverse();
        }
    }
    agents.reverse();
    let agents = noisy["objects"]["agents"].take();
    noisy["objects"]["agents"] = json!({"record_count": 21, "agents": agents});
    for team in noisy["objects"]["teams"].as_array_mut().unwrap() {
        team["ticket_count"] = json!(1234);
    }
    for app in noisy["objects"]["applications"].as_array_mut().unwrap() {
        for scope in app["scopes"].as_array_mut().unwrap() {
            scope["id"] = json!(scope["id"].as_i64().unwrap() + 500);
        }
    }
    let d = run(&old, &noisy);
    assert!(d.changes.is_empty(), "{:#?}", d.changes);
    assert!(!d.is_drift());
}

/// The `integrations` scope: only applications, their login agents and those agents' roles.
fn integrations_scope(full: &Json) -> Json {
    let mut partial = full.clone();
    partial["scope"] = json!("integrations");
    let logins: Vec<i64> = full["objects"]["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["loginas_agent_id"].as_i64())
        .collect();
    let all_agents = match &full["objects"]["agents"] {
        Json::Array(items) => items.clone(),
        other => other["agents"].as_array().unwrap().clone(),
    };
    let agents: Vec<Json> = all_agents
        .into_iter()
        .filter(|a| logins.contains(&a["id"].as_i64().unwrap()))
        .collect();
    let held: Vec<String> = agents
        .iter()
        .flat_map(|a| a["roles"].as_array().unwrap().clone())
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let roles: Vec<Json> = full["objects"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| held.contains(&r["id"].as_str().unwrap().to_owned()))
        .cloned()
        .collect();
    partial["objects"]["agents"] = Json::Array(agents);
    partial["objects"]["roles"] = Json::Array(roles);
    partial["objects"].as_object_mut().unwrap().remove("teams");
    partial
}

#[test]
fn what_an_integrations_snapshot_did_not_fetch_is_unknown_not_deleted() {
    let full = fixture(NEW);
    let partial = integrations_scope(&full);
    for (old, new) in [(&partial, &full), (&full, &partial)] {
        let d = run(old, new);
        assert!(d.changes.is_empty(), "{:#?}", d.changes);
        let what: Vec<&str> = d.not_compared.iter().map(|n| n.what.as_str()).collect();
        assert!(what.contains(&"teams"), "{what:?}");
        assert!(
            what.iter()
                .any(|w| w.starts_with("presence of") && w.ends_with("agents")),
            "{what:?}"
        );
        assert!(
            what.iter()
                .any(|w| w.starts_with("presence of") && w.ends_with("roles")),
            "{what:?}"
        );
    }
    // Against last month's full snapshot, the application changes are all found, and no agent,
    // team or role outside the integrations scope is reported as created or deleted.
    let d = run(&fixture(OLD), &partial);
    let full_diff = run(&fixture(OLD), &full);
    let apps = |d: &Diff| -> Vec<String> {
        d.changes
            .iter()
            .filter(|c| c.subject.kind == SubjectKind::Application)
            .map(|c| c.message.clone())
            .collect()
    };
    assert_eq!(apps(&d), apps(&full_diff));
    assert!(
        !d.changes
            .iter()
            .any(|c| c.subject.kind != SubjectKind::Application
                && matches!(c.kind, ChangeKind::Created | ChangeKind::Deleted)),
        "{:#?}",
        d.changes
    );
}

#[test]
fn unreadable_values_are_not_compared_rather_than_changed() {
    let old = fixture(OLD);
    let mut new = old.clone();
    for agent in new["objects"]["agents"].as_array_mut().unwrap() {
        if agent["id"] == 13 {
            agent["claims"] = Json::Null;
        }
    }
    let d = run(&old, &new);
    assert!(d.changes.is_empty(), "{:#?}", d.changes);
    assert!(
        d.not_compared
            .iter()
            .any(|n| n.what.ends_with("of 1 agent") && n.reason.contains("NEW")),
        "{:#?}",
        d.not_compared
    );
    let mut no_apps = old.clone();
    no_apps["objects"]
        .as_object_mut()
        .unwrap()
        .remove("applications");
    let d = run(&old, &no_apps);
    assert!(
        d.changes
            .iter()
            .all(|c| c.subject.kind != SubjectKind::Application)
    );
    assert!(
        d.not_compared
            .iter()
            .any(|n| n.what == "applications" && n.reason.contains("NEW snapshot")),
        "{:#?}",
        d.not_compared
    );
}

#[test]
fn applications_are_matched_by_client_id_when_their_id_changes() {
    let old = fixture(OLD);
    let mut new = old.clone();
    new["objects"]["applications"][0]["id"] = json!("fresh-id");
    let d = run(&old, &new);
    assert!(d.changes.is_empty(), "{:#?}", d.changes);
}
