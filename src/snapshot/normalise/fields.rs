//! Reading Halo's records: a collection (a bare array or a list envelope), an object, and its
//! members (ids, strings, yes/no), and dropping records whose id repeats. Nothing here knows what a
//! member means.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Accepts a bare array or a list envelope such as `{"record_count": 2, "agents": [...]}`.
pub(super) fn records<'a>(value: &'a Value, name: &str) -> Result<&'a [Value], String> {
    list(value, name).map(|(_, items)| items)
}

/// The array of a collection's value [`records`] reads, and where it is: `None` the value itself,
/// `Some(key)` the member of a list envelope (the one named like the collection, else the only
/// array).
pub(in crate::snapshot) fn list<'a>(
    value: &'a Value,
    name: &str,
) -> Result<(Option<&'a str>, &'a [Value]), String> {
    match value {
        Value::Array(items) => Ok((None, items)),
        Value::Object(map) => {
            if let Some((key, Value::Array(items))) = map.get_key_value(name) {
                return Ok((Some(key), items));
            }
            let arrays: Vec<(&String, &Vec<Value>)> = map
                .iter()
                .filter_map(|(key, value)| Some((key, value.as_array()?)))
                .collect();
            match arrays.as_slice() {
                [(key, only)] => Ok((Some(key), only)),
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

/// A claim list: `(type, value)` pairs, each once, in the order first met.
pub(in crate::snapshot) use crate::tenant::Claims;

/// The claims of one record, read apart from its other members (a role may carry a million:
/// they are kept as pairs, never as JSON), decoded while the record is parsed.
#[derive(Debug, Default)]
pub(in crate::snapshot) struct RecordClaims {
    /// Its own `claims`; `None` when absent or not an array.
    pub(in crate::snapshot) own: Option<Claims>,
    /// Those of the items of its `roles` that carry some, by position, in order.
    pub(in crate::snapshot) items: Vec<(usize, Claims)>,
}

impl RecordClaims {
    /// The claims of the item at `at` of the record's `roles`.
    pub(super) fn item(&self, at: usize) -> Option<&Claims> {
        self.items
            .binary_search_by_key(&at, |(i, _)| *i)
            .ok()
            .and_then(|i| self.items.get(i))
            .map(|(_, claims)| claims)
    }
}

/// One claim from its `type` and `value` members: `None` unless the type is a string and the
/// value is present and not null (a value that is not a string is read as its JSON text).
pub(in crate::snapshot) fn claim_pair(
    kind: Option<&Value>,
    value: Option<&Value>,
) -> Option<(String, String)> {
    let kind = kind?.as_str()?.to_owned();
    let value = match value? {
        Value::String(s) => s.clone(),
        Value::Null => return None,
        other => other.to_string(),
    };
    Some((kind, value))
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
