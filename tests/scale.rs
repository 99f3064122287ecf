//! What keeps `check` fast on large tenants (docs/performance.md), without timing anything
//! (`cargo run --release -p halo-bench -- check` measures): the lean load gives the very tenant
//! the full load gives, on every fixture; synthetic tenants (crates/halo-sim) bind every shipped
//! set; evidence stays short when a tenant has hundreds of teams.

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

/// The normalised tenant, as JSON, from the full load and from the lean one.
fn both_ways(bytes: &[u8], path: &Path) -> (serde_json::Value, serde_json::Value) {
    let catalog = Catalog::builtin().unwrap();
    let full = snapshot::parse(bytes, path).unwrap();
    let lean = snapshot::parse_for_check(bytes, path, catalog).unwrap();
    let tenant = |snap| serde_json::to_value(snapshot::normalise(snap, catalog, path).unwrap());
    (tenant(&full).unwrap(), tenant(&lean).unwrap())
}

#[test]
fn the_lean_load_for_check_gives_the_same_tenant_on_every_fixture() {
    let files = fixtures();
    assert!(files.len() > 20, "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let (full, lean) = both_ways(&bytes, &file);
        assert_eq!(full, lean, "{}", file.display());
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
fn the_lean_load_keeps_odd_shapes_for_the_normaliser_to_judge() {
    // Envelopes, non-object items, odd member types and unknown members: the same tenant, or the
    // same error, either way.
    let odd = serde_json::json!({
        "format": "halo-audit-snapshot", "version": 1,
        "objects": {
            "agents": {"record_count": 2, "agents": [
                {"id": 2, "name": "A", "teams": "not a list", "roles": [{"id": "r", "claims": null}, 7],
                 "clients": [1, {"client_name": "C", "extra": [1, 2]}], "is_admin": "yes", "unused": {"deep": [1]}},
                {"id": "3", "name": "B", "claims": [{"type": "feature.crm", "value": 1}], "isdisabled": false}
            ]},
            "teams": [{"id": 1, "name": "T", "inactive": null, "agents": [{"agent_id": 2}]}],
            "roles": {"record_count": 1, "roles": [{"id": "r", "name": "R", "claims": [{"type": "feature.crm", "value": "2"}], "teams": []}]},
            "applications": [{"id": "a", "displayName": "Rewst 1", "loginas_agent_id": 2, "scopes": [{"name": "all"}]}]
        }
    });
    let text = serde_json::to_string_pretty(&odd).unwrap();
    let (full, lean) = both_ways(text.as_bytes(), Path::new("odd.json"));
    assert_eq!(full, lean);

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
        let lean = snapshot::parse_for_check(broken.as_bytes(), path, catalog)
            .and_then(|s| snapshot::normalise(&s, catalog, path).map(|_| ()))
            .unwrap_err()
            .to_string();
        assert_eq!(full, lean, "{what}");
    }
}
