//! Rule-file error snapshots: each test loads one small, wrong rule file (or two) and pins the
//! rendered diagnostic, so a change in wording, position or help text is a reviewed change.
//!
//! The whole `RulesError` is rendered, so every `#[related]` problem shows: two-phase validation
//! must report every problem of a file, not only the first. Update with `cargo insta review`.

// Helpers outside `#[test]` functions are test code too (clippy.toml allows these in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use halo_audit::catalog::Catalog;
use halo_audit::ruleset::{self, Library, RuleFile, RulesError};
use miette::{GraphicalReportHandler, GraphicalTheme};

/// A valid integration set; each test breaks one thing in a copy of it.
const VALID: &str = r#"id: demo-sync
title: Demo Sync
vendor: Demo
sources:
  - url: https://demo.example/docs/halopsa
    retrieved: 2026-11-24
binding:
  application_name: ["*Demo Sync*"]
requirements:
  - id: demo-sync.customers
    title: "Customers: Read Only"
    permission: Customers
    expect: Read Only
    source: { quote: "Customers | Read Only" }
  - id: demo-sync.delete
    title: "Cannot delete tickets"
    permission: Can delete tickets
    expect: no
    severity: warning
    source: { quote: "Can delete tickets | No" }
"#;

fn load(files: &[(&str, &str)]) -> Result<Library, RulesError> {
    let files: Vec<RuleFile> = files
        .iter()
        .map(|(name, text)| RuleFile {
            name: (*name).to_owned(),
            text: (*text).to_owned(),
            builtin: false,
        })
        .collect();
    ruleset::load(&files, Catalog::builtin().unwrap())
}

fn render(error: &RulesError) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, error)
        .unwrap();
    out
}

/// Loads files that must be refused, and renders the error.
fn refused(files: &[(&str, &str)]) -> String {
    match load(files) {
        Ok(library) => panic!(
            "rules were accepted: {:?}",
            library.sets.iter().map(|s| &s.id).collect::<Vec<_>>()
        ),
        Err(error) => render(&error),
    }
}

/// `VALID` with one exact piece of text replaced (which must be there).
fn valid_with(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "{from:?} is not in VALID");
    VALID.replacen(from, to, 1)
}

fn problem_count(error: &RulesError) -> usize {
    match error {
        RulesError::Invalid { problems } => problems.len(),
        other => panic!("expected RulesError::Invalid, got {other:?}"),
    }
}

#[test]
fn the_valid_template_loads() {
    let library = load(&[("demo.yaml", VALID)]).unwrap();
    assert_eq!(library.sets.len(), 1);
    assert_eq!(library.sets[0].requirements.len(), 2);
}

#[test]
fn unknown_permission_suggests_close_names() {
    let text = valid_with(
        "permission: Customers\n",
        "permission: Custmers Access Level\n",
    );
    let out = refused(&[("unknown-permission.yaml", &text)]);
    assert!(out.contains("did you mean"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn unknown_level_lists_the_levels_of_the_feature() {
    let text = valid_with("expect: Read Only\n", "expect: Read and Delete\n");
    insta::assert_snapshot!(refused(&[("unknown-level.yaml", &text)]));
}

#[test]
fn level_given_for_a_yes_no_permission() {
    let text = valid_with("expect: no\n", "expect: Read Only\n");
    insta::assert_snapshot!(refused(&[("level-for-flag.yaml", &text)]));
}

#[test]
fn level_bound_given_for_a_yes_no_permission() {
    let text = valid_with("expect: no\n", "expect: { at_most: Read Only }\n");
    insta::assert_snapshot!(refused(&[("bound-for-flag.yaml", &text)]));
}

#[test]
fn yes_no_given_for_a_level_permission() {
    let text = valid_with("expect: Read Only\n", "expect: true\n");
    insta::assert_snapshot!(refused(&[("flag-for-level.yaml", &text)]));
}

#[test]
fn yes_word_given_for_a_level_permission() {
    // However the parser reads `yes` (a YAML 1.1 boolean, a YAML 1.2 string), it is not a level.
    let text = valid_with("expect: Read Only\n", "expect: yes\n");
    insta::assert_snapshot!(refused(&[("yes-for-level.yaml", &text)]));
}

#[test]
fn duplicate_requirement_id_across_two_files() {
    let other = VALID
        .replace("id: demo-sync\n", "id: other-sync\n")
        .replace("title: Demo Sync\n", "title: Other Sync\n")
        .replace("*Demo Sync*", "*Other Sync*")
        .replace("id: demo-sync.delete", "id: other-sync.delete");
    // `demo-sync.customers` is now in both files.
    let out = refused(&[("a-demo.yaml", VALID), ("b-other.yaml", &other)]);
    assert!(out.contains("a-demo.yaml"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn requirement_without_source() {
    let text = valid_with("    source: { quote: \"Customers | Read Only\" }\n", "");
    insta::assert_snapshot!(refused(&[("missing-source.yaml", &text)]));
}

#[test]
fn unknown_field_in_a_requirement() {
    let text = valid_with("    permission: Customers\n", "    permision: Customers\n");
    insta::assert_snapshot!(refused(&[("unknown-field.yaml", &text)]));
}

#[test]
fn bad_severity() {
    let text = valid_with("severity: warning\n", "severity: critical\n");
    insta::assert_snapshot!(refused(&[("bad-severity.yaml", &text)]));
}

#[test]
fn integration_set_without_binding() {
    let text = valid_with("binding:\n  application_name: [\"*Demo Sync*\"]\n", "");
    insta::assert_snapshot!(refused(&[("missing-binding.yaml", &text)]));
}

#[test]
fn source_url_that_is_not_a_url() {
    let text = valid_with(
        "url: https://demo.example/docs/halopsa",
        "url: demo.example/docs/halopsa",
    );
    insta::assert_snapshot!(refused(&[("not-a-url.yaml", &text)]));
}

#[test]
fn retrieved_date_that_is_not_a_date() {
    let text = valid_with("retrieved: 2026-11-24", "retrieved: 24/11/2026");
    insta::assert_snapshot!(refused(&[("bad-date.yaml", &text)]));
}

#[test]
fn retrieved_date_that_does_not_exist() {
    let text = valid_with("retrieved: 2026-11-24", "retrieved: 2026-02-30");
    insta::assert_snapshot!(refused(&[("impossible-date.yaml", &text)]));
}

#[test]
fn malformed_yaml_bad_indentation() {
    let text = valid_with(
        "    title: \"Customers: Read Only\"\n",
        "      title: \"Customers: Read Only\"\n",
    );
    insta::assert_snapshot!(refused(&[("bad-indentation.yaml", &text)]));
}

#[test]
fn malformed_yaml_unclosed_bracket() {
    let text = valid_with("[\"*Demo Sync*\"]", "[\"*Demo Sync*\"");
    insta::assert_snapshot!(refused(&[("unclosed-bracket.yaml", &text)]));
}

#[test]
fn invalid_set_id() {
    let text = valid_with("id: demo-sync\n", "id: Demo_Sync\n");
    insta::assert_snapshot!(refused(&[("invalid-set-id.yaml", &text)]));
}

/// A "billion laughs" file: nine levels of nine aliases, 9^9 strings if fully expanded. The bomb is
/// the value of `expect`, an untagged enum, which a deserializer buffers whole before choosing a
/// variant: exactly where an unbounded alias expansion would happen.
fn alias_bomb() -> String {
    let mut text = valid_with(
        "    expect: Read Only\n",
        "    expect:\n      - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    let mut at = text.find("      - &l0").unwrap();
    at += text[at..].find('\n').unwrap() + 1;
    for level in 1..=8 {
        let refs = vec![format!("*l{}", level - 1); 9].join(", ");
        let line = format!("      - &l{level} [{refs}]\n");
        text.insert_str(at, &line);
        at += line.len();
    }
    text
}

#[test]
fn alias_bomb_fails_fast() {
    let text = alias_bomb();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(
            load(&[("bomb.yaml", &text)])
                .map(|_| ())
                .map_err(|e| render(&e)),
        );
    });
    let result = rx
        // A guard against a hang only, far beyond any machine's time: "fast" is shown by the
        // error naming the parser's alias limit (the expansion was refused, not performed).
        .recv_timeout(Duration::from_secs(120))
        .expect("loading an alias bomb did not finish");
    let out = result.expect_err("an alias bomb was accepted");
    assert!(out.contains("YAML limits"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn a_few_aliases_are_not_a_bomb() {
    // The limit must not refuse ordinary anchors: one quote reused by two requirements.
    let text = VALID
        .replace(
            "source: { quote: \"Customers | Read Only\" }",
            "source: &src { quote: \"Customers | Read Only\" }",
        )
        .replace(
            "source: { quote: \"Can delete tickets | No\" }",
            "source: *src",
        );
    assert!(text.contains("*src"));
    load(&[("aliases.yaml", &text)]).unwrap();
}

#[test]
fn three_problems_in_one_file_are_all_reported() {
    let text = VALID
        .replace(
            "url: https://demo.example/docs/halopsa",
            "url: ftp://demo.example/halopsa",
        )
        .replace("expect: Read Only\n", "expect: Read Everything\n")
        .replace("severity: warning\n", "severity: fatal\n");
    let error = load(&[("three-problems.yaml", &text)]).unwrap_err();
    assert_eq!(problem_count(&error), 3, "{}", render(&error));
    insta::assert_snapshot!(render(&error));
}

#[test]
fn problems_in_two_files_are_all_reported() {
    let bad_level = valid_with("expect: Read Only\n", "expect: Read Everything\n");
    let bad_id =
        valid_with("id: demo-sync\n", "id: Other Sync\n").replace("demo-sync.", "other-sync.");
    let error = load(&[("one.yaml", &bad_level), ("two.yaml", &bad_id)]).unwrap_err();
    assert_eq!(problem_count(&error), 2, "{}", render(&error));
}

#[test]
fn shipped_rules_load() {
    let catalog = Catalog::builtin().unwrap();
    let library = ruleset::load(&ruleset::builtin_files(), catalog).unwrap();
    let ids: Vec<&str> = library.sets.iter().map(|s| s.id.as_str()).collect();
    for id in ["baseline", "cloud-depot", "vciotoolbox"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    // The repository's rules/ directory, read from disk, loads too.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let from_disk = ruleset::load(&ruleset::read_path(&dir).unwrap(), catalog).unwrap();
    assert!(from_disk.get("cloud-depot").is_some());
}

#[test]
fn rules_validate_accepts_the_shipped_rules() {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["rules", "validate", "rules/"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("ok: "), "{stdout}");
}

#[test]
fn rules_validate_refuses_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(
        &path,
        valid_with("expect: Read Only\n", "expect: Read Everything\n"),
    )
    .unwrap();
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(["rules", "validate"])
        .arg(&path)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.yaml:13:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A duplicate requirement id is reported even when one of the two requirements (here the
/// duplicate itself) has another problem, in the same run as that problem.
#[test]
fn a_duplicate_id_is_reported_whatever_else_is_wrong() {
    let text = valid_with("id: demo-sync.delete\n", "id: demo-sync.customers\n")
        .replace("expect: no\n", "expect: sometimes\n");
    let error = load(&[("dup.yaml", &text)]).unwrap_err();
    let text = format!("{error:?}");
    assert!(text.contains("already used"), "{text}");
    assert!(problem_count(&error) >= 2, "{text}");
}

/// `rules validate` loads the given files beside the shipped sets, as `check` does: a
/// requirement id a shipped set uses is a duplicate there too.
#[test]
fn rules_validate_checks_ids_against_the_shipped_sets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.yaml");
    let shipped = ruleset::load(&ruleset::builtin_files(), Catalog::builtin().unwrap()).unwrap();
    let taken = shipped.sets[0].requirements[0].id.clone();
    std::fs::write(
        &path,
        valid_with("id: demo-sync.customers\n", &format!("id: {taken}\n")),
    )
    .unwrap();
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(["rules", "validate"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is already used"), "{stderr}");
    assert!(stderr.contains("mine.yaml"), "{stderr}");
    // The shipped sets alone, and a file of its own ids, still pass.
    std::fs::write(&path, VALID).unwrap();
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(["rules", "validate"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "ok: 1 files, 1 sets, 2 requirements and policies\n"
    );
}

/// Structural mistakes in several requirements (a missing member, an unknown one, a wrong type)
/// are reported in one run with the semantic ones and a duplicate id, each at its line.
#[test]
fn structural_and_semantic_problems_of_every_requirement_at_once() {
    let text = format!(
        "{}{}",
        valid_with("    expect: Read Only\n", "").replace(
            "    severity: warning\n",
            "    severity: warning\n    expekt: no\n"
        ),
        concat!(
            "  - id: demo-sync.third\n    title: Third\n    permission: Custmers\n",
            "    expect: Read Only\n    source: { quote: x }\n",
            "  - id: demo-sync.customers\n    title: Again\n    permission: Customers\n",
            "    expect: [1, 2]\n    source: { quote: x }\n",
            "  - id: demo-sync.fifth\n    title: Fifth\n    permission: Customers\n",
            "    expect: Read Only\n    source: { quote: x }\n",
        ),
    );
    let error = load(&[("many.yaml", &text)]).unwrap_err();
    let shown = render(&error);
    let lines: Vec<usize> = match &error {
        RulesError::Invalid { problems } => problems.iter().map(|p| p.location.line).collect(),
        other => panic!("{other:?}"),
    };
    for words in [
        "missing field `expect`",
        "unknown field `expekt`",
        "Custmers",
        "already used",
    ] {
        assert!(shown.contains(words), "`{words}` not in:\n{shown}");
    }
    // Missing `expect` (the mapping at line 10), `expekt` (line 19), the unknown permission (line
    // 23), the id used twice (line 26) and its wrong `expect` (line 29).
    for line in [10, 19, 23, 26, 29] {
        assert!(
            lines.contains(&line),
            "no problem at line {line}: {lines:?}\n{shown}"
        );
    }
}

/// Every broken requirement of one file reports every problem it has, each at its place: members
/// missing, members of the wrong type or unknown, and beside them what the members that are there
/// say (an unknown permission, an unknown level) and a duplicate id.
#[test]
fn several_broken_requirements_report_every_problem_in_one_run() {
    let text = r#"id: multi
title: Multi
sources:
  - {url: "https://a.example/", retrieved: 2026-11-24}
binding: {application_name: ["Multi*"]}
requirements:
  - id: multi.a
    title: lacks expect
    permission: Tickets
    source: {quote: q}
  - id: multi.b
    title: lacks expect, unknown permission
    permission: No Such Permission
    source: {quote: q}
  - id: multi.c
    permission: Customers
    expect: Sort of
    source: {quote: q}
  - id: multi.a
    title: [not, a, string]
    permission: Assets
    expect: Read Only
    allow_higher: perhaps
    source: {quote: q, page: 4}
  - id: multi.e
    title: fine
    permission: Tickets
    expect: Read Only
    source: {quote: q}
"#;
    let error = load(&[("multi.yaml", text)]).unwrap_err();
    let shown = render(&error);
    let RulesError::Invalid { problems } = &error else {
        panic!("{error:?}")
    };
    let found: Vec<(String, usize)> = problems
        .iter()
        .map(|p| (p.message.clone(), p.location.line))
        .collect();
    for (message, line) in [
        ("missing field `expect`", 7),
        ("missing field `expect`", 11),
        ("unknown permission `No Such Permission`", 13),
        ("missing field `title`", 15),
        ("`Sort of` is not a level", 17),
        ("expected string scalar", 20),
        ("invalid boolean", 23),
        ("unknown field `page`", 24),
        ("requirement id `multi.a` is already used", 19),
    ] {
        assert!(
            found.iter().any(|(m, l)| m.contains(message) && *l == line),
            "{message} at line {line} is missing from {found:#?}\n{shown}"
        );
    }
    assert_eq!(problems.len(), 9, "{found:#?}");
    insta::assert_snapshot!(shown);
}

/// A list of flow mappings, one a line, every one broken: each still reports its problems.
#[test]
fn every_requirement_broken_in_flow_mappings_is_reported() {
    let text = r#"id: flowy
title: Flowy
sources:
  - {url: "https://a.example/", retrieved: 2026-11-24}
binding: {application_name: ["Flowy*"]}
requirements:
  - {id: flowy.a, title: a, permission: Bogus Perm, source: {quote: q}}
  - {id: flowy.b, title: [x], permission: Tickets, expect: Read Only, source: {quote: q}}
  - {id: flowy.c, permission: Customers, expect: Sort of, source: {quote: q}}
"#;
    let error = load(&[("flowy.yaml", text)]).unwrap_err();
    let RulesError::Invalid { problems } = &error else {
        panic!("{error:?}")
    };
    let found: Vec<(String, usize)> = problems
        .iter()
        .map(|p| (p.message.clone(), p.location.line))
        .collect();
    for (message, line) in [
        ("missing field `expect`", 7),
        ("unknown permission `Bogus Perm`", 7),
        ("expected string scalar", 8),
        ("missing field `title`", 9),
        ("`Sort of` is not a level", 9),
    ] {
        assert!(
            found.iter().any(|(m, l)| m.contains(message) && *l == line),
            "{message} at line {line} is missing from {found:#?}"
        );
    }
    assert_eq!(problems.len(), 5, "{found:#?}");
}

/// A source URL with a user name and password: `rules validate` refuses it at its place; `check`,
/// `rules show` and `rules list` accept the file and print the URL as `https://***@host/...`; the
/// password is printed nowhere, not even in the quoted lines of the file.
#[test]
fn userinfo_in_a_source_url_is_refused_by_validate_and_redacted_everywhere() {
    let text = valid_with(
        "url: https://demo.example/docs/halopsa",
        "url: https://reader:hunter2@demo.example/docs/halopsa",
    );
    let library = load(&[("userinfo.yaml", &text)]).unwrap();
    let error = library.strict().unwrap_err();
    assert_eq!(problem_count(&error), 1);
    let out = render(&error);
    assert!(
        out.contains(
            "source url `https://***@demo.example/docs/halopsa` holds a user name or password"
        ),
        "{out}"
    );
    assert!(out.contains("userinfo.yaml:5:"), "{out}");
    assert!(!out.contains("hunter2") && !out.contains("reader"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("userinfo.yaml");
    std::fs::write(&path, &text).unwrap();
    let path = path.to_str().unwrap();
    let snapshot = "fixtures/demo/snapshot.json";
    let check = |format: &'static str| {
        vec![
            "check",
            "--snapshot",
            snapshot,
            "--rules",
            path,
            "--set",
            "demo-sync",
            "--format",
            format,
        ]
    };
    let mut runs = vec![
        (vec!["rules", "validate", path], 2),
        (vec!["rules", "show", "demo-sync", "--rules", path], 0),
        (vec!["rules", "list", "--rules", path], 0),
    ];
    for format in [
        "human", "json", "sarif", "markdown", "html", "github", "junit",
    ] {
        runs.push((check(format), -1));
    }
    for (args, code) in runs {
        let output = Command::cargo_bin("halo-audit")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .env_remove("HALO_AUDIT_CONFIG")
            .args(&args)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if code >= 0 {
            assert_eq!(output.status.code(), Some(code), "{args:?}: {all}");
        } else {
            assert!(
                matches!(output.status.code(), Some(0 | 1)),
                "{args:?}: {all}"
            );
        }
        assert!(!all.contains("hunter2"), "{args:?}: {all}");
        // Wherever the URL is printed, it is redacted; `rules show` prints it.
        assert_eq!(
            all.matches("demo.example").count(),
            all.matches("*@demo.example").count(),
            "{args:?}: {all}"
        );
        if args[1] == "show" || args.contains(&"sarif") {
            assert!(all.contains("https://***@demo.example"), "{args:?}: {all}");
        }
    }
}

#[test]
fn redacted_urls_keep_everything_but_the_userinfo() {
    use halo_audit::ruleset::redacted_url;
    for (url, shown) in [
        ("http://user:pass@host/p", "http://***@host/p"),
        ("https://user@host", "https://***@host"),
        (
            "https://a:b@c@host:8443/x?y=@z#@",
            "https://***@host:8443/x?y=@z#@",
        ),
        (
            "https://host/path@not-userinfo",
            "https://host/path@not-userinfo",
        ),
        ("https://host?q=a@b", "https://host?q=a@b"),
        ("mailto:a@b", "mailto:a@b"),
    ] {
        assert_eq!(redacted_url(url), shown, "{url}");
    }
}

#[test]
fn masked_userinfo_keeps_every_offset() {
    use halo_audit::ruleset::masked_userinfo;
    let text = "a: https://u:pä@h/x\nb: \"http://x@y\"\nc: https://h/p@q\n";
    let masked = masked_userinfo(text);
    assert_eq!(masked.len(), text.len());
    assert_eq!(
        masked,
        "a: https://*****@h/x\nb: \"http://*@y\"\nc: https://h/p@q\n"
    );
    assert!(matches!(
        masked_userinfo("no urls"),
        std::borrow::Cow::Borrowed(_)
    ));
}

/// Requirements written as one flow sequence (`requirements: [{...}, {...}]`), on one line or
/// across lines: every requirement's problems are reported at their places in one run, as in block
/// style, beside the unknown permission, the unknown level and the duplicate id.
#[test]
fn a_flow_sequence_of_requirements_reports_every_problem_at_its_place() {
    let one_line = r#"id: flowy
title: Flowy
sources: [{url: "https://a.example/", retrieved: 2026-11-24}]
binding: {application_name: ["Flowy*"]}
requirements: [{id: flowy.a, title: a, permission: Bogus Perm, source: {quote: q}}, {id: flowy.b, title: [x], permission: Tickets, expect: Read Only, source: {quote: "it's, {odd} # not a comment"}}, {id: flowy.c, permission: Customers, expect: Sort of, source: {quote: 'q'' s'}}, {id: flowy.a, title: dup, permission: Tickets, expect: Read Only, allow_higher: perhaps, source: {quote: q}}, {id: flowy.e, title: fine, permission: Tickets, expect: Read Only, source: {quote: q}}]
"#;
    let error = load(&[("flowy.yaml", one_line)]).unwrap_err();
    let RulesError::Invalid { problems } = &error else {
        panic!("{error:?}")
    };
    let found: Vec<(String, usize, usize)> = problems
        .iter()
        .map(|p| (p.message.clone(), p.location.line, p.location.column))
        .collect();
    let line = one_line.lines().nth(4).unwrap();
    let column = |text: &str| line.find(text).unwrap() + 1;
    for (message, at) in [
        ("missing field `expect`", column("{id: flowy.a")),
        ("unknown permission `Bogus Perm`", column("Bogus Perm")),
        ("expected string scalar", column("[x]")),
        ("missing field `title`", column("{id: flowy.c")),
        ("`Sort of` is not a level", column("Sort of")),
        ("invalid boolean", column("perhaps")),
        (
            "requirement id `flowy.a` is already used",
            column("{id: flowy.a, title: dup"),
        ),
    ] {
        assert!(
            found
                .iter()
                .any(|(m, l, c)| m.contains(message) && *l == 5 && *c == at),
            "{message} at 5:{at} is missing from {found:#?}"
        );
    }
    assert_eq!(problems.len(), 7, "{found:#?}");

    let across_lines = r#"id: flowy
title: Flowy
sources: [{url: "https://a.example/", retrieved: 2026-11-24}]
binding: {application_name: ["Flowy*"]}
requirements: [
  {id: flowy.a, title: a,
   permission: Bogus Perm, source: {quote: q}},   # lacks expect
  {id: flowy.b, title: [x], permission: Tickets,
   expect: Read Only, source: {quote: q}},
  {id: flowy.e, title: fine, permission: Tickets, expect: Read Only, source: {quote: q}},
]
policies: [{id: flowy.p, title: p, check: no_such_check}]
"#;
    let error = load(&[("flowy.yaml", across_lines)]).unwrap_err();
    let RulesError::Invalid { problems } = &error else {
        panic!("{error:?}")
    };
    let found: Vec<(String, usize)> = problems
        .iter()
        .map(|p| (p.message.clone(), p.location.line))
        .collect();
    for (message, line) in [
        ("missing field `expect`", 6),
        ("unknown permission `Bogus Perm`", 7),
        ("expected string scalar", 8),
    ] {
        assert!(
            found.iter().any(|(m, l)| m.contains(message) && *l == line),
            "{message} at line {line} is missing from {found:#?}"
        );
    }
    assert!(
        found.iter().any(|(_, l)| *l == 12),
        "the policy's problem is reported too: {found:#?}"
    );
}
