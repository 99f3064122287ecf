//! The normaliser's tests: whole documents in, tenants out.

use serde_json::json;

use super::*;
use crate::snapshot::{Instance, Snapshot};

fn catalog() -> &'static Catalog {
    Catalog::builtin().unwrap()
}

/// The label of a level value of a catalog permission.
fn level_label(key: &str, value: PermValue) -> String {
    let Some((_, perm)) = catalog().permission(key) else {
        panic!("{key}")
    };
    match value {
        PermValue::Level(l) => catalog().level_label(perm, l),
        PermValue::Flag(b) => b.to_string(),
    }
}

fn snap(agents: Value) -> Snapshot {
    let mut s = Snapshot::new(Instance::default());
    s.objects.agents = Some(agents);
    s.objects.teams =
        Some(json!([{"id": 1, "name": "Desk"}, {"id": 2, "name": "Old", "inactive": true}]));
    s.objects.roles = Some(
        json!({"record_count": 1, "roles": [{"id": "g-1", "name": "Billing", "claims": [{"type": "Xx", "value": "2"}]}]}),
    );
    s
}

fn norm(s: &Snapshot) -> Tenant {
    normalise(s, catalog(), Path::new("s.json")).unwrap()
}

fn full_agent() -> Value {
    json!({"id": 3, "name": "Api", "isdisabled": false, "isapiagent": true, "is_admin": true, "team": "Desk",
           "roles": [{"id": "g-1", "name": "Billing"}], "teams": [{"team_id": 1, "team_name": "Desk", "role_id": "g-1", "role_name": "Billing"}],
           "clients": [{"client_id": 5, "client_name": "Acme"}], "tickettypes": [], "assettypes": [], "assetfields": [],
           "claims": [{"type": "Xx", "value": "1"}, {"type": "l4", "value": "0"}]})
}

#[test]
fn bare_arrays_and_list_envelopes_give_the_same_tenant() {
    let bare = norm(&snap(json!([full_agent()])));
    let enveloped = norm(&snap(json!({"record_count": 1, "agents": [full_agent()]})));
    assert_eq!(
        serde_json::to_value(&bare.agents).unwrap(),
        serde_json::to_value(&enveloped.agents).unwrap()
    );
    assert_eq!(bare.roles().len(), 1, "roles came in an envelope");
}

#[test]
fn fields_are_read_with_their_chains() {
    let t = norm(&snap(json!([full_agent()])));
    let a = t.agent(3).unwrap();
    assert_eq!(
        (a.enabled, a.api_only, a.admin),
        (Some(true), Some(true), Some(true))
    );
    let invoices = a.permission("feature.invoices").unwrap();
    assert_eq!(
        invoices.value.map(|v| level_label("feature.invoices", v)),
        Some("Read and Modify".to_owned()),
        "the role's level wins over the agent's"
    );
    assert_eq!(invoices.contributions.len(), 2);
    assert!(
        matches!(&invoices.decisive().unwrap().origin, Origin::Role { name, .. } if name == "Billing")
    );
    assert_eq!(
        a.permission("teams.all").unwrap().value,
        Some(PermValue::Flag(true)),
        "inactive teams do not count"
    );
    assert_eq!(
        a.permission("restrict.all_customers").unwrap().value,
        Some(PermValue::Flag(false))
    );
    assert_eq!(
        a.permission("agent.default_team").unwrap().value,
        Some(PermValue::Flag(true))
    );
    assert_eq!(
        a.permission("agent.has_roles").unwrap().value,
        Some(PermValue::Flag(true))
    );
    assert_eq!(
        a.permission("ticket.can_delete").unwrap().value,
        Some(PermValue::Flag(false))
    );
    // Absent claim, encoding in use: the lowest setting, recorded as an assumption.
    let crm = a.permission("feature.crm").unwrap();
    assert_eq!(crm.value, Some(PermValue::Level(0)));
    assert_eq!(crm.confidence(), Confidence::Assumed);
    assert_eq!(
        a.teams.as_ref().unwrap()[0].via_role.as_deref(),
        Some("Billing")
    );
}

#[test]
fn all_teams_counts_memberships_by_id_or_name_and_lists_a_few_missing_teams() {
    let teams: Vec<Value> = (1..=30)
        .map(|i| json!({"id": i, "name": format!("T{i:02}"), "inactive": i == 30}))
        .collect();
    let member = |memberships: Value| {
        let mut s = snap(json!([{"id": 3, "name": "A", "teams": memberships}]));
        s.objects.teams = Some(Value::Array(teams.clone()));
        norm(&s)
    };
    // By id, by name only, and an inactive team (which does not count).
    let t = member(json!([{"team_id": 1}, {"team_name": "T02"}, {"team_id": 30}]));
    let all = t.agent(3).unwrap().permission("teams.all").unwrap();
    assert_eq!(all.value, Some(PermValue::Flag(false)));
    assert_eq!(
        all.contributions[0].evidence,
        "not a member of: T03, T04, T05, T06, T07, T08, T09, T10, T11, T12 and 17 more"
    );
    let every: Vec<Value> = teams[..29]
        .iter()
        .map(|t| json!({"team_id": t["id"], "team_name": t["name"]}))
        .collect();
    let t = member(Value::Array(every));
    let all = t.agent(3).unwrap().permission("teams.all").unwrap();
    assert_eq!(all.value, Some(PermValue::Flag(true)));
    assert_eq!(
        all.contributions[0].evidence,
        "member of all 29 active teams"
    );
    let any = t.agent(3).unwrap().permission("teams.any").unwrap();
    assert_eq!(any.value, Some(PermValue::Flag(true)));
    assert_eq!(
        any.contributions[0].evidence,
        "member of T01, T02, T03, T04, T05, T06, T07, T08, T09, T10 and 19 more"
    );
}

#[test]
fn per_team_ticks_must_be_on_in_every_active_team() {
    let teams = json!([{"id": 1, "name": "Desk"}, {"id": 2, "name": "NOC"}, {"id": 3, "name": "Old", "inactive": true}]);
    let see = |memberships: Value| {
        let mut s = snap(json!([{"id": 3, "name": "A", "teams": memberships}]));
        s.objects.teams = Some(teams.clone());
        let t = norm(&s);
        let e = t
            .agent(3)
            .unwrap()
            .permission("teams.see_unassigned")
            .unwrap()
            .clone();
        (
            e.value,
            e.contributions.first().map(|c| c.evidence.clone()),
            e.unknown,
        )
    };
    let on =
        |id: i64, name: &str| json!({"team_id": id, "team_name": name, "unassigned_access": true});
    // Every active team ticked; an inactive one does not matter.
    let (value, evidence, _) = see(json!([on(1, "Desk"), on(2, "NOC"),
        {"team_id": 3, "team_name": "Old", "unassigned_access": false}]));
    assert_eq!(value, Some(PermValue::Flag(true)));
    assert_eq!(
        evidence.unwrap(),
        "`unassigned_access` on in all 2 of its active teams"
    );
    // One off decides, even beside a membership that does not say.
    let (value, evidence, _) = see(json!([on(1, "Desk"),
        {"team_id": 2, "team_name": "NOC", "unassigned_access": false}, {"team_name": "Desk"}]));
    assert_eq!(value, Some(PermValue::Flag(false)));
    assert_eq!(evidence.unwrap(), "`unassigned_access` off in team NOC");
    // None off but one that does not say: unknown.
    let (value, _, unknown) = see(json!([on(1, "Desk"), {"team_id": 2, "team_name": "NOC"}]));
    assert_eq!(value, None);
    assert!(unknown[0].contains("team NOC does not say"), "{unknown:?}");
    // In no active team: nothing to see.
    let (value, evidence, _) = see(json!([]));
    assert_eq!(value, Some(PermValue::Flag(false)));
    assert_eq!(evidence.unwrap(), "in no active team");
}

#[test]
fn any_team_needs_one_active_team_by_id_or_name() {
    let teams = json!([{"id": 1, "name": "Support"}, {"id": 2, "name": "Old", "inactive": true}]);
    let any = |memberships: Value| {
        let mut s = snap(json!([{"id": 3, "name": "A", "teams": memberships}]));
        s.objects.teams = Some(teams.clone());
        let t = norm(&s);
        let e = t.agent(3).unwrap().permission("teams.any").unwrap().clone();
        (e.value, e.contributions.first().map(|c| c.evidence.clone()))
    };
    assert_eq!(
        any(json!([{"team_name": "Support"}])),
        (
            Some(PermValue::Flag(true)),
            Some("member of Support".to_owned())
        )
    );
    // Only an inactive team, or none.
    for memberships in [json!([{"team_id": 2}]), json!([])] {
        assert_eq!(
            any(memberships),
            (
                Some(PermValue::Flag(false)),
                Some("in no active team".to_owned())
            )
        );
    }
    // Memberships or teams not fetched: unknown, never a guess.
    let mut s = snap(json!([{"id": 3, "name": "A", "teams": [{"team_id": 1}]}]));
    s.objects.teams = None;
    let t = norm(&s);
    let e = t.agent(3).unwrap().permission("teams.any").unwrap();
    assert_eq!(e.value, None);
    assert!(
        e.unknown[0].contains("teams are not in the snapshot"),
        "{e:?}"
    );
}

#[test]
fn nulls_missing_and_odd_fields_become_unknown_never_guesses() {
    let agent = json!({"id": "4", "name": null, "isdisabled": "no", "is_admin": null, "claims": null, "team": null});
    let t = norm(&snap(json!([agent])));
    let a = t.agent(4).unwrap();
    assert_eq!(a.name, "agent 4");
    assert_eq!(a.enabled, None);
    for key in [
        "agent.enabled",
        "agent.admin",
        "agent.api_only",
        "agent.default_team",
        "agent.has_roles",
        "teams.all",
        "restrict.all_customers",
    ] {
        let e = a.permission(key).unwrap();
        assert_eq!(e.value, None, "{key}");
        assert!(!e.unknown.is_empty(), "{key} has no reason");
    }
    assert!(a.permission("agent.enabled").unwrap().unknown[0].contains("a string"));
    // The role fetched elsewhere makes the claim encoding "in use", but this agent's own claims are null.
    assert!(
        a.permission("feature.invoices")
            .unwrap()
            .unknown
            .iter()
            .any(|u| u.contains("the agent's claims"))
    );
}

#[test]
fn unknown_claim_types_and_values_are_listed() {
    let mut agent = full_agent();
    agent["claims"] = json!([{"type": "feature.widgets", "value": "2"}, {"type": "Xx", "value": "99"}, {"type": "Ex", "value": 1}]);
    let t = norm(&snap(json!([agent])));
    let reasons: Vec<(&str, &str)> = t
        .unknown_claims
        .iter()
        .map(|c| (c.claim_type.as_str(), c.reason.as_str()))
        .collect();
    assert!(
        reasons.contains(&("feature.widgets", "claim type not in the catalog")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(t, r)| *t == "Xx" && r.contains("not in the catalog's table")),
        "{reasons:?}"
    );
    assert_eq!(
        reasons.len(),
        2,
        "a numeric value is read like its string: {reasons:?}"
    );
    let invoices = t.agent(3).unwrap().permission("feature.invoices").unwrap();
    assert_eq!(
        invoices.value.map(|v| level_label("feature.invoices", v)),
        Some("Read and Modify".to_owned()),
        "the role still counts"
    );
    assert!(
        !invoices.unknown.is_empty(),
        "the unreadable claim makes the value a lower bound"
    );
    assert_eq!(
        t.agent(3).unwrap().permission("feature.crm").unwrap().value,
        Some(PermValue::Level(1))
    );
}

#[test]
fn structural_corruption_is_an_error_naming_the_place() {
    for (agents, pointer) in [
        (json!("nope"), "/objects/agents"),
        (json!([1]), "/objects/agents/0"),
        (json!([{"name": "no id"}]), "/objects/agents/0"),
        (
            json!({"record_count": 1, "a": [], "b": []}),
            "/objects/agents",
        ),
    ] {
        let err = normalise(&snap(agents), catalog(), Path::new("s.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(pointer) && err.contains("s.json"), "{err}");
    }
}

#[test]
fn collections_not_fetched_stay_unknown() {
    let t = norm(&Snapshot::new(Instance::default()));
    assert!(t.agents.is_none() && t.applications.is_none());
    let mut s = snap(json!([full_agent()]));
    s.objects.teams = None;
    let t = norm(&s);
    assert!(
        t.agent(3)
            .unwrap()
            .permission("teams.all")
            .unwrap()
            .value
            .is_none()
    );
}

#[test]
fn applications_read_scopes_in_either_shape() {
    let mut s = snap(json!([]));
    s.objects.applications = Some(json!([
        {"id": "x", "displayName": "A", "inactive": true, "loginas_agent_id": 0, "scopes": [{"name": "read:tickets"}, "edit:tickets", {"name": " "}]},
        {"id": 12, "name": "B"},
    ]));
    let t = norm(&s);
    let a = &t.applications()[0];
    assert_eq!(
        a.scopes.as_deref(),
        Some(&["edit:tickets".to_owned(), "read:tickets".to_owned()][..])
    );
    assert_eq!((a.active, a.login_agent_id), (Some(false), None));
    let b = &t.applications()[1];
    assert_eq!(
        (b.id.as_str(), b.name.as_str(), b.scopes.is_none(), b.active),
        ("12", "B", true, None)
    );
}

#[test]
fn no_secret_from_the_input_survives_a_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    let mut s = snap(
        json!([{"id": 1, "name": "A", "password": "SECRET-1", "new_access_token": "SECRET-2",
        "orion_password": "SECRET-3", "new_ncentral_key": "SECRET-4", "nested": {"apiKey": "SECRET-5"}}]),
    );
    s.objects.applications = Some(
        json!([{"id": "a", "displayName": "X", "clientSecret": "SECRET-6",
        "tokens": [{"value": "SECRET-7"}], "authorizations": [{"refresh_token": "SECRET-8"}]}]),
    );
    s.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("SECRET-"), "{text}");
    let loaded = crate::snapshot::parse(&std::fs::read(&path).unwrap(), &path).unwrap();
    assert!(loaded.redacted.contains(&"clientSecret".to_owned()));
    // A snapshot written by someone else is stripped on load too.
    std::fs::write(
        &path,
        text.replace(
            "\"name\": \"A\"",
            "\"name\": \"A\", \"client_secret\": \"SECRET-9\"",
        ),
    )
    .unwrap();
    let loaded = crate::snapshot::parse(&std::fs::read(&path).unwrap(), &path).unwrap();
    assert!(!serde_json::to_string(&loaded).unwrap().contains("SECRET-9"));
}
