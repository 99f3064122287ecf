//! One HTTP conversation with a HaloPSA instance: token, pacing, bounded concurrency, retries.
//!
//! Owns: the OAuth2 client-credentials exchange (token cached, renewed before `expires_in`, and
//! once more after a 401), every request's pacing and retry policy (429, 5xx, dropped connections,
//! timeouts; `Retry-After` honoured; capped attempts and waiting time), the request counters stored
//! in the snapshot, and the classification of what went wrong. It knows nothing of agents or teams.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use super::pacer::Pacer;
use super::redact::Redactor;
use super::{FetchError, Settings};

/// What one request ended in, when it did not end in a usable answer.
#[derive(Debug)]
pub enum ApiError {
    /// A final HTTP status (after retries, for retryable ones).
    Status {
        status: u16,
        message: Option<String>,
    },
    /// Still 429 when the attempts or the waiting time ran out.
    RateLimited { attempts: u32, waited: Duration },
    /// The server redirected; credentials are never sent on.
    Redirect { status: u16, location: String },
    /// The answer was not the JSON it should be.
    Malformed { detail: String },
    /// No answer: network, DNS, TLS, timeout, connection dropped.
    Transport { kind: TransportKind, detail: String },
    /// 401 again right after a new token.
    Unauthorized,
    /// The answer was larger than [`MAX_RESPONSE_BYTES`]; reading stopped there.
    TooLarge { limit: u64 },
    /// The whole fetch is failing for another reason (the token could not be obtained).
    Fatal(Box<FetchError>),
}

/// The largest answer read from Halo: far above any list page or object (a list of 10,000 agents
/// is about 20 MB), far below what would exhaust memory. A larger or endless answer is refused.
pub const MAX_RESPONSE_BYTES: u64 = 128 * 1024 * 1024;

/// The longest token lifetime believed: a token is renewed at least this often whatever
/// `expires_in` says (and an absurd `expires_in` cannot overflow a clock).
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// How long a token is used at least, however short its announced lifetime.
const MIN_TOKEN_USE: Duration = Duration::from_millis(250);

/// How many times in a row a request may find its token aged past renewal before it is sent with
/// the freshest token there is (a token endpoint issuing very short-lived tokens must not keep
/// the fetch renewing forever).
const STALE_TOKEN_RESTARTS: u32 = 3;

/// Kinds of transport failure, each with its own advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Dns,
    Refused,
    Tls,
    Timeout,
    Dropped,
    Other,
}

/// A bearer token (never printed; `SecretString` redacts it in `Debug`).
#[derive(Debug)]
struct Token {
    value: SecretString,
    renew_at: Instant,
    generation: u64,
}

/// What the token endpoint said it granted.
#[derive(Debug, Clone, Default)]
pub struct Grant {
    pub scopes: Vec<String>,
}

/// Shared by every task of one fetch.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    settings: Arc<Settings>,
    pub api: String,
    auth: Mutex<Option<String>>,
    /// The current token. A plain mutex, never held across an await: reading it never waits.
    token: std::sync::Mutex<Option<Token>>,
    /// Serialises renewals; held while asking for a token, never while holding a request slot.
    renewing: Mutex<()>,
    generation: AtomicU64,
    pub grant: std::sync::Mutex<Grant>,
    pacer: Pacer,
    slots: Semaphore,
    stats: std::sync::Mutex<Counters>,
    /// Set once the server has answered anything: connection errors before that are not retried
    /// (a wrong URL should fail at once, not after a minute of back-off).
    reached: AtomicBool,
    jitter: AtomicU64,
    /// The client secret and every token issued, in every encoding: scrubbed from whatever a
    /// server says before it is shown or stored.
    redact: Redactor,
}

/// A response that arrived in full.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Client {
    /// Builds the client (rustls, certificate verification always on, no redirects followed).
    ///
    /// # Errors
    /// When the TLS stack cannot be set up.
    pub fn new(settings: Arc<Settings>) -> Result<Self, FetchError> {
        // reqwest uses rustls without a built-in crypto provider; install ring once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(15)))
            .user_agent(concat!("halo-audit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Setup {
                detail: error_chain(&e),
            })?;
        let api = format!("{}/api", settings.url);
        let auth = settings.auth_url.clone();
        let settings_id = settings.client_id.clone();
        let settings_secret = settings.client_secret.clone();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9_7f4a_7c15, |d| d.as_nanos() as u64)
            | 1;
        Ok(Self {
            http,
            pacer: Pacer::new(settings.rate),
            slots: Semaphore::new(settings.concurrency.max(1)),
            settings,
            api,
            auth: Mutex::new(auth),
            token: std::sync::Mutex::new(None),
            renewing: Mutex::new(()),
            generation: AtomicU64::new(0),
            grant: std::sync::Mutex::new(Grant::default()),
            stats: std::sync::Mutex::new(Counters::default()),
            reached: AtomicBool::new(false),
            jitter: AtomicU64::new(seed),
            redact: Redactor::new(&settings_id, &settings_secret),
        })
    }

    /// Text a server sent, as it may be shown or stored: every secret and token scrubbed (the
    /// whole text, before any cut), control characters and workflow commands neutralised.
    pub fn said(&self, text: &str) -> String {
        crate::text::shown_owned(&self.redact.scrub(text))
    }

    /// The start of a body a server sent, for a message: scrubbed whole, then cut.
    fn excerpt(&self, body: &[u8]) -> String {
        crate::text::shown_owned(&self.redact.excerpt(body, EXCERPT_CHARS))
    }

    /// Learns the secrets a token answer carries (`access_token`, `refresh_token`, any member
    /// named like a secret), in JSON or form encoding, before any of it can be shown.
    fn learn_secrets(&self, body: &[u8]) {
        // `token_type: Bearer` names a kind of token, it is not one.
        let is_secret = |name: &str| {
            crate::snapshot::secrets::is_secret_name(name)
                && !name.eq_ignore_ascii_case("token_type")
        };
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(without_bom(body)) {
            for (name, value) in &map {
                if let Some(text) = value.as_str()
                    && is_secret(name)
                {
                    self.redact.add(text);
                }
            }
            return;
        }
        // Almost JSON (trailing bytes, a truncated body, a number out of range): every
        // `"name": "value"` pair it holds, read one by one.
        for (name, value) in json_pairs(body) {
            if is_secret(&name) {
                self.redact.add(&value);
            }
        }
        // `access_token=...&token_type=bearer`, or any text holding such pairs.
        let text = String::from_utf8_lossy(body);
        for pair in text.split(['&', '\n', ' ', ';', ',']) {
            if let Some((name, value)) = pair.split_once('=')
                && is_secret(name.trim())
            {
                let value = value.trim();
                self.redact.add(value);
                self.redact.add(&percent_decode(value));
            }
        }
    }

    /// An error with everything the server said in it scrubbed and made safe to show.
    fn cleaned(&self, error: ApiError) -> ApiError {
        match error {
            ApiError::Status { status, message } => ApiError::Status {
                status,
                message: message.map(|m| self.said(&m)),
            },
            ApiError::Redirect { status, location } => ApiError::Redirect {
                status,
                location: self.said(&location),
            },
            ApiError::Malformed { detail } => ApiError::Malformed {
                detail: self.said(&detail),
            },
            ApiError::Transport { kind, detail } => ApiError::Transport {
                kind,
                detail: self.said(&detail),
            },
            other => other,
        }
    }

    /// The most records read of one list.
    #[must_use]
    pub fn max_records(&self) -> usize {
        self.settings.max_records
    }

    /// The request counters so far.
    #[must_use]
    pub fn counters(&self) -> Counters {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn count(&self, route: &str, f: impl FnOnce(&mut Counters)) {
        if let Ok(mut stats) = self.stats.lock() {
            stats.total += 1;
            *stats.by_endpoint.entry(route.to_owned()).or_insert(0) += 1;
            f(&mut stats);
        }
    }

    fn note(&self, f: impl FnOnce(&mut Counters)) {
        if let Ok(mut stats) = self.stats.lock() {
            f(&mut stats);
        }
    }

    /// A factor in [0.5, 1.0) for back-off jitter (xorshift; jitter needs no cryptography).
    fn jitter(&self) -> f64 {
        let mut x = self.jitter.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter.store(x, Ordering::Relaxed);
        0.5 + (x >> 11) as f64 / (1u64 << 53) as f64 / 2.0
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let policy = &self.settings.retry;
        let exp = policy
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        exp.min(policy.max_delay).mul_f64(self.jitter())
    }

    /// Sends one request with pacing, bounded concurrency and retries, and reads the whole body.
    /// Retries: 429 (honouring `Retry-After`), 500/502/503/504, timeouts and dropped connections.
    async fn execute(
        &self,
        route: &str,
        authed: bool,
        build: &(dyn Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder + Sync),
    ) -> Result<(Answer, u64), ApiError> {
        let policy = &self.settings.retry;
        let mut attempt = 0u32;
        let mut waited = Duration::ZERO;
        let mut restarts = 0u32;
        loop {
            let mut generation = 0;
            let outcome = {
                // A token is obtained before taking a slot (asking for one needs a slot of its
                // own), and checked again after the pacing wait: if it aged meanwhile, the slot is
                // given back and the request starts over, so no request leaves with a token about
                // to expire and no slot is held while waiting for a new token.
                let fresh = if authed {
                    Some(self.fresh_token().await?)
                } else {
                    None
                };
                let slot = self.slots.acquire().await.ok();
                self.pacer.acquire().await;
                let token = match (fresh, self.current()) {
                    (None, _) => String::new(),
                    (Some(_), Some((token, g, _))) => {
                        generation = g;
                        token
                    }
                    (Some(_), None) if restarts < STALE_TOKEN_RESTARTS => {
                        restarts += 1;
                        drop(slot);
                        continue;
                    }
                    // Tokens age faster than a slot frees: send the freshest one there is (a 401
                    // renews it once more).
                    (Some((token, g)), None) => {
                        generation = g;
                        token
                    }
                };
                attempt += 1;
                self.count(route, |_| {});
                match build(&self.http, &token).send().await {
                    Ok(response) => {
                        self.reached.store(true, Ordering::Relaxed);
                        let status = response.status();
                        let headers = response.headers().clone();
                        read_body(response).await.map(|body| Answer {
                            status,
                            headers,
                            body,
                        })
                    }
                    Err(e) => Err(transport(&e, false)),
                }
            };
            let delay = match &outcome {
                Ok(answer) if answer.status == StatusCode::TOO_MANY_REQUESTS => {
                    self.note(|s| s.throttled += 1);
                    let delay =
                        retry_after(&answer.headers).unwrap_or_else(|| self.backoff(attempt));
                    if attempt >= policy.max_attempts || waited + delay > policy.max_wait {
                        return Err(ApiError::RateLimited {
                            attempts: attempt,
                            waited,
                        });
                    }
                    self.pacer.pause(delay).await;
                    delay
                }
                Ok(answer) if is_retryable_status(answer.status) => {
                    let delay =
                        retry_after(&answer.headers).unwrap_or_else(|| self.backoff(attempt));
                    if attempt >= policy.max_attempts || waited + delay > policy.max_wait {
                        return outcome.map(|a| (a, generation));
                    }
                    delay
                }
                Ok(_) => return outcome.map(|a| (a, generation)),
                Err(ApiError::Transport { kind, .. }) => {
                    let retryable = match kind {
                        TransportKind::Timeout | TransportKind::Dropped | TransportKind::Other => {
                            true
                        }
                        TransportKind::Refused => self.reached.load(Ordering::Relaxed),
                        TransportKind::Dns | TransportKind::Tls => false,
                    };
                    let delay = self.backoff(attempt);
                    if !retryable
                        || attempt >= policy.max_attempts
                        || waited + delay > policy.max_wait
                    {
                        return outcome.map(|a| (a, generation));
                    }
                    delay
                }
                Err(_) => return outcome.map(|a| (a, generation)),
            };
            self.note(|s| s.retries += 1);
            waited += delay;
            tokio::time::sleep(delay).await;
        }
    }

    /// The auth server to ask for a token, and whether it is certain: `--auth-url`, or one found
    /// earlier (by discovery or a token), is; otherwise Halo's conventional `{url}/auth` (hosted
    /// instances and default installs) is tried first, which costs no request.
    async fn auth_base(&self) -> (String, bool) {
        match self.auth.lock().await.as_ref() {
            Some(url) => (url.clone(), true),
            None => (format!("{}/auth", self.settings.url), false),
        }
    }

    /// Asks `GET {url}/api/authinfo` where the auth server is (only after `{url}/auth` turned out
    /// to hold no token endpoint). `None` when the instance does not say.
    async fn discover(&self) -> Option<String> {
        let info_url = format!("{}/authinfo", self.api);
        let (answer, _) = self
            .execute("GET /api/authinfo", false, &|http, _| http.get(&info_url))
            .await
            .ok()?;
        if !answer.status.is_success() {
            return None;
        }
        serde_json::from_slice::<Value>(&answer.body)
            .ok()?
            .get("auth_url")
            .and_then(Value::as_str)
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
            // Never a URL carrying credentials of its own.
            .filter(|s| {
                reqwest::Url::parse(s)
                    .is_ok_and(|u| u.username().is_empty() && u.password().is_none())
            })
    }

    /// `POST {auth}/token` with the client credentials. A redirect is never followed: the form
    /// carries the client secret.
    async fn ask_token(&self, auth: &str) -> Result<Answer, FetchError> {
        let token_url = format!("{auth}/token");
        let settings = &self.settings;
        let tenant = settings.tenant.clone();
        let form = [
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", settings.client_id.clone()),
            (
                "client_secret",
                settings.client_secret.expose_secret().to_owned(),
            ),
            ("scope", settings.token_scope.clone()),
        ];
        let answer = self
            .execute("POST /auth/token", false, &|http, _| {
                let mut request = http.post(&token_url);
                if let Some(t) = &tenant {
                    request = request.query(&[("tenant", t)]);
                }
                request.form(&form)
            })
            .await
            .map(|(a, _)| a)
            .map_err(|e| settings.unreachable(&token_url, self.cleaned(e)))?;
        // Whatever the answer is, the secrets it carries are known before any of it is shown.
        self.learn_secrets(&answer.body);
        if answer.status.is_redirection() {
            // Of the token endpoint's answer only the origin it points at is shown: a Location
            // may carry a token in its path, query or fragment.
            let target = location(&answer.headers);
            let origin = reqwest::Url::parse(&target).map_or_else(
                |_| "a location that is not an absolute URL".to_owned(),
                |u| format!("{} (path not shown)", u.origin().ascii_serialization()),
            );
            return Err(FetchError::Redirect {
                endpoint: format!("POST {token_url}"),
                status: answer.status.as_u16(),
                location: self.said(&origin),
            });
        }
        Ok(answer)
    }

    /// A valid bearer token, fetching or renewing it when needed.
    async fn token(&self) -> Result<(String, u64, Instant), FetchError> {
        if let Some(current) = self.current() {
            return Ok(current);
        }
        let _renewing = self.renewing.lock().await;
        // Someone else may have renewed while this task waited.
        if let Some(current) = self.current() {
            return Ok(current);
        }
        let asked_at = Instant::now();
        let (mut auth, certain) = self.auth_base().await;
        let mut answer = self.ask_token(&auth).await?;
        if !certain && !is_token_endpoint(&answer) {
            // Not a token endpoint at `{url}/auth`: ask the instance where its auth server is.
            if let Some(found) = self.discover().await.filter(|found| *found != auth) {
                // The secret goes only where --url points; another host needs --auth-url.
                if !super::same_origin(&found, &self.settings.url) {
                    return Err(FetchError::ForeignAuthServer {
                        url: format!("{}/authinfo", self.api),
                        discovered: self.excerpt(found.as_bytes()),
                    });
                }
                auth = found;
                answer = self.ask_token(&auth).await?;
            }
        }
        let token_url = format!("{auth}/token");
        let settings = &self.settings;
        // A UTF-8 byte order mark (as .NET servers may send) is not part of the JSON.
        let body: Option<Value> = serde_json::from_slice(without_bom(&answer.body)).ok();
        let field = |name: &str| {
            body.as_ref()
                .and_then(|b| b.get(name))
                .and_then(Value::as_str)
        };
        if !answer.status.is_success() {
            // No part of a token endpoint's answer is shown: its OAuth error code when it is one
            // (`invalid_client`), and the answer's shape.
            let code = field("error")
                .filter(|c| is_oauth_code(c))
                .map(str::to_owned);
            return Err(settings.token_refused(
                &token_url,
                answer.status.as_u16(),
                code,
                Some(self.shape(&answer)),
            ));
        }
        let Some(value) = body
            .as_ref()
            .and_then(|b| b.get("access_token"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
        else {
            let token_url = self.said(&token_url);
            return Err(FetchError::TokenGarbage {
                url: token_url,
                detail: if body.is_some() {
                    format!("it has no `access_token` ({})", self.shape(&answer))
                } else {
                    format!("the answer is not JSON ({})", self.shape(&answer))
                },
            });
        };
        let lifetime = body
            .as_ref()
            .and_then(|b| b.get("expires_in"))
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(3600);
        // Renew early: a fifth of the lifetime, at most a minute, counted from when the token was
        // asked for (the server's clock started before the answer arrived).
        let lifetime = Duration::from_secs(lifetime).min(MAX_TOKEN_LIFETIME);
        let margin = (lifetime / 5).min(Duration::from_secs(60));
        // A token is used for a moment at least, whatever its lifetime: one that is stale on
        // arrival (`expires_in: 0`) is tried (a 401 then renews it once), never renewed in a loop.
        let renew_at =
            (asked_at + lifetime.saturating_sub(margin)).max(Instant::now() + MIN_TOKEN_USE);
        if let Some(granted) = field("scope").map(|text| self.said(text))
            && let Ok(mut grant) = self.grant.lock()
        {
            grant.scopes = granted.split_whitespace().map(str::to_owned).collect();
        }
        *self.auth.lock().await = Some(auth);
        self.redact.add(&value);
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        if let Ok(mut slot) = self.token.lock() {
            *slot = Some(Token {
                value: SecretString::from(value.clone()),
                renew_at,
                generation,
            });
        }
        Ok((value, generation, renew_at))
    }

    /// Obtains the first token (authentication problems surface here, before any data call).
    ///
    /// # Errors
    /// Any authentication or connection failure.
    pub async fn authenticate(&self) -> Result<(), FetchError> {
        self.token().await.map(|_| ())
    }

    /// The cached token if it is still valid now; never asks for a new one, never waits.
    fn current(&self) -> Option<(String, u64, Instant)> {
        let slot = self.token.lock().ok()?;
        slot.as_ref()
            .filter(|t| Instant::now() < t.renew_at)
            .map(|t| (t.value.expose_secret().to_owned(), t.generation, t.renew_at))
    }

    /// A token still valid now (one taken before waiting for a pacing slot may have aged). A
    /// token that is stale the moment it arrives (a lifetime shorter than the round trip) is
    /// renewed a few times, then used as it is: the fetch never renews in a loop.
    async fn fresh_token(&self) -> Result<(String, u64), ApiError> {
        let mut renewals = 0;
        loop {
            // Boxed: asking for a token sends a request itself.
            let (token, generation, renew_at) = Box::pin(self.token())
                .await
                .map_err(|e| ApiError::Fatal(Box::new(e)))?;
            if Instant::now() < renew_at || renewals >= STALE_TOKEN_RESTARTS {
                return Ok((token, generation));
            }
            renewals += 1;
        }
    }

    fn forget_token(&self, generation: u64) {
        if let Ok(mut slot) = self.token.lock()
            && slot.as_ref().is_some_and(|t| t.generation == generation)
        {
            *slot = None;
        }
    }

    /// `GET {api}{path}` with `query`, as JSON. A 401 renews the token and tries once more.
    ///
    /// # Errors
    /// [`ApiError`] when no JSON answer could be obtained.
    pub async fn get_json(
        &self,
        route: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, ApiError> {
        let url = format!("{}{path}", self.api);
        let mut renewed = false;
        loop {
            let (answer, generation) = self
                .execute(route, true, &|http, token| {
                    http.get(&url).query(query).bearer_auth(token)
                })
                .await
                .map_err(|e| self.cleaned(e))?;
            let status = answer.status;
            if status == StatusCode::UNAUTHORIZED {
                self.note(|s| s.unauthorized += 1);
                if renewed {
                    return Err(ApiError::Unauthorized);
                }
                renewed = true;
                self.note(|s| s.retries += 1);
                self.forget_token(generation);
                continue;
            }
            if status.is_redirection() {
                return Err(ApiError::Redirect {
                    status: status.as_u16(),
                    location: self.said(&location(&answer.headers)),
                });
            }
            if !status.is_success() {
                return Err(ApiError::Status {
                    status: status.as_u16(),
                    message: self.error_message(&answer.body),
                });
            }
            return serde_json::from_slice(&answer.body).map_err(|e| ApiError::Malformed {
                detail: if answer.body.is_empty() {
                    "the body is empty".to_owned()
                } else {
                    format!(
                        "{e} (the body is {} bytes and starts with {:?})",
                        answer.body.len(),
                        self.excerpt(&answer.body)
                    )
                },
            });
        }
    }
}

/// A redirect's target, for messages.
fn location(headers: &HeaderMap) -> String {
    headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "(no Location header)".to_owned(), str::to_owned)
}

/// Reads a whole body, refusing one larger than [`MAX_RESPONSE_BYTES`] (announced or streamed).
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, ApiError> {
    let too_large = ApiError::TooLarge {
        limit: MAX_RESPONSE_BYTES,
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES)
    {
        return Err(too_large);
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if (body.len() + chunk.len()) as u64 > MAX_RESPONSE_BYTES {
                    return Err(too_large);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(transport(&e, true)),
        }
    }
}

/// Whether an answer comes from an OAuth token endpoint (a token, or an OAuth error such as
/// `invalid_client`), rather than from something else at that address (404, 405, a redirect, a web
/// page).
fn is_token_endpoint(answer: &Answer) -> bool {
    let status = answer.status.as_u16();
    if matches!(status, 404 | 405) || answer.status.is_redirection() {
        return false;
    }
    serde_json::from_slice::<Value>(without_bom(&answer.body))
        .ok()
        .is_some_and(|body| body.get("access_token").is_some() || body.get("error").is_some())
}

fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = when.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// `body` without a leading UTF-8 byte order mark.
fn without_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// An OAuth error code as RFC 6749 spells them (`invalid_client`): safe to show.
fn is_oauth_code(text: &str) -> bool {
    (1..=40).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// Every `"name": "value"` pair of string members in text that is JSON or almost JSON (cut
/// short, followed by other bytes, holding a number JSON cannot): what a token answer carries
/// even when it does not parse.
fn json_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    let bytes = text.as_bytes();
    // Each JSON string: (start, end) byte offsets, quotes included.
    let mut strings = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'"' {
            let start = i;
            i += 1;
            while let Some(&c) = bytes.get(i) {
                match c {
                    b'\\' => i += 2,
                    b'"' => break,
                    _ => i += 1,
                }
            }
            if i >= bytes.len() {
                break;
            }
            strings.push((start, i + 1));
        }
        i += 1;
    }
    let decode = |(start, end): (usize, usize)| -> Option<String> {
        serde_json::from_str::<String>(text.get(start..end)?).ok()
    };
    strings
        .windows(2)
        .filter_map(|pair| {
            let (key, value) = (pair[0], pair[1]);
            let between = text.get(key.1..value.0)?;
            if between.trim() != ":" {
                return None;
            }
            Some((decode(key)?, decode(value)?))
        })
        .collect()
}

impl Client {
    /// What a token endpoint answered, described without any of its content: status, content
    /// type, length, and whether it is JSON (with its top-level member names) or how it is not.
    fn shape(&self, answer: &Answer) -> String {
        let content_type = answer
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map_or_else(
                || "no content type".to_owned(),
                |t| {
                    format!(
                        "content type `{}`",
                        self.said(&t.chars().take(60).collect::<String>())
                    )
                },
            );
        let mut out = format!(
            "HTTP {}, {content_type}, {} bytes",
            answer.status.as_u16(),
            answer.body.len()
        );
        let body = &answer.body;
        if body.starts_with(b"\xEF\xBB\xBF") {
            out.push_str(", starting with a UTF-8 byte order mark");
        }
        let json = without_bom(body);
        let mut values = serde_json::Deserializer::from_slice(json).into_iter::<Value>();
        let described = match values.next() {
            None => "empty".to_owned(),
            Some(Ok(value)) => {
                let offset = values.byte_offset();
                let rest = json.get(offset..).unwrap_or_default();
                let mut text = match &value {
                    Value::Object(map) => {
                        let names: Vec<String> = map
                            .keys()
                            .take(10)
                            .map(|k| self.said(&k.chars().take(40).collect::<String>()))
                            .collect();
                        format!(
                            "a JSON object with {} member{}{}{}",
                            map.len(),
                            if map.len() == 1 { "" } else { "s" },
                            if names.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", names.join(", "))
                            },
                            if map.len() > names.len() { ", ..." } else { "" }
                        )
                    }
                    Value::Array(items) => format!("a JSON list of {} items", items.len()),
                    Value::String(_) => "a JSON string".to_owned(),
                    Value::Number(_) => "a JSON number".to_owned(),
                    Value::Bool(_) => "a JSON boolean".to_owned(),
                    Value::Null => "JSON null".to_owned(),
                };
                let trailing = rest.iter().filter(|b| !b.is_ascii_whitespace()).count();
                if trailing > 0 {
                    text.push_str(&format!(" followed by {} more bytes", rest.len()));
                }
                text
            }
            Some(Err(e)) => match e.classify() {
                serde_json::error::Category::Eof => format!(
                    "JSON cut short: it ends at line {} column {} before the document is complete",
                    e.line(),
                    e.column()
                ),
                serde_json::error::Category::Data => format!(
                    "JSON holding a value that cannot be read (a number out of range?) at line {} column {}",
                    e.line(),
                    e.column()
                ),
                // serde_json's own words ("number out of range", "trailing characters", ...
                // at line L column C): they quote nothing of the text.
                serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                    format!("not JSON: {}", self.said(&e.to_string()))
                }
            },
        };
        out.push_str(", ");
        out.push_str(&described);
        out
    }
}

/// How many characters of a body a message shows.
const EXCERPT_CHARS: usize = 60;

/// How many characters of a server's error message are shown and stored.
const MESSAGE_CHARS: usize = 200;

impl Client {
    /// Halo's error bodies: `{"Message"}`, `{"errorMessage"}`, `{"error_description"}`,
    /// `{"error"}` or plain text; scrubbed whole, then cut.
    fn error_message(&self, body: &[u8]) -> Option<String> {
        error_text(body).map(|text| {
            let text = self.said(&text);
            text.chars().take(MESSAGE_CHARS).collect()
        })
    }
}

/// The message of an error body, uncut and unscrubbed (see [`Client::error_message`]).
fn error_text(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        for key in [
            "Message",
            "message",
            "errorMessage",
            "error_description",
            "error",
        ] {
            if let Some(text) = value.get(key).and_then(Value::as_str) {
                return Some(text.to_owned());
            }
        }
        return None;
    }
    let text = String::from_utf8_lossy(body);
    (!text.trim().is_empty()).then(|| text.into_owned())
}

/// `%2B` and `+` decoded (a form value as a server would read it); invalid escapes kept.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|c| char::from(*c).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every message in an error's source chain, joined.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

fn transport(error: &reqwest::Error, reading_body: bool) -> ApiError {
    let detail = error_chain(error);
    let lower = detail.to_lowercase();
    let kind = if error.is_timeout() {
        TransportKind::Timeout
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        TransportKind::Dns
    } else if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        // rustls's own wording, e.g. a server that does not speak TLS on that port.
        || lower.contains("received corrupt message")
        || lower.contains("peer is incompatible")
        || lower.contains("received fatal alert")
        || has_source::<rustls::Error>(error)
    {
        TransportKind::Tls
    } else if lower.contains("connection refused") {
        TransportKind::Refused
    } else if reading_body
        || lower.contains("connection closed")
        || lower.contains("connection reset")
        || lower.contains("incomplete")
        || lower.contains("broken pipe")
    {
        TransportKind::Dropped
    } else {
        TransportKind::Other
    };
    ApiError::Transport { kind, detail }
}

/// True when an error of type `E` is in the source chain, including inside an `io::Error`
/// (where hyper and rustls put TLS failures).
fn has_source<E: std::error::Error + 'static>(error: &dyn std::error::Error) -> bool {
    let mut source = error.source();
    while let Some(e) = source {
        if e.is::<E>()
            || e.downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .is_some_and(|inner| inner.is::<E>())
        {
            return true;
        }
        source = e.source();
    }
    false
}

/// Counters kept per fetch (stored in the snapshot's `requests`).
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub total: u64,
    pub retries: u64,
    pub throttled: u64,
    pub unauthorized: u64,
    pub by_endpoint: BTreeMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after(&h),
            Some(Duration::ZERO),
            "a past date means now"
        );
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn error_messages_come_from_every_halo_error_shape() {
        assert_eq!(
            error_text(br#"{"ClassName":"X","Message":"boom"}"#).as_deref(),
            Some("boom")
        );
        assert_eq!(
            error_text(br#"{"resultCode":1,"errorMessage":"nope"}"#).as_deref(),
            Some("nope")
        );
        assert_eq!(error_text(b"plain words").as_deref(), Some("plain words"));
        assert_eq!(error_text(b""), None);
        assert_eq!(error_text(br#"{"x":1}"#), None);
    }

    fn client(secret: &str) -> Client {
        let settings = Settings::new(
            "https://acme.halopsa.com",
            "client-id".to_owned(),
            SecretString::from(secret.to_owned()),
        )
        .unwrap();
        Client::new(Arc::new(settings)).unwrap()
    }

    #[test]
    fn a_long_message_is_scrubbed_before_it_is_cut() {
        let c = client("a-secret+that/crosses-the-cut");
        let body = format!(
            "{{\"Message\":\"{}client_secret=a-secret%2Bthat%2Fcrosses-the-cut\"}}",
            "x".repeat(180)
        );
        let message = c.error_message(body.as_bytes()).unwrap();
        assert!(!message.contains("a-se"), "{message}");
        assert!(
            message.ends_with("client_secret=") || message.contains("<re"),
            "{message}"
        );
    }

    #[test]
    fn tokens_in_a_form_encoded_token_answer_are_learnt_before_it_is_shown() {
        let c = client("the-client-secret");
        let body =
            b"access_token=tok%2Fen-abcdef123456&token_type=bearer&refresh_token=refresh-987654";
        c.learn_secrets(body);
        let shown = c.excerpt(body);
        assert!(
            !shown.contains("tok%2Fen") && !shown.contains("refresh-9"),
            "{shown}"
        );
        assert_eq!(c.said("got tok/en-abcdef123456"), "got <redacted>");
        c.learn_secrets(br#"{"access_token":"json-token-value","expires_in":3600}"#);
        assert_eq!(c.said("Bearer json-token-value"), "Bearer <redacted>");
    }

    #[test]
    fn tokens_in_almost_json_are_learnt_and_their_answer_is_described_not_shown() {
        for body in [
            "\u{feff}{\"access_token\":\"tok-bom-0123456789\",\"expires_in\":3600}".to_owned(),
            "{\"access_token\":\"tok-trail-0123456789\",\"expires_in\":3600}garbage".to_owned(),
            "{\"token_type\":\"Bearer\",\"access_token\":\"tok-cut-0123456789\",\"expi".to_owned(),
            "{\"access_token\":\"tok-1e400-0123456789\",\"expires_in\":1e400}".to_owned(),
            "{\"access_token\" : \"tok-esc\\/0123456789\", \"x\": 1}".to_owned(),
        ] {
            let c = client("the-client-secret");
            c.learn_secrets(body.as_bytes());
            let token = body
                .split("tok-")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(|t| format!("tok-{}", t.replace("\\/", "/")))
                .unwrap();
            assert_eq!(c.said(&format!("x {token} y")), "x <redacted> y", "{body}");
            let answer = Answer {
                status: StatusCode::OK,
                headers: HeaderMap::new(),
                body: body.clone().into_bytes(),
            };
            let shape = c.shape(&answer);
            assert!(!shape.contains("tok-"), "{shape}");
            assert!(
                shape.starts_with(&format!("HTTP 200, no content type, {} bytes", body.len())),
                "{shape}"
            );
        }
        let c = client("s");
        let shape_of = |body: &str| {
            c.shape(&Answer {
                status: StatusCode::OK,
                headers: HeaderMap::new(),
                body: body.as_bytes().to_vec(),
            })
        };
        assert!(shape_of("\u{feff}{}").contains("byte order mark, a JSON object with 0 members"));
        assert!(
            shape_of("{\"a\":1}xyz")
                .contains("a JSON object with 1 member: a followed by 3 more bytes")
        );
        assert!(shape_of("{\"a\":").contains("JSON cut short"));
        assert!(shape_of("{\"a\":1e400}").contains("not JSON: number out of range at line 1"));
        assert!(shape_of("<html>").contains("not JSON: expected value at line 1 column 1"));
        assert!(shape_of("").ends_with("0 bytes, empty"));
    }

    #[test]
    fn oauth_codes_are_told_from_text() {
        assert!(is_oauth_code("invalid_client"));
        assert!(!is_oauth_code("Invalid client"));
        assert!(!is_oauth_code("eyJhbGciOi"));
        assert!(!is_oauth_code(""));
    }

    #[test]
    fn what_a_server_says_cannot_drive_a_terminal() {
        let c = client("the-client-secret");
        assert_eq!(
            c.said("no\n::error::x\u{1b}[2J"),
            "no\\n:\\:error:\\:x\\u{1b}[2J"
        );
    }
}
