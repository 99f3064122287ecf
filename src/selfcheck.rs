//! The auditor audits itself: what the credential that made a snapshot can do, and every grant
//! beyond reading.
//!
//! Owns: the self-check's judgement (pure, from a snapshot's `auditor` record and the normalised
//! tenant). halo-audit only reads, so its own application should hold no write scope and log in as
//! an API-only agent with no write access. `admin` and the administrator flag are reported as notes:
//! they are assumed to be needed to read agents, roles and applications (docs/fetching.md).
//!
//! "Only reads" is concluded only on evidence: the credential's scopes as Halo listed them, and
//! every permission of its agent that can change data decided by a claim or field seen. A
//! permission read as No Access only because no claim carries it, or not read at all, leaves the
//! answer "cannot tell" with what is missing (exit 3). The credential's agent comes from one place,
//! [`run_with`]'s `me`: Halo's `/api/Agent/me` during a live run, [`recorded_agent`] offline.

use serde::Serialize;

use crate::catalog::{Catalog, Kind, PermissionDef, Source};
use crate::diag::Severity;
use crate::halo::Identity;
use crate::snapshot::{Header, Snapshot};
use crate::tenant::{Effective, Tenant, Value};

/// Levels that only read (or less).
const READ_LEVELS: &[&str] = &["none", "view_names", "read"];

/// Yes/no permissions that let the agent change data (besides every `Creation Rights` one).
const WRITE_FLAGS: &[&str] = &[
    "ticket.can_add",
    "ticket.can_edit_closed",
    "ticket.can_change_type",
    "ticket.can_reassign",
    "ticket.can_edit_advanced",
    "ticket.can_delete",
    "ticket.can_assign_outside_teams",
    "ticket.can_edit_not_assigned",
    "ticket.can_update_status_outside_actions",
    "ticket.can_override_priority_escalation",
    "ticket.can_override_review",
    "ticket.can_mark_spam",
    "ticket.can_remove_todos",
    "ticket.can_override_approvals",
    "ticket.can_queue_powershell",
    "general.change_active",
];

/// Whether a permission has a setting that changes data (a level beyond reading, or a yes/no
/// right to write, delete or create).
fn write_capable(def: &PermissionDef) -> bool {
    // Every level of Visibility of Appointments only shows more.
    if def.key == "calendar.visibility" {
        return false;
    }
    match def.kind {
        Kind::Level => def
            .levels
            .iter()
            .any(|l| !READ_LEVELS.contains(&l.as_str())),
        Kind::Flag => WRITE_FLAGS.contains(&def.key.as_str()) || def.section == "Creation Rights",
    }
}

/// Why an effective value that does not write is not known on evidence: `None` when a claim or
/// field seen decides it.
fn not_on_evidence(effective: &Effective) -> Option<Unsettled> {
    if let Some(reason) = effective.unknown.first() {
        return Some(Unsettled::NotRead(reason.clone()));
    }
    let Some(value) = effective.value else {
        return Some(Unsettled::NotRead("no value was read".to_owned()));
    };
    let seen = effective
        .contributions
        .iter()
        .filter(|c| c.value == value)
        .any(|c| c.evidence.starts_with("claim ") || c.evidence.starts_with("field "));
    if seen { None } else { Some(Unsettled::Assumed) }
}

/// Whether the catalog can read a permission at all: not when no source says which claim carries
/// it, or which value of its claim means what (Chat).
fn unreadable(def: &PermissionDef) -> bool {
    match def.source {
        Source::Unknown(_) => true,
        Source::Claim(_) => def.values.0.is_empty(),
        _ => false,
    }
}

/// Permissions by label, or by section with a count when there are many.
fn listed(defs: &[&PermissionDef]) -> String {
    if defs.len() <= 8 {
        return defs
            .iter()
            .map(|d| d.label.as_str())
            .collect::<Vec<_>>()
            .join(", ");
    }
    let mut sections: Vec<(&str, usize)> = Vec::new();
    for def in defs {
        match sections.iter_mut().find(|(s, _)| *s == def.section) {
            Some((_, n)) => *n += 1,
            None => sections.push((def.section.as_str(), 1)),
        }
    }
    sections
        .iter()
        .map(|(s, n)| format!("{s} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A write-capable permission the self-check could not settle.
enum Unsettled {
    /// Not read: the value may be anything.
    NotRead(String),
    /// Read as the lowest setting because no claim carries it: an assumption.
    Assumed,
}

/// One observation about the auditing credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Item {
    pub severity: Severity,
    pub message: String,
    pub fix: String,
}

/// The self-check's result.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SelfCheck {
    pub client_id: Option<String>,
    pub granted_scopes: Vec<String>,
    /// The auditing application, when the tenant's application list holds it.
    pub application: Option<String>,
    /// Its login agent, when known.
    pub agent: Option<String>,
    /// How the agent was identified: `application` (the login agent of the application with the
    /// credential's client id) or `agent-me` (Halo's `/api/Agent/me`, during a live run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identified_by: Option<&'static str>,
    /// Why the self-check cannot tell whether the credential only reads (its agent could not be
    /// identified or read); `None` when it could judge it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undetermined: Option<String>,
    /// What the verdict would need and the snapshot does not show: each write-capable permission
    /// of the agent not decided on evidence, the scopes when no list of them was seen.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// `only-reads`, `beyond-reading` or `cannot-tell`: the same for a live run and its snapshot.
    pub verdict: &'static str,
    pub items: Vec<Item>,
}

impl SelfCheck {
    /// True when the credential holds more than it needs (any warning).
    #[must_use]
    pub fn over_privileged(&self) -> bool {
        self.items.iter().any(|i| i.severity >= Severity::Warning)
    }

    /// `beyond-reading`, `cannot-tell` or `only-reads`.
    #[must_use]
    pub fn verdict(&self) -> &'static str {
        if self.over_privileged() {
            "beyond-reading"
        } else if self.undetermined.is_some() {
            "cannot-tell"
        } else {
            "only-reads"
        }
    }

    /// The exit code: 1 beyond read access, 3 when that cannot be told, else 0.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        if self.over_privileged() {
            crate::verdict::exit::FINDINGS
        } else if self.undetermined.is_some() {
            crate::verdict::exit::UNAVAILABLE
        } else {
            crate::verdict::exit::OK
        }
    }
}

/// Judges the credential recorded in `snapshot` against the tenant it fetched.
#[must_use]
pub fn run(snapshot: &Snapshot, tenant: &Tenant, catalog: &Catalog) -> SelfCheck {
    let header = Header::of(snapshot);
    run_with(&header, tenant, catalog, recorded_agent(&header).as_ref())
}

/// The agent the credential acted as, as a snapshot's header records it (`auditor.agent`, from
/// `/api/Agent/me` at fetch time): the one place an offline self-check learns it, so that it
/// answers as the live one did. Halo's reason when it did not say (`auditor.agent_unknown`);
/// `None` for a snapshot written before the agent was recorded, which is judged by its auditing
/// application's login agent alone.
#[must_use]
pub fn recorded_agent(header: &Header) -> Option<Identity> {
    let auditor = header.auditor.as_ref()?;
    match (&auditor.agent, &auditor.agent_unknown) {
        (Some(agent), _) => Some(Identity::Agent {
            id: agent.id,
            name: agent.name.clone(),
            object: serde_json::Value::Null,
        }),
        (None, Some(reason)) => Some(Identity::Unknown {
            reason: reason.clone(),
        }),
        (None, None) => None,
    }
}

/// [`run`], with the agent the credential acts as (`me`): Halo's `/api/Agent/me` during a live
/// run, [`recorded_agent`] for a snapshot.
#[must_use]
pub fn run_with(
    snapshot: &Header,
    tenant: &Tenant,
    catalog: &Catalog,
    me: Option<&Identity>,
) -> SelfCheck {
    let mut items = Vec::new();
    let mut push = |severity, message: String, fix: &str| {
        items.push(Item {
            severity,
            message,
            fix: fix.to_owned(),
        });
    };
    let Some(auditor) = &snapshot.auditor else {
        push(
            Severity::Note,
            "the snapshot does not record which credential fetched it (written by an older halo-audit or by hand)".to_owned(),
            "fetch again with this version of halo-audit",
        );
        return SelfCheck {
            client_id: None,
            granted_scopes: Vec::new(),
            application: None,
            agent: None,
            identified_by: None,
            undetermined: Some(
                "the snapshot does not record which credential fetched it".to_owned(),
            ),
            missing: vec!["which credential fetched the snapshot".to_owned()],
            verdict: "cannot-tell",
            items,
        };
    };
    let app = tenant.applications().iter().find(|a| {
        a.client_id
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&auditor.client_id))
    });
    let mut missing = Vec::new();
    // The application's own scopes when the tenant lists them; else what the token endpoint
    // said it granted; else nothing seen.
    let scopes: Vec<String> = match app.and_then(|a| a.scopes.clone()) {
        Some(scopes) => scopes,
        None if !auditor.granted_scopes.is_empty() => auditor.granted_scopes.clone(),
        None => {
            missing.push(
                "the credential's scopes (its application's scope list was not read and the token endpoint did not say which it granted)"
                    .to_owned(),
            );
            Vec::new()
        }
    };
    let writes: Vec<&String> = scopes
        .iter()
        .filter(|s| !(s.starts_with("read:") || s.as_str() == "admin" || s.as_str() == "openid"))
        .collect();
    if !writes.is_empty() {
        push(
            Severity::Warning,
            format!(
                "the auditing application holds {}, beyond reading",
                writes
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "untick them in Configuration > Integrations > HaloPSA API > View Applications > the application > Permissions; halo-audit needs only `admin`",
        );
    }
    if scopes.iter().any(|s| s == "admin") {
        push(
            Severity::Note,
            "the auditing application holds `admin`, assumed necessary to read agents, roles and applications".to_owned(),
            "nothing to do unless your Halo version offers a narrower read scope for configuration",
        );
    }
    if app.is_none() {
        let (message, fix) = match tenant.applications.as_ref().map(Vec::len) {
            None => (
                format!(
                    "the application list could not be read, so the application with client id {} cannot be found",
                    auditor.client_id
                ),
                "give the auditing agent read access to API applications",
            ),
            Some(n) => (
                format!(
                    "no application of the {} read has client id {}",
                    crate::report::plural(n, "application"),
                    auditor.client_id
                ),
                "check the client id (HALO_CLIENT_ID); Halo may leave the auditing application out of the list it returns, and a live `self-check` then asks /api/Agent/me which agent it acts as",
            ),
        };
        push(Severity::Note, message, fix);
    }
    let by_application = app
        .and_then(|a| a.login_agent_id)
        .and_then(|id| tenant.agent(id));
    let by_me = match me {
        Some(Identity::Agent { id, .. }) if by_application.is_none() => tenant.agent(*id),
        _ => None,
    };
    let agent = by_application.or(by_me);
    let identified_by = if by_application.is_some() {
        Some("application")
    } else if by_me.is_some() {
        Some("agent-me")
    } else {
        None
    };
    let mut reasons = Vec::new();
    if agent.is_none() {
        match (app, app.and_then(|a| a.login_agent_id)) {
            (None, _) => {
                reasons.push("the auditing application is not in the application list".to_owned())
            }
            (Some(_), None) => {
                reasons.push("the auditing application logs in as no agent".to_owned())
            }
            (Some(_), Some(id)) => reasons.push(format!(
                "its login agent (id {id}) is not among the agents read"
            )),
        }
        match me {
            Some(Identity::Agent { id, name, .. }) => reasons.push(format!(
                "/api/Agent/me names agent `{name}` (id {id}), whose permissions were not read"
            )),
            Some(Identity::Unknown { reason }) => reasons.push(reason.clone()),
            None => {}
        }
        missing.push("which agent the credential acts as, and its permissions".to_owned());
    }
    let agent_name = agent.map(|a| a.name.clone()).or_else(|| match me {
        Some(Identity::Agent { name, .. }) => Some(name.clone()),
        _ => None,
    });
    if let Some(agent) = agent {
        match agent.api_only {
            Some(false) => push(
                Severity::Warning,
                format!(
                    "the auditing application logs in as `{}`, an agent people can log in with",
                    agent.name
                ),
                "use a dedicated API-only agent (Configuration > Teams & Agents > Agents > the agent > Is an API-only agent)",
            ),
            Some(true) => {}
            None => missing.push(format!(
                "whether `{}` is an API-only agent (its `isapiagent` field was not read)",
                agent.name
            )),
        }
        if agent.admin == Some(true) {
            push(
                Severity::Note,
                format!(
                    "the login agent `{}` is a HaloPSA administrator, assumed necessary to read other agents' permissions",
                    agent.name
                ),
                "nothing to do unless a narrower permission lets it read agents, roles and applications",
            );
        }
        let mut write_features = Vec::new();
        let (mut not_read, mut assumed, mut no_source) = (Vec::new(), Vec::new(), Vec::new());
        let mut why_not_read = Vec::new();
        for (key, effective) in agent.permissions.iter() {
            let Some((_, def)) = catalog.permission(key) else {
                continue;
            };
            if !write_capable(def) {
                continue;
            }
            let writes = effective.maxima().any(|value| match (def.kind, value) {
                (Kind::Level, Value::Level(i)) => def
                    .levels
                    .get(i)
                    .is_some_and(|l| !READ_LEVELS.contains(&l.as_str())),
                (Kind::Flag, Value::Flag(b)) => b,
                _ => false,
            });
            if writes {
                let value = effective.value.map_or_else(String::new, |v| match v {
                    Value::Level(i) => format!(": {}", catalog.level_label(def, i)),
                    Value::Flag(_) => String::new(),
                });
                write_features.push(format!("{}{value}", def.label));
                continue;
            }
            match not_on_evidence(effective) {
                None => {}
                // Halo has the setting but no source says where the API carries it, or which
                // value of its claim means what.
                Some(_) if unreadable(def) => {
                    no_source.push(def.label.clone());
                }
                Some(Unsettled::NotRead(reason)) => {
                    not_read.push(def);
                    if !why_not_read.contains(&reason) {
                        why_not_read.push(reason);
                    }
                }
                Some(Unsettled::Assumed) => assumed.push(def),
            }
        }
        if !write_features.is_empty() {
            push(
                Severity::Warning,
                format!(
                    "the login agent `{}` can change data: {}",
                    agent.name,
                    write_features.join("; ")
                ),
                "lower these to Read Only (or No Access) on the agent and its roles: halo-audit never writes",
            );
        }
        if !not_read.is_empty() {
            missing.push(format!(
                "{} of `{}` that can change data, not read ({}): {}",
                crate::report::plural(not_read.len(), "permission"),
                agent.name,
                why_not_read.join("; "),
                listed(&not_read)
            ));
        }
        if !assumed.is_empty() {
            missing.push(format!(
                "{} of `{}` that can change data, carried by no claim on the agent or its roles and so only assumed No: {}",
                crate::report::plural(assumed.len(), "permission"),
                agent.name,
                listed(&assumed)
            ));
        }
        if !no_source.is_empty() {
            push(
                Severity::Note,
                format!(
                    "{} cannot be read through Halo's API (no source says which claim carries {} or what its values mean), so the self-check does not judge {}",
                    no_source.join(", "),
                    if no_source.len() == 1 { "it" } else { "them" },
                    if no_source.len() == 1 { "it" } else { "them" },
                ),
                "check them in Configuration > Teams & Agents > Agents > the agent > Permissions; a catalog overlay that names their claims lets halo-audit read them",
            );
        }
    }
    if agent.is_some() && !missing.is_empty() {
        reasons.push(
            "not every scope and permission that can change data was decided on evidence (each is listed above as `not known`)"
                .to_owned(),
        );
    }
    let undetermined = (!reasons.is_empty()).then(|| reasons.join("; "));
    let mut check = SelfCheck {
        client_id: Some(auditor.client_id.clone()),
        granted_scopes: auditor.granted_scopes.clone(),
        application: app.map(|a| a.name.clone()),
        agent: agent_name,
        identified_by,
        undetermined,
        missing,
        verdict: "",
        items,
    };
    check.verdict = check.verdict();
    check
}

/// The human rendering.
#[must_use]
pub fn render(check: &SelfCheck) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "auditing credential: client id {}; application {}; login agent {}; granted scopes: {}",
        check.client_id.as_deref().unwrap_or("unknown"),
        check
            .application
            .as_deref()
            .unwrap_or("not found in the tenant's application list"),
        match (&check.agent, check.identified_by) {
            (Some(name), Some("agent-me")) => format!("{name} (from /api/Agent/me)"),
            (Some(name), Some(_)) => name.clone(),
            (Some(name), None) => format!("{name} (not read)"),
            (None, _) => "unknown".to_owned(),
        },
        if check.granted_scopes.is_empty() {
            "not reported".to_owned()
        } else {
            check.granted_scopes.join(" ")
        }
    );
    for item in &check.items {
        let _ = writeln!(
            out,
            "{}: {}\n  fix: {}",
            item.severity, item.message, item.fix
        );
    }
    for what in &check.missing {
        let _ = writeln!(out, "not known: {what}");
    }
    let verdict = if check.over_privileged() {
        "self-check: the auditing credential holds more than read access".to_owned()
    } else if let Some(reason) = &check.undetermined {
        format!("self-check: cannot tell whether the auditing credential only reads: {reason}")
    } else {
        "self-check: the auditing credential only reads".to_owned()
    };
    let _ = writeln!(out, "{verdict}");
    out
}

/// The version of the self-check's JSON document.
pub const VERSION: u32 = 1;

#[derive(Serialize, schemars::JsonSchema)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// The self-check's JSON document: its version, the tool, then the result's members.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Document<'a> {
    version: u32,
    tool: Tool,
    #[serde(flatten)]
    result: &'a SelfCheck,
}

/// The self-check's JSON document (pretty, trailing newline).
#[must_use]
pub fn json(result: &SelfCheck) -> String {
    let document = Document {
        version: VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        result,
    };
    crate::text::json_document(&document)
}
