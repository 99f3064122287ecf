//! Reports as the command line writes them: several formats from one run (`--format X=PATH`),
//! CSV, the SARIF options (`--sarif-category`, `--sarif-suppressions`, where shipped sets'
//! findings are placed) and JUnit failures independent of `--fail-on`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use serde_json::Value;

use common::formats::{junit_counts, sarif_schema, validate};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn demo() -> String {
    format!("{ROOT}/fixtures/demo/snapshot.json")
}

/// Runs halo-audit in `dir` (no configuration looked for unless `config` is in `args`).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("HALO_AUDIT_CONFIG")
        .env_remove("HALO_AUDIT_FAIL_ON")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn several_reports_from_one_run_equal_the_single_reports() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let snapshot = demo();
    let (code, stdout, stderr) = run_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--snapshot",
            &snapshot,
            "--format",
            "sarif=r.sarif",
            "--format",
            "html=./sub/../r.html",
            "--format",
            "json=r.json",
            "--format",
            "csv=r.csv",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "", "every report went to its file");
    // One summary line for the run, after the warning about where shipped sets' findings go.
    assert_eq!(
        stderr.matches("halo-audit: findings: ").count(),
        1,
        "{stderr}"
    );
    for (format, file) in [
        ("sarif", "r.sarif"),
        ("html", "r.html"),
        ("json", "r.json"),
        ("csv", "r.csv"),
    ] {
        let (_, alone, _) = run_in(
            dir.path(),
            &[
                "check",
                "--no-config",
                "--snapshot",
                &snapshot,
                "--format",
                format,
                "-q",
            ],
        );
        assert_eq!(
            read(&dir.path().join(file)),
            alone,
            "--format {format}={file}"
        );
    }
    let (schemas, index) = sarif_schema();
    let log: Value = serde_json::from_str(&read(&dir.path().join("r.sarif"))).unwrap();
    validate(&schemas, index, &log).unwrap();
    let report: Value = serde_json::from_str(&read(&dir.path().join("r.json"))).unwrap();
    assert_eq!(report["summary"]["errors"], 13);
    // A plain format beside the files still goes to standard output.
    let (code, stdout, _) = run_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--snapshot",
            &snapshot,
            "--format",
            "table",
            "--format",
            "junit=r.xml",
            "-q",
        ],
    );
    assert_eq!(code, 1);
    assert!(stdout.contains("missing-grant"), "{stdout}");
    assert!(read(&dir.path().join("r.xml")).starts_with("<?xml"));
}

#[test]
fn bad_format_lists_are_usage_errors_that_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = demo();
    std::fs::write(dir.path().join("kept.json"), "previous report\n").unwrap();
    let cases: [(&[&str], &str); 8] = [
        (
            &[
                "--format",
                "json=b.json",
                "--baseline",
                "./b.json",
                "--update-baseline",
            ],
            "--format writes to that file already",
        ),
        (
            &[
                "--format",
                "sarif=kept.json",
                "--format",
                "json=./kept.json",
            ],
            "the sarif report is written to ./kept.json already",
        ),
        (&["--format", "sarif="], "no file after `sarif=`"),
        (
            &["--format", "xml=r.xml"],
            "unknown format `xml`; the formats are human, table, json, sarif, junit, github, markdown, gitlab, html, csv",
        ),
        (
            &["--format", "json", "--format", "sarif"],
            "`--format json` writes to standard output already; give this one a file: `--format sarif=PATH`",
        ),
        (
            &["--format", "json=-", "--format", "sarif"],
            "goes to standard output already",
        ),
        (
            &["--format", "json=kept.json", "-o", "other.json"],
            "every --format names its own file",
        ),
        (
            &["--format", "sarif", "--sarif-category", "two words"],
            "holds whitespace",
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["check", "--no-config", "--snapshot", &snapshot];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run_in(dir.path(), &args);
        assert_eq!(code, 2, "{extra:?}: {stderr}");
        assert_eq!(stdout, "", "{extra:?}");
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
        assert!(
            stderr.contains("help") || stderr.contains("--help"),
            "{extra:?}: a hint: {stderr}"
        );
        assert_eq!(read(&dir.path().join("kept.json")), "previous report\n");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["kept.json"], "{extra:?}: nothing written");
    }
    // A report that cannot be written stops the run before any report is written (exit 3).
    let (code, _, stderr) = run_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--snapshot",
            &snapshot,
            "--format",
            "json=new.json",
            "--format",
            "html=missing/r.html",
        ],
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("missing/r.html"), "{stderr}");
    assert!(!dir.path().join("new.json").exists());
}

#[test]
fn diff_writes_several_reports_from_one_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = demo();
    let (code, stdout, stderr) = run_in(
        dir.path(),
        &[
            "diff",
            &snapshot,
            &snapshot,
            "--format",
            "json=d.json",
            "--format",
            "sarif=d.sarif",
            "--format",
            "human",
            "--sarif-category",
            "drift-acme",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.is_empty(),
        "the plain format goes to standard output"
    );
    let log: Value = serde_json::from_str(&read(&dir.path().join("d.sarif"))).unwrap();
    assert_eq!(log["runs"][0]["automationDetails"]["id"], "drift-acme/");
    let report: Value = serde_json::from_str(&read(&dir.path().join("d.json"))).unwrap();
    assert!(report.is_object());
    let (code, _, stderr) = run_in(
        dir.path(),
        &[
            "diff", &snapshot, &snapshot, "--format", "json=x", "--format", "html=x",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn sarif_category_notes_and_suppressions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("halo-audit.yaml"),
        "waivers:\n  - code: excessive-grant\n    set: cloud-depot\n    requirement: cloud-depot.feature.customers\n    \
         reason: the vendor's notes sync needs it (ticket 1234)\n    owner: jane.doe@msp.example\n    expires: 2999-12-31\n",
    )
    .unwrap();
    let snapshot = demo();
    let base = [
        "check",
        "--snapshot",
        snapshot.as_str(),
        "--format",
        "sarif",
        "-q",
    ];
    let (code, stdout, stderr) = run_in(
        dir.path(),
        &[&base[..], &["--sarif-category", "halo-audit-acme"]].concat(),
    );
    assert_eq!(code, 1, "{stderr}");
    let (schemas, index) = sarif_schema();
    let log: Value = serde_json::from_str(&stdout).unwrap();
    validate(&schemas, index, &log).unwrap();
    let run = &log["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "halo-audit-acme/");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    // 38 findings, one waived: left out, and counted.
    assert_eq!(results.len(), 37);
    assert_eq!(run["properties"]["suppressed"]["waived"], 1);
    assert_eq!(run["properties"]["suppressed"]["inResults"], false);
    let mut notes = 0;
    for result in results {
        let rule = &rules[usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap()];
        let security: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        if result["level"] == "note" {
            notes += 1;
            assert!(security < 4.0, "a note under {rule:#}");
        }
        assert!(result.get("suppressions").is_none());
    }
    assert!(notes > 0);

    let (_, stdout, _) = run_in(dir.path(), &[&base[..], &["--sarif-suppressions"]].concat());
    let log: Value = serde_json::from_str(&stdout).unwrap();
    validate(&schemas, index, &log).unwrap();
    let run = &log["runs"][0];
    assert!(run.get("automationDetails").is_none());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 38);
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    let suppression = &suppressed[0]["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert_eq!(suppression["status"], "accepted");
    assert_eq!(
        suppression["justification"],
        "the vendor's notes sync needs it (ticket 1234)"
    );
    assert_eq!(suppression["properties"]["owner"], "jane.doe@msp.example");
    assert_eq!(suppressed[0]["level"], "note");
    assert_eq!(run["properties"]["suppressed"]["inResults"], true);
}

#[test]
fn shipped_sets_are_placed_at_files_of_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::copy(demo(), dir.path().join("snapshot.json")).unwrap();
    // No configuration: at the subject's object in the snapshot, which is in the repository.
    let (_, stdout, stderr) = run_in(
        dir.path(),
        &["check", "--snapshot", "snapshot.json", "--format", "sarif"],
    );
    assert!(
        stderr.contains("the findings of the shipped sets cipp, cloud-depot, hudu, rewst, vciotoolbox are placed in snapshot.json"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: for precise places"), "{stderr}");
    let log: Value = serde_json::from_str(&stdout).unwrap();
    let snapshot = read(&dir.path().join("snapshot.json"));
    let lines: Vec<&str> = snapshot.lines().collect();
    for result in log["runs"][0]["results"].as_array().unwrap() {
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"], "snapshot.json",
            "{result:#}"
        );
        let logical = &result["locations"][0]["logicalLocations"][0];
        if logical["kind"] != "tenant" {
            let line = usize::try_from(physical["region"]["startLine"].as_u64().unwrap()).unwrap();
            let id = logical["properties"]["id"].as_str().unwrap();
            assert!(
                lines[line..].iter().take(3).any(|l| l.contains(id)),
                "line {line} is not the object of {id}"
            );
        }
    }
    // A configuration: at the set's binding, else the file's first line.
    std::fs::write(
        dir.path().join("halo-audit.yaml"),
        "sets: [cipp, cloud-depot]\nbindings:\n  cipp:\n    applications: [\"CIPP\"]\n",
    )
    .unwrap();
    let (_, stdout, stderr) = run_in(
        dir.path(),
        &[
            "check",
            "--snapshot",
            "snapshot.json",
            "--format",
            "sarif",
            "--fail-on",
            "never",
        ],
    );
    assert!(
        stderr.contains("shipped sets cloud-depot are placed in halo-audit.yaml"),
        "{stderr}"
    );
    let log: Value = serde_json::from_str(&stdout).unwrap();
    for result in log["runs"][0]["results"].as_array().unwrap() {
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "halo-audit.yaml");
        let line = physical["region"]["startLine"].as_u64().unwrap();
        if result["properties"]["requirementSet"] == "cipp" {
            assert_eq!(line, 3, "{result:#}");
        } else {
            assert_eq!(line, 1, "{result:#}");
        }
    }
    // Other formats keep the requirement's place in its rule file.
    let (_, stdout, _) = run_in(
        dir.path(),
        &[
            "check",
            "--snapshot",
            "snapshot.json",
            "--format",
            "json",
            "-q",
        ],
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    for finding in report["findings"].as_array().unwrap() {
        assert!(
            finding["rule_location"]["path"]
                .as_str()
                .unwrap()
                .starts_with("rules/"),
            "{finding:#}"
        );
    }
}

#[test]
fn junit_failures_are_the_errors_whatever_fail_on_says() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = demo();
    let failures = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "--no-config",
            "--snapshot",
            &snapshot,
            "--format",
            "junit",
            "-q",
        ];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run_in(dir.path(), &args);
        assert!(code == 0 || code == 1, "{stderr}");
        (
            code,
            junit_counts(&stdout)
                .iter()
                .map(|(_, c)| c.failures)
                .sum::<usize>(),
        )
    };
    // The demo's 13 errors fail 11 test cases (a case holds every finding of its requirement).
    assert_eq!(failures(&[]), (1, 11));
    // The gate off: exit 0, and the test report still shows the errors.
    assert_eq!(failures(&["--fail-on", "never"]), (0, 11));
    assert_eq!(failures(&["--fail-on", "note"]).1, 11);
    let (code, with_warnings) = failures(&["--fail-on", "never", "--junit-fail-on-warning"]);
    assert_eq!(code, 0);
    assert!(with_warnings > 10, "{with_warnings}");
    // An option of a format that is not written says so.
    let (_, _, stderr) = run_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--snapshot",
            &snapshot,
            "--format",
            "json",
            "--junit-fail-on-warning",
            "--sarif-category",
            "x",
        ],
    );
    assert!(
        stderr.contains(
            "warning: --junit-fail-on-warning has no effect: no --format junit report is written"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: --sarif-category has no effect"),
        "{stderr}"
    );
}

/// A tenant whose names are hostile to spreadsheets and CSV parsers.
fn hostile_snapshot(dir: &Path) -> std::path::PathBuf {
    let mut snapshot: Value = serde_json::from_str(&read(Path::new(&demo()))).unwrap();
    let hostile = [
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)",
        "\tTabbed",
        "Comma, \"Quoted\"\r\nand a new line",
    ];
    let agents = snapshot["objects"]["agents"].as_array_mut().unwrap();
    // Agents 39 and 41 are API-only administrators: each is the subject of a finding.
    for (agent, name) in agents.iter_mut().zip(hostile.iter().cycle()) {
        let name = match agent["id"].as_i64() {
            Some(39) => hostile[0],
            Some(41) => hostile[5],
            _ => name,
        };
        agent["name"] = Value::from(name);
    }
    let path = dir.join("hostile.json");
    std::fs::write(&path, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
    path
}

#[test]
fn csv_has_one_row_per_finding_and_no_formula() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = hostile_snapshot(dir.path());
    let snapshot = snapshot.to_str().unwrap();
    let (_, json, _) = run_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--snapshot",
            snapshot,
            "--format",
            "json",
            "-q",
        ],
    );
    let report: Value = serde_json::from_str(&json).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let (code, text, stderr) = run_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--snapshot",
            snapshot,
            "--format",
            "csv",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(text.ends_with("\r\n"), "RFC 4180 records end with CRLF");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "severity",
            "code",
            "set",
            "requirement",
            "subject_kind",
            "subject_id",
            "subject",
            "permission",
            "expected",
            "found",
            "evidence",
            "message",
            "fix",
            "rule_location",
            "waiver",
            "fingerprint"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), findings.len(), "one row per finding");
    let mut hostile_rows = 0;
    for (row, finding) in rows.iter().zip(findings) {
        assert_eq!(row.len(), header.len());
        for field in row {
            assert!(
                !field.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula reaches the spreadsheet: {field:?}"
            );
        }
        assert_eq!(&row[0], finding["severity"].as_str().unwrap());
        assert_eq!(&row[1], finding["code"].as_str().unwrap());
        assert_eq!(&row[15], finding["fingerprint"].as_str().unwrap());
        let name = finding["subject"]["name"].as_str().unwrap();
        if name.starts_with(['=', '+', '-', '@', '\t']) {
            hostile_rows += 1;
            assert_eq!(
                row[6],
                format!("'{name}"),
                "neutralised with a quote, kept whole"
            );
        } else {
            assert_eq!(
                &row[6], name,
                "commas, quotes and line breaks survive quoting"
            );
        }
        assert!(
            ["seen", "implied", "overlay", "assumed", "undecided"].contains(&&row[10]),
            "{}",
            &row[10]
        );
    }
    assert!(hostile_rows > 0, "the hostile names reached findings");
    assert!(
        rows.iter()
            .any(|r| &r[6] == "Comma, \"Quoted\"\r\nand a new line"),
        "a name with a comma, quotes and a line break is one field"
    );
}
