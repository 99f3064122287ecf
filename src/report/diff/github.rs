//! GitHub Actions annotations for `halo-audit diff`, written as `check`'s are
//! ([`crate::report::github`]): `::warning` for a widened change, `::notice` for the others, at
//! the line of the subject's object in the NEW snapshot (line 1 when it is not there), titled
//! `drift: <kind>`; then a `::notice` without a file for each thing that could not be compared.

use crate::diag::Severity;
use crate::diff::Diff;
use crate::report::github::annotation;
use crate::report::sarif::Base;
use crate::snapshot::ObjectLines;

/// Renders one annotation line per change, then one per thing not compared. `lines` locates the
/// subjects in the NEW snapshot (`paths.1`); files are relative to the repository root.
#[must_use]
pub fn render(diff: &Diff, paths: (&str, &str), lines: &ObjectLines) -> String {
    let base = Base::current();
    let mut out = String::new();
    for change in &diff.changes {
        annotation(
            &mut out,
            &base,
            super::severity(change.class),
            Some(&super::new_location(lines, paths.1, &change.subject)),
            &format!("drift: {}", super::kind_name(change.kind)),
            &super::plain_text(change),
        );
    }
    for item in &diff.not_compared {
        annotation(
            &mut out,
            &base,
            Severity::Note,
            None,
            "drift: not compared",
            &format!("{}: {}", item.what, item.reason),
        );
    }
    out
}
