//! The requests of a fetch, in order: a token, the list calls, then one detail call per object.
//!
//! Owns: which endpoints are read for `--scope all` and `--scope integrations`, both list
//! envelopes and server-side paging, turning a 403/404 into a recorded gap (partial permission is
//! data, not failure), and assembling the snapshot. `--scope all` costs
//! 1 token + the list pages + one detail call per agent, role and application (a team is stored
//! as its list row); `--scope integrations` costs 1 token +
//! the application list + one call per login agent (+ one per role whose claims the agent detail
//! does not carry).

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use super::client::{ApiError, Client};
use super::paging::{Count, ListReader, PAGE_SIZE, id_of};
use super::whoami::{self, Identity};
use super::{FetchError, FetchScope, Settings, classify};
use crate::snapshot::{Auditor, AuditorAgent, GapRecord, Instance, RequestStats, Snapshot};

/// One of Halo's collections as the fetcher reads it.
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    /// The member name in the snapshot and in Halo's list envelope.
    plural: &'static str,
    /// `/Agent`: the list path under `/api`; the detail path is `{path}/{id}`.
    path: &'static str,
    list_query: &'static [(&'static str, &'static str)],
    /// The query of the detail call; `None` where the list row holds all that is read, so no
    /// detail call is made and the row is stored.
    detail_query: Option<&'static [(&'static str, &'static str)]>,
}

const AGENTS: Endpoint = Endpoint {
    plural: "agents",
    path: "/Agent",
    // Halo leaves API-only and disabled agents out unless asked: they are exactly the ones an
    // audit must see.
    list_query: &[
        ("includeapiagents", "true"),
        ("includedisabled", "true"),
        ("includeenabled", "true"),
    ],
    detail_query: Some(&[("includedetails", "true")]),
};
const TEAMS: Endpoint = Endpoint {
    plural: "teams",
    path: "/Team",
    list_query: &[("includedisabled", "true"), ("includeenabled", "true")],
    // The list row (`SectionDetail_List`) carries all that is read of a team: `id`, `name`,
    // `inactive`. Memberships and the per-team ticks come with each agent's `teams[]`, so the
    // detail (with its member rows) is never asked for.
    detail_query: None,
};
const ROLES: Endpoint = Endpoint {
    plural: "roles",
    path: "/Roles",
    list_query: &[],
    detail_query: Some(&[("includedetails", "true")]),
};
const APPLICATIONS: Endpoint = Endpoint {
    plural: "applications",
    path: "/Application",
    list_query: &[],
    detail_query: Some(&[("includedetails", "true")]),
};

impl Endpoint {
    fn list_route(self) -> String {
        format!("GET /api{}", self.path)
    }
    fn detail_route(self) -> String {
        format!("GET /api{}/{{id}}", self.path)
    }
}

/// Progress on stderr, drawn only when asked (a terminal, not `--quiet`).
#[derive(Debug)]
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(enabled: bool) -> Self {
        Self(enabled.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(0),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} {msg:<28} [{bar:30}] {pos}/{len} requests",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        }))
    }
    fn message(&self, text: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(text);
        }
    }
    fn planned(&self, n: usize) {
        if let Some(bar) = &self.0 {
            bar.inc_length(n as u64);
        }
    }
    fn done(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// What a fetch accumulates besides the objects.
#[derive(Debug, Default)]
struct Findings {
    gaps: Vec<GapRecord>,
    forbidden_lists: usize,
    lists_tried: usize,
}

pub(super) async fn run(settings: Settings) -> Result<(Snapshot, Identity), FetchError> {
    let settings = Arc::new(settings);
    let client = Arc::new(Client::new(Arc::clone(&settings))?);
    let progress = Progress::new(settings.progress);
    progress.planned(1);
    progress.message("authenticating");
    let result = async {
        client.authenticate().await?;
        progress.done();
        let mut snapshot = Snapshot::new(Instance {
            url: Some(settings.url.clone()),
            tenant: settings.tenant.clone(),
        });
        snapshot.scope = Some(settings.scope.as_str().to_owned());
        let mut found = Findings::default();
        match settings.scope {
            FetchScope::All => all(&client, &mut snapshot, &mut found, &progress).await?,
            FetchScope::Integrations => {
                integrations(&client, &mut snapshot, &mut found, &progress).await?;
            }
        }
        if found.lists_tried > 0 && found.forbidden_lists == found.lists_tried {
            return Err(FetchError::ForbiddenEverywhere {
                scope: settings.token_scope.clone(),
            });
        }
        // Who the credential is, so that an offline self-check knows it as a live one does.
        progress.message("asking who the credential is");
        progress.planned(1);
        let me = whoami::identify(&client).await?;
        progress.done();
        snapshot.auditor = Some(match &me {
            Identity::Agent { id, name, .. } => Auditor {
                agent: Some(AuditorAgent {
                    id: *id,
                    name: name.clone(),
                }),
                ..Auditor::default()
            },
            Identity::Unknown { reason } => Auditor {
                agent_unknown: Some(client.said(reason)),
                ..Auditor::default()
            },
        });
        if let Some(gap) = claims_missing(&snapshot) {
            found.gaps.push(gap);
        }
        found
            .gaps
            .sort_by(|a, b| (&a.endpoint, &a.object_id).cmp(&(&b.endpoint, &b.object_id)));
        snapshot.gaps = found.gaps;
        Ok((snapshot, me))
    }
    .await;
    progress.finish();
    let (mut snapshot, me) = result?;
    let counters = client.counters();
    snapshot.requests = RequestStats {
        total: counters.total,
        retries: counters.retries,
        throttled: counters.throttled,
        by_endpoint: counters.by_endpoint,
    };
    snapshot.fetched_at = Some(
        jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap_or_else(|_| jiff::Timestamp::now())
            .to_string(),
    );
    let granted = client
        .grant
        .lock()
        .map(|g| g.scopes.clone())
        .unwrap_or_default();
    let identity = snapshot.auditor.take().unwrap_or_default();
    snapshot.auditor = Some(Auditor {
        client_id: settings.client_id.clone(),
        requested_scope: settings.token_scope.clone(),
        granted_scopes: granted,
        ..identity
    });
    Ok((snapshot, me))
}

/// A gap when agents (or roles) were read and not one detail carries `claims`: feature access,
/// ticket permissions and the administrator claim are then unreadable. Said once, with the calls.
fn claims_missing(snapshot: &Snapshot) -> Option<GapRecord> {
    let objects = |v: &Option<Value>| -> Vec<Value> {
        match v {
            Some(Value::Array(items)) => items.clone(),
            Some(Value::Object(map)) => map
                .values()
                .find_map(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    let agents = objects(&snapshot.objects.agents);
    let roles = objects(&snapshot.objects.roles);
    if agents.is_empty() && roles.is_empty() {
        return None;
    }
    let carries = |o: &Value| o.get("claims").is_some_and(Value::is_array);
    if agents.iter().chain(&roles).any(carries) {
        return None;
    }
    Some(GapRecord {
        endpoint: "/api/Agent/{id}".to_owned(),
        status: Some(200),
        reason: "no-claims".to_owned(),
        detail: Some(format!(
            "none of the {} agent and {} role details carries `claims` (GET /api/Agent/{{id}}?includedetails=true, GET /api/Roles/{{id}}?includedetails=true): feature access, ticket permissions and the administrator claim cannot be read; the auditing application's agent may lack the right to see other agents' permissions (docs/fetching.md)",
            agents.len(),
            roles.len()
        )),
        object_id: None,
    })
}

/// `--scope all`: every list, then the details of every agent, role and application.
async fn all(
    client: &Arc<Client>,
    snapshot: &mut Snapshot,
    found: &mut Findings,
    progress: &Progress,
) -> Result<(), FetchError> {
    progress.message("listing");
    progress.planned(4);
    let (agents, teams, roles, applications) = tokio::join!(
        list(client, AGENTS, progress),
        list(client, TEAMS, progress),
        list(client, ROLES, progress),
        list(client, APPLICATIONS, progress),
    );
    let mut lists = Vec::new();
    for (endpoint, result) in [
        (AGENTS, agents),
        (TEAMS, teams),
        (ROLES, roles),
        (APPLICATIONS, applications),
    ] {
        found.lists_tried += 1;
        match result? {
            Listed::Items(items, partial) => {
                found.gaps.extend(partial);
                lists.push((endpoint, items));
            }
            Listed::Gap(gap) => {
                if gap.status == Some(403) {
                    found.forbidden_lists += 1;
                }
                found.gaps.push(gap);
            }
        }
    }
    progress.message("reading details");
    // Every collection's details in one pool: the concurrency stays full until the last call,
    // instead of draining at the end of each collection.
    let ids: Vec<Vec<Option<String>>> = lists
        .iter()
        .map(|(endpoint, items)| {
            items
                .iter()
                .map(|item| endpoint.detail_query.and_then(|_| id_of(item)))
                .collect()
        })
        .collect();
    let wanted: Vec<(Endpoint, &[Option<String>])> = lists
        .iter()
        .zip(&ids)
        .map(|((endpoint, _), ids)| (*endpoint, ids.as_slice()))
        .collect();
    let mut all_details = details_of(client, &wanted, progress).await?.into_iter();
    for (endpoint, items) in lists {
        let found_details = all_details
            .next()
            .unwrap_or_else(|| items.iter().map(|_| None).collect());
        let objects = merge(items, found_details, &mut found.gaps);
        set(snapshot, endpoint, objects);
    }
    // An empty agent list is suspicious unless the fetch stopped reading it for a reason of its
    // own (then that gap says why).
    if snapshot
        .objects
        .agents
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
        && !found.gaps.iter().any(|g| g.endpoint == "/api/Agent")
    {
        found.gaps.push(GapRecord {
            endpoint: "/api/Agent".to_owned(),
            status: Some(200),
            reason: "empty".to_owned(),
            detail: Some(
                "Halo answered an empty agent list; it does this when the auditing agent lacks permission"
                    .to_owned(),
            ),
            object_id: None,
        });
    }
    Ok(())
}

/// `--scope integrations`: the applications, the agents they log in as, and those agents' roles.
async fn integrations(
    client: &Arc<Client>,
    snapshot: &mut Snapshot,
    found: &mut Findings,
    progress: &Progress,
) -> Result<(), FetchError> {
    progress.message("listing applications");
    progress.planned(1);
    found.lists_tried += 1;
    let applications = match list(client, APPLICATIONS, progress).await? {
        Listed::Items(items, partial) => {
            found.gaps.extend(partial);
            items
        }
        Listed::Gap(gap) => {
            if gap.status == Some(403) {
                found.forbidden_lists += 1;
            }
            found.gaps.push(gap);
            return Ok(());
        }
    };
    // The list normally carries scopes and the login agent; read the detail only where it does not.
    let wanted: Vec<Option<String>> = applications
        .iter()
        .map(|a| {
            let complete = a.get("scopes").is_some_and(Value::is_array)
                && a.get("loginas_agent_id").is_some_and(|v| !v.is_null());
            if complete { None } else { id_of(a) }
        })
        .collect();
    progress.message("reading applications");
    let app_details = details(client, APPLICATIONS, &wanted, progress).await?;
    let applications = merge(applications, app_details, &mut found.gaps);
    let agent_ids: Vec<Option<String>> = applications
        .iter()
        .filter_map(|a| a.get("loginas_agent_id").and_then(Value::as_i64))
        .filter(|id| *id > 0)
        .collect::<BTreeSet<i64>>()
        .into_iter()
        .map(|id| Some(id.to_string()))
        .collect();
    progress.message("reading login agents");
    let agent_details = details(client, AGENTS, &agent_ids, progress).await?;
    let mut agents = Vec::new();
    for (id, result) in agent_ids.iter().flatten().zip(agent_details) {
        match result {
            Some(Ok(agent)) => agents.push(agent),
            Some(Err(gap)) => found.gaps.push(gap),
            None => {
                // Not reachable: every id was asked for.
                found.gaps.push(GapRecord {
                    endpoint: "/api/Agent/{id}".to_owned(),
                    status: None,
                    reason: "not_fetched".to_owned(),
                    detail: None,
                    object_id: Some(id.clone()),
                });
            }
        }
    }
    // Roles whose claims the agent detail does not carry.
    let role_ids: Vec<Option<String>> = agents
        .iter()
        .filter_map(|a| a.get("roles").and_then(Value::as_array))
        .flatten()
        .filter(|r| !r.get("claims").is_some_and(Value::is_array))
        .filter_map(id_of)
        .collect::<BTreeSet<String>>()
        .into_iter()
        .map(Some)
        .collect();
    if !role_ids.is_empty() {
        progress.message("reading roles");
        let role_details = details(client, ROLES, &role_ids, progress).await?;
        let mut roles = Vec::new();
        for result in role_details.into_iter().flatten() {
            match result {
                Ok(role) => roles.push(role),
                Err(gap) => found.gaps.push(gap),
            }
        }
        snapshot.objects.roles = Some(Value::Array(roles));
    }
    snapshot.objects.applications = Some(Value::Array(applications));
    snapshot.objects.agents = Some(Value::Array(agents));
    Ok(())
}

/// A list call's result: the records kept (with gaps when the list was not read whole: see
/// [`ListReader`]), or a gap for a forbidden or missing endpoint.
enum Listed {
    Items(Vec<Value>, Vec<GapRecord>),
    Gap(GapRecord),
}

/// Reads a whole list, a page of [`PAGE_SIZE`] at a time, holding the server to that size, to
/// its `record_count` and to `--max-records` (see [`ListReader`]). Either envelope is accepted; an
/// answer without `record_count` (Halo's lists mostly ignore paging and answer a bare array) is
/// the whole list.
async fn list(
    client: &Arc<Client>,
    endpoint: Endpoint,
    progress: &Progress,
) -> Result<Listed, FetchError> {
    let route = endpoint.list_route();
    let target = format!("GET {}{}", client.api, endpoint.path);
    let mut reader = ListReader::new(&format!("/api{}", endpoint.path), client.max_records());
    let size = PAGE_SIZE.to_string();
    let said = |text: &str| client.said(text);
    loop {
        let page_no = (reader.pages_read() + 1).to_string();
        let mut query: Vec<(&str, &str)> = endpoint.list_query.to_vec();
        query.extend([
            ("pageinate", "true"),
            ("page_size", size.as_str()),
            ("page_no", page_no.as_str()),
        ]);
        let answer = client.get_json(&route, endpoint.path, &query).await;
        progress.done();
        let value = match answer {
            Ok(value) => value,
            Err(error) if reader.pages_read() == 0 => {
                return gap_for(&format!("/api{}", endpoint.path), None, error)
                    .map(Listed::Gap)
                    .map_err(|e| classify(&target, e));
            }
            Err(error) => return Err(classify(&target, error)),
        };
        let (records, count) =
            unwrap_list(value, endpoint.plural).map_err(|detail| FetchError::Shape {
                endpoint: target.clone(),
                // It names the server's member names: server text, shown scrubbed and safe.
                detail: client.said(&detail),
            })?;
        let first = reader.pages_read() == 0;
        if !reader.page(records, count, &said) {
            break;
        }
        if first {
            progress.planned(reader.pages_needed().saturating_sub(1));
        }
    }
    let (items, gaps) = reader.finish();
    Ok(Listed::Items(items, gaps))
}

/// A 403 or 404 becomes a gap; anything else stays an error.
fn gap_for(
    endpoint: &str,
    object_id: Option<&str>,
    error: ApiError,
) -> Result<GapRecord, ApiError> {
    match error {
        ApiError::Status {
            status: status @ (403 | 404),
            message,
        } => Ok(GapRecord {
            endpoint: endpoint.to_owned(),
            status: Some(status),
            reason: if status == 403 {
                "forbidden"
            } else {
                "not_found"
            }
            .to_owned(),
            detail: message,
            object_id: object_id.map(str::to_owned),
        }),
        other => Err(other),
    }
}

/// Halo's list answer: a bare array, or `{"record_count": N, "<plural>": [...]}`.
fn unwrap_list(value: Value, plural: &str) -> Result<(Vec<Value>, Count), String> {
    match value {
        Value::Array(items) => Ok((items, Count::Absent)),
        Value::Object(mut map) => {
            let total = match map.get("record_count") {
                None | Some(Value::Null) => Count::Absent,
                Some(Value::Number(n)) if n.as_u64().is_some() => {
                    Count::Said(n.as_u64().unwrap_or_default())
                }
                Some(other) => Count::Invalid(other.to_string()),
            };
            let key = if map.get(plural).is_some_and(Value::is_array) {
                Some(plural.to_owned())
            } else {
                let arrays: Vec<&String> = map
                    .iter()
                    .filter(|(_, v)| v.is_array())
                    .map(|(k, _)| k)
                    .collect();
                match arrays.as_slice() {
                    [only] => Some((*only).clone()),
                    _ => None,
                }
            };
            match key.and_then(|k| map.remove(&k)) {
                Some(Value::Array(items)) => Ok((items, total)),
                _ => Err(format!(
                    "an object without a `{plural}` array (members: {})",
                    map.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            }
        }
        other => Err(format!("expected a list, got {}", kind(&other))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// What a detail call gave: the object, a gap (403/404), or `None` where no call was made.
type Detail = Option<Result<Value, GapRecord>>;

/// One detail call per `Some(id)`, concurrently (bounded by the client). Results are in the
/// order of `ids`; `None` where no call was made. A 403 or 404 is a gap, anything else an error.
async fn details(
    client: &Arc<Client>,
    endpoint: Endpoint,
    ids: &[Option<String>],
    progress: &Progress,
) -> Result<Vec<Detail>, FetchError> {
    let mut all = details_of(client, &[(endpoint, ids)], progress).await?;
    Ok(all
        .pop()
        .unwrap_or_else(|| ids.iter().map(|_| None).collect()))
}

/// [`details`] of several collections at once, in one pool of tasks (the client bounds how many
/// run); one result list per collection, in the order given.
async fn details_of(
    client: &Arc<Client>,
    wanted: &[(Endpoint, &[Option<String>])],
    progress: &Progress,
) -> Result<Vec<Vec<Detail>>, FetchError> {
    progress.planned(
        wanted
            .iter()
            .map(|(_, ids)| ids.iter().flatten().count())
            .sum(),
    );
    let mut tasks = JoinSet::new();
    for (set, (endpoint, ids)) in wanted.iter().enumerate() {
        let endpoint = *endpoint;
        let route = endpoint.detail_route();
        for (index, id) in ids.iter().enumerate() {
            let Some(id) = id.clone() else { continue };
            let client = Arc::clone(client);
            let route = route.clone();
            tasks.spawn(async move {
                let path = format!("{}/{}", endpoint.path, encode(&id));
                let query = endpoint.detail_query.unwrap_or_default();
                let result = client.get_json(&route, &path, query).await;
                (set, index, id, result)
            });
        }
    }
    let mut out: Vec<Vec<Detail>> = wanted
        .iter()
        .map(|(_, ids)| ids.iter().map(|_| None).collect())
        .collect();
    while let Some(joined) = tasks.join_next().await {
        let Ok((set, index, id, result)) = joined else {
            continue;
        };
        let Some((endpoint, _)) = wanted.get(set) else {
            continue;
        };
        progress.done();
        let target = format!("GET {}{}/{}", client.api, endpoint.path, client.said(&id));
        let entry = match result {
            Ok(value @ Value::Object(_)) => Ok(value),
            Ok(other) => {
                tasks.abort_all();
                return Err(FetchError::Shape {
                    endpoint: target,
                    detail: format!("expected an object, got {}", kind(&other)),
                });
            }
            Err(error) => match gap_for(&format!("/api{}/{{id}}", endpoint.path), Some(&id), error)
            {
                Ok(gap) => Err(gap),
                Err(error) => {
                    tasks.abort_all();
                    return Err(classify(&target, error));
                }
            },
        };
        if let Some(slot) = out.get_mut(set).and_then(|s| s.get_mut(index)) {
            *slot = Some(entry);
        }
    }
    Ok(out)
}

/// Percent-encodes an id for a path segment (GUIDs and integers pass unchanged).
fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The detail object where there is one; the list item where the detail was forbidden or not
/// found (403, 404): what the list did not say then reads as unknown, so requirements that depend
/// on it are unverifiable. An object the list returned is never dropped: a server answering 404
/// to detail calls must not make a tenant look as if it had nothing to audit.
fn merge(items: Vec<Value>, details: Vec<Detail>, gaps: &mut Vec<GapRecord>) -> Vec<Value> {
    let mut out = Vec::with_capacity(items.len());
    for (item, detail) in items.into_iter().zip(details) {
        match detail {
            Some(Ok(full)) => out.push(full),
            Some(Err(gap)) => {
                gaps.push(gap);
                out.push(item);
            }
            None => out.push(item),
        }
    }
    out
}

fn set(snapshot: &mut Snapshot, endpoint: Endpoint, objects: Vec<Value>) {
    let value = Some(Value::Array(objects));
    match endpoint.plural {
        "agents" => snapshot.objects.agents = value,
        "teams" => snapshot.objects.teams = value,
        "roles" => snapshot.objects.roles = value,
        _ => snapshot.objects.applications = value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_come_bare_or_in_either_envelope() {
        assert_eq!(
            unwrap_list(json!([1, 2]), "agents").unwrap(),
            (vec![json!(1), json!(2)], Count::Absent)
        );
        assert_eq!(
            unwrap_list(json!({"record_count": 5, "agents": [1]}), "agents").unwrap(),
            (vec![json!(1)], Count::Said(5))
        );
        assert_eq!(
            unwrap_list(json!({"record_count": 1, "items": [1]}), "agents").unwrap(),
            (vec![json!(1)], Count::Said(1)),
            "a single array member is taken whatever its name"
        );
        for odd in [json!(-1), json!(1.5), json!("12"), json!(1e300)] {
            assert!(
                matches!(
                    unwrap_list(json!({"record_count": odd, "agents": []}), "agents")
                        .unwrap()
                        .1,
                    Count::Invalid(_)
                ),
                "{odd}"
            );
        }
        assert!(
            unwrap_list(json!({"a": [], "b": []}), "agents")
                .unwrap_err()
                .contains("members: a, b")
        );
        assert!(
            unwrap_list(json!("x"), "agents")
                .unwrap_err()
                .contains("a string")
        );
    }

    #[test]
    fn ids_are_read_and_encoded() {
        assert_eq!(id_of(&json!({"id": 7})).as_deref(), Some("7"));
        assert_eq!(id_of(&json!({"id": "ab-1"})).as_deref(), Some("ab-1"));
        assert_eq!(id_of(&json!({"id": ""})), None);
        assert_eq!(id_of(&json!({})), None);
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn forbidden_and_missing_details_keep_the_list_item() {
        let gap = |status| GapRecord {
            endpoint: "/api/Agent/{id}".into(),
            status: Some(status),
            reason: String::new(),
            detail: None,
            object_id: None,
        };
        let mut gaps = Vec::new();
        let out = merge(
            vec![
                json!({"id": 1}),
                json!({"id": 2}),
                json!({"id": 3}),
                json!({"id": 4}),
            ],
            vec![
                Some(Ok(json!({"id": 1, "is_admin": true}))),
                Some(Err(gap(403))),
                Some(Err(gap(404))),
                None,
            ],
            &mut gaps,
        );
        assert_eq!(
            out,
            vec![
                json!({"id": 1, "is_admin": true}),
                json!({"id": 2}),
                json!({"id": 3}),
                json!({"id": 4})
            ]
        );
        assert_eq!(gaps.len(), 2);
    }
}
