//! The human report of a large tenant (3,000 agents, 100 applications): summary first, findings by
//! set with errors before warnings before notes, findings identical but for their subject shown
//! once (`-v` names every subject), and no line wider than 80 columns when standard output is not
//! a terminal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;

fn report(snapshot: &Path, verbose: bool) -> String {
    let mut args = vec!["check", "--snapshot", snapshot.to_str().unwrap()];
    if verbose {
        args.insert(0, "-v");
    }
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{args:?}");
    String::from_utf8(output.stdout).unwrap()
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
    // Identical findings are collapsed; -v names every subject.
    assert!(short.contains("the same for "), "nothing collapsed");
    assert!(short.contains("(-v lists all)"));
    assert!(!all.contains("(-v lists all)"));
    assert!(all.lines().count() > short.lines().count());
}
