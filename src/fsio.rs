//! File output that never leaves a half-written or lost file behind.
//!
//! Owns: atomic replacement of a destination file (write a temporary sibling, flush, rename).
//! Every file halo-audit writes (snapshots, reports, configs) goes through here.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A failed write; the destination is untouched.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("could not write {}: {cause}", path.display())]
#[diagnostic(
    code(halo_audit::io::write),
    help(
        "check that the directory exists and is writable; the previous file, if any, was left as it was"
    )
)]
pub struct WriteError {
    pub path: PathBuf,
    /// Printed in the message, not as a separate cause (which miette would print again).
    pub cause: std::io::Error,
}

/// Writes `bytes` to `path` atomically: either the whole new content is there or the old file is.
///
/// # Errors
/// When the temporary file cannot be created, written, synced or renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let fail = |cause| WriteError {
        path: path.to_owned(),
        cause,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let mut attempt = 0u32;
    let (tmp_path, mut file) = loop {
        let candidate = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => break (candidate, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1
            }
            Err(e) => return Err(fail(e)),
        }
    };
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&tmp_path, path)
        });
    if let Err(e) = result {
        // Best effort: the temporary file is ours; the destination was never touched.
        let _ = std::fs::remove_file(&tmp_path);
        return Err(fail(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, "old").unwrap();
        write_atomic(&path, b"new content").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new content");
        let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn failure_leaves_destination_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir").join("out.json");
        let err = write_atomic(&missing, b"x").unwrap_err();
        assert!(err.to_string().contains("no-such-dir"));
    }
}
