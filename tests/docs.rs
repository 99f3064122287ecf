//! Generated documentation stays current: the rule-file JSON Schema, one page per finding code,
//! and the permission reference in docs/permissions.md. Regenerate with
//! `UPDATE_DOCS=1 cargo test --test docs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use halo_audit::catalog::Catalog;
use halo_audit::diag::Code;

const BEGIN: &str = "<!-- BEGIN GENERATED: cargo test --test docs -->\n";
const END: &str = "<!-- END GENERATED -->";

fn check_file(path: &str, expected: &str, stale: &mut Vec<String>) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let current = std::fs::read_to_string(&full).unwrap_or_default();
    if current != expected {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, expected).unwrap();
        } else {
            stale.push(path.to_owned());
        }
    }
}

#[test]
fn generated_docs_are_current() {
    let mut stale = Vec::new();
    check_file(
        "docs/schema/rules.schema.json",
        &halo_audit::ruleset::schema::rules_schema(),
        &mut stale,
    );
    check_file(
        "docs/schema/config.schema.json",
        &halo_audit::config::schema(),
        &mut stale,
    );
    for (name, text) in halo_audit::schema::all() {
        check_file(&format!("docs/schema/{name}"), &text, &mut stale);
    }
    for code in Code::ALL {
        check_file(&code.doc_path(), &code.markdown(), &mut stale);
    }
    check_file("docs/checks/README.md", &Code::index_markdown(), &mut stale);
    let permissions_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/permissions.md");
    let page = std::fs::read_to_string(&permissions_path).unwrap();
    let (head, rest) = page
        .split_once(BEGIN)
        .expect("docs/permissions.md has the BEGIN GENERATED marker");
    let (_, tail) = rest
        .split_once(END)
        .expect("docs/permissions.md has the END GENERATED marker");
    let generated = Catalog::builtin().unwrap().markdown();
    check_file(
        "docs/permissions.md",
        &format!("{head}{BEGIN}{generated}{END}{tail}"),
        &mut stale,
    );
    let integrations_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/integrations.md");
    let page = std::fs::read_to_string(&integrations_path).unwrap();
    let (head, rest) = page
        .split_once(BEGIN)
        .expect("docs/integrations.md has the BEGIN GENERATED marker");
    let (_, tail) = rest
        .split_once(END)
        .expect("docs/integrations.md has the END GENERATED marker");
    let catalog = Catalog::builtin().unwrap();
    let library =
        halo_audit::ruleset::load(&halo_audit::ruleset::builtin_files(), catalog).unwrap();
    let generated = halo_audit::report::rules::integrations_table(&library, catalog);
    check_file(
        "docs/integrations.md",
        &format!("{head}{BEGIN}{generated}{END}{tail}"),
        &mut stale,
    );
    assert!(
        stale.is_empty(),
        "stale generated docs: {stale:?}; regenerate with `UPDATE_DOCS=1 cargo test --test docs`"
    );
}

#[test]
fn every_shipped_rule_file_has_the_schema_modeline_and_a_source() {
    for (name, text) in halo_audit::ruleset::BUILTIN {
        assert!(
            text.starts_with("# yaml-language-server: $schema=../docs/schema/rules.schema.json\n"),
            "{name} must start with the yaml-language-server modeline"
        );
        assert!(
            text.contains("url: https://") || text.contains("url: http://"),
            "{name} cites no source URL"
        );
    }
}
