//! The closed set of finding codes and their documentation.
//!
//! Owns: every code a finding can carry, its default severity, and its ruff-style documentation
//! (what it checks, why it matters, how to fix), written once here and used by `halo-audit explain`,
//! the SARIF rule metadata and `docs/checks/`. Adding a code means adding it here; a test pins the list.

use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered: `Note < Warning < Error`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    /// The lower-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }

    /// Parses `error`, `warning` or `note`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Self::Error),
            "warning" | "warn" => Some(Self::Warning),
            "note" | "info" => Some(Self::Note),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Threshold for a failing exit code (`--fail-on`, the configuration's `fail_on`): the least
/// severity that fails a run, or never. What it fails is decided in `verdict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $severity:ident, $summary:literal,
        what: $what:literal, why: $why:literal, fix: $fix:literal; )*) => {
        /// A finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        pub enum Code { $( #[serde(rename = $name)] $variant, )* }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code as written in reports (`missing-grant`).
            #[must_use]
            pub fn as_str(self) -> &'static str { match self { $( Code::$variant => $name, )* } }

            /// Default severity when a rule does not set one.
            #[must_use]
            pub fn default_severity(self) -> Severity { match self { $( Code::$variant => Severity::$severity, )* } }

            /// One-line summary.
            #[must_use]
            pub fn summary(self) -> &'static str { match self { $( Code::$variant => $summary, )* } }

            /// "What it does".
            #[must_use]
            pub fn what(self) -> &'static str { match self { $( Code::$variant => $what, )* } }

            /// "Why it matters".
            #[must_use]
            pub fn why(self) -> &'static str { match self { $( Code::$variant => $why, )* } }

            /// "How to fix".
            #[must_use]
            pub fn fix(self) -> &'static str { match self { $( Code::$variant => $fix, )* } }
        }
    };
}

codes! {
    MissingGrant = "missing-grant", Error, "A permission the integration needs is not granted",
        what: "Compares what a requirement set (transcribed from the vendor's setup document) needs with what the bound API application's scopes and its login agent's effective permissions grant, and reports each requirement that is not met.",
        why: "HaloPSA often answers a request it does not permit with `200` and an empty list rather than `403`, so an integration with too little permission silently syncs nothing, or half of what it should.",
        fix: "Grant the permission in Halo's UI where the finding says (Configuration > Integrations > HaloPSA API > the application > Permissions for scopes; Configuration > Teams & Agents > Agents > the agent, or one of its roles, for agent permissions). `halo-audit plan --set ID` prints the complete least-privilege setup.";
    ExcessiveGrant = "excessive-grant", Warning, "A permission is granted beyond what the integration needs",
        what: "Reports scopes the bound application holds that no requirement of its sets needs, feature levels above the documented level, and permissions a vendor's document says must be off.",
        why: "An integration's client secret lives in a third party's systems. Everything it can do beyond its documented needs is what an attacker gets when that secret leaks.",
        fix: "Remove the scope from the application, lower the agent's feature access level, or untick the permission, on the agent and on every role that grants it (an agent's effective permission is the highest of its own and every role's). If the extra grant is intended, record a waiver with a reason, an owner and an expiry.";
    Unverifiable = "unverifiable", Warning, "A requirement could not be decided from the snapshot",
        what: "Reports a requirement whose outcome depends on data the snapshot does not hold: an endpoint that was forbidden, a field Halo did not return, a claim the permission catalog does not understand.",
        why: "An audit that counts what it could not see as passed gives false assurance. Unverifiable requirements are never counted as passed: every report states how many requirements were decided and how many were not (coverage), `--fail-on-unverifiable` fails a run on any of them and `--min-coverage PERCENT` on too few decided. A run without the application or agent list audits nothing and exits 3.",
        fix: "Read the reason given. Give the auditing application read access to the missing endpoint and fetch again, or (for unknown claims) extend `catalog/permissions.yaml`; `halo-audit snapshot show FILE` lists the claims the catalog does not understand.";
    BindingNotFound = "binding-not-found", Error, "A requirement set was asked for but matches no application",
        what: "Reports a requirement set named with `--set` or in the configuration whose binding (application display-name patterns or client ids) matches no API application in the tenant.",
        why: "A readiness check that silently checks nothing would pass; the integration's application is missing, renamed, or the snapshot's application list is incomplete.",
        fix: "Create the API application as the vendor's guide describes, or bind the set to the right application explicitly in `halo-audit.yaml` (`bindings:`), or check that the auditing credential can read `/api/Application`.";
    SatisfiedByAssumption = "satisfied-by-assumption", Note, "A requirement is met only through an assumed implication",
        what: "Reports a requirement that is met only because a held scope is assumed to include it (for example `all:standard` is assumed to include every `read:` and `edit:` scope). Halo does not document these implications.",
        why: "If the assumption is wrong, the integration lacks the permission. Naming the assumption lets you decide whether to grant the scope explicitly.",
        fix: "Grant the required scope explicitly, or accept the assumption.";
    AmbiguousRequirement = "ambiguous-requirement", Note, "The vendor's document is ambiguous about this requirement",
        what: "Reports, once per bound application, each requirement whose transcription records that the vendor's wording can be read more than one way (for example \"Teams: All\" as the `all:teams` scope or as membership of every team).",
        why: "halo-audit checks the reading recorded in the set and says so rather than guessing silently.",
        fix: "Read the vendor's document (the source link) and confirm with the vendor which reading is meant.";
    BroadScopeUnneeded = "broad-scope-unneeded", Error, "An application holds an all-powerful scope no bound set needs",
        what: "Reports an active API application holding `all`, `admin` (or another scope the baseline names) when none of the requirement sets bound to it requires that scope. A set counts as bound when its binding matches the application, whether or not `--set` selected it, so a readiness check of one integration does not call the others unbound. HaloPSA's own system applications (`_issystem`, e.g. \"HaloPSA Portal\") are out of scope: Halo configures them, not you. Without the application list the policy is `unverifiable`, never passed.",
        why: "`all` grants every present and future scope; `admin` reaches configuration. A leaked secret of such an application owns the tenant.",
        fix: "Replace the broad scope with the narrow scopes the integration documents (`halo-audit plan --set ID`).";
    LoginAgentDisabled = "login-agent-disabled", Warning, "An active application logs in as a disabled agent",
        what: "Reports an active API application whose `loginas_agent_id` names a disabled agent. HaloPSA's own system applications (`_issystem`, e.g. \"HaloPSA Portal\") are out of scope: Halo configures them, not you. Without the application list the policy is `unverifiable`, never passed.",
        why: "Either the integration is broken, or it is a forgotten application whose secret still exists; in both cases it should be cleaned up.",
        fix: "Deactivate the application if it is no longer used, or point it at an active, least-privileged API-only agent.";
    LoginAgentMissing = "login-agent-missing", Warning, "An active application logs in as no agent, or as an agent not in the tenant",
        what: "Reports an active API application with no login agent, or whose login agent is not in the snapshot's agent list. HaloPSA's own system applications (`_issystem`, e.g. \"HaloPSA Portal\") are out of scope: Halo configures them, not you. Without the application list the policy is `unverifiable`, never passed.",
        why: "Its permissions cannot be audited, and an application whose agent was deleted is usually forgotten.",
        fix: "Set the application's \"Agent to log in as\" to a least-privileged API-only agent, or deactivate it.";
    AdminApiAgent = "admin-api-agent", Error, "An integration's agent or an API-only agent is a HaloPSA administrator without a set needing it",
        what: "Reports an API-only agent, or any agent an active API application logs in as, with the administrator flag when no requirement set bound to an application that logs in as it requires administrator. A disabled agent is reported too when an active application still logs in as it. A set counts as bound when its binding matches the application, whether or not `--set` selected it. HaloPSA's own system applications (`_issystem`) are out of scope. Without the application list the policy is `unverifiable`, never passed.",
        why: "An administrator can change every setting of the tenant; an API-only agent's credentials live in other systems.",
        fix: "Untick \"Is a HaloPSA Administrator\" on the agent and grant the specific feature access levels its integrations need.";
    InactiveAppWithScopes = "inactive-app-with-scopes", Note, "An inactive application still holds scopes",
        what: "Reports an inactive API application that still holds scopes. HaloPSA's own system applications (`_issystem`, e.g. \"HaloPSA Portal\") are out of scope: Halo configures them, not you. Without the application list the policy is `unverifiable`, never passed.",
        why: "Reactivating it (by mistake or by an attacker with admin access) restores every grant at once.",
        fix: "Remove its scopes, or delete the application if it is no longer needed.";
    DeleteTicketsUnneeded = "delete-tickets-unneeded", Warning, "An integration's agent can delete tickets and no set needs it",
        what: "Reports an agent that API applications log in as, which can delete tickets, when no requirement set bound to those applications requires it (a set counts as bound when its binding matches, whether or not `--set` selected it). HaloPSA's own system applications (`_issystem`) are out of scope. Without the application list the policy is `unverifiable`, never passed.",
        why: "Ticket deletion destroys the service record; few integrations need it and a leaked integration secret should not be able to do it.",
        fix: "Set \"Can Delete Tickets\" to No on the agent and on every role it holds.";
    CreateRolesUnneeded = "create-roles-unneeded", Error, "An integration's agent can create roles and no set needs it",
        what: "Reports an agent that API applications log in as, which can create Roles (the creation right `Av`, on the agent or a role it holds), when no requirement set bound to those applications requires it.",
        why: "A role can grant any permission: an integration that can create roles (and so assign them) can raise its own privileges, and so can anyone holding its leaked secret.",
        fix: "Untick \"Can create Roles\" on the agent and on every role it holds.";
    SqlDataSourcesUnneeded = "sql-data-sources-unneeded", Error, "An integration's agent can create SQL data sources and no set needs it",
        what: "Reports an agent that API applications log in as, which can create SQL Data Sources (the creation right `Ad`), when no requirement set bound to those applications requires it.",
        why: "A SQL data source runs arbitrary queries against Halo's database: every table, whatever the agent's other permissions and restrictions.",
        fix: "Untick \"Can create SQL Data Sources\" on the agent and on every role it holds.";
    PasswordFieldsUnneeded = "password-fields-unneeded", Error, "An integration's agent can see password fields and no set needs it",
        what: "Reports an agent that API applications log in as, which can see password fields (`la`), when no requirement set bound to those applications requires it.",
        why: "Password fields hold customers' credentials; an integration that can read them hands them to anyone holding its secret.",
        fix: "Set \"Password fields\" to not visible on the agent and on every role it holds.";
    ImpersonationIntegration = "impersonation-integration", Error, "An integration's agent can impersonate users and no set needs it",
        what: "Reports an agent that an active API application logs in as which holds \"Can impersonate Users\" (the claim `Iu`, on the agent or a role it holds) when no requirement set bound to those applications requires it. A set counts as bound when its binding matches the application. HaloPSA's own system applications (`_issystem`) are out of scope. Without the application list, or when the claim cannot be read, the policy is `unverifiable`, never passed.",
        why: "Impersonating a user acts as that user in every client's portal: approvals, requests and replies in their name. An integration that can do it hands that to anyone holding its leaked secret. The severity is error because it is an escalation: it lets the integration act beyond every permission it was given.",
        fix: "Set \"Can impersonate Users\" to No (Configuration > Teams & Agents > Agents > the agent > Permissions > Miscellaneous), and on every role it holds.";
    ImpersonationPeople = "impersonation-people", Note, "A person can impersonate users",
        what: "Lists each active agent that is not the login agent of an API application and holds \"Can impersonate Users\" (`Iu`, on the agent or a role it holds), naming the role it comes through. An agent whose claim cannot be read is not listed (a review list, not a gate).",
        why: "Impersonation is a support tool, but every holder can act as any end user. The list is a note to review, not a mistake: who needs it is the MSP's decision.",
        fix: "Review the list; set \"Can impersonate Users\" to No (Configuration > Teams & Agents > Agents > the agent, or the role named) for those who do not need it, or waive the finding with a reason and an owner.";
    AdminWithout2fa = "admin-without-2fa", Error, "An administrator signs in without a second factor",
        what: "Reports each active administrator (not API-only) whose agent record has Halo's two-factor authentication off (`twofactor_enabled` false) and who does not sign in through the identity provider (`useadlogin` false). An administrator who signs in through SSO (`useadlogin` true) without Halo's own second factor is reported as a note: the second factor is the identity provider's, which halo-audit cannot see. An agent record that does not say is `unverifiable`.",
        why: "An administrator's password alone then owns the tenant and every client's data; a phished or reused password is the commonest way in. The severity is error for that reason; the SSO case is a note because the identity provider may well enforce a second factor.",
        fix: "Turn on \"Two Factor Enabled\" for the agent (Configuration > Teams & Agents > Agents > the agent > Details), or have the agent sign in through Microsoft Entra ID / SSO (\"Use AD authentication\" Yes) with a second factor enforced there.";
    StalePrivilegedAgent = "stale-privileged-agent", Warning, "A privileged agent has not signed in for a long time",
        what: "Reports each active privileged agent (an administrator, or the login agent of an active application holding a write scope such as `edit:tickets`, `all` or `admin`) whose last web sign-in (`lastlogindate`) is more than N days (default 90; `baseline: {stale_sign_in_days: N}` in halo-audit.yaml) before the snapshot was fetched, or who has no sign-in on record. Time is measured from the snapshot's `fetched_at`, not the clock, so a report is reproducible. API-only agents are excluded: they never sign in to the web, so `lastlogindate` says nothing about whether they are used. A snapshot without `fetched_at` makes the policy `unverifiable`.",
        why: "A privileged account nobody uses is one nobody would notice being used by someone else: a leaver's administrator account, a forgotten integration login. It is a warning, not an error: it is a hygiene gap, not a grant beyond need.",
        fix: "Deactivate the agent (Configuration > Teams & Agents > Agents > the agent > untick \"Account Active\"), or remove its administrator flag or the application's write scopes if it is still needed.";
    AdministratorCount = "administrator-count", Warning, "The number of administrators is outside the expected range",
        what: "Counts the active agents that are HaloPSA administrators and are not API-only, and reports when the count is below the minimum or above the maximum (default 2 to 4; `baseline: {administrators: {min: N, max: N}}` in halo-audit.yaml), listing them. An administrator whose flag cannot be read makes the count `unverifiable`.",
        why: "Fewer than two leaves no one to recover the tenant when the one administrator is away or locked out; many more spreads the keys to everything (Microsoft's guidance for Entra ID global administrators is the same: at least two, fewer than five). A warning: the right number is the MSP's call, the range is a knob.",
        fix: "Remove \"Is a HaloPSA Administrator\" from the agents that do not need it (Configuration > Teams & Agents > Agents > the agent, and every role it holds), or name a second administrator; or set the range your policy allows in halo-audit.yaml.";
    LoginAgentWebSignIn = "login-agent-web-sign-in", Warning, "An integration's login agent can also sign in to the web",
        what: "Reports an active agent that an active API application logs in as and that is not an API-only agent (`isapiagent` false), so a person can sign in to Halo's web UI with it as well. Not reported when a set bound to one of its applications requires an agent that is not API-only (Neo Agent assigns tickets to itself).",
        why: "The integration's rights are then also a web login: a password phished or shared for the web gives everything the integration can do, and the integration's activity cannot be told apart from a person's. A warning: some vendors document a normal agent.",
        fix: "Create an API-only agent (Configuration > Teams & Agents > Agents > New, tick \"Is an API-only Agent\"), give it the permissions the integration documents and set it as the application's \"Agent to log in as\".";
    SharedLoginAgent = "shared-login-agent", Warning, "One login agent is shared by several integrations",
        what: "Reports an agent that more than one active API application logs in as, when those applications are not all bound to the same requirement sets (so they belong to different integrations).",
        why: "Each integration then holds the union of every integration's permissions, no set can be made least-privilege, and a finding or a leaked secret cannot be traced to one vendor. A warning: it widens every integration sharing the agent.",
        fix: "Give each integration's application its own API-only agent with only the permissions that integration documents (`halo-audit plan --set ID`), and set it as the application's \"Agent to log in as\".";
    SuspiciousEmptyList = "suspicious-empty-list", Warning, "Halo returned an empty list where a tenant always has entries",
        what: "Reports an empty agent, team or application list in the snapshot.",
        why: "Halo often answers `200` with an empty list when the API agent lacks permission, so an empty list usually means the audit saw nothing, not that there is nothing.",
        fix: "Give the auditing application's agent read access to agents, teams and applications, and fetch again.";
    ExpiredWaiver = "expired-waiver", Warning, "A waiver in the configuration has expired and no longer suppresses its finding",
        what: "Reports each waiver in `halo-audit.yaml` whose `expires` date has passed. The finding it covered is reported again at its own severity.",
        why: "A waiver is a time-boxed decision with an owner; once it lapses, the decision must be taken again rather than silently kept.",
        fix: "Fix the finding, or renew the waiver with a new `expires` date after its owner has reviewed it.";
    UnusedWaiver = "unused-waiver", Warning, "A waiver in the configuration matches no finding",
        what: "Reports each unexpired waiver that matched no finding of this run: the permission was fixed, the application renamed, or the waiver was mistyped.",
        why: "Stale waivers hide future findings that happen to match them, and mistyped ones suppress nothing while looking like they do.",
        fix: "Delete the waiver if its finding is fixed, or correct its `code`, `set`, `requirement`, `subject` or `permission` (the JSON report shows these members of every finding).";
    WaiverExpiring = "waiver-expiring", Note, "A waiver in the configuration expires within 14 days",
        what: "Reports each waiver that matched a finding and expires within the next 14 days.",
        why: "When it lapses, the finding fails the gate again; its owner should review it before then.",
        fix: "Fix the finding, or have the owner renew the waiver.";
}

impl Code {
    /// True for the codes that report a grant letting an integration take over the PSA (an
    /// administrator agent, `all` or `admin`, creating roles or SQL data sources, password fields,
    /// impersonation): errors by default, so a drift gate fails on them.
    #[must_use]
    pub fn is_escalation(self) -> bool {
        matches!(
            self,
            Self::BroadScopeUnneeded
                | Self::AdminApiAgent
                | Self::CreateRolesUnneeded
                | Self::SqlDataSourcesUnneeded
                | Self::PasswordFieldsUnneeded
                | Self::ImpersonationIntegration
        )
    }

    /// Looks a code up by its name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == name.trim())
    }

    /// The documentation page of the code, relative to the repository.
    #[must_use]
    pub fn doc_path(self) -> String {
        format!("docs/checks/{}.md", self.as_str())
    }

    /// `docs/checks/README.md`: every code with its default severity and summary, the escalations
    /// marked (generated; a test keeps the file current).
    #[must_use]
    pub fn index_markdown() -> String {
        use std::fmt::Write as _;
        let mut out = String::from(
            "# Finding codes\n\nEvery code halo-audit reports, with its default severity (a configuration's `severity:` can change it). `halo-audit explain CODE` prints the page.\n\n**Escalations** are grants that let an integration take over the PSA when no bound requirement set needs them: an administrator agent, the `all` or `admin` scope, creating roles or SQL data sources, seeing password fields, impersonating users. They are errors by default, so `check --baseline` fails (exit 1) at the default `--fail-on error` when one appears.\n\n| code | default severity | escalation | summary |\n|---|---|---|---|\n",
        );
        for code in Self::ALL {
            let _ = writeln!(
                out,
                "| [`{name}`]({name}.md) | {severity} | {escalation} | {summary} |",
                name = code.as_str(),
                severity = code.default_severity(),
                escalation = if code.is_escalation() { "yes" } else { "" },
                summary = code.summary(),
            );
        }
        out
    }

    /// The full documentation in Markdown, ruff-style.
    #[must_use]
    pub fn markdown(self) -> String {
        let escalation = if self.is_escalation() {
            " This code is an **escalation**: the grant lets an integration take over the PSA, so it is an error by default and `check --baseline` fails on a new one."
        } else {
            ""
        };
        format!(
            "# {name}\n\n{summary}. Default severity: **{severity}**.{escalation}\n\n## What it does\n\n{what}\n\n## Why it matters\n\n{why}\n\n## How to fix\n\n{fix}\n",
            name = self.as_str(),
            summary = self.summary(),
            severity = self.default_severity(),
            what = self.what(),
            why = self.why(),
            fix = self.fix(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_of_codes_is_pinned() {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        insta::assert_snapshot!(names.join("\n"));
    }

    #[test]
    fn codes_round_trip_by_name() {
        for code in Code::ALL {
            assert_eq!(Code::from_name(code.as_str()), Some(*code));
        }
        assert_eq!(Code::from_name("nope"), None);
    }
}
