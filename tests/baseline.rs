//! `check --baseline REPORT.json`: only findings not in a previous JSON report fail the run;
//! matching is by fingerprint, never by wording; fixed findings are listed; `--update-baseline`
//! rewrites the file; anything but a halo-audit JSON report v1 is refused with exit 2.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const DEMO: &str = "fixtures/demo/snapshot.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], code: i32) -> (String, String) {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
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

/// A report of the demo to use as a baseline, and a directory for edited snapshots.
fn baseline() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baseline.json");
    run(
        &[
            "check",
            "--snapshot",
            DEMO,
            "--format",
            "json",
            "-o",
            path.to_str().unwrap(),
        ],
        1,
    );
    (dir, path)
}

fn edited_demo(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut value: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(DEMO)).unwrap()).unwrap();
    edit(&mut value);
    let path = dir.join("edited.json");
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    path
}

fn application<'a>(snapshot: &'a mut Value, name: &str) -> &'a mut Value {
    snapshot["objects"]["applications"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["displayName"] == name)
        .unwrap()
}

/// Hudu loses `read:assets`: one new missing-grant.
fn one_new_mistake(snapshot: &mut Value) {
    application(snapshot, "Hudu")["scopes"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["name"] != "read:assets");
}

#[test]
fn only_old_findings_pass() {
    let (_dir, base) = baseline();
    let (stdout, _) = run(
        &[
            "check",
            "--snapshot",
            DEMO,
            "--baseline",
            base.to_str().unwrap(),
        ],
        0,
    );
    assert!(
        stdout.contains(": 0 new findings (counted above), "),
        "{stdout}"
    );
    assert!(stdout.contains("already in the baseline"), "{stdout}");
}

#[test]
fn one_new_finding_fails_and_is_the_only_one_shown() {
    let (dir, base) = baseline();
    let edited = edited_demo(dir.path(), one_new_mistake);
    let args = [
        "check",
        "--snapshot",
        edited.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
    ];
    let (stdout, _) = run(&args, 1);
    assert!(
        stdout.contains("application `Hudu` lacks scope `read:assets`"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("lacks scope `edit:invoices`"),
        "baselined findings are not shown:\n{stdout}"
    );
    assert!(
        stdout.contains(": 1 new finding (counted above), "),
        "{stdout}"
    );

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let (stdout, stderr) = run(&json_args, 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["summary"]["passed"], false);
    let new: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline_state"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{new:#?}");
    assert_eq!(new[0]["requirement"], "hudu.scope.read-assets");
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["baseline_state"].is_string())
    );
    assert_eq!(report["baseline"]["new"], 1);
    assert_eq!(report["baseline"]["fixed"], serde_json::json!([]));
    assert!(
        stderr.contains("1 error"),
        "the summary counts new findings only: {stderr}"
    );
}

#[test]
fn matching_ignores_message_text() {
    let (_dir, base) = baseline();
    let mut report: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    for f in report["findings"].as_array_mut().unwrap() {
        f["message"] = Value::String("reworded in a later release".into());
        f["subject"]["name"] = Value::String("renamed".into());
    }
    std::fs::write(&base, serde_json::to_string(&report).unwrap()).unwrap();
    run(
        &[
            "check",
            "--snapshot",
            DEMO,
            "--baseline",
            base.to_str().unwrap(),
        ],
        0,
    );
}

#[test]
fn fixed_findings_are_listed() {
    let (dir, base) = baseline();
    let edited = edited_demo(dir.path(), |s| {
        application(s, "vCIOToolbox")["scopes"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "edit:invoices"}));
    });
    let (stdout, _) = run(
        &[
            "check",
            "--snapshot",
            edited.to_str().unwrap(),
            "--baseline",
            base.to_str().unwrap(),
        ],
        0,
    );
    assert!(stdout.contains("1 fixed"), "{stdout}");
    assert!(
        stdout.contains("fixed: missing-grant[vciotoolbox] vciotoolbox.scope.edit-invoices on application vCIOToolbox"),
        "{stdout}"
    );
    let (stdout, _) = run(
        &[
            "check",
            "--snapshot",
            edited.to_str().unwrap(),
            "--baseline",
            base.to_str().unwrap(),
            "--format",
            "json",
        ],
        0,
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let fixed = report["baseline"]["fixed"].as_array().unwrap();
    assert_eq!(fixed.len(), 1);
    assert_eq!(fixed[0]["requirement"], "vciotoolbox.scope.edit-invoices");
}

#[test]
fn update_baseline_accepts_the_current_findings() {
    let (dir, base) = baseline();
    let edited = edited_demo(dir.path(), one_new_mistake);
    let snapshot = edited.to_str().unwrap();
    let (_, stderr) = run(
        &[
            "check",
            "--snapshot",
            snapshot,
            "--baseline",
            base.to_str().unwrap(),
            "--update-baseline",
        ],
        0,
    );
    assert!(stderr.contains("1 new accepted"), "{stderr}");
    let rewritten: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    assert_eq!(rewritten["version"], 1);
    assert!(
        rewritten.get("baseline").is_none(),
        "the rewritten baseline is a plain report"
    );
    run(
        &[
            "check",
            "--snapshot",
            snapshot,
            "--baseline",
            base.to_str().unwrap(),
        ],
        0,
    );
    // A baseline that does not exist yet is created.
    let fresh = dir.path().join("fresh.json");
    run(
        &[
            "check",
            "--snapshot",
            snapshot,
            "--baseline",
            fresh.to_str().unwrap(),
            "--update-baseline",
            "-q",
        ],
        0,
    );
    run(
        &[
            "check",
            "--snapshot",
            snapshot,
            "--baseline",
            fresh.to_str().unwrap(),
        ],
        0,
    );
}

#[test]
fn anything_but_a_json_report_is_refused_with_exit_2() {
    let (_, stderr) = run(&["check", "--snapshot", DEMO, "--baseline", DEMO], 2);
    assert!(
        stderr.contains("is not a halo-audit JSON report (version 1): it is a snapshot"),
        "{stderr}"
    );
    let (_, stderr) = run(
        &[
            "check",
            "--snapshot",
            DEMO,
            "--baseline",
            "fixtures/diff/README.md",
        ],
        2,
    );
    assert!(stderr.contains("not valid JSON"), "{stderr}");
    let (_, stderr) = run(
        &[
            "check",
            "--snapshot",
            DEMO,
            "--baseline",
            "no/such/report.json",
        ],
        2,
    );
    assert!(
        stderr.contains("cannot read baseline no/such/report.json"),
        "{stderr}"
    );
    let (_, stderr) = run(&["check", "--snapshot", DEMO, "--update-baseline"], 2);
    assert!(stderr.contains("--baseline"), "{stderr}");
}

/// The drift gate stops an escalation: Hudu's login agent becomes a HaloPSA administrator, which no
/// set bound to Hudu requires. That is an error by default, so `check --baseline` fails at the
/// default `--fail-on error`, naming it as the one new finding.
#[test]
fn an_integration_agent_becoming_administrator_fails_the_gate_at_the_default_fail_on() {
    let (dir, base) = baseline();
    let edited = edited_demo(dir.path(), |snapshot| {
        let agent_id = application(snapshot, "Hudu")["loginas_agent_id"].clone();
        let agent = snapshot["objects"]["agents"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|a| a["id"] == agent_id)
            .unwrap();
        agent["is_admin"] = Value::Bool(true);
        agent["claims"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"type": "SA", "value": "true"}));
    });
    let args = [
        "check",
        "--snapshot",
        edited.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
        "--format",
        "json",
    ];
    let (stdout, _) = run(&args, 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let new: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline_state"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{new:#?}");
    assert_eq!(new[0]["code"], "admin-api-agent");
    assert_eq!(new[0]["severity"], "error");
    assert_eq!(report["summary"]["passed"], false);
}
