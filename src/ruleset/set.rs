//! The validated requirement sets: what a set, a requirement and a policy hold once checked, and
//! the library of every set loaded.

use std::collections::BTreeMap;

use crate::catalog::{Catalog, PermRef};
use crate::diag::Severity;

/// Where a rule element was written.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema,
)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
}

/// Whether a set audits integrations or the whole tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    Integration,
    Baseline,
}

/// What a requirement expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A flag or scope must be granted.
    Granted,
    /// A flag or scope must not be granted (granting it is excessive).
    NotGranted,
    /// A level at least this (index into the permission's levels); higher is excessive unless allowed.
    AtLeast { level: usize, allow_higher: bool },
    /// A level at most this.
    AtMost(usize),
}

/// A validated requirement.
#[derive(Debug, Clone)]
pub struct Requirement {
    pub id: String,
    pub title: String,
    pub permission: PermRef,
    /// Canonical key of the permission.
    pub key: String,
    pub expect: Expect,
    pub severity: Severity,
    pub rationale: Option<String>,
    pub ambiguity: Option<String>,
    /// When set, the requirement applies only under this condition (see the rule format).
    pub condition: Option<String>,
    pub quote: String,
    pub source_url: Option<String>,
    pub location: Location,
}

impl Requirement {
    /// What the requirement expects, in words: `granted`, `not granted`, `Read Only`,
    /// `at least Read Only`, `at most Read Only`.
    #[must_use]
    pub fn expected_text(&self, catalog: &Catalog) -> String {
        let perm = match &self.permission {
            PermRef::Agent(i) => catalog.permissions.get(*i),
            PermRef::Scope(_) | PermRef::Role(_) => None,
        };
        let level = |l: usize| perm.map_or_else(|| l.to_string(), |p| catalog.level_label(p, l));
        match self.expect {
            Expect::Granted => "granted".to_owned(),
            Expect::NotGranted => "not granted".to_owned(),
            Expect::AtLeast {
                level: l,
                allow_higher: true,
            } => format!("at least {}", level(l)),
            Expect::AtLeast {
                level: l,
                allow_higher: false,
            } => level(l),
            Expect::AtMost(l) => format!("at most {}", level(l)),
        }
    }
}

/// The built-in checks a baseline policy can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PolicyCheck {
    BroadScopeUnneeded,
    LoginAgentDisabled,
    LoginAgentMissing,
    AdminApiAgent,
    InactiveAppWithScopes,
    DeleteTicketsUnneeded,
    SuspiciousEmptyList,
    CreateRolesUnneeded,
    SqlDataSourcesUnneeded,
    PasswordFieldsUnneeded,
    ImpersonationIntegration,
    ImpersonationPeople,
    AdminWithout2fa,
    StalePrivilegedAgent,
    AdministratorCount,
    LoginAgentWebSignIn,
    SharedLoginAgent,
}

impl PolicyCheck {
    pub(super) const ALL: [(&'static str, PolicyCheck); 17] = [
        ("broad-scope-unneeded", Self::BroadScopeUnneeded),
        ("login-agent-disabled", Self::LoginAgentDisabled),
        ("login-agent-missing", Self::LoginAgentMissing),
        ("admin-api-agent", Self::AdminApiAgent),
        ("inactive-app-with-scopes", Self::InactiveAppWithScopes),
        ("delete-tickets-unneeded", Self::DeleteTicketsUnneeded),
        ("suspicious-empty-list", Self::SuspiciousEmptyList),
        ("create-roles-unneeded", Self::CreateRolesUnneeded),
        ("sql-data-sources-unneeded", Self::SqlDataSourcesUnneeded),
        ("password-fields-unneeded", Self::PasswordFieldsUnneeded),
        ("impersonation-integration", Self::ImpersonationIntegration),
        ("impersonation-people", Self::ImpersonationPeople),
        ("admin-without-2fa", Self::AdminWithout2fa),
        ("stale-privileged-agent", Self::StalePrivilegedAgent),
        ("administrator-count", Self::AdministratorCount),
        ("login-agent-web-sign-in", Self::LoginAgentWebSignIn),
        ("shared-login-agent", Self::SharedLoginAgent),
    ];

    pub(super) fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
    }

    /// The finding code this check emits.
    #[must_use]
    pub fn code(self) -> crate::diag::Code {
        use crate::diag::Code;
        match self {
            Self::BroadScopeUnneeded => Code::BroadScopeUnneeded,
            Self::LoginAgentDisabled => Code::LoginAgentDisabled,
            Self::LoginAgentMissing => Code::LoginAgentMissing,
            Self::AdminApiAgent => Code::AdminApiAgent,
            Self::InactiveAppWithScopes => Code::InactiveAppWithScopes,
            Self::DeleteTicketsUnneeded => Code::DeleteTicketsUnneeded,
            Self::SuspiciousEmptyList => Code::SuspiciousEmptyList,
            Self::CreateRolesUnneeded => Code::CreateRolesUnneeded,
            Self::SqlDataSourcesUnneeded => Code::SqlDataSourcesUnneeded,
            Self::PasswordFieldsUnneeded => Code::PasswordFieldsUnneeded,
            Self::ImpersonationIntegration => Code::ImpersonationIntegration,
            Self::ImpersonationPeople => Code::ImpersonationPeople,
            Self::AdminWithout2fa => Code::AdminWithout2fa,
            Self::StalePrivilegedAgent => Code::StalePrivilegedAgent,
            Self::AdministratorCount => Code::AdministratorCount,
            Self::LoginAgentWebSignIn => Code::LoginAgentWebSignIn,
            Self::SharedLoginAgent => Code::SharedLoginAgent,
        }
    }

    /// For a check on one right of integration agents: the catalog key of that right.
    #[must_use]
    pub fn agent_right(self) -> Option<&'static str> {
        match self {
            Self::DeleteTicketsUnneeded => Some("ticket.can_delete"),
            Self::CreateRolesUnneeded => Some("create.roles"),
            Self::SqlDataSourcesUnneeded => Some("create.sql_data_sources"),
            Self::PasswordFieldsUnneeded => Some("general.view_passwords"),
            Self::ImpersonationIntegration => Some("security.impersonate_users"),
            _ => None,
        }
    }
}

/// A validated tenant-wide policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub id: String,
    pub title: String,
    pub check: PolicyCheck,
    pub severity: Severity,
    pub rationale: String,
    pub scopes: Vec<String>,
    /// The thresholds of the hygiene checks, as the configuration sets them (`baseline:` in
    /// halo-audit.yaml); `None` keeps the check's default.
    pub thresholds: Thresholds,
    pub location: Location,
}

/// The thresholds of the baseline's hygiene checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Thresholds {
    /// `stale-privileged-agent`: days without a sign-in (default 90).
    pub stale_sign_in_days: Option<u32>,
    /// `administrator-count`: the least and the most administrators (default 2 and 4).
    pub administrators: Option<(u32, u32)>,
}

impl Thresholds {
    /// Days without a sign-in after which a privileged agent is stale.
    #[must_use]
    pub fn stale_days(&self) -> u32 {
        self.stale_sign_in_days.unwrap_or(90)
    }

    /// The range of administrators expected.
    #[must_use]
    pub fn admin_range(&self) -> (u32, u32) {
        self.administrators.unwrap_or((2, 4))
    }
}

/// A choice between requirements of a set.
#[derive(Debug, Clone)]
pub struct Alternative {
    pub id: String,
    pub title: String,
    /// Each option: the ids of the requirements it needs.
    pub options: Vec<Vec<String>>,
    pub rationale: Option<String>,
    pub location: Location,
}

impl Alternative {
    /// True when `requirement` is one of the options' requirements.
    #[must_use]
    pub fn mentions(&self, requirement: &str) -> bool {
        self.options.iter().flatten().any(|r| r == requirement)
    }
}

impl RuleSet {
    /// The alternative a requirement belongs to.
    #[must_use]
    pub fn alternative_of(&self, requirement: &str) -> Option<&Alternative> {
        self.alternatives.iter().find(|a| a.mentions(requirement))
    }
}

/// A vendor document a set was transcribed from.
#[derive(Debug, Clone)]
pub struct SourceDoc {
    pub url: String,
    pub title: Option<String>,
    pub retrieved: String,
}

/// A validated requirement set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub id: String,
    pub title: String,
    pub vendor: Option<String>,
    pub kind: SetKind,
    pub description: Option<String>,
    pub sources: Vec<SourceDoc>,
    /// Case-insensitive glob patterns on application display names.
    pub application_names: Vec<String>,
    pub client_ids: Vec<String>,
    /// Glob patterns on the login agent's name.
    pub login_agent_names: Vec<String>,
    pub excess_scopes: bool,
    pub excess_levels: bool,
    pub excess_severity: Severity,
    /// Severity of excess scopes (`excess.scope_severity`, else `excess.severity`).
    pub excess_scope_severity: Severity,
    /// Severity of levels above a requirement (`excess.level_severity`, else `excess.severity`).
    pub excess_level_severity: Severity,
    pub requirements: Vec<Requirement>,
    /// Choices between requirements: any one option is enough.
    pub alternatives: Vec<Alternative>,
    pub policies: Vec<Policy>,
    pub notes: Vec<String>,
    pub location: Location,
    /// True for sets shipped with halo-audit.
    pub builtin: bool,
}

impl RuleSet {
    /// True when the set's default binding matches an application.
    #[must_use]
    pub fn binds(
        &self,
        display_name: &str,
        client_id: Option<&str>,
        login_agent_name: Option<&str>,
    ) -> bool {
        self.application_names
            .iter()
            .any(|p| glob_match(p, display_name))
            || client_id
                .is_some_and(|id| self.client_ids.iter().any(|c| c.eq_ignore_ascii_case(id)))
            || login_agent_name
                .is_some_and(|n| self.login_agent_names.iter().any(|p| glob_match(p, n)))
    }
}

/// Case-insensitive glob with `*` and `?`.
#[must_use]
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        // A `*` of the pattern is a wildcard even where the text holds a `*` too.
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// All loaded sets, sorted by id.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub sets: Vec<RuleSet>,
    /// The text of every loaded rule file, by the name locations use (for rendering snippets),
    /// with the userinfo of its URLs masked ([`masked_userinfo`]).
    pub files: BTreeMap<String, String>,
    /// What the files hold that every command accepts but `rules validate` refuses: a source URL
    /// with userinfo (`https://user:password@host/...`, printed everywhere as `https://***@host/...`).
    pub flagged: std::sync::Arc<Vec<crate::ruleset::RuleProblem>>,
}

impl Library {
    /// The library as `rules validate` accepts it: an error carrying every flagged problem.
    ///
    /// # Errors
    /// [`crate::ruleset::RulesError::Invalid`] when anything was flagged.
    pub fn strict(self) -> Result<Self, crate::ruleset::RulesError> {
        if self.flagged.is_empty() {
            return Ok(self);
        }
        let problems = std::sync::Arc::try_unwrap(self.flagged)
            .unwrap_or_else(|shared| shared.iter().map(RuleProblemCopy::copy).collect());
        Err(crate::ruleset::RulesError::Invalid { problems })
    }
}

/// A copy of a problem (miette's diagnostics are not `Clone`).
trait RuleProblemCopy {
    fn copy(&self) -> Self;
}

impl RuleProblemCopy for crate::ruleset::RuleProblem {
    fn copy(&self) -> Self {
        Self {
            message: self.message.clone(),
            src: miette::NamedSource::new(self.src.name(), self.src.inner().clone()),
            span: self.span,
            label: self.label.clone(),
            help: self.help.clone(),
            location: self.location.clone(),
        }
    }
}

impl Library {
    /// The hint for an unknown set id: the close ids (`did you mean `cloud-depot`?`), else where to
    /// find the ids.
    #[must_use]
    pub fn unknown_set_help(&self, id: &str) -> String {
        let ids: Vec<&str> = self.sets.iter().map(|s| s.id.as_str()).collect();
        let folded = id.replace(['-', '_', ' '], "").to_lowercase();
        let close: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|s| {
                crate::catalog::edit_distance(s, id) <= 3
                    || s.contains(id)
                    || s.replace('-', "") == folded
            })
            .collect();
        if close.is_empty() {
            format!(
                "`halo-audit rules list` shows the {} sets available",
                ids.len()
            )
        } else {
            format!(
                "did you mean {}?",
                close
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }

    /// The set with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&RuleSet> {
        self.sets.iter().find(|s| s.id == id)
    }
}

/// `url` with the userinfo of its authority (`user:password@`) shown as `***@`
/// (`http://***@host/path`), as every output prints a rule's source URL: the rule file is shared and
/// its URLs reach reports (SARIF `helpUri` goes to code scanning). Borrowed when there is none.
#[must_use]
pub fn redacted_url(url: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else {
        return std::borrow::Cow::Borrowed(url);
    };
    let start = scheme_end + 3;
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => std::borrow::Cow::Owned(format!("{}***{}", &url[..start], &url[start + at..])),
        None => std::borrow::Cow::Borrowed(url),
    }
}

/// `text` (a whole YAML file) with the userinfo of every URL in it (`user:password@` after
/// `scheme://`) masked by as many `*` as it has bytes, so that a diagnostic quoting the file's
/// lines prints no password while every place in the file keeps its offset. Borrowed when no URL
/// holds userinfo.
#[must_use]
pub fn masked_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    let mut masks = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let start = from + found + 3;
        let rest = &text[start..];
        let end = rest
            .find(|c: char| {
                matches!(
                    c,
                    '/' | '?' | '#' | '"' | '\'' | '}' | ']' | ',' | '>' | '<' | '`'
                ) || c.is_whitespace()
            })
            .unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            masks.push(start..start + at);
        }
        from = start;
    }
    if masks.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for range in masks {
        for b in &mut bytes[range] {
            *b = b'*';
        }
    }
    // Whole characters were replaced by ASCII: still UTF-8.
    std::borrow::Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
}
