//! The HTTP simulator through a real TCP client on 127.0.0.1: the token endpoint and its errors,
//! bearer checks, scopes, list and detail views, envelopes and pagination, the rate limiter, every
//! fault kind, statistics, keep-alive and shutdown, and the `--fault`/`--rate` grammar.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use halo_sim::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Envelope, Fault, FaultKind, RateLimit, Server,
    SimConfig, TenantObjects, parse_fault, parse_rate,
};
use serde_json::{Value, json};

// ------------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(server: &Server) -> Conn {
        let stream = TcpStream::connect(server.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: sim.test\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        self.writer.write_all(&bytes).unwrap();
    }

    /// Reads the status line and headers; `None` when the server closed the connection instead.
    fn read_head(&mut self) -> Option<(u16, Vec<(String, String)>)> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return None,
            Err(e) => panic!("reading the status line: {e}"),
        }
        let status = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        Some((status, headers))
    }

    fn read(&mut self) -> Option<Reply> {
        let (status, headers) = self.read_head()?;
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .expect("every response has Content-Length");
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        Some(Reply {
            status,
            headers,
            body,
        })
    }

    fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        self.send(method, target, headers, body);
        self.read()
            .unwrap_or_else(|| panic!("{method} {target}: connection closed without a response"))
    }

    /// True when the server closes the connection (end of stream or reset) within the timeout.
    fn closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.reader.read(&mut byte), Ok(0))
            || matches!(self.reader.read(&mut byte), Err(e) if e.kind() == ErrorKind::ConnectionReset)
    }
}

fn get(server: &Server, target: &str, token: &str) -> Reply {
    let auth = format!("Bearer {token}");
    Conn::open(server).request("GET", target, &[("Authorization", &auth)], b"")
}

fn get_anonymous(server: &Server, target: &str) -> Reply {
    Conn::open(server).request("GET", target, &[], b"")
}

fn post_form(server: &Server, target: &str, form: &str) -> Reply {
    Conn::open(server).request(
        "POST",
        target,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
}

const DEMO_FORM: &str = "grant_type=client_credentials&client_id=halo-audit-demo&client_secret=demo-secret-for-the-simulator-only";

fn token_path(config_tenant: Option<&str>) -> String {
    config_tenant.map_or_else(
        || "/auth/token".to_owned(),
        |t| format!("/auth/token?tenant={t}"),
    )
}

/// A token for the demo credentials with the given extra form fields.
fn token_with(server: &Server, tenant: Option<&str>, extra: &str) -> String {
    let reply = post_form(server, &token_path(tenant), &format!("{DEMO_FORM}{extra}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

/// The demo tenant, not hosted (no ?tenant= needed), well behaved.
fn demo() -> SimConfig {
    let mut config = SimConfig::demo();
    config.tenant = None;
    config
}

fn start(config: SimConfig) -> (Server, String) {
    let server = Server::start(config).unwrap();
    let token = token_with(&server, None, "");
    (server, token)
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn error_of(reply: &Reply) -> (u16, String) {
    (
        reply.status,
        reply.json()["error"].as_str().unwrap().to_owned(),
    )
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

// ------------------------------------------------------------------------------------------------
// Auth

#[test]
fn token_success_has_halo_fields_and_an_opaque_token() {
    let server = Server::start(SimConfig::demo()).unwrap();
    assert!(server.url().starts_with("http://127.0.0.1:"));
    assert_eq!(server.addr().ip().to_string(), "127.0.0.1");
    let reply = post_form(&server, "/auth/token?tenant=northwind", DEMO_FORM);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("Cache-Control"), Some("no-store"));
    let body = reply.json();
    assert_eq!(
        keys(&body),
        ["access_token", "token_type", "expires_in", "scope"]
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "admin");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(!token.contains(DEMO_CLIENT_SECRET));
    let again = token_with(&server, Some(DEMO_TENANT), "");
    assert_ne!(again, token, "every token is new");
    assert_eq!(server.stats().tokens_issued, 2);
}

#[test]
fn token_errors_follow_openiddict() {
    let mut config = demo();
    config.client_scopes = vec!["admin".into(), "read:tickets".into()];
    let server = Server::start(config).unwrap();
    let cases: &[(&str, u16, &str)] = &[
        (
            "grant_type=password&client_id=halo-audit-demo&client_secret=demo-secret-for-the-simulator-only",
            400,
            "unsupported_grant_type",
        ),
        (
            "client_id=halo-audit-demo&client_secret=demo-secret-for-the-simulator-only",
            400,
            "invalid_request",
        ),
        (
            "grant_type=client_credentials&client_secret=demo-secret-for-the-simulator-only",
            400,
            "invalid_request",
        ),
        (
            "grant_type=client_credentials&client_id=someone-else&client_secret=demo-secret-for-the-simulator-only",
            401,
            "invalid_client",
        ),
        (
            "grant_type=client_credentials&client_id=halo-audit-demo&client_secret=wrong",
            401,
            "invalid_client",
        ),
        (
            "grant_type=client_credentials&client_id=halo-audit-demo",
            401,
            "invalid_client",
        ),
        (
            &format!("{DEMO_FORM}&scope=read%3Aagents"),
            400,
            "invalid_scope",
        ),
        (
            &format!("{DEMO_FORM}&scope=admin+edit:tickets"),
            400,
            "invalid_scope",
        ),
        (&format!("{DEMO_FORM}&scope=Admin"), 400, "invalid_scope"),
    ];
    for (form, status, error) in cases {
        let reply = post_form(&server, "/auth/token", form);
        assert_eq!(error_of(&reply), (*status, (*error).to_owned()), "{form}");
        assert!(reply.json()["error_description"].is_string(), "{form}");
    }
    let reply = post_form(
        &server,
        "/auth/token",
        "grant_type=client_credentials&client_id=halo-audit-demo&client_secret=nope",
    );
    assert_eq!(
        reply.json(),
        json!({"error": "invalid_client", "error_description": "The specified client credentials are invalid."})
    );
    let reply = post_form(
        &server,
        "/auth/token",
        &format!("{DEMO_FORM}&scope=read:agents"),
    );
    assert!(
        reply.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("read:agents")
    );

    // A JSON body is not a form post.
    let reply = Conn::open(&server).request(
        "POST",
        "/auth/token",
        &[("Content-Type", "application/json")],
        br#"{"grant_type":"client_credentials"}"#,
    );
    assert_eq!(error_of(&reply), (400, "invalid_request".to_owned()));
    // The token endpoint only takes POST.
    let reply = get_anonymous(&server, "/auth/token");
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("Allow"), Some("POST"));

    // Requested scopes narrow the token; omitted means every granted scope.
    let reply = post_form(
        &server,
        "/auth/token",
        &format!("{DEMO_FORM}&scope=read:tickets"),
    );
    assert_eq!(reply.json()["scope"], "read:tickets");
    let reply = post_form(&server, "/auth/token", DEMO_FORM);
    assert_eq!(reply.json()["scope"], "admin read:tickets");
    assert_eq!(server.stats().tokens_issued, 2);
    assert_eq!(server.stats().unauthorized, 4);
}

#[test]
fn hosted_tenant_needs_the_tenant_parameter() {
    let server = Server::start(SimConfig::demo()).unwrap();
    for path in [
        "/auth/token",
        "/auth/token?tenant=contoso",
        "/auth/token?tenant=",
    ] {
        let reply = post_form(&server, path, DEMO_FORM);
        assert_eq!(
            error_of(&reply),
            (400, "invalid_request".to_owned()),
            "{path}"
        );
    }
    for path in [
        "/auth/token?tenant=northwind",
        "/Auth/Token?Tenant=NorthWind",
    ] {
        assert_eq!(post_form(&server, path, DEMO_FORM).status, 200, "{path}");
    }
    // The tenant is not accepted as a form field instead.
    let reply = post_form(
        &server,
        "/auth/token",
        &format!("{DEMO_FORM}&tenant=northwind"),
    );
    assert_eq!(reply.status, 400);

    // An on-premises instance ignores the parameter.
    let on_prem = Server::start(demo()).unwrap();
    assert_eq!(post_form(&on_prem, "/auth/token", DEMO_FORM).status, 200);
    assert_eq!(
        post_form(&on_prem, "/auth/token?tenant=anything", DEMO_FORM).status,
        200
    );
}

#[test]
fn authinfo_needs_no_token_and_names_the_auth_server() {
    let server = Server::start(SimConfig::demo()).unwrap();
    let port = server.addr().port();
    for path in ["/api/authinfo", "/api/AuthInfo", "/API/AUTHINFO/"] {
        let reply = Conn::open(&server).request(
            "GET",
            path,
            &[("Host", &format!("127.0.0.1:{port}"))],
            b"",
        );
        // The helper always sends `Host: sim.test` first; the first Host header wins.
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(
            reply.json(),
            json!({"auth_url": "http://sim.test/auth", "tenant_id": "northwind"})
        );
    }
    let on_prem = Server::start(demo()).unwrap();
    let mut conn = Conn::open(&on_prem);
    let raw = format!(
        "GET /api/authinfo HTTP/1.1\r\nHost: {}\r\n\r\n",
        &on_prem.url()[7..]
    );
    conn.writer.write_all(raw.as_bytes()).unwrap();
    let reply = conn.read().unwrap();
    assert_eq!(
        reply.json(),
        json!({"auth_url": format!("{}/auth", on_prem.url()), "tenant_id": null})
    );
}

#[test]
fn api_calls_need_a_valid_unexpired_token() {
    let mut config = demo();
    config.token_lifetime = Duration::from_millis(300);
    let server = Server::start(config).unwrap();
    let reply = get_anonymous(&server, "/api/Agent");
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("WWW-Authenticate"), Some("Bearer"));
    assert_eq!(get(&server, "/api/Agent", "not-a-token").status, 401);
    let reply =
        Conn::open(&server).request("GET", "/api/Agent", &[("Authorization", "Basic abc")], b"");
    assert_eq!(reply.status, 401);

    let token = token_with(&server, None, "");
    let reply = post_form(&server, "/auth/token", DEMO_FORM);
    assert_eq!(reply.json()["expires_in"], 0, "whole seconds, rounded down");
    assert_eq!(get(&server, "/api/Agent", &token).status, 200);
    std::thread::sleep(Duration::from_millis(350));
    let reply = get(&server, "/api/Agent", &token);
    assert_eq!(reply.status, 401);
    assert!(
        reply
            .header("WWW-Authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(server.stats().unauthorized, 4);
}

#[test]
fn collections_need_the_admin_or_all_scope() {
    let mut config = demo();
    config.client_scopes = vec!["read:tickets".into(), "admin".into(), "all".into()];
    let server = Server::start(config).unwrap();
    let narrow = token_with(&server, None, "&scope=read:tickets");
    for path in [
        "/api/Agent",
        "/api/Agent/2",
        "/api/Team",
        "/api/Team/1",
        "/api/Roles",
        "/api/Application",
    ] {
        let reply = get(&server, path, &narrow);
        assert_eq!(reply.status, 403, "{path}");
        assert!(reply.json()["Message"].is_string());
    }
    // /api/Agent/me is the caller's own agent: any valid token reads it.
    assert_eq!(get(&server, "/api/Agent/me", &narrow).status, 200);
    for scope in ["admin", "all"] {
        let token = token_with(&server, None, &format!("&scope={scope}"));
        assert_eq!(
            get(&server, "/api/Application", &token).status,
            200,
            "{scope}"
        );
    }
}

#[test]
fn an_application_client_uses_its_scopes_and_login_agent() {
    let base = SimConfig::demo();
    let app = |name: &str| {
        base.objects
            .applications
            .iter()
            .find(|a| a["displayName"] == name)
            .unwrap()
            .clone()
    };
    let cloud_depot = app("Cloud Depot");
    let mut config = demo();
    config.client_id = cloud_depot["clientId"].as_str().unwrap().to_owned();
    let server = Server::start(config).unwrap();
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={DEMO_CLIENT_SECRET}",
        cloud_depot["clientId"].as_str().unwrap()
    );
    let reply = post_form(&server, "/auth/token", &form);
    assert_eq!(
        reply.json()["scope"],
        "all:standard all:teams admin:webhooks admin"
    );
    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    let me = get(&server, "/api/Agent/me", &token).json();
    assert_eq!(me["id"], cloud_depot["loginas_agent_id"]);
    assert!(me["claims"].is_array(), "me is the detail view");

    // An inactive application cannot get a token.
    let legacy = app("Legacy RMM Connector");
    assert_eq!(legacy["inactive"], true);
    let mut config = demo();
    config.client_id = legacy["clientId"].as_str().unwrap().to_owned();
    let server = Server::start(config).unwrap();
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={DEMO_CLIENT_SECRET}",
        legacy["clientId"].as_str().unwrap()
    );
    assert_eq!(
        error_of(&post_form(&server, "/auth/token", &form)),
        (401, "invalid_client".to_owned())
    );

    // Otherwise /api/Agent/me is the auditor agent: by default the first enabled administrator.
    let (server, token) = start(demo());
    assert_eq!(get(&server, "/api/Agent/me", &token).json()["id"], 2);
    let mut config = demo();
    config.auditor_agent_id = Some(33);
    let (server, token) = start(config);
    assert_eq!(get(&server, "/api/Agent/me", &token).json()["id"], 33);
    let mut config = demo();
    config.auditor_agent_id = Some(9999);
    let (server, token) = start(config);
    assert_eq!(get(&server, "/api/Agent/me", &token).status, 404);
}

// ------------------------------------------------------------------------------------------------
// Views

const ALL_AGENTS: &str =
    "/api/Agent?includeapiagents=true&includedisabled=true&includeenabled=true";

#[test]
fn agent_list_is_the_list_view_and_detail_adds_permissions() {
    let source = SimConfig::demo().objects;
    let (server, token) = start(demo());
    let list = get(&server, ALL_AGENTS, &token).json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), source.agents.len());
    for (row, stored) in list.iter().zip(&source.agents) {
        assert_eq!(row["id"], stored["id"]);
        for absent in ["is_admin", "roles", "claims", "access_control"] {
            assert!(row.get(absent).is_none(), "list row has {absent}");
        }
        for present in [
            "id",
            "name",
            "isdisabled",
            "isapiagent",
            "email",
            "role_list",
            "teams",
        ] {
            assert_eq!(row[present], stored[present], "{present}");
        }
    }
    let detail = get(&server, "/api/Agent/2?includedetails=true", &token).json();
    assert_eq!(
        &detail, &source.agents[0],
        "the detail view is the stored object"
    );
    let plain = get(&server, "/api/Agent/2", &token).json();
    assert!(plain.get("roles").is_none() && plain.get("claims").is_none());
    assert_eq!(plain["is_admin"], true);
    assert_eq!(
        get(&server, "/api/agent/2?IncludeDetails=TRUE", &token).json(),
        detail
    );
}

#[test]
fn agent_list_filters_like_halo() {
    let (server, token) = start(demo());
    let count = |query: &str| {
        get(&server, &format!("/api/Agent{query}"), &token)
            .json()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count(""), 30, "enabled, non-API agents by default");
    assert_eq!(count("?includeapiagents=true"), 37);
    assert_eq!(count("?includedisabled=true"), 32);
    assert_eq!(count(&ALL_AGENTS["/api/Agent".len()..]), 40);
    assert_eq!(count("?includeenabled=false&includedisabled=true"), 2);
    assert_eq!(
        count("?includeenabled=false&includedisabled=true&includeapiagents=true"),
        3
    );
}

#[test]
fn team_views() {
    let source = SimConfig::demo().objects;
    let (server, token) = start(demo());
    let list = get(&server, "/api/Team", &token).json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 8, "inactive teams are listed too");
    for row in list {
        assert!(row.get("addtoallagents").is_none());
        assert!(row.get("agents").is_none());
        assert!(
            row.get("emailaddress").is_none(),
            "not in SectionDetail_List"
        );
        assert!(row["name"].is_string() && row["inactive"].is_boolean());
    }
    assert_eq!(
        get(&server, "/api/Team?includedisabled=false", &token)
            .json()
            .as_array()
            .unwrap()
            .len(),
        7
    );
    let with = get(
        &server,
        "/api/Team?includeagentsforteams=Service%20Desk,billing",
        &token,
    )
    .json();
    let with_agents: Vec<&str> = with
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t.get("agents").is_some())
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(with_agents, ["Service Desk", "Billing"]);

    let detail = get(&server, "/api/Team/1?includeagents=true", &token).json();
    assert_eq!(&detail, &source.teams[0]);
    let plain = get(&server, "/api/Team/1", &token).json();
    assert!(plain.get("agents").is_none());
    assert_eq!(plain["addtoallagents"], false);
}

#[test]
fn role_views() {
    let source = SimConfig::demo().objects;
    let (server, token) = start(demo());
    let list = get(&server, "/api/Roles", &token).json();
    for row in list.as_array().unwrap() {
        assert!(row.get("claims").is_none());
        assert!(
            row.as_object()
                .unwrap()
                .values()
                .all(|v| !v.is_array() && !v.is_object())
        );
        assert!(row["id"].is_string() && row["name"].is_string());
    }
    let id = source.roles[1]["id"].as_str().unwrap();
    let detail = get(
        &server,
        &format!("/api/Roles/{id}?includedetails=true"),
        &token,
    )
    .json();
    assert_eq!(&detail, &source.roles[1]);
    let upper = get(
        &server,
        &format!("/api/Roles/{}?includedetails=true", id.to_uppercase()),
        &token,
    );
    assert_eq!(upper.json(), detail, "GUIDs match case-insensitively");
    let plain = get(&server, &format!("/api/Roles/{id}"), &token).json();
    assert!(plain.get("claims").is_none());
}

#[test]
fn applications_never_serve_the_client_secret() {
    let mut config = demo();
    for app in &mut config.objects.applications {
        let map = app.as_object_mut().unwrap();
        map.insert("clientSecret".into(), json!("s3cr3t-value"));
        map.insert("authorizations".into(), json!([{"id": "a1"}]));
        map.insert("tokens".into(), json!([]));
    }
    let source = config.objects.applications.clone();
    let (server, token) = start(config);
    let id = source[0]["id"].as_str().unwrap();
    for path in [
        "/api/Application".to_owned(),
        "/api/Application?pageinate=true&page_size=2".to_owned(),
        format!("/api/Application/{id}"),
        format!("/api/Application/{id}?includedetails=true"),
    ] {
        let reply = get(&server, &path, &token);
        assert_eq!(reply.status, 200, "{path}");
        assert!(!reply.text().contains("s3cr3t-value"), "{path}");
        assert!(!reply.text().contains("clientSecret"), "{path}");
    }
    let list = get(&server, "/api/Application", &token).json();
    let row = &list[0];
    assert!(row.get("authorizations").is_none() && row.get("tokens").is_none());
    assert_eq!(row["scopes"], source[0]["scopes"]);
    assert_eq!(row["loginas_agent_id"], source[0]["loginas_agent_id"]);
    let detail = get(
        &server,
        &format!("/api/Application/{id}?includedetails=true"),
        &token,
    )
    .json();
    assert_eq!(detail["authorizations"], json!([{"id": "a1"}]));
    assert_eq!(
        list.as_array().unwrap().len(),
        7,
        "inactive applications are listed"
    );
}

#[test]
fn unknown_paths_ids_and_methods() {
    let (server, token) = start(demo());
    let reply = get(&server, "/api/Tickets", &token);
    assert_eq!((reply.status, reply.body.len()), (404, 0));
    assert_eq!(get_anonymous(&server, "/nowhere").status, 404);
    for path in [
        "/api/Agent/9999",
        "/api/Agent/abc",
        "/api/Team/99",
        "/api/Roles/nope",
        "/api/Application/nope",
    ] {
        let reply = get(&server, path, &token);
        assert_eq!(reply.status, 404, "{path}");
        assert!(
            reply.json()["Message"]
                .as_str()
                .unwrap()
                .contains("not found"),
            "{path}"
        );
    }
    let auth = format!("Bearer {token}");
    let reply =
        Conn::open(&server).request("POST", "/api/Agent", &[("Authorization", &auth)], b"[]");
    assert_eq!(reply.status, 405);
    let reply =
        Conn::open(&server).request("DELETE", "/api/Agent/2", &[("Authorization", &auth)], b"");
    assert_eq!(reply.status, 405);
}

// ------------------------------------------------------------------------------------------------
// Envelopes and pagination

#[test]
fn envelopes_bare_and_wrapped() {
    let (server, token) = start(demo());
    assert!(get(&server, "/api/Team", &token).json().is_array());

    let mut config = demo();
    config.envelope = Envelope::Wrapped;
    let (server, token) = start(config);
    for (path, plural, count) in [
        (ALL_AGENTS, "agents", 40),
        ("/api/Team", "teams", 8),
        ("/api/Roles", "roles", 5),
        ("/api/Application", "applications", 7),
    ] {
        let body = get(&server, path, &token).json();
        assert_eq!(keys(&body), ["record_count", plural], "{path}");
        assert_eq!(body["record_count"], count, "{path}");
        assert_eq!(body[plural].as_array().unwrap().len(), count, "{path}");
    }
}

#[test]
fn pagination_pages_through_every_collection() {
    let (server, token) = start(demo());
    let mut seen = Vec::new();
    for page in 1..=4 {
        let body = get(
            &server,
            &format!("{ALL_AGENTS}&pageinate=true&page_size=15&page_no={page}"),
            &token,
        )
        .json();
        assert_eq!(body["record_count"], 40);
        let rows = body["agents"].as_array().unwrap();
        assert_eq!(rows.len(), [15, 15, 10, 0][page - 1], "page {page}");
        seen.extend(rows.iter().map(|r| r["id"].as_i64().unwrap()));
    }
    assert_eq!(seen, (2..=41).collect::<Vec<_>>());

    for (path, plural, total) in [
        ("/api/Team", "teams", 8),
        ("/api/Roles", "roles", 5),
        ("/api/Application", "applications", 7),
    ] {
        let body = get(
            &server,
            &format!("{path}?pageinate=true&page_size=3&page_no=2"),
            &token,
        )
        .json();
        assert_eq!(body["record_count"], total);
        assert_eq!(
            body[plural].as_array().unwrap().len(),
            3.min(total - 3),
            "{path}"
        );
    }
    // page_no defaults to 1 and page_size to 50.
    let body = get(&server, &format!("{ALL_AGENTS}&pageinate=true"), &token).json();
    assert_eq!(body["agents"].as_array().unwrap().len(), 40);
    // Without pageinate=true the page parameters are ignored.
    assert!(
        get(&server, "/api/Team?page_size=2", &token)
            .json()
            .is_array()
    );
    for bad in ["page_size=0", "page_size=x", "page_no=0", "page_no=-1"] {
        let reply = get(&server, &format!("/api/Team?pageinate=true&{bad}"), &token);
        assert_eq!(reply.status, 400, "{bad}");
    }
}

#[test]
fn page_limit_forces_paging() {
    let mut config = demo();
    config.page_limit = Some(5);
    let (server, token) = start(config);
    let body = get(&server, ALL_AGENTS, &token).json();
    assert_eq!(body["record_count"], 40);
    assert_eq!(body["agents"].as_array().unwrap().len(), 5);
    let body = get(
        &server,
        &format!("{ALL_AGENTS}&pageinate=true&page_size=20&page_no=2"),
        &token,
    )
    .json();
    assert_eq!(
        body["agents"].as_array().unwrap().len(),
        20,
        "paginated requests are served as asked"
    );
    let body = get(&server, "/api/Roles", &token).json();
    assert_eq!(
        (
            body["record_count"].as_u64(),
            body["roles"].as_array().unwrap().len()
        ),
        (Some(5), 5)
    );
}

// ------------------------------------------------------------------------------------------------
// Rate limiting

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let mut config = demo();
    config.rate_limit = Some(RateLimit {
        requests: 3,
        window: Duration::from_millis(300),
        retry_after: true,
    });
    let server = Server::start(config).unwrap();
    let token = token_with(&server, None, ""); // the token request counts too
    assert_eq!(get(&server, "/api/Team", &token).status, 200);
    assert_eq!(get(&server, "/api/Roles", &token).status, 200);
    let reply = get(&server, "/api/Team", &token);
    assert_eq!(reply.status, 429);
    assert_eq!(
        reply.text(),
        "Rate Limit Reached - 3 Requests per rolling 300 millisecond window"
    );
    assert_eq!(
        reply.header("Retry-After"),
        Some("1"),
        "at least one second"
    );
    assert_eq!(post_form(&server, "/auth/token", DEMO_FORM).status, 429);
    std::thread::sleep(Duration::from_millis(320));
    assert_eq!(get(&server, "/api/Team", &token).status, 200);
    let stats = server.stats();
    assert_eq!((stats.throttled, stats.total), (2, 6));
}

#[test]
fn rate_limit_without_retry_after_and_halo_wording() {
    let mut config = demo();
    config.rate_limit = Some(parse_rate("1/5m,no-retry-after").unwrap());
    let server = Server::start(config).unwrap();
    assert_eq!(get_anonymous(&server, "/api/authinfo").status, 200);
    let reply = get_anonymous(&server, "/api/authinfo");
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("Retry-After"), None);
    assert_eq!(
        reply.text(),
        "Rate Limit Reached - 1 Requests per rolling 5 minute window"
    );
}

#[test]
fn rate_limit_window_is_rolling() {
    let mut config = demo();
    config.rate_limit = Some(RateLimit {
        requests: 3,
        window: Duration::from_millis(500),
        retry_after: true,
    });
    let server = Server::start(config).unwrap();
    let status = || get_anonymous(&server, "/api/authinfo").status;
    let t0 = Instant::now();
    assert_eq!((status(), status()), (200, 200));
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(status(), 200); // admitted at ~250 ms, leaves the window at ~750 ms
    assert_eq!(status(), 429);
    std::thread::sleep(Duration::from_millis(520).saturating_sub(t0.elapsed()));
    // The first two left the window; the third is still in it: two slots, not three.
    assert_eq!((status(), status()), (200, 200));
    assert_eq!(status(), 429);
    assert!(
        t0.elapsed() < Duration::from_millis(750),
        "the test ran too slowly to be meaningful"
    );
}

// ------------------------------------------------------------------------------------------------
// Faults

fn with_faults(faults: Vec<Fault>) -> (Server, String) {
    let mut config = demo();
    config.faults = faults;
    start(config)
}

#[test]
fn status_fault_with_times_and_prefix() {
    let (server, token) = with_faults(vec![
        parse_fault("status=500,times=2@/api/Agent/*").unwrap(),
    ]);
    for _ in 0..2 {
        let reply = get(&server, "/api/agent/2", &token);
        assert_eq!(reply.status, 500);
        assert_eq!(reply.json()["ClassName"], "System.Exception");
        assert!(reply.json()["Message"].is_string());
    }
    assert_eq!(get(&server, "/api/Agent/2", &token).status, 200);
    assert_eq!(
        get(&server, "/api/Agent", &token).status,
        200,
        "the prefix needs the slash"
    );
    assert_eq!(server.stats().faults_injected, 2);
}

#[test]
fn status_faults_of_any_error_code() {
    let (server, token) = with_faults(vec![Fault::new("/api/Team", FaultKind::Status(503))]);
    let reply = get(&server, "/api/Team", &token);
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json()["ClassName"], "System.Exception");
}

#[test]
fn drop_mid_body_with_skip_announces_the_full_length() {
    let (server, token) = with_faults(vec![
        parse_fault("drop-mid-body,skip=1,times=1@/api/Agent/*").unwrap(),
    ]);
    let full = get(&server, "/api/Agent/2?includedetails=true", &token);
    assert_eq!(full.status, 200);

    let mut conn = Conn::open(&server);
    let auth = format!("Bearer {token}");
    conn.send(
        "GET",
        "/api/Agent/2?includedetails=true",
        &[("Authorization", &auth)],
        b"",
    );
    let (status, headers) = conn.read_head().unwrap();
    assert_eq!(status, 200);
    let announced: usize = headers
        .iter()
        .find(|(k, _)| k == "Content-Length")
        .unwrap()
        .1
        .parse()
        .unwrap();
    assert_eq!(announced, full.body.len());
    let mut received = Vec::new();
    let _ = conn.reader.read_to_end(&mut received);
    assert_eq!(received.len(), announced / 2);
    assert_eq!(received, full.body[..announced / 2]);

    assert_eq!(get(&server, "/api/Agent/2", &token).status, 200, "times=1");
}

/// The hostile list modes: a flood of new ids under an absurd count, a record listed twice (the
/// same or changed), and paging that repeats the first page.
#[test]
fn hostile_list_faults() {
    let (server, token) = with_faults(vec![
        parse_fault("flood=1000000000:3@/api/Agent").unwrap(),
        parse_fault("repeat-record=changed@/api/Application").unwrap(),
        parse_fault("repeat-record@/api/Roles").unwrap(),
        parse_fault("stuck-paging@/api/Team").unwrap(),
    ]);
    let first = get(
        &server,
        "/api/Agent?pageinate=true&page_size=2&page_no=1",
        &token,
    )
    .json();
    let second = get(
        &server,
        "/api/Agent?pageinate=true&page_size=2&page_no=2",
        &token,
    )
    .json();
    assert_eq!(first["record_count"], 1_000_000_000_u64);
    let ids = |page: &serde_json::Value| -> Vec<u64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(ids(&first).len(), 3, "more than the page size asked for");
    assert!(
        ids(&second).iter().all(|id| !ids(&first).contains(id)),
        "new ids every time"
    );

    let apps = get(&server, "/api/Application", &token).json();
    let apps = apps.as_array().unwrap();
    let (head, copy) = (&apps[0], &apps[apps.len() - 1]);
    assert_eq!(head["id"], copy["id"]);
    assert_ne!(head["scopes"], copy["scopes"]);
    assert_eq!(
        copy["scopes"],
        serde_json::json!([{"name": "all"}, {"name": "admin"}])
    );
    let roles = get(&server, "/api/Roles", &token).json();
    let roles = roles.as_array().unwrap();
    assert_eq!(roles[0], roles[roles.len() - 1], "an identical copy");

    let page = |n: u32| {
        get(
            &server,
            &format!("/api/Team?pageinate=true&page_size=2&page_no={n}"),
            &token,
        )
        .json()
    };
    assert_eq!(page(1), page(3));
    assert_eq!(page(1)["teams"].as_array().unwrap().len(), 2);
}

#[test]
fn drop_closes_without_a_response() {
    let (server, token) = with_faults(vec![Fault::new("/api/Roles", FaultKind::Drop).times(1)]);
    let mut conn = Conn::open(&server);
    conn.send(
        "GET",
        "/api/Roles",
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    );
    assert!(conn.read_head().is_none());
    assert_eq!(get(&server, "/api/Roles", &token).status, 200);
}

#[test]
fn forbidden_rate_limited_redirect_faults() {
    let (server, token) = with_faults(vec![
        parse_fault("forbidden@/api/Application").unwrap(),
        parse_fault("rate-limited=7@/api/Team").unwrap(),
        parse_fault("rate-limited@/api/Roles").unwrap(),
        parse_fault("redirect=https://login.example/halo,times=1@/api/Agent").unwrap(),
    ]);
    let reply = get(&server, "/api/Application", &token);
    assert_eq!(reply.status, 403);
    assert!(reply.json()["Message"].is_string());
    let reply = get(&server, "/api/Team", &token);
    assert_eq!(
        (reply.status, reply.header("Retry-After")),
        (429, Some("7"))
    );
    assert!(
        reply
            .text()
            .starts_with("Rate Limit Reached - 300 Requests per rolling 5 minute window")
    );
    let reply = get(&server, "/api/Roles", &token);
    assert_eq!((reply.status, reply.header("Retry-After")), (429, None));
    let reply = get(&server, "/api/Agent", &token);
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("Location"), Some("https://login.example/halo"));
    let stats = server.stats();
    assert_eq!((stats.faults_injected, stats.throttled), (4, 2));
}

#[test]
fn malformed_and_garbage_faults() {
    let (server, token) = with_faults(vec![
        Fault::new("/api/Team", FaultKind::Malformed),
        Fault::new("/api/Roles", FaultKind::Garbage),
    ]);
    let reply = get(&server, "/api/Team", &token);
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("Content-Type")
            .unwrap()
            .starts_with("application/json")
    );
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
    let reply = get(&server, "/api/Roles", &token);
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("Content-Type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(reply.text().starts_with("<!DOCTYPE html>"));
}

#[test]
fn delay_fault_and_latency_slow_responses() {
    let (server, token) = with_faults(vec![Fault::new(
        "/api/Team",
        FaultKind::Delay(Duration::from_millis(150)),
    )]);
    let started = Instant::now();
    assert_eq!(get(&server, "/api/Team", &token).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    let started = Instant::now();
    assert_eq!(get(&server, "/api/Roles", &token).status, 200);
    assert!(started.elapsed() < Duration::from_millis(150));

    let mut config = demo();
    config.latency = Duration::from_millis(100);
    let server = Server::start(config).unwrap();
    let started = Instant::now();
    assert_eq!(get_anonymous(&server, "/api/authinfo").status, 200);
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[test]
fn expire_tokens_invalidates_every_token() {
    let (server, token) = with_faults(vec![
        parse_fault("expire-tokens,skip=1,times=1@/api/Team").unwrap(),
    ]);
    let other = token_with(&server, None, "");
    assert_eq!(get(&server, "/api/Team", &token).status, 200);
    let reply = get(&server, "/api/Team", &token);
    assert_eq!(reply.status, 401);
    assert!(
        reply
            .header("WWW-Authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(get(&server, "/api/Agent", &token).status, 401);
    assert_eq!(get(&server, "/api/Agent", &other).status, 401);
    let fresh = token_with(&server, None, "");
    assert_eq!(get(&server, "/api/Team", &fresh).status, 200);
    assert_eq!(server.stats().unauthorized, 3);
}

#[test]
fn hang_never_answers() {
    let (server, token) = with_faults(vec![Fault::new("/api/Roles", FaultKind::Hang).times(1)]);
    let mut conn = Conn::open(&server);
    conn.writer
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    conn.send(
        "GET",
        "/api/Roles",
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    );
    let mut byte = [0u8; 1];
    let err = conn.reader.read(&mut byte).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    // Other connections are served meanwhile.
    assert_eq!(get(&server, "/api/Roles", &token).status, 200);
}

#[test]
fn endless_streams_a_body_that_never_ends() {
    let (server, token) = with_faults(vec![Fault::new("/api/Agent", FaultKind::Endless).times(1)]);
    let mut conn = Conn::open(&server);
    conn.send(
        "GET",
        "/api/Agent",
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    );
    let (status, headers) = conn.read_head().unwrap();
    assert_eq!(status, 200);
    assert!(
        !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length")),
        "{headers:?}"
    );
    // Far more than any response of the demo tenant, and still going.
    let mut body = vec![0u8; 4 * 1024 * 1024];
    conn.reader.read_exact(&mut body).unwrap();
    assert_eq!(body[0], b'[');
    assert!(body.iter().all(|b| *b != 0));
    drop(conn);
    // The next request is served normally; shutting down ends the stream.
    assert_eq!(get(&server, "/api/Agent", &token).status, 200);
    let started = std::time::Instant::now();
    server.shutdown();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn issued_tokens_are_listed_even_after_they_are_invalidated() {
    let (server, first) = with_faults(vec![
        Fault::new("/api/Team", FaultKind::ExpireTokens).times(1),
    ]);
    assert_eq!(get(&server, "/api/Team", &first).status, 401);
    let second = token_with(&server, None, "");
    assert_ne!(first, second);
    assert_eq!(server.issued_tokens(), vec![first, second]);
}

#[test]
fn fault_paths_match_case_insensitively_and_in_order() {
    let (server, token) = with_faults(vec![
        Fault::new("/API/team", FaultKind::Status(502)).times(1),
        Fault::new("*", FaultKind::Status(503)).skip(2).times(1),
    ]);
    // Request 1 (the token) was seen by the `*` fault; request 2 is answered by the first fault,
    // which the `*` fault never sees; request 3 is the `*` fault's third match.
    assert_eq!(get(&server, "/api/Team", &token).status, 502);
    assert_eq!(get(&server, "/api/Team", &token).status, 200);
    assert_eq!(get(&server, "/api/Roles", &token).status, 503);
    assert_eq!(get(&server, "/api/Roles", &token).status, 200);
}

// ------------------------------------------------------------------------------------------------
// Statistics, connections, shutdown

#[test]
fn stats_count_routes_tokens_faults_and_concurrency() {
    let mut config = demo();
    config.faults = vec![
        // Slows down the three concurrent requests below, so they overlap.
        Fault::new("/api/Agent/*", FaultKind::Delay(Duration::from_millis(150))).times(3),
        Fault::new("/api/Roles", FaultKind::Status(500)).times(1),
    ];
    let (server, token) = start(config);
    let threads: Vec<_> = (0..3)
        .map(|i| {
            let addr = server.addr();
            let auth = format!("Bearer {token}");
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                let req = format!("GET /api/Agent/{} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n", i + 2);
                stream.write_all(req.as_bytes()).unwrap();
                let mut out = String::new();
                stream.read_to_string(&mut out).unwrap();
                out
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().starts_with("HTTP/1.1 200 OK"));
    }
    get(&server, "/api/Roles", &token);
    get(&server, "/api/roles", &token);
    get(&server, "/api/Agent/me", &token);
    get_anonymous(&server, "/api/Agent");
    get_anonymous(&server, "/api/AuthInfo");
    get_anonymous(&server, "/api/Nothing");
    let stats = server.stats();
    let by_route: Vec<(&str, u64)> = stats
        .by_route
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        by_route,
        [
            ("GET /api/Agent", 1),
            ("GET /api/Agent/me", 1),
            ("GET /api/Agent/{id}", 3),
            ("GET /api/Nothing", 1),
            ("GET /api/Roles", 2),
            ("GET /api/authinfo", 1),
            ("POST /auth/token", 1),
        ]
    );
    assert_eq!(stats.total, 10);
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.faults_injected, 4);
    assert_eq!(stats.unauthorized, 1);
    assert_eq!(stats.throttled, 0);
    assert!(stats.max_in_flight >= 2, "{stats:?}");
}

#[test]
fn keep_alive_and_connection_close() {
    let (server, token) = start(demo());
    let auth = format!("Bearer {token}");
    let mut conn = Conn::open(&server);
    for path in ["/api/Team", "/api/Roles", "/api/Agent/2"] {
        let reply = conn.request("GET", path, &[("Authorization", &auth)], b"");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("Connection"), Some("keep-alive"));
    }
    // Pipelined requests are answered in order.
    conn.send("GET", "/api/Team/1", &[("Authorization", &auth)], b"");
    conn.send("GET", "/api/Team/2", &[("Authorization", &auth)], b"");
    assert_eq!(conn.read().unwrap().json()["id"], 1);
    assert_eq!(conn.read().unwrap().json()["id"], 2);
    let reply = conn.request(
        "GET",
        "/api/Team",
        &[("Authorization", &auth), ("Connection", "close")],
        b"",
    );
    assert_eq!(reply.header("Connection"), Some("close"));
    assert!(conn.closed_by_server());
    assert_eq!(server.stats().total, 7);
}

#[test]
fn idle_connections_are_closed() {
    let mut config = demo();
    config.idle_timeout = Duration::from_millis(200);
    let server = Server::start(config).unwrap();
    let mut conn = Conn::open(&server);
    assert_eq!(conn.request("GET", "/api/authinfo", &[], b"").status, 200);
    let started = Instant::now();
    assert!(conn.closed_by_server());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn malformed_requests_get_400() {
    let server = Server::start(demo()).unwrap();
    let mut conn = Conn::open(&server);
    conn.writer.write_all(b"NONSENSE\r\n\r\n").unwrap();
    assert_eq!(conn.read().unwrap().status, 400);
    assert!(conn.closed_by_server());
}

#[test]
fn shutdown_with_a_hanging_connection_is_quick() {
    let mut config = demo();
    config.faults = vec![Fault::new("*", FaultKind::Hang)];
    config.latency = Duration::from_secs(60);
    let server = Server::start(config).unwrap();
    let mut hanging = Conn::open(&server);
    hanging.send("GET", "/api/authinfo", &[], b"");
    let mut idle = Conn::open(&server);
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    server.shutdown();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "shutdown took {took:?}");
    assert!(hanging.closed_by_server());
    assert!(idle.closed_by_server());
}

#[test]
fn shutdown_with_a_slow_response_is_quick_and_the_port_is_released() {
    let mut config = demo();
    config.faults = vec![Fault::new("*", FaultKind::Delay(Duration::from_secs(60)))];
    let server = Server::start(config).unwrap();
    let addr = server.addr();
    let mut slow = Conn::open(&server);
    slow.send("GET", "/api/authinfo", &[], b"");
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(slow.closed_by_server());
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
}

// ------------------------------------------------------------------------------------------------
// Configuration

#[test]
fn configs_from_the_demo_and_snapshots() {
    let demo = SimConfig::demo();
    assert_eq!(demo.tenant.as_deref(), Some(DEMO_TENANT));
    assert_eq!(
        (demo.client_id.as_str(), demo.client_secret.as_str()),
        (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    );
    assert_eq!(demo.client_scopes, ["admin"]);
    assert_eq!(demo.token_lifetime, Duration::from_secs(3600));
    assert_eq!(demo.envelope, Envelope::Bare);
    assert_eq!(demo.auditor_agent_id, Some(2));
    let counts = |o: &TenantObjects| {
        (
            o.agents.len(),
            o.teams.len(),
            o.roles.len(),
            o.applications.len(),
        )
    };
    assert_eq!(counts(&demo.objects), (40, 8, 5, 7));

    let file =
        SimConfig::from_snapshot_file(&repo_root().join("fixtures/demo/snapshot.json")).unwrap();
    assert_eq!(counts(&file.objects), (40, 8, 5, 7));
    assert_eq!(file.tenant.as_deref(), Some("northwind"));
    assert_eq!(file.objects.agents, demo.objects.agents);

    let wrapped = json!({
        "format": "halo-audit-snapshot", "version": 1,
        "objects": {
            "agents": {"record_count": 1, "agents": [{"id": 5, "name": "A", "is_admin": true}]},
            "teams": [{"id": 1, "name": "T"}],
            "roles": null
        }
    });
    let config = SimConfig::from_snapshot(&wrapped).unwrap();
    assert_eq!(counts(&config.objects), (1, 1, 0, 0));
    assert_eq!(config.tenant, None);
    assert_eq!(config.auditor_agent_id, Some(5));

    for (doc, needle) in [
        (json!([]), "JSON object"),
        (
            json!({"format": "other", "objects": {}}),
            "not a halo-audit snapshot",
        ),
        (json!({"version": 2, "objects": {}}), "version 2"),
        (json!({"version": 1}), "no `objects`"),
        (json!({"objects": {"agents": 3}}), "objects.agents"),
        (
            json!({"objects": {"teams": {"record_count": 1}}}),
            "objects.teams",
        ),
        (json!({"objects": {"roles": [1]}}), "objects.roles[0]"),
    ] {
        let err = SimConfig::from_snapshot(&doc).unwrap_err();
        assert!(err.contains(needle), "{err}");
    }
    let err = SimConfig::from_snapshot_file(&repo_root().join("no/such/file.json")).unwrap_err();
    assert!(err.contains("cannot read"), "{err}");
    let err = SimConfig::from_snapshot_file(&repo_root().join("Cargo.toml")).unwrap_err();
    assert!(
        err.contains("not valid JSON") && err.contains("line 1"),
        "{err}"
    );
}

#[test]
fn invalid_configs_are_refused() {
    let mut config = demo();
    config.page_limit = Some(0);
    assert!(Server::start(config).is_err());
    let mut config = demo();
    config.rate_limit = Some(RateLimit {
        requests: 0,
        window: Duration::from_secs(1),
        retry_after: true,
    });
    assert!(Server::start(config).is_err());
}

// ------------------------------------------------------------------------------------------------
// Grammar

#[test]
fn rate_grammar() {
    assert_eq!(
        parse_rate("300/5m").unwrap(),
        RateLimit {
            requests: 300,
            window: Duration::from_secs(300),
            retry_after: true
        }
    );
    assert_eq!(
        parse_rate(" 5/200ms,no-retry-after ").unwrap(),
        RateLimit {
            requests: 5,
            window: Duration::from_millis(200),
            retry_after: false
        }
    );
    assert_eq!(
        parse_rate("10/1h,retry-after").unwrap().window,
        Duration::from_secs(3600)
    );
    assert_eq!(
        parse_rate("10/30S").unwrap().window,
        Duration::from_secs(30)
    );
    for (bad, needle) in [
        ("300", "REQUESTS/DURATION"),
        ("x/5m", "number of requests"),
        ("0/5m", "at least 1"),
        ("300/5", "needs a unit"),
        ("300/5d", "unknown unit"),
        ("300/m", "not a duration"),
        ("300/0s", "longer than 0"),
        ("300/5m,sometimes", "unknown rate option"),
        ("", "REQUESTS/DURATION"),
    ] {
        let err = parse_rate(bad).unwrap_err();
        assert!(err.contains(needle), "{bad}: {err}");
    }
}

#[test]
fn fault_grammar() {
    let cases: Vec<(&str, Fault)> = vec![
        (
            "forbidden@/api/Application",
            Fault::new("/api/Application", FaultKind::Forbidden),
        ),
        (
            "status=500,times=2@/api/Agent/*",
            Fault::new("/api/Agent/*", FaultKind::Status(500)).times(2),
        ),
        (
            "drop-mid-body,skip=3,times=1@/api/Agent/*",
            Fault::new("/api/Agent/*", FaultKind::DropMidBody)
                .skip(3)
                .times(1),
        ),
        ("drop", Fault::new("*", FaultKind::Drop)),
        ("hang@*", Fault::new("*", FaultKind::Hang)),
        (
            "endless@/api/Agent",
            Fault::new("/api/Agent", FaultKind::Endless),
        ),
        (
            "malformed@/api/Team",
            Fault::new("/api/Team", FaultKind::Malformed),
        ),
        (
            "GARBAGE@/api/Team",
            Fault::new("/api/Team", FaultKind::Garbage),
        ),
        (
            "rate-limited@/auth/token",
            Fault::new("/auth/token", FaultKind::RateLimited { retry_after: None }),
        ),
        (
            "rate-limited=30,times=1",
            Fault::new(
                "*",
                FaultKind::RateLimited {
                    retry_after: Some(30),
                },
            )
            .times(1),
        ),
        (
            "rate-limited=30s",
            Fault::new(
                "*",
                FaultKind::RateLimited {
                    retry_after: Some(30),
                },
            ),
        ),
        (
            "delay=1500ms@/api/Roles/*",
            Fault::new(
                "/api/Roles/*",
                FaultKind::Delay(Duration::from_millis(1500)),
            ),
        ),
        (
            "redirect=https://x.example/a,b?c=1,times=1@/api/Agent",
            Fault::new(
                "/api/Agent",
                FaultKind::Redirect("https://x.example/a,b?c=1".into()),
            )
            .times(1),
        ),
        (
            "redirect=https://user@x.example/@/api/Agent",
            Fault::new(
                "/api/Agent",
                FaultKind::Redirect("https://user@x.example/".into()),
            ),
        ),
        (
            "expire-tokens,times=1@/api/Team",
            Fault::new("/api/Team", FaultKind::ExpireTokens).times(1),
        ),
        (
            "flood=1000000000:20000@/api/Agent",
            Fault::new(
                "/api/Agent",
                FaultKind::Flood {
                    count: 1_000_000_000,
                    per_page: 20_000,
                },
            ),
        ),
        (
            "repeat-record@/api/Application",
            Fault::new(
                "/api/Application",
                FaultKind::RepeatRecord { changed: false },
            ),
        ),
        (
            "repeat-record=changed@/api/Application",
            Fault::new(
                "/api/Application",
                FaultKind::RepeatRecord { changed: true },
            ),
        ),
        (
            "stuck-paging@/api/Team",
            Fault::new("/api/Team", FaultKind::StuckPaging),
        ),
    ];
    for (spec, expected) in &cases {
        let parsed = parse_fault(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(&parsed, expected, "{spec}");
        // Display gives the same grammar back.
        assert_eq!(
            parse_fault(&parsed.to_string()).unwrap(),
            parsed,
            "{parsed}"
        );
    }
    for (bad, needle) in [
        ("", "names no fault"),
        ("explode@/api/Agent", "unknown fault `explode`"),
        ("status@/api/Agent", "needs a value"),
        ("status=abc", "not an HTTP status code"),
        ("status=200", "between 400 and 599"),
        ("forbidden=1", "takes no value"),
        ("drop,times=0", "times=0"),
        ("drop,times=x", "not a whole number"),
        ("drop,skip=-1", "not a whole number"),
        ("drop,often", "unknown fault option"),
        ("drop@api/Agent", "must be `*` or start with `/`"),
        ("drop@/api/*/x", "may only end the path"),
        ("drop@/api/Agent?x=1", "must not contain a query"),
        ("delay=5", "needs a unit"),
        ("delay", "needs a value"),
        ("redirect", "needs a value"),
        ("rate-limited=soon", "number of seconds"),
        ("flood=10", "COUNT:PER_PAGE"),
        ("flood=a:b", "COUNT:PER_PAGE"),
        ("repeat-record=twice", "`=changed`"),
        ("stuck-paging=1", "takes no value"),
    ] {
        let err = parse_fault(bad).unwrap_err();
        assert!(err.contains(needle), "{bad}: {err}");
    }
}

#[test]
fn fault_paths() {
    let prefix = Fault::new("/api/Agent/*", FaultKind::Drop);
    assert!(prefix.matches("/api/Agent/2") && prefix.matches("/API/AGENT/me"));
    assert!(!prefix.matches("/api/Agent") && !prefix.matches("/api/Agents"));
    let exact = Fault::new("/api/Agent", FaultKind::Drop);
    assert!(exact.matches("/api/agent") && !exact.matches("/api/Agent/2"));
    assert!(Fault::new("*", FaultKind::Drop).matches("/anything"));
    assert!(Fault::new("/api/*", FaultKind::Drop).matches("/api/Team"));
}
