//! The permission catalog end to end through the CLI: real claim codes decided, claims the catalog
//! does not know reported as unverifiable and listed by `snapshot show`, and a user's catalog
//! overlay turning them into decided findings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn halo_audit(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The MSPortal documented case with its agent carrying `Sg` = `value`, a claim type the
/// catalog does not know (Segments has no known claim).
fn msportal_with_segments(dir: &Path, value: &str) -> String {
    let text =
        std::fs::read_to_string(root().join("fixtures/cases/msportal-documented/snapshot.json"))
            .unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let agents = doc["objects"]["agents"].as_array_mut().unwrap();
    let agent = agents
        .iter_mut()
        .find(|a| a["name"] == "MSPortal API")
        .unwrap();
    agent["claims"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"type": "Sg", "value": value}));
    let path = dir.join(format!("msportal-sg-{value}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

fn findings(stdout: &str, requirement: &str) -> Vec<Value> {
    let report: Value = serde_json::from_str(stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["requirement"] == requirement)
        .cloned()
        .collect()
}

const OVERLAY: &str = "# Our tenant carries Segments as `Sg`\npermissions:\n  - permission: Segments\n    claim: Sg\n    values: { \"0\": No Access, \"1\": Read Only, \"2\": Read and Modify }\n";

#[test]
fn an_unknown_claim_is_unverifiable_listed_and_decided_once_an_overlay_maps_it() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = msportal_with_segments(dir.path(), "1");
    let overlay = dir.path().join("overlay.yaml");
    std::fs::write(&overlay, OVERLAY).unwrap();
    let overlay = overlay.to_string_lossy().into_owned();

    // Without the overlay: unverifiable, and `snapshot show` lists the claim with its counts.
    let (code, stdout, _) = halo_audit(&[
        "check",
        "--snapshot",
        &snapshot,
        "--set",
        "msportal",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let segments = findings(&stdout, "msportal.feature.segments");
    assert_eq!(segments.len(), 1, "{segments:?}");
    assert_eq!(segments[0]["code"], "unverifiable");
    let (code, stdout, _) = halo_audit(&["snapshot", "show", &snapshot]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    let row = lines
        .iter()
        .position(|l| l.contains("│ Sg "))
        .unwrap_or_else(|| panic!("{stdout}"));
    // The `why` cell wraps to the table's width: its words over the row's lines.
    let why: Vec<&str> = lines[row..]
        .iter()
        .take_while(|l| l.starts_with('│'))
        .filter_map(|l| l.trim_end_matches('│').rsplit('│').next())
        .flat_map(str::split_whitespace)
        .collect();
    assert!(
        why.join(" ").contains("claim type not in the catalog"),
        "{stdout}"
    );

    // With it: decided. `Sg` = 1 is Read Only, below the Read and Modify MSPortal documents.
    let (code, stdout, _) = halo_audit(&[
        "check",
        "--snapshot",
        &snapshot,
        "--set",
        "msportal",
        "--catalog",
        &overlay,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{stdout}");
    let segments = findings(&stdout, "msportal.feature.segments");
    assert_eq!(segments.len(), 1, "{segments:?}");
    assert_eq!(segments[0]["code"], "missing-grant");
    assert_eq!(segments[0]["actual"], "Read Only");
    let said = segments[0]["assumptions"].to_string();
    assert!(said.contains("your catalog overlay"), "{said}");
    let (_, stdout, _) = halo_audit(&["snapshot", "show", &snapshot, "--catalog", &overlay]);
    assert!(!stdout.contains("│ Sg "), "{stdout}");

    // And at Read and Modify it passes.
    let snapshot = msportal_with_segments(dir.path(), "2");
    let (_, stdout, _) = halo_audit(&[
        "check",
        "--snapshot",
        &snapshot,
        "--set",
        "msportal",
        "--catalog",
        &overlay,
        "--format",
        "json",
    ]);
    assert!(
        findings(&stdout, "msportal.feature.segments").is_empty(),
        "{stdout}"
    );
}

#[test]
fn a_bad_overlay_is_refused_with_each_problem_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("overlay.yaml");
    std::fs::write(
        &overlay,
        "permissions:\n  - permission: Segmnts\n    claim: Sg\n  - permission: Segments\n    claim: Tx\n  - permission: Tickets\n    values: { \"7\": Read and Modfy }\n  - permission: agent.api_only\n    claim: Zz\n",
    )
    .unwrap();
    let overlay = overlay.to_string_lossy().into_owned();
    let (code, _, stderr) = halo_audit(&["rules", "list", "--catalog", &overlay]);
    assert_eq!(code, 2, "{stderr}");
    for expected in [
        "4 problems in the catalog overlay",
        "`Segmnts` is not a permission of the catalog",
        "did you mean feature.segments",
        "claim type `Tx` already carries `feature.tickets`",
        "`Read and Modfy` is not a level of `feature.tickets`",
        "`agent.api_only` is read from the agent's field `isapiagent`, not from a claim",
        "overlay.yaml:2:",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

#[test]
fn the_demo_decides_every_feature_and_ticket_requirement_of_the_seed_sets() {
    let (code, stdout, _) = halo_audit(&[
        "check",
        "--snapshot",
        "fixtures/demo/snapshot.json",
        "--set",
        "vciotoolbox",
        "--set",
        "cloud-depot",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let undecided: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "unverifiable")
        .collect();
    assert!(undecided.is_empty(), "{undecided:#?}");
    // The planted mistakes are decided through the real codes: Invoices (Xx) too high and Can
    // Delete Tickets (l4) on vCIOToolbox's agent, Purchase Orders (Zx) missing on Cloud Depot's.
    let has = |code: &str, requirement: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == code && f["requirement"] == requirement)
    };
    assert!(has("excessive-grant", "vciotoolbox.ticket.can-delete"));
    assert!(has("missing-grant", "cloud-depot.feature.purchase-orders"));
}

#[test]
fn the_overlay_example_in_docs_permissions_md_is_valid() {
    let page = std::fs::read_to_string(root().join("docs/permissions.md")).unwrap();
    let start = page
        .find("```yaml\n# my-catalog.yaml")
        .expect("docs/permissions.md has the overlay example")
        + "```yaml\n".len();
    let end = start + page[start..].find("```").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("my-catalog.yaml");
    std::fs::write(&overlay, &page[start..end]).unwrap();
    let (code, _, stderr) = halo_audit(&["rules", "list", "--catalog", &overlay.to_string_lossy()]);
    assert_eq!(code, 0, "{stderr}");
}
