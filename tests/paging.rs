//! Lists no server can blow up: a server promising a billion agents in pages of 20,000 new ids,
//! pages larger than asked for, more records than `record_count` said, more than
//! `--max-records`, paging that repeats itself, and records listed twice (the same or changed)
//! against the simulator's hostile modes. Each ends with the list recorded as not read whole in
//! the snapshot and `check` exiting 3 with the reason; memory is shown bounded by running the
//! binary under `ulimit -v`, never by timing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use assert_cmd::Command;
use halo_sim::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Fault, FaultKind, Server, SimConfig,
};
use serde_json::Value;

/// The address space a limited run may use, in KiB: 1 GiB.
const LIMIT_KIB: u64 = 1024 * 1024;

const FAST: &[&str] = &["--rate", "off", "--timeout", "10s", "--backoff", "20ms"];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `halo-audit ARGS` against `server` from a directory without configuration, optionally under
/// `ulimit -v LIMIT_KIB`.
fn run(server: &Server, args: &[&str], limited: bool) -> Run {
    let bin = assert_cmd::cargo::cargo_bin("halo-audit");
    let dir = tempfile::tempdir().unwrap();
    let mut command = if limited {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!("ulimit -v {LIMIT_KIB} && exec \"$0\" \"$@\""))
            .arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    let output = command
        .args(args)
        .args(FAST)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("HALO_URL", server.url())
        .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
        .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("HALO_TENANT", DEMO_TENANT)
        .env_remove("HALO_AUTH_URL")
        .env_remove("HALO_AUDIT_CONFIG")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("{args:?} was killed (out of memory?): {stderr}"));
    assert!(!stderr.contains("panicked"), "{stderr}");
    Run {
        code,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    }
}

fn start(faults: Vec<Fault>) -> Server {
    let mut config = SimConfig::demo();
    config.faults = faults;
    Server::start(config).unwrap()
}

/// A live `check --format json`: its exit code, report and stderr.
fn live_check(server: &Server, extra: &[&str], limited: bool) -> (i32, Value, String) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let run = run(server, &args, limited);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr));
    (run.code, report, run.stderr)
}

/// The `not_audited` reasons of a JSON report, joined.
fn not_audited(report: &Value) -> String {
    report
        .pointer("/summary/not_audited")
        .or_else(|| report.get("not_audited"))
        .map(Value::to_string)
        .unwrap_or_else(|| report.to_string())
}

/// The snapshot of a fetch that succeeds (exit 0) and its stderr.
fn fetched(server: &Server, extra: &[&str]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let mut args = vec!["fetch", "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = run(server, &args, false);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    (doc, run.stderr)
}

fn gaps<'a>(doc: &'a Value, endpoint: &str) -> Vec<&'a Value> {
    doc["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["endpoint"] == endpoint)
        .collect()
}

/// The case: `record_count: 1000000000` and 20,000 new tiny agents on every page, whatever
/// is asked. It once took 7.5 GB in 30 s. Now the count is not believed after the first page,
/// nothing more is asked of that list, and the live check ends in exit 3 naming the gap, inside
/// 1 GiB of address space.
#[test]
fn a_server_promising_a_billion_agents_in_pages_of_twenty_thousand_ends_in_exit_3() {
    let server = start(vec![Fault::new(
        "/api/Agent",
        FaultKind::Flood {
            count: 1_000_000_000,
            per_page: 20_000,
        },
    )]);
    let (code, report, stderr) = live_check(&server, &[], true);
    assert_eq!(code, 3, "{stderr}");
    let said = not_audited(&report);
    for words in [
        "the agent list was not read whole (over-limit)",
        "1000000000 records",
        "--max-records",
    ] {
        assert!(said.contains(words), "`{words}` not in {said}");
    }
    assert!(
        stderr.contains("not audited") || stderr.contains("not read whole"),
        "{stderr}"
    );
    assert_eq!(server.stats().by_route["GET /api/Agent"], 1);

    // Told to believe up to two billion records, the pages themselves are too large: still one
    // request, still exit 3, still within the limit.
    let server = start(vec![Fault::new(
        "/api/Agent",
        FaultKind::Flood {
            count: 1_000_000_000,
            per_page: 20_000,
        },
    )]);
    let (code, report, stderr) = live_check(&server, &["--max-records", "2000000000"], true);
    assert_eq!(code, 3, "{stderr}");
    let said = not_audited(&report);
    assert!(
        said.contains("(page-too-large)")
            && said.contains("20000 records, more than the 100 asked for"),
        "{said}"
    );
    assert_eq!(server.stats().by_route["GET /api/Agent"], 1);
}

/// Pages larger than asked (with a plausible count), more records than the count said, and more
/// than `--max-records`: each is a gap of its own in the snapshot, and `check` exits 3.
#[test]
fn pages_too_large_counts_exceeded_and_the_record_limit_each_stop_the_list() {
    for (fault, extra, reason, requests) in [
        (
            FaultKind::Flood {
                count: 1000,
                per_page: 500,
            },
            &[][..],
            "page-too-large",
            1,
        ),
        (
            FaultKind::Flood {
                count: 150,
                per_page: 100,
            },
            &[][..],
            "count-exceeded",
            2,
        ),
        (
            FaultKind::Delay(Duration::ZERO),
            &["--max-records", "30"][..],
            "over-limit",
            1,
        ),
    ] {
        let server = start(vec![Fault::new("/api/Agent", fault.clone())]);
        let (doc, stderr) = fetched(&server, extra);
        let found = gaps(&doc, "/api/Agent");
        assert_eq!(found.len(), 1, "{fault}: {}", doc["gaps"]);
        assert_eq!(found[0]["reason"], reason, "{fault}");
        assert!(
            stderr.contains(&format!("/api/Agent: not read whole ({reason})")),
            "{fault}: {stderr}"
        );
        assert_eq!(
            server.stats().by_route["GET /api/Agent"],
            requests,
            "{fault}"
        );
        let kept = doc["objects"]["agents"].as_array().unwrap().len();
        match reason {
            // The page that broke the bound is not kept.
            "page-too-large" | "over-limit" => assert_eq!(kept, 0, "{fault}"),
            // Cut at the count.
            _ => assert_eq!(kept, 150, "{fault}"),
        }
        let (code, report, _) = live_check(&server, extra, false);
        assert_eq!(code, 3, "{fault}: {report}");
        assert!(
            not_audited(&report).contains(&format!("the agent list was not read whole ({reason})")),
            "{fault}: {report}"
        );
    }
}

/// `--max-records` also comes from `instance.max_records`; the flag wins; a bad value is refused
/// at its line (exit 2).
#[test]
fn the_record_limit_comes_from_the_configuration_too() {
    let server = start(Vec::new());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("halo-audit.yaml");
    std::fs::write(&config, "instance:\n  max_records: 30\n").unwrap();
    let out = dir.path().join("snap.json");
    let fetch = |extra: &[&str]| {
        let mut args = vec![
            "--config",
            config.to_str().unwrap(),
            "fetch",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(&server, &args, false)
    };
    let run1 = fetch(&[]);
    assert_eq!(run1.code, 0, "{}", run1.stderr);
    assert!(
        run1.stderr.contains("not read whole (over-limit)"),
        "{}",
        run1.stderr
    );
    let run2 = fetch(&["--max-records", "1000"]);
    assert_eq!(run2.code, 0, "{}", run2.stderr);
    assert!(!run2.stderr.contains("not read whole"), "{}", run2.stderr);
    std::fs::write(&config, "instance:\n  max_records: 0\n").unwrap();
    let run3 = fetch(&[]);
    assert_eq!(run3.code, 2, "{}", run3.stderr);
    assert!(run3.stderr.contains("max_records"), "{}", run3.stderr);
}

/// A server ignoring `page_no` repeats its first page: reading stops at the page that brings
/// nothing new (`partial`), the repetition is a `duplicate` gap, and `check` exits 3.
#[test]
fn paging_that_repeats_the_first_page_stops_at_once() {
    let doc = halo_sim::synthetic(&halo_sim::SyntheticSpec {
        agents: 250,
        teams: 4,
        roles: 3,
        applications: 3,
        seed: 7,
    });
    let mut config = SimConfig::from_snapshot(&doc).unwrap();
    config.tenant = Some(DEMO_TENANT.to_owned());
    config.page_limit = Some(100);
    config.faults = vec![Fault::new("/api/Agent", FaultKind::StuckPaging)];
    let server = Server::start(config).unwrap();
    let (doc, _) = fetched(&server, &[]);
    let reasons: Vec<&Value> = gaps(&doc, "/api/Agent")
        .iter()
        .map(|g| &g["reason"])
        .collect();
    assert_eq!(reasons, ["partial", "duplicate"], "{}", doc["gaps"]);
    assert_eq!(server.stats().by_route["GET /api/Agent"], 2);
    assert_eq!(doc["objects"]["agents"].as_array().unwrap().len(), 100);
}

/// An application listed twice, the second copy holding `all` and `admin`: never first-wins
/// silently. The gap names the id and the members the copies differ in; `check` exits 3. An
/// identical repeat is a gap too (the list changed while it was read).
#[test]
fn a_record_listed_twice_is_a_gap_naming_what_its_copies_differ_in() {
    let server = start(vec![Fault::new(
        "/api/Application",
        FaultKind::RepeatRecord { changed: true },
    )]);
    let (doc, stderr) = fetched(&server, &["--scope", "integrations"]);
    let found = gaps(&doc, "/api/Application");
    assert_eq!(found.len(), 1, "{}", doc["gaps"]);
    assert_eq!(found[0]["reason"], "duplicate");
    let detail = found[0]["detail"].as_str().unwrap();
    assert!(detail.contains("differing in `name`, `scopes`"), "{detail}");
    assert!(stderr.contains("not read whole (duplicate)"), "{stderr}");
    let (code, report, _) = live_check(&server, &["--scope", "integrations"], false);
    assert_eq!(code, 3, "{report}");
    assert!(
        not_audited(&report).contains("the application list was not read whole (duplicate)"),
        "{report}"
    );

    let server = start(vec![Fault::new(
        "/api/Roles",
        FaultKind::RepeatRecord { changed: false },
    )]);
    let (doc, _) = fetched(&server, &[]);
    let found = gaps(&doc, "/api/Roles");
    assert_eq!(found[0]["reason"], "duplicate", "{}", doc["gaps"]);
    assert!(found[0]["detail"].as_str().unwrap().contains("identical"));
    // One record per id is kept, and one detail asked per id.
    let roles = doc["objects"]["roles"].as_array().unwrap();
    let ids: std::collections::BTreeSet<String> =
        roles.iter().map(|r| r["id"].to_string()).collect();
    assert_eq!(ids.len(), roles.len());
    assert_eq!(
        server.stats().by_route["GET /api/Roles/{id}"],
        roles.len() as u64
    );
}

/// `halo-audit ARGS` without a server.
fn offline(args: &[&str]) -> Run {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("HALO_AUDIT_CONFIG")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    }
}

/// `diff` of a whole fetch against one whose agent list was not read whole: the agents missing
/// from the cut list are not comparable (never deleted or created), and the diff exits 3, with or
/// without `--fail-on-drift`; an id listed twice keeps every agent but still leaves the list unproven.
#[test]
fn diff_against_a_fetch_whose_agent_list_was_cut_short_deletes_nothing() {
    let server = start(Vec::new());
    let (whole, _) = fetched(&server, &[]);
    let (over, _) = fetched(&server, &["--max-records", "30"]);
    assert_eq!(gaps(&over, "/api/Agent")[0]["reason"], "over-limit");
    let agents = whole["objects"]["agents"].as_array().unwrap().len();
    assert!(agents > 30, "{agents}");
    let dup_server = start(vec![Fault::new(
        "/api/Agent",
        FaultKind::RepeatRecord { changed: false },
    )]);
    let (dup, _) = fetched(&dup_server, &[]);
    assert_eq!(gaps(&dup, "/api/Agent")[0]["reason"], "duplicate");
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, doc: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, doc.to_string()).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (whole, over, dup) = (
        write("whole.json", &whole),
        write("over.json", &over),
        write("dup.json", &dup),
    );
    for (old, new, fail) in [(&whole, &over, false), (&over, &whole, true)] {
        let mut args = vec!["diff", old.as_str(), new.as_str(), "--format", "json"];
        if fail {
            args.push("--fail-on-drift");
        }
        let diff = offline(&args);
        assert_eq!(diff.code, 3, "{}", diff.stderr);
        let doc: Value = serde_json::from_str(&diff.stdout).unwrap();
        assert_eq!(doc["summary"]["not_comparable"], agents, "{}", diff.stdout);
        assert_eq!(doc["summary"]["incomplete_lists"][0], "/api/Agent");
        assert!(
            !doc["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["subject"]["kind"] == "agent"),
            "{}",
            diff.stdout
        );
    }
    let diff = offline(&["diff", &whole, &dup, "--allow-different-instances"]);
    assert_eq!(diff.code, 3, "{}", diff.stderr);
    assert!(
        diff.stdout.contains("No drift in what both snapshots hold"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
            .contains("; 0 not comparable: /api/Agent was not read whole"),
        "{}",
        diff.stdout
    );
}
