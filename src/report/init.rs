//! The starter configuration written by `halo-audit init`: every member commented, with bindings
//! guessed from a snapshot's applications when one is given.

use std::fmt::Write;
use std::path::Path;

use crate::ruleset::{Library, SetKind};
use crate::tenant::Tenant;

/// YAML double-quoted string.
///
/// Characters that could drive a terminal, and the markers of CI workflow commands (`::`, `##[`),
/// are written as YAML escapes: the value read back is the same, the file shown is safe.
fn quote(text: &str) -> String {
    let json =
        serde_json::to_string(text).unwrap_or_else(|_| format!("\"{}\"", text.replace('"', "'")));
    // A JSON string is a YAML double-quoted string, escapes included.
    crate::text::safe_json(&json).into_owned()
}

/// The text of a starter `halo-audit.yaml`.
#[must_use]
pub fn starter(library: &Library, tenant: Option<&Tenant>, snapshot: Option<&Path>) -> String {
    let mut out = String::from(
        "# halo-audit configuration (docs/config.md).\n\
         # Precedence: command-line flags, then environment variables, then this file.\n\n\
         instance:\n",
    );
    let url = tenant.and_then(|t| t.provenance.instance.clone());
    match &url {
        Some(u) => {
            let _ = writeln!(out, "  url: {}", quote(u));
        }
        None => out.push_str("  # url: https://acme.halopsa.com   # or HALO_URL\n"),
    }
    match tenant.and_then(|t| t.provenance.tenant.clone()) {
        Some(t) => {
            let _ = writeln!(out, "  tenant: {}", quote(&t));
        }
        None => {
            out.push_str("  # tenant: acme                    # hosted instances; or HALO_TENANT\n")
        }
    }
    out.push_str(
        "  # client_id: 0c1e...               # or HALO_CLIENT_ID\n\
         # The client secret never goes in this file: give it through HALO_CLIENT_SECRET or\n\
         # --client-secret-file from your CI's secret store.\n\n\
         # Extra requirement sets (directories or files, relative to this file):\n\
         # rules: [rules-local/]\n\
         # default_rules: true                # load the sets shipped with halo-audit\n\n",
    );
    let mut bound: Vec<(String, String)> = Vec::new();
    let mut unbound: Vec<String> = Vec::new();
    if let Some(t) = tenant {
        for app in t
            .applications()
            .iter()
            .filter(|a| a.active != Some(false) && !a.system)
        {
            let sets: Vec<&str> = library
                .sets
                .iter()
                .filter(|s| s.kind == SetKind::Integration)
                .filter(|s| {
                    s.binds(
                        &app.name,
                        app.client_id.as_deref(),
                        app.login_agent_name.as_deref(),
                    )
                })
                .map(|s| s.id.as_str())
                .collect();
            if sets.is_empty() {
                unbound.push(match &app.client_id {
                    // Listed in a comment: a newline in the id must not end it.
                    Some(id) => format!(
                        "{} (client id {})",
                        quote(&app.name),
                        crate::text::shown(id)
                    ),
                    None => quote(&app.name),
                });
            }
            for set in sets {
                bound.push((set.to_owned(), app.name.clone()));
            }
        }
    }
    bound.sort();
    if bound.is_empty() {
        out.push_str(
            "# Sets to check; without `sets:` and `bindings:`, every set whose default binding matches\n\
             # an active application runs (`halo-audit rules list` shows the sets).\n\
             # sets: [vciotoolbox, cloud-depot]\n\n\
             # Explicit bindings: set id -> the applications it describes (a set bound here must match).\n\
             # bindings:\n\
             #   vciotoolbox:\n\
             #     applications: [\"vCIOToolbox\"]\n\
             #     client_ids: []\n\n",
        );
    } else {
        let _ = writeln!(
            out,
            "# Explicit bindings, guessed from the applications in {}.\n\
             # A set bound here is always checked, and is an error if its application disappears.\n\
             # With `bindings:` (or `sets:`) present, only these sets and the baseline run.\n\
             bindings:",
            snapshot.map_or_else(|| "the snapshot".to_owned(), |p| p.display().to_string())
        );
        let mut current = String::new();
        for (set, app) in &bound {
            if *set != current {
                let _ = writeln!(out, "  {set}:\n    applications:");
                current.clone_from(set);
            }
            let _ = writeln!(out, "      - {}", quote(app));
        }
        out.push('\n');
    }
    if !unbound.is_empty() {
        out.push_str(
            "# Active applications no shipped requirement set describes (write a set for them):\n",
        );
        for app in &unbound {
            let _ = writeln!(out, "#   {app}");
        }
        out.push('\n');
    }
    out.push_str(
        "# Severity per finding code: allow (drop), note, warn, deny (`halo-audit explain` lists codes).\n\
         # severity:\n\
         #   ambiguous-requirement: allow\n\
         #   excessive-grant: deny\n\n\
         # Exit 1 when a finding at or above this remains: error, warning, note or never.\n\
         fail_on: error\n\n\
         # Exit 1 when a requirement could not be decided, or when less than this share was decided.\n\
         # fail_on_unverifiable: true\n\
         # min_coverage: 90\n\n\
         # Accepted findings. Each needs a reason, an owner and an expiry date; an expired waiver stops\n\
         # suppressing and is itself a warning, one matching nothing is reported, and `check\n\
         # --no-waivers` ignores them all.\n\
         # waivers:\n\
         #   - code: excessive-grant\n\
         #     set: cloud-depot\n\
         #     subject: application:Cloud Depot     # kind:name, or kind:#id\n\
         #     permission: feature.customers\n\
         #     reason: \"the vendor's sync of customer notes needs it (ticket #1234)\"   # always quoted\n\
         #     owner: jane.doe@msp.example\n\
         #     expires: 2027-03-31\n",
    );
    out
}
