//! Lean parsing: Halo's records keeping only the members the normaliser reads.
//!
//! Owns: the list of members `normalise/` reads from Halo's agents, teams and roles, and a parser
//! that skips every other member while reading (a large tenant's agents carry dozens of members and
//! nested rows the audit never looks at), noting the names of the secret-looking members it skips
//! (for `redacted`). `read.rs` uses it for each team, role and agent record it cuts out of the
//! file. A member the normaliser starts reading must be added here: a member missing here makes
//! the permissions that depend on it unknown (`unverifiable`), never passed (the normaliser's
//! tests, which read whole documents through `read.rs`, show it).
//!
//! It must not be used where the snapshot itself is written (`fetch`): that keeps Halo's objects
//! whole.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::normalise::{Claims, RecordClaims};
use crate::catalog::{Catalog, Source};

/// What to keep of one member's value.
#[derive(Debug)]
enum Child<'s> {
    /// The whole value.
    Whole,
    /// An array of objects, each keeping only these members (anything else in the array, or a
    /// value that is not an array, is kept whole).
    Items(Spec<'s>),
    /// Halo's claims (`[{"type": ..., "value": ...}]`), decoded into pairs while they are read
    /// and kept apart from the JSON: a role may carry a million of them.
    Claims,
}

/// The members kept of an object (anything else is skipped while parsing).
#[derive(Debug, Default)]
struct Spec<'s> {
    members: Vec<(&'s str, Child<'s>)>,
}

impl<'s> Spec<'s> {
    /// The members listed, every `claims` member decoded apart ([`Child::Claims`]).
    fn of(members: &[(&'s str, &[&'s str])]) -> Self {
        let leaf = |name: &'s str| {
            if name == "claims" {
                Child::Claims
            } else {
                Child::Whole
            }
        };
        Self {
            members: members
                .iter()
                .map(|(name, nested)| {
                    let child = if nested.is_empty() {
                        leaf(name)
                    } else {
                        Child::Items(Spec {
                            members: nested.iter().map(|n| (*n, leaf(n))).collect(),
                        })
                    };
                    (*name, child)
                })
                .collect(),
        }
    }

    fn get(&self, name: &str) -> Option<&Child<'s>> {
        self.members
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c)
    }
}

/// What `normalise.rs` reads of an agent (`Uname`): a member with nested names is an array of
/// objects of which only those are read. The catalog's `field` sources are added at run time.
const AGENT: &[(&str, &[&str])] = &[
    ("id", &[]),
    ("name", &[]),
    ("email", &[]),
    ("isdisabled", &[]),
    ("isapiagent", &[]),
    ("is_admin", &[]),
    ("twofactor_enabled", &[]),
    ("lastlogindate", &[]),
    ("useadlogin", &[]),
    ("team", &[]),
    ("claims", &[]),
    ("roles", &["id", "name", "claims"]),
    (
        "teams",
        &[
            "team_id",
            "team_name",
            "role_id",
            "role_name",
            "unassigned_access",
            "otheragent_access",
        ],
    ),
    (
        "departments",
        &[
            "department_id",
            "department_name",
            "membershiplevel",
            "role_id",
            "role_name",
        ],
    ),
    ("clients", &["client_name"]),
    ("tickettypes", &["tickettype_name"]),
    ("assettypes", &["assettype_name"]),
    ("assetfields", &["name"]),
];
/// What it reads of a team (`SectionDetail`).
const TEAM: &[(&str, &[&str])] = &[("id", &[]), ("name", &[]), ("inactive", &[])];
/// What it reads of a role (`NHD_Roles`).
const ROLE: &[(&str, &[&str])] = &[
    ("id", &[]),
    ("name", &[]),
    ("is_integration", &[]),
    ("claims", &[]),
];
// Applications are few and small: kept whole.

/// What the normaliser reads of one record of a collection.
pub(super) struct Record<'a>(Spec<'a>);

/// One record as the normaliser reads it: its members, and its claims decoded apart.
#[derive(Debug)]
pub(super) struct Pruned {
    pub(super) value: Value,
    pub(super) claims: RecordClaims,
}

impl<'a> Record<'a> {
    /// An agent: [`AGENT`] and the catalog's `field` sources; its claims decoded apart.
    pub(super) fn agent(catalog: &'a Catalog) -> Self {
        let mut agent = Spec::of(AGENT);
        for perm in &catalog.permissions {
            if let Source::Field(field) | Source::FieldNegated(field) = &perm.source
                && agent.get(field).is_none()
            {
                agent.members.push((field.as_str(), Child::Whole));
            }
        }
        Self(agent)
    }

    /// A team.
    pub(super) fn team() -> Self {
        Self(Spec::of(TEAM))
    }

    /// A role, its claims decoded apart.
    pub(super) fn role() -> Self {
        Self(Spec::of(ROLE))
    }

    /// One record, keeping only what the normaliser reads (its claims, and those of the roles it
    /// lists, decoded apart: [`Pruned`]); the names of the secret-looking members it skips are
    /// added to `secrets`. `None` when it is not valid JSON or has a duplicate key (the full parse
    /// then names the problem).
    pub(super) fn parse(
        &self,
        record: &[u8],
        secrets: &RefCell<BTreeSet<String>>,
    ) -> Option<Pruned> {
        let mut de = serde_json::Deserializer::from_slice(record);
        let found = RefCell::default();
        let value = Object {
            spec: &self.0,
            secrets,
            found: &found,
            item: None,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        Some(Pruned {
            value,
            claims: found.into_inner(),
        })
    }
}

/// A list of objects pruned by `spec`. Anything else is kept whole, so the normaliser reports it
/// as it is.
#[derive(Clone, Copy)]
struct List<'s> {
    spec: &'s Spec<'s>,
    secrets: &'s RefCell<BTreeSet<String>>,
    /// Where the claims of its items go (by position), when they are decoded apart.
    found: &'s RefCell<RecordClaims>,
}

/// One object pruned by `spec` (anything but an object is kept whole).
#[derive(Clone, Copy)]
struct Object<'s> {
    spec: &'s Spec<'s>,
    secrets: &'s RefCell<BTreeSet<String>>,
    /// Where its claims go when they are decoded apart: the record's own, or (`item`) those of
    /// the item at this position of the record's `roles`.
    found: &'s RefCell<RecordClaims>,
    item: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for List<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> DeserializeSeed<'de> for Object<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The scalar `visit_*` methods shared by both visitors: the value as it is.
macro_rules! scalars {
    () => {
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_none<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
    };
}

impl<'de> Visitor<'de> for List<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Object {
            spec: self.spec,
            secrets: self.secrets,
            found: self.found,
            item: Some(items.len()),
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom("duplicate key"));
            }
            let value = map.next_value::<super::strict::Strict>()?.0;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

impl<'de> Visitor<'de> for Object<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        // Sized for every kept member at once: most records have them all.
        let mut out = Map::with_capacity(self.spec.members.len());
        // A key written twice is an error of the full parse (which names the object): give up
        // here so it runs. Ignored members are tracked too.
        // Keys are borrowed from the record (owned only when kept): most are skipped.
        let mut seen = SeenKeys::default();
        while let Some(key) = map.next_key_seed(Key)? {
            let child = self.spec.get(&key);
            if seen.repeated(key.clone()) {
                return Err(serde::de::Error::custom("duplicate key"));
            }
            match child {
                None => {
                    if super::secrets::is_secret_name(&key) {
                        self.secrets.borrow_mut().insert(key.into_owned());
                    }
                    map.next_value_seed(Skip {
                        secrets: self.secrets,
                    })?;
                }
                Some(Child::Whole) => {
                    let value = map.next_value::<super::strict::Strict>()?.0;
                    out.insert(key.into_owned(), value);
                }
                Some(Child::Claims) => {
                    if let Some(claims) = map.next_value_seed(ClaimList {
                        secrets: self.secrets,
                    })? {
                        let mut found = self.found.borrow_mut();
                        match self.item {
                            None => found.own = Some(claims),
                            Some(at) => found.items.push((at, claims)),
                        }
                    }
                }
                Some(Child::Items(spec)) => {
                    let value = map.next_value_seed(List {
                        spec,
                        secrets: self.secrets,
                        found: self.found,
                    })?;
                    out.insert(key.into_owned(), value);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// Skips a value without building it, but refuses a key written twice in any object inside it, as
/// the full parse does: a member `check` does not read is still held to the same rules, so a file
/// is never accepted by one command and refused by another.
#[derive(Clone, Copy)]
struct Skip<'s> {
    /// Where the names of secret-looking members are added (the values are never read).
    secrets: &'s RefCell<BTreeSet<String>>,
}

/// Objects up to this many members are checked for repeated keys by a linear search; larger ones
/// by a hash set, so a hostile object of a million members costs no more than parsing it.
const LINEAR_KEYS: usize = 16;

/// The keys of one object read so far, to find one written twice.
struct SeenKeys<K> {
    few: Vec<K>,
    many: HashSet<K, foldhash::fast::RandomState>,
}

impl<K> Default for SeenKeys<K> {
    fn default() -> Self {
        Self {
            few: Vec::new(),
            many: HashSet::default(),
        }
    }
}

impl<K: Eq + std::hash::Hash> SeenKeys<K> {
    /// Records `key`; true when it was seen already.
    fn repeated(&mut self, key: K) -> bool {
        if self.many.is_empty() && self.few.len() < LINEAR_KEYS {
            let repeated = self.few.contains(&key);
            self.few.push(key);
            repeated
        } else {
            self.many.extend(self.few.drain(..));
            !self.many.insert(key)
        }
    }
}

impl<'de> DeserializeSeed<'de> for Skip<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = SeenKeys::default();
        while let Some(key) = map.next_key_seed(Key)? {
            if super::secrets::is_secret_name(&key) {
                self.secrets.borrow_mut().insert(key.clone().into_owned());
            }
            if seen.repeated(key) {
                return Err(serde::de::Error::custom("duplicate key"));
            }
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Decodes a `claims` member into `(type, value)` pairs as it is read ([`super::normalise::claim_pair`]
/// on each item), never building its JSON: `None` when it is not an array (as for the JSON read).
/// Whatever is skipped is held to the rules of [`Skip`].
#[derive(Clone, Copy)]
struct ClaimList<'s> {
    secrets: &'s RefCell<BTreeSet<String>>,
}

/// One item of a claim list: a pair when it is an object with a string `type` and a `value`
/// that is not null.
#[derive(Clone, Copy)]
struct ClaimItem<'s> {
    secrets: &'s RefCell<BTreeSet<String>>,
}

impl<'de> DeserializeSeed<'de> for ClaimList<'_> {
    type Value = Option<Claims>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> DeserializeSeed<'de> for ClaimItem<'_> {
    type Value = Option<(String, String)>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The `visit_*` methods of a value that is not what is decoded: `None`, the value checked by
/// [`Skip`] as the JSON read would.
macro_rules! not_decoded {
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    };
}

impl<'de> Visitor<'de> for ClaimList<'_> {
    type Value = Option<Claims>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of claims")
    }

    not_decoded!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Claims::default();
        while let Some(item) = seq.next_element_seed(ClaimItem {
            secrets: self.secrets,
        })? {
            if let Some((kind, value)) = item
                && !pairs.push(&kind, &value)
            {
                return Err(serde::de::Error::custom("claims too large"));
            }
        }
        Ok(Some(pairs.distinct()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Skip {
            secrets: self.secrets,
        }
        .visit_map(map)
        .map(|()| None)
    }
}

impl<'de> Visitor<'de> for ClaimItem<'_> {
    type Value = Option<(String, String)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a claim")
    }

    not_decoded!();

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip {
            secrets: self.secrets,
        }
        .visit_seq(seq)
        .map(|()| None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut kind, mut value) = (None, None);
        let mut seen = SeenKeys::default();
        while let Some(key) = map.next_key_seed(Key)? {
            if super::secrets::is_secret_name(&key) {
                self.secrets.borrow_mut().insert(key.clone().into_owned());
            }
            let slot = match key.as_ref() {
                "type" => Some(&mut kind),
                "value" => Some(&mut value),
                _ => None,
            };
            if seen.repeated(key) {
                return Err(serde::de::Error::custom("duplicate key"));
            }
            match slot {
                Some(slot) => {
                    let mut read = map.next_value::<super::strict::Strict>()?.0;
                    // As the JSON read strips them before decoding: a secret-looking member
                    // inside a value is removed, and named.
                    self.secrets
                        .borrow_mut()
                        .extend(super::secrets::strip(&mut read));
                    *slot = Some(read);
                }
                None => map.next_value_seed(Skip {
                    secrets: self.secrets,
                })?,
            }
        }
        Ok(super::normalise::claim_pair(kind.as_ref(), value.as_ref()))
    }
}
