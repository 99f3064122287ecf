//! The typed tenant model: what the engine reasons about.
//!
//! Owns: agents, teams, roles and applications as halo-audit understands them, and for each agent
//! the *effective* value of every catalog permission with the chain of sources that decided it.
//! Built only by `snapshot::normalise`; pure data, no I/O, no knowledge of JSON or YAML.

use std::sync::Arc;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::catalog::Confidence;

/// The values [`Permissions::share`] shares, by equality. Hashed with `foldhash` (the map is
/// private to one read, its keys are the tool's own values): most of an agent's values are
/// looked up here, and SipHash made that a tenth of reading a snapshot.
pub type SharePool = std::collections::HashSet<Arc<Effective>, foldhash::fast::RandomState>;

/// A known value of a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A yes/no setting.
    Flag(bool),
    /// A position in the permission's level list (`PermissionDef::levels`), which is lowest first
    /// in an order consistent with the privilege order; compare levels with
    /// `PermissionDef::compare`, which knows the levels that are not comparable.
    Level(usize),
}

/// Who contributed a value to an agent's effective permission.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// The agent's own setting.
    Agent,
    /// A role the agent holds.
    Role { id: String, name: String },
    /// Computed from the tenant's structure.
    Structure,
}

/// One contribution to an effective permission.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Contribution {
    pub origin: Origin,
    /// Where it was read, e.g. `claim feature.customers = "2"` or `field is_admin = true`.
    pub evidence: String,
    pub value: Value,
    pub confidence: Confidence,
}

/// The effective value of one permission for one agent: the highest of every known contribution.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Effective {
    /// Highest known value; `None` when no contribution is known.
    pub value: Option<Value>,
    /// Every known contribution, agent first, then roles by name.
    pub contributions: Vec<Contribution>,
    /// Why the value may be incomplete: each reason names something that could not be read.
    /// When non-empty, `value` is only a lower bound.
    pub unknown: Vec<String>,
    /// Other highest levels that are not comparable with `value` (Timesheets: Read Only from one
    /// role, Read and Modify (Own) from another): the agent has each of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Value>,
    /// What a reader should know about how the value was read (two sources disagreeing, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Effective {
    /// The effective value when every contribution is known.
    #[must_use]
    pub fn exact(&self) -> Option<Value> {
        if self.unknown.is_empty() {
            self.value
        } else {
            None
        }
    }

    /// The contribution that decided the value (the first with the highest value).
    #[must_use]
    pub fn decisive(&self) -> Option<&Contribution> {
        let value = self.value?;
        self.contributions.iter().find(|c| c.value == value)
    }

    /// The weakest confidence among the contributions that reach the effective value.
    #[must_use]
    pub fn confidence(&self) -> Confidence {
        self.decisive()
            .map_or(Confidence::Assumed, |c| c.confidence)
    }

    pub(crate) fn add(&mut self, contribution: Contribution) {
        if self.value.is_none_or(|v| contribution.value > v) {
            self.value = Some(contribution.value);
        }
        self.contributions.push(contribution);
    }

    /// The highest values: `value` and its `alternatives`.
    pub fn maxima(&self) -> impl Iterator<Item = Value> + '_ {
        self.value
            .into_iter()
            .chain(self.alternatives.iter().copied())
    }

    /// Recomputes `value` and `alternatives` under a permission's privilege order, which may leave
    /// some levels not comparable: the maximal contributions are every value no other contribution
    /// is above; `value` is the one listed last on the scale, `alternatives` the others.
    pub(crate) fn settle(&mut self, perm: &crate::catalog::PermissionDef) {
        use std::cmp::Ordering;
        let mut maxima: Vec<Value> = Vec::new();
        for c in &self.contributions {
            let above = |other: &Value| match (c.value, *other) {
                (Value::Level(a), Value::Level(b)) => perm.compare(a, b) == Some(Ordering::Less),
                (a, b) => a < b,
            };
            if !self.contributions.iter().any(|o| above(&o.value)) && !maxima.contains(&c.value) {
                maxima.push(c.value);
            }
        }
        maxima.sort();
        self.value = maxima.pop();
        self.alternatives = maxima;
    }
}

/// A team membership of an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub team_id: Option<i64>,
    pub team_name: String,
    /// The role the membership came from, when Halo says so.
    pub via_role: Option<String>,
    pub unassigned_access: Option<bool>,
    pub otheragent_access: Option<bool>,
}

/// A reference from an agent to a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleRef {
    pub id: String,
    pub name: String,
}

/// A claim the catalog does not understand.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UnknownClaim {
    /// `agent 12 (Ava Admin)` or `role 5b1c… (Billing)`.
    pub holder: String,
    pub claim_type: String,
    pub value: String,
    /// Why it is not understood: an unknown type, or a value outside the encoding.
    pub reason: String,
}

/// A HaloPSA agent.
#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub enabled: Option<bool>,
    pub api_only: Option<bool>,
    pub admin: Option<bool>,
    /// Halo's own second factor (`twofactor_enabled`); `None` when the snapshot does not say.
    pub two_factor: Option<bool>,
    /// Signs in through the identity provider (`useadlogin`, SSO); `None` when not said.
    pub sso: Option<bool>,
    /// The last web sign-in as Halo wrote it (`lastlogindate`); `None` when absent, empty or
    /// Halo's "never" date.
    pub last_login: Option<String>,
    pub default_team: Option<String>,
    /// `None` when the snapshot does not say.
    pub roles: Option<Vec<RoleRef>>,
    pub teams: Option<Vec<Membership>>,
    /// The agent's own raw claims `(type, value)`; `None` when the snapshot does not carry them.
    pub claims: Option<Claims>,
    /// Effective value of every catalog agent permission, by canonical key.
    pub permissions: Permissions,
}

impl Agent {
    /// The effective permission for a canonical key (an empty, unknown one if absent).
    #[must_use]
    pub fn permission(&self, key: &str) -> Option<&Effective> {
        self.permissions.get(key)
    }
}

/// An agent's effective permissions by canonical key.
///
/// A large tenant has tens of thousands of agents with dozens of permissions each, and most of
/// those values are the same for many agents (no claim for the feature, `is_admin = false`, ...).
/// So the key list is shared by every agent of a tenant and each value is shared wherever it is
/// identical: an agent costs a pointer per permission plus what is its own.
#[derive(Debug, Clone, Default)]
pub struct Permissions {
    /// Ascending canonical keys, the same list for every agent of a tenant.
    keys: Arc<[String]>,
    /// `values[i]` belongs to `keys[i]`.
    values: Box<[Arc<Effective>]>,
}

impl Permissions {
    /// Pairs a sorted key list with one value per key.
    ///
    /// # Panics
    /// When the lengths differ or the keys are not strictly ascending: a bug in the caller.
    #[must_use]
    pub fn new(keys: Arc<[String]>, values: Vec<Arc<Effective>>) -> Self {
        assert_eq!(keys.len(), values.len(), "one value per permission key");
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "permission keys must be strictly ascending"
        );
        Self {
            keys,
            values: values.into_boxed_slice(),
        }
    }

    /// The effective value of one permission.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Effective> {
        let index = self.keys.binary_search_by(|k| k.as_str().cmp(key)).ok()?;
        self.values.get(index).map(|v| &**v)
    }

    /// Every permission in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Effective)> {
        self.keys
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().map(|v| &**v))
    }

    /// Shares each value with an equal one already in `pool` (else adds it there): agents that hold
    /// the same roles have many equal values, and a large tenant then holds each once.
    pub fn share(&mut self, pool: &mut SharePool) {
        // A value shared already is one built once per tenant: no need to look it up.
        for value in self.values.iter_mut().filter(|v| Arc::strong_count(v) == 1) {
            match pool.get(value) {
                Some(same) => *value = Arc::clone(same),
                None => {
                    pool.insert(Arc::clone(value));
                }
            }
        }
    }

    /// The number of permissions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the agent has no permission entries at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl PartialEq for Permissions {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Permissions {}

/// Serialised as a map in key order, like the `BTreeMap` it stands for.
impl Serialize for Permissions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// A HaloPSA team.
#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub inactive: bool,
}

/// A holder's raw claims: `(type, value)` pairs, each once, in the order first met.
///
/// Kept as one text with the places where each type and value ends, not as a pair of `String`s
/// each: a role may carry a million claims, and two `String`s cost about 112 bytes where the
/// snapshot spends about 35 (this costs the text itself and 8 bytes a claim).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// Every type and value, one after the other.
    text: String,
    /// For each claim, where its type ends and where its value ends in `text`.
    ends: Vec<(u32, u32)>,
}

impl Claims {
    /// Adds a claim at the end (repeats included: see [`Claims::distinct`]); `false` when the
    /// text would pass 4 GiB (no snapshot accepted comes near: the input is at most 1 GiB).
    pub fn push(&mut self, kind: &str, value: &str) -> bool {
        let Some(kind_end) = self
            .text
            .len()
            .checked_add(kind.len())
            .and_then(|e| u32::try_from(e).ok())
        else {
            return false;
        };
        let Some(value_end) = u32::try_from(u64::from(kind_end) + value.len() as u64).ok() else {
            return false;
        };
        self.text.push_str(kind);
        self.text.push_str(value);
        self.ends.push((kind_end, value_end));
        true
    }

    /// The number of claims.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no claim.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The claim at `at`: `(type, value)`.
    #[must_use]
    pub fn get(&self, at: usize) -> Option<(&str, &str)> {
        let &(kind_end, value_end) = self.ends.get(at)?;
        let start = match at.checked_sub(1) {
            Some(before) => self.ends.get(before).map_or(0, |&(_, end)| end as usize),
            None => 0,
        };
        Some((
            self.text.get(start..kind_end as usize)?,
            self.text.get(kind_end as usize..value_end as usize)?,
        ))
    }

    /// The claims `(type, value)` in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + Clone + '_ {
        (0..self.len()).map(|at| self.get(at).unwrap_or_default())
    }

    /// The claims without repeats (the first of each kept, in order): a claim said twice says
    /// nothing more, and is decoded once. The text is compacted in place.
    #[must_use]
    pub fn distinct(mut self) -> Self {
        if self.len() >= 2 {
            let mut order: Vec<u32> = (0..u32::try_from(self.len()).unwrap_or(u32::MAX)).collect();
            order.sort_by(|&a, &b| {
                self.get(a as usize)
                    .cmp(&self.get(b as usize))
                    .then(a.cmp(&b))
            });
            let mut keep = vec![true; self.len()];
            for pair in order.windows(2) {
                if let [a, b] = *pair
                    && self.get(a as usize) == self.get(b as usize)
                    && let Some(k) = keep.get_mut(b as usize)
                {
                    *k = false;
                }
            }
            drop(order);
            if keep.contains(&false) {
                let mut bytes = std::mem::take(&mut self.text).into_bytes();
                let ends = std::mem::take(&mut self.ends);
                let (mut start, mut written) = (0usize, 0usize);
                for (&(kind_end, value_end), keep) in ends.iter().zip(keep) {
                    let (kind_end, value_end) = (kind_end as usize, value_end as usize);
                    if keep {
                        bytes.copy_within(start..value_end, written);
                        let shift = start - written;
                        written += value_end - start;
                        // Both fit: they are no larger than the ends they come from.
                        self.ends.push((
                            u32::try_from(kind_end - shift).unwrap_or(u32::MAX),
                            u32::try_from(written).unwrap_or(u32::MAX),
                        ));
                    }
                    start = value_end;
                }
                bytes.truncate(written);
                // Whole claims were moved, each a type and a value cut at character boundaries.
                self.text = String::from_utf8(bytes).unwrap_or_default();
            }
        }
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        self
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Claims {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut claims = Self::default();
        for (kind, value) in iter {
            if !claims.push(kind.as_ref(), value.as_ref()) {
                break;
            }
        }
        claims
    }
}

impl Serialize for Claims {
    /// As a list of `[type, value]` pairs.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// A HaloPSA role.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub is_integration: Option<bool>,
    /// Raw claims `(type, value)`; `None` when the snapshot does not carry them.
    pub claims: Option<Claims>,
}

/// A HaloPSA API application.
#[derive(Debug, Clone, Serialize)]
pub struct Application {
    pub id: String,
    pub client_id: Option<String>,
    pub name: String,
    pub active: Option<bool>,
    pub login_agent_id: Option<i64>,
    pub login_agent_name: Option<String>,
    /// Scope names; `None` when the snapshot does not carry them.
    pub scopes: Option<Vec<String>>,
    pub system: bool,
}

/// An endpoint that could not be read during the fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub endpoint: String,
    pub status: Option<u16>,
    pub reason: String,
    pub detail: Option<String>,
}

/// What the tenant model knows about where it came from.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Provenance {
    pub instance: Option<String>,
    pub tenant: Option<String>,
    pub fetched_at: Option<String>,
    /// `all` or `integrations`.
    pub scope: Option<String>,
    pub gaps: Vec<Gap>,
}

/// A normalised tenant. Collections are `None` when the snapshot did not include them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tenant {
    pub provenance: Provenance,
    pub agents: Option<Vec<Agent>>,
    pub teams: Option<Vec<Team>>,
    pub roles: Option<Vec<Role>>,
    pub applications: Option<Vec<Application>>,
    /// Claims that were not understood, sorted: every holder of the first 10,000 types and
    /// values met (`unknown_claims_cut` when there were more).
    pub unknown_claims: Vec<UnknownClaim>,
    /// True when more types and values were not understood than `unknown_claims` lists.
    pub unknown_claims_cut: bool,
    /// True when at least one claim anywhere matched the catalog (so the claim encoding is in use).
    pub claims_recognised: bool,
    /// Problems met while normalising (duplicate ids, odd types), for `snapshot show -v`.
    pub notes: Vec<String>,
}

impl Tenant {
    /// The agent with this id (agents are kept sorted by id).
    #[must_use]
    pub fn agent(&self, id: i64) -> Option<&Agent> {
        let agents = self.agents.as_ref()?;
        agents
            .binary_search_by_key(&id, |a| a.id)
            .ok()
            .and_then(|i| agents.get(i))
    }

    /// Every agent (empty when not fetched).
    #[must_use]
    pub fn agents(&self) -> &[Agent] {
        self.agents.as_deref().unwrap_or_default()
    }

    /// Every application (empty when not fetched).
    #[must_use]
    pub fn applications(&self) -> &[Application] {
        self.applications.as_deref().unwrap_or_default()
    }

    /// Every team (empty when not fetched).
    #[must_use]
    pub fn teams(&self) -> &[Team] {
        self.teams.as_deref().unwrap_or_default()
    }

    /// Every role (empty when not fetched).
    #[must_use]
    pub fn roles(&self) -> &[Role] {
        self.roles.as_deref().unwrap_or_default()
    }

    /// The gap recorded for an endpoint whose path starts with `prefix`, if any.
    #[must_use]
    pub fn gap(&self, prefix: &str) -> Option<&Gap> {
        self.provenance
            .gaps
            .iter()
            .find(|g| g.endpoint.starts_with(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(on: bool) -> Arc<Effective> {
        let mut e = Effective::default();
        e.add(Contribution {
            origin: Origin::Agent,
            evidence: format!("field x = {on}"),
            value: Value::Flag(on),
            confidence: Confidence::Confirmed,
        });
        Arc::new(e)
    }

    #[test]
    fn permissions_are_found_by_key_iterated_in_order_and_serialised_as_a_map() {
        let keys: Arc<[String]> = ["a.one", "b.two", "c.three"]
            .map(str::to_owned)
            .into_iter()
            .collect();
        let shared = flag(true);
        let p = Permissions::new(
            Arc::clone(&keys),
            vec![Arc::clone(&shared), flag(false), shared],
        );
        assert_eq!(
            p.get("b.two").and_then(|e| e.value),
            Some(Value::Flag(false))
        );
        assert_eq!(
            p.get("c.three").and_then(|e| e.value),
            Some(Value::Flag(true))
        );
        assert!(p.get("b").is_none() && p.get("d.four").is_none());
        let order: Vec<&str> = p.iter().map(|(k, _)| k).collect();
        assert_eq!(order, ["a.one", "b.two", "c.three"]);
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.starts_with(r#"{"a.one":{"value":true"#), "{json}");
        // Equal by content, whatever is shared.
        let q = Permissions::new(keys, vec![flag(true), flag(false), flag(true)]);
        assert_eq!(p, q);
    }

    #[test]
    #[should_panic(expected = "strictly ascending")]
    fn unsorted_keys_are_a_bug() {
        let keys: Arc<[String]> = ["b", "a"].map(str::to_owned).into_iter().collect();
        let _ = Permissions::new(keys, vec![flag(true), flag(false)]);
    }

    #[test]
    fn claims_keep_their_pairs_in_order_and_drop_repeats_in_place() {
        let pairs = [
            ("Xx", "2"),
            ("é", "ü✓"),
            ("Xx", "2"),
            ("", ""),
            ("X", "x2"),
            ("é", "ü✓"),
            ("", ""),
            ("Xx", "3"),
        ];
        let claims: Claims = pairs.iter().copied().collect();
        assert_eq!(claims.len(), 8);
        assert_eq!(claims.iter().collect::<Vec<_>>(), pairs);
        assert_eq!(claims.get(8), None);
        let distinct = claims.distinct();
        // `X`+`x2` and `Xx`+`2` share their text but are different claims.
        assert_eq!(
            distinct.iter().collect::<Vec<_>>(),
            [("Xx", "2"), ("é", "ü✓"), ("", ""), ("X", "x2"), ("Xx", "3")]
        );
        assert_eq!(
            serde_json::to_value(&distinct).unwrap(),
            serde_json::json!([["Xx", "2"], ["é", "ü✓"], ["", ""], ["X", "x2"], ["Xx", "3"]])
        );
        let none: Claims = Vec::<(String, String)>::new().into_iter().collect();
        assert!(none.clone().distinct().is_empty());
        assert_eq!(none.iter().count(), 0);
    }
}
