//! A table of every finding, one row each: severity, code, set, requirement, subject, permission,
//! expected, actual. Plain text (no colours), long values wrapped at word boundaries. The verdict
//! goes to standard error like for the other machine formats.

use tabled::settings::object::Columns;
use tabled::settings::{Style as TableStyle, Width};
use tabled::{Table, Tabled};

use super::Context;
use crate::check::Outcome;
use crate::text::shown_owned;

/// Widest a value column grows before its text wraps.
const WRAP: usize = 40;

#[derive(Tabled)]
struct Row {
    severity: String,
    code: String,
    set: String,
    requirement: String,
    subject: String,
    permission: String,
    expected: String,
    actual: String,
}

#[derive(Tabled)]
struct CoverageRow {
    set: String,
    decided: usize,
    unverifiable: usize,
    #[tabled(rename = "not applicable")]
    not_applicable: usize,
    coverage: String,
}

/// Renders the table of findings (or a line saying there is none), then the coverage per set.
#[must_use]
pub fn render(outcome: &Outcome, _context: &Context<'_>) -> String {
    let mut out = findings(outcome);
    let row = |set: String, c: crate::check::Coverage| CoverageRow {
        set,
        decided: c.decided,
        unverifiable: c.unverifiable,
        not_applicable: c.not_applicable,
        coverage: format!("{}%", c.percent()),
    };
    let rows: Vec<CoverageRow> = outcome
        .sets
        .iter()
        .filter(|s| {
            !matches!(
                s.state,
                crate::check::SetState::NotInUse | crate::check::SetState::OnlyInactive { .. }
            )
        })
        .map(|s| row(s.id.clone(), s.coverage))
        .chain(std::iter::once(row("(all)".to_owned(), outcome.coverage())))
        .collect();
    let mut table = Table::new(rows);
    table.with(TableStyle::sharp());
    out.push_str(&format!("{table}\n"));
    for gap in &outcome.not_audited {
        out.push_str(&format!(
            "Not audited: {}\n  fix: {}\n",
            gap.reason, gap.fix
        ));
    }
    out
}

fn findings(outcome: &Outcome) -> String {
    if outcome.findings.is_empty() {
        return "No findings.\n".to_owned();
    }
    let rows = outcome.findings.iter().map(|f| Row {
        severity: match &f.waiver {
            Some(w) => format!("{} (waived until {})", f.severity, w.expires),
            None => f.severity.to_string(),
        },
        code: f.code.as_str().to_owned(),
        set: shown_owned(&f.requirement_set),
        requirement: shown_owned(f.requirement.as_deref().unwrap_or_default()),
        subject: shown_owned(&f.subject.to_string()),
        permission: shown_owned(f.permission.as_deref().unwrap_or_default()),
        expected: shown_owned(f.expected.as_deref().unwrap_or_default()),
        actual: shown_owned(f.actual.as_deref().unwrap_or_default()),
    });
    let mut table = Table::new(rows);
    table
        .with(TableStyle::sharp())
        .modify(Columns::new(3..), Width::wrap(WRAP).keep_words(true));
    format!("{table}\n")
}
