//! Where each Halo object starts in a snapshot file, so that a report can point at it.
//!
//! Owns: finding the line of every object of `objects.agents`, `teams`, `roles` and
//! `applications` (a bare array or a list envelope, as [`super::normalise`] reads them), keyed by
//! collection and `id`. It reads the text only and never fails: a file it cannot read or follow
//! gives no lines, and a report then points at line 1. It does not interpret the objects.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The collections of a snapshot, as named under `objects`.
pub const COLLECTIONS: [&str; 4] = ["agents", "teams", "roles", "applications"];

/// The line (from 1) of each object of a snapshot file, by collection and id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectLines {
    lines: BTreeMap<(&'static str, String), usize>,
}

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(borrow, default)]
    objects: BTreeMap<String, &'a RawValue>,
}

#[derive(Deserialize)]
struct WithId {
    #[serde(default)]
    id: Value,
}

impl ObjectLines {
    /// Reads a snapshot file; nothing when it cannot be read or parsed.
    #[must_use]
    pub fn read(path: &Path) -> Self {
        std::fs::read_to_string(path)
            .map(|text| Self::scan(&text))
            .unwrap_or_default()
    }

    /// Finds the objects in a snapshot's text.
    #[must_use]
    pub fn scan(text: &str) -> Self {
        let mut lines = BTreeMap::new();
        let Ok(document) = serde_json::from_str::<Document<'_>>(text) else {
            return Self { lines };
        };
        let newlines: Vec<usize> = text
            .bytes()
            .enumerate()
            .filter_map(|(at, b)| (b == b'\n').then_some(at))
            .collect();
        for collection in COLLECTIONS {
            let Some(raw) = document.objects.get(collection) else {
                continue;
            };
            for item in records(raw, collection) {
                if !item.get().starts_with('{') {
                    continue;
                }
                let (Ok(object), Some(offset)) = (
                    serde_json::from_str::<WithId>(item.get()),
                    (item.get().as_ptr() as usize).checked_sub(text.as_ptr() as usize),
                ) else {
                    continue;
                };
                let Some(id) = id_text(&object.id) else {
                    continue;
                };
                // Counted once for the whole text: a tenant of thousands of objects on one line
                // would otherwise be scanned once per object.
                let line = newlines.partition_point(|&at| at < offset) + 1;
                lines.entry((collection, id)).or_insert(line);
            }
        }
        Self { lines }
    }

    /// The line of the object with this id in a collection (`agents`, `teams`, `roles`,
    /// `applications`).
    #[must_use]
    pub fn line(&self, collection: &str, id: &str) -> Option<usize> {
        let key = COLLECTIONS.into_iter().find(|c| *c == collection)?;
        self.lines.get(&(key, id.to_owned())).copied()
    }
}

/// The items of a collection: a bare array, or the array of a list envelope (the member named
/// after the collection, else its only array).
fn records<'a>(raw: &'a RawValue, collection: &str) -> Vec<&'a RawValue> {
    let text = raw.get();
    if text.starts_with('[') {
        return serde_json::from_str(text).unwrap_or_default();
    }
    let Ok(members) = serde_json::from_str::<BTreeMap<String, &RawValue>>(text) else {
        return Vec::new();
    };
    let is_array = |value: &&RawValue| value.get().starts_with('[');
    let array = members
        .get(collection)
        .copied()
        .filter(is_array)
        .or_else(|| {
            let mut arrays = members.values().copied().filter(is_array);
            match (arrays.next(), arrays.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        });
    array
        .and_then(|a| serde_json::from_str(a.get()).ok())
        .unwrap_or_default()
}

/// An id as the normaliser reads it: a number, or a non-empty string (an integer in a string is
/// read as that integer, as agent ids are).
fn id_text(id: &Value) -> Option<String> {
    match id {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(
            s.trim()
                .parse::<i64>()
                .map_or_else(|_| s.clone(), |n| n.to_string()),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_found_in_arrays_and_envelopes() {
        let text = r#"{
  "format": "halo-audit-snapshot",
  "objects": {
    "agents": {"record_count": 2, "agents": [
      {"id": 10, "name": "Ava"},
      {
        "id": "11", "name": "Bob"
      }
    ]},
    "roles": [ {"id": "1b000000-0000-4000-8000-000000000005"} ],
    "teams": {"teams_list": [
      {"id": 1},
      {"id": 1}, {"id": 2}
    ]},
    "applications": [ {"name": "no id"}, "odd", {"id": "   "}, {"id": "a0"} ]
  }
}"#;
        let lines = ObjectLines::scan(text);
        assert_eq!(lines.line("agents", "10"), Some(5));
        assert_eq!(lines.line("agents", "11"), Some(6));
        assert_eq!(
            lines.line("roles", "1b000000-0000-4000-8000-000000000005"),
            Some(10)
        );
        assert_eq!(
            lines.line("teams", "1"),
            Some(12),
            "the first of duplicates"
        );
        assert_eq!(lines.line("teams", "2"), Some(13));
        assert_eq!(lines.line("applications", "a0"), Some(15));
        assert_eq!(lines.line("applications", "   "), None);
        assert_eq!(lines.line("agents", "12"), None);
        assert_eq!(lines.line("tenants", "10"), None);
        assert_eq!(lines.lines.len(), 6);
    }

    #[test]
    fn unreadable_text_gives_no_lines() {
        assert_eq!(
            ObjectLines::scan("{\"objects\": {\"agents\": [{\"id\": 1}"),
            ObjectLines::default()
        );
        assert_eq!(ObjectLines::scan("[]"), ObjectLines::default());
        assert_eq!(
            ObjectLines::scan(r#"{"objects": {"agents": {"a": [{"id": 1}], "b": []}}}"#),
            ObjectLines::default(),
            "an envelope with two arrays and none named after the collection"
        );
        assert_eq!(
            ObjectLines::read(Path::new("/nonexistent/snapshot.json")),
            ObjectLines::default()
        );
    }
}
