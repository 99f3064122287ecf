//! GitHub Actions workflow commands: one `::error` / `::warning` / `::notice` annotation per
//! finding, at the requirement's line in its rule file. `halo-audit diff` writes its annotations
//! with the same [`annotation`] line.
//!
//! Escaping follows the runner's rules: in the message `%`, `\r` and `\n` are percent-encoded; in
//! property values `:` and `,` are too.

use std::fmt::Write as _;

use super::Context;
use super::sarif::Base;
use crate::check::{Finding, Outcome};
use crate::diag::Severity;
use crate::ruleset::Location;

/// The workflow command for a severity.
fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// Escapes a command's message.
#[must_use]
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value.
#[must_use]
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// "missing-grant vciotoolbox.agent.admin: agent/vCIOToolbox API".
fn title(finding: &Finding) -> String {
    format!(
        "{} {}: {}",
        finding.code.as_str(),
        finding
            .requirement
            .as_deref()
            .unwrap_or(&finding.requirement_set),
        super::qualified_name(&finding.subject)
    )
}

/// Writes one annotation line: `::warning file=F,line=L,col=C,title=T::message`, escaped. A line
/// or column of 0 is left out; the file is relative to the repository root (`base`), as the runner
/// expects.
pub(super) fn annotation(
    out: &mut String,
    base: &Base,
    severity: Severity,
    location: Option<&Location>,
    title: &str,
    message: &str,
) {
    let mut properties = Vec::new();
    if let Some(location) = location {
        let file = base
            .relative(&location.path)
            .unwrap_or_else(|absolute| absolute);
        properties.push(format!("file={}", escape_property(&file)));
        if location.line > 0 {
            properties.push(format!("line={}", location.line));
        }
        if location.column > 0 {
            properties.push(format!("col={}", location.column));
        }
    }
    properties.push(format!(
        "title={}",
        escape_property(&crate::text::shown(title))
    ));
    // The message's own lines are kept (as `%0A`); each is made safe, so no text in it can drive
    // a terminal or read as a workflow command.
    let message: Vec<std::borrow::Cow<'_, str>> =
        message.split('\n').map(crate::text::shown).collect();
    let _ = writeln!(
        out,
        "::{} {}::{}",
        command(severity),
        properties.join(","),
        escape_data(&message.join("\n"))
    );
}

/// Renders one annotation line per finding, paths relative to the repository of the current
/// directory.
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    render_at(outcome, context, &Base::current())
}

/// Renders one annotation line per finding, paths located by `base`.
#[must_use]
pub fn render_at(outcome: &Outcome, context: &Context<'_>, base: &Base) -> String {
    let base = &base.clone().with_shipped(context.library);
    let mut out = String::new();
    for finding in &outcome.findings {
        annotation(
            &mut out,
            base,
            finding.severity,
            super::location(finding, context.library).as_ref(),
            &title(finding),
            &super::plain_text(finding),
        );
    }
    for gap in &outcome.not_audited {
        annotation(
            &mut out,
            base,
            Severity::Error,
            None,
            "halo-audit: not audited",
            &format!("{}\nfix: {}", gap.reason, gap.fix),
        );
    }
    let mut text = super::summary_text(outcome, context.gate());
    for notice in outcome.inputs.notices(&outcome.summary()) {
        text.push('\n');
        text.push_str(&crate::text::shown_owned(&notice));
    }
    annotation(
        &mut out,
        base,
        if super::below_min_coverage(outcome, context.gate())
            || crate::verdict::fails_on_assumed(outcome, context.gate())
        {
            Severity::Error
        } else {
            Severity::Note
        },
        None,
        "halo-audit coverage",
        &text,
    );
    out
}
