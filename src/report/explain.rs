//! `halo-audit explain` without a code: the list of codes.

use tabled::settings::Style as TableStyle;
use tabled::{Table, Tabled};

use crate::diag::Code;

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "code")]
    code: &'static str,
    #[tabled(rename = "default")]
    severity: &'static str,
    #[tabled(rename = "summary")]
    summary: &'static str,
}

/// A table of every code.
#[must_use]
pub fn list() -> String {
    let rows: Vec<Row> = Code::ALL
        .iter()
        .map(|c| Row {
            code: c.as_str(),
            severity: c.default_severity().as_str(),
            summary: c.summary(),
        })
        .collect();
    let mut table = Table::new(rows);
    table.with(TableStyle::sharp());
    format!(
        "{table}\n\nRun `halo-audit explain CODE` for what a code checks, why it matters and how to fix it.\n"
    )
}
