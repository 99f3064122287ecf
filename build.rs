//! Embeds the shipped requirement sets (`rules/*.yaml`) so the binary works from any directory.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let dir = Path::new("rules");
    let mut files: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut out = String::from(
        "/// Shipped requirement sets: (repository path, contents).\npub const BUILTIN: &[(&str, &str)] = &[\n",
    );
    for name in &files {
        println!("cargo:rerun-if-changed=rules/{name}");
        // The path is resolved when the crate compiles, not here: a target directory shared by
        // two checkouts never points at the other one's files.
        let _ = writeln!(
            out,
            "    (\"rules/{name}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/{name}\"))),"
        );
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_owned()))
        .join("builtin_rules.rs");
    if let Err(e) = std::fs::write(&target, out) {
        println!("cargo:warning=cannot write {}: {e}", target.display());
        std::process::exit(1);
    }
}
