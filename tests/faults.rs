//! Faults against the HaloPSA simulator (crates/halo-sim): connections dropped mid-answer, answers
//! slower than the timeout, a storm of 500s, 429 forever, a token endpoint answering garbage or
//! absurd lifetimes, redirects and a discovered authorisation server on another host, servers that
//! never answer or never stop answering. Each must end within the harness's time limit with exit
//! 3 and a message naming what happened, leave a previous snapshot at the output path exactly as it
//! was (and no temporary file), and send nothing to another host.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use halo_sim::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Fault, FaultKind, Server, SimConfig,
};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Small timeouts and few attempts: every fault below ends in a second or two.
const FAST: &[&str] = &[
    "--rate",
    "off",
    "--timeout",
    "1s",
    "--backoff",
    "20ms",
    "--max-attempts",
    "3",
];

/// [`FAST`] without the flags `extra` gives itself.
fn fast_except(extra: &[&str]) -> Vec<&'static str> {
    FAST.chunks(2)
        .filter(|pair| !extra.contains(&pair[0]))
        .flatten()
        .copied()
        .collect()
}

struct Run {
    code: i32,
    stderr: String,
}

/// A directory holding a previous snapshot at `snap.json`.
struct Previous {
    dir: tempfile::TempDir,
    content: Vec<u8>,
}

impl Previous {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let content = std::fs::read(root().join("fixtures/demo/snapshot.json")).unwrap();
        std::fs::write(dir.path().join("snap.json"), &content).unwrap();
        Self { dir, content }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("snap.json")
    }

    /// The previous snapshot is byte for byte what it was, and nothing else was left behind.
    fn assert_untouched(&self) {
        assert_eq!(std::fs::read(self.path()).unwrap(), self.content);
        let entries: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            entries,
            vec!["snap.json".to_owned()],
            "temporary files left"
        );
    }
}

/// The variables that send requests through a proxy: never inherited by a run.
const PROXY_VARIABLES: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// `halo-audit fetch -o <previous> FAST extra` against `server`; killed after 60 s.
fn fetch(server: &Server, previous: &Previous, extra: &[&str]) -> Run {
    fetch_env(server, previous, extra, &[])
}

/// [`fetch`] with these environment variables set.
fn fetch_env(server: &Server, previous: &Previous, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::cargo_bin("halo-audit").unwrap();
    for name in PROXY_VARIABLES {
        command.env_remove(name);
    }
    let output = command
        .envs(env.iter().copied())
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("HALO_URL", server.url())
        .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
        .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("HALO_TENANT", DEMO_TENANT)
        .env_remove("HALO_AUTH_URL")
        .arg("fetch")
        .arg("-o")
        .arg(previous.path())
        .args(fast_except(extra))
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let run = Run {
        code: output
            .status
            .code()
            .expect("killed: the run did not end in time"),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "panic:\n{}", run.stderr);
    assert!(output.stdout.is_empty(), "fetch writes no report");
    run
}

/// Runs a fetch against a demo simulator with `faults`, expects exit 3 with every one of `says`
/// in its message and the previous snapshot untouched; returns the server for further checks.
fn fails(faults: Vec<Fault>, extra: &[&str], says: &[&str]) -> Server {
    let mut config = SimConfig::demo();
    config.faults = faults;
    fails_with(config, extra, says)
}

fn fails_with(config: SimConfig, extra: &[&str], says: &[&str]) -> Server {
    let server = Server::start(config).unwrap();
    let previous = Previous::new();
    let run = fetch(&server, &previous, extra);
    assert_eq!(run.code, 3, "exit code:\n{}", run.stderr);
    for words in says {
        assert!(
            run.stderr.contains(words),
            "`{words}` not in:\n{}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("help:"),
        "no advice given:\n{}",
        run.stderr
    );
    previous.assert_untouched();
    server
}

#[test]
fn a_connection_dropped_mid_body_every_time() {
    let server = fails(
        vec![Fault::new("/api/Roles/*", FaultKind::DropMidBody)],
        &[],
        &["/api/Roles/", "closed before the answer was complete"],
    );
    // Retried up to --max-attempts, then given up.
    assert!(server.stats().by_route["GET /api/Roles/{id}"] >= 3);
}

#[test]
fn a_connection_dropped_before_any_answer() {
    fails(
        vec![Fault::new("/api/Application", FaultKind::Drop)],
        &[],
        &["/api/Application", "closed before the answer was complete"],
    );
}

#[test]
fn answers_slower_than_the_timeout() {
    let server = fails(
        vec![Fault::new(
            "/api/Roles",
            FaultKind::Delay(Duration::from_secs(3)),
        )],
        &[],
        &["/api/Roles did not answer in time", "--timeout"],
    );
    assert_eq!(server.stats().by_route["GET /api/Roles"], 3);
}

#[test]
fn a_storm_of_500s_everywhere() {
    let server = fails(
        vec![Fault::new("*", FaultKind::Status(500))],
        &[],
        &["HTTP 500"],
    );
    // Three attempts at authinfo and three at the token endpoint; nothing else.
    assert!(server.stats().total <= 6, "{:?}", server.stats());
}

#[test]
fn a_storm_of_500s_on_the_data() {
    fails(
        vec![Fault::new("/api/Agent/*", FaultKind::Status(503))],
        &[],
        &["Halo answered HTTP 503", "/api/Agent/"],
    );
}

#[test]
fn rate_limited_forever() {
    fails(
        vec![Fault::new(
            "/api/Agent",
            FaultKind::RateLimited { retry_after: None },
        )],
        &[],
        &[
            "still rate limited (HTTP 429)",
            "after 3 attempts",
            "--rate",
        ],
    );
}

#[test]
fn rate_limited_with_a_retry_after_longer_than_the_run_may_wait() {
    let server = fails(
        vec![Fault::new(
            "/api/Team",
            FaultKind::RateLimited {
                retry_after: Some(3600),
            },
        )],
        &[],
        &["still rate limited (HTTP 429)", "after 1 attempts"],
    );
    assert_eq!(server.stats().by_route["GET /api/Team"], 1);
}

#[test]
fn a_token_endpoint_answering_an_html_page() {
    let server = fails(
        vec![Fault::new("/auth/token", FaultKind::Garbage)],
        &[],
        &["did not answer with a token", "not JSON", "--auth-url"],
    );
    assert_eq!(server.stats().by_route.get("GET /api/Agent"), None);
}

#[test]
fn a_token_endpoint_answering_broken_json() {
    fails(
        vec![Fault::new("/auth/token", FaultKind::Malformed)],
        &[],
        &["did not answer with a token"],
    );
}

#[test]
fn a_token_endpoint_that_hangs() {
    fails(
        vec![Fault::new("/auth/token", FaultKind::Hang)],
        &[],
        &["/auth/token did not answer in time"],
    );
}

/// `expires_in: 0`: every token is stale on arrival. The fetch renews a bounded number of times,
/// then gives up on the 401s instead of asking for tokens forever.
#[test]
fn a_token_endpoint_issuing_tokens_that_expire_at_once() {
    let mut config = SimConfig::demo();
    config.token_lifetime = Duration::ZERO;
    let server = fails_with(config, &[], &["rejected the token", "HTTP 401"]);
    let issued = server.stats().tokens_issued;
    assert!(issued <= 6, "{issued} tokens asked for");
}

/// `expires_in: 18446744073709551615` once made the renewal time overflow the clock (a panic).
#[test]
fn a_token_endpoint_promising_an_absurd_lifetime_is_not_believed() {
    let mut config = SimConfig::demo();
    config.token_lifetime = Duration::MAX;
    let server = Server::start(config).unwrap();
    let previous = Previous::new();
    let run = fetch(&server, &previous, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.stats().tokens_issued, 1);
}

#[test]
fn a_redirect_to_another_host_is_not_followed() {
    let other = Server::start(SimConfig::demo()).unwrap();
    let location = format!("{}/api/Agent", other.url());
    fails(
        vec![Fault::new(
            "/api/Agent",
            FaultKind::Redirect(location.clone()),
        )],
        &[],
        &["redirected (HTTP 302)", &location, "not followed"],
    );
    assert_eq!(other.stats().total, 0, "a request reached the other host");
}

#[test]
fn a_token_endpoint_redirecting_elsewhere_never_gets_the_secret_sent_on() {
    let other = Server::start(SimConfig::demo()).unwrap();
    let location = format!("{}/auth/token", other.url());
    fails(
        vec![Fault::new(
            "/auth/token",
            FaultKind::Redirect(location.clone()),
        )],
        &[],
        // Only the origin: of a token endpoint's answer no path or query is shown.
        &[
            "POST",
            "/auth/token redirected (HTTP 302)",
            &format!("{} (path not shown)", other.url()),
        ],
    );
    assert_eq!(
        other.stats().total,
        0,
        "the secret was sent to the other host"
    );
}

#[test]
fn a_discovered_authorisation_server_on_another_host_is_refused() {
    let other = Server::start(SimConfig::demo()).unwrap();
    let mut config = SimConfig::demo();
    // No token endpoint at {url}/auth, so the fetcher asks /api/authinfo, which names another host.
    config.auth_path = "/identity".to_owned();
    config.auth_url = Some(format!("{}/auth", other.url()));
    let server = fails_with(
        config,
        &[],
        &["names the authorisation server", &other.url(), "--auth-url"],
    );
    assert_eq!(
        other.stats().total,
        0,
        "the secret was sent to the other host"
    );
    assert_eq!(server.stats().tokens_issued, 0);
}

#[test]
fn a_server_that_never_answers() {
    fails(
        vec![Fault::new("/api/Team", FaultKind::Hang)],
        &[],
        &["/api/Team did not answer in time"],
    );
}

/// An answer that never ends is cut at the response size limit, long before the timeout.
#[test]
fn a_server_that_never_stops_answering() {
    fails(
        vec![Fault::new("/api/Agent", FaultKind::Endless)],
        &["--timeout", "60s"],
        &["/api/Agent is larger than 128 MiB"],
    );
}

#[test]
fn a_live_check_that_fails_leaves_the_saved_snapshot_untouched() {
    let mut config = SimConfig::demo();
    config.faults = vec![Fault::new("/api/Roles/*", FaultKind::Status(500))];
    let server = Server::start(config).unwrap();
    let previous = Previous::new();
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("HALO_URL", server.url())
        .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
        .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("HALO_TENANT", DEMO_TENANT)
        .args(["check", "--format", "json", "--save-snapshot"])
        .arg(previous.path())
        .args(FAST)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("HTTP 500"), "{stderr}");
    assert!(output.stdout.is_empty(), "no report from a run that failed");
    previous.assert_untouched();
}

/// `halo-audit fetch` run in `dir` (where a `halo-audit.yaml` may be) against `server`.
fn fetch_in(dir: &Path, server: &Server, extra: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HALO_URL", server.url())
        .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
        .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("HALO_TENANT", DEMO_TENANT)
        .env_remove("HALO_AUTH_URL")
        .env_remove("HALO_AUDIT_CONFIG")
        .args(["fetch", "-o", "snap.json"])
        .args(FAST)
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.status.code().expect("killed"), stderr)
}

/// A repository's `halo-audit.yaml` naming an authorisation server on another origin cannot
/// collect the secret: refused (exit 2) before any request, unless the command line allows that
/// origin; one on the instance's own origin is used as before.
#[test]
fn a_configuration_file_cannot_send_the_secret_to_another_origin() {
    let other = Server::start(SimConfig::demo()).unwrap();
    let server = Server::start(SimConfig::demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("halo-audit.yaml"),
        format!("instance:\n  auth_url: {}/auth\n", other.url()),
    )
    .unwrap();
    let (code, stderr) = fetch_in(dir.path(), &server, &[]);
    assert_eq!(code, 2, "{stderr}");
    for words in [
        "instance.auth_url",
        "not on the instance's origin",
        "--allow-auth-origin",
    ] {
        assert!(stderr.contains(words), "`{words}` not in:\n{stderr}");
    }
    assert_eq!(
        other.stats().total,
        0,
        "the secret was sent to the other origin"
    );
    assert_eq!(server.stats().total, 0);
    assert!(!dir.path().join("snap.json").exists());

    // Allowed on the command line: the token is asked there.
    let (_, stderr) = fetch_in(dir.path(), &server, &["--allow-auth-origin", &other.url()]);
    assert!(other.stats().tokens_issued >= 1, "{stderr}");

    // The instance's own origin needs no flag.
    std::fs::write(
        dir.path().join("halo-audit.yaml"),
        format!("instance:\n  auth_url: {}/auth\n", server.url()),
    )
    .unwrap();
    let (code, stderr) = fetch_in(dir.path(), &server, &[]);
    assert_eq!(code, 0, "{stderr}");
}

/// A fetch that succeeds (exit 0) into a fresh file; the snapshot's JSON.
fn fetch_ok(server: &Server) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = fetch_in(dir.path(), server, &[]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&std::fs::read_to_string(dir.path().join("snap.json")).unwrap()).unwrap()
}

/// `check` of a snapshot document; its exit code and JSON report.
fn check_doc(doc: &serde_json::Value) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["check", "--format", "json", "--snapshot"])
        .arg(&path)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&output.stdout).unwrap(),
    )
}

/// 404 on every application's detail (and on one agent's) keeps the objects the lists returned:
/// the check still finds the integrations and does not pass.
#[test]
fn details_answering_404_keep_the_listed_objects() {
    let mut config = SimConfig::demo();
    let apps = config.objects.applications.len();
    let agents = config.objects.agents.len();
    config.faults = vec![
        Fault::new("/api/Application/*", FaultKind::Status(404)),
        Fault::new("/api/Agent/*", FaultKind::Status(404)).times(1),
    ];
    let server = Server::start(config).unwrap();
    let doc = fetch_ok(&server);
    assert_eq!(
        doc["objects"]["applications"].as_array().unwrap().len(),
        apps
    );
    assert_eq!(doc["objects"]["agents"].as_array().unwrap().len(), agents);
    let not_found = doc["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["reason"] == "not_found")
        .count();
    assert_eq!(not_found, apps + 1, "{}", doc["gaps"]);
    let (code, report) = check_doc(&doc);
    assert_eq!(code, 1, "{report}");
    assert!(!report["findings"].as_array().unwrap().is_empty());
}

/// A list whose answer holds fewer objects than its `record_count` on a page far shorter than the
/// page size asked for: such paging is not followed, the list is marked partial, not stored as
/// complete, and `check` says it was not audited (exit 3).
#[test]
fn a_list_shorter_than_its_record_count_is_marked_partial() {
    let mut config = SimConfig::demo();
    let teams = serde_json::json!({
        "record_count": 5000,
        "teams": [config.objects.teams[0].clone(), config.objects.teams[1].clone()],
    });
    config.faults = vec![Fault::new(
        "/api/Team",
        FaultKind::Reply(200, teams.to_string()),
    )];
    let server = Server::start(config).unwrap();
    let doc = fetch_ok(&server);
    assert_eq!(doc["objects"]["teams"].as_array().unwrap().len(), 2);
    let partial: Vec<&serde_json::Value> = doc["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["reason"] == "partial")
        .collect();
    assert_eq!(partial.len(), 1, "{}", doc["gaps"]);
    assert_eq!(partial[0]["endpoint"], "/api/Team");
    assert!(
        partial[0]["detail"].as_str().unwrap().contains(
            "page 1 held 2 of the 5000 records the list says it holds: pages smaller than 50"
        ),
        "{}",
        partial[0]
    );
    // Pages of two (of the 100 asked for) are not followed: nothing more is asked.
    assert_eq!(server.stats().by_route["GET /api/Team"], 1);
    // And `check` says so: never a silent pass.
    let (code, report) = check_doc(&doc);
    assert_eq!(code, 3, "{report}");
    let incomplete = report["findings"].as_array().unwrap().iter().any(|f| {
        f["code"] == "unverifiable"
            && f["message"]
                .as_str()
                .unwrap()
                .contains("/api/Team list is incomplete")
    });
    assert!(incomplete, "{report}");
    assert!(
        report
            .to_string()
            .contains("the team list was not read whole (partial)"),
        "{report}"
    );
}

/// A server inventing a new object on every page under an absurd `record_count`: the count is
/// not believed and nothing more is asked; under a plausible one, the first page (shorter than
/// asked) is the last.
#[test]
fn a_list_inventing_objects_on_every_page_is_bounded() {
    let mut config = SimConfig::demo();
    config.faults = vec![Fault::new("/api/Roles", FaultKind::Runaway(40))];
    let server = Server::start(config).unwrap();
    let doc = fetch_ok(&server);
    assert_eq!(doc["objects"]["roles"].as_array().unwrap().len(), 1);
    assert_eq!(server.stats().by_route["GET /api/Roles"], 1);
    let mut config = SimConfig::demo();
    config.faults = vec![Fault::new("/api/Roles", FaultKind::Runaway(u64::MAX))];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = fetch_in(dir.path(), &server, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("/api/Roles: not read whole (over-limit)"),
        "{stderr}"
    );
    assert_eq!(server.stats().by_route["GET /api/Roles"], 1);
}

/// A proxy in the environment that refuses connections: the message names the proxy (as
/// `scheme://host:port`, never its credentials) and the variable it came from, and points at
/// NO_PROXY, instead of blaming `--url`. With the instance's host in NO_PROXY the same run
/// connects directly and succeeds.
#[test]
fn a_proxy_refusing_connections_is_named_with_its_variable_not_its_credentials() {
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let server = Server::start(SimConfig::demo()).unwrap();
    let credentials = "proxy-user:proxy-pass-7f3a";
    let with_credentials = format!("http://{credentials}@127.0.0.1:{refused}/");
    let without_scheme = format!("127.0.0.1:{refused}");
    for (variable, value) in [
        ("HTTP_PROXY", with_credentials.as_str()),
        ("all_proxy", without_scheme.as_str()),
    ] {
        let previous = Previous::new();
        let run = fetch_env(&server, &previous, &[], &[(variable, value)]);
        assert_eq!(run.code, 3, "{}", run.stderr);
        let named = format!("through the proxy http://127.0.0.1:{refused} (from {variable})");
        for words in [named.as_str(), "refused the connection", "NO_PROXY"] {
            assert!(
                run.stderr.contains(words),
                "`{words}` not in:\n{}",
                run.stderr
            );
        }
        for secret in ["proxy-user", "proxy-pass-7f3a"] {
            assert!(!run.stderr.contains(secret), "{}", run.stderr);
        }
        assert!(
            !run.stderr.contains("check the host and port in --url"),
            "{}",
            run.stderr
        );
        previous.assert_untouched();
    }
    assert_eq!(server.stats().total, 0, "nothing reached the instance");
    let previous = Previous::new();
    let run = fetch_env(
        &server,
        &previous,
        &[],
        &[("HTTP_PROXY", &with_credentials), ("NO_PROXY", "127.0.0.1")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(server.stats().total > 0);
}
