//! Human output: the tenant and a summary per requirement set first; then the findings by set
//! (integrations, then the baseline), errors before warnings before notes, those identical but for
//! their subject shown once with the subjects listed; each a miette diagnostic showing the
//! requirement's own lines in its rule file (not its neighbours'); then a one-line verdict.

use std::fmt::{self, Write as _};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};
use tabled::settings::Style as TableStyle;
use tabled::{Table, Tabled};

use super::Context;
use crate::check::{Finding, Outcome, SetState};
use crate::diag::{Code, Severity};

struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    /// The message as shown (safe for a terminal): the finding's, and the other subjects of a
    /// collapsed group.
    message: String,
    source: Option<NamedSource<String>>,
    span: Option<SourceSpan>,
    help: String,
    /// The most characters a label may have.
    label_width: usize,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("finding", &self.finding.code)
            .finish()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.finding.code.as_str()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        (!self.help.is_empty()).then(|| Box::new(&self.help) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        let set = &self.finding.requirement_set;
        let text = match &self.finding.requirement {
            // The set is named when the id does not already start with it.
            Some(id) if id.starts_with(&format!("{set}.")) => id.clone(),
            Some(id) => format!("{id} ({set})"),
            None => format!("set {set}"),
        };
        // Fits beside the snippet's gutter (`    · ╰──── `).
        let text = cut_lines(&text, self.label_width);
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(text),
            span,
        ))))
    }
}

/// Byte span of the rest of `line` from `column` (1-based), for labelling.
pub(crate) fn span(text: &str, line: usize, column: usize) -> Option<SourceSpan> {
    if line == 0 {
        return None;
    }
    let start_of_line: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let rest = text.get(start_of_line..)?.lines().next()?;
    let offset = column.saturating_sub(1).min(rest.len());
    let len = rest.len() - offset;
    Some(SourceSpan::from((start_of_line + offset, len.max(1))))
}

/// `text` with every line longer than `width` characters cut to `width`, ending in `…`.
fn cut_lines(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if content.chars().count() > width {
            out.extend(content.chars().take(width.saturating_sub(1)));
            out.push('…');
            out.push_str(&line[content.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The most lines of a requirement a snippet shows.
const BLOCK_LINES: usize = 12;

/// Byte span of the requirement (or policy) item that starts at `line` (1-based; `column` is where
/// its id is): its whole first line, and the lines after it indented at least as deep as its keys
/// (its title, permission, source quote...), up to [`BLOCK_LINES`]. So a snippet shows the
/// requirement's own lines and nothing of its neighbours (not the previous item's source quote).
pub(crate) fn item_span(text: &str, line: usize, column: usize) -> Option<SourceSpan> {
    // The whole first line (a snippet shows only what the span covers).
    let start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let first = text.get(start..)?.lines().next()?;
    // The location must lie in the text.
    span(text, line, column)?;
    // A list item's keys start after its indentation and its `- ` (`  - id: x`: column 5); a
    // mapping key's content is indented deeper than the key.
    let unindented = first.trim_start_matches(' ');
    let keys = first.len() - unindented.len()
        + unindented.strip_prefix('-').map_or(1, |after| {
            1 + after.len() - after.trim_start_matches(' ').len()
        });
    let mut end = start + first.len();
    let mut offset = start + text.get(start..)?.split_inclusive('\n').next()?.len();
    for next in text
        .get(offset..)?
        .split_inclusive('\n')
        .take(BLOCK_LINES.saturating_sub(1))
    {
        let content = next.trim_end_matches(['\n', '\r']);
        let blank = content.trim().is_empty();
        let deep = content.len() - content.trim_start_matches(' ').len() >= keys;
        if !blank && !deep {
            break;
        }
        if !blank && !content.trim_start().starts_with('#') {
            end = offset + content.len();
        }
        offset += next.len();
    }
    Some(SourceSpan::from((start, (end - start).max(1))))
}

/// Subjects a collapsed group names without `-v`.
const FIRST_SUBJECTS: usize = 3;

/// "agent Cloud Depot API", safe for a terminal.
fn subject_name(finding: &Finding) -> String {
    format!(
        "{} {}",
        finding.subject.kind.as_str(),
        crate::text::shown(&finding.subject.name)
    )
}

/// Whether the values found differ within a group, and are short enough to name beside each
/// subject.
fn values_shown(group: &[&Finding]) -> (bool, bool) {
    let differ = group.iter().any(|f| f.actual != group[0].actual);
    let short = group.iter().all(|f| {
        f.actual
            .as_deref()
            .is_none_or(|a| crate::text::shown(a).chars().count() <= VALUE_WIDTH)
    });
    (differ, differ && short)
}

/// The subjects of a group: every one with `-v`, else the first few and how many more; each with
/// the value found on it when the group's findings found different (short) values.
fn subjects(group: &[&Finding], verbose: u8) -> String {
    let (_, with_values) = values_shown(group);
    let names: Vec<String> = group
        .iter()
        .map(|f| match (&f.actual, with_values) {
            (Some(actual), true) => {
                format!("{} (found {})", subject_name(f), crate::text::shown(actual))
            }
            _ => subject_name(f),
        })
        .collect();
    if verbose > 0 || names.len() <= FIRST_SUBJECTS + 1 {
        return names.join(", ");
    }
    format!(
        "{}, … and {} more (-v lists all)",
        names[..FIRST_SUBJECTS].join(", "),
        names.len() - FIRST_SUBJECTS
    )
}

/// The most characters of a value named beside a subject (longer ones are not named).
const VALUE_WIDTH: usize = 40;

/// What a finding is, but for its subject, the value found on it and its wording: findings alike in
/// all of it are shown once.
type GroupKey<'a> = (
    &'a str,
    Option<&'a str>,
    Code,
    Option<&'a str>,
    Severity,
    Option<&'a str>,
    bool,
);

fn group_key(f: &Finding) -> GroupKey<'_> {
    (
        f.requirement_set.as_str(),
        f.requirement.as_deref(),
        f.code,
        f.permission.as_deref(),
        f.severity,
        f.expected.as_deref(),
        f.waiver.is_some(),
    )
}

/// The findings shown (notes only with `-v`), grouped by set (integrations in the outcome's order,
/// then the baseline; sets of `all`, the whole run, when `outcome` holds only new findings), errors before
/// warnings before notes within a set, and findings identical but for their subject collapsed into
/// one group (in the outcome's order of their first finding).
fn groups<'a>(all: &Outcome, outcome: &'a Outcome, style: &super::Style) -> Vec<Vec<&'a Finding>> {
    // Integration sets in the outcome's order, then the tenant-wide baseline.
    let set_rank: std::collections::BTreeMap<&str, (bool, usize)> = all
        .sets
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), (matches!(s.state, SetState::Baseline), i)))
        .collect();
    let mut shown: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| !hidden(all, f, style))
        .collect();
    shown.sort_by_key(|f| {
        (
            set_rank.get(f.requirement_set.as_str()).copied(),
            std::cmp::Reverse(f.severity),
        )
    });
    let mut index: std::collections::BTreeMap<GroupKey<'a>, usize> =
        std::collections::BTreeMap::new();
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for f in shown {
        match index.get(&group_key(f)) {
            Some(&i) => groups[i].push(f),
            None => {
                index.insert(group_key(f), groups.len());
                groups.push(vec![f]);
            }
        }
    }
    groups
}

/// Notes are shown only with `-v`, unless the decision they report rests on an assumption:
/// those are never hidden.
fn hidden(all: &Outcome, f: &Finding, style: &super::Style) -> bool {
    f.severity == Severity::Note && style.verbose == 0 && assumed_basis(all, f).is_none()
}

/// The assumption a finding's decision rests on, in plain words.
fn assumed_basis<'a>(all: &'a Outcome, f: &Finding) -> Option<&'a str> {
    if f.code == Code::Unverifiable {
        return None;
    }
    all.basis_of(f)
        .filter(|b| b.grade == crate::check::Grade::Assumed)
        .map(|b| b.because.as_deref().unwrap_or("an assumption"))
}

/// A set's line of the summary table: requirement counts (they add up to the set's requirements),
/// then its findings.
#[derive(Tabled)]
struct SetRow {
    #[tabled(rename = "set")]
    set: String,
    #[tabled(rename = "applications")]
    applications: String,
    #[tabled(rename = "passed")]
    passed: usize,
    #[tabled(rename = "missing")]
    missing: usize,
    #[tabled(rename = "excessive")]
    excessive: usize,
    #[tabled(rename = "unverifiable")]
    unverifiable: usize,
    #[tabled(rename = "n/a")]
    not_applicable: usize,
    #[tabled(rename = "decided")]
    decided: String,
    #[tabled(rename = "findings")]
    findings: String,
}

impl SetRow {
    fn new(set: &crate::check::SetSummary, applications: String) -> Self {
        let r = set.requirements;
        Self {
            set: set.id.clone(),
            applications,
            passed: r.passed,
            missing: r.missing,
            excessive: r.excessive,
            unverifiable: r.unverifiable,
            not_applicable: r.not_applicable,
            decided: decided(r),
            findings: finding_counts(&set.findings),
        }
    }
}

/// "6 of 10 (60%)", and how many rest on an assumption or an overlay.
fn decided(coverage: crate::check::Coverage) -> String {
    let mut text = format!(
        "{} of {} ({}%)",
        coverage.decided,
        coverage.checkable(),
        coverage.percent()
    );
    if coverage.assumed > 0 {
        text.push_str(&format!(", {} assumed", coverage.assumed));
    }
    if coverage.overlay > 0 {
        text.push_str(&format!(", {} by overlay", coverage.overlay));
    }
    text
}

/// "1 error, 2 warnings, 1 waived": the non-zero finding counts, or "none".
fn finding_counts(f: &crate::check::FindingCounts) -> String {
    let parts: Vec<String> = [
        (f.errors, "error"),
        (f.warnings, "warning"),
        (f.notes, "note"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, w)| super::plural(*n, w))
    .chain((f.waived > 0).then(|| format!("{} waived", f.waived)))
    .chain((f.silenced > 0).then(|| format!("{} silenced", f.silenced)))
    .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Beyond this many groups of findings (without `-v`), the findings are condensed: a few lines per
/// set and kind of finding instead of a diagnostic per group.
const CONDENSE_AFTER: usize = 30;

/// Groups a condensed block names (the rest are counted).
const CONDENSED_ITEMS: usize = 2;

/// `== Cloud Depot (cloud-depot) ==`, wrapped.
fn set_heading(outcome: &Outcome, finding: &Finding, style: &super::Style) -> String {
    let title = outcome
        .sets
        .iter()
        .find(|s| s.id == finding.requirement_set)
        .map_or(finding.requirement_set.as_str(), |s| s.title.as_str());
    let heading = format!(
        "== {} ({}) ==",
        crate::text::shown(title),
        crate::text::shown(&finding.requirement_set)
    );
    super::wrap(&heading, style.columns(), "   ")
}

/// What a group is about in a few words: its requirement's or policy's title, else the permission
/// held without need, else its code.
fn group_title(finding: &Finding, context: &Context<'_>) -> String {
    let set = context
        .library
        .sets
        .iter()
        .find(|s| s.id == finding.requirement_set);
    let title = finding.requirement.as_deref().and_then(|id| {
        let set = set?;
        set.requirements
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.title.as_str())
            .or_else(|| {
                set.policies
                    .iter()
                    .find(|p| p.id == id)
                    .map(|p| p.title.as_str())
            })
            .or_else(|| {
                set.alternatives
                    .iter()
                    .find(|a| a.id == id)
                    .map(|a| a.title.as_str())
            })
    });
    match (title, &finding.permission) {
        (Some(title), _) => crate::text::shown_owned(title),
        (None, Some(permission)) if finding.code == Code::ExcessiveGrant => {
            format!("{} (not needed)", crate::text::shown(permission))
        }
        (None, Some(permission)) => crate::text::shown_owned(permission),
        (None, None) => finding.code.as_str().to_owned(),
    }
}

/// A set's findings of one kind (code and severity) in a few lines: the kind, how many findings on
/// how many subjects; the first groups, a line each (what, on whom); how many more.
fn condensed_block(out: &mut String, block: &[&Vec<&Finding>], context: &Context<'_>) {
    let width = context.style.columns();
    let finding = block[0][0];
    let (symbol, colour) = match finding.severity {
        Severity::Error => ("×", "31"),
        Severity::Warning => ("⚠", "33"),
        Severity::Note => ("☞", "36"),
    };
    // Coloured like the diagnostics' (the codes count as columns in wrapping: it only wraps sooner).
    let symbol = if context.style.color {
        format!("\u{1b}[{colour}m{symbol}\u{1b}[0m")
    } else {
        symbol.to_owned()
    };
    let findings: usize = block.iter().map(|g| g.len()).sum();
    let on: std::collections::BTreeSet<(&str, &str)> = block
        .iter()
        .flat_map(|g| g.iter())
        .map(|f| (f.subject.kind.as_str(), f.subject.id.as_str()))
        .collect();
    let head = format!(
        "{symbol} {} ({}): {} on {}{}",
        finding.code.as_str(),
        finding.severity,
        super::plural(findings, "finding"),
        super::plural(on.len(), "subject"),
        if block.len() > 1 && finding.requirement.is_some() {
            format!(", {} requirements", block.len())
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "  {}",
        super::wrap(&head, width.saturating_sub(2), "    ")
    );
    if let [group] = block
        && (group.len() > 2
            || format!(
                "    - {}: {}",
                group_title(group[0], context),
                subjects(group, 0)
            )
            .chars()
            .count()
                > width)
    {
        // One group: what, and on whom (the first few).
        let item = format!(
            "- {}\non {}",
            group_title(group[0], context),
            subjects(group, 0)
        );
        let item = format!(
            "    {}",
            super::wrap(&item, width.saturating_sub(4), "      ")
        );
        // A word longer than the width (a tenant's name) is cut.
        let _ = writeln!(out, "{}", cut_lines(&item, width));
        return;
    }
    // Every group when only one more would be left out.
    let named = if block.len() <= CONDENSED_ITEMS + 1 {
        block.len()
    } else {
        CONDENSED_ITEMS
    };
    for group in block.iter().take(named) {
        let title = group_title(group[0], context);
        let names: Vec<String> = group
            .iter()
            .map(|f| crate::text::shown_owned(&f.subject.name))
            .collect();
        // The most names that fit the line, else how many.
        let count = names.len();
        let candidates = (0..=count.min(2))
            .rev()
            .map(|shown| match (shown, count - shown) {
                (0, _) => super::plural(count, "subject"),
                (_, 0) => names.join(", "),
                (_, more) => format!("{} and {more} more", names[..shown].join(", ")),
            });
        let mut item = String::new();
        for on in candidates {
            item = format!("    - {title}: {on}");
            if item.chars().count() <= width {
                break;
            }
        }
        if item.chars().count() <= width {
            let _ = writeln!(out, "{item}");
        } else {
            let item = format!(
                "    {}",
                super::wrap(&item[4..], width.saturating_sub(4), "      ")
            );
            let _ = writeln!(out, "{}", cut_lines(&item, width));
        }
    }
    if block.len() > named {
        let _ = writeln!(
            out,
            "    … and {} more (-v shows each)",
            block.len() - named
        );
    }
}

/// Renders the human report.
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    render_new(outcome, outcome, context)
}

/// Renders the human report of a run compared with a baseline: diagnostics for the `new`
/// findings only, the per-set table of the whole outcome `all`, and the verdict on `new`.
///
/// In order: the header (the tenant, a line or a table row per set), the findings (condensed, or
/// each in full), then the footer (sets not in use, waivers, notes not shown, assumptions,
/// notices, what was not audited, the verdict).
#[must_use]
pub fn render_new(all: &Outcome, new: &Outcome, context: &Context<'_>) -> String {
    let style = context.style;
    let groups = groups(all, new, style);
    let findings = if style.verbose == 0 && groups.len() > CONDENSE_AFTER {
        condensed_findings(all, &groups, context)
    } else {
        full_findings(all, &groups, context)
    };
    let summary = all.summary();
    let mut out = String::new();
    header(&mut out, all, &summary, context);
    if !findings.is_empty() {
        out.push('\n');
        out.push_str(&findings);
    }
    footer(&mut out, all, new, &summary, context);
    out
}

/// Writes `text` as a line of the report: wrapped to `width`; a word wider than the terminal (a
/// tenant's name) is cut.
fn report_line(out: &mut String, text: &str, width: usize) {
    let _ = writeln!(out, "{}", cut_lines(&super::wrap(text, width, "  "), width));
}

/// The findings condensed to a few lines per set and kind of finding, after a paragraph saying so.
fn condensed_findings(all: &Outcome, groups: &[Vec<&Finding>], context: &Context<'_>) -> String {
    let (outcome, style) = (all, context.style);
    let mut out = String::new();
    let mut current_set: Option<&str> = None;
    let shown: usize = groups.iter().map(Vec::len).sum();
    let _ = writeln!(
        out,
        "{}\n",
        super::wrap(
            &format!(
                "{shown} findings, condensed to a few lines per set and kind of finding: \
                 run with -v to see each in full (its rule lines, the values found, the \
                 fix), or `halo-audit plan --set ID --snapshot FILE` for a set's to-do list."
            ),
            style.columns(),
            ""
        )
    );
    // A block per set and kind of finding (code and severity), in the order of their first
    // group (sets and severities are already in order).
    let mut blocks: Vec<Vec<&Vec<&Finding>>> = Vec::new();
    for group in groups {
        let same = |a: &Finding, b: &Finding| {
            a.requirement_set == b.requirement_set && a.code == b.code && a.severity == b.severity
        };
        match blocks.iter_mut().find(|b| same(b[0][0], group[0])) {
            Some(block) => block.push(group),
            None => blocks.push(vec![group]),
        }
    }
    for block in &blocks {
        let finding = block[0][0];
        if current_set != Some(finding.requirement_set.as_str()) {
            if current_set.is_some() {
                out.push('\n');
            }
            current_set = Some(finding.requirement_set.as_str());
            let _ = writeln!(out, "{}", set_heading(outcome, finding, style));
        }
        condensed_block(&mut out, block, context);
    }
    out.push('\n');
    out
}

/// Each group of findings in full, a miette diagnostic each, under its set's heading.
fn full_findings(all: &Outcome, groups: &[Vec<&Finding>], context: &Context<'_>) -> String {
    let (outcome, style) = (all, context.style);
    let handler = if style.color {
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode())
    } else {
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
    }
    .with_width(style.columns())
    // Only the requirement's own lines: its neighbours are no evidence for it.
    .with_context_lines(0);
    let mut out = String::new();
    let mut current_set: Option<&str> = None;
    for group in groups {
        let finding = group[0];
        if current_set != Some(finding.requirement_set.as_str()) {
            current_set = Some(finding.requirement_set.as_str());
            let _ = writeln!(out, "{}\n", set_heading(outcome, finding, style));
        }
        let diagnostic = group_diagnostic(all, group, context);
        if handler.render_report(&mut out, &diagnostic).is_err() {
            let _ = writeln!(
                out,
                "{}[{}]: {}",
                finding.severity,
                finding.code.as_str(),
                crate::text::shown(&finding.message)
            );
        }
        out.push('\n');
    }
    out
}

/// The diagnostic of a group of findings identical but for their subject: the first one's
/// message with the subjects listed, the values expected and found, what it rests on, and (with
/// `-v`) its evidence, pointing at the requirement's lines in its rule file.
fn group_diagnostic<'a>(
    all: &Outcome,
    group: &[&'a Finding],
    context: &Context<'_>,
) -> FindingDiagnostic<'a> {
    let style = context.style;
    // Rule-file lines are cut to fit beside the snippet's gutter (` 100 │ ╭─▶ `).
    let source_width = style.columns().saturating_sub(12).max(20);
    let finding = group[0];
    let text = finding.rule_location.as_ref().and_then(|l| {
        context
            .library
            .files
            .get(&l.path)
            .map(|t| (l, cut_lines(&crate::text::shown_lines(t), source_width)))
    });
    let mut message = crate::text::shown_owned(&finding.message);
    let mut help = crate::text::shown_owned(finding.help.as_deref().unwrap_or_default());
    if group.len() > 1 {
        message.push_str(&format!(
            "\nthe same for {} subjects: {}",
            group.len(),
            subjects(group, style.verbose)
        ));
        if !help.is_empty() {
            help = format!("for {}: {help}", subject_name(finding));
        }
    }
    let (differ, with_values) = values_shown(group);
    if differ {
        if let Some(expected) = &finding.expected {
            help = format!(
                "expected {}, found {}\n{help}",
                crate::text::shown(expected),
                if with_values {
                    "what each subject above shows"
                } else {
                    "a different value on each subject (--format json or table lists them)"
                }
            );
        }
    } else if let Some(values) = super::expected_found(finding) {
        help = format!("{values}\n{help}");
    }
    if let Some(because) = assumed_basis(all, finding) {
        let _ = write!(
            help,
            "\nrests on an assumption: {}",
            crate::text::shown(because)
        );
    }
    if style.verbose > 0 {
        for line in &finding.chain {
            let _ = write!(help, "\nevidence: {}", crate::text::shown(line));
        }
        for line in &finding.assumptions {
            let _ = write!(help, "\nassumes: {}", crate::text::shown(line));
        }
    }
    FindingDiagnostic {
        finding,
        message,
        span: text
            .as_ref()
            .and_then(|(l, t)| item_span(t, l.line, l.column)),
        source: text.map(|(l, t)| NamedSource::new(l.path.clone(), t).with_language("yaml")),
        help: help.trim().to_owned(),
        label_width: style.columns().saturating_sub(14).max(20),
    }
}

/// The head of the report: the tenant, then a table per set when it fits the width, otherwise a
/// line per set, wrapped.
fn header(
    out: &mut String,
    outcome: &Outcome,
    summary: &crate::check::Summary,
    context: &Context<'_>,
) {
    let width = context.style.columns();
    let rows: Vec<SetRow> = outcome
        .sets
        .iter()
        .zip(&summary.sets)
        .filter_map(|(set, numbers)| {
            let applications = match &set.state {
                SetState::Evaluated { applications } => applications
                    .iter()
                    .map(|a| crate::text::shown_owned(&a.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                SetState::Baseline => {
                    format!("({})", crate::text::shown_owned(&set.baseline_scope()))
                }
                SetState::BindingNotFound => "(binding not found)".to_owned(),
                SetState::NotEvaluable { .. } => "(applications unreadable)".to_owned(),
                SetState::NotInUse | SetState::OnlyInactive { .. } => return None,
            };
            Some(SetRow::new(numbers, applications))
        })
        .collect();
    if let Some(tenant) = super::tenant_line(context.tenant) {
        report_line(out, &tenant, width);
    }
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let applications = if r.applications.starts_with('(') {
                r.applications.clone()
            } else {
                format!("({})", r.applications)
            };
            format!(
                "{} {}: requirements {} passed, {} missing, {} excessive, {} unverifiable, {} n/a; decided {}; findings {}",
                r.set,
                applications,
                r.passed,
                r.missing,
                r.excessive,
                r.unverifiable,
                r.not_applicable,
                r.decided,
                r.findings
            )
        })
        .collect();
    if !rows.is_empty() {
        let mut table = Table::new(rows);
        table.with(TableStyle::sharp());
        let table = table.to_string();
        if table.lines().all(|l| l.chars().count() <= width) {
            let _ = writeln!(out, "{table}");
        } else {
            for text in &lines {
                report_line(out, text, width);
            }
        }
    }
}

/// The tail of the report: the sets not in use or only inactive, the waived findings, how many
/// notes `-v` would show, the decisions resting on assumptions, the run's notices, what was not
/// audited, and the verdict on the `new` findings.
fn footer(
    out: &mut String,
    all: &Outcome,
    new: &Outcome,
    summary: &crate::check::Summary,
    context: &Context<'_>,
) {
    let (outcome, style) = (all, context.style);
    let width = style.columns();
    for text in super::not_in_use_line(outcome)
        .into_iter()
        .chain(super::only_inactive_lines(outcome))
    {
        report_line(out, &text, width);
    }
    waived_section(out, new, style.columns());
    let hidden_notes = new
        .findings
        .iter()
        .filter(|f| hidden(all, f, style) && f.waiver.is_none())
        .count();
    if hidden_notes > 0 {
        report_line(
            out,
            &format!(
                "{} not shown (ambiguities, grants resting on assumptions): run with -v to see {}",
                super::plural(hidden_notes, "note"),
                if hidden_notes == 1 { "it" } else { "them" }
            ),
            width,
        );
    }
    let assumed = assumed_lines(summary, style);
    if !assumed.is_empty() {
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        for text in &assumed {
            report_line(out, text, width);
        }
    }
    for text in outcome.inputs.notices(summary) {
        report_line(out, &crate::text::shown_owned(&text), width);
    }
    for text in super::not_audited_lines(new) {
        report_line(out, &text, width);
    }
    report_line(out, &super::summary_text(new, context.gate()), width);
}

/// The findings accepted by a waiver, each with who accepted it, until when, why and where:
/// shown at every verbosity, so a waiver never hides a finding from the terminal.
fn waived_section(out: &mut String, outcome: &Outcome, width: usize) {
    let waived: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.waiver.is_some())
        .collect();
    if waived.is_empty() {
        return;
    }
    let _ = writeln!(out, "== Waived ({}) ==\n", waived.len());
    for finding in waived {
        let Some(waiver) = &finding.waiver else {
            continue;
        };
        // The message without the `[waived until …]` the waiver appended: said below in full.
        let message = finding
            .message
            .rsplit_once(" [waived until ")
            .map_or(finding.message.as_str(), |(m, _)| m);
        let head = format!(
            "- {} ({}): {}",
            finding.code.as_str(),
            finding.requirement_set,
            crate::text::shown_owned(message)
        );
        let _ = writeln!(out, "{}", super::wrap(&head, width, "  "));
        let trail = format!(
            "waived until {} by {} ({}): {}",
            waiver.expires,
            crate::text::shown_owned(&waiver.owner),
            crate::text::shown_owned(&waiver.location),
            crate::text::shown_owned(&waiver.reason)
        );
        let _ = writeln!(
            out,
            "  {}",
            super::wrap(&trail, width.saturating_sub(2), "    ")
        );
    }
    out.push('\n');
}

/// The decisions that rest on an assumption, grouped by the assumption: "- no Ux claim on the
/// agent or its roles: read as No Access: 3 decisions (2 missing, 1 passed): hudu.feature.customers
/// for agent Sync, ...". Never hidden behind `-v`: without it, a few examples per assumption and
/// the first assumptions only, with how many more; `-v` lists every decision.
fn assumed_lines(summary: &crate::check::Summary, style: &super::Style) -> Vec<String> {
    const EXAMPLES: usize = 2;
    const GROUPS: usize = 8;
    if summary.assumed.is_empty() {
        return Vec::new();
    }
    let mut groups: Vec<(&str, Vec<&crate::check::summary::AssumedDecision>)> = Vec::new();
    for d in &summary.assumed {
        match groups.iter_mut().find(|(b, _)| *b == d.because) {
            Some((_, items)) => items.push(d),
            None => groups.push((d.because.as_str(), vec![d])),
        }
    }
    let mut out = vec![format!(
        "Decided on an assumption ({}; --fail-on-assumed fails on them):",
        summary.assumed.len()
    )];
    let all = style.verbose > 0;
    let shown_groups = if all { groups.len() } else { GROUPS };
    for (because, items) in groups.iter().take(shown_groups) {
        let mut by_status: Vec<(crate::check::Status, usize)> = Vec::new();
        for d in items {
            match by_status.iter_mut().find(|(s, _)| *s == d.status) {
                Some((_, n)) => *n += 1,
                None => by_status.push((d.status, 1)),
            }
        }
        let statuses: Vec<String> = by_status
            .iter()
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        let examples = if all { items.len() } else { EXAMPLES };
        let mut list: Vec<String> = items
            .iter()
            .take(examples)
            .map(|d| {
                format!(
                    "{} for {} {}",
                    d.requirement,
                    d.subject.kind.as_str(),
                    crate::text::shown(&d.subject.name)
                )
            })
            .collect();
        if items.len() > examples {
            list.push(format!("… {} more", items.len() - examples));
        }
        out.push(format!(
            "- {}: {} ({}): {}",
            crate::text::shown(because.trim_end_matches('.')),
            super::plural(items.len(), "decision"),
            statuses.join(", "),
            list.join(", ")
        ));
    }
    if groups.len() > shown_groups {
        out.push(format!(
            "- and {} more (-v lists every decision on an assumption)",
            super::plural(groups.len() - shown_groups, "assumption")
        ));
    } else if !all && groups.iter().any(|(_, items)| items.len() > EXAMPLES) {
        out.push("(-v lists every decision on an assumption)".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "requirements:\n  - id: a.one\n    title: \"One\"\n    source: { quote: \"| One | Yes |\" }\n  - id: a.two\n    title: \"Two\"\n\n    # a comment\n    source: { quote: \"| Two | Yes |\" }\n\n  - {id: a.three, title: Three}\nbinding:\n  application_name: [\"A*\"]\nlast: x";

    fn shown(line: usize, column: usize) -> Option<&'static str> {
        item_span(RULES, line, column).map(|s| &RULES[s.offset()..s.offset() + s.len()])
    }

    fn finding(name: &str, actual: &str) -> Finding {
        Finding {
            code: Code::MissingGrant,
            severity: Severity::Error,
            requirement_set: "a".to_owned(),
            requirement: Some("a.one".to_owned()),
            subject: crate::check::Subject {
                kind: crate::check::SubjectKind::Agent,
                id: name.to_owned(),
                name: name.to_owned(),
            },
            permission: Some("feature.tickets".to_owned()),
            expected: Some("Read Only".to_owned()),
            actual: Some(actual.to_owned()),
            message: format!("agent `{name}` lacks Tickets: Read Only"),
            chain: Vec::new(),
            assumptions: Vec::new(),
            help: None,
            rule_location: None,
            waiver: None,
        }
    }

    #[test]
    fn findings_differing_only_by_subject_and_value_are_one_group_naming_the_values() {
        let (a, b, c) = (
            finding("A", "No Access"),
            finding("B", "No Access"),
            finding("C", "Read Only (through role X)"),
        );
        assert_eq!(group_key(&a), group_key(&c));
        // The same value everywhere: only names.
        assert_eq!(subjects(&[&a, &b], 0), "agent A, agent B");
        assert_eq!(values_shown(&[&a, &b]), (false, false));
        // Different short values: each beside its subject.
        assert_eq!(
            subjects(&[&a, &c], 0),
            "agent A (found No Access), agent C (found Read Only (through role X))"
        );
        // A long value: no values named, the help says they differ.
        let long = finding("D", &"read:x, ".repeat(10));
        assert_eq!(values_shown(&[&a, &long]), (true, false));
        assert_eq!(subjects(&[&a, &long], 0), "agent A, agent D");
        // Past the first few, a count; -v names every one.
        let many: Vec<Finding> = (0..6).map(|i| finding(&format!("N{i}"), "No")).collect();
        let many: Vec<&Finding> = many.iter().collect();
        assert_eq!(
            subjects(&many, 0),
            "agent N0, agent N1, agent N2, … and 3 more (-v lists all)"
        );
        assert_eq!(subjects(&many, 1).matches("agent N").count(), 6);
    }

    #[test]
    fn a_snippet_is_the_requirement_s_own_lines() {
        assert_eq!(
            shown(5, 9),
            Some(
                "  - id: a.two\n    title: \"Two\"\n\n    # a comment\n    source: { quote: \"| Two | Yes |\" }"
            )
        );
        assert_eq!(
            shown(2, 9),
            Some("  - id: a.one\n    title: \"One\"\n    source: { quote: \"| One | Yes |\" }")
        );
        assert_eq!(shown(11, 8), Some("  - {id: a.three, title: Three}"));
        assert_eq!(shown(12, 1), Some("binding:\n  application_name: [\"A*\"]"));
        assert_eq!(shown(14, 1), Some("last: x"));
        assert_eq!(shown(15, 1), None);
        assert_eq!(shown(0, 1), None);
    }
}
