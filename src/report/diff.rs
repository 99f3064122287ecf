//! Renderers of `halo-audit diff`: human, JSON (versioned, docs/drift.md) and Markdown here;
//! SARIF, JUnit, GitHub annotations and HTML in [`sarif`], [`junit`], [`github`] and [`html`],
//! built on the renderers of `check` of the same name. All are fed by the same [`Diff`].

pub mod github;
pub mod html;
pub mod junit;
pub mod sarif;

use std::fmt::Write as _;

use serde::Serialize;

use super::{Style, md};
use crate::check::{Subject, SubjectKind};
use crate::diag::Severity;
use crate::diff::{Change, ChangeKind, Class, Diff, Side};
use crate::ruleset::Location;
use crate::snapshot::ObjectLines;
use crate::text::shown;

/// The version of the diff's JSON document.
pub const VERSION: u32 = 1;

fn side_text(label: &str, path: &str, side: &Side) -> String {
    let mut text = format!("{label} {}", shown(path));
    let details: Vec<String> = [
        side.instance.as_deref().map(crate::text::shown_owned),
        side.fetched_at.as_deref().map(crate::text::shown_owned),
        side.scope
            .as_deref()
            .filter(|s| *s != "all")
            .map(|s| format!("scope {s}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !details.is_empty() {
        let _ = write!(text, " ({})", details.join(", "));
    }
    text
}

fn totals(diff: &Diff) -> String {
    format!(
        "{} widened, {} narrowed, {} neutral",
        diff.count(Class::Widened),
        diff.count(Class::Narrowed),
        diff.count(Class::Neutral)
    )
}

/// "; 3 not comparable: the /api/Agent list was not read whole (exit 3)", or nothing for a diff
/// of complete lists.
fn incomplete_note(diff: &Diff) -> String {
    if diff.is_complete() {
        return String::new();
    }
    format!(
        "; {} not comparable: {} {} not read whole (exit 3)",
        diff.not_comparable.len(),
        diff.incomplete.join(", "),
        if diff.incomplete.len() == 1 {
            "was"
        } else {
            "were"
        }
    )
}

fn no_drift(diff: &Diff) -> &'static str {
    if diff.not_compared.is_empty() {
        "No drift: the two snapshots grant the same."
    } else {
        "No drift in what both snapshots hold (see what could not be compared below)."
    }
}

fn marker(class: Class) -> &'static str {
    match class {
        Class::Widened => "+",
        Class::Narrowed => "-",
        Class::Neutral => "~",
    }
}

/// The human report: one line per change with its class marker (`+` widened, `-` narrowed,
/// `~` neutral) and its chain indented below, then what could not be compared, then the totals.
#[must_use]
pub fn human(diff: &Diff, paths: (&str, &str), style: &Style) -> String {
    let paint = |class: Class, text: &str| {
        if !style.color {
            return text.to_owned();
        }
        let code = match class {
            Class::Widened => "31",
            Class::Narrowed => "32",
            Class::Neutral => "2",
        };
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    };
    let mut out = String::new();
    for (label, path, side) in [("old:", paths.0, &diff.old), ("new:", paths.1, &diff.new)] {
        let text = side_text(label, path, side);
        let _ = writeln!(out, "{}", crate::text::fit_lines(&text, style.columns()));
    }
    out.push('\n');
    if diff.changes.is_empty() {
        let _ = writeln!(out, "{}", no_drift(diff));
    }
    for change in &diff.changes {
        // The message wraps under itself (before it is painted: colour codes take no columns).
        let message = super::wrap(
            &shown(&change.message),
            style.columns().saturating_sub(11),
            "",
        )
        .replace('\n', "\n           ");
        let head = format!(
            "{} {:<8} {message}",
            marker(change.class),
            change.class.as_str(),
        );
        for line in head.lines() {
            let _ = writeln!(out, "{}", paint(change.class, line));
        }
        for line in &change.chain {
            let line = format!("             {}", shown(line));
            let _ = writeln!(out, "{}", crate::text::fit_lines(&line, style.columns()));
        }
    }
    if !diff.not_compared.is_empty() {
        let _ = writeln!(out, "\nNot compared (unknown, not unchanged):");
        for item in &diff.not_compared {
            let line = format!("  {}: {}", shown(&item.what), shown(&item.reason));
            let _ = writeln!(out, "{}", crate::text::fit_lines(&line, style.columns()));
        }
    }
    if !diff.not_comparable.is_empty() {
        let _ = writeln!(
            out,
            "\nNot comparable (in one snapshot only, absent from a list the other did not read whole):"
        );
        for item in &diff.not_comparable {
            let line = format!(
                "  ? {} `{}` (id {}): {}",
                item.subject.kind.as_str(),
                shown(&item.subject.name),
                shown(&item.subject.id),
                shown(&item.reason)
            );
            let _ = writeln!(out, "{}", crate::text::fit_lines(&line, style.columns()));
        }
    }
    let total = format!(
        "halo-audit diff: {} ({} changes){}",
        totals(diff),
        diff.changes.len(),
        incomplete_note(diff)
    );
    let _ = writeln!(out, "\n{}", super::wrap(&total, style.columns(), "  "));
    out
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Document<'a> {
    version: u32,
    kind: &'static str,
    tool: Tool,
    old: SideDoc<'a>,
    new: SideDoc<'a>,
    summary: Summary<'a>,
    changes: &'a [Change],
    not_compared: &'a [crate::diff::NotCompared],
    not_comparable: &'a [crate::diff::NotComparable],
}

#[derive(Serialize, schemars::JsonSchema)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize, schemars::JsonSchema)]
struct SideDoc<'a> {
    path: &'a str,
    #[serde(flatten)]
    side: &'a Side,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Summary<'a> {
    widened: usize,
    narrowed: usize,
    neutral: usize,
    drift: bool,
    /// Members in one snapshot only, absent from a list the other did not read whole.
    not_comparable: usize,
    /// The lists either snapshot did not read whole (`/api/Agent`, ...): when any, the drift could
    /// not be established and `diff` exits 3.
    incomplete_lists: &'a [String],
}

/// The JSON document (pretty, trailing newline).
#[must_use]
pub fn json(diff: &Diff, paths: (&str, &str)) -> String {
    let document = Document {
        version: VERSION,
        kind: "diff",
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        old: SideDoc {
            path: paths.0,
            side: &diff.old,
        },
        new: SideDoc {
            path: paths.1,
            side: &diff.new,
        },
        summary: Summary {
            widened: diff.count(Class::Widened),
            narrowed: diff.count(Class::Narrowed),
            neutral: diff.count(Class::Neutral),
            drift: diff.is_drift(),
            not_comparable: diff.not_comparable.len(),
            incomplete_lists: &diff.incomplete,
        },
        changes: &diff.changes,
        not_compared: &diff.not_compared,
        not_comparable: &diff.not_comparable,
    };
    crate::text::json_document(&document)
}

/// "Old: `path` (instance, fetched at, scope)" in Markdown: every part through the writer.
fn md_side(label: &str, path: &str, side: &Side) -> String {
    let mut line = format!("{label} {}", md::text(path));
    let details: Vec<String> = [
        side.instance.as_deref().map(md::text),
        side.fetched_at.as_deref().map(md::text),
        side.scope
            .as_deref()
            .filter(|s| *s != "all")
            .map(|s| format!("scope {}", md::text(s))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !details.is_empty() {
        let _ = write!(line, " ({})", details.join(", "));
    }
    line
}

/// The Markdown report: a table of changes (for a ticket, a pull request or an audit file). Every
/// value from the snapshots (names, values, chains, paths) goes through the one Markdown writer
/// ([`md`]).
#[must_use]
pub fn markdown(diff: &Diff, paths: (&str, &str)) -> String {
    let mut out = String::from("# Permission drift\n\n");
    let _ = writeln!(out, "- {}", md_side("Old:", paths.0, &diff.old));
    let _ = writeln!(out, "- {}", md_side("New:", paths.1, &diff.new));
    let _ = writeln!(out, "- **{}**", totals(diff));
    if !diff.is_complete() {
        let _ = writeln!(
            out,
            "- **{} not comparable**: {} not read whole, so the drift could not be established (exit 3)",
            diff.not_comparable.len(),
            md::text(&diff.incomplete.join(", "))
        );
    }
    out.push('\n');
    if diff.changes.is_empty() {
        let _ = writeln!(out, "{}", no_drift(diff));
    } else {
        out.push_str("| | class | subject | change | before | after | chain |\n|---|---|---|---|---|---|---|\n");
        for change in &diff.changes {
            out.push_str(&md::row(&[
                // Table cells hold inline text only: a `-` or `+` starts no list there.
                marker(change.class).to_owned(),
                change.class.as_str().to_owned(),
                format!(
                    "{} {}",
                    change.subject.kind.as_str(),
                    md::text(&change.subject.name)
                ),
                md::text(&change.message),
                md::text(change.before.as_deref().unwrap_or("")),
                md::text(change.after.as_deref().unwrap_or("")),
                md::lines(change.chain.iter().map(String::as_str)),
            ]));
        }
    }
    if !diff.not_compared.is_empty() {
        out.push_str("\n## Not compared\n\nUnknown, not unchanged:\n\n");
        for item in &diff.not_compared {
            let _ = writeln!(
                out,
                "- {}: {}",
                md::text(&item.what),
                md::text(&item.reason)
            );
        }
    }
    if !diff.not_comparable.is_empty() {
        out.push_str("\n## Not comparable\n\nIn one snapshot only, absent from a list the other did not read whole: neither created nor deleted.\n\n| subject | id | reason |\n|---|---|---|\n");
        for item in &diff.not_comparable {
            out.push_str(&md::row(&[
                format!(
                    "{} {}",
                    item.subject.kind.as_str(),
                    md::text(&item.subject.name)
                ),
                md::text(&item.subject.id),
                md::text(&item.reason),
            ]));
        }
    }
    out
}

/// The exit code of `halo-audit diff` (docs/adr/0002-exit-codes.md): 3 when a compared list was
/// not read whole by either snapshot (the drift could not be established, whatever was found),
/// else 1 for drift with `--fail-on-drift`, else 0.
#[must_use]
pub fn exit_code(diff: &Diff, fail_on_drift: bool) -> u8 {
    use crate::verdict::exit;
    if !diff.is_complete() {
        exit::UNAVAILABLE
    } else if fail_on_drift && diff.is_drift() {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

/// How a change is reported where formats have severities (SARIF, GitHub): widened is a warning,
/// narrowed and neutral are notes.
#[must_use]
pub fn severity(class: Class) -> Severity {
    match class {
        Class::Widened => Severity::Warning,
        Class::Narrowed | Class::Neutral => Severity::Note,
    }
}

/// The kind in kebab case, as in rule ids and titles: `scope-added`.
fn kind_name(kind: ChangeKind) -> String {
    kind.as_str().replace('_', "-")
}

/// The SARIF rule id of a kind of change: `drift/scope-added`.
#[must_use]
pub fn rule_id(kind: ChangeKind) -> String {
    format!("drift/{}", kind_name(kind))
}

/// A change in plain text: its message, then its chain, one line each.
fn plain_text(change: &Change) -> String {
    let mut text = shown(&change.message).into_owned();
    for line in &change.chain {
        text.push('\n');
        text.push_str(&shown(line));
    }
    text
}

/// Where a change points in the NEW snapshot: the line of its subject's object there, or line 1
/// (a deleted subject, an object the file does not show).
fn new_location(lines: &ObjectLines, path: &str, subject: &Subject) -> Location {
    let collection = match subject.kind {
        SubjectKind::Application => "applications",
        SubjectKind::Agent => "agents",
        SubjectKind::Team => "teams",
        SubjectKind::Role => "roles",
        SubjectKind::Tenant => "",
    };
    Location {
        path: path.to_owned(),
        line: lines.line(collection, &subject.id).unwrap_or(1),
        column: 0,
    }
}
