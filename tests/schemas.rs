//! Real outputs validate against the JSON Schemas committed under `docs/schema/` (generated from
//! the types: `tests/docs.rs` keeps them current), and the schemas reject what the tool never
//! writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
    name: &'static str,
}

impl Validator {
    fn new(name: &'static str) -> Self {
        let path = Path::new(ROOT).join("docs/schema").join(name);
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        let url = schema["$id"].as_str().unwrap().to_owned();
        assert!(url.ends_with(name), "{url}");
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        compiler.add_resource(&url, schema).unwrap();
        let index = compiler.compile(&url, &mut schemas).unwrap();
        Self {
            schemas,
            index,
            name,
        }
    }

    fn valid(&self, what: &str, document: &Value) {
        if let Err(e) = self.schemas.validate(document, self.index) {
            panic!("{what} does not validate against {}:\n{e:#}", self.name);
        }
    }

    fn rejects(&self, what: &str, document: &Value) {
        assert!(
            self.schemas.validate(document, self.index).is_err(),
            "{} accepts {what}",
            self.name
        );
    }
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, Value) {
    let output = assert_cmd::Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("HALO_AUDIT_CONFIG")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let document = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), document)
}

fn fixture(path: &str) -> String {
    Path::new(ROOT).join(path).to_str().unwrap().to_owned()
}

#[test]
fn check_reports_validate_against_their_schema() {
    let schema = Validator::new("check-report.schema.json");
    let dir = tempfile::tempdir().unwrap();
    let demo = fixture("fixtures/demo/snapshot.json");
    let (code, report) = run_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--snapshot",
            &demo,
            "--format",
            "json",
            "-q",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(report["version"], 1);
    schema.valid("the demo's report", &report);
    // With a baseline (its members and every finding's state), and a waiver.
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, serde_json::to_string(&report).unwrap()).unwrap();
    std::fs::write(
        dir.path().join("halo-audit.yaml"),
        "waivers:\n  - code: excessive-grant\n    set: cloud-depot\n    reason: needed for notes\n    \
         owner: jane.doe@msp.example\n    expires: 2999-12-31\n",
    )
    .unwrap();
    let (_, with_baseline) = run_in(
        dir.path(),
        &[
            "check",
            "--snapshot",
            &demo,
            "--format",
            "json",
            "-q",
            "--baseline",
            baseline.to_str().unwrap(),
            "--min-coverage",
            "50",
        ],
    );
    assert!(with_baseline["baseline"].is_object());
    assert!(
        with_baseline["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["waiver"].is_object())
    );
    schema.valid(
        "the demo's report with a baseline and a waiver",
        &with_baseline,
    );
    // Nothing audited, a binding not found, unverifiable requirements.
    for case in [
        "applications-gap",
        "binding-not-found",
        "unknown-claim-unverifiable",
    ] {
        let snapshot = fixture(&format!("fixtures/cases/{case}/snapshot.json"));
        let case_file: Value = serde_json::from_str(
            &std::fs::read_to_string(fixture(&format!("fixtures/cases/{case}/case.json"))).unwrap(),
        )
        .unwrap();
        let mut args = vec![
            "check",
            "--no-config",
            "--snapshot",
            snapshot.as_str(),
            "--format",
            "json",
            "-q",
        ];
        let sets: Vec<String> = case_file["sets"]
            .as_array()
            .map(|s| s.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default();
        for set in &sets {
            args.extend(["--set", set.as_str()]);
        }
        let (_, report) = run_in(dir.path(), &args);
        schema.valid(case, &report);
    }
    let mut bad = report.clone();
    bad["findings"][0]["severity"] = Value::from("fatal");
    schema.rejects("a severity it never writes", &bad);
    let mut bad = report.clone();
    bad["findings"][0]["code"] = Value::from("no-such-code");
    schema.rejects("an unknown finding code", &bad);
    let mut bad = report;
    bad.as_object_mut().unwrap().remove("summary");
    schema.rejects("a report without its summary", &bad);
}

#[test]
fn diff_plan_and_self_check_validate_against_their_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let diff = Validator::new("diff-report.schema.json");
    let (code, document) = run_in(
        dir.path(),
        &[
            "diff",
            &fixture("fixtures/diff/old.json"),
            &fixture("fixtures/diff/new.json"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(document["version"], 1);
    assert!(!document["changes"].as_array().unwrap().is_empty());
    diff.valid("the fixtures' diff", &document);
    let mut bad = document;
    bad["changes"][0]["class"] = Value::from("sideways");
    diff.rejects("an unknown class of change", &bad);

    let plan = Validator::new("plan.schema.json");
    let demo = fixture("fixtures/demo/snapshot.json");
    for args in [
        &["plan", "--no-config", "--set", "hudu", "--format", "json"][..],
        &[
            "plan",
            "--no-config",
            "--set",
            "cloud-depot",
            "--set",
            "vciotoolbox",
            "--snapshot",
            &demo,
            "--format",
            "json",
        ][..],
    ] {
        let (code, document) = run_in(dir.path(), args);
        assert_eq!(code, 0);
        assert_eq!(document["version"], 1);
        plan.valid(&format!("{args:?}"), &document);
    }

    let self_check = Validator::new("self-check.schema.json");
    let (_, document) = run_in(
        dir.path(),
        &["self-check", "--snapshot", &demo, "--format", "json"],
    );
    assert_eq!(document["version"], 1, "self-check's JSON has a version");
    assert_eq!(document["tool"]["name"], "halo-audit");
    self_check.valid("the demo's self-check", &document);
    let mut bad = document;
    bad["items"] = Value::from("none");
    self_check.rejects("items that are not a list", &bad);
}

#[test]
fn snapshots_validate_against_their_schema() {
    let schema = Validator::new("snapshot.schema.json");
    let mut files: Vec<PathBuf> = vec![
        Path::new(ROOT).join("fixtures/demo/snapshot.json"),
        Path::new(ROOT).join("fixtures/diff/old.json"),
        Path::new(ROOT).join("fixtures/diff/new.json"),
    ];
    for entry in std::fs::read_dir(Path::new(ROOT).join("fixtures/cases")).unwrap() {
        let path = entry.unwrap().path().join("snapshot.json");
        if path.is_file() {
            files.push(path);
        }
    }
    assert!(files.len() > 50);
    for path in &files {
        let snapshot: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        schema.valid(&path.display().to_string(), &snapshot);
    }
    let demo: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("fixtures/demo/snapshot.json")).unwrap(),
    )
    .unwrap();
    let mut bad = demo.clone();
    bad.as_object_mut().unwrap().remove("format");
    schema.rejects("a snapshot without its format", &bad);
    let mut bad = demo;
    bad["gaps"] = Value::from(3);
    schema.rejects("gaps that are not a list", &bad);
}
