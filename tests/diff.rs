//! `halo-audit diff` from the command line: formats, exit codes, the pinned human output of the
//! fixtures in `fixtures/diff/` (each kind of change once; cosmetic noise ignored).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const OLD: &str = "fixtures/diff/old.json";
const NEW: &str = "fixtures/diff/new.json";

fn run(args: &[&str], code: i32) -> (String, String) {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit code of {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    (stdout, stderr)
}

#[test]
fn drift_fails_only_with_fail_on_drift() {
    run(&["diff", OLD, NEW], 0);
    run(&["diff", OLD, NEW, "--fail-on-drift"], 1);
    let (stdout, _) = run(&["diff", OLD, OLD, "--fail-on-drift"], 0);
    assert!(stdout.contains("No drift"), "{stdout}");
}

#[test]
fn human_output_of_the_fixtures_is_pinned() {
    let (stdout, _) = run(&["diff", OLD, NEW], 0);
    insta::assert_snapshot!("fixtures_human", stdout);
}

#[test]
fn json_document_has_the_documented_shape() {
    let (stdout, _) = run(&["diff", OLD, NEW, "--format", "json"], 0);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["kind"], "diff");
    assert_eq!(doc["tool"]["name"], "halo-audit");
    assert_eq!(doc["old"]["path"], OLD);
    assert_eq!(doc["new"]["fetched_at"], "2026-11-20T06:00:00Z");
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 40);
    let count = |class: &str| changes.iter().filter(|c| c["class"] == class).count() as u64;
    for class in ["widened", "narrowed", "neutral"] {
        assert_eq!(
            doc["summary"][class].as_u64(),
            Some(count(class)),
            "{class}"
        );
    }
    assert_eq!(doc["summary"]["drift"], true);
    for c in changes {
        assert!(c["kind"].is_string(), "{c}");
        assert!(
            ["application", "agent", "team", "role"]
                .contains(&c["subject"]["kind"].as_str().unwrap()),
            "{c}"
        );
        assert!(
            c["subject"]["id"].is_string() && c["subject"]["name"].is_string(),
            "{c}"
        );
        assert!(c["message"].as_str().is_some_and(|m| !m.is_empty()), "{c}");
        assert!(c["chain"].is_array(), "{c}");
    }
    let ava = changes
        .iter()
        .find(|c| c["kind"] == "level_raised" && c["subject"]["name"] == "Ava Stone")
        .unwrap();
    assert_eq!(ava["permission"], "feature.invoices");
    assert_eq!(ava["before"], "Read Only");
    assert_eq!(ava["after"], "Read, Create and Modify");
    assert_eq!(doc["not_compared"].as_array().map(Vec::len), Some(0));
}

#[test]
fn markdown_is_a_table_of_changes() {
    let (stdout, _) = run(&["diff", OLD, NEW, "--format", "markdown"], 0);
    assert!(stdout.starts_with("# Permission drift\n"), "{stdout}");
    assert!(stdout.contains("| + | widened | agent Ava Stone | agent `Ava Stone` gained Invoices: Read, Create and Modify through role Billing (was Read Only) |"), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("| ")).count(), 41);
}

#[test]
fn unreadable_snapshots_exit_2_naming_the_file() {
    let (_, stderr) = run(&["diff", OLD, "fixtures/diff/nope.json"], 2);
    assert!(stderr.contains("fixtures/diff/nope.json"), "{stderr}");
    let (_, stderr) = run(&["diff", OLD, "fixtures/diff/README.md"], 2);
    assert!(stderr.contains("README.md"), "{stderr}");
}

#[test]
fn output_file_is_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drift.md");
    let (stdout, _) = run(
        &[
            "diff",
            OLD,
            NEW,
            "--format",
            "markdown",
            "-o",
            path.to_str().unwrap(),
        ],
        0,
    );
    assert!(stdout.is_empty());
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# Permission drift")
    );
}

#[test]
fn the_example_in_docs_drift_md_is_current() {
    let (stdout, _) = run(&["diff", OLD, NEW], 0);
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/drift.md"))
        .unwrap();
    assert!(
        page.contains(&stdout),
        "docs/drift.md does not hold the current output of `halo-audit diff {OLD} {NEW}`:\n{stdout}"
    );
}
