//! The shipped sets against saved copies of their vendors' pages (`tests/fixtures/vendor-pages/`),
//! offline: `rules sources --saved` finds every quote of every set whose pages are all saved, and
//! `rules list` shows every shipped integration set.
//!
//! A saved copy holds only the passages a set quotes, written from the page as it was read, with
//! its URL; it is named as `rules sources` looks it up ([`halo_audit::sources::saved_name`]).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use halo_audit::catalog::Catalog;
use halo_audit::ruleset;
use halo_audit::sources::saved_name;
use serde_json::Value;

/// Sets whose every page must have a saved copy here.
const SAVED: &[&str] = &[
    "roboshadow",
    "huntress",
    "autoelevate",
    "gradient-msp",
    "msp-process",
    "threatlocker",
    "guardz",
    "n8n",
    "nango",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pages() -> PathBuf {
    root().join("tests/fixtures/vendor-pages")
}

fn library() -> ruleset::Library {
    let catalog = Catalog::builtin().unwrap();
    ruleset::load(&ruleset::builtin_files(), catalog).unwrap()
}

/// The stems of the saved copies (file names without their extension).
fn saved_stems() -> BTreeSet<String> {
    std::fs::read_dir(pages())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
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
fn every_saved_page_is_a_source_of_a_shipped_set() {
    let library = library();
    let urls: BTreeSet<String> = library
        .sets
        .iter()
        .flat_map(|s| s.sources.iter().map(|d| saved_name(&d.url)))
        .collect();
    let stems = saved_stems();
    assert!(!stems.is_empty(), "no saved pages in {}", pages().display());
    let orphans: Vec<&String> = stems.iter().filter(|s| !urls.contains(*s)).collect();
    assert!(
        orphans.is_empty(),
        "saved pages that no shipped set cites: {orphans:?}"
    );
    for id in SAVED {
        let set = library
            .sets
            .iter()
            .find(|s| s.id == *id)
            .unwrap_or_else(|| panic!("{id} is not a shipped set"));
        for doc in &set.sources {
            assert!(
                stems.contains(&saved_name(&doc.url)),
                "{id}: no saved copy of {} (save it as {}.txt)",
                doc.url,
                saved_name(&doc.url)
            );
        }
    }
}

#[test]
fn saved_pages_hold_every_quote_of_their_sets() {
    let dir = pages();
    let dir = dir.to_string_lossy();
    let mut args = vec!["rules", "sources"];
    args.extend_from_slice(SAVED);
    // The retrievals age; this test is about the quotes, not the dates.
    args.extend_from_slice(&["--saved", &dir, "--format", "json", "--max-age", "36500"]);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let sets = report["sets"].as_array().unwrap();
    assert_eq!(sets.len(), SAVED.len(), "{stdout}");
    let library = library();
    for set in sets {
        let id = set["id"].as_str().unwrap();
        for source in set["sources"].as_array().unwrap() {
            assert_eq!(source["state"], "read", "{id}: {source}");
        }
        assert_eq!(
            set["missing"],
            Value::Array(vec![]),
            "{id}: quotes not found"
        );
        assert_eq!(set["quotes_unchecked"], 0, "{id}");
        let quoted = library
            .sets
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .requirements
            .iter()
            .filter(|r| !r.quote.trim().is_empty())
            .count();
        assert_eq!(
            set["quotes_checked"], quoted,
            "{id}: every quote is checked"
        );
    }
}

#[test]
fn a_quote_missing_from_its_saved_page_is_reported() {
    // The same check against a copy of one saved page with a quoted line removed.
    let tmp = tempfile::tempdir().unwrap();
    let name = format!(
        "{}.txt",
        saved_name(
            "https://support.huntress.io/hc/en-us/articles/22491122152723-HaloPSA-Ticket-Integration"
        )
    );
    let text = std::fs::read_to_string(pages().join(&name)).unwrap();
    let cut: String = text
        .lines()
        .filter(|l| !l.contains("Can view Unassigned Tickets"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(cut, text);
    std::fs::write(tmp.path().join(&name), cut).unwrap();
    std::fs::copy(
        pages().join(format!(
            "{}.txt",
            saved_name(
                "https://support.huntress.io/hc/en-us/articles/47779889750547-HaloPSA-Billing-Sync"
            )
        )),
        tmp.path().join(format!(
            "{}.txt",
            saved_name(
                "https://support.huntress.io/hc/en-us/articles/47779889750547-HaloPSA-Billing-Sync"
            )
        )),
    )
    .unwrap();
    let dir = tmp.path().to_string_lossy().into_owned();
    let (code, stdout, _) = run(&[
        "rules",
        "sources",
        "huntress",
        "--saved",
        &dir,
        "--max-age",
        "36500",
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("huntress.ticket.can-view-unassigned"),
        "{stdout}"
    );
}

#[test]
fn rules_list_shows_every_integration_set() {
    let library = library();
    let integrations: Vec<&str> = library
        .sets
        .iter()
        .filter(|s| s.id != "baseline")
        .map(|s| s.id.as_str())
        .collect();
    assert!(
        integrations.len() >= 41,
        "{} integration sets: {integrations:?}",
        integrations.len()
    );
    let (code, stdout, stderr) = run(&["rules", "list"]);
    assert_eq!(code, 0, "{stderr}");
    for id in integrations.iter().chain(&["baseline"]) {
        assert!(
            stdout.contains(id),
            "{id} missing from rules list:\n{stdout}"
        );
    }
}
