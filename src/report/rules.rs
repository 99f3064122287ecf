//! `halo-audit rules list` and `rules show`.

use std::fmt::Write as _;

use tabled::Tabled;

use super::Style;
use crate::catalog::Catalog;
use crate::ruleset::{Expect, Library, RuleSet, SetKind};

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "id")]
    id: String,
    #[tabled(rename = "vendor")]
    vendor: String,
    #[tabled(rename = "kind")]
    kind: &'static str,
    #[tabled(rename = "requirements")]
    requirements: usize,
    #[tabled(rename = "binds to applications named")]
    binding: String,
}

/// The list of sets.
#[must_use]
pub fn list(library: &Library, style: &Style) -> String {
    let rows: Vec<Row> = library
        .sets
        .iter()
        .map(|s| Row {
            id: s.id.clone(),
            vendor: s.vendor.clone().unwrap_or_default(),
            kind: match s.kind {
                SetKind::Integration => "integration",
                SetKind::Baseline => "baseline",
            },
            requirements: s.requirements.len() + s.policies.len(),
            binding: if s.kind == SetKind::Baseline {
                "(whole tenant, always runs)".to_owned()
            } else {
                s.application_names.join(", ")
            },
        })
        .collect();
    let count = rows.len();
    let width = style.columns();
    // A table when it fits the width with every word whole; else two lines a set.
    let listed: Vec<String> = rows
        .iter()
        .map(|r| {
            let vendor = if r.vendor.is_empty() {
                String::new()
            } else {
                format!("{}, ", r.vendor)
            };
            let binding = if r.kind == "baseline" {
                "binds to the whole tenant (always runs)".to_owned()
            } else {
                format!("binds to applications named {}", r.binding)
            };
            format!(
                "{}\n  {}",
                super::wrap(
                    &format!(
                        "{} ({vendor}{}, {} requirements)",
                        r.id, r.kind, r.requirements
                    ),
                    width,
                    "  "
                ),
                super::wrap(&binding, width.saturating_sub(2), "    ")
            )
        })
        .collect();
    let table = match crate::text::fitted_table_whole(rows, width) {
        Some(table) => table.to_string(),
        None => listed.join("\n"),
    };
    let hint = super::wrap(
        &format!("{count} requirement sets. `halo-audit rules show ID` prints one in full."),
        width,
        "",
    );
    format!("{table}\n{hint}\n")
}

fn expect_text(catalog: &Catalog, set: &RuleSet, index: usize) -> String {
    let Some(r) = set.requirements.get(index) else {
        return String::new();
    };
    match r.expect {
        Expect::Granted => "yes".to_owned(),
        Expect::NotGranted => "no (granting it is excessive)".to_owned(),
        Expect::AtLeast { .. } | Expect::AtMost(_) => r.expected_text(catalog),
    }
}

/// One set in full.
#[must_use]
pub fn show(set: &RuleSet, catalog: &Catalog) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", set.title, set.id);
    if let Some(vendor) = &set.vendor {
        let _ = writeln!(out, "vendor: {vendor}");
    }
    let _ = writeln!(out, "file: {}:{}", set.location.path, set.location.line);
    for source in &set.sources {
        let _ = writeln!(
            out,
            "source: {} (retrieved {}){}",
            crate::ruleset::redacted_url(&source.url),
            source.retrieved,
            source
                .title
                .as_deref()
                .map(|t| format!(" \"{t}\""))
                .unwrap_or_default()
        );
    }
    if set.kind == SetKind::Integration {
        let _ = writeln!(
            out,
            "binds to applications named: {}",
            set.application_names.join(", ")
        );
        if !set.client_ids.is_empty() {
            let _ = writeln!(out, "or with client id: {}", set.client_ids.join(", "));
        }
        if !set.login_agent_names.is_empty() {
            let _ = writeln!(
                out,
                "or logging in as an agent named: {}",
                set.login_agent_names.join(", ")
            );
        }
        let reported = |on: bool, severity| {
            if on {
                format!("reported ({severity})")
            } else {
                "ignored".to_owned()
            }
        };
        let _ = writeln!(
            out,
            "excess: scopes {}, levels above the requirement {}",
            reported(set.excess_scopes, set.excess_scope_severity),
            reported(set.excess_levels, set.excess_level_severity),
        );
    }
    if let Some(description) = &set.description {
        let _ = writeln!(out, "\n{description}");
    }
    for (i, r) in set.requirements.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n  {} [{}]\n    {}\n    {} = {}",
            r.id,
            r.severity,
            r.title,
            r.key,
            expect_text(catalog, set, i)
        );
        let _ = writeln!(out, "    quote: \"{}\"", r.quote);
        if let Some(a) = &r.ambiguity {
            let _ = writeln!(out, "    ambiguity: {a}");
        }
    }
    for p in &set.policies {
        let _ = writeln!(
            out,
            "\n  {} [{}] ({})\n    {}\n    {}",
            p.id,
            p.severity,
            p.check.code().as_str(),
            p.title,
            p.rationale.trim()
        );
    }
    for alt in &set.alternatives {
        let options: Vec<String> = alt.options.iter().map(|o| o.join(" and ")).collect();
        let _ = writeln!(
            out,
            "\n  {} [alternative]\n    {}\n    any one of: {}",
            alt.id,
            alt.title,
            options.join("; or ")
        );
        if let Some(rationale) = &alt.rationale {
            let _ = writeln!(out, "    why: {rationale}");
        }
    }
    for note in &set.notes {
        let _ = writeln!(out, "\nnote: {note}");
    }
    out
}

/// The table of shipped integration sets in `docs/integrations.md` (generated; a test keeps it
/// current): what each set cites, how many requirements it has at which severity, how they are read
/// from Halo (scopes; agent permissions by the catalog's grade), and its conditions, ambiguities and
/// notes. Everything comes from the sets themselves.
#[must_use]
pub fn integrations_table(library: &Library, catalog: &Catalog) -> String {
    use crate::catalog::{Confidence, PermRef, Source};
    use crate::diag::Severity;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut sets: Vec<&RuleSet> = library
        .sets
        .iter()
        .filter(|s| s.kind == crate::ruleset::SetKind::Integration)
        .collect();
    sets.sort_by_key(|s| s.title.to_lowercase());
    let mut out = String::from(
        "| Integration | Set id | Sources | Retrieved | Req. (error / warning / note) | Scope | Agent: confirmed / observed / assumed / not readable | Conditional | Ambiguities | Notes | Excess reported |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for set in sets {
        let sources: Vec<String> = set
            .sources
            .iter()
            .map(|s| {
                let url = crate::ruleset::redacted_url(&s.url);
                let title = s.title.as_deref().unwrap_or(&url);
                let title = title.split(" (").next().unwrap_or(title);
                format!("[{}]({url})", cell(title))
            })
            .collect();
        let mut retrieved: Vec<&str> = set.sources.iter().map(|s| s.retrieved.as_str()).collect();
        retrieved.sort_unstable();
        retrieved.dedup();
        let severity = |sev: Severity| {
            set.requirements
                .iter()
                .filter(|r| r.severity == sev)
                .count()
        };
        let (mut scope, mut confirmed, mut observed, mut assumed, mut unreadable) = (0, 0, 0, 0, 0);
        for r in &set.requirements {
            match &r.permission {
                PermRef::Scope(_) => scope += 1,
                PermRef::Role(_) => confirmed += 1,
                PermRef::Agent(i) => match catalog.permissions.get(*i) {
                    Some(p) if matches!(p.source, Source::Unknown(_)) => unreadable += 1,
                    Some(p) => match p.confidence {
                        Confidence::Confirmed => confirmed += 1,
                        Confidence::Observed => observed += 1,
                        Confidence::Assumed => assumed += 1,
                    },
                    None => unreadable += 1,
                },
            }
        }
        let conditional = set
            .requirements
            .iter()
            .filter(|r| r.condition.is_some())
            .count();
        let ambiguous = set
            .requirements
            .iter()
            .filter(|r| r.ambiguity.is_some())
            .count();
        let excess = match (set.excess_scopes, set.excess_levels) {
            (true, true) if set.excess_scope_severity == set.excess_level_severity => {
                format!("scopes and levels ({})", set.excess_scope_severity)
            }
            (true, true) => format!(
                "scopes ({}) and levels ({})",
                set.excess_scope_severity, set.excess_level_severity
            ),
            (true, false) => format!("scopes ({})", set.excess_scope_severity),
            (false, true) => format!(
                "levels ({}); *scopes not reported*",
                set.excess_level_severity
            ),
            (false, false) => "none".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} ({} / {} / {}) | {scope} | {confirmed} / {observed} / {assumed} / {unreadable} | {conditional} | {ambiguous} | {} | {excess} |",
            cell(&set.title),
            set.id,
            sources.join(", "),
            retrieved.join(", "),
            set.requirements.len(),
            severity(Severity::Error),
            severity(Severity::Warning),
            severity(Severity::Note),
            set.notes.len(),
        );
    }
    out
}
