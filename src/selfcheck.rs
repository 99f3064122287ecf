//! The auditor audits itself: what the credential that made a snapshot can do, and every grant
//! beyond reading.
//!
//! Owns: the self-check's judgement (pure, from a snapshot's `auditor` record and the normalised
//! tenant). halo-audit only reads, so its own application should hold no write scope and log in as
//! an API-only agent with no write access. `admin` and the administrator flag are reported as notes:
//! they are assumed to be needed to read agents, roles and applications (docs/fetching.md).

use serde::Serialize;

use crate::catalog::{Catalog, Kind};
use crate::diag::Severity;
use crate::halo::Identity;
use crate::snapshot::{Header, Snapshot};
use crate::tenant::{Tenant, Value};

/// Levels that only read (or less).
const READ_LEVELS: &[&str] = &["none", "view_names", "read"];

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
    pub items: Vec<Item>,
}

impl SelfCheck {
    /// True when the credential holds more than it needs (any warning).
    #[must_use]
    pub fn over_privileged(&self) -> bool {
        self.items.iter().any(|i| i.severity >= Severity::Warning)
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
    run_with(&Header::of(snapshot), tenant, catalog, None)
}

/// [`run`], with what Halo's `/api/Agent/me` said during a live run.
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
            items,
        };
    };
    let app = tenant.applications().iter().find(|a| {
        a.client_id
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&auditor.client_id))
    });
    // The application's own scopes when the tenant lists it; else what the token endpoint granted.
    let scopes: Vec<String> = app
        .and_then(|a| a.scopes.clone())
        .unwrap_or_else(|| auditor.granted_scopes.clone());
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
    let undetermined = agent.is_none().then(|| {
        let mut reasons = Vec::new();
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
        reasons.join("; ")
    });
    let agent_name = agent.map(|a| a.name.clone()).or_else(|| match me {
        Some(Identity::Agent { name, .. }) => Some(name.clone()),
        _ => None,
    });
    if let Some(agent) = agent {
        if agent.api_only == Some(false) {
            push(
                Severity::Warning,
                format!(
                    "the auditing application logs in as `{}`, an agent people can log in with",
                    agent.name
                ),
                "use a dedicated API-only agent (Configuration > Teams & Agents > Agents > the agent > Is an API-only agent)",
            );
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
        for (key, effective) in agent.permissions.iter() {
            let Some((_, def)) = catalog.permission(key) else {
                continue;
            };
            // Every level of Visibility of Appointments only shows more.
            if key == "calendar.visibility" {
                continue;
            }
            match (def.kind, effective.value) {
                (Kind::Level, Some(Value::Level(i)))
                    if def
                        .levels
                        .get(i)
                        .is_some_and(|l| !READ_LEVELS.contains(&l.as_str())) =>
                {
                    write_features.push(format!("{}: {}", def.label, catalog.level_label(def, i)));
                }
                (_, Some(Value::Flag(true))) if key == "ticket.can_delete" => {
                    write_features.push(def.label.clone());
                }
                _ => {}
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
    }
    SelfCheck {
        client_id: Some(auditor.client_id.clone()),
        granted_scopes: auditor.granted_scopes.clone(),
        application: app.map(|a| a.name.clone()),
        agent: agent_name,
        identified_by,
        undetermined,
        items,
    }
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
    let mut text = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
