//! The published JSON Schema (draft-07) of rule files, generated from [`super::model::RawSet`].
//!
//! The committed copy lives in `docs/schema/rules.schema.json`; a test fails when it is stale.
//! Regenerate with `cargo run -- rules schema > docs/schema/rules.schema.json`.

use schemars::generate::SchemaSettings;

use super::model::RawSet;

/// The schema as pretty JSON with a trailing newline.
#[must_use]
pub fn rules_schema() -> String {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<RawSet>();
    schema.insert(
        "$id".to_owned(),
        "https://halo-audit.invalid/schema/rules.schema.json".into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
