//! The machine and CI report formats on every golden case (`fixtures/cases/*/`): SARIF validates
//! against the official OASIS SARIF 2.1.0 schema (`tests/fixtures/`), JUnit counts agree with the
//! outcome and the exit code, GitHub annotations and Markdown tables are well formed whatever the
//! messages hold, and every finding lands in exactly one checklist item.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use halo_audit::check::{Finding, SetState, Status};
use halo_audit::cli::{FailOn, Format};
use halo_audit::diag::{Code, Severity};
use halo_audit::report::{self, checklist, github, md};
use serde_json::Value;

use common::formats::{Counts, junit_counts, sarif_schema, validate};

fn all_cases() -> Vec<common::Loaded> {
    let cases: Vec<common::Loaded> = common::cases().iter().map(|d| common::load(d)).collect();
    assert!(cases.len() > 10, "golden cases missing");
    cases
}

// ---------------------------------------------------------------------------------------------
// SARIF

#[test]
fn sarif_of_every_case_is_valid_sarif_2_1_0() {
    let (schemas, index) = sarif_schema();
    for loaded in all_cases() {
        let name = &loaded.name;
        let context = common::context(&loaded, FailOn::Error);
        let text = report::render(Format::Sarif, &loaded.outcome, &context);
        let log: Value = serde_json::from_str(&text).unwrap();
        if let Err(e) = validate(&schemas, index, &log) {
            panic!("{name}: SARIF does not validate against the OASIS schema:\n{e}");
        }
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: BTreeSet<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), rules.len(), "{name}: duplicate rule ids");
        for rule in rules {
            assert_ne!(
                rule["name"], rule["id"],
                "{name}: a rule's name repeats its id"
            );
            let tags = rule["properties"]["tags"].as_array().unwrap();
            assert!(tags.contains(&Value::from("security")), "{name}: {rule:#}");
            let severity: f64 = rule["properties"]["security-severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((0.0..=10.0).contains(&severity), "{name}");
        }
        // No `automationDetails` without `--sarif-category`: upload-sarif's `category` applies.
        assert!(run.get("automationDetails").is_none(), "{name}");
        assert_eq!(
            run["invocations"][0]["executionSuccessful"],
            loaded.outcome.not_audited.is_empty(),
            "{name}"
        );
        assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
        let results = run["results"].as_array().unwrap();
        // Waived findings are left out (counted in the run's properties).
        let shown: Vec<&Finding> = loaded
            .outcome
            .findings
            .iter()
            .filter(|f| f.waiver.is_none())
            .collect();
        assert_eq!(results.len(), shown.len(), "{name}: one result per finding");
        assert_eq!(
            run["properties"]["suppressed"]["waived"],
            loaded.outcome.findings.len() - shown.len(),
            "{name}"
        );
        // What GitHub code scanning identifies an alert by: one per finding.
        let hashes: BTreeSet<&str> = results
            .iter()
            .map(|r| {
                r["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(hashes.len(), results.len(), "{name}: alerts would merge");
        for (result, finding) in results.iter().zip(shown) {
            let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
            let rule = &rules[index];
            assert_eq!(rule["id"], result["ruleId"], "{name}: ruleIndex");
            // GitHub reads `security-severity` from the rule: a result reports under a rule of
            // its own level (the requirement's, or `REQUIREMENT/LEVEL`), so a note is never a
            // high or medium alert.
            assert_eq!(
                rule["defaultConfiguration"]["level"], result["level"],
                "{name}: {result:#}"
            );
            let security: f64 = rule["properties"]["security-severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            match finding.severity {
                Severity::Error => assert!(security >= 7.0, "{name}: {rule:#}"),
                Severity::Warning => assert!((4.0..7.0).contains(&security), "{name}: {rule:#}"),
                Severity::Note => assert!(security < 4.0, "{name}: {rule:#}"),
            }
            let expected_rule = finding
                .requirement
                .as_deref()
                .unwrap_or(finding.code.as_str());
            let rule_id = result["ruleId"].as_str().unwrap();
            assert!(
                rule_id == expected_rule
                    || rule_id == format!("{expected_rule}/{}", result["level"].as_str().unwrap()),
                "{name}: {rule_id} for {expected_rule}"
            );
            let physical = &result["locations"][0]["physicalLocation"];
            assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert_eq!(
                physical["region"]["endLine"],
                physical["region"]["startLine"]
            );
            assert!(
                physical["artifactLocation"]["uri"]
                    .as_str()
                    .is_some_and(|u| u.ends_with(".yaml"))
                    && physical["region"]["startLine"]
                        .as_u64()
                        .is_some_and(|l| l >= 1),
                "{name}: result without a physical location in a rule file: {result:#}"
            );
            let logical = &result["locations"][0]["logicalLocations"][0];
            assert_eq!(
                logical["fullyQualifiedName"],
                format!("{}/{}", finding.subject.kind.as_str(), finding.subject.name)
            );
            assert_eq!(
                result["partialFingerprints"][report::sarif::FINGERPRINT_KEY],
                finding.fingerprint()
            );
            let level = match finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            assert_eq!(result["level"], level, "{name}");
        }
    }
}

#[test]
fn the_schema_check_rejects_what_code_scanning_would() {
    let (schemas, index) = sarif_schema();
    let loaded =
        common::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases/missing-grant"));
    let context = common::context(&loaded, FailOn::Error);
    let log: Value =
        serde_json::from_str(&report::render(Format::Sarif, &loaded.outcome, &context)).unwrap();
    assert!(validate(&schemas, index, &log).is_ok());
    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(validate(&schemas, index, &bad_level).is_err());
    let mut snake_case = log.clone();
    let driver = &mut snake_case["runs"][0]["tool"]["driver"];
    driver["information_uri"] = Value::from("https://example.org");
    assert!(validate(&schemas, index, &snake_case).is_err());
    let mut no_message = log;
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(validate(&schemas, index, &no_message).is_err());
}

#[test]
fn line_hashes_are_stable_and_distinct_for_repeated_fingerprints() {
    use report::sarif::line_hashes;
    let hashes = line_hashes(["a|b", "c|d", "a|b"]);
    assert_eq!(hashes, line_hashes(["a|b", "c|d", "a|b"]), "stable");
    assert_eq!(hashes.iter().collect::<BTreeSet<_>>().len(), 3);
    assert!(hashes[0].ends_with(":1") && hashes[2].ends_with(":2"));
    assert_eq!(hashes[0][..16], hashes[2][..16]);
    // The hash of a fingerprint does not depend on the findings around it.
    assert_eq!(line_hashes(["c|d"])[0], hashes[1]);
}

#[test]
fn paths_are_located_relative_to_the_repository_root() {
    use report::sarif::Base;
    let root = Path::new("/repo");
    let sub = Base::at(Path::new("/repo/ops/audit"), Some(root));
    assert_eq!(
        sub.locate("rules/x.yaml"),
        ("ops/audit/rules/x.yaml".to_owned(), Some("%SRCROOT%"))
    );
    assert_eq!(
        sub.locate("../halo-audit.yaml"),
        ("ops/halo-audit.yaml".to_owned(), Some("%SRCROOT%"))
    );
    assert_eq!(
        sub.locate("/repo/rules/x.yaml"),
        ("rules/x.yaml".to_owned(), Some("%SRCROOT%"))
    );
    assert_eq!(
        sub.locate("../../../elsewhere/x.yaml"),
        ("file:///elsewhere/x.yaml".to_owned(), None)
    );
    let no_repo = Base::at(Path::new("/work"), None);
    assert_eq!(
        no_repo.locate("./rules/x.yaml"),
        ("rules/x.yaml".to_owned(), Some("%SRCROOT%"))
    );
}

#[test]
fn rule_paths_become_uri_references() {
    use report::sarif::path_uri;
    assert_eq!(path_uri("rules/cloud-depot.yaml"), "rules/cloud-depot.yaml");
    assert_eq!(path_uri("./my rules/x.yaml"), "my%20rules/x.yaml");
    assert_eq!(
        path_uri("/srv/audit/rules/x.yaml"),
        "file:///srv/audit/rules/x.yaml"
    );
    assert_eq!(
        path_uri("C:\\audit\\x#1.yaml"),
        "file:///C:/audit/x%231.yaml"
    );
    assert_eq!(path_uri("a:b/ü.yaml"), "a%3Ab/%C3%BC.yaml");
}

// ---------------------------------------------------------------------------------------------
// JUnit

/// What the suites must count with `--fail-on error`, worked out from the outcome alone: a test
/// case per evaluation (per policy for the baseline, one binding case for a set that could not be
/// evaluated) plus one per finding of no requirement; failing for errors, skipped when unverifiable
/// or not evaluated.
fn expected_counts(loaded: &common::Loaded) -> Vec<(String, Counts)> {
    let failing = |f: &Finding| f.severity == Severity::Error;
    // The run's own suite: a failing case per list the audit lacked, and the coverage case.
    let gaps = loaded.outcome.not_audited.len();
    let mut out = vec![(
        "halo-audit".to_owned(),
        Counts {
            tests: gaps + 1,
            failures: gaps,
            ..Counts::default()
        },
    )];
    for set in &loaded.outcome.sets {
        let findings: Vec<&Finding> = loaded
            .outcome
            .findings
            .iter()
            .filter(|f| f.requirement_set == set.id)
            .collect();
        let loose: Vec<&&Finding> = findings
            .iter()
            .filter(|f| f.requirement.is_none())
            .collect();
        let loose_counts = |tests: &mut Counts| {
            tests.tests += loose.len();
            tests.failures += loose.iter().filter(|f| failing(f)).count();
            tests.skipped += loose
                .iter()
                .filter(|f| !failing(f) && f.code == Code::Unverifiable)
                .count();
        };
        let mut counts = Counts::default();
        match &set.state {
            SetState::NotInUse => continue,
            SetState::Evaluated { .. } => {
                let failed: BTreeSet<(&str, &str)> = findings
                    .iter()
                    .filter(|f| failing(f))
                    .filter_map(|f| Some((f.requirement.as_deref()?, f.subject.id.as_str())))
                    .collect();
                counts.tests = set.evaluations.len();
                counts.failures = failed.len();
                counts.skipped = set
                    .evaluations
                    .iter()
                    .filter(|e| {
                        e.status == Status::Unverifiable
                            && !failed.contains(&(e.requirement.as_str(), e.subject.id.as_str()))
                    })
                    .count();
                loose_counts(&mut counts);
            }
            SetState::Baseline => {
                let policies = &loaded.library.get(&set.id).unwrap().policies;
                counts.tests = policies.len();
                for policy in policies {
                    let of: Vec<&&Finding> = findings
                        .iter()
                        .filter(|f| f.requirement.as_deref() == Some(policy.id.as_str()))
                        .collect();
                    if of.iter().any(|f| failing(f)) {
                        counts.failures += 1;
                    } else if !of.is_empty() && of.iter().all(|f| f.code == Code::Unverifiable) {
                        counts.skipped += 1;
                    }
                }
                loose_counts(&mut counts);
            }
            SetState::BindingNotFound
            | SetState::NotEvaluable { .. }
            | SetState::OnlyInactive { .. } => {
                counts.tests = 1;
                if findings.iter().any(|f| failing(f)) {
                    counts.failures = 1;
                } else if !matches!(set.state, SetState::BindingNotFound) {
                    counts.skipped = 1;
                }
            }
        }
        out.push((set.id.clone(), counts));
    }
    out
}

#[test]
fn junit_counts_match_the_outcome_of_every_case() {
    for loaded in all_cases() {
        let name = &loaded.name;
        let context = common::context(&loaded, FailOn::Error);
        let xml = report::render(Format::Junit, &loaded.outcome, &context);
        assert_eq!(
            junit_counts(&xml),
            expected_counts(&loaded),
            "{name}: JUnit counts"
        );
        // Failures are the errors (with `--junit-fail-on-warning`, the warnings too), whatever
        // `--fail-on` says: `--fail-on never` does not turn the test report green.
        let unwaived = |severity: Severity| {
            loaded
                .outcome
                .findings
                .iter()
                .any(|f| f.waiver.is_none() && f.severity == severity)
        };
        let gaps = !loaded.outcome.not_audited.is_empty();
        for fail_on in [FailOn::Note, FailOn::Warning, FailOn::Error, FailOn::Never] {
            let context = common::context(&loaded, fail_on);
            let xml = report::render(Format::Junit, &loaded.outcome, &context);
            let failures: usize = junit_counts(&xml).iter().map(|(_, c)| c.failures).sum();
            assert_eq!(
                failures > 0,
                unwaived(Severity::Error) || gaps,
                "{name} with --fail-on {fail_on:?}: {failures} failing test cases"
            );
            assert_eq!(
                junit_counts(&xml),
                expected_counts(&loaded),
                "{name} with --fail-on {fail_on:?}: the same counts whatever --fail-on says"
            );
            let with_warnings = report::junit::render_with(
                &loaded.outcome,
                &context,
                report::junit::Options {
                    fail_on_warning: true,
                },
            );
            let failures_with_warnings: usize = junit_counts(&with_warnings)
                .iter()
                .map(|(_, c)| c.failures)
                .sum();
            assert_eq!(
                failures_with_warnings > 0,
                unwaived(Severity::Error) || unwaived(Severity::Warning) || gaps,
                "{name} with --junit-fail-on-warning"
            );
            assert!(failures_with_warnings >= failures, "{name}");
            // Every finding is written once: in a failure, a skip reason or system-out.
            for finding in &loaded.outcome.findings {
                let first_line = finding
                    .message
                    .replace('&', "&amp;")
                    .replace('"', "&quot;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('\'', "&apos;");
                assert!(
                    xml.contains(&first_line),
                    "{name}: finding missing from the JUnit report: {}",
                    finding.message
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checklists, GitHub annotations, Markdown

/// Each finding of a case is in exactly one item of its checklists.
fn assert_one_home_per_finding(loaded: &common::Loaded, context: &report::Context<'_>) {
    let lists = checklist::checklists(&loaded.outcome, context);
    for finding in &loaded.outcome.findings {
        let homes = lists
            .iter()
            .flat_map(|l| &l.items)
            .filter(|i| i.findings.iter().any(|f| std::ptr::eq(*f, finding)))
            .count();
        assert_eq!(
            homes, 1,
            "{}: {} is in {homes} items",
            loaded.name, finding.message
        );
    }
}

#[test]
fn every_finding_belongs_to_exactly_one_checklist_item() {
    for loaded in all_cases() {
        assert_one_home_per_finding(&loaded, &common::context(&loaded, FailOn::Error));
    }
}

#[test]
fn github_annotations_are_one_well_formed_line_per_finding() {
    for loaded in all_cases() {
        let context = common::context(&loaded, FailOn::Error);
        let text = report::render(Format::Github, &loaded.outcome, &context);
        let lines: Vec<&str> = text.lines().collect();
        // One per finding, one per list the audit lacked, then the verdict with its coverage.
        assert_eq!(
            lines.len(),
            loaded.outcome.findings.len() + loaded.outcome.not_audited.len() + 1,
            "{}",
            loaded.name
        );
        let last = lines.last().unwrap();
        assert!(
            last.starts_with("::notice title=halo-audit coverage::halo-audit: ")
                && last.contains("; requirements: "),
            "{last}"
        );
        for (line, finding) in lines.iter().zip(&loaded.outcome.findings) {
            let command = match finding.severity {
                Severity::Error => "::error ",
                Severity::Warning => "::warning ",
                Severity::Note => "::notice ",
            };
            assert!(line.starts_with(command), "{line}");
            let (properties, _message) = line[command.len()..].split_once("::").unwrap();
            let keys: Vec<&str> = properties
                .split(',')
                .map(|p| p.split_once('=').unwrap().0)
                .collect();
            assert_eq!(keys, ["file", "line", "col", "title"], "{line}");
        }
    }
}

#[test]
fn github_escaping_follows_the_runner() {
    assert_eq!(
        github::escape_data("100% done\r\nnext"),
        "100%25 done%0D%0Anext"
    );
    assert_eq!(github::escape_property("a: b, c%\n"), "a%3A b%2C c%25%0A");
}

/// Splits a Markdown table row into cells as GitHub does: `\` escapes the next character.
fn cells(row: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = row.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next().unwrap_or_default();
                cells.last_mut().unwrap().extend([c, next]);
            }
            '|' => cells.push(String::new()),
            _ => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

#[test]
fn markdown_tables_keep_their_shape() {
    for loaded in all_cases() {
        let context = common::context(&loaded, FailOn::Error);
        let text = report::render(Format::Markdown, &loaded.outcome, &context);
        assert!(text.starts_with("## halo-audit check: "), "{}", loaded.name);
        let mut width = None;
        for line in text.lines() {
            if line.starts_with('|') {
                let n = cells(line).len();
                assert_eq!(
                    *width.get_or_insert(n),
                    n,
                    "{}: ragged row {line}",
                    loaded.name
                );
            } else {
                width = None;
            }
        }
    }
}

#[test]
fn markdown_values_escape_pipes_and_line_breaks() {
    // A line break in a value is shown (`\n`), never a new row; `|` and `\` are escaped.
    assert_eq!(md::text("a | b\nc\\"), "a \\| b\\\\nc\\\\");
    assert_eq!(cells(&format!("| {} | x |", md::text("p|q\\|r"))).len(), 4);
    assert_eq!(md::lines(["a", "b"]), "a<br>b");
}

// ---------------------------------------------------------------------------------------------
// GitLab Code Quality

/// An issue as GitLab documents it (docs.gitlab.com, "Code Quality report format"): exactly
/// these members, a severity of its scale, a relative path and a line from 1.
fn assert_gitlab_issue(issue: &Value, name: &str) {
    let object = issue.as_object().unwrap();
    let keys: BTreeSet<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "description",
            "check_name",
            "fingerprint",
            "severity",
            "location"
        ]),
        "{name}: {issue:#}"
    );
    for key in ["description", "check_name", "fingerprint"] {
        assert!(
            issue[key]
                .as_str()
                .is_some_and(|s| !s.trim().is_empty() && !s.contains('\n')),
            "{name}: {key} must be a one-line string: {issue:#}"
        );
    }
    assert!(
        ["info", "minor", "major", "critical", "blocker"]
            .contains(&issue["severity"].as_str().unwrap()),
        "{name}: {issue:#}"
    );
    let location = issue["location"].as_object().unwrap();
    assert_eq!(
        location.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from(["path", "lines"])
    );
    let path = issue["location"]["path"].as_str().unwrap();
    assert!(
        !path.is_empty()
            && !path.starts_with('/')
            && !path.contains("://")
            && !path.starts_with("./"),
        "{name}: location.path must be relative to the repository: {path}"
    );
    let lines = issue["location"]["lines"].as_object().unwrap();
    assert_eq!(lines.keys().collect::<Vec<_>>(), ["begin"]);
    assert!(
        issue["location"]["lines"]["begin"]
            .as_u64()
            .is_some_and(|l| l >= 1)
    );
}

#[test]
fn gitlab_code_quality_has_the_documented_fields_and_unique_fingerprints() {
    for loaded in all_cases() {
        let name = &loaded.name;
        let context = common::context(&loaded, FailOn::Error);
        let text = report::render(Format::Gitlab, &loaded.outcome, &context);
        let issues: Value = serde_json::from_str(&text).unwrap();
        let issues = issues.as_array().expect("a JSON array");
        assert_eq!(issues.len(), loaded.outcome.findings.len(), "{name}");
        for (issue, finding) in issues.iter().zip(&loaded.outcome.findings) {
            assert_gitlab_issue(issue, name);
            let severity = match finding.severity {
                Severity::Error => "critical",
                Severity::Warning => "major",
                Severity::Note => "minor",
            };
            assert_eq!(issue["severity"], severity, "{name}");
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(issue["location"]["path"].as_str().unwrap())
                    .is_file(),
                "{name}: {issue:#}"
            );
        }
        let fingerprints: BTreeSet<&str> = issues
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        assert_eq!(
            fingerprints.len(),
            issues.len(),
            "{name}: GitLab keeps one issue per fingerprint"
        );
        // The same fingerprints as the SARIF log's alerts: stable across runs and formats.
        let sarif: Value =
            serde_json::from_str(&report::render(Format::Sarif, &loaded.outcome, &context))
                .unwrap();
        let hashes: BTreeSet<&str> = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(fingerprints, hashes, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// From the command line

const DEMO: &str = "fixtures/demo/snapshot.json";
const NEW_FORMATS: [&str; 6] = ["table", "sarif", "junit", "github", "markdown", "gitlab"];

fn halo_audit(args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn every_format_puts_only_the_report_on_stdout_and_keeps_the_exit_code() {
    for format in NEW_FORMATS {
        let (code, stdout, stderr) = halo_audit(&["check", "--snapshot", DEMO, "--format", format]);
        assert_eq!(code, 1, "--format {format}: {stderr}");
        // The formats that place findings in the repository say first where the shipped sets'
        // findings went (no configuration here: the snapshot, which is in the repository).
        let summary = if matches!(format, "sarif" | "github" | "gitlab") {
            let (warning, summary) = stderr.trim_end().rsplit_once('\n').unwrap();
            assert!(
                warning.starts_with("warning: in SARIF, GitHub and GitLab reports the findings of the shipped sets cipp, cloud-depot, hudu, rewst, vciotoolbox are placed in fixtures/demo/snapshot.json"),
                "{warning}"
            );
            assert!(warning.contains("hint: for precise places"), "{warning}");
            summary
        } else {
            stderr.trim_end()
        };
        assert_eq!(
            summary,
            "halo-audit: findings: 13 errors, 9 warnings, 16 notes (0 unverifiable, 3 on an assumption); requirements: 81 of 81 decided (100%), 3 of them on an assumption, 0 unverifiable, 4 not applicable: failed (--fail-on error)",
            "--format {format}: stderr holds the summary line only"
        );
        match format {
            "sarif" => {
                let log: Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 38);
                let coverage = &log["runs"][0]["properties"]["coverage"];
                assert_eq!(coverage["decided"], 81, "{coverage}");
                assert_eq!(coverage["percent"], 100, "{coverage}");
            }
            "junit" => {
                let failures: usize = junit_counts(&stdout).iter().map(|(_, c)| c.failures).sum();
                assert_eq!(failures, 11, "{stdout}");
            }
            "github" => assert!(stdout.lines().all(|l| l.starts_with("::")), "{stdout}"),
            "gitlab" => {
                let issues: Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(issues.as_array().unwrap().len(), 38);
            }
            "markdown" => assert!(
                stdout.starts_with("## halo-audit check: failed\n"),
                "{stdout}"
            ),
            _ => assert!(stdout.contains("missing-grant"), "{stdout}"),
        }
        let (code, _, _) = halo_audit(&[
            "check",
            "--snapshot",
            DEMO,
            "--format",
            format,
            "--fail-on",
            "never",
            "-q",
        ]);
        assert_eq!(code, 0, "--format {format} --fail-on never");
    }
}

#[test]
fn every_format_can_be_written_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for format in NEW_FORMATS {
        let (_, expected, _) = halo_audit(&["check", "--snapshot", DEMO, "--format", format]);
        let path = dir.path().join(format!("report.{format}"));
        let (code, stdout, _) = halo_audit(&[
            "check",
            "--snapshot",
            DEMO,
            "--format",
            format,
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(code, 1);
        assert_eq!(stdout, "", "--format {format} -o: nothing on stdout");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            expected,
            "--format {format}"
        );
    }
}

/// A set bound to two applications: a test case per requirement and application, named by it.
#[test]
fn a_set_bound_to_two_applications_has_a_test_case_per_subject() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases/vciotoolbox-mistake");
    let dir = tempfile::tempdir().unwrap();
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(source.join("snapshot.json")).unwrap())
            .unwrap();
    let apps = snapshot["objects"]["applications"].as_array_mut().unwrap();
    let mut staging = apps[0].clone();
    staging["id"] = Value::from("6f1d2c3a-0000-4000-8000-000000000022");
    staging["clientId"] = Value::from("c0ffee00-0000-4000-8000-000000000022");
    staging["displayName"] = Value::from("vCIOToolbox Staging");
    staging["scopes"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["name"] != "edit:invoices");
    apps.push(staging);
    std::fs::write(dir.path().join("snapshot.json"), snapshot.to_string()).unwrap();
    std::fs::write(
        dir.path().join("case.json"),
        r#"{"description": "two applications", "sets": ["vciotoolbox"], "expect": {"exit": 1}}"#,
    )
    .unwrap();
    let loaded = common::load(dir.path());
    let context = common::context(&loaded, FailOn::Error);
    let xml = report::render(Format::Junit, &loaded.outcome, &context);
    assert_eq!(junit_counts(&xml), expected_counts(&loaded));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let names: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.attribute("classname") == Some("vciotoolbox"))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "test case names repeat: {names:?}"
    );
    for app in ["vCIOToolbox", "vCIOToolbox Staging"] {
        assert!(
            names
                .contains(&format!("vciotoolbox.scope.edit-invoices (application/{app})").as_str()),
            "{names:?}"
        );
    }
    // The staging application lacks edit:invoices: that test case fails, the other passes.
    let failed: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.children().any(|c| c.has_tag_name("failure")))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert!(failed.contains(&"vciotoolbox.scope.edit-invoices (application/vCIOToolbox Staging)"));
    assert!(!failed.contains(&"vciotoolbox.scope.edit-invoices (application/vCIOToolbox)"));
    // Agent requirements are evaluated once: both applications log in as the same agent.
    assert!(names.contains(&"vciotoolbox.agent.admin"), "{names:?}");
    assert_one_home_per_finding(&loaded, &context);
}
