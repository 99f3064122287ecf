//! The raw, spanned model of a rule file, exactly as written (phase one of loading).
//!
//! Every value a validation error may point at is wrapped in [`Sp`], which keeps its line, column
//! and byte span. The same types generate the published JSON Schema (`docs/schema/`).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sp<T> {
    pub value: T,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// Byte offset and length in the file, when known.
    pub span: Option<(usize, usize)>,
}

impl<T> Sp<T> {
    /// A value with no known place (built in code, not read from a file).
    pub fn bare(value: T) -> Self {
        Self {
            value,
            line: 0,
            column: 0,
            span: None,
        }
    }
}

impl<T: PartialOrd> PartialOrd for Sp<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T: Ord> Ord for Sp<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        let at = spanned.referenced;
        let span = at.span();
        let to_usize = |v: u64| usize::try_from(v).ok();
        Ok(Self {
            value: spanned.value,
            line: to_usize(at.line()).unwrap_or(0),
            column: to_usize(at.column()).unwrap_or(0),
            span: match (
                span.byte_offset().and_then(to_usize),
                span.byte_len().and_then(to_usize),
            ) {
                (Some(o), Some(l)) => Some((o, l)),
                _ => None,
            },
        })
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

/// A requirement set file (`rules/*.yaml`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "halo-audit requirement set",
    description = "What one integration (or the tenant-wide baseline) needs from a HaloPSA tenant, transcribed from its vendor's setup document."
)]
pub struct RawSet {
    /// Unique id of the set, lower-case with dashes (e.g. `cloud-depot`).
    pub id: Sp<String>,
    /// Human title.
    pub title: Sp<String>,
    /// The vendor whose document this set transcribes.
    #[serde(default)]
    pub vendor: Option<Sp<String>>,
    /// `integration` (default) binds to API applications; `baseline` holds tenant-wide policies and always runs.
    #[serde(default)]
    pub kind: Option<Sp<String>>,
    /// One-paragraph description.
    #[serde(default)]
    pub description: Option<String>,
    /// The vendor documents this set was transcribed from.
    #[serde(default)]
    pub sources: Vec<Sp<RawSource>>,
    /// Which API applications the set audits unless the configuration binds it explicitly.
    #[serde(default)]
    pub binding: Option<Sp<RawBinding>>,
    /// How grants beyond the requirements are treated.
    #[serde(default)]
    pub excess: Option<Sp<RawExcess>>,
    /// What the integration needs (or must not have).
    #[serde(default)]
    pub requirements: Vec<Sp<RawRequirement>>,
    /// Choices between requirements: the integration needs any one of the options (a team *or* a
    /// department; the scope set of one version of the vendor's document *or* of another).
    #[serde(default)]
    pub alternatives: Vec<Sp<RawAlternative>>,
    /// Tenant-wide policies (baseline sets).
    #[serde(default)]
    pub policies: Vec<Sp<RawPolicy>>,
    /// Notes on the transcription: conflicts between documents, what could not be expressed.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A vendor document.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// `https://` address of the document.
    pub url: Sp<String>,
    /// Title of the document.
    #[serde(default)]
    pub title: Option<String>,
    /// Date (YYYY-MM-DD) the document was read for this transcription.
    pub retrieved: Sp<String>,
}

/// Default binding of a set to the tenant's API applications.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBinding {
    /// Case-insensitive glob patterns (`*`, `?`) matched against the application's display name.
    #[serde(default)]
    pub application_name: Vec<Sp<String>>,
    /// Exact client ids.
    #[serde(default)]
    pub client_id: Vec<Sp<String>>,
    /// Case-insensitive glob patterns matched against the name of the agent the application logs
    /// in as (for vendors whose guides name the agent, not the application).
    #[serde(default)]
    pub login_agent_name: Vec<Sp<String>>,
}

/// Treatment of grants beyond the requirements.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExcess {
    /// Report scopes of the bound application that no requirement needs (default true).
    #[serde(default)]
    pub scopes: Option<bool>,
    /// Report feature levels above the required level (default true).
    #[serde(default)]
    pub levels: Option<bool>,
    /// Severity of excess findings (default warning).
    #[serde(default)]
    #[schemars(schema_with = "severity_schema")]
    pub severity: Option<Sp<String>>,
    /// Severity of excess scopes, when it differs from `severity`.
    #[serde(default)]
    #[schemars(schema_with = "severity_schema")]
    pub scope_severity: Option<Sp<String>>,
    /// Severity of levels above the requirement, when it differs from `severity`.
    #[serde(default)]
    #[schemars(schema_with = "severity_schema")]
    pub level_severity: Option<Sp<String>>,
}

/// The expected value of a permission.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawExpect {
    /// `true`/`false` for flags and scopes.
    Bool(bool),
    /// `yes`, `no`, `granted`, `not granted`, or a level label such as `Read and Modify`
    /// (at least that level).
    Text(String),
    /// A level bound.
    Bound(RawBound),
}

/// A level bound: exactly one of the members.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBound {
    #[serde(default)]
    pub at_least: Option<String>,
    #[serde(default)]
    pub at_most: Option<String>,
    #[serde(default)]
    pub exactly: Option<String>,
}

/// Where in the vendor document a requirement comes from.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCitation {
    /// Line number in the transcribed document, when it has lines.
    #[serde(default)]
    pub line: Option<u32>,
    /// The words of the document, quoted exactly.
    pub quote: Sp<String>,
    /// Which of the set's `sources` (by url), when it has several.
    #[serde(default)]
    pub url: Option<Sp<String>>,
}

/// One requirement.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRequirement {
    /// Unique across all sets; by convention `SET.something`.
    pub id: Sp<String>,
    /// Short human title.
    pub title: Sp<String>,
    /// A permission key (`feature.customers`, `scope:read:tickets`) or Halo UI label (`Customers Access Level`).
    pub permission: Sp<String>,
    /// The expected value.
    pub expect: Sp<RawExpect>,
    /// `error`, `warning` or `note` (default `error`).
    #[serde(default)]
    #[schemars(schema_with = "severity_schema")]
    pub severity: Option<Sp<String>>,
    /// Why the integration needs it.
    #[serde(default)]
    pub rationale: Option<String>,
    /// For a level, whether a higher level is acceptable (overrides `excess.levels`).
    #[serde(default)]
    pub allow_higher: Option<bool>,
    /// What is unclear in the vendor's document about this requirement; reported, never guessed.
    #[serde(default)]
    pub ambiguity: Option<String>,
    /// The requirement applies only when this holds, in the vendor's words (e.g. `Knowledge Base
    /// sync is used`). Unmet, it is reported as a note naming the condition; met, the grant counts
    /// as needed, so it is not reported as excess.
    #[serde(default)]
    pub condition: Option<Sp<String>>,
    /// Where it was transcribed from.
    pub source: Sp<RawCitation>,
}

/// A requirement that does not parse, read again with every member optional: so that every
/// member missing is found at once, and what is there can still be checked (an unknown permission
/// or level beside a missing `expect`). Never a source of requirements.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LooseRequirement {
    #[serde(default)]
    pub id: Option<Sp<String>>,
    #[serde(default)]
    pub title: Option<Sp<String>>,
    #[serde(default)]
    pub permission: Option<Sp<String>>,
    #[serde(default)]
    pub expect: Option<Sp<RawExpect>>,
    #[serde(default)]
    pub severity: Option<Sp<String>>,
    /// Read so that its type is checked; nothing else to check.
    #[serde(default)]
    #[allow(dead_code)]
    pub rationale: Option<String>,
    #[serde(default)]
    pub allow_higher: Option<bool>,
    /// Read so that its type is checked; nothing else to check.
    #[serde(default)]
    #[allow(dead_code)]
    pub ambiguity: Option<String>,
    #[serde(default)]
    pub condition: Option<Sp<String>>,
    #[serde(default)]
    pub source: Option<Sp<RawCitation>>,
}

/// The requirements of a rule file read as [`LooseRequirement`]s; the rest is ignored.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LooseSet {
    #[serde(default)]
    pub requirements: Vec<Sp<LooseRequirement>>,
}

/// A choice between requirements of the set.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAlternative {
    /// Unique across all sets; by convention `SET.something`.
    pub id: Sp<String>,
    /// Short human title.
    pub title: Sp<String>,
    /// The options, at least two: each a requirement id of this set, or a list of ids that
    /// together make one option. Met when every requirement of some option is granted.
    pub any_of: Vec<Sp<RawOption>>,
    /// Where each option comes from, when they differ (e.g. two versions of the document).
    #[serde(default)]
    pub rationale: Option<String>,
}

/// One option of an alternative.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawOption {
    /// One requirement id.
    One(String),
    /// Several requirement ids, all needed.
    All(Vec<String>),
}

/// A tenant-wide policy of a baseline set.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Unique across all sets.
    pub id: Sp<String>,
    /// Short human title.
    pub title: Sp<String>,
    /// Which built-in check this policy runs (see `halo-audit explain`).
    pub check: Sp<String>,
    /// `error`, `warning` or `note`.
    #[serde(default)]
    #[schemars(schema_with = "severity_schema")]
    pub severity: Option<Sp<String>>,
    /// Why it matters.
    pub rationale: String,
    /// Scopes the check applies to, where it takes any (e.g. `[all, admin]`).
    #[serde(default)]
    pub scopes: Vec<Sp<String>>,
}

/// A severity as the loader reads it ([`crate::diag::Severity::parse`]): `error`, `warning` or
/// `note`, also `warn` and `info`, in any letter case, blank around it ignored. The enum gives
/// editors the completions; the pattern accepts what the loader accepts.
fn severity_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({
        "anyOf": [
            { "enum": ["error", "warning", "note", "warn", "info"] },
            {
                "type": "string",
                "pattern": "^\\s*([Ee][Rr][Rr][Oo][Rr]|[Ww][Aa][Rr][Nn]([Ii][Nn][Gg])?|[Nn][Oo][Tt][Ee]|[Ii][Nn][Ff][Oo])\\s*$"
            },
            { "type": "null" }
        ]
    })
}
