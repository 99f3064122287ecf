//! The snapshot file (format v1): Halo's objects as Halo returned them, plus fetch metadata.
//!
//! Owns: reading and writing snapshot files (atomically, secrets stripped), their error messages,
//! the one streamed read every command uses ([`read`]: the header and the normalised
//! [`crate::tenant::Tenant`] model), normalising, and finding the line of each object in the file
//! ([`ObjectLines`]). It does no network I/O and
//! does not interpret rules. The format is documented in `docs/snapshot-format.md`.

mod lean;
pub mod lines;
pub mod normalise;
mod read;
pub mod secrets;
mod split;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use lines::ObjectLines;

pub use normalise::normalise;
pub use read::{Header, Loaded, read, read_bytes, read_spooled};

/// The `format` member of every snapshot.
pub const FORMAT: &str = "halo-audit-snapshot";
/// The newest snapshot version this build reads and the one it writes.
pub const VERSION: u64 = 1;
/// Snapshots larger than this are refused before parsing (a bound on memory). A synthetic tenant
/// of 50,000 agents, 1,000 teams, 500 roles and 200 applications with full details is about
/// 450 MB (docs/performance.md), so this leaves about twice the largest tenant in sight. [`read`]
/// holds the tenant, not the file, and names what is wrong with a malformed file without building
/// its objects; only [`parse`], which no command uses, holds Halo's objects whole.
pub const MAX_BYTES: u64 = 1024 * 1024 * 1024;

/// Where the snapshot came from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Instance {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
}

/// The program that wrote the snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl ToolInfo {
    /// This build.
    #[must_use]
    pub fn current() -> Self {
        Self {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// Request statistics of the fetch.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct RequestStats {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub retries: u64,
    #[serde(default)]
    pub throttled: u64,
    #[serde(default)]
    pub by_endpoint: BTreeMap<String, u64>,
}

/// The credential that made the fetch (never its secret), for the self-check.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Auditor {
    /// The auditing application's client id (an identifier, not a secret).
    pub client_id: String,
    /// The `scope` halo-audit asked the token endpoint for.
    #[serde(default)]
    pub requested_scope: String,
    /// The scopes the token endpoint said it granted (empty when it did not say).
    #[serde(default)]
    pub granted_scopes: Vec<String>,
    /// The agent the credential acts as, as `GET /api/Agent/me` named it at fetch time. Absent in
    /// snapshots written before it was recorded, and when Halo did not say (`agent_unknown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AuditorAgent>,
    /// Why `GET /api/Agent/me` named no agent (`/api/Agent/me answered 403`), when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_unknown: Option<String>,
}

/// The agent a credential acts as (its id and name as Halo gave them).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct AuditorAgent {
    pub id: i64,
    pub name: String,
}

/// The gap reasons of a list the fetch did not read whole: fewer records than its `record_count`
/// (`partial`), a page larger than asked for, a `record_count` not believed, more records than it
/// said, more than `--max-records`, an id listed more than once. `check` reports such a list as
/// not audited (exit 3): what it left out may be what matters.
pub const INCOMPLETE_LIST: [&str; 6] = [
    "partial",
    "page-too-large",
    "implausible-count",
    "count-exceeded",
    "over-limit",
    "duplicate",
];

/// An endpoint that could not be read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct GapRecord {
    pub endpoint: String,
    #[serde(default)]
    pub status: Option<u16>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
}

/// Halo's objects. `None` means "not fetched". A key written twice in one object is refused
/// when reading (which of two `is_admin` members is the evidence?).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Objects {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "strict::option"
    )]
    pub agents: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "strict::option"
    )]
    pub teams: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "strict::option"
    )]
    pub roles: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "strict::option"
    )]
    pub applications: Option<Value>,
}

/// Halo's objects read only to find what is wrong with them: checked as [`Objects`] is (any JSON,
/// no key written twice in one object), nothing kept.
#[derive(Debug, Default, Deserialize)]
// Named as `Objects` is in messages.
#[serde(expecting = "struct Objects")]
pub struct Checked {
    #[serde(rename = "agents", default, deserialize_with = "strict::checked")]
    _agents: (),
    #[serde(rename = "teams", default, deserialize_with = "strict::checked")]
    _teams: (),
    #[serde(rename = "roles", default, deserialize_with = "strict::checked")]
    _roles: (),
    #[serde(rename = "applications", default, deserialize_with = "strict::checked")]
    _applications: (),
}

/// JSON values that refuse duplicate keys (serde_json's own `Value` keeps the last silently).
pub(crate) mod strict {
    use std::fmt;

    use serde::Deserialize;
    use serde::de::{Deserializer, Error, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Number, Value};

    /// A `Value` read strictly.
    pub(crate) struct Strict(pub(crate) Value);

    impl<'de> Deserialize<'de> for Strict {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(StrictVisitor).map(Strict)
        }
    }

    struct StrictVisitor;

    impl<'de> Visitor<'de> for StrictVisitor {
        type Value = Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<Value, E> {
            Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }
        fn visit_string<E: Error>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E: Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_none<E: Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            Strict::deserialize(d).map(|s| s.0)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::new();
            while let Some(Strict(item)) = seq.next_element()? {
                items.push(item);
            }
            Ok(Value::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(A::Error::custom(format!(
                        "the key `{key}` is written twice in one object"
                    )));
                }
                let Strict(value) = map.next_value()?;
                out.insert(key, value);
            }
            Ok(Value::Object(out))
        }
    }

    /// For `#[serde(deserialize_with)]` on an `Option<Value>` member.
    pub fn option<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
        Option::<Strict>::deserialize(deserializer).map(|v| v.map(|s| s.0))
    }

    /// For `#[serde(deserialize_with)]` on a member only checked: any JSON value, with no key
    /// written twice in one object (refused as [`Strict`] refuses it), nothing kept.
    pub fn checked<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(), D::Error> {
        Check::deserialize(deserializer).map(drop)
    }

    /// A JSON value checked as [`Strict`] reads it.
    struct Check;

    impl<'de> Deserialize<'de> for Check {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(CheckVisitor).map(|()| Check)
        }
    }

    struct CheckVisitor;

    impl<'de> Visitor<'de> for CheckVisitor {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E: Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E: Error>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E: Error>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E: Error>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E: Error>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_none<E: Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            Check::deserialize(d).map(drop)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element::<Check>()?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut keys = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if keys.contains(&key) {
                    return Err(A::Error::custom(format!(
                        "the key `{key}` is written twice in one object"
                    )));
                }
                let Check = map.next_value()?;
                keys.insert(key);
            }
            Ok(())
        }
    }
}

/// A snapshot document: its header and Halo's objects (`O`: [`Objects`], or [`Checked`] where the
/// document is only checked).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[schemars(rename = "Snapshot")]
pub struct Snapshot<O: Default = Objects> {
    pub format: String,
    pub version: u64,
    #[serde(default)]
    pub instance: Instance,
    #[serde(default)]
    pub fetched_at: Option<String>,
    #[serde(default)]
    pub tool: Option<ToolInfo>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub requests: RequestStats,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auditor: Option<Auditor>,
    #[serde(default)]
    pub gaps: Vec<GapRecord>,
    #[serde(default)]
    pub redacted: Vec<String>,
    #[serde(default)]
    #[schemars(with = "Objects", default = "Objects::default")]
    pub objects: O,
}

impl Snapshot {
    /// An empty snapshot of this build's format.
    #[must_use]
    pub fn new(instance: Instance) -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            instance,
            fetched_at: None,
            tool: Some(ToolInfo::current()),
            scope: None,
            requests: RequestStats::default(),
            auditor: None,
            gaps: Vec::new(),
            redacted: Vec::new(),
            objects: Objects::default(),
        }
    }

    /// Removes secrets from every object, recording the removed field names.
    pub fn strip_secrets(&mut self) {
        let mut removed: std::collections::BTreeSet<String> =
            self.redacted.iter().cloned().collect();
        for collection in [
            &mut self.objects.agents,
            &mut self.objects.teams,
            &mut self.objects.roles,
            &mut self.objects.applications,
        ]
        .into_iter()
        .flatten()
        {
            removed.extend(secrets::strip(collection));
        }
        self.redacted = removed.into_iter().collect();
    }

    /// Serialises the snapshot (secrets stripped first) as pretty JSON with a trailing newline.
    ///
    /// # Errors
    /// Never in practice: every member is plain JSON.
    pub fn to_json(&mut self) -> Result<String, SnapshotError> {
        self.strip_secrets();
        let text = serde_json::to_string_pretty(self).map_err(|e| SnapshotError::Encode {
            message: e.to_string(),
        })?;
        // Halo's names and descriptions as they are, but safe to print (`cat`, a CI log).
        let mut text = crate::text::made_safe(text);
        text.push('\n');
        Ok(text)
    }

    /// Writes the snapshot atomically (secrets stripped).
    ///
    /// # Errors
    /// When the file cannot be written; an existing file is left untouched.
    pub fn save(&mut self, path: &Path) -> Result<(), SnapshotError> {
        let text = self.to_json()?;
        // Names, e-mail addresses and permissions: readable by the owner only when created.
        crate::fsio::write_private(path, text.as_bytes()).map_err(SnapshotError::Write)
    }
}

/// Why a snapshot could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SnapshotError {
    #[error("cannot read snapshot {}: {cause}", path.display())]
    #[diagnostic(
        code(halo_audit::snapshot::read),
        help("check the path; a snapshot is written by `halo-audit fetch -o FILE`")
    )]
    Read {
        path: PathBuf,
        /// Printed in the message, not as a separate cause (which miette would print again).
        cause: std::io::Error,
    },
    #[error("snapshot {} is {size} bytes, over the {limit}-byte limit", path.display())]
    #[diagnostic(
        code(halo_audit::snapshot::too_large),
        help(
            "this is far larger than any HaloPSA tenant produces; check the file is a halo-audit snapshot"
        )
    )]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("snapshot {}:{line}:{column}: {message}", path.display())]
    #[diagnostic(code(halo_audit::snapshot::syntax), help("{hint}"))]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        hint: String,
    },
    #[error("{} is not a halo-audit snapshot: {reason}", path.display())]
    #[diagnostic(
        code(halo_audit::snapshot::not_a_snapshot),
        help(
            "a snapshot starts with {{\"format\": \"halo-audit-snapshot\", \"version\": 1, ...}}; write one with `halo-audit fetch -o FILE`"
        )
    )]
    NotASnapshot { path: PathBuf, reason: String },
    #[error("snapshot {} has format version {version}; this halo-audit reads version {supported} and older", path.display())]
    #[diagnostic(
        code(halo_audit::snapshot::future_version),
        help("upgrade halo-audit to read this snapshot")
    )]
    FutureVersion {
        path: PathBuf,
        version: u64,
        supported: u64,
    },
    #[error("snapshot {}: {pointer}: {message}", path.display())]
    #[diagnostic(
        code(halo_audit::snapshot::shape),
        help("the file parses as JSON but a member has the wrong shape; was it edited by hand?")
    )]
    Shape {
        path: PathBuf,
        pointer: String,
        message: String,
    },
    #[error("cannot encode snapshot: {message}")]
    #[diagnostic(code(halo_audit::snapshot::encode))]
    Encode { message: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Write(crate::fsio::WriteError),
}

/// What is wrong with a snapshot document read from `reader`, found as [`parse`] finds it, but
/// with Halo's objects checked, never built ([`Checked`]): memory holds the header and the keys
/// of the objects open at one time. `Ok` when nothing is.
///
/// # Errors
/// See [`SnapshotError`]; every error names the file and, for syntax errors, the line and column.
fn check_from<R: std::io::Read>(
    reader: impl std::io::Read,
    path: &Path,
    reopen: impl Fn() -> Option<R>,
) -> Result<(), SnapshotError> {
    let result = decode::<Checked, _>(&mut serde_json::Deserializer::from_reader(reader));
    finish(result, path, reopen).map(drop)
}

/// [`check_from`] of a snapshot file.
fn check_file(path: &Path) -> Result<(), SnapshotError> {
    let reopen = || {
        let file = std::fs::File::open(path).ok()?;
        Some(std::io::BufReader::new(std::io::Read::take(
            file,
            MAX_BYTES + 1,
        )))
    };
    let reader = reopen().ok_or_else(|| SnapshotError::Read {
        path: path.to_owned(),
        cause: std::io::Error::other("it could not be opened again"),
    })?;
    check_from(reader, path, reopen)
}

/// [`check_from`] of a snapshot's bytes.
fn check_bytes(bytes: &[u8], path: &Path) -> Result<(), SnapshotError> {
    let result = decode::<Checked, _>(&mut serde_json::Deserializer::from_slice(bytes));
    finish(result, path, || Some(bytes)).map(drop)
}

/// How a snapshot read from standard input (`-`) is named in messages.
pub const STDIN_NAME: &str = "<stdin>";

/// A snapshot from standard input, copied to an unnamed temporary file (readable by the owner
/// only, removed when closed, even by a crash) so that it is read in bounded chunks like a file,
/// never held whole in memory.
#[derive(Debug)]
pub struct Spooled(std::fs::File);

impl Spooled {
    /// Standard input, at most [`MAX_BYTES`], spooled.
    ///
    /// # Errors
    /// [`SnapshotError::Read`] naming standard input (a terminal, a read or write error), or
    /// [`SnapshotError::TooLarge`].
    pub fn stdin() -> Result<Self, SnapshotError> {
        let read = |cause| SnapshotError::Read {
            path: PathBuf::from(STDIN_NAME),
            cause,
        };
        let (file, size) = crate::fsio::spool_stdin(MAX_BYTES).map_err(read)?;
        if size > MAX_BYTES {
            return Err(SnapshotError::TooLarge {
                path: PathBuf::from(STDIN_NAME),
                size,
                limit: MAX_BYTES,
            });
        }
        Ok(Self(file))
    }

    /// The spooled bytes from the first, and how many there are.
    fn reader(&self) -> Option<(std::fs::File, u64)> {
        use std::io::Seek as _;
        let mut file = self.0.try_clone().ok()?;
        file.seek(std::io::SeekFrom::Start(0)).ok()?;
        let size = file.metadata().ok()?.len();
        Some((file, size))
    }
}

/// Opens a snapshot file, refusing a directory or one over [`MAX_BYTES`].
fn open(path: &Path) -> Result<std::fs::File, SnapshotError> {
    let read = |cause| SnapshotError::Read {
        path: path.to_owned(),
        cause,
    };
    let file = crate::fsio::open_input(path).map_err(read)?;
    let meta = file.metadata().map_err(read)?;
    if meta.is_dir() {
        return Err(read(std::io::Error::other("it is a directory")));
    }
    let size = meta.len();
    if size > MAX_BYTES {
        return Err(SnapshotError::TooLarge {
            path: path.to_owned(),
            size,
            limit: MAX_BYTES,
        });
    }
    Ok(file)
}

/// Parses snapshot bytes into Halo's objects as they are, secrets stripped, for what needs them
/// whole (tests); commands read snapshots with [`read`]. `path` is only used in messages.
///
/// # Errors
/// See [`SnapshotError`].
pub fn parse(bytes: &[u8], path: &Path) -> Result<Snapshot, SnapshotError> {
    let result = decode(&mut serde_json::Deserializer::from_slice(bytes));
    let mut snapshot = finish(result, path, || Some(bytes))?;
    snapshot.strip_secrets();
    Ok(snapshot)
}

/// Deserialises a whole document, tracking the path of a member that has the wrong shape.
fn decode<'de, O: Default + Deserialize<'de>, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
) -> Result<Snapshot<O>, (serde_json::Error, String)> {
    let snapshot = serde_path_to_error::deserialize(&mut *de)
        .map_err(|e| (e.path().to_string(), e.into_inner()))
        .map_err(|(path, e)| (e, path))?;
    de.end().map_err(|e| (e, String::new()))?;
    Ok(snapshot)
}

/// Checks the header of a decoded snapshot, or turns a decoding error into the most specific
/// snapshot error; `reopen` gives the document again to read its header.
fn finish<O: Default, R: std::io::Read>(
    result: Result<Snapshot<O>, (serde_json::Error, String)>,
    path: &Path,
    reopen: impl Fn() -> Option<R>,
) -> Result<Snapshot<O>, SnapshotError> {
    match result {
        Ok(snapshot) => {
            check_header(&snapshot.format, snapshot.version, path)?;
            Ok(snapshot)
        }
        Err((error, member)) => Err(explain(path, &error, &member, reopen)),
    }
}

fn check_header(format: &str, version: u64, path: &Path) -> Result<(), SnapshotError> {
    if format != FORMAT {
        return Err(SnapshotError::NotASnapshot {
            path: path.to_owned(),
            reason: format!("`format` is \"{}\", expected \"{FORMAT}\"", excerpt(format)),
        });
    }
    if version > VERSION {
        return Err(SnapshotError::FutureVersion {
            path: path.to_owned(),
            version,
            supported: VERSION,
        });
    }
    if version == 0 {
        return Err(SnapshotError::NotASnapshot {
            path: path.to_owned(),
            reason: "`version` is 0".to_owned(),
        });
    }
    Ok(())
}

/// At most 60 characters of a text from the file, for messages.
fn excerpt(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(60)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

/// Turns a serde_json error into the most specific snapshot error. `member` is the path of the
/// member being read when it happened (`requests.total`, `objects.agents[3]`), empty at the top.
fn explain<R: std::io::Read>(
    path: &Path,
    error: &serde_json::Error,
    member: &str,
    reopen: impl Fn() -> Option<R>,
) -> SnapshotError {
    use serde_json::error::Category;
    let syntax = |hint: &str| SnapshotError::Syntax {
        path: path.to_owned(),
        line: error.line(),
        column: error.column(),
        message: strip_position(&error.to_string()),
        hint: hint.to_owned(),
    };
    match error.classify() {
        Category::Eof if error.line() == 1 && error.column() == 0 => SnapshotError::Syntax {
            path: path.to_owned(),
            line: 1,
            column: 1,
            message: "the file is empty".to_owned(),
            hint: "an interrupted write or copy leaves an empty file; fetch the snapshot again"
                .to_owned(),
        },
        Category::Eof => syntax(
            "the file ends early: it was probably truncated (an interrupted copy or fetch); fetch it again",
        ),
        Category::Syntax if error.to_string().starts_with("recursion limit exceeded") => syntax(
            "arrays and objects are nested deeper than any snapshot (128 levels): the file is corrupt or hostile",
        ),
        Category::Syntax => syntax(
            "the file is not valid JSON at that position (or not UTF-8 text); was it edited by hand or corrupted?",
        ),
        Category::Io => syntax("the file could not be read completely"),
        Category::Data => {
            // Valid JSON, wrong shape. Say what is wrong with the header first: it is the most
            // common cause (not a snapshot, or a newer one).
            #[derive(Deserialize)]
            struct Header {
                format: Option<Value>,
                version: Option<Value>,
            }
            let first = reopen().and_then(|r| {
                std::io::Read::bytes(r)
                    .map_while(Result::ok)
                    .find(|b| !b.is_ascii_whitespace())
            });
            if first != Some(b'{') {
                return SnapshotError::NotASnapshot {
                    path: path.to_owned(),
                    reason: "the document is not a JSON object".to_owned(),
                };
            }
            let header = reopen().and_then(|r| serde_json::from_reader::<_, Header>(r).ok());
            match header.map(|h| (h.format, h.version)) {
                Some((Some(Value::String(f)), Some(Value::Number(v)))) => {
                    if let Some(v) = v.as_u64()
                        && let Err(e) = check_header(&f, v, path)
                    {
                        return e;
                    }
                }
                Some((None, _) | (Some(_), None)) => {
                    return SnapshotError::NotASnapshot {
                        path: path.to_owned(),
                        reason: "it has no `format` and `version` members".to_owned(),
                    };
                }
                _ => {}
            }
            SnapshotError::Shape {
                path: path.to_owned(),
                pointer: if member.is_empty() || member == "." {
                    format!("line {} column {}", error.line(), error.column())
                } else {
                    format!(
                        "`{member}` (line {} column {})",
                        error.line(),
                        error.column()
                    )
                },
                message: strip_position(&error.to_string()),
            }
        }
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match parse(text.as_bytes(), Path::new("snap.json")) {
            Ok(_) => panic!("expected an error for {text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn truncated_file_names_file_and_position() {
        let e = err(
            "{\"format\": \"halo-audit-snapshot\", \"version\": 1, \"objects\": {\"agents\": [",
        );
        assert!(e.starts_with("snapshot snap.json:1:"), "{e}");
        assert!(e.contains("EOF"), "{e}");
    }

    #[test]
    fn future_versions_are_refused_with_their_number() {
        let e = err(
            r#"{"format": "halo-audit-snapshot", "version": 7, "objects": {"agents": "new shape"}}"#,
        );
        assert!(e.contains("version 7"), "{e}");
        let e = err(r#"{"format": "halo-audit-snapshot", "version": 2}"#);
        assert!(e.contains("version 2"), "{e}");
    }

    #[test]
    fn other_json_is_not_a_snapshot() {
        assert!(err("[1, 2]").contains("not a halo-audit snapshot"));
        assert!(err(r#"{"agents": []}"#).contains("no `format`"));
        assert!(
            err(r#"{"format": "other", "version": 1}"#)
                .contains("expected \"halo-audit-snapshot\"")
        );
    }

    #[test]
    fn wrong_member_types_are_shape_errors() {
        let e = err(r#"{"format": "halo-audit-snapshot", "version": 1, "gaps": "none"}"#);
        assert!(e.contains("snap.json") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn a_key_written_twice_in_an_object_is_refused_with_its_place() {
        let e = err(
            r#"{"format": "halo-audit-snapshot", "version": 1, "objects": {"agents": [{"id": 1, "is_admin": false, "is_admin": true}]}}"#,
        );
        assert!(e.contains("`objects.agents[0]`"), "{e}");
        assert!(e.contains("`is_admin` is written twice"), "{e}");
    }

    #[test]
    fn wrong_members_are_named_by_their_path() {
        let e =
            err(r#"{"format": "halo-audit-snapshot", "version": 1, "requests": {"total": -1}}"#);
        assert!(e.contains("`requests.total`"), "{e}");
        let e = err(
            r#"{"format": "halo-audit-snapshot", "version": 1, "gaps": [{"endpoint": "x", "reason": "r", "status": 70000}]}"#,
        );
        assert!(e.contains("`gaps[0].status`") && e.contains("70000"), "{e}");
    }

    #[test]
    fn round_trip_strips_secrets_and_keeps_unknown_fields() {
        let mut s = Snapshot::new(Instance {
            url: Some("https://x.example".into()),
            tenant: None,
        });
        s.objects.applications = Some(serde_json::json!([
            {"id": "a", "displayName": "App", "clientSecret": "TOPSECRET", "future_field": {"x": 1}}
        ]));
        let text = s.to_json().unwrap();
        assert!(!text.contains("TOPSECRET"));
        assert!(text.contains("future_field"));
        let back = parse(text.as_bytes(), Path::new("s.json")).unwrap();
        assert_eq!(back.redacted, vec!["clientSecret".to_owned()]);
    }

    #[test]
    fn hostile_names_are_written_safe_to_print_and_read_back_the_same() {
        let name = "evil\u{202e}txt\u{9b}31m\u{2028}::error::x ##[y]";
        let mut s = Snapshot::new(Instance {
            url: Some("https://x.example".into()),
            tenant: None,
        });
        s.objects.agents = Some(serde_json::json!([{"id": 1, "name": name}]));
        let text = s.to_json().unwrap();
        assert!(
            !text
                .chars()
                .any(|c| crate::text::needs_escape(c) && c != '\n'),
            "{text}"
        );
        assert!(!text.contains("::") && !text.contains("##["), "{text}");
        let back = parse(text.as_bytes(), Path::new("s.json")).unwrap();
        assert_eq!(back.objects.agents.unwrap()[0]["name"], name);
    }
}
