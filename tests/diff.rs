//! `halo-audit diff` from the command line: formats, exit codes, the pinned output of the
//! fixtures in `fixtures/diff/` (each kind of change once; cosmetic noise ignored) in every format.
//! SARIF validates against the OASIS schema; JUnit counts agree with the classes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::formats::{Counts, junit_counts, sarif_schema, validate};

use assert_cmd::Command;
use serde_json::Value;

const OLD: &str = "fixtures/diff/old.json";
const NEW: &str = "fixtures/diff/new.json";

fn run(args: &[&str], code: i32) -> (String, String) {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit code of {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    (stdout, stderr)
}

#[test]
fn drift_fails_only_with_fail_on_drift() {
    run(&["diff", OLD, NEW], 0);
    run(&["diff", OLD, NEW, "--fail-on-drift"], 1);
    let (stdout, _) = run(&["diff", OLD, OLD, "--fail-on-drift"], 0);
    assert!(stdout.contains("No drift"), "{stdout}");
}

#[test]
fn human_output_of_the_fixtures_is_pinned() {
    let (stdout, _) = run(&["diff", OLD, NEW], 0);
    insta::assert_snapshot!("fixtures_human", stdout);
}

#[test]
fn json_document_has_the_documented_shape() {
    let (stdout, _) = run(&["diff", OLD, NEW, "--format", "json"], 0);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["kind"], "diff");
    assert_eq!(doc["tool"]["name"], "halo-audit");
    assert_eq!(doc["old"]["path"], OLD);
    assert_eq!(doc["new"]["fetched_at"], "2026-11-20T06:00:00Z");
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 40);
    let count = |class: &str| changes.iter().filter(|c| c["class"] == class).count() as u64;
    for class in ["widened", "narrowed", "neutral"] {
        assert_eq!(
            doc["summary"][class].as_u64(),
            Some(count(class)),
            "{class}"
        );
    }
    assert_eq!(doc["summary"]["drift"], true);
    for c in changes {
        assert!(c["kind"].is_string(), "{c}");
        assert!(
            ["application", "agent", "team", "role"]
                .contains(&c["subject"]["kind"].as_str().unwrap()),
            "{c}"
        );
        assert!(
            c["subject"]["id"].is_string() && c["subject"]["name"].is_string(),
            "{c}"
        );
        assert!(c["message"].as_str().is_some_and(|m| !m.is_empty()), "{c}");
        assert!(c["chain"].is_array(), "{c}");
    }
    let ava = changes
        .iter()
        .find(|c| c["kind"] == "level_raised" && c["subject"]["name"] == "Ava Stone")
        .unwrap();
    assert_eq!(ava["permission"], "feature.invoices");
    assert_eq!(ava["before"], "Read Only");
    assert_eq!(ava["after"], "Read and Modify");
    assert_eq!(doc["not_compared"].as_array().map(Vec::len), Some(0));
}

#[test]
fn markdown_is_a_table_of_changes() {
    let (stdout, _) = run(&["diff", OLD, NEW, "--format", "markdown"], 0);
    assert!(stdout.starts_with("# Permission drift\n"), "{stdout}");
    // The message's own backticks are text: a name could hold backticks too.
    assert!(stdout.contains("| + | widened | agent Ava Stone | agent \\`Ava Stone\\` gained Invoices: Read and Modify through role Billing (was Read Only) |"), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("| ")).count(), 41);
}

#[test]
fn html_is_a_self_contained_page_of_changes_by_class() {
    let (stdout, _) = run(&["diff", OLD, NEW, "--format", "html"], 0);
    assert!(stdout.starts_with("<!DOCTYPE html>"), "{stdout:.200}");
    for forbidden in ["<script", "<link", "<img", "@import", "url(", " src="] {
        assert!(!stdout.contains(forbidden), "{forbidden}");
    }
    let (json, _) = run(&["diff", OLD, NEW, "--format", "json"], 0);
    let doc: Value = serde_json::from_str(&json).unwrap();
    for class in ["widened", "narrowed", "neutral"] {
        let count = doc["summary"][class].as_u64().unwrap();
        assert_eq!(
            stdout.matches(&format!("{class}</span>")).count() as u64,
            count,
            "{class}"
        );
    }
    assert!(stdout.contains(
        "agent `Ava Stone` gained Invoices: Read and Modify through role Billing (was Read Only)"
    ));
    insta::assert_snapshot!("fixtures_html", stdout);
    let (same, _) = run(&["diff", OLD, OLD, "--format", "html"], 0);
    assert!(same.contains("No drift: the two snapshots grant the same."));
}

#[test]
fn unreadable_snapshots_exit_2_naming_the_file() {
    let (_, stderr) = run(&["diff", OLD, "fixtures/diff/nope.json"], 2);
    assert!(stderr.contains("fixtures/diff/nope.json"), "{stderr}");
    let (_, stderr) = run(&["diff", OLD, "fixtures/diff/README.md"], 2);
    assert!(stderr.contains("README.md"), "{stderr}");
}

#[test]
fn output_file_is_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drift.md");
    let (stdout, _) = run(
        &[
            "diff",
            OLD,
            NEW,
            "--format",
            "markdown",
            "-o",
            path.to_str().unwrap(),
        ],
        0,
    );
    assert!(stdout.is_empty());
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# Permission drift")
    );
}

#[test]
fn the_example_in_docs_drift_md_is_current() {
    let (stdout, _) = run(&["diff", OLD, NEW], 0);
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/drift.md"))
        .unwrap();
    assert!(
        page.contains(&stdout),
        "docs/drift.md does not hold the current output of `halo-audit diff {OLD} {NEW}`:\n{stdout}"
    );
}

/// The line of the object with this `"id"` in the NEW fixture: the `{` line just above it.
fn line_of(id: &str) -> u64 {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(NEW)).unwrap();
    let needle = format!("\"id\": {id},");
    let index = text.lines().position(|l| l.trim() == needle).unwrap();
    assert!(text.lines().nth(index - 1).unwrap().trim() == "{");
    u64::try_from(index).unwrap()
}

#[test]
fn sarif_is_valid_and_has_a_result_per_change_in_the_new_snapshot() {
    let (stdout, _) = run(&["diff", OLD, NEW, "--format", "sarif"], 0);
    insta::assert_snapshot!("fixtures_sarif", stdout);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    let (schemas, index) = sarif_schema();
    if let Err(e) = validate(&schemas, index, &log) {
        panic!("the diff's SARIF does not validate against the OASIS schema:\n{e}");
    }
    let (json, _) = run(&["diff", OLD, NEW, "--format", "json"], 0);
    let changes = serde_json::from_str::<Value>(&json).unwrap()["changes"]
        .as_array()
        .unwrap()
        .clone();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), changes.len());
    assert_eq!(results.len(), 40);
    let hashes: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        hashes.len(),
        results.len(),
        "one code-scanning alert per change"
    );
    // No `automationDetails` without `--sarif-category` (upload-sarif's `category` applies).
    assert!(run.get("automationDetails").is_none());
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    for rule in rules {
        assert_ne!(rule["name"], rule["id"]);
        assert!(rule["properties"]["security-severity"].is_string());
    }
    // One rule per kind of change found and level of its results: a kind with widened and
    // narrowed changes has `drift/KIND` (warning) and `drift/KIND/note`, so that GitHub, which
    // reads `security-severity` from the rule, never shows a narrowed change as a medium alert.
    let kinds: BTreeSet<(&str, &str)> = changes
        .iter()
        .map(|c| {
            let level = if c["class"] == "widened" {
                "warning"
            } else {
                "note"
            };
            (c["kind"].as_str().unwrap(), level)
        })
        .collect();
    assert_eq!(
        rules.len(),
        kinds.len(),
        "one rule per kind of change found and level"
    );
    let mut fingerprints = BTreeSet::new();
    for (result, change) in results.iter().zip(&changes) {
        let kind = change["kind"].as_str().unwrap();
        let rule_id = result["ruleId"].as_str().unwrap();
        let base = format!("drift/{}", kind.replace('_', "-"));
        assert!(
            rule_id == base || rule_id == format!("{base}/note"),
            "{rule_id}"
        );
        let rule = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[rule]["id"], result["ruleId"]);
        assert_eq!(
            rules[rule]["defaultConfiguration"]["level"], result["level"],
            "a result reports under a rule of its level"
        );
        let level = match change["class"].as_str().unwrap() {
            "widened" => "warning",
            "narrowed" | "neutral" => "note",
            other => panic!("class {other}"),
        };
        assert_eq!(result["level"], level, "{result:#}");
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], NEW);
        assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        let logical = &result["locations"][0]["logicalLocations"][0];
        assert_eq!(logical["kind"], change["subject"]["kind"]);
        assert_eq!(logical["name"], change["subject"]["name"]);
        assert_eq!(logical["properties"]["id"], change["subject"]["id"]);
        assert_eq!(
            logical["fullyQualifiedName"],
            format!(
                "{}/{}",
                change["subject"]["kind"].as_str().unwrap(),
                change["subject"]["name"].as_str().unwrap()
            )
        );
        let fingerprint = result["partialFingerprints"]["haloAuditDrift/v1"]
            .as_str()
            .unwrap();
        assert!(
            fingerprint.starts_with(&format!("{kind}|")),
            "{fingerprint}"
        );
        assert!(
            fingerprints.insert(fingerprint.to_owned()),
            "{fingerprint} twice"
        );
    }
    let start = |kind: &str, name: &str| {
        results
            .iter()
            .find(|r| {
                r["properties"]["kind"] == kind
                    && r["locations"][0]["logicalLocations"][0]["name"] == name
            })
            .unwrap()["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(start("level_raised", "Ava Stone"), line_of("10"));
    assert_eq!(
        start("created", "Backup Portal"),
        line_of("\"a0000000-0000-4000-8000-000000000007\"")
    );
    assert_eq!(
        start("deleted", "Old Sync"),
        1,
        "a deleted subject is not in NEW"
    );
    assert_eq!(run["properties"]["newSnapshot"], NEW);
    assert_eq!(run["properties"]["summary"]["widened"], 14);
}

/// The NEW fixture without its team list, written in `dir`: compared with NEW, nothing changes
/// and the teams cannot be compared.
fn new_without_teams(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("no-teams.json");
    let mut snapshot: Value = serde_json::from_str(&std::fs::read_to_string(NEW).unwrap()).unwrap();
    snapshot["objects"].as_object_mut().unwrap().remove("teams");
    std::fs::write(&path, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
    path
}

#[test]
fn sarif_names_what_could_not_be_compared() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_without_teams(dir.path());
    let (stdout, _) = run(
        &["diff", NEW, path.to_str().unwrap(), "--format", "sarif"],
        0,
    );
    let log: Value = serde_json::from_str(&stdout).unwrap();
    let (schemas, index) = sarif_schema();
    assert!(validate(&schemas, index, &log).is_ok());
    let not_compared = log["runs"][0]["properties"]["notCompared"]
        .as_array()
        .unwrap();
    assert!(
        not_compared.iter().any(|n| n["what"] == "teams"),
        "{not_compared:?}"
    );
    assert!(log["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn junit_fails_every_change_with_fail_on_drift_and_none_without() {
    let (stdout, _) = run(
        &["diff", OLD, NEW, "--format", "junit", "--fail-on-drift"],
        1,
    );
    insta::assert_snapshot!("fixtures_junit_fail_on_drift", stdout);
    let count = |tests, failures| Counts {
        tests,
        failures,
        skipped: 0,
    };
    let suites = junit_counts(&stdout);
    assert_eq!(
        suites,
        vec![
            ("applications".to_owned(), count(8, 8)),
            ("agents".to_owned(), count(19, 19)),
            ("teams".to_owned(), count(5, 5)),
            ("roles".to_owned(), count(8, 8)),
        ]
    );
    let (passing, _) = run(&["diff", OLD, NEW, "--format", "junit"], 0);
    let suites = junit_counts(&passing);
    assert_eq!(suites.iter().map(|(_, c)| c.tests).sum::<usize>(), 40);
    assert!(suites.iter().all(|(_, c)| c.failures == 0), "{suites:?}");
    let doc = roxmltree::Document::parse(&passing).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 40);
    for case in &cases {
        let out = case
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text())
            .unwrap();
        assert!(
            out.starts_with("[widened] ")
                || out.starts_with("[narrowed] ")
                || out.starts_with("[neutral] "),
            "{out}"
        );
    }
    let ava = cases
        .iter()
        .find(|c| {
            c.attribute("classname") == Some("agent/Ava Stone")
                && c.attribute("name") == Some("level-raised feature.invoices")
        })
        .unwrap();
    assert!(
        ava.children()
            .any(|n| n.text().is_some_and(|t| t.contains("through role Billing")))
    );
}

#[test]
fn junit_skips_what_could_not_be_compared() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_without_teams(dir.path());
    let (stdout, _) = run(
        &[
            "diff",
            NEW,
            path.to_str().unwrap(),
            "--format",
            "junit",
            "--fail-on-drift",
        ],
        0,
    );
    let suites = junit_counts(&stdout);
    let (name, counts) = suites.last().unwrap();
    assert_eq!(name, "not compared");
    assert_eq!(counts.failures, 0);
    assert!(
        counts.skipped >= 1 && counts.tests == counts.skipped,
        "{counts:?}"
    );
}

#[test]
fn github_annotations_are_one_escaped_line_per_change() {
    let (stdout, _) = run(&["diff", OLD, NEW, "--format", "github"], 0);
    insta::assert_snapshot!("fixtures_github", stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 40);
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::warning ")).count(),
        14
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::notice ")).count(),
        26
    );
    for line in &lines {
        let rest = line
            .strip_prefix("::warning ")
            .or_else(|| line.strip_prefix("::notice "))
            .unwrap();
        let (properties, message) = rest.split_once("::").unwrap();
        assert!(!message.contains('\n') && !message.is_empty(), "{line}");
        let properties: Vec<(&str, &str)> = properties
            .split(',')
            .map(|p| p.split_once('=').unwrap())
            .collect();
        let keys: Vec<&str> = properties.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["file", "line", "title"], "{line}");
        assert_eq!(properties[0].1, NEW);
        assert!(properties[1].1.parse::<u64>().unwrap() >= 1);
        assert!(properties[2].1.starts_with("drift%3A "), "{line}");
        assert!(!properties[2].1.contains(':'), "{line}");
    }
    assert!(stdout.contains(&format!(
        "::warning file={NEW},line={},title=drift%3A level-raised::agent `Ava Stone` gained Invoices: Read and Modify through role Billing (was Read Only)%0Abefore: agent: claim Xx = \"1\" (the agent's own claim, not through a role) → Read Only%0A",
        line_of("10")
    )), "{stdout}");
}

#[test]
fn the_ci_format_examples_in_docs_drift_md_are_current() {
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/drift.md"))
        .unwrap();
    let (github, _) = run(&["diff", OLD, NEW, "--format", "github"], 0);
    let quoted: Vec<&str> = page.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(quoted.len(), 3);
    for line in quoted {
        assert!(
            github.lines().any(|l| l == line),
            "docs/drift.md quotes an annotation `diff --format github` no longer writes:\n{line}"
        );
    }
    let (sarif, _) = run(&["diff", OLD, NEW, "--format", "sarif"], 0);
    let log: Value = serde_json::from_str(&sarif).unwrap();
    let ava = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "drift/level-raised")
        .unwrap();
    let fingerprint = ava["partialFingerprints"]["haloAuditDrift/v1"]
        .as_str()
        .unwrap();
    let line = &ava["locations"][0]["physicalLocation"]["region"]["startLine"];
    assert!(
        page.contains(&format!("\"haloAuditDrift/v1\": \"{fingerprint}\""))
            && page.contains(&format!("\"startLine\": {line} }}")),
        "docs/drift.md's SARIF example is stale: {ava:#}"
    );
}

/// The NEW fixture whose agent list was cut short by the fetch: its last `cut` agents are gone and
/// a `partial` gap says so, written in `dir`.
fn new_with_agents_cut(dir: &Path, cut: usize) -> (std::path::PathBuf, Vec<String>) {
    let path = dir.join("cut.json");
    let mut snapshot: Value = serde_json::from_str(&std::fs::read_to_string(NEW).unwrap()).unwrap();
    let agents = snapshot["objects"]["agents"]["agents"]
        .as_array_mut()
        .unwrap();
    let kept = agents.len() - cut;
    let gone: Vec<String> = agents
        .drain(kept..)
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    snapshot["gaps"] = serde_json::json!([{
        "endpoint": "/api/Agent",
        "status": 200,
        "reason": "partial",
        "detail": format!("{kept} of the {} records its record_count promised", kept + cut)
    }]);
    std::fs::write(&path, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
    (path, gone)
}

/// The human report with its wrapped lines joined again.
fn unwrapped(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

/// A member absent from a list one snapshot did not read whole is "not comparable", never deleted
/// or created, counted in the human, JSON and Markdown reports; the diff exits 3 (the drift could
/// not be established), `--fail-on-drift` or not.
#[test]
fn members_missing_from_a_list_cut_short_are_not_comparable_not_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (cut, gone) = new_with_agents_cut(dir.path(), 3);
    let cut = cut.to_str().unwrap();
    // NEW against its own cut copy: nothing changed, three agents cannot be compared.
    let (human, _) = run(&["diff", NEW, cut], 3);
    let human = unwrapped(&human);
    assert!(!human.contains("was deleted"), "{human}");
    assert!(human.contains("Not comparable"), "{human}");
    for name in &gone {
        assert!(
            human.contains(&format!("agent `{name}`")),
            "{name}: {human}"
        );
    }
    assert!(
        human.contains("the NEW snapshot's agent list was not read whole (partial: "),
        "{human}"
    );
    assert!(
        human.contains("(0 changes); 3 not comparable: /api/Agent was not read whole (exit 3)"),
        "{human}"
    );
    // The other way round, nothing is created.
    let (human, _) = run(&["diff", cut, NEW, "--fail-on-drift"], 3);
    let human = unwrapped(&human);
    assert!(!human.contains("was created"), "{human}");
    assert!(human.contains("in the NEW snapshot only, and the OLD snapshot's agent list"));
    let (json, _) = run(&["diff", NEW, cut, "--format", "json"], 3);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["summary"]["not_comparable"], 3);
    assert_eq!(doc["summary"]["incomplete_lists"][0], "/api/Agent");
    assert_eq!(doc["summary"]["drift"], false);
    let listed: BTreeSet<&str> = doc["not_comparable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            assert_eq!(n["listed_in"], "OLD");
            assert_eq!(n["subject"]["kind"], "agent");
            n["subject"]["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(listed, gone.iter().map(String::as_str).collect());
    assert!(
        doc["not_compared"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["what"] == "the agent list"
                && n["reason"]
                    .as_str()
                    .unwrap()
                    .contains("3 agents absent from it are not comparable")),
        "{json}"
    );
    let (markdown, _) = run(&["diff", NEW, cut, "--format", "markdown"], 3);
    assert!(markdown.contains("**3 not comparable**"), "{markdown}");
    assert!(markdown.contains("## Not comparable"), "{markdown}");
    assert!(!markdown.contains("was deleted"), "{markdown}");
    // Real drift beside the cut list is still reported, and the cut list still decides the code.
    let (human, _) = run(&["diff", OLD, cut, "--fail-on-drift"], 3);
    let human = unwrapped(&human);
    assert!(
        human.contains("agent `Eli Novak` became a HaloPSA administrator"),
        "{human}"
    );
    assert!(
        human.contains("agent `Max Ford` (id 22): in the OLD snapshot only"),
        "{human}"
    );
    for name in &gone {
        assert!(
            !human.contains(&format!("agent `{name}` was created")),
            "{name}: {human}"
        );
    }
    // SARIF says the run did not establish the drift; HTML lists the members.
    let (sarif, _) = run(&["diff", NEW, cut, "--format", "sarif"], 3);
    let log: Value = serde_json::from_str(&sarif).unwrap();
    let (schemas, index) = sarif_schema();
    assert!(validate(&schemas, index, &log).is_ok());
    assert_eq!(
        log["runs"][0]["properties"]["notComparable"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let (html, _) = run(&["diff", NEW, cut, "--format", "html"], 3);
    assert!(html.contains("Not comparable (3)"), "{html}");
}
