//! The baseline's account-hygiene checks from the command line: the thresholds of
//! `stale-privileged-agent` and `administrator-count` come from `baseline:` in halo-audit.yaml,
//! "now" is the snapshot's `fetched_at`, and a threshold out of range is exit 2 at its line.
//! The tenant is `fixtures/cases/hygiene-real-codes` (Ann Admin: no second factor, last sign-in 18
//! months before the snapshot; Bob Admin: healthy; Cloud Depot API: `Iu` = 1 through its role).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const TENANT: &str = "fixtures/cases/hygiene-real-codes/snapshot.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `check --format json` with `config` (YAML) as the configuration; the exit code and report.
fn check(config: &str, snapshot: &Path) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("halo-audit.yaml");
    std::fs::write(&path, config).unwrap();
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("HALO_URL")
        .args(["check", "--snapshot"])
        .arg(snapshot)
        .args(["--config"])
        .arg(&path)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), report, stderr)
}

fn findings<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .map(|all| all.iter().filter(|f| f["code"] == code).collect())
        .unwrap_or_default()
}

fn subjects(report: &Value, code: &str) -> Vec<String> {
    findings(report, code)
        .iter()
        .map(|f| f["subject"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn defaults_report_the_neglected_administrator_only_and_the_impersonating_integration() {
    let (code, report, stderr) = check("{}\n", &root().join(TENANT));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(subjects(&report, "admin-without-2fa"), ["Ann Admin"]);
    assert_eq!(subjects(&report, "stale-privileged-agent"), ["Ann Admin"]);
    let stale = findings(&report, "stale-privileged-agent")[0];
    assert!(
        stale["message"]
            .as_str()
            .unwrap()
            .contains("has not signed in for more than 90 days before the snapshot was taken (last sign-in 2025-05-20T09:15:00)"),
        "{stale:#}"
    );
    let impersonation = findings(&report, "impersonation-integration");
    assert_eq!(impersonation.len(), 1);
    assert_eq!(impersonation[0]["severity"], "error");
    assert!(
        impersonation[0]["message"]
            .as_str()
            .unwrap()
            .contains("through role Integration Finance"),
        "{:#}",
        impersonation[0]
    );
    assert!(findings(&report, "administrator-count").is_empty());
}

#[test]
fn thresholds_come_from_the_configuration() {
    let config = "baseline:\n  stale_sign_in_days: 600\n  administrators: {min: 3}\n";
    let (_, report, stderr) = check(config, &root().join(TENANT));
    assert!(
        findings(&report, "stale-privileged-agent").is_empty(),
        "552 days is within 600: {stderr}"
    );
    let count = findings(&report, "administrator-count");
    assert_eq!(count.len(), 1, "{report:#}");
    assert_eq!(count[0]["actual"], "2");
    assert_eq!(count[0]["expected"], "3 to 4");
}

#[test]
fn a_threshold_out_of_range_is_exit_2_at_its_line() {
    let config = "baseline:\n  stale_sign_in_days: 0\n  administrators: {min: 5, max: 2}\n";
    let (code, _, stderr) = check(config, &root().join(TENANT));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("stale_sign_in_days 0"), "{stderr}");
    assert!(stderr.contains("min 5 is above max 2"), "{stderr}");
}

#[test]
fn now_is_the_snapshot_not_the_clock_and_sso_is_a_note() {
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(TENANT)).unwrap()).unwrap();
    // Taken the day after Ann's last sign-in: nothing is stale, whatever today is.
    snapshot["fetched_at"] = Value::from("2025-05-21T09:00:00Z");
    for agent in snapshot["objects"]["agents"].as_array_mut().unwrap() {
        if agent["name"] == "Ann Admin" {
            agent["useadlogin"] = Value::Bool(true);
        }
        if agent["name"] == "Bob Admin" {
            agent["lastlogindate"] = Value::from("2025-05-20T08:00:00");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let (_, report, stderr) = check("{}\n", &path);
    assert!(
        findings(&report, "stale-privileged-agent").is_empty(),
        "{stderr}"
    );
    let sso = findings(&report, "admin-without-2fa");
    assert_eq!(sso.len(), 1, "{report:#}");
    assert_eq!(sso[0]["severity"], "note");
    assert!(
        sso[0]["message"]
            .as_str()
            .unwrap()
            .contains("the second factor is the identity provider's"),
        "{:#}",
        sso[0]
    );
}
