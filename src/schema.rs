//! JSON Schemas (draft-07) of halo-audit's JSON documents, generated from the types that write
//! them: the check, diff, plan and self-check reports and the snapshot file. Committed under
//! `docs/schema/` (`tests/docs.rs` fails when a committed copy is stale; `tests/schemas.rs`
//! validates real outputs against them).
//!
//! Owns: the list of schemas and how they are generated; it writes nothing itself. It sits above
//! the reporters and the self-check (it names their documents' types); only the tests use it.

use schemars::{JsonSchema, Schema};

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
            text(&generate::<crate::report::json::Report<'static>>(
                "check-report.schema.json",
                "halo-audit check report",
                "`halo-audit check --format json` (docs/json-report.md). Members may be added \
                 without a version change; none is removed or changes meaning without one.",
            )),
        ),
        (
            "diff-report.schema.json",
            text(&generate::<crate::report::diff::Document<'static>>(
                "diff-report.schema.json",
                "halo-audit diff report",
                "`halo-audit diff --format json` (docs/drift.md).",
            )),
        ),
        (
            "plan.schema.json",
            text(&generate::<crate::report::plan::Document<'static>>(
                "plan.schema.json",
                "halo-audit plan",
                "`halo-audit plan --format json` (docs/plan.md).",
            )),
        ),
        (
            "self-check.schema.json",
            text(&generate::<crate::selfcheck::Document<'static>>(
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
