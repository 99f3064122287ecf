//! Reading Halo's records: a collection (a bare array or a list envelope), an object, and its
//! members (ids, strings, yes/no), and dropping records whose id repeats. Nothing here knows what a
//! member means.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Accepts a bare array or a list envelope such as `{"record_count": 2, "agents": [...]}`.
pub(super) fn records<'a>(value: &'a Value, name: &str) -> Result<&'a [Value], String> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(map) => {
            if let Some(Value::Array(items)) = map.get(name) {
                return Ok(items);
            }
            let arrays: Vec<&Vec<Value>> = map.values().filter_map(Value::as_array).collect();
            match arrays.as_slice() {
                [only] => Ok(only),
                [] => Err(format!(
                    "expected an array of {name} or a list envelope with one, found an object without an array"
                )),
                _ => Err(format!(
                    "list envelope has several arrays and none is named `{name}`"
                )),
            }
        }
        other => Err(format!(
            "expected an array of {name}, found {}",
            kind(other)
        )),
    }
}

pub(super) fn object(value: &Value) -> Result<&Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("expected an object, found {}", kind(value)))
}

pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn int_id(obj: &Map<String, Value>) -> Option<i64> {
    int(obj, "id")
}

pub(super) fn int(obj: &Map<String, Value>, key: &str) -> Option<i64> {
    match obj.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn any_id(obj: &Map<String, Value>) -> Option<String> {
    match obj.get("id")? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn string(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key)?.as_str().map(str::to_owned)
}

pub(super) fn boolean(obj: &Map<String, Value>, key: &str) -> Option<bool> {
    obj.get(key)?.as_bool()
}

pub(super) fn claims(obj: &Map<String, Value>) -> Option<Vec<(String, String)>> {
    let items = obj.get("claims")?.as_array()?;
    Some(
        items
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|c| {
                let kind = c.get("type")?.as_str()?.to_owned();
                let value = match c.get("value")? {
                    Value::String(s) => s.clone(),
                    Value::Null => return None,
                    other => other.to_string(),
                };
                Some((kind, value))
            })
            .collect(),
    )
}

pub(super) fn dedupe<T, K: Ord + Clone>(
    items: &mut Vec<T>,
    key: impl Fn(&T) -> K,
    what: &str,
    notes: &mut Vec<String>,
) {
    let mut seen = BTreeSet::new();
    let before = items.len();
    items.retain(|item| seen.insert(key(item)));
    if items.len() != before {
        notes.push(format!(
            "{} duplicate {what} ids ignored (first kept)",
            before - items.len()
        ));
    }
}
