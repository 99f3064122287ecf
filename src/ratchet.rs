//! Baselines (the "ratchet"): a previous JSON report whose findings are accepted, so that `check`
//! fails only on findings that are new.
//!
//! Owns: reading a baseline file (a halo-audit JSON report, version 1) and its error messages, and
//! matching the current findings against it by [`Finding::fingerprint`] (code, set, requirement,
//! subject kind and stable id, permission), never by message text. It does not render anything
//! and does not decide exit codes; `app` and `report` do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::check::{Finding, Outcome};

/// A finding as recorded in a baseline report: enough to list it when it is fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineEntry {
    pub fingerprint: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub requirement_set: Option<String>,
    #[serde(default)]
    pub requirement: Option<String>,
    #[serde(default)]
    pub subject: Option<BaselineSubject>,
    #[serde(default)]
    pub permission: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// The subject of a baseline entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineSubject {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// A loaded baseline.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// The file it came from (for messages and the report).
    pub path: PathBuf,
    /// Its findings, in file order.
    pub entries: Vec<BaselineEntry>,
    /// The HaloPSA instance of the snapshot it was written from (`snapshot.instance`), when known.
    pub instance: Option<String>,
}

/// Why a baseline could not be used. Every variant names the file; all are exit code 2.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BaselineError {
    #[error("cannot read baseline {}: {cause}", path.display())]
    #[diagnostic(
        code(halo_audit::baseline::read),
        help(
            "check the path; create a baseline with `halo-audit check --snapshot FILE --baseline {} --update-baseline`",
            path.display()
        )
    )]
    Read {
        path: PathBuf,
        /// Printed in the message, not as a separate cause (which miette would print again).
        cause: std::io::Error,
    },
    #[error("{} is not a halo-audit JSON report (version 1): {reason}", path.display())]
    #[diagnostic(
        code(halo_audit::baseline::not_a_report),
        help(
            "a baseline is a report written by `halo-audit check --format json -o FILE` or by `--update-baseline`; snapshots, diffs and plans are not baselines"
        )
    )]
    NotAReport { path: PathBuf, reason: String },
    #[error("baseline {} is a JSON report version {version}; this halo-audit reads version 1", path.display())]
    #[diagnostic(
        code(halo_audit::baseline::future_version),
        help(
            "upgrade halo-audit, or rewrite the baseline with this version's `--update-baseline`"
        )
    )]
    FutureVersion { path: PathBuf, version: u64 },
}

/// Reads a baseline file.
///
/// # Errors
/// See [`BaselineError`].
pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
    // A report is far below 1 GiB; a FIFO or device is refused rather than waited on.
    let bytes = crate::fsio::read_input(path, 1 << 30).map_err(|cause| BaselineError::Read {
        path: path.to_owned(),
        cause,
    })?;
    parse(&bytes, path)
}

/// Parses a baseline document; `path` is used in messages only.
///
/// # Errors
/// When the bytes are not a halo-audit JSON report of version 1 with a fingerprint on every
/// finding.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Baseline, BaselineError> {
    let not = |reason: String| BaselineError::NotAReport {
        path: path.to_owned(),
        reason,
    };
    // Read in one pass keeping only what is checked and the findings' own text (each finding
    // parsed on its own below): no JSON tree of the document, whatever it holds.
    let report: shape::Report<'_> = serde_json::from_slice(bytes).map_err(|e| {
        not(format!(
            "it is not valid JSON (line {} column {}: {})",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        ))
    })?;
    if !report.object {
        return Err(not("the document is not a JSON object".to_owned()));
    }
    if report.format.text.as_deref() == Some(crate::snapshot::FORMAT) {
        return Err(not("it is a snapshot".to_owned()));
    }
    if report.tool_name.text.as_deref() != Some(env!("CARGO_PKG_NAME")) {
        return Err(not("it has no `tool.name` of \"halo-audit\"".to_owned()));
    }
    match report.version.number {
        Some(1) => {}
        Some(version) if version > 1 => {
            return Err(BaselineError::FutureVersion {
                path: path.to_owned(),
                version,
            });
        }
        _ => return Err(not("its `version` is not 1".to_owned())),
    }
    if let Some(kind) = &report.kind.text {
        return Err(not(format!(
            "it is a halo-audit {kind}, not a check report"
        )));
    }
    if !report.summary.object {
        return Err(not("it has no `summary`".to_owned()));
    }
    let Some(findings) = report.findings.0 else {
        return Err(not("it has no `findings` array".to_owned()));
    };
    let mut entries = Vec::with_capacity(findings.len());
    for (i, finding) in findings.iter().enumerate() {
        let entry: BaselineEntry = serde_json::from_str(finding.get())
            .map_err(|e| not(format!("findings[{i}]: {}", strip_position(&e.to_string()))))?;
        if entry.fingerprint.trim().is_empty() {
            return Err(not(format!("findings[{i}] has an empty `fingerprint`")));
        }
        entries.push(entry);
    }
    Ok(Baseline {
        path: path.to_owned(),
        entries,
        instance: report.instance.text,
    })
}

/// The parts of a report document a baseline reads, each as lenient as a JSON tree would be
/// (a member of another type is as good as absent; a key written twice: the last wins), and
/// everything else skipped while parsing.
mod shape {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::value::RawValue;

    /// A member read only as far as the checks go: its text, its unsigned number, whether it is
    /// an object.
    #[derive(Debug, Default)]
    pub(super) struct Scalar {
        pub text: Option<String>,
        pub number: Option<u64>,
        pub object: bool,
    }

    impl<'de> serde::Deserialize<'de> for Scalar {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(ScalarVisitor { pick: None })
        }
    }

    /// Reads a [`Scalar`], or with `pick` the member of that name of an object.
    struct ScalarVisitor {
        pick: Option<&'static str>,
    }

    impl<'de> Visitor<'de> for ScalarVisitor {
        type Value = Scalar;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Scalar, E> {
            Ok(Scalar::default())
        }
        fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
            Ok(Scalar {
                number: u64::try_from(v).ok().filter(|_| self.pick.is_none()),
                ..Scalar::default()
            })
        }
        fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
            Ok(Scalar {
                number: Some(v).filter(|_| self.pick.is_none()),
                ..Scalar::default()
            })
        }
        fn visit_f64<E>(self, _: f64) -> Result<Scalar, E> {
            Ok(Scalar::default())
        }
        fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
            Ok(Scalar {
                text: Some(v.to_owned()).filter(|_| self.pick.is_none()),
                ..Scalar::default()
            })
        }
        fn visit_unit<E>(self) -> Result<Scalar, E> {
            Ok(Scalar::default())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Scalar::default())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
            let mut picked = Scalar::default();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if self.pick == Some(key.as_ref()) {
                    picked = map.next_value::<Scalar>()?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(match self.pick {
                Some(_) => picked,
                None => Scalar {
                    object: true,
                    ..Scalar::default()
                },
            })
        }
    }

    /// The findings, each left as its text: `None` when `findings` is not an array.
    #[derive(Debug, Default)]
    pub(super) struct Findings<'a>(pub Option<Vec<&'a RawValue>>);

    impl<'de> serde::Deserialize<'de> for Findings<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Items;
            impl<'de> Visitor<'de> for Items {
                type Value = Findings<'de>;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON value")
                }
                fn visit_seq<A: SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> Result<Findings<'de>, A::Error> {
                    let mut items = Vec::new();
                    while let Some(item) = seq.next_element::<&'de RawValue>()? {
                        items.push(item);
                    }
                    Ok(Findings(Some(items)))
                }
                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Findings<'de>, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Findings(None))
                }
                fn visit_bool<E>(self, _: bool) -> Result<Findings<'de>, E> {
                    Ok(Findings(None))
                }
                fn visit_i64<E>(self, _: i64) -> Result<Findings<'de>, E> {
                    Ok(Findings(None))
                }
                fn visit_u64<E>(self, _: u64) -> Result<Findings<'de>, E> {
                    Ok(Findings(None))
                }
                fn visit_f64<E>(self, _: f64) -> Result<Findings<'de>, E> {
                    Ok(Findings(None))
                }
                fn visit_str<E>(self, _: &str) -> Result<Findings<'de>, E> {
                    Ok(Findings(None))
                }
                fn visit_unit<E>(self) -> Result<Findings<'de>, E> {
                    Ok(Findings(None))
                }
            }
            deserializer.deserialize_any(Items)
        }
    }

    /// The document.
    #[derive(Debug, Default)]
    pub(super) struct Report<'a> {
        pub object: bool,
        pub format: Scalar,
        pub tool_name: Scalar,
        pub version: Scalar,
        pub kind: Scalar,
        pub summary: Scalar,
        pub instance: Scalar,
        pub findings: Findings<'a>,
    }

    impl<'de> serde::Deserialize<'de> for Report<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Document;
            impl<'de> Visitor<'de> for Document {
                type Value = Report<'de>;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON value")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Report<'de>, A::Error> {
                    let mut report = Report {
                        object: true,
                        ..Report::default()
                    };
                    while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                        match key.as_ref() {
                            "format" => report.format = map.next_value()?,
                            "version" => report.version = map.next_value()?,
                            "kind" => report.kind = map.next_value()?,
                            "summary" => report.summary = map.next_value()?,
                            "findings" => report.findings = map.next_value()?,
                            "tool" => {
                                report.tool_name = map.next_value_seed(Pick("name"))?;
                            }
                            "snapshot" => {
                                report.instance = map.next_value_seed(Pick("instance"))?;
                            }
                            _ => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        }
                    }
                    Ok(report)
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Report<'de>, A::Error> {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Report::default())
                }
                fn visit_bool<E>(self, _: bool) -> Result<Report<'de>, E> {
                    Ok(Report::default())
                }
                fn visit_i64<E>(self, _: i64) -> Result<Report<'de>, E> {
                    Ok(Report::default())
                }
                fn visit_u64<E>(self, _: u64) -> Result<Report<'de>, E> {
                    Ok(Report::default())
                }
                fn visit_f64<E>(self, _: f64) -> Result<Report<'de>, E> {
                    Ok(Report::default())
                }
                fn visit_str<E>(self, _: &str) -> Result<Report<'de>, E> {
                    Ok(Report::default())
                }
                fn visit_unit<E>(self) -> Result<Report<'de>, E> {
                    Ok(Report::default())
                }
            }
            deserializer.deserialize_any(Document)
        }
    }

    /// The member `.0` of an object, read as a [`Scalar`].
    struct Pick(&'static str);

    impl<'de> serde::de::DeserializeSeed<'de> for Pick {
        type Value = Scalar;
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Scalar, D::Error> {
            deserializer.deserialize_any(ScalarVisitor { pick: Some(self.0) })
        }
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// True when two instance addresses name different HaloPSA instances (case, a trailing `/` and
/// the scheme do not count). Unknown instances never differ.
#[must_use]
pub fn different_instances(a: Option<&str>, b: Option<&str>) -> bool {
    let key = |s: &str| {
        let s = s.trim().trim_end_matches('/').to_ascii_lowercase();
        s.split_once("://")
            .map_or(s.clone(), |(_, rest)| rest.to_owned())
    };
    match (a, b) {
        (Some(a), Some(b)) => key(a) != key(b),
        _ => false,
    }
}

/// The current findings compared with a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ratchet {
    /// The baseline file, as given.
    pub path: String,
    /// For each current finding (in the outcome's order): true when the baseline already holds it.
    pub baselined: Vec<bool>,
    /// Baseline findings that are gone, in baseline order.
    pub fixed: Vec<BaselineEntry>,
}

impl Ratchet {
    /// Number of current findings not in the baseline.
    #[must_use]
    pub fn new_count(&self) -> usize {
        self.baselined.iter().filter(|b| !**b).count()
    }

    /// Number of current findings the baseline holds.
    #[must_use]
    pub fn baselined_count(&self) -> usize {
        self.baselined.iter().filter(|b| **b).count()
    }

    /// The outcome restricted to new findings (sets and evaluations unchanged): what is rendered
    /// and what decides the exit code.
    #[must_use]
    pub fn new_findings(&self, outcome: &Outcome) -> Outcome {
        Outcome {
            findings: outcome
                .findings
                .iter()
                .zip(&self.baselined)
                .filter(|(_, baselined)| !**baselined)
                .map(|(f, _)| f.clone())
                .collect(),
            ..outcome.clone()
        }
    }
}

/// Matches findings with a baseline by fingerprint. Several findings may share a fingerprint; each
/// baseline entry accepts at most one current finding.
#[must_use]
pub fn compare(findings: &[Finding], baseline: &Baseline) -> Ratchet {
    let mut available: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in &baseline.entries {
        *available.entry(entry.fingerprint.as_str()).or_default() += 1;
    }
    let fingerprints: Vec<String> = findings.iter().map(Finding::fingerprint).collect();
    let baselined = fingerprints
        .iter()
        .map(|fp| match available.get_mut(fp.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .collect();
    let fixed = baseline
        .entries
        .iter()
        .filter(
            |entry| match available.get_mut(entry.fingerprint.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            },
        )
        .cloned()
        .collect();
    Ratchet {
        path: baseline.path.display().to_string(),
        baselined,
        fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Subject, SubjectKind};
    use crate::diag::{Code, Severity};
    use serde_json::Value;

    fn finding(requirement: &str, subject: &str, message: &str) -> Finding {
        Finding {
            code: Code::MissingGrant,
            severity: Severity::Error,
            requirement_set: "demo".into(),
            requirement: Some(requirement.into()),
            subject: Subject {
                kind: SubjectKind::Agent,
                id: subject.into(),
                name: format!("Agent {subject}"),
            },
            permission: Some("feature.customers".into()),
            expected: None,
            actual: None,
            message: message.into(),
            chain: Vec::new(),
            assumptions: Vec::new(),
            help: None,
            rule_location: None,
            waiver: None,
        }
    }

    fn report(findings: &[Finding]) -> Vec<u8> {
        let findings: Vec<Value> = findings
            .iter()
            .map(|f| {
                let mut v = serde_json::to_value(f).unwrap();
                v["fingerprint"] = Value::String(f.fingerprint());
                v
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "version": 1, "tool": {"name": "halo-audit", "version": "0"},
            "summary": {"errors": findings.len()}, "findings": findings
        }))
        .unwrap()
    }

    #[test]
    fn matching_ignores_wording_and_names() {
        let old = [finding("r1", "7", "old wording"), finding("r2", "7", "x")];
        let baseline = parse(&report(&old), Path::new("b.json")).unwrap();
        let mut renamed = finding("r1", "7", "new wording entirely");
        renamed.subject.name = "Renamed agent".into();
        let now = [renamed, finding("r3", "7", "x")];
        let ratchet = compare(&now, &baseline);
        assert_eq!(ratchet.baselined, vec![true, false]);
        assert_eq!(ratchet.new_count(), 1);
        assert_eq!(ratchet.fixed.len(), 1);
        assert_eq!(ratchet.fixed[0].requirement.as_deref(), Some("r2"));
    }

    #[test]
    fn another_subject_is_a_new_finding() {
        let baseline = parse(&report(&[finding("r1", "7", "m")]), Path::new("b.json")).unwrap();
        let ratchet = compare(&[finding("r1", "8", "m")], &baseline);
        assert_eq!(ratchet.baselined, vec![false]);
        assert_eq!(ratchet.fixed.len(), 1);
    }

    #[test]
    fn duplicate_fingerprints_are_counted() {
        let baseline = parse(&report(&[finding("r1", "7", "a")]), Path::new("b.json")).unwrap();
        let ratchet = compare(
            &[finding("r1", "7", "a"), finding("r1", "7", "b")],
            &baseline,
        );
        assert_eq!(ratchet.baselined, vec![true, false]);
        assert!(ratchet.fixed.is_empty());
    }

    #[test]
    fn other_documents_are_refused_with_the_reason() {
        let cases: [(&str, &str); 7] = [
            ("not json", "not valid JSON"),
            ("[1]", "not a JSON object"),
            (
                r#"{"format": "halo-audit-snapshot", "version": 1}"#,
                "it is a snapshot",
            ),
            (r#"{"version": 1, "findings": []}"#, "tool.name"),
            (
                r#"{"version": 1, "tool": {"name": "halo-audit"}, "kind": "plan", "summary": {}}"#,
                "it is a halo-audit plan",
            ),
            (
                r#"{"version": 1, "tool": {"name": "halo-audit"}, "findings": []}"#,
                "no `summary`",
            ),
            (
                r#"{"version": 1, "tool": {"name": "halo-audit"}, "summary": {}, "findings": [{"code": "x"}]}"#,
                "findings[0]",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text.as_bytes(), Path::new("b.json"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(expected) && err.contains("b.json"),
                "{text}: {err}"
            );
        }
        let err = parse(
            br#"{"version": 2, "tool": {"name": "halo-audit"}, "summary": {}, "findings": []}"#,
            Path::new("b.json"),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            BaselineError::FutureVersion { version: 2, .. }
        ));
    }
}
