//! Deterministic HaloPSA tenants, written as halo-audit snapshot documents (format v1).
//!
//! This module owns the *content* of simulated tenants: which agents, teams, roles and API
//! applications exist and how their permissions are set. It produces `serde_json::Value`s shaped
//! exactly like the objects HaloPSA returns (swagger schemas `Uname`, `SectionDetail`, `NHD_Roles`,
//! `NHD_Identity_Application`, with Halo's own field names), wrapped in the snapshot envelope of
//! `docs/snapshot-format.md`.
//!
//! It must not do I/O, read the clock or the environment, or use unseeded randomness: the same input
//! gives the same JSON, byte for byte. It never emits secrets (`clientSecret`, passwords, tokens).
//!
//! Claims speak HaloPSA's real encoding (`catalog/permissions.yaml`): the claim `type` is Halo's
//! short, case-sensitive code (`Tx`, `l4`, `SA`, ...) or, on some roles of the demo, its older long
//! name (`Ticket_Level`); the `value` is the string Halo stores (`"2"` = Read and Modify for `Tx`,
//! `"1"` = Yes for a ticket permission, `"true"` for `SA`). The value tables are mirrored in
//! [`CLAIMS`]; a test checks the mirror against the catalog.

use serde_json::{Value, json};

/// When every generated snapshot claims to have been fetched.
pub const FETCHED_AT: &str = "2026-11-20T09:00:00Z";

/// A claim type known to `catalog/permissions.yaml`: the catalog key it carries, Halo's claim type
/// code, older long names, and the value table (claim value → level key, or `yes` / `no`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimDef {
    /// The catalog's canonical permission key.
    pub key: &'static str,
    /// Halo's claim type code (the catalog's `source.claim`).
    pub claim: &'static str,
    /// Older long names of the claim (the catalog's `legacy_claims`).
    pub legacy: &'static [&'static str],
    /// The catalog scale's value table, in the order written.
    pub values: &'static [(&'static str, &'static str)],
}

impl ClaimDef {
    /// True for a yes/no claim.
    #[must_use]
    pub fn is_flag(&self) -> bool {
        self.values
            .iter()
            .all(|(_, to)| *to == "yes" || *to == "no")
    }
}

const ACCESS3: &[(&str, &str)] = &[("0", "none"), ("1", "read"), ("2", "read_modify")];
const ACCESS_NAMES: &[(&str, &str)] = &[
    ("0", "none"),
    ("1", "view_names"),
    ("2", "read"),
    ("3", "read_modify"),
];
const ACCESS_REMOVE: &[(&str, &str)] = &[
    ("0", "none"),
    ("1", "read"),
    ("2", "read_modify"),
    ("3", "read_modify_remove"),
];
const TIMESHEETS: &[(&str, &str)] = &[
    ("0", "none"),
    ("1", "modify_own"),
    ("2", "modify_managed"),
    ("3", "read"),
    ("4", "read_modify_all"),
];
const DISTRIBUTION_LISTS: &[(&str, &str)] = &[
    ("0", "none"),
    ("1", "read"),
    ("2", "read_send"),
    ("3", "read_modify"),
];
const ACTION_EDITING: &[(&str, &str)] =
    &[("0", "none"), ("1", "own_actions"), ("3", "all_actions")];
const APPOINTMENTS_013: &[(&str, &str)] = &[("0", "none"), ("1", "own_only"), ("3", "all")];
const APPOINTMENTS_012: &[(&str, &str)] = &[("0", "none"), ("1", "own_only"), ("2", "all")];
const APPOINTMENT_VISIBILITY: &[(&str, &str)] = &[
    ("0", "own_only"),
    ("1", "team"),
    ("2", "team_department"),
    ("3", "all"),
];
const FLAG_DIGIT: &[(&str, &str)] = &[("1", "yes"), ("0", "no")];
/// Item Costs (`li`) and global templates (`lt`): levels in a 2026 tenant's UI of which only 0 is
/// decoded (`1`, Yes in the older decoders, is written raw: seen, level unknown).
const ZERO_ONLY: &[(&str, &str)] = &[("0", "none")];
const FLAG_WORD: &[(&str, &str)] = &[
    ("true", "yes"),
    ("false", "no"),
    ("True", "yes"),
    ("False", "no"),
];
const FLAG_WORD_OR_DIGIT: &[(&str, &str)] = &[
    ("true", "yes"),
    ("false", "no"),
    ("True", "yes"),
    ("False", "no"),
    ("1", "yes"),
    ("0", "no"),
];

/// The claim types the generator writes, mirroring `catalog/permissions.yaml` (a test checks it).
pub const CLAIMS: &[ClaimDef] = &[
    ClaimDef {
        key: "agent.admin",
        claim: "SA",
        legacy: &["Administration"],
        values: FLAG_WORD,
    },
    ClaimDef {
        key: "general.edit_own_preferences",
        claim: "l0",
        legacy: &["Edit_Preferences"],
        values: FLAG_WORD_OR_DIGIT,
    },
    ClaimDef {
        key: "general.edit_own_notifications",
        claim: "ln",
        legacy: &[],
        values: FLAG_WORD,
    },
    ClaimDef {
        key: "restrict.all_customers",
        claim: "Fc",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "restrict.all_ticket_types",
        claim: "Ft",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "restrict.all_asset_types",
        claim: "Fa",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "restrict.all_asset_fields",
        claim: "Ff",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "feature.tickets",
        claim: "Tx",
        legacy: &["Ticket_Level"],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.customers",
        claim: "Ux",
        legacy: &["Customers_Level"],
        values: ACCESS_NAMES,
    },
    ClaimDef {
        key: "feature.users",
        claim: "Fx",
        legacy: &[],
        values: ACCESS_NAMES,
    },
    ClaimDef {
        key: "feature.crm",
        claim: "Ex",
        legacy: &[],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.assets",
        claim: "Dx",
        legacy: &["Assets_Level"],
        values: ACCESS_REMOVE,
    },
    ClaimDef {
        key: "feature.calendars",
        claim: "Ax",
        legacy: &["Calendar_Level"],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.knowledge_base",
        claim: "Bx",
        legacy: &["KB_Level"],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.suppliers",
        claim: "Sx",
        legacy: &["Sup_Lvl"],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.products",
        claim: "Ix",
        legacy: &[],
        values: ACCESS_NAMES,
    },
    ClaimDef {
        key: "feature.sales",
        claim: "Ox",
        legacy: &["Sales_Level"],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.quotations",
        claim: "Qx",
        legacy: &[],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.sales_orders",
        claim: "Yx",
        legacy: &[],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.purchase_orders",
        claim: "Zx",
        legacy: &[],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.billing_details",
        claim: "Jx",
        legacy: &[],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.invoices",
        claim: "Xx",
        legacy: &[],
        values: ACCESS_REMOVE,
    },
    ClaimDef {
        key: "feature.reporting",
        claim: "Rx",
        legacy: &["Reporting_Level"],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.customer_agreements",
        claim: "Cx",
        legacy: &["Contract_Level"],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.supplier_agreements",
        claim: "Gx",
        legacy: &[],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.service_catalogue",
        claim: "Vx",
        legacy: &["Serv_Lvl"],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.software_releases",
        claim: "Wx",
        legacy: &["Software_Level"],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.timesheets",
        claim: "Hx",
        legacy: &["Timesheets_Level"],
        values: TIMESHEETS,
    },
    ClaimDef {
        key: "feature.software_licensing",
        claim: "Lx",
        legacy: &[],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.projects",
        claim: "Px",
        legacy: &["Project_Level"],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.documents",
        claim: "Mx",
        legacy: &[],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.mail_campaign",
        claim: "Nx",
        legacy: &[],
        values: ACCESS3,
    },
    ClaimDef {
        key: "feature.distribution_lists",
        claim: "Kx",
        legacy: &[],
        values: DISTRIBUTION_LISTS,
    },
    ClaimDef {
        key: "ticket.can_add",
        claim: "l6",
        legacy: &["Can_Log_Tickets"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_edit_closed",
        claim: "lf",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_view_unassigned",
        claim: "l9",
        legacy: &["Can_View_Unassigned_Tickets"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_view_others",
        claim: "l8",
        legacy: &["Can_View_Tech_Tickets"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_change_type",
        claim: "lc",
        legacy: &["Can_Change_Ticket_Types"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_reassign",
        claim: "l7",
        legacy: &["Can_Reassign_Tickets"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_edit_advanced",
        claim: "l1",
        legacy: &["Advanced_Edit"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_delete",
        claim: "l4",
        legacy: &["Can_Remove_Tickets"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_assign_outside_teams",
        claim: "ld",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_edit_not_assigned",
        claim: "le",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_update_status_outside_actions",
        claim: "lo",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_export",
        claim: "lm",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_override_priority_escalation",
        claim: "lj",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_override_review",
        claim: "lh",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_mark_spam",
        claim: "ll",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_remove_todos",
        claim: "Td",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.action_editing",
        claim: "l5",
        legacy: &["Can_Edit_Actions"],
        values: ACTION_EDITING,
    },
    ClaimDef {
        key: "ticket.can_override_approvals",
        claim: "l2",
        legacy: &["Approvals_Can_Override"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.approvals_page",
        claim: "l3",
        legacy: &["Approvals_Page_Access"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_view_powershell",
        claim: "lu",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "ticket.can_queue_powershell",
        claim: "lv",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "calendar.editing",
        claim: "lb",
        legacy: &["Can_Edit_Appointments"],
        values: APPOINTMENTS_013,
    },
    ClaimDef {
        key: "calendar.adding",
        claim: "lg",
        legacy: &[],
        values: APPOINTMENTS_012,
    },
    ClaimDef {
        key: "calendar.visibility",
        claim: "lz",
        legacy: &[],
        values: APPOINTMENT_VISIBILITY,
    },
    ClaimDef {
        key: "calendar.deleting",
        claim: "lr",
        legacy: &[],
        values: APPOINTMENTS_013,
    },
    ClaimDef {
        key: "billing.view_item_costs",
        claim: "li",
        legacy: &[],
        values: ZERO_ONLY,
    },
    ClaimDef {
        key: "billing.item_prices",
        claim: "pi",
        legacy: &[],
        values: ACCESS3,
    },
    ClaimDef {
        key: "billing.view_agent_costs",
        claim: "A1",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "general.view_passwords",
        claim: "la",
        legacy: &["Pwd_Level"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "general.view_site_documents",
        claim: "D1",
        legacy: &["Can_View_Site_Docs"],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "general.change_active",
        claim: "lk",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.ticket_types",
        claim: "At",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.scheduled_tickets",
        claim: "As",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.global_templates",
        claim: "lt",
        legacy: &[],
        values: ZERO_ONLY,
    },
    ClaimDef {
        key: "security.impersonate_users",
        claim: "Iu",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.dashboards",
        claim: "ly",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.sql_data_sources",
        claim: "Ad",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.custom_fields",
        claim: "ls",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.field_groups",
        claim: "Af",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.message_groups",
        claim: "mg",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.ticket_rules",
        claim: "Ar",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.roles",
        claim: "Av",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.slas",
        claim: "Az",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.languages",
        claim: "Al",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.quote_group_templates",
        claim: "Aq",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.chat_profiles",
        claim: "Cp",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.faq_lists",
        claim: "Fl",
        legacy: &[],
        values: FLAG_DIGIT,
    },
    ClaimDef {
        key: "create.publish_reports",
        claim: "Ru",
        legacy: &[],
        values: FLAG_DIGIT,
    },
];

/// A claim type the catalog does not know; the demo carries it once on purpose.
pub const UNKNOWN_CLAIM: &str = "Wg";

/// API application scopes (catalog `scopes`), used by synthetic tenants.
const SCOPES: &[&str] = &[
    "all:teams",
    "admin:webhooks",
    "read:tickets",
    "edit:tickets",
    "read:calendar",
    "edit:calendar",
    "read:customers",
    "edit:customers",
    "read:crm",
    "edit:crm",
    "read:timesheets",
    "edit:timesheets",
    "read:contracts",
    "edit:contracts",
    "read:suppliers",
    "edit:suppliers",
    "read:items",
    "edit:items",
    "read:projects",
    "edit:projects",
    "read:sales",
    "edit:sales",
    "read:quotes",
    "edit:quotes",
    "read:sos",
    "edit:sos",
    "read:pos",
    "edit:pos",
    "read:invoices",
    "edit:invoices",
    "read:reporting",
    "read:kb",
    "edit:kb",
    "read:assets",
    "edit:assets",
];

/// Display names of known integrations, one for each integration set halo-audit ships (each matches
/// that set's default binding); synthetic applications cycle through them, so a tenant with at
/// least as many applications exercises every set.
pub const INTEGRATIONS: &[&str] = &[
    "vCIOToolbox",
    "Cloud Depot",
    "Rewst",
    "CIPP",
    "Hudu",
    "Liongard",
    "ScalePad Lifecycle Manager",
    "ImmyBot",
    "Perimeters",
    "TimeZest",
    "ConnectSecure",
    "CrushBank",
    "Blacksmith InfoSec",
    "MSPbots",
    "365Sentri",
    "Adaptive Catalog",
    "Alternative Payments",
    "Appxite",
    "HumanizeIT",
    "Lifecycle Insights",
    "Moovila",
    "MSPCentric",
    "MSPortal",
    "NinjaOne SaaS Backup",
    "1Stream",
    "QuoteWerks",
    "SquaredUp",
    "WatchGuard Cloud",
    "Thread",
    "Neo Agent",
    "RoboShadow",
    "COW Warranty Sync",
    "Propel Your MSP",
    "Huntress",
    "AutoElevate",
    "Gradient MSP",
    "MSP Process",
    "ThreatLocker",
    "Guardz",
    "n8n workflows",
    "Nango",
];

// ------------------------------------------------------------------------------------------------
// Rendering

/// Renders a generated document the way fixtures are stored: pretty JSON plus a trailing newline.
pub fn render(value: &Value) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

/// Writes exactly what [`render`] returns, streaming (large synthetic tenants are hundreds of MB).
pub fn write_rendered<W: std::io::Write>(value: &Value, mut out: W) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()
}

// ------------------------------------------------------------------------------------------------
// Deterministic randomness

/// splitmix64: tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x6a09_e667_f3bc_c908)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next_u64() % 1000 < per_mille
    }

    /// A version-4-shaped GUID string.
    fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// A stable GUID for a label (FNV-1a of the label seeds the generator).
fn guid_for(label: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in label.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Rng::new(hash).guid()
}

// ------------------------------------------------------------------------------------------------
// Tenant model used while generating (not the snapshot's shape; see `snapshot`)

type Claim = (String, String);

#[derive(Debug, Clone)]
struct TeamDef {
    id: u64,
    guid: String,
    name: String,
    department_id: u64,
    department_name: String,
    inactive: bool,
    forrequests: bool,
    foropps: bool,
    forprojects: bool,
    ticket_count: u64,
    email: String,
}

#[derive(Debug, Clone)]
struct RoleDef {
    id: String,
    name: String,
    notes: String,
    is_integration: bool,
    claims: Vec<Claim>,
    /// Indexes into the team list: an agent holding the role is a member of these teams.
    teams: Vec<usize>,
    clients: Vec<(u64, String)>,
}

#[derive(Debug, Clone, Default)]
struct AgentDef {
    id: u64,
    firstname: String,
    surname: String,
    email: String,
    jobtitle: String,
    default_team: Option<usize>,
    disabled: bool,
    api: bool,
    admin: bool,
    twofactor: bool,
    /// Signs in through the identity provider (`useadlogin`).
    sso: bool,
    licence_type: u64,
    created: String,
    lastlogin: String,
    /// Indexes into the role list.
    roles: Vec<usize>,
    /// Direct memberships: (team index, is_manager).
    teams: Vec<(usize, bool)>,
    clients: Vec<(u64, String)>,
    tickettypes: Vec<(u64, String)>,
    assettypes: Vec<(u64, String)>,
    assetfields: Vec<(u64, String, u64)>,
    claims: Vec<Claim>,
}

impl AgentDef {
    fn name(&self) -> String {
        if self.surname.is_empty() {
            self.firstname.clone()
        } else {
            format!("{} {}", self.firstname, self.surname)
        }
    }

    fn initials(&self) -> String {
        self.firstname
            .chars()
            .take(1)
            .chain(self.surname.chars().take(1))
            .collect::<String>()
            .to_uppercase()
    }
}

#[derive(Debug, Clone)]
struct AppDef {
    id: String,
    client_id: String,
    name: String,
    inactive: bool,
    /// Index into the agent list of the agent the application logs in as.
    agent: Option<usize>,
    scopes: Vec<String>,
}

#[derive(Debug, Clone)]
struct Meta {
    url: String,
    tenant: String,
}

#[derive(Debug, Default)]
struct Tenant {
    teams: Vec<TeamDef>,
    roles: Vec<RoleDef>,
    agents: Vec<AgentDef>,
    apps: Vec<AppDef>,
}

/// The claim for catalog permission `key` at `level` (a level key), in Halo's encoding.
///
/// An unknown key or level yields the type `"invalid"`, which the fixture tests reject.
fn lv(key: &str, level: &str) -> Claim {
    CLAIMS
        .iter()
        .find(|def| def.key == key)
        .and_then(|def| {
            def.values
                .iter()
                .find(|(_, to)| *to == level)
                .map(|(raw, _)| (def.claim.to_owned(), (*raw).to_owned()))
        })
        .unwrap_or_else(|| ("invalid".to_owned(), format!("{key}={level}")))
}

/// The yes/no claim for catalog permission `key`, in Halo's encoding.
fn fl(key: &str, on: bool) -> Claim {
    lv(key, if on { "yes" } else { "no" })
}

/// `claim` written under its older long name (the first the catalog lists), as older tenants do.
fn legacy((code, value): Claim) -> Claim {
    let name = CLAIMS
        .iter()
        .find(|def| def.claim == code)
        .and_then(|def| def.legacy.first())
        .map_or(code, |l| (*l).to_owned());
    (name, value)
}

// ------------------------------------------------------------------------------------------------
// Snapshot assembly (shared by the demo and synthetic tenants)

fn claims_json(claims: &[Claim]) -> Value {
    Value::Array(
        claims
            .iter()
            .map(|(t, v)| {
                obj([
                    ("type", Value::from(t.as_str())),
                    ("value", Value::from(v.as_str())),
                ])
            })
            .collect(),
    )
}

/// A JSON object with its members in the given order, allocated once at its final size.
fn obj<const N: usize>(members: [(&str, Value); N]) -> Value {
    let mut map = serde_json::Map::with_capacity(N);
    for (key, value) in members {
        map.insert(key.to_owned(), value);
    }
    Value::Object(map)
}

/// A team membership as the agent detail view lists it (`UnameSection`). A role's rows carry no
/// agent.
fn team_row(
    row_id: u64,
    agent: Option<(u64, &str)>,
    team: &TeamDef,
    role: Option<&RoleDef>,
    is_manager: bool,
) -> Value {
    let mut row = serde_json::Map::with_capacity(16);
    row.insert("id".into(), Value::from(row_id));
    if let Some((agent_id, agent_name)) = agent {
        row.insert("agent_id".into(), Value::from(agent_id));
        row.insert("agent_name".into(), Value::from(agent_name));
    }
    row.insert("team_id".into(), Value::from(team.id));
    row.insert("team_guid".into(), Value::from(team.guid.as_str()));
    row.insert("team_name".into(), Value::from(team.name.as_str()));
    row.insert("department_id".into(), Value::from(team.department_id));
    row.insert(
        "role_id".into(),
        Value::from(role.map_or("", |r| r.id.as_str())),
    );
    row.insert(
        "role_name".into(),
        Value::from(role.map_or("", |r| r.name.as_str())),
    );
    row.insert("is_manager".into(), Value::from(is_manager));
    row.insert("unassigned_access".into(), Value::from(true));
    row.insert("otheragent_access".into(), Value::from(true));
    row.insert("fortickets".into(), Value::from(team.forrequests));
    row.insert("foropps".into(), Value::from(team.foropps));
    row.insert("forprojects".into(), Value::from(team.forprojects));
    row.insert("in_section".into(), Value::from(true));
    Value::Object(row)
}

/// The same membership as the team view lists it: a member summary (`SectionDetail.agents[]`).
fn member_summary(
    row_id: u64,
    agent: &AgentDef,
    agent_name: &str,
    team: &TeamDef,
    role: Option<&RoleDef>,
    is_manager: bool,
) -> Value {
    obj([
        ("id", Value::from(row_id)),
        ("agent_id", Value::from(agent.id)),
        ("agent_name", Value::from(agent_name)),
        ("team_id", Value::from(team.id)),
        ("team_name", Value::from(team.name.as_str())),
        ("role_id", Value::from(role.map_or("", |r| r.id.as_str()))),
        (
            "role_name",
            Value::from(role.map_or("", |r| r.name.as_str())),
        ),
        ("is_manager", Value::from(is_manager)),
    ])
}

fn role_summary(role: &RoleDef) -> Value {
    obj([
        ("id", Value::from(role.id.as_str())),
        ("name", Value::from(role.name.as_str())),
        ("is_integration", Value::from(role.is_integration)),
        ("claims", claims_json(&role.claims)),
    ])
}

#[derive(Debug, Default)]
struct RowIds {
    section: u64,
    department: u64,
    client: u64,
    tickettype: u64,
    assettype: u64,
    assetfield: u64,
}

fn bump(counter: &mut u64) -> u64 {
    *counter += 1;
    *counter
}

fn role_json(role: &RoleDef, teams: &[TeamDef], ids: &mut RowIds) -> Value {
    let team_rows: Vec<Value> = role
        .teams
        .iter()
        .filter_map(|&t| teams.get(t))
        .map(|team| team_row(bump(&mut ids.section), None, team, Some(role), false))
        .collect();
    let clients: Vec<Value> = role
        .clients
        .iter()
        .map(|(id, name)| {
            obj([
                ("id", Value::from(bump(&mut ids.client))),
                ("client_id", Value::from(*id)),
                ("client_name", Value::from(name.as_str())),
                ("role_id", Value::from(role.id.as_str())),
                ("role_name", Value::from(role.name.as_str())),
            ])
        })
        .collect();
    obj([
        ("id", Value::from(role.id.as_str())),
        ("name", Value::from(role.name.as_str())),
        ("normalizedName", Value::from(role.name.to_uppercase())),
        ("notes", Value::from(role.notes.as_str())),
        ("is_integration", Value::from(role.is_integration)),
        ("claims", claims_json(&role.claims)),
        ("teams", Value::Array(team_rows)),
        ("departments", Value::Array(Vec::new())),
        ("clients", Value::Array(clients)),
        ("tickettypes", Value::Array(Vec::new())),
        ("assettypes", Value::Array(Vec::new())),
        ("assetfields", Value::Array(Vec::new())),
    ])
}

fn agent_json(
    agent: &AgentDef,
    tenant: &Tenant,
    ids: &mut RowIds,
    team_members: &mut [Vec<Value>],
) -> Value {
    let name = agent.name();
    let roles: Vec<&RoleDef> = agent
        .roles
        .iter()
        .filter_map(|&r| tenant.roles.get(r))
        .collect();

    // Memberships: direct ones, then the teams each role adds (unless already a member).
    let mut memberships: Vec<(usize, Option<&RoleDef>, bool)> = agent
        .teams
        .iter()
        .map(|&(team, manager)| (team, None, manager))
        .collect();
    for role in &roles {
        for &team in &role.teams {
            if !memberships.iter().any(|m| m.0 == team) {
                memberships.push((team, Some(*role), false));
            }
        }
    }
    memberships.sort_by_key(|m| m.0);

    let mut team_rows = Vec::with_capacity(memberships.len());
    // A department row comes with the team that brings it: inherited from the same role, and at
    // Modify All (`membershiplevel` 2) for a team manager, Basic Member (1) otherwise.
    let mut departments: Vec<(u64, &str, Option<&RoleDef>, u64)> = Vec::new();
    for &(t, role, manager) in &memberships {
        let Some(team) = tenant.teams.get(t) else {
            continue;
        };
        let row_id = bump(&mut ids.section);
        if let Some(members) = team_members.get_mut(t) {
            members.push(member_summary(row_id, agent, &name, team, role, manager));
        }
        team_rows.push(team_row(
            row_id,
            Some((agent.id, &name)),
            team,
            role,
            manager,
        ));
        let level = if manager { 2 } else { 1 };
        match departments.iter_mut().find(|d| d.0 == team.department_id) {
            Some(d) => {
                d.3 = d.3.max(level);
                if role.is_none() {
                    d.2 = None;
                }
            }
            None => departments.push((team.department_id, &team.department_name, role, level)),
        }
    }
    departments.sort_by_key(|d| d.0);
    let departments: Vec<Value> = departments
        .iter()
        .map(|(id, dept, role, level)| {
            obj([
                ("id", Value::from(bump(&mut ids.department))),
                ("agent_id", Value::from(agent.id)),
                ("agent_name", Value::from(name.as_str())),
                ("department_id", Value::from(*id)),
                ("department_name", Value::from(*dept)),
                ("role_id", Value::from(role.map_or("", |r| r.id.as_str()))),
                (
                    "role_name",
                    Value::from(role.map_or("", |r| r.name.as_str())),
                ),
                ("membershiplevel", Value::from(*level)),
                ("includeteamsintree", Value::from(false)),
            ])
        })
        .collect();
    let clients: Vec<Value> = agent
        .clients
        .iter()
        .map(|(id, client)| {
            obj([
                ("id", Value::from(bump(&mut ids.client))),
                ("agent_id", Value::from(agent.id)),
                ("agent_name", Value::from(name.as_str())),
                ("client_id", Value::from(*id)),
                ("client_name", Value::from(client.as_str())),
                ("role_id", Value::from("")),
                ("role_name", Value::from("")),
            ])
        })
        .collect();
    let tickettypes: Vec<Value> = agent
        .tickettypes
        .iter()
        .map(|(id, tt)| {
            obj([
                ("id", Value::from(bump(&mut ids.tickettype))),
                ("agent_id", Value::from(agent.id)),
                ("agent_name", Value::from(name.as_str())),
                ("tickettype_id", Value::from(*id)),
                ("tickettype_name", Value::from(tt.as_str())),
                ("role_id", Value::from("")),
                ("role_name", Value::from("")),
                ("cancreate", Value::from(true)),
                ("canview", Value::from(true)),
                ("canedit", Value::from(true)),
            ])
        })
        .collect();
    let assettypes: Vec<Value> = agent
        .assettypes
        .iter()
        .map(|(id, at)| {
            obj([
                ("id", Value::from(bump(&mut ids.assettype))),
                ("agent_id", Value::from(agent.id)),
                ("agent_name", Value::from(name.as_str())),
                ("assettype_id", Value::from(*id)),
                ("assettype_name", Value::from(at.as_str())),
                ("role_id", Value::from("")),
                ("role_name", Value::from("")),
                ("cancreate", Value::from(true)),
                ("canview", Value::from(true)),
                ("canedit", Value::from(true)),
            ])
        })
        .collect();
    let assetfields: Vec<Value> = agent
        .assetfields
        .iter()
        .map(|(id, field, level)| {
            obj([
                ("id", Value::from(bump(&mut ids.assetfield))),
                ("agent_id", Value::from(agent.id)),
                ("agent_name", Value::from(name.as_str())),
                ("field_id", Value::from(*id)),
                ("field_name", Value::from(field.as_str())),
                ("role_id", Value::from("")),
                ("role_name", Value::from("")),
                ("field_type", Value::from("text")),
                ("level", Value::from(*level)),
            ])
        })
        .collect();

    let default_team = agent.default_team.and_then(|t| tenant.teams.get(t));
    let role_list = roles
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    obj([
        ("id", Value::from(agent.id)),
        ("name", Value::from(name.as_str())),
        ("firstname", Value::from(agent.firstname.as_str())),
        ("surname", Value::from(agent.surname.as_str())),
        ("initials", Value::from(agent.initials())),
        ("email", Value::from(agent.email.as_str())),
        ("jobtitle", Value::from(agent.jobtitle.as_str())),
        (
            "team",
            Value::from(default_team.map_or("", |t| t.name.as_str())),
        ),
        (
            "department",
            Value::from(default_team.map_or("", |t| t.department_name.as_str())),
        ),
        ("isdisabled", Value::from(agent.disabled)),
        ("isapiagent", Value::from(agent.api)),
        ("is_agent", Value::from(true)),
        ("is_admin", Value::from(agent.admin)),
        ("licence_type", Value::from(agent.licence_type)),
        ("twofactor_enabled", Value::from(agent.twofactor)),
        ("useadlogin", Value::from(agent.sso)),
        ("datecreated", Value::from(agent.created.as_str())),
        ("lastlogindate", Value::from(agent.lastlogin.as_str())),
        ("role_list", Value::from(role_list)),
        (
            "roles",
            Value::Array(roles.iter().map(|r| role_summary(r)).collect()),
        ),
        ("teams", Value::Array(team_rows)),
        ("departments", Value::Array(departments)),
        ("clients", Value::Array(clients)),
        ("tickettypes", Value::Array(tickettypes)),
        ("assettypes", Value::Array(assettypes)),
        ("assetfields", Value::Array(assetfields)),
        ("claims", claims_json(&agent.claims)),
    ])
}

fn team_json(team: &TeamDef, members: Vec<Value>) -> Value {
    obj([
        ("id", Value::from(team.id)),
        ("guid", Value::from(team.guid.as_str())),
        ("name", Value::from(team.name.as_str())),
        ("sequence", Value::from(team.id)),
        ("forrequests", Value::from(team.forrequests)),
        ("foropps", Value::from(team.foropps)),
        ("forprojects", Value::from(team.forprojects)),
        ("ticket_count", Value::from(team.ticket_count)),
        ("department_id", Value::from(team.department_id)),
        (
            "department_name",
            Value::from(team.department_name.as_str()),
        ),
        ("inactive", Value::from(team.inactive)),
        ("emailaddress", Value::from(team.email.as_str())),
        ("addtoallagents", Value::from(false)),
        ("allowlivechat", Value::from(false)),
        ("agents", Value::Array(members)),
    ])
}

fn app_json(app: &AppDef, agents: &[AgentDef], scope_ids: &mut u64) -> Value {
    let agent = app.agent.and_then(|a| agents.get(a));
    let scopes: Vec<Value> = app
        .scopes
        .iter()
        .map(|scope| {
            obj([
                ("id", Value::from(bump(scope_ids))),
                ("application_id", Value::from(app.id.as_str())),
                ("name", Value::from(scope.as_str())),
            ])
        })
        .collect();
    obj([
        ("id", Value::from(app.id.as_str())),
        ("clientId", Value::from(app.client_id.as_str())),
        ("displayName", Value::from(app.name.as_str())),
        ("type", Value::from("confidential")),
        ("grant_type", Value::from("client_credentials")),
        ("inactive", Value::from(app.inactive)),
        ("loginentity", Value::from(0)),
        ("loginas_agent_id", Value::from(agent.map_or(0, |a| a.id))),
        (
            "loginas_agent_name",
            Value::from(agent.map_or_else(String::new, AgentDef::name)),
        ),
        ("allowagents", Value::from(false)),
        ("allowusers", Value::from(false)),
        ("scopes", Value::Array(scopes)),
        ("_issystem", Value::from(false)),
    ])
}

/// Assembles the snapshot document: metadata, request statistics and Halo's objects.
fn snapshot(meta: &Meta, tenant: &Tenant) -> Value {
    let mut ids = RowIds::default();
    let roles: Vec<Value> = tenant
        .roles
        .iter()
        .map(|r| role_json(r, &tenant.teams, &mut ids))
        .collect();
    let mut team_members: Vec<Vec<Value>> = vec![Vec::new(); tenant.teams.len()];
    let agents: Vec<Value> = tenant
        .agents
        .iter()
        .map(|a| agent_json(a, tenant, &mut ids, &mut team_members))
        .collect();
    let teams: Vec<Value> = tenant
        .teams
        .iter()
        .zip(team_members)
        .map(|(t, members)| team_json(t, members))
        .collect();
    let mut scope_ids = 0;
    let apps: Vec<Value> = tenant
        .apps
        .iter()
        .map(|a| app_json(a, &tenant.agents, &mut scope_ids))
        .collect();

    // One token request, one list call per collection, one detail call per object. `by_endpoint`
    // counts resource-server (`/api`) calls only: a "POST /auth/token" member would contain
    // "token" and be stripped by the snapshot format's secret filter, so the token request is
    // counted in `total` alone.
    let (n_agents, n_teams, n_roles, n_apps) = (agents.len(), teams.len(), roles.len(), apps.len());
    let total = 1 + 4 + n_agents + n_teams + n_roles + n_apps;
    let mut doc = json!({
        "format": "halo-audit-snapshot",
        "version": 1,
        "instance": { "url": meta.url, "tenant": meta.tenant },
        "fetched_at": FETCHED_AT,
        "tool": { "name": "halo-audit", "version": "0.1.0" },
        "scope": "all",
        "requests": {
            "total": total,
            "retries": 0,
            "throttled": 0,
            "by_endpoint": {
                "GET /api/Agent": 1,
                "GET /api/Agent/{id}": n_agents,
                "GET /api/Team": 1,
                "GET /api/Team/{id}": n_teams,
                "GET /api/Roles": 1,
                "GET /api/Roles/{id}": n_roles,
                "GET /api/Application": 1,
                "GET /api/Application/{id}": n_apps,
            },
        },
        "gaps": [],
        "redacted": [],
        "objects": null,
    });
    // Moved in, not through `json!`, which would deep-copy every object by re-serialising it.
    doc["objects"] = obj([
        ("agents", Value::Array(agents)),
        ("teams", Value::Array(teams)),
        ("roles", Value::Array(roles)),
        ("applications", Value::Array(apps)),
    ]);
    doc
}

// ------------------------------------------------------------------------------------------------
// The curated demo: Northwind Managed Services

// Team indexes.
const SD: usize = 0;
const L2: usize = 1;
const FIELD: usize = 2;
const SEC: usize = 3;
const PROJ: usize = 4;
const BILL: usize = 5;
const PROC: usize = 6;
const OOH: usize = 7;
const ACTIVE_TEAMS: &[usize] = &[SD, L2, FIELD, SEC, PROJ, BILL, PROC];

// Role indexes.
const R_ADMIN: usize = 0;
const R_SD: usize = 1;
const R_BILL: usize = 2;
const R_PM: usize = 3;
const R_INT: usize = 4;

const DOMAIN: &str = "northwind.example";

/// Which kinds of work a team takes: tickets only, tickets and opportunities, tickets and projects.
#[derive(Debug, Clone, Copy)]
enum Work {
    Tickets,
    Opps,
    Projects,
}

fn demo_team(id: u64, name: &str, department: u64, work: Work, tickets: u64) -> TeamDef {
    let department_name = match department {
        2 => "Professional Services",
        3 => "Finance & Operations",
        _ => "Support",
    };
    let mailbox: String = name
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    TeamDef {
        id,
        guid: guid_for(&format!("northwind/team/{name}")),
        name: name.to_owned(),
        department_id: department,
        department_name: department_name.to_owned(),
        inactive: false,
        forrequests: true,
        foropps: matches!(work, Work::Opps),
        forprojects: matches!(work, Work::Projects),
        ticket_count: tickets,
        email: format!("{mailbox}@{DOMAIN}"),
    }
}

fn demo_teams() -> Vec<TeamDef> {
    let mut out_of_hours = demo_team(8, "Out of Hours", 1, Work::Tickets, 0);
    out_of_hours.inactive = true;
    vec![
        demo_team(1, "Service Desk", 1, Work::Tickets, 412),
        demo_team(2, "Second Line", 1, Work::Tickets, 187),
        demo_team(3, "Field Engineering", 1, Work::Projects, 64),
        demo_team(4, "Security Operations", 1, Work::Tickets, 29),
        demo_team(5, "Projects", 2, Work::Projects, 53),
        demo_team(6, "Billing", 3, Work::Opps, 38),
        demo_team(7, "Procurement", 3, Work::Opps, 17),
        out_of_hours,
    ]
}

fn demo_roles() -> Vec<RoleDef> {
    let role = |name: &str, notes: &str, is_integration, claims, teams| RoleDef {
        id: guid_for(&format!("northwind/role/{name}")),
        name: name.to_owned(),
        notes: notes.to_owned(),
        is_integration,
        claims,
        teams,
        clients: Vec::new(),
    };
    // Administrators: the top level of every feature and every flag, `SA` (Is a Halo
    // Administrator) among them: administrators through a role.
    let admin_claims: Vec<Claim> = CLAIMS
        .iter()
        .map(|def| {
            if def.is_flag() {
                fl(def.key, true)
            } else if def.values.len() == 1 {
                // Item Costs and global templates: the older decoders' Yes, level unknown.
                (def.claim.to_owned(), "1".to_owned())
            } else {
                // The last value of every table in the catalog is its highest level.
                let top = def.values.last().map_or("none", |(_, to)| *to);
                lv(def.key, top)
            }
        })
        .collect();
    vec![
        role(
            "Administrators",
            "Full access for the operations leadership.",
            false,
            admin_claims,
            vec![],
        ),
        role(
            "Service Desk",
            "Technicians working the ticket queues.",
            false,
            // An older role: some claims under their long names. Like a real role it carries a
            // claim for every setting (70-odd), most of them at their lowest value.
            with_every_setting(vec![
                legacy(lv("feature.tickets", "read_modify")),
                legacy(lv("feature.customers", "read")),
                lv("feature.users", "read_modify"),
                legacy(lv("feature.assets", "read")),
                lv("feature.knowledge_base", "read_modify"),
                lv("feature.calendars", "read_modify"),
                legacy(fl("ticket.can_add", true)),
                fl("ticket.can_view_unassigned", true),
                fl("ticket.can_view_others", true),
                fl("ticket.can_reassign", true),
                fl("ticket.can_edit_closed", false),
                legacy(lv("ticket.action_editing", "own_actions")),
                legacy(fl("ticket.can_delete", false)),
                fl("ticket.can_export", false),
            ]),
            vec![SD],
        ),
        role(
            "Billing",
            "Invoicing, recurring billing and purchase orders.",
            false,
            vec![
                lv("feature.invoices", "read_modify_remove"),
                lv("feature.billing_details", "read_modify"),
                lv("feature.customers", "read"),
                lv("feature.customer_agreements", "read_modify"),
                lv("feature.purchase_orders", "read_modify"),
                lv("feature.products", "read"),
                lv("feature.sales_orders", "read"),
                // The older decoders' Yes: a level in a 2026 tenant, which one is unknown.
                ("li".to_owned(), "1".to_owned()),
                lv("billing.item_prices", "read"),
            ],
            vec![BILL],
        ),
        role(
            "Project Managers",
            "Project delivery and scheduling.",
            false,
            vec![
                lv("feature.projects", "read_modify"),
                lv("feature.tickets", "read_modify"),
                lv("feature.calendars", "read_modify"),
                lv("feature.timesheets", "read_modify_all"),
                lv("feature.customers", "read"),
                lv("feature.quotations", "read"),
                lv("calendar.visibility", "all"),
                lv("calendar.adding", "all"),
                // `lc` (Can change a Ticket's Ticket Type) and `LC` (Chat, whose values are not
                // decoded) differ only in case.
                fl("ticket.can_change_type", true),
                ("LC".to_owned(), "1".to_owned()),
            ],
            vec![PROJ],
        ),
        role(
            "Integrations",
            "Baseline read access for integration agents.",
            true,
            vec![
                lv("feature.customers", "read"),
                lv("feature.assets", "read"),
                lv("feature.tickets", "read"),
                // A claim type in the wrong case: not Tickets (`Tx`), so listed as not understood.
                ("tx".to_owned(), "2".to_owned()),
            ],
            vec![],
        ),
    ]
}

/// `claims` followed by every other claim the catalog reads at its lowest value, as a role saved in
/// Halo's UI carries one claim per setting; a claim already given (by code or older name) is kept.
fn with_every_setting(mut claims: Vec<Claim>) -> Vec<Claim> {
    for def in CLAIMS {
        let given = claims
            .iter()
            .any(|(t, _)| t == def.claim || def.legacy.contains(&t.as_str()));
        if given {
            continue;
        }
        // "Allow use of all ...": Yes, as a role that restricts nothing says.
        let wanted = if def.key.starts_with("restrict.") {
            "yes"
        } else {
            "no"
        };
        if let Some((raw, _)) = def
            .values
            .iter()
            .find(|(_, to)| *to == wanted || (wanted == "no" && *to == "none"))
        {
            claims.push((def.claim.to_owned(), (*raw).to_owned()));
        }
    }
    claims
}

/// A human agent of Northwind with the usual defaults.
fn human(
    id: u64,
    first: &str,
    last: &str,
    jobtitle: &str,
    teams: &[usize],
    roles: &[usize],
) -> AgentDef {
    let local: String = format!("{first}.{last}")
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    AgentDef {
        id,
        firstname: first.to_owned(),
        surname: last.to_owned(),
        email: format!("{local}@{DOMAIN}"),
        jobtitle: jobtitle.to_owned(),
        default_team: teams.first().copied(),
        twofactor: true,
        licence_type: 1,
        created: format!(
            "{}-{:02}-{:02}T09:{:02}:00Z",
            2020 + id % 5,
            1 + id % 12,
            1 + (id * 7) % 28,
            id % 60
        ),
        lastlogin: format!("2026-11-19T{:02}:{:02}:00Z", 8 + id % 10, (id * 13) % 60),
        roles: roles.to_vec(),
        teams: teams.iter().map(|&t| (t, false)).collect(),
        ..AgentDef::default()
    }
}

/// An API-only agent of Northwind.
fn api_agent(id: u64, name: &str, mailbox: &str, created: &str, lastlogin: &str) -> AgentDef {
    AgentDef {
        id,
        firstname: name.to_owned(),
        surname: String::new(),
        email: format!("{mailbox}@{DOMAIN}"),
        jobtitle: "API agent".to_owned(),
        api: true,
        created: created.to_owned(),
        lastlogin: lastlogin.to_owned(),
        ..AgentDef::default()
    }
}

fn set_manager(agent: &mut AgentDef, team: usize) {
    for membership in &mut agent.teams {
        if membership.0 == team {
            membership.1 = true;
        }
    }
}

fn demo_agents() -> Vec<AgentDef> {
    let mut agents = vec![
        human(
            2,
            "Eleanor",
            "Whitfield",
            "Managing Director",
            &[SD, L2],
            &[R_ADMIN],
        ),
        human(
            3,
            "Marcus",
            "Okafor",
            "Service Delivery Manager",
            &[SD, L2, FIELD, SEC],
            &[R_ADMIN, R_SD],
        ),
        human(
            4,
            "Hannah",
            "Lindqvist",
            "Systems Administrator",
            &[L2, SEC],
            &[R_ADMIN],
        ),
        human(5, "Priya", "Raman", "Service Desk Lead", &[SD, L2], &[R_SD]),
        human(
            6,
            "Tomas",
            "Herrera",
            "Service Desk Analyst",
            &[SD],
            &[R_SD],
        ),
        human(
            7,
            "Grace",
            "Adeyemi",
            "Service Desk Analyst",
            &[SD],
            &[R_SD],
        ),
        human(
            8,
            "Liam",
            "O'Connell",
            "Service Desk Analyst",
            &[SD, OOH],
            &[R_SD],
        ),
        human(
            9,
            "Sofia",
            "Marchetti",
            "Service Desk Analyst",
            &[SD],
            &[R_SD],
        ),
        human(
            10,
            "Daniel",
            "Kowalski",
            "Service Desk Analyst",
            &[SD],
            &[R_SD],
        ),
        human(11, "Aisha", "Bello", "Service Desk Analyst", &[SD], &[R_SD]),
        human(
            12,
            "Owen",
            "Prescott",
            "Service Desk Analyst",
            &[SD],
            &[R_SD],
        ),
        human(
            13,
            "Chloe",
            "Nakamura",
            "Service Desk Analyst",
            &[SD],
            &[R_SD],
        ),
        human(
            14,
            "Ravi",
            "Deshmukh",
            "Second Line Engineer",
            &[L2, SD],
            &[R_SD],
        ),
        human(
            15,
            "Isabel",
            "Fontaine",
            "Second Line Engineer",
            &[L2],
            &[R_SD],
        ),
        human(
            16,
            "Jonah",
            "Whitaker",
            "Second Line Engineer",
            &[L2, FIELD],
            &[R_SD],
        ),
        human(17, "Mei", "Tanaka", "Field Engineer", &[FIELD], &[R_SD]),
        human(18, "Callum", "Reid", "Field Engineer", &[FIELD], &[R_SD]),
        human(19, "Nadia", "Petrova", "Field Engineer", &[FIELD], &[R_SD]),
        human(20, "Ethan", "Brooks", "Security Analyst", &[SEC], &[R_SD]),
        human(
            21,
            "Zara",
            "Hussain",
            "Security Analyst",
            &[SEC, L2],
            &[R_SD],
        ),
        human(22, "Lucas", "Moreau", "Project Manager", &[PROJ], &[R_PM]),
        human(23, "Freya", "Sinclair", "Project Manager", &[PROJ], &[R_PM]),
        human(
            24,
            "Samuel",
            "Achebe",
            "Project Engineer",
            &[PROJ, L2],
            &[R_SD],
        ),
        human(25, "Olivia", "Grant", "Billing Manager", &[BILL], &[R_BILL]),
        human(
            26,
            "Henry",
            "Caldwell",
            "Accounts Assistant",
            &[BILL],
            &[R_BILL],
        ),
        human(
            27,
            "Amara",
            "Osei",
            "Procurement Officer",
            &[PROC],
            &[R_BILL],
        ),
        human(28, "Benjamin", "Hart", "Account Manager", &[BILL], &[]),
        human(
            29,
            "Ruby",
            "Castellanos",
            "Service Desk Analyst",
            &[SD],
            &[R_SD],
        ),
        human(
            30,
            "Noah",
            "Fitzgerald",
            "Service Desk Analyst",
            &[SD, OOH],
            &[R_SD],
        ),
        human(
            31,
            "Gareth",
            "Pemberton",
            "Second Line Engineer",
            &[L2, OOH],
            &[R_SD],
        ),
        human(
            32,
            "Leah",
            "Donovan",
            "Service Desk Analyst",
            &[SD],
            &[R_SD],
        ),
        human(
            33,
            "Imogen",
            "Clarke",
            "Service Desk Apprentice",
            &[SD],
            &[R_SD],
        ),
    ];
    for agent in &mut agents {
        match agent.id {
            2 => agent.admin = true,
            // A hygiene mistake: an administrator without a second factor who last signed in 18
            // months before the snapshot.
            4 => {
                agent.admin = true;
                agent.twofactor = false;
                agent.lastlogin = "2025-05-18T10:12:00Z".to_owned();
            }
            // Signs in through the identity provider: the second factor is its, not Halo's.
            3 => {
                agent.admin = true;
                agent.twofactor = false;
                agent.sso = true;
                set_manager(agent, L2);
            }
            5 => {
                set_manager(agent, SD);
                agent.claims = vec![
                    lv("feature.reporting", "read"),
                    // Deliberate: a claim type the catalog does not know.
                    (UNKNOWN_CLAIM.to_owned(), "2".to_owned()),
                    // The service desk lead impersonates users to reproduce portal problems:
                    // listed for review, not a mistake.
                    fl("security.impersonate_users", true),
                ];
            }
            18 => agent.assettypes = vec![(2, "Laptop".into()), (3, "Desktop".into())],
            19 => agent.assetfields = vec![(14, "Purchase Cost".into(), 0)],
            25 => {
                set_manager(agent, BILL);
                agent.claims = vec![lv("feature.reporting", "read_modify")];
            }
            27 => {
                agent.claims = vec![
                    lv("feature.purchase_orders", "read_modify"),
                    lv("feature.suppliers", "read_modify"),
                    lv("feature.supplier_agreements", "read"),
                ];
            }
            28 => {
                agent.claims = vec![
                    lv("feature.crm", "read_modify"),
                    lv("feature.sales", "read_modify"),
                    lv("feature.quotations", "read_modify"),
                    lv("feature.customers", "read_modify"),
                ];
            }
            31 => {
                agent.disabled = true;
                agent.lastlogin = "2025-06-27T16:42:00Z".to_owned();
            }
            32 => {
                agent.disabled = true;
                agent.lastlogin = "2026-02-13T17:05:00Z".to_owned();
            }
            33 => {
                agent.tickettypes = vec![(1, "Incident".into()), (3, "Service Request".into())];
            }
            _ => {}
        }
    }
    // --- API-only agents ---------------------------------------------------------------------

    // vCIOToolbox: admin, Tickets R&M only through the Service Desk role, one team short,
    // Invoices one level too high, "Can delete tickets" on although the vendor says No.
    let mut vcio = api_agent(
        34,
        "vCIOToolbox API",
        "api-vciotoolbox",
        "2025-03-04T10:15:00Z",
        "2026-11-20T08:30:00Z",
    );
    vcio.admin = true;
    vcio.default_team = Some(SD);
    vcio.roles = vec![R_SD];
    // Service Desk comes from the role; Security Operations is missing.
    vcio.teams = [L2, FIELD, PROJ, BILL, PROC]
        .iter()
        .map(|&t| (t, false))
        .collect();
    vcio.claims = vec![
        lv("feature.tickets", "read"),
        lv("feature.customers", "read_modify"),
        lv("feature.crm", "read_modify"),
        lv("feature.assets", "read_modify"),
        lv("feature.products", "read_modify"),
        lv("feature.invoices", "read_modify"),
        lv("feature.reporting", "read"),
        fl("ticket.can_edit_closed", true),
        fl("ticket.can_change_type", true),
        fl("ticket.can_edit_advanced", true),
        lv("ticket.action_editing", "all_actions"),
        fl("ticket.can_delete", true),
        fl("ticket.can_assign_outside_teams", true),
        fl("ticket.can_export", true),
    ];

    // Cloud Depot: API-only, no default team, but holds a role, Customers too high, no POs,
    // Invoices below the Read, Create and Modify the document asks for.
    let mut cloud_depot = api_agent(
        35,
        "Cloud Depot API",
        "api-clouddepot",
        "2025-05-19T14:02:00Z",
        "2026-11-20T07:55:00Z",
    );
    cloud_depot.roles = vec![R_INT];
    cloud_depot.claims = vec![
        lv("feature.customers", "read_modify"),
        lv("feature.purchase_orders", "none"),
        lv("feature.invoices", "read_modify"),
        // The impersonation mistake: the agent's own claim, which no role view shows.
        fl("security.impersonate_users", true),
    ];

    // Rewst: admin, every active team, all customers.
    let mut rewst = api_agent(
        36,
        "Rewst API",
        "api-rewst",
        "2024-11-08T09:40:00Z",
        "2026-11-20T08:58:00Z",
    );
    rewst.admin = true;
    rewst.default_team = Some(SD);
    rewst.teams = ACTIVE_TEAMS.iter().map(|&t| (t, false)).collect();
    rewst.claims = vec![
        lv("feature.tickets", "read_modify"),
        lv("feature.customers", "read_modify"),
        lv("feature.users", "read_modify"),
        lv("feature.crm", "read_modify"),
        lv("feature.assets", "read_modify"),
        lv("feature.customer_agreements", "read_modify"),
        lv("feature.projects", "read_modify"),
        lv("feature.invoices", "read_modify"),
        fl("ticket.can_add", true),
        fl("ticket.can_view_unassigned", true),
        fl("ticket.can_view_others", true),
        fl("ticket.can_reassign", true),
        fl("ticket.can_edit_closed", true),
    ];

    // CIPP: admin, tickets and customers.
    let mut cipp = api_agent(
        37,
        "CIPP Integration",
        "api-cipp",
        "2025-09-22T11:20:00Z",
        "2026-11-20T08:47:00Z",
    );
    cipp.admin = true;
    cipp.teams = vec![(SD, false)];
    cipp.claims = vec![
        lv("feature.tickets", "read_modify"),
        lv("feature.customers", "read_modify"),
        lv("feature.users", "read_modify"),
        fl("ticket.can_add", true),
    ];

    // Hudu: read access through the Integrations role, but restricted to three customers.
    let mut hudu = api_agent(
        38,
        "Hudu Sync",
        "api-hudu",
        "2025-01-30T15:45:00Z",
        "2026-11-20T06:00:00Z",
    );
    hudu.roles = vec![R_INT];
    hudu.clients = vec![
        (12, "Harbour Street Dental".into()),
        (15, "Maple Ridge Logistics".into()),
        (21, "Bluewater Legal LLP".into()),
    ];

    // A stale script's agent: disabled, yet an administrator holding the Administrators role.
    let mut ps_sync = api_agent(
        39,
        "PowerShell Sync (old)",
        "api-pssync",
        "2021-10-11T08:00:00Z",
        "2024-03-14T02:10:00Z",
    );
    ps_sync.admin = true;
    ps_sync.disabled = true;
    ps_sync.roles = vec![R_ADMIN];

    // The agent behind the inactive Legacy RMM Connector application: still enabled.
    let mut legacy = api_agent(
        40,
        "Legacy RMM API",
        "api-legacyrmm",
        "2022-07-01T12:00:00Z",
        "2025-08-01T03:15:00Z",
    );
    legacy.roles = vec![R_INT];
    legacy.claims = vec![
        lv("feature.tickets", "read_modify"),
        lv("feature.assets", "read_modify"),
    ];

    // An API-only administrator no application logs in as.
    let mut bi = api_agent(
        41,
        "BI Export API",
        "api-biexport",
        "2025-11-03T13:30:00Z",
        "2026-01-15T06:00:00Z",
    );
    bi.admin = true;
    bi.claims = vec![lv("feature.reporting", "read")];

    agents.extend([vcio, cloud_depot, rewst, cipp, hudu, ps_sync, legacy, bi]);
    agents
}

fn demo_apps(agents: &[AgentDef]) -> Vec<AppDef> {
    let app = |name: &str, inactive, agent_id: u64, scopes: &[&str]| AppDef {
        id: guid_for(&format!("northwind/application/{name}")),
        client_id: guid_for(&format!("northwind/client/{name}")),
        name: name.to_owned(),
        inactive,
        agent: agents.iter().position(|a| a.id == agent_id),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
    };
    vec![
        app(
            "vCIOToolbox",
            false,
            34,
            &[
                "all:teams",
                "read:tickets",
                "edit:tickets",
                "read:customers",
                "edit:customers",
                "read:crm",
                "edit:crm",
                "read:contracts",
                "edit:contracts",
                "read:sales",
                "edit:sales",
                "read:invoices",
                "read:assets",
                "edit:assets",
            ],
        ),
        app(
            "Cloud Depot",
            false,
            35,
            &["all:standard", "all:teams", "admin:webhooks", "admin"],
        ),
        app("Rewst", false, 36, &["all"]),
        app(
            "CIPP",
            false,
            37,
            &[
                "read:tickets",
                "edit:tickets",
                "read:customers",
                "edit:customers",
            ],
        ),
        app("Hudu", false, 38, &["read:customers", "read:assets"]),
        app("Old PowerShell Sync", false, 39, &["all"]),
        app(
            "Legacy RMM Connector",
            true,
            40,
            &[
                "read:tickets",
                "edit:tickets",
                "read:customers",
                "read:assets",
                "edit:assets",
            ],
        ),
    ]
}

/// The curated demo tenant, "Northwind Managed Services", as a complete snapshot document.
///
/// Its deliberate misconfigurations are listed in `fixtures/demo/README.md`.
pub fn demo() -> Value {
    let agents = demo_agents();
    let tenant = Tenant {
        teams: demo_teams(),
        roles: demo_roles(),
        apps: demo_apps(&agents),
        agents,
    };
    let meta = Meta {
        url: "https://northwind.halopsa.example".to_owned(),
        tenant: "northwind".to_owned(),
    };
    snapshot(&meta, &tenant)
}

// ------------------------------------------------------------------------------------------------
// Synthetic tenants

/// The size and seed of a synthetic tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticSpec {
    /// Agents, ids from 2 up; the first `applications` of them are the applications' API agents.
    pub agents: usize,
    /// Teams; about 6% of them (never the first) are inactive.
    pub teams: usize,
    /// Roles, GUID ids; "Integrations" ones and about 10% of the rest have `is_integration`.
    pub roles: usize,
    /// API applications, named after known integrations with a numeric suffix ("Rewst 1").
    pub applications: usize,
    /// Seed of the generator: the same spec always gives the same bytes.
    pub seed: u64,
}

const FIRST_NAMES: &[&str] = &[
    "Alex", "Blake", "Casey", "Dana", "Eli", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kofi",
    "Lena", "Milo", "Nina", "Oscar", "Pia", "Quinn", "Rosa", "Sami", "Tess", "Umar", "Vera", "Wes",
    "Yara",
];
const SURNAMES: &[&str] = &[
    "Abbott", "Barker", "Chen", "Dias", "Evans", "Fischer", "Gupta", "Hale", "Ito", "Jensen",
    "Khan", "Lopez", "Meyer", "Novak", "Ortiz", "Park", "Quist", "Rossi", "Silva", "Tran", "Usman",
    "Varga", "Wong", "Young",
];
const TEAM_NAMES: &[&str] = &[
    "Service Desk",
    "Second Line",
    "Field Engineering",
    "Security Operations",
    "Projects",
    "Billing",
    "Procurement",
    "Network Operations",
    "Cloud Services",
    "Onboarding",
];
const DEPARTMENTS: &[&str] = &[
    "Support",
    "Professional Services",
    "Finance & Operations",
    "Sales",
];
const ROLE_NAMES: &[&str] = &[
    "Administrators",
    "Service Desk",
    "Billing",
    "Project Managers",
    "Integrations",
    "Account Managers",
    "Engineers",
    "Read Only",
];
const TICKET_TYPES: &[&str] = &["Incident", "Problem", "Service Request", "Change", "Alert"];
const ASSET_TYPES: &[&str] = &[
    "Laptop", "Desktop", "Server", "Firewall", "Switch", "Printer",
];

/// `name` for the first cycle through a list, `name N` after that.
fn cycled(names: &[&str], i: usize) -> String {
    let base = names.get(i % names.len().max(1)).copied().unwrap_or("Item");
    if i < names.len() {
        base.to_owned()
    } else {
        format!("{base} {}", i / names.len() + 1)
    }
}

/// Up to `count` distinct indexes below `n`, in ascending order.
fn pick(rng: &mut Rng, n: usize, count: usize) -> Vec<usize> {
    let mut picked: Vec<usize> = Vec::with_capacity(count);
    for _ in 0..count.min(n) {
        let i = rng.below(n);
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked.sort_unstable();
    picked
}

fn random_claims(rng: &mut Rng, count: usize) -> Vec<Claim> {
    // Administrator and restriction claims are set deliberately, never at random.
    let pool: Vec<&ClaimDef> = CLAIMS
        .iter()
        .filter(|def| def.key != "agent.admin" && !def.key.starts_with("restrict."))
        .collect();
    pick(rng, pool.len(), count)
        .into_iter()
        .filter_map(|i| pool.get(i).copied())
        .map(|def| {
            if def.is_flag() {
                fl(def.key, rng.chance(500))
            } else {
                let (raw, _) = def.values[rng.below(def.values.len())];
                (def.claim.to_owned(), raw.to_owned())
            }
        })
        .collect()
}

/// The display name of synthetic application `i`: a known integration with a numeric suffix.
fn app_name(i: usize) -> String {
    let base = INTEGRATIONS
        .get(i % INTEGRATIONS.len())
        .copied()
        .unwrap_or("App");
    format!("{base} {}", i / INTEGRATIONS.len() + 1)
}

fn synthetic_teams(rng: &mut Rng, n: usize) -> Vec<TeamDef> {
    (0..n)
        .map(|i| {
            let dept = i % DEPARTMENTS.len();
            let name = cycled(TEAM_NAMES, i);
            TeamDef {
                id: i as u64 + 1,
                guid: rng.guid(),
                email: format!("team{}@synthetic.example", i + 1),
                name,
                department_id: dept as u64 + 1,
                department_name: DEPARTMENTS
                    .get(dept)
                    .copied()
                    .unwrap_or("Support")
                    .to_owned(),
                inactive: i > 0 && rng.chance(60),
                forrequests: true,
                foropps: rng.chance(200),
                forprojects: rng.chance(300),
                ticket_count: rng.below(500) as u64,
            }
        })
        .collect()
}

fn synthetic_roles(rng: &mut Rng, n: usize, teams: usize) -> Vec<RoleDef> {
    (0..n)
        .map(|i| {
            let name = cycled(ROLE_NAMES, i);
            let is_integration = name.starts_with("Integrations") || rng.chance(100);
            let claim_count = 2 + rng.below(9);
            let team_count = rng.below(3);
            let restricted = rng.chance(50);
            RoleDef {
                id: rng.guid(),
                notes: format!("Synthetic role {}.", i + 1),
                is_integration,
                claims: random_claims(rng, claim_count),
                teams: pick(rng, teams, team_count),
                clients: if restricted {
                    vec![(1 + rng.below(500) as u64, "Restricted Customer".to_owned())]
                } else {
                    Vec::new()
                },
                name,
            }
        })
        .collect()
}

fn synthetic_agent(
    rng: &mut Rng,
    i: usize,
    spec: &SyntheticSpec,
    teams: &[TeamDef],
    active: &[usize],
) -> AgentDef {
    let id = i as u64 + 2;
    let app_agent = i < spec.applications;
    let api = app_agent || rng.chance(10);
    let (firstname, surname, email) = if app_agent {
        (
            app_name(i),
            "API".to_owned(),
            format!("api{id}@synthetic.example"),
        )
    } else {
        let first = FIRST_NAMES
            .get(rng.below(FIRST_NAMES.len()))
            .copied()
            .unwrap_or("Alex");
        let last = SURNAMES
            .get(rng.below(SURNAMES.len()))
            .copied()
            .unwrap_or("Abbott");
        let email = format!(
            "{}.{}{id}@synthetic.example",
            first.to_lowercase(),
            last.to_lowercase()
        );
        (first.to_owned(), last.to_owned(), email)
    };

    let member_of: Vec<usize> = if api && rng.chance(300) {
        active.to_vec()
    } else {
        let count = 1 + rng.below(3);
        pick(rng, teams.len(), count)
    };
    let default_team = if api && rng.chance(500) {
        None
    } else {
        member_of.first().copied()
    };

    let role_count = rng.below(3);
    let roles = pick(rng, spec.roles, role_count);
    let claim_count = rng.below(7);
    let mut claims = random_claims(rng, claim_count);
    if rng.chance(1) {
        claims.push((UNKNOWN_CLAIM.to_owned(), rng.below(5).to_string()));
    }
    let clients = if rng.chance(150) {
        let count = 1 + rng.below(3);
        (0..count)
            .map(|_| {
                let c = 1 + rng.below(500) as u64;
                (c, format!("Customer {c}"))
            })
            .collect()
    } else {
        Vec::new()
    };
    let tickettypes = if rng.chance(50) {
        pick(rng, TICKET_TYPES.len(), 2)
            .into_iter()
            .map(|t| {
                (
                    t as u64 + 1,
                    TICKET_TYPES
                        .get(t)
                        .copied()
                        .unwrap_or("Incident")
                        .to_owned(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let assettypes = if rng.chance(30) {
        pick(rng, ASSET_TYPES.len(), 2)
            .into_iter()
            .map(|t| {
                (
                    t as u64 + 1,
                    ASSET_TYPES.get(t).copied().unwrap_or("Laptop").to_owned(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let assetfields = if rng.chance(10) {
        vec![(1 + rng.below(40) as u64, "Purchase Cost".to_owned(), 0)]
    } else {
        Vec::new()
    };
    let disabled = rng.chance(if api { 20 } else { 30 });
    let admin = rng.chance(if api { 400 } else { 50 });
    let year = 2019 + rng.below(7);
    let month = 1 + rng.below(12);
    let day = 1 + rng.below(28);
    let last_day = 1 + rng.below(19);

    AgentDef {
        id,
        firstname,
        surname,
        email,
        jobtitle: if api { "API agent" } else { "Technician" }.to_owned(),
        default_team,
        disabled,
        api,
        admin,
        twofactor: !api,
        sso: false,
        licence_type: u64::from(!api),
        created: format!("{year}-{month:02}-{day:02}T09:00:00Z"),
        lastlogin: format!("2026-11-{last_day:02}T08:00:00Z"),
        roles,
        teams: member_of.into_iter().map(|t| (t, false)).collect(),
        clients,
        tickettypes,
        assettypes,
        assetfields,
        claims,
    }
}

fn synthetic_app(rng: &mut Rng, i: usize, agents: usize) -> AppDef {
    let scopes: Vec<String> = if rng.chance(60) {
        vec!["all".to_owned()]
    } else {
        let count = 2 + rng.below(7);
        pick(rng, SCOPES.len(), count)
            .into_iter()
            .filter_map(|s| SCOPES.get(s))
            .map(|s| (*s).to_owned())
            .collect()
    };
    AppDef {
        id: rng.guid(),
        client_id: rng.guid(),
        name: app_name(i),
        inactive: rng.chance(50),
        agent: (agents > 0).then(|| i % agents),
        scopes,
    }
}

/// A scalable, deterministic tenant of the demo's shape.
///
/// Application `i` is named after a known integration with a numeric suffix ("Rewst 1") and logs
/// in as agent `i` (an API-only agent named after it) when there are enough agents, otherwise it
/// shares an agent. The same spec always yields the same document.
pub fn synthetic(spec: &SyntheticSpec) -> Value {
    let mut rng = Rng::new(spec.seed);
    let teams = synthetic_teams(&mut rng, spec.teams);
    let roles = synthetic_roles(&mut rng, spec.roles, spec.teams);
    let active: Vec<usize> = (0..teams.len())
        .filter(|&t| teams.get(t).is_some_and(|team| !team.inactive))
        .collect();
    let agents: Vec<AgentDef> = (0..spec.agents)
        .map(|i| synthetic_agent(&mut rng, i, spec, &teams, &active))
        .collect();
    let apps: Vec<AppDef> = (0..spec.applications)
        .map(|i| synthetic_app(&mut rng, i, spec.agents))
        .collect();
    let tenant = Tenant {
        teams,
        roles,
        agents,
        apps,
    };
    let meta = Meta {
        url: format!("https://synthetic-{}.halopsa.example", spec.seed),
        tenant: "synthetic".to_owned(),
    };
    snapshot(&meta, &tenant)
}
