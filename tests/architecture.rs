//! The module layers of the crate, read from its source: a module imports only modules of layers
//! below its own, so the engine never reaches up into the reporters, and nothing reaches up into
//! the command line, the commands or the dispatch. And the size of the dispatch and the commands:
//! `src/app.rs` stays a router, and a command's module stays under the line budget unless its
//! header says why.
//!
//! An import is a path `crate::NAME` (in `use` or in code, braces included: `use crate::{a, b::c}`)
//! outside a comment line; `NAME` a top-level module (`src/NAME.rs` or `src/NAME/`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import the modules of the layers below its own, never
/// one of its own layer or above.
const LAYERS: &[(&str, &[&str])] = &[
    ("text, files and finding codes", &["text", "fsio", "diag"]),
    ("the permission catalog", &["catalog"]),
    (
        "the requirement sets and the YAML files read like them",
        &["ruleset"],
    ),
    (
        "the tenant model and the configuration",
        &["tenant", "config"],
    ),
    ("the snapshot file format", &["snapshot"]),
    ("the fetch and the engine", &["halo", "check"]),
    (
        "what is derived from an outcome or from the sets",
        &["verdict", "diff", "plan", "ratchet", "sources"],
    ),
    ("the reporters", &["report"]),
    ("the credential's self-check", &["selfcheck"]),
    ("the JSON Schemas of the documents above", &["schema"]),
    (
        "completion values, completion scripts and manual pages",
        &["shell"],
    ),
    ("the command line", &["cli"]),
    ("the colour decision (reads --color)", &["color"]),
    (
        "the commands, each run from its arguments to its exit code",
        &["commands"],
    ),
    ("the dispatch", &["app"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules: `src/NAME.rs` and `src/NAME/` (not `lib` and `main`).
fn top_level_modules() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() && path.join("mod.rs").is_file()
            || path.extension().is_some_and(|e| e == "rs")
        {
            out.insert(name);
        }
    }
    out.remove("lib");
    out.remove("main");
    out
}

/// The first names of the paths after each `crate::` in `text`: `crate::a::b` gives `a`,
/// `crate::{a::b, c}` gives `a` and `c`. Comment lines (`//`, `///`, `//!`) are skipped.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        // `halo_audit::` or `my_crate::` is not this crate's `crate::`.
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The names at the group's top level, up to its closing brace.
            let (mut depth, mut name, mut in_name) = (0usize, String::new(), true);
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(std::mem::take(&mut name));
                        in_name = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 && in_name {
                    if c.is_alphanumeric() || c == '_' {
                        name.push(c);
                    } else if !name.is_empty() {
                        in_name = false;
                    }
                }
            }
            out.insert(name);
        } else {
            out.insert(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    out.remove("");
    out
}

/// Importer → imported → the files (relative to `src/`) that import it, between top-level modules.
fn imports() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let modules = top_level_modules();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut out: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(src()).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let importer = Path::new(first)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !modules.contains(&importer) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for imported in crate_paths(&text) {
            if imported != importer && modules.contains(&imported) {
                out.entry(importer.clone())
                    .or_default()
                    .entry(imported)
                    .or_default()
                    .insert(relative.display().to_string());
            }
        }
    }
    out
}

/// The imports from any of `importers` into any of `imported`, as "file imports crate::NAME" lines.
fn violations(importers: &[&str], imported: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (from, targets) in imports() {
        if !importers.contains(&from.as_str()) {
            continue;
        }
        for (to, files) in targets {
            if imported.contains(&to.as_str()) {
                for file in files {
                    out.push(format!("src/{file} imports crate::{to}"));
                }
            }
        }
    }
    out
}

#[test]
fn the_scanner_finds_paths_in_use_groups_and_code_but_not_in_comments() {
    let text = "//! See [`crate::app::run`].\n\
                use crate::{check::{self, Outcome}, diag, report::Style};\n\
                use crate::text::shown;\n\
                fn f() -> u8 { crate::verdict::exit::OK + my_crate::cli::X }\n\
                // crate::cli in a comment\n";
    let found: Vec<String> = crate_paths(text).into_iter().collect();
    assert_eq!(found, ["check", "diag", "report", "text", "verdict"]);
    // On the crate itself: the dispatch is known to import the command line and the commands,
    // the commands the engine and the reporters.
    let all = imports();
    assert!(all["app"].contains_key("cli"), "{all:?}");
    assert!(all["app"].contains_key("commands"), "{all:?}");
    assert!(all["commands"].contains_key("check"), "{all:?}");
    assert!(all["commands"].contains_key("report"), "{all:?}");
}

#[test]
fn lower_layers_import_neither_the_dispatch_nor_the_commands_nor_the_command_line() {
    let bad = violations(
        &[
            "report",
            "check",
            "config",
            "ruleset",
            "catalog",
            "tenant",
            "snapshot",
            "verdict",
            "diff",
            "plan",
            "ratchet",
            "selfcheck",
            "halo",
            "schema",
            "shell",
        ],
        &["app", "cli", "commands"],
    );
    assert!(
        bad.is_empty(),
        "lower layers import the dispatch, the commands or the command line:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_engine_imports_no_reporter_and_no_verdict() {
    let bad = violations(
        &["check", "catalog", "tenant", "ruleset", "snapshot"],
        &["report", "verdict", "app", "cli", "commands", "selfcheck"],
    );
    assert!(
        bad.is_empty(),
        "the engine imports what is built on it:\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_import_points_down_the_layers() {
    let mut layer_of = BTreeMap::new();
    for (rank, (_, modules)) in LAYERS.iter().enumerate() {
        for module in *modules {
            assert!(
                layer_of.insert(*module, rank).is_none(),
                "{module} is in two layers"
            );
        }
    }
    let unplaced: Vec<String> = top_level_modules()
        .into_iter()
        .filter(|m| !layer_of.contains_key(m.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules in no layer (add them to LAYERS in tests/architecture.rs): {unplaced:?}"
    );
    let mut bad = Vec::new();
    for (from, targets) in imports() {
        for (to, files) in targets {
            let (a, b) = (layer_of[from.as_str()], layer_of[to.as_str()]);
            if b < a {
                continue;
            }
            for file in files {
                bad.push(format!(
                    "src/{file} imports crate::{to}, but {from} is in \"{}\" and {to} in \"{}\"",
                    LAYERS[a].0, LAYERS[b].0
                ));
            }
        }
    }
    assert!(bad.is_empty(), "imports up the layers:\n{}", bad.join("\n"));
}

/// The most lines a module of `src/commands/` holds without saying why.
const COMMAND_BUDGET: usize = 300;
/// The most lines of `src/app.rs`: a router sets up the run and chooses the command, no more.
const ROUTER_BUDGET: usize = 120;
/// How a module over [`COMMAND_BUDGET`] says why, in its header (`//!`) comment: this phrase,
/// then the reason on the same line.
const OVER_BUDGET: &str = "Over the line budget because ";

/// The reason a module's header gives for being over the line budget, if it gives one.
fn stated_reason(text: &str) -> Option<&str> {
    text.lines()
        .take_while(|l| l.starts_with("//!"))
        .find_map(|l| l.trim_start_matches("//!").trim().strip_prefix(OVER_BUDGET))
        .map(str::trim)
        .filter(|reason| reason.split_whitespace().count() >= 3)
}

/// The modules of `src/commands/` over the budget without a stated reason, as "path: N lines".
fn over_budget(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(_, text)| text.lines().count() > COMMAND_BUDGET && stated_reason(text).is_none())
        .map(|(path, text)| format!("{path}: {} lines", text.lines().count()))
        .collect()
}

#[test]
fn the_budget_check_asks_a_long_module_for_its_reason() {
    let long = |header: &str| {
        let mut text = header.to_owned();
        text.push_str(&"fn f() {}\n".repeat(COMMAND_BUDGET));
        text
    };
    let files = vec![
        ("short.rs".to_owned(), "//! Short.\nfn f() {}\n".to_owned()),
        (
            "silent.rs".to_owned(),
            long("//! Long, and silent about it.\n"),
        ),
        (
            "vague.rs".to_owned(),
            long(&format!("//! Long.\n//! {OVER_BUDGET}yes\n")),
        ),
        (
            "late.rs".to_owned(),
            long(&format!(
                "//! Long.\nuse x;\n// {OVER_BUDGET}its header ended before\n"
            )),
        ),
        (
            "reasoned.rs".to_owned(),
            long(&format!(
                "//! Long.\n//! {OVER_BUDGET}one table of forty formats reads best whole.\n"
            )),
        ),
    ];
    let found = over_budget(&files);
    assert_eq!(
        found,
        [
            format!("silent.rs: {} lines", COMMAND_BUDGET + 1),
            format!("vague.rs: {} lines", COMMAND_BUDGET + 2),
            format!("late.rs: {} lines", COMMAND_BUDGET + 3),
        ]
    );
}

#[test]
fn every_command_module_is_within_the_line_budget_or_says_why() {
    let mut paths = Vec::new();
    rust_files(&src().join("commands"), &mut paths);
    assert!(
        paths.len() > 10,
        "the commands are in src/commands/: {paths:?}"
    );
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            let name = p.strip_prefix(src()).unwrap().display().to_string();
            (format!("src/{name}"), std::fs::read_to_string(p).unwrap())
        })
        .collect();
    let bad = over_budget(&files);
    assert!(
        bad.is_empty(),
        "command modules over {COMMAND_BUDGET} lines (split them, or say why in the header: \
         `//! {OVER_BUDGET}...`):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_dispatch_is_a_router() {
    let text = std::fs::read_to_string(src().join("app.rs")).unwrap();
    let lines = text.lines().count();
    assert!(
        lines <= ROUTER_BUDGET,
        "src/app.rs has {lines} lines: a command's work belongs in its module of src/commands/"
    );
    // Every command is dispatched to its module.
    for command in [
        "fetch",
        "check",
        "init",
        "self_check",
        "snapshot",
        "rules",
        "diff",
        "plan",
        "completions",
        "explain",
    ] {
        assert!(
            text.contains(&format!("commands::{command}::")),
            "src/app.rs does not dispatch to commands::{command}"
        );
    }
}
