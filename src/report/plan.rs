//! Renderers of `halo-audit plan`: human, Markdown (a checklist) and JSON (versioned,
//! machine-applicable; docs/plan.md). All are fed by the same [`Plan`].

use std::fmt::Write as _;

use serde::Serialize;

use super::Style;
use crate::plan::{AgentPlan, ApplicationPlan, Item, Plan, Status};

/// The version of the plan's JSON document.
pub const VERSION: u32 = 1;

fn heading(plan: &Plan) -> String {
    let sets: Vec<String> = plan
        .sets
        .iter()
        .map(|s| format!("{} ({})", s.id, s.title))
        .collect();
    format!("Least-privilege plan for {}", sets.join(", "))
}

fn totals(plan: &Plan) -> String {
    match &plan.snapshot {
        Some(snapshot) => format!(
            "against {}{}: {} to add, {} to remove, {} already right, {} unresolved",
            snapshot.instance.as_deref().unwrap_or("the snapshot"),
            snapshot
                .fetched_at
                .as_deref()
                .map(|t| format!(" (snapshot of {t})"))
                .unwrap_or_default(),
            plan.count(Status::Add),
            plan.count(Status::Remove),
            plan.count(Status::Keep),
            plan.unresolved.len()
        ),
        None => format!(
            "without a snapshot: {} settings to make, {} unresolved (give --snapshot FILE for a to-do list against a tenant)",
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

fn attribution(item: &Item) -> String {
    if item.needed_by.is_empty() {
        "needed by no chosen integration".to_owned()
    } else {
        format!("for {}", item.needed_by.join(", "))
    }
}

fn keep_text(item: &Item) -> String {
    if item.permission.starts_with("scope:") {
        format!("`{}`", item.label)
    } else {
        format!(
            "{} {}",
            item.label,
            // The current value when a role provides it (worth knowing), else the wanted one.
            item.current
                .as_deref()
                .filter(|c| c.contains("(through role"))
                .unwrap_or(&item.wanted)
        )
    }
}

fn human_items(out: &mut String, items: &[Item], style: &Style) {
    let mut keeps = Vec::new();
    for item in items {
        if item.status == Status::Keep {
            keeps.push(item);
            continue;
        }
        let now = match (&item.current, item.status) {
            (Some(current), Status::Add | Status::Remove) => format!(" (now {current})"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {} {}{now}  [{}]",
            marker(item.status),
            item.instruction,
            attribution(item)
        );
        let _ = writeln!(out, "      in {}", item.place);
        if let Some(condition) = &item.condition {
            let _ = writeln!(out, "      only if {condition}");
        }
        if let Some(note) = &item.note {
            let _ = writeln!(out, "      note: {note}");
        }
    }
    if keeps.is_empty() {
        return;
    }
    if style.verbose > 0 {
        for item in keeps {
            let _ = writeln!(out, "  = {}  [{}]", keep_text(item), attribution(item));
        }
    } else {
        let list: Vec<String> = keeps.iter().map(|i| keep_text(i)).collect();
        let _ = writeln!(out, "  = already right: {}", list.join(", "));
    }
}

fn human_application(out: &mut String, app: &ApplicationPlan, style: &Style) {
    let _ = writeln!(
        out,
        "\nApplication `{}`{} for {}, logs in as `{}`",
        app.subject.name,
        if app.exists { "" } else { " (to create)" },
        app.sets.join(", "),
        app.login_agent
    );
    if let Some(setup) = &app.setup {
        let _ = writeln!(out, "  {setup}");
    }
    human_items(out, &app.items, style);
}

fn human_agent(out: &mut String, agent: &AgentPlan, style: &Style) {
    let _ = writeln!(
        out,
        "\nAgent `{}`{}{}, login agent of {} (for {})",
        agent.subject.name,
        if agent.subject.id.is_empty() {
            String::new()
        } else {
            format!(" (id {})", agent.subject.id)
        },
        if agent.exists { "" } else { " (to create)" },
        agent.applications.join(", "),
        agent.sets.join(", ")
    );
    if let Some(setup) = &agent.setup {
        let _ = writeln!(out, "  {setup}");
    }
    human_items(out, &agent.items, style);
}

/// The human plan: per application, then per agent, each grant with the integrations that need
/// it and where to set it; `+` add, `-` remove, `*` set, `=` already right.
#[must_use]
pub fn human(plan: &Plan, style: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", heading(plan));
    let _ = writeln!(out, "{}", capitalise(&totals(plan)));
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
                    .map(|s| format!("{s}: "))
                    .unwrap_or_default(),
                u.reason,
                if u.requirements.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", u.requirements.join(", "))
                }
            );
        }
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for note in &plan.notes {
            let _ = writeln!(out, "  {note}");
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
                format!("- [x] {}", keep_text(item))
            } else {
                format!(
                    "- [ ] {}{}",
                    capitalise(&item.instruction),
                    match (&item.current, status) {
                        (Some(c), Status::Add | Status::Remove) => format!(" (now {c})"),
                        _ => String::new(),
                    }
                )
            };
            let _ = write!(line, ". {}", capitalise(&attribution(item)));
            if !item.requirements.is_empty() {
                let _ = write!(line, " ({})", item.requirements.join(", "));
            }
            if status != Status::Keep {
                let _ = write!(line, "; in {}", item.place);
            }
            if let Some(condition) = &item.condition {
                let _ = write!(line, "; only if {condition}");
            }
            if let Some(note) = &item.note {
                let _ = write!(line, "; note: {note}");
            }
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
}

/// The Markdown plan: a checklist per application and agent (ticked when already right).
#[must_use]
pub fn markdown(plan: &Plan) -> String {
    let mut out = format!("# {}\n\n{}\n\n", heading(plan), capitalise(&totals(plan)));
    for app in &plan.applications {
        let _ = writeln!(
            out,
            "## Application `{}`{}\n\nFor {}; logs in as `{}`.\n",
            app.subject.name,
            if app.exists { "" } else { " (to create)" },
            app.sets.join(", "),
            app.login_agent
        );
        if let Some(setup) = &app.setup {
            let _ = writeln!(out, "{}.\n", capitalise(setup));
        }
        md_items(&mut out, &app.items);
    }
    for agent in &plan.agents {
        let _ = writeln!(
            out,
            "## Agent `{}`{}\n\nLogin agent of {} (for {}).\n",
            agent.subject.name,
            if agent.exists { "" } else { " (to create)" },
            agent.applications.join(", "),
            agent.sets.join(", ")
        );
        if let Some(setup) = &agent.setup {
            let _ = writeln!(out, "{}.\n", capitalise(setup));
        }
        md_items(&mut out, &agent.items);
    }
    if !plan.unresolved.is_empty() {
        out.push_str(
            "## Unresolved: not expressible as a setting, or not readable in the snapshot\n\n",
        );
        for u in &plan.unresolved {
            let _ = writeln!(
                out,
                "- {}{}",
                u.subject
                    .as_deref()
                    .map(|s| format!("{s}: "))
                    .unwrap_or_default(),
                u.reason
            );
        }
    }
    if !plan.notes.is_empty() {
        out.push_str("\n## Notes\n\n");
        for note in &plan.notes {
            let _ = writeln!(out, "- {note}");
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
    let mut text = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
