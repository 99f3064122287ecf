//! The simulated Halo application behind the HTTP server: routes, the OAuth2 token endpoint,
//! bearer-token checks, and the list and detail views of agents, teams, roles and applications.
//!
//! It answers one parsed request with one response and knows nothing about sockets, rate limits or
//! injected faults (the server in `mod.rs` owns those). It never serves a `clientSecret`.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::http::{Request, Response, parse_form};
use super::{Envelope, SimConfig, TenantObjects, lock};

/// HaloPSA's API scopes (halo-api-notes §2.1): the only names `/auth/token` accepts.
pub const HALO_SCOPES: &[&str] = &[
    "all",
    "all:standard",
    "all:teams",
    "admin",
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
    "editMine:timesheets",
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
    "edit:reporting",
    "read:software",
    "edit:software",
    "read:softwarelicensing",
    "edit:softwarelicensing",
    "read:kb",
    "edit:kb",
    "read:assets",
    "edit:assets",
    "read:distributionlists",
    "edit:distributionlists",
    "access:chat",
    "access:adpasswordreset",
];

/// The members of the agent list view (swagger `Uname_List`); the detail view (`Uname`) has more,
/// notably `is_admin`, `roles` and `claims`.
const UNAME_LIST: &[&str] = &[
    "id",
    "name",
    "onlinestatus_actual",
    "onlinestatus",
    "is_online",
    "lastonline",
    "team",
    "isdisabled",
    "email",
    "ad",
    "lastlogindate",
    "agentphotopath",
    "initials",
    "firstname",
    "surname",
    "colour",
    "jobtitle",
    "sms",
    "extensionnumber",
    "ticket_count",
    "is_agent",
    "one_client",
    "teams",
    "departments",
    "clients",
    "tickettypes",
    "qualifications",
    "qualification_weighting",
    "qualified",
    "role_list",
    "current_action_type",
    "current_action_name",
    "assettypes",
    "googleemail",
    "linemanager",
    "linemanager_name",
    "inboxes",
    "exchange_authorized",
    "exchange_account",
    "sentinel_authorized",
    "licence_type",
    "named_licences_in_use",
    "google_mail_authorized",
    "inbox_clientid",
    "isapiagent",
    "splashtop_authorized",
    "gotoresolve_authorized",
    "use",
    "assetfields",
    "unamecustomfields",
    "unameappointmenttypes",
    "_canupdate",
    "_canupdate_moreinfo",
    "logmeinid",
    "allowbeyondtrustinvites",
    "jira_id",
    "custombuttons",
    "namewithinactive",
    "apptsync",
    "okta_id",
    "enableshifts",
    "sendemailerrors",
    "uname_usercustomfields",
    "can_approve_purchaseorder",
    "can_approve_quote",
    "can_approve_invoice",
    "default_splashtop_channel",
    "workday_id",
    "workday_name",
    "workday_timezone",
];

/// The members of the team list view (swagger `SectionDetail_List`). The simulator leaves `agents`
/// out unless the team is named in `includeagentsforteams`.
const SECTION_DETAIL_LIST: &[&str] = &[
    "id",
    "guid",
    "intent",
    "name",
    "sequence",
    "forrequests",
    "foropps",
    "forprojects",
    "ticket_count",
    "department_id",
    "department_name",
    "org_team_name",
    "inactive",
    "override_column_id",
    "agents",
    "managers",
    "teamphotopath",
    "last_modified",
    "hide_agents_in_tree_if_no_tickets",
    "use",
    "department_guid",
];

/// Members of an application that neither view serves.
const APPLICATION_HIDDEN: &[&str] = &["clientSecret"];
/// Members of an application only the detail view (`includedetails=true`) serves.
const APPLICATION_DETAIL_ONLY: &[&str] = &["authorizations", "tokens"];

/// Page size when `pageinate=true` comes without `page_size`.
const DEFAULT_PAGE_SIZE: usize = 50;

/// The four collections the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Agent,
    Team,
    Roles,
    Application,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Agent, Kind::Team, Kind::Roles, Kind::Application];

    /// The path segment, as Halo spells it.
    fn name(self) -> &'static str {
        match self {
            Kind::Agent => "Agent",
            Kind::Team => "Team",
            Kind::Roles => "Roles",
            Kind::Application => "Application",
        }
    }

    /// The member of the list envelope.
    fn plural(self) -> &'static str {
        match self {
            Kind::Agent => "agents",
            Kind::Team => "teams",
            Kind::Roles => "roles",
            Kind::Application => "applications",
        }
    }

    fn index(self) -> usize {
        match self {
            Kind::Agent => 0,
            Kind::Team => 1,
            Kind::Roles => 2,
            Kind::Application => 3,
        }
    }
}

/// What a request path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    AuthInfo,
    Token,
    AgentMe,
    List(Kind),
    One(Kind, String),
    Unknown,
}

impl Route {
    /// Routes a decoded path, case-insensitively and ignoring one trailing slash (as ASP.NET does),
    /// with the authorisation server at `/auth`.
    #[cfg(test)]
    pub fn of(path: &str) -> Route {
        Route::at(path, "/auth")
    }

    /// Routes a decoded path with the authorisation server at `auth_path` (e.g. `/auth`): the
    /// token endpoint is `{auth_path}/token`.
    pub fn at(path: &str, auth_path: &str) -> Route {
        let trimmed = path.strip_suffix('/').unwrap_or(path);
        if trimmed.len() == auth_path.len() + "/token".len()
            && trimmed
                .get(..auth_path.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(auth_path))
            && trimmed
                .get(auth_path.len()..)
                .is_some_and(|t| t.eq_ignore_ascii_case("/token"))
        {
            return Route::Token;
        }
        let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
        let is = |segment: &str, name: &str| segment.eq_ignore_ascii_case(name);
        let kind = |segment: &str| Kind::ALL.into_iter().find(|k| is(segment, k.name()));
        match segments.as_slice() {
            [api, info] if is(api, "api") && is(info, "authinfo") => Route::AuthInfo,
            [api, agent, me] if is(api, "api") && is(agent, "agent") && is(me, "me") => {
                Route::AgentMe
            }
            [api, name] if is(api, "api") => kind(name).map_or(Route::Unknown, Route::List),
            [api, name, id] if is(api, "api") && !id.is_empty() => {
                kind(name).map_or(Route::Unknown, |k| Route::One(k, (*id).to_owned()))
            }
            _ => Route::Unknown,
        }
    }

    /// The key of [`super::Stats::by_route`]: the method and the route's template.
    pub fn key(&self, method: &str, path: &str) -> String {
        let template = match self {
            Route::AuthInfo => "/api/authinfo".to_owned(),
            Route::Token => "/auth/token".to_owned(),
            Route::AgentMe => "/api/Agent/me".to_owned(),
            Route::List(kind) => format!("/api/{}", kind.name()),
            Route::One(kind, _) => format!("/api/{}/{{id}}", kind.name()),
            Route::Unknown => path.to_owned(),
        };
        format!("{} {template}", method.to_ascii_uppercase())
    }

    fn method(&self) -> &'static str {
        match self {
            Route::Token => "POST",
            _ => "GET",
        }
    }
}

/// The prepared tenant: sanitised objects and an id index per collection.
#[derive(Debug)]
struct Tenant {
    objects: [Vec<Value>; 4],
    index: [HashMap<String, usize>; 4],
}

impl Tenant {
    fn new(objects: &TenantObjects) -> Tenant {
        let mut collections = [
            objects.agents.clone(),
            objects.teams.clone(),
            objects.roles.clone(),
            objects.applications.clone(),
        ];
        for collection in &mut collections {
            for object in collection.iter_mut() {
                strip_secrets(object);
            }
        }
        let index = collections.each_ref().map(|objects| {
            let mut index = HashMap::with_capacity(objects.len());
            for (i, object) in objects.iter().enumerate() {
                if let Some(key) = object.get("id").and_then(id_key) {
                    index.entry(key).or_insert(i);
                }
            }
            index
        });
        Tenant {
            objects: collections,
            index,
        }
    }

    fn all(&self, kind: Kind) -> &[Value] {
        &self.objects[kind.index()]
    }

    fn find(&self, kind: Kind, id: &str) -> Option<&Value> {
        let key = requested_key(id);
        self.index[kind.index()]
            .get(&key)
            .and_then(|&i| self.objects[kind.index()].get(i))
    }
}

/// Removes every `clientSecret` member, at any depth.
fn strip_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !APPLICATION_HIDDEN.iter().any(|h| k.eq_ignore_ascii_case(h)));
            map.values_mut().for_each(strip_secrets);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_secrets),
        _ => {}
    }
}

/// How an object's `id` is looked up: integers by value, strings (GUIDs) case-insensitively.
fn id_key(id: &Value) -> Option<String> {
    match id {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(requested_key(s)),
        _ => None,
    }
}

fn requested_key(id: &str) -> String {
    let id = id.trim();
    match id.parse::<i64>() {
        Ok(n) => n.to_string(),
        Err(_) => id.to_ascii_lowercase(),
    }
}

/// The auditing client, as the token endpoint knows it.
#[derive(Debug, Clone)]
struct Client {
    id: String,
    secret: String,
    scopes: Vec<String>,
    agent_id: Option<i64>,
    inactive: bool,
}

#[derive(Debug)]
struct Token {
    /// `None`: a lifetime too long for the clock (it never expires).
    expires: Option<Instant>,
    scopes: Vec<String>,
}

#[derive(Debug)]
struct Tokens {
    issued: HashMap<String, Token>,
    /// Every token ever minted, in order (never cleared).
    history: Vec<String>,
    keys: std::collections::hash_map::RandomState,
    counter: u64,
}

impl Tokens {
    /// A fresh opaque token: 64 hex digits from a randomly keyed hash of a counter.
    fn mint(&mut self) -> String {
        self.counter += 1;
        let mut token = String::with_capacity(64);
        for lane in 0..4u64 {
            let mut hasher = self.keys.build_hasher();
            hasher.write_u64(self.counter);
            hasher.write_u64(lane);
            token.push_str(&format!("{:016x}", hasher.finish()));
        }
        token
    }
}

/// Why an API request is refused before it reaches its route.
enum Denied {
    Unauthorized(Response),
    Forbidden(Response),
}

/// The simulated Halo application.
#[derive(Debug)]
pub(crate) struct Api {
    tenant: Tenant,
    client: Client,
    auditor_agent_id: Option<i64>,
    hosted_tenant: Option<String>,
    auth_url: Option<String>,
    auth_path: String,
    lifetime: Duration,
    envelope: Envelope,
    page_limit: Option<usize>,
    tokens: Mutex<Tokens>,
}

impl Api {
    pub fn new(config: &SimConfig) -> Api {
        let app = config.objects.applications.iter().find(|app| {
            app.get("clientId")
                .and_then(Value::as_str)
                .is_some_and(|id| id == config.client_id)
        });
        let client = match app {
            Some(app) => Client {
                id: config.client_id.clone(),
                secret: config.client_secret.clone(),
                scopes: app
                    .get("scopes")
                    .and_then(Value::as_array)
                    .map(|scopes| {
                        scopes
                            .iter()
                            .filter_map(|s| s.get("name").and_then(Value::as_str))
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                agent_id: app.get("loginas_agent_id").and_then(Value::as_i64),
                inactive: app.get("inactive").and_then(Value::as_bool) == Some(true),
            },
            None => Client {
                id: config.client_id.clone(),
                secret: config.client_secret.clone(),
                scopes: config.client_scopes.clone(),
                agent_id: config.auditor_agent_id,
                inactive: false,
            },
        };
        Api {
            tenant: Tenant::new(&config.objects),
            client,
            auditor_agent_id: config.auditor_agent_id,
            hosted_tenant: config.tenant.clone(),
            auth_url: config.auth_url.clone(),
            auth_path: config.auth_path.trim_end_matches('/').to_owned(),
            lifetime: config.token_lifetime,
            envelope: config.envelope,
            page_limit: config.page_limit,
            tokens: Mutex::new(Tokens {
                issued: HashMap::new(),
                history: Vec::new(),
                keys: std::collections::hash_map::RandomState::new(),
                counter: 0,
            }),
        }
    }

    /// Every token minted so far, oldest first.
    pub fn issued_tokens(&self) -> Vec<String> {
        lock(&self.tokens).history.clone()
    }

    /// Forgets every token issued so far.
    pub fn expire_all_tokens(&self) {
        lock(&self.tokens).issued.clear();
    }

    /// Answers one request. `base_url` is where the simulator is reached (for `authinfo`).
    pub fn respond(&self, req: &Request, route: &Route, base_url: &str) -> Response {
        if *route == Route::Unknown {
            return Response::empty(404);
        }
        if !req.method.eq_ignore_ascii_case(route.method()) {
            return halo_error(
                405,
                "The requested resource does not support this HTTP method.",
            )
            .with_header("Allow", route.method());
        }
        match route {
            Route::Unknown => Response::empty(404),
            Route::AuthInfo => {
                let base = req
                    .header("host")
                    .map_or_else(|| base_url.to_owned(), |host| format!("http://{host}"));
                let auth_url = self
                    .auth_url
                    .clone()
                    .unwrap_or_else(|| format!("{base}{}", self.auth_path));
                Response::json(
                    200,
                    &json!({"auth_url": auth_url, "tenant_id": self.hosted_tenant}),
                )
            }
            Route::Token => self.token(req),
            Route::AgentMe => match self.authorize(req, false) {
                Err(Denied::Unauthorized(r) | Denied::Forbidden(r)) => r,
                Ok(()) => self.me(),
            },
            Route::List(kind) => match self.authorize(req, true) {
                Err(Denied::Unauthorized(r) | Denied::Forbidden(r)) => r,
                Ok(()) => self.list(*kind, req),
            },
            Route::One(kind, id) => match self.authorize(req, true) {
                Err(Denied::Unauthorized(r) | Denied::Forbidden(r)) => r,
                Ok(()) => self.one(*kind, id, req),
            },
        }
    }

    // --------------------------------------------------------------------------------------------
    // Auth

    fn token(&self, req: &Request) -> Response {
        if let Some(expected) = &self.hosted_tenant {
            match req.param("tenant") {
                Some(name) if name.eq_ignore_ascii_case(expected) => {}
                Some(name) => {
                    return oauth_error(
                        400,
                        "invalid_request",
                        &format!("The tenant '{name}' does not exist on this instance."),
                    );
                }
                None => {
                    return oauth_error(
                        400,
                        "invalid_request",
                        "This is a hosted instance: the token request needs ?tenant=NAME.",
                    );
                }
            }
        }
        let form_type = req.header("content-type").is_some_and(|ct| {
            ct.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        if !form_type {
            return oauth_error(
                400,
                "invalid_request",
                "The specified 'Content-Type' header is invalid: use application/x-www-form-urlencoded.",
            );
        }
        let form = parse_form(&String::from_utf8_lossy(&req.body));
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        match field("grant_type") {
            None => {
                return oauth_error(
                    400,
                    "invalid_request",
                    "The mandatory 'grant_type' parameter is missing.",
                );
            }
            Some("client_credentials") => {}
            Some(_) => {
                return oauth_error(
                    400,
                    "unsupported_grant_type",
                    "The specified 'grant_type' is not supported.",
                );
            }
        }
        let Some(client_id) = field("client_id") else {
            return oauth_error(
                400,
                "invalid_request",
                "The mandatory 'client_id' parameter is missing.",
            );
        };
        if client_id != self.client.id
            || field("client_secret") != Some(self.client.secret.as_str())
        {
            return oauth_error(
                401,
                "invalid_client",
                "The specified client credentials are invalid.",
            );
        }
        if self.client.inactive {
            return oauth_error(
                401,
                "invalid_client",
                "The specified client application is inactive.",
            );
        }
        let mut scopes: Vec<String> = Vec::new();
        for scope in field("scope").unwrap_or_default().split_whitespace() {
            if !HALO_SCOPES.contains(&scope) {
                return oauth_error(
                    400,
                    "invalid_scope",
                    &format!("The scope '{scope}' is not a HaloPSA API scope."),
                );
            }
            if !self.client.scopes.iter().any(|s| s == scope) {
                return oauth_error(
                    400,
                    "invalid_scope",
                    &format!("This client application is not allowed to use the scope '{scope}'."),
                );
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        if scopes.is_empty() {
            scopes.clone_from(&self.client.scopes);
        }
        let scope = scopes.join(" ");
        let mut tokens = lock(&self.tokens);
        let access_token = tokens.mint();
        tokens.history.push(access_token.clone());
        tokens.issued.insert(
            access_token.clone(),
            Token {
                expires: Instant::now().checked_add(self.lifetime),
                scopes,
            },
        );
        drop(tokens);
        Response::json(
            200,
            &json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": self.lifetime.as_secs(),
                "scope": scope,
            }),
        )
        .with_header("Cache-Control", "no-store")
    }

    /// Checks the bearer token, and with `admin`, that it carries the `admin` or `all` scope.
    fn authorize(&self, req: &Request, admin: bool) -> Result<(), Denied> {
        let presented = req.header("authorization").and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        });
        let Some(presented) = presented else {
            return Err(Denied::Unauthorized(
                Response::empty(401).with_header("WWW-Authenticate", "Bearer"),
            ));
        };
        let tokens = lock(&self.tokens);
        let invalid = |description: &str| {
            Denied::Unauthorized(Response::empty(401).with_header(
                "WWW-Authenticate",
                format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
            ))
        };
        let Some(token) = tokens.issued.get(&presented) else {
            return Err(invalid("The access token is not valid."));
        };
        if token.expires.is_some_and(|at| Instant::now() >= at) {
            return Err(invalid("The access token has expired."));
        }
        if admin && !token.scopes.iter().any(|s| s == "admin" || s == "all") {
            return Err(Denied::Forbidden(halo_error(
                403,
                "You do not have permission to access this resource: the token lacks the 'admin' scope.",
            )));
        }
        Ok(())
    }

    // --------------------------------------------------------------------------------------------
    // Views

    fn me(&self) -> Response {
        let id = self.client.agent_id.or(self.auditor_agent_id);
        match id.and_then(|id| self.tenant.find(Kind::Agent, &id.to_string())) {
            Some(agent) => Response::json(200, agent),
            None => halo_error(404, "The agent this client logs in as does not exist."),
        }
    }

    fn one(&self, kind: Kind, id: &str, req: &Request) -> Response {
        let Some(object) = self.tenant.find(kind, id) else {
            return halo_error(404, &format!("{} '{id}' was not found.", kind.name()));
        };
        let details = req.flag("includedetails") == Some(true);
        let view = match kind {
            Kind::Agent if details => object.clone(),
            Kind::Agent => without(object, &["roles", "claims"]),
            Kind::Team if req.flag("includeagents") == Some(true) => object.clone(),
            Kind::Team => without(object, &["agents"]),
            Kind::Roles if details => object.clone(),
            Kind::Roles => without(object, &["claims"]),
            Kind::Application if details => object.clone(),
            Kind::Application => without(object, APPLICATION_DETAIL_ONLY),
        };
        Response::json(200, &view)
    }

    fn list(&self, kind: Kind, req: &Request) -> Response {
        let items: Vec<&Value> = self
            .tenant
            .all(kind)
            .iter()
            .filter(|object| listed(kind, object, req))
            .collect();
        let total = items.len();
        let (page, wrapped) = if req.flag("pageinate") == Some(true) {
            let size = match page_param(req, "page_size", DEFAULT_PAGE_SIZE) {
                Ok(n) => n,
                Err(response) => return response,
            };
            let number = match page_param(req, "page_no", 1) {
                Ok(n) => n,
                Err(response) => return response,
            };
            let start = size.saturating_mul(number - 1).min(total);
            (&items[start..total.min(start.saturating_add(size))], true)
        } else if let Some(limit) = self.page_limit {
            (&items[..total.min(limit)], true)
        } else {
            (&items[..], self.envelope == Envelope::Wrapped)
        };
        let with_agents: Vec<String> = req
            .param("includeagentsforteams")
            .map(|names| names.split(',').map(|n| n.trim().to_lowercase()).collect())
            .unwrap_or_default();
        let rows: Vec<Value> = page
            .iter()
            .map(|object| list_view(kind, object, &with_agents))
            .collect();
        if wrapped {
            let mut envelope = Map::with_capacity(2);
            envelope.insert("record_count".to_owned(), Value::from(total));
            envelope.insert(kind.plural().to_owned(), Value::Array(rows));
            Response::json(200, &Value::Object(envelope))
        } else {
            Response::json(200, &Value::Array(rows))
        }
    }
}

/// Whether a list request includes this object (Halo's agent filters; inactive teams are listed
/// unless `includedisabled=false`).
fn listed(kind: Kind, object: &Value, req: &Request) -> bool {
    let flag = |name: &str| object.get(name).and_then(Value::as_bool) == Some(true);
    match kind {
        Kind::Agent => {
            if flag("isapiagent") && req.flag("includeapiagents") != Some(true) {
                return false;
            }
            if flag("isdisabled") {
                req.flag("includedisabled") == Some(true)
            } else {
                req.flag("includeenabled") != Some(false)
            }
        }
        Kind::Team => {
            if flag("inactive") {
                req.flag("includedisabled") != Some(false)
            } else {
                req.flag("includeenabled") != Some(false)
            }
        }
        Kind::Roles | Kind::Application => true,
    }
}

/// One row of a list view, derived from the stored detail object.
fn list_view(kind: Kind, object: &Value, teams_with_agents: &[String]) -> Value {
    let Value::Object(map) = object else {
        return object.clone();
    };
    let with_agents = kind == Kind::Team
        && map
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|name| teams_with_agents.contains(&name.to_lowercase()));
    let keep = |key: &str, value: &Value| match kind {
        Kind::Agent => UNAME_LIST.contains(&key),
        Kind::Team => SECTION_DETAIL_LIST.contains(&key) && (key != "agents" || with_agents),
        Kind::Roles => !value.is_array() && !value.is_object(),
        Kind::Application => !APPLICATION_DETAIL_ONLY.contains(&key),
    };
    Value::Object(
        map.iter()
            .filter(|(k, v)| keep(k, v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// A copy of `object` without the named members.
fn without(object: &Value, members: &[&str]) -> Value {
    match object {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !members.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A positive page parameter, its default when absent, or a 400.
fn page_param(req: &Request, name: &str, default: usize) -> Result<usize, Response> {
    match req.param(name) {
        None => Ok(default),
        Some(text) => match text.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(halo_error(
                400,
                &format!(
                    "The value '{text}' is not valid for {name}: expected a whole number of at least 1."
                ),
            )),
        },
    }
}

/// A Halo-like (.NET) error body.
pub(crate) fn halo_error(status: u16, message: &str) -> Response {
    let class = match status {
        403 => "System.UnauthorizedAccessException",
        404 => "System.Collections.Generic.KeyNotFoundException",
        400 | 405 => "System.ArgumentException",
        _ => "System.Exception",
    };
    Response::json(status, &json!({"ClassName": class, "Message": message}))
}

/// An OAuth2 error body (OpenIddict's wording).
fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    Response::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
    .with_header("Cache-Control", "no-store")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_case_insensitive() {
        assert_eq!(Route::of("/API/agent"), Route::List(Kind::Agent));
        assert_eq!(Route::of("/api/Agent/"), Route::List(Kind::Agent));
        assert_eq!(Route::of("/api/AGENT/ME"), Route::AgentMe);
        assert_eq!(Route::of("/api/AuthInfo"), Route::AuthInfo);
        assert_eq!(Route::of("/Auth/Token"), Route::Token);
        assert_eq!(Route::at("/identity/token/", "/identity"), Route::Token);
        assert_eq!(Route::at("/auth/token", "/identity"), Route::Unknown);
        assert_eq!(Route::at("/id/auth/TOKEN", "/id/auth"), Route::Token);
        assert_eq!(
            Route::of("/api/roles/ABC-def"),
            Route::One(Kind::Roles, "ABC-def".to_owned())
        );
        assert_eq!(Route::of("/api/Tickets"), Route::Unknown);
        assert_eq!(Route::of("/api/Agent/1/2"), Route::Unknown);
        assert_eq!(Route::of("/"), Route::Unknown);
        assert_eq!(
            Route::of("/api/team/7").key("get", "/api/team/7"),
            "GET /api/Team/{id}"
        );
        assert_eq!(Route::of("/x").key("GET", "/x"), "GET /x");
    }

    #[test]
    fn ids_match_by_value_and_case() {
        assert_eq!(requested_key("007"), "7");
        assert_eq!(requested_key("ABC"), "abc");
        assert_eq!(id_key(&json!(7)), Some("7".to_owned()));
        assert_eq!(id_key(&json!("AbC")), Some("abc".to_owned()));
        assert_eq!(id_key(&json!(null)), None);
    }

    #[test]
    fn secrets_are_stripped_at_any_depth() {
        let mut value = json!({"clientSecret": "s", "a": [{"ClientSecret": "t", "b": 1}]});
        strip_secrets(&mut value);
        assert_eq!(value, json!({"a": [{"b": 1}]}));
    }

    #[test]
    fn every_halo_scope_is_listed_once() {
        let mut sorted = HALO_SCOPES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), HALO_SCOPES.len());
        assert_eq!(UNAME_LIST.len(), 70);
        assert_eq!(SECTION_DETAIL_LIST.len(), 21);
    }
}
