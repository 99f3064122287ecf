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
    /// What the run was told: configuration, overrides, overlays, waivers, sets, rule files.
    inputs: &'a crate::check::Inputs,
    findings: Vec<JsonFinding<'a>>,
    /// Findings dropped by the configuration's `severity: {code: allow}`.
    silenced: Vec<JsonFinding<'a>>,
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
    /// Findings of each severity, waived ones (notes) included, as in version 1.
    errors: usize,
    warnings: usize,
    notes: usize,
    /// `unverifiable` findings (a finding count; `coverage.unverifiable` counts requirements).
    unverifiable: usize,
    /// Finding counts: by severity (waived excluded), waived, silenced by configuration.
    findings: crate::check::FindingCounts,
    /// Requirement counts (the same as `coverage`, by its clearer name).
    requirements: JsonCoverage,
    /// Per set: requirement counts and finding counts.
    sets: Vec<JsonSetSummary>,
    /// Every decision that rests on an assumption, with the assumption in words.
    assumed: Vec<crate::check::summary::AssumedDecision>,
    /// True with `--fail-on-assumed` (or `fail_on_assumed: true` in the configuration).
    fail_on_assumed: bool,
    /// What the run was told that changes the report, in words (findings silenced by
    /// configuration, changed severities, catalog overlays and the decisions they changed,
    /// waived findings): the lines every other format prints.
    notices: Vec<String>,
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
struct JsonSetSummary {
    id: String,
    title: String,
    state: &'static str,
    requirements: JsonCoverage,
    findings: crate::check::FindingCounts,
}

#[derive(Serialize, schemars::JsonSchema)]
struct JsonCoverage {
    #[serde(flatten)]
    counts: crate::check::Coverage,
    /// Decided as a share of decided and unverifiable, in whole percent.
    percent: usize,
    /// Decided and not on an assumption.
    on_evidence: usize,
    /// Decided on evidence as a share of decided and unverifiable, in whole percent.
    evidence_percent: usize,
}

impl JsonCoverage {
    fn new(counts: crate::check::Coverage) -> Self {
        Self {
            counts,
            percent: counts.percent(),
            on_evidence: counts.on_evidence(),
            evidence_percent: counts.evidence_percent(),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    fingerprint: String,
    /// What the decision the finding reports rests on (findings of a requirement or policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a crate::check::Basis>,
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
    let numbers = outcome.summary();
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
            findings: numbers.findings,
            requirements: JsonCoverage::new(numbers.requirements),
            sets: numbers
                .sets
                .iter()
                .map(|s| JsonSetSummary {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    state: s.state,
                    requirements: JsonCoverage::new(s.requirements),
                    findings: s.findings,
                })
                .collect(),
            assumed: numbers.assumed.clone(),
            fail_on_assumed: context.fail_on_assumed,
            notices: outcome.inputs.notices(&numbers),
            passed,
            audited: outcome.not_audited.is_empty(),
            verdict: verdict.as_str(),
            coverage: JsonCoverage::new(numbers.requirements),
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
                evidence: outcome.basis_of(f),
                baseline_state: ratchet.map(|r| {
                    if r.baselined.get(i).copied().unwrap_or(false) {
                        "unchanged"
                    } else {
                        "new"
                    }
                }),
            })
            .collect(),
        inputs: &outcome.inputs,
        silenced: outcome
            .silenced
            .iter()
            .map(|f| JsonFinding {
                finding: f,
                fingerprint: f.fingerprint(),
                evidence: outcome.basis_of(f),
                baseline_state: None,
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
    crate::text::json_document(&report)
}
