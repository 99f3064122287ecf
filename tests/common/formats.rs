//! Checks of the machine formats shared by the test binaries: the SARIF schema validator and the
//! JUnit counter.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::Value;

/// The official OASIS SARIF 2.1.0 schema (`tests/fixtures/`), compiled.
pub fn sarif_schema() -> (boon::Schemas, boon::SchemaIndex) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        schema["$schema"], "http://json-schema.org/draft-04/schema#",
        "the OASIS schema is draft-04"
    );
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
    compiler.add_resource(url, schema).unwrap();
    let index = compiler.compile(url, &mut schemas).unwrap();
    (schemas, index)
}

/// Validates a SARIF log, with every error.
pub fn validate(
    schemas: &boon::Schemas,
    index: boon::SchemaIndex,
    log: &Value,
) -> Result<(), String> {
    schemas.validate(log, index).map_err(|e| format!("{e:#}"))
}

// ---------------------------------------------------------------------------------------------
// JUnit

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub tests: usize,
    pub failures: usize,
    pub skipped: usize,
}

fn attr(node: roxmltree::Node<'_, '_>, name: &str) -> usize {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> without {name}", node.tag_name().name()))
        .parse()
        .unwrap()
}

/// Per suite: the counts its attributes state, after checking they match its test cases.
pub fn junit_counts(xml: &str) -> Vec<(String, Counts)> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML ({e}):\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let mut suites = Vec::new();
    let mut total = Counts::default();
    for suite in root.children().filter(|n| n.has_tag_name("testsuite")) {
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let has = |tag: &str| {
            cases
                .iter()
                .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
                .count()
        };
        let counts = Counts {
            tests: attr(suite, "tests"),
            failures: attr(suite, "failures"),
            skipped: attr(suite, "skipped"),
        };
        let name = suite.attribute("name").unwrap().to_owned();
        assert_eq!(
            counts,
            Counts {
                tests: cases.len(),
                failures: has("failure"),
                skipped: has("skipped"),
            },
            "suite {name}: attributes disagree with its test cases"
        );
        assert_eq!(attr(suite, "errors"), 0);
        total.tests += counts.tests;
        total.failures += counts.failures;
        total.skipped += counts.skipped;
        suites.push((name, counts));
    }
    assert_eq!(
        total,
        Counts {
            tests: attr(root, "tests"),
            failures: attr(root, "failures"),
            skipped: attr(root, "skipped"),
        }
    );
    suites
}
