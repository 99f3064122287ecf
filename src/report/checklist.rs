//! Per-set checklists: the outcome regrouped as "what was checked, and how did it come out", for the
//! reporters that list checks rather than findings (JUnit, Markdown).
//!
//! Owns: which items a set's checklist has (one per requirement and subject evaluated, one per
//! baseline policy, one for a set's binding when it could not be evaluated, one per finding that
//! belongs to no requirement), their status, and which item each finding belongs to. Every finding
//! of the outcome belongs to exactly one item. It decides nothing the engine has not decided.

use crate::check::{
    Evaluation, Finding, Outcome, SetOutcome, SetState, Status, Subject, SubjectKind,
};
use crate::diag::{Code, Severity};
use crate::ruleset::RuleSet;

use super::Context;

/// How an item came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemStatus {
    Passed,
    Failed,
    Unverifiable,
    /// The set could not be evaluated at all (no active application bound, no application list).
    NotEvaluated,
}

impl ItemStatus {
    /// The lower-case words (`not evaluated`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Unverifiable => "unverifiable",
            Self::NotEvaluated => "not evaluated",
        }
    }
}

/// What an item checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A requirement evaluated for one subject.
    Requirement,
    /// A baseline policy (over the whole tenant).
    Policy,
    /// Whether the set is bound to an active application (only for sets that were not evaluated).
    Binding,
    /// A finding that belongs to no requirement (e.g. a scope no requirement needs).
    Finding,
}

/// One line of a checklist.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    pub kind: ItemKind,
    /// The requirement or policy id; `binding`; or, for a finding item, its code.
    pub id: String,
    pub title: String,
    /// Whom a requirement or finding item is about; `None` for policies and bindings.
    pub subject: Option<&'a Subject>,
    pub status: ItemStatus,
    /// The severity of the requirement or policy, or of the finding.
    pub severity: Severity,
    /// Passed only through an assumed scope implication.
    pub assumed: bool,
    /// What the requirement expects, in words.
    pub expected: Option<String>,
    /// Why the item was not evaluated or could not be decided, when no finding says it.
    pub reason: Option<String>,
    /// The findings that belong to this item, in the outcome's order.
    pub findings: Vec<&'a Finding>,
}

/// A set's checklist.
#[derive(Debug, Clone)]
pub struct Checklist<'a> {
    pub set: &'a SetOutcome,
    pub items: Vec<Item<'a>>,
}

impl Checklist<'_> {
    /// Number of items with a status.
    #[must_use]
    pub fn count(&self, status: ItemStatus) -> usize {
        self.items.iter().filter(|i| i.status == status).count()
    }

    /// True when a requirement is evaluated for several subjects, so item names need the subject.
    #[must_use]
    pub fn several_subjects(&self, requirement: &str) -> bool {
        self.items
            .iter()
            .filter(|i| i.kind == ItemKind::Requirement && i.id == requirement)
            .nth(1)
            .is_some()
    }
}

/// The checklists of every set that ran or was asked for, in the outcome's set order. Sets not in
/// use (no binding matches, not asked for) have none.
#[must_use]
pub fn checklists<'a>(outcome: &'a Outcome, context: &Context<'a>) -> Vec<Checklist<'a>> {
    let mut lists: Vec<Checklist<'a>> = outcome
        .sets
        .iter()
        .filter(|set| !matches!(set.state, SetState::NotInUse))
        .map(|set| Checklist {
            set,
            items: items(set, context.library.get(&set.id), context),
        })
        .collect();
    for finding in &outcome.findings {
        let Some(list) = lists
            .iter_mut()
            .find(|l| l.set.id == finding.requirement_set)
        else {
            continue;
        };
        let home = home(&list.items, finding, context);
        match home {
            Some(index) => list.items[index].findings.push(finding),
            None => list.items.push(finding_item(finding)),
        }
    }
    for list in &mut lists {
        for item in &mut list.items {
            if matches!(item.kind, ItemKind::Policy) {
                item.status = policy_status(&item.findings);
            }
        }
    }
    lists
}

fn items<'a>(
    set: &'a SetOutcome,
    rules: Option<&'a RuleSet>,
    context: &Context<'a>,
) -> Vec<Item<'a>> {
    let binding = |status: ItemStatus, reason: String| {
        vec![Item {
            kind: ItemKind::Binding,
            id: "binding".to_owned(),
            title: "an active application is bound to the set".to_owned(),
            subject: None,
            status,
            severity: Code::BindingNotFound.default_severity(),
            assumed: false,
            expected: None,
            reason: Some(reason),
            findings: Vec::new(),
        }]
    };
    match &set.state {
        SetState::Evaluated { .. } => set
            .evaluations
            .iter()
            .map(|e| evaluation_item(e, rules, context))
            .collect(),
        SetState::Baseline => rules
            .map(|r| r.policies.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|p| Item {
                kind: ItemKind::Policy,
                id: p.id.clone(),
                title: p.title.clone(),
                subject: None,
                status: ItemStatus::Passed,
                severity: p.severity,
                assumed: false,
                expected: None,
                reason: None,
                findings: Vec::new(),
            })
            .collect(),
        SetState::BindingNotFound => binding(
            ItemStatus::Failed,
            "no active API application matches the set's binding".to_owned(),
        ),
        SetState::NotEvaluable { reason } => binding(ItemStatus::Unverifiable, reason.clone()),
        SetState::OnlyInactive { applications } => binding(
            ItemStatus::NotEvaluated,
            format!(
                "only inactive applications match the set's binding: {}",
                applications.join(", ")
            ),
        ),
        SetState::NotInUse => Vec::new(),
    }
}

fn evaluation_item<'a>(
    evaluation: &'a Evaluation,
    rules: Option<&'a RuleSet>,
    context: &Context<'a>,
) -> Item<'a> {
    let expected = rules
        .and_then(|r| {
            r.requirements
                .iter()
                .find(|q| q.id == evaluation.requirement)
        })
        .map(|q| q.expected_text(context.catalog));
    Item {
        kind: ItemKind::Requirement,
        id: evaluation.requirement.clone(),
        title: evaluation.title.clone(),
        subject: Some(&evaluation.subject),
        status: match evaluation.status {
            Status::Passed => ItemStatus::Passed,
            Status::Missing | Status::Excessive => ItemStatus::Failed,
            Status::Unverifiable => ItemStatus::Unverifiable,
        },
        severity: evaluation.severity,
        assumed: evaluation.assumed,
        expected,
        reason: None,
        findings: Vec::new(),
    }
}

fn finding_item(finding: &Finding) -> Item<'_> {
    Item {
        kind: ItemKind::Finding,
        id: finding.code.as_str().to_owned(),
        title: match &finding.permission {
            Some(permission) => format!("{}: {permission}", finding.code.summary()),
            None => finding.code.summary().to_owned(),
        },
        subject: Some(&finding.subject),
        status: if finding.code == Code::Unverifiable {
            ItemStatus::Unverifiable
        } else {
            ItemStatus::Failed
        },
        severity: finding.severity,
        assumed: false,
        expected: finding.expected.clone(),
        reason: None,
        findings: vec![finding],
    }
}

/// A policy fails on any finding but `unverifiable`; with only those, it is unverifiable.
fn policy_status(findings: &[&Finding]) -> ItemStatus {
    if findings.iter().any(|f| f.code != Code::Unverifiable) {
        ItemStatus::Failed
    } else if findings.is_empty() {
        ItemStatus::Passed
    } else {
        ItemStatus::Unverifiable
    }
}

/// The item a finding belongs to: its requirement evaluated for its subject (or, for a note about
/// an application, for that application's login agent), its policy, or the set's binding.
fn home(items: &[Item<'_>], finding: &Finding, context: &Context<'_>) -> Option<usize> {
    let Some(requirement) = finding.requirement.as_deref() else {
        return items.iter().position(|i| i.kind == ItemKind::Binding);
    };
    let same = |i: &&Item<'_>| {
        matches!(i.kind, ItemKind::Requirement | ItemKind::Policy) && i.id == requirement
    };
    let candidates: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, i)| same(i))
        .map(|(n, _)| n)
        .collect();
    let login_agent = (finding.subject.kind == SubjectKind::Application)
        .then(|| {
            context
                .tenant
                .applications()
                .iter()
                .find(|a| a.id == finding.subject.id)
                .and_then(|a| a.login_agent_id)
        })
        .flatten();
    candidates
        .iter()
        .copied()
        .find(|n| items[*n].subject.is_none_or(|s| *s == finding.subject))
        .or_else(|| {
            candidates.iter().copied().find(|n| {
                items[*n].subject.is_some_and(|s| {
                    s.kind == SubjectKind::Agent
                        && login_agent.is_some_and(|id| id.to_string() == s.id)
                })
            })
        })
        .or_else(|| candidates.first().copied())
}
