//! The findings of the HTML report as cards: identical findings (same code, severity, set,
//! requirement or permission, needed, granted and reason) grouped into one card listing their
//! subjects; the fix split into what to change in Halo and how to decide with halo-audit; what is
//! granted of the permission in question; and the riskiest cards for the executive summary.
//!
//! Owns: grouping and the words of a card. Pure text work over the outcome; no markup here
//! except the code spans ([`rich`]), so every value still goes through `maud`'s escaping.

use maud::{Markup, html};

use crate::catalog::Catalog;
use crate::check::{Finding, Grade, Outcome, Subject};
use crate::diag::{Code, Severity};
use crate::tenant::Tenant;

use super::t;

/// Text with `code spans`: each span in `<code>`, every part escaped and made safe for a
/// terminal. Text with an odd number of backticks is shown as it is.
pub(super) fn rich(text: &str) -> Markup {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return html! { (t(text)) };
    }
    html! {
        @for (i, part) in parts.iter().enumerate() {
            @if i % 2 == 1 { code { (t(part)) } } @else { (t(part)) }
        }
    }
}

/// Findings shown as one card.
#[derive(Debug)]
pub(super) struct Card<'a> {
    /// `finding-3`, `waived-1`: the card's anchor.
    pub id: String,
    /// The first of its findings, whose words the card shows.
    lead: &'a Finding,
    /// Every finding of the card, the lead first.
    pub findings: Vec<&'a Finding>,
}

impl<'a> Card<'a> {
    pub fn first(&self) -> &'a Finding {
        self.lead
    }

    /// The card's number in its section ("3" of `finding-3`).
    pub fn number(&self) -> &str {
        self.id.rsplit('-').next().unwrap_or_default()
    }

    pub fn severity(&self) -> Severity {
        self.first().severity
    }

    /// The sets the card's findings belong to, in first-seen order.
    pub fn sets(&self) -> Vec<&'a str> {
        let mut sets: Vec<&str> = Vec::new();
        for f in &self.findings {
            if !sets.contains(&f.requirement_set.as_str()) {
                sets.push(&f.requirement_set);
            }
        }
        sets
    }

    /// "6 agents", "2 applications", "3 subjects" (of mixed kinds).
    pub fn subjects_text(&self) -> String {
        let kind = self.first().subject.kind;
        let n = self.findings.len();
        if self.findings.iter().all(|f| f.subject.kind == kind) {
            super::super::plural(n, kind.as_str())
        } else {
            super::super::plural(n, "subject")
        }
    }

    /// One sentence saying what the card finds: a single finding's message, or for a group the
    /// message with its subject put as "each agent below".
    pub fn sentence(&self) -> String {
        let first = self.first();
        if self.findings.len() == 1 {
            return without_waiver_note(first).to_owned();
        }
        let each = |f: &Finding| mask_subject(without_waiver_note(f), &f.subject);
        let template = each(first);
        if self.findings.iter().all(|f| each(f) == template) {
            return capitalise(&fill(&template, first.subject.kind.as_str()));
        }
        // Messages naming other things that differ too (the application an agent serves): the
        // shared start and the shared reason.
        let messages: Vec<&str> = self
            .findings
            .iter()
            .map(|f| without_waiver_note(f))
            .collect();
        let prefix = common_prefix(&messages);
        let suffix = common_suffix(&messages);
        let lead = prefix.rsplit_once(": ").map(|(lead, _)| lead).unwrap_or("");
        let tail = suffix.split_once(": ").map(|(_, tail)| tail).unwrap_or("");
        let lead = if lead.is_empty() {
            first.code.summary().trim_end_matches('.').to_owned()
        } else {
            lead.to_owned()
        };
        if tail.is_empty() {
            format!("{lead} ({})", self.subjects_text())
        } else {
            format!("{lead}: {tail}")
        }
    }
}

/// A finding's message without the `[waived until …]` its waiver appended (the card says it in
/// full).
fn without_waiver_note(finding: &Finding) -> &str {
    match &finding.waiver {
        Some(_) => finding
            .message
            .rsplit_once(" [waived until ")
            .map_or(finding.message.as_str(), |(message, _)| message),
        None => &finding.message,
    }
}

/// A finding's message or fix with its subject's name replaced by markers: `\u{1}` for "agent
/// `Name`", `\u{2}` for the name alone.
fn mask_subject(text: &str, subject: &Subject) -> String {
    if subject.name.is_empty() {
        return text.to_owned();
    }
    text.replace(
        &format!("{} `{}`", subject.kind.as_str(), subject.name),
        "\u{1}",
    )
    .replace(&format!("`{}`", subject.name), "\u{2}")
    .replace(&subject.name, "\u{2}")
}

/// The markers of [`mask_subject`] in words.
fn fill(template: &str, kind: &str) -> String {
    template
        .replace('\u{1}', &format!("each {kind} below"))
        .replace('\u{2}', &format!("the {kind}"))
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

/// Every backtick span emptied and the subject's name masked: what stays is the reason's shape.
fn reason_shape(text: &str, subject: &Subject) -> String {
    let masked = mask_subject(text, subject);
    masked
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { "\u{3}" } else { part })
        .collect()
}

fn common_prefix<'t>(texts: &[&'t str]) -> &'t str {
    let Some(first) = texts.first() else {
        return "";
    };
    let mut end = first.len();
    for other in &texts[1..] {
        end = first
            .char_indices()
            .zip(other.chars())
            .find(|((_, a), b)| a != b)
            .map_or(end.min(other.len()), |((i, _), _)| i.min(end));
    }
    while !first.is_char_boundary(end) {
        end -= 1;
    }
    &first[..end]
}

fn common_suffix<'t>(texts: &[&'t str]) -> &'t str {
    let Some(first) = texts.first() else {
        return "";
    };
    let mut len = first.len();
    for other in &texts[1..] {
        let same = first
            .bytes()
            .rev()
            .zip(other.bytes().rev())
            .take_while(|(a, b)| a == b)
            .count();
        len = len.min(same);
    }
    let mut start = first.len() - len;
    while !first.is_char_boundary(start) {
        start += 1;
    }
    &first[start..]
}

/// What makes two findings one card.
#[derive(PartialEq, Eq)]
struct Key {
    code: Code,
    severity: Severity,
    set: String,
    requirement: Option<String>,
    permission: Option<String>,
    expected: Option<String>,
    actual: Option<String>,
    message: String,
    help: Option<String>,
    grade: Option<Grade>,
    waiver: Option<(String, String, String, String)>,
}

fn key(f: &Finding, outcome: &Outcome) -> Key {
    Key {
        code: f.code,
        severity: f.severity,
        set: f.requirement_set.clone(),
        requirement: f.requirement.clone(),
        permission: f.permission.clone(),
        expected: f.expected.clone(),
        actual: f.actual.clone(),
        message: reason_shape(&f.message, &f.subject),
        help: f.help.as_deref().map(|h| mask_subject(h, &f.subject)),
        grade: outcome.basis_of(f).map(|b| b.grade),
        waiver: f.waiver.as_ref().map(|w| {
            (
                w.reason.clone(),
                w.owner.clone(),
                w.expires.clone(),
                w.location.clone(),
            )
        }),
    }
}

/// Groups findings into cards (in first-seen order), anchored `{prefix}-1`, `{prefix}-2`, ...
pub(super) fn cards<'a>(
    findings: impl Iterator<Item = &'a Finding>,
    outcome: &Outcome,
    prefix: &str,
) -> Vec<Card<'a>> {
    let mut keys: Vec<Key> = Vec::new();
    let mut cards: Vec<Card<'a>> = Vec::new();
    for f in findings {
        let k = key(f, outcome);
        if let Some(card) = keys
            .iter()
            .position(|other| *other == k)
            .and_then(|i| cards.get_mut(i))
        {
            card.findings.push(f);
        } else {
            keys.push(k);
            cards.push(Card {
                id: String::new(),
                lead: f,
                findings: vec![f],
            });
        }
    }
    // Numbered in the order shown: errors, warnings, notes.
    cards.sort_by_key(|c| std::cmp::Reverse(c.severity()));
    for (i, card) in cards.iter_mut().enumerate() {
        card.id = format!("{prefix}-{}", i + 1);
    }
    cards
}

/// The riskiest cards: errors first, escalations first among them, then warnings; at most `n`.
pub(super) fn riskiest<'c, 'a>(cards: &'c [Card<'a>], n: usize) -> Vec<&'c Card<'a>> {
    let mut ranked: Vec<(usize, &Card<'a>)> = cards
        .iter()
        .filter(|c| c.severity() >= Severity::Warning)
        .enumerate()
        .collect();
    ranked.sort_by_key(|(i, c)| {
        (
            std::cmp::Reverse(c.severity()),
            !c.first().code.is_escalation(),
            *i,
        )
    });
    ranked.into_iter().take(n).map(|(_, c)| c).collect()
}

/// A finding's help split: what to change in Halo, and how to decide with halo-audit.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Advice {
    /// What to change in Halo, in its UI's words.
    pub fix: Option<String>,
    /// Command-line advice: what to run, which file to write, what to read.
    pub decide: Vec<String>,
}

/// Text that speaks of halo-audit rather than of Halo.
fn is_tool_advice(text: &str) -> bool {
    text.contains("halo-audit")
        || text.contains("`--")
        || text.contains("`-v`")
        || text.contains("docs/")
        || text.contains("catalog overlay")
}

/// Splits `text` at `sep` outside parentheses.
fn split_top_level<'t>(text: &'t str, sep: &str) -> Vec<&'t str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && i >= start && text[i..].starts_with(sep) {
            parts.push(&text[start..i]);
            start = i + sep.len();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Removes the parenthesised asides that are tool advice (` (`halo-audit plan --set ID`)`),
/// returning the clause without them and the asides.
fn take_tool_asides(clause: &str) -> (String, Vec<String>) {
    let mut kept = String::new();
    let mut asides = Vec::new();
    let mut rest = clause;
    while let Some(open) = rest.find(" (") {
        let after = &rest[open + 2..];
        let mut depth = 1usize;
        let close = after.char_indices().find_map(|(i, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(i)
        });
        let Some(close) = close else { break };
        let inner = &after[..close];
        if is_tool_advice(inner) {
            kept.push_str(&rest[..open]);
            asides.push(inner.to_owned());
        } else {
            kept.push_str(&rest[..open + 2 + close + 1]);
        }
        rest = &after[close + 1..];
    }
    kept.push_str(rest);
    (kept, asides)
}

/// Words for an aside moved out of a fix.
fn aside_words(aside: &str) -> String {
    if aside.starts_with("`halo-audit plan") {
        format!("{aside} prints the least-privilege setup of the integration's requirement set")
    } else {
        aside.to_owned()
    }
}

/// Splits a finding's help into its fix in Halo and its tool advice.
pub(super) fn advice(help: Option<&str>) -> Advice {
    let mut out = Advice::default();
    let Some(help) = help else { return out };
    let mut fix: Vec<String> = Vec::new();
    for clause in split_top_level(help, "; ") {
        let (kept, asides) = take_tool_asides(clause);
        let kept = kept.trim();
        if is_tool_advice(kept) {
            // Advice about the tool as a whole, asides and all.
            out.decide.push(clause.trim().to_owned());
            continue;
        }
        out.decide.extend(asides.iter().map(|a| aside_words(a)));
        if !kept.is_empty() {
            fix.push(kept.to_owned());
        }
    }
    if !fix.is_empty() {
        out.fix = Some(fix.join("; "));
    }
    out
}

/// A grouped card's fix: the first finding's, with its subject in words.
pub(super) fn group_text(text: &str, subject: &Subject, grouped: bool) -> String {
    if grouped {
        fill(&mask_subject(text, subject), subject.kind.as_str())
    } else {
        text.to_owned()
    }
}

/// What is granted of the permission in question. For a scope: the held scopes that grant or
/// imply it, or "none of: ..." the scopes that would; for anything else the finding's own value.
pub(super) fn granted(finding: &Finding, tenant: &Tenant, catalog: &Catalog) -> Option<String> {
    let Some(wanted) = finding
        .permission
        .as_deref()
        .and_then(|p| p.strip_prefix("scope:"))
    else {
        return finding.actual.clone();
    };
    let held = tenant
        .applications
        .as_ref()
        .and_then(|apps| apps.iter().find(|a| a.id == finding.subject.id))
        .and_then(|a| a.scopes.as_ref());
    let Some(held) = held else {
        return finding.actual.clone();
    };
    let granting: Vec<&str> = held
        .iter()
        .filter(|h| catalog.scope_grant(std::iter::once(*h), wanted).is_some())
        .map(String::as_str)
        .collect();
    if !granting.is_empty() {
        return Some(
            granting
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    let mut would: Vec<&str> = catalog
        .scopes
        .iter()
        .map(|s| s.name.as_str())
        .filter(|s| {
            let one = [(*s).to_owned()];
            catalog.scope_grant(one.iter(), wanted).is_some()
        })
        .collect();
    if !would.contains(&wanted) {
        would.insert(0, wanted);
    }
    Some(format!(
        "none of: {}",
        would
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_advice_leaves_the_fix() {
        let a = advice(Some(
            "replace `all` with the scopes the integration documents (`halo-audit plan --set ID`) in Configuration > Integrations > HaloPSA API > View Applications > Sync > Permissions",
        ));
        assert_eq!(
            a.fix.as_deref(),
            Some(
                "replace `all` with the scopes the integration documents in Configuration > Integrations > HaloPSA API > View Applications > Sync > Permissions"
            )
        );
        assert_eq!(a.decide.len(), 1);
        assert!(a.decide[0].starts_with("`halo-audit plan --set ID` prints"));

        let a = advice(Some(
            "halo-audit could not read this value (no claims (the calls returned none; docs/fetching.md)); `halo-audit snapshot show` lists what the catalog does not understand",
        ));
        assert_eq!(a.fix, None);
        assert_eq!(
            a.decide,
            vec![
                "halo-audit could not read this value (no claims (the calls returned none; docs/fetching.md))",
                "`halo-audit snapshot show` lists what the catalog does not understand",
            ]
        );

        let a = advice(Some(
            "untick \"Can Delete Tickets\" in Configuration > Agents > X (and on every role)",
        ));
        assert_eq!(
            a.fix.as_deref(),
            Some("untick \"Can Delete Tickets\" in Configuration > Agents > X (and on every role)")
        );
        assert!(a.decide.is_empty());
        assert_eq!(advice(None), Advice::default());
    }

    #[test]
    fn code_spans_become_code_elements_and_stay_escaped() {
        assert_eq!(
            rich("tick `read:<kb>` in A & B").into_string(),
            "tick <code>read:&lt;kb&gt;</code> in A &amp; B"
        );
        assert_eq!(rich("odd ` tick").into_string(), "odd ` tick");
    }

    #[test]
    fn common_ends_respect_characters() {
        assert_eq!(common_prefix(&["é1 a: x", "é1 a: y"]), "é1 a: ");
        assert_eq!(common_suffix(&["xé: zé", "yé: zé"]), "é: zé");
        assert_eq!(common_prefix(&["€", "₤"]), "");
    }

    #[test]
    fn a_subject_becomes_words() {
        let subject = Subject {
            kind: crate::check::SubjectKind::Agent,
            id: "7".to_owned(),
            name: "Eleanor".to_owned(),
        };
        let masked = mask_subject(
            "agent `Eleanor` can impersonate; if `Eleanor` needs it, see Agents > Eleanor",
            &subject,
        );
        assert_eq!(
            fill(&masked, "agent"),
            "each agent below can impersonate; if the agent needs it, see Agents > the agent"
        );
    }
}
