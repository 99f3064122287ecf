//! Halo's integration applications (`NHD_Identity_Application`): name, client id, login agent and
//! scopes. It reads no permission.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn application(obj: &Map<String, Value>, id: String) -> Application {
    let scopes = obj.get("scopes").and_then(Value::as_array).map(|items| {
        let mut names: Vec<String> = items
            .iter()
            .filter_map(|s| match s {
                Value::String(name) => Some(name.clone()),
                Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        names.sort();
        names.dedup();
        names
    });
    Application {
        client_id: string(obj, "clientId").or_else(|| string(obj, "client_id")),
        name: string(obj, "displayName")
            .or_else(|| string(obj, "name"))
            .unwrap_or_else(|| format!("application {id}")),
        active: boolean(obj, "inactive").map(|inactive| !inactive),
        login_agent_id: int(obj, "loginas_agent_id").filter(|id| *id > 0),
        login_agent_name: string(obj, "loginas_agent_name").filter(|s| !s.is_empty()),
        scopes,
        system: boolean(obj, "_issystem").unwrap_or(false),
        id,
    }
}
