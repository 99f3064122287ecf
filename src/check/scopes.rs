//! Scope requirements: whether an application's scopes grant what a requirement needs (through
//! the catalog's scope lattice), and the scopes it holds beyond what its sets need.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Confidence, PermRef};
use crate::diag::{Code, Severity};
use crate::ruleset::{Expect, Requirement, RuleSet};
use crate::tenant::Application;

use super::finding::{Basis, Evaluation, Finding, Grade, Status, Subject};
use super::{Run, applies_only_if, missing_severity, only_if};

impl Run<'_> {
    pub(super) fn scope_requirement(
        &mut self,
        set: &RuleSet,
        requirement: &Requirement,
        app: &Application,
        scope: &str,
    ) -> Evaluation {
        let subject = Subject::application(app);
        let Some(held) = app.scopes.as_ref() else {
            let mut f = self.finding(
                set,
                requirement,
                subject.clone(),
                Code::Unverifiable,
                Code::Unverifiable.default_severity(),
                format!(
                    "the scopes of application `{}` are not in the snapshot",
                    app.name
                ),
            );
            f.help = Some(
                "fetch the application's details (`/api/Application/{id}?includedetails=true`)"
                    .to_owned(),
            );
            self.findings.push(f);
            return Evaluation::new(set, requirement, subject, Status::Unverifiable);
        };
        let grant = self.catalog.scope_grant(held.iter(), scope);
        let where_ = format!(
            "Configuration > Integrations > HaloPSA API > View Applications > {} > Permissions",
            app.name
        );
        let actual = if held.is_empty() {
            "no scopes".to_owned()
        } else {
            held.join(", ")
        };
        match (requirement.expect, grant) {
            (Expect::Granted, None) => {
                let mut f = self.finding(
                    set,
                    requirement,
                    subject.clone(),
                    Code::MissingGrant,
                    missing_severity(requirement),
                    format!(
                        "application `{}` lacks scope `{scope}`: {}{}",
                        app.name,
                        requirement.title,
                        only_if(requirement)
                    ),
                );
                f.actual = Some(actual);
                f.help = Some(format!("tick `{scope}` in {where_}"));
                self.findings.push(f);
                Evaluation::new(set, requirement, subject, Status::Missing)
            }
            (Expect::Granted, Some(grant)) => {
                let mut evaluation =
                    Evaluation::new(set, requirement, subject.clone(), Status::Passed);
                if grant.confidence == Confidence::Assumed {
                    let mut f = self.finding(set, requirement, subject, Code::SatisfiedByAssumption, Severity::Note, format!("application `{}` has `{scope}` only through `{}`, assumed to include it", app.name, grant.chain.first().map_or("", String::as_str)));
                    f.chain = vec![format!("scope chain: {}", grant.chain.join(" ⊇ "))];
                    f.assumptions = grant.notes.clone();
                    f.actual = Some(actual);
                    f.help = Some(format!(
                        "to rely on a documented grant instead, tick `{scope}` in {where_}"
                    ));
                    self.findings.push(f);
                    evaluation.assumed = true;
                    evaluation.evidence = Basis::because(
                        Grade::Assumed,
                        format!(
                            "`{}` is assumed to include `{scope}`",
                            grant.chain.first().map_or("", String::as_str)
                        ),
                    );
                } else if !grant.is_direct() {
                    evaluation.evidence = Basis::because(
                        Grade::Implied,
                        format!("scope chain: {}", grant.chain.join(" ⊇ ")),
                    );
                }
                evaluation
            }
            (Expect::NotGranted, None) => {
                Evaluation::new(set, requirement, subject, Status::Passed)
            }
            (Expect::NotGranted, Some(grant)) => {
                let mut f = self.finding(
                    set,
                    requirement,
                    subject.clone(),
                    Code::ExcessiveGrant,
                    missing_severity(requirement),
                    format!(
                        "application `{}` holds `{scope}`{}, which {} says it must not have{}",
                        app.name,
                        if grant.is_direct() {
                            String::new()
                        } else {
                            format!(
                                " through `{}`",
                                grant.chain.first().map_or("", String::as_str)
                            )
                        },
                        set.title,
                        applies_only_if(requirement)
                    ),
                );
                f.actual = Some(actual);
                f.chain = vec![format!("scope chain: {}", grant.chain.join(" ⊇ "))];
                f.help = Some(format!(
                    "remove `{}` in {where_}",
                    grant.chain.first().map_or(scope, String::as_str)
                ));
                self.findings.push(f);
                Evaluation::new(set, requirement, subject, Status::Excessive)
            }
            (Expect::AtLeast { .. } | Expect::AtMost(_), _) => {
                Evaluation::new(set, requirement, subject, Status::Unverifiable)
            }
        }
    }

    /// Scopes an application holds that no set bound to it needs.
    pub(super) fn excess_scopes(&mut self, bound: &BTreeMap<String, Vec<&RuleSet>>) {
        for app in self.tenant.applications() {
            let Some(sets) = bound.get(&app.id) else {
                continue;
            };
            let reporting: Vec<&&RuleSet> = sets.iter().filter(|s| s.excess_scopes).collect();
            let Some(first) = reporting.first() else {
                continue;
            };
            let Some(held) = &app.scopes else { continue };
            // The scopes the bound sets' requirements name with an expectation.
            let scopes_expected = |expect: Expect| -> BTreeSet<&str> {
                sets.iter()
                    .flat_map(|s| s.requirements.iter())
                    .filter(|r| r.expect == expect)
                    .filter_map(|r| match &r.permission {
                        PermRef::Scope(s) => Some(s.as_str()),
                        PermRef::Agent(_) | PermRef::Role(_) => None,
                    })
                    .collect()
            };
            let needed = scopes_expected(Expect::Granted);
            // A scope a requirement forbids is reported by that requirement, not a second time here.
            let forbidden = scopes_expected(Expect::NotGranted);
            // Once per application, bounded: repeated in each excess finding, it must not grow
            // with the square of the number of scopes.
            let held_text = crate::text::bounded_list(held, ", ");
            for scope in held
                .iter()
                .filter(|s| !needed.contains(s.as_str()) && !forbidden.contains(s.as_str()))
            {
                let names: Vec<&str> = reporting.iter().map(|s| s.title.as_str()).collect();
                let covered: Vec<&str> = needed
                    .iter()
                    .copied()
                    .filter(|n| {
                        let one = [scope.clone()];
                        self.catalog.scope_grant(one.iter(), n).is_some()
                    })
                    .collect();
                let mut message = format!(
                    "application `{}` holds `{scope}`, which no requirement of {} needs",
                    app.name,
                    names.join(", ")
                );
                if !self.catalog.is_scope(scope) {
                    message.push_str(" (and which is not a scope halo-audit knows)");
                }
                let help = if covered.is_empty() {
                    format!(
                        "remove `{scope}` in Configuration > Integrations > HaloPSA API > View Applications > {} > Permissions",
                        app.name
                    )
                } else {
                    format!(
                        "`{scope}` is broader than needed: it stands in for {}; grant those instead and remove `{scope}`",
                        covered
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                self.findings.push(Finding {
                    code: Code::ExcessiveGrant,
                    severity: first.excess_scope_severity,
                    requirement_set: first.id.clone(),
                    requirement: None,
                    subject: Subject::application(app),
                    permission: Some(format!("scope:{scope}")),
                    expected: Some(if needed.is_empty() {
                        "no scopes".to_owned()
                    } else {
                        needed.iter().copied().collect::<Vec<_>>().join(", ")
                    }),
                    actual: Some(held_text.clone()),
                    message,
                    chain: Vec::new(),
                    assumptions: Vec::new(),
                    help: Some(help),
                    rule_location: Some(first.location.clone()),
                    waiver: None,
                });
            }
        }
    }
}
