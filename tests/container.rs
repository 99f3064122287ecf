//! The container image (Dockerfile, .dockerignore, docs/ci.md#container-image) keeps its shape
//! without a container engine: a build stage that compiles with `--locked` and a final stage that
//! holds the binary alone, runs as an unprivileged user and starts halo-audit; base images named
//! by tag; a build context that holds everything the build reads and no build output, history or
//! snapshot. `.ci/run` builds the image when a container engine is there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One instruction of a Dockerfile: its keyword (upper case) and its arguments, continuation
/// lines joined, comments dropped.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        if let Some(start) = trimmed.strip_suffix('\\') {
            pending.push_str(start);
            pending.push(' ');
            continue;
        }
        pending.push_str(trimmed);
        let (keyword, args) = pending
            .split_once(char::is_whitespace)
            .unwrap_or((&pending, ""));
        out.push((keyword.to_uppercase(), args.trim().to_owned()));
        pending.clear();
    }
    assert!(pending.is_empty(), "a continuation line ends the file");
    out
}

/// The instructions grouped by stage (each starts at a FROM).
fn stages(text: &str) -> Vec<Vec<(String, String)>> {
    let mut stages: Vec<Vec<(String, String)>> = Vec::new();
    for (keyword, args) in instructions(text) {
        if keyword == "FROM" {
            stages.push(Vec::new());
        }
        stages
            .last_mut()
            .expect("an instruction before the first FROM")
            .push((keyword, args));
    }
    stages
}

#[test]
fn the_dockerfile_builds_locked_in_one_stage_and_runs_unprivileged_in_another() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let stages = stages(&text);
    assert!(
        stages.len() >= 2,
        "multi-stage: a build stage and a final one"
    );
    for stage in &stages {
        // Named by tag: `image:tag`, never untagged or `latest` (a digest may be added).
        let image = stage[0].1.split_whitespace().next().unwrap();
        let without_digest = image.split('@').next().unwrap();
        let tag = without_digest
            .rsplit_once(':')
            .filter(|(name, tag)| !tag.contains('/') && !name.is_empty());
        match tag {
            Some((_, tag)) => assert_ne!(tag, "latest", "{image}: name a release, not latest"),
            None => panic!("{image}: base images are named by tag"),
        }
    }
    let (build, last) = stages.split_at(stages.len() - 1);
    let last = &last[0];
    // Some earlier stage compiles with exactly Cargo.lock's versions.
    let builds_locked = build.iter().flatten().any(|(keyword, args)| {
        keyword == "RUN"
            && args.contains("cargo build")
            && args.contains("--release")
            && args.contains("--locked")
    });
    assert!(
        builds_locked,
        "a build stage runs `cargo build --release --locked`"
    );
    // The final stage takes the binary from a build stage and compiles nothing itself.
    assert!(
        last.iter()
            .any(|(keyword, args)| keyword == "COPY" && args.contains("--from=")),
        "the final stage copies the binary from a build stage"
    );
    assert!(
        !last
            .iter()
            .any(|(keyword, args)| keyword == "RUN" && args.contains("cargo")),
        "nothing is compiled in the final stage"
    );
    let final_image = &last[0].1;
    assert!(
        !final_image.contains("rust:"),
        "the final image is not the toolchain: {final_image}"
    );
    // It runs as an unprivileged user: the last USER of the final stage names neither root
    // nor uid 0.
    let user = last
        .iter()
        .rev()
        .find(|(keyword, _)| keyword == "USER")
        .map(|(_, args)| args.clone())
        .expect("the final stage sets USER");
    let name = user.split(':').next().unwrap();
    assert!(
        !name.is_empty() && name != "root" && name != "0",
        "USER {user} is root"
    );
    let entrypoint = last
        .iter()
        .rev()
        .find(|(keyword, _)| keyword == "ENTRYPOINT")
        .map(|(_, args)| args.clone())
        .expect("the final stage sets ENTRYPOINT");
    assert!(
        entrypoint.starts_with('[') && entrypoint.contains("halo-audit\""),
        "ENTRYPOINT runs halo-audit in exec form: {entrypoint}"
    );
}

/// A `.dockerignore` pattern as Docker applies it (anchored at the context's root; `*` within a
/// path segment, `**` across segments; a match on a directory excludes what it holds; `!`
/// re-includes; the last matching line wins).
fn ignored(patterns: &[String], path: &str) -> bool {
    let mut excluded = false;
    for pattern in patterns {
        let (include, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern.as_str()),
        };
        let pattern: Vec<&str> = pattern
            .trim_start_matches('/')
            .trim_end_matches('/')
            .split('/')
            .collect();
        let segments: Vec<&str> = path.split('/').collect();
        let hit = (1..=segments.len()).any(|n| glob(&pattern, &segments[..n]));
        if hit {
            excluded = !include;
        }
    }
    excluded
}

fn glob(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            glob(&pattern[1..], path) || (!path.is_empty() && glob(pattern, &path[1..]))
        }
        (Some(p), Some(s)) => {
            segment(p.as_bytes(), s.as_bytes()) && glob(&pattern[1..], &path[1..])
        }
        _ => false,
    }
}

fn segment(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            segment(&pattern[1..], text) || (!text.is_empty() && segment(pattern, &text[1..]))
        }
        (Some(p), Some(t)) => (*p == b'?' || p == t) && segment(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// Every file under `dir`, relative to the repository root, with `/` separators.
fn files_under(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path: PathBuf = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            let relative = path.strip_prefix(root()).unwrap();
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn the_build_context_holds_what_the_build_reads_and_no_output_or_data() {
    let patterns: Vec<String> = std::fs::read_to_string(root().join(".dockerignore"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    // What `cargo build --release --locked` reads: the workspace's manifests and lock file, the
    // crate's sources and build script, the embedded catalog and rule sets, and the sources of
    // the other workspace members (Cargo loads every member).
    let mut needed = vec![
        "Cargo.toml".to_owned(),
        "Cargo.lock".to_owned(),
        "build.rs".to_owned(),
    ];
    for dir in [
        "src",
        "catalog",
        "rules",
        "crates/halo-sim/src",
        "crates/halo-bench/src",
    ] {
        files_under(&root().join(dir), &mut needed);
    }
    needed.extend([
        "crates/halo-sim/Cargo.toml".to_owned(),
        "crates/halo-bench/Cargo.toml".to_owned(),
    ]);
    let left_out: Vec<&String> = needed
        .iter()
        .filter(|path| !path.ends_with(".snap") && ignored(&patterns, path))
        .collect();
    assert!(left_out.is_empty(), "the build needs {left_out:?}");
    for kept_out in [
        "target/release/halo-audit",
        ".git/config",
        "snapshot.json",
        "snapshots/2026-01-01.json",
        "halo-audit.sarif",
        "fixtures/demo/snapshot.json",
        "tests/fetch.rs",
    ] {
        assert!(
            ignored(&patterns, kept_out),
            "{kept_out} is sent to the build"
        );
    }
}
