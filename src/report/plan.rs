//! Renderers of `halo-audit plan`: human, Markdown (a checklist) and JSON (versioned,
//! machine-applicable; docs/plan.md). All are fed by the same [`Plan`].

use std::fmt::Write as _;

use serde::Serialize;

use super::{Style, md};
use crate::plan::{AgentPlan, ApplicationPlan, Item, Plan, Status};
use crate::text::shown;

/// The version of the plan's JSON document.
pub const VERSION: u32 = 1;

/// How a renderer shows text it did not write (names, labels, places, notes, values) and
/// identifiers: the terminal sanitiser for the human plan, the Markdown writer for Markdown.
struct Words {
    text: fn(&str) -> String,
    code: fn(&str) -> String,
}

const HUMAN: Words = Words {
    text: crate::text::shown_owned,
    code: |s| format!("`{}`", crate::text::shown(s)),
};

const MARKDOWN: Words = Words {
    text: md::text,
    code: md::code,
};

impl Words {
    fn list(&self, items: &[String]) -> String {
        items
            .iter()
            .map(|i| (self.text)(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn heading(plan: &Plan, w: &Words) -> String {
    let sets: Vec<String> = plan
        .sets
        .iter()
        .map(|s| format!("{} ({})", (w.text)(&s.id), (w.text)(&s.title)))
        .collect();
    format!("Least-privilege plan for {}", sets.join(", "))
}

fn totals(plan: &Plan, w: &Words) -> String {
    match &plan.snapshot {
        Some(snapshot) => format!(
            "Against {}{}: {} to add, {} to remove, {} already right, {} unresolved",
            snapshot
                .instance
                .as_deref()
                .map_or_else(|| "the snapshot".to_owned(), w.text),
            snapshot
                .fetched_at
                .as_deref()
                .map(|t| format!(" (snapshot of {})", (w.text)(t)))
                .unwrap_or_default(),
            plan.count(Status::Add),
            plan.count(Status::Remove),
            plan.count(Status::Keep),
            plan.unresolved.len()
        ),
        None => format!(
            "Without a snapshot: {} settings to make, {} unresolved (give --snapshot FILE for a to-do list against a tenant)",
            plan.count(Status::Set),
            plan.unresolved.len()
        ),
    }
}

fn marker(status: Status) -> &'static str {
    match status {
        Status::Add => "+",
        Status::Remove => "-",
        Status::Keep => "=",
        Status::Set => "*",
    }
}

fn attribution(item: &Item, w: &Words) -> String {
    if item.needed_by.is_empty() {
        "needed by no chosen integration".to_owned()
    } else {
        format!("for {}", w.list(&item.needed_by))
    }
}

fn keep_text(item: &Item, w: &Words) -> String {
    if item.permission.starts_with("scope:") {
        (w.code)(&item.label)
    } else {
        format!(
            "{} {}",
            (w.text)(&item.label),
            // The current value when a role provides it (worth knowing), else the wanted one.
            (w.text)(
                item.current
                    .as_deref()
                    .filter(|c| c.contains("(through role"))
                    .unwrap_or(&item.wanted)
            )
        )
    }
}

/// The notes and conditions that several items of one group share: said once for the group,
/// naming the items, rather than under each item.
#[derive(Default)]
struct Shared<'a> {
    notes: Vec<(&'a str, Vec<&'a Item>)>,
    conditions: Vec<(&'a str, Vec<&'a Item>)>,
}

impl<'a> Shared<'a> {
    fn of(items: &'a [Item]) -> Self {
        let mut notes: Vec<(&str, Vec<&Item>)> = Vec::new();
        let mut conditions: Vec<(&str, Vec<&Item>)> = Vec::new();
        for item in items {
            for (text, groups) in [(&item.note, &mut notes), (&item.condition, &mut conditions)] {
                let Some(text) = text.as_deref() else {
                    continue;
                };
                match groups.iter_mut().find(|(t, _)| *t == text) {
                    Some((_, with)) => with.push(item),
                    None => groups.push((text, vec![item])),
                }
            }
        }
        notes.retain(|(_, with)| with.len() > 1);
        conditions.retain(|(_, with)| with.len() > 1);
        Self { notes, conditions }
    }

    fn note_is_shared(&self, note: &str) -> bool {
        self.notes.iter().any(|(t, _)| *t == note)
    }

    fn condition_is_shared(&self, condition: &str) -> bool {
        self.conditions.iter().any(|(t, _)| *t == condition)
    }
}

/// The condition and note of one item, each unless the group shares it (said once below).
fn item_details(out: &mut String, item: &Item, shared: &Shared<'_>, indent: &str) {
    if let Some(condition) = item
        .condition
        .as_deref()
        .filter(|c| !shared.condition_is_shared(c))
    {
        let _ = writeln!(out, "{indent}only if {}", shown(condition));
    }
    if let Some(note) = item.note.as_deref().filter(|n| !shared.note_is_shared(n)) {
        let _ = writeln!(out, "{indent}note: {}", shown(note));
    }
}

/// A short name of an item for a shared note: its label (a scope in backticks).
fn item_name(item: &Item) -> String {
    if item.permission.starts_with("scope:") {
        format!("`{}`", shown(&item.label))
    } else {
        shown(&item.label).into_owned()
    }
}

fn human_items(out: &mut String, items: &[Item], style: &Style) {
    let w = &HUMAN;
    let shared = Shared::of(items);
    let mut keeps = Vec::new();
    for item in items {
        if item.status == Status::Keep {
            keeps.push(item);
            continue;
        }
        let now = match (&item.current, item.status) {
            (Some(current), Status::Add | Status::Remove) => format!(" (now {})", shown(current)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {} {}{now}  [{}]",
            marker(item.status),
            shown(&item.instruction),
            attribution(item, w)
        );
        let _ = writeln!(out, "      in {}", shown(&item.place));
        item_details(out, item, &shared, "      ");
    }
    if !keeps.is_empty() {
        if style.verbose > 0 {
            // One line per item, under the integrations that need it (said once per group).
            let mut groups: Vec<(String, Vec<&Item>)> = Vec::new();
            for item in keeps {
                let by = attribution(item, w);
                match groups.iter_mut().find(|(b, _)| *b == by) {
                    Some((_, with)) => with.push(item),
                    None => groups.push((by, vec![item])),
                }
            }
            for (by, with) in groups {
                let _ = writeln!(out, "  = already right [{by}]:");
                for item in with {
                    let _ = writeln!(out, "      {}", keep_text(item, w));
                    item_details(out, item, &shared, "        ");
                }
            }
        } else {
            let list: Vec<String> = keeps.iter().map(|i| keep_text(i, w)).collect();
            let _ = writeln!(out, "  = already right: {}", list.join(", "));
            // What the JSON says of these items is said here too.
            for item in keeps {
                if item
                    .condition
                    .as_deref()
                    .is_some_and(|c| !shared.condition_is_shared(c))
                    || item
                        .note
                        .as_deref()
                        .is_some_and(|n| !shared.note_is_shared(n))
                {
                    let _ = writeln!(out, "    {}:", keep_text(item, w));
                    item_details(out, item, &shared, "      ");
                }
            }
        }
    }
    for (what, groups) in [("only if", &shared.conditions), ("note", &shared.notes)] {
        for (text, with) in groups {
            let names: Vec<String> = with.iter().map(|i| item_name(i)).collect();
            let _ = writeln!(
                out,
                "  {what} (for {}): {}",
                crate::text::bounded_list(&names, ", "),
                shown(text)
            );
        }
    }
}

fn human_application(out: &mut String, app: &ApplicationPlan, style: &Style) {
    let w = &HUMAN;
    let _ = writeln!(
        out,
        "\nApplication {}{} for {}, logs in as {}",
        (w.code)(&app.subject.name),
        if app.exists { "" } else { " (to create)" },
        w.list(&app.sets),
        (w.code)(&app.login_agent)
    );
    if let Some(setup) = &app.setup {
        let _ = writeln!(out, "  {}", shown(setup));
    }
    human_items(out, &app.items, style);
}

fn human_agent(out: &mut String, agent: &AgentPlan, style: &Style) {
    let w = &HUMAN;
    let _ = writeln!(
        out,
        "\nAgent {}{}{}, login agent of {} (for {})",
        (w.code)(&agent.subject.name),
        if agent.subject.id.is_empty() {
            String::new()
        } else {
            format!(" (id {})", shown(&agent.subject.id))
        },
        if agent.exists { "" } else { " (to create)" },
        w.list(&agent.applications),
        w.list(&agent.sets)
    );
    if let Some(setup) = &agent.setup {
        let _ = writeln!(out, "  {}", shown(setup));
    }
    human_items(out, &agent.items, style);
}

/// The human plan: per application, then per agent, each grant with the integrations that need
/// it and where to set it; `+` add, `-` remove, `*` set, `=` already right. Every note and
/// condition of the JSON is said (once for a group of items sharing it); every value from the
/// tenant, the rules or the configuration goes through the terminal sanitiser, so none can start
/// a line or drive the terminal.
#[must_use]
pub fn human(plan: &Plan, style: &Style) -> String {
    let w = &HUMAN;
    let mut out = String::new();
    let _ = writeln!(out, "{}", heading(plan, w));
    let _ = writeln!(out, "{}", totals(plan, w));
    for app in &plan.applications {
        human_application(&mut out, app, style);
    }
    for agent in &plan.agents {
        human_agent(&mut out, agent, style);
    }
    if !plan.unresolved.is_empty() {
        let _ = writeln!(
            out,
            "\nUnresolved: not expressible as a setting, or not readable in the snapshot (decide these yourself):"
        );
        for u in &plan.unresolved {
            let _ = writeln!(
                out,
                "  ? {}{}{}",
                u.subject
                    .as_deref()
                    .map(|s| format!("{}: ", shown(s)))
                    .unwrap_or_default(),
                shown(&u.reason),
                if u.requirements.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", w.list(&u.requirements))
                }
            );
        }
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for note in &plan.notes {
            let _ = writeln!(out, "  {}", shown(note));
        }
    }
    crate::text::fit_lines(&out, style.columns())
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

fn md_items(out: &mut String, items: &[Item]) {
    let w = &MARKDOWN;
    for (status, title) in [
        (Status::Add, "To add"),
        (Status::Remove, "To remove"),
        (Status::Set, "To set"),
        (Status::Keep, "Already right"),
    ] {
        let group: Vec<&Item> = items.iter().filter(|i| i.status == status).collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out, "**{title}**\n");
        for item in group {
            let mut line = if status == Status::Keep {
                format!("- [x] {}", keep_text(item, w))
            } else {
                format!(
                    "- [ ] {}{}",
                    md::text(&capitalise(&item.instruction)),
                    match (&item.current, status) {
                        (Some(c), Status::Add | Status::Remove) =>
                            format!(" (now {})", md::text(c)),
                        _ => String::new(),
                    }
                )
            };
            let _ = write!(line, ". {}", capitalise(&attribution(item, w)));
            if !item.requirements.is_empty() {
                let requirements: Vec<String> =
                    item.requirements.iter().map(|r| md::code(r)).collect();
                let _ = write!(line, " ({})", requirements.join(", "));
            }
            if status != Status::Keep {
                let _ = write!(line, "; in {}", md::text(&item.place));
            }
            if let Some(condition) = &item.condition {
                let _ = write!(line, "; only if {}", md::text(condition));
            }
            if let Some(note) = &item.note {
                let _ = write!(line, "; note: {}", md::text(note));
            }
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
}

/// The Markdown plan: a checklist per application and agent (ticked when already right). Every
/// value from the tenant, the rules or the configuration goes through the one Markdown writer
/// ([`md`]): it shows as text, never as markup, a link, a mention or a line of its own.
#[must_use]
pub fn markdown(plan: &Plan) -> String {
    let w = &MARKDOWN;
    let mut out = format!("# {}\n\n{}\n\n", heading(plan, w), totals(plan, w));
    for app in &plan.applications {
        let _ = writeln!(
            out,
            "## Application {}{}\n\nFor {}; logs in as {}.\n",
            md::text(&app.subject.name),
            if app.exists { "" } else { " (to create)" },
            w.list(&app.sets),
            md::text(&app.login_agent)
        );
        if let Some(setup) = &app.setup {
            let _ = writeln!(out, "{}.\n", md::text(&capitalise(setup)));
        }
        md_items(&mut out, &app.items);
    }
    for agent in &plan.agents {
        let _ = writeln!(
            out,
            "## Agent {}{}\n\nLogin agent of {} (for {}).\n",
            md::text(&agent.subject.name),
            if agent.exists { "" } else { " (to create)" },
            w.list(&agent.applications),
            w.list(&agent.sets)
        );
        if let Some(setup) = &agent.setup {
            let _ = writeln!(out, "{}.\n", md::text(&capitalise(setup)));
        }
        md_items(&mut out, &agent.items);
    }
    if !plan.unresolved.is_empty() {
        out.push_str(
            "## Unresolved: not expressible as a setting, or not readable in the snapshot\n\n",
        );
        for u in &plan.unresolved {
            let mut line = format!(
                "- {}{}",
                u.subject
                    .as_deref()
                    .map(|s| format!("{}: ", md::text(s)))
                    .unwrap_or_default(),
                md::text(&u.reason)
            );
            if !u.requirements.is_empty() {
                let requirements: Vec<String> =
                    u.requirements.iter().map(|r| md::code(r)).collect();
                let _ = write!(line, " ({})", requirements.join(", "));
            }
            let _ = writeln!(out, "{line}");
        }
    }
    if !plan.notes.is_empty() {
        out.push_str("\n## Notes\n\n");
        for note in &plan.notes {
            let _ = writeln!(out, "- {}", md::text(note));
        }
    }
    out
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Document<'a> {
    version: u32,
    kind: &'static str,
    tool: Tool,
    summary: Summary,
    #[serde(flatten)]
    plan: &'a Plan,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Summary {
    add: usize,
    remove: usize,
    keep: usize,
    set: usize,
    unresolved: usize,
}

/// The JSON plan (pretty, trailing newline).
#[must_use]
pub fn json(plan: &Plan) -> String {
    let document = Document {
        version: VERSION,
        kind: "plan",
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            add: plan.count(Status::Add),
            remove: plan.count(Status::Remove),
            keep: plan.count(Status::Keep),
            set: plan.count(Status::Set),
            unresolved: plan.unresolved.len(),
        },
        plan,
    };
    crate::text::json_document(&document)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Subject, SubjectKind};
    use crate::plan::{SetRef, SnapshotRef, Unresolved};

    fn item(status: Status, label: &str, note: Option<&str>) -> Item {
        Item {
            status,
            permission: format!("feature.{label}"),
            label: label.to_owned(),
            place: "Configuration > Teams & Agents > Agents > Sync API > Permissions".to_owned(),
            current: Some("Read and Modify".to_owned()),
            wanted: "Read Only".to_owned(),
            instruction: format!("set \"{label}\" to Read Only"),
            needed_by: vec!["sync".to_owned()],
            requirements: vec![format!("sync.{label}")],
            condition: None,
            note: note.map(str::to_owned),
            operation: None,
        }
    }

    fn plan(agent: &str, items: Vec<Item>) -> Plan {
        Plan {
            sets: vec![SetRef {
                id: "sync".to_owned(),
                title: "Sync".to_owned(),
                vendor: None,
                source: None,
            }],
            snapshot: Some(SnapshotRef {
                instance: Some("https://acme.halopsa.example".to_owned()),
                fetched_at: None,
            }),
            applications: Vec::new(),
            agents: vec![AgentPlan {
                subject: Subject {
                    kind: SubjectKind::Agent,
                    id: "7".to_owned(),
                    name: agent.to_owned(),
                },
                exists: true,
                applications: vec!["Sync".to_owned()],
                sets: vec!["sync".to_owned()],
                setup: None,
                items,
            }],
            unresolved: vec![Unresolved {
                sets: vec!["sync".to_owned()],
                requirements: vec!["sync.x".to_owned()],
                subject: Some(format!("agent {agent}")),
                reason: "cannot be read\n  + forged".to_owned(),
            }],
            notes: Vec::new(),
        }
    }

    fn style(verbose: u8) -> Style {
        Style {
            color: false,
            verbose,
            quiet: false,
            width: 200,
        }
    }

    #[test]
    fn every_note_of_the_json_is_in_the_human_plan() {
        let plan = plan(
            "Sync API",
            vec![
                item(
                    Status::Keep,
                    "Tickets",
                    Some("No once the roles above are removed"),
                ),
                item(Status::Keep, "Customers", None),
                item(Status::Remove, "Invoices", Some("lowered on the agent")),
            ],
        );
        for verbose in [0, 1] {
            let text = human(&plan, &style(verbose));
            assert!(
                text.contains("No once the roles above are removed"),
                "-v {verbose}:\n{text}"
            );
            assert!(text.contains("note: lowered on the agent"), "{text}");
        }
    }

    #[test]
    fn a_note_shared_by_a_group_is_said_once() {
        let shared = "the current value could not be read (no claim)";
        let plan = plan(
            "Sync API",
            vec![
                item(Status::Remove, "Tickets", Some(shared)),
                item(Status::Remove, "Customers", Some(shared)),
                item(Status::Keep, "Assets", Some(shared)),
                item(Status::Keep, "Items", None),
            ],
        );
        for verbose in [0, 1] {
            let text = human(&plan, &style(verbose));
            assert_eq!(text.matches(shared).count(), 1, "-v {verbose}:\n{text}");
            assert!(
                text.contains(&format!("note (for Tickets, Customers, Assets): {shared}")),
                "{text}"
            );
        }
        // With -v, what is already right is grouped by the integrations needing it.
        let text = human(&plan, &style(1));
        assert_eq!(text.matches("[for sync]:").count(), 1, "{text}");
    }

    #[test]
    fn tenant_text_cannot_split_a_line_or_drive_the_terminal() {
        let plan = plan(
            "Sync\n  + tick `all` (now not ticked)  [for sync]\u{1b}[2J",
            vec![item(
                Status::Remove,
                "Tickets\r\n= already right: everything",
                Some("x\u{202e}y"),
            )],
        );
        let text = human(&plan, &style(1));
        for line in text.lines() {
            assert!(!line.trim_start().starts_with("+ tick"), "{text}");
            assert!(!line.trim_start().starts_with("= already"), "{text}");
            assert!(!line.trim_start().starts_with("+ forged"), "{text}");
        }
        assert!(!text.contains(['\u{1b}', '\r', '\u{202e}']), "{text}");
        assert!(text.contains("Sync\\n  + tick `all`"), "{text}");
        let markdown = markdown(&plan);
        assert!(
            !markdown.contains("\n  + tick") && !markdown.contains('\u{1b}'),
            "{markdown}"
        );
    }
}
