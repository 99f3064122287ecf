//! `rules sources` against a local server: a page that still says what the set quotes, one whose
//! wording changed, one that moved and one that vanished; and the same from saved copies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Serves four pages on 127.0.0.1 until the test ends (bounded: at most 64 connections).
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let (status, extra, body) = match path.as_str() {
                "/ok" => (
                    "200 OK",
                    "",
                    "<html><body><table><tr><td>Tickets Access Level</td><td>Read &amp; Modify</td></tr></table><p>Grant the read:tickets scope.</p></body></html>",
                ),
                "/changed" => (
                    "200 OK",
                    "",
                    "<html><body><p>Clients Access Level: Read Only</p></body></html>",
                ),
                "/moved" => ("301 Moved Permanently", "Location: /new-home\r\n", ""),
                _ => ("404 Not Found", "", "gone"),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\n{extra}Content-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

fn set(base: &str) -> String {
    format!(
        r#"# yaml-language-server: $schema=https://example.invalid/rules.schema.json
id: drifty
title: Drifty integration
sources:
  - {{url: "{base}/ok", retrieved: 2026-11-24}}
  - {{url: "{base}/changed", retrieved: 2020-01-01}}
  - {{url: "{base}/moved", retrieved: 2026-11-24}}
  - {{url: "{base}/gone", retrieved: 2026-11-24}}
binding: {{application_name: ["Drifty*"]}}
requirements:
  - {{id: drifty.tickets, title: t, permission: Tickets, expect: Read and Modify, source: {{url: "{base}/ok", quote: "| Tickets Access Level | Read & Modify |"}}}}
  - {{id: drifty.scope, title: t, permission: "scope:read:tickets", expect: yes, source: {{url: "{base}/ok", quote: "Grant the read:tickets scope."}}}}
  - {{id: drifty.clients, title: t, permission: Customers, expect: Read and Modify, source: {{url: "{base}/changed", quote: "Clients Access Level: Read and Modify"}}}}
  - {{id: drifty.assets, title: t, permission: Assets, expect: Read Only, source: {{url: "{base}/gone", quote: "Assets: Read Only"}}}}
"#
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn changed_quotes_moved_and_vanished_pages_are_reported() {
    let base = serve();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("drifty.yaml"), set(&base)).unwrap();
    let rules = dir.path().to_string_lossy().into_owned();
    let (code, stdout, stderr) = run(&[
        "rules",
        "sources",
        "drifty",
        "--rules",
        &rules,
        "--format",
        "json",
        "--allow-http-loopback",
    ]);
    assert_eq!(code, 1, "drift is exit 1: {stdout}{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let drifty = &report["sets"][0];
    let state = |url: &str| {
        drifty["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["url"] == format!("{base}{url}"))
            .unwrap()
            .clone()
    };
    assert_eq!(state("/ok")["state"], "read");
    assert_eq!(state("/ok")["stale"], false);
    assert_eq!(state("/changed")["stale"], true, "retrieved in 2020");
    assert_eq!(state("/moved")["state"], "moved");
    assert_eq!(state("/moved")["to"], format!("{base}/new-home"));
    assert_eq!(state("/gone")["state"], "vanished");
    assert_eq!(state("/gone")["status"], 404);
    let missing: Vec<&str> = drifty["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["requirement"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        ["drifty.clients"],
        "the quote whose wording changed"
    );
    assert_eq!(drifty["quotes_checked"], 3);
    assert_eq!(drifty["quotes_unchecked"], 1, "the vanished page's quote");

    let (_, human, _) = run(&[
        "rules",
        "sources",
        "drifty",
        "--rules",
        &rules,
        "--allow-http-loopback",
    ]);
    for expected in [
        "drifty (Drifty integration): drifted",
        "MOVED (301) to",
        "VANISHED (404)",
        "drifty.clients: \"Clients Access Level: Read and Modify\" no longer on the page",
        "1 of 1 sets drifted",
    ] {
        assert!(human.contains(expected), "{expected}: {human}");
    }
}

#[test]
fn saved_copies_are_read_offline() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::create_dir_all(&saved).unwrap();
    // An address nothing listens on: nothing is fetched with --saved.
    std::fs::write(rules.join("drifty.yaml"), set("http://127.0.0.1:9")).unwrap();
    std::fs::write(
        saved.join("127-0-0-1-9-ok.html"),
        "<td>Tickets Access Level</td> <td>Read &amp; Modify</td> Grant the read:tickets scope.",
    )
    .unwrap();
    std::fs::write(
        saved.join("127-0-0-1-9-changed.md"),
        "Clients Access Level: Read and Modify",
    )
    .unwrap();
    let (code, stdout, _) = run(&[
        "rules",
        "sources",
        "--no-default-rules",
        "--rules",
        &rules.to_string_lossy(),
        "--saved",
        &saved.to_string_lossy(),
    ]);
    // Every saved quote is found; the 2020 retrieval is stale, so the set still drifted.
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("quotes: 3 checked, 0 not found, 1 not checked"),
        "{stdout}"
    );
    assert!(
        stdout.contains("save it as 127-0-0-1-9-moved.html"),
        "{stdout}"
    );
    assert!(stdout.contains("older than 365 days"), "{stdout}");
}

/// A listener that answers every request with one page and counts the connections it was sent.
fn counting_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let body = "Grant the read:tickets scope.";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port.to_string(), count)
}

fn set_of(urls: &[String]) -> String {
    let sources: String = urls
        .iter()
        .map(|u| format!("  - {{url: \"{u}\", retrieved: 2026-11-24}}\n"))
        .collect();
    format!(
        r#"id: reach
title: Reach
sources:
{sources}binding: {{application_name: ["Reach*"]}}
requirements:
  - {{id: reach.scope, title: t, permission: "scope:read:tickets", expect: yes, source: {{quote: "Grant the read:tickets scope."}}}}
"#
    )
}

fn reasons(stdout: &str) -> Vec<(String, String)> {
    let report: Value = serde_json::from_str(stdout).unwrap();
    report["sets"][0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["url"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap_or("(read)").to_owned(),
            )
        })
        .collect()
}

#[test]
fn plain_http_needs_the_flag_even_on_this_machine() {
    let (port, count) = counting_server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("reach.yaml"),
        set_of(&[format!("http://127.0.0.1:{port}/page")]),
    )
    .unwrap();
    let rules = dir.path().to_string_lossy().into_owned();
    let (code, stdout, stderr) = run(&[
        "rules", "sources", "reach", "--rules", &rules, "--format", "json",
    ]);
    assert_eq!(code, 3, "no page read: {stdout}{stderr}");
    let reasons = reasons(&stdout);
    assert!(
        reasons[0].1.contains("--allow-http-loopback"),
        "{reasons:?}"
    );
    assert_eq!(
        count.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing was sent"
    );
}

#[test]
fn private_link_local_odd_spellings_and_userinfo_are_refused_with_the_reason() {
    let (port, count) = counting_server();
    let cases: Vec<(String, &str)> = vec![
        (
            "https://169.254.169.254/latest/meta-data".to_owned(),
            "169.254.169.254 is a link-local address",
        ),
        (
            "https://10.0.0.1/".to_owned(),
            "10.0.0.1 is a private address",
        ),
        ("https://192.168.1.1/".to_owned(), "private address"),
        ("https://[fd12::1]/".to_owned(), "unique local"),
        ("https://[::1]/".to_owned(), "loopback"),
        ("https://[::ffff:7f00:1]/".to_owned(), "loopback"),
        (
            "https://[::ffff:127.0.0.1]/".to_owned(),
            "unusual spelling of the address [::ffff:7f00:1]",
        ),
        (
            format!("https://127.1:{port}/"),
            "`127.1` is an unusual spelling of the address 127.0.0.1",
        ),
        (
            format!("https://2130706433:{port}/"),
            "`2130706433` is an unusual spelling",
        ),
        (format!("http://127.1:{port}/page"), "unusual spelling"),
        (
            "http://10.0.0.1/".to_owned(),
            "plain http is fetched only from this machine",
        ),
        (
            format!("https://localhost:{port}/page"),
            "the host `localhost` resolves to",
        ),
        (
            format!("http://someone:hunter2@127.0.0.1:{port}/page"),
            "holds a user name or password",
        ),
        (format!("http://127.0.0.1:{port}/page"), "(read)"),
    ];
    let urls: Vec<String> = cases.iter().map(|(u, _)| u.clone()).collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reach.yaml"), set_of(&urls)).unwrap();
    let rules = dir.path().to_string_lossy().into_owned();
    let (code, stdout, stderr) = run(&[
        "rules",
        "sources",
        "reach",
        "--rules",
        &rules,
        "--format",
        "json",
        "--allow-http-loopback",
        "--timeout",
        "10",
    ]);
    assert_eq!(
        code, 0,
        "the quote is on the one page read: {stdout}{stderr}"
    );
    let reasons = reasons(&stdout);
    assert_eq!(reasons.len(), cases.len());
    for ((url, expected), (shown_url, reason)) in cases.iter().zip(&reasons) {
        assert!(reason.contains(expected), "{url}: {reason}");
        if url.contains("hunter2") {
            assert_eq!(shown_url, &format!("http://127.0.0.1:{port}/page"));
        }
    }
    assert!(!stdout.contains("hunter2") && !stderr.contains("hunter2"));
    let (_, human, _) = run(&[
        "rules",
        "sources",
        "reach",
        "--rules",
        &rules,
        "--allow-http-loopback",
    ]);
    assert!(
        !human.contains("hunter2") && !human.contains("someone"),
        "{human}"
    );
    assert!(
        human.contains("169.254.169.254 is a link-local address"),
        "{human}"
    );
    assert_eq!(
        count.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "only the plain loopback page was fetched, once per run"
    );
}

#[test]
fn a_page_of_160000_blocks_is_scanned_and_hostile_quotes_print_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::create_dir_all(&saved).unwrap();
    std::fs::write(
        rules.join("hostile.yaml"),
        r#"id: hostile
title: Hostile
sources:
  - {url: "https://docs.example/blocks", retrieved: 2026-11-24}
binding: {application_name: ["Hostile*"]}
requirements:
  - {id: hostile.kept, title: t, permission: "scope:read:tickets", expect: yes, source: {quote: "Grant the read:tickets scope."}}
  - {id: hostile.gone, title: t, permission: "scope:edit:tickets", expect: yes, source: {quote: "\e]0;owned\a\e[2J\n::error::forged\n::add-mask::x\n##[group]folded"}}
"#,
    )
    .unwrap();
    let mut page = String::from("<p>Grant the read:tickets scope.</p>");
    for i in 0..160_000 {
        page.push_str(match i % 3 {
            0 => "<!-- c -->",
            1 => "<script>s</script>",
            _ => "<style>t</style>",
        });
    }
    std::fs::write(saved.join("docs-example-blocks.html"), page).unwrap();
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = run(&[
        "rules",
        "sources",
        "--no-default-rules",
        "--rules",
        &rules.to_string_lossy(),
        "--saved",
        &saved.to_string_lossy(),
    ]);
    eprintln!("160,000 blocks read and scanned in {:?}", started.elapsed());
    assert_eq!(code, 1, "one quote is missing: {stdout}{stderr}");
    assert!(
        stdout.contains("quotes: 2 checked, 1 not found"),
        "{stdout}"
    );
    assert!(stdout.contains("hostile.gone: \""), "{stdout}");
    for raw in ['\u{1b}', '\u{7}', '\r'] {
        assert!(
            !stdout.contains(raw) && !stderr.contains(raw),
            "{raw:?} came out raw: {stdout}"
        );
    }
    for line in stdout.lines() {
        let line = line.trim_start();
        assert!(!line.starts_with("::") && !line.contains("##["), "{line}");
        assert!(
            !line.contains("::error::") && !line.contains("::add-mask::"),
            "{line}"
        );
    }
}

/// `--format json` of a hostile quote: C1 controls, bidirectional overrides, DEL and workflow
/// markers come out as JSON escapes (nothing raw), and the document reads back to the very quote.
#[test]
fn json_escapes_c1_controls_and_bidi_overrides_like_the_human_output() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::create_dir_all(&saved).unwrap();
    let quote = "csi\u{9b}31m nel\u{85} rlo\u{202e}txt lri\u{2066} del\u{7f} ::error::x ##[group]y";
    let yaml_quote: String = quote
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c.to_string()
            } else {
                format!("\\u{:04x}", u32::from(c))
            }
        })
        .collect();
    std::fs::write(
        rules.join("hostile.yaml"),
        format!(
            r#"id: hostile
title: Hostile
sources:
  - {{url: "https://docs.example/c1", retrieved: 2026-11-24}}
binding: {{application_name: ["Hostile*"]}}
requirements:
  - {{id: hostile.gone, title: t, permission: "scope:edit:tickets", expect: yes, source: {{quote: "{yaml_quote}"}}}}
"#
        ),
    )
    .unwrap();
    std::fs::write(saved.join("docs-example-c1.html"), "<p>nothing quoted</p>").unwrap();
    let (code, stdout, stderr) = run(&[
        "rules",
        "sources",
        "--no-default-rules",
        "--rules",
        &rules.to_string_lossy(),
        "--saved",
        &saved.to_string_lossy(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    for raw in ['\u{9b}', '\u{85}', '\u{202e}', '\u{2066}', '\u{7f}'] {
        assert!(!stdout.contains(raw), "{raw:?} came out raw: {stdout}");
    }
    assert!(
        !stdout.contains("::error::") && !stdout.contains("##[group]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\\u009b") && stdout.contains("\\u202e"),
        "{stdout}"
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["sets"][0]["missing"][0]["quote"], quote,
        "the document reads back to the quote: {report}"
    );
}
