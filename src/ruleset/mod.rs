//! Requirement sets: the rule language, its loading and validation. The only YAML code besides the
//! catalog's data file.
//!
//! Owns: reading `rules/*.yaml` (and user rule directories) into a spanned raw model (phase one),
//! then validating it into [`RuleSet`]s while collecting *every* problem as a labelled diagnostic
//! pointing at file:line:col (phase two, cargo-deny style), and the published JSON Schema. It does
//! not evaluate anything against a tenant.

pub mod model;
pub mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};

use crate::catalog::{Catalog, Kind, PermRef};
use crate::diag::Severity;
use model::{RawBound, RawExpect, RawSet, Sp};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Where a rule element was written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
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
}

impl PolicyCheck {
    const ALL: [(&'static str, PolicyCheck); 10] = [
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
    ];

    fn parse(name: &str) -> Option<Self> {
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
    pub location: Location,
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
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
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
    /// The text of every loaded rule file, by the name locations use (for rendering snippets).
    pub files: BTreeMap<String, String>,
}

impl Library {
    /// The set with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&RuleSet> {
        self.sets.iter().find(|s| s.id == id)
    }
}

/// One rule file's text and the name to show for it.
#[derive(Debug, Clone)]
pub struct RuleFile {
    pub name: String,
    pub text: String,
    pub builtin: bool,
}

/// One problem in a rule file, pointing at its place.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct RuleProblem {
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    pub label: String,
    #[help]
    pub help: Option<String>,
    pub location: Location,
}

/// Rule loading failed; every problem found is included.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum RulesError {
    #[error("cannot read rules from {}: {cause}", path.display())]
    #[diagnostic(
        code(halo_audit::rules::read),
        help("check the path given to --rules; it must be a directory of *.yaml files or a file")
    )]
    Read {
        path: PathBuf,
        /// Printed in the message, not as a separate cause (which miette would print again).
        cause: std::io::Error,
    },
    #[error("cannot read the configuration file {}: {cause}", path.display())]
    #[diagnostic(
        code(halo_audit::config::read),
        help(
            "check the path given to --config or HALO_AUDIT_CONFIG; without either, halo-audit looks for halo-audit.yaml (or halo-audit.yml) from the current directory up to the repository root, and --no-config reads none"
        )
    )]
    ConfigRead {
        path: PathBuf,
        /// Printed in the message, not as a separate cause (which miette would print again).
        cause: std::io::Error,
    },
    #[error("two configuration files in {}: {DEFAULT_CONFIG} and {ALTERNATE_CONFIG}", dir.display())]
    #[diagnostic(
        code(halo_audit::config::ambiguous),
        help("keep one of them, or name the one to use with --config FILE")
    )]
    ConfigAmbiguous { dir: PathBuf },
    #[error("{} is {size} bytes, over the {limit}-byte limit for a YAML file", path.display())]
    #[diagnostic(
        code(halo_audit::rules::too_large),
        help(
            "a requirement set or configuration is a few kilobytes; check the path points at one"
        )
    )]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{}:{line}:{column}: the file is not UTF-8 text", path.display())]
    #[diagnostic(
        code(halo_audit::rules::not_utf8),
        help("save the file as UTF-8; YAML files are text, and the byte at that place is not")
    )]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    #[error("no rule files (*.yaml) in {}", path.display())]
    #[diagnostic(
        code(halo_audit::rules::empty),
        help(
            "point --rules at a directory holding requirement sets, e.g. the repository's rules/"
        )
    )]
    Empty { path: PathBuf },
    #[error("{} in rule files", plural(problems.len(), "problem"))]
    #[diagnostic(
        code(halo_audit::rules::invalid),
        help("fix each problem listed; `halo-audit rules validate PATH` re-checks")
    )]
    Invalid {
        #[related]
        problems: Vec<RuleProblem>,
    },
    #[error("{} in the configuration", plural(problems.len(), "problem"))]
    #[diagnostic(
        code(halo_audit::config::invalid),
        help("fix each problem listed; docs/config.md describes every member")
    )]
    InvalidConfig {
        #[related]
        problems: Vec<RuleProblem>,
    },
    #[error("{} in the catalog overlay", plural(problems.len(), "problem"))]
    #[diagnostic(
        code(halo_audit::catalog::overlay),
        help("fix each problem listed; docs/permissions.md describes catalog overlays")
    )]
    InvalidCatalog {
        #[related]
        problems: Vec<RuleProblem>,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The shipped rule files.
#[must_use]
pub fn builtin_files() -> Vec<RuleFile> {
    BUILTIN
        .iter()
        .map(|(name, text)| RuleFile {
            name: (*name).to_owned(),
            text: (*text).to_owned(),
            builtin: true,
        })
        .collect()
}

/// The configuration file's name ([`crate::config::DEFAULT_NAME`]).
const DEFAULT_CONFIG: &str = "halo-audit.yaml";
/// The configuration file's other accepted name.
const ALTERNATE_CONFIG: &str = "halo-audit.yml";

/// The name the JSON Schema of rule files is exported under, beside the sets (`rules export`).
pub const EXPORTED_SCHEMA: &str = "rules.schema.json";

/// The shipped sets as files to write into a directory of the user's: (file name, contents), each
/// starting with a `yaml-language-server` modeline naming [`EXPORTED_SCHEMA`] in the same
/// directory (the shipped files name the schema's place in halo-audit's own sources).
#[must_use]
pub fn exported_files() -> Vec<(String, String)> {
    let modeline = format!("# yaml-language-server: $schema=./{EXPORTED_SCHEMA}\n");
    BUILTIN
        .iter()
        .map(|(name, text)| {
            let file = name.rsplit('/').next().unwrap_or(name).to_owned();
            let body = match text.split_once('\n') {
                Some((first, rest)) if first.starts_with("# yaml-language-server:") => rest,
                _ => text,
            };
            (file, format!("{modeline}{body}"))
        })
        .collect()
}

/// The largest YAML file read (rule files, the configuration): the parser's own input budget.
pub const MAX_YAML_BYTES: u64 = 8 * 1024 * 1024;

/// Reads one YAML file: at most [`MAX_YAML_BYTES`], and UTF-8 text.
///
/// # Errors
/// [`RulesError::Read`], [`RulesError::TooLarge`] or [`RulesError::NotUtf8`].
pub fn read_file(path: &Path) -> Result<RuleFile, RulesError> {
    use std::io::Read;
    let failed = |cause| RulesError::Read {
        path: path.to_owned(),
        cause,
    };
    let file = crate::fsio::open_input(path).map_err(failed)?;
    let meta = file.metadata().map_err(failed)?;
    if meta.is_dir() {
        return Err(failed(std::io::Error::other("it is a directory")));
    }
    let too_large = |size| RulesError::TooLarge {
        path: path.to_owned(),
        size,
        limit: MAX_YAML_BYTES,
    };
    if meta.len() > MAX_YAML_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_YAML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_YAML_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        RulesError::NotUtf8 {
            path: path.to_owned(),
            line: good.iter().filter(|b| **b == b'\n').count() + 1,
            column: String::from_utf8_lossy(&good[line_start..]).chars().count() + 1,
        }
    })?;
    Ok(RuleFile {
        name: path.display().to_string(),
        // A byte-order mark is not part of the YAML.
        text: text
            .strip_prefix('\u{feff}')
            .map(str::to_owned)
            .unwrap_or(text),
        builtin: false,
    })
}

/// Reads rule files from a directory (`*.yaml`, `*.yml`, sorted) or a single file.
///
/// # Errors
/// When the path cannot be read, a rule file in it cannot be read, or a directory holds no rule
/// file.
pub fn read_path(path: &Path) -> Result<Vec<RuleFile>, RulesError> {
    let read = read_file;
    let meta = std::fs::metadata(path).map_err(|cause| RulesError::Read {
        path: path.to_owned(),
        cause,
    })?;
    if !meta.is_dir() {
        return Ok(vec![read(path)?]);
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|cause| RulesError::Read {
            path: path.to_owned(),
            cause,
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        // A `*.yaml` that cannot be followed (a dangling or looping link) is reported by `read`,
        // not skipped; a directory of that name is skipped.
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml") && !p.is_dir())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(RulesError::Empty {
            path: path.to_owned(),
        });
    }
    paths.iter().map(|p| read(p)).collect()
}

/// Parses and validates rule files into a library. A user file whose set id equals a shipped one
/// replaces it.
///
/// # Errors
/// [`RulesError::Invalid`] with every problem found in every file.
pub fn load(files: &[RuleFile], catalog: &Catalog) -> Result<Library, RulesError> {
    let mut problems = Vec::new();
    let mut sets: BTreeMap<String, RuleSet> = BTreeMap::new();
    let mut requirement_ids: BTreeMap<String, Location> = BTreeMap::new();
    // User files come after built-in ones, so they replace a shipped set of the same id.
    let mut ordered: Vec<&RuleFile> = files.iter().filter(|f| f.builtin).collect();
    ordered.extend(files.iter().filter(|f| !f.builtin));
    let user_ids: BTreeSet<String> = ordered
        .iter()
        .filter(|f| !f.builtin)
        .filter_map(|f| {
            serde_saphyr::from_str_with_options::<RawSet>(&f.text, yaml_options())
                .ok()
                .map(|s| s.id.value)
        })
        .collect();
    for file in ordered {
        let mut v = Validator {
            file,
            catalog,
            problems: Vec::new(),
        };
        if file
            .text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            v.push(
                &Sp::bare(()),
                "the rule file is empty".to_owned(),
                "empty",
                Some("a rule file holds one requirement set: `id`, `title`, `sources`, `binding` and `requirements` (docs/rules-format.md)".to_owned()),
            );
            problems.extend(v.problems);
            continue;
        }
        let (raw, broken_ids, some_broken) =
            match serde_saphyr::from_str_with_options::<RawSet>(&file.text, yaml_options()) {
                Ok(raw) => (raw, Vec::new(), false),
                // The parser stops at the first structural mistake: find every broken
                // requirement or policy on its own, and validate the rest.
                Err(e) => match item_by_item(&mut v) {
                    Some(found) => (found.raw, found.broken_ids, found.some_broken),
                    None => {
                        v.parse_error(&e);
                        problems.extend(v.problems);
                        continue;
                    }
                },
            };
        if file.builtin && user_ids.contains(&raw.id.value) {
            continue;
        }
        // Every id as written, whether or not its requirement is valid: a duplicate is reported
        // whatever else is wrong.
        let raw_ids: Vec<(String, Location)> = raw
            .requirements
            .iter()
            .map(|r| (r.value.id.value.clone(), v.location(&r.value.id)))
            .chain(
                raw.policies
                    .iter()
                    .map(|p| (p.value.id.value.clone(), v.location(&p.value.id))),
            )
            .chain(broken_ids)
            .collect();
        let set = v.set(raw);
        if some_broken {
            // Its broken requirements were set aside, not missing.
            v.problems.retain(|p| p.label != "empty set");
        }
        if let Some(set) = set {
            if let Some(previous) = sets.get(&set.id) {
                v.push(
                    &Sp {
                        value: (),
                        line: set.location.line,
                        column: set.location.column,
                        span: None,
                    },
                    format!("set id `{}` is already used", set.id),
                    "duplicate set id",
                    Some(format!(
                        "first defined at {}:{}",
                        previous.location.path, previous.location.line
                    )),
                );
            } else {
                for requirement in raw_ids.iter().map(|(id, location)| (id, location)) {
                    if let Some(first) = requirement_ids.get(requirement.0) {
                        let at = Sp {
                            value: (),
                            line: requirement.1.line,
                            column: requirement.1.column,
                            span: span_of(&file.text, requirement.1),
                        };
                        v.push(
                            &at,
                            format!("requirement id `{}` is already used", requirement.0),
                            "duplicate id",
                            Some(format!(
                                "first defined at {}:{}; ids are unique across all sets",
                                first.path, first.line
                            )),
                        );
                    } else {
                        requirement_ids.insert(requirement.0.clone(), requirement.1.clone());
                    }
                }
                if v.problems.is_empty() {
                    sets.insert(set.id.clone(), set);
                }
            }
        }
        problems.extend(v.problems);
    }
    if problems.is_empty() {
        let files = files
            .iter()
            .map(|f| (f.name.clone(), f.text.clone()))
            .collect();
        Ok(Library {
            sets: sets.into_values().collect(),
            files,
        })
    } else {
        Err(RulesError::Invalid { problems })
    }
}

/// The members of a rule file's requirements and policies as far as finding them needs: where
/// each item is, and its id when it has a string one. Anything else in the file is ignored.
/// The lists of a configuration (`waivers`) are read the same way.
#[derive(serde::Deserialize)]
struct ItemsShape {
    #[serde(default)]
    requirements: Vec<Sp<ItemShape>>,
    #[serde(default)]
    policies: Vec<Sp<ItemShape>>,
    #[serde(default)]
    waivers: Vec<Sp<ItemShape>>,
}

#[derive(serde::Deserialize)]
struct ItemShape {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// The most parsing [`item_by_item`] does for one file (items × file size, in bytes): a rule
/// file is a few kilobytes; a huge one gets its first structural problem only.
const ITEM_BY_ITEM_BUDGET: usize = 32 * 1024 * 1024;

/// When a rule file does not parse: parses each requirement and policy (block style) alone, with
/// the others blanked out (spaces, so every line, column and byte offset stays where it was), and
/// records each one's first structural problem at its place; then parses the file with the broken
/// items blanked, so the rest is validated in the same run. Returns that file's set and the ids
/// (with places) of the broken items, or `None` when the problem is not inside an item (or the
/// file is not laid out so that items can be told apart); then only the first problem is shown.
fn item_by_item(v: &mut Validator<'_>) -> Option<Salvaged> {
    let found = salvage::<RawSet>(v.file)?;
    for error in &found.errors {
        v.parse_error(error);
    }
    Some(Salvaged {
        raw: found.raw,
        broken_ids: found.broken_ids,
        some_broken: !found.errors.is_empty(),
    })
}

/// What [`salvage`] recovers of a YAML file that does not parse as a `T`.
pub(crate) struct Salvage<T> {
    /// The file without its broken items.
    pub raw: T,
    /// Each broken item's first structural problem, at its place in the file.
    pub errors: Vec<serde_saphyr::Error>,
    /// The ids of the broken items that have one, with their places.
    pub broken_ids: Vec<(String, Location)>,
}

/// Parses each item of the file's block-style lists (`requirements`, `policies`, `waivers`) alone,
/// the others blanked out (spaces, so every line, column and byte offset stays where it was), and
/// keeps each one's first structural problem; then parses the file with the broken items blanked.
/// `None` when the problem is not inside an item (or the items cannot be told apart).
pub(crate) fn salvage<T: serde::de::DeserializeOwned>(file: &RuleFile) -> Option<Salvage<T>> {
    let text = &file.text;
    let shape: ItemsShape = serde_saphyr::from_str_with_options(text, yaml_options()).ok()?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let starts: Vec<usize> = lines
        .iter()
        .scan(0, |offset, line| {
            let start = *offset;
            *offset += line.len();
            Some(start)
        })
        .collect();
    let indent = |line: &str| line.len() - line.trim_start_matches([' ', '\t']).len();
    // Each item's lines (0-based, inclusive): from its `- ` line to the last line indented at
    // least as far as its keys (blank lines and comments included).
    let mut items: Vec<(std::ops::RangeInclusive<usize>, Option<String>, Location)> = Vec::new();
    for item in shape
        .requirements
        .iter()
        .chain(&shape.policies)
        .chain(&shape.waivers)
    {
        if item.line == 0 || item.column == 0 {
            return None;
        }
        let mut first = item.line - 1;
        if first > 0 && lines.get(first - 1).is_some_and(|l| l.trim() == "-") {
            first -= 1;
        }
        let key_indent = item.column - 1;
        let mut last = item.line - 1;
        while let Some(next) = lines.get(last + 1) {
            let blank = next.trim().is_empty() || next.trim_start().starts_with('#');
            if !blank && indent(next) < key_indent {
                break;
            }
            last += 1;
        }
        // Flow style (`[{...}, {...}]`) or items sharing lines cannot be told apart.
        if items
            .iter()
            .any(|(r, _, _)| r.contains(&first) || r.contains(&last))
        {
            return None;
        }
        let id = item
            .value
            .id
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let location = Location {
            path: file.name.clone(),
            line: item.line,
            column: item.column,
        };
        items.push((first..=last, id, location));
    }
    if items.is_empty() || items.len().saturating_mul(text.len()) > ITEM_BY_ITEM_BUDGET {
        return None;
    }
    // The text with the items at `blank` made spaces (line breaks kept).
    let masked = |blank: &dyn Fn(usize) -> bool| -> String {
        let mut out = text.clone().into_bytes();
        for (i, (range, _, _)) in items.iter().enumerate() {
            if !blank(i) {
                continue;
            }
            for line in range.clone() {
                let (Some(&start), Some(content)) = (starts.get(line), lines.get(line)) else {
                    continue;
                };
                let content = content.trim_end_matches(['\r', '\n']).len();
                for byte in out.iter_mut().skip(start).take(content) {
                    *byte = b' ';
                }
            }
        }
        // Whole lines of ASCII and UTF-8 sequences were replaced by spaces: still UTF-8.
        String::from_utf8_lossy(&out).into_owned()
    };
    let mut broken = BTreeSet::new();
    let mut errors = Vec::new();
    for (k, (range, _, _)) in items.iter().enumerate() {
        let alone = masked(&|i| i != k);
        if let Err(e) = serde_saphyr::from_str_with_options::<T>(&alone, yaml_options()) {
            let line = e
                .location()
                .and_then(|l| usize::try_from(l.line()).ok())
                .unwrap_or(0);
            // The parser may place a problem of the item (a missing member) where the item
            // ends: at the next line holding anything, the others being blank. A problem before
            // the item is the set's own: the usual single report. (One after it that is the set's
            // own makes the last parse below fail, with the same result.)
            let alone_lines: Vec<&str> = alone.split_inclusive('\n').collect();
            let end = (range.end() + 1..alone_lines.len())
                .find(|&i| alone_lines.get(i).is_some_and(|l| !l.trim().is_empty()))
                .unwrap_or(usize::MAX);
            if line == 0 || line - 1 < *range.start() || line - 1 > end {
                return None;
            }
            broken.insert(k);
            errors.push(e);
        }
    }
    let rest = masked(&|i| broken.contains(&i));
    let raw = serde_saphyr::from_str_with_options::<T>(&rest, yaml_options()).ok()?;
    let broken_ids = items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| broken.contains(i))
        .filter_map(|(_, (_, id, location))| id.map(|id| (id, location)))
        .collect();
    Some(Salvage {
        raw,
        errors,
        broken_ids,
    })
}

/// What [`item_by_item`] recovers of a rule file that does not parse.
struct Salvaged {
    /// The set without its broken items.
    raw: RawSet,
    /// The ids of the broken items that have one, with their places (for duplicate ids).
    broken_ids: Vec<(String, Location)>,
    some_broken: bool,
}

fn span_of(text: &str, at: &Location) -> Option<(usize, usize)> {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(at.line.saturating_sub(1))
        .map(str::len)
        .sum();
    let line = text.get(line_start..)?.lines().next()?;
    let start = line_start + at.column.saturating_sub(1);
    let len = line.len().saturating_sub(at.column.saturating_sub(1));
    Some((start, len.max(1)))
}

/// Parser limits: duplicate keys rejected; aliases, nodes, depth and size bounded far below what a
/// hostile file ("billion laughs") needs, far above what a requirement set uses.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = Some(8 * 1024 * 1024);
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_nodes = 200_000;
    budget.max_depth = 32;
    budget.max_total_scalar_bytes = 8 * 1024 * 1024;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

/// A problem at a place in a YAML file (rule files, the configuration file).
pub(crate) fn problem<T>(
    file: &RuleFile,
    at: &Sp<T>,
    message: String,
    label: &str,
    help: Option<String>,
) -> RuleProblem {
    let location = Location {
        path: file.name.clone(),
        line: at.line,
        column: at.column,
    };
    let span = at.span.or_else(|| span_of(&file.text, &location));
    RuleProblem {
        message,
        src: NamedSource::new(file.name.clone(), file.text.clone()),
        span: span.map(|(o, l)| SourceSpan::from((o, l.max(1)))),
        label: label.to_owned(),
        help: Some(help).flatten(),
        location,
    }
}

/// A YAML parse error as a [`RuleProblem`]: `{what}: {first line of the parser's message}`.
pub(crate) fn parse_problem(
    file: &RuleFile,
    error: &serde_saphyr::Error,
    what: &str,
    help: String,
) -> RuleProblem {
    let (line, column, span) = error.location().map_or((0, 0, None), |l| {
        let s = l.span();
        let to = |v: u64| usize::try_from(v).ok();
        (
            to(l.line()).unwrap_or(0),
            to(l.column()).unwrap_or(0),
            s.byte_offset()
                .and_then(to)
                .map(|o| (o, s.byte_len().and_then(to).unwrap_or(1))),
        )
    });
    let message = first_line(&error.to_string());
    // The parser reports a missing member at the mapping's last key; point at its first instead,
    // where a reader looks for what the mapping is (`- id: ...`).
    let moved = message
        .starts_with("missing field")
        .then(|| mapping_start(&file.text, line, column))
        .flatten();
    let (at, label) = match moved {
        Some((line, column)) => (
            Sp {
                value: (),
                line,
                column,
                span: None,
            },
            "this mapping lacks it",
        ),
        None => (
            Sp {
                value: (),
                line,
                column,
                span,
            },
            "here",
        ),
    };
    problem(file, &at, format!("{what}: {message}"), label, Some(help))
}

/// The line and column (1-based) of the first key of the block mapping whose key is at `line` and
/// `column`: the `- ` item it starts, or the first line of the same indentation above it. `None`
/// when the place is not a key of a block mapping (flow style, a position past the text).
fn mapping_start(text: &str, line: usize, column: usize) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = column.checked_sub(1)?;
    let key_line = lines.get(line.checked_sub(1)?)?;
    let leading = key_line.len() - key_line.trim_start_matches(' ').len();
    if leading != indent && !key_line[leading..].starts_with("- ") {
        return None;
    }
    let mut first = line;
    for (index, text) in lines.iter().enumerate().take(line).rev() {
        let content = text.trim_start_matches(' ');
        let leading = text.len() - content.len();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with("- ") && leading + 2 == indent {
            return Some((index + 1, indent + 1));
        }
        if leading < indent {
            break;
        }
        if leading == indent {
            first = index + 1;
        }
    }
    Some((first, indent + 1))
}

struct Validator<'a> {
    file: &'a RuleFile,
    catalog: &'a Catalog,
    problems: Vec<RuleProblem>,
}

impl Validator<'_> {
    fn location<T>(&self, at: &Sp<T>) -> Location {
        Location {
            path: self.file.name.clone(),
            line: at.line,
            column: at.column,
        }
    }

    fn push<T>(&mut self, at: &Sp<T>, message: String, label: &str, help: Option<String>) {
        self.problems
            .push(problem(self.file, at, message, label, help));
    }

    fn parse_error(&mut self, error: &serde_saphyr::Error) {
        let message = first_line(&error.to_string());
        let help = if message.contains("unknown field") {
            "see docs/rules-format.md for the members a rule file may have"
        } else if message.contains("missing field") {
            "every set needs `id` and `title`; every requirement needs `id`, `title`, `permission`, `expect` and `source`"
        } else if message.contains("recursive") {
            "an alias refers to the anchor it is inside of (e.g. `&a [*a]`), which would make the value infinite; rule files need no anchors"
        } else if message.contains("budget") || message.contains("alias") {
            "the file expands beyond halo-audit's YAML limits (aliases, depth or size); rule files need no anchors"
        } else {
            "the file is not valid YAML for a requirement set; see docs/rules-format.md"
        };
        self.problems.push(parse_problem(
            self.file,
            error,
            "cannot parse rule file",
            help.to_owned(),
        ));
    }

    fn severity(&mut self, raw: Option<&Sp<String>>, default: Severity) -> Severity {
        match raw {
            None => default,
            Some(s) => Severity::parse(&s.value).unwrap_or_else(|| {
                self.push(
                    s,
                    format!("unknown severity `{}`", s.value),
                    "not a severity",
                    Some("use `error`, `warning` or `note`".to_owned()),
                );
                default
            }),
        }
    }

    fn set(&mut self, raw: RawSet) -> Option<RuleSet> {
        let id_ok = is_id(&raw.id.value, false);
        if !id_ok {
            self.push(
                &raw.id,
                format!(
                    "set id `{}` is not lower-case letters, digits and dashes",
                    raw.id.value
                ),
                "invalid id",
                Some("e.g. `cloud-depot`".to_owned()),
            );
        }
        let kind = match raw.kind.as_ref().map(|k| k.value.as_str()) {
            None | Some("integration") => SetKind::Integration,
            Some("baseline") => SetKind::Baseline,
            Some(other) => {
                let other = other.to_owned();
                if let Some(k) = &raw.kind {
                    self.push(
                        k,
                        format!("unknown set kind `{other}`"),
                        "unknown kind",
                        Some("use `integration` or `baseline`".to_owned()),
                    );
                }
                SetKind::Integration
            }
        };
        let mut sources = Vec::new();
        for source in &raw.sources {
            let url = &source.value.url;
            if !(url.value.starts_with("https://") || url.value.starts_with("http://")) {
                self.push(url, format!("source url `{}` is not an http(s) address", url.value), "not a URL", Some("cite the vendor document's address, e.g. https://vendor.example/docs/halopsa".to_owned()));
            }
            let retrieved = &source.value.retrieved;
            if retrieved.value.parse::<jiff::civil::Date>().is_err() {
                self.push(
                    retrieved,
                    format!("`retrieved` date `{}` is not a date", retrieved.value),
                    "not YYYY-MM-DD",
                    Some("write the date the document was read, e.g. 2026-11-24".to_owned()),
                );
            }
            sources.push(crate::ruleset::SourceDoc {
                url: url.value.clone(),
                title: source.value.title.clone(),
                retrieved: retrieved.value.clone(),
            });
        }
        if kind == SetKind::Integration && raw.sources.is_empty() {
            self.push(&raw.id, format!("set `{}` cites no source", raw.id.value), "no `sources`", Some("every integration set cites the vendor document it was transcribed from: `sources: [{url: ..., retrieved: YYYY-MM-DD}]`".to_owned()));
        }
        let (mut application_names, mut client_ids, mut login_agent_names) =
            (Vec::new(), Vec::new(), Vec::new());
        match (&raw.binding, kind) {
            (Some(binding), _) => {
                for pattern in &binding.value.application_name {
                    if pattern.value.trim().is_empty()
                        || pattern.value.trim().chars().all(|c| c == '*')
                    {
                        self.push(
                            pattern,
                            "binding pattern matches every application".to_owned(),
                            "too broad",
                            Some(
                                "name the integration's application, e.g. `*Cloud Depot*`"
                                    .to_owned(),
                            ),
                        );
                    } else {
                        application_names.push(pattern.value.trim().to_owned());
                    }
                }
                for id in &binding.value.client_id {
                    if id.value.trim().is_empty() {
                        self.push(id, "empty client id in binding".to_owned(), "empty", None);
                    } else {
                        client_ids.push(id.value.trim().to_owned());
                    }
                }
                for pattern in &binding.value.login_agent_name {
                    if pattern.value.trim().is_empty()
                        || pattern.value.trim().chars().all(|c| c == '*')
                    {
                        self.push(
                            pattern,
                            "binding pattern matches every login agent".to_owned(),
                            "too broad",
                            Some(
                                "name the agent the vendor's guide creates, e.g. `*Rewst*`"
                                    .to_owned(),
                            ),
                        );
                    } else {
                        login_agent_names.push(pattern.value.trim().to_owned());
                    }
                }
                if binding.value.application_name.is_empty()
                    && binding.value.client_id.is_empty()
                    && binding.value.login_agent_name.is_empty()
                {
                    self.push(
                        binding,
                        "binding names no application".to_owned(),
                        "empty binding",
                        Some(
                            "add `application_name: [\"*Vendor*\"]`, `client_id: [...]` or `login_agent_name: [\"*Vendor*\"]`"
                                .to_owned(),
                        ),
                    );
                }
            }
            (None, SetKind::Integration) => {
                self.push(&raw.id, format!("set `{}` has no binding", raw.id.value), "no `binding`", Some("say which API application the set audits by default: `binding: {application_name: [\"*Vendor*\"]}`".to_owned()));
            }
            (None, SetKind::Baseline) => {}
        }
        let (
            excess_scopes,
            excess_levels,
            excess_severity,
            excess_scope_severity,
            excess_level_severity,
        ) = match &raw.excess {
            Some(e) => {
                let severity = self.severity(e.value.severity.as_ref(), Severity::Warning);
                let scopes = self.severity(e.value.scope_severity.as_ref(), severity);
                let levels = self.severity(e.value.level_severity.as_ref(), severity);
                (
                    e.value.scopes.unwrap_or(true),
                    e.value.levels.unwrap_or(true),
                    severity,
                    scopes,
                    levels,
                )
            }
            None => (
                true,
                true,
                Severity::Warning,
                Severity::Warning,
                Severity::Warning,
            ),
        };
        let source_urls: Vec<String> = sources.iter().map(|s| s.url.clone()).collect();
        let requirements: Vec<Requirement> = raw
            .requirements
            .iter()
            .filter_map(|r| self.requirement(r, &source_urls))
            .collect();
        let policies: Vec<Policy> = raw.policies.iter().filter_map(|p| self.policy(p)).collect();
        if kind == SetKind::Baseline && !raw.requirements.is_empty() {
            self.push(
                &raw.id,
                "a baseline set holds `policies`, not `requirements`".to_owned(),
                "baseline with requirements",
                Some("move integration requirements to a set of their own".to_owned()),
            );
        }
        if kind == SetKind::Integration && !raw.policies.is_empty() {
            self.push(
                &raw.id,
                "only a baseline set (`kind: baseline`) may hold `policies`".to_owned(),
                "policies in an integration set",
                None,
            );
        }
        if kind == SetKind::Integration && raw.requirements.is_empty() {
            self.push(
                &raw.id,
                format!("set `{}` has no requirements", raw.id.value),
                "empty set",
                None,
            );
        }
        let alternatives = self.alternatives(&raw, &requirements);
        Some(RuleSet {
            location: self.location(&raw.id),
            id: raw.id.value,
            title: raw.title.value,
            vendor: raw.vendor.map(|v| v.value),
            kind,
            description: raw.description,
            sources,
            application_names,
            client_ids,
            login_agent_names,
            excess_scopes,
            excess_levels,
            excess_severity,
            excess_scope_severity,
            excess_level_severity,
            requirements,
            alternatives,
            policies,
            notes: raw.notes,
            builtin: self.file.builtin,
        })
    }

    /// Validates the set's alternatives against its requirements.
    fn alternatives(&mut self, raw: &RawSet, requirements: &[Requirement]) -> Vec<Alternative> {
        let mut out = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for alt in &raw.alternatives {
            let a = &alt.value;
            if !is_id(&a.id.value, true) {
                self.push(
                    &a.id,
                    format!(
                        "alternative id `{}` is not lower-case letters, digits, dashes and dots",
                        a.id.value
                    ),
                    "invalid id",
                    Some(format!("e.g. `{}.team-or-department`", raw.id.value)),
                );
            }
            if requirements.iter().any(|r| r.id == a.id.value) {
                self.push(
                    &a.id,
                    format!("`{}` is also a requirement id", a.id.value),
                    "id taken",
                    None,
                );
            }
            if a.any_of.len() < 2 {
                self.push(
                    alt,
                    format!("alternative `{}` offers fewer than two options", a.id.value),
                    "not a choice",
                    Some(
                        "list two or more options under `any_of`, or make it a plain requirement"
                            .to_owned(),
                    ),
                );
            }
            let mut options = Vec::new();
            for option in &a.any_of {
                let ids: Vec<String> = match &option.value {
                    model::RawOption::One(id) => vec![id.trim().to_owned()],
                    model::RawOption::All(ids) => ids.iter().map(|i| i.trim().to_owned()).collect(),
                };
                if ids.is_empty() {
                    self.push(option, "an empty option".to_owned(), "empty", None);
                    continue;
                }
                for id in &ids {
                    if !requirements.iter().any(|r| &r.id == id) {
                        let known: Vec<&str> = requirements.iter().map(|r| r.id.as_str()).collect();
                        let close: Vec<&str> = known
                            .iter()
                            .copied()
                            .filter(|k| crate::catalog::edit_distance(k, id) <= 3)
                            .collect();
                        self.push(
                            option,
                            format!("`{id}` is not a requirement of set `{}`", raw.id.value),
                            "unknown requirement",
                            Some(if close.is_empty() {
                                "an option names requirement ids of the same set".to_owned()
                            } else {
                                format!("did you mean {}?", close.join(", "))
                            }),
                        );
                    } else if !seen.insert(id.clone()) {
                        self.push(
                            option,
                            format!("requirement `{id}` is in two alternatives (or twice in one)"),
                            "listed twice",
                            None,
                        );
                    }
                }
                options.push(ids);
            }
            out.push(Alternative {
                id: a.id.value.clone(),
                title: a.title.value.clone(),
                options,
                rationale: a.rationale.clone(),
                location: self.location(&a.id),
            });
        }
        out
    }

    fn requirement(
        &mut self,
        raw: &Sp<model::RawRequirement>,
        source_urls: &[String],
    ) -> Option<Requirement> {
        let r = &raw.value;
        let before = self.problems.len();
        if !is_id(&r.id.value, true) {
            self.push(
                &r.id,
                format!(
                    "requirement id `{}` is not lower-case letters, digits, dots and dashes",
                    r.id.value
                ),
                "invalid id",
                Some("e.g. `cloud-depot.customers-read-only`".to_owned()),
            );
        }
        let severity = self.severity(r.severity.as_ref(), Severity::Error);
        if let Some(condition) = &r.condition
            && condition.value.trim().is_empty()
        {
            self.push(
                condition,
                "empty condition".to_owned(),
                "empty",
                Some("write the vendor's condition, e.g. `Knowledge Base sync is used`, or remove `condition`".to_owned()),
            );
        }
        if r.source.value.quote.value.trim().is_empty() {
            self.push(
                &r.source.value.quote,
                "empty quote".to_owned(),
                "empty",
                Some(
                    "quote the vendor document's words the requirement was transcribed from"
                        .to_owned(),
                ),
            );
        }
        if let Some(url) = &r.source.value.url
            && !source_urls.contains(&url.value)
        {
            self.push(
                url,
                format!("`{}` is not one of the set's sources", url.value),
                "unknown source",
                Some("add it to the set's `sources`".to_owned()),
            );
        }
        let Some(permission) = self.catalog.resolve(&r.permission.value) else {
            let suggestions = self.catalog.suggest(&r.permission.value);
            let help = if suggestions.is_empty() {
                "use a key or UI label from docs/permissions.md".to_owned()
            } else {
                format!(
                    "did you mean {}? (all keys and labels: docs/permissions.md)",
                    suggestions
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            self.push(
                &r.permission,
                format!("unknown permission `{}`", r.permission.value),
                "not in the permission catalog",
                Some(help),
            );
            return None;
        };
        let expect = self.expect(&permission, &r.expect, r.allow_higher)?;
        if self.problems.len() != before {
            return None;
        }
        Some(Requirement {
            id: r.id.value.clone(),
            title: r.title.value.clone(),
            key: self.catalog.canonical(&permission),
            permission,
            expect,
            severity,
            rationale: r.rationale.clone(),
            ambiguity: r.ambiguity.clone(),
            condition: r.condition.as_ref().map(|c| c.value.trim().to_owned()),
            quote: r.source.value.quote.value.clone(),
            source_url: r
                .source
                .value
                .url
                .as_ref()
                .map(|u| u.value.clone())
                .or_else(|| source_urls.first().cloned()),
            location: self.location(&r.id),
        })
    }

    fn expect(
        &mut self,
        permission: &PermRef,
        raw: &Sp<RawExpect>,
        allow_higher: Option<bool>,
    ) -> Option<Expect> {
        let level_perm = match permission {
            PermRef::Agent(i) => self
                .catalog
                .permissions
                .get(*i)
                .filter(|p| p.kind == Kind::Level),
            PermRef::Scope(_) | PermRef::Role(_) => None,
        };
        let name = self.catalog.canonical(permission);
        match (&raw.value, level_perm) {
            (RawExpect::Bool(b), None) => Some(if *b {
                Expect::Granted
            } else {
                Expect::NotGranted
            }),
            (RawExpect::Text(t), None) => {
                match t.trim().to_ascii_lowercase().as_str() {
                    "yes" | "granted" | "true" | "on" | "enabled" => Some(Expect::Granted),
                    "no" | "not granted" | "not-granted" | "false" | "off" | "disabled" => {
                        Some(Expect::NotGranted)
                    }
                    _ => {
                        self.push(raw, format!("`{t}` is not a value for `{name}`"), "expected yes or no", Some(format!("`{name}` is a yes/no permission: write `expect: yes` or `expect: no`")));
                        None
                    }
                }
            }
            (RawExpect::Bound(_), None) => {
                self.push(
                    raw,
                    format!("`{name}` has no levels"),
                    "level bound on a yes/no permission",
                    Some("write `expect: yes` or `expect: no`".to_owned()),
                );
                None
            }
            (RawExpect::Bool(_), Some(perm)) => {
                let levels = self.levels_text(perm);
                self.push(
                    raw,
                    format!("`{name}` takes a level, not yes/no"),
                    "expected a level",
                    Some(format!("one of {levels}")),
                );
                None
            }
            (RawExpect::Text(t), Some(perm)) => {
                let level = self.level(raw, perm, t)?;
                Some(Expect::AtLeast {
                    level,
                    allow_higher: allow_higher.unwrap_or(false),
                })
            }
            (
                RawExpect::Bound(RawBound {
                    at_least,
                    at_most,
                    exactly,
                }),
                Some(perm),
            ) => match (at_least, at_most, exactly) {
                (Some(t), None, None) => Some(Expect::AtLeast {
                    level: self.level(raw, perm, t)?,
                    allow_higher: allow_higher.unwrap_or(true),
                }),
                (None, None, Some(t)) => Some(Expect::AtLeast {
                    level: self.level(raw, perm, t)?,
                    allow_higher: false,
                }),
                (None, Some(t), None) => Some(Expect::AtMost(self.level(raw, perm, t)?)),
                _ => {
                    self.push(
                        raw,
                        "a level bound has exactly one of `at_least`, `at_most`, `exactly`"
                            .to_owned(),
                        "ambiguous bound",
                        None,
                    );
                    None
                }
            },
        }
    }

    fn level(
        &mut self,
        raw: &Sp<RawExpect>,
        perm: &crate::catalog::PermissionDef,
        text: &str,
    ) -> Option<usize> {
        let found = self.catalog.resolve_level(perm, text);
        if found.is_none() {
            let levels = self.levels_text(perm);
            self.push(
                raw,
                format!("`{text}` is not a level of `{}` ({})", perm.key, perm.label),
                "unknown level",
                Some(format!("{} offers {levels}", perm.label)),
            );
        }
        found
    }

    /// "`No Access`, `Read Only`, ..." for a level permission, for help lines.
    fn levels_text(&self, perm: &crate::catalog::PermissionDef) -> String {
        perm.levels
            .iter()
            .filter_map(|l| self.catalog.level(l))
            .map(|l| format!("`{}`", l.label))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn policy(&mut self, raw: &Sp<model::RawPolicy>) -> Option<Policy> {
        let p = &raw.value;
        let before = self.problems.len();
        if !is_id(&p.id.value, true) {
            self.push(
                &p.id,
                format!(
                    "policy id `{}` is not lower-case letters, digits, dots and dashes",
                    p.id.value
                ),
                "invalid id",
                None,
            );
        }
        let check = PolicyCheck::parse(p.check.value.trim());
        if check.is_none() {
            let names = PolicyCheck::ALL
                .iter()
                .map(|(n, _)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.push(
                &p.check,
                format!("unknown policy check `{}`", p.check.value),
                "not a built-in check",
                Some(format!("one of {names}")),
            );
        }
        let check = check?;
        let severity = self.severity(p.severity.as_ref(), check.code().default_severity());
        for scope in &p.scopes {
            if !self.catalog.is_scope(&scope.value) {
                self.push(
                    scope,
                    format!("`{}` is not a HaloPSA scope", scope.value),
                    "unknown scope",
                    Some("scopes are listed in docs/permissions.md".to_owned()),
                );
            }
        }
        if check == PolicyCheck::BroadScopeUnneeded && p.scopes.is_empty() {
            self.push(
                &p.check,
                "`broad-scope-unneeded` needs `scopes`".to_owned(),
                "no scopes",
                Some("e.g. `scopes: [all, admin]`".to_owned()),
            );
        }
        if self.problems.len() != before {
            return None;
        }
        Some(Policy {
            id: p.id.value.clone(),
            title: p.title.value.clone(),
            check,
            severity,
            rationale: p.rationale.clone(),
            scopes: p.scopes.iter().map(|s| s.value.clone()).collect(),
            location: self.location(&p.id),
        })
    }
}

fn is_id(id: &str, dotted: bool) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| {
            c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || c == '-'
                || (dotted && (c == '.' || c == '_'))
        })
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    // The position is shown by the label; drop serde-saphyr's copy of it.
    let line = match line.rfind(" at line ") {
        Some(i) => &line[..i],
        None => line,
    };
    let line = match line.find("line ").filter(|i| *i == 0) {
        Some(_) => line.split_once(": ").map_or(line, |(_, rest)| rest),
        None => line,
    };
    line.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_member_is_shown_at_the_start_of_its_mapping() {
        let text = "# comment\nid: x\ntitle: T\nrequirements:\n  - id: a\n    title: A\n\n    # note\n    expect: yes\n  - id: b\nbinding:\n  applications: [x]\n  agent: y\n";
        // A requirement: its `- ` item, whatever blank and comment lines lie between.
        assert_eq!(mapping_start(text, 9, 5), Some((5, 5)));
        assert_eq!(mapping_start(text, 5, 5), Some((5, 5)));
        // The top level: its first key, after the comment.
        assert_eq!(mapping_start(text, 4, 1), Some((2, 1)));
        // A mapping under a key: its first key.
        assert_eq!(mapping_start(text, 13, 3), Some((12, 3)));
        // Not a key of a block mapping at that column, or past the text.
        assert_eq!(mapping_start(text, 12, 7), None);
        assert_eq!(mapping_start(text, 40, 1), None);
        assert_eq!(mapping_start(text, 0, 0), None);
    }

    #[test]
    fn glob_matches_case_insensitively() {
        assert!(glob_match("*cloud depot*", "Cloud Depot API"));
        assert!(glob_match("vCIO*", "vcioToolbox"));
        assert!(glob_match("ab?d", "abcd"));
        assert!(!glob_match("vCIO*", "The vCIO app"));
        assert!(!glob_match("Hudu", "Hudu Sync"));
    }

    #[test]
    fn ids_follow_the_convention() {
        assert!(is_id("cloud-depot", false));
        assert!(!is_id("Cloud", false));
        assert!(is_id("cloud-depot.customers.read_only", true));
        assert!(!is_id("", true));
    }
}
