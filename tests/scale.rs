//! What keeps every command fast and small on large tenants (docs/performance.md), without timing
//! anything (`cargo run --release -p halo-bench -- check` measures): the streamed read (the one
//! tenant builder, which parses only the members the normaliser reads) gives the same tenant for
//! every layout of a document: as written, re-written whole by serde (`snapshot::normalise` of the
//! parsed document), from a file in chunks or from memory, in envelopes, with escaped keys; it
//! refuses every broken file with the error the whole document's parse names; synthetic tenants
//! (crates/halo-sim) bind every shipped set; evidence stays short when a tenant has hundreds of
//! teams.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use halo_audit::catalog::Catalog;
use halo_audit::check::{self, Selection, SetState};
use halo_audit::ruleset::{self, SetKind};
use halo_audit::snapshot;
use halo_sim::{SyntheticSpec, render, synthetic};

fn check_synthetic(spec: &SyntheticSpec) -> (halo_audit::tenant::Tenant, check::Outcome) {
    let text = render(&synthetic(spec)).unwrap();
    let path = Path::new("synthetic.json");
    let snap = snapshot::parse(text.as_bytes(), path).unwrap();
    let catalog = Catalog::builtin().unwrap();
    let tenant = snapshot::normalise(&snap, catalog, path).unwrap();
    let library = ruleset::load(&ruleset::builtin_files(), catalog).unwrap();
    let outcome = check::check(&tenant, &library, catalog, &Selection::default()).unwrap();
    (tenant, outcome)
}

#[test]
fn every_shipped_set_binds_to_a_synthetic_tenant_with_enough_applications() {
    let catalog = Catalog::builtin().unwrap();
    let library = ruleset::load(&ruleset::builtin_files(), catalog).unwrap();
    let integrations = library
        .sets
        .iter()
        .filter(|s| s.kind == SetKind::Integration)
        .count();
    let (_, outcome) = check_synthetic(&SyntheticSpec {
        agents: 120,
        teams: 10,
        roles: 8,
        applications: 2 * integrations,
        seed: 1,
    });
    let not_evaluated: Vec<&str> = outcome
        .sets
        .iter()
        .filter(|s| !matches!(s.state, SetState::Evaluated { .. } | SetState::Baseline))
        .map(|s| s.id.as_str())
        .collect();
    assert!(not_evaluated.is_empty(), "not bound: {not_evaluated:?}");
    assert_eq!(outcome.sets.len(), library.sets.len());
}

#[test]
fn a_tenant_with_hundreds_of_teams_keeps_its_evidence_short() {
    let (tenant, outcome) = check_synthetic(&SyntheticSpec {
        agents: 400,
        teams: 300,
        roles: 20,
        applications: 30,
        seed: 2,
    });
    // An agent in a few of 300 teams: the evidence names ten and counts the rest.
    let longest = tenant
        .agents()
        .iter()
        .filter_map(|a| a.permission("teams.all"))
        .flat_map(|e| e.contributions.iter())
        .map(|c| c.evidence.len())
        .max()
        .unwrap();
    assert!(longest < 400, "{longest}");
    assert!(!outcome.findings.is_empty());
}

/// Every snapshot the repository carries.
fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("fixtures/demo/snapshot.json")];
    for case in std::fs::read_dir(root.join("fixtures/cases")).unwrap() {
        let file = case.unwrap().path().join("snapshot.json");
        if file.exists() {
            files.push(file);
        }
    }
    files.sort();
    files
}

/// The normalised tenant, as JSON, of the document parsed whole and written again (what
/// `snapshot::normalise` reads), and of the document as it is.
fn both_ways(bytes: &[u8], path: &Path) -> (serde_json::Value, serde_json::Value) {
    let catalog = Catalog::builtin().unwrap();
    let full = snapshot::normalise(&snapshot::parse(bytes, path).unwrap(), catalog, path).unwrap();
    let lean = snapshot::read_bytes(bytes, path, catalog).unwrap().tenant;
    (
        serde_json::to_value(full).unwrap(),
        serde_json::to_value(lean).unwrap(),
    )
}

#[test]
fn the_streamed_read_gives_the_tenant_of_the_whole_document_on_every_fixture() {
    let catalog = Catalog::builtin().unwrap();
    let files = fixtures();
    assert!(files.len() > 20, "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let (full, lean) = both_ways(&bytes, &file);
        assert_eq!(full, lean, "{}", file.display());
        // Read from the file in chunks: the same tenant and header.
        let read = snapshot::read(&file, catalog).unwrap();
        assert_eq!(
            serde_json::to_value(&read.tenant).unwrap(),
            lean,
            "{}",
            file.display()
        );
        let whole = snapshot::parse(&bytes, &file).unwrap();
        assert_eq!(
            read.header,
            snapshot::Header::of(&whole),
            "{}",
            file.display()
        );
    }
    for seed in [1, 2] {
        let spec = SyntheticSpec {
            agents: 300,
            teams: 40,
            roles: 25,
            applications: 40,
            seed,
        };
        let text = render(&synthetic(&spec)).unwrap();
        let (full, lean) = both_ways(text.as_bytes(), Path::new("synthetic.json"));
        assert_eq!(full, lean, "synthetic seed {seed}");
    }
}

#[test]
fn agents_read_record_by_record_give_the_same_tenant_in_every_claim_situation() {
    let claim = |t: &str, v: &str| serde_json::json!({"type": t, "value": v});
    let agent = |id: serde_json::Value, claims: serde_json::Value, roles: serde_json::Value| {
        serde_json::json!({"id": id, "name": format!("A{id}"), "is_admin": false, "isdisabled": false,
                           "isapiagent": true, "team": "T", "claims": claims, "roles": roles,
                           "teams": [{"team_id": 1, "team_name": "T"}], "clients": []})
    };
    let role_ref = serde_json::json!([{"id": "r", "name": "R"}]);
    let cases = [
        // The roles settle that the claim encoding is in use.
        (
            vec![agent(2.into(), serde_json::json!([]), role_ref.clone())],
            serde_json::json!([claim("Ex", "2")]),
        ),
        // Only an agent's own claims do, and not the first agent's.
        (
            vec![
                agent(5.into(), serde_json::json!([]), serde_json::json!([])),
                agent(
                    3.into(),
                    serde_json::json!([claim("Ex", "1")]),
                    role_ref.clone(),
                ),
            ],
            serde_json::json!([]),
        ),
        // Nothing does: every claim permission is unknown (the second reading).
        (
            vec![
                agent(
                    2.into(),
                    serde_json::json!([claim("x.unknown", "1")]),
                    role_ref.clone(),
                ),
                agent(1.into(), serde_json::json!([]), serde_json::json!([])),
            ],
            serde_json::json!([claim("y.unknown", "9")]),
        ),
        // Duplicate ids (the first in the file is kept; the other's odd claims are still listed),
        // an id written as a string, and inline role claims of a role that was not fetched.
        (
            vec![
                agent(
                    4.into(),
                    serde_json::json!([claim("Ex", "2")]),
                    role_ref.clone(),
                ),
                agent(
                    "4".into(),
                    serde_json::json!([claim("z.unknown", "1")]),
                    serde_json::json!([]),
                ),
                agent(
                    1.into(),
                    serde_json::json!([]),
                    serde_json::json!([{"id": "q", "name": "Q", "claims": [claim("Ex", "7")]}]),
                ),
            ],
            serde_json::json!([claim("Ex", "1")]),
        ),
    ];
    for (i, (agents, role_claims)) in cases.into_iter().enumerate() {
        let doc = serde_json::json!({
            "format": "halo-audit-snapshot", "version": 1,
            "objects": {
                "agents": agents,
                "teams": [{"id": 1, "name": "T"}],
                "roles": [{"id": "r", "name": "R", "claims": role_claims}],
                "applications": []
            }
        });
        let text = serde_json::to_string(&doc).unwrap();
        let (full, lean) = both_ways(text.as_bytes(), Path::new("claims.json"));
        assert_eq!(full, lean, "case {i}");
        assert!(!full["agents"].as_array().unwrap().is_empty(), "case {i}");
    }
}

#[test]
fn the_streamed_read_keeps_odd_shapes_for_the_normaliser_to_judge() {
    // Envelopes, non-object items, odd member types and unknown members: the same tenant, or the
    // same error, either way.
    let odd = serde_json::json!({
        "format": "halo-audit-snapshot", "version": 1,
        "objects": {
            "agents": {"record_count": 2, "agents": [
                {"id": 2, "name": "A", "teams": "not a list", "roles": [{"id": "r", "claims": null}, 7],
                 "clients": [1, {"client_name": "C", "extra": [1, 2]}], "is_admin": "yes", "unused": {"deep": [1]}},
                {"id": "3", "name": "B", "claims": [{"type": "Ex", "value": 1}], "isdisabled": false}
            ]},
            "teams": [{"id": 1, "name": "T", "inactive": null, "agents": [{"agent_id": 2}]}],
            "roles": {"record_count": 1, "roles": [{"id": "r", "name": "R", "claims": [{"type": "Ex", "value": "2"}], "teams": []}]},
            "applications": [{"id": "a", "displayName": "Rewst 1", "loginas_agent_id": 2, "scopes": [{"name": "all"}]}]
        }
    });
    let text = serde_json::to_string_pretty(&odd).unwrap();
    let (full, lean) = both_ways(text.as_bytes(), Path::new("odd.json"));
    assert_eq!(full, lean);
    // The same agents as a plain array, which check reads record by record.
    let mut bare = odd.clone();
    bare["objects"]["agents"] = odd["objects"]["agents"]["agents"].clone();
    let text = serde_json::to_string_pretty(&bare).unwrap();
    let (full, lean) = both_ways(text.as_bytes(), Path::new("bare.json"));
    assert_eq!(full, lean);
    assert_eq!(full["agents"].as_array().unwrap().len(), 2, "{full}");

    let catalog = Catalog::builtin().unwrap();
    for (broken, what) in [
        (
            r#"{"format": "halo-audit-snapshot", "version": 1, "objects": {"agents": [1]}}"#,
            "/objects/agents/0",
        ),
        (
            r#"{"format": "halo-audit-snapshot", "version": 1, "objects": {"agents": [{"id": 1}"#,
            "syntax",
        ),
        (
            r#"{"format": "halo-audit-snapshot", "version": 1, "objects": {"agents": [{"id": 1}, {"name": "no id"}]}}"#,
            "/objects/agents/1",
        ),
        (
            r#"{"format": "halo-audit-snapshot", "version": 1, "objects": {"agents": [{"id": 1, "id": 2}]}}"#,
            "duplicate key",
        ),
        (
            r#"{"format": "halo-audit-snapshot", "version": 1, "objects": {"agents": [{"id": 1, "departments": [{"x": 1, "x": 2}]}]}}"#,
            "duplicate key in a member check skips",
        ),
        (
            r#"{"format": "halo-audit-snapshot", "version": 1, "objects": {"teams": [{"id": 1, "name": "T", "agents": [{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9, "j": 10, "k": 11, "l": 12, "m": 13, "n": 14, "o": 15, "p": 16, "q": 17, "r": 18, "\u0062": 19}]}]}}"#,
            "duplicate key, escaped, late in a large skipped object",
        ),
        (
            r#"{"format": "halo-audit-snapshot", "version": 9}"#,
            "version",
        ),
        (r#"{"format": "other", "version": 1}"#, "format"),
        (
            r#"{"format": "halo-audit-snapshot", "version": 1, "objects": null}"#,
            "objects",
        ),
    ] {
        let path = Path::new("broken.json");
        let full = snapshot::parse(broken.as_bytes(), path)
            .and_then(|s| snapshot::normalise(&s, catalog, path).map(|_| ()))
            .unwrap_err()
            .to_string();
        let lean = snapshot::read_bytes(broken.as_bytes(), path, catalog)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert_eq!(full, lean, "{what}");
    }
}

/// The demo tenant laid out another way: each collection by `layout` (its records in, its name
/// out), the text then changed by `text`.
fn laid_out(
    layout: impl Fn(&str, serde_json::Value) -> serde_json::Value,
    text: impl Fn(String) -> String,
) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(root.join("fixtures/demo/snapshot.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    for name in ["agents", "teams", "roles", "applications"] {
        let records = doc["objects"][name].take();
        doc["objects"][name] = layout(name, records);
    }
    text(serde_json::to_string_pretty(&doc).unwrap()).into_bytes()
}

#[test]
fn every_layout_of_a_tenant_reads_to_the_same_tenant() {
    use serde_json::json;
    let catalog = Catalog::builtin().unwrap();
    let tenant = |bytes: &[u8], what: &str| {
        let loaded = snapshot::read_bytes(bytes, Path::new("layout.json"), catalog)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        serde_json::to_value(loaded.tenant).unwrap()
    };
    let plain = tenant(&laid_out(|_, records| records, |t| t), "plain");
    assert!(!plain["agents"].as_array().unwrap().is_empty());
    let long = "k".repeat(100);
    let layouts: Vec<(&str, Vec<u8>)> = vec![
        (
            "compact",
            laid_out(
                |_, records| records,
                |t| {
                    serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&t).unwrap())
                        .unwrap()
                },
            ),
        ),
        (
            "envelopes",
            laid_out(
                |name, records| json!({"record_count": 9, name: records}),
                |t| t,
            ),
        ),
        (
            "envelopes whose only array is named otherwise",
            laid_out(
                |_, records| json!({"list": records, "page": {"no": 1}}),
                |t| t,
            ),
        ),
        (
            "envelopes with other arrays besides the named one",
            laid_out(
                |name, records| json!({"first": [{"id": 999}], name: records, "second": [], "third": [7]}),
                |t| t,
            ),
        ),
        (
            "envelopes whose only array has a long name",
            laid_out(|_, records| json!({long.clone(): records}), |t| t),
        ),
        (
            "escaped keys",
            laid_out(
                |name, records| json!({"record_count": 9, name: records}),
                |t| {
                    t.replace("\"objects\":", "\"\\u006fbjects\":")
                        .replace("\"agents\": {", "\"a\\u0067ents\": {")
                        .replace(
                            "\"agents\": [",
                            "\"\\u0061\\u0067\\u0065\\u006e\\u0074\\u0073\": [",
                        )
                        .replace("\"roles\": [", "\"rol\\u0065s\": [")
                },
            ),
        ),
    ];
    for (what, bytes) in layouts {
        assert_eq!(tenant(&bytes, what), plain, "{what}");
        // Read from a file, in chunks: the same.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("layout.json");
        std::fs::write(&file, &bytes).unwrap();
        let read = snapshot::read(&file, catalog).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(serde_json::to_value(read.tenant).unwrap(), plain, "{what}");
    }
}

#[test]
fn a_bad_agent_record_is_named_by_its_place_however_many_batches_come_before() {
    let catalog = Catalog::builtin().unwrap();
    // About 300 bytes a record: the agents fill several of the workers' 256 KiB batches.
    let doc = |bad: &[usize]| {
        let agents: Vec<serde_json::Value> = (0..3000)
            .map(|i| {
                if bad.contains(&i) {
                    serde_json::json!({"name": format!("no id {i}")})
                } else {
                    serde_json::json!({"id": i + 1, "name": format!("Agent {i}"), "notes": "n".repeat(250)})
                }
            })
            .collect();
        serde_json::json!({"format": "halo-audit-snapshot", "version": 1, "objects": {"agents": agents}})
            .to_string()
    };
    for (bad, named) in [(vec![2500], 2500), (vec![2900, 40], 40), (vec![0], 0)] {
        let text = doc(&bad);
        let error = snapshot::read_bytes(text.as_bytes(), Path::new("bad.json"), catalog)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            format!("snapshot bad.json: /objects/agents/{named}: agent has no integer `id`"),
            "{bad:?}"
        );
    }
    let good = doc(&[]);
    let read = snapshot::read_bytes(good.as_bytes(), Path::new("good.json"), catalog).unwrap();
    assert_eq!(read.tenant.agents.unwrap().len(), 3000);
    // A record that is not JSON after the bad one: the document is not JSON, which comes first
    // (as for the whole document), though the streamed read stops at the bad record.
    for bad in [vec![10], vec![]] {
        let text = doc(&bad).replacen("\"Agent 2950\"", "\"Agent 2950\" tru", 1);
        let error = snapshot::read_bytes(text.as_bytes(), Path::new("bad.json"), catalog)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("snapshot bad.json:1:"),
            "{bad:?}: {error}"
        );
        assert!(error.contains("expected"), "{bad:?}: {error}");
    }
}
