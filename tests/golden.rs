//! Golden cases: every directory under `fixtures/cases/` holds a `snapshot.json` and a `case.json`
//! describing the check to run and what must come out. Each case is rendered in every report
//! format and pinned with insta (`tests/snapshots/`), and its `expect` assertions are checked.
//!
//! `case.json`:
//! ```json
//! {
//!   "description": "what the case shows",
//!   "sets": ["cloud-depot"],              // as the configuration's `sets:` (optional; default: every
//!                                         // bound set); the baseline judges the whole tenant
//!   "rules": "rules",                      // optional extra rules dir, relative to the case
//!   "expect": {
//!     "findings": [{"code": "missing-grant", "requirement": "cloud-depot.feature.invoices", "subject_kind": "agent"}],
//!     "absent": [{"code": "excessive-grant", "requirement_set": "cloud-depot"}],
//!     "clean_sets": ["cloud-depot"],       // no finding of these sets except notes
//!     "unreadable": ["msportal.feature.segments"], // ... and `unverifiable` on these requirements,
//!                                           // whose setting no known claim carries
//!     "exit": 1                             // with --fail-on error (3: nothing audited)
//!   }
//! }
//! ```
//! Update pinned output with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test golden`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clap::ValueEnum;
use halo_audit::catalog::Catalog;
use halo_audit::check;
use halo_audit::cli::{FailOn, Format};
use halo_audit::diag::Severity;
use halo_audit::report;
use halo_audit::ruleset;

use common::{Case, cases};

#[test]
fn golden_cases() {
    let dirs = cases();
    assert!(!dirs.is_empty(), "no cases under fixtures/cases");
    let mut failures = Vec::new();
    for dir in &dirs {
        let loaded = common::load(dir);
        let (name, case, outcome) = (&loaded.name, &loaded.case, &loaded.outcome);
        let context = common::context(&loaded, FailOn::Error);

        for format in Format::value_variants() {
            let text = report::render(*format, outcome, &context);
            let suffix = format
                .to_possible_value()
                .map(|v| v.get_name().to_owned())
                .unwrap();
            if *format == Format::Human {
                // The human report fits 80 columns (the width when not on a terminal).
                for line in text.lines().filter(|l| l.chars().count() > 80) {
                    failures.push(format!("{name}: human line over 80 columns: {line}"));
                }
            }
            insta::with_settings!({ snapshot_path => "snapshots/golden", prepend_module_to_snapshot => false, description => case.description.clone() }, {
                insta::assert_snapshot!(format!("{name}.{suffix}"), text);
            });
        }

        let exit = report::verdict(outcome, context.gate()).exit_code();
        if exit != case.expect.exit {
            failures.push(format!(
                "{name}: exit {exit}, expected {}",
                case.expect.exit
            ));
        }
        for pattern in &case.expect.findings {
            if !outcome.findings.iter().any(|f| pattern.matches(f)) {
                failures.push(format!("{name}: no finding matches {pattern:?}"));
            }
        }
        for pattern in &case.expect.absent {
            if let Some(f) = outcome
                .findings
                .iter()
                .find(|f| pattern.matches(f) && !unreadable_here(case, f))
            {
                failures.push(format!(
                    "{name}: unexpected finding {} {:?}: {}",
                    f.code.as_str(),
                    f.requirement,
                    f.message
                ));
            }
        }
        for set in &case.expect.clean_sets {
            for f in outcome
                .findings
                .iter()
                .filter(|f| &f.requirement_set == set && f.severity > Severity::Note)
                .filter(|f| !unreadable_here(case, f))
            {
                failures.push(format!(
                    "{name}: set {set} should be clean but has {} {:?}: {}",
                    f.code.as_str(),
                    f.requirement,
                    f.message
                ));
            }
            let evaluated = outcome.sets.iter().any(|s| {
                &s.id == set
                    && matches!(
                        s.state,
                        check::SetState::Evaluated { .. } | check::SetState::Baseline
                    )
            });
            if !evaluated {
                failures.push(format!("{name}: set {set} was not evaluated (binding?)"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "golden case expectations failed:\n{}",
        failures.join("\n")
    );
}

/// An `unverifiable` finding about a requirement the case lists as unreadable: the honest answer
/// there (no source gives the setting's stored value), so neither `absent` nor `clean_sets` counts it.
fn unreadable_here(case: &common::Case, f: &halo_audit::check::Finding) -> bool {
    f.code == halo_audit::diag::Code::Unverifiable
        && f.requirement
            .as_ref()
            .is_some_and(|r| case.expect.unreadable.contains(r))
}

/// Every shipped set has a case where it is clean and one where it reports a finding.
#[test]
fn every_shipped_set_has_a_passing_and_a_failing_case() {
    let catalog = Catalog::builtin().unwrap();
    let library = ruleset::load(&ruleset::builtin_files(), catalog).unwrap();
    let mut passing = std::collections::BTreeSet::new();
    let mut failing = std::collections::BTreeSet::new();
    for dir in cases() {
        let case: Case =
            serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap()).unwrap();
        passing.extend(case.expect.clean_sets.iter().cloned());
        for pattern in &case.expect.findings {
            let set = pattern.requirement_set.clone().or_else(|| {
                pattern
                    .requirement
                    .as_deref()
                    .and_then(|r| r.split('.').next())
                    .map(str::to_owned)
            });
            let counts = matches!(
                pattern.code.as_deref(),
                Some("missing-grant" | "excessive-grant" | "binding-not-found")
            ) || set.as_deref() == Some("baseline");
            if let (Some(set), true) = (set, counts) {
                failing.insert(set);
            }
        }
    }
    let missing: Vec<String> = library
        .sets
        .iter()
        .filter(|s| !passing.contains(&s.id) || !failing.contains(&s.id))
        .map(|s| {
            format!(
                "{} (passing case: {}, failing case: {})",
                s.id,
                passing.contains(&s.id),
                failing.contains(&s.id)
            )
        })
        .collect();
    assert!(
        missing.is_empty(),
        "sets without both cases in fixtures/cases: {missing:?}"
    );
}
