//! JSON Schemas (draft-07) of halo-audit's JSON documents, generated from the types that write
//! them: the check, diff, plan and self-check reports and the snapshot file. Committed under
//! `docs/schema/` (`tests/docs.rs` fails when a committed copy is stale; `tests/schemas.rs`
//! validates real outputs against them).
//!
//! Also the self-check's JSON document, which carries its version like every other.

use schemars::{JsonSchema, Schema};
use serde::Serialize;

/// The version of the self-check's JSON document.
pub const SELF_CHECK_VERSION: u32 = 1;

/// The base of every schema's `$id` (the same as the rules' and the configuration's schemas).
const ID_BASE: &str = "https://halo-audit.invalid/schema/";

/// The schema of `T`, with its `$id` (`{ID_BASE}{file}`), a title and a description.
fn generate<T: JsonSchema>(file: &str, title: &str, description: &str) -> Schema {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert("$id".to_owned(), format!("{ID_BASE}{file}").into());
    schema.insert("title".to_owned(), title.into());
    schema.insert("description".to_owned(), description.into());
    schema
}

/// A schema as committed: pretty JSON with a trailing newline.
fn text(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Every schema: (file name under `docs/schema/`, its text).
#[must_use]
pub fn all() -> Vec<(&'static str, String)> {
    vec![
        (
            "check-report.schema.json",
            text(&generate::<super::json::Report<'static>>(
                "check-report.schema.json",
                "halo-audit check report",
                "`halo-audit check --format json` (docs/json-report.md). Members may be added \
                 without a version change; none is removed or changes meaning without one.",
            )),
        ),
        (
            "diff-report.schema.json",
            text(&generate::<super::diff::Document<'static>>(
                "diff-report.schema.json",
                "halo-audit diff report",
                "`halo-audit diff --format json` (docs/drift.md).",
            )),
        ),
        (
            "plan.schema.json",
            text(&generate::<super::plan::Document<'static>>(
                "plan.schema.json",
                "halo-audit plan",
                "`halo-audit plan --format json` (docs/plan.md).",
            )),
        ),
        (
            "self-check.schema.json",
            text(&generate::<SelfCheckDocument<'static>>(
                "self-check.schema.json",
                "halo-audit self-check",
                "`halo-audit self-check --format json` (docs/fetching.md).",
            )),
        ),
        (
            "snapshot.schema.json",
            text(&generate::<crate::snapshot::Snapshot>(
                "snapshot.schema.json",
                "halo-audit snapshot",
                "A snapshot file written by `halo-audit fetch` (docs/snapshot-format.md). The \
                 objects are HaloPSA's as it returned them (a bare array, or an envelope such as \
                 `{\"record_count\": N, \"agents\": [...]}`), minus secrets.",
            )),
        ),
    ]
}

#[derive(Serialize, JsonSchema)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// The self-check's JSON document: its version, the tool, then the result's members.
#[derive(Serialize, JsonSchema)]
struct SelfCheckDocument<'a> {
    version: u32,
    tool: Tool,
    #[serde(flatten)]
    result: &'a crate::selfcheck::SelfCheck,
}

/// The self-check's JSON document (pretty, trailing newline).
#[must_use]
pub fn self_check_json(result: &crate::selfcheck::SelfCheck) -> String {
    let document = SelfCheckDocument {
        version: SELF_CHECK_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        result,
    };
    let mut text = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
