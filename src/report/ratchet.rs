//! The baseline section of the human report (`check --baseline`): how many findings the baseline
//! already holds (listed with `-v`), and the baseline's findings that are fixed.

use std::fmt::Write as _;
use std::io::Write as _;

use super::Style;
use crate::check::Outcome;
use crate::ratchet::{BaselineEntry, Ratchet};

/// The section appended to the human report. `outcome` is the full outcome (all findings).
#[must_use]
pub fn human(outcome: &Outcome, ratchet: &Ratchet, style: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Baseline {}: {} (counted above), {} already in the baseline{}, {} fixed",
        ratchet.path,
        if ratchet.new_count() == 1 {
            "1 new finding".to_owned()
        } else {
            format!("{} new findings", ratchet.new_count())
        },
        ratchet.baselined_count(),
        if style.verbose == 0 && ratchet.baselined_count() > 0 {
            " (not shown; -v lists them)"
        } else {
            ""
        },
        ratchet.fixed.len()
    );
    if style.verbose > 0 {
        for finding in outcome
            .findings
            .iter()
            .zip(&ratchet.baselined)
            .filter(|(_, b)| **b)
            .map(|(f, _)| f)
        {
            let _ = writeln!(
                out,
                "  baselined: {} {}[{}]: {}",
                finding.severity,
                finding.code.as_str(),
                finding.requirement_set,
                finding.message
            );
        }
    }
    for entry in &ratchet.fixed {
        let _ = writeln!(out, "  fixed: {}", describe(entry));
    }
    out
}

/// One line for a baseline entry: its code, set, subject and message as recorded.
#[must_use]
pub fn describe(entry: &BaselineEntry) -> String {
    let subject = entry.subject.as_ref().map(|s| {
        format!(
            "{} {}{}",
            s.kind.as_deref().unwrap_or("?"),
            s.name.as_deref().unwrap_or(""),
            s.id.as_deref()
                .map(|i| format!(" (id {i})"))
                .unwrap_or_default()
        )
    });
    let mut line = format!(
        "{}[{}]",
        entry.code.as_deref().unwrap_or("?"),
        entry.requirement_set.as_deref().unwrap_or("?")
    );
    if let Some(requirement) = &entry.requirement {
        let _ = write!(line, " {requirement}");
    }
    if let Some(subject) = subject {
        let _ = write!(line, " on {subject}");
    }
    match &entry.message {
        Some(message) => {
            let _ = write!(line, ": {message}");
        }
        None => {
            let _ = write!(line, " ({})", entry.fingerprint);
        }
    }
    line
}

/// One line on stderr after `--update-baseline`.
pub fn updated(path: &str, findings: usize, ratchet: &Ratchet, style: &Style) {
    if style.quiet {
        return;
    }
    let _ = writeln!(
        std::io::stderr(),
        "halo-audit: baseline {path} rewritten with {findings} findings ({} new accepted, {} fixed dropped)",
        ratchet.new_count(),
        ratchet.fixed.len()
    );
}
