//! Source drift: are the vendor documents a requirement set was transcribed from still saying
//! what the set quotes? (`halo-audit rules sources`)
//!
//! Owns: reading each source page (fetched over HTTPS, or a saved copy the user points at),
//! normalising it to words, and reporting per set the pages that moved (a redirect) or vanished
//! (404/410), the quotes no longer found, and the age of each retrieval. It never follows a
//! redirect and never sends anything but a plain GET; pages are read only when asked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::ruleset::RuleSet;
use crate::text::{shown, shown_owned};

/// At most this much of a page is read.
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
/// Pages fetched at once.
const CONCURRENCY: usize = 4;

/// How `rules sources` reads pages.
#[derive(Debug, Clone)]
pub struct Options {
    /// Read saved copies from this directory instead of fetching (file names: [`saved_name`]).
    pub saved: Option<PathBuf>,
    /// Bounds each page's whole read (resolution, connection, answer, body) and scan.
    pub timeout: Duration,
    /// Also fetch plain `http` from this machine (`127.0.0.1`, `[::1]`, `localhost`).
    pub allow_http_loopback: bool,
    /// A retrieval older than this many days is reported as stale.
    pub max_age_days: i64,
    /// Today, for ages.
    pub today: jiff::civil::Date,
}

/// What became of one source page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PageState {
    /// Read (fetched, or from a saved copy).
    Read { from: String },
    /// The server redirects elsewhere: the page moved.
    Moved { status: u16, to: String },
    /// 404 or 410: the page is gone.
    Vanished { status: u16 },
    /// Could not be read (an error status, a network failure, no saved copy).
    Unread { reason: String },
}

/// One source of a set.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub url: String,
    pub retrieved: String,
    /// Days since `retrieved`.
    pub age_days: Option<i64>,
    pub stale: bool,
    #[serde(flatten)]
    pub state: PageState,
}

/// A quote of a requirement not found on its page.
#[derive(Debug, Clone, Serialize)]
pub struct MissingQuote {
    pub requirement: String,
    pub quote: String,
    /// The pages searched.
    pub searched: Vec<String>,
}

/// One set's drift.
#[derive(Debug, Clone, Serialize)]
pub struct SetReport {
    pub id: String,
    pub title: String,
    pub sources: Vec<SourceReport>,
    /// Quotes checked against at least one page that was read.
    pub quotes_checked: usize,
    /// Quotes whose page could not be read.
    pub quotes_unchecked: usize,
    pub missing: Vec<MissingQuote>,
}

impl SetReport {
    /// True when something changed: a page moved or vanished, a quote is gone, a retrieval is
    /// stale.
    #[must_use]
    pub fn drifted(&self) -> bool {
        !self.missing.is_empty()
            || self.sources.iter().any(|s| {
                s.stale
                    || matches!(
                        s.state,
                        PageState::Moved { .. } | PageState::Vanished { .. }
                    )
            })
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub kind: &'static str,
    pub sets: Vec<SetReport>,
}

impl Report {
    /// Sets with drift.
    #[must_use]
    pub fn drifted(&self) -> usize {
        self.sets.iter().filter(|s| s.drifted()).count()
    }

    /// True when no page at all could be read.
    #[must_use]
    pub fn nothing_read(&self) -> bool {
        self.sets
            .iter()
            .flat_map(|s| &s.sources)
            .all(|s| !matches!(s.state, PageState::Read { .. }))
    }
}

/// The file name a saved copy of `url` is looked up under (then with `.html`, `.htm`, `.md` or
/// `.txt`): the URL without its scheme, lower case, every run of other characters than letters and
/// digits as one `-`.
#[must_use]
pub fn saved_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let mut out = String::with_capacity(rest.len());
    for c in rest.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Checks the sets' sources.
#[must_use]
pub fn check(sets: &[&RuleSet], options: &Options) -> Report {
    let urls: BTreeSet<String> = sets
        .iter()
        .flat_map(|s| s.sources.iter().map(|d| d.url.clone()))
        .collect();
    let pages: BTreeMap<String, (PageState, Option<String>)> = match &options.saved {
        Some(dir) => urls
            .iter()
            .map(|url| (url.clone(), read_saved(dir, url, options.timeout)))
            .collect(),
        None => fetch_all(&urls, options),
    };
    let sets = sets
        .iter()
        .map(|set| set_report(set, &pages, options))
        .collect();
    Report {
        version: 1,
        kind: "rule-sources",
        sets,
    }
}

fn set_report(
    set: &RuleSet,
    pages: &BTreeMap<String, (PageState, Option<String>)>,
    options: &Options,
) -> SetReport {
    let sources = set
        .sources
        .iter()
        .map(|doc| {
            let age_days = doc
                .retrieved
                .parse::<jiff::civil::Date>()
                .ok()
                .and_then(|d| options.today.since(d).ok())
                .map(|span| i64::from(span.get_days()));
            // A page listed once per retrieval is stale only when its latest retrieval is.
            let latest = set
                .sources
                .iter()
                .filter(|d| d.url == doc.url)
                .filter_map(|d| d.retrieved.parse::<jiff::civil::Date>().ok())
                .max()
                .and_then(|d| options.today.since(d).ok())
                .map(|span| i64::from(span.get_days()));
            SourceReport {
                url: without_userinfo(&doc.url),
                retrieved: doc.retrieved.clone(),
                age_days,
                stale: latest.is_some_and(|a| a > options.max_age_days),
                state: pages.get(&doc.url).map_or_else(
                    || PageState::Unread {
                        reason: "not read".to_owned(),
                    },
                    |(state, _)| state.clone(),
                ),
            }
        })
        .collect();
    let text_of = |url: &str| pages.get(url).and_then(|(_, text)| text.as_deref());
    let mut missing = Vec::new();
    let (mut checked, mut unchecked) = (0, 0);
    for r in &set.requirements {
        let quote = r.quote.trim();
        if quote.is_empty() {
            continue;
        }
        let candidates: Vec<&str> = match &r.source_url {
            Some(url) => vec![url.as_str()],
            None => set.sources.iter().map(|d| d.url.as_str()).collect(),
        };
        let read: Vec<(&str, &str)> = candidates
            .iter()
            .filter_map(|url| text_of(url).map(|t| (*url, t)))
            .collect();
        if read.is_empty() {
            unchecked += 1;
            continue;
        }
        checked += 1;
        if !read.iter().any(|(_, text)| quoted(text, quote)) {
            missing.push(MissingQuote {
                requirement: r.id.clone(),
                quote: quote.to_owned(),
                searched: read.iter().map(|(url, _)| without_userinfo(url)).collect(),
            });
        }
    }
    SetReport {
        id: set.id.clone(),
        title: set.title.clone(),
        sources,
        quotes_checked: checked,
        quotes_unchecked: unchecked,
        missing,
    }
}

/// Whether the normalised page holds the quote; a quote elided with `…` or `...` needs each part.
fn quoted(page: &str, quote: &str) -> bool {
    quote
        .split('…')
        .flat_map(|p| p.split("..."))
        .map(normalise)
        .filter(|p| !p.is_empty())
        .all(|part| page.contains(&part))
}

fn read_saved(dir: &Path, url: &str, timeout: Duration) -> (PageState, Option<String>) {
    if has_userinfo(url) {
        return unread(USERINFO.to_owned());
    }
    let deadline = Instant::now() + timeout;
    let stem = saved_name(url);
    for ext in ["html", "htm", "md", "txt"] {
        let path = dir.join(format!("{stem}.{ext}"));
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            return unread(format!("{} is not a regular file", path.display()));
        }
        return match read_capped(&path) {
            Ok(bytes) => match normalise_within(&String::from_utf8_lossy(&bytes), Some(deadline)) {
                Some(text) => (
                    PageState::Read {
                        from: path.display().to_string(),
                    },
                    Some(text),
                ),
                None => unread(timed_out(timeout)),
            },
            Err(e) => unread(format!("cannot read {}: {e}", path.display())),
        };
    }
    unread(format!("no saved copy ({stem}.html in {})", dir.display()))
}

fn unread(reason: String) -> (PageState, Option<String>) {
    (PageState::Unread { reason }, None)
}

fn timed_out(timeout: Duration) -> String {
    format!(
        "timed out: reading and scanning the page took longer than --timeout ({} s)",
        timeout.as_secs()
    )
}

fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_PAGE_BYTES as u64)
        .read_to_end(&mut out)?;
    Ok(out)
}

/// Why a URL holding a user name or password is not read.
const USERINFO: &str = "the URL holds a user name or password: it is never sent (nor shown); \
                        remove it from the rule file";

/// Whether `url` carries userinfo (`user:password@`).
fn has_userinfo(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| !u.username().is_empty() || u.password().is_some())
}

/// `url` as it may be shown: without the user name and password it may hold.
#[must_use]
pub fn without_userinfo(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// What an address is when it is not a public one (`None` for a public address).
#[must_use]
pub fn non_public(ip: std::net::IpAddr) -> Option<&'static str> {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                std::net::Ipv4Addr::new(a, b, c, d)
            };
            if v6.is_unspecified() {
                Some("an unspecified address")
            } else if v6.is_loopback() {
                Some("a loopback address")
            } else if let Some(v4) = v6.to_ipv4_mapped() {
                // ::ffff:a.b.c.d is the IPv4 address itself.
                non_public_v4(v4)
            } else if s[..6] == [0; 6] {
                Some("a deprecated IPv4-compatible IPv6 address")
            } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                // NAT64: the IPv4 address it stands for decides.
                non_public_v4(embedded(s[6], s[7]))
            } else if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
                Some("a private (local-use NAT64) address")
            } else if s[0] == 0x2002 {
                // 6to4: the IPv4 address it carries decides.
                non_public_v4(embedded(s[1], s[2]))
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                Some("a documentation address")
            } else if s[0] == 0x2001 && s[1] < 0x0200 {
                Some("an IETF protocol assignment (Teredo and others)")
            } else if s[0] & 0xfe00 == 0xfc00 {
                Some("a private (unique local) address")
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some("a link-local address")
            } else if s[0] & 0xffc0 == 0xfec0 {
                Some("a private (site-local) address")
            } else if s[0] & 0xff00 == 0xff00 {
                Some("a multicast address")
            } else if s[0] & 0xe000 != 0x2000 {
                Some("a reserved address")
            } else {
                None
            }
        }
    }
}

fn non_public_v4(ip: std::net::Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, ..) => Some("an unspecified (\"this network\") address"),
        (127, ..) => Some("a loopback address"),
        (10, ..) | (192, 168, _) => Some("a private address"),
        (172, b, _) if b & 0xf0 == 16 => Some("a private address"),
        (100, b, _) if b & 0xc0 == 64 => Some("a shared (carrier-grade NAT) address"),
        (169, 254, _) => Some("a link-local address (where cloud metadata services answer)"),
        (192, 0, 0) => Some("an IETF protocol assignment"),
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Some("a documentation address"),
        (198, b, _) if b & 0xfe == 18 => Some("a benchmarking address"),
        (a, ..) if a & 0xf0 == 224 => Some("a multicast address"),
        (a, ..) if a >= 240 => Some("a reserved or broadcast address"),
        _ => None,
    }
}

/// The host exactly as `url` writes it (brackets kept for IPv6), before any parsing.
fn written_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#', '\\']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        host_port.find(']').map(|end| &host_port[..=end])
    } else {
        host_port.split(':').next()
    }
}

/// The address a URL names, when it names one rather than a host name.
fn host_ip(url: &reqwest::Url) -> Option<std::net::IpAddr> {
    let host = url.host_str()?;
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().ok().map(Into::into),
        None => host.parse::<std::net::Ipv4Addr>().ok().map(Into::into),
    }
}

/// How a page may be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// https, to public addresses only.
    Https,
    /// http, to this machine only (with --allow-http-loopback).
    HttpLoopback,
}

impl Scheme {
    /// Why `ip` may not be fetched from with this scheme (`None`: it may).
    fn refuses(self, ip: std::net::IpAddr) -> Option<String> {
        match (self, non_public(ip)) {
            (Self::Https, None) => None,
            (Self::Https, Some(what)) => Some(format!(
                "{what}: pages are fetched only from public addresses"
            )),
            (Self::HttpLoopback, _) if ip.is_loopback() => None,
            (Self::HttpLoopback, what) => Some(format!(
                "{}: plain http is fetched only from this machine (loopback)",
                what.unwrap_or("a public address")
            )),
        }
    }
}

/// The URL parsed and checked before anything is resolved or sent: no userinfo, https (or http
/// to loopback when allowed), an address written in its usual form, an address literal that may
/// be fetched from. Else why not.
fn fetchable(url: &str, allow_http_loopback: bool) -> Result<(reqwest::Url, Scheme), String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "not a URL".to_owned())?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(USERINFO.to_owned());
    }
    let scheme = match parsed.scheme() {
        "https" => Scheme::Https,
        "http" if allow_http_loopback => Scheme::HttpLoopback,
        "http" => {
            return Err(
                "plain http is not fetched (only https; http from this machine with \
                        --allow-http-loopback)"
                    .to_owned(),
            );
        }
        other => return Err(format!("scheme `{other}` is not fetched (only https)")),
    };
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("the URL names no host".to_owned());
    }
    if let Some(ip) = host_ip(&parsed) {
        let written = written_host(url).unwrap_or_default();
        let usual = parsed.host_str().unwrap_or_default();
        if !written.eq_ignore_ascii_case(usual) {
            return Err(format!(
                "the host `{}` is an unusual spelling of the address {usual}: write the address \
                 in its usual form",
                shown(written)
            ));
        }
        if let Some(why) = scheme.refuses(ip) {
            return Err(format!("{ip} is {why}"));
        }
    }
    Ok((parsed, scheme))
}

/// Fetches every page (plain GET, redirects not followed, bodies capped), a few at a time.
fn fetch_all(
    urls: &BTreeSet<String>,
    options: &Options,
) -> BTreeMap<String, (PageState, Option<String>)> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return urls
                .iter()
                .map(|u| (u.clone(), unread(format!("cannot start: {e}"))))
                .collect();
        }
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (timeout, allow_http_loopback) = (options.timeout, options.allow_http_loopback);
    runtime.block_on(async {
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for url in urls {
            let (slots, url) = (std::sync::Arc::clone(&slots), url.clone());
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let page = fetch_one(&url, timeout, allow_http_loopback).await;
                (url, page)
            });
        }
        let mut out = BTreeMap::new();
        while let Some(done) = tasks.join_next().await {
            if let Ok((url, page)) = done {
                out.insert(url, page);
            }
        }
        out
    })
}

/// One page read and scanned within `timeout`, all of it: resolution, connection, answer, body
/// and scan.
async fn fetch_one(
    url: &str,
    timeout: Duration,
    allow_http_loopback: bool,
) -> (PageState, Option<String>) {
    let deadline = tokio::time::Instant::now() + timeout;
    let body = match tokio::time::timeout_at(deadline, read_page(url, timeout, allow_http_loopback))
        .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(state)) => return (state, None),
        Err(_) => return unread(timed_out(timeout)),
    };
    let scan_deadline = deadline.into_std();
    // The scan runs beside the runtime, so that a large page does not hold up the others.
    let scanned = tokio::task::spawn_blocking(move || {
        normalise_within(&String::from_utf8_lossy(&body), Some(scan_deadline))
    })
    .await;
    match scanned {
        Ok(Some(text)) => (
            PageState::Read {
                from: "fetched".to_owned(),
            },
            Some(text),
        ),
        Ok(None) => unread(timed_out(timeout)),
        Err(_) => unread("the page could not be scanned".to_owned()),
    }
}

/// The body of the page at `url`, or what became of it.
async fn read_page(
    url: &str,
    timeout: Duration,
    allow_http_loopback: bool,
) -> Result<Vec<u8>, PageState> {
    let refused = |reason: String| PageState::Unread { reason };
    let (parsed, scheme) = fetchable(url, allow_http_loopback).map_err(refused)?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(15)))
        .user_agent(concat!(
            "halo-audit/",
            env!("CARGO_PKG_VERSION"),
            " (rules sources)"
        ));
    if let (None, Some(name)) = (host_ip(&parsed), parsed.host_str()) {
        // Resolved here, every address checked, and the connection pinned to them: a name that
        // resolves (or re-resolves) to a private address is never reached.
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| refused(format!("the host `{}` does not resolve", shown(name))))?
            .collect();
        if addrs.is_empty() {
            return Err(refused(format!(
                "the host `{}` does not resolve",
                shown(name)
            )));
        }
        if let Some((ip, why)) = addrs
            .iter()
            .find_map(|a| scheme.refuses(a.ip()).map(|why| (a.ip(), why)))
        {
            return Err(refused(format!(
                "the host `{}` resolves to {ip}, {why}",
                shown(name)
            )));
        }
        builder = builder.resolve_to_addrs(name, &addrs);
    }
    let client = builder
        .build()
        .map_err(|e| refused(format!("cannot set up HTTPS: {e}")))?;
    let mut response = client.get(parsed).send().await.map_err(|e| {
        refused(if e.is_timeout() {
            timed_out(timeout)
        } else if e.is_connect() {
            "could not connect".to_owned()
        } else {
            "the request failed".to_owned()
        })
    })?;
    let status = response.status();
    if status.is_redirection() {
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| {
                response.url().join(l).map_or_else(
                    |_| shown_owned(l),
                    |u| shown_owned(&without_userinfo(u.as_str())),
                )
            })
            .unwrap_or_else(|| "(no Location)".to_owned());
        return Err(PageState::Moved {
            status: status.as_u16(),
            to,
        });
    }
    if matches!(status.as_u16(), 404 | 410) {
        return Err(PageState::Vanished {
            status: status.as_u16(),
        });
    }
    if !status.is_success() {
        return Err(refused(format!("HTTP {}", status.as_u16())));
    }
    let mut body: Vec<u8> = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_PAGE_BYTES.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= MAX_PAGE_BYTES {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => return Err(refused(timed_out(timeout))),
            Err(_) => return Err(refused("the answer broke off".to_owned())),
        }
    }
    Ok(body)
}

/// A page or a quote as comparable words: markup and scripts dropped, entities decoded, table and
/// emphasis punctuation removed, typographic quotes straightened, white space collapsed, lower case.
#[must_use]
pub fn normalise(text: &str) -> String {
    normalise_within(text, None).unwrap_or_default()
}

/// [`normalise`], or `None` once `deadline` has passed. Every step is linear in the text, so the
/// deadline is looked at between steps.
fn normalise_within(text: &str, deadline: Option<Instant>) -> Option<String> {
    let late = || deadline.is_some_and(|d| Instant::now() >= d);
    let without_blocks = drop_blocks(text);
    if late() {
        return None;
    }
    let mut plain = String::with_capacity(without_blocks.len());
    let mut in_tag = false;
    for c in without_blocks.chars() {
        match c {
            '<' if !in_tag => {
                in_tag = true;
                plain.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            _ => plain.push(c),
        }
    }
    drop(without_blocks);
    if late() {
        return None;
    }
    let decoded = decode_entities(&plain);
    drop(plain);
    if late() {
        return None;
    }
    let mut out = String::with_capacity(decoded.len());
    let mut space = false;
    for c in decoded.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{2032}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2013}' | '\u{2014}' => '-',
            '\u{a0}' => ' ',
            c => c,
        };
        if c.is_whitespace() || matches!(c, '|' | '*' | '`') {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    (!late()).then_some(out)
}

/// The text without `<script>`, `<style>` and `<!-- -->` blocks (an unclosed one runs to the
/// end). One pass: every search starts where the last one ended.
fn drop_blocks(text: &str) -> String {
    const BLOCKS: [(&str, &str); 3] = [
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<!--", "-->"),
    ];
    // ASCII lower case keeps every byte where it was, so offsets in `lower` are offsets in `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut from) = (0, 0);
    while let Some(found) = lower[from..].find('<') {
        let at = from + found;
        let Some((_, close)) = BLOCKS
            .iter()
            .find(|(open, _)| lower[at..].starts_with(open))
        else {
            from = at + 1;
            continue;
        };
        out.push_str(&text[copied..at]);
        match lower[at..].find(close) {
            Some(end) => {
                copied = at + end + close.len();
                from = copied;
            }
            None => return out,
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        // An entity is short: look for its `;` among the next few bytes only.
        let end = tail.bytes().take(11).position(|b| b == b';');
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                "rsquo" | "lsquo" => Some('\''),
                "rdquo" | "ldquo" => Some('"'),
                "ndash" | "mdash" => Some('-'),
                "hellip" => Some('…'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The report as JSON (pretty, trailing newline). Page text and quotes are untrusted: every
/// character the human output escapes (C0 and C1 controls, bidirectional overrides and isolates,
/// invisible format characters) is written as a JSON `\uXXXX` escape, and the markers of CI
/// workflow commands (`::`, `##[`) are broken the same way (`:\u003a`, `##\u005b`): the document
/// reads back to the same values, and printing it drives no terminal or CI log.
#[must_use]
pub fn render_json(report: &Report) -> String {
    crate::text::json_document(report)
}

/// The human report.
#[must_use]
pub fn render(report: &Report, options: &Options) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for set in &report.sets {
        let read = set
            .sources
            .iter()
            .any(|s| matches!(s.state, PageState::Read { .. }));
        let verdict = if set.drifted() {
            "drifted"
        } else if !read {
            "not checked (no page could be read)"
        } else if set.quotes_unchecked > 0
            || set
                .sources
                .iter()
                .any(|s| matches!(s.state, PageState::Unread { .. }))
        {
            "current where read (some pages could not be read)"
        } else {
            "current"
        };
        let _ = writeln!(out, "{} ({}): {verdict}", shown(&set.id), shown(&set.title));
        for s in &set.sources {
            let age = s
                .age_days
                .map_or_else(String::new, |d| format!(", {d} days ago"));
            let stale = if s.stale {
                format!(" (older than {} days: re-read it)", options.max_age_days)
            } else {
                String::new()
            };
            let state = match &s.state {
                PageState::Read { from } if from == "fetched" => "read".to_owned(),
                PageState::Read { from } => format!("read from {}", shown(from)),
                PageState::Moved { status, to } => format!("MOVED ({status}) to {to}"),
                PageState::Vanished { status } => format!("VANISHED ({status})"),
                PageState::Unread { reason } => {
                    let hint = options.saved.as_ref().map_or_else(String::new, |_| {
                        format!("; save it as {}.html", shown(&saved_name(&s.url)))
                    });
                    format!("not read: {}{hint}", shown(reason))
                }
            };
            let _ = writeln!(
                out,
                "  source {} (retrieved {}{age}){stale}: {state}",
                shown(&s.url),
                shown(&s.retrieved)
            );
        }
        let _ = write!(
            out,
            "  quotes: {} checked, {} not found",
            set.quotes_checked,
            set.missing.len()
        );
        if set.quotes_unchecked > 0 {
            let _ = write!(
                out,
                ", {} not checked (page not read)",
                set.quotes_unchecked
            );
        }
        out.push('\n');
        for m in &set.missing {
            let _ = writeln!(
                out,
                "    {}: \"{}\" no longer on the page",
                shown(&m.requirement),
                shown(&m.quote)
            );
        }
    }
    let unchecked = report
        .sets
        .iter()
        .filter(|s| {
            !s.drifted()
                && !s
                    .sources
                    .iter()
                    .any(|src| matches!(src.state, PageState::Read { .. }))
        })
        .count();
    let _ = write!(
        out,
        "{} of {} sets drifted",
        report.drifted(),
        report.sets.len()
    );
    if unchecked > 0 {
        let _ = write!(out, "; {unchecked} not checked (no page read)");
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_quotes_normalise_to_the_same_words() {
        let page = "<html><style>td{}</style><table><tr><td>Invoices Access Level</td><td>Read, Create &amp; Modify</td></tr></table><script>var x='Can delete';</script><p>Can&nbsp;add new Tickets &ndash; Yes</p>";
        let page = normalise(page);
        assert!(quoted(
            &page,
            "| Invoices Access Level | Read, Create & Modify |"
        ));
        assert!(quoted(&page, "Can add new Tickets - Yes"));
        assert!(!quoted(&page, "Can delete"), "scripts are not page text");
        assert!(quoted(&page, "Invoices Access Level … Modify"));
        assert!(!quoted(&page, "Invoices Access Level: Read Only"));
        assert_eq!(normalise("Can’t  *really*"), "can't really");
    }

    #[test]
    fn saved_copies_are_named_by_the_url() {
        assert_eq!(
            saved_name("https://docs.cipp.app/user-documentation/cipp/integrations/halopsa"),
            "docs-cipp-app-user-documentation-cipp-integrations-halopsa"
        );
        assert_eq!(saved_name("https://x.example/a?b=c#d"), "x-example-a-b-c-d");
    }

    #[test]
    fn blocks_are_dropped_in_one_pass() {
        // 160,000 of each block: a scan that looked at the rest of the page per block would not
        // finish.
        let mut page = String::from("Keep <B>this</B>");
        for i in 0..160_000 {
            page.push_str(match i % 3 {
                0 => "<!-- a comment -->",
                1 => "<SCRIPT type=x>var drop = 1;</Script>",
                _ => "<style>.drop{}</STYLE>",
            });
            page.push_str("&amp");
        }
        page.push_str(" and &lt;this&gt;<script>never closed");
        let text = normalise(&page);
        assert!(text.starts_with("keep this &amp&amp"), "{}", &text[..40]);
        assert!(
            text.ends_with("&amp and <this>"),
            "{}",
            &text[text.len() - 40..]
        );
        assert!(!text.contains("drop") && !text.contains("comment"));
        assert_eq!(normalise("a<!---->b<!-- x -->c<style>d"), "abc");
    }

    #[test]
    fn a_late_scan_gives_up() {
        let past = Instant::now().checked_sub(Duration::from_millis(1));
        assert_eq!(normalise_within("<p>text</p>", past), None);
        assert_eq!(
            normalise_within("<p>text</p>", None).as_deref(),
            Some("text")
        );
    }

    #[test]
    fn only_public_addresses_are_public() {
        for (ip, what) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "carrier-grade"),
            ("0.0.0.0", "unspecified"),
            ("255.255.255.255", "broadcast"),
            ("224.0.0.1", "multicast"),
            ("192.0.2.7", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("64:ff9b::a00:1", "private"),
            ("2002:a00:1::", "private"),
            ("fd00::1", "unique local"),
            ("fe80::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("2001::1", "Teredo"),
            ("4000::1", "reserved"),
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let found = non_public(ip).unwrap_or("public");
            assert!(found.contains(what), "{ip}: {found}");
        }
        for ip in [
            "93.184.215.14",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1",
            "::ffff:93.184.215.14",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            assert_eq!(non_public(ip), None, "{ip}");
        }
    }

    #[test]
    fn urls_are_refused_before_anything_is_sent() {
        let refused = |url: &str, allow: bool| fetchable(url, allow).err().unwrap_or_default();
        assert!(refused("http://127.0.0.1:8/", false).contains("--allow-http-loopback"));
        assert_eq!(refused("http://127.0.0.1:8/", true), "");
        assert_eq!(refused("http://[::1]:8/", true), "");
        assert_eq!(refused("https://docs.example/a", false), "");
        assert!(refused("http://127.1:8/", true).contains("unusual spelling"));
        assert!(refused("https://2130706433/", true).contains("unusual spelling"));
        assert!(refused("https://0x7f.0.0.1/", true).contains("unusual spelling"));
        assert!(refused("https://[::ffff:127.0.0.1]/", true).contains("unusual spelling"));
        assert!(refused("https://[::ffff:7f00:1]/", true).contains("loopback"));
        assert!(refused("https://169.254.169.254/", true).contains("link-local"));
        assert!(refused("https://127.0.0.1/", true).contains("only from public"));
        assert!(refused("http://10.0.0.1/", true).contains("only from this machine"));
        assert!(refused("http://93.184.215.14/", true).contains("only from this machine"));
        assert!(refused("ftp://docs.example/", true).contains("scheme `ftp`"));
        let userinfo = refused("https://someone:hunter2@docs.example/", true);
        assert!(userinfo.contains("user name or password"));
        assert!(!userinfo.contains("hunter2"));
        assert_eq!(
            without_userinfo("https://someone:hunter2@docs.example/a"),
            "https://docs.example/a"
        );
        assert_eq!(written_host("https://u:p@[::1]:44/x"), Some("[::1]"));
        assert_eq!(written_host("http://127.1:8?x"), Some("127.1"));
    }
}
