//! File input and output that never leaves a half-written or lost file behind, never hangs on a
//! special file and never destroys an input.
//!
//! Owns: atomic replacement of a destination file (write a temporary sibling, flush, rename), what
//! happens when the destination is not a regular file (a symbolic link the user named: its target
//! is replaced and the link kept; a FIFO or device such as `/dev/stdout` is written into directly),
//! files written into a directory halo-audit fills (`rules export`, `man --dir`), where a symbolic
//! link found is replaced itself and never written through, the mode of what is written (a
//! rewrite keeps the old file's mode; private files such as snapshots are 0600 whatever was
//! there), the check that an output is writable before expensive work, the refusal of an output
//! that is one of the run's inputs, and the refusal of inputs that are not regular files.
//! Every file halo-audit writes goes through here. A path of `-` is standard output where a file
//! is written ([`write_with`]) and standard input where one is read ([`read_stdin`]).
//!
//! A temporary file exists only while bytes already in memory are written and synced (a fetch is
//! over before it is created); an interrupt in that moment can leave it behind, named
//! `.NAME.PID.N.tmp` beside the destination.

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

/// An output that is also an input of the same run.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{output_flag} {} is the same file as {input_flag} {}: writing it would destroy the input", output.display(), input.display())]
#[diagnostic(
    code(halo_audit::io::same_file),
    help("write to another file; nothing was read or written")
)]
pub struct SameFileError {
    pub output_flag: &'static str,
    pub output: PathBuf,
    pub input_flag: &'static str,
    pub input: PathBuf,
}

/// Who may read a file written anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// As the umask allows (reports, configurations).
    Shared,
    /// The owner only, 0600 (snapshots: names, e-mail addresses, permissions).
    Private,
}

/// The path that means standard output where a file is written, standard input where one is read.
pub const STDIO: &str = "-";

/// True for `-`: standard output or input rather than a file.
#[must_use]
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == STDIO
}

/// How a path is named in messages: `standard output` for `-`.
#[must_use]
pub fn describe_output(path: &Path) -> String {
    if is_stdio(path) {
        "standard output".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Reads standard input whole, at most `limit` bytes (refused beyond, without reading on). A
/// terminal is refused rather than waited on: `-` is for a pipe or a redirected file.
///
/// # Errors
/// When standard input is a terminal, cannot be read, or holds more than `limit` bytes.
pub fn read_stdin(limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{IsTerminal, Read};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(std::io::Error::other(
            "standard input is a terminal; pipe the file in (`... | halo-audit ... -`) or give its path",
        ));
    }
    let mut bytes = Vec::new();
    stdin.lock().take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "it is larger than {limit} bytes, more than such a file can hold"
        )));
    }
    Ok(bytes)
}

/// Copies standard input to an unnamed temporary file (mode 0600, removed when closed), at most
/// `limit` + 1 bytes: the file and how many bytes were copied (over `limit`: the input is larger).
///
/// # Errors
/// When standard input is a terminal, or cannot be read, or the temporary file written.
pub fn spool_stdin(limit: u64) -> std::io::Result<(std::fs::File, u64)> {
    use std::io::{IsTerminal, Read};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(std::io::Error::other(
            "standard input is a terminal; pipe the file in (`... | halo-audit ... -`) or give its path",
        ));
    }
    let mut file = tempfile::tempfile()?;
    let size = std::io::copy(&mut stdin.lock().take(limit + 1), &mut file)?;
    Ok((file, size))
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

/// How many symbolic links are followed before giving up (as the kernel does).
const MAX_LINKS: usize = 40;

/// Writes `bytes` to `path` atomically: either the whole new content is there or the old file is.
/// See [`write_with`].
///
/// # Errors
/// When the temporary file cannot be created, written, synced or renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_with(path, bytes, Access::Shared)
}

/// [`write_atomic`] of a file only its owner may read (0600), whatever the mode of the file it
/// replaces.
///
/// # Errors
/// As [`write_atomic`].
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_with(path, bytes, Access::Private)
}

/// Writes `bytes` to `path`:
/// - a regular file (existing or not) is replaced atomically, keeping an existing file's mode;
///   a new one gets the mode `access` asks for;
/// - a symbolic link: its final target is replaced that way, and the link is kept;
/// - a FIFO, character device or socket (and `/dev/stdout`, `/proc/self/fd/N`): written into
///   directly, never replaced;
/// - `-`: standard output.
///
/// # Errors
/// [`WriteError`]; the destination is then untouched (a direct write may have written part).
pub fn write_with(path: &Path, bytes: &[u8], access: Access) -> Result<(), WriteError> {
    let fail = |cause| WriteError {
        path: path.to_owned(),
        cause,
    };
    if is_stdio(path) {
        return write_stdout(bytes).map_err(fail);
    }
    let target = match resolve(path).map_err(fail)? {
        Destination::Direct(target) => return write_direct(&target, bytes).map_err(fail),
        Destination::Replace(target) => target,
    };
    let old_mode = match std::fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => {
            return Err(fail(std::io::Error::other("it is a directory")));
        }
        Ok(meta) if !meta.is_file() => return write_direct(&target, bytes).map_err(fail),
        Ok(meta) => Some(mode_of(&meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(e)),
    };
    replace(&target, bytes, old_mode, access).map_err(fail)
}

/// Writes `bytes` as the file `name` of `dir`, a directory halo-audit fills with files of its own
/// naming (`rules export`, `man --dir`): atomically, as [`write_atomic`], but the entry is never
/// followed. A symbolic link there (planted, or left by a package manager) is replaced by the new
/// file, its target untouched; a regular file keeps its mode; a directory, FIFO, device or socket
/// is refused. The caller decides beforehand whether existing files may be replaced.
///
/// # Errors
/// [`WriteError`]; the entry is then untouched.
pub fn write_in_dir(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), WriteError> {
    let old_mode = check_in_dir(dir, name)?;
    let path = dir.join(name);
    // The rename replaces whatever the entry has become since: a link is replaced, not followed.
    replace(&path, bytes, old_mode, Access::Shared).map_err(|cause| WriteError { path, cause })
}

/// Whether [`write_in_dir`] may write `name` in `dir`: `Ok` with the mode of the regular file
/// there (`None` for nothing or a symbolic link, which is replaced), else why not. For checking
/// every file before the first is written.
///
/// # Errors
/// [`WriteError`]: not a plain file name, a directory, a FIFO, device or socket, or unreadable.
pub fn check_in_dir(dir: &Path, name: &str) -> Result<Option<u32>, WriteError> {
    let path = dir.join(name);
    let fail = |cause| WriteError {
        path: path.clone(),
        cause,
    };
    let mut parts = Path::new(name).components();
    if !matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(_)), None)
    ) {
        return Err(fail(std::io::Error::other("not a plain file name")));
    }
    let old_mode = match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => None,
        Ok(meta) if meta.is_dir() => {
            return Err(fail(std::io::Error::other("it is a directory")));
        }
        Ok(meta) if !meta.is_file() => {
            return Err(fail(std::io::Error::other(
                "it is not a regular file (a FIFO, device or socket); remove it first",
            )));
        }
        Ok(meta) => Some(mode_of(&meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(e)),
    };
    Ok(old_mode)
}

/// Where a write goes once links are followed.
enum Destination {
    /// A path to replace atomically (a regular file, or nothing yet).
    Replace(PathBuf),
    /// A special file, or a file reached through `/proc` (`/dev/stdout`): written into.
    Direct(PathBuf),
}

/// Follows `path`'s symbolic links to the path that is to be written.
fn resolve(path: &Path) -> std::io::Result<Destination> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        // `/dev/stdout` leads to `/proc/self/fd/1`, whose "link" names a pipe or terminal, not a
        // path: such a file is written through the path as given.
        if current.starts_with("/proc") {
            return Ok(Destination::Direct(current));
        }
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = if link.is_absolute() {
                    link
                } else {
                    current
                        .parent()
                        .map_or_else(|| link.clone(), |dir| dir.join(&link))
                };
            }
            Ok(meta) if !meta.is_file() && !meta.is_dir() => {
                return Ok(Destination::Direct(current));
            }
            _ => return Ok(Destination::Replace(current)),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links to follow"
    )))
}

/// Writes into an existing file as it is (a FIFO, a device, a terminal, a pipe).
fn write_direct(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(regular)
        .open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// Writes a temporary sibling of `target`, gives it the mode `access` asks for (private: 0600) or
/// else `old_mode`, syncs it and renames it over `target`.
fn replace(
    target: &Path,
    bytes: &[u8],
    old_mode: Option<u32>,
    access: Access,
) -> std::io::Result<()> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    // Private until renamed, whatever it becomes: nobody reads a snapshot while it is written.
    let private = old_mode.is_some() || access == Access::Private;
    let (tmp_path, mut file) = create_temporary(&dir, &name, private)?;
    let result = (|| {
        file.write_all(bytes)?;
        match (access, old_mode) {
            // Created 0600; the old file's looser mode is not taken over.
            (Access::Private, _) => set_mode(&file, 0o600)?,
            (Access::Shared, Some(mode)) => set_mode(&file, mode)?,
            (Access::Shared, None) => {}
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp_path, target)
    })();
    if result.is_err() {
        // Best effort: the temporary file is ours; the destination was never touched.
        let _ = std::fs::remove_file(&tmp_path);
    }
    result
}

fn create_temporary(
    dir: &Path,
    name: &str,
    private: bool,
) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut attempt = 0u32;
    loop {
        let candidate = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        match options.open(&candidate) {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    0
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Checks, before expensive work, that `path` can be written: not a directory, and a temporary
/// file can be created beside it. A special file (FIFO, device) is not opened.
///
/// # Errors
/// [`WriteError`] saying why not.
pub fn check_writable(path: &Path) -> Result<(), WriteError> {
    let fail = |cause| WriteError {
        path: path.to_owned(),
        cause,
    };
    if is_stdio(path) {
        return Ok(());
    }
    let target = match resolve(path).map_err(fail)? {
        Destination::Direct(_) => return Ok(()),
        Destination::Replace(target) => target,
    };
    match std::fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => return Err(fail(std::io::Error::other("it is a directory"))),
        Ok(meta) if !meta.is_file() => return Ok(()),
        _ => {}
    }
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let (probe, file) = create_temporary(&dir, "halo-audit-probe", true).map_err(fail)?;
    drop(file);
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// The identity of an existing file (device and inode), following links.
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// Refuses an output that is the same file as one of `inputs` (through any link or path). An
/// input directory counts for the rule files in it. Checked before any work, so nothing is lost.
///
/// # Errors
/// [`SameFileError`] naming both.
pub fn refuse_same_file(
    output_flag: &'static str,
    output: &Path,
    inputs: &[(&'static str, &Path)],
) -> Result<(), SameFileError> {
    // Standard output is no file of the run (two outputs on it are refused by the caller).
    if is_stdio(output) {
        return Ok(());
    }
    let Some(out) = identity(output) else {
        return Ok(());
    };
    // A device or FIFO as output (`/dev/stdout`) destroys nothing.
    if !std::fs::metadata(output).is_ok_and(|m| m.is_file()) {
        return Ok(());
    }
    for (input_flag, input) in inputs.iter().filter(|(_, input)| !is_stdio(input)) {
        let mut candidates = vec![input.to_path_buf()];
        if input.is_dir()
            && let Ok(entries) = std::fs::read_dir(input)
        {
            candidates.extend(entries.filter_map(Result::ok).map(|e| e.path()));
        }
        if candidates
            .iter()
            .any(|c| identity(c).as_ref() == Some(&out))
        {
            return Err(SameFileError {
                output_flag,
                output: output.to_owned(),
                input_flag,
                input: input.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// Refuses an input that is not a regular file or directory (a FIFO would block the run forever,
/// a device such as `/dev/zero` never ends), without opening it.
///
/// # Errors
/// An `io::Error` saying what the file is.
pub fn check_input(path: &Path) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() || meta.is_dir() {
        return Ok(());
    }
    Err(std::io::Error::other(
        "it is not a regular file (a FIFO, device or socket); give a file",
    ))
}

/// Opens an input file after [`check_input`].
///
/// # Errors
/// As [`check_input`] and [`std::fs::File::open`].
pub fn open_input(path: &Path) -> std::io::Result<std::fs::File> {
    check_input(path)?;
    std::fs::File::open(path)
}

/// Reads a whole input file of at most `limit` bytes (refused beyond, without reading on).
///
/// # Errors
/// As [`open_input`], and when the file is larger than `limit`.
pub fn read_input(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = open_input(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "it is larger than {} bytes, more than such a file can hold",
            limit
        )));
    }
    Ok(bytes)
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
        assert!(check_writable(&missing).is_err());
        assert!(
            check_writable(dir.path())
                .unwrap_err()
                .to_string()
                .contains("directory")
        );
        check_writable(&dir.path().join("new.json")).unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "probe left"
        );
    }

    #[cfg(unix)]
    #[test]
    fn modes_are_kept_on_rewrite_and_private_files_are_always_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let private = dir.path().join("snap.json");
        write_private(&private, b"{}").unwrap();
        assert_eq!(mode(&private), 0o600);
        let shared = dir.path().join("report.json");
        std::fs::write(&shared, "old").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&shared, b"new").unwrap();
        assert_eq!(mode(&shared), 0o640);
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o666)).unwrap();
        write_private(&private, b"{}").unwrap();
        assert_eq!(
            mode(&private),
            0o600,
            "a private file does not take over a looser mode"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_kept_and_its_target_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/out.json");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real/out.json", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A dangling link: its target is created.
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("real/created.json", &dangling).unwrap();
        write_atomic(&dangling, b"made").unwrap();
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("real/created.json")).unwrap(),
            "made"
        );
        // A loop ends in an error, not a hang.
        let a = dir.path().join("a");
        std::os::unix::fs::symlink("b", &a).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        assert!(
            write_atomic(&a, b"x")
                .unwrap_err()
                .to_string()
                .contains("symbolic links")
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_same_file_through_another_path_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("snap.json");
        std::fs::write(&input, "{}").unwrap();
        let link = dir.path().join("alias.json");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir(&rules).unwrap();
        std::fs::write(rules.join("a.yaml"), "x").unwrap();
        let other = dir.path().join("other.json");
        std::fs::write(&other, "{}").unwrap();
        assert!(refuse_same_file("-o", &link, &[("--snapshot", &input)]).is_err());
        assert!(refuse_same_file("-o", &rules.join("a.yaml"), &[("--rules", &rules)]).is_err());
        refuse_same_file("-o", &other, &[("--snapshot", &input), ("--rules", &rules)]).unwrap();
        refuse_same_file(
            "-o",
            &dir.path().join("new.json"),
            &[("--snapshot", &input)],
        )
        .unwrap();
    }

    #[test]
    fn inputs_are_read_within_their_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "12345").unwrap();
        assert_eq!(read_input(&path, 5).unwrap(), b"12345");
        assert!(
            read_input(&path, 4)
                .unwrap_err()
                .to_string()
                .contains("larger than 4")
        );
    }
}
