//! Files a careless user (or a hostile repository) puts in halo-audit's way, all under a temporary
//! directory (never the system's own devices, never `/dev/null`): `-o` onto a FIFO, a symbolic
//! link or `/dev/stdout`; rewrites keeping the old mode; snapshots created 0600; `-o` naming an
//! input of the same run; an unwritable output found before a fetch; FIFOs and devices given as
//! inputs. Each ends as the contract says: written where meant, or refused (exit 2) before any
//! work, with no input lost, no hang.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use halo_sim::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Server, SimConfig};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn demo() -> PathBuf {
    root().join("fixtures/demo/snapshot.json")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn halo_audit(args: &[&std::ffi::OsStr]) -> Run {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("HALO_URL")
        .env_remove("HALO_AUDIT_CONFIG")
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let run = Run {
        code: output
            .status
            .code()
            .expect("killed: the run did not end in time"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$(std::ffi::OsStr::new($a)),*] };
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn output_onto_a_fifo_is_written_into_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    mkfifo(&fifo);
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || std::fs::read_to_string(reader_path).unwrap());
    let run = halo_audit(args![
        "check",
        "--snapshot",
        &demo(),
        "--format",
        "json",
        "-o",
        &fifo
    ]);
    if !reader.is_finished() {
        // The run never opened the FIFO: release the reader before failing.
        let _ = std::fs::write(&fifo, "");
    }
    let received = reader.join().unwrap();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&received).unwrap();
    assert_eq!(report["version"], 1);
    assert!(is_fifo(&fifo), "the FIFO was replaced");
}

/// `-o /dev/stdout` writes into the pipe the run was given.
#[test]
fn output_onto_dev_stdout_goes_to_standard_output() {
    let run = halo_audit(args![
        "check",
        "--snapshot",
        &demo(),
        "--format",
        "json",
        "-o",
        "/dev/stdout"
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["version"], 1);
}

#[cfg(unix)]
#[test]
fn output_onto_a_symbolic_link_replaces_its_target_and_keeps_the_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    let target = dir.path().join("reports/latest.json");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("report.json");
    std::os::unix::fs::symlink("reports/latest.json", &link).unwrap();
    let run = halo_audit(args![
        "check",
        "--snapshot",
        &demo(),
        "--format",
        "json",
        "-o",
        &link
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.contains("\"version\": 1"), "{written}");
    assert_eq!(mode(&target), 0o640, "the rewrite changed the mode");
    let names: Vec<String> = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["latest.json"], "temporary files left");
}

fn fetch(server: &Server, args: &[&std::ffi::OsStr]) -> Run {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("HALO_URL", server.url())
        .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
        .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("HALO_TENANT", DEMO_TENANT)
        .env_remove("HALO_AUTH_URL")
        .env_remove("HALO_AUDIT_CONFIG")
        .args(["fetch", "--rate", "off", "--timeout", "5s"])
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    Run {
        code: output.status.code().expect("killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[cfg(unix)]
#[test]
fn a_snapshot_is_private_whatever_file_it_replaces() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start(SimConfig::demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let run = fetch(&server, args!["-o", &snap]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(mode(&snap), 0o600);
    // A world-writable file where the snapshot goes (left by someone, or by a looser tool).
    std::fs::set_permissions(&snap, std::fs::Permissions::from_mode(0o666)).unwrap();
    let run = fetch(&server, args!["-o", &snap]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(mode(&snap), 0o600);
    // Through a link the user named: the target is replaced, 0600, and the link kept.
    let target = dir.path().join("target.json");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let run = fetch(&server, args!["-o", &link]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(mode(&target), 0o600);
}

/// Symbolic links planted in a directory halo-audit fills (`rules export`, `man --dir`), one to
/// a file outside and one dangling: neither is written through; each is replaced by the file.
#[cfg(unix)]
#[test]
fn writers_into_a_directory_never_follow_a_planted_link() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let victim = outside.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let never = outside.join("never-created");
    let is_link = |p: &Path| p.symlink_metadata().unwrap().file_type().is_symlink();

    for (command, first, second) in [
        ("export", "cipp.yaml", "rules.schema.json"),
        ("man", "halo-audit.1", "halo-audit-check.1"),
    ] {
        let target = dir.path().join(command);
        std::fs::create_dir_all(&target).unwrap();
        std::os::unix::fs::symlink(&victim, target.join(first)).unwrap();
        std::os::unix::fs::symlink(&never, target.join(second)).unwrap();
        let run = if command == "export" {
            // Without --force, links (even dangling ones) are files that exist: refused.
            let refused = halo_audit(args!["rules", "export", &target]);
            assert_eq!(refused.code, 2, "{}", refused.stderr);
            halo_audit(args!["rules", "export", &target, "--force"])
        } else {
            halo_audit(args!["man", "--dir", &target])
        };
        assert_eq!(run.code, 0, "{command}: {}", run.stderr);
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious",
            "{command}"
        );
        assert!(!never.exists(), "{command} wrote through a dangling link");
        for name in [first, second] {
            let path = target.join(name);
            assert!(!is_link(&path), "{command}: {name} is still a link");
            assert!(
                std::fs::metadata(&path).unwrap().len() > 100,
                "{command}: {name}"
            );
        }
    }
}

/// A FIFO where `rules export --force` or `man --dir` would write a file: refused before any file
/// is written, without hanging on it.
#[cfg(unix)]
#[test]
fn a_special_file_in_a_filled_directory_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    for (command, name) in [
        ("export", "rules.schema.json"),
        ("man", "halo-audit-check.1"),
    ] {
        let target = dir.path().join(command);
        std::fs::create_dir_all(&target).unwrap();
        mkfifo(&target.join(name));
        let run = if command == "export" {
            halo_audit(args!["rules", "export", &target, "--force"])
        } else {
            halo_audit(args!["man", "--dir", &target])
        };
        assert_eq!(run.code, 3, "{command}: {}", run.stderr);
        assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
        let written = std::fs::read_dir(&target).unwrap().count();
        assert_eq!(written, 1, "{command} wrote files before refusing");
    }
}

/// An output directory that cannot be written is found before a single request is sent.
#[test]
fn an_unwritable_output_is_found_before_the_fetch() {
    let server = Server::start(SimConfig::demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for output in [dir.path().join("missing/snap.json"), dir.path().to_owned()] {
        let run = fetch(&server, args!["-o", &output]);
        assert_eq!(run.code, 3, "{}", run.stderr);
        assert!(run.stderr.contains("could not write"), "{}", run.stderr);
    }
    assert_eq!(server.stats().total, 0, "requests were sent");
}

/// `-o` naming an input of the same run, by any path to it, is refused before any work (exit 2)
/// and the input is left as it was.
#[test]
fn output_naming_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    std::fs::copy(demo(), &snap).unwrap();
    let alias = dir.path().join("alias.json");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&snap, &alias).unwrap();
    #[cfg(not(unix))]
    std::fs::hard_link(&snap, &alias).unwrap();
    let original = std::fs::read(&snap).unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::copy(
        root().join("rules/cloud-depot.yaml"),
        rules.join("cloud-depot.yaml"),
    )
    .unwrap();
    let rule = rules.join("cloud-depot.yaml");
    let rule_text = std::fs::read(&rule).unwrap();
    let baseline = dir.path().join("baseline.json");
    let demo = demo();
    let run = halo_audit(args![
        "check",
        "--snapshot",
        &snap,
        "--format",
        "json",
        "-o",
        &baseline
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let baseline_text = std::fs::read(&baseline).unwrap();
    let cases: Vec<(Vec<&std::ffi::OsStr>, &str)> = vec![
        (
            args!["check", "--snapshot", &snap, "-o", &snap].to_vec(),
            "--snapshot",
        ),
        (
            args!["check", "--snapshot", &snap, "-o", &alias].to_vec(),
            "--snapshot",
        ),
        (
            args!["check", "--snapshot", &snap, "--rules", &rules, "-o", &rule].to_vec(),
            "--rules",
        ),
        (
            args![
                "check",
                "--snapshot",
                &snap,
                "--baseline",
                &baseline,
                "-o",
                &baseline
            ]
            .to_vec(),
            "--baseline",
        ),
        (
            args![
                "check",
                "--snapshot",
                &snap,
                "--baseline",
                &baseline,
                "--update-baseline",
                "-o",
                &baseline
            ]
            .to_vec(),
            "--baseline",
        ),
        (args!["diff", &snap, &demo, "-o", &snap].to_vec(), "OLD"),
        (args!["diff", &demo, &snap, "-o", &alias].to_vec(), "NEW"),
        (
            args![
                "plan",
                "--set",
                "cloud-depot",
                "--snapshot",
                &snap,
                "-o",
                &snap
            ]
            .to_vec(),
            "--snapshot",
        ),
        (
            args!["init", "--snapshot", &snap, "-o", &snap, "--force"].to_vec(),
            "--snapshot",
        ),
    ];
    for (args, flag) in cases {
        let run = halo_audit(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("is the same file as") && run.stderr.contains(flag),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(std::fs::read(&snap).unwrap(), original, "{args:?}");
        assert_eq!(std::fs::read(&rule).unwrap(), rule_text, "{args:?}");
        assert_eq!(std::fs::read(&baseline).unwrap(), baseline_text, "{args:?}");
    }
}

/// The client secret file as `-o` of a fetch: refused before anything is sent.
#[test]
fn a_fetch_writing_over_the_secret_file_is_refused() {
    let server = Server::start(SimConfig::demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, DEMO_CLIENT_SECRET).unwrap();
    let run = fetch(
        &server,
        args!["--client-secret-file", &secret, "-o", &secret],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--client-secret-file"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        DEMO_CLIENT_SECRET
    );
    assert_eq!(server.stats().total, 0);
    assert!(run.stdout.is_empty());
}

/// A FIFO (nobody writing) or a device as an input is refused at once (exit 2), never waited on
/// or read without end.
#[cfg(unix)]
#[test]
fn fifos_and_devices_as_inputs_are_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("input.yaml");
    mkfifo(&fifo);
    // A link in the temporary directory to an endless device, only ever looked at, never read.
    let zero = dir.path().join("zero.json");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    for input in [&fifo, &zero] {
        for args in [
            args!["check", "--snapshot", input].to_vec(),
            args!["check", "--snapshot", &demo(), "--rules", input].to_vec(),
            args!["check", "--snapshot", &demo(), "--baseline", input].to_vec(),
            args!["--config", input, "check", "--snapshot", &demo()].to_vec(),
            args!["diff", input, &demo()].to_vec(),
            args!["snapshot", "show", input].to_vec(),
        ] {
            let run = halo_audit(&args);
            assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
            assert!(
                run.stderr.contains("not a regular file"),
                "{args:?}: {}",
                run.stderr
            );
        }
    }
    let server = Server::start(SimConfig::demo()).unwrap();
    for input in [&fifo, &zero] {
        let run = fetch(
            &server,
            args![
                "--client-secret-file",
                input,
                "-o",
                &dir.path().join("s.json")
            ],
        );
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    }
    assert_eq!(server.stats().total, 0);
}

/// A secret file far larger than any secret is refused without reading it all.
#[test]
fn an_oversized_secret_file_is_refused() {
    let server = Server::start(SimConfig::demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "x".repeat(100_000)).unwrap();
    let run = fetch(
        &server,
        args![
            "--client-secret-file",
            &secret,
            "-o",
            &dir.path().join("s.json")
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("larger than"), "{}", run.stderr);
    assert_eq!(server.stats().total, 0);
}

#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(&std::fs::symlink_metadata(path).unwrap().file_type())
}

#[cfg(not(unix))]
fn is_fifo(_path: &Path) -> bool {
    true
}
