//! Readiness checks (`check --set X`), waivers that keep their trail, and a self-check that gives
//! the same answer live and from a snapshot.
//!
//! The live cases run against the simulator (crates/halo-sim) on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
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
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

/// Runs halo-audit in `dir` (the repository when `None`), with no configuration from outside.
fn halo_audit_in(dir: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::cargo_bin("halo-audit").unwrap();
    command
        .current_dir(dir.unwrap_or(root()))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .env_remove("HALO_URL")
        .env_remove("HALO_AUTH_URL")
        .env_remove("HALO_AUDIT_FAIL_ON")
        .env_remove("HALO_AUDIT_CONFIG");
    for (k, v) in env {
        command.env(k, v);
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

fn halo_audit(args: &[&str]) -> Run {
    halo_audit_in(None, args, &[])
}

/// `(kind, name)` of every finding's subject in a JSON report.
fn subjects(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["subject"]["kind"].as_str().unwrap().to_owned(),
                f["subject"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Readiness mode

#[test]
fn a_readiness_check_reports_only_the_integrations_application_and_agent() {
    let run = halo_audit(&[
        "check",
        "--snapshot",
        DEMO,
        "--set",
        "cloud-depot",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let found = subjects(&report);
    assert!(!found.is_empty());
    for (kind, name) in &found {
        assert!(
            (kind == "application" && name == "Cloud Depot")
                || (kind == "agent" && name == "Cloud Depot API"),
            "a finding about {kind} {name} in a readiness check of Cloud Depot: {found:?}"
        );
    }
    // The baseline says what it judged, and its coverage and the counts follow.
    let baseline = report["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "baseline")
        .unwrap();
    let focus: Vec<&str> = baseline["focus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(focus, ["Cloud Depot", "Cloud Depot API"], "{baseline}");
    let findings = report["findings"].as_array().unwrap();
    let count = |severity: &str| {
        findings
            .iter()
            .filter(|f| f["severity"] == severity)
            .count()
    };
    assert_eq!(report["summary"]["errors"], count("error"));
    assert_eq!(report["summary"]["warnings"], count("warning"));
    assert_eq!(report["summary"]["notes"], count("note"));

    // The terminal names the narrower baseline and nothing about the other applications.
    let human = halo_audit(&["check", "--snapshot", DEMO, "--set", "cloud-depot"]);
    assert!(
        human
            .stdout
            .contains("baseline (only application Cloud Depot, agent Cloud Depot API)"),
        "{}",
        human.stdout
    );
    for other in [
        "Old PowerShell Sync",
        "BI Export API",
        "Legacy RMM Connector",
    ] {
        assert!(!human.stdout.contains(other), "{other}:\n{}", human.stdout);
    }
}

#[test]
fn the_tenant_wide_baseline_runs_when_asked_or_without_set() {
    for args in [
        &[
            "check",
            "--snapshot",
            DEMO,
            "--set",
            "cloud-depot",
            "--set",
            "baseline",
            "--format",
            "json",
        ][..],
        &["check", "--snapshot", DEMO, "--format", "json"][..],
    ] {
        let report = halo_audit(args).json();
        let found = subjects(&report);
        assert!(
            found.contains(&("application".to_owned(), "Old PowerShell Sync".to_owned())),
            "{args:?}: {found:?}"
        );
        let baseline = report["sets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "baseline")
            .unwrap();
        assert!(baseline.get("focus").is_none(), "{baseline}");
    }
}

#[test]
fn a_readiness_check_keeps_the_baselines_findings_about_the_integration() {
    // PowerShell Sync is an integration of its own here: its readiness check reports the
    // baseline's findings about its application and its (administrator) agent, and no other's.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sync.yaml"),
        "id: old-sync\ntitle: Old PowerShell Sync\nsources:\n  - url: https://example.com/old-sync\n    title: Old sync\n    retrieved: 2026-11-24\nbinding:\n  application_name: [\"Old PowerShell Sync\"]\nrequirements:\n  - id: old-sync.tickets\n    title: Tickets\n    permission: scope:read:tickets\n    expect: granted\n    source: { line: 1, quote: \"tickets\" }\n",
    )
    .unwrap();
    let rules = dir.path().join("sync.yaml");
    let run = halo_audit(&[
        "check",
        "--snapshot",
        DEMO,
        "--rules",
        rules.to_str().unwrap(),
        "--set",
        "old-sync",
        "--format",
        "json",
    ]);
    let report = run.json();
    let found = subjects(&report);
    assert!(
        found.contains(&("agent".to_owned(), "PowerShell Sync (old)".to_owned())),
        "{found:?}\n{}",
        run.stderr
    );
    assert!(
        !found.contains(&("agent".to_owned(), "BI Export API".to_owned())),
        "{found:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Self-check: live and offline agree, and "only reads" rests on evidence

use halo_sim::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Server, SimConfig};

/// The demo tenant with a dedicated API-only auditing agent (id 901) that `/api/Agent/me`
/// names, carrying `claims`.
fn with_audit_agent(claims: Value) -> SimConfig {
    let mut config = SimConfig::demo();
    config.objects.agents.push(serde_json::json!({
        "id": 901, "name": "Audit Reader", "isdisabled": false, "isapiagent": true,
        "is_admin": true, "roles": [], "teams": [], "claims": claims
    }));
    config.auditor_agent_id = Some(901);
    config
}

/// Runs halo-audit against the simulator with the demo credentials.
fn live(server: &Server, args: &[&str]) -> Run {
    let url = server.url();
    halo_audit_in(
        None,
        args,
        &[
            ("HALO_URL", url.as_str()),
            ("HALO_CLIENT_ID", DEMO_CLIENT_ID),
            ("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET),
            ("HALO_TENANT", DEMO_TENANT),
        ],
    )
}

/// Every claim the catalog reads, at its lowest setting: a credential that provably only reads.
fn lowest_claims() -> Value {
    use halo_audit::catalog::{Catalog, ClaimValue, Kind, Source};
    let catalog = Catalog::builtin().unwrap();
    let claims: Vec<Value> = catalog
        .permissions
        .iter()
        .filter_map(|p| {
            let Source::Claim(kind) = &p.source else {
                return None;
            };
            let lowest = match p.kind {
                Kind::Flag => ClaimValue::Flag(false),
                Kind::Level => ClaimValue::Level(0),
            };
            let value = catalog.claim_raw(p, lowest)?;
            Some(serde_json::json!({"type": kind, "value": value}))
        })
        .collect();
    assert!(claims.len() > 40, "{claims:?}");
    Value::Array(claims)
}

#[test]
fn live_and_offline_self_checks_agree_on_a_tenant_whose_claims_cannot_be_read() {
    let mut config = with_audit_agent(lowest_claims());
    config.objects = config.objects.without_claims();
    let server = Server::start(config).unwrap();

    let live_run = live(
        &server,
        &["self-check", "--rate", "off", "--format", "json"],
    );
    assert_eq!(live_run.code, 3, "{}\n{}", live_run.stdout, live_run.stderr);
    let live_report = live_run.json();

    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let fetched = live(
        &server,
        &["fetch", "-o", snap.to_str().unwrap(), "--rate", "off"],
    );
    assert_eq!(fetched.code, 0, "{}", fetched.stderr);
    let offline_run = halo_audit(&[
        "self-check",
        "--snapshot",
        snap.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(offline_run.code, 3, "{}", offline_run.stdout);
    let offline_report = offline_run.json();

    assert_eq!(live_report["verdict"], "cannot-tell", "{live_report}");
    assert_eq!(live_report["verdict"], offline_report["verdict"]);
    // Offline, the agent is the one the fetch recorded from /api/Agent/me, as live.
    assert_eq!(
        offline_report["agent"], live_report["agent"],
        "{offline_report}"
    );
    assert_eq!(
        offline_report["missing"], live_report["missing"],
        "{offline_report}"
    );
    // Live, the agent is known (from /api/Agent/me) but its permissions are not: said so.
    assert_eq!(live_report["agent"], "Audit Reader", "{live_report}");
    let missing = live_report["missing"].to_string();
    assert!(missing.contains("not read"), "{missing}");
    assert!(missing.contains("Ticket Permissions"), "{missing}");

    // The human report says the same in words, never "only reads".
    let human = live(&server, &["self-check", "--rate", "off"]);
    assert_eq!(human.code, 3);
    assert!(
        human
            .stdout
            .contains("self-check: cannot tell whether the auditing credential only reads"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("not known: "), "{}", human.stdout);
    assert!(
        !human.stdout.contains("credential only reads\n"),
        "{}",
        human.stdout
    );
}

#[test]
fn an_absent_claim_read_as_no_is_not_evidence_that_the_credential_only_reads() {
    // The tenant's claims are readable, but the auditing agent carries none: every permission
    // that can change data would be "No" only by assumption.
    let server = Server::start(with_audit_agent(serde_json::json!([]))).unwrap();
    let run = live(
        &server,
        &["self-check", "--rate", "off", "--format", "json"],
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report = run.json();
    assert_eq!(report["verdict"], "cannot-tell");
    let missing = report["missing"].to_string();
    assert!(missing.contains("only assumed No"), "{missing}");

    // The same agent with every claim seen at its lowest setting only reads.
    let server = Server::start(with_audit_agent(lowest_claims())).unwrap();
    let run = live(
        &server,
        &["self-check", "--rate", "off", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(report["verdict"], "only-reads", "{report}");
    assert!(report.get("missing").is_none(), "{report}");

    // One write right seen on the agent: beyond reading, whatever else is known.
    let mut claims = lowest_claims();
    for claim in claims.as_array_mut().unwrap() {
        if claim["type"] == "l4" {
            claim["value"] = Value::from("1");
        }
    }
    let server = Server::start(with_audit_agent(claims)).unwrap();
    let run = live(
        &server,
        &["self-check", "--rate", "off", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.json()["verdict"], "beyond-reading");
    assert!(run.stdout.contains("Can Delete Tickets"), "{}", run.stdout);
}

// ---------------------------------------------------------------------------------------------
// Waivers keep their trail

use halo_audit::ruleset::RuleFile;

fn parse_config(text: &str) -> halo_audit::config::Config {
    halo_audit::config::parse(&RuleFile {
        name: "halo-audit.yaml".to_owned(),
        text: text.to_owned(),
        builtin: false,
    })
    .unwrap_or_else(|e| panic!("{e:?}\n{text}"))
}

/// The quoted reason written on a `reason:` line.
fn quoted_reason(block: &str) -> String {
    let line = block
        .lines()
        .find(|l| l.trim_start().starts_with("reason:"))
        .unwrap();
    let (_, rest) = line.split_once("reason:").unwrap();
    let rest = rest.trim();
    assert!(rest.starts_with('"'), "the reason is not quoted: {line}");
    rest[1..rest[1..].find('"').unwrap() + 1].to_owned()
}

#[test]
fn the_documented_waiver_keeps_its_whole_reason() {
    let doc = std::fs::read_to_string(root().join("docs/config.md")).unwrap();
    let block = doc
        .split("```yaml")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .find(|b| b.contains("waivers:"))
        .expect("a YAML block with waivers in docs/config.md");
    let config = parse_config(block);
    let written = quoted_reason(block);
    assert!(written.contains("#1234"), "{written}");
    assert_eq!(config.waivers.len(), 1);
    assert_eq!(config.waivers[0].reason, written);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn the_init_templates_waiver_keeps_its_whole_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("halo-audit.yaml");
    let run = halo_audit(&["init", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    // Uncomment the example waiver, as a user would.
    let start = text.find("# waivers:").unwrap();
    let block: String = text[start..]
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| format!("{}\n", l.strip_prefix("# ").unwrap_or_default()))
        .collect();
    let config = parse_config(&block);
    assert_eq!(config.waivers.len(), 1, "{block}");
    assert_eq!(config.waivers[0].reason, quoted_reason(&block));
    assert!(config.waivers[0].reason.ends_with("#1234)"), "{block}");
}

/// Runs `check --snapshot DEMO --set cloud-depot` with `config` as halo-audit.yaml.
fn check_with_config(config: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("halo-audit.yaml");
    std::fs::write(&path, config).unwrap();
    let demo = root().join(DEMO);
    halo_audit_in(
        Some(dir.path()),
        &[
            "--config",
            "halo-audit.yaml",
            "check",
            "--snapshot",
            demo.to_str().unwrap(),
            "--set",
            "cloud-depot",
        ],
        &[],
    )
}

const WAIVER: &str = "waivers:\n  - code: excessive-grant\n    set: SET\n    requirement: REQ\n    reason: REASON\n    owner: jane@msp.example\n    expires: 2099-03-31\n";

fn waiver(set: &str, requirement: &str, reason: &str) -> String {
    WAIVER
        .replace("SET", set)
        .replace("REQ", requirement)
        .replace("REASON", reason)
}

#[test]
fn a_waiver_naming_an_unknown_set_or_requirement_is_an_error_with_a_suggestion() {
    let run = check_with_config(&waiver("clouddepot", "feature.customers", "\"agreed\""));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("unknown requirement set `clouddepot` in a waiver"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `cloud-depot`?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("halo-audit.yaml:3:10"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    let run = check_with_config(&waiver("cloud-depot", "feature.customer", "\"agreed\""));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("unknown requirement `feature.customer` of set `cloud-depot`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("did you mean `cloud-depot.feature.customers`?"),
        "{}",
        run.stderr
    );

    // A requirement of another set says which.
    let run = check_with_config(&waiver(
        "cloud-depot",
        "baseline.admin-api-agent",
        "\"agreed\"",
    ));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("write `set: baseline`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_reason_cut_by_a_yaml_comment_is_a_warning_saying_why() {
    for (reason, kept, why) in [
        (
            "agreed with the vendor (ticket #1234)",
            "agreed with the vendor (ticket",
            "it leaves `(` unclosed",
        ),
        (
            "approved, see ticket #99",
            "approved, see ticket",
            "it ends with `ticket`",
        ),
        (
            "approved by the CAB #4411",
            "approved by the CAB",
            "the comment starts with a number",
        ),
    ] {
        let run = check_with_config(&waiver("cloud-depot", "feature.customers", reason));
        assert_eq!(run.code, 1, "{}", run.stderr);
        let stderr = run.stderr.replace('\n', " ");
        assert!(
            stderr.contains("the waiver's reason looks cut"),
            "{}",
            run.stderr
        );
        assert!(
            stderr.contains(&format!("the reason is stored as `{kept}` ({why})")),
            "{}",
            run.stderr
        );
        assert!(
            stderr.contains(&format!("reason: \"{reason}\"")),
            "{}",
            run.stderr
        );
    }
    // Quoted, or with a comment that cuts nothing: no warning.
    for reason in [
        "\"agreed with the vendor (ticket #1234)\"",
        "agreed with the vendor   # signed off in the CAB",
    ] {
        let run = check_with_config(&waiver("cloud-depot", "feature.customers", reason));
        assert!(
            !run.stderr.contains("looks cut"),
            "{reason}: {}",
            run.stderr
        );
    }
}

#[test]
fn waived_findings_are_listed_and_counted_in_the_terminal_report() {
    let run = check_with_config(&waiver(
        "cloud-depot",
        "feature.customers",
        "\"agreed with the vendor (ticket #1234)\"",
    ));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = run.stdout.replace("\n    ", " ").replace("\n  ", " ");
    assert!(text.contains("== Waived (1) =="), "{}", run.stdout);
    assert!(
        text.contains(
            "waived until 2099-03-31 by jane@msp.example (halo-audit.yaml:2): agreed with the vendor (ticket #1234)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        text.contains("\"Customers\" is Read and Modify"),
        "{}",
        run.stdout
    );
    assert!(text.contains(", 1 waived"), "{}", run.stdout);
}
