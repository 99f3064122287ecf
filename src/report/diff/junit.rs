//! The JUnit report of `halo-audit diff` (with `quick-junit`, written as `check`'s is).
//!
//! A test suite per kind of subject (`applications`, `agents`, `teams`, `roles`), a test case per
//! change, named after its kind and permission and classed by its subject (`application/Docs
//! Sync`). With `--fail-on-drift` the widened changes fail; every other change passes with its
//! text in `system-out`. What could not be compared is a skipped test case in a suite of its own.
//! No timestamps or durations: the same inputs give the same bytes.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::check::SubjectKind;
use crate::diff::{Change, Diff};

const SUITES: [(SubjectKind, &str); 4] = [
    (SubjectKind::Application, "applications"),
    (SubjectKind::Agent, "agents"),
    (SubjectKind::Team, "teams"),
    (SubjectKind::Role, "roles"),
];

fn test_case(change: &Change, fail_on_drift: bool) -> TestCase {
    let name = match &change.permission {
        Some(permission) => format!("{} {permission}", super::kind_name(change.kind)),
        None => super::kind_name(change.kind),
    };
    let text = format!("[{}] {}", change.class.as_str(), super::plain_text(change));
    // `--fail-on-drift` exits 1 on any change: every change is then a failure, so the report has
    // failures exactly when the exit code is 1.
    let failing = fail_on_drift;
    let status = if failing {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(change.message.as_str())
            .set_type(super::rule_id(change.kind))
            .set_description(text.as_str());
        status
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(crate::report::qualified_name(&change.subject));
    if !failing {
        case.set_system_out(text);
    }
    case
}

fn suite(name: &str, paths: (&str, &str)) -> TestSuite {
    let mut suite = TestSuite::new(name);
    suite.add_property(Property::new("old", paths.0));
    suite.add_property(Property::new("new", paths.1));
    suite
}

/// Renders the JUnit report; `fail_on_drift` makes the widened changes failures.
#[must_use]
pub fn render(diff: &Diff, paths: (&str, &str), fail_on_drift: bool) -> String {
    let mut report = Report::new("halo-audit diff");
    for (kind, name) in SUITES {
        let mut suite = suite(name, paths);
        suite.add_test_cases(
            diff.changes
                .iter()
                .filter(|c| c.subject.kind == kind)
                .map(|c| test_case(c, fail_on_drift)),
        );
        report.add_test_suite(suite);
    }
    if !diff.not_compared.is_empty() {
        let mut suite = suite("not compared", paths);
        suite.add_test_cases(diff.not_compared.iter().map(|item| {
            let mut status = TestCaseStatus::skipped();
            status
                .set_message(item.reason.as_str())
                .set_type("not-compared");
            let mut case = TestCase::new(item.what.as_str(), status);
            case.set_classname("not-compared");
            case
        }));
        report.add_test_suite(suite);
    }
    crate::report::junit::xml(&report)
}
