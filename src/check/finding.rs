//! Findings and per-set outcomes: the engine's output, the input of every reporter.

use serde::Serialize;

use crate::diag::{Code, Severity};
use crate::ruleset::{Location, Requirement, RuleSet};
use crate::tenant::{Agent, Application, Tenant};

/// What a finding is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Application,
    Agent,
    Team,
    Role,
    Tenant,
}

impl SubjectKind {
    /// The lower-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::Agent => "agent",
            Self::Team => "team",
            Self::Role => "role",
            Self::Tenant => "tenant",
        }
    }
}

/// A Halo object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: String,
    pub name: String,
}

impl Subject {
    /// An API application.
    #[must_use]
    pub fn application(app: &Application) -> Self {
        Self {
            kind: SubjectKind::Application,
            id: app.id.clone(),
            name: app.name.clone(),
        }
    }

    /// An agent.
    #[must_use]
    pub fn agent(agent: &Agent) -> Self {
        Self {
            kind: SubjectKind::Agent,
            id: agent.id.to_string(),
            name: agent.name.clone(),
        }
    }

    /// The tenant as a whole.
    #[must_use]
    pub fn tenant(tenant: &Tenant) -> Self {
        let name = tenant
            .provenance
            .tenant
            .clone()
            .or_else(|| tenant.provenance.instance.clone())
            .unwrap_or_else(|| "tenant".to_owned());
        Self {
            kind: SubjectKind::Tenant,
            id: name.clone(),
            name,
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            SubjectKind::Tenant => write!(f, "tenant {}", self.name),
            kind => write!(f, "{} {} (id {})", kind.as_str(), self.name, self.id),
        }
    }
}

/// The sort key of a finding: set, rule location, subject, code, permission, message.
pub type SortKey = (
    String,
    Option<(String, usize, usize)>,
    Subject,
    Code,
    Option<String>,
    String,
);

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub requirement_set: String,
    pub requirement: Option<String>,
    pub subject: Subject,
    /// Canonical permission key.
    pub permission: Option<String>,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub message: String,
    /// How the actual value was decided: each role, claim, field or scope implication involved.
    pub chain: Vec<String>,
    /// Assumptions the finding rests on.
    pub assumptions: Vec<String>,
    /// The fix, in Halo's UI words.
    pub help: Option<String>,
    pub rule_location: Option<Location>,
    /// The waiver that accepted this finding (it is then a note that never fails a run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverNote>,
}

/// Why a finding is accepted, from the configuration's waiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct WaiverNote {
    pub reason: String,
    pub owner: String,
    /// YYYY-MM-DD, the last day the waiver applies.
    pub expires: String,
    /// Where the waiver is written (`halo-audit.yaml:12`).
    pub location: String,
}

impl Finding {
    /// The deterministic order of findings: by set, rule location, subject, code, permission.
    #[must_use]
    pub fn sort_key(&self) -> SortKey {
        (
            self.requirement_set.clone(),
            self.rule_location
                .as_ref()
                .map(|l| (l.path.clone(), l.line, l.column)),
            self.subject.clone(),
            self.code,
            self.permission.clone(),
            self.message.clone(),
        )
    }

    /// A stable identity (set, requirement, subject kind and id, permission, code), independent of
    /// message wording; used by baselines and waivers.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        format!(
            "{}|{}|{}|{}:{}|{}",
            self.code.as_str(),
            self.requirement_set,
            self.requirement.as_deref().unwrap_or("-"),
            self.subject.kind.as_str(),
            self.subject.id,
            self.permission.as_deref().unwrap_or("-"),
        )
    }
}

/// How a requirement came out for one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Missing,
    Excessive,
    Unverifiable,
}

impl Status {
    /// The lower-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Missing => "missing",
            Self::Excessive => "excessive",
            Self::Unverifiable => "unverifiable",
        }
    }
}

/// What a decision rests on, from firmest to weakest; `Undecided` when there is no decision.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// A claim, field, role or scope seen in the snapshot.
    Seen,
    /// Implied by something seen: a scope that includes the one required, the agent's team or
    /// role lists.
    Implied,
    /// A permission defined by the user's catalog overlay (`--catalog`): the overlay, not the
    /// shipped catalog, says how to read it.
    Overlay,
    /// An assumption: an absent claim read as the lowest value ("Not set"), a scope implication or
    /// a claim mapping the catalog marks assumed.
    Assumed,
    /// Not decided (`unverifiable`).
    Undecided,
}

impl Grade {
    /// `seen`, `implied`, `overlay`, `assumed`, `undecided`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seen => "seen",
            Self::Implied => "implied",
            Self::Overlay => "overlay",
            Self::Assumed => "assumed",
            Self::Undecided => "undecided",
        }
    }
}

/// What a decision rests on, and in plain words why when it is not plainly seen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
pub struct Basis {
    pub grade: Grade,
    /// "no Ux claim on the agent or its roles: read as No Access", "catalog overlay
    /// mine.yaml:3", "`all:standard` includes `read:tickets`".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
}

impl Basis {
    /// A basis without words.
    #[must_use]
    pub fn plain(grade: Grade) -> Self {
        Self {
            grade,
            because: None,
        }
    }

    /// A basis with its reason.
    #[must_use]
    pub fn because(grade: Grade, why: impl Into<String>) -> Self {
        Self {
            grade,
            because: Some(why.into()),
        }
    }
}

/// One requirement evaluated for one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Evaluation {
    pub requirement: String,
    pub title: String,
    pub permission: String,
    pub subject: Subject,
    pub status: Status,
    /// Passed only through an assumed scope implication.
    pub assumed: bool,
    pub severity: Severity,
    /// What the decision rests on.
    pub evidence: Basis,
    /// A conditional requirement that is not met: it applies only when the tenant uses the
    /// feature it names, so it counts as not applicable, not as missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_applicable: bool,
}

impl Evaluation {
    pub(crate) fn new(
        _set: &RuleSet,
        requirement: &Requirement,
        subject: Subject,
        status: Status,
    ) -> Self {
        Self {
            requirement: requirement.id.clone(),
            title: requirement.title.clone(),
            permission: requirement.key.clone(),
            subject,
            status,
            assumed: false,
            not_applicable: false,
            evidence: Basis::plain(if status == Status::Unverifiable {
                Grade::Undecided
            } else {
                Grade::Seen
            }),
            severity: if requirement.condition.is_some() {
                Severity::Note
            } else {
                requirement.severity
            },
        }
    }
}

/// Whether and how a set ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SetState {
    /// Bound to these active applications and evaluated.
    Evaluated { applications: Vec<Subject> },
    /// Not asked for and its default binding matches nothing.
    NotInUse,
    /// Its binding matches only inactive applications.
    OnlyInactive { applications: Vec<String> },
    /// Asked for, but matches nothing (a `binding-not-found` finding).
    BindingNotFound,
    /// The snapshot cannot tell (the application list is missing).
    NotEvaluable { reason: String },
    /// A baseline set (always runs).
    Baseline,
}

/// One set's outcome.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SetOutcome {
    pub id: String,
    pub title: String,
    pub vendor: Option<String>,
    pub source: Option<String>,
    #[serde(flatten)]
    pub state: SetState,
    pub evaluations: Vec<Evaluation>,
    /// How many of its requirements were decided, unverifiable, not applicable.
    pub coverage: super::Coverage,
    /// A baseline in readiness mode (`check --set X`): the only applications and agents whose
    /// findings it reports. `None`: the whole tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<Vec<Subject>>,
}

impl SetOutcome {
    pub(crate) fn new(set: &RuleSet, state: SetState) -> Self {
        Self {
            id: set.id.clone(),
            title: set.title.clone(),
            vendor: set.vendor.clone(),
            source: set
                .sources
                .first()
                .map(|s| crate::ruleset::redacted_url(&s.url).into_owned()),
            state,
            evaluations: Vec::new(),
            coverage: super::Coverage::default(),
            focus: None,
        }
    }

    /// What a baseline judged, in words: `whole tenant`, or in readiness mode `only application
    /// Cloud Depot, agent Cloud Depot API` (names are tenant data: the caller makes them safe).
    #[must_use]
    pub fn baseline_scope(&self) -> String {
        match &self.focus {
            None => "whole tenant".to_owned(),
            Some(subjects) if subjects.is_empty() => {
                "only the selected integrations, none found".to_owned()
            }
            Some(subjects) => format!(
                "only {}",
                subjects
                    .iter()
                    .map(|s| format!("{} {}", s.kind.as_str(), s.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Number of evaluations with a status.
    #[must_use]
    pub fn count(&self, status: Status) -> usize {
        self.evaluations
            .iter()
            .filter(|e| e.status == status)
            .count()
    }
}
