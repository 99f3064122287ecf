//! The verdict of a check: which findings fail a run, and the exit code that follows.
//!
//! Owns: the exit codes (docs/cli.md), which findings a `--fail-on` threshold fails, the gate
//! (`--fail-on`, `--min-coverage`, `--fail-on-assumed`) and the verdict of an outcome under it. Below both the dispatch
//! (`app`) and the reporters (`report`), which read the verdict; it renders nothing. The threshold
//! itself ([`FailOn`]) is a word of `diag`'s severity vocabulary, so that the configuration reads
//! it without depending on the engine.

use crate::check::{Finding, Outcome};
pub use crate::diag::FailOn;
use crate::diag::Severity;

/// Exit codes (docs/cli.md).
pub mod exit {
    /// Nothing at or above `--fail-on`.
    pub const OK: u8 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// Usage error, invalid rules, configuration or snapshot.
    pub const INVALID: u8 = 2;
    /// The audit could not run (network, authentication, API).
    pub const UNAVAILABLE: u8 = 3;
}

/// Number of findings at or above the threshold.
#[must_use]
pub fn failing(outcome: &Outcome, fail_on: FailOn) -> usize {
    outcome
        .findings
        .iter()
        .filter(|f| gates_finding(fail_on, f))
        .count()
}

/// True when this finding makes the check fail under `--fail-on` (waived findings never do).
#[must_use]
pub fn gates_finding(fail_on: FailOn, finding: &Finding) -> bool {
    finding.waiver.is_none() && gates(fail_on, finding.severity)
}

/// True when a severity fails a run at this threshold.
#[must_use]
pub fn gates(fail_on: FailOn, severity: Severity) -> bool {
    match fail_on {
        FailOn::Never => false,
        FailOn::Error => severity >= Severity::Error,
        FailOn::Warning => severity >= Severity::Warning,
        FailOn::Note => true,
    }
}

/// What decides a run's verdict besides its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    pub fail_on: FailOn,
    /// `--min-coverage`: the least share of requirements (in percent) that must be decided.
    pub min_coverage: Option<u8>,
    /// `--fail-on-assumed`: fail when a decision rests on an assumption.
    pub fail_on_assumed: bool,
}

impl Gate {
    /// A gate on findings only.
    #[must_use]
    pub fn fail_on(fail_on: FailOn) -> Self {
        Self {
            fail_on,
            min_coverage: None,
            fail_on_assumed: false,
        }
    }
}

/// How a run came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The lists an audit needs were missing or empty: nothing was audited (exit 3).
    NotAudited,
    /// Findings at or above `--fail-on`, less decided than `--min-coverage`, or a decision on an
    /// assumption with `--fail-on-assumed` (exit 1).
    Failed,
    /// Nothing at or above `--fail-on`, enough decided (exit 0).
    Passed,
    /// `--fail-on never` and no coverage gate failed (exit 0).
    NotGating,
}

impl Verdict {
    /// `not audited`, `failed`, `passed`, `not gating`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAudited => "not audited",
            Self::Failed => "failed",
            Self::Passed => "passed",
            Self::NotGating => "not gating",
        }
    }

    /// The exit code of a check with this verdict (docs/cli.md).
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            Self::NotAudited => exit::UNAVAILABLE,
            Self::Failed => exit::FINDINGS,
            Self::Passed | Self::NotGating => exit::OK,
        }
    }
}

/// True when the decided share is below the gate's `--min-coverage`.
#[must_use]
pub fn below_min_coverage(outcome: &Outcome, gate: Gate) -> bool {
    gate.min_coverage
        .is_some_and(|min| outcome.coverage().percent() < usize::from(min))
}

/// True when the gate's `--fail-on-assumed` fails: some decision rests on an assumption.
#[must_use]
pub fn fails_on_assumed(outcome: &Outcome, gate: Gate) -> bool {
    gate.fail_on_assumed && outcome.coverage().assumed > 0
}

/// The verdict of an outcome under a gate.
#[must_use]
pub fn verdict(outcome: &Outcome, gate: Gate) -> Verdict {
    if !outcome.not_audited.is_empty() {
        Verdict::NotAudited
    } else if below_min_coverage(outcome, gate)
        || fails_on_assumed(outcome, gate)
        || (gate.fail_on != FailOn::Never && failing(outcome, gate.fail_on) > 0)
    {
        Verdict::Failed
    } else if gate.fail_on == FailOn::Never {
        Verdict::NotGating
    } else {
        Verdict::Passed
    }
}
