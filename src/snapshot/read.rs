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
//! It is the only code that builds a tenant from a snapshot. Every valid layout is read this way:
//! each collection a bare array or a list envelope (whose every array is cut out; the one the
//! normaliser reads is chosen once the skeleton is parsed), keys escaped or not, records of any
//! size within the file's limit. A record that is not an object with an integer `id`, or a
//! collection that is not a list, is refused here, named by its place. Anything else it cannot
//! follow (invalid JSON, a key written twice) is named by reading the document once more as
//! [`super::load`] reads it, with Halo's objects checked, never built ([`super::Checked`]): its
//! line and column, in bounded memory. So every command refuses a file with the same error.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

use super::lean::Record;
use super::normalise::{self, Claims, Context, Normalised, Refused};
use super::split::{self, Chosen, Piece, Sink, Stop};
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
/// See [`SnapshotError`]: each names the file and, for a syntax error, the line and column.
pub fn read(path: &Path, catalog: &Catalog) -> Result<Loaded, SnapshotError> {
    if crate::fsio::is_stdio(path) {
        return read_spooled(&super::Spooled::stdin()?, catalog);
    }
    // Refuses a directory or a file over the limit before anything else.
    drop(super::open(path)?);
    streamed(&Input::File(path), catalog, path)
        .map_err(|refused| refused.named(path, || super::check_file(path)))
}

/// [`read`] of standard input, spooled ([`super::Spooled`]): streamed from the temporary file like
/// a snapshot file.
///
/// # Errors
/// See [`read`].
pub fn read_spooled(spool: &super::Spooled, catalog: &Catalog) -> Result<Loaded, SnapshotError> {
    let path = Path::new(STDIN_NAME);
    streamed(&Input::Spool(spool), catalog, path).map_err(|refused| {
        refused.named(path, || {
            let (file, _) = spool.reader().ok_or_else(|| SnapshotError::Read {
                path: path.to_owned(),
                cause: std::io::Error::other("the temporary copy of standard input is gone"),
            })?;
            let reader = std::io::BufReader::new(std::io::Read::take(file, MAX_BYTES + 1));
            super::check_from(reader, path, || {
                let (file, _) = spool.reader()?;
                Some(std::io::BufReader::new(file))
            })
        })
    })
}

/// [`read`] of bytes already in memory (a live fetch); `path` names them in messages.
///
/// # Errors
/// See [`read`].
pub fn read_bytes(bytes: &[u8], path: &Path, catalog: &Catalog) -> Result<Loaded, SnapshotError> {
    streamed(&Input::Bytes(bytes), catalog, path)
        .map_err(|refused| refused.named(path, || super::check_bytes(bytes, path)))
}

impl Refused {
    /// The error: the one `whole` (the document read whole, Halo's objects checked, never built)
    /// names, else the one said. The streamed read does not parse every byte before it judges a
    /// record (the records after a bad one are not read), so what makes the document invalid JSON
    /// comes first, as it does for the whole document.
    fn named(
        self,
        path: &Path,
        whole: impl FnOnce() -> Result<(), SnapshotError>,
    ) -> SnapshotError {
        match (whole(), self) {
            (Err(error), _) | (Ok(()), Refused::Said(error)) => error,
            // Not expected: every valid snapshot is read by the streamed read.
            (Ok(()), Refused::Unnamed) => SnapshotError::Shape {
                path: path.to_owned(),
                pointer: "the document".to_owned(),
                message: "it is valid JSON, but its layout could not be followed (please report this with the file's shape, not its data)".to_owned(),
            },
        }
    }
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

    /// The second pass: each agent record, by the places the first pass found (in file order),
    /// into `feed`. `false` when the input is not the `size` bytes the first pass read, or the
    /// feed stops.
    fn records(&self, places: &[(u64, usize)], size: u64, feed: &mut Feed<'_>) -> bool {
        let file = match self {
            Input::Bytes(bytes) => {
                return places.iter().all(|&(at, len)| {
                    let Some(text) = usize::try_from(at)
                        .ok()
                        .and_then(|at| bytes.get(at..at.checked_add(len)?))
                    else {
                        return false;
                    };
                    feed.room(len).copy_from_slice(text);
                    feed.done()
                });
            }
            Input::File(path) => super::open(path).ok().and_then(|file| {
                let len = file.metadata().ok()?.len();
                Some((file, len))
            }),
            Input::Spool(spool) => spool.reader(),
        };
        let Some((file, len)) = file else {
            return false;
        };
        if len != size {
            return false;
        }
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut position = 0u64;
        for &(at, len) in places {
            let Some(gap) = at.checked_sub(position).and_then(|g| i64::try_from(g).ok()) else {
                return false;
            };
            if reader.seek_relative(gap).is_err()
                || std::io::Read::read_exact(&mut reader, feed.room(len)).is_err()
                || !feed.done()
            {
                return false;
            }
            position = at + len as u64;
        }
        true
    }
}

/// A collection whose records the first pass cuts out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Collection {
    Agents,
    Teams,
    Roles,
    Applications,
}

impl Collection {
    const ALL: [Self; 4] = [Self::Agents, Self::Teams, Self::Roles, Self::Applications];

    fn name(self) -> &'static str {
        match self {
            Self::Agents => "agents",
            Self::Teams => "teams",
            Self::Roles => "roles",
            Self::Applications => "applications",
        }
    }
}

/// Which array of a collection an array is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Member {
    /// The collection's own value.
    Own,
    /// The member of its list envelope named like the collection.
    Named,
    /// Another array of its list envelope (read when it is the only one).
    Other,
}

/// The collection (its name under `objects`) and the [`Member`] of an array the splitter met at
/// these keys; `None` when it is not an array of a collection.
pub(super) fn collection_array<'k>(keys: &[Option<&'k [u8]>]) -> Option<(&'k [u8], Member)> {
    match keys {
        [Some(b"objects"), Some(name)] => Some((name, Member::Own)),
        // A key too long to record is not the collection's name.
        [Some(b"objects"), Some(name), key] if *key == Some(*name) => Some((name, Member::Named)),
        [Some(b"objects"), Some(name), _] => Some((name, Member::Other)),
        _ => None,
    }
}

/// An array the first pass cut out.
struct Cutout {
    collection: Collection,
    member: Member,
    /// Where each record is (agents only: their records are read in the second pass).
    places: Vec<(u64, usize)>,
    /// A record that is not an object was met: the normaliser refuses the array at it, so the
    /// records after it are passed over (a hostile file of a billion `0` holds one).
    closed: bool,
}

/// The first pass: cuts out the records of every array of the agents, the teams, the roles and
/// the applications (a bare array or a list envelope's), so that the skeleton holds none of them.
/// Of the agents it keeps where each record is; each other record goes to a thread of its own
/// that parses it keeping what the normaliser reads (a large tenant's teams list their agents;
/// applications are kept whole). Which array
/// the normaliser reads is known once the skeleton is parsed ([`Cut::chosen`]); the records of
/// an envelope's further arrays, which it never reads, are dropped.
struct Cut {
    arrays: Vec<Cutout>,
    /// The team and role records, by tag, to the thread that parses them (`None` once the split
    /// ends).
    to_parser: Option<mpsc::SyncSender<(usize, Collection, Vec<u8>)>>,
}

/// The tag of the records dropped.
const DROPPED: usize = usize::MAX;

impl Cut {
    /// The tag of the array of `collection` the normaliser reads, by the collection's value in
    /// the skeleton (every array emptied); `None` when it was not fetched. `Err` when the value
    /// is not a list (said), or when that array was not cut out.
    fn chosen(
        &self,
        collection: Collection,
        value: Option<&serde_json::Value>,
        path: &Path,
    ) -> Result<Option<usize>, Refused> {
        let Some(value) = value else {
            return Ok(None);
        };
        let (key, items) =
            normalise::list(value, collection.name()).map_err(|message| SnapshotError::Shape {
                path: path.to_owned(),
                pointer: format!("/objects/{}", collection.name()),
                message,
            })?;
        let member = match key {
            None => Member::Own,
            Some(key) if key == collection.name() => Member::Named,
            Some(_) => Member::Other,
        };
        let tag = self
            .arrays
            .iter()
            .position(|a| a.collection == collection && a.member == member);
        match tag {
            Some(tag) if items.is_empty() => Ok(Some(tag)),
            _ => Err(Refused::Unnamed),
        }
    }
}

impl Sink for Cut {
    fn array(&mut self, keys: &[Option<&[u8]>]) -> Option<Chosen> {
        let (name, member) = collection_array(keys)?;
        let collection = Collection::ALL
            .into_iter()
            .find(|c| c.name().as_bytes() == name)?;
        // A second array of a kind is dropped: a key written twice (which the skeleton's parse
        // refuses), or an envelope's third array (which the normaliser never reads).
        let first = !self
            .arrays
            .iter()
            .any(|a| a.collection == collection && a.member == member);
        let tag = if first {
            self.arrays.push(Cutout {
                collection,
                member,
                places: Vec::new(),
                closed: false,
            });
            self.arrays.len() - 1
        } else {
            DROPPED
        };
        Some(Chosen {
            tag,
            text: tag != DROPPED && collection != Collection::Agents,
        })
    }
    fn record(&mut self, tag: usize, record: Piece<'_>) -> bool {
        let Some(array) = self.arrays.get_mut(tag).filter(|array| !array.closed) else {
            return true;
        };
        array.closed = record.first != b'{';
        if array.collection == Collection::Agents {
            array.places.push((record.offset, record.len));
            return true;
        }
        // The parser stopped (a record it could not read): so does the split.
        self.to_parser.as_ref().is_some_and(|to_parser| {
            to_parser
                .send((tag, array.collection, record.text.to_vec()))
                .is_ok()
        })
    }
}

/// The records of one array of teams, roles or applications, parsed keeping what the normaliser
/// reads.
#[derive(Default)]
struct Parsed {
    records: Vec<serde_json::Value>,
    /// The claims of each role record, decoded apart.
    claims: Vec<Option<Claims>>,
}

/// The teams, roles and applications of the first pass.
#[derive(Default)]
struct TeamsAndRoles {
    /// By the tag of their array.
    arrays: BTreeMap<usize, Parsed>,
    /// The names of the secret-looking members skipped.
    skipped: BTreeSet<String>,
}

/// Parses the team, role and application records the first pass sends, in order; `None` at the
/// first it cannot read (then the split stops, and the file is refused).
fn teams_and_roles(records: mpsc::Receiver<(usize, Collection, Vec<u8>)>) -> Option<TeamsAndRoles> {
    let (team, role) = (Record::team(), Record::role());
    let skipped = RefCell::new(BTreeSet::new());
    let mut out = TeamsAndRoles::default();
    for (tag, collection, text) in records {
        let array = out.arrays.entry(tag).or_default();
        match collection {
            // Few and small: kept whole (their secrets are stripped with the snapshot's).
            Collection::Applications => array.records.push(
                serde_json::from_slice::<super::strict::Strict>(&text)
                    .ok()?
                    .0,
            ),
            Collection::Teams | Collection::Roles | Collection::Agents => {
                let spec = if collection == Collection::Teams {
                    &team
                } else {
                    &role
                };
                let pruned = spec.parse(&text, &skipped)?;
                array.records.push(pruned.value);
                if collection == Collection::Roles {
                    array.claims.push(pruned.claims.own);
                }
            }
        }
    }
    out.skipped = skipped.into_inner();
    Some(out)
}

/// Records of teams and roles waiting for their parser, at most.
const PARSE_QUEUE: usize = 16;

/// The streamed read.
fn streamed(input: &Input<'_>, catalog: &Catalog, path: &Path) -> Result<Loaded, Refused> {
    let (to_parser, records) = mpsc::sync_channel(PARSE_QUEUE);
    let mut cut = Cut {
        arrays: Vec::new(),
        to_parser: Some(to_parser),
    };
    let (split, parsed) = std::thread::scope(|scope| {
        let parser = scope.spawn(move || teams_and_roles(records));
        let split = input.split(true, &mut cut);
        // Ends the parser's list.
        cut.to_parser = None;
        (split, parser.join().ok().flatten())
    });
    let (Ok((skeleton, size)), Some(mut parsed)) = (split, parsed) else {
        return Err(Refused::Unnamed);
    };
    // The skeleton is read as the whole document would be (its arrays were emptied).
    let mut snapshot: Snapshot = serde_json::from_slice(&skeleton).map_err(|_| Refused::Unnamed)?;
    drop(skeleton);
    super::check_header(&snapshot.format, snapshot.version, path)?;
    // The records of the arrays the normaliser reads, in place of their emptied arrays.
    let objects = &mut snapshot.objects;
    let mut records = |collection, value: &mut Option<serde_json::Value>| {
        let Some(tag) = cut.chosen(collection, value.as_ref(), path)? else {
            return Ok::<_, Refused>(Vec::new());
        };
        let array = parsed.arrays.remove(&tag).unwrap_or_default();
        *value = Some(serde_json::Value::Array(array.records));
        Ok(array.claims)
    };
    records(Collection::Teams, &mut objects.teams)?;
    let role_claims = records(Collection::Roles, &mut objects.roles)?;
    records(Collection::Applications, &mut objects.applications)?;
    let places = match cut.chosen(Collection::Agents, objects.agents.take().as_ref(), path)? {
        Some(tag) => cut
            .arrays
            .get_mut(tag)
            .map(|array| std::mem::take(&mut array.places)),
        None => None,
    };
    drop(cut);
    snapshot.strip_secrets();
    let spec = Record::agent(catalog);
    let found = Mutex::new(std::mem::take(&mut parsed.skipped));
    let stream = places
        .as_ref()
        .map(|places| |ctx: &Context<'_>| agents(input, places, size, &spec, ctx, &found, path));
    let tenant = normalise::normalise_parts(
        &snapshot,
        stream
            .as_ref()
            .map(|stream| stream as &normalise::AgentStream<'_>),
        role_claims,
        catalog,
        path,
    )?;
    let mut header = Header::of(&snapshot);
    let mut redacted: BTreeSet<String> = header.redacted.drain(..).collect();
    redacted.extend(found.into_inner().map_err(|_| Refused::Unnamed)?);
    header.redacted = redacted.into_iter().collect();
    Ok(Loaded { header, tenant })
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
    /// The number of records of each batch sent.
    counts: Vec<usize>,
    to_workers: mpsc::SyncSender<(usize, Batch)>,
    /// The first batch (in file order) a worker could not read; [`NONE_FAILED`] until then.
    first_failed: &'a AtomicUsize,
}

/// [`Feed::first_failed`] while no batch has failed.
const NONE_FAILED: usize = usize::MAX;

impl Feed<'_> {
    fn send(&mut self) -> bool {
        let batch = std::mem::take(&mut self.batch);
        let index = self.counts.len();
        self.counts.push(batch.ends.len());
        self.to_workers.send((index, batch)).is_ok()
    }

    /// Room at the end of the batch for a record of `len` bytes, to be read into.
    fn room(&mut self, len: usize) -> &mut [u8] {
        let start = self.batch.text.len();
        self.batch.text.resize(start + len, 0);
        self.batch.text.get_mut(start..).unwrap_or_default()
    }

    /// The record just put in [`Feed::room`] is whole; `false` stops the reading (a batch
    /// failed, or the workers are gone).
    fn done(&mut self) -> bool {
        self.batch.ends.push(self.batch.text.len());
        (self.batch.text.len() < BATCH_BYTES || self.send())
            && self.first_failed.load(Ordering::Relaxed) == NONE_FAILED
    }
}

/// Why a worker could not read a batch: a record that is not an object with an integer `id` (its
/// position in the batch, and what is wrong), or `None`: one it could not parse.
type BatchError = Option<(usize, String)>;

/// Reads the agents' records again and normalises each on a worker thread, in file order.
/// `Err` names the first record that is not an object with an integer `id` (by its position in
/// the collection), and says when the input is not the `size` bytes the first pass read.
fn agents(
    input: &Input<'_>,
    places: &[(u64, usize)],
    size: u64,
    spec: &Record<'_>,
    ctx: &Context<'_>,
    secrets: &Mutex<BTreeSet<String>>,
    path: &Path,
) -> Result<Vec<Normalised>, Refused> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8);
    let first_failed = AtomicUsize::new(NONE_FAILED);
    let (to_workers, jobs) = mpsc::sync_channel::<(usize, Batch)>(threads * 2);
    let jobs = Mutex::new(jobs);
    type Part = (usize, Result<Vec<Normalised>, BatchError>);
    let (to_main, done) = mpsc::channel::<Part>();
    let (read, counts) = std::thread::scope(|scope| {
        for _ in 0..threads {
            let to_main = to_main.clone();
            let (jobs, first_failed) = (&jobs, &first_failed);
            scope.spawn(move || {
                let skipped = RefCell::new(BTreeSet::new());
                let mut pool = crate::tenant::SharePool::default();
                loop {
                    let job = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => break,
                    };
                    let Ok((index, batch)) = job else { break };
                    // Past a failed batch the queue is still drained, so the reader never waits;
                    // the batches before it are read (the first failure in the file is named).
                    if index > first_failed.load(Ordering::Relaxed) {
                        continue;
                    }
                    let out = batch
                        .records()
                        .enumerate()
                        .map(|(at, record)| {
                            let mut pruned = spec.parse(record, &skipped).ok_or(None)?;
                            skipped
                                .borrow_mut()
                                .extend(super::secrets::strip(&mut pruned.value));
                            normalise::agent_record(ctx, &pruned.value, pruned.claims, &mut pool)
                                .map_err(|message| Some((at, message)))
                        })
                        .collect::<Result<Vec<Normalised>, BatchError>>();
                    if out.is_err() {
                        first_failed.fetch_min(index, Ordering::Relaxed);
                    }
                    if to_main.send((index, out)).is_err() {
                        break;
                    }
                }
                if let Ok(mut secrets) = secrets.lock() {
                    secrets.extend(skipped.into_inner());
                }
            });
        }
        let mut feed = Feed {
            batch: Batch::default(),
            counts: Vec::new(),
            to_workers,
            first_failed: &first_failed,
        };
        let read = input.records(places, size, &mut feed);
        let last = feed.batch.ends.is_empty() || feed.send();
        // Dropping the sender ends the workers once the queue is empty.
        let counts = std::mem::take(&mut feed.counts);
        drop(feed);
        (read && last, counts)
    });
    drop(to_main);
    let mut parts: Vec<Part> = done.into_iter().collect();
    parts.sort_unstable_by_key(|(index, _)| *index);
    let mut out = Vec::with_capacity(places.len());
    for (expected, (index, part)) in parts.into_iter().enumerate() {
        if index != expected {
            return Err(Refused::Unnamed);
        }
        match part {
            Ok(part) => out.extend(part),
            Err(None) => return Err(Refused::Unnamed),
            Err(Some((at, message))) => {
                let before: usize = counts.iter().take(index).sum();
                return Err(Refused::Said(SnapshotError::Shape {
                    path: path.to_owned(),
                    pointer: format!("/objects/agents/{}", before + at),
                    message,
                }));
            }
        }
    }
    if !read {
        return Err(Refused::Said(SnapshotError::Read {
            path: path.to_owned(),
            cause: std::io::Error::other(
                "it changed while it was read; read it again once it is written",
            ),
        }));
    }
    if out.len() != places.len() {
        return Err(Refused::Unnamed);
    }
    Ok(out)
}
