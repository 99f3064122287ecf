//! Tenant text that tries to drive a terminal or a CI log: names holding ANSI and OSC escapes,
//! BEL, NUL, a carriage return, right-to-left overrides, and newlines followed by GitHub
//! (`::error::`, `::add-mask::`) or Azure-style (`##[error]`) workflow commands. Whatever the
//! format and command, no output holds a raw control character (beyond its own line breaks), no
//! line of data starts a workflow command, and machine formats stay well-formed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use halo_sim::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Fault, FaultKind, Server, SimConfig,
};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Appended to every name: each trick at once.
const HOSTILE: &str = " \u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mred\r\n::error::All checks passed\n::add-mask::x ##[error]y \u{202e}txt.exe\u{0}\u{9b}";

/// The demo snapshot with every agent, team, role and application name (and a scope, the
/// instance URL and a login agent name) made hostile.
fn hostile_snapshot(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("fixtures/demo/snapshot.json")).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    for (collection, field) in [
        ("agents", "name"),
        ("teams", "name"),
        ("roles", "name"),
        ("applications", "displayName"),
        ("applications", "loginas_agent_name"),
    ] {
        let items = doc["objects"][collection].as_array_mut().unwrap();
        for item in items {
            if let Some(name) = item[field].as_str() {
                item[field] = format!("{name}{HOSTILE}").into();
            }
        }
    }
    let app = &mut doc["objects"]["applications"][0];
    if let Some(scopes) = app["scopes"].as_array_mut() {
        scopes.push(serde_json::json!({"name": format!("admin{HOSTILE}")}));
    }
    doc["instance"]["url"] = format!("https://northwind.halopsa.example{HOSTILE}").into();
    let path = dir.join("hostile.json");
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    path
}

struct Run {
    stdout: String,
    stderr: String,
}

fn halo_audit(args: &[&str]) -> Run {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("HALO_URL")
        .env_remove("HALO_AUDIT_CONFIG")
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let run = Run {
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    let code = output.status.code().expect("killed");
    // 3: `self-check` of a snapshot that does not say which credential fetched it cannot decide.
    let undecidable = args.first() == Some(&"self-check") && code == 3;
    assert!(
        code <= 1 || undecidable,
        "{args:?} exited {code}:\n{}\n{}",
        run.stderr,
        run.stdout
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Whether a JSON document holds a name with [`HOSTILE`] exactly as the snapshot had it: written
/// safely, read back the same.
fn holds_hostile(doc: &Value) -> bool {
    match doc {
        Value::String(s) => s.contains(HOSTILE),
        Value::Array(items) => items.iter().any(holds_hostile),
        Value::Object(map) => map.values().any(holds_hostile),
        _ => false,
    }
}

/// No raw control character but line breaks, no bidirectional override, no `##[`, and no line
/// starting a workflow command unless `annotations` (then every line is exactly one annotation).
fn assert_safe(name: &str, text: &str, annotations: bool) {
    for (i, line) in text.lines().enumerate() {
        let bad = line
            .chars()
            .find(|c| (c.is_control() && *c != '\t') || ('\u{202a}'..='\u{202e}').contains(c));
        assert!(bad.is_none(), "{name}, line {}: {bad:?} in {line:?}", i + 1);
        assert!(!line.contains("##["), "{name}, line {}: {line:?}", i + 1);
        if annotations {
            let command = ["::error ", "::warning ", "::notice "]
                .iter()
                .any(|c| line.starts_with(c));
            assert!(command, "{name}, line {}: {line:?}", i + 1);
            assert_eq!(
                line.matches("::").count(),
                2,
                "{name}, line {}: {line:?}",
                i + 1
            );
        } else {
            assert!(
                !line.trim_start().starts_with("::"),
                "{name}, line {}: {line:?}",
                i + 1
            );
        }
    }
}

#[test]
fn hostile_names_reach_no_output_raw() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = hostile_snapshot(dir.path());
    let hostile = hostile.to_str().unwrap();
    let demo = root().join("fixtures/demo/snapshot.json");
    let demo = demo.to_str().unwrap();
    let mut seen_hostile = false;
    for format in [
        "human", "table", "json", "sarif", "junit", "github", "markdown", "html",
    ] {
        let run = halo_audit(&["-v", "check", "--snapshot", hostile, "--format", format]);
        let name = format!("check --format {format}");
        assert_safe(&format!("{name} stderr"), &run.stderr, false);
        match format {
            "json" | "sarif" => {
                let doc: Value = serde_json::from_str(&run.stdout).unwrap();
                // The data is kept as it is, escaped by JSON.
                seen_hostile |= holds_hostile(&doc);
                assert_safe(&name, &run.stdout, false);
            }
            "junit" => {
                roxmltree::Document::parse(&run.stdout).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_safe(&name, &run.stdout, false);
            }
            "github" => assert_safe(&name, &run.stdout, true),
            _ => assert_safe(&name, &run.stdout, false),
        }
        assert!(run.stdout.contains("pwned"), "{name}: the names are gone");
    }
    assert!(seen_hostile, "the JSON report lost the data");
    for format in [
        "human", "json", "markdown", "sarif", "junit", "github", "html",
    ] {
        let run = halo_audit(&[
            "diff",
            demo,
            hostile,
            "--format",
            format,
            "--allow-different-instances",
        ]);
        let name = format!("diff --format {format}");
        assert!(run.stdout.contains("pwned"), "{name}: the names are gone");
        match format {
            "json" | "sarif" => {
                let doc: Value = serde_json::from_str(&run.stdout).unwrap();
                assert!(holds_hostile(&doc), "{name}: the names are changed");
                assert_safe(&name, &run.stdout, false);
            }
            "junit" => {
                roxmltree::Document::parse(&run.stdout).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_safe(&name, &run.stdout, false);
            }
            "github" => assert_safe(&name, &run.stdout, true),
            _ => assert_safe(&name, &run.stdout, false),
        }
    }
    // Refusing to compare two instances names them, cleaned.
    let refused = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["diff", demo, hostile])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(stderr.contains("pwned"), "{stderr}");
    assert_safe("diff refusing two instances", &stderr, false);
    let plan = |format: &'static str| {
        let mut args = vec!["plan", "--set", "cloud-depot", "--snapshot", hostile];
        if !format.is_empty() {
            args.extend(["--format", format]);
        }
        args
    };
    for args in [
        vec!["-v", "snapshot", "show", hostile],
        vec!["self-check", "--snapshot", hostile],
        vec!["self-check", "--snapshot", hostile, "--format", "json"],
        plan(""),
        plan("markdown"),
        plan("json"),
    ] {
        let run = halo_audit(&args);
        assert_safe(&format!("{args:?}"), &run.stdout, false);
        assert_safe(&format!("{args:?} stderr"), &run.stderr, false);
        if args[0] != "self-check" {
            assert!(run.stdout.contains("pwned"), "{args:?}: the names are gone");
        }
    }
    // `init` writes the names into a YAML file; it must stay the configuration it says.
    let config = dir.path().join("halo-audit.yaml");
    let config_arg = config.to_str().unwrap();
    halo_audit(&["init", "--snapshot", hostile, "-o", config_arg]);
    let text = std::fs::read_to_string(&config).unwrap();
    assert_safe("init", &text, false);
    halo_audit(&["--config", config_arg, "check", "--snapshot", hostile]);
}

/// A server giving objects hostile ids, forbidding their details and echoing hostile text: the
/// fetch's warnings and errors on stderr are safe.
#[test]
fn a_hostile_server_cannot_drive_the_terminal_through_fetch_warnings() {
    let mut config = SimConfig::demo();
    for role in &mut config.objects.roles {
        let id = role["id"].as_str().unwrap().to_owned();
        role["id"] = format!("{id}{HOSTILE}").into();
    }
    config.faults = vec![Fault::new("/api/Roles/*", FaultKind::Forbidden)];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let fetch = |server: &Server| {
        Command::cargo_bin("halo-audit")
            .unwrap()
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env("HALO_URL", server.url())
            .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
            .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
            .env("HALO_TENANT", DEMO_TENANT)
            .env_remove("HALO_AUTH_URL")
            .args([
                "-vvv",
                "fetch",
                "--rate",
                "off",
                "--max-attempts",
                "1",
                "-o",
            ])
            .arg(&out)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let output = fetch(&server);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("pwned"), "{stderr}");
    assert_safe("fetch warnings", &stderr, false);
    let shown = halo_audit(&["snapshot", "show", out.to_str().unwrap()]);
    assert_safe("snapshot show", &shown.stdout, false);

    // An error naming an object by its hostile id.
    let mut config = SimConfig::demo();
    for role in &mut config.objects.roles {
        let id = role["id"].as_str().unwrap().to_owned();
        role["id"] = format!("{id}{HOSTILE}").into();
    }
    config.faults = vec![Fault::new("/api/Roles/*", FaultKind::Status(500))];
    let server = Server::start(config).unwrap();
    let output = fetch(&server);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("pwned"), "{stderr}");
    assert_safe("fetch error naming an id", &stderr, false);

    // An error message whose text is the server's, with everything hostile in it.
    let mut config = SimConfig::demo();
    config.faults = vec![Fault::new(
        "/api/Team",
        FaultKind::Reply(500, format!("boom{HOSTILE}")),
    )];
    let server = Server::start(config).unwrap();
    let output = fetch(&server);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("boom"), "{stderr}");
    assert_safe("fetch error", &stderr, false);
}

/// A repository's rule file is untrusted text too: its title, notes and quotes carrying escapes
/// and workflow commands are safe in `rules show`, `rules list`, the human report (which quotes
/// the file) and in the diagnostics of a broken copy of it.
#[test]
fn hostile_rule_files_are_safe_to_show() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let text = std::fs::read_to_string(root().join("rules/cloud-depot.yaml"))
        .unwrap()
        .replacen(
            "title: ",
            "title: \"\\e]0;pwned\\a\\n::error::All checks passed ##[error]x\\u202e\" # ",
            1,
        );
    // A comment line the human report quotes beside a finding's requirement.
    let text = text.replace(
        "requirements:\n",
        "requirements:\n# ::error::quoted ##[error]\n",
    );
    std::fs::write(rules.join("cloud-depot.yaml"), &text).unwrap();
    let rules_arg = rules.to_str().unwrap();
    let demo = root().join("fixtures/demo/snapshot.json");
    let demo = demo.to_str().unwrap();
    for args in [
        vec!["rules", "show", "cloud-depot", "--rules", rules_arg],
        vec!["rules", "list", "--rules", rules_arg],
        vec!["-v", "check", "--snapshot", demo, "--rules", rules_arg],
        vec![
            "check",
            "--snapshot",
            demo,
            "--rules",
            rules_arg,
            "--format",
            "table",
        ],
    ] {
        let run = halo_audit(&args);
        assert_safe(&format!("{args:?}"), &run.stdout, false);
        assert_safe(&format!("{args:?} stderr"), &run.stderr, false);
    }
    // Broken: the diagnostic quotes the hostile lines.
    std::fs::write(
        rules.join("cloud-depot.yaml"),
        text.replacen("expect:", "expekt:", 1),
    )
    .unwrap();
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["rules", "validate", rules_arg])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("expekt"), "{stderr}");
    assert_safe("rules validate stderr", &stderr, false);
}
