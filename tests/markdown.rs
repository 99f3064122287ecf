//! Markdown reports are posted as pull-request comments: no name in a tenant can forge them.
//!
//! The demo tenant (and the diff fixtures) are given names ending in hostile text: backtick runs,
//! `<details>`, `<img>`, links, images, comments, line breaks, mentions, autolinks, e-mail
//! addresses, issue references, emoji short codes, math, list and heading markers. `check`, `diff`
//! and `plan` Markdown of that tenant are parsed by a CommonMark/GFM parser (comrak, with the
//! extensions GitHub renders: tables, autolinks, strikethrough, task lists, footnotes, alerts,
//! math) and compared with the same reports of the same tenant whose names end in plain `x`:
//!
//! - the two documents have the same elements in the same places (every block, table cell, list
//!   item, emphasis, code span, link and line break is one the tool wrote), so hostile text adds
//!   no element, link, image, HTML, comment or new block, and hides none;
//! - there is no raw HTML but the tool's own `<br>` (stricter than GitHub's tag filter, which
//!   only drops some tags);
//! - the rendered text holds no more mentions, e-mail addresses, issue references or emoji short
//!   codes than the plain reports (GitHub finds those in the rendered text);
//! - every hostile name is visible in the rendered text, as the terminal sanitiser shows it.
//!
//! A fixed list of the attacks found so far runs always; proptest adds arbitrary ones.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options, parse_document};
use halo_audit::catalog::Catalog;
use halo_audit::check::{self, Selection};
use halo_audit::cli::FailOn;
use halo_audit::report::{self, Context, Format, Style};
use halo_audit::ruleset::{self, Library};
use halo_audit::tenant::Tenant;
use proptest::prelude::*;
use serde_json::Value;

const STYLE: Style = Style {
    color: false,
    verbose: 1,
    quiet: false,
    width: 100,
};

/// The attacks of the security review, and the classics.
const HOSTILE: &[&str] = &[
    " ```<details><summary>All checks passed</summary>` ",
    "\n<!--",
    "\n\n**All 0 changes: this setup is already least-privilege.** ![](https://evil.example/beacon.png) <!--",
    "</td></tr></table><svg onload=alert(1)>",
    "<img src=https://evil.example/x.png>",
    "[Click here to re-authenticate](https://evil.example/login)",
    "![beacon](https://evil.example/b.png)",
    " @octocat @org/team ",
    "www.evil.example http://evil.example/x admin@evil.example",
    "<https://evil.example>",
    "`` ` ``` ```` ",
    "\n# Heading\n> quote\n- item\n1. item\n    code\n---\n",
    "\n```\nfenced\n```\n",
    " | broken | cells |\n|---|---|",
    "*em* **strong** _u_ ~~strike~~ $x^2$ $$y$$",
    "&lt;script&gt; &#60;b&#62; &amp;",
    ":white_check_mark: :+1: #1 GH-2",
    "[^1] [x]: https://evil.example\n[^1]: footnote",
    "\\",
    "\r\n> [!NOTE]\r\n> forged",
    "<details open>",
    "\u{1b}]0;title\u{7}\u{202e}",
    "::error::x ##[group]y",
    "    ",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn catalog() -> &'static Catalog {
    Catalog::builtin().unwrap()
}

fn library() -> &'static Library {
    static LIBRARY: std::sync::OnceLock<Library> = std::sync::OnceLock::new();
    LIBRARY.get_or_init(|| ruleset::load(&ruleset::builtin_files(), catalog()).unwrap())
}

fn collection<'a>(doc: &'a mut Value, name: &str) -> &'a mut Vec<Value> {
    let value = &mut doc["objects"][name];
    if value.is_array() {
        value.as_array_mut().unwrap()
    } else {
        value[name].as_array_mut().unwrap()
    }
}

/// The snapshot at `path` with every agent, team, role and application name (and the login agent
/// names of applications) ending in `suffix`.
fn renamed(path: &str, suffix: &str) -> Tenant {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    for (name, fields) in [
        ("agents", &["name"][..]),
        ("teams", &["name"][..]),
        ("roles", &["name"][..]),
        (
            "applications",
            &["displayName", "name", "loginas_agent_name"][..],
        ),
    ] {
        for item in collection(&mut doc, name) {
            for field in fields {
                if let Some(value) = item[*field].as_str() {
                    item[*field] = format!("{value}{suffix}").into();
                }
            }
            // Agents' roles and teams are named in the agent too.
            for list in ["roles", "teams"] {
                if let Some(refs) = item[list].as_array_mut() {
                    for r in refs {
                        for key in ["name", "team_name", "agent_name"] {
                            if let Some(value) = r[key].as_str() {
                                r[key] = format!("{value}{suffix}").into();
                            }
                        }
                    }
                }
            }
        }
    }
    let bytes = serde_json::to_vec(&doc).unwrap();
    halo_audit::snapshot::read_bytes(&bytes, Path::new(path), catalog())
        .unwrap()
        .tenant
}

/// `check`, `diff` and `plan` Markdown (as the CLI writes them) for names ending in `suffix`.
fn reports(suffix: &str) -> Vec<(&'static str, String)> {
    let tenant = renamed("fixtures/demo/snapshot.json", suffix);
    // The sets are named: without `--set`, a set binds the applications whose names match it, and
    // a suffix can make a name match one more set ("...ow" binds `cow`), which changes the report's
    // shape for a reason that is not a forgery.
    let selection = Selection {
        sets: ["vciotoolbox", "cloud-depot", "rewst", "cipp", "hudu"]
            .map(String::from)
            .to_vec(),
        ..Selection::default()
    };
    let outcome = check::check(&tenant, library(), catalog(), &selection).unwrap();
    let context = Context {
        tenant: &tenant,
        library: library(),
        catalog: catalog(),
        style: &STYLE,
        fail_on: FailOn::Error,
        min_coverage: None,
        fail_on_assumed: false,
    };
    let check = report::render(Format::Markdown, &outcome, &context);
    let plan = halo_audit::plan::plan(Some(&tenant), library(), catalog(), &selection).unwrap();
    let plan = halo_audit::text::shown_lines(&report::plan::markdown(&plan));
    let old = renamed("fixtures/diff/old.json", suffix);
    let new = renamed("fixtures/diff/new.json", suffix);
    let diff = halo_audit::diff::diff(&old, &new, catalog());
    let diff =
        halo_audit::text::shown_lines(&report::diff::markdown(&diff, ("old.json", "new.json")));
    vec![("check", check), ("plan", plan), ("diff", diff)]
}

fn options() -> Options<'static> {
    let mut options = Options::default();
    options.extension.table = true;
    options.extension.autolink = true;
    options.extension.strikethrough = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.extension.alerts = true;
    options.extension.math_dollars = true;
    options
}

/// What a rendered document is made of: each node's kind and, for links, images, code spans and
/// raw HTML, what they hold; text is left out (it is compared separately).
#[derive(Debug, Default)]
struct Rendered {
    shape: Vec<String>,
    text: String,
    html: Vec<String>,
}

fn rendered(markdown: &str) -> Rendered {
    let arena = Arena::new();
    let root = parse_document(&arena, markdown, &options());
    let mut out = Rendered::default();
    walk(root, 0, &mut out);
    out
}

fn walk<'a>(node: &'a AstNode<'a>, depth: usize, out: &mut Rendered) {
    let value = node.data.borrow().value.clone();
    match &value {
        NodeValue::Text(text) => {
            out.text.push_str(text);
        }
        NodeValue::SoftBreak | NodeValue::LineBreak => {
            out.text.push('\n');
            out.shape.push(format!("{depth} {}", value.xml_node_name()));
        }
        NodeValue::Code(code) => {
            out.text.push_str(&code.literal);
            out.shape.push(format!("{depth} code {:?}", code.literal));
        }
        NodeValue::Link(link) | NodeValue::Image(link) => {
            out.shape
                .push(format!("{depth} {} {:?}", value.xml_node_name(), link.url));
        }
        NodeValue::HtmlInline(html) => {
            out.html.push(html.clone());
            out.shape.push(format!("{depth} html {html:?}"));
        }
        NodeValue::HtmlBlock(block) => {
            out.html.push(block.literal.clone());
            out.shape.push(format!("{depth} html block"));
        }
        other => out.shape.push(format!("{depth} {}", other.xml_node_name())),
    }
    // Cells and items end with a separator, so their text cannot run into the next.
    if matches!(
        value,
        NodeValue::TableCell | NodeValue::Paragraph | NodeValue::Heading(_)
    ) {
        out.text.push('\n');
    }
    for child in node.children() {
        walk(child, depth + 1, out);
    }
    if matches!(value, NodeValue::TableCell) {
        out.text.push('\u{1}');
    }
}

/// Mentions, e-mail addresses, issue references and emoji short codes (standing as a word) GitHub would find in the
/// rendered text.
fn live_references(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let mut found = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        let next = chars.get(i + 1);
        let previous = i.checked_sub(1).and_then(|p| chars.get(p));
        match c {
            '@' if next.is_some_and(char::is_ascii_alphanumeric) => {
                found.push(format!("@ at {i}: {}", context(&chars, i)));
            }
            '#' if next.is_some_and(char::is_ascii_digit) && !word(previous) => {
                found.push(format!("# at {i}: {}", context(&chars, i)));
            }
            ':' if !previous.is_some_and(|p| p.is_alphanumeric() || *p == ':') => {
                let name: String = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'))
                    .collect();
                let closed = chars.get(i + 1 + name.chars().count()) == Some(&':');
                if closed
                    && (name.chars().any(|c| c.is_ascii_alphabetic() || c == '+')
                        || name == "100"
                        || name == "1234")
                {
                    found.push(format!(": at {i}: {}", context(&chars, i)));
                }
            }
            _ => {}
        }
    }
    found
}

fn context(chars: &[char], i: usize) -> String {
    chars[i.saturating_sub(20)..(i + 20).min(chars.len())]
        .iter()
        .collect()
}

/// Whether `hostile` reports are the `plain` ones with different text only; every hostile name
/// visible.
fn assert_only_text_differs(suffix: &str, plain: &[(&str, String)]) {
    let hostile = reports(suffix);
    let visible = halo_audit::text::shown(suffix).replace("\n", "");
    for ((command, plain), (_, hostile)) in plain.iter().zip(&hostile) {
        let a = rendered(plain);
        let b = rendered(hostile);
        let first_difference = a
            .shape
            .iter()
            .zip(&b.shape)
            .position(|(x, y)| x != y)
            .unwrap_or(a.shape.len().min(b.shape.len()));
        assert!(
            a.shape == b.shape,
            "{command} Markdown of names ending in {suffix:?} differs in shape at node {first_difference}: {:?} vs {:?}\n--- markdown\n{hostile}",
            a.shape.get(first_difference..first_difference + 3),
            b.shape.get(first_difference..first_difference + 3),
        );
        assert!(
            b.html.iter().all(|h| h == "<br>"),
            "{command}: raw HTML {:?}",
            b.html
        );
        assert_eq!(
            live_references(&a.text),
            live_references(&b.text),
            "{command}: names ending in {suffix:?}"
        );
        // Every name is there, as the terminal sanitiser shows it (a zero-width space after what
        // GitHub would link).
        let text = b.text.replace('\u{200b}', "");
        let trimmed = visible.trim_matches(' ');
        if !trimmed.is_empty() {
            assert!(
                text.contains(trimmed),
                "{command}: names ending in {suffix:?} are not visible as {trimmed:?}\n--- text\n{text}"
            );
        }
    }
}

fn plain() -> &'static [(&'static str, String)] {
    static PLAIN: std::sync::OnceLock<Vec<(&'static str, String)>> = std::sync::OnceLock::new();
    PLAIN.get_or_init(|| reports("x"))
}

#[test]
fn the_plain_reports_hold_what_the_test_compares() {
    for (command, markdown) in plain() {
        let r = rendered(markdown);
        assert!(r.shape.len() > 50, "{command}: {markdown}");
        let name = if *command == "diff" {
            "Ava Stonex"
        } else {
            "Cloud Depot APIx"
        };
        assert!(r.text.contains(name), "{command}: {markdown}");
        assert!(live_references(&r.text).is_empty(), "{command}");
    }
    // The comparison sees a forged element: a name ending in raw `<img>` (as the old writer
    // let through) changes the shape.
    let (_, check) = &plain()[0];
    let forged = check.replace("Cloud Depot APIx", "Cloud Depot API<img src=x>");
    assert_ne!(rendered(check).shape, rendered(&forged).shape);
    let forged = check.replace("Cloud Depot APIx", "Cloud Depot API @octocat");
    assert_ne!(
        live_references(&rendered(check).text),
        live_references(&rendered(&forged).text)
    );
}

#[test]
fn hostile_names_forge_nothing_in_check_diff_or_plan_markdown() {
    for suffix in HOSTILE {
        assert_only_text_differs(suffix, plain());
    }
}

/// Pieces hostile names are made of: markup and what GitHub links, with some ordinary text.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "`",
            "``",
            "```",
            "<",
            ">",
            "!",
            "[",
            "]",
            "(",
            ")",
            "*",
            "_",
            "~",
            "|",
            "\\",
            "#",
            "&",
            ";",
            "$",
            "@",
            ":",
            ".",
            "-",
            "+",
            "=",
            "/",
            "\n",
            "\r",
            "\t",
            " ",
            "    ",
            "<!--",
            "-->",
            "<details>",
            "<img src=x>",
            "www.",
            "http://",
            "https://",
            "@a",
            "a@b.c",
            ":smile:",
            "#1",
            "1.",
            "1)",
            "[x](y)",
            "![i](j)",
            "<https://e.x>",
            "&amp;",
            "&#60;",
            "\u{0}",
            "\u{1b}",
            "\u{85}",
            "\u{2028}",
            "\u{200b}",
            "é",
            "日",
        ])
        .prop_map(str::to_owned),
        "[a-z]{1,6}",
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_names_forge_nothing(pieces in prop::collection::vec(piece(), 1..12)) {
        assert_only_text_differs(&pieces.concat(), plain());
    }
}

/// `check --format markdown` of the demo in a directory whose `halo-audit.yaml` waives one finding
/// with this reason and owner.
fn waived_check(reason: &str, owner: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "waivers:\n  - code: missing-grant\n    set: cloud-depot\n    subject: \"agent:#35\"\n    reason: {}\n    owner: {}\n    expires: 2099-12-31\n",
        serde_json::to_string(reason).unwrap(),
        serde_json::to_string(owner).unwrap()
    );
    std::fs::write(dir.path().join("halo-audit.yaml"), config).unwrap();
    let demo = root().join("fixtures/demo/snapshot.json");
    let output = assert_cmd::Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("HALO_URL")
        .env_remove("HALO_AUDIT_CONFIG")
        .args([
            "check",
            "--snapshot",
            demo.to_str().unwrap(),
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("waived until"),
        "{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn waiver_reasons_and_owners_are_text() {
    let plain = rendered(&waived_check("purchase orders are not used", "sam"));
    let reason = "<img src=https://evil.example/x.png> [Click here](https://evil.example) ``` <!--";
    let owner = "@octocat\n**All checks passed**";
    let hostile = rendered(&waived_check(reason, owner));
    assert_eq!(plain.shape, hostile.shape);
    assert!(
        hostile.html.iter().all(|h| h == "<br>"),
        "{:?}",
        hostile.html
    );
    assert!(
        live_references(&hostile.text).is_empty(),
        "{}",
        hostile.text
    );
    assert!(hostile.text.contains(reason), "{}", hostile.text);
    assert!(
        hostile
            .text
            .replace('\u{200b}', "")
            .contains("@octocat\\n**All checks passed**"),
        "{}",
        hostile.text
    );
}
