//! GitLab Code Quality: the JSON array of issues GitLab reads from `artifacts:reports:codequality`
//! and shows in merge requests and pipelines.
//!
//! One issue per finding with the fields GitLab documents: `description`, `check_name`,
//! `fingerprint`, `severity` (`info`, `minor`, `major`, `critical`, `blocker`) and
//! `location.path` / `location.lines.begin`, the requirement's line in its rule file relative to
//! the repository root. The fingerprint is made from the finding's own fingerprint (as SARIF's
//! `primaryLocationLineHash`): unique per issue and the same from one pipeline to the next, so
//! GitLab can tell new issues from resolved ones.

use serde::Serialize;

use super::Context;
use super::sarif::{Base, line_hashes};
use crate::check::{Finding, Outcome};
use crate::diag::Severity;

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: IssueLocation,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// GitLab's severity for a finding's: error → `critical`, warning → `major`, note → `minor`.
#[must_use]
pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "minor",
    }
}

/// One line: the finding, its subject, expected and actual values, and the fix.
fn description(finding: &Finding) -> String {
    super::plain_text(finding).replace('\n', "; ")
}

/// Renders the report (pretty, trailing newline), paths relative to the repository of the current
/// directory.
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    render_at(outcome, context, &Base::current())
}

/// Renders the report with paths located by `base`.
#[must_use]
pub fn render_at(outcome: &Outcome, context: &Context<'_>, base: &Base) -> String {
    let base = &base.clone().with_shipped(context.library);
    let fingerprints: Vec<String> = outcome.findings.iter().map(Finding::fingerprint).collect();
    let hashes = line_hashes(fingerprints.iter().map(String::as_str));
    let issues: Vec<Issue> = outcome
        .findings
        .iter()
        .zip(hashes)
        .map(|(finding, fingerprint)| {
            let location = super::location(finding, context.library);
            let (path, line) = location.map_or_else(
                || (String::new(), 1),
                |l| {
                    let path = base.relative(&l.path).unwrap_or_else(|absolute| absolute);
                    (path, l.line.max(1))
                },
            );
            Issue {
                description: description(finding),
                check_name: finding
                    .requirement
                    .clone()
                    .unwrap_or_else(|| finding.code.as_str().to_owned()),
                fingerprint,
                severity: severity(finding.severity),
                location: IssueLocation {
                    path,
                    lines: Lines { begin: line },
                },
            }
        })
        .collect();
    let mut issues = issues;
    // What the run was told that changes the report (findings silenced by configuration, a
    // catalog overlay, waivers): one `info` issue at the configuration file, so that a report
    // emptied by configuration does not read as a clean tenant.
    let notices = outcome.inputs.notices(&outcome.summary());
    if !notices.is_empty() {
        let path = outcome.inputs.config.as_ref().map_or_else(
            || "halo-audit.yaml".to_owned(),
            |c| base.relative(&c.path).unwrap_or_else(|absolute| absolute),
        );
        let description =
            crate::text::shown_owned(&format!("halo-audit run inputs: {}", notices.join("; ")));
        issues.push(Issue {
            fingerprint: crate::text::sha256_hex(description.as_bytes()),
            description,
            check_name: "halo-audit-run-inputs".to_owned(),
            severity: "info",
            location: IssueLocation {
                path,
                lines: Lines { begin: 1 },
            },
        });
    }
    crate::text::json_document(&issues)
}
