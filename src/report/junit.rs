//! JUnit XML (with `quick-junit`): a test suite per requirement set that ran or was asked for, a
//! test case per item of its [checklist](super::checklist).
//!
//! A test case fails when one of its findings is an error (with `--junit-fail-on-warning`, a
//! warning too), whatever `--fail-on` says: a test report shows what is wrong even when the gate
//! is off (`--fail-on never`). It is skipped when it could not be decided or the set could not be
//! evaluated, and passes otherwise. Findings that do not fail it (notes, warnings, waived
//! findings) are written in the test case's `system-out`. No timestamps or durations: the same
//! inputs give the same bytes.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::Context;
use super::checklist::{self, Checklist, Item, ItemKind, ItemStatus};
use crate::check::{Finding, Outcome, SetState};
use crate::diag::Severity;

/// How the JUnit report decides failures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// `--junit-fail-on-warning`: warnings fail their test case too, not only errors.
    pub fail_on_warning: bool,
}

impl Options {
    /// Whether a finding fails its test case: an error (or a warning, when asked), never a
    /// waived finding.
    #[must_use]
    pub fn fails(self, finding: &Finding) -> bool {
        finding.waiver.is_none()
            && match finding.severity {
                Severity::Error => true,
                Severity::Warning => self.fail_on_warning,
                Severity::Note => false,
            }
    }
}

/// A finding as a block of text: severity, code, message, values, fix, place, evidence.
fn block(finding: &Finding, context: &Context<'_>) -> String {
    let mut text = format!(
        "[{} {}] {}",
        finding.severity,
        finding.code.as_str(),
        super::plain_text(finding)
    );
    if let Some(location) = super::location(finding, context.library) {
        text.push_str(&format!(
            "\nat {}:{}:{}",
            location.path, location.line, location.column
        ));
    }
    for line in &finding.chain {
        text.push_str(&format!("\nevidence: {line}"));
    }
    for line in &finding.assumptions {
        text.push_str(&format!("\nassumes: {line}"));
    }
    text
}

fn blocks(findings: &[&Finding], context: &Context<'_>) -> String {
    findings
        .iter()
        .map(|f| block(f, context))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The test case's name: the requirement or policy id, with the subject when needed.
fn name(list: &Checklist<'_>, item: &Item<'_>) -> String {
    match (item.kind, item.subject) {
        (ItemKind::Requirement, Some(subject)) if list.several_subjects(&item.id) => {
            format!("{} ({})", item.id, super::qualified_name(subject))
        }
        (ItemKind::Finding, Some(subject)) => format!(
            "{} {} ({})",
            item.id,
            item.findings
                .first()
                .and_then(|f| f.permission.as_deref())
                .unwrap_or(&list.set.id),
            super::qualified_name(subject)
        ),
        _ => item.id.clone(),
    }
}

fn test_case(
    list: &Checklist<'_>,
    item: &Item<'_>,
    context: &Context<'_>,
    options: Options,
) -> TestCase {
    let (failing, other): (Vec<&Finding>, Vec<&Finding>) =
        item.findings.iter().partition(|f| options.fails(f));
    let status = if let Some(first) = failing.first() {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(format!("{}: {}", item.title, first.message))
            .set_type(first.code.as_str())
            .set_description(blocks(&failing, context));
        status
    } else if matches!(
        item.status,
        ItemStatus::Unverifiable | ItemStatus::NotEvaluated
    ) {
        let mut status = TestCaseStatus::skipped();
        let why = item
            .findings
            .first()
            .map(|f| f.message.clone())
            .or_else(|| item.reason.clone())
            .unwrap_or_else(|| item.status.as_str().to_owned());
        status
            .set_message(format!("{}: {why}", item.status.as_str()))
            .set_type(item.status.as_str());
        status
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(name(list, item), status);
    case.set_classname(list.set.id.as_str());
    if !other.is_empty() {
        case.set_system_out(blocks(&other, context));
    }
    case
}

fn test_suite(
    list: &Checklist<'_>,
    context: &Context<'_>,
    numbers: &crate::check::Summary,
    options: Options,
) -> TestSuite {
    let set = list.set;
    let mut suite = TestSuite::new(set.id.as_str());
    suite.add_property(Property::new("title", set.title.as_str()));
    if let Some(vendor) = &set.vendor {
        suite.add_property(Property::new("vendor", vendor.as_str()));
    }
    if let Some(source) = &set.source {
        suite.add_property(Property::new("source", source.as_str()));
    }
    let state = match &set.state {
        SetState::Evaluated { applications } => format!(
            "evaluated for {}",
            applications
                .iter()
                .map(super::qualified_name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        SetState::Baseline => format!("baseline ({})", set.baseline_scope()),
        SetState::BindingNotFound => "binding not found".to_owned(),
        SetState::NotEvaluable { .. } => "not evaluable".to_owned(),
        SetState::OnlyInactive { .. } => "only inactive applications".to_owned(),
        SetState::NotInUse => "not in use".to_owned(),
    };
    suite.add_property(Property::new("state", state));
    suite.add_property(Property::new("coverage", set.coverage.text()));
    suite.add_property(Property::new("requirements", set.coverage.breakdown()));
    if let Some(counts) = numbers.set(&set.id) {
        suite.add_property(Property::new("findings", counts.findings.text()));
    }
    suite.add_test_cases(
        list.items
            .iter()
            .map(|item| test_case(list, item, context, options)),
    );
    suite
}

/// Renders the JUnit report: errors fail their test cases.
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    render_with(outcome, context, Options::default())
}

/// Renders the JUnit report as `options` say.
#[must_use]
pub fn render_with(outcome: &Outcome, context: &Context<'_>, options: Options) -> String {
    let mut report = Report::new("halo-audit");
    let numbers = outcome.summary();
    report.add_test_suite(run_suite(outcome, context, &numbers));
    report.add_test_suites(
        checklist::checklists(outcome, context)
            .iter()
            .map(|list| test_suite(list, context, &numbers, options)),
    );
    xml(&report)
}

/// The suite about the run itself: whether it audited anything (one failing case per list it
/// lacked) and whether it decided enough (`--min-coverage`).
fn run_suite(
    outcome: &Outcome,
    context: &Context<'_>,
    numbers: &crate::check::Summary,
) -> TestSuite {
    let mut suite = TestSuite::new("halo-audit");
    let coverage = numbers.requirements;
    suite.add_property(Property::new("coverage", coverage.text()));
    suite.add_property(Property::new("requirements", coverage.breakdown()));
    suite.add_property(Property::new("findings", numbers.findings.text()));
    for (i, notice) in outcome.inputs.notices(numbers).iter().enumerate() {
        suite.add_property(Property::new(format!("notice.{}", i + 1), notice.as_str()));
    }
    suite.add_property(Property::new(
        "verdict",
        super::verdict(outcome, context.gate()).as_str(),
    ));
    for gap in &outcome.not_audited {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(format!("not audited: {}", gap.reason))
            .set_type("not-audited")
            .set_description(format!("{}\nfix: {}", gap.reason, gap.fix));
        let mut case = TestCase::new(format!("the tenant's {} were read", gap.what), status);
        case.set_classname("halo-audit");
        suite.add_test_case(case);
    }
    let status = if super::below_min_coverage(outcome, context.gate()) {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(format!(
                "{}% decided, below --min-coverage {}",
                coverage.percent(),
                context.min_coverage.unwrap_or_default()
            ))
            .set_type("min-coverage")
            .set_description(coverage.text());
        status
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new("coverage", status);
    case.set_classname("halo-audit");
    case.set_system_out(coverage.text());
    suite.add_test_case(case);
    if context.fail_on_assumed {
        let status = if crate::verdict::fails_on_assumed(outcome, context.gate()) {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(format!(
                    "{} decided on an assumption, --fail-on-assumed",
                    coverage.assumed
                ))
                .set_type("fail-on-assumed")
                .set_description(
                    numbers
                        .assumed
                        .iter()
                        .map(|d| {
                            format!(
                                "{} for {} {}: {}",
                                d.requirement,
                                d.subject.kind.as_str(),
                                d.subject.name,
                                d.because
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
            status
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new("decided on evidence", status);
        case.set_classname("halo-audit");
        suite.add_test_case(case);
    }
    suite
}

/// The report as XML; should writing it fail, an empty report saying why (still valid XML).
pub(super) fn xml(report: &Report) -> String {
    report.to_string().unwrap_or_else(|e| {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- halo-audit: the JUnit report could not be written: {e} -->\n<testsuites/>\n")
    })
}
