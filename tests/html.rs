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
        html.matches("<table>").count() + html.matches("<table ").count(),
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
    let tenant = halo_audit::snapshot::read(&path, catalog).unwrap().tenant;
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

/// The demo tenant, rendered, with `edit` applied to its snapshot first; and its findings.
fn demo_report(
    edit: impl FnOnce(&mut serde_json::Value),
) -> (String, Vec<halo_audit::check::Finding>) {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("fixtures/demo/snapshot.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut doc);
    let path = dir.path().join("demo.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let catalog = Catalog::builtin().unwrap();
    let library = ruleset::load(&ruleset::builtin_files(), catalog).unwrap();
    let tenant = halo_audit::snapshot::read(&path, catalog).unwrap().tenant;
    let outcome = check::check(&tenant, &library, catalog, &Selection::default()).unwrap();
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
    (html, outcome.findings)
}

/// Each finding card of a page: its `data-findings` count and its markup.
fn cards(html: &str) -> Vec<(usize, &str)> {
    html.split("<article")
        .skip(1)
        .map(|rest| {
            let card = rest.split("</article>").next().unwrap();
            let count = card
                .split_once("data-findings=\"")
                .and_then(|(_, r)| r.split('"').next())
                .unwrap()
                .parse()
                .unwrap();
            (count, card)
        })
        .collect()
}

/// The text of each `<dd class="CLASS">` of a page.
fn cells<'h>(html: &'h str, class: &str) -> Vec<&'h str> {
    html.split(&format!("<dd class=\"{class}\">"))
        .skip(1)
        .map(|rest| rest.split("</dd>").next().unwrap())
        .collect()
}

#[test]
fn identical_findings_share_a_card_that_lists_every_subject() {
    // Claims removed from every agent and role: the permissions cannot be read.
    let (html, findings) = demo_report(|doc| {
        for collection in ["agents", "roles"] {
            for item in doc["objects"][collection].as_array_mut().unwrap() {
                item.as_object_mut().unwrap().remove("claims");
            }
        }
    });
    let cards = cards(&html);
    assert_eq!(
        cards.iter().map(|(n, _)| n).sum::<usize>(),
        findings.len(),
        "every finding in one card"
    );
    let mut grouped = 0;
    for requirement in [
        "baseline.create-roles-unneeded",
        "baseline.sql-data-sources-unneeded",
        "baseline.password-fields-unneeded",
        "baseline.impersonation-integration",
    ] {
        let these: Vec<&halo_audit::check::Finding> = findings
            .iter()
            .filter(|f| {
                f.code == halo_audit::diag::Code::Unverifiable
                    && f.requirement.as_deref() == Some(requirement)
            })
            .collect();
        assert!(these.len() > 1, "{requirement}: {}", these.len());
        let holding: Vec<&(usize, &str)> = cards
            .iter()
            .filter(|(_, c)| c.contains(&format!("<code>{requirement}</code>")))
            .collect();
        assert_eq!(holding.len(), 1, "{requirement}: one card");
        let (count, card) = holding[0];
        assert_eq!(*count, these.len(), "{requirement}");
        assert!(
            card.contains(&format!("Subjects ({})", these.len())),
            "{card}"
        );
        for f in &these {
            assert!(
                card.contains(&format!("<li>agent {}", f.subject.name)),
                "{requirement}: {} not listed",
                f.subject.name
            );
        }
        grouped += 1;
    }
    assert_eq!(grouped, 4);
}

#[test]
fn fix_speaks_halo_and_granted_is_of_the_permission_in_question() {
    let (html, findings) = demo_report(|_| {});
    // No raw backticks in Fix or How to decide this: code spans are <code>.
    let fixes = cells(&html, "fix");
    assert!(!fixes.is_empty());
    for cell in fixes.iter().chain(cells(&html, "decide").iter()) {
        assert!(!cell.contains('`'), "raw backtick: {cell}");
    }
    // Command-line advice is not in Fix.
    for cell in &fixes {
        for tool in ["halo-audit", "--catalog", "--set", "overlay", " -v"] {
            assert!(!cell.contains(tool), "tool advice in Fix: {cell}");
        }
    }
    // It moved to How to decide this.
    assert!(
        cells(&html, "decide")
            .iter()
            .any(|c| c.contains("<code>halo-audit plan --set ID</code>")),
        "the plan advice of the broad-scope finding"
    );
    // A missing scope: Granted names the scopes that would grant it, not the application's list.
    let missing = findings
        .iter()
        .find(|f| f.permission.as_deref() == Some("scope:edit:invoices"))
        .unwrap();
    let whole_list = missing.actual.as_deref().unwrap();
    assert!(whole_list.contains("read:invoices"), "{whole_list}");
    let card = cards(&html)
        .into_iter()
        .map(|(_, c)| c)
        .find(|c| c.contains("<code>vciotoolbox.scope.edit-invoices</code>"))
        .unwrap();
    let granted = card
        .split_once("<dt>Granted</dt><dd>")
        .and_then(|(_, r)| r.split_once("</dd>"))
        .map(|(g, _)| g)
        .unwrap();
    assert!(granted.starts_with("none of: "), "{granted}");
    assert!(granted.contains("<code>edit:invoices</code>"), "{granted}");
    assert!(!granted.contains("read:invoices"), "{granted}");
    // An excessive scope: Granted is the scope held, not every scope.
    let card = cards(&html)
        .into_iter()
        .map(|(_, c)| c)
        .find(|c| c.contains("<code>scope:admin</code>") && c.contains("excessive-grant"))
        .unwrap();
    assert!(
        card.contains("<dt>Granted</dt><dd><code>admin</code></dd>"),
        "{card}"
    );
    // Tenant is the tenant's name; the address only under Instance.
    assert!(html.contains("<dt>Tenant</dt><dd>northwind</dd>"));
    assert!(html.contains("<dt>Instance</dt><dd>https://northwind.halopsa.example</dd>"));
}

#[test]
fn waived_findings_have_their_own_section_and_the_summary_names_what_the_run_was_told() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("halo-audit.yaml");
    std::fs::write(
        &config,
        "severity:\n  impersonation-people: allow\nwaivers:\n  - code: excessive-grant\n    set: cloud-depot\n    requirement: feature.customers\n    subject: agent:Cloud Depot API\n    reason: \"the vendor's customer-notes sync needs Read and Modify (ticket #1234)\"\n    owner: jane.doe@msp.example\n    expires: 2099-03-31\n",
    )
    .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = assert_cmd::Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root)
        .env("NO_COLOR", "1")
        .args([
            "check",
            "--snapshot",
            "fixtures/demo/snapshot.json",
            "--format",
            "html",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let html = String::from_utf8(out.stdout).unwrap();
    assert_self_contained("waived", &html);
    let (before, waived) = html
        .split_once("<h2 id=\"waived\">")
        .expect("a waived section");
    let findings = before.split_once("<h2 id=\"findings\">").unwrap().1;
    let waived = waived.split_once("<h2 ").unwrap().0;
    assert!(
        !findings.contains("jane.doe@msp.example"),
        "a waived card among the live ones"
    );
    assert_eq!(waived.matches("<article").count(), 1, "{waived}");
    for text in [
        "Waived findings (1)",
        "<dt>Waiver reason</dt><dd>the vendor's customer-notes sync needs Read and Modify (ticket #1234)</dd>",
        "<dt>Owner</dt><dd>jane.doe@msp.example</dd>",
        "<dt>Expires</dt><dd>2099-03-31</dd>",
        "<code>cloud-depot.feature.customers</code>",
    ] {
        assert!(waived.contains(text), "{text} not in {waived}");
    }
    assert!(
        !waived.contains("[waived until"),
        "the waiver said twice: {waived}"
    );
    // The executive summary counts and names what the run was told, linking to the sections.
    let summary = html.split_once("<h2 id=\"executive\">").unwrap().1;
    let summary = summary.split_once("</section>").unwrap().0;
    assert!(
        summary.contains("4 findings silenced by configuration (4 × impersonation-people"),
        "{summary}"
    );
    assert!(summary.contains("<a href=\"#waived\">"), "{summary}");
    assert!(summary.contains("<a href=\"#inputs\">"), "{summary}");
}
