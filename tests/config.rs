//! The configuration file: precedence (flags over environment over file), spanned errors, `init`,
//! severity overrides, and every waiver state (matched, expired, unused, expiring soon,
//! `--no-waivers`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const DEMO: &str = "fixtures/demo/snapshot.json";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs halo-audit in `dir` (where a `halo-audit.yaml` may be), with a clean environment.
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::cargo_bin("halo-audit").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1");
    for var in [
        "HALO_URL",
        "HALO_AUTH_URL",
        "HALO_TENANT",
        "HALO_CLIENT_ID",
        "HALO_CLIENT_SECRET",
        "HALO_AUDIT_CONFIG",
        "HALO_AUDIT_FAIL_ON",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.args(args).output().unwrap();
    let run = Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn demo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(DEMO)
        .display()
        .to_string()
}

fn with_config(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("halo-audit.yaml"), text).unwrap();
    dir
}

fn check_json(dir: &Path, extra: &[&str]) -> (Run, Value) {
    let snapshot = demo();
    let mut args = vec!["check", "--snapshot", &snapshot, "--format", "json"];
    args.extend_from_slice(extra);
    let run = run_in(dir, &args, &[]);
    let report = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    (run, report)
}

fn findings<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

#[test]
fn fail_on_comes_from_the_flag_then_the_environment_then_the_file() {
    let dir = with_config("fail_on: never\n");
    let snapshot = demo();
    let base = ["check", "--snapshot", snapshot.as_str(), "-q"];
    assert_eq!(run_in(dir.path(), &base, &[]).code, 0, "file: never");
    assert_eq!(
        run_in(dir.path(), &base, &[("HALO_AUDIT_FAIL_ON", "error")]).code,
        1,
        "environment over file"
    );
    let mut flagged = base.to_vec();
    flagged.extend(["--fail-on", "never"]);
    assert_eq!(
        run_in(dir.path(), &flagged, &[("HALO_AUDIT_FAIL_ON", "error")]).code,
        0,
        "flag over environment"
    );
}

#[test]
fn the_instance_url_comes_from_the_flag_then_the_environment_then_the_file() {
    // Plain http to a remote host is refused before any request, and the error quotes the URL:
    // a way to see which value won without touching a network.
    let dir = with_config("instance:\n  url: http://from-file.example\n  client_id: abc\n");
    let secret = [("HALO_CLIENT_SECRET", "x")];
    let fetch = ["fetch", "-o", "out.json"];
    let run = run_in(dir.path(), &fetch, &secret);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("from-file.example"), "{}", run.stderr);
    let env = [
        ("HALO_CLIENT_SECRET", "x"),
        ("HALO_URL", "http://from-env.example"),
    ];
    let run = run_in(dir.path(), &fetch, &env);
    assert!(run.stderr.contains("from-env.example"), "{}", run.stderr);
    let mut flagged = fetch.to_vec();
    flagged.extend(["--url", "http://from-flag.example"]);
    let run = run_in(dir.path(), &flagged, &env);
    assert!(run.stderr.contains("from-flag.example"), "{}", run.stderr);
}

#[test]
fn an_explicit_config_path_is_used_and_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gate.yaml"), "fail_on: never\n").unwrap();
    let snapshot = demo();
    let run = run_in(
        dir.path(),
        &[
            "--config",
            "gate.yaml",
            "check",
            "--snapshot",
            &snapshot,
            "-q",
        ],
        &[],
    );
    assert_eq!(run.code, 0);
    let run = run_in(
        dir.path(),
        &["--config", "missing.yaml", "check", "--snapshot", &snapshot],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.yaml"), "{}", run.stderr);
}

#[test]
fn a_bad_config_is_a_spanned_error_with_exit_2() {
    let dir = with_config(
        "severity:\n  excesive-grant: deny\nfail_on: sometimes\nwaivers:\n  - code: missing-grant\n    set: x\n    reason: r\n    owner: o\n    expires: next week\n",
    );
    let (run, _) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for expected in [
        "3 problems in the configuration",
        "halo-audit.yaml:2:3",
        "unknown finding code `excesive-grant`",
        "did you mean `excessive-grant`?",
        "halo-audit.yaml:3:10",
        "unknown fail_on `sometimes`",
        "halo-audit.yaml:9:14",
        "`next week` is not a date",
    ] {
        assert!(run.stderr.contains(expected), "{expected}\n{}", run.stderr);
    }
    let dir = with_config("instance:\n  url: [not, a, string]\n");
    let (run, _) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("halo-audit.yaml:2"), "{}", run.stderr);
}

#[test]
fn a_secret_in_the_config_is_warned_about_and_never_echoed() {
    let dir = with_config("instance:\n  client_secret: hunter2-in-a-file\n");
    let (run, _) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("client secret is written in the configuration"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"));
}

/// The demo's errors other than its three missing grants and its administrator API agents (the
/// escalations and the administrator without a second factor), as warnings: the tests below count
/// errors they place on purpose.
const OTHER_ERRORS_AS_WARNINGS: &str = "  broad-scope-unneeded: warn\n  create-roles-unneeded: warn\n  sql-data-sources-unneeded: warn\n  password-fields-unneeded: warn\n  impersonation-integration: warn\n  admin-without-2fa: warn\n";

#[test]
fn severity_overrides_change_or_drop_findings() {
    let dir = with_config(&format!(
        "severity:\n  missing-grant: warn\n  excessive-grant: allow\n  admin-api-agent: deny\n{OTHER_ERRORS_AS_WARNINGS}"
    ));
    let (run, report) = check_json(dir.path(), &[]);
    assert!(findings(&report, "excessive-grant").is_empty());
    assert!(
        findings(&report, "missing-grant")
            .iter()
            .all(|f| f["severity"] == "warning")
    );
    assert!(
        findings(&report, "admin-api-agent")
            .iter()
            .all(|f| f["severity"] == "error")
    );
    // BI Export API, and PowerShell Sync (old): disabled, but the login agent of an active application.
    assert_eq!(report["summary"]["errors"], 2);
    assert_eq!(run.code, 1);
}

fn date_in(days: i64) -> String {
    let today = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    today
        .checked_add(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

/// Waivers for the demo tenant's four missing grants, the only errors left once the others are
/// warnings.
fn error_waivers(expires: &str) -> String {
    let waiver = |lines: &[&str]| {
        let mut text = format!("  - {}\n", lines[0]);
        for line in &lines[1..] {
            text.push_str(&format!("    {line}\n"));
        }
        text.push_str(&format!("    expires: {expires}\n"));
        text
    };
    [
        format!("severity:\n  admin-api-agent: warn\n{OTHER_ERRORS_AS_WARNINGS}"),
        "waivers:\n".to_owned(),
        waiver(&[
            "code: missing-grant",
            "set: vciotoolbox",
            "requirement: scope.edit-invoices",
            "reason: invoices sync is switched off in vCIOToolbox",
            "owner: jane@msp.example",
        ]),
        waiver(&[
            "code: missing-grant",
            "set: vciotoolbox",
            "subject: agent:vCIOToolbox API",
            "permission: teams.all",
            "reason: team access is granted per team on purpose",
            "owner: jane@msp.example",
        ]),
        waiver(&[
            "code: missing-grant",
            "set: cloud-depot",
            "requirement: feature.purchase-orders",
            "subject: agent:#35",
            "reason: purchase orders are not used",
            "owner: sam@msp.example",
        ]),
        waiver(&[
            "code: missing-grant",
            "set: cloud-depot",
            "requirement: feature.invoices",
            "subject: agent:#35",
            "reason: invoices are created by hand until the level is checked in Halo",
            "owner: sam@msp.example",
        ]),
    ]
    .concat()
}

#[test]
fn matched_waivers_turn_findings_into_waived_notes_that_do_not_fail() {
    let dir = with_config(&error_waivers(&date_in(90)));
    let (run, report) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(report["summary"]["errors"], 0);
    let waived: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("waiver").is_some())
        .collect();
    assert_eq!(waived.len(), 4);
    for f in &waived {
        assert_eq!(f["severity"], "note");
        assert!(
            f["message"].as_str().unwrap().contains("[waived until"),
            "{f}"
        );
        assert!(
            f["waiver"]["location"]
                .as_str()
                .unwrap()
                .starts_with("halo-audit.yaml:")
        );
    }
    assert!(findings(&report, "unused-waiver").is_empty());
    assert!(findings(&report, "waiver-expiring").is_empty());
    // Still visible in the human report.
    let snapshot = demo();
    let run = run_in(dir.path(), &["check", "--snapshot", &snapshot, "-v"], &[]);
    assert!(run.stdout.contains("waived until"), "{}", run.stdout);
}

#[test]
fn no_waivers_ignores_them_all() {
    let dir = with_config(&error_waivers(&date_in(90)));
    let (run, report) = check_json(dir.path(), &["--no-waivers"]);
    assert_eq!(run.code, 1);
    assert_eq!(report["summary"]["errors"], 4);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("waiver").is_none())
    );
    assert!(findings(&report, "unused-waiver").is_empty());
}

#[test]
fn an_expired_waiver_stops_suppressing_and_is_a_warning() {
    let dir = with_config(&error_waivers(&date_in(-1)));
    let (run, report) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 1);
    assert_eq!(report["summary"]["errors"], 4);
    let expired = findings(&report, "expired-waiver");
    assert_eq!(expired.len(), 4);
    assert_eq!(expired[0]["severity"], "warning");
    assert!(
        expired[0]["message"]
            .as_str()
            .unwrap()
            .contains("expired on")
    );
}

#[test]
fn a_waiver_expiring_within_14_days_is_a_note_and_still_applies() {
    let dir = with_config(&error_waivers(&date_in(10)));
    let (run, report) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 0);
    let expiring = findings(&report, "waiver-expiring");
    assert_eq!(expiring.len(), 4);
    assert_eq!(expiring[0]["severity"], "note");
    // Today is the last day: still applies, still expiring.
    let dir = with_config(&error_waivers(&date_in(0)));
    let (run, report) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 0);
    assert_eq!(findings(&report, "waiver-expiring").len(), 4);
}

#[test]
fn a_waiver_matching_nothing_is_reported_as_unused() {
    let dir = with_config(&format!(
        "waivers:\n  - code: excessive-grant\n    set: vciotoolbox\n    subject: application:No Such App\n    reason: r\n    owner: o\n    expires: {}\n",
        date_in(30)
    ));
    let (run, report) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 1);
    let unused = findings(&report, "unused-waiver");
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0]["severity"], "warning");
    assert_eq!(unused[0]["rule_location"]["path"], "halo-audit.yaml");
    assert_eq!(unused[0]["rule_location"]["line"], 2);
}

#[test]
fn init_writes_a_config_that_check_accepts_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = demo();
    let run = run_in(dir.path(), &["init", "--snapshot", &snapshot], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(dir.path().join("halo-audit.yaml")).unwrap();
    assert!(
        text.contains("  vciotoolbox:\n    applications:\n      - \"vCIOToolbox\""),
        "{text}"
    );
    assert!(
        text.contains("Old PowerShell Sync"),
        "unbound applications are listed"
    );
    let (run, report) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // The starter file changes no severity: the same errors as without it.
    let (_, plain) = check_json(dir.path(), &["--no-config"]);
    assert_eq!(report["summary"]["errors"], plain["summary"]["errors"]);
    assert!(report["summary"]["errors"].as_u64().unwrap() >= 3);
    let again = run_in(dir.path(), &["init"], &[]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("halo-audit.yaml")).unwrap(),
        text
    );
}

#[test]
fn waived_findings_stay_visible_in_every_format() {
    let dir = with_config(&error_waivers(&date_in(90)));
    let snapshot = demo();
    for format in [
        "human", "table", "json", "sarif", "junit", "github", "markdown",
    ] {
        // SARIF leaves waived findings out (they would be open code-scanning alerts) unless
        // asked to keep them as suppressed results.
        let mut args = vec!["-v", "check", "--snapshot", &snapshot, "--format", format];
        if format == "sarif" {
            args.push("--sarif-suppressions");
        }
        let run = run_in(dir.path(), &args, &[]);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert!(
            run.stdout.contains("waived until"),
            "{format}:\n{}",
            run.stdout
        );
    }
    let run = run_in(
        dir.path(),
        &["check", "--snapshot", &snapshot, "--format", "sarif"],
        &[],
    );
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(!run.stdout.contains("waived until"), "{}", run.stdout);
    assert!(
        log["runs"][0]["properties"]["suppressed"]["waived"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn a_set_bound_to_an_agent_checks_that_agent_and_an_unknown_one_is_binding_not_found() {
    let dir = with_config("bindings:\n  vciotoolbox:\n    agent: \"#2\"\n");
    let (_, report) = check_json(dir.path(), &[]);
    let agents: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["requirement_set"] == "vciotoolbox" && f["subject"]["kind"] == "agent")
        .map(|f| f["subject"]["name"].as_str().unwrap())
        .collect();
    assert!(!agents.is_empty());
    assert!(
        agents.iter().all(|a| *a == "Eleanor Whitfield"),
        "{agents:?}"
    );
    let dir = with_config("bindings:\n  vciotoolbox:\n    agent: Nobody Here\n");
    let (run, report) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 1);
    let missing = findings(&report, "binding-not-found");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap()
            .contains("Nobody Here")
    );
    let dir = with_config("bindings:\n  vciotoolbox: {}\n");
    let (run, _) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("names no application and no agent"),
        "{}",
        run.stderr
    );
}

/// Structural mistakes in several waivers (a missing member, an unknown one) are reported in one
/// run with the other problems of the file, each at its place.
#[test]
fn every_broken_waiver_is_reported_with_the_rest() {
    let dir = with_config(concat!(
        "fail_on: sometimes\n",
        "waivers:\n",
        "  - code: missing-grant\n",
        "    set: vciotoolbox\n",
        "    reason: r\n",
        "    expires: 2099-01-01\n",
        "  - code: missing-grant\n",
        "    set: vciotoolbox\n",
        "    reason: r\n",
        "    owner: o\n",
        "    owenr: typo\n",
        "    expires: 2099-01-01\n",
        "  - code: missing-grant\n",
        "    set: vciotoolbox\n",
        "    reason: r\n",
        "    owner: o\n",
        "    expires: next week\n",
    ));
    let (run, _) = check_json(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for expected in [
        "4 problems in the configuration",
        "missing field `owner`",
        "halo-audit.yaml:3:",
        "unknown field `owenr`",
        "halo-audit.yaml:11:",
        "unknown fail_on `sometimes`",
        "`next week` is not a date",
        "halo-audit.yaml:17:",
    ] {
        assert!(run.stderr.contains(expected), "{expected}\n{}", run.stderr);
    }
}
