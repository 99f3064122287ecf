//! halo-audit in a user's repository and CI: the shipped sets exported and audited from there
//! (`rules export`), SARIF locations that exist in that repository, the command-line conventions
//! (`-` for standard input and output, configuration discovery, colour variables) and the CI
//! formats of other systems (GitLab Code Quality).
//!
//! Commands run with a cleared colour environment; each test that needs a repository builds one in
//! a temporary directory (a `.git` directory marks its root).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/snapshot.json")
}

/// halo-audit run in `dir`, with no colour variables and no configuration from the environment.
fn halo_audit(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("halo-audit").unwrap();
    cmd.current_dir(dir);
    for var in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "FORCE_COLOR",
        "TERM",
        "HALO_URL",
        "HALO_AUDIT_CONFIG",
        "HALO_AUDIT_FAIL_ON",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = halo_audit(dir);
    cmd.args(args);
    if let Some(bytes) = stdin {
        cmd.write_stdin(bytes);
    }
    let output = cmd.output().unwrap();
    let run = Run {
        code: output.status.code().expect("killed by a signal"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    run
}

fn expect(dir: &Path, args: &[&str], code: i32) -> Run {
    let run = run_in(dir, args, None);
    assert_eq!(
        run.code, code,
        "exit code of {args:?}\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    run
}

/// A repository in a temporary directory: `.git` at its root and an `ops/` subdirectory.
fn repository() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    std::fs::create_dir(repo.path().join("ops")).unwrap();
    repo
}

// ---------------------------------------------------------------------------------------------
// rules export

#[test]
fn exported_sets_validate_and_find_what_the_shipped_ones_find() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    let rules_arg = rules.to_str().unwrap();
    expect(dir.path(), &["rules", "export", rules_arg], 0);
    let schema = std::fs::read_to_string(rules.join("rules.schema.json")).unwrap();
    assert_eq!(
        schema,
        expect(dir.path(), &["rules", "schema"], 0).stdout,
        "the schema beside the sets is the one `rules schema` prints"
    );
    let shipped = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"))
        .unwrap()
        .count();
    let mut yaml = 0;
    for entry in std::fs::read_dir(&rules).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            yaml += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with("# yaml-language-server: $schema=./rules.schema.json\n"),
                "{}: the modeline names the schema beside it",
                path.display()
            );
        }
    }
    assert_eq!(yaml, shipped, "every shipped set is exported");
    let validated = expect(dir.path(), &["rules", "validate", rules_arg], 0);
    assert!(
        validated
            .stdout
            .starts_with(&format!("ok: {shipped} files"))
    );

    let snapshot = demo();
    let snapshot = snapshot.to_str().unwrap();
    for format in ["table", "json"] {
        let builtin = run_in(
            dir.path(),
            &["check", "--snapshot", snapshot, "--format", format],
            None,
        );
        let exported = run_in(
            dir.path(),
            &[
                "check",
                "--snapshot",
                snapshot,
                "--format",
                format,
                "--no-default-rules",
                "--rules",
                rules_arg,
            ],
            None,
        );
        assert_eq!(builtin.code, 1, "the demo has errors");
        assert_eq!(exported.code, builtin.code);
        assert_eq!(
            exported.stderr, builtin.stderr,
            "{format}: the same verdict"
        );
        if format == "table" {
            assert_eq!(exported.stdout, builtin.stdout, "the same findings");
        } else {
            let key = |text: &str| -> Vec<(String, String)> {
                let report: Value = serde_json::from_str(text).unwrap();
                report["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        (
                            f["fingerprint"].as_str().unwrap().to_owned(),
                            f["message"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            };
            assert_eq!(key(&exported.stdout), key(&builtin.stdout));
        }
    }
}

#[test]
fn export_never_replaces_a_file_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("hudu.yaml"), "# mine\n").unwrap();
    let refused = expect(dir.path(), &["rules", "export", "rules"], 2);
    assert!(refused.stderr.contains("hudu.yaml"), "{}", refused.stderr);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(
        std::fs::read_to_string(rules.join("hudu.yaml")).unwrap(),
        "# mine\n"
    );
    assert!(
        !rules.join("cipp.yaml").exists(),
        "nothing is written when one file exists"
    );
    expect(dir.path(), &["rules", "export", "rules", "--force"], 0);
    assert!(
        std::fs::read_to_string(rules.join("hudu.yaml"))
            .unwrap()
            .contains("id: hudu")
    );
}

// ---------------------------------------------------------------------------------------------
// SARIF in the user's repository

/// What GitHub code scanning would do with a SARIF log uploaded from `root`: every result is its
/// own alert, and every location names a file of the repository.
fn assert_code_scanning_would_show(log: &Value, root: &Path) {
    let (schemas, index) = common::formats::sarif_schema();
    common::formats::validate(&schemas, index, log).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let hashes: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(hashes.len(), results.len(), "one alert per result");
    for result in results {
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%", "{result:#}");
        let uri = artifact["uri"].as_str().unwrap();
        assert!(
            root.join(uri).is_file(),
            "{uri} is not a file of the repository"
        );
    }
}

#[test]
fn sarif_from_a_subdirectory_locates_exported_sets_in_the_repository() {
    let repo = repository();
    let ops = repo.path().join("ops");
    expect(&ops, &["rules", "export", "../rules"], 0);
    let snapshot = demo();
    let run = run_in(
        &ops,
        &[
            "check",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--no-default-rules",
            "--rules",
            "../rules",
            "--format",
            "sarif",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_code_scanning_would_show(&log, repo.path());
    assert!(run.stdout.contains("\"uri\": \"rules/hudu.yaml\""));
}

#[test]
fn diff_sarif_locates_a_committed_snapshot_in_the_repository() {
    let repo = repository();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff");
    for name in ["old.json", "new.json"] {
        std::fs::copy(fixtures.join(name), repo.path().join("ops").join(name)).unwrap();
    }
    let run = expect(
        &repo.path().join("ops"),
        &["diff", "old.json", "new.json", "--format", "sarif"],
        0,
    );
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_code_scanning_would_show(&log, repo.path());
    assert!(run.stdout.contains("\"uri\": \"ops/new.json\""));
}

// ---------------------------------------------------------------------------------------------
// `-` for standard output and input

#[test]
fn dash_as_output_is_standard_output_and_never_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = demo();
    let snapshot = snapshot.to_str().unwrap();
    let plain = run_in(
        dir.path(),
        &["check", "--snapshot", snapshot, "--format", "json"],
        None,
    );
    let dashed = run_in(
        dir.path(),
        &[
            "check",
            "--snapshot",
            snapshot,
            "--format",
            "json",
            "-o",
            "-",
        ],
        None,
    );
    assert_eq!(dashed.code, 1);
    assert_eq!(dashed.stdout, plain.stdout);
    assert_eq!(dashed.stderr, plain.stderr);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff");
    let (old, new) = (fixtures.join("old.json"), fixtures.join("new.json"));
    let diff = expect(
        dir.path(),
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "-o",
            "-",
        ],
        0,
    );
    assert!(diff.stdout.contains("widened"));
    let plan = expect(
        dir.path(),
        &["plan", "--set", "hudu", "--format", "json", "-o", "-"],
        0,
    );
    assert!(plan.stdout.starts_with('{'));
    let init = expect(dir.path(), &["init", "-o", "-"], 0);
    assert!(init.stdout.contains("# halo-audit configuration"));
    assert!(
        init.stderr.contains("wrote standard output"),
        "{}",
        init.stderr
    );
    assert!(
        !dir.path().join("-").exists(),
        "no file named `-` was written"
    );
    // Two outputs cannot share standard output.
    let both = expect(
        dir.path(),
        &[
            "check",
            "--url",
            "http://127.0.0.1:9",
            "--client-id",
            "x",
            "--save-snapshot",
            "-",
        ],
        2,
    );
    assert!(both.stderr.contains("--save-snapshot"), "{}", both.stderr);
}

#[test]
fn dash_as_a_snapshot_reads_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = demo();
    let bytes = std::fs::read(&snapshot).unwrap();
    let from_file = run_in(
        dir.path(),
        &[
            "check",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--format",
            "table",
        ],
        None,
    );
    let from_stdin = run_in(
        dir.path(),
        &["check", "--snapshot", "-", "--format", "table"],
        Some(bytes.clone()),
    );
    assert_eq!(from_stdin.code, from_file.code);
    assert_eq!(from_stdin.stdout, from_file.stdout);
    let shown = run_in(dir.path(), &["snapshot", "show", "-"], Some(bytes));
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(shown.stdout.contains("northwind"));

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff");
    let (old, new) = (fixtures.join("old.json"), fixtures.join("new.json"));
    let by_path = run_in(
        dir.path(),
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    let old_from_stdin = run_in(
        dir.path(),
        &["diff", "-", new.to_str().unwrap(), "--format", "json"],
        Some(std::fs::read(&old).unwrap()),
    );
    let new_from_stdin = run_in(
        dir.path(),
        &["diff", old.to_str().unwrap(), "-", "--format", "sarif"],
        Some(std::fs::read(&new).unwrap()),
    );
    assert_eq!(old_from_stdin.code, 0, "{}", old_from_stdin.stderr);
    assert_eq!(new_from_stdin.code, 0, "{}", new_from_stdin.stderr);
    let changes = |text: &str| serde_json::from_str::<Value>(text).unwrap()["changes"].clone();
    assert_eq!(changes(&old_from_stdin.stdout), changes(&by_path.stdout));
    let sarif: Value = serde_json::from_str(&new_from_stdin.stdout).unwrap();
    let lines: BTreeSet<u64> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(
        lines.len() > 1,
        "NEW's objects are located from standard input too"
    );

    let twice = run_in(dir.path(), &["diff", "-", "-"], Some(Vec::new()));
    assert_eq!(twice.code, 2);
    assert!(twice.stderr.contains("standard input"), "{}", twice.stderr);
    let empty = run_in(dir.path(), &["check", "--snapshot", "-"], Some(Vec::new()));
    assert_eq!(empty.code, 2);
    assert!(empty.stderr.contains("<stdin>"), "{}", empty.stderr);
}

// ---------------------------------------------------------------------------------------------
// Configuration discovery

#[test]
fn the_configuration_is_found_up_to_the_repository_root() {
    let repo = repository();
    let deep = repo.path().join("ops/audit");
    std::fs::create_dir(&deep).unwrap();
    let snapshot = demo();
    let snapshot = snapshot.to_str().unwrap();
    let check = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["check", "--snapshot", snapshot, "-q", "-o", "/dev/null"];
        args.extend_from_slice(extra);
        run_in(dir, &args, None)
    };
    // Without a configuration the demo fails on its errors.
    assert_eq!(check(&deep, &[]).code, 1);
    // `halo-audit.yml` at the root, found from two levels down.
    std::fs::write(repo.path().join("halo-audit.yml"), "fail_on: never\n").unwrap();
    assert_eq!(check(&deep, &[]).code, 0);
    assert_eq!(check(&deep, &["--no-config"]).code, 1);
    // The nearest file wins.
    std::fs::write(repo.path().join("ops/halo-audit.yaml"), "fail_on: error\n").unwrap();
    assert_eq!(check(&deep, &[]).code, 1);
    std::fs::remove_file(repo.path().join("ops/halo-audit.yaml")).unwrap();
    // Two names in one directory: which one is meant is not guessed.
    std::fs::write(repo.path().join("halo-audit.yaml"), "fail_on: never\n").unwrap();
    let both = check(&deep, &[]);
    assert_eq!(both.code, 2);
    assert!(both.stderr.contains("halo-audit.yml"), "{}", both.stderr);
    std::fs::remove_file(repo.path().join("halo-audit.yml")).unwrap();
    // Nothing above the repository root is read.
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("halo-audit.yaml"), "fail_on: never\n").unwrap();
    let inner = outer.path().join("repo");
    std::fs::create_dir_all(inner.join(".git")).unwrap();
    assert_eq!(check(&inner, &[]).code, 1);
    // `--no-config` also overrides HALO_AUDIT_CONFIG.
    let mut cmd = halo_audit(&inner);
    let status = cmd
        .env("HALO_AUDIT_CONFIG", "missing.yaml")
        .args([
            "--no-config",
            "check",
            "--snapshot",
            snapshot,
            "-q",
            "-o",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
}

#[test]
fn a_missing_config_file_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = demo();
    let run = expect(
        dir.path(),
        &[
            "--config",
            "nope.yaml",
            "check",
            "--snapshot",
            snapshot.to_str().unwrap(),
        ],
        2,
    );
    assert!(
        run.stderr
            .contains("cannot read the configuration file nope.yaml"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--config"), "{}", run.stderr);
    assert!(!run.stderr.contains("--rules"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// Colour

#[test]
fn colour_follows_the_flag_and_the_variables() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = demo();
    let snapshot = snapshot.to_str().unwrap();
    let coloured = |vars: &[(&str, &str)], extra: &[&str]| {
        let mut cmd = halo_audit(dir.path());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut args = vec!["check", "--snapshot", snapshot];
        args.extend_from_slice(extra);
        let out = cmd.args(&args).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        stdout.contains('\u{1b}')
    };
    // Standard output is a pipe here: no colour unless forced.
    assert!(!coloured(&[], &[]));
    assert!(coloured(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(coloured(&[("FORCE_COLOR", "1")], &[]));
    assert!(!coloured(&[("FORCE_COLOR", "0")], &[]));
    assert!(!coloured(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")], &[]));
    assert!(!coloured(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]));
    assert!(coloured(&[("NO_COLOR", "1")], &["--color", "always"]));
    assert!(!coloured(&[("TERM", "dumb")], &[]));
    // Errors and clap's usage errors on standard error follow the same rules.
    let stderr = |vars: &[(&str, &str)], args: &[&str]| {
        let mut cmd = halo_audit(dir.path());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        String::from_utf8(cmd.args(args).output().unwrap().stderr).unwrap()
    };
    let missing = ["check", "--snapshot", "missing.json"];
    assert!(stderr(&[("FORCE_COLOR", "1")], &missing).contains('\u{1b}'));
    assert!(!stderr(&[], &missing).contains('\u{1b}'));
    assert!(stderr(&[("CLICOLOR_FORCE", "1")], &["check", "--bogus"]).contains('\u{1b}'));
    assert!(!stderr(&[("NO_COLOR", "1")], &["check", "--bogus"]).contains('\u{1b}'));
}

// ---------------------------------------------------------------------------------------------
// Installing: completions and manual pages

#[test]
fn completions_are_printed_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = expect(dir.path(), &["completions", shell], 0);
        assert!(run.stdout.contains("halo-audit"), "{shell}");
        assert!(
            run.stdout.contains("save-snapshot"),
            "{shell}: subcommands' options"
        );
    }
    // The bash script at least parses (when bash is there to ask).
    let script = dir.path().join("halo-audit.bash");
    std::fs::write(
        &script,
        expect(dir.path(), &["completions", "bash"], 0).stdout,
    )
    .unwrap();
    if let Ok(status) = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
    {
        assert!(status.success(), "bash -n rejects the completion script");
    }
    expect(dir.path(), &["completions", "tcsh"], 2);
}

#[test]
fn manual_pages_cover_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let page = expect(dir.path(), &["man"], 0).stdout;
    assert!(page.contains(".TH halo-audit 1"), "{page}");
    assert!(
        page.contains("\\-\\-no\\-config"),
        "global options are documented"
    );
    expect(dir.path(), &["man", "--dir", "man"], 0);
    for name in [
        "halo-audit.1",
        "halo-audit-check.1",
        "halo-audit-rules-export.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join("man").join(name)).unwrap();
        assert!(text.contains(".TH"), "{name}");
    }
    let check = std::fs::read_to_string(dir.path().join("man/halo-audit-check.1")).unwrap();
    assert!(check.contains("gitlab"), "the formats are listed");
}

#[test]
fn findings_of_shipped_sets_are_placed_at_their_binding_in_the_configuration() {
    let repo = repository();
    std::fs::write(
        repo.path().join("halo-audit.yaml"),
        "# the tenant's integrations\nbindings:\n  hudu:\n    applications: [Hudu]\n",
    )
    .unwrap();
    let snapshot = demo();
    let ops = repo.path().join("ops");
    for format in ["sarif", "gitlab", "github"] {
        let run = run_in(
            &ops,
            &[
                "check",
                "--snapshot",
                snapshot.to_str().unwrap(),
                "--format",
                format,
                "--fail-on",
                "never",
            ],
            None,
        );
        // Where findings are placed is the point here, not the verdict (the baseline's escalations
        // in the demo are errors).
        assert_eq!(run.code, 0, "{}", run.stderr);
        match format {
            "sarif" => {
                let log: Value = serde_json::from_str(&run.stdout).unwrap();
                let results = log["runs"][0]["results"].as_array().unwrap();
                for result in results {
                    let physical = &result["locations"][0]["physicalLocation"];
                    let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
                    if result["properties"]["requirementSet"] == "hudu" {
                        assert_eq!(uri, "halo-audit.yaml", "{result:#}");
                        assert_eq!(physical["region"]["startLine"], 3);
                        assert!(repo.path().join(uri).is_file());
                    } else {
                        // No binding (the baseline): the configuration file's first line, a
                        // file of the repository all the same.
                        assert_eq!(uri, "halo-audit.yaml", "{result:#}");
                        assert_eq!(physical["region"]["startLine"], 1);
                    }
                }
                assert_code_scanning_would_show(&log, repo.path());
            }
            "gitlab" => {
                let issues: Value = serde_json::from_str(&run.stdout).unwrap();
                let issues = issues.as_array().unwrap();
                let at_binding = issues
                    .iter()
                    .filter(|i| {
                        i["location"]["path"] == "halo-audit.yaml"
                            && i["location"]["lines"]["begin"] == 3
                    })
                    .count();
                assert_eq!(at_binding, 6, "the demo's Hudu findings");
                assert!(
                    issues
                        .iter()
                        .all(|i| i["location"]["path"] == "halo-audit.yaml"),
                    "the baseline's at the file's first line"
                );
            }
            _ => assert_eq!(
                run.stdout
                    .lines()
                    .filter(|l| l.contains("file=halo-audit.yaml,line=3"))
                    .count(),
                6,
                "{}",
                run.stdout
            ),
        }
    }
    // The human report still quotes the requirement in its rule file.
    let human = run_in(
        &ops,
        &["check", "--snapshot", snapshot.to_str().unwrap()],
        None,
    );
    assert!(human.stdout.contains("rules/hudu.yaml"), "{}", human.stdout);
}

#[test]
fn exported_sets_validate_against_the_schema_beside_them() {
    let dir = tempfile::tempdir().unwrap();
    expect(dir.path(), &["rules", "export", "rules"], 0);
    let rules = dir.path().join("rules");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(rules.join("rules.schema.json")).unwrap())
            .unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let url = "https://halo-audit.invalid/schema/rules.schema.json";
    compiler.add_resource(url, schema).unwrap();
    let index = compiler.compile(url, &mut schemas).unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(&rules).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let set: Value = serde_saphyr::from_str(&text).unwrap();
        if let Err(e) = schemas.validate(&set, index) {
            panic!("{}: {e:#}", path.display());
        }
        checked += 1;
    }
    // What `rules validate` rejects, the schema rejects too.
    let hudu: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(rules.join("hudu.yaml")).unwrap()).unwrap();
    let mut bad = hudu.clone();
    bad["requirements"][0]["severity"] = Value::from("fatal");
    assert!(schemas.validate(&bad, index).is_err(), "unknown severity");
    let mut spelled = hudu;
    spelled["requirements"][0]["severity"] = Value::from("Warning");
    assert!(
        schemas.validate(&spelled, index).is_ok(),
        "the loader ignores case"
    );
    assert!(checked > 30);
}

#[test]
fn the_configuration_schema_accepts_a_starter_file_and_rejects_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = demo();
    expect(
        dir.path(),
        &[
            "init",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "-o",
            "halo-audit.yaml",
        ],
        0,
    );
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema/config.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let url = "https://halo-audit.invalid/schema/config.schema.json";
    compiler.add_resource(url, schema).unwrap();
    let index = compiler.compile(url, &mut schemas).unwrap();
    let text = std::fs::read_to_string(dir.path().join("halo-audit.yaml")).unwrap();
    let config: Value = serde_saphyr::from_str(&text).unwrap();
    assert!(config["bindings"].is_object(), "{text}");
    if let Err(e) = schemas.validate(&config, index) {
        panic!("the starter configuration: {e:#}\n{text}");
    }
    let mut unknown = config;
    unknown["fail_no"] = Value::from("error");
    assert!(schemas.validate(&unknown, index).is_err());
}

// ---------------------------------------------------------------------------------------------
// Markdown under GitHub's step-summary limit

#[test]
fn markdown_stays_under_a_megabyte_and_says_what_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(demo()).unwrap()).unwrap();
    let scopes = doc["objects"]["applications"][0]["scopes"]
        .as_array_mut()
        .unwrap();
    scopes.extend(
        (0..12_000).map(|i| serde_json::json!({"name": format!("read:extra-scope-{i:05}")})),
    );
    let path = dir.path().join("many.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let path = path.to_str().unwrap();
    let json = run_in(
        dir.path(),
        &["check", "--snapshot", path, "--format", "json"],
        None,
    );
    let findings = serde_json::from_str::<Value>(&json.stdout).unwrap()["findings"]
        .as_array()
        .unwrap()
        .len();
    assert!(findings > 12_000);
    let markdown = run_in(
        dir.path(),
        &["check", "--snapshot", path, "--format", "markdown"],
        None,
    );
    assert_eq!(markdown.code, json.code);
    let text = markdown.stdout;
    assert!(text.len() <= 1_000_000, "{} bytes", text.len());
    assert!(text.starts_with("## halo-audit check: failed\n"));
    assert!(
        text.contains("not listed to keep this report under 1 MB"),
        "the cut is said"
    );
    // Errors come first in their tables and survive the cut.
    assert!(text.contains("**missing** (error)"));
    // Every table keeps its shape.
    for line in text.lines().filter(|l| l.starts_with('|')) {
        assert!(line.ends_with('|'), "{line}");
    }
    // A small report is not cut.
    let demo_md = run_in(
        dir.path(),
        &[
            "check",
            "--snapshot",
            demo().to_str().unwrap(),
            "--format",
            "markdown",
        ],
        None,
    );
    assert!(!demo_md.stdout.contains("not listed"));
}
