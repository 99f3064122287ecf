//! Property-based fuzzing of the three parsers of untrusted input: the rule loader, the
//! configuration loader and the snapshot reader with its normaliser (and, behind it, the engine and
//! every reporter). Inputs are the seed corpora (`rules/`, `fixtures/bad/`, `fixtures/cases/`)
//! mutated byte-wise and token-wise, plus generated JSON grafted into Halo's objects. The property
//! is always the same: no panic, and every error renders as a diagnostic.
//!
//! The suite runs a few dozen cases per property; the heavier run is
//! `PROPTEST_CASES=100000 cargo test --release --test fuzz` (docs/fuzzing.md). A failure prints
//! the minimal input; a crash found becomes a named regression test at the end of this file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use clap::ValueEnum;
use halo_audit::catalog::Catalog;
use halo_audit::check::{self, Selection};
use halo_audit::cli::{FailOn, Format};
use halo_audit::report::{self, Context, Style};
use halo_audit::ruleset::{self, Library, RuleFile};
use halo_audit::snapshot;
use miette::Diagnostic;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Cases per property: `PROPTEST_CASES`, else a number small enough for the normal suite.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    Config {
        cases,
        // Shrinking a crash is worth a while; a passing run never shrinks.
        max_shrink_iters: 2048,
        // A failing case's seed is saved here and replayed first on every later run.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/fuzz.proptest-regressions",
        ))),
        ..Config::default()
    }
}

fn files_in(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

static RULE_SEEDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    files_in("rules", "yaml")
        .into_iter()
        .chain(files_in("fixtures/bad/rules", "yaml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect()
});

static CONFIG_SEEDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut seeds: Vec<Vec<u8>> = files_in("fixtures/bad/config", "yaml")
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    seeds.push(FULL_CONFIG.as_bytes().to_vec());
    seeds
});

static SNAPSHOT_SEEDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/cases"))
        .unwrap()
        .map(|e| e.unwrap().path().join("snapshot.json"))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths.extend(files_in("fixtures/bad/snapshot", "json"));
    paths
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
});

/// The demo tenant, parsed: the host for grafted values.
static DEMO: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_slice(&std::fs::read(root().join("fixtures/demo/snapshot.json")).unwrap())
        .unwrap()
});

static LIBRARY: LazyLock<Library> = LazyLock::new(|| {
    ruleset::load(&ruleset::builtin_files(), Catalog::builtin().unwrap()).unwrap()
});

const FULL_CONFIG: &str = "instance:\n  url: https://acme.halopsa.com\n  tenant: acme\n  client_id: abc\n\
rules: [local-rules]\ndefault_rules: true\nsets: [vciotoolbox]\n\
bindings:\n  vciotoolbox:\n    applications: [vCIO]\n    client_ids: [x-1]\n\
severity:\n  excessive-grant: deny\n  ambiguous-requirement: allow\nfail_on: warning\n\
waivers:\n  - code: excessive-grant\n    set: cloud-depot\n    subject: application:Cloud Depot\n    permission: feature.customers\n    reason: agreed with vendor\n    owner: jane@msp.example\n    expires: 2027-01-31\n";

/// Pieces of YAML and JSON syntax worth splicing in.
const TOKENS: &[&str] = &[
    "&a ",
    "*a",
    "&b [*a, *a]",
    "[",
    "]",
    "{",
    "}",
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\n    - ",
    "'",
    "\"",
    "|",
    ">",
    "#",
    "!!binary ",
    "!!str ",
    "? ",
    ",",
    "~",
    "null",
    "true",
    "1e999",
    "-1",
    "18446744073709551616",
    "0x1F",
    ".nan",
    "<<: *a",
    "\t",
    "\u{feff}",
    "\\u0000",
    "%YAML 1.2\n",
    "---\n",
    "...\n",
    "\"id\": ",
    "\"is_admin\": true",
    "\"claims\": [{\"type\": \"x\"}]",
    "{\"id\": 1}",
    "\"roles\": [",
    "\"teams\": [{\"team_id\": ",
    "\"scopes\": [{\"name\": \"all\"}]",
    "\"loginas_agent_id\": ",
    "\u{1F600}",
    "\u{0301}",
    "\r\n",
];

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Replace(usize, u8),
    Duplicate(usize, usize, usize),
    Token(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Replace(at, b)),
        (any::<usize>(), 1usize..256, any::<usize>())
            .prop_map(|(from, n, to)| Mutation::Duplicate(from, n, to)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, t)| Mutation::Token(at, t)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for m in mutations {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match m {
            Mutation::Insert(i, bytes) => {
                let p = at(*i, data.len());
                data.splice(p..p, bytes.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let p = at(*i, data.len());
                let end = (p + n).min(data.len());
                data.drain(p..end);
            }
            Mutation::Replace(i, b) => {
                if !data.is_empty() {
                    let p = i % data.len();
                    data[p] = *b;
                }
            }
            Mutation::Duplicate(from, n, to) => {
                let p = at(*from, data.len());
                let end = (p + n).min(data.len());
                let piece = data[p..end].to_vec();
                let q = at(*to, data.len());
                data.splice(q..q, piece);
            }
            Mutation::Token(i, t) => {
                let p = at(*i, data.len());
                data.splice(p..p, TOKENS[*t].bytes());
            }
            Mutation::Truncate(i) => {
                let p = at(*i, data.len());
                data.truncate(p);
            }
        }
    }
    data
}

/// A seed index and a few mutations, or plain random bytes.
fn input(seeds: &'static LazyLock<Vec<Vec<u8>>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    prop_oneof![
        8 => (0..n, prop::collection::vec(mutation(), 0..8))
            .prop_map(move |(i, m)| apply(&seeds[i], &m)),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

/// Renders a diagnostic the way `main` does; rendering must not panic either, nor fall back to
/// the bare message (which has no `×`).
fn render(error: &dyn Diagnostic) -> String {
    let out = report::diagnostic_text(error, false);
    assert!(out.contains('×'), "not rendered as a diagnostic: {out}");
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Parses, normalises and, when that succeeds, checks a snapshot and renders every format.
///
/// The snapshot read every command uses (streamed, agents record by record, only what the
/// normaliser reads) must give the same tenant for the document as it is and as parsed whole and
/// written again (`snapshot::normalise`), and refuse it with the error the whole parse names.
fn snapshot_pipeline(bytes: &[u8]) {
    let catalog = Catalog::builtin().unwrap();
    let path = Path::new("fuzz.json");
    let full = snapshot::parse(bytes, path).and_then(|s| snapshot::normalise(&s, catalog, path));
    let lean = snapshot::read_bytes(bytes, path, catalog).map(|loaded| loaded.tenant);
    let tenant = match (full, lean) {
        (Ok(full), Ok(lean)) => {
            assert_eq!(
                serde_json::to_value(&full).unwrap(),
                serde_json::to_value(&lean).unwrap(),
                "the streamed read differs from the whole document's"
            );
            full
        }
        (Err(full), Err(lean)) => {
            assert_eq!(full.to_string(), lean.to_string());
            // Every valid layout is followed: a refusal is always named.
            assert!(
                !lean.to_string().contains("could not be followed"),
                "{lean}"
            );
            assert!(!render(&full).is_empty());
            return;
        }
        (full, lean) => panic!(
            "one read failed and the other did not: whole {:?}, streamed {:?}",
            full.err().map(|e| e.to_string()),
            lean.err().map(|e| e.to_string())
        ),
    };
    let outcome = match check::check(&tenant, &LIBRARY, catalog, &Selection::default()) {
        Ok(outcome) => outcome,
        Err(e) => {
            assert!(!render(&e).is_empty());
            return;
        }
    };
    let style = Style {
        color: false,
        verbose: 2,
        quiet: false,
        width: 80,
    };
    let context = Context {
        tenant: &tenant,
        library: &LIBRARY,
        catalog,
        style: &style,
        fail_on: FailOn::Error,
        min_coverage: None,
        fail_on_assumed: false,
    };
    for format in Format::value_variants() {
        let _ = report::render(*format, &outcome, &context);
    }
}

/// Any JSON value, up to a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "",
            "0",
            "1",
            "true",
            "read",
            "Read Only",
            "all",
            "admin",
            "feature.customers",
            "ticket.can_delete",
            "-1",
            "2147483648",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((member_name(), inner), 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Member names of Halo's objects, and a few others.
fn member_name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "id",
        "name",
        "is_admin",
        "isdisabled",
        "isapiagent",
        "roles",
        "teams",
        "claims",
        "type",
        "value",
        "team_id",
        "team_name",
        "role_id",
        "clients",
        "departments",
        "tickettypes",
        "assettypes",
        "displayName",
        "clientId",
        "inactive",
        "loginas_agent_id",
        "scopes",
        "_issystem",
        "agents",
        "addtoallagents",
        "record_count",
        "unassigned_access",
        "otheragent_access",
        "x",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_rule_loader_never_panics(bytes in input(&RULE_SEEDS)) {
        let file = RuleFile { name: "fuzz.yaml".to_owned(), text: text(&bytes), builtin: false };
        if let Err(e) = ruleset::load(&[file], Catalog::builtin().unwrap()) {
            prop_assert!(!render(&e).is_empty());
        }
    }

    #[test]
    fn the_configuration_loader_never_panics(bytes in input(&CONFIG_SEEDS)) {
        let file = RuleFile { name: "halo-audit.yaml".to_owned(), text: text(&bytes), builtin: false };
        match halo_audit::config::parse(&file) {
            Ok(config) => for w in &config.warnings { prop_assert!(!render(w).is_empty()); },
            Err(e) => prop_assert!(!render(&e).is_empty()),
        }
    }

    /// However the rest of the file is broken, a client secret written in it is never shown.
    #[test]
    fn a_secret_in_a_broken_configuration_is_never_shown(
        secret in "[A-Za-z0-9]{12,24}",
        before in input(&CONFIG_SEEDS),
        after in input(&CONFIG_SEEDS),
    ) {
        let mut bytes = before;
        bytes.extend_from_slice(format!("\ninstance:\n  client_secret: {secret}\n").as_bytes());
        bytes.extend_from_slice(&after);
        let file = RuleFile { name: "halo-audit.yaml".to_owned(), text: text(&bytes), builtin: false };
        let shown = match halo_audit::config::parse(&file) {
            Ok(config) => config.warnings.iter().map(|w| render(w)).collect::<String>(),
            Err(e) => render(&e),
        };
        prop_assert!(!shown.contains(&secret), "{}", shown);
    }

    #[test]
    fn the_snapshot_reader_and_normaliser_never_panic(bytes in input(&SNAPSHOT_SEEDS)) {
        snapshot_pipeline(&bytes);
    }

    /// Generated values grafted into the demo tenant's agents, roles, teams and applications.
    #[test]
    fn odd_values_in_halo_objects_never_panic(
        grafts in prop::collection::vec(
            (0usize..4, any::<usize>(), member_name(), json_value()),
            1..6,
        ),
    ) {
        let mut doc = DEMO.clone();
        for (collection, index, member, value) in grafts {
            let name = ["agents", "teams", "roles", "applications"][collection];
            let Some(items) = doc["objects"][name].as_array_mut() else { continue };
            if items.is_empty() { continue; }
            let len = items.len();
            let item = &mut items[index % len];
            if let Some(obj) = item.as_object_mut() {
                obj.insert(member, value);
            } else {
                *item = value;
            }
        }
        snapshot_pipeline(doc.to_string().as_bytes());
    }
}

// Inputs worth pinning next to the properties (crashes the fuzzer finds are added here too).

/// `expect:` is an untagged enum, buffered whole before a variant is chosen: a recursive alias
/// there must end in the recursion error, not loop.
#[test]
fn a_recursive_alias_where_values_are_buffered() {
    let text = std::fs::read_to_string(root().join("fixtures/bad/rules/self-reference.yaml"))
        .unwrap()
        .replace("notes: &notes [*notes]\n", "")
        .replace("expect: Read Only", "expect: &e [*e]");
    let file = RuleFile {
        name: "r.yaml".to_owned(),
        text,
        builtin: false,
    };
    let error = ruleset::load(&[file], Catalog::builtin().unwrap()).unwrap_err();
    assert!(render(&error).contains("recursive"));
}

/// The demo tenant with `scopes` extra scopes on its first application, `roles` extra roles and
/// `teams` extra teams held by its first agent, and a configuration of `waivers` waivers aimed at
/// those scopes.
fn long_lists(
    scopes: usize,
    roles: usize,
    teams: usize,
    waivers: usize,
) -> (Value, halo_audit::config::Config) {
    let mut doc = DEMO.clone();
    let team = doc["objects"]["teams"][0].clone();
    let membership = doc["objects"]["agents"][0]["teams"][0].clone();
    for i in 0..teams {
        let id = 100_000 + i;
        let mut t = team.clone();
        t["id"] = id.into();
        t["guid"] = format!("00000000-0000-0000-0001-{i:012}").into();
        t["name"] = format!("Extra team {i}").into();
        doc["objects"]["teams"].as_array_mut().unwrap().push(t);
        let mut m = membership.clone();
        m["team_id"] = id.into();
        m["team_name"] = format!("Extra team {i}").into();
        doc["objects"]["agents"][0]["teams"]
            .as_array_mut()
            .unwrap()
            .push(m);
    }
    let app = &mut doc["objects"]["applications"][0];
    let list = app["scopes"].as_array_mut().unwrap();
    list.extend((0..scopes).map(|i| serde_json::json!({"name": format!("read:extra{i}")})));
    let claims = doc["objects"]["roles"][0]["claims"].clone();
    let new_roles: Vec<Value> = (0..roles)
        .map(|i| {
            serde_json::json!({
                "id": format!("00000000-0000-0000-0000-{i:012}"),
                "name": format!("Extra role {i}"),
                "claims": claims,
            })
        })
        .collect();
    let held: Vec<Value> = new_roles
        .iter()
        .map(|r| serde_json::json!({"id": r["id"], "name": r["name"]}))
        .collect();
    doc["objects"]["roles"]
        .as_array_mut()
        .unwrap()
        .extend(new_roles);
    let agent_roles = &mut doc["objects"]["agents"][0]["roles"];
    if !agent_roles.is_array() {
        *agent_roles = Value::Array(Vec::new());
    }
    agent_roles.as_array_mut().unwrap().extend(held);
    let mut text = String::from("waivers:\n");
    for i in 0..waivers {
        text.push_str(&format!(
            "  - code: excessive-grant\n    set: vciotoolbox\n    permission: scope:read:extra{i}\n    reason: r\n    owner: o@example.com\n    expires: 2099-01-01\n"
        ));
    }
    let file = RuleFile {
        name: "halo-audit.yaml".to_owned(),
        text,
        builtin: false,
    };
    (doc, halo_audit::config::parse(&file).unwrap())
}

proptest! {
    #![proptest_config(Config {
        // Each case checks, diffs and plans a tenant of thousands of items: a few cases in the
        // normal suite, more with PROPTEST_CASES.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(4),
        ..config()
    })]

    /// Long scope lists, many roles and teams per agent and many waivers cost output (and so memory) in
    /// proportion: every report format, the diff and the plan stay within a linear bound of the
    /// list lengths (a list copied into every finding about one of its items is quadratic).
    #[test]
    fn long_lists_cost_linear_output(
        scopes in 0usize..1500,
        roles in 0usize..300,
        teams in 0usize..300,
        waivers in 0usize..300,
    ) {
        let catalog = Catalog::builtin().unwrap();
        let (doc, config) = long_lists(scopes, roles, teams, waivers);
        let path = Path::new("long.json");
        let tenant = snapshot::read_bytes(doc.to_string().as_bytes(), path, catalog)
            .unwrap()
            .tenant;
        let mut outcome = check::check(&tenant, &LIBRARY, catalog, &Selection::default()).unwrap();
        let today = jiff::civil::date(2026, 1, 1);
        check::waivers::apply(&mut outcome, &config, today, true);
        // Linear in the input (its text, and the waivers' count), whatever its shape.
        let bound = 16 * doc.to_string().len() + 4096 * waivers + 4_000_000;
        let style = Style { color: false, verbose: 2, quiet: false, width: 80 };
        let context = Context {
            tenant: &tenant,
            library: &LIBRARY,
            catalog,
            style: &style,
            fail_on: FailOn::Error,
            min_coverage: None,
            fail_on_assumed: false,
        };
        for format in Format::value_variants() {
            let text = report::render(*format, &outcome, &context);
            prop_assert!(text.len() <= bound, "{format:?}: {} bytes > {bound}", text.len());
        }
        let demo = snapshot::read_bytes(DEMO.to_string().as_bytes(), path, catalog)
            .unwrap()
            .tenant;
        for (old, new) in [(&demo, &tenant), (&tenant, &demo)] {
            let diff = halo_audit::diff::diff(old, new, catalog);
            let text = report::diff::json(&diff, ("old.json", "new.json"));
            prop_assert!(text.len() <= bound, "diff: {} bytes > {bound}", text.len());
        }
        let selection = Selection { sets: vec!["vciotoolbox".to_owned()], ..Selection::default() };
        let plan = halo_audit::plan::plan(Some(&tenant), &LIBRARY, catalog, &selection).unwrap();
        let text = report::plan::json(&plan);
        prop_assert!(text.len() <= bound, "plan: {} bytes > {bound}", text.len());
    }
}

proptest! {
    #![proptest_config(config())]

    /// An error anywhere along a line of any length, in a rule file, a configuration or a catalog
    /// overlay: the diagnostic renders (the renderer cannot place a label past column 65,535, so
    /// the line is shown as a window), names the real line and column, shows the place, and does
    /// not print the whole line.
    #[test]
    fn an_error_far_along_a_long_line_renders_a_window_of_it(
        width in prop_oneof![0usize..600, 60_000usize..140_000],
        pad in prop::sample::select(vec!["x", "é", "字", "\t", " ", "🦀"]),
        kind in 0usize..3,
    ) {
        let padding = pad.repeat(width / pad.len().max(1));
        let padded = padding.len();
        let (name, text) = match kind {
            0 => (
                "long.yaml",
                format!("id: long\ntitle: t\nsources:\n  - {{url: \"https://a.example/\", retrieved: 2026-11-24}}\nbinding: {{application_name: [\"L*\"]}}\nrequirements:\n  - {{id: long.a, title: \"{padding}\", permission: \"scope:read:tickets\", expect: yes, source: {{quote: q}}, bogus: 1}}\n"),
            ),
            1 => ("halo-audit.yaml", format!("instance: {{url: \"{padding}\", bogus: 1}}\n")),
            _ => ("overlay.yaml", format!("permissions: [{{permission: \"{padding}\", bogus: 1}}]\n")),
        };
        let line = text.lines().position(|l| l.contains("bogus")).unwrap();
        let column = text.lines().nth(line).unwrap().find("bogus").unwrap() + 1;
        let file = RuleFile { name: name.to_owned(), text, builtin: false };
        let error: Box<dyn Diagnostic> = match kind {
            0 => Box::new(ruleset::load(&[file], Catalog::builtin().unwrap()).err().unwrap()),
            1 => Box::new(halo_audit::config::parse(&file).err().unwrap()),
            _ => Box::new(ruleset::overlay::apply(Catalog::builtin().unwrap(), &[file]).err().unwrap()),
        };
        let shown = render(error.as_ref());
        let place = format!("{name}:{}:{column}]", line + 1);
        prop_assert!(shown.contains(&place), "{} not in {}", place, shown);
        prop_assert!(shown.contains("bogus: 1"), "{}", shown);
        // A line over 512 bytes is shown as a window; a shorter one whole (a tab is four columns).
        if padded > 512 {
            prop_assert!(shown.len() < 4_000, "the whole line was shown ({} bytes)", shown.len());
        }
    }
}
