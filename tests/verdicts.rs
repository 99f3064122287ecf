//! Verdicts a CI gate can trust: a run that audited nothing is never a pass (exit 3, with the
//! reason and the fix), coverage is part of every verdict and can gate (`--fail-on-unverifiable`,
//! `--min-coverage`), baseline policies see every set's binding whatever `--set` selects and leave
//! system applications alone, and reports of two different instances are not compared.
//!
//! The fetched cases run against the simulator (crates/halo-sim) on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use halo_sim::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Fault, FaultKind, Server, SimConfig,
};
use serde_json::Value;

const DEMO: &str = "fixtures/demo/snapshot.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What a finished run left behind.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs halo-audit; with a server, against it with the demo credentials.
fn halo_audit(server: Option<&Server>, args: &[&str]) -> Run {
    let mut command = Command::cargo_bin("halo-audit").unwrap();
    command
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("HALO_URL")
        .env_remove("HALO_AUTH_URL")
        .env_remove("HALO_AUDIT_FAIL_ON")
        .env_remove("HALO_AUDIT_CONFIG");
    if let Some(server) = server {
        command
            .env("HALO_URL", server.url())
            .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
            .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
            .env("HALO_TENANT", DEMO_TENANT);
    }
    let output = command
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().expect("killed (timeout?)"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "panic:\n{}", run.stderr);
    run
}

/// The human report's last verdict line (`halo-audit: …`), wrapped to the width: joined again.
fn verdict_line(stdout: &str) -> String {
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.starts_with("halo-audit: "))
        .unwrap_or_default();
    // The line and its wrapped continuation lines (indented).
    lines[start..]
        .iter()
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.starts_with("  "))
        .map(|(_, l)| l.trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text with its line breaks and indentation as single spaces (the human report wraps lines).
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn expect(run: Run, code: i32) -> Run {
    assert_eq!(
        run.code, code,
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    run
}

/// The demo snapshot, edited, written into `dir` under `name`.
fn edited_demo(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut value: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(DEMO)).unwrap()).unwrap();
    edit(&mut value);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    path
}

/// Fetches the demo tenant from a simulator answering `403` on `endpoint`, into `dir`.
fn fetch_forbidden(endpoint: &str, dir: &Path) -> (Server, PathBuf) {
    let mut config = SimConfig::demo();
    config.faults = vec![Fault::new(endpoint, FaultKind::Forbidden)];
    let server = Server::start(config).unwrap();
    let out = dir.join("snap.json");
    let path = out.to_str().unwrap().to_owned();
    expect(
        halo_audit(Some(&server), &["fetch", "-o", &path, "--rate", "off"]),
        0,
    );
    (server, out)
}

fn codes(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Nothing audited is never a pass

#[test]
fn a_forbidden_application_list_is_not_audited_exit_3_whatever_fail_on_says() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, snap) = fetch_forbidden("/api/Application", dir.path());
    let snap = snap.to_str().unwrap();
    for fail_on in ["error", "never"] {
        let run = expect(
            halo_audit(None, &["check", "--snapshot", snap, "--fail-on", fail_on]),
            3,
        );
        assert!(
            words(&run.stdout).contains(
                "Not audited: the application list could not be read (403 forbidden) fix: give the auditing application's agent read access to API applications"
            ),
            "{}",
            run.stdout
        );
        let verdict = verdict_line(&run.stdout);
        assert!(
            verdict.ends_with(
                ": not audited (the application list could not be read (403 forbidden))"
            ),
            "{verdict}"
        );
        assert!(!run.stdout.contains("passed ("), "{}", run.stdout);
    }
    let run = expect(
        halo_audit(None, &["check", "--snapshot", snap, "--format", "json"]),
        3,
    );
    let report = run.json();
    assert_eq!(report["summary"]["passed"], false);
    assert_eq!(report["summary"]["audited"], false);
    assert_eq!(report["summary"]["verdict"], "not audited");
    assert_eq!(report["summary"]["not_audited"][0]["what"], "applications");
    // The reason and the fix on stderr too, for machine formats.
    assert!(
        run.stderr
            .contains("Not audited: the application list could not be read (403 forbidden)"),
        "{}",
        run.stderr
    );
    // Policies that need the application list cannot be decided: unverifiable, not findings. Only
    // the checks that judge agents alone (an administrator's second factor, how many there are)
    // still find something.
    for code in codes(&report) {
        assert!(
            ["unverifiable", "admin-without-2fa", "administrator-count"].contains(&code.as_str()),
            "{code}: {report}"
        );
    }
    assert!(
        !run.stdout.contains("no active application logs in as it"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_forbidden_agent_list_is_not_audited_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, snap) = fetch_forbidden("/api/Agent", dir.path());
    let run = expect(
        halo_audit(
            None,
            &[
                "check",
                "--snapshot",
                snap.to_str().unwrap(),
                "--format",
                "json",
                "--set",
                "cloud-depot",
            ],
        ),
        3,
    );
    let report = run.json();
    assert_eq!(report["summary"]["verdict"], "not audited");
    assert_eq!(report["summary"]["not_audited"][0]["what"], "agents");
    assert!(
        report["summary"]["not_audited"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("the agent list could not be read (403"),
        "{report}"
    );
}

#[test]
fn a_live_check_with_the_application_list_forbidden_exits_3() {
    let mut config = SimConfig::demo();
    config.faults = vec![Fault::new("/api/Application", FaultKind::Forbidden)];
    let server = Server::start(config).unwrap();
    let run = expect(
        halo_audit(
            Some(&server),
            &["check", "--rate", "off", "--format", "sarif"],
        ),
        3,
    );
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let properties = &log["runs"][0]["properties"];
    assert_eq!(properties["verdict"], "not audited", "{properties}");
    assert_eq!(properties["notAudited"][0]["what"], "applications");
}

#[test]
fn an_empty_application_list_is_not_audited() {
    let dir = tempfile::tempdir().unwrap();
    let snap = edited_demo(dir.path(), "empty.json", |v| {
        v["objects"]["applications"] = Value::Array(Vec::new());
    });
    let run = expect(
        halo_audit(None, &["check", "--snapshot", snap.to_str().unwrap()]),
        3,
    );
    assert!(
        run.stdout
            .contains("Not audited: the application list is empty (Halo answers `200 []`"),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// Coverage

#[test]
fn coverage_is_in_the_verdict_and_the_json_summary() {
    let run = expect(
        halo_audit(
            None,
            &[
                "check",
                "--snapshot",
                "fixtures/cases/unknown-claim-unverifiable/snapshot.json",
            ],
        ),
        0,
    );
    let verdict = verdict_line(&run.stdout);
    assert_eq!(
        verdict,
        "halo-audit: findings: 0 errors, 8 warnings, 0 notes (8 unverifiable); requirements: 18 of 26 decided (69%), 1 of them on an assumption, 8 unverifiable, 0 not applicable: passed (--fail-on error)"
    );
    let run = halo_audit(
        None,
        &[
            "check",
            "--snapshot",
            "fixtures/cases/unknown-claim-unverifiable/snapshot.json",
            "--format",
            "json",
        ],
    );
    let summary = &run.json()["summary"];
    assert_eq!(summary["coverage"]["decided"], 18, "{summary}");
    assert_eq!(summary["coverage"]["unverifiable"], 8, "{summary}");
    assert_eq!(summary["coverage"]["not_applicable"], 0, "{summary}");
    assert_eq!(summary["coverage"]["percent"], 69, "{summary}");
    let sets = run.json()["sets"].clone();
    let cloud_depot = sets
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "cloud-depot")
        .unwrap()
        .clone();
    assert_eq!(cloud_depot["coverage"]["unverifiable"], 3, "{cloud_depot}");
}

#[test]
fn fail_on_unverifiable_fails_an_undecided_tenant_and_passes_the_clean_case() {
    let undecided = "fixtures/cases/unknown-claim-unverifiable/snapshot.json";
    expect(halo_audit(None, &["check", "--snapshot", undecided]), 0);
    let run = expect(
        halo_audit(
            None,
            &["check", "--snapshot", undecided, "--fail-on-unverifiable"],
        ),
        1,
    );
    assert!(
        verdict_line(&run.stdout).starts_with(
            "halo-audit: findings: 8 errors, 0 warnings, 0 notes (8 unverifiable); requirements: 18 of 26 decided (69%)"
        ),
        "{}",
        run.stdout
    );
    expect(
        halo_audit(
            None,
            &[
                "check",
                "--snapshot",
                "fixtures/cases/all-satisfied/snapshot.json",
                "--catalog",
                "fixtures/cases/all-satisfied/catalog.yaml",
                "--fail-on-unverifiable",
            ],
        ),
        0,
    );
    // The same from the configuration file.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("halo-audit.yaml");
    std::fs::write(&config, "fail_on_unverifiable: true\n").unwrap();
    expect(
        halo_audit(
            None,
            &[
                "--config",
                config.to_str().unwrap(),
                "check",
                "--snapshot",
                undecided,
            ],
        ),
        1,
    );
}

#[test]
fn min_coverage_fails_when_too_little_was_decided() {
    let undecided = "fixtures/cases/unknown-claim-unverifiable/snapshot.json";
    let run = expect(
        halo_audit(
            None,
            &[
                "check",
                "--snapshot",
                undecided,
                "--min-coverage",
                "90",
                "--format",
                "junit",
            ],
        ),
        1,
    );
    assert!(
        run.stderr
            .trim_end()
            .ends_with(": failed (--fail-on error; 69% decided, below --min-coverage 90)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("69% decided, below --min-coverage 90"),
        "{}",
        run.stdout
    );
    expect(
        halo_audit(
            None,
            &["check", "--snapshot", undecided, "--min-coverage", "69"],
        ),
        0,
    );
    let run = expect(
        halo_audit(
            None,
            &["check", "--snapshot", undecided, "--min-coverage", "101"],
        ),
        2,
    );
    assert!(run.stderr.contains("101"), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("halo-audit.yaml");
    std::fs::write(&config, "min_coverage: 150\n").unwrap();
    let run = expect(
        halo_audit(
            None,
            &[
                "--config",
                config.to_str().unwrap(),
                "check",
                "--snapshot",
                undecided,
            ],
        ),
        2,
    );
    assert!(
        run.stderr.contains("min_coverage 150 is not a percentage"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Baseline policies

#[test]
fn selecting_one_set_does_not_make_the_other_integrations_unbound() {
    let server = Server::start(SimConfig::demo()).unwrap();
    let run = halo_audit(
        Some(&server),
        &[
            "check",
            "--rate",
            "off",
            "--set",
            "cloud-depot",
            // The tenant-wide baseline: a readiness check alone reports nothing about Rewst.
            "--set",
            "baseline",
            "--format",
            "json",
        ],
    );
    let report = run.json();
    let about_rewst: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["requirement_set"] == "baseline")
        .filter(|f| f["subject"]["name"].as_str().unwrap().contains("Rewst"))
        .collect();
    assert!(about_rewst.is_empty(), "{about_rewst:#?}");
    // The full run does not report Rewst's `all` scope either: its set requires it.
    let full = halo_audit(
        Some(&server),
        &["check", "--rate", "off", "--format", "json"],
    )
    .json();
    assert!(
        !full["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| { f["code"] == "broad-scope-unneeded" && f["subject"]["name"] == "Rewst" }),
        "{full}"
    );
}

#[test]
fn a_system_application_is_out_of_scope_of_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let snap = edited_demo(dir.path(), "system.json", |v| {
        v["objects"]["applications"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "id": "00000000-0000-4000-8000-000000005157",
                "clientId": "halo-portal-system",
                "displayName": "HaloPSA Portal",
                "inactive": false,
                "scopes": [{"name": "all"}],
                "_issystem": true
            }));
    });
    let report = halo_audit(
        None,
        &[
            "check",
            "--snapshot",
            snap.to_str().unwrap(),
            "--format",
            "json",
        ],
    )
    .json();
    let about_portal: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"]["name"] == "HaloPSA Portal")
        .collect();
    assert!(about_portal.is_empty(), "{about_portal:#?}");
    let explain = expect(halo_audit(None, &["explain", "broad-scope-unneeded"]), 0);
    assert!(explain.stdout.contains("_issystem"), "{}", explain.stdout);
}

#[test]
fn a_disabled_administrator_logged_in_as_by_an_active_application_is_reported() {
    let report = halo_audit(None, &["check", "--snapshot", DEMO, "--format", "json"]).json();
    let admin: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "admin-api-agent")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        admin.contains(
            &"API-only agent `PowerShell Sync (old)` is a HaloPSA administrator and no set bound to `Old PowerShell Sync` requires it (disabled, but still the login agent of an active application)"
        ),
        "{admin:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Different instances

#[test]
fn diff_refuses_snapshots_of_two_instances() {
    let dir = tempfile::tempdir().unwrap();
    let other = edited_demo(dir.path(), "other.json", |v| {
        v["instance"]["url"] = Value::from("https://contoso.halopsa.example");
    });
    let other = other.to_str().unwrap();
    let run = expect(halo_audit(None, &["diff", DEMO, other]), 2);
    assert!(
        run.stderr.contains("the two snapshots come from different HaloPSA instances: https://northwind.halopsa.example (fixtures/demo/snapshot.json) and https://contoso.halopsa.example"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--allow-different-instances"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    expect(
        halo_audit(None, &["diff", DEMO, other, "--allow-different-instances"]),
        0,
    );
    // The same instance written differently is the same instance.
    let same = edited_demo(dir.path(), "same.json", |v| {
        v["instance"]["url"] = Value::from("https://Northwind.halopsa.example/");
    });
    expect(halo_audit(None, &["diff", DEMO, same.to_str().unwrap()]), 0);
}

#[test]
fn a_baseline_of_another_instance_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let other = edited_demo(dir.path(), "other.json", |v| {
        v["instance"]["url"] = Value::from("https://contoso.halopsa.example");
    });
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    expect(
        halo_audit(
            None,
            &[
                "check",
                "--snapshot",
                DEMO,
                "--format",
                "json",
                "-o",
                baseline,
            ],
        ),
        1,
    );
    let run = expect(
        halo_audit(
            None,
            &[
                "check",
                "--snapshot",
                other.to_str().unwrap(),
                "--baseline",
                baseline,
            ],
        ),
        2,
    );
    assert!(
        run.stderr.contains("https://northwind.halopsa.example")
            && run.stderr.contains("https://contoso.halopsa.example")
            && run.stderr.contains("different HaloPSA instances"),
        "{}",
        run.stderr
    );
    expect(
        halo_audit(
            None,
            &[
                "check",
                "--snapshot",
                other.to_str().unwrap(),
                "--baseline",
                baseline,
                "--allow-different-instances",
            ],
        ),
        0,
    );
}

// ---------------------------------------------------------------------------------------------
// --update-baseline

#[test]
fn update_baseline_says_what_it_wrote_and_passes_coherently() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    let run = expect(
        halo_audit(
            None,
            &[
                "check",
                "--snapshot",
                DEMO,
                "--baseline",
                baseline,
                "--update-baseline",
            ],
        ),
        0,
    );
    assert!(
        run.stderr.contains(&format!(
            "halo-audit: baseline {baseline} rewritten with 38 findings (38 new accepted, 0 fixed dropped)"
        )),
        "{}",
        run.stderr
    );
    let verdict = verdict_line(&run.stdout);
    assert!(verdict.ends_with(": passed (--fail-on error)"), "{verdict}");
    assert!(!run.stdout.contains("failed"), "{}", run.stdout);
    // A run against what was written has nothing new.
    expect(
        halo_audit(None, &["check", "--snapshot", DEMO, "--baseline", baseline]),
        0,
    );
}

// ---------------------------------------------------------------------------------------------
// Plan and self-check say what they do not know

#[test]
fn plan_counts_unknown_current_values_as_unresolved_never_to_add() {
    let run = expect(
        halo_audit(
            None,
            &[
                "plan",
                "--set",
                "cloud-depot",
                "--snapshot",
                "fixtures/cases/unknown-claim-unverifiable/snapshot.json",
            ],
        ),
        0,
    );
    assert!(
        words(&run.stdout).contains("0 to add, 0 to remove, 7 already right, 8 unresolved"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("(now unknown)"), "{}", run.stdout);
    assert!(
        words(&run.stdout)
            .contains("\"Customers\" should be Read Only, but the current value could not be read"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_live_self_check_that_cannot_identify_its_agent_does_not_conclude_it_only_reads() {
    let mut config = SimConfig::demo();
    config.faults = vec![Fault::new("/api/Agent/me", FaultKind::Forbidden)];
    let server = Server::start(config).unwrap();
    let run = expect(
        halo_audit(Some(&server), &["self-check", "--rate", "off"]),
        3,
    );
    assert!(
        words(&run.stdout).contains(
            "application not found in the tenant's application list; login agent unknown"
        ),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("not in the snapshot"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("only reads\n"), "{}", run.stdout);
    assert!(
        words(&run.stdout).contains(
            "self-check: cannot tell whether the auditing credential only reads: the auditing application is not in the application list; /api/Agent/me answered 403"
        ),
        "{}",
        run.stdout
    );
    // The application list was read: the hint does not blame it.
    assert!(
        words(&run.stdout)
            .contains("no application of the 7 applications read has client id halo-audit-demo"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("can see API applications"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_live_self_check_identifies_the_agent_through_agent_me() {
    let server = Server::start(SimConfig::demo()).unwrap();
    let run = halo_audit(
        Some(&server),
        &["self-check", "--rate", "off", "--format", "json"],
    );
    let report = run.json();
    assert_eq!(report["identified_by"], "agent-me", "{report}");
    assert!(report["agent"].is_string(), "{report}");
    // The demo's auditing agent is an administrator that can change data: beyond reading, whatever
    // else is unknown (its role's Item Costs `li = 1`, a value catalog v3 does not decode, is named).
    assert_eq!(report["verdict"], "beyond-reading", "{report}");
    assert!(report["missing"].to_string().contains("li = "), "{report}");
}

#[test]
fn a_snapshot_without_its_auditor_cannot_be_self_checked() {
    let run = expect(halo_audit(None, &["self-check", "--snapshot", DEMO]), 3);
    assert!(
        words(&run.stdout).contains(
            "self-check: cannot tell whether the auditing credential only reads: the snapshot does not record which credential fetched it"
        ),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// Wording

#[test]
fn findings_read_as_sentences() {
    let run = halo_audit(None, &["check", "--snapshot", DEMO, "-v"]);
    let text = run.stdout.replace("\n  │ ", " ");
    for wrong in ["has Has", "log in as, can", "of of", "1 notes"] {
        assert!(!text.contains(wrong), "`{wrong}` in:\n{text}");
    }
    assert!(
        text.contains("agent `PowerShell Sync (old)`, which `Old PowerShell Sync` logs in as, can delete tickets"),
        "{text}"
    );
    assert!(
        text.contains("of application `Cloud Depot`: \"Has one or more roles\" is Yes"),
        "{text}"
    );
    let run = halo_audit(
        None,
        &[
            "check",
            "--snapshot",
            "fixtures/cases/vciotoolbox-documented/snapshot.json",
        ],
    );
    assert!(
        words(&run.stdout).contains(
            "1 note not shown (ambiguities, grants resting on assumptions): run with -v to see it"
        ),
        "{}",
        run.stdout
    );
    // An undecidable delete-tickets policy names its agent.
    let run = halo_audit(
        None,
        &[
            "check",
            "--snapshot",
            "fixtures/cases/unknown-claim-unverifiable/snapshot.json",
            "--format",
            "json",
        ],
    );
    let messages: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["requirement"] == "baseline.delete-tickets-unneeded")
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains(
            "whether agent `Cloud Depot API`, which `Cloud Depot` logs in as, can delete tickets"
        ),
        "{messages:?}"
    );
}
