//! A simulated HaloPSA instance over HTTP on 127.0.0.1, for halo-audit's fetcher tests, benchmarks
//! and demo (see `docs/simulator.md`).
//!
//! This module owns the server: a small hand-written HTTP/1.1 server on `std::net` (one thread per
//! connection, keep-alive, bodies by `Content-Length`, an idle read timeout, a bounded shutdown),
//! the rolling-window rate limiter, fault injection and request statistics. What the simulated Halo
//! answers (routes, OAuth2 token endpoint, views) lives in `halo`; the text grammar of faults and
//! rates in `spec`. It must not print: a caller that wants request logs passes a [`RequestLogger`].

mod halo;
mod http;
mod spec;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::io::{self, BufReader};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use halo::HALO_SCOPES;
pub use spec::{parse_duration, parse_fault, parse_rate};

use halo::{Api, Route, halo_error};
use http::{ReadError, Request, Response};

/// The client id the simulator accepts by default.
pub const DEMO_CLIENT_ID: &str = "halo-audit-demo";
/// The client secret the simulator accepts by default. It protects nothing.
pub const DEMO_CLIENT_SECRET: &str = "demo-secret-for-the-simulator-only";
/// The hosted tenant name of the demo (`/auth/token?tenant=northwind`).
pub const DEMO_TENANT: &str = "northwind";

/// How long an idle keep-alive connection stays open by default.
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// Halo's default place for the authorisation server.
const DEFAULT_AUTH_PATH: &str = "/auth";
/// How long a response write may block before the connection is given up.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`Server::shutdown`] waits for connection threads before leaving them behind.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The tenant's objects, each in Halo's DETAIL view (as a halo-audit snapshot stores them).
#[derive(Debug, Clone, Default)]
pub struct TenantObjects {
    /// `Uname` objects (`GET /api/Agent/{id}?includedetails=true`).
    pub agents: Vec<Value>,
    /// `SectionDetail` objects (`GET /api/Team/{id}?includeagents=true`).
    pub teams: Vec<Value>,
    /// `NHD_Roles` objects (`GET /api/Roles/{id}?includedetails=true`).
    pub roles: Vec<Value>,
    /// `NHD_Identity_Application` objects (`GET /api/Application/{id}?includedetails=true`).
    pub applications: Vec<Value>,
}

impl TenantObjects {
    /// The same objects with no `claims` on any agent or role (and on the roles agents name
    /// inline): a tenant whose details carry no permissions, as when the auditing agent may not
    /// see them.
    #[must_use]
    pub fn without_claims(mut self) -> Self {
        fn strip(object: &mut Value) {
            if let Some(map) = object.as_object_mut() {
                map.remove("claims");
                if let Some(roles) = map.get_mut("roles").and_then(Value::as_array_mut) {
                    roles.iter_mut().for_each(strip);
                }
            }
        }
        self.agents.iter_mut().for_each(strip);
        self.roles.iter_mut().for_each(strip);
        self
    }
}

/// How unpaginated list responses are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Envelope {
    /// A bare JSON array.
    #[default]
    Bare,
    /// `{"record_count": N, "<plural>": [...]}`.
    Wrapped,
}

/// A rolling-window rate limit over every request, `/auth/token` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests admitted per window.
    pub requests: u32,
    /// Length of the rolling window.
    pub window: Duration,
    /// Whether a 429 carries `Retry-After`.
    pub retry_after: bool,
}

/// A fault injected on matching requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `*` (every path), an exact path, or a prefix ending in `*`; no query; case-insensitive.
    pub path: String,
    /// What happens.
    pub kind: FaultKind,
    /// Matching requests let through untouched before the fault starts.
    pub skip: u32,
    /// Matching requests the fault is injected on after `skip`; `None` means forever.
    pub times: Option<u32>,
}

impl Fault {
    /// A fault on `path`, injected on every matching request.
    pub fn new(path: impl Into<String>, kind: FaultKind) -> Fault {
        Fault {
            path: path.into(),
            kind,
            skip: 0,
            times: None,
        }
    }

    /// Lets the first `n` matching requests through untouched.
    #[must_use]
    pub fn skip(mut self, n: u32) -> Fault {
        self.skip = n;
        self
    }

    /// Injects the fault on `n` matching requests only.
    #[must_use]
    pub fn times(mut self, n: u32) -> Fault {
        self.times = Some(n);
        self
    }

    /// Whether a request path (without query) matches this fault's path pattern.
    pub fn matches(&self, path: &str) -> bool {
        let pattern = self.path.trim();
        if pattern == "*" {
            return true;
        }
        match pattern.strip_suffix('*') {
            Some(prefix) => path
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix)),
            None => path.eq_ignore_ascii_case(pattern),
        }
    }
}

impl fmt::Display for Fault {
    /// The `--fault` spelling, which [`parse_fault`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if self.skip > 0 {
            write!(f, ",skip={}", self.skip)?;
        }
        if let Some(times) = self.times {
            write!(f, ",times={times}")?;
        }
        write!(f, "@{}", self.path)
    }
}

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Reply with this status and a Halo-like JSON error body.
    Status(u16),
    /// 403, as Halo answers when the scope or agent lacks permission.
    Forbidden,
    /// 429 with Halo's rate-limit text, and `Retry-After` when given.
    RateLimited {
        /// Seconds for the `Retry-After` header.
        retry_after: Option<u64>,
    },
    /// Close the connection without any response.
    Drop,
    /// Send the status line and headers announcing the full `Content-Length`, half the body, close.
    DropMidBody,
    /// 200 `application/json` whose body is not valid JSON.
    Malformed,
    /// 200 `text/html` with an HTML error page.
    Garbage,
    /// Extra latency before the normal response.
    Delay(Duration),
    /// Read the request, never answer, keep the socket open until shutdown.
    Hang,
    /// 200 `application/json` without `Content-Length` whose body never ends: the start of a JSON
    /// array, then objects streamed until the client goes away or the simulator stops.
    Endless,
    /// 302 with this `Location`.
    Redirect(String),
    /// Invalidate every token issued so far, then answer this request 401.
    ExpireTokens,
    /// Reply with this status and a JSON body echoing the request (a careless or hostile server
    /// repeating what it was sent): `{"error": "echo", "error_description": E, "Message": E}`
    /// where `E` is the request line, every header and the body.
    Echo(u16),
    /// Reply with this status and exactly this `text/plain` body.
    Reply(u16, String),
    /// 200 with `{"record_count": N, "items": [one object]}` whose `id` was never served before,
    /// on every request: a list that pages without end, inventing objects.
    Runaway(u64),
    /// 200 with `{"record_count": count, "items": [per_page objects]}` whose ids were never
    /// served before, on every request whatever page or page size is asked: a server promising
    /// more than any tenant holds and flooding the client with tiny objects.
    Flood {
        /// The `record_count` announced.
        count: u64,
        /// Objects per answer.
        per_page: u64,
    },
    /// The normal answer of a list with a copy of its first record appended, so one id is listed
    /// twice; with `changed`, the copy holds the scopes `all` and `admin` and another name (a
    /// record that differs between its copies, as one edited between two pages would).
    RepeatRecord {
        /// Whether the copy differs from the first.
        changed: bool,
    },
    /// The normal answer of a list as if `page_no=1` had been asked, whatever page is asked: a
    /// server ignoring `page_no`, so every page repeats the first.
    StuckPaging,
}

impl fmt::Display for FaultKind {
    /// The kind as `--fault` spells it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::Status(code) => write!(f, "status={code}"),
            FaultKind::Forbidden => f.write_str("forbidden"),
            FaultKind::RateLimited { retry_after: None } => f.write_str("rate-limited"),
            FaultKind::RateLimited {
                retry_after: Some(secs),
            } => write!(f, "rate-limited={secs}"),
            FaultKind::Drop => f.write_str("drop"),
            FaultKind::DropMidBody => f.write_str("drop-mid-body"),
            FaultKind::Malformed => f.write_str("malformed"),
            FaultKind::Garbage => f.write_str("garbage"),
            FaultKind::Delay(d) => write!(f, "delay={}ms", d.as_millis()),
            FaultKind::Hang => f.write_str("hang"),
            FaultKind::Endless => f.write_str("endless"),
            FaultKind::Redirect(location) => write!(f, "redirect={location}"),
            FaultKind::ExpireTokens => f.write_str("expire-tokens"),
            FaultKind::Echo(code) => write!(f, "echo={code}"),
            FaultKind::Reply(code, body) => write!(f, "reply={code}:{body}"),
            FaultKind::Runaway(count) => write!(f, "runaway={count}"),
            FaultKind::Flood { count, per_page } => write!(f, "flood={count}:{per_page}"),
            FaultKind::RepeatRecord { changed: false } => f.write_str("repeat-record"),
            FaultKind::RepeatRecord { changed: true } => f.write_str("repeat-record=changed"),
            FaultKind::StuckPaging => f.write_str("stuck-paging"),
        }
    }
}

/// Everything a simulated instance serves and how it misbehaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The tenant's agents, teams, roles and applications, in their DETAIL views.
    pub objects: TenantObjects,
    /// The auditing client's id.
    pub client_id: String,
    /// The auditing client's secret.
    pub client_secret: String,
    /// `Some(name)`: a hosted instance; `/auth/token` requires `?tenant=name`.
    pub tenant: Option<String>,
    /// Scopes granted to the auditing client (unless `client_id` is an application's `clientId`,
    /// whose scopes and login agent are used instead).
    pub client_scopes: Vec<String>,
    /// The agent `/api/Agent/me` returns when the client is not one of the tenant's applications.
    pub auditor_agent_id: Option<i64>,
    /// The tokens' lifetime (`expires_in`, whole seconds); an expired token gets 401.
    pub token_lifetime: Duration,
    /// Shape of unpaginated list responses.
    pub envelope: Envelope,
    /// `Some(n)`: an unpaginated list holds at most `n` items, always wrapped with the full
    /// `record_count` (a server that forces paging).
    pub page_limit: Option<usize>,
    /// A rolling-window rate limit over all requests.
    pub rate_limit: Option<RateLimit>,
    /// Latency added before every response.
    pub latency: Duration,
    /// Faults, consulted in order.
    pub faults: Vec<Fault>,
    /// How long an idle keep-alive connection (or a stalled request) stays open (default 5 s).
    pub idle_timeout: Duration,
    /// What `/api/authinfo` names as the authorisation server; `None` (the default): this
    /// server's own `/auth`. Another host's address simulates a hijacked discovery.
    pub auth_url: Option<String>,
    /// Where the authorisation server lives: `/auth` (Halo's default; the token endpoint is
    /// `/auth/token`). Another path (e.g. `/identity`) simulates an instance whose auth server is
    /// elsewhere: `/auth/token` is then unknown (404) and only `/api/authinfo` tells where it is.
    pub auth_path: String,
}

impl SimConfig {
    /// A well-behaved instance serving `objects`: the DEMO credentials, no hosted tenant, scopes
    /// `["admin"]`, 3600 s tokens, bare lists, no limits or faults. `/api/Agent/me` is the first
    /// enabled agent with `is_admin`.
    pub fn new(objects: TenantObjects) -> SimConfig {
        let auditor_agent_id = objects
            .agents
            .iter()
            .find(|a| {
                a.get("is_admin").and_then(Value::as_bool) == Some(true)
                    && a.get("isdisabled").and_then(Value::as_bool) != Some(true)
            })
            .and_then(|a| a.get("id"))
            .and_then(Value::as_i64);
        SimConfig {
            objects,
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: DEMO_CLIENT_SECRET.to_owned(),
            tenant: None,
            client_scopes: vec!["admin".to_owned()],
            auditor_agent_id,
            token_lifetime: Duration::from_secs(3600),
            envelope: Envelope::Bare,
            page_limit: None,
            rate_limit: None,
            latency: Duration::ZERO,
            faults: Vec::new(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            auth_url: None,
            auth_path: DEFAULT_AUTH_PATH.to_owned(),
        }
    }

    /// The Northwind demo tenant (`halo_sim::demo()`), hosted as [`DEMO_TENANT`].
    pub fn demo() -> SimConfig {
        let objects = objects_of(&crate::generate::demo()).unwrap_or_default();
        let mut config = SimConfig::new(objects);
        config.tenant = Some(DEMO_TENANT.to_owned());
        config
    }

    /// The objects of a halo-audit snapshot document (format v1). Each collection may be a bare
    /// array or `{record_count, <plural>: [...]}`; an absent one is empty. The snapshot's
    /// `instance.tenant`, when set, becomes the hosted tenant.
    pub fn from_snapshot(doc: &Value) -> Result<SimConfig, String> {
        let objects = objects_of(doc)?;
        let mut config = SimConfig::new(objects);
        config.tenant = doc
            .pointer("/instance/tenant")
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned);
        Ok(config)
    }

    /// [`SimConfig::from_snapshot`] of a snapshot file.
    pub fn from_snapshot_file(path: &Path) -> Result<SimConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
        SimConfig::from_snapshot(&doc).map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn objects_of(doc: &Value) -> Result<TenantObjects, String> {
    let Value::Object(top) = doc else {
        return Err("a snapshot must be a JSON object".to_owned());
    };
    if let Some(format) = top.get("format")
        && format.as_str() != Some("halo-audit-snapshot")
    {
        return Err(format!(
            "`format` is {format}, not \"halo-audit-snapshot\": this is not a halo-audit snapshot"
        ));
    }
    if let Some(version) = top.get("version")
        && version.as_u64() != Some(1)
    {
        return Err(format!(
            "snapshot format version {version} is not supported (only version 1)"
        ));
    }
    let Some(Value::Object(objects)) = top.get("objects") else {
        return Err("the snapshot has no `objects` object".to_owned());
    };
    let collection = |plural: &str| -> Result<Vec<Value>, String> {
        let items = match objects.get(plural) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(Value::Object(envelope)) => match envelope.get(plural) {
                Some(Value::Array(items)) => items,
                _ => {
                    return Err(format!(
                        "`objects.{plural}` is an object without a `{plural}` array"
                    ));
                }
            },
            Some(_) => {
                return Err(format!(
                    "`objects.{plural}` must be an array or {{\"record_count\": N, \"{plural}\": [...]}}"
                ));
            }
        };
        if let Some(i) = items.iter().position(|item| !item.is_object()) {
            return Err(format!("`objects.{plural}[{i}]` is not an object"));
        }
        Ok(items.clone())
    };
    Ok(TenantObjects {
        agents: collection("agents")?,
        teams: collection("teams")?,
        roles: collection("roles")?,
        applications: collection("applications")?,
    })
}

/// Counts of what the simulator saw and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every request read.
    pub total: u64,
    /// Requests per route template (`"GET /api/Agent/{id}"`); an unknown path is counted as sent.
    pub by_route: BTreeMap<String, u64>,
    /// 429 answers (rate limit and `rate-limited` faults).
    pub throttled: u64,
    /// Tokens issued by `/auth/token`.
    pub tokens_issued: u64,
    /// Requests a fault was injected on.
    pub faults_injected: u64,
    /// Most requests being handled at once.
    pub max_in_flight: u64,
    /// 401 answers (bad token, bad client, `expire-tokens` faults).
    pub unauthorized: u64,
}

/// One handled request, for a caller's log.
#[derive(Debug, Clone)]
pub struct RequestLog {
    /// The client's address.
    pub peer: SocketAddr,
    /// The HTTP method.
    pub method: String,
    /// The request target as sent (path and query; the token request's secret is in its body,
    /// never here).
    pub target: String,
    /// The route key, as in [`Stats::by_route`].
    pub route: String,
    /// The status sent; `None` when the connection was dropped or left hanging.
    pub status: Option<u16>,
    /// The fault injected, in `--fault` spelling.
    pub fault: Option<String>,
    /// Time from the request being read to the response being sent.
    pub elapsed: Duration,
}

/// Receives one [`RequestLog`] per request, from the connection threads.
pub type RequestLogger = Arc<dyn Fn(&RequestLog) + Send + Sync>;

/// A running simulator. Dropping it shuts it down.
pub struct Server {
    shared: Arc<Shared>,
    addr: SocketAddr,
    url: String,
    accept: Option<JoinHandle<()>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Starts a simulator on 127.0.0.1 on a free port.
    pub fn start(config: SimConfig) -> io::Result<Server> {
        Server::start_on(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }

    /// Starts a simulator on `addr` (port 0 picks a free one).
    pub fn start_on(config: SimConfig, addr: SocketAddr) -> io::Result<Server> {
        Server::launch(config, addr, None)
    }

    /// Like [`Server::start_on`], calling `logger` once per request.
    pub fn start_logged(
        config: SimConfig,
        addr: SocketAddr,
        logger: RequestLogger,
    ) -> io::Result<Server> {
        Server::launch(config, addr, Some(logger))
    }

    fn launch(
        config: SimConfig,
        addr: SocketAddr,
        logger: Option<RequestLogger>,
    ) -> io::Result<Server> {
        let invalid = |message: &str| io::Error::new(io::ErrorKind::InvalidInput, message);
        if config.page_limit == Some(0) {
            return Err(invalid("page_limit must be at least 1"));
        }
        if let Some(rate) = config.rate_limit
            && (rate.requests == 0 || rate.window.is_zero())
        {
            return Err(invalid(
                "a rate limit needs at least 1 request and a window above 0",
            ));
        }
        if config.idle_timeout.is_zero() {
            return Err(invalid("idle_timeout must be above 0"));
        }
        if !config.auth_path.starts_with('/') || config.auth_path.len() < 2 {
            return Err(invalid("auth_path must be a path such as /auth"));
        }
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let url = format!("http://{}", reachable(addr));
        let shared = Arc::new(Shared {
            api: Api::new(&config),
            fault_seen: Mutex::new(vec![0; config.faults.len()]),
            faults: config.faults,
            rate_limit: config.rate_limit,
            window: Mutex::new(VecDeque::new()),
            latency: config.latency,
            idle_timeout: config.idle_timeout,
            base_url: url.clone(),
            auth_path: config.auth_path.trim_end_matches('/').to_owned(),
            counters: Mutex::new(Counters::default()),
            stop: Mutex::new(false),
            stop_cv: Condvar::new(),
            connections: Mutex::new(HashMap::new()),
            active: Mutex::new(0),
            active_cv: Condvar::new(),
            handles: Mutex::new(Vec::new()),
            logger,
        });
        let accept_shared = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("halo-sim-accept".to_owned())
            .spawn(move || accept_loop(&accept_shared, &listener))?;
        Ok(Server {
            shared,
            addr,
            url,
            accept: Some(accept),
        })
    }

    /// The web app URL, e.g. `http://127.0.0.1:41234`: the API is at `{url}/api`, auth at
    /// `{url}/auth`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A copy of the counters so far.
    pub fn stats(&self) -> Stats {
        lock(&self.shared.counters).stats.clone()
    }

    /// Every access token `/auth/token` has issued so far (expired and invalidated ones included),
    /// oldest first: what a test greps a client's output for.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.api.issued_tokens()
    }

    /// Stops accepting, closes every connection (hanging ones included) and joins the threads,
    /// waiting at most a few seconds. Dropping the server does the same.
    pub fn shutdown(self) {
        drop(self);
    }

    fn stop(&mut self) {
        let Some(accept) = self.accept.take() else {
            return;
        };
        let shared = &self.shared;
        *lock(&shared.stop) = true;
        shared.stop_cv.notify_all();
        // Wake the blocking accept() with a connection of our own.
        let _ = TcpStream::connect_timeout(&reachable(self.addr), Duration::from_millis(500));
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while !accept.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if accept.is_finished() {
            let _ = accept.join();
        }
        for stream in lock(&shared.connections).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let active = lock(&shared.active);
        let remaining = deadline.saturating_duration_since(Instant::now());
        drop(
            shared
                .active_cv
                .wait_timeout_while(active, remaining, |n| *n > 0)
                .unwrap_or_else(PoisonError::into_inner),
        );
        for handle in lock(&shared.handles).drain(..) {
            if handle.is_finished() {
                let _ = handle.join();
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An address a client can connect to: the loopback address when bound to an unspecified one.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    }
}

/// Locks a mutex, carrying on after a panic elsewhere (the data stays usable for a simulator).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct Counters {
    stats: Stats,
    in_flight: u64,
}

/// State shared by the accept thread and the connection threads.
struct Shared {
    api: Api,
    faults: Vec<Fault>,
    /// Per fault: matching requests seen so far.
    fault_seen: Mutex<Vec<u32>>,
    rate_limit: Option<RateLimit>,
    /// When each request inside the current window was admitted.
    window: Mutex<VecDeque<Instant>>,
    latency: Duration,
    idle_timeout: Duration,
    base_url: String,
    auth_path: String,
    counters: Mutex<Counters>,
    stop: Mutex<bool>,
    stop_cv: Condvar,
    /// A handle on every open connection, to close them at shutdown.
    connections: Mutex<HashMap<u64, TcpStream>>,
    active: Mutex<usize>,
    active_cv: Condvar,
    handles: Mutex<Vec<JoinHandle<()>>>,
    logger: Option<RequestLogger>,
}

/// What to do with a request.
enum Action {
    Respond(Response),
    Drop,
    DropMidBody(Response),
    Hang,
    Endless,
}

struct Outcome {
    action: Action,
    delay: Duration,
    fault: Option<String>,
    route: String,
}

const MALFORMED_BODY: &str = r#"[{"id":1,"name":"Ava Admin","isdisabled":false},{"id":2,"name":"#;

const GARBAGE_BODY: &str = "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n\
<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request \
due to maintenance downtime or capacity problems. Please try again later.</p></body></html>\n";

impl Shared {
    fn stopping(&self) -> bool {
        *lock(&self.stop)
    }

    /// Sleeps for `duration` unless the server stops first; false when it is stopping.
    fn pause(&self, duration: Duration) -> bool {
        let stop = lock(&self.stop);
        if duration.is_zero() {
            return !*stop;
        }
        let (stop, _) = self
            .stop_cv
            .wait_timeout_while(stop, duration, |stop| !*stop)
            .unwrap_or_else(PoisonError::into_inner);
        !*stop
    }

    /// Blocks until the server stops.
    fn wait_for_stop(&self) {
        let stop = lock(&self.stop);
        drop(
            self.stop_cv
                .wait_while(stop, |stop| !*stop)
                .unwrap_or_else(PoisonError::into_inner),
        );
    }

    /// Admits a request into the rate window, or says how long until a slot frees.
    fn admit(&self) -> Result<(), Duration> {
        let Some(limit) = self.rate_limit else {
            return Ok(());
        };
        let now = Instant::now();
        let mut window = lock(&self.window);
        while window
            .front()
            .is_some_and(|&t| now.duration_since(t) >= limit.window)
        {
            window.pop_front();
        }
        if window.len() < limit.requests as usize {
            window.push_back(now);
            return Ok(());
        }
        let oldest = window.front().copied().unwrap_or(now);
        Err(limit.window.saturating_sub(now.duration_since(oldest)))
    }

    /// The first due fault for this path; every fault consulted counts the request.
    fn due_fault(&self, path: &str) -> Option<FaultKind> {
        let mut seen = lock(&self.fault_seen);
        for (fault, seen) in self.faults.iter().zip(seen.iter_mut()) {
            if !fault.matches(path) {
                continue;
            }
            let n = *seen;
            *seen = n.saturating_add(1);
            if n < fault.skip {
                continue;
            }
            if fault.times.is_none_or(|times| n - fault.skip < times) {
                return Some(fault.kind.clone());
            }
        }
        None
    }

    fn rate_limited(&self, retry_after: Option<u64>) -> Response {
        let (requests, window) = self
            .rate_limit
            .map_or((300, Duration::from_secs(300)), |r| (r.requests, r.window));
        let body = format!(
            "Rate Limit Reached - {requests} Requests per rolling {} window",
            window_text(window)
        );
        let response = Response::text(429, "text/plain; charset=utf-8", &body);
        match retry_after {
            Some(secs) => response.with_header("Retry-After", secs.to_string()),
            None => response,
        }
    }

    fn handle(&self, req: &Request) -> Outcome {
        let route = Route::at(&req.path, &self.auth_path);
        let key = route.key(&req.method, &req.path);
        {
            let mut counters = lock(&self.counters);
            counters.stats.total += 1;
            *counters.stats.by_route.entry(key.clone()).or_default() += 1;
        }
        let mut outcome = Outcome {
            action: Action::Drop,
            delay: Duration::ZERO,
            fault: None,
            route: key,
        };
        if let Err(wait) = self.admit() {
            let retry_after = self
                .rate_limit
                .filter(|r| r.retry_after)
                .map(|_| wait.as_secs_f64().ceil().max(1.0) as u64);
            outcome.action = Action::Respond(self.rate_limited(retry_after));
            self.count(&outcome.action);
            return outcome;
        }
        let fault = self.due_fault(&req.path);
        if let Some(kind) = &fault {
            lock(&self.counters).stats.faults_injected += 1;
            outcome.fault = Some(kind.to_string());
        }
        // Only these let the request reach the simulated Halo.
        let reaches_halo = matches!(
            fault,
            None | Some(
                FaultKind::Delay(_)
                    | FaultKind::DropMidBody
                    | FaultKind::RepeatRecord { .. }
                    | FaultKind::StuckPaging
            )
        );
        let normal = || self.api.respond(req, &route, &self.base_url);
        outcome.action = match fault {
            None => Action::Respond(normal()),
            Some(FaultKind::Status(code)) => Action::Respond(halo_error(
                code,
                &format!(
                    "An error occurred while processing the request ({} {}).",
                    code,
                    http::reason(code)
                ),
            )),
            Some(FaultKind::Forbidden) => Action::Respond(halo_error(
                403,
                "You do not have permission to access this resource.",
            )),
            Some(FaultKind::RateLimited { retry_after }) => {
                Action::Respond(self.rate_limited(retry_after))
            }
            Some(FaultKind::Drop) => Action::Drop,
            Some(FaultKind::DropMidBody) => Action::DropMidBody(normal()),
            Some(FaultKind::Malformed) => Action::Respond(Response::text(
                200,
                "application/json; charset=utf-8",
                MALFORMED_BODY,
            )),
            Some(FaultKind::Garbage) => Action::Respond(Response::text(
                200,
                "text/html; charset=utf-8",
                GARBAGE_BODY,
            )),
            Some(FaultKind::Delay(extra)) => {
                outcome.delay = extra;
                Action::Respond(normal())
            }
            Some(FaultKind::Hang) => Action::Hang,
            Some(FaultKind::Endless) => Action::Endless,
            Some(FaultKind::Redirect(location)) => {
                Action::Respond(Response::empty(302).with_header("Location", location))
            }
            Some(FaultKind::Echo(code)) => {
                let mut echo = format!("{} {}\n", req.method, req.target);
                for (name, value) in &req.headers {
                    echo.push_str(&format!("{name}: {value}\n"));
                }
                echo.push_str(&String::from_utf8_lossy(&req.body));
                Action::Respond(Response::json(
                    code,
                    &serde_json::json!({
                        "error": "echo",
                        "error_description": echo,
                        "Message": echo,
                    }),
                ))
            }
            Some(FaultKind::Runaway(count)) => {
                let id = 1_000_000 + lock(&self.counters).stats.total;
                Action::Respond(Response::json(
                    200,
                    &serde_json::json!({
                        "record_count": count,
                        "items": [{"id": id, "name": format!("invented {id}")}],
                    }),
                ))
            }
            Some(FaultKind::Flood { count, per_page }) => {
                let total = lock(&self.counters).stats.total;
                let base = 1_000_000_u64.saturating_add(total.saturating_mul(per_page));
                let items: Vec<Value> = (0..per_page)
                    .map(|i| {
                        let id = base.saturating_add(i);
                        serde_json::json!({"id": id, "name": format!("f{id}")})
                    })
                    .collect();
                Action::Respond(Response::json(
                    200,
                    &serde_json::json!({"record_count": count, "items": items}),
                ))
            }
            Some(FaultKind::RepeatRecord { changed }) => {
                Action::Respond(repeat_first_record(normal(), changed))
            }
            Some(FaultKind::StuckPaging) => {
                let mut first = req.clone();
                for (name, value) in &mut first.query {
                    if name.eq_ignore_ascii_case("page_no") {
                        "1".clone_into(value);
                    }
                }
                Action::Respond(self.api.respond(&first, &route, &self.base_url))
            }
            Some(FaultKind::Reply(code, body)) => {
                Action::Respond(Response::text(code, "text/plain; charset=utf-8", &body))
            }
            Some(FaultKind::ExpireTokens) => {
                self.api.expire_all_tokens();
                Action::Respond(Response::empty(401).with_header(
                    "WWW-Authenticate",
                    "Bearer error=\"invalid_token\", error_description=\"The access token has expired.\"",
                ))
            }
        };
        self.count(&outcome.action);
        if reaches_halo
            && route == Route::Token
            && matches!(&outcome.action, Action::Respond(r) | Action::DropMidBody(r) if r.status == 200)
        {
            lock(&self.counters).stats.tokens_issued += 1;
        }
        outcome
    }

    fn count(&self, action: &Action) {
        let status = match action {
            Action::Respond(r) | Action::DropMidBody(r) => r.status,
            Action::Drop | Action::Hang | Action::Endless => return,
        };
        let mut counters = lock(&self.counters);
        match status {
            401 => counters.stats.unauthorized += 1,
            429 => counters.stats.throttled += 1,
            _ => {}
        }
    }

    fn log(
        &self,
        peer: SocketAddr,
        req: &Request,
        outcome: &Outcome,
        status: Option<u16>,
        started: Instant,
    ) {
        if let Some(logger) = &self.logger {
            logger(&RequestLog {
                peer,
                method: req.method.clone(),
                target: req.target.clone(),
                route: outcome.route.clone(),
                status,
                fault: outcome.fault.clone(),
                elapsed: started.elapsed(),
            });
        }
    }

    fn enter(&self) {
        let mut counters = lock(&self.counters);
        counters.in_flight += 1;
        counters.stats.max_in_flight = counters.stats.max_in_flight.max(counters.in_flight);
    }

    fn leave(&self) {
        let mut counters = lock(&self.counters);
        counters.in_flight = counters.in_flight.saturating_sub(1);
    }

    /// Registers and serves a new connection on its own thread.
    fn open(self: &Arc<Self>, id: u64, stream: TcpStream) {
        if let Ok(handle) = stream.try_clone() {
            lock(&self.connections).insert(id, handle);
        }
        *lock(&self.active) += 1;
        let shared = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name(format!("halo-sim-conn-{id}"))
            .spawn(move || {
                serve_connection(&shared, stream);
                shared.close(id);
            });
        match spawned {
            Ok(handle) => {
                let mut handles = lock(&self.handles);
                handles.retain(|h| !h.is_finished());
                handles.push(handle);
            }
            Err(_) => self.close(id),
        }
    }

    fn close(&self, id: u64) {
        lock(&self.connections).remove(&id);
        let mut active = lock(&self.active);
        *active = active.saturating_sub(1);
        self.active_cv.notify_all();
    }
}

/// Writes a 200 JSON head without `Content-Length`, then array items until a write fails (the
/// client went away or stopped reading past the write timeout) or the server stops.
/// A list answer (bare or in its envelope) with a copy of its first record appended; `changed`
/// gives the copy the scopes `all` and `admin` and another name. Other answers pass unchanged.
fn repeat_first_record(response: Response, changed: bool) -> Response {
    let Ok(mut body) = serde_json::from_slice::<Value>(&response.body) else {
        return response;
    };
    let list = match &mut body {
        Value::Array(items) => Some(items),
        Value::Object(map) => map.values_mut().find_map(Value::as_array_mut),
        _ => None,
    };
    let Some(list) = list else {
        return response;
    };
    let Some(mut copy) = list.first().cloned() else {
        return response;
    };
    if changed && let Some(object) = copy.as_object_mut() {
        object.insert(
            "scopes".to_owned(),
            serde_json::json!([{"name": "all"}, {"name": "admin"}]),
        );
        let name = object
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| "changed".to_owned(), |n| format!("{n} (changed)"));
        object.insert("name".to_owned(), Value::String(name));
    }
    list.push(copy);
    Response::json(response.status, &body)
}

fn stream_endless(shared: &Shared, writer: &mut TcpStream) {
    use std::io::Write;
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\
                Server: halo-sim\r\nConnection: close\r\n\r\n[";
    if writer.write_all(head.as_bytes()).is_err() {
        return;
    }
    let chunk = r#"{"id":1,"name":"Endless Agent","isdisabled":false},"#.repeat(1024);
    while !shared.stopping() {
        if writer.write_all(chunk.as_bytes()).is_err() {
            return;
        }
    }
}

/// Describes a window as Halo's message does: "5 minute", or seconds/milliseconds when shorter.
fn window_text(window: Duration) -> String {
    let millis = window.as_millis();
    if millis.is_multiple_of(60_000) {
        format!("{} minute", millis / 60_000)
    } else if millis.is_multiple_of(1000) {
        format!("{} second", millis / 1000)
    } else {
        format!("{millis} millisecond")
    }
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    let mut next_id = 0u64;
    for incoming in listener.incoming() {
        if shared.stopping() {
            break;
        }
        match incoming {
            Ok(stream) => {
                next_id += 1;
                shared.open(next_id, stream);
            }
            // Out of file descriptors and the like: back off briefly instead of spinning.
            Err(_) => {
                if !shared.pause(Duration::from_millis(10)) {
                    break;
                }
            }
        }
    }
}

fn serve_connection(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(shared.idle_timeout));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let Ok(peer) = stream.peer_addr() else {
        return;
    };
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    while !shared.stopping() {
        let req = match http::read_request(&mut reader, &mut writer) {
            Ok(Some(req)) => req,
            Ok(None) | Err(ReadError::Closed) => break,
            Err(ReadError::Reply(response)) => {
                let _ = response.write_to(&mut writer, true);
                break;
            }
        };
        let started = Instant::now();
        shared.enter();
        let outcome = shared.handle(&req);
        let close = !req.keep_alive;
        let mut status = None;
        let mut keep = false;
        if shared.pause(shared.latency + outcome.delay) {
            match &outcome.action {
                Action::Respond(response) => {
                    let sent = response.write_to(&mut writer, close).is_ok();
                    status = Some(response.status);
                    keep = sent && !close;
                }
                Action::DropMidBody(response) => {
                    let _ = response.write_truncated(&mut writer);
                    status = Some(response.status);
                }
                Action::Drop => {}
                Action::Hang => {
                    shared.log(peer, &req, &outcome, None, started);
                    shared.wait_for_stop();
                    shared.leave();
                    break;
                }
                Action::Endless => {
                    shared.log(peer, &req, &outcome, Some(200), started);
                    stream_endless(shared, &mut writer);
                    shared.leave();
                    break;
                }
            }
        }
        shared.leave();
        shared.log(peer, &req, &outcome, status, started);
        if !keep {
            break;
        }
    }
}
