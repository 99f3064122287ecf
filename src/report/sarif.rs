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
    results: Vec<SarifResult<P>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, Value>,
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

#[derive(Serialize)]
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

#[derive(Serialize)]
pub(super) struct Text {
    pub(super) text: String,
}

#[derive(Serialize)]
pub(super) struct Help {
    pub(super) text: String,
    pub(super) markdown: String,
}

#[derive(Serialize)]
pub(super) struct Configuration {
    pub(super) level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RuleProperties {
    pub(super) tags: Vec<String>,
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
    pub(super) properties: P,
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
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
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
}

fn set_tags(set: &RuleSet, kind: &str) -> Vec<String> {
    vec![
        "halo-audit".to_owned(),
        "permissions".to_owned(),
        kind.to_owned(),
        set.id.clone(),
    ]
}

fn requirement_rules(set: &RuleSet, context: &Context<'_>, rules: &mut Rules) {
    let set_url = set.sources.first().map(|s| s.url.clone());
    for requirement in &set.requirements {
        let expected = requirement.expected_text(context.catalog);
        let url = requirement.source_url.clone().or_else(|| set_url.clone());
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
        let source_md = url
            .as_deref()
            .map(|u| format!(" ([source]({u}))"))
            .unwrap_or_default();
        rules.push(Rule {
            id: requirement.id.clone(),
            name: requirement.id.clone(),
            short_description: Text {
                text: requirement.title.clone(),
            },
            help: Help {
                text: format!(
                    "{full}\n\nThe vendor's words: \"{}\"{source}",
                    requirement.quote.trim()
                ),
                markdown: format!(
                    "{full}\n\nThe vendor's words:\n\n> {}{source_md}\n\nSet: `{}` ({}).",
                    requirement.quote.trim().replace('\n', "\n> "),
                    set.id,
                    set.title
                ),
            },
            full_description: Text { text: full },
            help_uri: url,
            default_configuration: Configuration {
                level: level(requirement.severity),
            },
            properties: RuleProperties {
                tags: set_tags(set, "requirement"),
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
            name: code.as_str().to_owned(),
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
        name: code.as_str().to_owned(),
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
                "halo-audit".to_owned(),
                "permissions".to_owned(),
                "check".to_owned(),
            ],
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

fn physical(location: &Location) -> PhysicalLocation {
    physical_at(&location.path, location.line, location.column)
}

/// A place in a file; line and column count from 1 (a line of 0 becomes 1, a column of 0 is left
/// out).
pub(super) fn physical_at(path: &str, line: usize, column: usize) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: path_uri(path),
        },
        region: Region {
            start_line: line.max(1),
            start_column: (column > 0).then_some(column),
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
            results,
            properties,
        }],
    };
    let mut text =
        serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// Renders the SARIF log (pretty, trailing newline).
#[must_use]
pub fn render(outcome: &Outcome, context: &Context<'_>) -> String {
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
    let mut codes: Vec<Code> = outcome
        .findings
        .iter()
        .filter(|f| rule_id(f, &rules) == f.code.as_str())
        .map(|f| f.code)
        .collect();
    codes.sort();
    codes.dedup();
    for code in codes {
        rules.push(code_rule(code));
    }
    let results = outcome
        .findings
        .iter()
        .map(|finding| {
            let id = rule_id(finding, &rules);
            SarifResult {
                rule_index: rules.index_of(&id),
                rule_id: id,
                level: level(finding.severity),
                message: Text {
                    text: super::plain_text(finding),
                },
                locations: vec![SarifLocation {
                    physical_location: super::location(finding, context.library)
                        .as_ref()
                        .map(physical),
                    logical_locations: vec![logical(&finding.subject)],
                }],
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, finding.fingerprint())]),
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
    properties.insert("coverage", coverage(outcome.coverage()));
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
    if let Some(min) = context.min_coverage {
        properties.insert("minCoverage", json!(min));
    }
    if !outcome.not_audited.is_empty() {
        properties.insert("notAudited", json!(outcome.not_audited));
    }
    log_text(rules, results, properties)
}

/// `{"decided": 20, "unverifiable": 17, "notApplicable": 0, "percent": 54}`.
fn coverage(c: crate::check::Coverage) -> Value {
    json!({
        "decided": c.decided,
        "unverifiable": c.unverifiable,
        "notApplicable": c.not_applicable,
        "percent": c.percent(),
    })
}
