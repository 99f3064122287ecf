//! Phase two: rule files parsed and validated into a [`Library`], every problem collected at its
//! place; a file that does not parse is salvaged item by item.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Catalog, Kind, PermRef};
use crate::diag::Severity;

use super::error::{RuleProblem, RulesError};
use super::files::RuleFile;
use super::model::{self, RawBound, RawExpect, RawSet, Sp};
use super::set::{
    Alternative, Expect, Library, Location, Policy, PolicyCheck, Requirement, RuleSet, SetKind,
};
use super::yaml::{
    blank_flow, first_line, flow_entries, offset_of, parse_problem, problem, salvage, span_of,
    yaml_options,
};

/// Parses and validates rule files into a library. A user file whose set id equals a shipped one
/// replaces it.
///
/// # Errors
/// [`RulesError::Invalid`] with every problem found in every file.
pub fn load(files: &[RuleFile], catalog: &Catalog) -> Result<Library, RulesError> {
    let mut problems = Vec::new();
    let mut flagged = Vec::new();
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
            flagged: Vec::new(),
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
                    flagged.append(&mut v.flagged);
                }
            }
        }
        problems.extend(v.problems);
    }
    if problems.is_empty() {
        // The texts quoted around a finding's rule: no URL's password among them.
        let files = files
            .iter()
            .map(|f| (f.name.clone(), super::masked_userinfo(&f.text).into_owned()))
            .collect();
        Ok(Library {
            sets: sets.into_values().collect(),
            files,
            flagged: std::sync::Arc::new(flagged),
        })
    } else {
        Err(RulesError::Invalid { problems })
    }
}

/// When a rule file does not parse: parses each requirement and policy (block or flow style) alone, with
/// the others blanked out (spaces, so every line, column and byte offset stays where it was), and
/// records each one's first structural problem at its place; then parses the file with the broken
/// items blanked, so the rest is validated in the same run. Returns that file's set and the ids
/// (with places) of the broken items, or `None` when the problem is not inside an item (or the
/// file is not laid out so that items can be told apart); then only the first problem is shown.
fn item_by_item(v: &mut Validator<'_>) -> Option<Salvaged> {
    let found = salvage::<RawSet>(v.file)?;
    let source_urls: Vec<String> = found
        .raw
        .sources
        .iter()
        .map(|s| s.value.url.value.clone())
        .collect();
    for (error, item) in found.errors.iter().zip(&found.broken_items) {
        // A requirement gets every problem it has; anything else its first.
        if !(item.requirement && v.broken_requirement(item, &source_urls)) {
            v.parse_error(error);
        }
    }
    Some(Salvaged {
        raw: found.raw,
        broken_ids: found.broken_ids,
        some_broken: !found.errors.is_empty(),
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

struct Validator<'a> {
    file: &'a RuleFile,
    catalog: &'a Catalog,
    problems: Vec<RuleProblem>,
    /// Problems only `rules validate` refuses (a source URL holding userinfo).
    flagged: Vec<RuleProblem>,
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

    /// Every problem of a requirement that does not parse: each member of the wrong type or
    /// unknown (read again with that member blanked, until the rest parses), then every member
    /// missing, then what the members that are there say (an unknown permission, a level the
    /// permission does not have). False when the item cannot be read that way (its first problem
    /// is then reported alone).
    fn broken_requirement(
        &mut self,
        item: &super::yaml::BrokenItem,
        source_urls: &[String],
    ) -> bool {
        /// At most this many members are blanked, one per reading.
        const MAX_MEMBERS: usize = 32;
        if let Some(flow) = item.flow.clone() {
            return self.broken_flow_requirement(item, flow, source_urls);
        }
        let lines: Vec<&str> = item.alone.split_inclusive('\n').collect();
        let indent = |line: &str| line.len() - line.trim_start_matches([' ', '\t']).len();
        // Members start at the item's key column: the `- ` line's text after the dash.
        let Some(first) = lines.get(*item.lines.start()) else {
            return false;
        };
        let key_indent = {
            let after_dash = first.trim_start_matches([' ', '\t']);
            let dash = indent(first);
            match after_dash.strip_prefix('-') {
                Some(rest) if after_dash.trim() != "-" => {
                    dash + 1 + (rest.len() - rest.trim_start_matches([' ', '\t']).len())
                }
                // A lone `-` line: the keys start on the next line.
                _ => lines
                    .get(*item.lines.start() + 1)
                    .map_or(dash + 2, |l| indent(l)),
            }
        };
        let mut blanked: Vec<std::ops::RangeInclusive<usize>> = Vec::new();
        let mut blanked_keys: BTreeSet<String> = BTreeSet::new();
        let mut problems = Vec::new();
        let loose = loop {
            let mut text = item.alone.clone().into_bytes();
            let starts: Vec<usize> = lines
                .iter()
                .scan(0, |at, l| {
                    let start = *at;
                    *at += l.len();
                    Some(start)
                })
                .collect();
            for range in &blanked {
                for line in range.clone() {
                    let (Some(&start), Some(content)) = (starts.get(line), lines.get(line)) else {
                        continue;
                    };
                    let content = content.trim_end_matches(['\r', '\n']);
                    // The `- ` of the item's first line stays, so the item stays an item.
                    let keep = if line == *item.lines.start() {
                        key_indent
                    } else {
                        0
                    };
                    for byte in text
                        .iter_mut()
                        .skip(start + keep)
                        .take(content.len().saturating_sub(keep))
                    {
                        *byte = b' ';
                    }
                }
            }
            let text = String::from_utf8_lossy(&text).into_owned();
            match serde_saphyr::from_str_with_options::<model::LooseSet>(&text, yaml_options()) {
                Ok(set) => break set.requirements.into_iter().next(),
                Err(e) => {
                    let Some(line) = e
                        .location()
                        .and_then(|l| usize::try_from(l.line()).ok())
                        .and_then(|l| l.checked_sub(1))
                        .filter(|l| item.lines.contains(l))
                    else {
                        return false;
                    };
                    // The member holding that line: its key line, through its deeper lines.
                    let Some(key) = (*item.lines.start()..=line).rev().find(|&i| {
                        lines.get(i).is_some_and(|l| {
                            i == *item.lines.start()
                                || (indent(l) == key_indent && !l.trim().is_empty())
                        })
                    }) else {
                        return false;
                    };
                    let mut end = key;
                    while end < *item.lines.end()
                        && lines
                            .get(end + 1)
                            .is_some_and(|l| l.trim().is_empty() || indent(l) > key_indent)
                    {
                        end += 1;
                    }
                    if blanked.len() >= MAX_MEMBERS || blanked.iter().any(|r| r.contains(&key)) {
                        return false;
                    }
                    // A flow mapping on one line cannot lose one member: read no further.
                    if key == *item.lines.start() && end == *item.lines.end() {
                        return false;
                    }
                    let name = lines.get(key).map_or("", |l| {
                        let l = l.trim_start_matches([' ', '\t']);
                        let l = if key == *item.lines.start() {
                            l.trim_start_matches('-').trim_start()
                        } else {
                            l
                        };
                        l.split(':').next().unwrap_or_default().trim()
                    });
                    blanked_keys.insert(name.to_owned());
                    blanked.push(key..=end);
                    problems.push(e);
                }
            }
        };
        let Some(loose) = loose else {
            return false;
        };
        self.requirement_problems(&loose, &problems, &blanked_keys, source_urls)
    }

    /// [`Validator::broken_requirement`] of a flow mapping (`requirements: [{id: ..}, ...]`):
    /// the member holding each problem is blanked by its bytes (with its comma), until the rest
    /// reads.
    fn broken_flow_requirement(
        &mut self,
        item: &super::yaml::BrokenItem,
        flow: std::ops::Range<usize>,
        source_urls: &[String],
    ) -> bool {
        /// At most this many members are blanked, one per reading.
        const MAX_MEMBERS: usize = 32;
        let Some((_, members)) = flow_entries(&item.alone, flow.start) else {
            return false;
        };
        let mut blanked: Vec<std::ops::Range<usize>> = Vec::new();
        let mut blanked_keys: BTreeSet<String> = BTreeSet::new();
        let mut problems = Vec::new();
        let loose = loop {
            let mut text = item.alone.clone().into_bytes();
            for range in &blanked {
                blank_flow(&mut text, range.clone(), true);
            }
            let text = String::from_utf8_lossy(&text).into_owned();
            match serde_saphyr::from_str_with_options::<model::LooseSet>(&text, yaml_options()) {
                Ok(set) => break set.requirements.into_iter().next(),
                Err(e) => {
                    let Some(at) = e.location().and_then(|l| {
                        offset_of(
                            &text,
                            usize::try_from(l.line()).ok()?,
                            usize::try_from(l.column()).ok()?,
                        )
                    }) else {
                        return false;
                    };
                    // The member holding the problem (a problem at its end belongs to it too).
                    let Some(member) = members
                        .iter()
                        .find(|m| m.start <= at && at <= m.end)
                        .cloned()
                    else {
                        return false;
                    };
                    if blanked.len() >= MAX_MEMBERS || blanked.contains(&member) {
                        return false;
                    }
                    let name = item
                        .alone
                        .get(member.clone())
                        .and_then(|m| m.split(':').next())
                        .unwrap_or_default()
                        .trim()
                        .trim_matches(['"', '\'']);
                    blanked_keys.insert(name.to_owned());
                    blanked.push(member);
                    problems.push(e);
                }
            }
        };
        let Some(loose) = loose else {
            return false;
        };
        self.requirement_problems(&loose, &problems, &blanked_keys, source_urls)
    }

    /// What [`Validator::broken_requirement`] reports once the requirement reads: its structural
    /// problems, the members it lacks, and what the members that are there say.
    fn requirement_problems(
        &mut self,
        loose: &Sp<model::LooseRequirement>,
        problems: &[serde_saphyr::Error],
        blanked_keys: &BTreeSet<String>,
        source_urls: &[String],
    ) -> bool {
        for error in problems {
            self.parse_error(error);
        }
        let r = &loose.value;
        let missing: Vec<&str> = [
            ("id", r.id.is_none()),
            ("title", r.title.is_none()),
            ("permission", r.permission.is_none()),
            ("expect", r.expect.is_none()),
            ("source", r.source.is_none()),
        ]
        .into_iter()
        .filter(|(name, absent)| *absent && !blanked_keys.contains(*name))
        .map(|(name, _)| name)
        .collect();
        let at = Sp {
            value: (),
            line: loose.line,
            column: loose.column,
            span: None,
        };
        for name in &missing {
            self.push(
                &at,
                format!("cannot parse rule file: missing field `{name}`"),
                "this mapping lacks it",
                Some(
                    "every requirement needs `id`, `title`, `permission`, `expect` and `source`"
                        .to_owned(),
                ),
            );
        }
        // What is there is checked as for any requirement.
        if let Some(id) = &r.id
            && !is_id(&id.value, true)
        {
            self.push(
                id,
                format!(
                    "requirement id `{}` is not lower-case letters, digits, dots and dashes",
                    id.value
                ),
                "invalid id",
                Some("e.g. `cloud-depot.customers-read-only`".to_owned()),
            );
        }
        let _ = self.severity(r.severity.as_ref(), Severity::Error);
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
        if let Some(permission) = &r.permission {
            match self.catalog.resolve(&permission.value) {
                None => self.unknown_permission(permission),
                Some(resolved) => {
                    if let Some(expect) = &r.expect {
                        let _ = self.expect(&resolved, expect, r.allow_higher);
                    }
                }
            }
        }
        if let Some(source) = &r.source
            && let Some(url) = &source.value.url
            && !source_urls.contains(&url.value)
        {
            self.push(
                url,
                format!("`{}` is not one of the set's sources", url.value),
                "unknown source",
                Some("add it to the set's `sources`".to_owned()),
            );
        }
        true
    }

    fn unknown_permission(&mut self, permission: &Sp<String>) {
        let suggestions = self.catalog.suggest(&permission.value);
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
            permission,
            format!("unknown permission `{}`", permission.value),
            "not in the permission catalog",
            Some(help),
        );
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
            let shown = crate::ruleset::redacted_url(&url.value);
            if !(url.value.starts_with("https://") || url.value.starts_with("http://")) {
                self.push(url, format!("source url `{shown}` is not an http(s) address"), "not a URL", Some("cite the vendor document's address, e.g. https://vendor.example/docs/halopsa".to_owned()));
            } else if matches!(shown, std::borrow::Cow::Owned(_)) {
                // Every output prints it redacted; `rules validate` refuses it.
                self.flagged.push(problem(
                    self.file,
                    url,
                    format!("source url `{shown}` holds a user name or password"),
                    "userinfo in a URL",
                    Some("remove `user:password@`: a rule file is shared, and its source URLs are printed in every report (SARIF sends them to code scanning); cite the document by its address alone, and keep credentials out of rule files".to_owned()),
                ));
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
            self.unknown_permission(&r.permission);
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
            thresholds: super::set::Thresholds::default(),
            location: self.location(&p.id),
        })
    }
}

pub(super) fn is_id(id: &str, dotted: bool) -> bool {
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
