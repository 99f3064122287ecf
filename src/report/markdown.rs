//! Markdown for a ticket or a GitHub step summary (`>> "$GITHUB_STEP_SUMMARY"`): a verdict, then
//! per integration set a table of its requirements with their status and the fix in Halo's UI
//! words, then the baseline findings.
//!
//! Cells escape `|` and turn line breaks into `<br>`, so any message keeps the table intact.

use std::fmt::Write as _;

use super::Context;
use super::checklist::{self, Checklist, Item, ItemStatus};
use crate::check::{Finding, Outcome, SetState, Subject};

/// Escapes a table cell: `|` would end the cell and a line break the row; outside code spans,
/// characters that start emphasis, links or HTML are escaped so values show as written (a binding
/// pattern `*vCIO*` is not italics). Backslashes are doubled everywhere, so none escapes a `|`.
#[must_use]
pub fn cell(text: &str) -> String {
    let spans = text.matches('`').count().is_multiple_of(2);
    let mut in_code = false;
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' if spans => {
                in_code = !in_code;
                out.push(c);
            }
            '|' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("<br>"),
            '`' | '*' | '_' | '[' | ']' | '<' | '~' if !in_code => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A code span in a cell (an id, a code): only `|` needs escaping there.
fn code(text: &str) -> String {
    format!("`{}`", text.replace('|', "\\|"))
}

/// Joins findings' texts for one cell; empty when there is none.
fn joined<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for text in items {
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    cell(&seen.join("\n"))
}

/// "agent Cloud Depot API": the kind and name (the id is in the machine formats).
fn subject(subject: &Subject) -> String {
    format!("{} {}", subject.kind.as_str(), subject.name)
}

fn status(item: &Item<'_>) -> String {
    let waivers: Vec<String> = item
        .findings
        .iter()
        .filter_map(|f| f.waiver.as_ref())
        .map(|w| format!("waived until {} by {}: {}", w.expires, w.owner, w.reason))
        .collect();
    if !waivers.is_empty() && item.findings.iter().all(|f| f.waiver.is_some()) {
        return cell(&waivers.join("; "));
    }
    match item.status {
        ItemStatus::Failed => format!("**failed** ({})", item.severity),
        ItemStatus::Passed if item.assumed => "passed (assumed)".to_owned(),
        ItemStatus::Unverifiable => "**unverifiable**".to_owned(),
        other => other.as_str().to_owned(),
    }
}

/// The fix: each finding's help, or its message when it has none (ambiguities).
fn fixes(findings: &[&Finding]) -> String {
    joined(
        findings
            .iter()
            .map(|f| f.help.as_deref().unwrap_or(f.message.as_str())),
    )
}

fn set_section(out: &mut String, list: &Checklist<'_>) {
    let set = list.set;
    let _ = writeln!(out, "### {} ({})\n", cell(&set.title), code(&set.id));
    let mut about = Vec::new();
    match &set.state {
        SetState::Evaluated { applications } => {
            about.push(format!(
                "Applications: {}.",
                applications
                    .iter()
                    .map(|a| cell(&a.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let counts: Vec<String> = [
                ItemStatus::Failed,
                ItemStatus::Unverifiable,
                ItemStatus::Passed,
            ]
            .iter()
            .map(|s| format!("{} {}", list.count(*s), s.as_str()))
            .collect();
            about.push(format!("{}.", counts.join(", ")));
            about.push(format!("Coverage: {}.", set.coverage.text()));
        }
        SetState::BindingNotFound => {
            about.push("No active application matches the set's binding.".to_owned());
        }
        SetState::NotEvaluable { reason } => {
            about.push(format!("Not evaluated: {}.", cell(reason)));
        }
        _ => {}
    }
    if let Some(source) = &set.source {
        about.push(format!("Source: <{source}>"));
    }
    let _ = writeln!(out, "{}\n", about.join(" "));
    let _ = writeln!(
        out,
        "| requirement | subject | status | expected | actual | fix |\n|---|---|---|---|---|---|"
    );
    // Failures first, then what could not be decided, then what passed; otherwise in set order.
    let mut items: Vec<&Item<'_>> = list.items.iter().collect();
    items.sort_by_key(|i| match i.status {
        ItemStatus::Failed => 0,
        ItemStatus::Unverifiable => 1,
        ItemStatus::NotEvaluated => 2,
        ItemStatus::Passed => 3,
    });
    for item in items {
        let _ = writeln!(
            out,
            "| {}<br>{} | {} | {} | {} | {} | {} |",
            cell(&item.title),
            code(&item.id),
            item.subject.map(|s| cell(&subject(s))).unwrap_or_default(),
            status(item),
            item.expected.as_deref().map(cell).unwrap_or_else(|| joined(
                item.findings.iter().filter_map(|f| f.expected.as_deref())
            )),
            joined(item.findings.iter().filter_map(|f| f.actual.as_deref())),
            fixes(&item.findings),
        );
    }
    out.push('\n');
}

fn baseline_section(out: &mut String, list: &Checklist<'_>) {
    let set = list.set;
    let _ = writeln!(out, "### {} ({})\n", cell(&set.title), code(&set.id));
    let findings: Vec<&Finding> = list
        .items
        .iter()
        .flat_map(|i| i.findings.iter().copied())
        .collect();
    let checked = list.items.len();
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "No findings: {checked} policies passed. Coverage: {}.\n",
            set.coverage.text()
        );
        return;
    }
    let _ = writeln!(
        out,
        "{} of {checked} policies passed. Coverage: {}.\n",
        list.count(ItemStatus::Passed),
        set.coverage.text()
    );
    let _ = writeln!(
        out,
        "| severity | code | policy | subject | finding | fix |\n|---|---|---|---|---|---|"
    );
    for finding in findings {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            finding.severity,
            code(finding.code.as_str()),
            finding.requirement.as_deref().map(code).unwrap_or_default(),
            cell(&subject(&finding.subject)),
            cell(&finding.message),
            finding.help.as_deref().map(cell).unwrap_or_default(),
        );
    }
    out.push('\n');
}

/// Renders the Markdown report.
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## halo-audit check: {}\n",
        super::verdict(outcome, context.gate()).as_str()
    );
    let _ = writeln!(
        out,
        "{}\n",
        cell(&super::summary_text(outcome, context.gate()))
    );
    for not_audited in &outcome.not_audited {
        let _ = writeln!(
            out,
            "**Not audited**: {}. Fix: {}\n",
            cell(&not_audited.reason),
            cell(&not_audited.fix)
        );
    }
    if let Some(line) = super::tenant_line(context.tenant) {
        let _ = writeln!(out, "{line}\n");
    }
    let lists = checklist::checklists(outcome, context);
    let mut unevaluable: Vec<(&str, &str)> = Vec::new();
    for list in &lists {
        match &list.set.state {
            SetState::Baseline | SetState::OnlyInactive { .. } | SetState::NotInUse => {}
            SetState::NotEvaluable { reason }
                if list.items.iter().all(|i| i.findings.is_empty()) =>
            {
                unevaluable.push((list.set.id.as_str(), reason.as_str()));
            }
            _ => set_section(&mut out, list),
        }
    }
    for list in &lists {
        if matches!(list.set.state, SetState::Baseline) {
            baseline_section(&mut out, list);
        }
    }
    if let Some((_, reason)) = unevaluable.first() {
        let _ = writeln!(
            out,
            "Not evaluated ({}): {}\n",
            cell(reason),
            unevaluable
                .iter()
                .map(|(id, _)| code(id))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for line in super::not_in_use_line(outcome)
        .into_iter()
        .chain(super::only_inactive_lines(outcome))
    {
        let _ = writeln!(out, "{line}\n");
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
