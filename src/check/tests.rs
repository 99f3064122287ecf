//! Engine unit tests on hand-built tenants.

use std::path::Path;

use serde_json::{Value as Json, json};

use super::*;
use crate::ruleset::{self, RuleFile};
use crate::snapshot::{self, Snapshot};

fn catalog() -> &'static Catalog {
    Catalog::builtin().unwrap()
}

const SET: &str = r#"
id: demo-set
title: Demo integration
sources: [{url: "https://vendor.example/halo", retrieved: 2026-11-24}]
binding: {application_name: ["Demo*"]}
requirements:
  - {id: demo.read-tickets, title: t, permission: "scope:read:tickets", expect: yes, source: {quote: q}}
  - {id: demo.customers, title: t, permission: Customers, expect: Read Only, source: {quote: q}}
  - {id: demo.no-delete, title: t, permission: Can delete tickets, expect: no, severity: warning, source: {quote: q}}
  - {id: demo.api-only, title: t, permission: agent.api_only, expect: yes, source: {quote: q}}
"#;

fn library(extra: &[&str]) -> Library {
    let mut files = vec![RuleFile {
        name: "demo.yaml".into(),
        text: SET.into(),
        builtin: false,
    }];
    files.extend(extra.iter().enumerate().map(|(i, t)| RuleFile {
        name: format!("extra{i}.yaml"),
        text: (*t).to_owned(),
        builtin: false,
    }));
    files.push(RuleFile {
        name: "rules/baseline.yaml".into(),
        text: include_str!("../../rules/baseline.yaml").into(),
        builtin: true,
    });
    ruleset::load(&files, catalog()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn agent(id: i64, claims: Json, roles: Json) -> Json {
    json!({"id": id, "name": format!("Agent {id}"), "isdisabled": false, "isapiagent": true, "is_admin": false,
           "team": "", "roles": roles, "teams": [{"team_id": 1, "team_name": "Desk"}], "clients": [],
           "tickettypes": [], "assettypes": [], "assetfields": [], "claims": claims})
}

/// Two healthy administrators (people with a second factor who signed in the day before the
/// snapshot) beside the agents a test builds, as every tenant has: the baseline's hygiene checks
/// then stay quiet unless a test is about them.
fn with_administrators(mut agents: Json) -> Json {
    if let Some(list) = agents.as_array_mut() {
        for (id, name) in [(9001, "Ann Admin"), (9002, "Bob Admin")] {
            list.push(
                json!({"id": id, "name": name, "isdisabled": false, "isapiagent": false,
                "is_admin": true, "twofactor_enabled": true, "useadlogin": false,
                "lastlogindate": "2026-11-19T09:00:00", "team": "Desk", "roles": [],
                "teams": [{"team_id": 1, "team_name": "Desk"}], "clients": [], "tickettypes": [],
                "assettypes": [], "assetfields": [], "claims": []}),
            );
        }
    }
    agents
}

fn tenant(agents: Json, roles: Json, apps: Json) -> crate::tenant::Tenant {
    let mut snap = Snapshot::new(snapshot::Instance {
        url: Some("https://t.example".into()),
        tenant: None,
    });
    snap.fetched_at = Some("2026-11-20T09:00:00Z".into());
    snap.objects.agents = Some(with_administrators(agents));
    snap.objects.roles = Some(roles);
    snap.objects.teams = Some(json!([{"id": 1, "name": "Desk", "inactive": false}]));
    snap.objects.applications = Some(apps);
    snapshot::normalise(&snap, catalog(), Path::new("t.json")).unwrap()
}

fn app(scopes: &[&str], agent: i64) -> Json {
    json!({"id": "app-1", "displayName": "Demo Sync", "inactive": false, "loginas_agent_id": agent,
           "scopes": scopes.iter().map(|s| json!({"name": s})).collect::<Vec<_>>()})
}

fn run(t: &crate::tenant::Tenant, sets: &[&str]) -> Outcome {
    let selection = Selection {
        sets: sets.iter().map(|s| (*s).to_owned()).collect(),
        ..Selection::default()
    };
    check(t, &library(&[]), catalog(), &selection).unwrap()
}

/// Checks `t` against the set in `text` (id `id`) alone, with the baseline.
fn run_only(t: &crate::tenant::Tenant, text: &str, id: &str) -> Outcome {
    let selection = Selection {
        sets: vec![id.to_owned()],
        ..Selection::default()
    };
    check(t, &library(&[text]), catalog(), &selection).unwrap()
}

fn codes(outcome: &Outcome) -> Vec<(String, String)> {
    outcome
        .findings
        .iter()
        .map(|f| {
            (
                f.code.as_str().to_owned(),
                f.requirement
                    .clone()
                    .or_else(|| f.permission.clone())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_tenant_set_up_as_documented_has_no_findings() {
    let t = tenant(
        json!([agent(7, json!([{"type": "Ux", "value": "2"}]), json!([]))]),
        json!([]),
        json!([app(&["read:tickets"], 7)]),
    );
    let outcome = run(&t, &[]);
    assert!(outcome.findings.is_empty(), "{:?}", codes(&outcome));
    let set = outcome.sets.iter().find(|s| s.id == "demo-set").unwrap();
    assert_eq!(set.count(Status::Passed), 4);
}

#[test]
fn missing_and_excessive_grants_are_reported_both_ways() {
    let t = tenant(
        json!([agent(
            7,
            json!([{"type": "Ux", "value": "3"}, {"type": "l4", "value": "1"}]),
            json!([])
        )]),
        json!([]),
        json!([app(&["read:customers"], 7)]),
    );
    let found = codes(&run(&t, &[]));
    assert!(
        found.contains(&("missing-grant".into(), "demo.read-tickets".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("excessive-grant".into(), "demo.customers".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("excessive-grant".into(), "demo.no-delete".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("excessive-grant".into(), "scope:read:customers".into())),
        "{found:?}"
    );
    // The baseline does not repeat what the set already reports.
    assert!(
        !found.iter().any(|(c, _)| c == "delete-tickets-unneeded"),
        "{found:?}"
    );
}

#[test]
fn the_all_scope_satisfies_by_assumption_and_is_itself_excessive() {
    let t = tenant(
        json!([agent(7, json!([{"type": "Ux", "value": "2"}]), json!([]))]),
        json!([]),
        json!([app(&["all"], 7)]),
    );
    let outcome = run(&t, &[]);
    let found = codes(&outcome);
    assert!(
        found.contains(&("satisfied-by-assumption".into(), "demo.read-tickets".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("excessive-grant".into(), "scope:all".into())),
        "{found:?}"
    );
    // The set already reports `all` as excessive; the baseline does not say it twice.
    assert!(
        !found.iter().any(|(c, _)| c == "broad-scope-unneeded"),
        "{found:?}"
    );
    let note = outcome
        .findings
        .iter()
        .find(|f| f.code == Code::SatisfiedByAssumption)
        .unwrap();
    assert!(
        note.chain[0].contains("all ⊇ read:tickets"),
        "{:?}",
        note.chain
    );
    assert!(!note.assumptions.is_empty());
}

#[test]
fn effective_permission_is_the_highest_of_agent_and_roles_and_names_the_role() {
    let roles = json!([{"id": "r-1", "name": "Billing", "claims": [{"type": "Ux", "value": "3"}]}]);
    let t = tenant(
        json!([agent(
            7,
            json!([{"type": "Ux", "value": "1"}]),
            json!([{"id": "r-1", "name": "Billing"}])
        )]),
        roles,
        json!([app(&["read:tickets"], 7)]),
    );
    let outcome = run(&t, &[]);
    let f = outcome
        .findings
        .iter()
        .find(|f| f.requirement.as_deref() == Some("demo.customers"))
        .unwrap();
    assert_eq!(f.code, Code::ExcessiveGrant);
    assert_eq!(
        f.actual.as_deref(),
        Some("Read and Modify (through role Billing)")
    );
    assert!(
        f.help.as_deref().unwrap().contains("role Billing"),
        "{:?}",
        f.help
    );
    assert_eq!(f.subject.kind, SubjectKind::Agent);
}

#[test]
fn a_role_alone_can_satisfy_a_requirement() {
    let roles = json!([{"id": "r-1", "name": "Desk", "claims": [{"type": "Ux", "value": "2"}]}]);
    let t = tenant(
        json!([agent(7, json!([]), json!([{"id": "r-1"}]))]),
        roles,
        json!([app(&["read:tickets"], 7)]),
    );
    let outcome = run(&t, &[]);
    assert!(outcome.findings.is_empty(), "{:?}", codes(&outcome));
}

#[test]
fn claims_the_catalog_cannot_read_make_requirements_unverifiable_never_passed() {
    let t = tenant(
        json!([agent(
            7,
            json!([{"type": "PermissionsV2", "value": "x"}]),
            json!([])
        )]),
        json!([]),
        json!([app(&["read:tickets"], 7)]),
    );
    assert!(!t.claims_recognised);
    assert_eq!(t.unknown_claims.len(), 1);
    let outcome = run(&t, &[]);
    let set = outcome.sets.iter().find(|s| s.id == "demo-set").unwrap();
    assert_eq!(
        set.count(Status::Unverifiable),
        2,
        "customers and can-delete"
    );
    assert_eq!(
        set.count(Status::Passed),
        2,
        "the scope and the api-only field"
    );
    assert!(outcome.findings.iter().any(
        |f| f.code == Code::Unverifiable && f.requirement.as_deref() == Some("demo.customers")
    ));
}

#[test]
fn a_missing_role_makes_a_level_a_lower_bound() {
    // The agent holds a role whose details were not fetched: a level reached by the agent alone
    // passes, a level it does not reach is unverifiable rather than missing.
    let t = tenant(
        json!([agent(
            7,
            json!([{"type": "Tx", "value": "1"}]),
            json!([{"id": "ghost", "name": "Ghost"}])
        )]),
        json!([]),
        json!([app(&["read:tickets"], 7)]),
    );
    let eff = t.agent(7).unwrap().permission("feature.customers").unwrap();
    assert_eq!(eff.value, None);
    assert!(
        eff.unknown.iter().any(|u| u.contains("Ghost")),
        "{:?}",
        eff.unknown
    );
    let outcome = run(&t, &[]);
    let set = outcome.sets.iter().find(|s| s.id == "demo-set").unwrap();
    assert_eq!(set.count(Status::Missing), 0);
    assert_eq!(set.count(Status::Unverifiable), 2);
}

#[test]
fn an_explicit_set_without_an_application_is_binding_not_found() {
    let t = tenant(
        json!([agent(7, json!([]), json!([]))]),
        json!([]),
        json!([]),
    );
    let outcome = run(&t, &["demo-set"]);
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.code == Code::BindingNotFound && f.severity == Severity::Error)
    );
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.code == Code::SuspiciousEmptyList)
    );
    // Not asked for: merely not in use.
    let outcome = run(&t, &[]);
    assert!(
        !outcome
            .findings
            .iter()
            .any(|f| f.code == Code::BindingNotFound)
    );
    assert!(
        outcome
            .sets
            .iter()
            .any(|s| s.id == "demo-set" && s.state == SetState::NotInUse)
    );
}

#[test]
fn an_unknown_set_is_a_usage_error_with_a_suggestion() {
    let t = tenant(json!([]), json!([]), json!([]));
    let err = check(
        &t,
        &library(&[]),
        catalog(),
        &Selection {
            sets: vec!["demo-sett".into()],
            ..Selection::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("demo-sett"));
    let CheckError::UnknownSet { help, .. } = err;
    assert!(help.contains("demo-set"), "{help}");
}

#[test]
fn baseline_flags_disabled_login_agents_admin_api_agents_and_inactive_apps() {
    let mut disabled = agent(8, json!([{"type": "Ux", "value": "2"}]), json!([]));
    disabled["isdisabled"] = json!(true);
    let mut admin = agent(9, json!([]), json!([]));
    admin["is_admin"] = json!(true);
    let apps = json!([
        {"id": "a", "displayName": "Forgotten", "inactive": false, "loginas_agent_id": 8, "scopes": [{"name": "read:tickets"}]},
        {"id": "b", "displayName": "Retired", "inactive": true, "loginas_agent_id": 9, "scopes": [{"name": "edit:tickets"}]},
        {"id": "c", "displayName": "Nobody", "inactive": false, "scopes": []},
    ]);
    let t = tenant(json!([disabled, admin]), json!([]), apps);
    let found = codes(&run(&t, &[]));
    for code in [
        "login-agent-disabled",
        "admin-api-agent",
        "inactive-app-with-scopes",
        "login-agent-missing",
    ] {
        assert!(
            found.iter().any(|(c, _)| c == code),
            "{code} not in {found:?}"
        );
    }
}

#[test]
fn an_application_list_gap_is_unverifiable_not_binding_not_found() {
    let mut snap = Snapshot::new(snapshot::Instance::default());
    snap.objects.agents = Some(json!([]));
    snap.gaps.push(snapshot::GapRecord {
        endpoint: "/api/Application".into(),
        status: Some(403),
        reason: "forbidden".into(),
        detail: None,
        object_id: None,
    });
    let t = snapshot::normalise(&snap, catalog(), Path::new("t.json")).unwrap();
    let outcome = run(&t, &["demo-set"]);
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.code == Code::Unverifiable && f.message.contains("403")),
        "{:?}",
        codes(&outcome)
    );
    assert!(
        !outcome
            .findings
            .iter()
            .any(|f| f.code == Code::BindingNotFound)
    );
}

#[test]
fn findings_are_deterministic() {
    let t = tenant(
        json!([agent(7, json!([{"type": "Ux", "value": "3"}]), json!([]))]),
        json!([]),
        json!([app(&["all", "admin"], 7)]),
    );
    let a = run(&t, &[]);
    let b = run(&t, &[]);
    assert_eq!(a.findings, b.findings);
    let mut sorted = a.findings.clone();
    sorted.sort_by_key(Finding::sort_key);
    assert_eq!(sorted, a.findings);
}

#[test]
fn the_baseline_reports_broad_scopes_when_no_set_covers_them() {
    const LAX: &str = r#"
id: lax-set
title: Lax integration
sources: [{url: "https://vendor.example/lax", retrieved: 2026-11-24}]
binding: {application_name: ["Lax*"]}
excess: {scopes: false}
requirements:
  - {id: lax.read-tickets, title: t, permission: "scope:read:tickets", expect: yes, source: {quote: q}}
"#;
    let apps = json!([
        {"id": "l", "displayName": "Lax Sync", "inactive": false, "loginas_agent_id": 7, "scopes": [{"name": "all"}]},
        {"id": "u", "displayName": "Unbound", "inactive": false, "loginas_agent_id": 7, "scopes": [{"name": "admin"}]},
    ]);
    let t = tenant(json!([agent(7, json!([]), json!([]))]), json!([]), apps);
    let outcome = check(&t, &library(&[LAX]), catalog(), &Selection::default()).unwrap();
    let broad: Vec<&str> = outcome
        .findings
        .iter()
        .filter(|f| f.code == Code::BroadScopeUnneeded)
        .map(|f| f.subject.name.as_str())
        .collect();
    assert_eq!(broad, ["Lax Sync", "Unbound"]);
}

#[test]
fn conditional_requirements_are_notes_when_unmet_and_needed_when_met() {
    const OPTIONAL: &str = r#"
id: opt-set
title: Optional feature integration
sources: [{url: "https://vendor.example/opt", retrieved: 2026-11-24}]
binding: {application_name: ["Opt*"]}
requirements:
  - {id: opt.read-tickets, title: t, permission: "scope:read:tickets", expect: yes, source: {quote: q}}
  - {id: opt.read-kb, title: t, permission: "scope:read:kb", expect: yes, condition: "Knowledge Base sync is used", source: {quote: q}}
  - {id: opt.kb-level, title: t, permission: Knowledge Base, expect: Read Only, condition: "Knowledge Base sync is used", source: {quote: q}}
"#;
    let opt_app = |scopes: &[&str]| {
        json!([{"id": "o", "displayName": "Opt Sync", "inactive": false, "loginas_agent_id": 7,
                "scopes": scopes.iter().map(|s| json!({"name": s})).collect::<Vec<_>>()}])
    };
    let select = Selection {
        sets: vec!["opt-set".into()],
        ..Selection::default()
    };
    // Unmet: notes naming the condition, so the check does not fail.
    let t = tenant(
        json!([agent(7, json!([{"type": "Tx", "value": "1"}]), json!([]))]),
        json!([]),
        opt_app(&["read:tickets"]),
    );
    let outcome = check(&t, &library(&[OPTIONAL]), catalog(), &select).unwrap();
    let missing: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.code == Code::MissingGrant)
        .collect();
    assert_eq!(missing.len(), 2, "{:?}", codes(&outcome));
    for f in missing {
        assert_eq!(f.severity, Severity::Note);
        assert!(
            f.message
                .ends_with("(needed only if Knowledge Base sync is used)"),
            "{}",
            f.message
        );
    }
    // Met: the conditional scope is needed, not excessive.
    let t = tenant(
        json!([agent(7, json!([{"type": "Bx", "value": "1"}]), json!([]))]),
        json!([]),
        opt_app(&["read:tickets", "read:kb"]),
    );
    let outcome = check(&t, &library(&[OPTIONAL]), catalog(), &select).unwrap();
    assert!(outcome.findings.is_empty(), "{:?}", codes(&outcome));
}

#[test]
fn baseline_reports_what_it_cannot_decide_instead_of_passing_it() {
    let mut list_view = agent(9, json!([{"type": "Tx", "value": "1"}]), json!([]));
    list_view.as_object_mut().unwrap().remove("is_admin");
    list_view.as_object_mut().unwrap().remove("claims");
    let t = tenant(json!([list_view]), json!([]), json!([]));
    let outcome = run(&t, &[]);
    let f = outcome
        .findings
        .iter()
        .find(|f| f.requirement.as_deref() == Some("baseline.admin-api-agent"))
        .unwrap_or_else(|| panic!("{:?}", codes(&outcome)));
    assert_eq!(f.code, Code::Unverifiable);
    assert!(f.message.contains("administrator"), "{}", f.message);
}

#[test]
fn a_named_role_is_checked_by_name_pattern() {
    const ROLES: &str = r#"
id: role-set
title: Role integration
sources: [{url: "https://vendor.example/roles", retrieved: 2026-11-24}]
binding: {application_name: ["Demo*"]}
requirements:
  - {id: roles.timezest, title: t, permission: "role:TimeZest*", expect: yes, source: {quote: q}}
  - {id: roles.no-admin, title: t, permission: "role:Administrator", expect: no, source: {quote: q}}
"#;
    let lib = library(&[ROLES]);
    let selection = Selection {
        sets: vec!["role-set".to_owned()],
        ..Selection::default()
    };
    let outcome = |roles: Json| {
        let mut a = agent(7, json!([]), json!([]));
        a["roles"] = roles;
        let t = tenant(json!([a]), json!([]), json!([app(&[], 7)]));
        check(&t, &lib, catalog(), &selection).unwrap()
    };
    let role = |id: &str, name: &str| json!({"id": id, "name": name});

    // Held, case ignored, and the other role not held: both pass.
    let o = outcome(json!([role("r1", "timezest role")]));
    assert!(crate::check::role_matches(
        "Dropsuite API*|*SaaS Backup API*",
        "NinjaOne SaaS Backup API role"
    ));
    assert!(crate::check::role_matches(" a* | b* ", "B role"));
    assert!(!crate::check::role_matches("a*||", "role"));
    let mine: Vec<_> = o
        .findings
        .iter()
        .filter(|f| f.requirement_set == "role-set")
        .collect();
    assert!(mine.is_empty(), "{mine:?}");

    // Not held: missing, with the roles it holds and where to assign one.
    let o = outcome(json!([role("r2", "Administrator")]));
    let missing = o
        .findings
        .iter()
        .find(|f| f.requirement.as_deref() == Some("roles.timezest"))
        .unwrap();
    assert_eq!(missing.code.as_str(), "missing-grant");
    assert_eq!(missing.permission.as_deref(), Some("role:TimeZest*"));
    assert_eq!(missing.chain, ["structure: holds only Administrator → No"]);
    assert!(
        missing
            .help
            .as_deref()
            .unwrap()
            .starts_with("assign the role `TimeZest*`")
    );
    // A role that must not be held, held: excessive, through that role.
    let admin = o
        .findings
        .iter()
        .find(|f| f.requirement.as_deref() == Some("roles.no-admin"))
        .unwrap();
    assert_eq!(admin.code.as_str(), "excessive-grant");
    assert_eq!(
        admin.actual.as_deref(),
        Some("Yes (through role Administrator)")
    );

    // The agent's roles not in the snapshot: unverifiable, never passed.
    let mut a = agent(7, json!([]), json!([]));
    a.as_object_mut().unwrap().remove("roles");
    let t = tenant(json!([a]), json!([]), json!([app(&[], 7)]));
    let o = check(&t, &lib, catalog(), &selection).unwrap();
    let codes: Vec<_> = o
        .findings
        .iter()
        .filter(|f| f.requirement_set == "role-set")
        .map(|f| f.code.as_str())
        .collect();
    assert_eq!(codes, ["unverifiable", "unverifiable"]);
}

const TIMESHEETS: &str = r#"
id: ts-set
title: Timesheets integration
sources: [{url: "https://vendor.example/ts", retrieved: 2026-11-24}]
binding: {application_name: ["Demo*"]}
requirements:
  - {id: ts.read, title: t, permission: Timesheets, expect: Read Only, source: {quote: q}}
"#;

/// The finding of requirement `id` for an agent whose own `Hx` claim is `own`, holding a role
/// whose `Hx` is `role` (when given).
fn timesheets(own: &str, role: Option<&str>) -> Vec<Finding> {
    let roles = json!([{"id": "r-1", "name": "Managers", "claims": role.map_or_else(|| json!([]), |v| json!([{"type": "Hx", "value": v}]))}]);
    let t = tenant(
        json!([agent(
            7,
            json!([{"type": "Hx", "value": own}]),
            json!([{"id": "r-1"}])
        )]),
        roles,
        json!([app(&["read:tickets"], 7)]),
    );
    run_only(&t, TIMESHEETS, "ts-set")
        .findings
        .into_iter()
        .filter(|f| f.requirement.as_deref() == Some("ts.read"))
        .collect()
}

#[test]
fn timesheet_levels_are_compared_by_privilege_not_by_number() {
    // 4 = Read and Modify (All) is above Read Only (3): excessive, though only one step up.
    let f = timesheets("4", None);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].code, Code::ExcessiveGrant);
    // 3 = Read Only: exactly what is needed.
    assert!(timesheets("3", None).is_empty());
    // 2 = Read and Modify (Managed) is a larger number than 1 and smaller than 3, but neither
    // above nor below Read Only: not decided, said as an ambiguity, never a pass or a miss.
    for own in ["1", "2"] {
        let f = timesheets(own, None);
        assert_eq!(f.len(), 1, "{own}: {f:?}");
        assert_eq!(f[0].code, Code::AmbiguousRequirement, "{own}");
        assert!(f[0].message.contains("do not rank"), "{}", f[0].message);
    }
    // 0 = No Access is below everything: missing.
    assert_eq!(timesheets("0", None)[0].code, Code::MissingGrant);
    // Read and Modify (Own) from the agent and Read Only from a role: both are held, Read Only
    // meets the need, and the extra right to modify its own is not comparable: undecided excess.
    let f = timesheets("1", Some("3"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].code, Code::AmbiguousRequirement);
    assert_eq!(
        f[0].actual.as_deref(),
        Some("Read Only (through role Managers) and Read and Modify (Own)")
    );
}

#[test]
fn integration_agents_that_could_raise_their_own_privileges_are_reported() {
    let claims = json!([{"type": "Av", "value": "1"}, {"type": "Ad", "value": "0"}, {"type": "la", "value": "1"}]);
    let t = tenant(
        json!([agent(7, claims, json!([]))]),
        json!([]),
        json!([app(&["read:tickets"], 7)]),
    );
    let found = codes(&run(&t, &[]));
    let has = |code: &str| found.iter().any(|(c, _)| c == code);
    assert!(has("create-roles-unneeded"), "{found:?}");
    assert!(has("password-fields-unneeded"), "{found:?}");
    assert!(!has("sql-data-sources-unneeded"), "Ad = 0: {found:?}");
    // A bound set that needs the right settles it.
    const NEEDS_ROLES: &str = r#"
id: roles-set
title: Roles integration
sources: [{url: "https://vendor.example/roles", retrieved: 2026-11-24}]
binding: {application_name: ["Demo*"]}
requirements:
  - {id: roles.create, title: t, permission: Can create Roles, expect: yes, source: {quote: q}}
"#;
    let selection = Selection::default();
    let outcome = check(&t, &library(&[NEEDS_ROLES]), catalog(), &selection).unwrap();
    assert!(
        !codes(&outcome)
            .iter()
            .any(|(c, _)| c == "create-roles-unneeded"),
        "{:?}",
        codes(&outcome)
    );
    let message = outcome
        .findings
        .iter()
        .find(|f| f.code == Code::PasswordFieldsUnneeded)
        .map(|f| f.message.clone())
        .unwrap_or_default();
    assert!(
        message.contains("which `Demo Sync` logs in as"),
        "{message}"
    );
}

#[test]
fn a_conditional_limit_that_is_broken_is_a_note_and_a_forbidden_scope_is_reported_once() {
    const LIMITS: &str = r#"
id: limits
title: Limits integration
sources: [{url: "https://vendor.example/limits", retrieved: 2026-11-24}]
binding: {application_name: ["Demo*"]}
requirements:
  - {id: limits.not-api-only, title: t, permission: agent.api_only, expect: no, severity: warning, condition: "the integration assigns tickets to itself", source: {quote: q}}
  - {id: limits.no-admin, title: t, permission: "scope:admin", expect: no, source: {quote: q}}
  - {id: limits.read, title: t, permission: "scope:read:tickets", expect: yes, source: {quote: q}}
"#;
    let t = tenant(
        json!([agent(7, json!([{"type": "Tx", "value": "1"}]), json!([]))]),
        json!([]),
        json!([app(&["read:tickets", "admin"], 7)]),
    );
    let outcome = run_only(&t, LIMITS, "limits");
    let api_only = outcome
        .findings
        .iter()
        .find(|f| f.requirement.as_deref() == Some("limits.not-api-only"))
        .unwrap();
    assert_eq!(api_only.severity, Severity::Note);
    assert!(
        api_only
            .message
            .ends_with("(applies only if the integration assigns tickets to itself)"),
        "{}",
        api_only.message
    );
    let admin: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.requirement_set == "limits" && f.permission.as_deref() == Some("scope:admin"))
        .collect();
    assert_eq!(admin.len(), 1, "{admin:#?}");
    assert_eq!(admin[0].requirement.as_deref(), Some("limits.no-admin"));
}

#[test]
fn a_set_can_bind_by_the_name_of_the_agent_an_application_logs_in_as() {
    const BY_AGENT: &str = r#"
id: by-agent
title: Agent-named integration
sources: [{url: "https://vendor.example/agent", retrieved: 2026-11-24}]
binding: {login_agent_name: ["Agent 7*"]}
requirements:
  - {id: by-agent.read, title: t, permission: "scope:read:tickets", expect: yes, source: {quote: q}}
"#;
    let t = tenant(
        json!([agent(7, json!([{"type": "Tx", "value": "1"}]), json!([]))]),
        json!([]),
        json!([app(&["read:tickets"], 7)]),
    );
    let outcome = check(&t, &library(&[BY_AGENT]), catalog(), &Selection::default()).unwrap();
    let state = &outcome
        .sets
        .iter()
        .find(|s| s.id == "by-agent")
        .unwrap()
        .state;
    assert!(
        matches!(state, SetState::Evaluated { applications } if applications.len() == 1),
        "{state:?}"
    );
    // A pattern on nothing but `*` is refused.
    let files = vec![RuleFile {
        name: "broad.yaml".into(),
        text: BY_AGENT.replace("[\"Agent 7*\"]", "[\"*\"]"),
        builtin: false,
    }];
    let err = ruleset::load(&files, catalog()).unwrap_err();
    assert!(
        format!("{err:?}").contains("matches every login agent"),
        "{err:?}"
    );
}

#[test]
fn excess_scopes_and_levels_take_their_own_severities() {
    const PER_KIND: &str = r#"
id: per-kind
title: Per-kind integration
sources: [{url: "https://vendor.example/kind", retrieved: 2026-11-24}]
binding: {application_name: ["Demo*"]}
excess: {severity: warning, scope_severity: note, level_severity: error}
requirements:
  - {id: per-kind.read, title: t, permission: "scope:read:tickets", expect: yes, source: {quote: q}}
  - {id: per-kind.customers, title: t, permission: Customers, expect: Read Only, source: {quote: q}}
"#;
    let t = tenant(
        json!([agent(7, json!([{"type": "Ux", "value": "3"}]), json!([]))]),
        json!([]),
        json!([app(&["read:tickets", "edit:crm"], 7)]),
    );
    let outcome = run_only(&t, PER_KIND, "per-kind");
    let of = |permission: &str| {
        outcome
            .findings
            .iter()
            .find(|f| {
                f.requirement_set == "per-kind" && f.permission.as_deref() == Some(permission)
            })
            .map(|f| (f.code, f.severity))
    };
    assert_eq!(
        of("scope:edit:crm"),
        Some((Code::ExcessiveGrant, Severity::Note))
    );
    assert_eq!(
        of("feature.customers"),
        Some((Code::ExcessiveGrant, Severity::Error))
    );
}

#[test]
fn an_alternative_is_met_by_any_one_option_and_otherwise_names_the_others() {
    const EITHER: &str = r#"
id: either
title: Either integration
sources: [{url: "https://vendor.example/either", retrieved: 2026-11-24}]
binding: {application_name: ["Demo*"]}
excess: {scopes: false}
requirements:
  - {id: either.team, title: t, permission: teams.any, expect: yes, source: {quote: q}}
  - {id: either.department, title: t, permission: departments.any, expect: yes, source: {quote: q}}
alternatives:
  - {id: either.team-or-department, title: "A team or a department", any_of: [either.team, either.department]}
"#;
    let run_with = |teams: Json, departments: Json| {
        let mut a = agent(7, json!([{"type": "Tx", "value": "1"}]), json!([]));
        a["teams"] = teams;
        a["departments"] = departments;
        let t = tenant(json!([a]), json!([]), json!([app(&["read:tickets"], 7)]));
        run_only(&t, EITHER, "either")
    };
    let of_set = |o: &Outcome| -> Vec<(Code, Option<String>, String)> {
        o.findings
            .iter()
            .filter(|f| f.requirement_set == "either")
            .map(|f| (f.code, f.requirement.clone(), f.message.clone()))
            .collect()
    };
    // A department and no team: met.
    let o = run_with(
        json!([]),
        json!([{"department_id": 3, "department_name": "Support"}]),
    );
    assert!(of_set(&o).is_empty(), "{:?}", of_set(&o));
    let set = o.sets.iter().find(|s| s.id == "either").unwrap();
    assert_eq!(set.count(Status::Passed), 2);
    // A team and no readable department list: met through the team, nothing undecided.
    let o = run_with(json!([{"team_id": 1, "team_name": "Desk"}]), Json::Null);
    assert!(of_set(&o).is_empty(), "{:?}", of_set(&o));
    // Neither: each missing grant names the other option.
    let o = run_with(json!([]), json!([]));
    let found = of_set(&o);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|(c, _, _)| *c == Code::MissingGrant));
    let team = found
        .iter()
        .find(|(_, r, _)| r.as_deref() == Some("either.team"))
        .unwrap();
    assert!(
        team.2.ends_with(
            "(A team or a department: any one option is enough; the others are either.department)"
        ),
        "{}",
        team.2
    );
}

#[test]
fn alternatives_naming_unknown_or_repeated_requirements_are_refused() {
    const BAD: &str = r#"
id: bad-alt
title: Bad alternatives
sources: [{url: "https://vendor.example/bad", retrieved: 2026-11-24}]
binding: {application_name: ["Demo*"]}
requirements:
  - {id: bad-alt.team, title: t, permission: teams.any, expect: yes, source: {quote: q}}
alternatives:
  - {id: bad-alt.one, title: t, any_of: [bad-alt.team]}
  - {id: bad-alt.two, title: t, any_of: [bad-alt.team, bad-alt.teem]}
"#;
    let files = vec![RuleFile {
        name: "bad.yaml".into(),
        text: BAD.into(),
        builtin: false,
    }];
    let err = format!("{:?}", ruleset::load(&files, catalog()).unwrap_err());
    for expected in [
        "offers fewer than two options",
        "`bad-alt.teem` is not a requirement of set `bad-alt`",
        "did you mean bad-alt.team?",
        "requirement `bad-alt.team` is in two alternatives",
    ] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
}
