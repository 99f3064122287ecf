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

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Report<'a> {
    version: u32,
    tool: Tool,
    snapshot: SnapshotInfo<'a>,
    summary: Summary<'a>,
    findings: Vec<JsonFinding<'a>>,
    sets: Vec<JsonSet<'a>>,
    /// Present only with `check --baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineInfo<'a>>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct BaselineInfo<'a> {
    path: &'a str,
    new: usize,
    baselined: usize,
    fixed: &'a [crate::ratchet::BaselineEntry],
}

#[derive(Serialize, schemars::JsonSchema)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize, schemars::JsonSchema)]
struct SnapshotInfo<'a> {
    instance: Option<&'a str>,
    fetched_at: Option<&'a str>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Summary<'a> {
    errors: usize,
    warnings: usize,
    notes: usize,
    unverifiable: usize,
    passed: bool,
    /// False when the lists an audit needs were missing or empty (`not_audited` says why).
    audited: bool,
    /// `not audited`, `failed`, `passed` or `not gating`.
    verdict: &'static str,
    coverage: JsonCoverage,
    not_audited: &'a [crate::check::NotAudited],
    #[serde(skip_serializing_if = "Option::is_none")]
    min_coverage: Option<u8>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct JsonCoverage {
    #[serde(flatten)]
    counts: crate::check::Coverage,
    /// Decided as a share of decided and unverifiable, in whole percent.
    percent: usize,
}

impl JsonCoverage {
    fn new(counts: crate::check::Coverage) -> Self {
        Self {
            counts,
            percent: counts.percent(),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    fingerprint: String,
    /// `new` or `unchanged` (SARIF's words), only with `check --baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct JsonSet<'a> {
    #[serde(flatten)]
    set: &'a SetOutcome,
}

/// Renders the JSON report (pretty, trailing newline).
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    build(outcome, context, None)
}

/// Renders the JSON report of a run compared with a baseline: every current finding with its
/// `baseline_state`, a `baseline` member (counts and the fixed findings), and `summary.passed`
/// decided on the new findings only.
#[must_use]
pub fn render_with_baseline(
    outcome: &Outcome,
    context: &Context<'_>,
    ratchet: &crate::ratchet::Ratchet,
) -> String {
    build(outcome, context, Some(ratchet))
}

fn build(
    outcome: &Outcome,
    context: &Context<'_>,
    ratchet: Option<&crate::ratchet::Ratchet>,
) -> String {
    let verdict = match ratchet {
        Some(r) => super::verdict(&r.new_findings(outcome), context.gate()),
        None => super::verdict(outcome, context.gate()),
    };
    let passed = matches!(verdict, super::Verdict::Passed | super::Verdict::NotGating);
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
            passed,
            audited: outcome.not_audited.is_empty(),
            verdict: verdict.as_str(),
            coverage: JsonCoverage::new(outcome.coverage()),
            not_audited: &outcome.not_audited,
            min_coverage: context.min_coverage,
        },
        findings: outcome
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| JsonFinding {
                finding: f,
                fingerprint: f.fingerprint(),
                baseline_state: ratchet.map(|r| {
                    if r.baselined.get(i).copied().unwrap_or(false) {
                        "unchanged"
                    } else {
                        "new"
                    }
                }),
            })
            .collect(),
        sets: outcome.sets.iter().map(|set| JsonSet { set }).collect(),
        baseline: ratchet.map(|r| BaselineInfo {
            path: &r.path,
            new: r.new_count(),
            baselined: r.baselined_count(),
            fixed: &r.fixed,
        }),
    };
    let mut text =
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
