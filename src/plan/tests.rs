//! Plan unit tests on hand-built tenants: merging per application and per agent, attribution,
//! conflicts, conditions, roles that raise a permission too high.

use std::path::Path;

use serde_json::{Value as Json, json};

use super::*;
use crate::ruleset::{self, RuleFile};
use crate::snapshot::{self, Snapshot};

fn catalog() -> &'static Catalog {
    Catalog::builtin().unwrap()
}

fn set(id: &str, pattern: &str, requirements: &str) -> String {
    format!(
        r#"
id: {id}
title: {id} integration
sources: [{{url: "https://vendor.example/{id}", retrieved: 2026-11-24}}]
binding: {{application_name: ["{pattern}"]}}
requirements:
{requirements}
"#
    )
}

fn library(sets: &[String]) -> Library {
    let mut files: Vec<RuleFile> = sets
        .iter()
        .enumerate()
        .map(|(i, text)| RuleFile {
            name: format!("set{i}.yaml"),
            text: text.clone(),
            builtin: false,
        })
        .collect();
    files.push(RuleFile {
        name: "rules/baseline.yaml".into(),
        text: include_str!("../../rules/baseline.yaml").into(),
        builtin: true,
    });
    ruleset::load(&files, catalog()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn tenant(agents: Json, roles: Json, apps: Json) -> Tenant {
    let mut snap = Snapshot::new(snapshot::Instance {
        url: Some("https://t.example".into()),
        tenant: None,
    });
    // A human agent whose claim the catalog reads, so that an integration agent without a claim
    // holds nothing (rather than everything being unreadable, which the plan leaves unresolved).
    let mut agents = agents;
    if let Some(list) = agents.as_array_mut() {
        let mut reader = agent(999, json!([{"type": "l4", "value": "0"}]), json!([]));
        reader["name"] = json!("Human Reader");
        reader["isapiagent"] = json!(false);
        list.push(reader);
    }
    snap.objects.agents = Some(agents);
    snap.objects.roles = Some(roles);
    snap.objects.teams = Some(json!([{"id": 1, "name": "Desk", "inactive": false}]));
    snap.objects.applications = Some(apps);
    snapshot::normalise(&snap, catalog(), Path::new("t.json")).unwrap()
}

fn agent(id: i64, claims: Json, roles: Json) -> Json {
    json!({"id": id, "name": format!("Agent {id}"), "isdisabled": false, "isapiagent": true, "is_admin": false,
           "team": "", "roles": roles, "teams": [{"team_id": 1, "team_name": "Desk"}], "clients": [],
           "tickettypes": [], "assettypes": [], "assetfields": [], "claims": claims})
}

fn app(id: &str, name: &str, scopes: &[&str], agent: i64) -> Json {
    json!({"id": id, "displayName": name, "inactive": false, "loginas_agent_id": agent,
           "scopes": scopes.iter().map(|s| json!({"name": s})).collect::<Vec<_>>()})
}

fn make(t: Option<&Tenant>, lib: &Library, sets: &[&str]) -> Plan {
    let selection = Selection {
        sets: sets.iter().map(|s| (*s).to_owned()).collect(),
        ..Selection::default()
    };
    plan(t, lib, catalog(), &selection).unwrap()
}

fn item<'p>(plan: &'p Plan, permission: &str) -> &'p Item {
    plan.items()
        .find(|i| i.permission == permission)
        .unwrap_or_else(|| panic!("no item {permission}"))
}

const ALPHA: &str = r#"  - {id: alpha.read-tickets, title: t, permission: "scope:read:tickets", expect: yes, source: {quote: q}}
  - {id: alpha.customers, title: t, permission: Customers, expect: Read Only, source: {quote: q}}
  - {id: alpha.no-delete, title: t, permission: Can delete tickets, expect: no, severity: warning, source: {quote: q}}"#;

const BETA: &str = r#"  - {id: beta.read-tickets, title: t, permission: "scope:read:tickets", expect: yes, source: {quote: q}}
  - {id: beta.read-assets, title: t, permission: "scope:read:assets", expect: yes, source: {quote: q}}
  - {id: beta.assets, title: t, permission: Assets, expect: {at_least: Read Only}, source: {quote: q}}
  - {id: beta.kb, title: t, permission: "scope:read:kb", expect: yes, condition: "the KB sync is used", source: {quote: q}}"#;

#[test]
fn sets_sharing_an_application_are_merged_and_each_grant_is_attributed() {
    let lib = library(&[set("alpha", "Shared*", ALPHA), set("beta", "Shared*", BETA)]);
    let t = tenant(
        json!([agent(7, json!([{"type": "Ux", "value": "2"}]), json!([]))]),
        json!([]),
        json!([app(
            "a1",
            "Shared Sync",
            &["read:tickets", "edit:tickets"],
            7
        )]),
    );
    let p = make(Some(&t), &lib, &["alpha", "beta"]);
    assert_eq!(p.applications.len(), 1);
    assert_eq!(p.applications[0].sets, ["alpha", "beta"]);
    assert_eq!(p.agents.len(), 1);
    assert_eq!(p.agents[0].sets, ["alpha", "beta"]);
    let tickets = item(&p, "scope:read:tickets");
    assert_eq!(tickets.status, Status::Keep);
    assert_eq!(tickets.needed_by, ["alpha", "beta"]);
    assert_eq!(
        tickets.requirements,
        ["alpha.read-tickets", "beta.read-tickets"]
    );
    let assets = item(&p, "scope:read:assets");
    assert_eq!(
        (assets.status, &assets.needed_by[..]),
        (Status::Add, &["beta".to_owned()][..])
    );
    let edit = item(&p, "scope:edit:tickets");
    assert_eq!(edit.status, Status::Remove);
    assert!(edit.needed_by.is_empty());
    let kb = item(&p, "scope:read:kb");
    assert_eq!(kb.condition.as_deref(), Some("the KB sync is used"));
    let level = item(&p, "feature.assets");
    assert_eq!(
        (level.status, level.wanted.as_str()),
        (Status::Add, "at least Read Only")
    );
    assert_eq!(
        level.operation,
        Some(Operation::SetAgentClaim {
            agent: 7,
            claim: "Dx".into(),
            value: "1".into()
        })
    );
    // The baseline's policy on ticket deletion is not added twice: alpha already says no.
    let delete = item(&p, "ticket.can_delete");
    assert_eq!(delete.needed_by, ["alpha"]);
    assert!(p.unresolved.is_empty(), "{:?}", p.unresolved);
}

#[test]
fn applications_sharing_an_agent_get_one_agent_plan() {
    let lib = library(&[set("alpha", "Alpha*", ALPHA), set("beta", "Beta*", BETA)]);
    let t = tenant(
        json!([agent(7, json!([]), json!([]))]),
        json!([]),
        json!([
            app("a1", "Alpha App", &["read:tickets"], 7),
            app("b1", "Beta App", &["read:tickets", "read:assets"], 7)
        ]),
    );
    let p = make(Some(&t), &lib, &["alpha", "beta"]);
    assert_eq!(p.applications.len(), 2);
    assert_eq!(p.agents.len(), 1);
    assert_eq!(p.agents[0].applications, ["Alpha App", "Beta App"]);
    assert_eq!(item(&p, "feature.customers").needed_by, ["alpha"]);
    assert_eq!(item(&p, "feature.assets").needed_by, ["beta"]);
}

#[test]
fn conflicting_levels_on_a_shared_agent_are_unresolved_not_hidden() {
    let gamma = r#"  - {id: gamma.customers, title: t, permission: Customers, expect: Read and Modify, source: {quote: q}}"#;
    let lib = library(&[
        set("alpha", "Shared*", ALPHA),
        set("gamma", "Shared*", gamma),
    ]);
    let t = tenant(
        json!([agent(7, json!([{"type": "Ux", "value": "2"}]), json!([]))]),
        json!([]),
        json!([app("a1", "Shared Sync", &["read:tickets"], 7)]),
    );
    let p = make(Some(&t), &lib, &["alpha", "gamma"]);
    let customers = item(&p, "feature.customers");
    assert_eq!(customers.status, Status::Add);
    assert_eq!(
        customers.operation,
        Some(Operation::SetAgentClaim {
            agent: 7,
            claim: "Ux".into(),
            value: "3".into()
        })
    );
    assert_eq!(p.unresolved.len(), 1, "{:?}", p.unresolved);
    assert_eq!(p.unresolved[0].sets, ["alpha", "gamma"]);
}

#[test]
fn a_role_raising_a_level_too_high_is_removed_and_its_needed_grants_moved_to_the_agent() {
    let lib = library(&[set("alpha", "Shared*", ALPHA)]);
    let roles = json!([{"id": "g-1", "name": "Power", "claims": [{"type": "Ux", "value": "3"}]}]);
    let t = tenant(
        json!([agent(7, json!([]), json!([{"id": "g-1", "name": "Power"}]))]),
        roles,
        json!([app("a1", "Shared Sync", &["read:tickets"], 7)]),
    );
    let p = make(Some(&t), &lib, &["alpha"]);
    let role = item(&p, "role:g-1");
    assert_eq!(role.status, Status::Remove);
    assert_eq!(
        role.operation,
        Some(Operation::RemoveAgentRole {
            agent: 7,
            role: "g-1".into()
        })
    );
    assert!(role.note.as_deref().unwrap().contains("raises Customers"));
    let customers = item(&p, "feature.customers");
    assert_eq!(customers.status, Status::Remove);
    assert_eq!(
        customers.current.as_deref(),
        Some("Read and Modify (through role Power)")
    );
    assert_eq!(
        customers.operation,
        Some(Operation::SetAgentClaim {
            agent: 7,
            claim: "Ux".into(),
            value: "2".into()
        })
    );
}

#[test]
fn choices_the_plan_cannot_make_are_unresolved() {
    let delta = r#"  - {id: delta.default-team, title: t, permission: agent.default_team, expect: yes, source: {quote: q}}
  - {id: delta.teams, title: t, permission: teams.all, expect: no, source: {quote: q}}"#;
    let lib = library(&[set("delta", "Delta*", delta)]);
    let t = tenant(
        json!([agent(7, json!([]), json!([]))]),
        json!([]),
        json!([app("a1", "Delta", &[], 7)]),
    );
    let p = make(Some(&t), &lib, &["delta"]);
    let reasons: Vec<&str> = p.unresolved.iter().map(|u| u.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("Default Team")));
    assert!(reasons.iter().any(|r| r.contains("which team to leave")));
    assert!(p.items().all(|i| i.permission != "agent.default_team"));
}

#[test]
fn a_team_the_guide_does_not_name_is_kept_when_held_and_unresolved_when_not() {
    let echo =
        r#"  - {id: echo.team, title: t, permission: teams.any, expect: yes, source: {quote: q}}"#;
    let lib = library(&[set("echo", "Echo*", echo)]);
    let mut teamless = agent(8, json!([]), json!([]));
    teamless["teams"] = json!([]);
    let t = tenant(
        json!([agent(7, json!([]), json!([])), teamless]),
        json!([]),
        json!([app("a1", "Echo", &[], 7), app("a2", "Echo Two", &[], 8)]),
    );
    let p = make(Some(&t), &lib, &["echo"]);
    // Agent 7 is in team Desk: kept, with no operation.
    let kept: Vec<&Item> = p.items().filter(|i| i.permission == "teams.any").collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].status, Status::Keep);
    assert!(kept[0].operation.is_none());
    // Agent 8 is in no team: which team is the vendor's to name.
    assert_eq!(p.unresolved.len(), 1, "{:?}", p.unresolved);
    assert!(
        p.unresolved[0].reason.contains("which one"),
        "{:?}",
        p.unresolved
    );
    assert_eq!(p.unresolved[0].subject.as_deref(), Some("agent `Agent 8`"));
}

#[test]
fn a_wanted_default_team_the_agent_has_is_kept_not_removed() {
    let golf = r#"  - {id: golf.default-team, title: t, permission: agent.default_team, expect: yes, source: {quote: q}}"#;
    let lib = library(&[set("golf", "Golf*", golf)]);
    let mut with_team = agent(7, json!([]), json!([]));
    with_team["team"] = json!("Desk");
    let t = tenant(
        json!([with_team]),
        json!([]),
        json!([app("a1", "Golf", &[], 7)]),
    );
    let p = make(Some(&t), &lib, &["golf"]);
    let it = item(&p, "agent.default_team");
    assert_eq!(it.status, Status::Keep);
    assert!(it.operation.is_none(), "{it:?}");
    assert!(p.unresolved.is_empty(), "{:?}", p.unresolved);
}

#[test]
fn per_team_ticks_are_set_on_every_membership() {
    let foxtrot = r#"  - {id: foxtrot.unassigned, title: t, permission: teams.see_unassigned, expect: yes, source: {quote: q}}
  - {id: foxtrot.others, title: t, permission: teams.see_other_agents, expect: yes, source: {quote: q}}"#;
    let lib = library(&[set("foxtrot", "Foxtrot*", foxtrot)]);
    let mut ticked = agent(7, json!([]), json!([]));
    ticked["teams"][0]["otheragent_access"] = json!(true);
    ticked["teams"][0]["unassigned_access"] = json!(false);
    let t = tenant(
        json!([ticked]),
        json!([]),
        json!([app("a1", "Foxtrot", &[], 7)]),
    );
    let p = make(Some(&t), &lib, &["foxtrot"]);
    let unassigned = item(&p, "teams.see_unassigned");
    assert_eq!(unassigned.status, Status::Add);
    assert_eq!(
        unassigned.operation,
        Some(Operation::SetAgentTeamFlag {
            agent: 7,
            field: "unassigned_access".into(),
            value: true
        })
    );
    assert!(
        unassigned
            .instruction
            .starts_with("tick \"Can see Unassigned Tickets")
    );
    let others = item(&p, "teams.see_other_agents");
    assert_eq!(others.status, Status::Keep);
    assert!(others.operation.is_none());
}

#[test]
fn a_set_matching_no_application_is_planned_as_one_to_create() {
    let lib = library(&[set("alpha", "Alpha*", ALPHA)]);
    let t = tenant(json!([]), json!([]), json!([]));
    let p = make(Some(&t), &lib, &["alpha"]);
    assert_eq!(p.applications.len(), 1);
    assert!(!p.applications[0].exists);
    assert_eq!(p.applications[0].subject.name, "Alpha");
    let setup = p.applications[0].setup.as_deref().unwrap();
    assert!(setup.starts_with("no API application matches"), "{setup}");
    assert!(!p.agents[0].exists);
    assert!(
        p.items()
            .all(|i| i.status == Status::Set && i.operation.is_none())
    );
}

#[test]
fn named_roles_are_kept_removed_or_left_to_the_user() {
    let hotel = r#"  - {id: hotel.role, title: t, permission: "role:Hotel*", expect: yes, source: {quote: q}}
  - {id: hotel.not-admin, title: t, permission: "role:Administrator", expect: no, source: {quote: q}}
  - {id: hotel.customers, title: t, permission: Customers, expect: Read Only, source: {quote: q}}"#;
    let lib = library(&[set("hotel", "Hotel*", hotel)]);
    let roles = json!([
        {"id": "g-h", "name": "Hotel Role", "claims": [{"type": "Ux", "value": "3"}]},
        {"id": "g-a", "name": "Administrator", "claims": []}
    ]);
    let held = json!([{"id": "g-h", "name": "Hotel Role"}, {"id": "g-a", "name": "Administrator"}]);
    let t = tenant(
        json!([agent(7, json!([]), held)]),
        roles.clone(),
        json!([app("a1", "Hotel Sync", &[], 7)]),
    );
    let p = make(Some(&t), &lib, &["hotel"]);
    // The named role is held: kept, even though it raises Customers above Read Only, which is
    // left to the user rather than planned away with the role.
    assert_eq!(item(&p, "role:Hotel*").status, Status::Keep);
    assert!(p.items().all(|i| i.permission != "role:g-h"), "{p:?}");
    assert!(
        p.unresolved.iter().any(|u| u
            .reason
            .starts_with("role `Hotel Role` is named by an integration")),
        "{:?}",
        p.unresolved
    );
    // The role that must not be held is removed.
    let admin = item(&p, "role:g-a");
    assert_eq!(admin.status, Status::Remove);
    assert_eq!(
        admin.operation,
        Some(Operation::RemoveAgentRole {
            agent: 7,
            role: "g-a".into()
        })
    );

    // Without the named role: which role to assign is the user's call.
    let t = tenant(
        json!([agent(7, json!([]), json!([]))]),
        roles,
        json!([app("a1", "Hotel Sync", &[], 7)]),
    );
    let p = make(Some(&t), &lib, &["hotel"]);
    assert!(
        p.unresolved
            .iter()
            .any(|u| u.reason.contains("named like `Hotel*` (it holds no roles)")),
        "{:?}",
        p.unresolved
    );
    assert_eq!(item(&p, "role:Administrator").status, Status::Keep);
}

#[test]
fn unknown_current_values_are_unresolved_never_to_add() {
    // No claim anywhere that the catalog reads: the agent's feature access cannot be known.
    let mut snap = Snapshot::new(snapshot::Instance {
        url: Some("https://t.example".into()),
        tenant: None,
    });
    snap.objects.agents = Some(json!([agent(
        7,
        json!([{"type": "PermissionsV2", "value": "x"}]),
        json!([])
    )]));
    snap.objects.roles = Some(json!([]));
    snap.objects.teams = Some(json!([{"id": 1, "name": "Desk", "inactive": false}]));
    snap.objects.applications = Some(json!([app("a1", "Alpha Sync", &["read:tickets"], 7)]));
    let t = snapshot::normalise(&snap, catalog(), Path::new("t.json")).unwrap();
    let lib = library(&[set(
        "alpha",
        "Alpha*",
        "  - {id: alpha.customers, title: t, permission: Customers, expect: Read Only, source: {quote: q}}\n  - {id: alpha.tickets, title: t, permission: \"scope:read:tickets\", expect: yes, source: {quote: q}}",
    )]);
    let p = make(Some(&t), &lib, &["alpha"]);
    assert!(
        !p.items()
            .any(|i| i.permission == "feature.customers" && i.status != Status::Keep),
        "an unknown value is not a to-do item"
    );
    let unresolved: Vec<&Unresolved> = p
        .unresolved
        .iter()
        .filter(|u| u.requirements.contains(&"alpha.customers".to_owned()))
        .collect();
    assert_eq!(unresolved.len(), 1, "{:?}", p.unresolved);
    assert!(
        unresolved[0].reason.starts_with(
            "\"Customers\" should be Read Only, but the current value could not be read"
        ),
        "{}",
        unresolved[0].reason
    );
    assert_eq!(unresolved[0].subject.as_deref(), Some("agent `Agent 7`"));
    // The scope, which the snapshot does show, is still a plain to-do item (here: already right).
    assert!(
        p.items()
            .any(|i| i.permission == "scope:read:tickets" && i.status == Status::Keep)
    );
}
