//! The command line as a user meets it: exit codes 0/1/2 (3 for an unwritable report), error
//! messages on stderr, the JSON report contract (DESIGN §5), `-o`, `explain`, `rules`, `snapshot`.
//!
//! Every command runs from the repository root with `NO_COLOR=1`, so paths in messages are the
//! relative ones given and nothing is coloured.

// Helpers outside `#[test]` functions are test code too (clippy.toml allows these in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const DEMO: &str = "fixtures/demo/snapshot.json";

fn case(name: &str) -> String {
    format!("fixtures/cases/{name}/snapshot.json")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn halo_audit() -> Command {
    let mut cmd = Command::cargo_bin("halo-audit").unwrap();
    cmd.current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("HALO_URL");
    cmd
}

/// What a finished run left behind.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let output = halo_audit().args(args).output().unwrap();
    let run = Run {
        code: output.status.code().expect("killed by a signal"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "panic in {args:?}:\n{}",
        run.stderr
    );
    run
}

/// Runs and checks the exit code, showing both streams when it is wrong.
fn run_expect(args: &[&str], code: i32) -> Run {
    let run = run(args);
    assert_eq!(
        run.code, code,
        "exit code of {args:?}\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    run
}

fn json_report(args: &[&str], code: i32) -> Value {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let run = run_expect(&all, code);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout))
}

/// A copy of a case's snapshot, changed by `edit`, in a temporary directory.
fn edited_snapshot(name: &str, edit: impl FnOnce(&mut Value)) -> (tempfile::TempDir, PathBuf) {
    let text = std::fs::read_to_string(root().join(case(name))).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    edit(&mut value);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    (dir, path)
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Text with its line breaks and indentation as single spaces (the human report wraps lines).
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// --- exit codes ---------------------------------------------------------------------------------

#[test]
fn demo_has_errors_and_exits_1() {
    let run = run_expect(&["check", "--snapshot", DEMO], 1);
    assert!(
        words(&run.stdout).contains("failed (--fail-on error)"),
        "{}",
        run.stdout
    );
}

#[test]
fn fail_on_never_exits_0_even_with_errors() {
    let run = run_expect(&["check", "--snapshot", DEMO, "--fail-on", "never"], 0);
    assert!(
        words(&run.stdout).contains("not gating (--fail-on never)"),
        "{}",
        run.stdout
    );
}

#[test]
fn warnings_fail_only_at_fail_on_warning_or_below() {
    // excessive-grant: three warnings, no error, no note.
    let snapshot = case("excessive-grant");
    run_expect(&["check", "--snapshot", &snapshot], 0);
    run_expect(&["check", "--snapshot", &snapshot, "--fail-on", "error"], 0);
    run_expect(
        &["check", "--snapshot", &snapshot, "--fail-on", "warning"],
        1,
    );
    run_expect(&["check", "--snapshot", &snapshot, "--fail-on", "note"], 1);
    run_expect(&["check", "--snapshot", &snapshot, "--fail-on", "never"], 0);
}

#[test]
fn notes_fail_only_at_fail_on_note() {
    // all-satisfied, except that Cloud Depot's agent has a default team: the vendor says "No
    // Default Team" and the rule's severity is note, so with the case's catalog overlay (its
    // Invoices value decoded) this is the only finding.
    let (_dir, path) = edited_snapshot("all-satisfied", |v| {
        v["objects"]["agents"][1]["team"] = Value::from("Service Desk");
    });
    let snapshot = path_str(&path);
    let overlay = "fixtures/cases/all-satisfied/catalog.yaml";
    let report = json_report(
        &[
            "--snapshot",
            snapshot,
            "--catalog",
            overlay,
            "--fail-on",
            "note",
        ],
        1,
    );
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0);
    assert_eq!(report["summary"]["notes"], 1);
    assert_eq!(report["summary"]["passed"], false);
    let requirements: Vec<&Value> = report["findings"]
        .as_array()
        .map(|f| f.iter().map(|f| &f["requirement"]).collect())
        .unwrap_or_default();
    assert_eq!(
        requirements,
        [&Value::from("cloud-depot.agent.no-default-team")],
        "{requirements:?}"
    );
    let args = ["check", "--snapshot", snapshot, "--catalog", overlay];
    run_expect(&[&args[..], &["--fail-on", "warning"]].concat(), 0);
    run_expect(&args, 0);
}

#[test]
fn fail_on_note_passes_a_clean_tenant() {
    run_expect(
        &[
            "check",
            "--snapshot",
            &case("365sentri-documented"),
            "--fail-on",
            "note",
        ],
        0,
    );
}

#[test]
fn binding_not_found_for_an_explicit_set_exits_1() {
    let report = json_report(
        &[
            "--snapshot",
            &case("binding-not-found"),
            "--set",
            "vciotoolbox",
        ],
        1,
    );
    assert_eq!(report["findings"][0]["code"], "binding-not-found");
}

#[test]
fn without_set_only_sets_binding_an_application_run() {
    // The golden cases name their sets, so their output does not change when a rule set is added;
    // default selection is checked here without pinning the list of shipped sets.
    let snapshot = case("disabled-login-agent");
    let run = run_expect(&["check", "--snapshot", &snapshot], 0);
    // The line and its wrapped continuation lines (indented).
    let not_in_use: String = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Not in use (no matching application): "))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.starts_with("  "))
        .map(|(_, l)| l.trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        !not_in_use.is_empty(),
        "no not-in-use line:\n{}",
        run.stdout
    );
    assert!(not_in_use.contains("vciotoolbox"), "{not_in_use}");
    assert!(!not_in_use.contains("cloud-depot"), "{not_in_use}");
    let report = json_report(&["--snapshot", &snapshot], 0);
    let sets = report["sets"].as_array().unwrap();
    let state = |id: &str| {
        sets.iter()
            .find(|s| s["id"] == id)
            .map(|s| s["state"].clone())
    };
    assert_eq!(state("cloud-depot"), Some(Value::from("evaluated")));
    assert_eq!(state("vciotoolbox"), Some(Value::from("not_in_use")));
    assert_eq!(state("baseline"), Some(Value::from("baseline")));
    let evaluated: Vec<&Value> = sets
        .iter()
        .filter(|s| s["state"] == "evaluated")
        .map(|s| &s["id"])
        .collect();
    assert_eq!(
        evaluated,
        vec!["cloud-depot"],
        "only Cloud Depot's set binds an application"
    );
    // Only the baseline's two findings; no set that is not in use reports anything. (Cloud
    // Depot's Invoices level, whose stored number no source gives, is the case's one honest gap.)
    let from: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] != "ambiguous-requirement")
        .filter(|f| f["requirement"] != "cloud-depot.feature.invoices")
        .map(|f| f["requirement_set"].as_str().unwrap())
        .collect();
    assert_eq!(from, vec!["baseline", "baseline"]);
}

// --- invalid input: exit 2 ------------------------------------------------------------------------

#[test]
fn missing_snapshot_exits_2_naming_the_path() {
    let run = run_expect(
        &["check", "--snapshot", "fixtures/no-such-snapshot.json"],
        2,
    );
    assert!(
        run.stderr.contains("fixtures/no-such-snapshot.json"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // The system's reason, once.
    assert_eq!(
        run.stderr.matches("No such file or directory").count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn truncated_snapshot_exits_2_with_file_line_and_column() {
    let text = std::fs::read_to_string(root().join(case("all-satisfied"))).unwrap();
    // Cut in the middle of the second agent object.
    let cut = text.find("\"Cloud Depot API\"").unwrap() + 5;
    let truncated = &text[..cut];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truncated.json");
    std::fs::write(&path, truncated).unwrap();
    let run = run_expect(&["check", "--snapshot", path_str(&path)], 2);
    // The parser stops at the last character: the last line, after its last character.
    let line = truncated.lines().count();
    let column = truncated.lines().last().unwrap().chars().count();
    let expected = format!("{}:{line}:{column}", path.display());
    let error_lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains(&expected))
        .collect();
    assert_eq!(
        error_lines.len(),
        1,
        "expected one line naming {expected}:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("truncated"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn non_snapshot_json_exits_2() {
    for (name, text) in [
        ("object.json", r#"{"agents": [{"id": 1}]}"#),
        ("array.json", "[1, 2, 3]"),
        (
            "other-format.json",
            r#"{"format": "something-else", "version": 1}"#,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let run = run_expect(&["check", "--snapshot", path_str(&path)], 2);
        assert!(
            run.stderr.contains("is not a halo-audit snapshot"),
            "{name}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
    }
}

#[test]
fn future_version_snapshot_exits_2_with_upgrade_hint() {
    // A newer version may change any member's shape; the version is what must be reported.
    let (_dir, path) = edited_snapshot("all-satisfied", |v| {
        v["version"] = Value::from(2);
        v["objects"]["agents"] = Value::from("a shape from the future");
    });
    let run = run_expect(&["check", "--snapshot", path_str(&path)], 2);
    assert!(run.stderr.contains("version 2"), "{}", run.stderr);
    assert!(run.stderr.contains("upgrade"), "{}", run.stderr);
}

#[test]
fn unknown_set_exits_2_with_a_suggestion() {
    let run = run_expect(&["check", "--snapshot", DEMO, "--set", "cloud-depo"], 2);
    assert!(
        run.stderr.contains("unknown requirement set `cloud-depo`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `cloud-depot`"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn invalid_rules_dir_exits_2() {
    // Not there.
    let run = run_expect(
        &[
            "check",
            "--snapshot",
            DEMO,
            "--rules",
            "fixtures/no-such-rules",
        ],
        2,
    );
    assert!(
        run.stderr.contains("fixtures/no-such-rules"),
        "{}",
        run.stderr
    );
    // No rule file in it.
    let empty = tempfile::tempdir().unwrap();
    let run = run_expect(
        &[
            "check",
            "--snapshot",
            DEMO,
            "--rules",
            path_str(empty.path()),
        ],
        2,
    );
    assert!(run.stderr.contains("no rule files"), "{}", run.stderr);
    // A broken rule file in it: the problem is named with file:line:col.
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("broken.yaml"),
        "id: broken\ntitle: Broken\nsources: [{url: https://x.example, retrieved: 2026-11-24}]\n\
         binding: {application_name: [\"*Broken*\"]}\nrequirements:\n  - id: broken.one\n    \
         title: One\n    permission: Customrs\n    expect: Read Only\n    source: {quote: q}\n",
    )
    .unwrap();
    let run = run_expect(
        &[
            "check",
            "--snapshot",
            DEMO,
            "--rules",
            path_str(broken.path()),
        ],
        2,
    );
    assert!(
        run.stderr.contains("unknown permission `Customrs`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("broken.yaml:8:17"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn usage_error_exits_2() {
    let run = run_expect(&["check", "--snapshot", DEMO, "--no-such-flag"], 2);
    assert!(run.stderr.contains("--no-such-flag"), "{}", run.stderr);
    run_expect(&["check"], 2);
    run_expect(&["check", "--snapshot", DEMO, "--fail-on", "sometimes"], 2);
    run_expect(&["no-such-command"], 2);
}

#[test]
fn help_exits_0() {
    let run = run_expect(&["--help"], 0);
    assert!(run.stdout.contains("Usage: halo-audit"), "{}", run.stdout);
    for command in ["check", "snapshot", "rules", "explain"] {
        assert!(
            run.stdout.contains(command),
            "{command} not in --help:\n{}",
            run.stdout
        );
    }
    let run = run_expect(&["check", "--help"], 0);
    assert!(run.stdout.contains("--fail-on"), "{}", run.stdout);
}

// --- the JSON report ----------------------------------------------------------------------------

fn assert_string_or_null(value: &Value, what: &str) {
    assert!(value.is_string() || value.is_null(), "{what} is {value}");
}

#[test]
fn json_report_has_the_documented_shape() {
    let report = json_report(&["--snapshot", DEMO], 1);
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "halo-audit");
    assert!(report["tool"]["version"].is_string());
    assert_eq!(
        report["snapshot"]["instance"],
        "https://northwind.halopsa.example"
    );
    assert_eq!(report["snapshot"]["fetched_at"], "2026-11-20T09:00:00Z");

    let summary = &report["summary"];
    for key in ["errors", "warnings", "notes", "unverifiable"] {
        assert!(summary[key].is_u64(), "summary.{key} is {}", summary[key]);
    }
    assert_eq!(summary["passed"], false);

    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    let count = |severity: &str| {
        findings
            .iter()
            .filter(|f| f["severity"] == severity)
            .count() as u64
    };
    assert_eq!(summary["errors"].as_u64(), Some(count("error")));
    assert_eq!(summary["warnings"].as_u64(), Some(count("warning")));
    assert_eq!(summary["notes"].as_u64(), Some(count("note")));
    let unverifiable = findings
        .iter()
        .filter(|f| f["code"] == "unverifiable")
        .count() as u64;
    assert_eq!(summary["unverifiable"].as_u64(), Some(unverifiable));

    for f in findings {
        assert!(f["code"].as_str().is_some_and(|c| !c.is_empty()), "{f}");
        assert!(
            ["error", "warning", "note"].contains(&f["severity"].as_str().unwrap()),
            "{f}"
        );
        assert!(f["requirement_set"].is_string(), "{f}");
        assert_string_or_null(&f["requirement"], "requirement");
        let subject = &f["subject"];
        assert!(
            ["application", "agent", "team", "role", "tenant"]
                .contains(&subject["kind"].as_str().unwrap()),
            "{f}"
        );
        assert!(subject["id"].is_string(), "{f}");
        assert!(subject["name"].is_string(), "{f}");
        assert_string_or_null(&f["permission"], "permission");
        assert_string_or_null(&f["expected"], "expected");
        assert_string_or_null(&f["actual"], "actual");
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
        let at = &f["rule_location"];
        assert!(
            at["path"].as_str().is_some_and(|p| p.starts_with("rules/")),
            "{f}"
        );
        assert!(at["line"].as_u64().is_some_and(|l| l > 0), "{f}");
        assert!(at["column"].as_u64().is_some_and(|c| c > 0), "{f}");
    }
    // The codes DESIGN §5 promises at least, all present in the demo.
    for code in ["missing-grant", "excessive-grant"] {
        assert!(
            findings.iter().any(|f| f["code"] == code),
            "no {code} in the demo"
        );
    }
}

#[test]
fn json_summary_passed_follows_fail_on() {
    let report = json_report(&["--snapshot", DEMO, "--fail-on", "never"], 0);
    assert_eq!(report["summary"]["passed"], true);
    let report = json_report(&["--snapshot", &case("365sentri-documented")], 0);
    assert_eq!(report["summary"]["passed"], true);
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(0));
}

#[test]
fn json_report_names_the_role_behind_an_excessive_level() {
    let report = json_report(&["--snapshot", &case("role-granted")], 0);
    let finding = |requirement: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["requirement"] == requirement)
            .unwrap_or_else(|| panic!("no finding on {requirement}"))
            .clone()
    };
    // The agent's own Read Only is raised by its role: the role is named.
    let customers = finding("cloud-depot.feature.customers");
    assert_eq!(customers["code"], "excessive-grant");
    assert_eq!(customers["expected"], "Read Only");
    assert_eq!(
        customers["actual"],
        "Read and Modify (through role Integration Finance)"
    );
    // A level the requirement's level is not ranked against: undecided, the role still named.
    let invoices = finding("cloud-depot.feature.invoices");
    assert_eq!(invoices["code"], "ambiguous-requirement");
    assert!(
        invoices["message"]
            .as_str()
            .unwrap()
            .contains("Read, Modify and Delete (through role Integration Finance)"),
        "{invoices}"
    );
}

#[test]
fn list_envelopes_give_the_same_report_as_bare_arrays() {
    let bare = run_expect(
        &[
            "check",
            "--format",
            "json",
            "--snapshot",
            &case("role-granted"),
        ],
        0,
    );
    let envelope = run_expect(
        &[
            "check",
            "--format",
            "json",
            "--snapshot",
            &case("list-envelope"),
        ],
        0,
    );
    assert_eq!(bare.stdout, envelope.stdout);
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, "previous report\n").unwrap();
    let run = run_expect(
        &[
            "check",
            "--snapshot",
            DEMO,
            "--format",
            "json",
            "-o",
            path_str(&path),
        ],
        1,
    );
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    // The one-line summary goes to stderr.
    assert!(run.stderr.starts_with("halo-audit: "), "{}", run.stderr);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(report["version"], 1);
    // Atomic replacement leaves nothing else behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["report.json".to_owned()]);
    // The human report can go to a file too.
    let human = dir.path().join("report.txt");
    let run = run_expect(&["check", "--snapshot", DEMO, "-o", path_str(&human)], 1);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert!(
        std::fs::read_to_string(&human)
            .unwrap()
            .contains("missing-grant")
    );
}

#[test]
fn unwritable_output_file_fails_without_a_report_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("report.json");
    let run = run(&["check", "--snapshot", DEMO, "-o", path_str(&path)]);
    assert_ne!(run.code, 0);
    assert_ne!(run.code, 1);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert!(run.stderr.contains("report.json"), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("No such file or directory").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(!path.exists());
}

// --- explain, rules, snapshot -------------------------------------------------------------------

#[test]
fn explain_shows_the_documentation_of_a_code() {
    let run = run_expect(&["explain", "missing-grant"], 0);
    for section in [
        "missing-grant",
        "What it does",
        "Why it matters",
        "How to fix",
    ] {
        assert!(
            run.stdout.contains(section),
            "{section} missing:\n{}",
            run.stdout
        );
    }
    // Plain text for a terminal, not Markdown (docs/checks/ keeps the Markdown).
    assert!(
        !run.stdout.contains("**") && !run.stdout.lines().any(|l| l.starts_with('#')),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        run.stdout
    );
    let run = run_expect(&["explain"], 0);
    for code in [
        "missing-grant",
        "excessive-grant",
        "unverifiable",
        "binding-not-found",
    ] {
        assert!(run.stdout.contains(code), "{code} missing:\n{}", run.stdout);
    }
}

#[test]
fn explain_unknown_code_exits_2() {
    let run = run_expect(&["explain", "nope"], 2);
    assert!(
        run.stderr.contains("unknown finding code `nope`"),
        "{}",
        run.stderr
    );
    let run = run_expect(&["explain", "missing-grants"], 2);
    assert!(
        run.stderr.contains("did you mean `missing-grant`"),
        "{}",
        run.stderr
    );
}

#[test]
fn rules_list_shows_the_shipped_sets() {
    let run = run_expect(&["rules", "list"], 0);
    for id in ["baseline", "cloud-depot", "vciotoolbox"] {
        assert!(run.stdout.contains(id), "{id} missing:\n{}", run.stdout);
    }
}

#[test]
fn rules_show_prints_a_set_and_refuses_an_unknown_one() {
    let run = run_expect(&["rules", "show", "cloud-depot"], 0);
    assert!(
        run.stdout.contains("cloud-depot.feature.invoices"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("https://kb.clouddepot.com/"),
        "{}",
        run.stdout
    );
    let run = run_expect(&["rules", "show", "nope"], 2);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
}

#[test]
fn snapshot_show_lists_unknown_claims() {
    let run = run_expect(&["snapshot", "show", DEMO], 0);
    for shown in [
        "Wg",
        "tx",
        // The reason's words, wrapped to the table's width.
        "from `Tx`",
        "in letter case;",
        "LC",
        "northwind",
    ] {
        assert!(run.stdout.contains(shown), "{shown}: {}", run.stdout);
    }
    run_expect(&["snapshot", "show", "fixtures/no-such-snapshot.json"], 2);
}

#[test]
fn secrets_in_a_snapshot_never_reach_the_output() {
    let (_dir, path) = edited_snapshot("all-satisfied", |v| {
        v["objects"]["applications"][0]["clientSecret"] = Value::from("TOP-SECRET-VALUE");
        v["objects"]["agents"][1]["api_key"] = Value::from("TOP-SECRET-VALUE");
    });
    for args in [
        vec!["check", "--snapshot", path_str(&path)],
        vec!["check", "--format", "json", "--snapshot", path_str(&path)],
        vec!["snapshot", "show", path_str(&path)],
        vec!["-v", "snapshot", "show", path_str(&path)],
    ] {
        let run = run_expect(&args, 0);
        assert!(
            !run.stdout.contains("TOP-SECRET-VALUE"),
            "{args:?}: {}",
            run.stdout
        );
        assert!(
            !run.stderr.contains("TOP-SECRET-VALUE"),
            "{args:?}: {}",
            run.stderr
        );
    }
}
