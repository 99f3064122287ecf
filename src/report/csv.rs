//! CSV (RFC 4180, with the `csv` crate): one row per finding, for spreadsheets and an MSP's own
//! reports.
//!
//! A header row, then the findings in the report's order. Fields holding a comma, a double quote,
//! a carriage return or a line feed are quoted, quotes doubled; records end with CRLF. Every field
//! is untrusted text: control characters other than line breaks and tabs are shown as escapes
//! (as on a terminal, [`crate::text::shown`]), and a field starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return is prefixed with `'` so that no spreadsheet reads it as a formula.

use super::Context;
use crate::check::{Finding, Grade, Outcome};
use crate::diag::Code;

/// The header row.
pub const HEADER: [&str; 16] = [
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
    "fingerprint",
];

/// What a finding's decision rests on, as every report grades it (`seen`, `implied`, `overlay`,
/// `assumed`, `undecided`): the grade of the evaluation the finding came from; `undecided` for an
/// `unverifiable` finding; for a finding with no evaluation (a binding not found, a waiver's
/// warning), `assumed` when it names an assumption, else `seen`.
#[must_use]
pub fn evidence_grade(outcome: &Outcome, finding: &Finding) -> &'static str {
    if finding.code == Code::Unverifiable {
        return Grade::Undecided.as_str();
    }
    match outcome.basis_of(finding) {
        Some(basis) => basis.grade.as_str(),
        None if finding.code == Code::SatisfiedByAssumption || !finding.assumptions.is_empty() => {
            Grade::Assumed.as_str()
        }
        None => Grade::Seen.as_str(),
    }
}

/// A field as written: control characters escaped but line breaks and tabs kept (the field is
/// then quoted), and a leading formula character neutralised with `'`.
#[must_use]
pub fn field(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut rest = text;
    while let Some(at) = rest.find(['\n', '\r', '\t']) {
        out.push_str(&crate::text::shown(&rest[..at]));
        out.push_str(&rest[at..=at]);
        rest = &rest[at + 1..];
    }
    out.push_str(&crate::text::shown(rest));
    if out.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.insert(0, '\'');
    }
    out
}

fn row(outcome: &Outcome, finding: &Finding, context: &Context<'_>) -> [String; 16] {
    let opt = |v: Option<&str>| v.unwrap_or_default().to_owned();
    let location = super::location(finding, context.library)
        .map(|l| format!("{}:{}:{}", l.path, l.line, l.column))
        .unwrap_or_default();
    let waiver = finding
        .waiver
        .as_ref()
        .map(|w| {
            format!(
                "{} (owner {}, until {}, {})",
                w.reason, w.owner, w.expires, w.location
            )
        })
        .unwrap_or_default();
    [
        finding.severity.to_string(),
        finding.code.as_str().to_owned(),
        finding.requirement_set.clone(),
        opt(finding.requirement.as_deref()),
        finding.subject.kind.as_str().to_owned(),
        finding.subject.id.clone(),
        finding.subject.name.clone(),
        opt(finding.permission.as_deref()),
        opt(finding.expected.as_deref()),
        opt(finding.actual.as_deref()),
        evidence_grade(outcome, finding).to_owned(),
        finding.message.clone(),
        opt(finding.help.as_deref()),
        location,
        waiver,
        finding.fingerprint(),
    ]
    .map(|v| field(&v))
}

/// Renders the CSV report.
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    let mut failed = writer.write_record(HEADER).err();
    for finding in &outcome.findings {
        if failed.is_some() {
            break;
        }
        failed = writer.write_record(row(outcome, finding, context)).err();
    }
    let bytes = match writer.into_inner() {
        Ok(bytes) => bytes,
        Err(e) => {
            failed.get_or_insert_with(|| ::csv::Error::from(std::io::Error::other(e.to_string())));
            Vec::new()
        }
    };
    match failed {
        // Writing into memory does not fail; should it, the report says so in its one field.
        Some(e) => format!("error\r\n\"the CSV report could not be written: {e}\"\r\n"),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn formulas_are_neutralised_and_line_breaks_kept() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for lead in ["+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(field(lead).starts_with('\''), "{lead:?}");
        }
        assert_eq!(field("a=b"), "a=b");
        assert_eq!(field("two\nlines"), "two\nlines");
        assert_eq!(field("\u{1b}[31mred"), "\\u{1b}[31mred");
        // A formula after an escape sequence is not at the start of the cell.
        assert_eq!(field("x\n=1"), "x\n=1");
    }
}
