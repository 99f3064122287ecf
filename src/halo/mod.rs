//! The fetcher: reads agents, teams, roles and API applications from a HaloPSA instance into a
//! [`Snapshot`]. The only async and the only networked code of halo-audit.
//!
//! Owns: connection settings, the order and number of requests (`fetch.rs`), the HTTP
//! conversation (`client.rs`: OAuth2 client credentials, retries), pacing (`pacer.rs`), and the
//! messages for everything that can go wrong on the way. Its public face is the synchronous
//! [`fetch_snapshot`], which owns its tokio runtime. Facts about Halo's API it relies on are in
//! `docs/fetching.md`.

mod client;
mod fetch;
pub mod pacer;
pub mod paging;
pub mod proxy;
pub mod redact;
mod whoami;

use std::time::Duration;

use secrecy::SecretString;

pub use client::Counters;
pub use pacer::{Rate, parse_duration};

use crate::snapshot::Snapshot;
use client::{ApiError, TransportKind};
pub use whoami::{Identity, whoami};

/// What to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FetchScope {
    /// Every agent (incl. API-only and disabled), team, role and application.
    #[default]
    All,
    /// Only the applications, the agents they log in as and those agents' roles.
    Integrations,
}

impl FetchScope {
    /// The name stored in the snapshot.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Integrations => "integrations",
        }
    }
}

/// Retries of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The first back-off delay; doubled per attempt, with jitter.
    pub base: Duration,
    /// The longest single back-off delay.
    pub max_delay: Duration,
    /// The longest a request may spend waiting between attempts in all.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
            max_wait: Duration::from_secs(300),
        }
    }
}

/// Everything a fetch needs. `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Halo web app URL, without a trailing slash (`https://acme.halopsa.com`).
    pub url: String,
    /// The authorisation server (`https://acme.halopsa.com/auth`); discovered when `None`.
    pub auth_url: Option<String>,
    /// The hosted tenant name, sent as `?tenant=` to the token endpoint.
    pub tenant: Option<String>,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The `scope` asked of the token endpoint.
    pub token_scope: String,
    pub scope: FetchScope,
    /// Pacing; `None` sends as fast as the concurrency allows.
    pub rate: Option<Rate>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Per-request timeout (connect, send and read the whole body).
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// The most records read of one list (`--max-records`); a list holding more is cut there and
    /// recorded as a gap.
    pub max_records: usize,
}

impl Settings {
    /// Settings with the documented defaults for everything but the instance and credentials.
    ///
    /// # Errors
    /// [`FetchError::BadUrl`] or [`FetchError::InsecureUrl`] for an unusable URL.
    pub fn new(
        url: &str,
        client_id: String,
        client_secret: SecretString,
    ) -> Result<Self, FetchError> {
        Ok(Self {
            url: normalise_url(url, "--url")?,
            auth_url: None,
            tenant: None,
            client_id,
            client_secret,
            token_scope: DEFAULT_TOKEN_SCOPE.to_owned(),
            scope: FetchScope::All,
            rate: Some(Rate::HALO_HOSTED),
            concurrency: 4,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            progress: false,
            max_records: paging::DEFAULT_MAX_RECORDS,
        })
    }

    /// Refuses an authorisation server that came from a configuration file and is on another
    /// origin than the instance, unless its origin is one of `allowed` (given on the command line).
    ///
    /// # Errors
    /// [`FetchError::ConfigAuthOrigin`] (exit 2).
    pub fn check_config_auth_origin(&self, allowed: &[String]) -> Result<(), FetchError> {
        let Some(auth) = &self.auth_url else {
            return Ok(());
        };
        if same_origin(auth, &self.url) || allowed.iter().any(|origin| same_origin(auth, origin)) {
            return Ok(());
        }
        let origin = reqwest::Url::parse(auth)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| auth.clone());
        Err(FetchError::ConfigAuthOrigin {
            auth_url: auth.clone(),
            url: self.url.clone(),
            origin,
        })
    }

    /// Sets the authorisation server URL.
    ///
    /// # Errors
    /// As [`Settings::new`].
    pub fn with_auth_url(mut self, url: Option<&str>) -> Result<Self, FetchError> {
        self.auth_url = url.map(|u| normalise_url(u, "--auth-url")).transpose()?;
        Ok(self)
    }

    fn unreachable(&self, url: &str, error: ApiError) -> FetchError {
        classify(url, error)
    }

    fn token_refused(
        &self,
        url: &str,
        status: u16,
        error: Option<String>,
        description: Option<String>,
    ) -> FetchError {
        match error.as_deref() {
            Some("invalid_client") => FetchError::InvalidClient {
                client_id: self.client_id.clone(),
                description,
            },
            Some("invalid_scope") => FetchError::InvalidScope {
                scope: self.token_scope.clone(),
                description,
            },
            Some("unauthorized_client") => FetchError::InvalidClient {
                client_id: self.client_id.clone(),
                description,
            },
            Some("invalid_request") if self.tenant.is_some() || status == 400 => {
                FetchError::InvalidRequest {
                    tenant: self.tenant.clone(),
                    description,
                }
            }
            _ if status == 404 => FetchError::NoTokenEndpoint {
                url: url.to_owned(),
            },
            _ => FetchError::TokenRefused {
                url: url.to_owned(),
                status,
                error,
                description,
            },
        }
    }
}

/// The scope halo-audit asks for by default (see docs/fetching.md for why).
pub const DEFAULT_TOKEN_SCOPE: &str = "admin";

/// Checks and normalises an instance URL: http(s), a host, no trailing slash or `/api`.
/// Plain `http` is refused except for loopback addresses: the client secret would travel in clear.
fn normalise_url(text: &str, flag: &'static str) -> Result<String, FetchError> {
    // A URL is shown in messages only with any `user:password@` masked.
    let shown = mask_userinfo(text);
    let bad = |reason: String| FetchError::BadUrl {
        flag,
        url: shown.clone(),
        reason,
    };
    let parsed = reqwest::Url::parse(text.trim()).map_err(|e| bad(e.to_string()))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "it holds a user name or password (`user:password@`): credentials in a URL end up in \
             logs, messages and the snapshot, and would replace the client-credentials token; \
             give the bare instance URL and the secret through HALO_CLIENT_SECRET or \
             --client-secret-file"
                .to_owned(),
        ));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| bad("it has no host".to_owned()))?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = host == "localhost"
                || host
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(FetchError::InsecureUrl { flag, url: shown });
            }
        }
        other => return Err(bad(format!("the scheme is `{other}`, not https"))),
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad(
            "it has a query or fragment; give the bare instance URL".to_owned(),
        ));
    }
    let mut url = parsed.as_str().trim_end_matches('/').to_owned();
    if flag == "--url" {
        for suffix in ["/api", "/auth"] {
            if url.to_ascii_lowercase().ends_with(suffix) {
                url.truncate(url.len() - suffix.len());
            }
        }
    }
    Ok(url)
}

/// A URL from a file or the command line as it may be shown: any `user:password@` masked,
/// control characters and workflow commands neutralised.
#[must_use]
pub fn shown_url(text: &str) -> String {
    crate::text::shown_owned(&mask_userinfo(text))
}

/// `text` with whatever sits between `scheme://` and `@` (before the path) replaced by `***`.
fn mask_userinfo(text: &str) -> String {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return text.to_owned();
    };
    let rest = &text[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &text[..start], &rest[at..]),
        None => text.to_owned(),
    }
}

/// True when both URLs have the same scheme, host and port (where credentials may go).
fn same_origin(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a), reqwest::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin() && a.origin().is_tuple(),
        _ => false,
    }
}

/// Fetches a snapshot (synchronously; owns a single-threaded tokio runtime).
///
/// # Errors
/// [`FetchError`]: everything that stops a fetch, each with its own advice. A 403 on one endpoint
/// is not an error: it is recorded as a gap in the snapshot.
pub fn fetch_snapshot(settings: &Settings) -> Result<Snapshot, FetchError> {
    fetch_with_identity(settings).map(|(snapshot, _)| snapshot)
}

/// [`fetch_snapshot`], and the agent the credential acts as with Halo's whole answer to
/// `GET /api/Agent/me` (the snapshot records its id and name in `auditor.agent`).
///
/// # Errors
/// As [`fetch_snapshot`].
pub fn fetch_with_identity(settings: &Settings) -> Result<(Snapshot, Identity), FetchError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchError::Setup {
            detail: e.to_string(),
        })?;
    runtime.block_on(fetch::run(settings.clone()))
}

/// Maps a request failure at `endpoint` to the error the user sees.
fn classify(endpoint: &str, error: ApiError) -> FetchError {
    let endpoint = endpoint.to_owned();
    match error {
        ApiError::Fatal(e) => *e,
        ApiError::Status { status, message } => FetchError::Server {
            endpoint,
            status,
            message,
        },
        ApiError::RateLimited { attempts, waited } => FetchError::RateLimited {
            endpoint,
            attempts,
            waited_secs: waited.as_secs(),
        },
        ApiError::Redirect { status, location } => FetchError::Redirect {
            endpoint,
            status,
            location,
        },
        ApiError::Malformed { detail } => FetchError::Malformed { endpoint, detail },
        ApiError::TooLarge { limit } => FetchError::TooLarge {
            endpoint,
            limit_mib: limit / (1024 * 1024),
        },
        ApiError::Unauthorized => FetchError::Unauthorized { endpoint },
        ApiError::Transport { kind, detail } => {
            if let Some(error) = through_proxy(&endpoint, kind, &detail) {
                return error;
            }
            match kind {
                TransportKind::Dns => FetchError::Dns { endpoint, detail },
                TransportKind::Refused => FetchError::Refused { endpoint, detail },
                TransportKind::Tls => FetchError::Tls { endpoint, detail },
                TransportKind::Timeout => FetchError::Timeout { endpoint, detail },
                TransportKind::Dropped => FetchError::Dropped { endpoint, detail },
                TransportKind::Other => FetchError::Network { endpoint, detail },
            }
        }
    }
}

/// A connection failure that is the proxy's, when the environment sends `endpoint` (`GET
/// https://…` or a bare URL) through one: the proxy refused the connection, its host does not
/// resolve (through a proxy, only the proxy's host is looked up here), or it would not open the
/// tunnel. Named as `scheme://host:port` with the variable it came from, never with credentials.
fn through_proxy(endpoint: &str, kind: TransportKind, detail: &str) -> Option<FetchError> {
    let url = endpoint.rsplit(' ').next().unwrap_or(endpoint);
    let lower = detail.to_lowercase();
    let failure = match kind {
        TransportKind::Refused => "it refused the connection",
        TransportKind::Dns => "its host name does not resolve",
        TransportKind::Other if lower.contains("tunnel") || lower.contains("proxy") => {
            "it would not open a tunnel to the instance"
        }
        _ => return None,
    };
    let proxy = proxy::proxy_for(url)?;
    // A SOCKS proxy without remote resolution (`socks5://`, `socks4://`) leaves the instance's
    // name to be looked up here: a DNS failure may then be the instance's own.
    if kind == TransportKind::Dns
        && (proxy.shown.starts_with("socks5://") || proxy.shown.starts_with("socks4://"))
    {
        return None;
    }
    Some(FetchError::Proxy {
        endpoint: endpoint.to_owned(),
        failure,
        detail: proxy.scrub(detail),
        proxy: proxy.shown,
        variable: proxy.variable,
    })
}

/// Why a fetch stopped. Exit code 3, except for unusable settings (2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FetchError {
    #[error("{flag} `{url}` is not a usable URL: {reason}")]
    #[diagnostic(
        code(halo_audit::fetch::bad_url),
        help(
            "give the address of your Halo web app, e.g. `https://acme.halopsa.com` (the API lives under /api)"
        )
    )]
    BadUrl {
        flag: &'static str,
        url: String,
        reason: String,
    },
    #[error("{flag} `{url}` uses plain http: the client secret and token would travel unencrypted")]
    #[diagnostic(
        code(halo_audit::fetch::insecure_url),
        help(
            "use the https address of your Halo instance; plain http is only accepted for loopback addresses (a local simulator)"
        )
    )]
    InsecureUrl { flag: &'static str, url: String },
    #[error("no client secret: set HALO_CLIENT_SECRET or pass --client-secret-file FILE")]
    #[diagnostic(
        code(halo_audit::fetch::no_secret),
        help(
            "the secret is shown once when the API application is created (Configuration > Integrations > HaloPSA API > View Applications); it is never accepted as a plain flag so it stays out of shell history"
        )
    )]
    NoSecret,
    #[error("cannot read the client secret from {path}: {detail}")]
    #[diagnostic(
        code(halo_audit::fetch::secret_file),
        help("the file must hold the secret alone (surrounding whitespace is ignored)")
    )]
    SecretFile { path: String, detail: String },
    #[error(
        "no HaloPSA URL: pass --url or set HALO_URL (or check an existing file with --snapshot)"
    )]
    #[diagnostic(code(halo_audit::fetch::no_url))]
    NoUrl,
    #[error(
        "the instance URL `{url}` comes only from the configuration file (`instance.url`): the client secret is not sent there"
    )]
    #[diagnostic(
        code(halo_audit::fetch::config_url),
        help(
            "a configuration file may come from a repository (a pull request can change it), so it cannot choose where the secret goes: pass --url or set HALO_URL; or, if this file is trusted, add --trust-config-url on the command line"
        )
    )]
    ConfigUrl { url: String },
    #[error("no client id: pass --client-id or set HALO_CLIENT_ID")]
    #[diagnostic(
        code(halo_audit::fetch::no_client_id),
        help(
            "the client id of the auditing API application (Configuration > Integrations > HaloPSA API > View Applications)"
        )
    )]
    NoClientId,
    #[error("cannot set up the HTTP client: {detail}")]
    #[diagnostic(code(halo_audit::fetch::setup))]
    Setup { detail: String },
    #[error("cannot resolve the host of {endpoint}: {detail}")]
    #[diagnostic(
        code(halo_audit::fetch::dns),
        help(
            "check the spelling of --url (e.g. `https://acme.halopsa.com`) and this machine's DNS"
        )
    )]
    Dns { endpoint: String, detail: String },
    #[error("connection refused by {endpoint}: {detail}")]
    #[diagnostic(
        code(halo_audit::fetch::refused),
        help("nothing is listening there: check the host and port in --url")
    )]
    Refused { endpoint: String, detail: String },
    #[error(
        "cannot reach {endpoint} through the proxy {proxy} (from {variable}): {failure}: {detail}"
    )]
    #[diagnostic(
        code(halo_audit::fetch::proxy),
        help(
            "it is the proxy that failed, not the instance: check {variable} (scheme, host and port), or, if the instance is to be reached directly, add its host to NO_PROXY"
        )
    )]
    Proxy {
        endpoint: String,
        proxy: String,
        variable: &'static str,
        failure: &'static str,
        detail: String,
    },
    #[error("TLS failed with {endpoint}: {detail}")]
    #[diagnostic(
        code(halo_audit::fetch::tls),
        help(
            "check that the URL's host and port serve https; certificates are always verified against this system's trust store, so if a TLS-inspecting proxy sits in between, add its CA to the system store (verification cannot be turned off)"
        )
    )]
    Tls { endpoint: String, detail: String },
    #[error("{endpoint} did not answer in time: {detail}")]
    #[diagnostic(
        code(halo_audit::fetch::timeout),
        help("raise --timeout, or try again when the instance is less busy")
    )]
    Timeout { endpoint: String, detail: String },
    #[error("the connection to {endpoint} was closed before the answer was complete: {detail}")]
    #[diagnostic(
        code(halo_audit::fetch::dropped),
        help(
            "a proxy or the instance cut the response; try again, or lower --concurrency. No snapshot was written"
        )
    )]
    Dropped { endpoint: String, detail: String },
    #[error("network error talking to {endpoint}: {detail}")]
    #[diagnostic(
        code(halo_audit::fetch::network),
        help("check connectivity to the instance")
    )]
    Network { endpoint: String, detail: String },
    #[error("Halo rejected the client credentials (invalid_client){}", describe(description.as_deref()))]
    #[diagnostic(
        code(halo_audit::fetch::invalid_client),
        help(
            "check the client id `{client_id}` and the secret of the auditing application (Configuration > Integrations > HaloPSA API > View Applications); on hosted instances also check --tenant"
        )
    )]
    InvalidClient {
        client_id: String,
        description: Option<String>,
    },
    #[error("Halo refused the requested scope `{scope}` (invalid_scope){}", describe(description.as_deref()))]
    #[diagnostic(
        code(halo_audit::fetch::invalid_scope),
        help(
            "tick that permission on the auditing application (Integrations > HaloPSA API > the application > Permissions), or ask for what it has with --token-scope"
        )
    )]
    InvalidScope {
        scope: String,
        description: Option<String>,
    },
    #[error("the token endpoint refused the request (invalid_request){}", describe(description.as_deref()))]
    #[diagnostic(
        code(halo_audit::fetch::invalid_request),
        help(
            "hosted instances need the tenant name: pass --tenant (or HALO_TENANT) as shown in Configuration > Integrations > HaloPSA API > API Details"
        )
    )]
    InvalidRequest {
        tenant: Option<String>,
        description: Option<String>,
    },
    #[error("there is no token endpoint at {url} (HTTP 404)")]
    #[diagnostic(
        code(halo_audit::fetch::no_token_endpoint),
        help(
            "pass the Authorisation Server shown in Configuration > Integrations > HaloPSA API > API Details as --auth-url"
        )
    )]
    NoTokenEndpoint { url: String },
    #[error("the token endpoint {url} answered HTTP {status}{}{}", error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default(), describe(description.as_deref()))]
    #[diagnostic(
        code(halo_audit::fetch::token_refused),
        help("check --url/--auth-url, --tenant and the application's credentials")
    )]
    TokenRefused {
        url: String,
        status: u16,
        error: Option<String>,
        description: Option<String>,
    },
    #[error("the token endpoint {url} did not answer with a token: {detail}")]
    #[diagnostic(
        code(halo_audit::fetch::token_garbage),
        help(
            "--url (or --auth-url) may point at something that is not Halo's authorisation server; API Details in Halo shows both URLs"
        )
    )]
    TokenGarbage { url: String, detail: String },
    #[error("Halo rejected the token for {endpoint} even after a new one was issued (HTTP 401)")]
    #[diagnostic(
        code(halo_audit::fetch::unauthorized),
        help(
            "the application may be inactive, or await agent approval; check it in Integrations > HaloPSA API"
        )
    )]
    Unauthorized { endpoint: String },
    #[error("every endpoint answered 403 Forbidden: the auditing credential can read nothing")]
    #[diagnostic(
        code(halo_audit::fetch::forbidden),
        help(
            "the application needs the `{scope}` permission and must log in as an agent that can see agents, teams, roles and API applications (docs/fetching.md)"
        )
    )]
    ForbiddenEverywhere { scope: String },
    #[error(
        "still rate limited (HTTP 429) at {endpoint} after {attempts} attempts and {waited_secs} s of waiting"
    )]
    #[diagnostic(
        code(halo_audit::fetch::rate_limited),
        help(
            "other integrations are using the tenant's quota: lower --rate, run at a quieter hour, or allow more waiting with --max-retry-time. No snapshot was written"
        )
    )]
    RateLimited {
        endpoint: String,
        attempts: u32,
        waited_secs: u64,
    },
    #[error("Halo answered HTTP {status} to {endpoint}{}", describe(message.as_deref()))]
    #[diagnostic(
        code(halo_audit::fetch::server),
        help(
            "5xx answers were retried with back-off; if this persists, check Halo's status or try later. No snapshot was written"
        )
    )]
    Server {
        endpoint: String,
        status: u16,
        message: Option<String>,
    },
    #[error("{endpoint} redirected (HTTP {status}) to {location}")]
    #[diagnostic(
        code(halo_audit::fetch::redirect),
        help(
            "redirects are not followed, so credentials never leave the instance: pass the final https address as --url"
        )
    )]
    Redirect {
        endpoint: String,
        status: u16,
        location: String,
    },
    #[error("the answer to {endpoint} is not valid JSON: {detail}")]
    #[diagnostic(
        code(halo_audit::fetch::malformed),
        help(
            "a proxy may have cut or rewritten the response, or --url is not Halo; no snapshot was written"
        )
    )]
    Malformed { endpoint: String, detail: String },
    #[error("the answer to {endpoint} is larger than {limit_mib} MiB; reading stopped there")]
    #[diagnostic(
        code(halo_audit::fetch::too_large),
        help(
            "no Halo answer is this large: --url may point at something that is not Halo, or a proxy sent an endless stream. No snapshot was written"
        )
    )]
    TooLarge { endpoint: String, limit_mib: u64 },
    #[error(
        "{url} names the authorisation server {discovered}, on another host: the client secret is not sent there"
    )]
    #[diagnostic(
        code(halo_audit::fetch::foreign_auth_server),
        help(
            "if that really is your instance's authorisation server (API Details in Halo shows it), pass it as --auth-url"
        )
    )]
    ForeignAuthServer { url: String, discovered: String },
    #[error(
        "the configuration file's `instance.auth_url` ({auth_url}) is not on the instance's origin ({url}): the client secret is not sent there"
    )]
    #[diagnostic(
        code(halo_audit::fetch::config_auth_origin),
        help(
            "a configuration file may come from a repository and must not be able to send the secret elsewhere; if this authorisation server is genuine (API Details in Halo shows it), pass --auth-url {auth_url} or --allow-auth-origin {origin} on the command line"
        )
    )]
    ConfigAuthOrigin {
        auth_url: String,
        url: String,
        origin: String,
    },
    #[error("the answer to {endpoint} does not have the shape Halo's API documents: {detail}")]
    #[diagnostic(
        code(halo_audit::fetch::shape),
        help("this Halo version may differ from the one halo-audit knows; please report it")
    )]
    Shape { endpoint: String, detail: String },
}

fn describe(description: Option<&str>) -> String {
    description.map(|d| format!(": {d}")).unwrap_or_default()
}

impl FetchError {
    /// Settings problems are usage errors (2); everything else means the audit could not run (3).
    #[must_use]
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::BadUrl { .. }
                | Self::InsecureUrl { .. }
                | Self::NoSecret
                | Self::SecretFile { .. }
                | Self::NoUrl
                | Self::NoClientId
                | Self::ConfigAuthOrigin { .. }
                | Self::ConfigUrl { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised_and_plain_http_is_loopback_only() {
        assert_eq!(
            normalise_url("https://acme.halopsa.com/", "--url").unwrap(),
            "https://acme.halopsa.com"
        );
        assert_eq!(
            normalise_url("https://acme.halopsa.com/api/", "--url").unwrap(),
            "https://acme.halopsa.com"
        );
        assert_eq!(
            normalise_url("http://127.0.0.1:8080", "--url").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalise_url("http://[::1]:8080", "--url").unwrap(),
            "http://[::1]:8080"
        );
        assert!(matches!(
            normalise_url("http://acme.halopsa.com", "--url"),
            Err(FetchError::InsecureUrl { .. })
        ));
        assert!(matches!(
            normalise_url("acme.halopsa.com", "--url"),
            Err(FetchError::BadUrl { .. })
        ));
        assert!(matches!(
            normalise_url("ftp://acme", "--url"),
            Err(FetchError::BadUrl { .. })
        ));
        assert!(matches!(
            normalise_url("https://acme.halopsa.com/?tenant=x", "--url"),
            Err(FetchError::BadUrl { .. })
        ));
    }

    #[test]
    fn urls_with_a_user_or_password_are_refused_without_showing_them() {
        for (url, flag) in [
            ("https://user:pw-secret@acme.halopsa.com", "--url"),
            ("https://user@acme.halopsa.com/", "--url"),
            ("https://:pw-secret@acme.halopsa.com", "--auth-url"),
            ("http://u:pw-secret@127.0.0.1:8080/auth", "--auth-url"),
            ("https://u:pw-secret@acme.halopsa.com/?tenant=x", "--url"),
        ] {
            let error = normalise_url(url, flag).unwrap_err();
            let text = format!("{error} {error:?}");
            assert!(!text.contains("pw-secret"), "{text}");
            assert!(matches!(error, FetchError::BadUrl { .. }), "{url}");
            assert!(error.is_usage());
            assert!(text.contains("***@"), "{text}");
        }
        assert_eq!(mask_userinfo("not a url"), "not a url");
        assert_eq!(mask_userinfo("https://a:b@h/x@y"), "https://***@h/x@y");
    }

    #[test]
    fn credentials_go_only_to_the_same_origin() {
        assert!(same_origin(
            "https://acme.halopsa.com/auth",
            "https://acme.halopsa.com"
        ));
        assert!(same_origin(
            "http://127.0.0.1:8080/auth",
            "http://127.0.0.1:8080"
        ));
        assert!(!same_origin(
            "http://127.0.0.1:8081/auth",
            "http://127.0.0.1:8080"
        ));
        assert!(!same_origin(
            "http://acme.halopsa.com/auth",
            "https://acme.halopsa.com"
        ));
        assert!(!same_origin(
            "https://evil.example/auth",
            "https://acme.halopsa.com"
        ));
        assert!(!same_origin("not a url", "https://acme.halopsa.com"));
    }

    #[test]
    fn what_a_server_says_is_scrubbed_of_the_secret() {
        let secret = SecretString::from("hunter2-very-secret".to_owned());
        let r = redact::Redactor::new("id", &secret);
        assert_eq!(
            r.scrub("bad client_secret=hunter2-very-secret&x"),
            "bad client_secret=<redacted>&x"
        );
    }

    #[test]
    fn debug_of_settings_never_shows_the_secret() {
        let s = Settings::new(
            "https://acme.halopsa.com",
            "id".into(),
            SecretString::from("hunter2-very-secret".to_owned()),
        )
        .unwrap();
        let text = format!("{s:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("REDACTED"), "{text}");
    }
}
