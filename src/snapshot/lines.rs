//! Where each Halo object starts in a snapshot file, so that a report can point at it.
//!
//! Owns: finding the line of every object of `objects.agents`, `teams`, `roles` and
//! `applications` (a bare array or a list envelope, as [`super::read`] reads them), keyed by
//! collection and `id`. It reads the text only, in chunks (`split.rs` finds the records), and
//! never fails: a file it cannot read or follow gives no lines, and a report then points at line
//! 1. It does not interpret the objects.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::read::Member;

/// The collections of a snapshot, as named under `objects`.
pub const COLLECTIONS: [&str; 4] = ["agents", "teams", "roles", "applications"];

/// The line (from 1) of each object of a snapshot file, by collection and id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectLines {
    lines: BTreeMap<(&'static str, String), usize>,
}

#[derive(Deserialize)]
struct WithId {
    #[serde(default)]
    id: Value,
}

/// Collects the first line of every record of the collections, bare or in an envelope: of the
/// arrays the normaliser may read (see [`ObjectLines::of`]), the first of each kind.
#[derive(Default)]
struct Found {
    /// The arrays kept: collection, which of its arrays.
    arrays: Vec<(&'static str, Member)>,
    /// The number of envelope arrays not named like their collection met, by collection.
    others: BTreeMap<&'static str, usize>,
    /// For each array kept, the id and line of each record that is an object with a usable id.
    records: Vec<Vec<(String, usize)>>,
}

impl super::split::Sink for Found {
    fn array(&mut self, keys: &[Option<&[u8]>]) -> Option<super::split::Chosen> {
        let (name, member) = super::read::collection_array(keys)?;
        let collection = COLLECTIONS.into_iter().find(|c| c.as_bytes() == name)?;
        if member == Member::Other {
            *self.others.entry(collection).or_default() += 1;
        }
        // Another array of a kind already met is never read: its records are passed over.
        let seen = self.arrays.contains(&(collection, member));
        if !seen {
            self.arrays.push((collection, member));
            self.records.push(Vec::new());
        }
        Some(super::split::Chosen {
            tag: if seen {
                usize::MAX
            } else {
                self.arrays.len() - 1
            },
            text: !seen,
        })
    }

    fn record(&mut self, tag: usize, record: super::split::Piece<'_>) -> bool {
        if record.first == b'{'
            && let Ok(object) = serde_json::from_slice::<WithId>(record.text)
            && let Some(id) = id_text(&object.id)
            && let Some(records) = self.records.get_mut(tag)
        {
            records.push((id, record.line));
        }
        true
    }
}

impl ObjectLines {
    /// Reads a snapshot file, streaming (memory holds a chunk of it and the lines found);
    /// nothing when it cannot be read or followed.
    #[must_use]
    pub fn read(path: &Path) -> Self {
        let Ok(file) = std::fs::File::open(path) else {
            return Self::default();
        };
        let mut found = Found::default();
        match super::split::reader(file, super::MAX_BYTES, true, &mut found) {
            Ok((skeleton, _)) => Self::of(&skeleton, found),
            Err(_) => Self::default(),
        }
    }

    /// Finds the objects in a snapshot read from standard input.
    #[must_use]
    pub fn spooled(spool: &super::Spooled) -> Self {
        let Some((file, _)) = spool.reader() else {
            return Self::default();
        };
        let mut found = Found::default();
        match super::split::reader(file, super::MAX_BYTES, true, &mut found) {
            Ok((skeleton, _)) => Self::of(&skeleton, found),
            Err(_) => Self::default(),
        }
    }

    /// Finds the objects in a snapshot's text.
    #[must_use]
    pub fn scan(text: &str) -> Self {
        let mut found = Found::default();
        match super::split::bytes(text.as_bytes(), true, &mut found) {
            Ok(skeleton) => Self::of(&skeleton, found),
            Err(_) => Self::default(),
        }
    }

    /// The lines found, once the rest of the document (`skeleton`) is known to be JSON: of each
    /// collection, the records of its array, or of its envelope's member named after it, else of
    /// the envelope's only array.
    fn of(skeleton: &[u8], found: Found) -> Self {
        let mut lines = BTreeMap::new();
        if serde_json::from_slice::<serde::de::IgnoredAny>(skeleton).is_err() {
            return Self { lines };
        }
        for collection in COLLECTIONS {
            let of = |member| found.arrays.iter().position(|a| *a == (collection, member));
            let only_other = found.others.get(collection) == Some(&1);
            let chosen = of(Member::Own)
                .or_else(|| of(Member::Named))
                .or_else(|| of(Member::Other).filter(|_| only_other));
            let Some(records) = chosen.and_then(|at| found.records.get(at)) else {
                continue;
            };
            for (id, line) in records {
                lines.entry((collection, id.clone())).or_insert(*line);
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
    fn the_named_array_of_an_envelope_is_read_beside_others_and_escaped() {
        // Many arrays beside it cost nothing: only the first of each kind is kept.
        let others: String = (0..1000)
            .map(|i| format!(r#""x{i}": [{{"id": 7}}], "#))
            .collect();
        let text = format!(
            r#"{{"\u006fbjects": {{"agents": {{{others}"a\u0067ents": [{{"id": 1}}], "y": [{{"id": 8}}]}}}}}}"#
        );
        let lines = ObjectLines::scan(&text);
        assert_eq!(lines.line("agents", "1"), Some(1));
        assert_eq!(lines.line("agents", "7"), None);
        assert_eq!(lines.lines.len(), 1);
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
