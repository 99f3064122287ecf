//! A table of every finding, one row each: severity, code, requirement (whose id starts with its
//! set's), subject, permission, expected, actual. Plain text (no colours), fitted to the width
//! (`COLUMNS`, or the terminal's; 80 when not a terminal): the widest columns wrap at word
//! boundaries, nothing is cut; when the findings' table would have to split words to fit, each
//! finding is a block of labelled lines instead. The verdict goes to standard error like for the
//! other machine formats.

use tabled::Tabled;

use super::Context;
use crate::check::Outcome;
use crate::text::shown_owned;

#[derive(Tabled)]
struct Row {
    severity: String,
    code: String,
    requirement: String,
    subject: String,
    permission: String,
    expected: String,
    actual: String,
}

/// A set's requirement counts (they add up: pass + miss + exc = decided; with unv and n/a, every
/// requirement), under short headers so that the table fits 80 columns; the lines after it spell
/// them out.
#[derive(Tabled)]
struct CoverageRow {
    set: String,
    pass: usize,
    miss: usize,
    exc: usize,
    unv: usize,
    #[tabled(rename = "n/a")]
    not_applicable: usize,
    decided: usize,
    assumed: usize,
    #[tabled(rename = "cov")]
    coverage: String,
}

/// Renders the table of findings (or a line saying there is none), then the requirement counts
/// per set and overall, the finding counts, and what the run was told that changes the report.
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    let width = context.style.width;
    let mut out = findings(outcome, width);
    let summary = outcome.summary();
    let row = |set: String, c: crate::check::Coverage| CoverageRow {
        set,
        pass: c.passed,
        miss: c.missing,
        exc: c.excessive,
        unv: c.unverifiable,
        not_applicable: c.not_applicable,
        decided: c.decided,
        assumed: c.assumed,
        coverage: format!("{}%", c.percent()),
    };
    let rows: Vec<CoverageRow> = summary
        .sets
        .iter()
        .filter(|s| !matches!(s.state, "not_in_use" | "only_inactive"))
        .map(|s| row(s.id.clone(), s.requirements))
        .chain(std::iter::once(row(
            "(all)".to_owned(),
            summary.requirements,
        )))
        .collect();
    let table = crate::text::fitted_table(rows, width);
    out.push_str(&format!("{table}\n"));
    // Lines of words, wrapped to the width when there is one.
    let mut line = |text: &str| {
        let text = if width == 0 {
            text.to_owned()
        } else {
            super::wrap(text, width, "  ")
        };
        out.push_str(&text);
        out.push('\n');
    };
    line(
        "pass, miss, exc, unv, n/a: requirements passed, missing, excessive, unverifiable, not applicable",
    );
    line(&format!(
        "Requirements: {}",
        summary.requirements.breakdown()
    ));
    line(&format!("Findings: {}", summary.findings.text()));
    for notice in outcome.inputs.notices(&summary) {
        line(&shown_owned(&notice));
    }
    for gap in &outcome.not_audited {
        out.push_str(&format!(
            "Not audited: {}\n  fix: {}\n",
            gap.reason, gap.fix
        ));
    }
    out
}

fn findings(outcome: &Outcome, width: usize) -> String {
    if outcome.findings.is_empty() {
        return "No findings.\n".to_owned();
    }
    let rows: Vec<Row> = outcome
        .findings
        .iter()
        .map(|f| Row {
            severity: match &f.waiver {
                Some(w) => format!("{} (waived until {})", f.severity, w.expires),
                None => f.severity.to_string(),
            },
            code: f.code.as_str().to_owned(),
            // A finding of no single requirement (a set's own) is named by its set.
            requirement: shown_owned(f.requirement.as_deref().unwrap_or(&f.requirement_set)),
            subject: shown_owned(&f.subject.to_string()),
            permission: shown_owned(f.permission.as_deref().unwrap_or_default()),
            expected: shown_owned(f.expected.as_deref().unwrap_or_default()),
            actual: shown_owned(f.actual.as_deref().unwrap_or_default()),
        })
        .collect();
    match crate::text::fitted_table_whole(&rows, width) {
        Some(table) => format!("{table}\n"),
        None => rows.iter().map(|r| block(r, width)).collect(),
    }
}

/// One finding as labelled lines (for a width the table cannot fit without splitting words).
fn block(row: &Row, width: usize) -> String {
    // `  permission  `: the values start in one column and wrap under it.
    const LABEL: usize = 14;
    let room = width.saturating_sub(LABEL).max(20);
    let head = format!("{} {} {}", row.severity, row.code, row.requirement);
    let mut out = crate::text::wrap_cell(&head, width.max(20)).replace('\n', "\n    ");
    out.push('\n');
    for (label, value) in [
        ("subject", &row.subject),
        ("permission", &row.permission),
        ("expected", &row.expected),
        ("actual", &row.actual),
    ] {
        if !value.is_empty() {
            let value = crate::text::wrap_cell(&value.replace('\n', " "), room);
            let value = value.replace('\n', &format!("\n{}", " ".repeat(LABEL)));
            out.push_str(&format!("  {label:<11} {value}\n"));
        }
    }
    out.push('\n');
    out
}
