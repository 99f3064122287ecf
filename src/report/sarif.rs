//! SARIF 2.1.0 (OASIS), for GitHub code scanning and other SARIF viewers: a small serde model of
//! the part of the format halo-audit fills.
//!
//! One rule per requirement and baseline policy of every set that ran, plus one per finding code
//! for findings that belong to no requirement; one result per finding, located at the requirement
//! in its rule file and naming the Halo subject as a logical location. Validated against the
//! official schema in `tests/formats.rs`.
//!
//! The model and the log envelope are shared with the SARIF log of `halo-audit diff`
//! ([`super::diff`]).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::Context;
use crate::check::{Finding, Outcome, SetState, Subject};
use crate::diag::{Code, Severity};
use crate::ruleset::{Location, RuleSet};

/// The schema URI written in `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The `partialFingerprints` key carrying [`Finding::fingerprint`].
pub const FINGERPRINT_KEY: &str = "haloAuditFingerprint/v1";

/// The `partialFingerprints` key GitHub code scanning identifies an alert by; halo-audit fills it
/// from each result's own fingerprint (see [`line_hashes`]) so that two findings at the same rule
/// line stay two alerts.
pub const LINE_HASH_KEY: &str = "primaryLocationLineHash";

/// The base every relative `artifactLocation.uri` is resolved against: the repository root.
pub const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<P> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<P>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<P> {
    tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<AutomationDetails>,
    invocations: Vec<Invocation>,
    original_uri_base_ids: BTreeMap<&'static str, BaseUri>,
    results: Vec<SarifResult<P>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, Value>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
}

/// `%SRCROOT%` is not given as a URI (it is wherever the repository is checked out): it is
/// described, and viewers resolve it against their checkout.
#[derive(Serialize)]
struct BaseUri {
    description: Text,
}

/// What a log says about its run besides the results.
#[derive(Debug, Clone)]
pub(super) struct RunInfo {
    /// `runAutomationDetails.id` (`CATEGORY/`), from `--sarif-category`; none without it, so
    /// that upload-sarif's own `category` applies.
    pub(super) automation_id: Option<String>,
    /// False when the run could not do its work (nothing audited).
    pub(super) execution_successful: bool,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Rule>,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Rule {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) short_description: Text,
    pub(super) full_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) help_uri: Option<String>,
    pub(super) help: Help,
    pub(super) default_configuration: Configuration,
    pub(super) properties: RuleProperties,
}

#[derive(Clone, Serialize)]
pub(super) struct Text {
    pub(super) text: String,
}

#[derive(Clone, Serialize)]
pub(super) struct Help {
    pub(super) text: String,
    pub(super) markdown: String,
}

#[derive(Clone, Serialize)]
pub(super) struct Configuration {
    pub(super) level: &'static str,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RuleProperties {
    pub(super) tags: Vec<String>,
    /// GitHub's severity scale for security alerts (see [`security_severity`]).
    #[serde(rename = "security-severity")]
    pub(super) security_severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) requirement_set: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) permission: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) expected: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SarifResult<P> {
    pub(super) rule_id: String,
    pub(super) rule_index: usize,
    pub(super) level: &'static str,
    pub(super) message: Text,
    pub(super) locations: Vec<SarifLocation>,
    pub(super) partial_fingerprints: BTreeMap<&'static str, String>,
    /// Why the result is accepted (a waiver), with `--sarif-suppressions`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) suppressions: Vec<Suppression>,
    pub(super) properties: P,
}

/// A result accepted by a waiver of the configuration (SARIF's `suppression`, kind `external`:
/// written apart from the rule file the result is placed in).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
    properties: BTreeMap<&'static str, String>,
}

/// How `check --format sarif` writes its log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--sarif-category`: written as `automationDetails.id` (`CATEGORY/`), so that two audits
    /// uploaded for one commit stay two analyses. None: no `automationDetails`, and
    /// upload-sarif's own `category` applies.
    pub category: Option<String>,
    /// `--sarif-suppressions`: keep waived findings as results carrying `suppressions` (for
    /// viewers that honour them) instead of leaving them out.
    pub suppressions: bool,
}

impl Options {
    /// The `automationDetails.id` for a category: the category followed by `/` (SARIF's
    /// `category/run` form, with no run id), none for no category.
    #[must_use]
    pub fn automation_id(category: Option<&str>) -> Option<String> {
        category.map(|c| {
            if c.ends_with('/') {
                c.to_owned()
            } else {
                format!("{c}/")
            }
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) physical_location: Option<PhysicalLocation>,
    pub(super) logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
    end_line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
    properties: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    code: &'static str,
    requirement_set: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    requirement: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permission: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actual: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a str>,
    chain: &'a [String],
    assumptions: &'a [String],
}

/// SARIF's level for a severity.
#[must_use]
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// GitHub's `security-severity` for a severity: error is high (8.0), warning medium (5.0), note
/// low (2.0). GitHub reads it from the rule, never the result: a result whose level is not its
/// rule's default reports under a rule of its own level ([`Rules::at_level`]).
#[must_use]
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Note => "2.0",
    }
}

/// `missing-grant` → `MissingGrant`: a rule `name` in the style SARIF viewers show.
#[must_use]
pub fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// 64-bit FNV-1a: a small, fixed hash (the same on every platform and release).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The `primaryLocationLineHash` of each result, from its own fingerprint: the fingerprint's hash
/// and, as GitHub writes it, the occurrence of that hash among the results before it (`:1`, `:2`,
/// ...; results sharing a fingerprint stay distinct). Stable across runs as long as the findings
/// are, whatever line their rule moves to.
#[must_use]
pub fn line_hashes<'a>(fingerprints: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    fingerprints
        .into_iter()
        .map(|fingerprint| {
            let hash = fnv1a(fingerprint);
            let n = seen.entry(hash).or_default();
            *n += 1;
            format!("{hash:016x}:{n}")
        })
        .collect()
}

/// Where relative paths are resolved: the repository root (the nearest directory up from the
/// current one holding `.git`), as the current directory's path below it.
#[derive(Debug, Clone, Default)]
pub struct Base {
    /// The current directory, absolute.
    cwd: Option<std::path::PathBuf>,
    /// The repository root, when the current directory is in one.
    root: Option<std::path::PathBuf>,
    /// The rule files of shipped sets (`rules/<set>.yaml`): paths in halo-audit's own sources,
    /// given as they are rather than resolved against the current directory.
    shipped: std::collections::BTreeSet<String>,
}

impl Base {
    /// The base of the current directory.
    #[must_use]
    pub fn current() -> Self {
        let cwd = std::env::current_dir().ok();
        let root = cwd.as_deref().and_then(crate::config::repository_root);
        Self {
            cwd,
            root,
            shipped: std::collections::BTreeSet::new(),
        }
    }

    /// This base, knowing the rule files of the library's shipped sets.
    #[must_use]
    pub fn with_shipped(mut self, library: &crate::ruleset::Library) -> Self {
        self.shipped = library
            .sets
            .iter()
            .filter(|set| set.builtin)
            .map(|set| set.location.path.clone())
            .collect();
        self
    }

    /// A base for a given current directory and repository root (tests).
    #[must_use]
    pub fn at(cwd: &std::path::Path, root: Option<&std::path::Path>) -> Self {
        Self {
            cwd: Some(cwd.to_owned()),
            root: root.map(std::path::Path::to_owned),
            shipped: std::collections::BTreeSet::new(),
        }
    }

    /// A path as SARIF locates it: relative to the repository root (`uriBaseId` `%SRCROOT%`) when
    /// it is in the repository, or relative to the current directory when there is no repository;
    /// otherwise an absolute `file:` URI.
    #[must_use]
    pub fn locate(&self, path: &str) -> (String, Option<&'static str>) {
        match self.relative(path) {
            Ok(rel) => (path_uri(&rel), Some(SRCROOT)),
            Err(absolute) => (path_uri(&absolute), None),
        }
    }

    /// A path relative to the repository root (or, without a repository, to the current
    /// directory), with `/` separators; `Err` with the absolute path when it lies outside. A
    /// shipped set's rule file stays as it is (`rules/<set>.yaml`).
    ///
    /// # Errors
    /// The absolute path of a file outside the repository.
    pub fn relative(&self, path: &str) -> Result<String, String> {
        use std::path::{Component, Path, PathBuf};
        if self.shipped.contains(path) {
            return Ok(path.to_owned());
        }
        let given = Path::new(path);
        let Some(cwd) = &self.cwd else {
            return if given.is_absolute() {
                Err(path.to_owned())
            } else {
                Ok(path.replace('\\', "/").trim_start_matches("./").to_owned())
            };
        };
        let absolute = cwd.join(given);
        // Lexically: `..` and `.` resolved without asking the file system.
        let mut clean = PathBuf::new();
        for component in absolute.components() {
            match component {
                Component::CurDir => {}
                Component::ParentDir => {
                    clean.pop();
                }
                other => clean.push(other),
            }
        }
        let base = self.root.as_deref().unwrap_or(cwd);
        match clean.strip_prefix(base) {
            Ok(rel) if !rel.as_os_str().is_empty() => Ok(rel.to_string_lossy().replace('\\', "/")),
            _ => Err(clean.to_string_lossy().into_owned()),
        }
    }
}

/// The project's address, when the package declares one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|u| !u.is_empty())
}

/// A rule-file path as a URI reference: relative paths stay relative (to the directory halo-audit
/// ran in, as given), absolute ones become `file:` URIs; reserved characters are percent-encoded.
#[must_use]
pub fn path_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut rest = path.as_str();
    while let Some(stripped) = rest.strip_prefix("./") {
        rest = stripped;
    }
    let drive = rest.len() >= 3
        && rest.as_bytes()[0].is_ascii_alphabetic()
        && rest.as_bytes()[1] == b':'
        && rest.as_bytes()[2] == b'/';
    let (prefix, body) = if drive {
        ("file:///", rest)
    } else if rest.starts_with('/') {
        ("file://", rest)
    } else {
        ("", rest)
    };
    let mut out = String::from(prefix);
    for (i, byte) in body.bytes().enumerate() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            )
            || (byte == b':' && drive && i == 1);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Rules, and the index of each rule id.
#[derive(Default)]
pub(super) struct Rules {
    rules: Vec<Rule>,
    index: BTreeMap<String, usize>,
}

impl Rules {
    /// Adds a rule unless one with its id is there already.
    pub(super) fn push(&mut self, rule: Rule) {
        if !self.index.contains_key(&rule.id) {
            self.index.insert(rule.id.clone(), self.rules.len());
            self.rules.push(rule);
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// The `ruleIndex` of a rule id (0 for an id that was never pushed).
    pub(super) fn index_of(&self, id: &str) -> usize {
        self.index.get(id).copied().unwrap_or_default()
    }

    /// The rule a result of rule `id` at `level` reports under, and its index: `id` itself when
    /// its default level is `level`, else a descriptor of its own, `id/level` (SARIF's
    /// hierarchical rule ids), with that level and its `security-severity`. GitHub reads
    /// `security-severity` from the rule only, so a note under a rule of an error would show as a
    /// high-severity alert.
    pub(super) fn at_level(&mut self, id: &str, level: &'static str) -> (String, usize) {
        let Some(&index) = self.index.get(id) else {
            return (id.to_owned(), 0);
        };
        let base = &self.rules[index];
        if base.default_configuration.level == level {
            return (id.to_owned(), index);
        }
        let split = format!("{id}/{level}");
        if let Some(&index) = self.index.get(&split) {
            return (split, index);
        }
        let mut rule = base.clone();
        rule.id.clone_from(&split);
        rule.name = format!("{}/{}", rule.name, pascal_case(level));
        rule.default_configuration.level = level;
        rule.properties.security_severity = security_severity_of_level(level);
        self.push(rule);
        let index = self.index_of(&split);
        (split, index)
    }
}

/// GitHub's `security-severity` for a SARIF level (see [`security_severity`]).
fn security_severity_of_level(level: &str) -> &'static str {
    match level {
        "error" => security_severity(Severity::Error),
        "warning" => security_severity(Severity::Warning),
        _ => security_severity(Severity::Note),
    }
}

fn set_tags(set: &RuleSet, kind: &str) -> Vec<String> {
    vec![
        "security".to_owned(),
        "halo-audit".to_owned(),
        "permissions".to_owned(),
        kind.to_owned(),
        set.id.clone(),
    ]
}

fn requirement_rules(set: &RuleSet, context: &Context<'_>, rules: &mut Rules) {
    let set_url = set
        .sources
        .first()
        .map(|s| crate::ruleset::redacted_url(&s.url).into_owned());
    for requirement in &set.requirements {
        let expected = requirement.expected_text(context.catalog);
        let url = requirement
            .source_url
            .as_deref()
            .map(|u| crate::ruleset::redacted_url(u).into_owned())
            .or_else(|| set_url.clone());
        let mut full = format!(
            "{} needs {} to be {expected}.",
            set.vendor.as_deref().unwrap_or(&set.title),
            requirement.key
        );
        if let Some(condition) = &requirement.condition {
            full.push_str(&format!(" Only if {condition}."));
        }
        if let Some(rationale) = &requirement.rationale {
            full.push(' ');
            full.push_str(rationale.trim());
        }
        let source = url
            .as_deref()
            .map(|u| format!(" ({u})"))
            .unwrap_or_default();
        // The rule file's text through the one Markdown writer: GitHub renders this help.
        let source_md = url
            .as_deref()
            .map(|u| format!(" (source: {})", super::md::url(u)))
            .unwrap_or_default();
        rules.push(Rule {
            id: requirement.id.clone(),
            name: format!("{}/{}", pascal_case(&set.id), pascal_case(&requirement.key)),
            short_description: Text {
                text: requirement.title.clone(),
            },
            help: Help {
                text: format!(
                    "{full}\n\nThe vendor's words: \"{}\"{source}",
                    requirement.quote.trim()
                ),
                markdown: format!(
                    "{}\n\nThe vendor's words:\n\n> {}{source_md}\n\nSet: {} ({}).",
                    super::md::text(&full),
                    requirement
                        .quote
                        .trim()
                        .lines()
                        .map(super::md::text)
                        .collect::<Vec<_>>()
                        .join("\n> "),
                    super::md::code(&set.id),
                    super::md::text(&set.title)
                ),
            },
            full_description: Text { text: full },
            help_uri: url,
            default_configuration: Configuration {
                level: level(requirement.severity),
            },
            properties: RuleProperties {
                tags: set_tags(set, "requirement"),
                security_severity: security_severity(requirement.severity),
                requirement_set: Some(set.id.clone()),
                permission: Some(requirement.key.clone()),
                expected: Some(expected),
            },
        });
    }
    for policy in &set.policies {
        let code = policy.check.code();
        rules.push(Rule {
            id: policy.id.clone(),
            name: format!("{}/{}", pascal_case(&set.id), pascal_case(code.as_str())),
            short_description: Text {
                text: policy.title.clone(),
            },
            full_description: Text {
                text: policy.rationale.trim().to_owned(),
            },
            help_uri: set_url.clone(),
            help: Help {
                text: format!("{}\n\n{}", policy.rationale.trim(), code.fix()),
                markdown: code.markdown(),
            },
            default_configuration: Configuration {
                level: level(policy.severity),
            },
            properties: RuleProperties {
                tags: set_tags(set, "policy"),
                security_severity: security_severity(policy.severity),
                requirement_set: Some(set.id.clone()),
                permission: None,
                expected: None,
            },
        });
    }
}

fn code_rule(code: Code) -> Rule {
    Rule {
        id: code.as_str().to_owned(),
        name: pascal_case(code.as_str()),
        short_description: Text {
            text: code.summary().to_owned(),
        },
        full_description: Text {
            text: code.what().to_owned(),
        },
        help_uri: None,
        help: Help {
            text: format!("{}\n\n{}", code.why(), code.fix()),
            markdown: code.markdown(),
        },
        default_configuration: Configuration {
            level: level(code.default_severity()),
        },
        properties: RuleProperties {
            tags: vec![
                "security".to_owned(),
                "halo-audit".to_owned(),
                "permissions".to_owned(),
                "check".to_owned(),
            ],
            security_severity: security_severity(code.default_severity()),
            requirement_set: None,
            permission: None,
            expected: None,
        },
    }
}

/// The rule a finding reports under: its requirement or policy, or its code.
fn rule_id(finding: &Finding, rules: &Rules) -> String {
    finding
        .requirement
        .as_ref()
        .filter(|r| rules.contains(r))
        .cloned()
        .unwrap_or_else(|| finding.code.as_str().to_owned())
}

fn physical(location: &Location, base: &Base) -> PhysicalLocation {
    physical_at(&location.path, location.line, location.column, base)
}

/// A place in a file (one line); line and column count from 1 (a line of 0 becomes 1, a column of
/// 0 is left out). The path is located by `base`.
pub(super) fn physical_at(path: &str, line: usize, column: usize, base: &Base) -> PhysicalLocation {
    let (uri, uri_base_id) = base.locate(path);
    PhysicalLocation {
        artifact_location: ArtifactLocation { uri, uri_base_id },
        region: Region {
            start_line: line.max(1),
            start_column: (column > 0).then_some(column),
            end_line: line.max(1),
        },
    }
}

/// The Halo object a result is about.
pub(super) fn logical(subject: &Subject) -> LogicalLocation {
    LogicalLocation {
        name: subject.name.clone(),
        fully_qualified_name: super::qualified_name(subject),
        kind: subject.kind.as_str(),
        properties: BTreeMap::from([("id", subject.id.clone())]),
    }
}

/// The SARIF log of one run of halo-audit (pretty, trailing newline).
pub(super) fn log_text<P: Serialize>(
    rules: Rules,
    results: Vec<SarifResult<P>>,
    properties: BTreeMap<&'static str, Value>,
    info: RunInfo,
) -> String {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: information_uri(),
                    rules: rules.rules,
                },
            },
            automation_details: info.automation_id.map(|id| AutomationDetails { id }),
            invocations: vec![Invocation {
                execution_successful: info.execution_successful,
            }],
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                BaseUri {
                    description: Text {
                        text: "The repository root: the nearest directory up from where \
                               halo-audit ran that holds .git (where it ran, without one)."
                            .to_owned(),
                    },
                },
            )]),
            results,
            properties,
        }],
    };
    crate::text::json_document(&log)
}

/// Renders the SARIF log (pretty, trailing newline), paths relative to the repository of the
/// current directory.
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
    render_with(outcome, context, &Base::current(), &Options::default())
}

/// Renders the SARIF log with paths located by `base`.
#[must_use]
pub fn render_at(outcome: &Outcome, context: &Context<'_>, base: &Base) -> String {
    render_with(outcome, context, base, &Options::default())
}

/// Renders the SARIF log with paths located by `base`, as `options` say.
#[must_use]
pub fn render_with(
    outcome: &Outcome,
    context: &Context<'_>,
    base: &Base,
    options: &Options,
) -> String {
    let base = &base.clone().with_shipped(context.library);
    let mut rules = Rules::default();
    for set in &outcome.sets {
        if matches!(
            set.state,
            SetState::NotInUse | SetState::OnlyInactive { .. }
        ) {
            continue;
        }
        if let Some(rule_set) = context.library.get(&set.id) {
            requirement_rules(rule_set, context, &mut rules);
        }
    }
    // Waived findings are left out unless asked for; then they carry their waiver.
    let shown: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| options.suppressions || f.waiver.is_none())
        .collect();
    let waived = outcome
        .findings
        .iter()
        .filter(|f| f.waiver.is_some())
        .count();
    let mut codes: Vec<Code> = shown
        .iter()
        .filter(|f| rule_id(f, &rules) == f.code.as_str())
        .map(|f| f.code)
        .collect();
    codes.sort();
    codes.dedup();
    for code in codes {
        rules.push(code_rule(code));
    }
    let fingerprints: Vec<String> = shown.iter().map(|f| f.fingerprint()).collect();
    let hashes = line_hashes(fingerprints.iter().map(String::as_str));
    let results = shown
        .iter()
        .zip(fingerprints.into_iter().zip(hashes))
        .map(|(finding, (fingerprint, hash))| {
            let level = level(finding.severity);
            let (rule_id, rule_index) = rules.at_level(&rule_id(finding, &rules), level);
            SarifResult {
                rule_index,
                rule_id,
                level,
                message: Text {
                    text: super::plain_text(finding),
                },
                locations: vec![SarifLocation {
                    physical_location: super::location(finding, context.library)
                        .as_ref()
                        .map(|l| physical(l, base)),
                    logical_locations: vec![logical(&finding.subject)],
                }],
                partial_fingerprints: BTreeMap::from([
                    (FINGERPRINT_KEY, fingerprint),
                    (LINE_HASH_KEY, hash),
                ]),
                suppressions: finding
                    .waiver
                    .as_ref()
                    .map(suppression)
                    .into_iter()
                    .collect(),
                properties: ResultProperties {
                    code: finding.code.as_str(),
                    requirement_set: &finding.requirement_set,
                    requirement: finding.requirement.as_deref(),
                    permission: finding.permission.as_deref(),
                    expected: finding.expected.as_deref(),
                    actual: finding.actual.as_deref(),
                    fix: finding.help.as_deref(),
                    chain: &finding.chain,
                    assumptions: &finding.assumptions,
                },
            }
        })
        .collect();
    let provenance = &context.tenant.provenance;
    let mut properties = BTreeMap::new();
    if let Some(instance) = &provenance.instance {
        properties.insert("instance", json!(instance));
    }
    if let Some(fetched_at) = &provenance.fetched_at {
        properties.insert("snapshotFetchedAt", json!(fetched_at));
    }
    properties.insert(
        "verdict",
        json!(super::verdict(outcome, context.gate()).as_str()),
    );
    let numbers = outcome.summary();
    properties.insert("coverage", coverage(numbers.requirements));
    properties.insert(
        "coverageBySet",
        json!(
            outcome
                .sets
                .iter()
                .filter(|s| !matches!(s.state, SetState::NotInUse | SetState::OnlyInactive { .. }))
                .map(|s| (s.id.clone(), coverage(s.coverage)))
                .collect::<BTreeMap<_, _>>()
        ),
    );
    properties.insert(
        "suppressed",
        json!({
            "waived": waived,
            "inResults": options.suppressions,
        }),
    );
    // Finding counts: a SARIF log holds only the findings reported, so those silenced by the
    // configuration and those waived are counted here (an empty log is not a clean tenant).
    properties.insert(
        "findingCounts",
        json!({
            "errors": numbers.findings.errors,
            "warnings": numbers.findings.warnings,
            "notes": numbers.findings.notes,
            "unverifiable": numbers.findings.unverifiable,
            "assumed": numbers.findings.assumed,
            "waived": numbers.findings.waived,
            "silenced": numbers.findings.silenced,
        }),
    );
    properties.insert("inputs", json!(outcome.inputs));
    let notices = outcome.inputs.notices(&numbers);
    if !notices.is_empty() {
        properties.insert("notices", json!(notices));
    }
    if context.fail_on_assumed {
        properties.insert("failOnAssumed", json!(true));
    }
    if let Some(min) = context.min_coverage {
        properties.insert("minCoverage", json!(min));
    }
    if !outcome.not_audited.is_empty() {
        properties.insert("notAudited", json!(outcome.not_audited));
    }
    log_text(
        rules,
        results,
        properties,
        RunInfo {
            automation_id: Options::automation_id(options.category.as_deref()),
            execution_successful: outcome.not_audited.is_empty(),
        },
    )
}

/// A waiver as SARIF's suppression: accepted, kind `external` (it is written in the
/// configuration, not where the result is placed), its reason as the justification.
fn suppression(waiver: &crate::check::WaiverNote) -> Suppression {
    Suppression {
        kind: "external",
        status: "accepted",
        justification: waiver.reason.clone(),
        properties: BTreeMap::from([
            ("owner", waiver.owner.clone()),
            ("expires", waiver.expires.clone()),
            ("location", waiver.location.clone()),
        ]),
    }
}

/// Requirement counts: `{"decided": 20, "unverifiable": 17, "notApplicable": 0, "percent": 54,
/// "passed": 15, "missing": 3, "excessive": 2, "assumed": 4, "overlay": 0, "onEvidence": 16}`.
fn coverage(c: crate::check::Coverage) -> Value {
    json!({
        "decided": c.decided,
        "unverifiable": c.unverifiable,
        "notApplicable": c.not_applicable,
        "percent": c.percent(),
        "passed": c.passed,
        "missing": c.missing,
        "excessive": c.excessive,
        "assumed": c.assumed,
        "overlay": c.overlay,
        "onEvidence": c.on_evidence(),
    })
}
