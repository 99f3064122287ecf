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
        "rules", "sources", "drifty", "--rules", &rules, "--format", "json",
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

    let (_, human, _) = run(&["rules", "sources", "drifty", "--rules", &rules]);
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
