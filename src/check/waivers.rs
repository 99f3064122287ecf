//! After the engine: the configuration's severity overrides and accountable waivers.
//!
//! Owns: turning `severity:` levels into changed or dropped findings, matching waivers to findings
//! (code, set, and optionally requirement, subject, permission), and the findings about waivers
//! themselves (`expired-waiver`, `unused-waiver`, `waiver-expiring`). Pure: `today` is passed in.

use crate::config::{Config, Level, Waiver};
use crate::diag::{Code, Severity};
use crate::ruleset::Location;

use super::Outcome;
use super::finding::{Finding, Subject, SubjectKind, WaiverNote};

/// Days before expiry from which a waiver is reported as expiring.
pub const EXPIRING_WITHIN_DAYS: i32 = 14;

/// Applies severity overrides, then (unless `use_waivers` is false) the waivers.
pub fn apply(outcome: &mut Outcome, config: &Config, today: jiff::civil::Date, use_waivers: bool) {
    apply_with(outcome, config, today, use_waivers, true);
}

/// As [`apply`]; without `use_overrides` (`--no-config-overrides`) the configuration's `severity:`
/// is not applied: no finding is dropped or changed.
pub fn apply_with(
    outcome: &mut Outcome,
    config: &Config,
    today: jiff::civil::Date,
    use_waivers: bool,
    use_overrides: bool,
) {
    let no_overrides = std::collections::BTreeMap::new();
    let severities = if use_overrides {
        &config.severity
    } else {
        &no_overrides
    };
    outcome.inputs.overrides_ignored = !use_overrides && !config.severity.is_empty();
    outcome.inputs.waivers_ignored = !use_waivers && !config.waivers.is_empty();
    let mut effects: std::collections::BTreeMap<Code, (usize, usize)> =
        config.severity.keys().map(|code| (*code, (0, 0))).collect();
    let mut silenced = Vec::new();
    for mut f in std::mem::take(&mut outcome.findings) {
        match severities.get(&f.code) {
            Some(Level::Allow) => {
                if let Some(e) = effects.get_mut(&f.code) {
                    e.0 += 1;
                }
                silenced.push(f);
            }
            Some(level) => {
                let severity = match level {
                    Level::Note => Severity::Note,
                    Level::Warn => Severity::Warning,
                    _ => Severity::Error,
                };
                if severity != f.severity
                    && let Some(e) = effects.get_mut(&f.code)
                {
                    e.1 += 1;
                }
                f.severity = severity;
                outcome.findings.push(f);
            }
            None => outcome.findings.push(f),
        }
    }
    outcome.silenced.extend(silenced);
    outcome.inputs.overrides = effects
        .into_iter()
        .filter_map(|(code, (dropped, changed))| {
            let level = severities.get(&code)?;
            Some(super::summary::OverrideEffect {
                code,
                level: match level {
                    Level::Allow => "allow",
                    Level::Note => "note",
                    Level::Warn => "warn",
                    Level::Deny => "deny",
                },
                dropped,
                changed,
            })
        })
        .collect();
    if !use_waivers {
        return;
    }
    let mut extra = Vec::new();
    let index = Index::of(&outcome.findings);
    for waiver in &config.waivers {
        let location = Location {
            path: waiver.at.path.clone(),
            line: waiver.at.line,
            column: 3,
        };
        let about = |code: Code, message: String, help: &str| Finding {
            code,
            severity: severities
                .get(&code)
                .map_or(code.default_severity(), |l| match l {
                    Level::Note | Level::Allow => Severity::Note,
                    Level::Warn => Severity::Warning,
                    Level::Deny => Severity::Error,
                }),
            requirement_set: waiver.set.clone(),
            requirement: waiver.requirement.clone(),
            subject: Subject {
                kind: SubjectKind::Tenant,
                id: String::new(),
                name: "halo-audit.yaml".to_owned(),
            },
            permission: waiver.permission.clone(),
            expected: None,
            actual: None,
            message,
            chain: Vec::new(),
            assumptions: Vec::new(),
            help: Some(help.to_owned()),
            rule_location: Some(location.clone()),
            waiver: None,
        };
        let what = describe(waiver);
        if waiver.expires < today {
            extra.push(about(
                Code::ExpiredWaiver,
                format!(
                    "the waiver for {what} (owner {}) expired on {}; its finding is reported again",
                    waiver.owner, waiver.expires
                ),
                "fix the finding, or have the owner renew the waiver with a new `expires` date",
            ));
            continue;
        }
        let note = WaiverNote {
            reason: waiver.reason.clone(),
            owner: waiver.owner.clone(),
            expires: waiver.expires.to_string(),
            location: format!("{}:{}", waiver.at.path, waiver.at.line),
        };
        let mut matched = 0usize;
        for &i in index.candidates(waiver) {
            let Some(finding) = outcome
                .findings
                .get_mut(i)
                .filter(|f| f.waiver.is_none() && matches(waiver, f))
            else {
                continue;
            };
            finding.severity = Severity::Note;
            finding.message = format!(
                "{} [waived until {} by {}: {}]",
                finding.message, note.expires, note.owner, note.reason
            );
            finding.waiver = Some(note.clone());
            matched += 1;
        }
        if matched > 0 {
            outcome.inputs.waivers.push(super::summary::WaiverApplied {
                at: note.location.clone(),
                owner: note.owner.clone(),
                expires: note.expires.clone(),
                findings: matched,
            });
        }
        if matched == 0 {
            extra.push(about(
                Code::UnusedWaiver,
                format!(
                    "the waiver for {what} (owner {}) matches no finding",
                    waiver.owner
                ),
                "delete it if the finding is fixed, or correct its members to match the finding",
            ));
        } else if today
            .until(waiver.expires)
            .is_ok_and(|span| span.get_days() <= EXPIRING_WITHIN_DAYS)
        {
            extra.push(about(
                Code::WaiverExpiring,
                format!(
                    "the waiver for {what} (owner {}) expires on {}, suppressing {matched} finding{}",
                    waiver.owner,
                    waiver.expires,
                    if matched == 1 { "" } else { "s" }
                ),
                "review it with its owner before it lapses",
            ));
        }
    }
    outcome.findings.extend(extra);
    outcome.findings.sort_by_key(Finding::sort_key);
}

fn describe(w: &Waiver) -> String {
    let mut parts = vec![format!("`{}` in `{}`", w.code.as_str(), w.set)];
    if let Some(r) = &w.requirement {
        parts.push(format!("requirement `{r}`"));
    }
    if let Some((kind, name)) = &w.subject {
        parts.push(format!("{kind} `{name}`"));
    }
    if let Some(p) = &w.permission {
        parts.push(format!("permission `{p}`"));
    }
    parts.join(", ")
}

/// The findings a waiver can match, found without looking at every finding: many waivers
/// against many findings stay near-linear. Positions in the outcome's findings, in order.
struct Index {
    by_set: std::collections::HashMap<(Code, String), Vec<usize>>,
    by_permission: std::collections::HashMap<(Code, String, String), Vec<usize>>,
    by_subject: std::collections::HashMap<(Code, String, String, String), Vec<usize>>,
}

impl Index {
    fn of(findings: &[Finding]) -> Self {
        let mut index = Self {
            by_set: std::collections::HashMap::new(),
            by_permission: std::collections::HashMap::new(),
            by_subject: std::collections::HashMap::new(),
        };
        for (i, f) in findings.iter().enumerate() {
            let set = f.requirement_set.clone();
            index
                .by_set
                .entry((f.code, set.clone()))
                .or_default()
                .push(i);
            if let Some(p) = &f.permission {
                index
                    .by_permission
                    .entry((f.code, set.clone(), p.clone()))
                    .or_default()
                    .push(i);
            }
            index
                .by_subject
                .entry((
                    f.code,
                    set,
                    f.subject.kind.as_str().to_owned(),
                    f.subject.name.to_ascii_lowercase(),
                ))
                .or_default()
                .push(i);
        }
        index
    }

    /// Every finding `w` may match (a superset; [`matches`] decides).
    fn candidates(&self, w: &Waiver) -> &[usize] {
        let found = if let Some(p) = &w.permission {
            self.by_permission.get(&(w.code, w.set.clone(), p.clone()))
        } else if let Some((kind, name)) = w.subject.as_ref().filter(|(_, n)| !n.starts_with('#')) {
            self.by_subject.get(&(
                w.code,
                w.set.clone(),
                kind.clone(),
                name.to_ascii_lowercase(),
            ))
        } else {
            self.by_set.get(&(w.code, w.set.clone()))
        };
        found.map_or(&[], Vec::as_slice)
    }
}

fn matches(w: &Waiver, f: &Finding) -> bool {
    if w.code != f.code || w.set != f.requirement_set {
        return false;
    }
    // A requirement id may be written in full (`cloud-depot.feature.customers`) or without the
    // set's prefix (`feature.customers`).
    if let Some(r) = &w.requirement
        && !f
            .requirement
            .as_deref()
            .is_some_and(|id| id == r || id.strip_prefix(&format!("{}.", w.set)) == Some(r))
    {
        return false;
    }
    if let Some(p) = &w.permission
        && f.permission.as_deref() != Some(p.as_str())
    {
        return false;
    }
    if let Some((kind, name)) = &w.subject {
        if f.subject.kind.as_str() != kind {
            return false;
        }
        let by_id = name.strip_prefix('#').is_some_and(|id| id == f.subject.id);
        if !by_id && !name.eq_ignore_ascii_case(&f.subject.name) {
            return false;
        }
    }
    true
}
