//! Source drift: are the vendor documents a requirement set was transcribed from still saying
//! what the set quotes? (`halo-audit rules sources`)
//!
//! Owns: reading each source page (fetched over HTTPS, or a saved copy the user points at),
//! normalising it to words, and reporting per set the pages that moved (a redirect) or vanished
//! (404/410), the quotes no longer found, and the age of each retrieval. It never follows a
//! redirect and never sends anything but a plain GET; pages are read only when asked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// Per-request timeout.
    pub timeout: Duration,
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
            .map(|url| (url.clone(), read_saved(dir, url)))
            .collect(),
        None => fetch_all(&urls, options.timeout),
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
                url: doc.url.clone(),
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
                searched: read.iter().map(|(url, _)| (*url).to_owned()).collect(),
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

fn read_saved(dir: &Path, url: &str) -> (PageState, Option<String>) {
    let stem = saved_name(url);
    for ext in ["html", "htm", "md", "txt"] {
        let path = dir.join(format!("{stem}.{ext}"));
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            return (
                PageState::Unread {
                    reason: format!("{} is not a regular file", path.display()),
                },
                None,
            );
        }
        return match read_capped(&path) {
            Ok(bytes) => (
                PageState::Read {
                    from: path.display().to_string(),
                },
                Some(normalise(&String::from_utf8_lossy(&bytes))),
            ),
            Err(e) => (
                PageState::Unread {
                    reason: format!("cannot read {}: {e}", path.display()),
                },
                None,
            ),
        };
    }
    (
        PageState::Unread {
            reason: format!("no saved copy ({stem}.html in {})", dir.display()),
        },
        None,
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

/// Fetches every page (plain GET, redirects not followed, bodies capped), a few at a time.
fn fetch_all(
    urls: &BTreeSet<String>,
    timeout: Duration,
) -> BTreeMap<String, (PageState, Option<String>)> {
    let unread = |reason: String| (PageState::Unread { reason }, None);
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
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(15)))
        .user_agent(concat!(
            "halo-audit/",
            env!("CARGO_PKG_VERSION"),
            " (rules sources)"
        ))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            return urls
                .iter()
                .map(|u| (u.clone(), unread(format!("cannot set up HTTPS: {e}"))))
                .collect();
        }
    };
    runtime.block_on(async {
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for url in urls {
            let (client, slots, url) = (client.clone(), std::sync::Arc::clone(&slots), url.clone());
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let page = fetch_one(&client, &url).await;
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

async fn fetch_one(client: &reqwest::Client, url: &str) -> (PageState, Option<String>) {
    let unread = |reason: String| (PageState::Unread { reason }, None);
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return unread("not a URL".to_owned());
    };
    let loopback = parsed.host_str().is_some_and(|h| {
        h == "localhost"
            || h.trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return unread(
                "plain http is not fetched (only https, or http on this machine)".to_owned(),
            );
        }
        other => return unread(format!("scheme `{other}` is not fetched")),
    }
    let mut response = match client.get(parsed).send().await {
        Ok(r) => r,
        Err(e) => {
            let reason = if e.is_timeout() {
                "timed out".to_owned()
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                "the request failed".to_owned()
            };
            return unread(reason);
        }
    };
    let status = response.status();
    if status.is_redirection() {
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| {
                response
                    .url()
                    .join(l)
                    .map_or_else(|_| shown_owned(l), |u| shown_owned(u.as_str()))
            })
            .unwrap_or_else(|| "(no Location)".to_owned());
        return (
            PageState::Moved {
                status: status.as_u16(),
                to,
            },
            None,
        );
    }
    if matches!(status.as_u16(), 404 | 410) {
        return (
            PageState::Vanished {
                status: status.as_u16(),
            },
            None,
        );
    }
    if !status.is_success() {
        return unread(format!("HTTP {}", status.as_u16()));
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
            Err(_) => return unread("the answer broke off".to_owned()),
        }
    }
    (
        PageState::Read {
            from: "fetched".to_owned(),
        },
        Some(normalise(&String::from_utf8_lossy(&body))),
    )
}

/// A page or a quote as comparable words: markup and scripts dropped, entities decoded, table and
/// emphasis punctuation removed, typographic quotes straightened, white space collapsed, lower case.
#[must_use]
pub fn normalise(text: &str) -> String {
    let without_blocks = drop_blocks(text);
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
    let decoded = decode_entities(&plain);
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
    out
}

/// The text without `<script>`, `<style>` and `<!-- -->` blocks.
fn drop_blocks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let next = [
            ("<script", "</script>"),
            ("<style", "</style>"),
            ("<!--", "-->"),
        ]
        .iter()
        .filter_map(|(open, close)| lower.find(open).map(|at| (at, *close)))
        .min_by_key(|(at, _)| *at);
        match next {
            None => {
                out.push_str(rest);
                return out;
            }
            Some((at, close)) => {
                out.push_str(&rest[..at]);
                match lower[at..].find(close) {
                    Some(end) => rest = &rest[at + end + close.len()..],
                    None => return out,
                }
            }
        }
    }
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|e| *e <= 10);
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
        let _ = writeln!(out, "{} ({}): {verdict}", set.id, shown(&set.title));
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
                PageState::Read { from } => format!("read from {from}"),
                PageState::Moved { status, to } => format!("MOVED ({status}) to {to}"),
                PageState::Vanished { status } => format!("VANISHED ({status})"),
                PageState::Unread { reason } => {
                    let hint = options.saved.as_ref().map_or_else(String::new, |_| {
                        format!("; save it as {}.html", saved_name(&s.url))
                    });
                    format!("not read: {reason}{hint}")
                }
            };
            let _ = writeln!(
                out,
                "  source {} (retrieved {}{age}){stale}: {state}",
                shown(&s.url),
                s.retrieved
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
                m.requirement, m.quote
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
}
