//! The `halo-sim` binary: flags reach the server, the stdout line names the URL and credentials,
//! each request is logged on stderr, and bad flags exit with code 2.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_halo-sim");

/// The binary, killed when dropped.
struct Sim {
    child: Child,
    line: String,
}

impl Sim {
    fn start(args: &[&str]) -> Sim {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Sim { child, line }
    }

    fn field(&self, name: &str) -> &str {
        self.line
            .split_whitespace()
            .find_map(|f| f.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name}= in {:?}", self.line))
    }

    /// Sends one request on its own connection and returns the status and body.
    fn request(&self, raw: &str) -> (u16, String) {
        let host = self.field("url").trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        let status = reply.split(' ').nth(1).unwrap().parse().unwrap();
        let body = reply.split_once("\r\n\r\n").unwrap().1.to_owned();
        (status, body)
    }

    /// Stops the process and returns what it wrote to stderr.
    fn stop(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        err
    }
}

fn usage_error(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn flags_reach_the_server_and_requests_are_logged() {
    let sim = Sim::start(&[
        "--port",
        "0",
        "--no-tenant",
        "--client-id",
        "cid",
        "--client-secret",
        "csec",
        "--scopes",
        "admin,read:tickets",
        "--envelope",
        "wrapped",
        "--rate",
        "100/1m",
        "--fault",
        "status=503,times=1@/api/Team",
    ]);
    assert!(
        sim.field("url").starts_with("http://127.0.0.1:"),
        "{}",
        sim.line
    );
    assert_eq!(sim.field("tenant"), "-");
    assert_eq!(
        (sim.field("client_id"), sim.field("client_secret")),
        ("cid", "csec")
    );

    let form = "grant_type=client_credentials&client_id=cid&client_secret=csec";
    let (status, body) = sim.request(&format!(
        "POST /auth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    ));
    assert_eq!(status, 200, "{body}");
    let token: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(token["scope"], "admin read:tickets");
    let get = format!(
        "GET /api/Team HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\n\r\n",
        token["access_token"].as_str().unwrap()
    );
    assert_eq!(sim.request(&get).0, 503);
    let (status, body) = sim.request(&get);
    assert_eq!(status, 200);
    let teams: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(teams["record_count"], 8);

    let log = sim.stop();
    assert!(log.contains("POST /auth/token -> 200"), "{log}");
    assert!(log.contains("GET /api/Team -> 503 in"), "{log}");
    assert!(log.contains("[fault status=503]"), "{log}");
    assert!(log.contains("GET /api/Team -> 200 in"), "{log}");
}

#[test]
fn a_snapshot_file_is_served_as_its_hosted_tenant() {
    let snapshot =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo/snapshot.json");
    let sim = Sim::start(&["--tenant", snapshot.to_str().unwrap(), "--quiet"]);
    assert_eq!(sim.field("tenant"), "northwind");
    assert_eq!(sim.field("client_id"), "halo-audit-demo");
    let (status, body) =
        sim.request("GET /api/authinfo HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"auth_url":"http://sim/auth","tenant_id":"northwind"}"#
    );
    let log = sim.stop();
    assert!(
        !log.contains("GET /api/authinfo"),
        "--quiet logs no requests: {log}"
    );
}

#[test]
fn a_synthetic_tenant_with_its_auth_server_elsewhere() {
    let sim = Sim::start(&[
        "--synthetic",
        "agents=30,teams=4,roles=3,applications=2,seed=5",
        "--auth-path",
        "/identity",
        "--quiet",
    ]);
    assert_eq!(sim.field("tenant"), "synthetic");
    let (status, body) =
        sim.request("GET /api/authinfo HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"auth_url":"http://sim/identity","tenant_id":"synthetic"}"#
    );
    let form = "grant_type=client_credentials&client_id=halo-audit-demo&client_secret=demo-secret-for-the-simulator-only";
    let post = |path: &str| {
        sim.request(&format!(
            "POST {path}?tenant=synthetic HTTP/1.1\r\nHost: sim\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ))
    };
    assert_eq!(
        post("/auth/token").0,
        404,
        "the token endpoint is not at /auth"
    );
    let (status, body) = post("/identity/token");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("access_token"), "{body}");
    sim.stop();
}

#[test]
fn bad_flags_exit_with_2() {
    assert!(usage_error(&["--fault", "explode"]).contains("unknown fault `explode`"));
    assert!(usage_error(&["--rate", "300"]).contains("REQUESTS/DURATION"));
    assert!(usage_error(&["--scopes", "read:agents"]).contains("not a HaloPSA API scope"));
    assert!(usage_error(&["--tenant", "no/such/snapshot.json"]).contains("cannot read"));
    usage_error(&["--page-limit", "0"]);
    usage_error(&["--envelope", "boxed"]);
    usage_error(&["--hosted-tenant", "a", "--no-tenant"]);
    assert!(usage_error(&["--synthetic", "agents=3"]).contains("missing teams=N"));
    assert!(usage_error(&["--synthetic", "agents=x"]).contains("not a whole number"));
    assert!(usage_error(&["--auth-path", "auth"]).contains("not a path"));
}
