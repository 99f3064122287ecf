//! Hostile and broken inputs: the corpus under `fixtures/bad/` (rule files, configurations,
//! snapshots), plus inputs too large to commit, generated here. Every one must end in its own
//! specific error with exit code 2 (a secret in a configuration: a warning), never a panic, within
//! the harness's time limit; the large ones within a memory limit too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use halo_audit::catalog::Catalog;
use halo_audit::ruleset::{self, RuleFile, RulesError};
use halo_audit::snapshot;
use serde_json::{Value, json};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What a finished run left behind.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs halo-audit in the repository root; a run that outlives 30 s is killed and fails the test.
fn run(args: &[&str]) -> Run {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("HALO_AUDIT_CONFIG")
        .env_remove("HALO_URL")
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let run = Run {
        code: output
            .status
            .code()
            .unwrap_or_else(|| panic!("{args:?} was killed (time limit?)")),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "{args:?} panicked:\n{}",
        run.stderr
    );
    run
}

/// One file of the corpus: the command it is given to, and what must be said about it.
struct Case {
    /// Relative to `fixtures/bad/`.
    file: &'static str,
    /// Every one of these is in stderr.
    says: &'static [&'static str],
}

const RULES: &[Case] = &[
    Case {
        file: "rules/malformed.yaml",
        says: &["cannot parse rule file", "malformed.yaml:10:"],
    },
    Case {
        file: "rules/alias-bomb.yaml",
        says: &["budget breached", "YAML limits"],
    },
    Case {
        file: "rules/deep-nesting.yaml",
        says: &["budget breached: Depth"],
    },
    Case {
        file: "rules/invalid-utf8.yaml",
        says: &["invalid-utf8.yaml:3:12: the file is not UTF-8 text"],
    },
    Case {
        file: "rules/wrong-type.yaml",
        says: &["expected string scalar", "wrong-type.yaml:13:"],
    },
    Case {
        file: "rules/duplicate-key.yaml",
        says: &["duplicate mapping key: expect", "duplicate-key.yaml:15:"],
    },
    Case {
        file: "rules/out-of-range.yaml",
        says: &["invalid u32", "out-of-range.yaml:15:"],
    },
    Case {
        file: "rules/self-reference.yaml",
        says: &["recursive references", "value infinite"],
    },
    Case {
        file: "rules/not-a-mapping.yaml",
        says: &["expected mapping start"],
    },
    Case {
        file: "rules/empty.yaml",
        says: &["the rule file is empty"],
    },
];

const CONFIGS: &[Case] = &[
    Case {
        file: "config/malformed.yaml",
        says: &["cannot parse configuration", "malformed.yaml:2:"],
    },
    Case {
        file: "config/alias-bomb.yaml",
        says: &["cannot parse configuration", "alias-bomb.yaml:2:"],
    },
    Case {
        file: "config/deep-nesting.yaml",
        says: &["cannot parse configuration", "deep-nesting.yaml:1:"],
    },
    Case {
        file: "config/invalid-utf8.yaml",
        says: &["invalid-utf8.yaml:3:15: the file is not UTF-8 text"],
    },
    Case {
        file: "config/wrong-type.yaml",
        says: &["invalid boolean", "wrong-type.yaml:1:"],
    },
    Case {
        file: "config/duplicate-key.yaml",
        says: &["duplicate mapping key: fail_on"],
    },
    Case {
        file: "config/out-of-range.yaml",
        says: &["`2027-02-30` is not a date", "out-of-range.yaml:6:"],
    },
    Case {
        file: "config/self-reference.yaml",
        says: &["recursive references"],
    },
];

const SNAPSHOTS: &[Case] = &[
    Case {
        file: "snapshot/truncated.json",
        says: &["truncated.json:1:", "EOF while parsing", "truncated"],
    },
    Case {
        file: "snapshot/malformed.json",
        says: &["malformed.json:1:", "expected `,` or `}`"],
    },
    Case {
        file: "snapshot/deep-nesting.json",
        says: &["recursion limit exceeded", "nested deeper"],
    },
    Case {
        file: "snapshot/invalid-utf8.json",
        says: &[
            "invalid-utf8.json:1:",
            "invalid unicode code point",
            "UTF-8",
        ],
    },
    Case {
        file: "snapshot/wrong-type.json",
        says: &["`gaps`", "expected a sequence"],
    },
    Case {
        file: "snapshot/duplicate-key.json",
        says: &["`objects.agents[0]`", "`is_admin` is written twice"],
    },
    Case {
        file: "snapshot/duplicate-member.json",
        says: &["duplicate field `version`"],
    },
    Case {
        file: "snapshot/out-of-range.json",
        says: &["`gaps[0].status`", "70000", "u16"],
    },
    Case {
        file: "snapshot/negative-number.json",
        says: &["`requests.total`", "-1"],
    },
    Case {
        file: "snapshot/huge-version.json",
        says: &["`version`", "expected u64"],
    },
    Case {
        file: "snapshot/future-version.json",
        says: &["format version 2", "upgrade halo-audit"],
    },
    Case {
        file: "snapshot/not-a-snapshot.json",
        says: &["is not a halo-audit snapshot", "not a JSON object"],
    },
    Case {
        file: "snapshot/empty.json",
        says: &["the file is empty"],
    },
    Case {
        file: "snapshot/trailing-garbage.json",
        says: &["trailing-garbage.json:2:1", "trailing characters"],
    },
    Case {
        file: "snapshot/agent-without-id.json",
        says: &["/objects/agents/0", "no integer `id`"],
    },
    Case {
        file: "snapshot/collection-wrong-shape.json",
        says: &["/objects/agents", "expected an array of agents"],
    },
];

fn bad(file: &str) -> String {
    format!("fixtures/bad/{file}")
}

fn expect_error(case: &Case, args: &[&str]) {
    let run = run(args);
    assert_eq!(run.code, 2, "{}: exit code\n{}", case.file, run.stderr);
    for words in case.says {
        assert!(
            run.stderr.contains(words),
            "{}: `{words}` not in\n{}",
            case.file,
            run.stderr
        );
    }
    assert!(run.stdout.is_empty(), "{}: a report was written", case.file);
}

#[test]
fn every_bad_rule_file_ends_in_its_specific_error() {
    for case in RULES {
        let path = bad(case.file);
        expect_error(case, &["rules", "validate", &path]);
        // The same through `check --rules`.
        expect_error(
            case,
            &[
                "check",
                "--snapshot",
                "fixtures/demo/snapshot.json",
                "--rules",
                &path,
            ],
        );
    }
}

#[test]
fn every_bad_configuration_ends_in_its_specific_error() {
    for case in CONFIGS {
        let path = bad(case.file);
        expect_error(
            case,
            &[
                "--config",
                &path,
                "check",
                "--snapshot",
                "fixtures/demo/snapshot.json",
            ],
        );
    }
}

#[test]
fn every_bad_snapshot_ends_in_its_specific_error() {
    for case in SNAPSHOTS {
        let path = bad(case.file);
        expect_error(case, &["check", "--snapshot", &path]);
        expect_error(case, &["snapshot", "show", &path]);
    }
}

#[test]
fn every_file_of_the_corpus_has_a_case() {
    let mut on_disk = BTreeSet::new();
    for dir in ["rules", "config", "snapshot"] {
        for entry in std::fs::read_dir(root().join("fixtures/bad").join(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            on_disk.insert(format!("{dir}/{name}"));
        }
    }
    let mut covered: BTreeSet<String> = RULES
        .iter()
        .chain(CONFIGS)
        .chain(SNAPSHOTS)
        .map(|c| c.file.to_owned())
        .collect();
    covered.insert("config/secret.yaml".to_owned());
    assert_eq!(on_disk, covered);
}

#[test]
fn a_secret_in_the_configuration_is_a_warning_that_never_echoes_it() {
    let run = run(&[
        "--config",
        &bad("config/secret.yaml"),
        "check",
        "--snapshot",
        "fixtures/demo/snapshot.json",
        "--fail-on",
        "never",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("a client secret is written in the configuration file; it is ignored"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("secret.yaml:5:"), "{}", run.stderr);
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains("fixture-secret-8d1f2c7b"), "{text}");
    }
}

#[test]
fn an_empty_rules_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "not a rule file").unwrap();
    let path = dir.path().to_str().unwrap();
    for args in [
        vec!["rules", "validate", path],
        vec![
            "check",
            "--snapshot",
            "fixtures/demo/snapshot.json",
            "--rules",
            path,
        ],
    ] {
        let run = run(&args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("no rule files (*.yaml) in"),
            "{}",
            run.stderr
        );
    }
}

#[cfg(unix)]
#[test]
fn a_rule_file_that_is_a_link_to_itself_is_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("loop.yaml");
    std::os::unix::fs::symlink(&link, &link).unwrap();
    let run = run(&["rules", "validate", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read rules from"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("loop.yaml"), "{}", run.stderr);
}

/// A sparse file of `size` bytes starting with `head` (the rest reads as NUL bytes).
fn sparse(path: &Path, head: &[u8], size: u64) {
    std::fs::write(path, head).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(size)
        .unwrap();
}

/// A 200 MB snapshot that goes bad after its first bytes is refused at that byte, without
/// reading the rest: the run is limited to 64 MiB of address space, less than a third of the
/// file, and still ends in the specific error. (A valid snapshot of that size is accepted and
/// takes memory in proportion; see docs/snapshot-format.md.)
#[cfg(target_os = "linux")]
#[test]
fn a_200_mb_snapshot_fails_fast_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    sparse(
        &path,
        br#"{"format": "halo-audit-snapshot", "version": 1, "objects": {"agents": ["#,
        200 * 1024 * 1024,
    );
    let bin = assert_cmd::cargo::cargo_bin("halo-audit");
    let output = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 65536 && exec \"$0\" \"$@\"")
        .arg(&bin)
        .args(["snapshot", "show"])
        .arg(&path)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("huge.json:1:72: expected value"),
        "{stderr}"
    );
}

#[test]
fn a_snapshot_over_the_size_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("over.json");
    sparse(&path, b"{", snapshot::MAX_BYTES + 1);
    let run = run(&["check", "--snapshot", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("over the {}-byte limit", snapshot::MAX_BYTES)),
        "{}",
        run.stderr
    );
}

#[test]
fn yaml_files_over_the_size_limit_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    sparse(&path, b"id: x\n", ruleset::MAX_YAML_BYTES + 1);
    let path = path.to_str().unwrap();
    for args in [
        vec!["rules", "validate", path],
        vec![
            "--config",
            path,
            "check",
            "--snapshot",
            "fixtures/demo/snapshot.json",
        ],
    ] {
        let run = run(&args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("over the {}-byte limit", ruleset::MAX_YAML_BYTES)),
            "{}",
            run.stderr
        );
    }
}

/// Replaces the value at `pointer` with one of another JSON type.
fn wrong_type(doc: &mut Value, pointer: &str) -> Value {
    let slot = doc.pointer_mut(pointer).unwrap();
    let wrong = match slot {
        Value::String(_) => json!([9901]),
        Value::Number(_) | Value::Bool(_) | Value::Null => json!({"x9901": 1}),
        Value::Array(_) | Value::Object(_) => json!(9901),
    };
    *slot = wrong.clone();
    wrong
}

/// Every member's pointer, depth first (array items by their first element only).
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                let p = format!("{at}/0");
                out.push(p.clone());
                pointers(first, p, out);
            }
        }
        _ => {}
    }
}

/// Every member of the snapshot format given a value of the wrong type is refused, naming it.
/// Inside Halo's own objects only what the model cannot do without is an error (`id`); any other
/// member of the wrong type reads as unknown, so the requirements that depend on it are
/// unverifiable rather than passed (tested in the normaliser).
#[test]
fn wrong_types_in_every_member_of_a_snapshot_are_refused() {
    let full = json!({
        "format": "halo-audit-snapshot",
        "version": 1,
        "instance": {"url": "https://acme.halopsa.com", "tenant": "acme"},
        "fetched_at": "2026-11-24T09:00:00Z",
        "tool": {"name": "halo-audit", "version": "0.1.0"},
        "scope": "all",
        "requests": {"total": 3, "retries": 0, "throttled": 0, "by_endpoint": {"GET /api/Agent": 1}},
        "auditor": {"client_id": "x", "requested_scope": "admin", "granted_scopes": ["admin"]},
        "gaps": [{"endpoint": "/api/Team", "status": 403, "reason": "forbidden", "detail": "no", "object_id": "1"}],
        "redacted": ["clientSecret"],
        "objects": {
            "agents": [{"id": 1, "name": "Ava"}],
            "teams": [{"id": 1, "name": "Desk"}],
            "roles": [{"id": "g-1", "name": "Billing"}],
            "applications": [{"id": "a-1", "displayName": "App"}]
        }
    });
    let catalog = Catalog::builtin().unwrap();
    let path = Path::new("full.json");
    let check = |doc: &Value| {
        snapshot::parse(doc.to_string().as_bytes(), path)
            .and_then(|s| snapshot::normalise(&s, catalog, path).map(|_| ()))
    };
    check(&full).unwrap();
    let mut members = Vec::new();
    pointers(&full, String::new(), &mut members);
    let inside_halo_objects = |p: &str| {
        let parts: Vec<&str> = p.split('/').collect();
        // /objects/<collection>/0/<member>: Halo's own data.
        parts.len() >= 5 && parts[1] == "objects" && parts[4] != "id"
    };
    let mut refused = 0;
    for pointer in &members {
        let mut doc = full.clone();
        wrong_type(&mut doc, pointer);
        let result = check(&doc);
        if inside_halo_objects(pointer) {
            assert!(result.is_ok(), "{pointer}: {result:?}");
            continue;
        }
        let error = match result {
            Err(e) => e.to_string(),
            Ok(()) => panic!("{pointer}: a wrong type was accepted"),
        };
        let name = pointer.rsplit('/').next().unwrap();
        let name = if name == "0" {
            pointer.split('/').nth_back(1).unwrap()
        } else {
            name
        };
        let name = name.replace("~1", "/").replace("~0", "~");
        assert!(
            error.contains(&name),
            "{pointer}: the error does not name `{name}`: {error}"
        );
        refused += 1;
    }
    assert!(refused >= 30, "{refused} members checked");
}

/// A requirement set as JSON (YAML is a superset), every member used.
fn full_rule_set() -> Value {
    json!({
        "id": "bad-demo",
        "title": "Bad Demo",
        "vendor": "Demo",
        "kind": "integration",
        "description": "d",
        "sources": [{"url": "https://demo.example/docs", "title": "t", "retrieved": "2026-11-24"}],
        "binding": {"application_name": ["*Demo*"], "client_id": ["c-1"]},
        "excess": {"scopes": true, "levels": true, "severity": "warning"},
        "requirements": [{
            "id": "bad-demo.customers",
            "title": "Customers: Read Only",
            "permission": "Customers",
            "expect": "Read Only",
            "severity": "error",
            "rationale": "r",
            "allow_higher": false,
            "ambiguity": "a",
            "condition": "c",
            "source": {"line": 3, "quote": "Customers | Read Only", "url": "https://demo.example/docs"}
        }],
        "notes": ["n"]
    })
}

/// The line (1-based) of the first `9901` in a text: where the wrong value was written.
fn marker_line(text: &str) -> usize {
    text.lines().position(|l| l.contains("9901")).unwrap() + 1
}

#[test]
fn wrong_types_in_every_member_of_a_rule_file_are_refused_at_their_line() {
    let catalog = Catalog::builtin().unwrap();
    let load = |text: String| {
        ruleset::load(
            &[RuleFile {
                name: "set.yaml".to_owned(),
                text,
                builtin: false,
            }],
            catalog,
        )
    };
    let full = full_rule_set();
    load(serde_json::to_string_pretty(&full).unwrap()).unwrap();
    let mut members = Vec::new();
    pointers(&full, String::new(), &mut members);
    // `expect` takes a yes/no, a level or a bound: a mapping is a bound, a list is refused.
    for pointer in &members {
        let mut doc = full.clone();
        wrong_type(&mut doc, pointer);
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let line = marker_line(&text);
        let problems = match load(text.clone()) {
            Err(RulesError::Invalid { problems }) => problems,
            other => panic!("{pointer}: {other:?}\n{text}"),
        };
        assert!(
            problems
                .iter()
                .any(|p| p.location.line == line || p.location.line + 1 == line),
            "{pointer}: no problem at line {line}: {:?}",
            problems
                .iter()
                .map(|p| (p.location.line, &p.message))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn wrong_types_in_every_member_of_the_configuration_are_refused_at_their_line() {
    let full = json!({
        "instance": {"url": "https://acme.halopsa.com", "auth_url": "https://acme.halopsa.com/auth", "tenant": "acme", "client_id": "c"},
        "rules": ["local-rules"],
        "default_rules": true,
        "sets": ["cloud-depot"],
        "bindings": {"cloud-depot": {"applications": ["Cloud Depot"], "client_ids": ["x-1"]}},
        "severity": {"excessive-grant": "deny"},
        "fail_on": "warning",
        "waivers": [{
            "code": "excessive-grant", "set": "cloud-depot", "requirement": "r", "subject": "application:Cloud Depot",
            "permission": "feature.customers", "reason": "agreed", "owner": "jane@msp.example", "expires": "2027-01-31"
        }]
    });
    let parse = |text: String| {
        halo_audit::config::parse(&RuleFile {
            name: "halo-audit.yaml".to_owned(),
            text,
            builtin: false,
        })
    };
    parse(serde_json::to_string_pretty(&full).unwrap()).unwrap();
    let mut members = Vec::new();
    pointers(&full, String::new(), &mut members);
    for pointer in &members {
        let mut doc = full.clone();
        wrong_type(&mut doc, pointer);
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let line = marker_line(&text);
        let problems = match parse(text.clone()) {
            Err(RulesError::InvalidConfig { problems }) => problems,
            other => panic!("{pointer}: {other:?}\n{text}"),
        };
        assert!(
            problems
                .iter()
                .any(|p| p.location.line == line || p.location.line + 1 == line),
            "{pointer}: no problem at line {line}: {:?}",
            problems
                .iter()
                .map(|p| (p.location.line, &p.message))
                .collect::<Vec<_>>()
        );
    }
}

/// Runs halo-audit with its standard error redirected by the shell (`2>&-`: closed,
/// `2>/dev/full`: every write fails) and gives its exit code.
#[cfg(unix)]
fn code_with_stderr(redirect: &str, args: &[&str]) -> Option<i32> {
    let bin = assert_cmd::cargo::cargo_bin("halo-audit");
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$0\" \"$@\" {redirect}"))
        .arg(&bin)
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("HALO_AUDIT_CONFIG")
        .env_remove("HALO_URL")
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    output.status.code()
}

/// A diagnostic, a warning or a summary line that cannot be written is lost quietly: the run
/// still exits with its own code, never 101 (a panic).
#[cfg(unix)]
#[test]
fn a_closed_or_full_standard_error_keeps_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("broken.yaml");
    std::fs::write(&rules, "id: broken\nrequirements: [\n").unwrap();
    let rules = rules.to_string_lossy().into_owned();
    let report = dir.path().join("report.json");
    let report = report.to_string_lossy().into_owned();
    let cases: &[(&[&str], i32)] = &[
        // A usage error from the argument parser.
        (&["check", "--no-such-flag"], 2),
        // An invalid rule file: a rendered diagnostic.
        (&["rules", "validate", &rules], 2),
        // Findings, with the summary line on standard error.
        (
            &[
                "check",
                "--snapshot",
                "fixtures/demo/snapshot.json",
                "--format",
                "json",
                "-o",
                &report,
            ],
            1,
        ),
        // A snapshot that does not exist.
        (&["snapshot", "show", "fixtures/no-such-snapshot.json"], 2),
    ];
    for redirect in ["2>&-", "2>/dev/full"] {
        for (args, expected) in cases {
            assert_eq!(
                code_with_stderr(redirect, args),
                Some(*expected),
                "{args:?} {redirect}"
            );
        }
    }
}
