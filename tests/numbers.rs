//! One set of numbers: every format renders the same counts for the same run, per-set counts add
//! up, decisions on an assumption are counted apart and gated, and what a run was told (severity
//! overrides silencing findings, catalog overlays) shows in the summary of every format.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use halo_audit::check::{self, Coverage, FindingCounts, Grade, Outcome, Status, Summary};
use halo_audit::cli::{FailOn, Format};
use halo_audit::report::{self, Context, Style};
use halo_audit::ruleset::RuleFile;
use serde_json::Value;

const ALL: [Format; 10] = [
    Format::Human,
    Format::Table,
    Format::Json,
    Format::Markdown,
    Format::Html,
    Format::Sarif,
    Format::Junit,
    Format::Github,
    Format::Gitlab,
    Format::Csv,
];

/// Wide enough that every table fits and no line is wrapped.
const WIDE: Style = Style {
    color: false,
    verbose: 0,
    quiet: false,
    width: 1000,
};

fn wide<'a>(loaded: &'a common::Loaded) -> Context<'a> {
    Context {
        style: &WIDE,
        ..common::context(loaded, FailOn::Error)
    }
}

/// Every per-set line adds up, and the overall counts are the sum of the sets'.
fn adds_up(name: &str, outcome: &Outcome, summary: &Summary) {
    let mut total = Coverage::default();
    for (set, numbers) in outcome.sets.iter().zip(&summary.sets) {
        let c = set.coverage;
        assert_eq!(numbers.requirements, c, "{name}/{}", set.id);
        assert_eq!(
            c.passed + c.missing + c.excessive,
            c.decided,
            "{name}/{}",
            set.id
        );
        assert_eq!(c.total(), set.evaluations.len(), "{name}/{}: {c:?}", set.id);
        assert!(c.assumed + c.overlay <= c.decided, "{name}/{}", set.id);
        let count = |status: Status| {
            set.evaluations
                .iter()
                .filter(|e| e.status == status && !e.not_applicable)
                .count()
        };
        assert_eq!(
            (c.passed, c.missing, c.excessive, c.unverifiable),
            (
                count(Status::Passed),
                count(Status::Missing),
                count(Status::Excessive),
                count(Status::Unverifiable)
            ),
            "{name}/{}",
            set.id
        );
        total.add(c);
    }
    assert_eq!(total, summary.requirements, "{name}");
    let f = summary.findings;
    let reported = outcome
        .findings
        .iter()
        .filter(|f| f.waiver.is_none())
        .count();
    assert_eq!(f.reported(), reported, "{name}");
    assert_eq!(f.waived, outcome.findings.len() - reported, "{name}");
    assert_eq!(f.silenced, outcome.silenced.len(), "{name}");
    let per_set: usize = summary.sets.iter().map(|s| s.findings.reported()).sum();
    assert!(per_set <= f.reported(), "{name}");
}

/// The numbers a human or table report shows for a set: the cells of its table row.
fn row<'a>(text: &'a str, id: &str) -> Option<Vec<&'a str>> {
    text.lines().find_map(|line| {
        let cells: Vec<&str> = line.split('│').map(str::trim).collect();
        (cells.len() > 3 && cells[1] == id).then_some(cells)
    })
}

fn numbers_of(c: &Coverage) -> Vec<String> {
    [
        c.passed,
        c.missing,
        c.excessive,
        c.unverifiable,
        c.not_applicable,
    ]
    .iter()
    .map(ToString::to_string)
    .collect()
}

fn check_formats(name: &str, outcome: &Outcome, context: &Context<'_>) {
    let summary = outcome.summary();
    adds_up(name, outcome, &summary);
    let text_line = report::summary_text(outcome, context.gate());
    let notices = outcome.inputs.notices(&summary);
    for format in ALL {
        let text = report::render(format, outcome, context);
        let what = format!("{name} ({format:?})");
        match format {
            Format::Human => {
                assert!(text.contains(&text_line), "{what}: no verdict line\n{text}");
                for set in summary.sets.iter().filter(|s| listed(s.state)) {
                    let cells = row(&text, &set.id)
                        .unwrap_or_else(|| panic!("{what}: no row of {}\n{text}", set.id));
                    assert_eq!(
                        cells[3..8],
                        numbers_of(&set.requirements),
                        "{what}: {}",
                        set.id
                    );
                }
            }
            Format::Table => {
                assert!(
                    text.contains(&format!(
                        "Requirements: {}",
                        summary.requirements.breakdown()
                    )),
                    "{what}\n{text}"
                );
                assert!(
                    text.contains(&format!("Findings: {}", summary.findings.text())),
                    "{what}"
                );
                for set in summary.sets.iter().filter(|s| listed(s.state)) {
                    let cells = row(&text, &set.id)
                        .unwrap_or_else(|| panic!("{what}: no row of {}\n{text}", set.id));
                    assert_eq!(
                        cells[2..7],
                        numbers_of(&set.requirements),
                        "{what}: {}",
                        set.id
                    );
                }
            }
            Format::Json => {
                let json: Value = serde_json::from_str(&text).unwrap();
                let s = &json["summary"];
                assert_eq!(
                    s["findings"],
                    serde_json::to_value(summary.findings).unwrap(),
                    "{what}"
                );
                for key in ["requirements", "coverage"] {
                    for (field, n) in counts(&summary.requirements) {
                        assert_eq!(s[key][field], n, "{what}: {key}.{field}");
                    }
                }
                for (i, set) in summary.sets.iter().enumerate() {
                    assert_eq!(json["sets"][i]["id"], set.id.as_str(), "{what}");
                    for (field, n) in counts(&set.requirements) {
                        assert_eq!(
                            json["sets"][i]["coverage"][field], n,
                            "{what}: {}.{field}",
                            set.id
                        );
                        assert_eq!(
                            s["sets"][i]["requirements"][field], n,
                            "{what}: {}.{field}",
                            set.id
                        );
                    }
                }
                assert_eq!(s["unverifiable"], summary.findings.unverifiable, "{what}");
                assert_eq!(
                    json["silenced"].as_array().unwrap().len(),
                    summary.findings.silenced,
                    "{what}"
                );
                assert_eq!(
                    s["assumed"].as_array().unwrap().len(),
                    summary.assumed.len(),
                    "{what}"
                );
            }
            Format::Markdown => {
                assert!(
                    text.contains(&format!(
                        "- Requirements: {}",
                        summary.requirements.breakdown()
                    )),
                    "{what}\n{text}"
                );
                assert!(
                    text.contains(&format!("- Findings: {}", summary.findings.text())),
                    "{what}"
                );
                for set in summary
                    .sets
                    .iter()
                    .filter(|s| matches!(s.state, "evaluated" | "baseline"))
                {
                    assert!(
                        text.contains(&set.requirements.breakdown()),
                        "{what}: {}\n{text}",
                        set.id
                    );
                }
                assert!(
                    !text.contains("**failed** (error)") || summary.findings.errors > 0,
                    "{what}"
                );
            }
            Format::Html => {
                assert!(
                    text.contains(&format!("<dd>{}</dd>", summary.requirements.breakdown())),
                    "{what}"
                );
                assert!(
                    text.contains(&format!("<dd>{}</dd>", summary.findings.text())),
                    "{what}"
                );
                for set in summary.sets.iter().filter(|s| listed(s.state)) {
                    let at = text
                        .find(&format!("<code>{}</code>", set.id))
                        .unwrap_or_else(|| panic!("{what}: no row of {}", set.id));
                    let nums: Vec<String> = text[at..]
                        .split("<td class=\"num\">")
                        .skip(1)
                        .take(5)
                        .map(|cell| cell.split('<').next().unwrap_or_default().to_owned())
                        .collect();
                    assert_eq!(nums, numbers_of(&set.requirements), "{what}: {}", set.id);
                }
            }
            Format::Sarif => {
                let log: Value = serde_json::from_str(&text).unwrap();
                let p = &log["runs"][0]["properties"];
                for (field, n) in counts(&summary.requirements) {
                    let camel = match field {
                        "not_applicable" => "notApplicable",
                        other => other,
                    };
                    assert_eq!(p["coverage"][camel], n, "{what}: {field}");
                }
                let f = &p["findingCounts"];
                assert_eq!(
                    (
                        f["errors"].as_u64(),
                        f["warnings"].as_u64(),
                        f["notes"].as_u64(),
                        f["waived"].as_u64(),
                        f["silenced"].as_u64()
                    ),
                    (
                        Some(summary.findings.errors as u64),
                        Some(summary.findings.warnings as u64),
                        Some(summary.findings.notes as u64),
                        Some(summary.findings.waived as u64),
                        Some(summary.findings.silenced as u64)
                    ),
                    "{what}"
                );
                // Waived findings are left out of the results by default (counted above).
                assert_eq!(
                    log["runs"][0]["results"].as_array().unwrap().len(),
                    outcome
                        .findings
                        .iter()
                        .filter(|f| f.waiver.is_none())
                        .count(),
                    "{what}"
                );
            }
            Format::Junit => {
                let doc = roxmltree::Document::parse(&text).unwrap();
                let property = |suite: &str, name: &str| {
                    doc.descendants()
                        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some(suite))
                        .and_then(|s| {
                            s.descendants().find(|p| {
                                p.has_tag_name("property") && p.attribute("name") == Some(name)
                            })
                        })
                        .and_then(|p| p.attribute("value").map(str::to_owned))
                };
                assert_eq!(
                    property("halo-audit", "requirements"),
                    Some(summary.requirements.breakdown()),
                    "{what}"
                );
                assert_eq!(
                    property("halo-audit", "findings"),
                    Some(summary.findings.text()),
                    "{what}"
                );
                for set in summary.sets.iter().filter(|s| s.state != "not_in_use") {
                    assert_eq!(
                        property(&set.id, "requirements"),
                        Some(set.requirements.breakdown()),
                        "{what}: {}",
                        set.id
                    );
                    assert_eq!(
                        property(&set.id, "findings"),
                        Some(set.findings.text()),
                        "{what}: {}",
                        set.id
                    );
                }
            }
            Format::Github => {
                let last = text
                    .lines()
                    .rfind(|l| l.contains("halo-audit coverage"))
                    .unwrap();
                let decoded = last
                    .replace("%25", "%")
                    .replace("%0A", "\n")
                    .replace("%0D", "\r");
                assert!(decoded.contains(&text_line), "{what}: {decoded}");
                for notice in &notices {
                    assert!(decoded.contains(notice.as_str()), "{what}: {notice}");
                }
            }
            Format::Gitlab => {
                let issues: Value = serde_json::from_str(&text).unwrap();
                let issues = issues.as_array().unwrap();
                assert_eq!(
                    issues.len(),
                    outcome.findings.len() + usize::from(!notices.is_empty()),
                    "{what}"
                );
            }
            Format::Csv => {
                // One row per finding reported (waived ones included, marked in their column).
                let rows = csv::Reader::from_reader(text.as_bytes())
                    .records()
                    .map(Result::unwrap)
                    .count();
                assert_eq!(rows, outcome.findings.len(), "{what}");
            }
        }
        if matches!(
            format,
            Format::Human | Format::Table | Format::Markdown | Format::Html
        ) {
            for notice in &notices {
                let plain = notice.replace('`', "");
                // Markdown shows the notice's backticks escaped (`\``), as text; HTML shows the
                // code spans as `<code>`.
                let found = text
                    .replace("<code>", "")
                    .replace("</code>", "")
                    .replace("\\`", "")
                    .replace('`', "")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">");
                assert!(found.contains(&plain), "{what}: notice `{notice}` missing");
            }
        }
    }
}

/// Sets that have a line in the per-set tables.
fn listed(state: &str) -> bool {
    !matches!(state, "not_in_use" | "only_inactive")
}

fn counts(c: &Coverage) -> Vec<(&'static str, usize)> {
    vec![
        ("decided", c.decided),
        ("unverifiable", c.unverifiable),
        ("not_applicable", c.not_applicable),
        ("passed", c.passed),
        ("missing", c.missing),
        ("excessive", c.excessive),
        ("assumed", c.assumed),
        ("overlay", c.overlay),
    ]
}

#[test]
fn every_format_shows_the_same_numbers_for_every_golden_case() {
    let cases = common::cases();
    assert!(cases.len() > 10);
    for dir in cases {
        let loaded = common::load(&dir);
        check_formats(&loaded.name, &loaded.outcome, &wide(&loaded));
    }
}

fn config(text: &str) -> halo_audit::config::Config {
    halo_audit::config::parse(&RuleFile {
        name: "halo-audit.yaml".into(),
        text: text.into(),
        builtin: false,
    })
    .unwrap_or_else(|e| panic!("{e:?}"))
}

fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 12, 1)
}

#[test]
fn silenced_waived_and_changed_findings_are_counted_alike_in_every_format() {
    // A case whose findings have several codes: one code is waived, another silenced.
    let mut loaded = common::cases()
        .iter()
        .map(|d| common::load(d))
        .find(|l| {
            let codes: std::collections::BTreeSet<_> =
                l.outcome.findings.iter().map(|f| f.code).collect();
            codes.len() >= 3
        })
        .unwrap();
    let before = loaded.outcome.findings.len();
    let first = loaded.outcome.findings[0].clone();
    let mut codes: Vec<&str> = loaded
        .outcome
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .filter(|c| *c != first.code.as_str())
        .collect();
    codes.dedup();
    let config = config(&format!(
        "severity:\n  {}: allow\n  {}: note\n\
         waivers:\n  - code: {}\n    set: {}\n    reason: \"accepted (ticket #12)\"\n    owner: a@b.example\n    expires: 2027-01-31\n",
        codes[0],
        codes[1],
        first.code.as_str(),
        first.requirement_set
    ));
    check::waivers::apply(&mut loaded.outcome, &config, today(), true);
    let outcome = &loaded.outcome;
    let summary = outcome.summary();
    assert!(summary.findings.silenced > 0, "{:?}", summary.findings);
    assert!(summary.findings.waived > 0, "{:?}", summary.findings);
    let about_waivers = outcome
        .findings
        .iter()
        .filter(|f| f.code.as_str().contains("waiver"))
        .count();
    assert_eq!(
        outcome.findings.len() + outcome.silenced.len(),
        before + about_waivers
    );
    let allow: Vec<&check::summary::OverrideEffect> = outcome
        .inputs
        .overrides
        .iter()
        .filter(|o| o.level == "allow")
        .collect();
    assert_eq!(
        allow.iter().map(|o| o.dropped).sum::<usize>(),
        summary.findings.silenced
    );
    let context = wide(&loaded);
    check_formats("excessive-grant with overrides", &loaded.outcome, &context);
    // Every format with a summary says so (CSV is one row per finding reported, no summary).
    for format in ALL.into_iter().filter(|f| *f != Format::Csv) {
        let text = report::render(format, &loaded.outcome, &context);
        assert!(text.contains("silenced by configuration"), "{format:?}");
    }
}

#[test]
fn counts_of_findings_and_requirements_are_never_mixed_up() {
    let c = Coverage {
        decided: 6,
        unverifiable: 4,
        not_applicable: 1,
        passed: 3,
        missing: 1,
        excessive: 2,
        assumed: 2,
        overlay: 0,
    };
    assert_eq!(
        c.breakdown(),
        "3 passed, 1 missing, 2 excessive, 4 unverifiable, 1 not applicable (11 requirements; 2 decided on an assumption)"
    );
    assert_eq!(
        c.text(),
        "6 of 10 requirements decided (60%), 2 of them on an assumption, 4 unverifiable, 1 not applicable"
    );
    assert_eq!((c.on_evidence(), c.evidence_percent()), (4, 40));
    let f = FindingCounts {
        errors: 1,
        warnings: 2,
        notes: 0,
        unverifiable: 1,
        assumed: 1,
        waived: 1,
        silenced: 3,
    };
    assert_eq!(
        f.text(),
        "1 error, 2 warnings, 0 notes (1 unverifiable, 1 on an assumption), 1 waived, 3 silenced by configuration"
    );
}

// ---------------------------------------------------------------------------------------------
// The command line

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/snapshot.json")
}

fn halo() -> Command {
    let mut cmd = Command::cargo_bin("halo-audit").unwrap();
    cmd.env_remove("HALO_AUDIT_FAIL_ON")
        .env_remove("HALO_AUDIT_CONFIG")
        .env("NO_COLOR", "1");
    cmd
}

/// A report's text with every run of white space made one space (the human report wraps).
fn flat(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)))
}

#[test]
fn decisions_on_absent_claims_are_counted_named_and_gated() {
    let out = halo()
        .args([
            "check",
            "--no-config",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--snapshot",
        ])
        .arg(demo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json = json_of(&out);
    let assumed = json["summary"]["coverage"]["assumed"].as_u64().unwrap();
    assert!(assumed > 0, "{:#}", json["summary"]);
    assert_eq!(
        json["summary"]["coverage"]["on_evidence"].as_u64().unwrap() + assumed,
        json["summary"]["coverage"]["decided"].as_u64().unwrap()
    );
    let list = json["summary"]["assumed"].as_array().unwrap();
    assert_eq!(list.len() as u64, assumed);
    assert!(
        list.iter()
            .all(|d| d["because"].as_str().is_some_and(|b| !b.is_empty()))
    );
    // Evaluations carry their grade; at least one rests on an absent claim.
    let absent = json["sets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["evaluations"].as_array().unwrap())
        .filter(|e| e["evidence"]["grade"] == "assumed")
        .filter(|e| {
            e["evidence"]["because"]
                .as_str()
                .unwrap()
                .contains("claim on the agent or its roles")
        })
        .count();
    assert!(absent > 0);

    // The default terminal report names them without -v.
    let out = halo()
        .args(["check", "--no-config", "--fail-on", "never", "--snapshot"])
        .arg(demo())
        .output()
        .unwrap();
    let text = flat(&out.stdout);
    assert!(
        text.contains(&format!("Decided on an assumption ({assumed};")),
        "{text}"
    );
    assert!(text.contains("claim on the agent or its roles"), "{text}");
    assert!(
        text.contains(&format!("{assumed} of them on an assumption")),
        "{text}"
    );

    // The gate: on the command line and in the configuration, whatever --fail-on says.
    let out = halo()
        .args([
            "check",
            "--no-config",
            "--fail-on",
            "never",
            "--fail-on-assumed",
            "--format",
            "json",
            "--snapshot",
        ])
        .arg(demo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json = json_of(&out);
    assert_eq!(json["summary"]["verdict"], "failed");
    assert_eq!(json["summary"]["fail_on_assumed"], true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("on an assumption, --fail-on-assumed"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("halo-audit.yaml");
    std::fs::write(&cfg, "fail_on: never\nfail_on_assumed: true\n").unwrap();
    halo()
        .args(["check", "-q", "--config"])
        .arg(&cfg)
        .arg("--snapshot")
        .arg(demo())
        .assert()
        .code(1);
}

#[test]
fn a_config_that_allows_every_code_is_counted_in_every_format_and_undone_by_no_config_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("halo-audit.yaml");
    let mut text = "severity:\n".to_owned();
    for code in halo_audit::diag::Code::ALL {
        text.push_str(&format!("  {}: allow\n", code.as_str()));
    }
    std::fs::write(&cfg, &text).unwrap();
    let run = |format: &str, extra: &[&str]| {
        halo()
            .args([
                "check",
                "--fail-on",
                "warning",
                "--format",
                format,
                "--config",
            ])
            .arg(&cfg)
            .args(extra)
            .arg("--snapshot")
            .arg(demo())
            .output()
            .unwrap()
    };
    let out = run("json", &[]);
    let json = json_of(&out);
    let silenced = json["summary"]["findings"]["silenced"].as_u64().unwrap();
    assert!(silenced > 10, "{:#}", json["summary"]);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    assert_eq!(json["silenced"].as_array().unwrap().len() as u64, silenced);
    assert_eq!(
        json["inputs"]["config"]["sha256"].as_str().unwrap().len(),
        64
    );
    let dropped: u64 = json["inputs"]["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["dropped"].as_u64().unwrap())
        .sum();
    assert_eq!(dropped, silenced);
    let expected = format!("{silenced} findings silenced by configuration");
    for format in [
        "human", "table", "markdown", "html", "sarif", "junit", "github", "gitlab",
    ] {
        let out = run(format, &[]);
        let text = flat(&out.stdout);
        assert!(text.contains(&expected), "{format}: {text}");
    }
    let out = run("sarif", &[]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["properties"]["findingCounts"]["silenced"].as_u64(),
        Some(silenced)
    );

    // --no-config-overrides: every finding back, at its own severity; the gate fails again.
    let out = run("json", &["--no-config-overrides"]);
    assert_eq!(out.status.code(), Some(1));
    let json = json_of(&out);
    assert_eq!(json["findings"].as_array().unwrap().len() as u64, silenced);
    assert_eq!(json["summary"]["findings"]["silenced"], 0);
    assert_eq!(json["inputs"]["overrides_ignored"], true);
}

#[test]
fn an_overlay_that_turns_an_excess_into_a_pass_is_named_with_the_decision_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("relabel.yaml");
    std::fs::write(
        &overlay,
        "permissions:\n  - permission: Invoices\n    values: { \"2\": Read Only }\n",
    )
    .unwrap();
    let run = |format: &str| {
        halo()
            .args([
                "check",
                "--no-config",
                "--fail-on",
                "never",
                "--format",
                format,
                "--catalog",
            ])
            .arg(&overlay)
            .arg("--snapshot")
            .arg(demo())
            .output()
            .unwrap()
    };
    let json = json_of(&run("json"));
    let overlays = json["inputs"]["overlays"].as_array().unwrap();
    assert_eq!(overlays.len(), 1);
    assert_eq!(overlays[0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        overlays[0]["redefines"][0]["permission"],
        "feature.invoices"
    );
    let changed = json["inputs"]["changed_by_overlays"].as_array().unwrap();
    let invoices = changed
        .iter()
        .find(|c| c["requirement"] == "vciotoolbox.feature.invoices")
        .unwrap_or_else(|| panic!("{changed:#?}"));
    assert_eq!(
        (invoices["shipped"].as_str(), invoices["overlaid"].as_str()),
        (Some("excessive"), Some("passed"))
    );
    assert!(json["summary"]["coverage"]["overlay"].as_u64().unwrap() > 0);
    let evaluation = json["sets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["evaluations"].as_array().unwrap())
        .find(|e| e["requirement"] == "vciotoolbox.feature.invoices")
        .unwrap();
    assert_eq!(evaluation["evidence"]["grade"], "overlay");
    for format in [
        "human", "table", "markdown", "html", "sarif", "junit", "github", "gitlab",
    ] {
        let out = run(format);
        let text = flat(&out.stdout);
        assert!(text.contains("catalog overlay"), "{format}: {text}");
        assert!(text.contains("vciotoolbox.feature.invoices"), "{format}");
    }
}

#[test]
fn grades_are_serialised_by_name() {
    assert_eq!(serde_json::to_value(Grade::Assumed).unwrap(), "assumed");
    assert_eq!(Grade::Overlay.as_str(), "overlay");
}
