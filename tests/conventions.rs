//! halo-audit in a user's repository and CI: the shipped sets exported and audited from there
//! (`rules export`), SARIF locations that exist in that repository, the command-line conventions
//! (`-` for standard input and output, configuration discovery, colour variables) and the CI
//! formats of other systems (GitLab Code Quality).
//!
//! Commands run with a cleared colour environment; each test that needs a repository builds one in
//! a temporary directory (a `.git` directory marks its root).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/snapshot.json")
}

/// halo-audit run in `dir`, with no colour variables and no configuration from the environment.
fn halo_audit(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("halo-audit").unwrap();
    cmd.current_dir(dir);
    for var in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "FORCE_COLOR",
        "TERM",
        "HALO_URL",
        "HALO_AUDIT_CONFIG",
        "HALO_AUDIT_FAIL_ON",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = halo_audit(dir);
    cmd.args(args);
    if let Some(bytes) = stdin {
        cmd.write_stdin(bytes);
    }
    let output = cmd.output().unwrap();
    let run = Run {
        code: output.status.code().expect("killed by a signal"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    run
}

fn expect(dir: &Path, args: &[&str], code: i32) -> Run {
    let run = run_in(dir, args, None);
    assert_eq!(
        run.code, code,
        "exit code of {args:?}\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    run
}

/// A repository in a temporary directory: `.git` at its root and an `ops/` subdirectory.
fn repository() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    std::fs::create_dir(repo.path().join("ops")).unwrap();
    repo
}

// ---------------------------------------------------------------------------------------------
// rules export

#[test]
fn exported_sets_validate_and_find_what_the_shipped_ones_find() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    let rules_arg = rules.to_str().unwrap();
    expect(dir.path(), &["rules", "export", rules_arg], 0);
    let schema = std::fs::read_to_string(rules.join("rules.schema.json")).unwrap();
    assert_eq!(
        schema,
        expect(dir.path(), &["rules", "schema"], 0).stdout,
        "the schema beside the sets is the one `rules schema` prints"
    );
    let shipped = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"))
        .unwrap()
        .count();
    let mut yaml = 0;
    for entry in std::fs::read_dir(&rules).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            yaml += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with("# yaml-language-server: $schema=./rules.schema.json\n"),
                "{}: the modeline names the schema beside it",
                path.display()
            );
        }
    }
    assert_eq!(yaml, shipped, "every shipped set is exported");
    let validated = expect(dir.path(), &["rules", "validate", rules_arg], 0);
    assert!(
        validated
            .stdout
            .starts_with(&format!("ok: {shipped} files"))
    );

    let snapshot = demo();
    let snapshot = snapshot.to_str().unwrap();
    for format in ["table", "json"] {
        let builtin = run_in(
            dir.path(),
            &["check", "--snapshot", snapshot, "--format", format],
            None,
        );
        let exported = run_in(
            dir.path(),
            &[
                "check",
                "--snapshot",
                snapshot,
                "--format",
                format,
                "--no-default-rules",
                "--rules",
                rules_arg,
            ],
            None,
        );
        assert_eq!(builtin.code, 1, "the demo has errors");
        assert_eq!(exported.code, builtin.code);
        assert_eq!(
            exported.stderr, builtin.stderr,
            "{format}: the same verdict"
        );
        if format == "table" {
            assert_eq!(exported.stdout, builtin.stdout, "the same findings");
        } else {
            let key = |text: &str| -> Vec<(String, String)> {
                let report: Value = serde_json::from_str(text).unwrap();
                report["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        (
                            f["fingerprint"].as_str().unwrap().to_owned(),
                            f["message"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            };
            assert_eq!(key(&exported.stdout), key(&builtin.stdout));
        }
    }
}

#[test]
fn export_never_replaces_a_file_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("hudu.yaml"), "# mine\n").unwrap();
    let refused = expect(dir.path(), &["rules", "export", "rules"], 2);
    assert!(refused.stderr.contains("hudu.yaml"), "{}", refused.stderr);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(
        std::fs::read_to_string(rules.join("hudu.yaml")).unwrap(),
        "# mine\n"
    );
    assert!(
        !rules.join("cipp.yaml").exists(),
        "nothing is written when one file exists"
    );
    expect(dir.path(), &["rules", "export", "rules", "--force"], 0);
    assert!(
        std::fs::read_to_string(rules.join("hudu.yaml"))
            .unwrap()
            .contains("id: hudu")
    );
}

// ---------------------------------------------------------------------------------------------
// SARIF in the user's repository

/// What GitHub code scanning would do with a SARIF log uploaded from `root`: every result is its
/// own alert, and every location names a file of the repository.
fn assert_code_scanning_would_show(log: &Value, root: &Path) {
    let (schemas, index) = common::formats::sarif_schema();
    common::formats::validate(&schemas, index, log).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let hashes: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(hashes.len(), results.len(), "one alert per result");
    for result in results {
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%", "{result:#}");
        let uri = artifact["uri"].as_str().unwrap();
        assert!(
            root.join(uri).is_file(),
            "{uri} is not a file of the repository"
        );
    }
}

#[test]
fn sarif_from_a_subdirectory_locates_exported_sets_in_the_repository() {
    let repo = repository();
    let ops = repo.path().join("ops");
    expect(&ops, &["rules", "export", "../rules"], 0);
    let snapshot = demo();
    let run = run_in(
        &ops,
        &[
            "check",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--no-default-rules",
            "--rules",
            "../rules",
            "--format",
            "sarif",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_code_scanning_would_show(&log, repo.path());
    assert!(run.stdout.contains("\"uri\": \"rules/hudu.yaml\""));
}

#[test]
fn diff_sarif_locates_a_committed_snapshot_in_the_repository() {
    let repo = repository();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff");
    for name in ["old.json", "new.json"] {
        std::fs::copy(fixtures.join(name), repo.path().join("ops").join(name)).unwrap();
    }
    let run = expect(
        &repo.path().join("ops"),
        &["diff", "old.json", "new.json", "--format", "sarif"],
        0,
    );
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_code_scanning_would_show(&log, repo.path());
    assert!(run.stdout.contains("\"uri\": \"ops/new.json\""));
}
