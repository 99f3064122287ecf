//! Tests of the generated tenants: the committed demo fixture is current, synthetic tenants are
//! deterministic and sized as asked, no secret-like member is ever emitted, and every claim speaks
//! the catalog's (assumed) encoding.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests state their expectations by panicking

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use halo_sim::generate::{CLAIMS, INTEGRATIONS, UNKNOWN_CLAIM};
use halo_sim::{SyntheticSpec, demo, render, synthetic};
use serde_json::Value;

const REGENERATE: &str =
    "cargo run -q -p halo-sim --bin gen-tenant -- demo -o fixtures/demo/snapshot.json";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn objects<'a>(doc: &'a Value, collection: &str) -> &'a [Value] {
    doc["objects"][collection]
        .as_array()
        .map_or(&[], Vec::as_slice)
}

fn small_spec(seed: u64) -> SyntheticSpec {
    SyntheticSpec {
        agents: 300,
        teams: 12,
        roles: 9,
        applications: 20,
        seed,
    }
}

// ------------------------------------------------------------------------------------------------
// (a) The committed demo fixture

#[test]
fn committed_demo_fixture_is_current() {
    let path = repo_root().join("fixtures/demo/snapshot.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nregenerate it from the repository root with:\n  {REGENERATE}",
            path.display()
        )
    });
    let generated = render(&demo()).expect("demo renders");
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || committed.lines().count().min(generated.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "fixtures/demo/snapshot.json is stale: it differs from halo_sim::demo() from line {line} on.\n\
             Regenerate it from the repository root with:\n  {REGENERATE}\n\
             and update fixtures/demo/README.md if the deliberate mistakes changed."
        );
    }
}

#[test]
fn demo_is_deterministic() {
    assert_eq!(render(&demo()).ok(), render(&demo()).ok());
}

// ------------------------------------------------------------------------------------------------
// (b) Synthetic tenants

#[test]
fn synthetic_is_deterministic() {
    let a = render(&synthetic(&small_spec(7))).expect("renders");
    let b = render(&synthetic(&small_spec(7))).expect("renders");
    assert_eq!(a, b, "the same spec must give the same bytes");
    let c = render(&synthetic(&small_spec(8))).expect("renders");
    assert_ne!(a, c, "a different seed should give a different tenant");
}

#[test]
fn synthetic_counts_match_the_spec() {
    let spec = small_spec(42);
    let doc = synthetic(&spec);
    assert_eq!(objects(&doc, "agents").len(), spec.agents);
    assert_eq!(objects(&doc, "teams").len(), spec.teams);
    assert_eq!(objects(&doc, "roles").len(), spec.roles);
    assert_eq!(objects(&doc, "applications").len(), spec.applications);
    assert_requests_consistent(&doc);
}

#[test]
fn synthetic_applications_are_named_after_known_integrations() {
    let doc = synthetic(&small_spec(3));
    let agents: BTreeMap<u64, &Value> = objects(&doc, "agents")
        .iter()
        .filter_map(|a| Some((a["id"].as_u64()?, a)))
        .collect();
    for app in objects(&doc, "applications") {
        let name = app["displayName"].as_str().expect("displayName");
        let (base, suffix) = name.rsplit_once(' ').expect("a numeric suffix");
        assert!(INTEGRATIONS.contains(&base), "{name}: unknown integration");
        assert!(
            suffix.parse::<u32>().is_ok(),
            "{name}: suffix is not a number"
        );
        let agent_id = app["loginas_agent_id"].as_u64().expect("loginas_agent_id");
        let agent = agents.get(&agent_id).expect("the log-in agent exists");
        assert_eq!(agent["isapiagent"], Value::Bool(true), "{name}");
        assert_eq!(app["loginas_agent_name"], agent["name"]);
    }
}

#[test]
fn synthetic_handles_edge_sizes() {
    for spec in [
        SyntheticSpec {
            agents: 0,
            teams: 0,
            roles: 0,
            applications: 0,
            seed: 0,
        },
        SyntheticSpec {
            agents: 3,
            teams: 1,
            roles: 0,
            applications: 10,
            seed: u64::MAX,
        },
        SyntheticSpec {
            agents: 50,
            teams: 0,
            roles: 2,
            applications: 0,
            seed: 1,
        },
    ] {
        let doc = synthetic(&spec);
        assert_eq!(objects(&doc, "agents").len(), spec.agents);
        assert_eq!(objects(&doc, "applications").len(), spec.applications);
        assert_references_resolve(&doc);
    }
}

#[test]
fn synthetic_references_resolve() {
    assert_references_resolve(&synthetic(&small_spec(11)));
}

// ------------------------------------------------------------------------------------------------
// (c) No secrets

/// Member names the snapshot format removes as secrets (docs/snapshot-format.md, "Secrets").
fn is_secret_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    [
        "secret",
        "password",
        "passwd",
        "token",
        "apikey",
        "api_key",
        "privatekey",
        "private_key",
    ]
    .iter()
    .any(|p| lower.contains(p))
        || lower.ends_with("_key")
}

fn secret_like_members(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{path}.{key}");
                if is_secret_name(key) {
                    found.push(here.clone());
                }
                secret_like_members(child, &here, found);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                secret_like_members(child, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn demo_has_no_secret_like_members() {
    let mut found = Vec::new();
    secret_like_members(&demo(), "$", &mut found);
    assert!(found.is_empty(), "secret-like members: {found:?}");
}

#[test]
fn synthetic_has_no_secret_like_members() {
    let mut found = Vec::new();
    secret_like_members(&synthetic(&small_spec(5)), "$", &mut found);
    assert!(found.is_empty(), "secret-like members: {found:?}");
}

// ------------------------------------------------------------------------------------------------
// (d) Claims speak the catalog's encoding

#[derive(Debug, Clone, PartialEq, Eq)]
struct CatalogClaim {
    /// The permission's canonical key.
    key: String,
    /// The value table of its scale: claim value → level key (or `yes` / `no`).
    values: Vec<(String, String)>,
}

/// `{ "0": none, "1": read }` → pairs (the catalog writes every table on one line).
fn flow_map(text: &str) -> Vec<(String, String)> {
    text.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .filter_map(|pair| {
            let (k, v) = pair.split_once(':')?;
            let clean = |s: &str| s.trim().trim_matches('"').to_owned();
            Some((clean(k), clean(v)))
        })
        .collect()
}

/// Claim types (codes and older names) of `catalog/permissions.yaml`, read by scanning lines (no
/// YAML parser here).
fn catalog_claims() -> BTreeMap<String, CatalogClaim> {
    let path = repo_root().join("catalog/permissions.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    // Scales first: key → values.
    let mut scales: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(key) = line.strip_prefix("- key:") {
            current = Some(key.trim().to_owned());
        } else if let (Some(key), Some(values)) = (&current, line.strip_prefix("values:")) {
            scales.insert(key.clone(), flow_map(values));
        }
    }
    let mut claims = BTreeMap::new();
    let (mut key, mut types, mut scale) = (String::new(), Vec::<String>::new(), None::<String>);
    let mut finish = |key: &str, types: &mut Vec<String>, scale: &mut Option<String>| {
        if let Some(scale) = scale.take() {
            for claim in types.drain(..) {
                let info = CatalogClaim {
                    key: key.to_owned(),
                    values: scales.get(&scale).cloned().unwrap_or_default(),
                };
                assert!(
                    claims.insert(claim.clone(), info).is_none(),
                    "claim {claim} appears twice in the catalog"
                );
            }
        }
        types.clear();
    };
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        if let Some(k) = line.strip_prefix("- key:") {
            finish(&key, &mut types, &mut scale);
            key = k.trim().to_owned();
        } else if line.starts_with("- {") {
            finish(&key, &mut types, &mut scale);
        } else if let Some(rest) = line.strip_prefix("source: { claim:") {
            types.push(rest.trim().trim_end_matches('}').trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("legacy_claims: [") {
            types.extend(
                rest.trim_end_matches(']')
                    .split(',')
                    .map(|l| l.trim().to_owned()),
            );
        } else if let Some(rest) = line.strip_prefix("scale:") {
            scale = Some(rest.trim().to_owned());
        }
    }
    finish(&key, &mut types, &mut scale);
    assert!(
        claims.len() > 60,
        "the catalog scan found too few claims: {claims:?}"
    );
    claims
}

/// Every `{type, value}` claim in a document, with where it sits.
fn all_claims(doc: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut push = |owner: String, claims: &Value| {
        for claim in claims.as_array().map_or(&[][..], Vec::as_slice) {
            out.push((
                owner.clone(),
                claim["type"].as_str().unwrap_or("<missing>").to_owned(),
                claim["value"].as_str().unwrap_or("<missing>").to_owned(),
            ));
        }
    };
    for agent in objects(doc, "agents") {
        push(format!("agent {}", agent["name"]), &agent["claims"]);
        for role in agent["roles"].as_array().map_or(&[][..], Vec::as_slice) {
            push(
                format!("agent {} role {}", agent["name"], role["name"]),
                &role["claims"],
            );
        }
    }
    for role in objects(doc, "roles") {
        push(format!("role {}", role["name"]), &role["claims"]);
    }
    out
}

/// Checks every claim; returns the distinct claim types deliberately not understood.
fn check_claims_against_catalog(doc: &Value) -> usize {
    let catalog = catalog_claims();
    let mut unknown = BTreeSet::new();
    for (owner, claim, value) in all_claims(doc) {
        // Deliberately not understood: the unknown type, a wrong-case type, Chat's undecoded values.
        if claim == UNKNOWN_CLAIM || claim == "tx" || claim == "LC" {
            unknown.insert(claim);
            continue;
        }
        // Seen but undecoded (catalog v3): Item Costs and global templates at the older
        // decoders' Yes, a level whose number no source gives.
        if (claim == "li" || claim == "lt") && value == "1" {
            continue;
        }
        let entry = catalog
            .get(&claim)
            .unwrap_or_else(|| panic!("{owner}: claim type {claim} is not in the catalog"));
        assert!(
            entry.values.iter().any(|(raw, _)| *raw == value),
            "{owner}: {claim} = {value} is not in the value table of {} ({:?})",
            entry.key,
            entry.values
        );
    }
    unknown.len()
}

#[test]
fn demo_claims_are_in_the_catalog_and_in_range() {
    let unknown = check_claims_against_catalog(&demo());
    assert_eq!(
        unknown, 3,
        "the demo carries exactly three deliberately not understood claims"
    );
}

#[test]
fn synthetic_claims_are_in_the_catalog_and_in_range() {
    check_claims_against_catalog(&synthetic(&small_spec(9)));
}

#[test]
fn generator_claim_table_mirrors_the_catalog() {
    let catalog = catalog_claims();
    assert!(
        !catalog.contains_key(UNKNOWN_CLAIM),
        "{UNKNOWN_CLAIM} must stay unknown"
    );
    for def in CLAIMS {
        for claim in std::iter::once(&def.claim).chain(def.legacy) {
            let entry = catalog
                .get(*claim)
                .unwrap_or_else(|| panic!("{claim} is not in catalog/permissions.yaml any more"));
            assert_eq!(entry.key, def.key, "{claim}");
            let values: Vec<(String, String)> = def
                .values
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect();
            assert_eq!(
                entry.values, values,
                "{claim}: the catalog's value table changed; update CLAIMS in generate.rs and \
                 regenerate the demo ({REGENERATE})"
            );
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Shape and integrity

fn assert_requests_consistent(doc: &Value) {
    let requests = &doc["requests"];
    let by_endpoint = requests["by_endpoint"].as_object().expect("by_endpoint");
    let sum: u64 = by_endpoint.values().filter_map(Value::as_u64).sum();
    // The token request is counted in `total` only (see `snapshot` in generate.rs).
    assert_eq!(requests["total"].as_u64(), Some(sum + 1));
    let objects_total: usize = ["agents", "teams", "roles", "applications"]
        .iter()
        .map(|c| objects(doc, c).len())
        .sum();
    assert_eq!(
        sum as usize,
        4 + objects_total,
        "4 list calls + 1 detail call per object"
    );
    assert_eq!(
        by_endpoint["GET /api/Agent/{id}"].as_u64(),
        Some(objects(doc, "agents").len() as u64)
    );
}

fn assert_references_resolve(doc: &Value) {
    let agent_ids: BTreeSet<u64> = objects(doc, "agents")
        .iter()
        .filter_map(|a| a["id"].as_u64())
        .collect();
    assert_eq!(
        agent_ids.len(),
        objects(doc, "agents").len(),
        "agent ids are unique"
    );
    let team_ids: BTreeSet<u64> = objects(doc, "teams")
        .iter()
        .filter_map(|t| t["id"].as_u64())
        .collect();
    let role_ids: BTreeSet<&str> = objects(doc, "roles")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(
        role_ids.len(),
        objects(doc, "roles").len(),
        "role ids are unique"
    );

    // Every membership appears in the agent's teams[] and as a member summary in the team's
    // agents[], with the same row id, agent, team and role.
    let key = |row: &Value| {
        (
            row["id"].as_u64(),
            row["agent_id"].as_u64(),
            row["agent_name"].as_str().map(str::to_owned),
            row["team_id"].as_u64(),
            row["team_name"].as_str().map(str::to_owned),
            row["role_id"].as_str().map(str::to_owned),
            row["role_name"].as_str().map(str::to_owned),
            row["is_manager"].as_bool(),
        )
    };
    let mut from_agents = BTreeSet::new();
    for agent in objects(doc, "agents") {
        for row in agent["teams"].as_array().expect("teams[]") {
            assert!(team_ids.contains(&row["team_id"].as_u64().expect("team_id")));
            assert_eq!(row["agent_id"], agent["id"]);
            let role = row["role_id"].as_str().expect("role_id");
            assert!(
                role.is_empty() || role_ids.contains(role),
                "role {role} exists"
            );
            assert!(from_agents.insert(key(row)), "membership rows are unique");
        }
        for role in agent["roles"].as_array().expect("roles[]") {
            assert!(role_ids.contains(role["id"].as_str().expect("role id")));
        }
    }
    let mut from_teams = BTreeSet::new();
    for team in objects(doc, "teams") {
        for row in team["agents"].as_array().expect("agents[]") {
            assert_eq!(row["team_id"], team["id"]);
            from_teams.insert(key(row));
        }
    }
    assert_eq!(from_agents, from_teams, "team memberships agree both ways");

    for app in objects(doc, "applications") {
        let agent = app["loginas_agent_id"].as_u64().expect("loginas_agent_id");
        assert!(
            agent == 0 || agent_ids.contains(&agent),
            "log-in agent {agent} exists"
        );
        for scope in app["scopes"].as_array().expect("scopes[]") {
            assert_eq!(scope["application_id"], app["id"]);
        }
    }
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

#[test]
fn demo_envelope_and_counts() {
    let doc = demo();
    assert_eq!(doc["format"], "halo-audit-snapshot");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["instance"]["url"], "https://northwind.halopsa.example");
    assert_eq!(doc["instance"]["tenant"], "northwind");
    assert_eq!(doc["fetched_at"], "2026-11-20T09:00:00Z");
    assert_eq!(doc["scope"], "all");
    assert_eq!(doc["gaps"], serde_json::json!([]));
    assert_eq!(doc["redacted"], serde_json::json!([]));
    assert_requests_consistent(&doc);
    assert_references_resolve(&doc);

    let agents = objects(&doc, "agents");
    assert_eq!(agents.len(), 40);
    assert_eq!(objects(&doc, "teams").len(), 8);
    assert_eq!(objects(&doc, "roles").len(), 5);
    assert_eq!(objects(&doc, "applications").len(), 7);
    let count = |field: &str| agents.iter().filter(|a| a[field] == true).count();
    assert_eq!(count("isapiagent"), 8);
    assert_eq!(count("is_admin"), 8);
    assert_eq!(count("isdisabled"), 3);
    for id in objects(&doc, "roles")
        .iter()
        .chain(objects(&doc, "applications"))
        .filter_map(|o| o["id"].as_str())
    {
        assert!(is_guid(id), "{id} is a GUID");
    }
    for app in objects(&doc, "applications") {
        assert!(is_guid(app["clientId"].as_str().expect("clientId")));
        assert_eq!(app["grant_type"], "client_credentials");
        assert_eq!(app["_issystem"], false);
    }
    for email in agents.iter().filter_map(|a| a["email"].as_str()) {
        assert!(email.ends_with("@northwind.example"), "{email}");
    }
}

// ------------------------------------------------------------------------------------------------
// The deliberate mistakes listed in fixtures/demo/README.md are really there

struct Demo {
    doc: Value,
    catalog: BTreeMap<String, CatalogClaim>,
}

impl Demo {
    fn new() -> Self {
        Demo {
            doc: demo(),
            catalog: catalog_claims(),
        }
    }

    fn agent(&self, name: &str) -> &Value {
        objects(&self.doc, "agents")
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("agent {name}"))
    }

    fn app(&self, name: &str) -> &Value {
        objects(&self.doc, "applications")
            .iter()
            .find(|a| a["displayName"] == name)
            .unwrap_or_else(|| panic!("application {name}"))
    }

    fn role(&self, id: &str) -> &Value {
        objects(&self.doc, "roles")
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("role {id}"))
    }

    /// The value of the first claim on `claims` that carries catalog permission `key`.
    fn claim_in(&self, claims: &Value, key: &str) -> Option<String> {
        claims
            .as_array()?
            .iter()
            .find(|c| {
                c["type"]
                    .as_str()
                    .and_then(|t| self.catalog.get(t))
                    .is_some_and(|e| e.key == key)
            })
            .and_then(|c| c["value"].as_str())
            .map(str::to_owned)
    }

    /// The agent's own value for a level permission, as a level key.
    fn own_level(&self, agent: &str, key: &str) -> Option<&str> {
        let value = self.claim_in(&self.agent(agent)["claims"], key)?;
        self.read(key, &value).map(|(_, level)| level)
    }

    /// A claim value of permission `key`: its place in the value table and what it reads as.
    fn read(&self, key: &str, value: &str) -> Option<(usize, &str)> {
        let entry = self.catalog.values().find(|e| e.key == key)?;
        entry
            .values
            .iter()
            .position(|(raw, _)| raw == value)
            .map(|i| (i, entry.values[i].1.as_str()))
    }

    /// Every value of permission `key` on the agent and its roles.
    fn values(&self, agent: &str, key: &str) -> Vec<String> {
        let agent = self.agent(agent);
        let mut values: Vec<String> = self.claim_in(&agent["claims"], key).into_iter().collect();
        for role in agent["roles"].as_array().expect("roles[]") {
            let role = self.role(role["id"].as_str().expect("role id"));
            values.extend(self.claim_in(&role["claims"], key));
        }
        values
    }

    /// Effective level: the highest of the agent's own claim and every role's (the demo's
    /// scales here are totally ordered in the order of their tables).
    fn effective_level(&self, agent: &str, key: &str) -> Option<&str> {
        self.values(agent, key)
            .iter()
            .filter_map(|v| self.read(key, v))
            .max_by_key(|(i, _)| *i)
            .map(|(_, level)| level)
    }

    /// Effective flag: true when the agent or any of its roles says yes.
    fn effective_flag(&self, agent: &str, key: &str) -> bool {
        self.values(agent, key)
            .iter()
            .any(|v| self.read(key, v).is_some_and(|(_, to)| to == "yes"))
    }

    fn scopes(&self, app: &str) -> Vec<&str> {
        self.app(app)["scopes"]
            .as_array()
            .expect("scopes[]")
            .iter()
            .filter_map(|s| s["name"].as_str())
            .collect()
    }

    fn active_teams(&self) -> BTreeSet<u64> {
        objects(&self.doc, "teams")
            .iter()
            .filter(|t| t["inactive"] == false)
            .filter_map(|t| t["id"].as_u64())
            .collect()
    }

    fn teams_of(&self, agent: &str) -> BTreeSet<u64> {
        self.agent(agent)["teams"]
            .as_array()
            .expect("teams[]")
            .iter()
            .filter_map(|t| t["team_id"].as_u64())
            .collect()
    }
}

#[test]
fn demo_vciotoolbox_mistakes() {
    let d = Demo::new();
    let agent = "vCIOToolbox API";
    assert_eq!(d.app("vCIOToolbox")["loginas_agent_name"], agent);
    assert_eq!(d.agent(agent)["is_admin"], true);
    // Tickets Read and Modify only through the Service Desk role.
    assert_eq!(d.own_level(agent, "feature.tickets"), Some("read"));
    assert_eq!(
        d.effective_level(agent, "feature.tickets"),
        Some("read_modify")
    );
    assert!(d.effective_flag(agent, "ticket.can_add"), "via the role");
    // Excessive: invoices one level too high, can delete tickets.
    assert_eq!(
        d.effective_level(agent, "feature.invoices"),
        Some("read_modify")
    );
    assert!(d.effective_flag(agent, "ticket.can_delete"));
    // Missing: one active team, edit:invoices.
    let missing: Vec<u64> = d
        .active_teams()
        .difference(&d.teams_of(agent))
        .copied()
        .collect();
    assert_eq!(
        missing.len(),
        1,
        "exactly one active team is missing: {missing:?}"
    );
    let scopes = d.scopes("vCIOToolbox");
    assert!(scopes.contains(&"read:invoices") && !scopes.contains(&"edit:invoices"));
    assert!(scopes.contains(&"all:teams"));
}

#[test]
fn demo_cloud_depot_mistakes() {
    let d = Demo::new();
    let agent = "Cloud Depot API";
    assert_eq!(d.app("Cloud Depot")["loginas_agent_name"], agent);
    let scopes = d.scopes("Cloud Depot");
    for scope in ["all:standard", "all:teams", "admin:webhooks", "admin"] {
        assert!(scopes.contains(&scope), "{scope}");
    }
    let a = d.agent(agent);
    assert_eq!(a["isapiagent"], true);
    assert_eq!(a["team"], "");
    assert!(
        !a["roles"].as_array().expect("roles[]").is_empty(),
        "holds a role"
    );
    assert_eq!(
        d.effective_level(agent, "feature.customers"),
        Some("read_modify")
    );
    assert_eq!(
        d.effective_level(agent, "feature.purchase_orders"),
        Some("none")
    );
    assert_eq!(
        d.effective_level(agent, "feature.invoices"),
        Some("read_modify")
    );
}

#[test]
fn demo_other_integrations_and_baseline_mistakes() {
    let d = Demo::new();
    // Rewst: all scope, admin, every active team, all customers.
    assert_eq!(d.scopes("Rewst"), ["all"]);
    assert_eq!(d.agent("Rewst API")["is_admin"], true);
    assert!(d.teams_of("Rewst API").is_superset(&d.active_teams()));
    assert_eq!(d.agent("Rewst API")["clients"], serde_json::json!([]));
    // CIPP: tickets and customers, admin agent.
    assert_eq!(
        d.scopes("CIPP"),
        [
            "read:tickets",
            "edit:tickets",
            "read:customers",
            "edit:customers"
        ]
    );
    assert_eq!(d.agent("CIPP Integration")["is_admin"], true);
    // Hudu: non-admin, restricted to a few customers.
    assert_eq!(d.scopes("Hudu"), ["read:customers", "read:assets"]);
    assert_eq!(d.agent("Hudu Sync")["is_admin"], false);
    assert_eq!(
        d.agent("Hudu Sync")["clients"].as_array().map(Vec::len),
        Some(3)
    );
    // The stale app: all scope, active, logs in as a disabled agent.
    let stale = d.app("Old PowerShell Sync");
    assert_eq!(stale["inactive"], false);
    assert_eq!(d.scopes("Old PowerShell Sync"), ["all"]);
    let stale_agent = stale["loginas_agent_name"].as_str().expect("name");
    assert_eq!(d.agent(stale_agent)["isdisabled"], true);
    // The inactive app still holds scopes.
    assert_eq!(d.app("Legacy RMM Connector")["inactive"], true);
    assert!(!d.scopes("Legacy RMM Connector").is_empty());
    // An API-only administrator no application logs in as.
    let used: BTreeSet<u64> = objects(&d.doc, "applications")
        .iter()
        .filter_map(|a| a["loginas_agent_id"].as_u64())
        .collect();
    let idle_admins: Vec<&Value> = objects(&d.doc, "agents")
        .iter()
        .filter(|a| a["isapiagent"] == true && a["is_admin"] == true)
        .filter(|a| !used.contains(&a["id"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(idle_admins.len(), 1);
    assert_eq!(idle_admins[0]["name"], "BI Export API");
    // The unknown claim sits on Priya Raman.
    let unknown = d.agent("Priya Raman")["claims"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == UNKNOWN_CLAIM))
        .and_then(|c| c["value"].as_str());
    assert_eq!(unknown, Some("2"));
}
