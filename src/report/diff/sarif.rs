//! The SARIF log of `halo-audit diff`, on the model of `check`'s ([`crate::report::sarif`]).
//!
//! One rule per kind of change found (`drift/scope-added`), one result per change: level
//! `warning` when widened, `note` when narrowed or neutral; located at the line of the subject's
//! object in the NEW snapshot (line 1 when it is not there, e.g. deleted), with the subject as a
//! logical location and [`Change::fingerprint`] as its partial fingerprint. What could not be
//! compared is in the run's properties.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::json;

use crate::diff::{Change, ChangeKind, Class, Diff};
use crate::report::sarif::{
    Base, Configuration, Help, LINE_HASH_KEY, RuleProperties, Rules, RunInfo, SarifLocation,
    SarifResult, Text, level, line_hashes, log_text, logical, physical_at, security_severity,
};
use crate::snapshot::ObjectLines;

/// The `partialFingerprints` key carrying [`Change::fingerprint`].
pub const FINGERPRINT_KEY: &str = "haloAuditDrift/v1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    class: Class,
    kind: ChangeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    permission: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<&'a str>,
    chain: &'a [String],
}

fn rule(kind: ChangeKind, widens: bool) -> crate::report::sarif::Rule {
    let summary = kind.summary();
    let full = format!(
        "{summary} between the two snapshots `halo-audit diff` compared. A change that lets \
         something do more is widened (level warning); narrowed and neutral changes are notes."
    );
    let review = "Check that the change was intended (a change record, a ticket). If it was not, \
                  undo it in HaloPSA; if it was, the NEW snapshot is the one to compare against next.";
    let severity = super::severity(if widens {
        Class::Widened
    } else {
        Class::Narrowed
    });
    crate::report::sarif::Rule {
        id: super::rule_id(kind),
        name: format!("Drift/{}", crate::report::sarif::pascal_case(kind.as_str())),
        short_description: Text {
            text: summary.to_owned(),
        },
        full_description: Text { text: full },
        help_uri: None,
        help: Help {
            text: review.to_owned(),
            markdown: format!(
                "{review}\n\nSee `docs/drift.md` for what is compared and how changes are classified."
            ),
        },
        default_configuration: Configuration {
            level: level(severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(severity),
            tags: vec![
                "security".to_owned(),
                "halo-audit".to_owned(),
                "permissions".to_owned(),
                "drift".to_owned(),
            ],
            requirement_set: None,
            permission: None,
            expected: None,
        },
    }
}

/// Renders the SARIF log (pretty, trailing newline). `lines` locates the subjects in the NEW
/// snapshot (`paths.1`); paths are relative to the repository of the current directory.
#[must_use]
pub fn render(diff: &Diff, paths: (&str, &str), lines: &ObjectLines) -> String {
    render_at(diff, paths, lines, &Base::current())
}

/// Renders the SARIF log, paths relative to the repository of the current directory, with
/// `category` (`--sarif-category`) as `automationDetails.id`.
#[must_use]
pub fn render_in(
    diff: &Diff,
    paths: (&str, &str),
    lines: &ObjectLines,
    category: Option<&str>,
) -> String {
    render_with(diff, paths, lines, &Base::current(), category)
}

/// Renders the SARIF log with paths located by `base`.
#[must_use]
pub fn render_at(diff: &Diff, paths: (&str, &str), lines: &ObjectLines, base: &Base) -> String {
    render_with(diff, paths, lines, base, None)
}

/// Renders the SARIF log with paths located by `base` and `category` as `automationDetails.id`.
#[must_use]
pub fn render_with(
    diff: &Diff,
    paths: (&str, &str),
    lines: &ObjectLines,
    base: &Base,
    category: Option<&str>,
) -> String {
    let kinds: BTreeSet<ChangeKind> = diff.changes.iter().map(|c| c.kind).collect();
    let mut rules = Rules::default();
    for kind in kinds {
        let widens = diff
            .changes
            .iter()
            .any(|c| c.kind == kind && c.class == Class::Widened);
        rules.push(rule(kind, widens));
    }
    let fingerprints: Vec<String> = diff.changes.iter().map(Change::fingerprint).collect();
    let hashes = line_hashes(fingerprints.iter().map(String::as_str));
    let results: Vec<SarifResult<ResultProperties<'_>>> = diff
        .changes
        .iter()
        .zip(fingerprints.into_iter().zip(hashes))
        .map(|(change, (fingerprint, hash)): (&Change, _)| {
            let level = level(super::severity(change.class));
            let (rule_id, rule_index) = rules.at_level(&super::rule_id(change.kind), level);
            let location = super::new_location(lines, paths.1, &change.subject);
            SarifResult {
                rule_index,
                rule_id,
                level,
                message: Text {
                    text: super::plain_text(change),
                },
                locations: vec![SarifLocation {
                    physical_location: Some(physical_at(
                        &location.path,
                        location.line,
                        location.column,
                        base,
                    )),
                    logical_locations: vec![logical(&change.subject)],
                }],
                partial_fingerprints: BTreeMap::from([
                    (FINGERPRINT_KEY, fingerprint),
                    (LINE_HASH_KEY, hash),
                ]),
                suppressions: Vec::new(),
                properties: ResultProperties {
                    class: change.class,
                    kind: change.kind,
                    permission: change.permission.as_deref(),
                    before: change.before.as_deref(),
                    after: change.after.as_deref(),
                    chain: &change.chain,
                },
            }
        })
        .collect();
    let mut properties = BTreeMap::from([
        ("oldSnapshot", json!(paths.0)),
        ("newSnapshot", json!(paths.1)),
        (
            "summary",
            json!({
                "widened": diff.count(Class::Widened),
                "narrowed": diff.count(Class::Narrowed),
                "neutral": diff.count(Class::Neutral),
            }),
        ),
        ("notCompared", json!(diff.not_compared)),
    ]);
    if !diff.is_complete() {
        properties.insert("notComparable", json!(diff.not_comparable));
        properties.insert("incompleteLists", json!(diff.incomplete));
    }
    for (key, value) in [
        ("instance", &diff.new.instance),
        ("oldFetchedAt", &diff.old.fetched_at),
        ("oldScope", &diff.old.scope),
        ("newFetchedAt", &diff.new.fetched_at),
        ("newScope", &diff.new.scope),
    ] {
        if let Some(value) = value {
            properties.insert(key, json!(value));
        }
    }
    log_text(
        rules,
        results,
        properties,
        RunInfo {
            automation_id: crate::report::sarif::Options::automation_id(category),
            // A list either snapshot did not read whole: the comparison did not establish the drift.
            execution_successful: diff.is_complete(),
        },
    )
}
