//! The human report of a large tenant (3,000 agents, 100 applications): summary first, findings by
//! set with errors before warnings before notes, condensed to a few lines per set and kind of
//! finding (`-v` shows each group, findings identical but for their subject shown once with every
//! subject named), a few screens long, and no line wider than 80 columns when standard output is not
//! a terminal; `rules list`, `snapshot show` and `--format table` of it fit 80 columns too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;

fn run(args: &[&str], columns: &str, code: i32) -> String {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .env("NO_COLOR", "1")
        .env("COLUMNS", columns)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(code), "{args:?}");
    String::from_utf8(output.stdout).unwrap()
}

fn report(snapshot: &Path, verbose: bool) -> String {
    let mut args = vec!["check", "--snapshot", snapshot.to_str().unwrap()];
    if verbose {
        args.insert(0, "-v");
    }
    run(&args, "200", 1)
}

fn widest(text: &str) -> (usize, &str) {
    text.lines()
        .map(|l| (l.chars().count(), l))
        .max()
        .unwrap_or_default()
}

/// Severity rank of a diagnostic's first line (`  × ` error, `  ⚠ ` warning, `  ☞ ` note).
fn severity(line: &str) -> Option<u8> {
    match line.trim_start().chars().next()? {
        '×' if line.starts_with("  ×") => Some(0),
        '⚠' if line.starts_with("  ⚠") => Some(1),
        '☞' if line.starts_with("  ☞") => Some(2),
        _ => None,
    }
}

#[test]
fn a_large_tenant_reads_summary_first_grouped_collapsed_and_within_80_columns() {
    let dir = tempfile::tempdir().unwrap();
    let doc = halo_sim::synthetic(&halo_sim::SyntheticSpec {
        agents: 3000,
        teams: 50,
        roles: 40,
        applications: 100,
        seed: 1,
    });
    let path = dir.path().join("synthetic.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let short = report(&path, false);
    let all = report(&path, true);
    for (name, text) in [("default", &short), ("-v", &all)] {
        // Not a terminal: 80 columns, whatever COLUMNS says.
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{name}: {line}");
        }
        // The summary comes before the first finding.
        let first_heading = text.lines().position(|l| l.starts_with("== ")).unwrap();
        let first_summary = text
            .lines()
            .position(|l| l.contains(" passed,") || l.contains(" missing,"))
            .unwrap();
        assert!(first_summary < first_heading, "{name}");
        // The verdict line (wrapped) ends the report.
        let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.ends_with(": failed (--fail-on error)"), "{name}");
        // Within each set, errors before warnings before notes.
        let mut last = 0;
        for line in text.lines() {
            if line.starts_with("== ") {
                last = 0;
            } else if let Some(rank) = severity(line) {
                assert!(rank >= last, "{name}: {line} after a lower severity");
                last = rank;
            }
        }
        // The baseline's heading is the last.
        let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("== ")).collect();
        assert!(
            headings.last().unwrap().ends_with("(baseline) =="),
            "{headings:?}"
        );
        assert_eq!(
            headings.len(),
            headings
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            "{name}: a set's findings are together"
        );
    }
    // A few screens: 1,473 findings on 34 sets in under 480 lines (a line or two of summary and
    // about ten lines of findings per set; the baseline's hygiene checks add a few groups).
    let lines = short.lines().count();
    assert!(lines < 480, "{lines} lines");
    assert!(short.contains("findings, condensed"), "not condensed");
    assert!(short.contains("(-v shows each)"));
    assert!(short.contains("(-v lists all)"));
    // -v shows each group in full, with every subject named.
    assert!(all.contains("the same for "), "nothing collapsed");
    assert!(!all.contains("(-v lists all)") && !all.contains("(-v shows each)"));
    assert!(all.lines().count() > 10 * lines);
    // COLUMNS is not read when standard output is not a terminal: the same at 80 and at 200.
    let at_80 = run(&["check", "--snapshot", path.to_str().unwrap()], "80", 1);
    assert_eq!(at_80, short);
    // A name longer than the width (and holding an escape sequence) does not widen it either.
    let mut hostile = doc.clone();
    for (list, key) in [("applications", "displayName"), ("agents", "name")] {
        for item in hostile["objects"][list].as_array_mut().unwrap() {
            if item[key].as_str().is_some_and(|n| n.starts_with("Rewst 1")) {
                item[key] = format!("Rewst 1 {}\u{1b}[2J", "X".repeat(150)).into();
            }
        }
    }
    let hostile_path = dir.path().join("hostile.json");
    std::fs::write(&hostile_path, hostile.to_string()).unwrap();
    let text = run(
        &["check", "--snapshot", hostile_path.to_str().unwrap()],
        "80",
        1,
    );
    assert!(text.contains("XXXX"), "the name is not shown at all");
    assert!(!text.contains('\u{1b}'));
    let (width, line) = widest(&text);
    assert!(width <= 80, "{width} columns: {line}");
    // The tables of `rules list` and `snapshot show` fit too.
    for args in [
        vec!["rules", "list"],
        vec!["snapshot", "show", path.to_str().unwrap()],
        vec!["snapshot", "show", hostile_path.to_str().unwrap()],
    ] {
        let text = run(&args, "80", 0);
        let (width, line) = widest(&text);
        assert!(width <= 80, "{args:?}: {width} columns: {line}");
        assert!(text.lines().count() > 5, "{args:?}: {text}");
    }
    // So does `--format table`, a block per finding when the table cannot fit every word.
    let text = run(
        &[
            "check",
            "--snapshot",
            hostile_path.to_str().unwrap(),
            "--format",
            "table",
        ],
        "80",
        1,
    );
    let (width, line) = widest(&text);
    assert!(width <= 80, "table: {width} columns: {line}");
    assert!(text.contains("  subject     application Rewst 1"), "{text}");
    assert!(text.contains("XXXXXXXX") && !text.contains('\u{1b}'));
}
