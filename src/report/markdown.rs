//! Markdown for a ticket or a GitHub step summary (`>> "$GITHUB_STEP_SUMMARY"`): a verdict, then
//! per integration set a table of its requirements with their status and the fix in Halo's UI
//! words, then the baseline findings.
//!
//! Every value it did not write itself (names, messages, rule titles and sources, the instance,
//! waivers) goes through the one Markdown writer ([`super::md`]): it shows as text, never as markup,
//! a link, a mention or a new line.
//!
//! The report stays under [`MAX_BYTES`] (GitHub refuses a step summary over 1 MiB): when the whole
//! report would be larger, requirements that passed are counted rather than listed, and table rows
//! beyond the budget are left out, each table saying how many more are in the full report.

use std::fmt::Write as _;

use super::Context;
use super::checklist::{self, Checklist, Item, ItemStatus};
use super::md::{code, lines, text};
use crate::check::{Finding, Outcome, SetState, Subject};

/// The largest report written: under GitHub's 1 MiB step-summary limit, with room to spare for
/// what a workflow appends around it.
pub const MAX_BYTES: usize = 1_000_000;

/// What the text around the tables may take at most (headings, summaries, one line per set).
const FRAME_BYTES: usize = 96 * 1024;

/// How many bytes of table rows may still be written (`None`: no limit), shared among the tables
/// still to come so that a long first table cannot crowd out the errors of the last.
struct Budget {
    rows_left: Option<usize>,
    tables_left: usize,
    /// The current table's share, and what it used of it.
    share: usize,
    used: usize,
}

impl Budget {
    fn unlimited() -> Self {
        Self {
            rows_left: None,
            tables_left: 0,
            share: 0,
            used: 0,
        }
    }

    fn limited_to(bytes: usize, tables: usize) -> Self {
        Self {
            rows_left: Some(bytes),
            tables_left: tables.max(1),
            share: 0,
            used: 0,
        }
    }

    /// A table starts: its share is an equal part of what is left.
    fn start_table(&mut self) {
        if let Some(left) = self.rows_left {
            self.share = left / self.tables_left.max(1);
            self.used = 0;
        }
    }

    /// The table ends: what it did not use goes to the tables after it.
    fn end_table(&mut self) {
        if let Some(left) = &mut self.rows_left {
            *left = left.saturating_sub(self.used);
            self.tables_left = self.tables_left.saturating_sub(1);
        }
    }

    /// Whether a row of this length fits in the table's share; takes its bytes when it does.
    fn take(&mut self, row: &str) -> bool {
        if self.rows_left.is_none() {
            return true;
        }
        if self.used + row.len() <= self.share {
            self.used += row.len();
            true
        } else {
            false
        }
    }

    fn limited(&self) -> bool {
        self.rows_left.is_some()
    }
}

/// "_12 more rows (3 passed) are in the full report: `--format json`, `sarif` or `-o`._"
fn omitted_line(out: &mut String, rows: usize, passed: usize) {
    if rows + passed == 0 {
        return;
    }
    let mut what = Vec::new();
    if rows > 0 {
        what.push(super::plural(rows, "more finding row"));
    }
    if passed > 0 {
        what.push(format!("{passed} passed"));
    }
    let _ = writeln!(
        out,
        "_{} not listed to keep this report under 1 MB; the full report has them all (`--format json`, `--format sarif`)._\n",
        what.join(" and ")
    );
}

/// "agent Cloud Depot API": the kind and name (the id is in the machine formats).
fn subject(subject: &Subject) -> String {
    format!("{} {}", subject.kind.as_str(), subject.name)
}

fn status(item: &Item<'_>) -> String {
    let mut waivers: Vec<String> = Vec::new();
    for w in item.findings.iter().filter_map(|f| f.waiver.as_ref()) {
        let line = format!(
            "waived until {} by {}: {}",
            text(&w.expires),
            text(&w.owner),
            text(&w.reason)
        );
        if !waivers.contains(&line) {
            waivers.push(line);
        }
    }
    if !waivers.is_empty() && item.findings.iter().all(|f| f.waiver.is_some()) {
        return waivers.join("<br>");
    }
    match item.status {
        ItemStatus::Failed => {
            // The finding's own word and severity (a level above the need is a warning even
            // when the requirement is an error).
            let reported = item.findings.iter().filter(|f| f.waiver.is_none());
            let severity = reported
                .clone()
                .map(|f| f.severity)
                .max()
                .unwrap_or(item.severity);
            let word = match reported.map(|f| f.code).next() {
                Some(crate::diag::Code::MissingGrant) => "missing",
                Some(crate::diag::Code::ExcessiveGrant) => "excessive",
                _ => "failed",
            };
            format!("**{word}** ({severity})")
        }
        ItemStatus::Passed if item.assumed => "passed (assumed)".to_owned(),
        ItemStatus::Unverifiable => "**unverifiable**".to_owned(),
        other => other.as_str().to_owned(),
    }
}

/// The fix: each finding's help, or its message when it has none (ambiguities).
fn fixes(findings: &[&Finding]) -> String {
    lines(
        findings
            .iter()
            .map(|f| f.help.as_deref().unwrap_or(f.message.as_str())),
    )
}

fn set_section(out: &mut String, list: &Checklist<'_>, budget: &mut Budget) {
    let set = list.set;
    let _ = writeln!(out, "### {} ({})\n", text(&set.title), code(&set.id));
    let mut about = Vec::new();
    match &set.state {
        SetState::Evaluated { applications } => {
            about.push(format!(
                "Applications: {}.",
                applications
                    .iter()
                    .map(|a| text(&a.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            about.push(format!("Requirements: {}.", set.coverage.breakdown()));
            about.push(format!("Coverage: {}.", set.coverage.text()));
        }
        SetState::BindingNotFound => {
            about.push("No active application matches the set's binding.".to_owned());
        }
        SetState::NotEvaluable { reason } => {
            about.push(format!("Not evaluated: {}.", text(reason)));
        }
        _ => {}
    }
    if let Some(source) = &set.source {
        about.push(format!("Source: {}", super::md::url(source)));
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
    let (mut omitted, mut passed) = (0, 0);
    budget.start_table();
    for item in items {
        // When space is short, what passed is counted, not listed.
        if budget.limited() && item.status == ItemStatus::Passed {
            passed += 1;
            continue;
        }
        let row = format!(
            "| {}<br>{} | {} | {} | {} | {} | {} |\n",
            text(&item.title),
            code(&item.id),
            item.subject.map(|s| text(&subject(s))).unwrap_or_default(),
            status(item),
            item.expected.as_deref().map(text).unwrap_or_else(|| lines(
                item.findings.iter().filter_map(|f| f.expected.as_deref())
            )),
            lines(item.findings.iter().filter_map(|f| f.actual.as_deref())),
            fixes(&item.findings),
        );
        if budget.take(&row) {
            out.push_str(&row);
        } else {
            omitted += 1;
        }
    }
    budget.end_table();
    out.push('\n');
    omitted_line(out, omitted, passed);
}

fn baseline_section(out: &mut String, list: &Checklist<'_>, budget: &mut Budget) {
    let set = list.set;
    let _ = writeln!(out, "### {} ({})\n", text(&set.title), code(&set.id));
    let findings: Vec<&Finding> = list
        .items
        .iter()
        .flat_map(|i| i.findings.iter().copied())
        .collect();
    let checked = list.items.len();
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "No findings: {checked} policies passed. Policies: {}. Coverage: {}.\n",
            set.coverage.breakdown(),
            set.coverage.text()
        );
        return;
    }
    let _ = writeln!(
        out,
        "Policies: {}. Coverage: {}.\n",
        set.coverage.breakdown(),
        set.coverage.text()
    );
    let _ = writeln!(
        out,
        "| severity | code | policy | subject | finding | fix |\n|---|---|---|---|---|---|"
    );
    let mut omitted = 0;
    budget.start_table();
    for finding in findings {
        let row = format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            finding.severity,
            code(finding.code.as_str()),
            finding.requirement.as_deref().map(code).unwrap_or_default(),
            text(&subject(&finding.subject)),
            text(&finding.message),
            finding.help.as_deref().map(text).unwrap_or_default(),
        );
        if budget.take(&row) {
            out.push_str(&row);
        } else {
            omitted += 1;
        }
    }
    budget.end_table();
    out.push('\n');
    omitted_line(out, omitted, 0);
}

/// Renders the Markdown report, under [`MAX_BYTES`].
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    let full = render_with(outcome, context, Budget::unlimited());
    if full.len() <= MAX_BYTES {
        return full;
    }
    render_with(
        outcome,
        context,
        Budget::limited_to(MAX_BYTES - FRAME_BYTES, 1),
    )
}

/// Whether a set gets a table of its own (a set that could not be evaluated and found nothing is
/// named on one line instead).
fn has_table(list: &Checklist<'_>) -> bool {
    match &list.set.state {
        SetState::Baseline => true,
        SetState::OnlyInactive { .. } | SetState::NotInUse => false,
        SetState::NotEvaluable { .. } => list.items.iter().any(|i| !i.findings.is_empty()),
        _ => true,
    }
}

fn render_with(outcome: &Outcome, context: &Context<'_>, mut budget: Budget) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## halo-audit check: {}\n",
        super::verdict(outcome, context.gate()).as_str()
    );
    let _ = writeln!(
        out,
        "{}\n",
        text(&super::summary_text(outcome, context.gate()))
    );
    let numbers = outcome.summary();
    let _ = writeln!(
        out,
        "- Requirements: {}\n- Findings: {}",
        text(&numbers.requirements.breakdown()),
        text(&numbers.findings.text())
    );
    for notice in outcome.inputs.notices(&numbers) {
        let _ = writeln!(out, "- {}", text(&notice));
    }
    if !numbers.assumed.is_empty() {
        let _ = writeln!(
            out,
            "- Decided on an assumption ({}): {}",
            numbers.assumed.len(),
            numbers
                .assumed
                .iter()
                .take(10)
                .map(|d| format!(
                    "{} for {} ({})",
                    code(&d.requirement),
                    text(&subject(&d.subject)),
                    text(&d.because)
                ))
                .collect::<Vec<_>>()
                .join("; ")
                + if numbers.assumed.len() > 10 {
                    "; …"
                } else {
                    ""
                }
        );
    }
    out.push('\n');
    for not_audited in &outcome.not_audited {
        let _ = writeln!(
            out,
            "**Not audited**: {}. Fix: {}\n",
            text(&not_audited.reason),
            text(&not_audited.fix)
        );
    }
    if let Some(instance) = &context.tenant.provenance.instance {
        let _ = writeln!(
            out,
            "Tenant {}{}\n",
            text(instance),
            context
                .tenant
                .provenance
                .fetched_at
                .as_deref()
                .map(|t| format!(", snapshot of {}", text(t)))
                .unwrap_or_default()
        );
    }
    let lists = checklist::checklists(outcome, context);
    budget.tables_left = lists.iter().filter(|l| has_table(l)).count().max(1);
    let mut unevaluable: Vec<(&str, &str)> = Vec::new();
    for list in &lists {
        match &list.set.state {
            SetState::Baseline | SetState::OnlyInactive { .. } | SetState::NotInUse => {}
            SetState::NotEvaluable { reason }
                if list.items.iter().all(|i| i.findings.is_empty()) =>
            {
                unevaluable.push((list.set.id.as_str(), reason.as_str()));
            }
            _ => set_section(&mut out, list, &mut budget),
        }
    }
    for list in &lists {
        if matches!(list.set.state, SetState::Baseline) {
            baseline_section(&mut out, list, &mut budget);
        }
    }
    if let Some((_, reason)) = unevaluable.first() {
        let _ = writeln!(
            out,
            "Not evaluated ({}): {}\n",
            text(reason),
            unevaluable
                .iter()
                .map(|(id, _)| code(id))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let unused: Vec<String> = outcome
        .sets
        .iter()
        .filter(|s| matches!(s.state, SetState::NotInUse))
        .map(|s| code(&s.id))
        .collect();
    if !unused.is_empty() {
        let _ = writeln!(
            out,
            "Not in use (no matching application): {}\n",
            unused.join(", ")
        );
    }
    for set in &outcome.sets {
        if let SetState::OnlyInactive { applications } = &set.state {
            let _ = writeln!(
                out,
                "Not checked: {} matches only inactive applications ({})\n",
                code(&set.id),
                applications
                    .iter()
                    .map(|a| text(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
