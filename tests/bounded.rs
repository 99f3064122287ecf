//! Bounded cost: an application with 20,000 scopes and a tenant of 20,000 roles (held by three
//! agents) are checked, diffed and planned by the binary under `ulimit -v` of 512 MiB of address
//! space. A list copied into every finding or change about one of its items once made these
//! runs grow past 7-16 GB and abort. Nothing is timed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::{Value, json};

/// The address space each run may use, in KiB.
const LIMIT_KIB: u64 = 512 * 1024;
/// The limit of the claims test: half of [`LIMIT_KIB`].
const CLAIMS_KIB: u64 = 256 * 1024;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn demo() -> Value {
    let text = std::fs::read_to_string(root().join("fixtures/demo/snapshot.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The demo tenant whose first application (vCIOToolbox) holds 20,000 more scopes.
fn many_scopes(dir: &Path) -> PathBuf {
    let mut doc = demo();
    let scopes = doc["objects"]["applications"][0]["scopes"]
        .as_array_mut()
        .unwrap();
    scopes.extend((0..20_000).map(|i| json!({"name": format!("read:extra{i:05}")})));
    let path = dir.join("scopes.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

/// The demo tenant with 20,000 more roles, every one held by its first three agents.
fn many_roles(dir: &Path) -> PathBuf {
    let mut doc = demo();
    let claims = doc["objects"]["roles"][0]["claims"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>();
    let roles: Vec<Value> = (0..20_000)
        .map(|i| {
            json!({
                "id": format!("00000000-0000-0000-0000-{i:012}"),
                "name": format!("Role {i}"),
                "is_integration": false,
                "claims": claims,
            })
        })
        .collect();
    let held: Vec<Value> = roles
        .iter()
        .map(|r| json!({"id": r["id"], "name": r["name"]}))
        .collect();
    for agent in doc["objects"]["agents"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .take(3)
    {
        agent["roles"] = Value::Array(held.clone());
    }
    doc["objects"]["roles"]
        .as_array_mut()
        .unwrap()
        .extend(roles);
    let path = dir.join("roles.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

/// Runs the binary under the address-space limit on input it must refuse (exit 2, not killed);
/// what it said on standard error.
fn refused(args: &[&str]) -> String {
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {LIMIT_KIB} && exec \"$0\" \"$@\""))
        .arg(assert_cmd::cargo::cargo_bin("halo-audit"))
        .args(args)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {said}");
    said
}

/// Runs the binary under the address-space limit; its exit code (stdout is kept in `dir/out`).
fn limited(dir: &Path, args: &[&str]) -> i32 {
    limited_with(dir, args, None)
}

/// [`limited`], with standard input read from `stdin`.
fn limited_with(dir: &Path, args: &[&str], stdin: Option<&Path>) -> i32 {
    limited_to(dir, args, stdin, LIMIT_KIB)
}

/// [`limited_with`], under a limit of `kib` KiB of address space.
fn limited_to(dir: &Path, args: &[&str], stdin: Option<&Path>, kib: u64) -> i32 {
    let bin = assert_cmd::cargo::cargo_bin("halo-audit");
    let mut command = Command::new("sh");
    if let Some(stdin) = stdin {
        command.pipe_stdin(stdin).unwrap();
    }
    let output = command
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(&bin)
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("HALO_URL")
        .env_remove("HALO_AUDIT_CONFIG")
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("{args:?} was killed (out of memory?): {stderr}"));
    assert!(code <= 1, "{args:?} exited {code}: {stderr}");
    std::fs::write(dir.join("out"), &output.stdout).unwrap();
    code
}

#[test]
fn twenty_thousand_scopes_check_diff_and_plan_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = many_scopes(dir.path());
    let path = path.to_str().unwrap();
    let demo = root().join("fixtures/demo/snapshot.json");
    let demo = demo.to_str().unwrap();
    for format in ["json", "human", "sarif"] {
        assert_eq!(
            limited(
                dir.path(),
                &["check", "--snapshot", path, "--format", format]
            ),
            1
        );
    }
    // Every extra scope is an excess finding; the report names them, not the list 20,000 times.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out")).unwrap()).unwrap();
    assert!(report["runs"][0]["results"].as_array().unwrap().len() >= 20_000);
    limited(dir.path(), &["diff", demo, path, "--format", "json"]);
    limited(dir.path(), &["diff", path, demo]);
    limited(
        dir.path(),
        &["plan", "--set", "vciotoolbox", "--snapshot", path],
    );
}

#[test]
fn twenty_thousand_roles_check_diff_and_plan_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = many_roles(dir.path());
    let path = path.to_str().unwrap();
    let demo = root().join("fixtures/demo/snapshot.json");
    let demo = demo.to_str().unwrap();
    limited(
        dir.path(),
        &["check", "--snapshot", path, "--format", "json"],
    );
    limited(dir.path(), &["diff", demo, path, "--format", "json"]);
    limited(dir.path(), &["diff", path, demo]);
    limited(
        dir.path(),
        &["plan", "--set", "vciotoolbox", "--snapshot", path],
    );
}

/// The demo tenant whose first agent carries a member the audit never reads: an array of
/// `count` zeros (two bytes each in the file, a JSON value of 32 bytes each once parsed).
fn junk_member(dir: &Path, count: usize) -> PathBuf {
    let mut doc = demo();
    doc["objects"]["agents"][0]["junk"] = json!("JUNK");
    let text = doc.to_string();
    let mut junk = String::with_capacity(count * 2 + 2);
    junk.push('[');
    for i in 0..count {
        if i > 0 {
            junk.push(',');
        }
        junk.push('0');
    }
    junk.push(']');
    let path = dir.join("junk.json");
    std::fs::write(&path, text.replacen("\"JUNK\"", &junk, 1)).unwrap();
    path
}

/// A 70 MB agent record whose junk member once became a JSON tree of 16 times the file:
/// `snapshot show` and `check` now stay within 4 times the file plus the base of the binary, and
/// so does naming what is wrong with the same file cut short (the document is read again to say
/// where, its objects checked, never built). (The run is limited to 512 MiB of address space; the
/// tree alone would need more than 1 GiB.)
#[test]
fn a_junk_array_in_a_record_is_skipped_not_built() {
    let dir = tempfile::tempdir().unwrap();
    let path = junk_member(dir.path(), 35_000_000);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 64 * 1024 * 1024 && 4 * size < LIMIT_KIB * 1024 + 256 * 1024 * 1024);
    let path = path.to_str().unwrap();
    let demo = root().join("fixtures/demo/snapshot.json");
    let demo = demo.to_str().unwrap();
    assert_eq!(limited(dir.path(), &["snapshot", "show", path]), 0);
    let shown = std::fs::read_to_string(dir.path().join("out")).unwrap();
    assert_eq!(limited(dir.path(), &["snapshot", "show", demo]), 0);
    let demo_shown = std::fs::read_to_string(dir.path().join("out")).unwrap();
    assert_eq!(shown, demo_shown, "the junk member changes nothing");
    assert_eq!(
        limited(
            dir.path(),
            &["check", "--snapshot", path, "--format", "json"]
        ),
        1
    );
    // Cut short: refused, and where it ends said, within the same limit.
    let text = std::fs::read(path).unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &text[..text.len() - 3]).unwrap();
    let cut = cut.to_str().unwrap();
    let said = refused(&["snapshot", "show", cut]);
    assert!(
        said.contains("EOF while parsing") && said.contains("ends early"),
        "{said}"
    );
}

/// A snapshot whose agents, or whose applications, are 40 million `0` (80 MB): refused at the
/// first (`/objects/agents/0: expected an object, found a number`) within the 512 MiB limit. Each
/// was once kept (the place of every record: 640 MB; a JSON value of each: 1.3 GB).
#[test]
fn a_collection_of_millions_of_non_objects_is_refused_at_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = {
        let mut zeros = "0,".repeat(40_000_000);
        zeros.pop();
        zeros
    };
    for collection in ["agents", "applications"] {
        let path = dir.path().join(format!("{collection}.json"));
        std::fs::write(
            &path,
            format!(
                r#"{{"format": "halo-audit-snapshot", "version": 1, "objects": {{"{collection}": [{zeros}]}}}}"#
            ),
        )
        .unwrap();
        let said = refused(&["snapshot", "show", path.to_str().unwrap()]);
        assert!(
            said.contains(&format!(
                "/objects/{collection}/0: expected an object, found a number"
            )),
            "{collection}: {said}"
        );
    }
}

/// A 100 MB baseline report (the demo's findings, many times over): read without a JSON tree of
/// it (which once took 7 times the file), within the 512 MiB limit.
#[test]
fn a_large_baseline_report_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let demo = root().join("fixtures/demo/snapshot.json");
    let demo = demo.to_str().unwrap();
    assert_eq!(
        limited(
            dir.path(),
            &["check", "--snapshot", demo, "--format", "json"]
        ),
        1
    );
    let mut report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out")).unwrap()).unwrap();
    let findings = report["findings"].as_array().unwrap().clone();
    let one = serde_json::to_string(&findings).unwrap().len();
    let copies = 100_000_000 / one + 1;
    let mut all = Vec::with_capacity(findings.len() * copies);
    for _ in 0..copies {
        all.extend(findings.iter().cloned());
    }
    report["findings"] = Value::Array(all);
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, report.to_string()).unwrap();
    drop(report);
    assert!(std::fs::metadata(&baseline).unwrap().len() > 100_000_000);
    // Every finding is in the baseline: nothing new, exit 0.
    assert_eq!(
        limited(
            dir.path(),
            &[
                "check",
                "--snapshot",
                demo,
                "--baseline",
                baseline.to_str().unwrap()
            ]
        ),
        0
    );
}

/// The demo tenant whose first agent is renamed to `len` bytes of `N`.
fn huge_name(dir: &Path, len: usize) -> PathBuf {
    let mut doc = demo();
    let agents = &mut doc["objects"]["agents"];
    let first = if agents.is_array() {
        &mut agents[0]
    } else {
        &mut agents["agents"][0]
    };
    first["name"] = json!("NAME");
    let text = doc
        .to_string()
        .replacen("\"NAME\"", &format!("\"{}\"", "N".repeat(len)), 1);
    let path = dir.join("huge-name.json");
    std::fs::write(&path, text).unwrap();
    path
}

/// `diff` of the demo against a copy whose agent carries a 40 MB name: the rename is reported, the
/// name shown by its start and size, in every format, within the 512 MiB limit. A change once
/// held the name in its subject, message and values, and each format copied it again (a 30 MB
/// name peaked at 466 MB, a 300 MB one at 3 GB); what is left is reading the snapshot.
#[test]
fn a_huge_agent_name_is_diffed_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = huge_name(dir.path(), 40_000_000);
    let path = path.to_str().unwrap();
    let demo = root().join("fixtures/demo/snapshot.json");
    let demo = demo.to_str().unwrap();
    for format in ["human", "json", "markdown", "sarif", "html"] {
        assert_eq!(
            limited(dir.path(), &["diff", demo, path, "--format", format]),
            0,
            "{format}"
        );
        let out = std::fs::read_to_string(dir.path().join("out")).unwrap();
        assert!(out.len() < 1_000_000, "{format}: {} bytes", out.len());
        assert!(out.contains("(40000000 bytes)"), "{format}");
    }
    assert_eq!(limited(dir.path(), &["diff", path, path]), 0);
}

/// A 6 MB rule file with a hundred broken requirements: every problem is reported, each quoting
/// the file, within the limit (every problem once held its own copy of the file: 100 × 6 MB).
#[test]
fn a_rule_file_with_many_problems_holds_one_copy_of_itself() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!(
        "id: demo-sync\ntitle: \"{}\"\nvendor: Demo\nsources:\n  - url: https://demo.example/docs/halopsa\n    retrieved: 2026-11-24\nbinding:\n  application_name: [\"*Demo Sync*\"]\nrequirements:\n",
        "T".repeat(6_000_000)
    );
    for i in 0..100 {
        text.push_str(&format!(
            "  - id: demo-sync.r{i}\n    title: t\n    permission: Nonexistent Permission {i}\n    expect: Read Only\n    source: {{ quote: q }}\n"
        ));
    }
    let path = dir.path().join("many.yaml");
    std::fs::write(&path, text).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("halo-audit");
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {LIMIT_KIB} && exec \"$0\" \"$@\""))
        .arg(&bin)
        .args(["rules", "validate", path.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("100 problems in rule files"),
        "{}",
        &stderr[..stderr.len().min(2000)]
    );
    assert_eq!(
        stderr.matches("unknown permission").count(),
        100,
        "{}",
        &stderr[..stderr.len().min(2000)]
    );
}

/// A configuration, a catalog overlay and a rule file of 8 MB each, made of one huge string or of
/// a junk array of 190,000 strings: each is read (or refused with its reason) within 256 MiB of
/// address space, about four times the file plus the binary.
#[test]
fn configs_overlays_and_rule_files_of_junk_stay_within_a_small_multiple() {
    const SMALL_KIB: u64 = 256 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let junk = || {
        let item = format!("\"{}\"", "y".repeat(39));
        format!("[{}]", vec![item.as_str(); 190_000].join(","))
    };
    let files = [
        (
            "config-string.yaml",
            format!("instance:\n  tenant: \"{}\"\n", "X".repeat(7_900_000)),
        ),
        (
            "config-junk.yaml",
            format!("instance:\n  tenant: x\njunk: {}\n", junk()),
        ),
        (
            "overlay-string.yaml",
            format!("permissions:\n  - key: \"{}\"\n", "K".repeat(7_900_000)),
        ),
        ("overlay-junk.yaml", format!("junk: {}\n", junk())),
        (
            "rules-junk.yaml",
            format!(
                "id: demo-sync\ntitle: Demo\nsources: [{{url: \"https://demo.example/\", retrieved: 2026-11-24}}]\nbinding: {{application_name: [\"Demo*\"]}}\nrequirements: []\njunk: {}\n",
                junk()
            ),
        ),
        (
            "rules-string.yaml",
            format!(
                "id: demo-sync\ntitle: \"{}\"\nsources: [{{url: \"https://demo.example/\", retrieved: 2026-11-24}}]\nbinding: {{application_name: [\"Demo*\"]}}\nrequirements: []\n",
                "T".repeat(7_900_000)
            ),
        ),
    ];
    let demo = root().join("fixtures/demo/snapshot.json");
    let demo = demo.to_str().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, &text).unwrap();
        let path = path.to_str().unwrap();
        let args: Vec<&str> = match name.split('-').next().unwrap() {
            "config" => vec!["--config", path, "check", "--snapshot", demo],
            "overlay" => vec!["check", "--snapshot", demo, "--catalog", path],
            _ => vec!["check", "--snapshot", demo, "--rules", path],
        };
        let bin = assert_cmd::cargo::cargo_bin("halo-audit");
        let output = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v {SMALL_KIB} && exec \"$0\" \"$@\""))
            .arg(&bin)
            .args(&args)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env_remove("HALO_AUDIT_CONFIG")
            .timeout(Duration::from_secs(300))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output
            .status
            .code()
            .unwrap_or_else(|| panic!("{name} was killed (out of memory?)"));
        assert!(
            code <= 2,
            "{name}: exit {code}: {}",
            &stderr[..stderr.len().min(2000)]
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("memory allocation"),
            "{name}"
        );
        assert!(
            stderr.len() < 1_000_000,
            "{name}: {} bytes of diagnostics",
            stderr.len()
        );
    }
}

/// The demo tenant whose first role (held by some of its agents) carries `count` more claims of
/// types the catalog does not know, and whose first agent carries as many of its own: about 35
/// bytes each in the file. Such claims were once held as JSON values (some 400 bytes each),
/// copied into every agent holding the role and listed one by one.
fn many_claims(dir: &Path, count: usize) -> PathBuf {
    let mut doc = demo();
    let extra = |prefix: &str| -> Vec<Value> {
        (0..count)
            .map(|i| json!({"type": format!("{prefix}{i:07}"), "value": "1"}))
            .collect()
    };
    doc["objects"]["roles"][0]["claims"]
        .as_array_mut()
        .unwrap()
        .extend(extra("R"));
    doc["objects"]["agents"][0]["claims"] = Value::Array(extra("A"));
    let path = dir.join("claims.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

/// Half a million claims (18 MB; the old reading, at 36 times the file, needed more than 512
/// MiB): `check` and `snapshot show` read them as compact pairs, decoded once, within 256 MiB of
/// address space (a debug build's threads and allocator arenas reserve much of it: 192 MiB is too
/// little for this file). `snapshot show` lists the holders of the first 10,000 types and values
/// it does not understand and says there are more.
#[test]
fn half_a_million_claims_are_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = many_claims(dir.path(), 250_000);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 15_000_000 && 36 * size > LIMIT_KIB * 1024, "{size}");
    let path = path.to_str().unwrap();
    let within = |args: &[&str]| limited_to(dir.path(), args, None, CLAIMS_KIB);
    assert_eq!(
        within(&["check", "--snapshot", path, "--format", "json"]),
        1
    );
    assert_eq!(within(&["snapshot", "show", path]), 0);
    let shown = std::fs::read_to_string(dir.path().join("out")).unwrap();
    let shown = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        shown.contains("(10000 types and values listed, and more not listed)"),
        "{shown}"
    );
    // The role's are met first.
    assert!(shown.contains("R0000000") && !shown.contains("R0010000"));
    assert!(!shown.contains("A0000000"));
    // diff against the demo: the claims the catalog does not understand are compared in sorted
    // borrowed pairs, ten types named per agent or role and the rest counted (a change per type
    // once peaked at 1 GB for a million).
    let demo = root().join("fixtures/demo/snapshot.json");
    let demo = demo.to_str().unwrap();
    assert_eq!(within(&["diff", demo, path]), 0);
    let diff = std::fs::read_to_string(dir.path().join("out")).unwrap();
    let diff = diff.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(diff.contains("claim `A0000009` changed"), "{diff}");
    assert!(!diff.contains("claim `A0000010` changed"), "{diff}");
    assert!(
        diff.contains("249990 more claim types the permission catalog does not understand changed"),
        "{diff}"
    );
    assert!(diff.len() < 100_000, "{} bytes", diff.len());
    assert_eq!(within(&["diff", path, path]), 0);
}

/// A snapshot piped in is spooled to a temporary file and streamed from there, as a file is:
/// the same report, within the same limit.
#[test]
fn a_snapshot_on_standard_input_is_streamed_like_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = many_roles(dir.path());
    let name = path.to_str().unwrap();
    assert_eq!(limited(dir.path(), &["snapshot", "show", name]), 0);
    let from_file = std::fs::read_to_string(dir.path().join("out")).unwrap();
    assert_eq!(
        limited_with(dir.path(), &["snapshot", "show", "-"], Some(&path)),
        0
    );
    let from_stdin = std::fs::read_to_string(dir.path().join("out")).unwrap();
    assert!(from_file.contains("20005"), "{from_file}");
    assert_eq!(
        from_stdin.replace("<stdin>", "FILE"),
        from_file.replace(name, "FILE")
    );
}
