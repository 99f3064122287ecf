//! The HaloPSA permission vocabulary, loaded from the data file `catalog/permissions.yaml`.
//!
//! Owns: canonical permission keys, Halo UI labels and aliases, the ordered levels of each feature,
//! the scope list and the scope lattice, and the (assumed) encoding of claims. Everything Halo-specific
//! about *names* lives in the data file, not in match arms; this module only indexes it and answers
//! look-ups. It must not read snapshots or rules, and does no I/O beyond parsing the embedded file.
//! A user's catalog overlay is read and applied by `ruleset::overlay`, with the rule files' YAML
//! reader.
//! The reference tables of `docs/permissions.md` are generated in `markdown`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

mod markdown;

/// The catalog shipped inside the binary.
const EMBEDDED: &str = include_str!("../catalog/permissions.yaml");

/// How sure the project is of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Inferred (the catalog writes `inferred` or `assumed`); findings resting on it say so.
    #[serde(alias = "inferred")]
    Assumed,
    /// Decoded from Halo's own database by public third-party tooling (the entry cites it).
    Observed,
    /// Confirmed by a cited primary or code source.
    Confirmed,
}

impl Confidence {
    /// The weaker of two confidences.
    #[must_use]
    pub fn min(self, other: Self) -> Self {
        if self <= other { self } else { other }
    }

    /// `confirmed`, `observed` or `assumed`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assumed => "assumed",
            Self::Observed => "observed",
            Self::Confirmed => "confirmed",
        }
    }
}

/// Whether a permission is a yes/no flag or an ordered level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Flag,
    Level,
}

/// Where the normaliser reads a permission from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A boolean field of the agent object.
    Field(String),
    /// The negation of a boolean field.
    FieldNegated(String),
    /// A claim on the agent or one of its roles, by Halo's claim type code (case-sensitive).
    Claim(String),
    /// Computed from the tenant's structure.
    Derived(Derived),
    /// Halo has the setting but no source says where the API carries it: always unknown.
    Unknown(String),
}

/// The closed set of structural computations the normaliser knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derived {
    AllTeams,
    AnyTeam,
    /// Member of at least one department (`departments[]`).
    AnyDepartment,
    /// A department membership at View All or above (`departments[].membershiplevel`, of which
    /// only 2 = Modify All is known).
    DepartmentViewAll,
    /// Every active-team membership has `unassigned_access`.
    MembershipsSeeUnassigned,
    /// Every active-team membership has `otheragent_access`.
    MembershipsSeeOtherAgents,
    DefaultTeam,
    HasRoles,
    NoClientRestriction,
    NoTicketTypeRestriction,
    NoAssetTypeRestriction,
    NoAssetFieldRestriction,
}

/// One level of the shared vocabulary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelDef {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A table from claim value to what it reads as, in the order written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValueTable(pub Vec<(String, String)>);

impl ValueTable {
    /// What `raw` reads as (exact match).
    #[must_use]
    pub fn get(&self, raw: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(v, _)| v == raw)
            .map(|(_, to)| to.as_str())
    }
}

impl<'de> Deserialize<'de> for ValueTable {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ValueTable;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a mapping from claim value to level (or yes/no)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ValueTable, A::Error> {
                let mut out: Vec<(String, String)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    if out.iter().any(|(seen, _)| *seen == k) {
                        return Err(serde::de::Error::custom(format!(
                            "claim value `{k}` listed twice"
                        )));
                    }
                    out.push((k, v));
                }
                Ok(ValueTable(out))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// A scale: how a claim's value reads, and the privilege order of the levels it reads as.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleDef {
    pub key: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Claim value → level key (or `yes` / `no` for a yes/no scale).
    pub values: ValueTable,
    /// Chains `a < b < c`; levels no chain connects are not comparable.
    #[serde(default)]
    pub order: Vec<String>,
    /// Values seen in real data whose level no source names, with what is known of them: still
    /// unverifiable, with this as the reason.
    #[serde(default)]
    pub undecoded: ValueTable,
    pub confidence: Confidence,
    #[serde(default)]
    pub cite: Option<String>,
}

/// A claim type Halo uses that carries nothing halo-audit audits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InformationalClaim {
    #[serde(rename = "type")]
    pub claim_type: String,
    #[serde(default)]
    pub legacy: Vec<String>,
    pub meaning: String,
    /// Seen in real data or the decoders, but what it means is not known: listed by `snapshot
    /// show` as undecoded rather than passed over.
    #[serde(default)]
    pub undecoded: bool,
}

/// One agent permission (flag or level).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionDef {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub kind: Kind,
    pub section: String,
    pub source: Source,
    /// Older long names of the same claim (`Ticket_Level` for `Tx`), matched like the code.
    #[serde(default)]
    pub legacy_claims: Vec<String>,
    /// A boolean agent field that says the same as the claim; the wider of the two wins.
    #[serde(default)]
    pub also_field: Option<String>,
    /// A structural reading used when no claim is carried (an assumption).
    #[serde(default)]
    pub fallback: Option<Source>,
    /// The scale (value table and order) of a claim or level permission.
    #[serde(default)]
    pub scale: Option<String>,
    pub confidence: Confidence,
    /// For `observed`: the key of the catalog's `sources` entry that says so.
    #[serde(default)]
    pub cite: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// Set when Halo enforces the setting in its web UI only, not through the API: why. Findings
    /// that rely on it say that it does not limit an integration.
    #[serde(default)]
    pub ui_only: Option<String>,
    /// Level keys, lowest first in an order consistent with the privilege order (from the scale).
    #[serde(skip_deserializing)]
    pub levels: Vec<String>,
    /// `le[a][b]`: level `a` is at most level `b` in the privilege order (from the scale).
    #[serde(skip)]
    pub le: Vec<Vec<bool>>,
    /// The claim value table of this permission (from its scale, or a catalog overlay).
    #[serde(skip)]
    pub values: ValueTable,
    /// Values seen in real data whose level no source names (from the scale), with what is known.
    #[serde(skip)]
    pub undecoded: ValueTable,
    /// Set when a user's catalog overlay defined or changed this entry: where.
    #[serde(skip_deserializing)]
    pub user_source: Option<String>,
}

impl PermissionDef {
    /// A permission built in code (not from the catalog file).
    #[must_use]
    pub fn synthetic(
        key: String,
        label: String,
        kind: Kind,
        section: &str,
        source: Source,
    ) -> Self {
        Self {
            key,
            label,
            aliases: Vec::new(),
            kind,
            section: section.to_owned(),
            source,
            legacy_claims: Vec::new(),
            also_field: None,
            fallback: None,
            scale: None,
            confidence: Confidence::Confirmed,
            cite: None,
            note: None,
            ui_only: None,
            levels: Vec::new(),
            le: Vec::new(),
            values: ValueTable::default(),
            undecoded: ValueTable::default(),
            user_source: None,
        }
    }

    /// How level `a` compares with level `b` in the privilege order; `None` when neither is at
    /// most the other (or either is not a level of this permission).
    #[must_use]
    pub fn compare(&self, a: usize, b: usize) -> Option<std::cmp::Ordering> {
        use std::cmp::Ordering;
        if a == b {
            return (a < self.levels.len()).then_some(Ordering::Equal);
        }
        let le = |x: usize, y: usize| self.le.get(x).and_then(|r| r.get(y)).copied() == Some(true);
        if le(a, b) {
            Some(Ordering::Less)
        } else if le(b, a) {
            Some(Ordering::Greater)
        } else {
            None
        }
    }

    /// True when the levels are totally ordered.
    #[must_use]
    pub fn is_total(&self) -> bool {
        (0..self.levels.len()).all(|a| (0..self.levels.len()).all(|b| self.compare(a, b).is_some()))
    }

    /// The claim types (code and legacy names) this permission is read from.
    pub fn claim_types(&self) -> impl Iterator<Item = &str> {
        let code = match &self.source {
            Source::Claim(c) => Some(c.as_str()),
            _ => None,
        };
        code.into_iter()
            .chain(self.legacy_claims.iter().map(String::as_str))
    }

    /// Why a claim value the table does not list cannot be read: what is known of it when it was
    /// seen in real data, else the levels Halo offers whose number no source gives.
    #[must_use]
    pub fn undecoded_reason(&self, raw: &str, catalog: &Catalog) -> Option<String> {
        if let Some(known) = self.undecoded.get(raw.trim()) {
            return Some(known.to_owned());
        }
        let numbered: BTreeSet<&str> = self.values.0.iter().map(|(_, to)| to.as_str()).collect();
        let unnumbered: Vec<String> = self
            .levels
            .iter()
            .filter(|l| !numbered.contains(l.as_str()))
            .map(|l| {
                catalog
                    .level(l)
                    .map_or_else(|| l.clone(), |d| d.label.clone())
            })
            .collect();
        (!unnumbered.is_empty()).then(|| {
            format!(
                "it may be one of the levels whose number no source gives ({}); halo-audit does not guess which",
                unnumbered.join("; ")
            )
        })
    }
}

/// One API application scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeDef {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    /// `umbrella` for scopes that stand for many others (`all`, `all:standard`).
    #[serde(default)]
    pub kind: Option<String>,
}

/// One edge of the scope lattice.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Implication {
    /// A scope name, or a prefix pattern ending in `*` whose match is captured as `$1`.
    pub grant: String,
    /// Exact names, prefix patterns ending in `*`, or templates using `$1`.
    pub implies: Vec<String>,
    pub confidence: Confidence,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    version: u32,
    #[serde(default)]
    sources: BTreeMap<String, String>,
    levels: Vec<LevelDef>,
    scales: Vec<ScaleDef>,
    #[serde(default)]
    informational_claims: Vec<InformationalClaim>,
    permissions: Vec<PermissionDef>,
    scopes: Vec<ScopeDef>,
    scope_lattice: Vec<Implication>,
}

/// A problem with the catalog data file itself (a build defect, caught by the test suite).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CatalogError {
    #[error("the permission catalog does not parse: {0}")]
    #[diagnostic(code(halo_audit::catalog::parse))]
    Parse(String),
    #[error("the permission catalog is inconsistent: {0}")]
    #[diagnostic(code(halo_audit::catalog::invalid))]
    Invalid(String),
}

/// What a rule's permission text resolves to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PermRef {
    /// An application scope, by its canonical name.
    Scope(String),
    /// An agent permission, by index into [`Catalog::permissions`].
    Agent(usize),
    /// Holding a role whose name matches this pattern (`*` matches any run of characters, case
    /// ignored): `role:TimeZest*`.
    Role(String),
}

/// How a held scope set grants a wanted scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeGrant {
    /// The chain from a held scope to the wanted one (first element is held).
    pub chain: Vec<String>,
    /// The weakest confidence along the chain (`Confirmed` for a direct grant).
    pub confidence: Confidence,
    /// Notes of the implications used.
    pub notes: Vec<String>,
}

impl ScopeGrant {
    /// True when the scope itself is held.
    #[must_use]
    pub fn is_direct(&self) -> bool {
        self.chain.len() == 1
    }
}

/// The loaded, indexed catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub version: u32,
    /// Where the observed facts come from, by the key entries `cite`.
    pub sources: BTreeMap<String, String>,
    pub levels: Vec<LevelDef>,
    pub scales: Vec<ScaleDef>,
    pub informational_claims: Vec<InformationalClaim>,
    pub permissions: Vec<PermissionDef>,
    pub scopes: Vec<ScopeDef>,
    pub scope_lattice: Vec<Implication>,
    by_name: BTreeMap<String, PermRef>,
    by_claim: BTreeMap<String, usize>,
    level_by_name: BTreeMap<String, String>,
    scope_names: BTreeSet<String>,
}

/// Folds a label for look-up: lower case, `&` spelled `and`, punctuation other than `:` `.` `(` `)`
/// dropped, runs of white space collapsed, spaces around `:` removed.
#[must_use]
pub fn fold(text: &str) -> String {
    let lower = text.trim().to_lowercase().replace('&', " and ");
    let mut out = String::with_capacity(lower.len());
    let mut space = false;
    for c in lower.chars() {
        if c.is_alphanumeric() || matches!(c, ':' | '.' | '(' | ')' | '_' | '*' | '/' | '+') {
            if space && !out.is_empty() && !out.ends_with(':') && c != ':' {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else if c.is_whitespace() || matches!(c, ',' | '-' | '\'' | '’') {
            space = true;
        }
    }
    out
}

impl Catalog {
    /// The catalog embedded in this build.
    ///
    /// # Errors
    /// Only if the embedded data file is broken, which the test suite rules out.
    pub fn builtin() -> Result<&'static Catalog, CatalogError> {
        static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
        CATALOG
            .get_or_init(|| Catalog::parse(EMBEDDED).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| CatalogError::Invalid(e.clone()))
    }

    /// Parses and indexes a catalog document.
    ///
    /// # Errors
    /// When the document does not parse or is inconsistent (duplicate keys, labels or claim types,
    /// unknown levels or scales, a scale whose order is cyclic or has no single lowest level).
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile =
            serde_saphyr::from_str(text).map_err(|e| CatalogError::Parse(e.to_string()))?;
        if file.version != 3 {
            return Err(CatalogError::Invalid(format!(
                "catalog version {} is not 3",
                file.version
            )));
        }
        let mut catalog = Catalog {
            version: file.version,
            sources: file.sources,
            levels: file.levels,
            scales: file.scales,
            informational_claims: file.informational_claims,
            permissions: file.permissions,
            scopes: file.scopes,
            scope_lattice: file.scope_lattice,
            by_name: BTreeMap::new(),
            by_claim: BTreeMap::new(),
            level_by_name: BTreeMap::new(),
            scope_names: BTreeSet::new(),
        };
        catalog.index()?;
        Ok(catalog)
    }

    /// Re-indexes after entries changed (a catalog overlay).
    pub(crate) fn reindex(&mut self) -> Result<(), CatalogError> {
        self.by_name.clear();
        self.by_claim.clear();
        self.level_by_name.clear();
        self.scope_names.clear();
        self.index()
    }

    fn index(&mut self) -> Result<(), CatalogError> {
        for level in &self.levels {
            for name in std::iter::once(&level.key)
                .chain(std::iter::once(&level.label))
                .chain(&level.aliases)
            {
                let folded = fold(name);
                if let Some(previous) = self.level_by_name.insert(folded, level.key.clone())
                    && previous != level.key
                {
                    return Err(CatalogError::Invalid(format!(
                        "level name `{name}` is used by both `{previous}` and `{}`",
                        level.key
                    )));
                }
            }
        }
        let mut scale_keys = BTreeSet::new();
        for scale in &self.scales {
            if !scale_keys.insert(scale.key.clone()) {
                return Err(CatalogError::Invalid(format!(
                    "scale `{}` listed twice",
                    scale.key
                )));
            }
            if let Some((raw, _)) = scale
                .undecoded
                .0
                .iter()
                .find(|(raw, _)| scale.values.get(raw).is_some())
            {
                return Err(CatalogError::Invalid(format!(
                    "scale `{}` lists value `{raw}` as both decoded and undecoded",
                    scale.key
                )));
            }
            if scale.confidence == Confidence::Observed
                && !scale
                    .cite
                    .as_ref()
                    .is_some_and(|c| self.sources.contains_key(c))
            {
                return Err(CatalogError::Invalid(format!(
                    "scale `{}` is observed but cites no listed source",
                    scale.key
                )));
            }
        }
        let scope_names: Vec<String> = self.scopes.iter().map(|s| s.name.clone()).collect();
        for name in scope_names {
            if !self.scope_names.insert(name.clone()) {
                return Err(CatalogError::Invalid(format!(
                    "scope `{name}` listed twice"
                )));
            }
            self.insert_name(&name, PermRef::Scope(name.clone()))?;
            self.insert_name(&format!("scope:{name}"), PermRef::Scope(name.clone()))?;
        }
        let mut keys = BTreeSet::new();
        let mut permissions = std::mem::take(&mut self.permissions);
        let result = permissions
            .iter_mut()
            .enumerate()
            .try_for_each(|(index, perm)| {
                if !keys.insert(perm.key.clone()) {
                    return Err(CatalogError::Invalid(format!(
                        "permission `{}` listed twice",
                        perm.key
                    )));
                }
                self.index_permission(index, perm)
            });
        self.permissions = permissions;
        result?;
        for info in &self.informational_claims {
            for claim in std::iter::once(&info.claim_type).chain(&info.legacy) {
                if self.by_claim.contains_key(claim) {
                    return Err(CatalogError::Invalid(format!(
                        "claim type `{claim}` is both informational and mapped"
                    )));
                }
            }
        }
        let names: Vec<(String, usize)> = self
            .permissions
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                std::iter::once(p.key.clone())
                    .chain(std::iter::once(p.label.clone()))
                    .chain(p.aliases.iter().cloned())
                    .map(move |n| (n, i))
            })
            .collect();
        for (name, index) in names {
            self.insert_name(&name, PermRef::Agent(index))?;
        }
        for rule in &self.scope_lattice {
            if !rule.grant.ends_with('*') && !self.scope_names.contains(&rule.grant) {
                return Err(CatalogError::Invalid(format!(
                    "scope_lattice grants from unknown scope `{}`",
                    rule.grant
                )));
            }
        }
        Ok(())
    }

    /// Checks one permission, fills its levels, order and value table from its scale, and
    /// indexes its claim types.
    fn index_permission(
        &mut self,
        index: usize,
        perm: &mut PermissionDef,
    ) -> Result<(), CatalogError> {
        let invalid = |message: String| CatalogError::Invalid(format!("`{}` {message}", perm.key));
        if perm.confidence == Confidence::Observed
            && perm.user_source.is_none()
            && !perm
                .cite
                .as_ref()
                .is_some_and(|c| self.sources.contains_key(c))
        {
            return Err(invalid("is observed but cites no listed source".into()));
        }
        let is_claim = matches!(perm.source, Source::Claim(_));
        if !is_claim && !perm.legacy_claims.is_empty() {
            return Err(invalid(
                "lists legacy claims but is not read from a claim".into(),
            ));
        }
        if let Some(fallback) = &perm.fallback
            && (!is_claim || !matches!(fallback, Source::Derived(_)))
        {
            return Err(invalid(
                "has a fallback: only a claim permission may, and only a derived one".into(),
            ));
        }
        if perm.also_field.is_some() && (!is_claim || perm.kind != Kind::Flag) {
            return Err(invalid(
                "has also_field: only a yes/no claim permission may".into(),
            ));
        }
        match (&perm.scale, perm.kind) {
            (None, Kind::Level) => {
                return Err(invalid("is a level permission without a scale".into()));
            }
            (None, Kind::Flag) if is_claim && perm.values.0.is_empty() => {
                return Err(invalid("is read from a claim but has no scale".into()));
            }
            (None, Kind::Flag) => {
                perm.levels.clear();
                perm.le.clear();
                if let Some((raw, to)) = perm
                    .values
                    .0
                    .iter()
                    .find(|(_, to)| to != "yes" && to != "no")
                {
                    return Err(invalid(format!(
                        "reads claim value `{raw}` as `{to}`, not yes/no"
                    )));
                }
            }
            (Some(name), kind) => {
                let scale = self
                    .scales
                    .iter()
                    .find(|s| &s.key == name)
                    .ok_or_else(|| invalid(format!("names unknown scale `{name}`")))?;
                let levels = scale_levels(scale, &self.levels)
                    .map_err(|m| CatalogError::Invalid(format!("scale `{name}`: {m}")))?;
                let flag_scale = scale
                    .values
                    .0
                    .iter()
                    .all(|(_, to)| to == "yes" || to == "no")
                    && levels.0.is_empty();
                match kind {
                    Kind::Flag if !flag_scale => {
                        return Err(invalid(format!("is yes/no but scale `{name}` has levels")));
                    }
                    Kind::Level if levels.0.len() < 2 => {
                        return Err(invalid(format!(
                            "is a level permission but scale `{name}` has fewer than two levels"
                        )));
                    }
                    _ => {}
                }
                if perm.values.0.is_empty() {
                    perm.values = scale.values.clone();
                }
                perm.undecoded = scale.undecoded.clone();
                for (raw, to) in &perm.values.0 {
                    let ok = match kind {
                        Kind::Flag => to == "yes" || to == "no",
                        Kind::Level => levels.0.contains(to),
                    };
                    if !ok {
                        return Err(invalid(format!(
                            "reads claim value `{raw}` as `{to}`, which is not on its scale"
                        )));
                    }
                }
                (perm.levels, perm.le) = levels;
            }
        }
        for claim in perm.claim_types() {
            if claim.trim().is_empty() || claim != claim.trim() {
                return Err(invalid(format!(
                    "has a blank or padded claim type `{claim}`"
                )));
            }
            if let Some(previous) = self.by_claim.insert(claim.to_owned(), index)
                && previous != index
            {
                return Err(CatalogError::Invalid(format!(
                    "claim type `{claim}` is mapped twice"
                )));
            }
        }
        Ok(())
    }

    fn insert_name(&mut self, name: &str, target: PermRef) -> Result<(), CatalogError> {
        let folded = fold(name);
        match self.by_name.get(&folded) {
            Some(existing) if existing != &target => Err(CatalogError::Invalid(format!(
                "name `{name}` refers to two permissions ({} and {})",
                self.describe(existing),
                self.describe(&target)
            ))),
            _ => {
                self.by_name.insert(folded, target);
                Ok(())
            }
        }
    }

    /// Resolves a canonical key, `scope:NAME`, a bare scope name or a UI label/alias.
    #[must_use]
    pub fn resolve(&self, text: &str) -> Option<PermRef> {
        if let Some(pattern) = text.trim().strip_prefix("role:") {
            let pattern = pattern.trim();
            return (!pattern.is_empty()).then(|| PermRef::Role(pattern.to_owned()));
        }
        let folded = fold(text);
        if let Some(found) = self.by_name.get(&folded) {
            return Some(found.clone());
        }
        // Vendor documents write scopes loosely: "Edit: sales", "Read:tickets".
        let compact: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
        self.by_name.get(&compact).cloned()
    }

    /// Names close to `text`, for a "did you mean" hint.
    #[must_use]
    pub fn suggest(&self, text: &str) -> Vec<String> {
        let folded = fold(text);
        let mut scored: Vec<(usize, String)> = self
            .by_name
            .iter()
            // The distance is at least the difference in length: names too far apart are not
            // measured (a hostile 8 MB "permission" would take hours against every name).
            .filter(|(name, _)| name.len().abs_diff(folded.len()) <= (folded.len() / 3).max(2))
            .map(|(name, target)| (edit_distance(&folded, name), self.canonical(target)))
            .filter(|(d, _)| *d <= (folded.len() / 3).max(2))
            .collect();
        scored.sort();
        let mut out: Vec<String> = Vec::new();
        for (_, name) in scored {
            if !out.contains(&name) {
                out.push(name);
            }
            if out.len() == 3 {
                break;
            }
        }
        out
    }

    /// The canonical key of a resolved permission (`scope:NAME` for scopes).
    #[must_use]
    pub fn canonical(&self, perm: &PermRef) -> String {
        match perm {
            PermRef::Scope(name) => format!("scope:{name}"),
            PermRef::Agent(i) => self
                .permissions
                .get(*i)
                .map_or_else(String::new, |p| p.key.clone()),
            PermRef::Role(pattern) => format!("role:{pattern}"),
        }
    }

    /// The UI label of a resolved permission.
    #[must_use]
    pub fn label(&self, perm: &PermRef) -> String {
        match perm {
            PermRef::Scope(name) => name.clone(),
            PermRef::Agent(i) => self
                .permissions
                .get(*i)
                .map_or_else(String::new, |p| p.label.clone()),
            PermRef::Role(pattern) => format!("Role {pattern}"),
        }
    }

    fn describe(&self, perm: &PermRef) -> String {
        self.canonical(perm)
    }

    /// The agent permission with this canonical key.
    #[must_use]
    pub fn permission(&self, key: &str) -> Option<(usize, &PermissionDef)> {
        self.permissions
            .iter()
            .enumerate()
            .find(|(_, p)| p.key == key)
    }

    /// The agent permission mapped from a claim type.
    #[must_use]
    pub fn by_claim(&self, claim_type: &str) -> Option<(usize, &PermissionDef)> {
        let index = *self.by_claim.get(claim_type)?;
        self.permissions.get(index).map(|p| (index, p))
    }

    /// True when `name` is a scope the catalog lists.
    #[must_use]
    pub fn is_scope(&self, name: &str) -> bool {
        self.scope_names.contains(name)
    }

    /// The level definition for a level key.
    #[must_use]
    pub fn level(&self, key: &str) -> Option<&LevelDef> {
        self.levels.iter().find(|l| l.key == key)
    }

    /// Resolves level text (key, label or alias) to its position in the permission's level list.
    #[must_use]
    pub fn resolve_level(&self, perm: &PermissionDef, text: &str) -> Option<usize> {
        let key = self.level_by_name.get(&fold(text))?;
        perm.levels.iter().position(|l| l == key)
    }

    /// Human label of a permission's level at `index`.
    #[must_use]
    pub fn level_label(&self, perm: &PermissionDef, index: usize) -> String {
        perm.levels
            .get(index)
            .and_then(|k| self.level(k))
            .map_or_else(|| format!("level #{index}"), |l| l.label.clone())
    }

    /// Reads a claim value for `perm` through its value table (exact, after trimming white
    /// space); `None` for a value the table does not list.
    #[must_use]
    pub fn claim_value(&self, perm: &PermissionDef, raw: &str) -> Option<ClaimValue> {
        let to = perm.values.get(raw.trim())?;
        match perm.kind {
            Kind::Flag => match to {
                "yes" => Some(ClaimValue::Flag(true)),
                "no" => Some(ClaimValue::Flag(false)),
                _ => None,
            },
            Kind::Level => perm
                .levels
                .iter()
                .position(|l| l == to)
                .map(ClaimValue::Level),
        }
    }

    /// The claim value that writes `value` for `perm` (the first the table lists for it).
    #[must_use]
    pub fn claim_raw(&self, perm: &PermissionDef, value: ClaimValue) -> Option<String> {
        let wanted = match value {
            ClaimValue::Flag(true) => "yes",
            ClaimValue::Flag(false) => "no",
            ClaimValue::Level(l) => perm.levels.get(l)?.as_str(),
        };
        perm.values
            .0
            .iter()
            .find(|(_, to)| to == wanted)
            .map(|(raw, _)| raw.clone())
    }

    /// A claim type Halo uses that carries nothing audited, by code or legacy name.
    #[must_use]
    pub fn informational(&self, claim_type: &str) -> Option<&InformationalClaim> {
        self.informational_claims
            .iter()
            .find(|i| i.claim_type == claim_type || i.legacy.iter().any(|l| l == claim_type))
    }

    /// A mapped claim type that differs from `claim_type` only in letter case (claim types are
    /// case-sensitive, so such a claim is not read; it is named in the reason instead).
    #[must_use]
    pub fn claim_case_twin(&self, claim_type: &str) -> Option<&str> {
        self.by_claim
            .keys()
            .find(|k| k.as_str() != claim_type && k.eq_ignore_ascii_case(claim_type))
            .map(String::as_str)
    }

    /// The description of a source the catalog cites.
    #[must_use]
    pub fn cited(&self, key: &str) -> Option<&str> {
        self.sources.get(key).map(String::as_str)
    }

    /// How the held scopes grant `wanted`, preferring confirmed and then shorter chains.
    #[must_use]
    pub fn scope_grant<'a, I>(&self, held: I, wanted: &str) -> Option<ScopeGrant>
    where
        I: IntoIterator<Item = &'a String>,
    {
        let held: Vec<&String> = held.into_iter().collect();
        if held.iter().any(|h| h.as_str() == wanted) {
            return Some(ScopeGrant {
                chain: vec![wanted.to_owned()],
                confidence: Confidence::Confirmed,
                notes: Vec::new(),
            });
        }
        let mut best: Option<ScopeGrant> = None;
        for start in held {
            // Breadth-first over implications; the lattice is tiny.
            let mut frontier = vec![ScopeGrant {
                chain: vec![start.clone()],
                confidence: Confidence::Confirmed,
                notes: Vec::new(),
            }];
            let mut seen = BTreeSet::from([start.clone()]);
            while let Some(path) = frontier.pop() {
                let Some(current) = path.chain.last().cloned() else {
                    continue;
                };
                for rule in &self.scope_lattice {
                    let Some(capture) = match_pattern(&rule.grant, &current) else {
                        continue;
                    };
                    for target in &rule.implies {
                        let target = target.replace("$1", &capture);
                        let mut next = path.clone();
                        next.confidence = next.confidence.min(rule.confidence);
                        if let Some(note) = &rule.note {
                            next.notes.push(note.clone());
                        }
                        if match_pattern(&target, wanted).is_some() {
                            next.chain.push(wanted.to_owned());
                            if better(&next, best.as_ref()) {
                                best = Some(next);
                            }
                        } else if !target.contains('*') && seen.insert(target.clone()) {
                            next.chain.push(target);
                            frontier.push(next);
                        }
                    }
                }
            }
        }
        best
    }

    /// Every scope (of the catalog's list) implied by holding `held`, excluding itself.
    #[must_use]
    pub fn implied_scopes(&self, held: &str) -> Vec<String> {
        let one = [held.to_owned()];
        self.scopes
            .iter()
            .filter(|s| s.name != held && self.scope_grant(one.iter(), &s.name).is_some())
            .map(|s| s.name.clone())
            .collect()
    }
}

fn better(candidate: &ScopeGrant, best: Option<&ScopeGrant>) -> bool {
    match best {
        None => true,
        Some(b) => {
            (
                candidate.confidence,
                std::cmp::Reverse(candidate.chain.len()),
            ) > (b.confidence, std::cmp::Reverse(b.chain.len()))
        }
    }
}

/// Matches `name` against an exact name or a prefix pattern ending in `*`; returns the capture.
fn match_pattern(pattern: &str, name: &str) -> Option<String> {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.strip_prefix(prefix).map(str::to_owned),
        None => (pattern == name).then(String::new),
    }
}

/// The levels of a scale in an order consistent with its chains (ties kept in the order first
/// written), and the `le` matrix of the privilege order the chains say.
fn scale_levels(
    scale: &ScaleDef,
    vocabulary: &[LevelDef],
) -> Result<(Vec<String>, Vec<Vec<bool>>), String> {
    let mut levels: Vec<String> = Vec::new();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for chain in &scale.order {
        let names: Vec<&str> = chain.split('<').map(str::trim).collect();
        if names.len() < 2 || names.iter().any(|n| n.is_empty()) {
            return Err(format!("order `{chain}` is not a chain `a < b`"));
        }
        let mut previous: Option<usize> = None;
        for name in names {
            if !vocabulary.iter().any(|l| l.key == name) {
                return Err(format!("order names unknown level `{name}`"));
            }
            let at = match levels.iter().position(|l| l == name) {
                Some(at) => at,
                None => {
                    levels.push(name.to_owned());
                    levels.len() - 1
                }
            };
            if let Some(p) = previous {
                edges.push((p, at));
            }
            previous = Some(at);
        }
    }
    for (raw, to) in &scale.values.0 {
        let flag = to == "yes" || to == "no";
        if flag != levels.is_empty() || (!flag && !levels.contains(to)) {
            return Err(format!(
                "value `{raw}` reads as `{to}`, which is not one of the levels its order lists"
            ));
        }
    }
    let n = levels.len();
    // Reflexive-transitive closure (Warshall); a scale has a handful of levels.
    let mut le = vec![vec![false; n]; n];
    for (i, row) in le.iter_mut().enumerate() {
        row[i] = true;
    }
    for &(a, b) in &edges {
        le[a][b] = true;
    }
    for k in 0..n {
        let through = le[k].clone();
        for row in le.iter_mut().filter(|row| row[k]) {
            for (cell, via) in row.iter_mut().zip(&through) {
                *cell |= *via;
            }
        }
    }
    for i in 0..n {
        for j in 0..n {
            if i != j && le[i][j] && le[j][i] {
                return Err(format!(
                    "order is cyclic between `{}` and `{}`",
                    levels[i], levels[j]
                ));
            }
        }
    }
    if n > 0 && !(0..n).any(|low| (0..n).all(|j| le[low][j])) {
        return Err("order has no single lowest level (an absent claim reads as it)".to_owned());
    }
    // A linear extension: repeatedly take the first level all of whose predecessors are taken.
    let mut order: Vec<usize> = Vec::with_capacity(n);
    while order.len() < n {
        let next = (0..n)
            .find(|&c| {
                !order.contains(&c) && (0..n).all(|p| p == c || !le[p][c] || order.contains(&p))
            })
            .ok_or_else(|| "order is cyclic".to_owned())?;
        order.push(next);
    }
    let sorted: Vec<String> = order.iter().map(|&i| levels[i].clone()).collect();
    let matrix: Vec<Vec<bool>> = order
        .iter()
        .map(|&i| order.iter().map(|&j| le[i][j]).collect())
        .collect();
    Ok((sorted, matrix))
}

/// A parsed claim value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimValue {
    Flag(bool),
    Level(usize),
}

/// Levenshtein distance, for suggestions.
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests;
