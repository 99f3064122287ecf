//! What is installed beside the binary, driven as a shell drives it: the bash completion function
//! sourced and called with `COMP_WORDS`/`COMP_CWORD`/`COMP_LINE`/`COMP_POINT` set, the zsh and
//! fish scripts parsed by their shells, the manual pages rendered by `man -l`; and `rules
//! validate -`.
//!
//! Without bash, zsh, fish or man on the PATH the part that needs it is skipped with a message,
//! except in CI (`CI` set), where it fails (.ci/run installs them from Debian).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn halo_audit() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_halo-audit"));
    for name in [
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "FORCE_COLOR",
        "HALO_AUDIT_CONFIG",
    ] {
        cmd.env_remove(name);
    }
    cmd
}

/// The standard output of a successful `halo-audit ARGS`.
fn stdout_of(args: &[&str]) -> String {
    let out = halo_audit().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Whether `program` runs; when it does not, skipped with a message, or a failure in CI.
fn available(program: &str, test: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "`{program}` is not installed, and CI is set: {test} must run in CI (.ci/run installs it)"
        );
        eprintln!("SKIPPED {test}: `{program}` is not on the PATH (apt-get install {program})");
    }
    found
}

/// What bash's completion offers for `line` (the word under the cursor is its last word, empty
/// after a trailing space), by sourcing the script and calling its function as bash does.
fn bash_complete(script: &Path, line: &str) -> Vec<String> {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if line.ends_with(' ') {
        words.push("");
    }
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let driver = format!(
        "source '{script}'\n\
         COMP_WORDS=({words})\n\
         COMP_CWORD={cword}\n\
         COMP_LINE='{line}'\n\
         COMP_POINT={point}\n\
         _halo__audit halo-audit \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script = script.display(),
        words = quoted.join(" "),
        cword = words.len() - 1,
        point = line.len(),
    );
    let out = Command::new("bash").arg("-c").arg(driver).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_after_the_subcommand() {
    if !available("bash", "bash_completes_after_the_subcommand") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("halo-audit.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).unwrap();
    let offers = |line: &str| bash_complete(&script, line);

    assert_eq!(offers("halo-audit check --fo"), ["--format"]);
    assert_eq!(offers("halo-audit check --set cloud"), ["cloud-depot"]);
    assert_eq!(offers("halo-audit explain missing"), ["missing-grant"]);
    // The subcommands still complete, and so do the options and values of the deeper ones.
    assert!(offers("halo-audit ch").contains(&"check".to_owned()));
    assert_eq!(offers("halo-audit self-check --snap"), ["--snapshot"]);
    assert_eq!(offers("halo-audit rules validate --he"), ["--help"]);
    assert_eq!(offers("halo-audit rules show hud"), ["hudu"]);
    assert_eq!(offers("halo-audit plan --set cloud-d"), ["cloud-depot"]);
    let formats = offers("halo-audit check --format ");
    for format in ["human", "json", "sarif", "junit", "markdown", "html"] {
        assert!(
            formats.contains(&format.to_owned()),
            "{format}: {formats:?}"
        );
    }
    assert_eq!(offers("halo-audit diff --format js"), ["json"]);
    // Every finding code, and nothing else, after `explain`.
    let codes = offers("halo-audit explain ");
    assert!(codes.contains(&"excessive-grant".to_owned()), "{codes:?}");
    assert!(codes.contains(&"waiver-expiring".to_owned()), "{codes:?}");
}

#[test]
fn zsh_and_fish_scripts_parse_and_offer_the_values() {
    let zsh = stdout_of(&["completions", "zsh"]);
    let fish = stdout_of(&["completions", "fish"]);
    for (name, script) in [("zsh", &zsh), ("fish", &fish)] {
        assert!(script.contains("cloud-depot"), "{name}: set ids");
        assert!(script.contains("missing-grant"), "{name}: finding codes");
        assert!(script.contains("sarif"), "{name}: formats");
    }
    let dir = tempfile::tempdir().unwrap();
    for (shell, script) in [("zsh", zsh), ("fish", fish)] {
        if !available(shell, "zsh_and_fish_scripts_parse_and_offer_the_values") {
            continue;
        }
        let file = dir.path().join(format!("halo-audit.{shell}"));
        std::fs::write(&file, script).unwrap();
        let out = Command::new(shell).arg("-n").arg(&file).output().unwrap();
        assert!(
            out.status.success(),
            "{shell} -n rejects the script: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // fish answers what it would offer (`complete -C LINE`): values of options and of positionals.
    if available("fish", "zsh_and_fish_scripts_parse_and_offer_the_values") {
        let file = dir.path().join("halo-audit.fish");
        for (line, expected) in [
            ("halo-audit check --fo", "--format"),
            ("halo-audit check --set cloud", "cloud-depot"),
            ("halo-audit explain missing", "missing-grant"),
            ("halo-audit rules show hud", "hudu"),
        ] {
            let out = Command::new("fish")
                .arg("-c")
                .arg(format!("source '{}'; complete -C '{line}'", file.display()))
                .output()
                .unwrap();
            let offered = String::from_utf8_lossy(&out.stdout);
            assert!(
                offered
                    .lines()
                    .any(|l| l.split('\t').next() == Some(expected)),
                "fish on `{line}`: {offered}"
            );
        }
    }
    // PowerShell's script selects a subcommand's options by the command path.
    let powershell = stdout_of(&["completions", "powershell"]);
    assert!(powershell.contains("'halo-audit;check'"), "{powershell}");
    assert!(powershell.contains("--format"));
}

#[test]
fn manual_pages_have_exit_status_environment_and_examples() {
    let dir = tempfile::tempdir().unwrap();
    let out = halo_audit()
        .current_dir(dir.path())
        .args(["man", "--dir", "man"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = |name: &str| std::fs::read_to_string(dir.path().join("man").join(name)).unwrap();

    let main = page("halo-audit.1");
    for section in ["EXIT STATUS", "ENVIRONMENT", "EXAMPLES"] {
        assert!(main.contains(&format!(".SH \"{section}\"")), "{section}");
    }
    for code in ["\\fB0\\fR", "\\fB1\\fR", "\\fB2\\fR", "\\fB3\\fR"] {
        assert!(main.contains(code), "exit code {code}");
    }
    // Every variable the tool reads.
    for var in [
        "HALO_URL",
        "HALO_TENANT",
        "HALO_CLIENT_ID",
        "HALO_CLIENT_SECRET",
        "HALO_AUTH_URL",
        "HALO_AUDIT_CONFIG",
        "HALO_AUDIT_FAIL_ON",
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "FORCE_COLOR",
        "CLICOLOR",
        "TERM",
        "COLUMNS",
        "HTTPS_PROXY",
        "NO_PROXY",
    ] {
        assert!(main.contains(var), "{var}");
    }
    // The sections come before VERSION, as man pages order them.
    assert!(main.find(".SH \"EXAMPLES\"").unwrap() < main.find(".SH VERSION").unwrap());

    let check = page("halo-audit-check.1");
    assert!(check.contains(".SH \"EXIT STATUS\"") && check.contains("HALO_AUDIT_FAIL_ON"));
    assert!(
        check.contains("\\-\\-baseline nov\\-report.json"),
        "examples"
    );
    let validate = page("halo-audit-rules-validate.1");
    assert!(validate.contains("rules validate \\-"), "{validate}");
    assert!(
        !validate.contains("HALO_CLIENT_SECRET"),
        "no connection variables where none apply"
    );

    if available(
        "man",
        "manual_pages_have_exit_status_environment_and_examples",
    ) {
        let out = Command::new("man")
            .env("MANWIDTH", "100")
            .env("MAN_KEEP_FORMATTING", "0")
            .arg("-l")
            .arg(dir.path().join("man/halo-audit.1"))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        // Bold and underline come as overstrikes (`N\bN`) when man writes to a pipe.
        let raw: Vec<char> = String::from_utf8_lossy(&out.stdout).chars().collect();
        let mut text = String::new();
        let mut i = 0;
        while i < raw.len() {
            if raw.get(i + 1) == Some(&'\u{8}') {
                i += 2;
            } else {
                text.push(raw[i]);
                i += 1;
            }
        }
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("EXIT STATUS") && text.contains("ENVIRONMENT"),
            "{text}"
        );
        assert!(text.contains("HALO_CLIENT_SECRET"), "{text}");
        assert!(
            out.stderr.is_empty(),
            "man warns: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `halo-audit rules validate -` with `input` on standard input: (exit code, stdout, stderr).
fn validate_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = halo_audit()
        .args(["rules", "validate"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A refused run may exit before reading: a broken pipe is then expected.
    let _ = child.stdin.take().unwrap().write_all(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn rules_validate_reads_standard_input() {
    let hudu =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/hudu.yaml")).unwrap();
    let (code, stdout, stderr) = validate_stdin(&["-"], &hudu);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("ok: 1 files, 1 sets"), "{stdout}");

    // Errors name <stdin> with the line.
    let (code, _, stderr) = validate_stdin(&["-"], b"id: mine\nbogus: [\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("<stdin>:2:1"), "{stderr}");
    assert!(stderr.contains("unknown field `bogus`"), "{stderr}");

    let (code, _, stderr) = validate_stdin(&["-"], b"id: x\n\xff\xfe\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("<stdin>"), "{stderr}");

    // Standard input beside files, and not twice.
    let (code, _, stderr) = validate_stdin(&["-", "-"], &hudu);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("standard input can be read once"),
        "{stderr}"
    );
}
