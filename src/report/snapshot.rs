//! `halo-audit snapshot show`: a summary of a snapshot and of what the normaliser understood.

use crate::text::shown;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use tabled::Tabled;

use super::Style;
use crate::snapshot::Header;
use crate::tenant::{Tenant, Value};

#[derive(Tabled)]
struct CountRow {
    #[tabled(rename = "object")]
    what: &'static str,
    #[tabled(rename = "count")]
    count: String,
}

#[derive(Tabled)]
struct AppRow {
    #[tabled(rename = "application")]
    name: String,
    #[tabled(rename = "active")]
    active: String,
    #[tabled(rename = "logs in as")]
    agent: String,
    #[tabled(rename = "scopes")]
    scopes: String,
}

#[derive(Tabled)]
struct ClaimRow {
    #[tabled(rename = "claim type")]
    claim_type: String,
    #[tabled(rename = "value")]
    value: String,
    #[tabled(rename = "agents")]
    agents: usize,
    #[tabled(rename = "roles")]
    roles: usize,
    #[tabled(rename = "for example")]
    example: String,
    #[tabled(rename = "why")]
    reason: String,
}

fn count<T>(items: Option<&Vec<T>>, filter: impl Fn(&T) -> bool) -> String {
    items.map_or_else(
        || "not fetched".to_owned(),
        |v| v.iter().filter(|x| filter(x)).count().to_string(),
    )
}

fn yes_no(value: Option<bool>) -> String {
    match value {
        Some(true) => "yes".to_owned(),
        Some(false) => "no".to_owned(),
        None => "?".to_owned(),
    }
}

/// Renders the summary.
#[must_use]
pub fn render(snapshot: &Header, tenant: &Tenant, style: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Snapshot of {}{} fetched {} by {} (scope {}; {} requests, {} retries, {} throttled)",
        snapshot
            .instance
            .url
            .as_deref()
            .map_or("an unknown instance".into(), shown),
        snapshot
            .instance
            .tenant
            .as_deref()
            .map(|t| format!(" (tenant {})", shown(t)))
            .unwrap_or_default(),
        snapshot
            .fetched_at
            .as_deref()
            .unwrap_or("at an unknown time"),
        snapshot.tool.as_ref().map_or_else(
            || "an unknown tool".to_owned(),
            |t| format!("{} {}", t.name, t.version)
        ),
        snapshot.scope.as_deref().unwrap_or("all"),
        snapshot.requests.total,
        snapshot.requests.retries,
        snapshot.requests.throttled,
    );
    let admin = |a: &crate::tenant::Agent| {
        a.permission("agent.admin").and_then(|e| e.value) == Some(Value::Flag(true))
    };
    let rows = vec![
        CountRow {
            what: "agents",
            count: count(tenant.agents.as_ref(), |_| true),
        },
        CountRow {
            what: "  enabled",
            count: count(tenant.agents.as_ref(), |a| a.enabled != Some(false)),
        },
        CountRow {
            what: "  API-only",
            count: count(tenant.agents.as_ref(), |a| a.api_only == Some(true)),
        },
        CountRow {
            what: "  administrators",
            count: count(tenant.agents.as_ref(), admin),
        },
        CountRow {
            what: "  API-only administrators",
            count: count(tenant.agents.as_ref(), |a| {
                a.api_only == Some(true) && admin(a)
            }),
        },
        CountRow {
            what: "teams",
            count: count(tenant.teams.as_ref(), |_| true),
        },
        CountRow {
            what: "  inactive",
            count: count(tenant.teams.as_ref(), |t| t.inactive),
        },
        CountRow {
            what: "roles",
            count: count(tenant.roles.as_ref(), |_| true),
        },
        CountRow {
            what: "applications",
            count: count(tenant.applications.as_ref(), |_| true),
        },
        CountRow {
            what: "  inactive",
            count: count(tenant.applications.as_ref(), |a| a.active == Some(false)),
        },
    ];
    let table = crate::text::fitted_table(rows, style.columns());
    let _ = writeln!(out, "{table}");

    if let Some(apps) = &tenant.applications {
        let rows: Vec<AppRow> = apps
            .iter()
            .map(|app| {
                let agent = match app.login_agent_id {
                    None => "(no agent)".to_owned(),
                    Some(id) => match tenant.agent(id) {
                        Some(a) => {
                            let mut flags = Vec::new();
                            if a.api_only == Some(true) {
                                flags.push("API-only");
                            }
                            if admin(a) {
                                flags.push("admin");
                            }
                            if a.enabled == Some(false) {
                                flags.push("DISABLED");
                            }
                            if flags.is_empty() {
                                shown(&a.name).into_owned()
                            } else {
                                format!("{} ({})", shown(&a.name), flags.join(", "))
                            }
                        }
                        None => format!(
                            "{} (id {id}, not in snapshot)",
                            shown(app.login_agent_name.as_deref().unwrap_or("?"))
                        ),
                    },
                };
                AppRow {
                    name: shown(&app.name).into_owned(),
                    active: yes_no(app.active),
                    agent,
                    scopes: app.scopes.as_ref().map_or_else(
                        || "?".to_owned(),
                        |s| {
                            if s.is_empty() {
                                "(none)".to_owned()
                            } else {
                                s.join(" ")
                            }
                        },
                    ),
                }
            })
            .collect();
        if !rows.is_empty() {
            let table = crate::text::fitted_table(rows, style.columns());
            let _ = writeln!(out, "\nAPI applications\n{table}");
        }
    }

    if !snapshot.gaps.is_empty() {
        let _ = writeln!(out, "\nGaps (endpoints that could not be read):");
        for gap in &snapshot.gaps {
            let _ = writeln!(
                out,
                "  {} {}: {}{}",
                shown(&gap.endpoint),
                gap.status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".to_owned()),
                shown(&gap.reason),
                gap.detail
                    .as_deref()
                    .map(|d| format!(" ({})", shown(d)))
                    .unwrap_or_default()
            );
        }
    }
    if !tenant.claims_recognised && tenant.agents.is_some() {
        let _ = writeln!(
            out,
            "\nNo claim in this snapshot has a type the permission catalog knows: feature access levels and ticket permissions are unverifiable (see docs/permissions.md)."
        );
    }
    if tenant.unknown_claims.is_empty() {
        let _ = writeln!(
            out,
            "\nEvery claim in the snapshot is understood by the permission catalog."
        );
    } else {
        // One row per claim type and value: how many agents and roles carry it, and one of them.
        let mut grouped: BTreeMap<(&str, &str, &str), (usize, usize, &str)> = BTreeMap::new();
        for c in &tenant.unknown_claims {
            let entry = grouped
                .entry((c.claim_type.as_str(), c.value.as_str(), c.reason.as_str()))
                .or_insert((0, 0, c.holder.as_str()));
            if c.holder.starts_with("role ") {
                entry.1 += 1;
            } else {
                entry.0 += 1;
            }
        }
        let rows: Vec<ClaimRow> = grouped
            .iter()
            .map(
                |((claim_type, value, reason), (agents, roles, first))| ClaimRow {
                    claim_type: shown(claim_type).into_owned(),
                    value: shown(value).into_owned(),
                    agents: *agents,
                    roles: *roles,
                    example: shown(first).into_owned(),
                    reason: shown(reason).into_owned(),
                },
            )
            .collect();
        let table = crate::text::fitted_table(rows, style.columns());
        let count = if tenant.unknown_claims_cut {
            format!(
                "{} types and values listed, and more not listed",
                grouped.len()
            )
        } else {
            format!("{} types and values", grouped.len())
        };
        let _ = writeln!(
            out,
            "\nClaims the permission catalog does not understand ({count}): requirements that depend on them are unverifiable; a catalog overlay (--catalog FILE, docs/permissions.md) can map them\n{table}"
        );
    }
    if !snapshot.redacted.is_empty() {
        let _ = writeln!(
            out,
            "\nSecret fields removed (names only): {}",
            snapshot.redacted.join(", ")
        );
    }
    if style.verbose > 0 && !tenant.notes.is_empty() {
        let _ = writeln!(out, "\nNormaliser notes:");
        for note in &tenant.notes {
            let _ = writeln!(out, "  {}", shown(note));
        }
    }
    // Everything above is tenant text in tables and lines: nothing in it may drive a terminal.
    let out = crate::text::shown_lines(&out);
    // Tables fit already; the lines of text are wrapped.
    crate::text::fit_lines(&out, style.columns())
}
