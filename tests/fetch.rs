//! `fetch` and live `check` against the HaloPSA simulator (crates/halo-sim) on 127.0.0.1: both
//! envelopes and paging, the hosted tenant parameter, authentication errors, token expiry,
//! rate limiting, server errors, forbidden endpoints, truncated bodies, secrets, and the promise
//! that a fetched demo tenant checks exactly like the bundled snapshot.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use halo_sim::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Envelope, Fault, FaultKind, RateLimit, Server,
    SimConfig,
};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What a finished run left behind.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs halo-audit with the demo credentials (secret in the environment) against `server`.
fn halo_audit(server: &Server, args: &[&str]) -> Run {
    halo_audit_with(server, args, DEMO_CLIENT_SECRET)
}

fn halo_audit_with(server: &Server, args: &[&str], secret: &str) -> Run {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("HALO_URL", server.url())
        .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
        .env("HALO_CLIENT_SECRET", secret)
        .env("HALO_TENANT", DEMO_TENANT)
        .env_remove("HALO_AUTH_URL")
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

fn expect(run: Run, code: i32) -> Run {
    assert_eq!(
        run.code, code,
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    run
}

/// Fast settings for tests: no pacing, short back-off.
const FAST: &[&str] = &["--rate", "off", "--backoff", "20ms"];

fn fetch(server: &Server, out: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["fetch", "-o", out.to_str().unwrap()];
    args.extend_from_slice(FAST);
    args.extend_from_slice(extra);
    halo_audit(server, &args)
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn count(snapshot: &Value, collection: &str) -> usize {
    snapshot["objects"][collection]
        .as_array()
        .map_or(0, Vec::len)
}

fn demo() -> SimConfig {
    SimConfig::demo()
}

fn fault(path: &str, kind: FaultKind, skip: u32, times: Option<u32>) -> Fault {
    Fault {
        path: path.to_owned(),
        kind,
        skip,
        times,
    }
}

/// The findings of `check --format json` on a snapshot file, without run-specific metadata.
fn findings(snapshot: &Path, sets: &[&str]) -> Value {
    findings_exit(snapshot, sets, 0)
}

/// The findings of `check --format json --fail-on never`, which must exit with `exit`.
fn findings_exit(snapshot: &Path, sets: &[&str], exit: i32) -> Value {
    let mut args = vec![
        "check".to_owned(),
        "--snapshot".to_owned(),
        snapshot.display().to_string(),
        "--format".to_owned(),
        "json".to_owned(),
        "--fail-on".to_owned(),
        "never".to_owned(),
    ];
    for set in sets {
        args.extend(["--set".to_owned(), (*set).to_owned()]);
    }
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("HALO_URL")
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(exit), "{args:?}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut findings = report["findings"].clone();
    for f in findings.as_array_mut().unwrap() {
        // Rule locations are the same; the snapshot's path is not part of a finding.
        f.as_object_mut().unwrap().remove("snapshot");
    }
    findings
}

#[test]
fn a_fetched_demo_tenant_checks_exactly_like_the_bundled_snapshot() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = expect(fetch(&server, &out, &[]), 0);
    assert!(
        run.stdout.is_empty(),
        "fetch writes no report: {}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("40 agents, 8 teams, 5 roles, 7 applications"),
        "{}",
        run.stderr
    );
    let snap = read(&out);
    assert_eq!(snap["scope"], "all");
    assert_eq!(snap["instance"]["tenant"], DEMO_TENANT);
    assert_eq!(snap["auditor"]["client_id"], DEMO_CLIENT_ID);
    // The minimum: a token + 4 lists + one detail per agent, role and application (40 + 5 + 7)
    // + who the credential is (`/api/Agent/me`); teams are stored as their list rows. The auth
    // server is where Halo puts it ({url}/auth), so there is no discovery request.
    assert_eq!(snap["requests"]["total"], 58, "{}", snap["requests"]);
    assert_eq!(server.stats().total, 58);
    assert_eq!(snap["requests"]["by_endpoint"]["GET /api/Agent/me"], 1);
    // Who the credential is, recorded for an offline self-check.
    assert!(
        snap["auditor"]["agent"]["id"].is_i64(),
        "{}",
        snap["auditor"]
    );
    assert!(
        snap["auditor"]["agent"]["name"].is_string(),
        "{}",
        snap["auditor"]
    );
    assert_eq!(server.stats().by_route.get("GET /api/authinfo"), None);
    assert_eq!(server.stats().by_route.get("GET /api/Team/{id}"), None);
    assert_eq!(snap["requests"]["retries"], 0);
    let bundled = root().join("fixtures/demo/snapshot.json");
    assert_eq!(findings(&out, &[]), findings(&bundled, &[]));
    // Real claim codes (agent-own and role claims, legacy names, `SA` through a role, restriction
    // claims present and absent): every requirement of the seed sets is decided.
    let seeds = findings(&out, &["vciotoolbox", "cloud-depot"]);
    let undecided: Vec<&Value> = seeds
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "unverifiable")
        .collect();
    assert!(undecided.is_empty(), "{undecided:#?}");
    let bundled_doc = read(&bundled);
    for collection in ["agents", "roles", "applications"] {
        assert_eq!(
            snap["objects"][collection], bundled_doc["objects"][collection],
            "{collection} differ from the bundled snapshot"
        );
    }
    // The bundled snapshot holds team details (with member rows), as fetches before the list row
    // sufficed stored them; a fetch now stores the list row: the same team, without `agents`.
    let teams = snap["objects"]["teams"].as_array().unwrap();
    let detailed = bundled_doc["objects"]["teams"].as_array().unwrap();
    assert_eq!(teams.len(), detailed.len());
    for (row, detail) in teams.iter().zip(detailed) {
        assert!(row.get("agents").is_none(), "{row}");
        assert!(detail.get("agents").is_some(), "{detail}");
        for member in ["id", "name", "inactive"] {
            assert_eq!(row.get(member), detail.get(member), "{member} of {row}");
        }
        for (member, value) in row.as_object().unwrap() {
            assert_eq!(Some(value), detail.get(member), "{member} of {row}");
        }
    }
}

#[test]
fn a_snapshot_with_team_list_rows_diffs_as_unchanged_against_one_with_team_details() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    expect(fetch(&server, &out, &[]), 0);
    let bundled = root().join("fixtures/demo/snapshot.json");
    let run = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["diff", "--format", "json", "--allow-different-instances"])
        .arg(&bundled)
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["changes"], serde_json::json!([]), "{stdout}");
    assert_eq!(report["summary"]["drift"], false, "{stdout}");
    assert!(
        report["not_compared"]
            .as_array()
            .is_none_or(|skipped| skipped.iter().all(|s| s["what"] != "teams")),
        "{stdout}"
    );
}

#[test]
fn the_wrapped_envelope_and_server_side_paging_give_the_same_objects() {
    let plain = Server::start(demo()).unwrap();
    let mut config = demo();
    config.envelope = Envelope::Wrapped;
    config.page_limit = Some(7);
    let paged = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    expect(fetch(&plain, &a, &[]), 0);
    expect(fetch(&paged, &b, &[]), 0);
    let (a, b) = (read(&a), read(&b));
    assert_eq!(a["objects"], b["objects"]);
    // Every list is asked for in pages of 100, which the server honours: one page each.
    assert_eq!(b["requests"]["by_endpoint"]["GET /api/Agent"], 1);
    assert_eq!(b["requests"]["by_endpoint"]["GET /api/Team"], 1);
    assert!(b["gaps"].as_array().unwrap().is_empty(), "{}", b["gaps"]);
}

#[test]
fn a_hosted_instance_needs_its_tenant_name() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let mut args = vec!["fetch", "-o", out.to_str().unwrap(), "--tenant", ""];
    args.extend_from_slice(FAST);
    let run = expect(halo_audit(&server, &args), 3);
    assert!(run.stderr.contains("invalid_request"), "{}", run.stderr);
    assert!(run.stderr.contains("--tenant"), "{}", run.stderr);
    assert!(!out.exists());
    let run = expect(fetch(&server, &out, &["--tenant", "contoso"]), 3);
    assert!(run.stderr.contains("--tenant"), "{}", run.stderr);
    expect(fetch(&server, &out, &[]), 0);
}

#[test]
fn wrong_credentials_are_invalid_client_with_exit_3_and_the_secret_is_never_shown() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let wrong = "wrong-secret-4c9f1e7a";
    let mut args = vec!["fetch", "-o", out.to_str().unwrap()];
    args.extend_from_slice(FAST);
    let run = expect(halo_audit_with(&server, &args, wrong), 3);
    assert!(run.stderr.contains("invalid_client"), "{}", run.stderr);
    assert!(
        run.stderr.contains(DEMO_CLIENT_ID),
        "names the client id: {}",
        run.stderr
    );
    assert!(!run.stderr.contains(wrong) && !run.stdout.contains(wrong));
    assert!(!out.exists());
    assert_eq!(server.stats().by_route.get("GET /api/Agent"), None);
}

#[test]
fn a_missing_secret_is_a_usage_error_before_any_request() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = expect(
        halo_audit_with(&server, &["fetch", "-o", out.to_str().unwrap()], ""),
        2,
    );
    assert!(run.stderr.contains("HALO_CLIENT_SECRET"), "{}", run.stderr);
    assert_eq!(server.stats().total, 0);
    // From a file instead of the environment.
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, format!("{DEMO_CLIENT_SECRET}\n")).unwrap();
    let mut args = vec![
        "fetch",
        "-o",
        out.to_str().unwrap(),
        "--client-secret-file",
        secret_file.to_str().unwrap(),
    ];
    args.extend_from_slice(FAST);
    expect(halo_audit_with(&server, &args, ""), 0);
}

#[test]
fn a_token_that_expires_mid_fetch_is_renewed_without_failing() {
    let mut config = demo();
    config.faults = vec![fault("/api/Agent/*", FaultKind::ExpireTokens, 5, Some(1))];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    expect(fetch(&server, &out, &[]), 0);
    let stats = server.stats();
    assert_eq!(stats.tokens_issued, 2, "{stats:?}");
    assert_eq!(count(&read(&out), "agents"), 40);
}

#[test]
fn a_short_token_lifetime_is_renewed_before_it_expires() {
    let mut config = demo();
    config.token_lifetime = Duration::from_secs(1);
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    // Paced at 40 requests per second, the fetch outlives several 1 s tokens.
    let mut args = vec!["fetch", "-o", out.to_str().unwrap(), "--rate", "40/1s"];
    args.extend_from_slice(&["--backoff", "20ms"]);
    expect(halo_audit(&server, &args), 0);
    let stats = server.stats();
    assert!(stats.tokens_issued >= 2, "{stats:?}");
    assert_eq!(
        stats.unauthorized, 0,
        "renewed before expiry, not after a 401: {stats:?}"
    );
}

#[test]
fn rate_limiting_with_retry_after_is_waited_out_and_counted() {
    let mut config = demo();
    config.faults = vec![fault(
        "/api/Roles/*",
        FaultKind::RateLimited {
            retry_after: Some(1),
        },
        0,
        Some(2),
    )];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    expect(fetch(&server, &out, &[]), 0);
    let snap = read(&out);
    assert_eq!(snap["requests"]["throttled"], 2, "{}", snap["requests"]);
    assert_eq!(snap["requests"]["retries"], 2);
    assert_eq!(count(&snap, "roles"), 5);
}

#[test]
fn rate_limiting_without_retry_after_backs_off_and_completes() {
    let mut config = demo();
    config.faults = vec![fault(
        "/api/Agent",
        FaultKind::RateLimited { retry_after: None },
        0,
        Some(3),
    )];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    expect(fetch(&server, &out, &[]), 0);
    let snap = read(&out);
    assert_eq!(snap["requests"]["throttled"], 3);
    assert_eq!(count(&snap, "agents"), 40);
}

#[test]
fn the_simulators_own_rate_limit_is_never_hit_when_the_rate_is_configured() {
    let mut config = demo();
    config.rate_limit = Some(RateLimit {
        requests: 30,
        window: Duration::from_millis(500),
        retry_after: true,
    });
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let mut args = vec!["fetch", "-o", out.to_str().unwrap(), "--rate", "30/500ms"];
    args.extend_from_slice(&["--backoff", "20ms"]);
    expect(halo_audit(&server, &args), 0);
    assert_eq!(server.stats().throttled, 0);
    assert_eq!(read(&out)["requests"]["throttled"], 0);
}

#[test]
fn rate_limiting_that_never_clears_gives_up_with_exit_3() {
    let mut config = demo();
    config.faults = vec![fault(
        "/api/Roles",
        FaultKind::RateLimited {
            retry_after: Some(0),
        },
        0,
        None,
    )];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = expect(fetch(&server, &out, &["--max-attempts", "4"]), 3);
    assert!(run.stderr.contains("429"), "{}", run.stderr);
    assert!(run.stderr.contains("after 4 attempts"), "{}", run.stderr);
    assert!(run.stderr.contains("--rate"), "hint: {}", run.stderr);
    assert!(!out.exists());
}

#[test]
fn server_errors_are_retried_then_succeed() {
    let mut config = demo();
    config.faults = vec![fault("/api/Agent/*", FaultKind::Status(500), 3, Some(2))];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    expect(fetch(&server, &out, &[]), 0);
    let snap = read(&out);
    assert_eq!(snap["requests"]["retries"], 2);
    assert_eq!(snap["requests"]["total"], 60);
    assert_eq!(count(&snap, "agents"), 40);
}

#[test]
fn a_forbidden_application_list_is_a_gap_and_dependent_requirements_are_unverifiable() {
    let mut config = demo();
    config.faults = vec![fault("/api/Application", FaultKind::Forbidden, 0, None)];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = expect(fetch(&server, &out, &[]), 0);
    assert!(run.stderr.contains("/api/Application"), "{}", run.stderr);
    assert!(run.stderr.contains("403"), "{}", run.stderr);
    let snap = read(&out);
    assert!(snap["objects"].get("applications").is_none());
    assert_eq!(snap["gaps"][0]["endpoint"], "/api/Application");
    assert_eq!(snap["gaps"][0]["status"], 403);
    assert_eq!(snap["gaps"][0]["reason"], "forbidden");
    // Nothing was audited: exit 3 whatever --fail-on says (tests/verdicts.rs pins the message).
    let findings = findings_exit(&out, &["vciotoolbox"], 3);
    let codes: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"unverifiable"), "{codes:?}");
    assert!(!codes.contains(&"binding-not-found"), "{codes:?}");
    assert!(!codes.contains(&"missing-grant"), "{codes:?}");
}

#[test]
fn forbidden_everywhere_is_exit_3_with_what_the_credential_needs() {
    let mut config = demo();
    config.client_scopes = vec!["read:tickets".to_owned()];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = expect(fetch(&server, &out, &["--token-scope", "read:tickets"]), 3);
    assert!(run.stderr.contains("403"), "{}", run.stderr);
    assert!(run.stderr.contains("read:tickets"), "{}", run.stderr);
    assert!(!out.exists());
}

#[test]
fn an_unknown_scope_is_invalid_scope() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = expect(fetch(&server, &out, &["--token-scope", "read:actions"]), 3);
    assert!(run.stderr.contains("invalid_scope"), "{}", run.stderr);
    assert!(run.stderr.contains("read:actions"), "{}", run.stderr);
}

#[test]
fn a_truncated_body_fails_with_exit_3_and_leaves_the_previous_snapshot_untouched() {
    let mut config = demo();
    config.faults = vec![fault("/api/Agent/*", FaultKind::DropMidBody, 0, None)];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    std::fs::write(&out, "previous snapshot").unwrap();
    let run = expect(fetch(&server, &out, &["--max-attempts", "2"]), 3);
    assert!(
        run.stderr.contains("closed before the answer was complete"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous snapshot");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

#[test]
fn a_malformed_body_fails_with_exit_3() {
    let mut config = demo();
    config.faults = vec![fault("/api/Roles", FaultKind::Malformed, 0, None)];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = expect(fetch(&server, &out, &[]), 3);
    assert!(run.stderr.contains("not valid JSON"), "{}", run.stderr);
    assert!(run.stderr.contains("/api/Roles"), "{}", run.stderr);
}

#[test]
fn the_integrations_scope_is_a_handful_of_requests_whatever_the_tenant_size() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    expect(fetch(&server, &out, &["--scope", "integrations"]), 0);
    let snap = read(&out);
    assert_eq!(snap["scope"], "integrations");
    assert_eq!(count(&snap, "applications"), 7);
    // The seven login agents (one per application), no team, no other agent.
    assert_eq!(count(&snap, "agents"), 7);
    assert!(snap["objects"].get("teams").is_none());
    // token + application list + 7 login agents + who the credential is.
    assert_eq!(snap["requests"]["total"], 10, "{}", snap["requests"]);
    // The integration findings match those of the full snapshot for the apps' own requirements.
    let live = findings(&out, &["vciotoolbox", "cloud-depot"]);
    let missing: Vec<&Value> = live
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "missing-grant")
        .collect();
    assert!(!missing.is_empty());
}

#[test]
fn a_live_check_fetches_and_checks_in_one_run() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.json");
    let mut args = vec![
        "check",
        "--format",
        "json",
        "--save-snapshot",
        saved.to_str().unwrap(),
    ];
    args.extend_from_slice(FAST);
    let run = expect(halo_audit(&server, &args), 1);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["findings"],
        findings(&root().join("fixtures/demo/snapshot.json"), &[])
    );
    assert_eq!(count(&read(&saved), "agents"), 40);
}

#[test]
fn the_secret_appears_nowhere_in_output_or_snapshot() {
    let mut config = demo();
    // Halo's objects may carry secrets; they are stripped on the way in.
    config.objects.applications[0]["clientSecret"] = Value::from("app-secret-should-vanish");
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.json");
    let mut args = vec![
        "-vv",
        "check",
        "--format",
        "json",
        "--save-snapshot",
        saved.to_str().unwrap(),
    ];
    args.extend_from_slice(FAST);
    let run = halo_audit(&server, &args);
    let snapshot = std::fs::read_to_string(&saved).unwrap();
    for (name, text) in [
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
        ("snapshot", &snapshot),
    ] {
        assert!(!text.contains(DEMO_CLIENT_SECRET), "secret in {name}");
        assert!(
            !text.contains("app-secret-should-vanish"),
            "app secret in {name}"
        );
        assert!(!text.to_lowercase().contains("bearer"), "token in {name}");
    }
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_sending_anything() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = expect(
        fetch(&server, &out, &["--url", "http://halo.example.com"]),
        2,
    );
    assert!(run.stderr.contains("plain http"), "{}", run.stderr);
    assert_eq!(server.stats().total, 0);
}

#[test]
fn nothing_listening_is_connection_refused_at_once() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let url = format!("http://127.0.0.1:{port}");
    // A retry would wait an hour and the run would be killed by the harness's timeout.
    let run = expect(
        halo_audit(
            &server,
            &[
                "fetch",
                "-o",
                out.to_str().unwrap(),
                "--url",
                &url,
                "--backoff",
                "1h",
                "--max-retry-time",
                "2h",
            ],
        ),
        3,
    );
    assert!(run.stderr.contains("connection refused"), "{}", run.stderr);
}

/// The demo's "Old PowerShell Sync" application: scope `all`, logs in as a disabled agent that can
/// delete tickets.
const OVERPRIVILEGED_CLIENT: &str = "12bd8175-f50e-4317-943e-ec13f6fc49be";

#[test]
fn the_self_check_warns_when_the_auditing_credential_can_write() {
    let mut config = demo();
    config.client_id = OVERPRIVILEGED_CLIENT.to_owned();
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .args([
            "fetch",
            "-o",
            out.to_str().unwrap(),
            "--url",
            &server.url(),
            "--tenant",
            DEMO_TENANT,
            "--client-id",
            OVERPRIVILEGED_CLIENT,
            "--token-scope",
            "all",
            "--rate",
            "off",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: self-check: the auditing application holds `all`"),
        "{stderr}"
    );
    // The same judgement from the snapshot alone.
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .args([
            "self-check",
            "--snapshot",
            out.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["application"], "Old PowerShell Sync");
    let messages: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("holds `all`")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("can change data") && m.contains("Can Delete Tickets")),
        "{messages:?}"
    );
}

#[test]
fn the_self_check_of_a_read_only_credential_passes() {
    // The credential acts as a dedicated API-only agent with no feature access (Halo names it
    // through /api/Agent/me: the demo's auditing application is not in its application list),
    // every claim seen at its lowest setting: "only reads" rests on evidence, not on absent claims.
    let catalog = halo_audit::catalog::Catalog::builtin().unwrap();
    let claims: Vec<Value> = catalog
        .permissions
        .iter()
        .filter_map(|p| {
            let halo_audit::catalog::Source::Claim(kind) = &p.source else {
                return None;
            };
            let lowest = match p.kind {
                halo_audit::catalog::Kind::Flag => halo_audit::catalog::ClaimValue::Flag(false),
                halo_audit::catalog::Kind::Level => halo_audit::catalog::ClaimValue::Level(0),
            };
            let value = catalog.claim_raw(p, lowest)?;
            Some(serde_json::json!({"type": kind, "value": value}))
        })
        .collect();
    let mut config = demo();
    config.objects.agents.push(serde_json::json!({
        "id": 901, "name": "Audit Reader", "isdisabled": false, "isapiagent": true,
        "is_admin": true, "roles": [], "teams": [], "claims": claims
    }));
    config.auditor_agent_id = Some(901);
    let server = Server::start(config).unwrap();
    let mut args = vec!["self-check"];
    args.extend_from_slice(FAST);
    let run = expect(halo_audit(&server, &args), 0);
    assert!(run.stdout.contains("only reads"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("login agent Audit Reader (from /api/Agent/me)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("granted scopes: admin"),
        "{}",
        run.stdout
    );
    // Live self-checks read only applications and login agents, and which agent the credential
    // acts as, with one token.
    assert!(server.stats().total <= 11, "{:?}", server.stats());
    assert_eq!(server.stats().tokens_issued, 1);
    assert_eq!(
        server.stats().by_route.get("GET /api/Agent/me"),
        Some(&1),
        "{:?}",
        server.stats()
    );
}

#[test]
fn a_url_that_is_not_halo_says_there_is_no_token_endpoint() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let url = format!("{}/not-halo", server.url());
    let run = expect(fetch(&server, &out, &["--url", &url]), 3);
    assert!(run.stderr.contains("no token endpoint"), "{}", run.stderr);
    assert!(run.stderr.contains("--auth-url"), "{}", run.stderr);
}

#[test]
fn tls_to_a_server_that_does_not_speak_it_is_a_tls_error() {
    let server = Server::start(demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let url = server.url().replace("http://", "https://");
    let run = expect(fetch(&server, &out, &["--url", &url]), 3);
    assert!(run.stderr.contains("TLS failed"), "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot be turned off"),
        "{}",
        run.stderr
    );
}

// ------------------------------------------------------------------------------------------------
// The request budget (docs/performance.md): counted by the simulator, never timed.

/// A synthetic tenant served as the demo's hosted tenant, so the usual credentials apply.
fn synthetic(agents: usize, teams: usize, roles: usize, applications: usize) -> (Value, SimConfig) {
    let doc = halo_sim::synthetic(&halo_sim::SyntheticSpec {
        agents,
        teams,
        roles,
        applications,
        seed: 3,
    });
    let mut config = SimConfig::from_snapshot(&doc).unwrap();
    config.tenant = Some(DEMO_TENANT.to_owned());
    (doc, config)
}

#[test]
fn a_full_fetch_issues_exactly_the_minimum_requests_paging_included() {
    let (doc, mut config) = synthetic(260, 12, 9, 11);
    // The server pages every list at 100 items: the agent list takes 3 pages, the others 1.
    config.page_limit = Some(100);
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    expect(fetch(&server, &out, &["--concurrency", "8"]), 0);
    let objects: usize = ["agents", "roles", "applications"]
        .iter()
        .map(|c| count(&doc, c))
        .sum();
    // 1 token + the list pages (3 + 1 + 1 + 1) + one detail per agent, role and application
    // + `/api/Agent/me`.
    let minimum = 1 + 6 + objects as u64 + 1;
    let stats = server.stats();
    assert_eq!(stats.total, minimum, "{stats:?}");
    assert_eq!(stats.by_route.get("GET /api/Team/{id}"), None);
    assert_eq!(stats.by_route.get("GET /api/Agent"), Some(&3));
    assert_eq!(stats.by_route.get("GET /api/authinfo"), None);
    assert_eq!(stats.throttled, 0);
    let snap = read(&out);
    assert_eq!(snap["requests"]["total"], minimum);
    assert_eq!(count(&snap, "agents"), 260);
}

#[test]
fn the_integrations_scope_stays_under_ten_requests_on_a_tenant_of_thousands_of_agents() {
    let (doc, config) = synthetic(2000, 40, 20, 5);
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    expect(fetch(&server, &out, &["--scope", "integrations"]), 0);
    let login_agents: std::collections::BTreeSet<i64> = doc["objects"]["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["loginas_agent_id"].as_i64())
        .collect();
    let stats = server.stats();
    // 1 token + the application list + one call per login agent + `/api/Agent/me`.
    assert_eq!(stats.total, 3 + login_agents.len() as u64, "{stats:?}");
    assert!(stats.total < 10, "{stats:?}");
    let snap = read(&out);
    assert_eq!(count(&snap, "agents"), login_agents.len());
}

#[test]
fn an_auth_server_elsewhere_is_found_through_authinfo() {
    let mut config = demo();
    config.auth_path = "/identity".to_owned();
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    expect(fetch(&server, &out, &[]), 0);
    let stats = server.stats();
    // {url}/auth/token first (404), then authinfo, then the token where it says: 2 more than
    // the minimum, and only for the first token.
    assert_eq!(
        stats.by_route.get("GET /api/authinfo"),
        Some(&1),
        "{stats:?}"
    );
    assert_eq!(
        stats.by_route.get("POST /auth/token"),
        Some(&2),
        "{stats:?}"
    );
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.total, 60);
    assert_eq!(count(&read(&out), "agents"), 40);
}

#[test]
fn no_token_endpoint_anywhere_is_reported_after_asking_authinfo() {
    let mut config = demo();
    config.faults = vec![fault("/auth/token", FaultKind::Status(404), 0, None)];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = expect(fetch(&server, &out, &[]), 3);
    assert!(run.stderr.contains("no token endpoint"), "{}", run.stderr);
    let stats = server.stats();
    // authinfo names the same place: no second token request.
    assert_eq!(
        stats.by_route.get("GET /api/authinfo"),
        Some(&1),
        "{stats:?}"
    );
    assert_eq!(
        stats.by_route.get("POST /auth/token"),
        Some(&1),
        "{stats:?}"
    );
}

#[test]
fn details_without_claims_are_said_once_and_make_claim_requirements_unverifiable() {
    let mut config = demo();
    config.objects = std::mem::take(&mut config.objects).without_claims();
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = expect(fetch(&server, &out, &[]), 0);
    let snapshot = read(&out);
    let gaps: Vec<&Value> = snapshot["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["reason"] == "no-claims")
        .collect();
    assert_eq!(gaps.len(), 1, "{:#?}", snapshot["gaps"]);
    let detail = gaps[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("GET /api/Agent/{id}?includedetails=true"),
        "{detail}"
    );
    assert_eq!(
        run.stderr.matches("carries `claims`").count(),
        1,
        "said once: {}",
        run.stderr
    );
    // Every feature-access and ticket requirement is unverifiable, with that reason; none passes
    // or is missing.
    let report = findings(&out, &["vciotoolbox"]);
    let feature: Vec<&Value> = report
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["permission"]
                .as_str()
                .is_some_and(|p| p.starts_with("feature.") || p.starts_with("ticket."))
        })
        .collect();
    assert!(!feature.is_empty());
    for f in feature {
        assert_eq!(f["code"], "unverifiable", "{f}");
        assert!(
            f["message"].as_str().unwrap().contains("carries `claims`"),
            "{f}"
        );
    }
}
