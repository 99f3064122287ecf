//! The JSON report: a public, versioned contract (DESIGN §5, docs/json-report.md).
//!
//! Version 1. Members may be added in later releases without a version change; none is removed or
//! changes meaning without one.

use serde::Serialize;

use super::Context;
use crate::check::{Finding, Outcome, SetOutcome};
use crate::diag::Severity;

/// The report's version.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    snapshot: SnapshotInfo<'a>,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    sets: Vec<JsonSet<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct SnapshotInfo<'a> {
    instance: Option<&'a str>,
    fetched_at: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    notes: usize,
    unverifiable: usize,
    passed: bool,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    fingerprint: String,
}

#[derive(Serialize)]
struct JsonSet<'a> {
    #[serde(flatten)]
    set: &'a SetOutcome,
}

/// Renders the JSON report (pretty, trailing newline).
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    let report = Report {
        version: VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        snapshot: SnapshotInfo {
            instance: context.tenant.provenance.instance.as_deref(),
            fetched_at: context.tenant.provenance.fetched_at.as_deref(),
        },
        summary: Summary {
            errors: outcome.count(Severity::Error),
            warnings: outcome.count(Severity::Warning),
            notes: outcome.count(Severity::Note),
            unverifiable: outcome.unverifiable(),
            passed: crate::app::failing(outcome, context.fail_on) == 0,
        },
        findings: outcome
            .findings
            .iter()
            .map(|f| JsonFinding {
                finding: f,
                fingerprint: f.fingerprint(),
            })
            .collect(),
        sets: outcome.sets.iter().map(|set| JsonSet { set }).collect(),
    };
    let mut text =
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
