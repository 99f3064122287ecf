//! Where the client secret may go: only to an instance named on the command line (`--url`) or in
//! the environment (`HALO_URL`). A `halo-audit.yaml` (which a pull request can change) naming
//! another server in `instance.url` gets nothing, from `fetch`, a live `check` or a live
//! `self-check`, unless `--trust-config-url` is given on the command line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use halo_sim::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Server, SimConfig};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `halo-audit ARGS` in `dir` with the secret, client id and tenant in the environment; the
/// instance URL only where `url` says.
fn run(dir: &Path, url: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::cargo_bin("halo-audit").unwrap();
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
        .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("HALO_TENANT", DEMO_TENANT)
        .env_remove("HALO_URL")
        .env_remove("HALO_AUTH_URL")
        .env_remove("HALO_AUDIT_CONFIG");
    if let Some(url) = url {
        command.env("HALO_URL", url);
    }
    let output = command
        .args(args)
        .args(["--rate", "off", "--timeout", "10s"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().expect("killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    // Messages as one line of text, whatever the width they were wrapped to.
    let stderr = run
        .stderr
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Run { stderr, ..run }
}

#[test]
fn an_instance_url_from_the_configuration_file_alone_receives_no_secret() {
    let other = Server::start(SimConfig::demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("halo-audit.yaml"),
        format!("instance:\n  url: {}\n", other.url()),
    )
    .unwrap();
    for args in [
        &["fetch", "-o", "snap.json"][..],
        &["check"][..],
        &["self-check"][..],
    ] {
        let run = run(dir.path(), None, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        for words in [
            format!("the instance URL `{}`", other.url()).as_str(),
            "comes only from the configuration file (`instance.url`)",
            "the client secret is not sent there",
            "pass --url or set HALO_URL",
            "--trust-config-url",
        ] {
            assert!(
                run.stderr.contains(words),
                "{args:?}: `{words}` not in:\n{}",
                run.stderr
            );
        }
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
    assert_eq!(
        other.stats().total,
        0,
        "a request reached the configuration's server"
    );
    assert!(!dir.path().join("snap.json").exists());

    // The environment names the instance: the secret goes there, and the file's URL gets nothing.
    let server = Server::start(SimConfig::demo()).unwrap();
    let run1 = run(
        dir.path(),
        Some(&server.url()),
        &["fetch", "-o", "snap.json"],
    );
    assert_eq!(run1.code, 0, "{}", run1.stderr);
    assert!(server.stats().tokens_issued >= 1);
    assert_eq!(other.stats().total, 0);
    // So does the command line.
    let run2 = run(
        dir.path(),
        None,
        &["fetch", "-o", "snap.json", "--url", &server.url()],
    );
    assert_eq!(run2.code, 0, "{}", run2.stderr);
    assert_eq!(other.stats().total, 0);

    // Trusted explicitly on the command line: the file's URL is used.
    let run3 = run(
        dir.path(),
        None,
        &["fetch", "-o", "snap.json", "--trust-config-url"],
    );
    assert_eq!(run3.code, 0, "{}", run3.stderr);
    assert!(other.stats().tokens_issued >= 1);
}

/// A file URL holding `user:password@` is refused without showing the password, before anything
/// is sent.
#[test]
fn a_refused_configuration_url_is_shown_without_its_password() {
    let other = Server::start(SimConfig::demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = other.url().replace("http://", "http://u:pa55word-in-file@");
    std::fs::write(
        dir.path().join("halo-audit.yaml"),
        format!("instance:\n  url: {url}\n"),
    )
    .unwrap();
    let run = run(dir.path(), None, &["fetch", "-o", "snap.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains("pa55word"), "{}", run.stderr);
    assert!(run.stderr.contains("***@"), "{}", run.stderr);
    assert_eq!(other.stats().total, 0);
}

/// A token endpoint answering almost JSON, each holding a token: a UTF-8 byte order mark (as
/// .NET servers send; accepted), trailing bytes, a body cut short, `expires_in: 1e400`, a form.
/// No part of the answer is printed, only its shape; the token appears nowhere.
#[test]
fn no_token_answer_shape_prints_its_token() {
    const TOKEN: &str = "tok-3f9a1c0de5b7a2c4e6f8";
    let json = format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":3600}}"#);
    for (body, exit, says) in [
        // Accepted as a token (which the simulator, not having issued it, then refuses).
        (format!("\u{feff}{json}"), 3, "Halo rejected the token"),
        (
            format!("{json}\n<!-- served by x -->"),
            3,
            "a JSON object with 3 members: access_token, token_type, expires_in followed by",
        ),
        (json[..json.len() - 10].to_owned(), 3, "JSON cut short"),
        (
            json.replace("3600", "1e400"),
            3,
            "not JSON: number out of range",
        ),
        (
            format!("access_token={TOKEN}&token_type=bearer"),
            3,
            "not JSON: expected value at line 1 column 1",
        ),
    ] {
        let mut config = SimConfig::demo();
        config.faults = vec![halo_sim::Fault::new(
            "/auth/token",
            halo_sim::FaultKind::Reply(200, body.clone()),
        )];
        let server = Server::start(config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let run = run(
            dir.path(),
            Some(&server.url()),
            &["-vvv", "fetch", "-o", "snap.json"],
        );
        assert_eq!(run.code, exit, "{body:?}: {}", run.stderr);
        for piece in [TOKEN, &TOKEN[..12], &TOKEN[8..]] {
            assert!(
                !run.stderr.contains(piece),
                "{body:?}: {piece} in:\n{}",
                run.stderr
            );
        }
        assert!(
            run.stderr.contains(says),
            "{body:?}: `{says}` not in:\n{}",
            run.stderr
        );
        if !body.starts_with('\u{feff}') {
            assert!(
                run.stderr.contains("did not answer with a token")
                    && run.stderr.contains(&format!(
                        "HTTP 200, content type `text/plain; charset=utf-8`, {} bytes",
                        body.len()
                    )),
                "{body:?}:\n{}",
                run.stderr
            );
        }
    }
}

/// An error answer of the token endpoint is described, never quoted: its OAuth code and shape.
/// And a data endpoint echoing the secret in upper case has it scrubbed all the same.
#[test]
fn token_errors_are_described_and_an_upper_case_secret_is_scrubbed() {
    let mut config = SimConfig::demo();
    config.client_secret = "wrong-on-purpose-0000".to_owned();
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run1 = run(
        dir.path(),
        Some(&server.url()),
        &["fetch", "-o", "snap.json"],
    );
    assert_eq!(run1.code, 3, "{}", run1.stderr);
    assert!(
        run1.stderr.contains("(invalid_client): HTTP 401")
            && run1.stderr.contains("members: error, error_description"),
        "{}",
        run1.stderr
    );
    assert!(
        !run1.stderr.contains("credentials are invalid"),
        "{}",
        run1.stderr
    );

    let mut config = SimConfig::demo();
    config.faults = vec![halo_sim::Fault::new(
        "/api/Roles",
        halo_sim::FaultKind::Reply(
            500,
            format!(
                "bad request, secret {} rejected",
                DEMO_CLIENT_SECRET.to_uppercase()
            ),
        ),
    )];
    let server = Server::start(config).unwrap();
    let run2 = run(
        dir.path(),
        Some(&server.url()),
        &["fetch", "-o", "snap.json", "--max-attempts", "1"],
    );
    assert_eq!(run2.code, 3, "{}", run2.stderr);
    assert!(
        run2.stderr.contains("secret <redacted> rejected"),
        "{}",
        run2.stderr
    );
    assert!(
        !run2.stderr.to_lowercase().contains(DEMO_CLIENT_SECRET),
        "{}",
        run2.stderr
    );
}
