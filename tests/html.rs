//! The HTML report (`--format html`): on every golden case it is one self-contained page (no
//! script, no style sheet, image, font or frame loaded from anywhere, links only to sections of
//! the page or to http(s) vendor sources), with one block per finding and accessible tables; and
//! tenant text holding markup renders as text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use halo_audit::catalog::Catalog;
use halo_audit::check::{self, Selection};
use halo_audit::cli::{FailOn, Format};
use halo_audit::report::{self, Context};
use halo_audit::ruleset;

/// Elements that would load or run something: none may appear in a report.
const FORBIDDEN_TAGS: [&str; 9] = [
    "script", "link", "img", "iframe", "object", "embed", "base", "svg", "video",
];

/// The tags of a page (`<` starts a tag only: text and attribute values are escaped).
fn tags(html: &str) -> impl Iterator<Item = &str> {
    html.split('<')
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or_default())
}

/// Checks that a page is self-contained and well shaped; returns its hrefs.
fn assert_self_contained(name: &str, html: &str) -> Vec<String> {
    assert!(html.starts_with("<!DOCTYPE html>"), "{name}: no doctype");
    assert!(html.contains("<html lang=\"en\">"), "{name}: no language");
    assert_eq!(
        html.matches("<style>").count(),
        1,
        "{name}: one inline style"
    );
    for tag in tags(html) {
        let lower = tag.to_ascii_lowercase();
        let element = lower.split([' ', '/']).next().unwrap_or_default();
        assert!(!FORBIDDEN_TAGS.contains(&element), "{name}: <{tag}>");
        for attribute in [
            " src=",
            " srcset=",
            " style=",
            " on",
            " action=",
            " formaction=",
        ] {
            assert!(!lower.contains(attribute), "{name}: <{tag}>");
        }
    }
    let style = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(css, _)| css.to_ascii_lowercase())
        .unwrap_or_default();
    for forbidden in ["@import", "url(", "@font-face", "image-set("] {
        assert!(
            !style.contains(forbidden),
            "{name}: the style sheet loads with {forbidden}"
        );
    }
    let hrefs: Vec<String> = html
        .split("href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        .collect();
    for href in &hrefs {
        assert!(
            href.starts_with('#') || href.starts_with("https://") || href.starts_with("http://"),
            "{name}: link {href:?}"
        );
    }
    // Every table has a caption and header cells with a scope (a screen reader can name each cell).
    assert_eq!(
        html.matches("<table>").count(),
        html.matches("<caption>").count(),
        "{name}: a table without caption"
    );
    assert!(
        !html.contains("<th>"),
        "{name}: a header cell without scope"
    );
    hrefs
}

#[test]
fn every_case_is_one_self_contained_page_with_every_finding() {
    let cases = common::cases();
    assert!(cases.len() > 10, "golden cases missing");
    for dir in &cases {
        let loaded = common::load(dir);
        let name = &loaded.name;
        let context = common::context(&loaded, FailOn::Error);
        let html = report::render(Format::Html, &loaded.outcome, &context);
        let hrefs = assert_self_contained(name, &html);
        // An in-page link points at an element of the page.
        for href in hrefs.iter().filter_map(|h| h.strip_prefix('#')) {
            assert!(
                html.contains(&format!("id=\"{href}\"")),
                "{name}: dangling #{href}"
            );
        }
        // Every finding is in one card (identical ones grouped), live and waived apart.
        let in_cards: usize = html
            .split("data-findings=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(
            in_cards,
            loaded.outcome.findings.len(),
            "{name}: every finding in a card"
        );
        assert_eq!(
            html.matches("<article").count(),
            html.matches("data-findings=").count(),
            "{name}: every card counts its findings"
        );
        for finding in &loaded.outcome.findings {
            let name_shown = maud::html! { (finding.subject.name.as_str()) }.into_string();
            assert!(
                html.contains(&name_shown),
                "{name}: subject {} missing",
                finding.subject.name
            );
        }
        let verdict = report::verdict(&loaded.outcome, context.gate());
        assert!(
            html.contains(&format!("Verdict: {}", verdict.as_str())),
            "{name}: verdict"
        );
        assert!(
            html.contains(&loaded.outcome.coverage().text()),
            "{name}: coverage"
        );
        if let Some(fetched) = &loaded.tenant.provenance.fetched_at {
            assert!(html.contains(fetched.as_str()), "{name}: snapshot time");
        }
        // Status is never colour alone: each coloured badge holds a word.
        for badge in html.split("class=\"status ").skip(1) {
            let text = badge
                .split_once('>')
                .and_then(|(_, rest)| rest.split_once('<'))
                .map(|(text, _)| text)
                .unwrap_or_default();
            assert!(
                text.chars().any(char::is_alphabetic),
                "{name}: badge without words: {badge:.80}"
            );
        }
    }
}

/// The demo snapshot with markup in the tenant, application, agent and role names.
fn hostile_demo(dir: &Path) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("fixtures/demo/snapshot.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let evil = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>&amp;";
    doc["instance"]["tenant"] = format!("north{evil}").into();
    for (collection, field) in [
        ("agents", "name"),
        ("roles", "name"),
        ("applications", "displayName"),
    ] {
        for item in doc["objects"][collection].as_array_mut().unwrap() {
            if let Some(name) = item[field].as_str() {
                item[field] = format!("{name}{evil}").into();
            }
        }
    }
    let path = dir.join("hostile.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

#[test]
fn markup_in_tenant_names_renders_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_demo(dir.path());
    let catalog = Catalog::builtin().unwrap();
    let library = ruleset::load(&ruleset::builtin_files(), catalog).unwrap();
    let snap = halo_audit::snapshot::load(&path).unwrap();
    let tenant = halo_audit::snapshot::normalise(&snap, catalog, &path).unwrap();
    let outcome = check::check(&tenant, &library, catalog, &Selection::default()).unwrap();
    assert!(!outcome.findings.is_empty());
    let context = Context {
        tenant: &tenant,
        library: &library,
        catalog,
        style: &common::STYLE,
        fail_on: FailOn::Error,
        min_coverage: None,
        fail_on_assumed: false,
    };
    let html = report::render(Format::Html, &outcome, &context);
    assert_self_contained("hostile", &html);
    assert!(!html.contains("<script>") && !html.contains("onerror=alert(2)>"));
    assert!(
        html.contains("<title>halo-audit report: north&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the tenant name is shown as text in the title"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;'&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;"),
        "the names are shown, escaped"
    );
}
