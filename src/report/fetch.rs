//! What `fetch` (and a live `check`) says on stderr when a fetch succeeds: counts, request cost,
//! and every gap, each with what it means for the audit.

use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use crate::snapshot::Snapshot;

/// A short summary of a fetched snapshot.
#[must_use]
pub fn summary(snapshot: &Snapshot, written: Option<&Path>) -> String {
    let count = |v: &Option<Value>| -> Option<usize> {
        v.as_ref().map(|v| match v {
            Value::Array(items) => items.len(),
            Value::Object(map) => map.values().find_map(Value::as_array).map_or(0, Vec::len),
            _ => 0,
        })
    };
    let o = &snapshot.objects;
    let parts: Vec<String> = [
        ("agents", count(&o.agents)),
        ("teams", count(&o.teams)),
        ("roles", count(&o.roles)),
        ("applications", count(&o.applications)),
    ]
    .into_iter()
    .filter_map(|(name, n)| n.map(|n| format!("{n} {name}")))
    .collect();
    let r = &snapshot.requests;
    let mut out = format!(
        "fetched {} ({} scope) in {} requests ({} retried, {} rate-limited)",
        if parts.is_empty() {
            "nothing".to_owned()
        } else {
            parts.join(", ")
        },
        snapshot.scope.as_deref().unwrap_or("all"),
        r.total,
        r.retries,
        r.throttled,
    );
    if let Some(path) = written {
        let _ = write!(out, "; wrote {}", crate::fsio::describe_output(path));
    }
    out.push('\n');
    for gap in &snapshot.gaps {
        let incomplete: String;
        let what = match gap.reason.as_str() {
            "forbidden" => {
                "403 Forbidden: requirements that depend on it are reported unverifiable"
            }
            "not_found" => {
                "404 Not Found: the object disappeared while fetching, or this Halo version lacks the endpoint"
            }
            "empty" => "an empty list: Halo answers this when the auditing agent lacks permission",
            "no-claims" => gap
                .detail
                .as_deref()
                .unwrap_or("no detail carries `claims`"),
            reason if crate::snapshot::INCOMPLETE_LIST.contains(&reason) => {
                incomplete = format!(
                    "not read whole ({reason}): {}; `check` reports this list not audited (exit 3)",
                    crate::text::shown(gap.detail.as_deref().unwrap_or("no detail recorded"))
                );
                incomplete.as_str()
            }
            _ => "not read",
        };
        let object = gap
            .object_id
            .as_deref()
            .map(|id| format!(" (id {})", crate::text::shown(id)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "warning: {}{object}: {what}",
            crate::text::shown(&gap.endpoint)
        );
    }
    out
}
