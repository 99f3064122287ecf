//! Secrets: the client secret and every bearer token the simulator issued appear in no output
//! format, no saved snapshot and no log at the most verbose level, on success and on failure;
//! `Debug` of the settings redacts them; TLS is rustls with certificate verification that cannot
//! be turned off (an untrusted certificate ends the run before anything is sent).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use assert_cmd::Command;
use halo_sim::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Fault, FaultKind, Server, SimConfig,
};
use secrecy::SecretString;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const FAST: &[&str] = &["--rate", "off", "--backoff", "20ms", "--timeout", "5s"];

/// What one run printed.
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn halo_audit(server: &Server, args: &[&str]) -> Output {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("HALO_URL", server.url())
        .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
        .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("HALO_TENANT", DEMO_TENANT)
        .env_remove("HALO_AUTH_URL")
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    Output {
        code: output.status.code().expect("killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Asserts that no text holds the client secret or any token the server issued.
fn assert_clean(server: &Server, texts: &[(String, String)]) {
    let tokens = server.issued_tokens();
    assert!(!tokens.is_empty(), "the runs obtained no token");
    for (name, text) in texts {
        assert!(
            !text.contains(DEMO_CLIENT_SECRET),
            "the client secret is in {name}"
        );
        assert!(
            !text.contains("app-secret-should-vanish"),
            "an application's secret is in {name}"
        );
        for token in &tokens {
            assert!(
                !text.contains(token.as_str()),
                "a bearer token is in {name}"
            );
            // Nor a recognisable piece of one.
            assert!(!text.contains(&token[..16]), "part of a token is in {name}");
        }
    }
}

#[test]
fn no_output_format_snapshot_or_verbose_log_holds_a_secret_or_token() {
    let mut config = SimConfig::demo();
    config.objects.applications[0]["clientSecret"] = "app-secret-should-vanish".into();
    config.objects.agents[0]["password"] = "app-secret-should-vanish".into();
    // One renewal mid-fetch, so more than one token is in play.
    config.faults = vec![
        Fault::new("/api/Agent/*", FaultKind::ExpireTokens)
            .skip(3)
            .times(1),
    ];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut texts = Vec::new();
    for format in [
        "human", "table", "json", "sarif", "junit", "github", "markdown",
    ] {
        let saved = dir.path().join(format!("{format}.json"));
        let report = dir.path().join(format!("report.{format}"));
        let mut args = vec![
            "-vvv",
            "check",
            "--format",
            format,
            "--save-snapshot",
            saved.to_str().unwrap(),
        ];
        args.extend_from_slice(FAST);
        let run = halo_audit(&server, &args);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        assert!(!run.stdout.is_empty());
        texts.push((format!("{format} stdout"), run.stdout));
        texts.push((format!("{format} stderr"), run.stderr));
        texts.push((
            format!("{format} snapshot"),
            std::fs::read_to_string(&saved).unwrap(),
        ));
        // The same report written to a file.
        let mut args = vec![
            "-vvv",
            "check",
            "--snapshot",
            saved.to_str().unwrap(),
            "--format",
            format,
            "-o",
            report.to_str().unwrap(),
        ];
        args.extend_from_slice(FAST);
        let run = halo_audit(&server, &args);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        texts.push((
            format!("{format} report file"),
            std::fs::read_to_string(&report).unwrap(),
        ));
        texts.push((format!("{format} report stderr"), run.stderr));
    }
    let snap = dir.path().join("fetched.json");
    let mut args = vec!["-vvv", "fetch", "-o", snap.to_str().unwrap()];
    args.extend_from_slice(FAST);
    let run = halo_audit(&server, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    texts.push(("fetch stderr".to_owned(), run.stderr));
    let shown = halo_audit(
        &server,
        &["-vvv", "snapshot", "show", snap.to_str().unwrap()],
    );
    texts.push(("snapshot show".to_owned(), shown.stdout));
    let saved = std::fs::read_to_string(&snap).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&saved).unwrap();
    // The simulator never serves `clientSecret`; the agent's `password` was stripped on the way in.
    assert_eq!(doc["redacted"], serde_json::json!(["password"]));
    texts.push(("fetched snapshot".to_owned(), saved));
    // One token per live run (seven checks and a fetch), and the renewal.
    assert_eq!(server.issued_tokens().len(), 9, "{:?}", server.stats());
    assert_clean(&server, &texts);
}

#[test]
fn failed_runs_show_no_secret_or_token_either() {
    let mut texts = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let out = out.to_str().unwrap();
    let mut servers = Vec::new();
    for fault in [
        Fault::new("/api/Roles/*", FaultKind::Status(500)),
        Fault::new("/api/Team", FaultKind::Malformed),
        Fault::new("/api/Agent/*", FaultKind::DropMidBody),
        Fault::new("/api/Application", FaultKind::ExpireTokens),
        Fault::new(
            "/api/Agent",
            FaultKind::Redirect("https://elsewhere.example/".into()),
        ),
    ] {
        let mut config = SimConfig::demo();
        config.faults = vec![fault.clone()];
        let server = Server::start(config).unwrap();
        let mut args = vec!["-vvv", "fetch", "-o", out, "--max-attempts", "2"];
        args.extend_from_slice(FAST);
        let run = halo_audit(&server, &args);
        assert_eq!(run.code, 3, "{fault}: {}", run.stderr);
        texts.push((format!("{fault} stderr"), run.stderr));
        texts.push((format!("{fault} stdout"), run.stdout));
        servers.push(server);
    }
    for server in &servers {
        assert_clean(server, &texts);
    }
}

#[test]
fn debug_of_the_settings_redacts_the_secret() {
    let settings = halo_audit::halo::Settings::new(
        "https://acme.halopsa.com",
        "client-id".to_owned(),
        SecretString::from("s3cr3t-in-settings".to_owned()),
    )
    .unwrap();
    for text in [format!("{settings:?}"), format!("{settings:#?}")] {
        assert!(!text.contains("s3cr3t-in-settings"), "{text}");
        assert!(text.contains("client-id"), "{text}");
        assert!(text.contains("REDACTED"), "{text}");
    }
}

#[test]
fn tls_is_rustls_only() {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    for name in ["openssl", "openssl-sys", "native-tls", "hyper-tls"] {
        assert!(
            !lock.contains(&format!("name = \"{name}\"")),
            "{name} is in Cargo.lock"
        );
    }
    assert!(lock.contains("name = \"rustls\""));
}

#[test]
fn no_flag_or_variable_turns_certificate_verification_off() {
    for command in ["fetch", "check"] {
        let help = Command::cargo_bin("halo-audit")
            .unwrap()
            .args([command, "--help"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&help.stdout).to_lowercase();
        for word in [
            "insecure",
            "verify",
            "invalid-cert",
            "danger",
            "skip-tls",
            "no-tls",
            "ca-cert",
        ] {
            assert!(!text.contains(word), "`{command} --help` offers `{word}`");
        }
    }
    let source = std::fs::read_to_string(root().join("src/halo/client.rs")).unwrap();
    for call in [
        "danger_accept_invalid",
        "dangerous()",
        "tls_built_in_root_certs(false)",
    ] {
        assert!(!source.contains(call), "the client calls {call}");
    }
}

/// A TLS server on 127.0.0.1 with a self-signed certificate: the handshake fails on the client's
/// side, exit 3 with the TLS advice, and not one byte of a request (let alone the secret) arrives.
#[test]
fn an_untrusted_certificate_ends_the_run_before_anything_is_sent() {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = std::fs::read(root().join("tests/fixtures/tls/self-signed.der")).unwrap();
    let key = std::fs::read(root().join("tests/fixtures/tls/self-signed.key.der")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let Ok(mut conn) = rustls::ServerConnection::new(Arc::clone(&config)) else {
                return;
            };
            let mut tls = rustls::Stream::new(&mut conn, &mut stream);
            let mut byte = [0u8; 1];
            if matches!(tls.read(&mut byte), Ok(n) if n > 0) {
                seen.store(true, Ordering::SeqCst);
            }
        }
    });
    // A writable output: an unwritable one is refused before any connection.
    let dir = tempfile::tempdir().unwrap();
    let never = dir.path().join("never-written.json");
    for host in ["127.0.0.1", "localhost"] {
        let output = Command::cargo_bin("halo-audit")
            .unwrap()
            .env("NO_COLOR", "1")
            .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
            .args([
                "fetch",
                "--url",
                &format!("https://{host}:{port}"),
                "--client-id",
                DEMO_CLIENT_ID,
                "-o",
                never.to_str().unwrap(),
                "--backoff",
                "20ms",
                "--timeout",
                "5s",
            ])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains("TLS failed"), "{stderr}");
        assert!(stderr.contains("certificate"), "{stderr}");
        assert!(stderr.contains("cannot be turned off"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!never.exists());
    }
    assert!(
        !received.load(Ordering::SeqCst),
        "a request was sent over a connection with an untrusted certificate"
    );
}

/// A secret with characters every encoding changes: `+`, `/`, a space, a quote, `&`, non-ASCII.
const AWKWARD_SECRET: &str = "s3cr3t+with/slash \"quote\" & ümlaut-0123456789";

/// Every form a server could echo `secret` (and `id:secret`) in.
fn encodings(id: &str, secret: &str) -> Vec<(String, String)> {
    let form: String = secret
        .bytes()
        .map(|b| match b {
            b' ' => "+".to_owned(),
            b if b.is_ascii_alphanumeric() || b"*-._".contains(&b) => char::from(b).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect();
    let json = serde_json::to_string(secret).unwrap();
    let json = json[1..json.len() - 1].to_owned();
    let basic = base64(format!("{id}:{secret}").as_bytes());
    vec![
        ("the secret".to_owned(), secret.to_owned()),
        ("its form encoding".to_owned(), form.clone()),
        (
            "its lower-case form encoding".to_owned(),
            form.to_lowercase(),
        ),
        ("its JSON escaping".to_owned(), json),
        ("base64 of id:secret".to_owned(), basic),
        ("its start".to_owned(), secret[..8].to_owned()),
        ("its encoded start".to_owned(), form[..12].to_owned()),
    ]
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A fetch against a simulator whose client secret is [`AWKWARD_SECRET`].
fn fetch_awkward(server: &Server, out: &Path, extra: &[&str]) -> Output {
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("HALO_URL", server.url())
        .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
        .env("HALO_CLIENT_SECRET", AWKWARD_SECRET)
        .env("HALO_TENANT", DEMO_TENANT)
        .env_remove("HALO_AUTH_URL")
        .args(["-vvv", "fetch", "-o"])
        .arg(out)
        .args(FAST)
        .args(["--max-attempts", "2"])
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    Output {
        code: output.status.code().expect("killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn awkward_server(faults: Vec<Fault>) -> Server {
    let mut config = SimConfig::demo();
    config.client_secret = AWKWARD_SECRET.to_owned();
    config.faults = faults;
    Server::start(config).unwrap()
}

/// No form of the secret nor of any issued token (nor a recognisable start of one) in `text`.
fn assert_no_secret_in_any_form(server: &Server, name: &str, text: &str) {
    for (what, form) in encodings(DEMO_CLIENT_ID, AWKWARD_SECRET) {
        assert!(!text.contains(&form), "{what} is in {name}:\n{text}");
    }
    for token in server.issued_tokens() {
        for (what, form) in encodings("", &token) {
            if what != "base64 of id:secret" {
                assert!(
                    !text.contains(&form),
                    "a token ({what}) is in {name}:\n{text}"
                );
            }
        }
    }
}

/// A token endpoint echoing the form it was sent, JSON-escaped, in `error_description`: no part
/// of its answer is shown, only its shape (status, type, length, member names).
#[test]
fn a_token_endpoint_echoing_the_form_shows_no_form_of_the_secret() {
    let server = awkward_server(vec![Fault::new("/auth/token", FaultKind::Echo(400))]);
    let dir = tempfile::tempdir().unwrap();
    let run = fetch_awkward(&server, &dir.path().join("snap.json"), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    // The message as one line, whatever width it was wrapped to.
    let flat = run
        .stderr
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("HTTP 400")
            && flat.contains("a JSON object with 3 members: error, error_description, Message"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("client_secret="), "{}", run.stderr);
    assert_no_secret_in_any_form(&server, "stderr", &run.stderr);
    assert!(run.stdout.is_empty());
}

/// A data endpoint answering 403 with the request echoed (the `Authorization` header with the
/// bearer token): the gap is recorded, its detail in the snapshot scrubbed.
#[test]
fn a_forbidden_answer_echoing_the_bearer_token_is_stored_scrubbed() {
    let server = awkward_server(vec![Fault::new("/api/Roles/*", FaultKind::Echo(403))]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.json");
    let run = fetch_awkward(&server, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let saved = std::fs::read_to_string(&out).unwrap();
    assert!(saved.contains("Bearer <redacted>"), "{saved}");
    assert_no_secret_in_any_form(&server, "the snapshot", &saved);
    assert_no_secret_in_any_form(&server, "stderr", &run.stderr);
    // And a 5xx echoing it, which ends the fetch, shows it nowhere either.
    let server = awkward_server(vec![Fault::new("/api/Roles/*", FaultKind::Echo(500))]);
    let run = fetch_awkward(&server, &out, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 500"), "{}", run.stderr);
    assert_no_secret_in_any_form(&server, "stderr", &run.stderr);
}

/// Answers that are not JSON: a form-encoded token, and text holding the form-encoded secret
/// across the point where the message cuts it.
#[test]
fn non_json_token_answers_show_neither_the_token_nor_the_secret_across_the_cut() {
    let form: String = encodings(DEMO_CLIENT_ID, AWKWARD_SECRET)[1].1.clone();
    for body in [
        "access_token=tok%2Fen-0123456789abcdef&token_type=bearer&refresh_token=refresh-0123456789"
            .to_owned(),
        format!("{}client_secret={form}", "x".repeat(40)),
    ] {
        let server = awkward_server(vec![Fault::new(
            "/auth/token",
            FaultKind::Reply(200, body.clone()),
        )]);
        let dir = tempfile::tempdir().unwrap();
        let run = fetch_awkward(&server, &dir.path().join("snap.json"), &[]);
        assert_eq!(run.code, 3, "{}", run.stderr);
        assert!(run.stderr.contains("not JSON"), "{}", run.stderr);
        assert_no_secret_in_any_form(&server, "stderr", &run.stderr);
        for piece in ["tok%2Fen", "tok/en", "refresh-0", "s3cr"] {
            assert!(!run.stderr.contains(piece), "{piece} in:\n{}", run.stderr);
        }
    }
}

/// `https://user:password@host` is refused (exit 2) without showing the password, whichever URL
/// carries it; nothing is sent.
#[test]
fn a_url_with_a_user_and_password_is_refused() {
    let server = awkward_server(Vec::new());
    let with_password = server
        .url()
        .replace("http://", "http://auditor:pa55word-in-url@");
    for flag in ["--url", "--auth-url"] {
        let dir = tempfile::tempdir().unwrap();
        let run = fetch_awkward(
            &server,
            &dir.path().join("snap.json"),
            &[flag, &with_password],
        );
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("user name or password"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("pa55word"), "{}", run.stderr);
        assert!(!dir.path().join("snap.json").exists());
    }
    assert_eq!(server.stats().total, 0, "a request was sent");
}
