//! The one way a command reads a snapshot: the file's header and its normalised tenant, streamed.
//!
//! Owns: reading a snapshot file (or standard input, or the bytes of a live fetch) into a
//! [`Loaded`] without holding the file or its JSON tree. The file is read in bounded chunks,
//! twice: the first pass (`split.rs`) keeps the header and applications, parses each team and role
//! record keeping only what the normaliser reads (`lean.rs`), notes where each agent record is, and
//! normalises all but the agents; the second reads the agent records at those places and hands
//! them in batches to a worker per core, which parses each keeping only what the normaliser reads,
//! strips secrets, normalises the agent and drops its JSON. Memory holds the tenant model, the
//! pruned teams and roles, the places of the agent records, and a bounded number of batches in
//! flight.
//!
//! A file with any problem (invalid JSON, a wrong shape, a duplicate key, an agent without an
//! integer `id`) is read again in full by [`super::load`] and [`super::normalise()`], which name the
//! problem with its line and column; memory does not matter on that path. So every command
//! refuses a file with the same error.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use super::lean::{self, Record};
use super::normalise::{self, Claims, Context, Normalised};
use super::split::{self, Sink, Stop};
use super::{
    Auditor, GapRecord, Instance, MAX_BYTES, RequestStats, STDIN_NAME, Snapshot, SnapshotError,
    ToolInfo,
};
use crate::catalog::Catalog;
use crate::tenant::Tenant;

/// Everything of a snapshot but Halo's objects: what `snapshot show` and `self-check` print
/// besides the tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub format: String,
    pub version: u64,
    pub instance: Instance,
    pub fetched_at: Option<String>,
    pub tool: Option<ToolInfo>,
    pub scope: Option<String>,
    pub requests: RequestStats,
    pub auditor: Option<Auditor>,
    pub gaps: Vec<GapRecord>,
    /// The secret-looking member names removed: those the file lists, and any found in it.
    pub redacted: Vec<String>,
}

impl Header {
    /// The header of a snapshot held whole.
    #[must_use]
    pub fn of(snapshot: &Snapshot) -> Self {
        Self {
            format: snapshot.format.clone(),
            version: snapshot.version,
            instance: snapshot.instance.clone(),
            fetched_at: snapshot.fetched_at.clone(),
            tool: snapshot.tool.clone(),
            scope: snapshot.scope.clone(),
            requests: snapshot.requests.clone(),
            auditor: snapshot.auditor.clone(),
            gaps: snapshot.gaps.clone(),
            redacted: snapshot.redacted.clone(),
        }
    }
}

/// A snapshot as commands use it: its header and its tenant.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub header: Header,
    pub tenant: Tenant,
}

/// Reads a snapshot file (`-`: standard input) into its header and tenant, streaming.
///
/// # Errors
/// See [`SnapshotError`]: the same error [`super::load`] and [`super::normalise()`] give, naming
/// the file and, for a syntax error, the line and column.
pub fn read(path: &Path, catalog: &Catalog) -> Result<Loaded, SnapshotError> {
    if crate::fsio::is_stdio(path) {
        return read_spooled(&super::Spooled::stdin()?, catalog);
    }
    // Refuses a directory or a file over the limit before anything else.
    drop(super::open(path)?);
    if let Some(loaded) = streamed(&Input::File(path), catalog, path) {
        return Ok(loaded);
    }
    // What the split could not follow (a record over its 64 MiB limit, a layout it does not
    // know) is parsed whole, still skipping what the normaliser does not read: a junk member of
    // any size costs the file's bytes, not a JSON tree of it. Only valid JSON is read whole (one
    // pass that keeps nothing tells): a file that goes bad early is refused at its first bad byte.
    if !valid_json(path) {
        return whole(&super::load(path)?, catalog, path);
    }
    let bytes = {
        use std::io::Read as _;
        let mut bytes = Vec::new();
        super::open(path)?
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|cause| SnapshotError::Read {
                path: path.to_owned(),
                cause,
            })?;
        bytes
    };
    if let Some(loaded) = lean_whole(&bytes, catalog, path) {
        return Ok(loaded);
    }
    drop(bytes);
    whole(&super::load(path)?, catalog, path)
}

/// [`read`] of standard input, spooled ([`super::Spooled`]): streamed from the temporary file like
/// a snapshot file; a spool the streamed read refuses is read whole to name the problem.
///
/// # Errors
/// See [`read`].
pub fn read_spooled(spool: &super::Spooled, catalog: &Catalog) -> Result<Loaded, SnapshotError> {
    let path = Path::new(STDIN_NAME);
    if let Some(loaded) = streamed(&Input::Spool(spool), catalog, path) {
        return Ok(loaded);
    }
    let mut bytes = Vec::new();
    spool
        .reader()
        .ok_or_else(|| std::io::Error::other("the temporary copy of standard input is gone"))
        .and_then(|(file, _)| {
            std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_BYTES + 1), &mut bytes)
        })
        .map_err(|cause| SnapshotError::Read {
            path: path.to_owned(),
            cause,
        })?;
    read_bytes(&bytes, path, catalog)
}

/// [`read`] of bytes already in memory (standard input, a live fetch); `path` names them in
/// messages.
///
/// # Errors
/// See [`read`].
pub fn read_bytes(bytes: &[u8], path: &Path, catalog: &Catalog) -> Result<Loaded, SnapshotError> {
    match streamed(&Input::Bytes(bytes), catalog, path) {
        Some(loaded) => Ok(loaded),
        None => match lean_whole(bytes, catalog, path) {
            Some(loaded) => Ok(loaded),
            None => whole(&super::parse(bytes, path)?, catalog, path),
        },
    }
}

/// Whether the file is one JSON document, read in chunks keeping nothing.
fn valid_json(path: &Path) -> bool {
    use serde::Deserialize as _;
    let Ok(file) = super::open(path) else {
        return false;
    };
    let reader = std::io::BufReader::new(std::io::Read::take(file, MAX_BYTES + 1));
    let mut de = serde_json::Deserializer::from_reader(reader);
    serde::de::IgnoredAny::deserialize(&mut de).is_ok() && de.end().is_ok()
}

/// The document parsed whole at once, keeping only what the normaliser reads (see
/// [`lean::parse`]); `None` on anything unusual (the full parse then names it).
fn lean_whole(bytes: &[u8], catalog: &Catalog, path: &Path) -> Option<Loaded> {
    let skipped = RefCell::new(BTreeSet::new());
    let mut snapshot = lean::parse(bytes, catalog, &skipped)?;
    super::check_header(&snapshot.format, snapshot.version, path).ok()?;
    snapshot.strip_secrets();
    let tenant = normalise::normalise_parts(&snapshot, None, None, catalog, path).ok()??;
    let mut header = Header::of(&snapshot);
    let mut redacted: BTreeSet<String> = header.redacted.drain(..).collect();
    redacted.extend(skipped.into_inner());
    header.redacted = redacted.into_iter().collect();
    Some(Loaded { header, tenant })
}

/// The path that names every problem: the document parsed whole.
fn whole(snapshot: &Snapshot, catalog: &Catalog, path: &Path) -> Result<Loaded, SnapshotError> {
    let tenant = super::normalise(snapshot, catalog, path)?;
    Ok(Loaded {
        header: Header::of(snapshot),
        tenant,
    })
}

/// Where a snapshot is read from; read once per pass.
enum Input<'a> {
    File(&'a Path),
    Spool(&'a super::Spooled),
    Bytes(&'a [u8]),
}

impl Input<'_> {
    /// One pass over the document: the skeleton (when kept) and the number of bytes read.
    fn split(&self, keep_skeleton: bool, sink: &mut dyn Sink) -> Result<(Vec<u8>, u64), Stop> {
        match self {
            Input::File(path) => {
                let file = super::open(path).map_err(|_| Stop::Unusual)?;
                split::reader(
                    std::io::Read::take(file, MAX_BYTES + 1),
                    MAX_BYTES,
                    keep_skeleton,
                    sink,
                )
            }
            Input::Spool(spool) => {
                let (file, _) = spool.reader().ok_or(Stop::Unusual)?;
                split::reader(
                    std::io::Read::take(file, MAX_BYTES + 1),
                    MAX_BYTES,
                    keep_skeleton,
                    sink,
                )
            }
            Input::Bytes(bytes) => Ok((
                split::bytes(bytes, keep_skeleton, sink)?,
                bytes.len() as u64,
            )),
        }
    }

    /// The second pass: each agent record, by the places the first pass found (in file order), to
    /// `each`. `false` when the input is not the `size` bytes the first pass read, or `each` stops.
    fn records(
        &self,
        places: &[(u64, usize)],
        size: u64,
        each: &mut dyn FnMut(&[u8]) -> bool,
    ) -> bool {
        match self {
            Input::Bytes(bytes) => places.iter().all(|&(at, len)| {
                usize::try_from(at)
                    .ok()
                    .and_then(|at| bytes.get(at..at + len))
                    .is_some_and(&mut *each)
            }),
            Input::File(_) | Input::Spool(_) => {
                let file = match self {
                    Input::File(path) => super::open(path).ok().and_then(|file| {
                        let len = file.metadata().ok()?.len();
                        Some((file, len))
                    }),
                    Input::Spool(spool) => spool.reader(),
                    Input::Bytes(_) => None,
                };
                let Some((file, len)) = file else {
                    return false;
                };
                if len != size {
                    return false;
                }
                let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
                let mut record = Vec::new();
                let mut position = 0u64;
                for &(at, len) in places {
                    let Some(gap) = at.checked_sub(position).and_then(|g| i64::try_from(g).ok())
                    else {
                        return false;
                    };
                    record.resize(len, 0);
                    if reader.seek_relative(gap).is_err()
                        || std::io::Read::read_exact(&mut reader, &mut record).is_err()
                        || !each(&record)
                    {
                        return false;
                    }
                    position = at + len as u64;
                }
                true
            }
        }
    }
}

/// The first pass: cuts out the records of the agents (their places kept), the teams and the
/// roles (each sent to a thread of its own that parses it keeping what the normaliser reads: a
/// large tenant's teams list their agents). The first array of each only: a second is a duplicate
/// key, which the skeleton's parse refuses.
struct Cut {
    agents: bool,
    teams: bool,
    roles: bool,
    /// Where each agent record is: its offset and length.
    places: Vec<(u64, usize)>,
    /// The team and role records, to the thread that parses them (`None` once the split ends).
    to_parser: Option<mpsc::SyncSender<(usize, Vec<u8>)>>,
}

const AGENTS: usize = 0;
const TEAMS: usize = 1;
const ROLES: usize = 2;

impl Sink for Cut {
    fn array(&mut self, keys: &[&[u8]]) -> Option<usize> {
        let (seen, tag) = match keys {
            [b"objects", b"agents"] => (&mut self.agents, AGENTS),
            [b"objects", b"teams"] => (&mut self.teams, TEAMS),
            [b"objects", b"roles"] => (&mut self.roles, ROLES),
            _ => return None,
        };
        (!std::mem::replace(seen, true)).then_some(tag)
    }
    fn record(&mut self, tag: usize, _: usize, offset: u64, text: &[u8]) -> bool {
        if tag == AGENTS {
            self.places.push((offset, text.len()));
            return true;
        }
        // The parser stopped (a record it could not read): so does the split.
        self.to_parser
            .as_ref()
            .is_some_and(|to_parser| to_parser.send((tag, text.to_vec())).is_ok())
    }
}

/// The teams and roles of the first pass, parsed keeping what the normaliser reads.
#[derive(Default)]
struct TeamsAndRoles {
    teams: Vec<serde_json::Value>,
    roles: Vec<serde_json::Value>,
    /// The claims of each role record, decoded apart.
    role_claims: Vec<Option<Claims>>,
    /// The names of the secret-looking members skipped.
    skipped: BTreeSet<String>,
}

/// Parses the team and role records the first pass sends, in order; `None` at the first it
/// cannot read (then the split stops: the document is parsed whole, which names the problem).
fn teams_and_roles(records: mpsc::Receiver<(usize, Vec<u8>)>) -> Option<TeamsAndRoles> {
    let (team, role) = (Record::team(), Record::role());
    let skipped = RefCell::new(BTreeSet::new());
    let mut out = TeamsAndRoles::default();
    for (tag, text) in records {
        if tag == TEAMS {
            out.teams.push(team.parse(&text, &skipped)?.value);
        } else {
            let pruned = role.parse(&text, &skipped)?;
            out.roles.push(pruned.value);
            out.role_claims.push(pruned.claims.own);
        }
    }
    out.skipped = skipped.into_inner();
    Some(out)
}

/// Records of teams and roles waiting for their parser, at most.
const PARSE_QUEUE: usize = 16;

/// The streamed read; `None` on anything unusual (then the document is parsed whole).
fn streamed(input: &Input<'_>, catalog: &Catalog, path: &Path) -> Option<Loaded> {
    let (to_parser, records) = mpsc::sync_channel(PARSE_QUEUE);
    let mut cut = Cut {
        agents: false,
        teams: false,
        roles: false,
        places: Vec::new(),
        to_parser: Some(to_parser),
    };
    let (split, parsed) = std::thread::scope(|scope| {
        let parser = scope.spawn(move || teams_and_roles(records));
        let split = input.split(true, &mut cut);
        // Ends the parser's list.
        cut.to_parser = None;
        (split, parser.join().ok().flatten())
    });
    let ((skeleton, size), parsed) = (split.ok()?, parsed?);
    let skipped = RefCell::new(parsed.skipped);
    let mut snapshot = lean::parse(&skeleton, catalog, &skipped)?;
    drop(skeleton);
    super::check_header(&snapshot.format, snapshot.version, path).ok()?;
    // Emptied in the skeleton: the records cut out instead (the agents' in the second pass).
    if cut.agents {
        snapshot.objects.agents = None;
    }
    if cut.teams {
        snapshot.objects.teams = Some(serde_json::Value::Array(parsed.teams));
    }
    let role_claims = cut.roles.then(|| {
        snapshot.objects.roles = Some(serde_json::Value::Array(parsed.roles));
        parsed.role_claims
    });
    let streamed = cut.agents;
    let places = std::mem::take(&mut cut.places);
    drop(cut);
    snapshot.strip_secrets();
    let spec = Record::agent(catalog);
    let found = Mutex::new(skipped.into_inner());
    let stream = |ctx: &Context<'_>| agents(input, &places, size, &spec, ctx, &found);
    let tenant = normalise::normalise_parts(
        &snapshot,
        streamed.then_some(&stream as &normalise::AgentStream<'_>),
        role_claims,
        catalog,
        path,
    )
    .ok()??;
    let mut header = Header::of(&snapshot);
    let mut redacted: BTreeSet<String> = header.redacted.drain(..).collect();
    redacted.extend(found.into_inner().ok()?);
    header.redacted = redacted.into_iter().collect();
    Some(Loaded { header, tenant })
}

/// Agent records are handed to the workers in batches of about this many bytes.
const BATCH_BYTES: usize = 256 * 1024;

/// A batch of agent records: their texts one after the other, and where each ends.
#[derive(Default)]
struct Batch {
    text: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    fn records(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| self.text.get(start..end).unwrap_or_default())
    }
}

/// The second pass: sends each batch of agent records to the workers.
struct Feed<'a> {
    batch: Batch,
    sent: usize,
    to_workers: mpsc::SyncSender<(usize, Batch)>,
    failed: &'a AtomicBool,
}

impl Feed<'_> {
    fn send(&mut self) -> bool {
        let batch = std::mem::take(&mut self.batch);
        let index = self.sent;
        self.sent += 1;
        self.to_workers.send((index, batch)).is_ok()
    }

    fn record(&mut self, text: &[u8]) -> bool {
        if self.failed.load(Ordering::Relaxed) {
            return false;
        }
        self.batch.text.extend_from_slice(text);
        self.batch.ends.push(self.batch.text.len());
        self.batch.text.len() < BATCH_BYTES || self.send()
    }
}

/// Reads the agents' records again and normalises each on a worker thread, in file order.
/// `None` when a record is not a valid object with an integer `id`, or when the input is not the
/// `size` bytes the first pass read.
fn agents(
    input: &Input<'_>,
    places: &[(u64, usize)],
    size: u64,
    spec: &Record<'_>,
    ctx: &Context<'_>,
    secrets: &Mutex<BTreeSet<String>>,
) -> Option<Vec<Normalised>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8);
    let failed = AtomicBool::new(false);
    let (to_workers, jobs) = mpsc::sync_channel::<(usize, Batch)>(threads * 2);
    let jobs = Mutex::new(jobs);
    let (to_main, done) = mpsc::channel::<(usize, Vec<Normalised>)>();
    let read = std::thread::scope(|scope| {
        for _ in 0..threads {
            let to_main = to_main.clone();
            let (jobs, failed) = (&jobs, &failed);
            scope.spawn(move || {
                let skipped = RefCell::new(BTreeSet::new());
                let mut pool = crate::tenant::SharePool::default();
                loop {
                    let job = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => break,
                    };
                    let Ok((index, batch)) = job else { break };
                    // After a failure the queue is still drained, so the reader never waits.
                    if failed.load(Ordering::Relaxed) {
                        continue;
                    }
                    let out: Option<Vec<Normalised>> = batch
                        .records()
                        .map(|record| {
                            let mut pruned = spec.parse(record, &skipped)?;
                            skipped
                                .borrow_mut()
                                .extend(super::secrets::strip(&mut pruned.value));
                            normalise::agent_record(ctx, &pruned.value, pruned.claims, &mut pool)
                        })
                        .collect();
                    let sent = out.is_some_and(|out| to_main.send((index, out)).is_ok());
                    if !sent {
                        failed.store(true, Ordering::Relaxed);
                    }
                }
                if let Ok(mut secrets) = secrets.lock() {
                    secrets.extend(skipped.into_inner());
                }
            });
        }
        let mut feed = Feed {
            batch: Batch::default(),
            sent: 0,
            to_workers,
            failed: &failed,
        };
        let read = input.records(places, size, &mut |text| feed.record(text));
        let last = feed.batch.ends.is_empty() || feed.send();
        // Dropping the sender ends the workers once the queue is empty.
        let sent = feed.sent;
        drop(feed);
        (read && last).then_some(sent)
    });
    drop(to_main);
    let sent = read?;
    if failed.load(Ordering::Relaxed) {
        return None;
    }
    let mut parts: Vec<(usize, Vec<Normalised>)> = done.into_iter().collect();
    if parts.len() != sent {
        return None;
    }
    parts.sort_unstable_by_key(|(index, _)| *index);
    Some(parts.into_iter().flat_map(|(_, part)| part).collect())
}
