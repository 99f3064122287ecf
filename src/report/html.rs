//! A self-contained HTML audit report to hand over (`check --format html -o report.html`): the
//! tenant, snapshot time, verdict and coverage; a summary per integration; a permission matrix (each
//! integration's permissions: needed, granted, and how each came out, with the chain that decided
//! it); and the findings with their fix in Halo's UI words and the vendor's source.
//!
//! Owns: the page's markup and its inline style sheet. One file, no script, no external resource
//! (style inline, no image, font or link element; the vendor sources are plain links, never
//! loaded), printable (a print style sheet for A4 and Letter). Every value goes through `maud`,
//! which escapes it; tenant and rule-file text is also made safe for a terminal ([`shown`]) as the
//! report may be written to one. Status is always a word (with a symbol), never a colour alone.

mod cards;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use self::cards::Card;
use super::Context;
use super::checklist::{self, Checklist, Item, ItemKind, ItemStatus};
use crate::check::{Finding, Grade, Outcome, SetOutcome, SetState, Status, Subject};
use crate::diag::{Code, Severity};
use crate::text::shown;

/// The style sheet, inlined in every report.
pub(crate) const CSS: &str = include_str!("html.css");

/// A line break between block elements, so the source reads (and diffs) line by line.
const NL: PreEscaped<&str> = PreEscaped("\n");

/// Tenant or rule-file text, made safe for a terminal (maud escapes it for HTML).
fn t(text: &str) -> String {
    shown(text).into_owned()
}

/// "agent vCIOToolbox API".
fn subject(subject: &Subject) -> String {
    format!("{} {}", subject.kind.as_str(), t(&subject.name))
}

/// A link only for an http(s) address (a rule file could carry any scheme); otherwise the text.
fn link(url: &str) -> Markup {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        html! { a.url href=(t(url)) rel="noreferrer noopener" { (t(url)) } }
    } else {
        html! { code { (t(url)) } }
    }
}

/// How one cell of the matrix came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Passed,
    Missing,
    Excessive,
    Unverifiable,
    Failed,
    NotEvaluated,
}

impl Cell {
    /// The symbol and word shown; the word carries the meaning, the colour only repeats it.
    fn label(self) -> &'static str {
        match self {
            Self::Passed => "✓ passed",
            Self::Missing => "✗ missing",
            Self::Excessive => "▲ excessive",
            Self::Unverifiable => "? unverifiable",
            Self::Failed => "✗ failed",
            Self::NotEvaluated => "– not evaluated",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Self::Passed => "status st-passed",
            Self::Missing => "status st-missing",
            Self::Excessive => "status st-excessive",
            Self::Unverifiable => "status st-unverifiable",
            Self::Failed => "status st-failed",
            Self::NotEvaluated => "status st-not-evaluated",
        }
    }
}

/// A table's header row: one column header per name.
pub(crate) fn head(columns: &[&str]) -> Markup {
    html! { thead { tr { @for c in columns { th scope="col" { (c) } } } } }
}

fn badge(cell: Cell) -> Markup {
    html! { span class=(cell.class()) { (cell.label()) } }
}

fn severity_badge(severity: Severity) -> Markup {
    let (class, label) = match severity {
        Severity::Error => ("status st-error", "✗ error"),
        Severity::Warning => ("status st-warning", "▲ warning"),
        Severity::Note => ("status st-note", "ℹ note"),
    };
    html! { span class=(class) { (label) } }
}

/// How an item of a set's checklist came out, in the matrix's words.
fn cell(item: &Item<'_>, set: &SetOutcome) -> Cell {
    let evaluated = set
        .evaluations
        .iter()
        .find(|e| e.requirement == item.id && Some(&e.subject) == item.subject)
        .map(|e| e.status);
    match (item.status, evaluated) {
        (ItemStatus::Passed, _) => Cell::Passed,
        (ItemStatus::Unverifiable, _) => Cell::Unverifiable,
        (ItemStatus::NotEvaluated, _) => Cell::NotEvaluated,
        (ItemStatus::Failed, Some(Status::Missing)) => Cell::Missing,
        (ItemStatus::Failed, Some(Status::Excessive)) => Cell::Excessive,
        (ItemStatus::Failed, _) => {
            if item.findings.iter().any(|f| f.code == Code::MissingGrant) {
                Cell::Missing
            } else if item.findings.iter().any(|f| f.code == Code::ExcessiveGrant) {
                Cell::Excessive
            } else {
                Cell::Failed
            }
        }
    }
}

/// Distinct texts in first-seen order.
fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for text in items {
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    seen
}

/// The permission key a matrix row is about.
fn permission(item: &Item<'_>, set: &SetOutcome) -> Option<String> {
    set.evaluations
        .iter()
        .find(|e| e.requirement == item.id)
        .map(|e| e.permission.clone())
        .or_else(|| item.findings.iter().find_map(|f| f.permission.clone()))
}

fn chain(findings: &[&Finding], reason: Option<&str>) -> Markup {
    let steps = distinct(
        findings
            .iter()
            .flat_map(|f| f.chain.iter().map(String::as_str)),
    );
    let assumptions = distinct(
        findings
            .iter()
            .flat_map(|f| f.assumptions.iter().map(String::as_str)),
    );
    html! {
        @if steps.is_empty() && assumptions.is_empty() {
            @if let Some(reason) = reason { (cards::rich(reason)) }
        } @else {
            details {
                summary { "Chain (" (steps.len() + assumptions.len()) ")" }
                @if !steps.is_empty() {
                    ol { @for step in &steps { li { (cards::rich(step)) } } }
                }
                @if !assumptions.is_empty() {
                    p { "Assumed:" }
                    ul { @for a in &assumptions { li { (cards::rich(a)) } } }
                }
            }
        }
    }
}

fn matrix_rows(list: &Checklist<'_>, context: &Context<'_>) -> Markup {
    let set = list.set;
    html! {
        tbody {
            tr {
                th scope="rowgroup" colspan="6" id=(format!("set-{}", set.id)) {
                    (t(&set.title)) " " code { (t(&set.id)) }
                }
            }
            (NL)
            @for item in list.items.iter().filter(|i| i.kind != ItemKind::Policy) {
                @let state = cell(item, set);
                @let granted: Vec<String> = item.findings.iter().filter_map(|f| cards::granted(f, context.tenant, context.catalog)).collect();
                @let actual = distinct(granted.iter().map(String::as_str));
                tr {
                    th scope="row" {
                        (t(&item.title))
                        @if let Some(key) = permission(item, set) { br; code { (t(&key)) } }
                    }
                    td { @if let Some(s) = item.subject { (subject(s)) } }
                    td { @if let Some(e) = &item.expected { (t(e)) } }
                    td {
                        @if !actual.is_empty() { (cards::rich(&actual.join("; "))) }
                        @else if state == Cell::Passed { "as needed" }
                        @else if state == Cell::Unverifiable { "unknown" }
                    }
                    td { (badge(state)) @if item.assumed { " (assumed)" } }
                    td.chain { (chain(&item.findings, item.reason.as_deref())) }
                }
                (NL)
            }
        }
    }
}

/// "100% decided (8 of 8)", then the unverifiable and not applicable ones when there are any.
fn short_coverage(coverage: crate::check::Coverage) -> String {
    let mut text = format!(
        "{}% decided ({} of {})",
        coverage.percent(),
        coverage.decided,
        coverage.checkable()
    );
    if coverage.unverifiable > 0 {
        text.push_str(&format!(", {} unverifiable", coverage.unverifiable));
    }
    if coverage.not_applicable > 0 {
        text.push_str(&format!(", {} not applicable", coverage.not_applicable));
    }
    if coverage.assumed > 0 {
        text.push_str(&format!(", {} on an assumption", coverage.assumed));
    }
    if coverage.overlay > 0 {
        text.push_str(&format!(", {} on a catalog overlay", coverage.overlay));
    }
    text
}

fn summary_row(list: &Checklist<'_>, numbers: Option<&crate::check::SetSummary>) -> Markup {
    let set = list.set;
    let applications = match &set.state {
        SetState::Evaluated { applications } => applications
            .iter()
            .map(|a| t(&a.name))
            .collect::<Vec<_>>()
            .join(", "),
        SetState::Baseline => t(&set.baseline_scope()),
        SetState::BindingNotFound => "none matches the binding".to_owned(),
        SetState::NotEvaluable { reason } => format!("not evaluated: {}", t(reason)),
        SetState::OnlyInactive { applications } => {
            format!("only inactive: {}", t(&applications.join(", ")))
        }
        SetState::NotInUse => String::new(),
    };
    let failed = list.count(ItemStatus::Failed);
    let unverifiable = list.count(ItemStatus::Unverifiable);
    let result = if failed > 0 {
        Cell::Failed
    } else if unverifiable > 0 {
        Cell::Unverifiable
    } else if list.count(ItemStatus::NotEvaluated) > 0 {
        Cell::NotEvaluated
    } else {
        Cell::Passed
    };
    html! {
        tr {
            th scope="row" {
                @if matches!(set.state, SetState::Evaluated { .. }) {
                    a href=(format!("#set-{}", set.id)) { (t(&set.title)) }
                } @else { (t(&set.title)) }
                br; code { (t(&set.id)) }
            }
            td { (applications) }
            td { (badge(result)) }
            td.num { (set.coverage.passed) }
            td.num { (set.coverage.missing) }
            td.num { (set.coverage.excessive) }
            td.num { (set.coverage.unverifiable) }
            td.num { (set.coverage.not_applicable) }
            td { (short_coverage(set.coverage)) }
            td { (numbers.map(|n| n.findings.text()).unwrap_or_default()) }
            td.src { @if let Some(source) = &set.source { (link(source)) } }
        }
        (NL)
    }
}

/// One card: a finding, or identical findings with their subjects listed.
fn card_block(card: &Card<'_>, outcome: &Outcome, context: &Context<'_>, level: u8) -> Markup {
    let finding = card.first();
    let grouped = card.findings.len() > 1;
    let sets = card.sets();
    let sev = match finding.severity {
        Severity::Error => "finding sev-error",
        Severity::Warning => "finding sev-warning",
        Severity::Note => "finding sev-note",
    };
    let advice = cards::advice(finding.help.as_deref());
    let mut decide: Vec<String> = advice
        .decide
        .iter()
        .map(|d| cards::group_text(d, &finding.subject, grouped))
        .collect();
    match outcome.basis_of(finding) {
        Some(basis) if basis.grade == Grade::Assumed => decide.push(format!(
            "this decision rests on an assumption{}; look at the permission in Halo, or state the claim's values in a catalog overlay (`--catalog`, docs/permissions.md)",
            basis.because.as_deref().map(|b| format!(" ({b})")).unwrap_or_default()
        )),
        Some(basis) if basis.grade == Grade::Overlay => decide.push(format!(
            "this decision rests on a catalog overlay{}, not on the shipped catalog",
            basis.because.as_deref().map(|b| format!(" ({b})")).unwrap_or_default()
        )),
        _ => {}
    }
    let title = html! {
        span.card-no { (card.number()) "." } " "
        (severity_badge(finding.severity)) " "
        code { (finding.code.as_str()) } " "
        @if grouped { (card.subjects_text()) } @else { (subject(&finding.subject)) }
    };
    let granted = cards::granted(finding, context.tenant, context.catalog);
    html! {
        article class=(sev) id=(card.id) data-findings=(card.findings.len()) {
            @if level == 3 { h3 { (title) } } @else { h4 { (title) } }
            p { (cards::rich(&card.sentence())) }
            dl {
                @if grouped {
                    dt { "Subjects (" (card.findings.len()) ")" }
                    dd {
                        ul.subjects {
                            @for f in &card.findings {
                                li {
                                    (subject(&f.subject))
                                    @if sets.len() > 1 { " (" code { (t(&f.requirement_set)) } ")" }
                                    @if !f.chain.is_empty() || !f.assumptions.is_empty() {
                                        " " (chain(&[f], None))
                                    }
                                }
                            }
                        }
                    }
                }
                dt { "Integration" }
                dd {
                    @for (i, id) in sets.iter().enumerate() {
                        @if i > 0 { ", " }
                        @if let Some(set) = outcome.sets.iter().find(|s| s.id == *id) { (t(&set.title)) " " }
                        code { (t(id)) }
                    }
                }
                @if let Some(requirement) = &finding.requirement {
                    dt { "Requirement" } dd { code { (t(requirement)) } }
                }
                @if let Some(permission) = &finding.permission {
                    dt { "Permission" } dd { (permission_words(permission, context)) }
                }
                @if let Some(expected) = &finding.expected {
                    dt { "Needed" } dd { (t(expected)) }
                }
                @if let Some(granted) = &granted {
                    dt { "Granted" } dd { (cards::rich(granted)) }
                }
                @if let Some(fix) = &advice.fix {
                    dt { "Fix" } dd.fix { (cards::rich(&cards::group_text(fix, &finding.subject, grouped))) }
                }
                @if !decide.is_empty() {
                    dt { "How to decide this" }
                    dd.decide {
                        @for (i, d) in decide.iter().enumerate() {
                            @if i > 0 { "; " }
                            (cards::rich(d))
                        }
                    }
                }
                @if let Some(waiver) = &finding.waiver {
                    dt { "Waiver reason" } dd { (t(&waiver.reason)) }
                    dt { "Owner" } dd { (t(&waiver.owner)) }
                    dt { "Expires" } dd { (t(&waiver.expires)) }
                    dt { "Waiver" } dd { code { (t(&waiver.location)) } }
                }
                @if let Some(location) = &finding.rule_location {
                    dt { "Rule" } dd { code { (t(&location.path)) ":" (location.line) ":" (location.column) } }
                }
                @if let Some(source) = outcome.sets.iter().find(|s| s.id == finding.requirement_set).and_then(|s| s.source.as_deref()) {
                    dt { "Vendor source" } dd { (link(source)) }
                }
                @if !grouped && (!finding.chain.is_empty() || !finding.assumptions.is_empty()) {
                    dt { "Evidence" } dd { (chain(&[finding], None)) }
                }
            }
        }
        (NL)
    }
}

/// "Invoices (`feature.invoices`)": the catalog's label with the key, or the key alone.
fn permission_words(key: &str, context: &Context<'_>) -> Markup {
    let label = context
        .catalog
        .permission(key)
        .map(|(_, p)| p.label.as_str())
        .filter(|l| !l.is_empty() && *l != key);
    html! {
        @if let Some(label) = label { (t(label)) " " }
        code { (t(key)) }
    }
}

/// The verdict in words: the exit code and why.
fn verdict_words(outcome: &Outcome, gate: crate::verdict::Gate) -> String {
    let verdict = super::verdict(outcome, gate);
    let summary = outcome.summary();
    let fail_on = match gate.fail_on {
        crate::verdict::FailOn::Error => "error",
        crate::verdict::FailOn::Warning => "warning",
        crate::verdict::FailOn::Note => "note",
        crate::verdict::FailOn::Never => "never",
    };
    let failing = crate::verdict::failing(outcome, gate.fail_on);
    let mut why: Vec<String> = Vec::new();
    match verdict {
        super::Verdict::NotAudited => {
            why.extend(outcome.not_audited.iter().map(|n| n.reason.clone()));
        }
        super::Verdict::NotGating => {
            why.push(format!(
                "--fail-on never: no finding fails the run ({} reported)",
                super::plural(summary.findings.reported(), "finding")
            ));
        }
        super::Verdict::Failed | super::Verdict::Passed => {
            if failing > 0 {
                why.push(format!(
                    "{} at or above --fail-on {fail_on}",
                    super::plural(failing, "finding")
                ));
            } else {
                why.push(format!("no finding at or above --fail-on {fail_on}"));
            }
        }
    }
    if let Some(min) = gate.min_coverage {
        let percent = summary.requirements.percent();
        why.push(if crate::verdict::below_min_coverage(outcome, gate) {
            format!("{percent}% decided, below --min-coverage {min}%")
        } else {
            format!("{percent}% decided, at least --min-coverage {min}%")
        });
    }
    if gate.fail_on_assumed {
        why.push(if crate::verdict::fails_on_assumed(outcome, gate) {
            format!(
                "{} decided on an assumption, with --fail-on-assumed",
                summary.requirements.assumed
            )
        } else {
            "nothing decided on an assumption (--fail-on-assumed)".to_owned()
        });
    }
    format!("exit code {}: {}", verdict.exit_code(), why.join("; "))
}

/// Renders the HTML report.
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    let gate = context.gate();
    let verdict = super::verdict(outcome, gate);
    let provenance = &context.tenant.provenance;
    let tenant_name = provenance.tenant.as_deref().map(t);
    let lists = checklist::checklists(outcome, context);
    let matrix: Vec<&Checklist<'_>> = lists
        .iter()
        .filter(|l| !matches!(l.set.state, SetState::Baseline | SetState::NotInUse))
        .collect();
    let numbers = outcome.summary();
    let coverage = numbers.requirements;
    let notices = outcome.inputs.notices(&numbers);
    let live = cards::cards(
        outcome.findings.iter().filter(|f| f.waiver.is_none()),
        outcome,
        "finding",
    );
    let waived = cards::cards(
        outcome.findings.iter().filter(|f| f.waiver.is_some()),
        outcome,
        "waived",
    );
    let risks = cards::riskiest(&live, 5);
    let inputs = &outcome.inputs;
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title {
                    "halo-audit report"
                    @if let Some(name) = tenant_name.as_ref().or(provenance.instance.as_ref()) { ": " (t(name)) }
                }
                (NL)
                style { (NL) (PreEscaped(CSS)) }
                (NL)
            }
            (NL)
            body {
                header {
                    h1 {
                        "HaloPSA permission audit"
                        @if let Some(name) = &tenant_name { ": " (name) }
                    }
                    dl.meta.about {
                        dt { "Tenant" } dd { @if let Some(name) = &tenant_name { (name) } @else { "not named in the snapshot" } }
                        @if let Some(instance) = &provenance.instance {
                            dt { "Instance" } dd { (t(instance)) }
                        }
                        dt { "Snapshot of" } dd { (provenance.fetched_at.as_deref().map_or_else(|| "unknown".to_owned(), t)) }
                    }
                    (NL)
                    nav.toc aria-label="Contents" {
                        "Contents: "
                        a href="#executive" { "Executive summary" } " · "
                        @if !outcome.not_audited.is_empty() { a href="#not-audited" { "Not audited" } " · " }
                        a href="#summary" { "Integrations" } " · "
                        a href="#matrix" { "Permission matrix" } " · "
                        a href="#findings" { "Findings (" (outcome.findings.len() - numbers.findings.waived) ")" }
                        @if !waived.is_empty() { " · " a href="#waived" { "Waived (" (numbers.findings.waived) ")" } }
                        " · " a href="#inputs" { "What this run was told" }
                    }
                }
                (NL)
                main {
                    section.executive aria-labelledby="executive" {
                        h2 #executive { "Executive summary" }
                        p class=(format!("verdict verdict-{}", verdict.as_str().replace(' ', "-"))) {
                            @match verdict {
                                super::Verdict::Failed | super::Verdict::NotAudited => "✗ ",
                                _ => "✓ ",
                            }
                            "Verdict: " (verdict.as_str())
                            span.why { " — " (t(&verdict_words(outcome, gate))) }
                        }
                        (NL)
                        div.figures {
                            div.group aria-label="Requirements" {
                                div.figure data-figure="evidence" {
                                    span.big { (coverage.on_evidence()) " of " (coverage.checkable()) }
                                    span.label { "decided on evidence (" (coverage.evidence_percent()) "%)" }
                                }
                                div class=(if coverage.assumed > 0 { "figure warn" } else { "figure" }) data-figure="assumed" {
                                    span.big { (coverage.assumed) }
                                    span.label {
                                        "decided on an assumption"
                                        @if coverage.assumed > 0 { " (" a href="#assumed" { "which" } ")" }
                                    }
                                }
                                @if coverage.overlay > 0 {
                                    div.figure.warn data-figure="overlay" {
                                        span.big { (coverage.overlay) }
                                        span.label { "decided on a catalog overlay" }
                                    }
                                }
                                div class=(if coverage.unverifiable > 0 { "figure warn" } else { "figure" }) data-figure="unverifiable" {
                                    span.big { (coverage.unverifiable) }
                                    span.label { "unverifiable (not decided)" }
                                }
                                div.figure data-figure="not-applicable" {
                                    span.big { (coverage.not_applicable) }
                                    span.label { "not applicable" }
                                }
                            }
                            div.group aria-label="Findings" {
                                div class=(if numbers.findings.errors > 0 { "figure bad" } else { "figure" }) data-figure="errors" {
                                    span.big { (numbers.findings.errors) }
                                    span.label { @if numbers.findings.errors == 1 { "error" } @else { "errors" } }
                                }
                                div class=(if numbers.findings.warnings > 0 { "figure warn" } else { "figure" }) data-figure="warnings" {
                                    span.big { (numbers.findings.warnings) }
                                    span.label { @if numbers.findings.warnings == 1 { "warning" } @else { "warnings" } }
                                }
                                div.figure data-figure="notes" {
                                    span.big { (numbers.findings.notes) }
                                    span.label { @if numbers.findings.notes == 1 { "note" } @else { "notes" } }
                                }
                            }
                        }
                        (NL)
                        @if coverage.unverifiable > 0 && !provenance.gaps.is_empty() {
                            dl.meta.gaps {
                                dt { "Not decided because" }
                                dd {
                                    ul.notices {
                                        @for gap in &provenance.gaps {
                                            li { code { (t(&gap.endpoint)) } ": " (cards::rich(gap.detail.as_deref().unwrap_or(&gap.reason))) }
                                        }
                                    }
                                }
                            }
                        }
                        dl.meta #told {
                            dt { "This run was told" }
                            dd {
                                @if notices.is_empty() && inputs.config.is_none() {
                                    "no configuration, catalog overlay, waiver or severity override"
                                } @else {
                                    ul.notices {
                                        @if let Some(config) = &inputs.config {
                                            li { "configuration " code { (t(&config.path)) } " (" a href="#inputs" { "details" } ")" }
                                        }
                                        @for n in &notices {
                                            li {
                                                (cards::rich(n)) " ("
                                                @if n.contains("waiver") && numbers.findings.waived > 0 { a href="#waived" { "the waived findings" } }
                                                @else { a href="#inputs" { "details" } }
                                                ")"
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        (NL)
                        h3 #risks { "Riskiest findings" }
                        @if risks.is_empty() {
                            p { "No error or warning." }
                        } @else {
                            ol.risks {
                                @for card in &risks {
                                    li {
                                        (severity_badge(card.severity()))
                                        @if card.first().code.is_escalation() { " " span.escalation { "escalation" } }
                                        " " (cards::rich(&cards::capitalise(&card.sentence())))
                                        @if card.findings.len() > 1 { " (" (card.subjects_text()) ")" }
                                        " " a href=(format!("#{}", card.id)) { "See finding " (card.number()) }
                                    }
                                }
                            }
                            @let shown: usize = risks.iter().map(|c| c.findings.len()).sum();
                            @let rest = (numbers.findings.errors + numbers.findings.warnings).saturating_sub(shown);
                            @if rest > 0 { p { "… and " a href="#findings" { (rest) @if rest == 1 { " more error or warning" } @else { " more errors and warnings" } } " under Findings." } }
                        }
                        dl.meta {
                            dt { "Coverage" } dd { (coverage.text()) }
                            dt { "Requirements" } dd { (coverage.breakdown()) }
                            dt { "Findings" } dd { (numbers.findings.text()) }
                        }
                    }
                    (NL)
                    @if !outcome.not_audited.is_empty() {
                        section.alert aria-labelledby="not-audited" {
                            h2 #not-audited { "Not audited" }
                            @for n in &outcome.not_audited {
                                @let advice = cards::advice(Some(&n.fix));
                                p { strong { "Not audited: " } (cards::rich(&n.reason)) }
                                @if let Some(fix) = &advice.fix { p.fix { "Fix: " (cards::rich(fix)) } }
                                @if !advice.decide.is_empty() {
                                    p.decide {
                                        "How to decide this: "
                                        @for (i, d) in advice.decide.iter().enumerate() { @if i > 0 { "; " } (cards::rich(d)) }
                                    }
                                }
                            }
                        }
                        (NL)
                    }
                    section aria-labelledby="summary" {
                        h2 #summary { "Integrations" }
                        table.sets {
                            caption { "What each requirement set checked and how it came out" }
                            (head(&["Integration", "Applications", "Result", "Passed", "Missing", "Excessive", "Unverifiable", "Not applicable", "Coverage", "Findings", "Vendor source"]))
                            (NL)
                            tbody { @for list in &lists { (summary_row(list, numbers.set(&list.set.id))) } }
                        }
                        p { "Passed, missing, excessive, unverifiable and not applicable count requirements (each requirement for each subject, each baseline policy); findings count findings." }
                        // On paper the sources column is left out for width: listed here instead.
                        ul.print-only.sources {
                            @for list in &lists {
                                @if let Some(source) = &list.set.source {
                                    li { "Vendor source of " code { (t(&list.set.id)) } ": " (link(source)) }
                                }
                            }
                        }
                        @if !numbers.assumed.is_empty() {
                            h3 #assumed { "Decided on an assumption (" (numbers.assumed.len()) ")" }
                            ul.assumed {
                                @for d in &numbers.assumed {
                                    li {
                                        code { (t(&d.requirement)) } " " (d.status.as_str()) " for "
                                        (subject(&d.subject)) ": " (cards::rich(&d.because))
                                    }
                                }
                            }
                        }
                        @for line in super::not_in_use_line(outcome).into_iter().chain(super::only_inactive_lines(outcome)) {
                            p { (t(&line)) }
                        }
                    }
                    (NL)
                    section aria-labelledby="matrix" {
                        h2 #matrix { "Permission matrix" }
                        @if matrix.is_empty() {
                            p { "No integration was evaluated." }
                        } @else {
                            table {
                                caption { "Each integration's permissions: what it needs, what is granted, and how it came out" }
                                (head(&["Permission", "Subject", "Needed", "Granted", "Status", "How it was decided"]))
                                (NL)
                                @for list in &matrix { (matrix_rows(list, context)) }
                            }
                        }
                    }
                    (NL)
                    section aria-labelledby="findings" {
                        h2 #findings { "Findings" }
                        @if live.is_empty() { p { "No findings." } }
                        @else {
                            p { "Identical findings (same check, requirement, decision and reason) are shown once, with every subject they concern." }
                        }
                        @for (severity, heading) in [(Severity::Error, "Errors"), (Severity::Warning, "Warnings"), (Severity::Note, "Notes")] {
                            @let these: Vec<&Card<'_>> = live.iter().filter(|c| c.severity() == severity).collect();
                            @if !these.is_empty() {
                                @let count: usize = these.iter().map(|c| c.findings.len()).sum();
                                h3 { (heading) " (" (count) ")" }
                                (NL)
                                @for card in these { (card_block(card, outcome, context, 4)) }
                            }
                        }
                    }
                    (NL)
                    @if !waived.is_empty() {
                        section aria-labelledby="waived" {
                            h2 #waived { "Waived findings (" (numbers.findings.waived) ")" }
                            p { "Accepted by a waiver of the configuration until its expiry: they never fail a run, and are not counted with the findings above." }
                            @for card in &waived { (card_block(card, outcome, context, 3)) }
                        }
                        (NL)
                    }
                    section aria-labelledby="inputs" {
                        h2 #inputs { "What this run was told" }
                        dl.meta {
                            dt { "Tool" }
                            dd {
                                "halo-audit "
                                @if inputs.tool_version.is_empty() { (env!("CARGO_PKG_VERSION")) } @else { (t(&inputs.tool_version)) }
                                @if inputs.catalog_version > 0 { ", permission catalog v" (inputs.catalog_version) }
                            }
                            dt { "Configuration" }
                            dd {
                                @if let Some(config) = &inputs.config {
                                    code { (t(&config.path)) } " (sha256 " code { (t(&config.sha256)) } ")"
                                } @else { "none" }
                            }
                            dt { "Severity overrides" }
                            dd {
                                @if inputs.overrides_ignored { "not applied (--no-config-overrides)" }
                                @else if inputs.overrides.is_empty() { "none" }
                                @else {
                                    ul {
                                        @for o in &inputs.overrides {
                                            li { code { (o.code.as_str()) } ": " (o.level) " (" (o.dropped) " silenced, " (o.changed) " changed)" }
                                        }
                                    }
                                }
                            }
                            dt { "Catalog overlays" }
                            dd {
                                @if inputs.overlays.is_empty() { "none" }
                                @else {
                                    ul {
                                        @for o in &inputs.overlays {
                                            li {
                                                code { (t(&o.file.path)) } " (sha256 " code { (t(&o.file.sha256)) } "): "
                                                @for (i, r) in o.redefines.iter().enumerate() {
                                                    @if i > 0 { ", " }
                                                    (t(&r.label)) " " code { (t(&r.permission)) } " at " (t(&r.at))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            dt { "Waivers" }
                            dd {
                                @if inputs.waivers_ignored { "not applied (--no-waivers)" }
                                @else if inputs.waivers.is_empty() { "none applied" }
                                @else {
                                    ul {
                                        @for w in &inputs.waivers {
                                            li { code { (t(&w.at)) } ": " (t(&w.owner)) ", until " (t(&w.expires)) ", " (super::plural(w.findings, "finding")) }
                                        }
                                    }
                                }
                            }
                            dt { "Sets" }
                            dd {
                                @if inputs.sets.is_empty() { "every set in use" }
                                @else { @for (i, s) in inputs.sets.iter().enumerate() { @if i > 0 { ", " } code { (t(s)) } } }
                            }
                            @if !inputs.rules.is_empty() {
                                dt { "Requirement files" }
                                dd {
                                    @if !inputs.default_rules { "the shipped sets are not used (--no-default-rules)" }
                                    @for r in &inputs.rules { br; code { (t(&r.path)) } " (sha256 " code { (t(&r.sha256)) } ")" }
                                }
                            }
                        }
                    }
                    (NL)
                }
                footer {
                    p {
                        "Written by halo-audit " (env!("CARGO_PKG_VERSION"))
                        ". Each finding's code is explained by " code { "halo-audit explain CODE" } "."
                    }
                }
                (NL)
            }
        }
        (NL)
    };
    page.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_addresses_become_links() {
        assert_eq!(
            link("https://vendor.example/a?b=1&c=2").into_string(),
            "<a class=\"url\" href=\"https://vendor.example/a?b=1&amp;c=2\" rel=\"noreferrer noopener\">https://vendor.example/a?b=1&amp;c=2</a>"
        );
        for hostile in [
            "javascript:alert(1)",
            "data:text/html,x",
            " JavaScript:x",
            "file:///etc/passwd",
        ] {
            let markup = link(hostile).into_string();
            assert!(!markup.contains("href"), "{markup}");
        }
    }

    #[test]
    fn status_words_never_rely_on_colour() {
        for cell in [
            Cell::Passed,
            Cell::Missing,
            Cell::Excessive,
            Cell::Unverifiable,
            Cell::Failed,
            Cell::NotEvaluated,
        ] {
            let words = cell
                .label()
                .split_once(' ')
                .map(|(_, w)| w)
                .unwrap_or_default();
            assert!(
                words.len() >= 6 && words.chars().all(|c| c.is_ascii_lowercase() || c == ' '),
                "{cell:?}"
            );
        }
    }
}
