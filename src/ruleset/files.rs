//! Rule files: the shipped ones, the export of them, and reading YAML files from disk (bounded in
//! size, UTF-8 only).

use std::path::{Path, PathBuf};

use super::error::RulesError;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// One rule file's text and the name to show for it.
#[derive(Debug, Clone)]
pub struct RuleFile {
    pub name: String,
    pub text: String,
    pub builtin: bool,
}

/// The shipped rule files.
#[must_use]
pub fn builtin_files() -> Vec<RuleFile> {
    BUILTIN
        .iter()
        .map(|(name, text)| RuleFile {
            name: (*name).to_owned(),
            text: (*text).to_owned(),
            builtin: true,
        })
        .collect()
}

/// The name the JSON Schema of rule files is exported under, beside the sets (`rules export`).
pub const EXPORTED_SCHEMA: &str = "rules.schema.json";

/// The shipped sets as files to write into a directory of the user's: (file name, contents), each
/// starting with a `yaml-language-server` modeline naming [`EXPORTED_SCHEMA`] in the same
/// directory (the shipped files name the schema's place in halo-audit's own sources).
#[must_use]
pub fn exported_files() -> Vec<(String, String)> {
    let modeline = format!("# yaml-language-server: $schema=./{EXPORTED_SCHEMA}\n");
    BUILTIN
        .iter()
        .map(|(name, text)| {
            let file = name.rsplit('/').next().unwrap_or(name).to_owned();
            let body = match text.split_once('\n') {
                Some((first, rest)) if first.starts_with("# yaml-language-server:") => rest,
                _ => text,
            };
            (file, format!("{modeline}{body}"))
        })
        .collect()
}

/// The largest YAML file read (rule files, the configuration): the parser's own input budget.
pub const MAX_YAML_BYTES: u64 = 8 * 1024 * 1024;

/// Reads one YAML file: at most [`MAX_YAML_BYTES`], and UTF-8 text.
///
/// # Errors
/// [`RulesError::Read`], [`RulesError::TooLarge`] or [`RulesError::NotUtf8`].
pub fn read_file(path: &Path) -> Result<RuleFile, RulesError> {
    use std::io::Read;
    let failed = |cause| RulesError::Read {
        path: path.to_owned(),
        cause,
    };
    let file = crate::fsio::open_input(path).map_err(failed)?;
    let meta = file.metadata().map_err(failed)?;
    if meta.is_dir() {
        return Err(failed(std::io::Error::other("it is a directory")));
    }
    let too_large = |size| RulesError::TooLarge {
        path: path.to_owned(),
        size,
        limit: MAX_YAML_BYTES,
    };
    if meta.len() > MAX_YAML_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_YAML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_YAML_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    decode(bytes, path)
}

/// The name a rule file read from standard input (`-`) is shown under.
pub const STDIN_NAME: &str = "<stdin>";

/// Reads one rule file from standard input (at most [`MAX_YAML_BYTES`]), named [`STDIN_NAME`].
///
/// # Errors
/// [`RulesError::Read`] (a terminal, a read error, too large) or [`RulesError::NotUtf8`].
pub fn read_stdin() -> Result<RuleFile, RulesError> {
    let path = Path::new(STDIN_NAME);
    let bytes = crate::fsio::read_stdin(MAX_YAML_BYTES).map_err(|cause| RulesError::Read {
        path: path.to_owned(),
        cause,
    })?;
    decode(bytes, path)
}

/// A rule file's bytes as text: UTF-8 (the first bad byte located), without a byte-order mark.
fn decode(bytes: Vec<u8>, path: &Path) -> Result<RuleFile, RulesError> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        RulesError::NotUtf8 {
            path: path.to_owned(),
            line: good.iter().filter(|b| **b == b'\n').count() + 1,
            column: String::from_utf8_lossy(&good[line_start..]).chars().count() + 1,
        }
    })?;
    Ok(RuleFile {
        name: path.display().to_string(),
        // A byte-order mark is not part of the YAML.
        text: text
            .strip_prefix('\u{feff}')
            .map(str::to_owned)
            .unwrap_or(text),
        builtin: false,
    })
}

/// Reads rule files from a directory (`*.yaml`, `*.yml`, sorted), a single file, or standard
/// input for `-`.
///
/// # Errors
/// When the path cannot be read, a rule file in it cannot be read, or a directory holds no rule
/// file.
pub fn read_path(path: &Path) -> Result<Vec<RuleFile>, RulesError> {
    if crate::fsio::is_stdio(path) {
        return Ok(vec![read_stdin()?]);
    }
    let read = read_file;
    let meta = std::fs::metadata(path).map_err(|cause| RulesError::Read {
        path: path.to_owned(),
        cause,
    })?;
    if !meta.is_dir() {
        return Ok(vec![read(path)?]);
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|cause| RulesError::Read {
            path: path.to_owned(),
            cause,
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        // A `*.yaml` that cannot be followed (a dangling or looping link) is reported by `read`,
        // not skipped; a directory of that name is skipped.
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml") && !p.is_dir())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(RulesError::Empty {
            path: path.to_owned(),
        });
    }
    paths.iter().map(|p| read(p)).collect()
}
