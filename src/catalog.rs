//! The HaloPSA permission vocabulary, loaded from the data file `catalog/permissions.yaml`.
//!
//! Owns: canonical permission keys, Halo UI labels and aliases, the ordered levels of each feature,
//! the scope list and the scope lattice, and the (assumed) encoding of claims. Everything Halo-specific
//! about *names* lives in the data file, not in match arms; this module only indexes it and answers
//! look-ups. It must not read snapshots or rules, and does no I/O beyond parsing the embedded file.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The catalog shipped inside the binary.
const EMBEDDED: &str = include_str!("../catalog/permissions.yaml");

/// How sure the project is of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Inferred; findings resting on it say so.
    Assumed,
    /// Confirmed by a cited primary or code source.
    Confirmed,
}

impl Confidence {
    /// The weaker of two confidences.
    #[must_use]
    pub fn min(self, other: Self) -> Self {
        if self <= other { self } else { other }
    }

    /// `confirmed` or `assumed`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assumed => "assumed",
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
    /// A claim on the agent or one of its roles.
    Claim(String),
    /// Computed from the tenant's structure.
    Derived(Derived),
}

/// The closed set of structural computations the normaliser knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derived {
    AllTeams,
    AnyTeam,
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

/// One feature-access level of the shared vocabulary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelDef {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub aliases: Vec<String>,
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
    /// Ascending level keys, for `kind: level`.
    #[serde(default)]
    pub levels: Vec<String>,
    pub source: Source,
    pub confidence: Confidence,
    #[serde(default)]
    pub note: Option<String>,
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

/// The encoding of claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimEncoding {
    pub confidence: Confidence,
    /// Only `position` is defined: the level's zero-based position in the feature's list.
    pub levels: String,
    pub flag_true: Vec<String>,
    pub flag_false: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    version: u32,
    claim_encoding: ClaimEncoding,
    levels: Vec<LevelDef>,
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
#[derive(Debug)]
pub struct Catalog {
    pub version: u32,
    pub claim_encoding: ClaimEncoding,
    pub levels: Vec<LevelDef>,
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
    /// When the document does not parse or is inconsistent (duplicate keys or labels, unknown
    /// levels, a level permission without levels).
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile =
            serde_saphyr::from_str(text).map_err(|e| CatalogError::Parse(e.to_string()))?;
        let mut catalog = Catalog {
            version: file.version,
            claim_encoding: file.claim_encoding,
            levels: file.levels,
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

    fn index(&mut self) -> Result<(), CatalogError> {
        if self.claim_encoding.levels != "position" {
            return Err(CatalogError::Invalid(format!(
                "claim_encoding.levels `{}` is not a known encoding (only `position`)",
                self.claim_encoding.levels
            )));
        }
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
        for (index, perm) in self.permissions.iter().enumerate() {
            match perm.kind {
                Kind::Level if perm.levels.len() < 2 => {
                    return Err(CatalogError::Invalid(format!(
                        "`{}` is a level permission with fewer than two levels",
                        perm.key
                    )));
                }
                Kind::Flag if !perm.levels.is_empty() => {
                    return Err(CatalogError::Invalid(format!(
                        "`{}` is a flag but lists levels",
                        perm.key
                    )));
                }
                _ => {}
            }
            for level in &perm.levels {
                if !self.levels.iter().any(|l| &l.key == level) {
                    return Err(CatalogError::Invalid(format!(
                        "`{}` lists unknown level `{level}`",
                        perm.key
                    )));
                }
            }
            if let Source::Claim(claim) = &perm.source
                && self.by_claim.insert(claim.clone(), index).is_some()
            {
                return Err(CatalogError::Invalid(format!(
                    "claim type `{claim}` is mapped twice"
                )));
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

    /// Parses a claim value for `perm` under the catalog's claim encoding.
    #[must_use]
    pub fn claim_value(&self, perm: &PermissionDef, raw: &str) -> Option<ClaimValue> {
        let raw = raw.trim();
        match perm.kind {
            Kind::Flag => {
                if self.claim_encoding.flag_true.iter().any(|t| t == raw) {
                    Some(ClaimValue::Flag(true))
                } else if self.claim_encoding.flag_false.iter().any(|t| t == raw) {
                    Some(ClaimValue::Flag(false))
                } else {
                    None
                }
            }
            Kind::Level => {
                let position: usize = raw.parse().ok()?;
                (position < perm.levels.len()).then_some(ClaimValue::Level(position))
            }
        }
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

impl Catalog {
    /// The reference tables of `docs/permissions.md` (generated; a test keeps the file current).
    #[must_use]
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let cell = |s: &str| s.replace('|', "\\|");
        let mut out = String::from(
            "### Agent permissions\n\n| key | Halo UI label | aliases | kind / levels | read from | confidence |\n|---|---|---|---|---|---|\n",
        );
        for p in &self.permissions {
            let kind = match p.kind {
                Kind::Flag => "yes/no".to_owned(),
                Kind::Level => p
                    .levels
                    .iter()
                    .filter_map(|l| self.level(l))
                    .map(|l| l.label.clone())
                    .collect::<Vec<_>>()
                    .join(" < "),
            };
            let source = match &p.source {
                Source::Field(f) => format!("field `{f}`"),
                Source::FieldNegated(f) => format!("not field `{f}`"),
                Source::Claim(c) => format!("claim `{c}`"),
                Source::Derived(d) => format!(
                    "derived `{}`",
                    serde_json::to_value(d)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                ),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                p.key,
                cell(&p.label),
                cell(&p.aliases.join(", ")),
                cell(&kind),
                source,
                p.confidence.as_str()
            );
        }
        out.push_str("\n### Levels\n\n| key | label | aliases |\n|---|---|---|\n");
        for l in &self.levels {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                l.key,
                cell(&l.label),
                cell(&l.aliases.join(", "))
            );
        }
        out.push_str("\n### Scopes\n\nA requirement names a scope as `scope:NAME` (or just `NAME`, or the vendor's spelling such as `Edit: sales`).\n\n| scope | implies | confidence of the implication |\n|---|---|---|\n");
        for s in &self.scopes {
            let one = [s.name.clone()];
            let implied = self.implied_scopes(&s.name);
            let confidence = implied
                .iter()
                .filter_map(|i| self.scope_grant(one.iter(), i))
                .map(|g| g.confidence)
                .min()
                .map_or("", Confidence::as_str);
            let implied = if implied.len() > 8 {
                format!(
                    "{} scopes ({}, ...)",
                    implied.len(),
                    implied[..4].join(", ")
                )
            } else {
                implied.join(", ")
            };
            let _ = writeln!(out, "| `{}` | {} | {} |", s.name, implied, confidence);
        }
        out
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
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        match Catalog::builtin() {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_role_by_name_pattern_resolves_with_its_prefix() {
        let c = Catalog::builtin().unwrap();
        assert_eq!(
            c.resolve(" role: TimeZest* "),
            Some(PermRef::Role("TimeZest*".to_owned()))
        );
        assert_eq!(c.canonical(&PermRef::Role("X".to_owned())), "role:X");
        assert_eq!(c.resolve("role:"), None);
        assert_eq!(c.resolve("role:  "), None);
    }

    #[test]
    fn builtin_catalog_is_consistent() {
        let c = catalog();
        assert!(c.permissions.len() > 50);
        assert!(c.is_scope("all:standard"));
    }

    #[test]
    fn labels_and_aliases_resolve_to_one_key() {
        let c = catalog();
        for text in [
            "Customers",
            "Clients",
            "Customer Access Level",
            "feature.customers",
            "clients access level",
        ] {
            let found = c.resolve(text).map(|p| c.canonical(&p));
            assert_eq!(found.as_deref(), Some("feature.customers"), "{text}");
        }
        for (text, key) in [
            ("Products", "feature.products"),
            ("Items", "feature.products"),
            ("Client Contracts", "feature.customer_agreements"),
            ("Can delete tickets", "ticket.can_delete"),
            ("Is a HaloPSA Admin", "agent.admin"),
            ("Edit: sales", "scope:edit:sales"),
            ("Read:tickets", "scope:read:tickets"),
            ("scope:all:teams", "scope:all:teams"),
        ] {
            assert_eq!(
                c.resolve(text).map(|p| c.canonical(&p)).as_deref(),
                Some(key),
                "{text}"
            );
        }
        assert_eq!(c.resolve("Customers: Widgets"), None);
    }

    #[test]
    fn levels_resolve_per_feature() {
        let c = catalog();
        let Some((_, invoices)) = c.permission("feature.invoices") else {
            panic!("invoices")
        };
        assert_eq!(
            c.resolve_level(invoices, "Read, Create and Modify"),
            Some(3)
        );
        assert_eq!(c.resolve_level(invoices, "read only"), Some(1));
        assert_eq!(c.resolve_level(invoices, "R&M"), Some(2));
        assert_eq!(
            c.resolve_level(invoices, "Read, Modify and Delete"),
            None,
            "not an invoices level"
        );
    }

    #[test]
    fn scope_lattice_prefers_confirmed_paths() {
        let c = catalog();
        let held = ["edit:tickets".to_owned()];
        let g = c
            .scope_grant(held.iter(), "read:tickets")
            .unwrap_or_else(|| panic!("granted"));
        assert_eq!(g.confidence, Confidence::Confirmed);
        let held = ["edit:invoices".to_owned()];
        let g = c
            .scope_grant(held.iter(), "read:invoices")
            .unwrap_or_else(|| panic!("granted"));
        assert_eq!(g.confidence, Confidence::Assumed);
        let held = ["all:standard".to_owned()];
        assert!(c.scope_grant(held.iter(), "read:crm").is_some());
        assert!(c.scope_grant(held.iter(), "admin:webhooks").is_none());
        assert!(c.scope_grant(held.iter(), "all:teams").is_none());
        let held = ["all".to_owned()];
        let g = c
            .scope_grant(held.iter(), "admin")
            .unwrap_or_else(|| panic!("granted"));
        assert_eq!(g.chain, vec!["all".to_owned(), "admin".to_owned()]);
        let held = ["read:tickets".to_owned()];
        assert!(c.scope_grant(held.iter(), "edit:tickets").is_none());
    }

    #[test]
    fn claim_values_follow_the_encoding() {
        let c = catalog();
        let Some((_, customers)) = c.permission("feature.customers") else {
            panic!()
        };
        assert_eq!(c.claim_value(customers, "2"), Some(ClaimValue::Level(2)));
        assert_eq!(c.claim_value(customers, "9"), None);
        assert_eq!(c.claim_value(customers, "x"), None);
        let Some((_, delete)) = c.permission("ticket.can_delete") else {
            panic!()
        };
        assert_eq!(c.claim_value(delete, "true"), Some(ClaimValue::Flag(true)));
        assert_eq!(c.claim_value(delete, "0"), Some(ClaimValue::Flag(false)));
    }

    #[test]
    fn suggestions_find_near_misses() {
        let c = catalog();
        assert!(
            c.suggest("Custmers")
                .contains(&"feature.customers".to_owned())
        );
    }
}
