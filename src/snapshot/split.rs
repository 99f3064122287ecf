//! A byte-level splitter of a snapshot's text: finds the records of chosen arrays (such as
//! `objects.agents`) without parsing them, so that each can be parsed on its own, on any core,
//! while the file is read in bounded chunks.
//!
//! Owns: following JSON's structure (strings, escapes, nesting) closely enough to tell where an
//! array's records begin and end, checking the separators between them, and keeping everything
//! outside those records (the "skeleton": the header, and the arrays emptied to `[]`). It does
//! not validate anything else: the skeleton and every record are parsed by serde_json afterwards,
//! and a text that is valid once the records are put back is valid JSON. Any surprise stops the
//! split ([`Stop::Unusual`]) and the caller parses the file in full, which names the problem.

/// Arrays and objects nested deeper than this stop the split (serde_json refuses 128 levels).
const MAX_DEPTH: usize = 256;
/// Object keys longer than this in the file (escapes included) are never the name of a
/// collection: not recorded, only said to be long (an escaped `objects` is 42 bytes).
const KEY_BYTES: usize = 64;
/// Keys are recorded for the first levels only (`objects`, a collection, an envelope's member).
const KEY_LEVELS: usize = 3;

/// The bytes that change nothing deep inside a record outside strings: whitespace but line ends,
/// separators, and what numbers and literals are made of (anything else is looked at).
const INERT: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(
            b as u8,
            b' ' | b'\t' | b'\r' | b',' | b':' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z'
                | b'-' | b'+' | b'.'
        );
        b += 1;
    }
    table
};

/// Why a split stopped.
#[derive(Debug)]
pub(super) enum Stop {
    /// Anything not as a well-formed snapshot has it, the sink asked to stop, or the input could
    /// not be read (reading the document whole names why).
    Unusual,
}

/// What the splitter calls with what it finds.
pub(super) trait Sink {
    /// Whether records of the array at these keys (from the top level down, each unescaped;
    /// `None` for a key too long to be recorded) are wanted: the tag they are reported with, and
    /// whether their text is (otherwise only where each is). Called when the array opens.
    fn array(&mut self, keys: &[Option<&[u8]>]) -> Option<Chosen>;
    /// One record of a chosen array. `false` stops the split.
    fn record(&mut self, tag: usize, record: Piece<'_>) -> bool;
}

/// A record of a chosen array, as the splitter found it.
pub(super) struct Piece<'a> {
    /// The line (from 1) it starts at.
    pub(super) line: usize,
    /// The byte offset (from 0) it starts at.
    pub(super) offset: u64,
    /// Its length in bytes.
    pub(super) len: usize,
    /// Its first byte (`{` for an object).
    pub(super) first: u8,
    /// Its text, empty unless wanted.
    pub(super) text: &'a [u8],
}

/// An array whose records a [`Sink`] wants.
#[derive(Clone, Copy)]
pub(super) struct Chosen {
    pub(super) tag: usize,
    /// Whether each record's text is wanted, or only where it is.
    pub(super) text: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    String,
    Escape,
}

/// Where the bytes being read go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Skeleton,
    Record,
    Dropped,
}

/// Where the reader is in a chosen array.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    /// After `[`: a record or `]`.
    First,
    /// After a record: `,` or `]`.
    After,
    /// After `,`: a record.
    Next,
    /// In a record that is an object or an array.
    Nested,
    /// In a record that is a string.
    Text,
    /// In a record that is a number or a literal.
    Bare,
}

#[derive(Clone, Copy)]
struct Frame {
    object: bool,
    expect_key: bool,
}

/// An object key of the first levels, as written in the file until it ends, then unescaped.
#[derive(Clone, Copy)]
struct Key {
    bytes: [u8; KEY_BYTES],
    len: usize,
    /// False when too long to be recorded: such a key names no collection.
    kept: bool,
    /// Whether it has an escape (undone when it ends).
    escaped: bool,
}

impl Default for Key {
    fn default() -> Self {
        Self {
            bytes: [0; KEY_BYTES],
            len: 0,
            kept: false,
            escaped: false,
        }
    }
}

impl Key {
    /// The key, `None` when too long to be recorded.
    fn get(&self) -> Option<&[u8]> {
        if self.kept {
            self.bytes.get(..self.len)
        } else {
            None
        }
    }

    /// Adds bytes of the key as written.
    fn push(&mut self, bytes: &[u8]) {
        match self.bytes.get_mut(self.len..self.len + bytes.len()) {
            Some(room) if self.kept => {
                room.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            _ => self.kept = false,
        }
    }

    /// The key has ended: its escapes are undone (JSON's, as serde_json reads them).
    fn end(&mut self) {
        if !(self.kept && self.escaped) {
            return;
        }
        let mut quoted = Vec::with_capacity(self.len + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(self.bytes.get(..self.len).unwrap_or_default());
        quoted.push(b'"');
        match serde_json::from_slice::<String>(&quoted) {
            Ok(key) if key.len() <= KEY_BYTES => {
                self.len = key.len();
                self.bytes
                    .get_mut(..key.len())
                    .unwrap_or_default()
                    .copy_from_slice(key.as_bytes());
            }
            _ => self.kept = false,
        }
        self.escaped = false;
    }
}

/// The state of a split between two chunks.
pub(super) struct Splitter {
    mode: Mode,
    frames: Vec<Frame>,
    keys: [Key; KEY_LEVELS],
    /// Recording the key being read, at this level (index into `keys`).
    key_at: Option<usize>,
    /// The chosen array being read: its depth (the number of open containers inside it) and tag.
    array: Option<(usize, usize)>,
    /// Whether the sink wants the text of the chosen array's records.
    record_text: bool,
    item: Item,
    place: Place,
    record: Vec<u8>,
    record_line: usize,
    record_first: u8,
    record_offset: u64,
    line: usize,
    keep_skeleton: bool,
    skeleton: Vec<u8>,
    /// Bytes read so far.
    pub(super) bytes: u64,
}

impl Splitter {
    /// A split of a document from its first byte; with `keep_skeleton`, the text outside the
    /// chosen arrays' records is kept ([`Splitter::finish`] returns it).
    pub(super) fn new(keep_skeleton: bool) -> Self {
        Self {
            mode: Mode::Normal,
            frames: Vec::new(),
            keys: [Key::default(); KEY_LEVELS],
            key_at: None,
            array: None,
            record_text: false,
            item: Item::First,
            place: Place::Skeleton,
            record: Vec::new(),
            record_line: 1,
            record_first: 0,
            record_offset: 0,
            line: 1,
            keep_skeleton,
            skeleton: Vec::new(),
            bytes: 0,
        }
    }

    /// The skeleton, once the whole document has been read (nothing unless asked for).
    ///
    /// # Errors
    /// [`Stop::Unusual`] when the document ended inside a string, an array or an object.
    pub(super) fn finish(self) -> Result<Vec<u8>, Stop> {
        if self.mode != Mode::Normal || !self.frames.is_empty() || self.array.is_some() {
            return Err(Stop::Unusual);
        }
        Ok(self.skeleton)
    }

    fn flush(&mut self, chunk: &[u8], from: usize, to: usize) -> Result<(), Stop> {
        let part = chunk.get(from..to).unwrap_or_default();
        // Never more than the bytes read, which the caller bounds.
        let into = match self.place {
            Place::Skeleton if self.keep_skeleton => &mut self.skeleton,
            Place::Record if self.record_text => &mut self.record,
            Place::Skeleton | Place::Record | Place::Dropped => return Ok(()),
        };
        into.extend_from_slice(part);
        Ok(())
    }

    /// Moves to another place at `at` (the byte at `at` goes to the new place).
    fn switch(
        &mut self,
        chunk: &[u8],
        start: &mut usize,
        at: usize,
        place: Place,
    ) -> Result<(), Stop> {
        self.flush(chunk, *start, at)?;
        *start = at;
        self.place = place;
        Ok(())
    }

    /// Ends the record being read just before `end`.
    fn end_record(
        &mut self,
        chunk: &[u8],
        start: &mut usize,
        end: usize,
        tag: usize,
        sink: &mut dyn Sink,
    ) -> Result<(), Stop> {
        self.switch(chunk, start, end, Place::Dropped)?;
        self.item = Item::After;
        let end_offset = self.bytes - chunk.len() as u64 + end as u64;
        let len = usize::try_from(end_offset - self.record_offset).map_err(|_| Stop::Unusual)?;
        let more = sink.record(
            tag,
            Piece {
                line: self.record_line,
                offset: self.record_offset,
                len,
                first: self.record_first,
                text: &self.record,
            },
        );
        self.record.clear();
        if more { Ok(()) } else { Err(Stop::Unusual) }
    }

    /// Starts a record at `at`, after checking a record may start there.
    fn start_record(&mut self, chunk: &[u8], start: &mut usize, at: usize) -> Result<(), Stop> {
        if !matches!(self.item, Item::First | Item::Next) {
            return Err(Stop::Unusual);
        }
        self.switch(chunk, start, at, Place::Record)?;
        self.record_first = chunk.get(at).copied().unwrap_or_default();
        self.record_line = self.line;
        self.record_offset = self.bytes - chunk.len() as u64 + at as u64;
        Ok(())
    }

    /// Whether the reader is directly inside the chosen array (between its records).
    fn at_items(&self) -> Option<usize> {
        match self.array {
            Some((depth, tag)) if depth == self.frames.len() => Some(tag),
            _ => None,
        }
    }

    /// Reads the next chunk of the document.
    ///
    /// # Errors
    /// [`Stop::Unusual`] on anything a split cannot follow, or when the sink stops it.
    #[allow(clippy::too_many_lines)]
    pub(super) fn feed(&mut self, chunk: &[u8], sink: &mut dyn Sink) -> Result<(), Stop> {
        self.bytes += chunk.len() as u64;
        let mut start = 0;
        let mut at = 0;
        while let Some(&b) = chunk.get(at) {
            match self.mode {
                Mode::String => {
                    // The bulk of a snapshot: run to the next quote or backslash.
                    let rest = chunk.get(at..).unwrap_or_default();
                    let Some(found) = memchr::memchr2(b'"', b'\\', rest) else {
                        self.push_key(rest);
                        break;
                    };
                    let stop = at + found;
                    self.push_key(rest.get(..found).unwrap_or_default());
                    at = stop;
                    if chunk.get(stop) == Some(&b'\\') {
                        self.push_key(b"\\");
                        if let Some(key) = self.key_at.and_then(|level| self.keys.get_mut(level)) {
                            key.escaped = true;
                        }
                        self.mode = Mode::Escape;
                    } else {
                        self.mode = Mode::Normal;
                        if let Some(level) = self.key_at.take()
                            && let Some(frame) = self.frames.last_mut()
                        {
                            frame.expect_key = false;
                            if let Some(key) = self.keys.get_mut(level) {
                                key.end();
                            }
                        }
                        if self.item == Item::Text
                            && let Some(tag) = self.at_items()
                        {
                            self.end_record(chunk, &mut start, stop + 1, tag, sink)?;
                        }
                    }
                    at += 1;
                    continue;
                }
                Mode::Escape => {
                    self.push_key(&[b]);
                    self.mode = Mode::String;
                    at += 1;
                    continue;
                }
                Mode::Normal => {}
            }
            // Inside a record, below the levels whose keys are recorded (most of a snapshot's
            // bytes), only the nesting and the line count change: run through it.
            if self.item == Item::Nested && self.frames.len() > KEY_LEVELS {
                let next = self.run_deep(chunk, at)?;
                if next != at {
                    at = next;
                    continue;
                }
            }
            if self.item == Item::Bare
                && let Some(tag) = self.at_items()
                && matches!(b, b',' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                self.end_record(chunk, &mut start, at, tag, sink)?;
            }
            match b {
                b'"' => {
                    self.mode = Mode::String;
                    if self.at_items().is_some() {
                        self.start_record(chunk, &mut start, at)?;
                        self.item = Item::Text;
                    } else if let Some(frame) = self.frames.last()
                        && frame.object
                        && frame.expect_key
                    {
                        let level = self.frames.len() - 1;
                        if level < KEY_LEVELS {
                            self.keys[level] = Key {
                                kept: true,
                                ..Key::default()
                            };
                            self.key_at = Some(level);
                        }
                    }
                }
                b'{' | b'[' => {
                    if self.at_items().is_some() {
                        self.start_record(chunk, &mut start, at)?;
                        self.item = Item::Nested;
                    }
                    if b == b'[' && self.array.is_none() && self.frames.len() <= KEY_LEVELS {
                        let mut keys: [Option<&[u8]>; KEY_LEVELS] = [None; KEY_LEVELS];
                        let mut in_objects = true;
                        for (level, frame) in self.frames.iter().enumerate() {
                            in_objects &= frame.object;
                            keys[level] = self.keys.get(level).and_then(Key::get);
                        }
                        let keys = keys.get(..self.frames.len()).unwrap_or_default();
                        if in_objects && let Some(chosen) = sink.array(keys) {
                            self.switch(chunk, &mut start, at + 1, Place::Dropped)?;
                            self.array = Some((self.frames.len() + 1, chosen.tag));
                            self.record_text = chosen.text;
                            self.item = Item::First;
                        }
                    }
                    self.open(b)?;
                }
                b'}' | b']' => {
                    let Some(frame) = self.frames.pop() else {
                        return Err(Stop::Unusual);
                    };
                    if frame.object != (b == b'}') {
                        return Err(Stop::Unusual);
                    }
                    match self.array {
                        // The chosen array closes: no record may be missing after a comma.
                        Some((depth, _)) if depth == self.frames.len() + 1 => {
                            if !matches!(self.item, Item::First | Item::After) {
                                return Err(Stop::Unusual);
                            }
                            self.array = None;
                            self.switch(chunk, &mut start, at, Place::Skeleton)?;
                        }
                        // A record that is an object or an array ends.
                        Some((depth, tag)) if depth == self.frames.len() => {
                            self.end_record(chunk, &mut start, at + 1, tag, sink)?;
                        }
                        _ => {}
                    }
                }
                b',' => {
                    if self.at_items().is_some() {
                        if self.item != Item::After {
                            return Err(Stop::Unusual);
                        }
                        self.item = Item::Next;
                    } else if let Some(frame) = self.frames.last_mut()
                        && frame.object
                    {
                        frame.expect_key = true;
                    }
                }
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                b':' if self.at_items().is_none() => {}
                // Numbers and literals: anything else outside a string is not JSON.
                b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'+' | b'.' => {
                    if self.at_items().is_some() && self.item != Item::Bare {
                        self.start_record(chunk, &mut start, at)?;
                        self.item = Item::Bare;
                    }
                }
                _ => return Err(Stop::Unusual),
            }
            at += 1;
        }
        self.flush(chunk, start, chunk.len())
    }

    /// Runs through the inside of a record from `at`, below the levels whose keys are recorded:
    /// strings, inert bytes, line ends and brackets that open or close a level inside the record.
    /// Returns where it stopped: at the bracket that closes the record (or a level whose keys are
    /// recorded), at a byte the general loop must judge, or at the end of the chunk (inside a
    /// string, the mode says so).
    fn run_deep(&mut self, chunk: &[u8], mut at: usize) -> Result<usize, Stop> {
        // The record's own level: its closing bracket ends it, in the general loop.
        let floor = match self.array {
            Some((depth, _)) => depth + 1,
            None => return Ok(at),
        }
        .max(KEY_LEVELS + 1);
        while let Some(&b) = chunk.get(at) {
            if INERT[usize::from(b)] {
                at += 1;
                continue;
            }
            match b {
                b'\n' => self.line += 1,
                b'"' => {
                    // A string: to its closing quote, past escapes.
                    let mut from = at + 1;
                    loop {
                        let rest = chunk.get(from..).unwrap_or_default();
                        match memchr::memchr2(b'"', b'\\', rest) {
                            Some(found) if rest.get(found) == Some(&b'"') => {
                                at = from + found;
                                break;
                            }
                            Some(found) if from + found + 1 < chunk.len() => {
                                from += found + 2;
                            }
                            Some(_) => {
                                self.mode = Mode::Escape;
                                return Ok(chunk.len());
                            }
                            None => {
                                self.mode = Mode::String;
                                return Ok(chunk.len());
                            }
                        }
                    }
                }
                b'{' | b'[' => {
                    self.open(b)?;
                }
                b'}' | b']' => {
                    if self.frames.len() <= floor {
                        return Ok(at);
                    }
                    match self.frames.pop() {
                        Some(frame) if frame.object == (b == b'}') => {}
                        _ => return Err(Stop::Unusual),
                    }
                }
                _ => return Ok(at),
            }
            at += 1;
        }
        Ok(at)
    }

    /// Opens an object (`{`) or an array (`[`) one level deeper.
    fn open(&mut self, bracket: u8) -> Result<(), Stop> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(Stop::Unusual);
        }
        self.frames.push(Frame {
            object: bracket == b'{',
            expect_key: bracket == b'{',
        });
        Ok(())
    }

    /// Adds bytes, as written, to the key being read (if any).
    fn push_key(&mut self, bytes: &[u8]) {
        if let Some(key) = self.key_at.and_then(|level| self.keys.get_mut(level)) {
            key.push(bytes);
        }
    }
}

/// Splits a whole document held in memory.
///
/// # Errors
/// See [`Splitter::feed`] and [`Splitter::finish`].
pub(super) fn bytes(
    text: &[u8],
    keep_skeleton: bool,
    sink: &mut dyn Sink,
) -> Result<Vec<u8>, Stop> {
    let mut splitter = Splitter::new(keep_skeleton);
    splitter.feed(text, sink)?;
    splitter.finish()
}

/// Splits a document read from `reader` in chunks of a fixed size (memory holds a few chunks and
/// one record at a time, plus the skeleton when kept), reading at most `limit` bytes (more stops
/// the split). Returns the skeleton and the number of bytes read. The chunks are read on a thread
/// of their own, so reading the next one overlaps splitting this one.
///
/// # Errors
/// See [`Splitter::feed`] and [`Splitter::finish`].
pub(super) fn reader(
    mut reader: impl std::io::Read + Send,
    limit: u64,
    keep_skeleton: bool,
    sink: &mut dyn Sink,
) -> Result<(Vec<u8>, u64), Stop> {
    const CHUNK: usize = 1 << 20;
    let mut splitter = Splitter::new(keep_skeleton);
    // Chunks go to the splitter full and come back empty: three in all.
    let (to_split, full) = std::sync::mpsc::sync_channel::<Result<Vec<u8>, ()>>(2);
    let (to_read, empty) = std::sync::mpsc::channel::<Vec<u8>>();
    for _ in 0..3 {
        let _ = to_read.send(vec![0u8; CHUNK]);
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            while let Ok(mut chunk) = empty.recv() {
                chunk.resize(CHUNK, 0);
                let read = loop {
                    match reader.read(&mut chunk) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        other => break other,
                    }
                };
                let message = match read {
                    Ok(0) => return,
                    Ok(read) => {
                        chunk.truncate(read);
                        Ok(chunk)
                    }
                    Err(_) => Err(()),
                };
                let failed = message.is_err();
                if to_split.send(message).is_err() || failed {
                    return;
                }
            }
        });
        // Dropping the receivers on the way out (an error) ends the reading thread.
        let full = full;
        let to_read = to_read;
        while let Ok(chunk) = full.recv() {
            let chunk = chunk.map_err(|()| Stop::Unusual)?;
            splitter.feed(&chunk, sink)?;
            if splitter.bytes > limit {
                return Err(Stop::Unusual);
            }
            let _ = to_read.send(chunk);
        }
        Ok(())
    })?;
    let bytes = splitter.bytes;
    Ok((splitter.finish()?, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records of `objects.agents` (tag 0), of any envelope member under `objects.roles` (1), and
    /// of a member under `objects.teams` whose key is too long to record (2, their places only).
    #[derive(Default)]
    struct Collect {
        records: Vec<Found>,
        /// The whole document: each record is where its offset says.
        text: Vec<u8>,
    }

    impl Sink for Collect {
        fn array(&mut self, keys: &[Option<&[u8]>]) -> Option<Chosen> {
            let (tag, text) = match keys {
                [Some(b"objects"), Some(b"agents")] => (0, true),
                [Some(b"objects"), Some(b"roles"), _] => (1, true),
                [Some(b"objects"), Some(b"teams"), None] => (2, false),
                _ => return None,
            };
            Some(Chosen { tag, text })
        }
        fn record(&mut self, tag: usize, record: Piece<'_>) -> bool {
            let at = record.offset as usize..record.offset as usize + record.len;
            let found = self.text.get(at).unwrap_or_default();
            self.records.push((
                tag,
                record.line,
                String::from_utf8_lossy(found).into_owned(),
            ));
            // Text only when wanted, and then the record's; its first byte.
            ((tag == 2 && record.text.is_empty()) || record.text == found)
                && found.first() == Some(&record.first)
        }
    }

    /// A record found: tag, line, text.
    type Found = (usize, usize, String);

    fn split_all(text: &str) -> Result<(String, Vec<Found>), Stop> {
        let mut sink = Collect {
            text: text.as_bytes().to_vec(),
            ..Collect::default()
        };
        let skeleton = bytes(text.as_bytes(), true, &mut sink)?;
        // In chunks of every size, the same.
        for size in [1, 2, 3, 7] {
            let mut again = Collect {
                text: text.as_bytes().to_vec(),
                ..Collect::default()
            };
            let mut splitter = Splitter::new(true);
            for chunk in text.as_bytes().chunks(size) {
                splitter.feed(chunk, &mut again)?;
            }
            assert_eq!(splitter.finish()?, skeleton, "chunks of {size}");
            assert_eq!(again.records, sink.records, "chunks of {size}");
        }
        Ok((String::from_utf8(skeleton).unwrap(), sink.records))
    }

    #[test]
    fn records_are_cut_out_and_the_rest_kept() {
        let text = "{\"format\": \"x\", \"objects\": {\"agents\": [\n {\"id\": 1, \"n\": \"a]\\\"}\"},\n 2 , \"s,\\\\\", [3], null],\n \"roles\": {\"count\": 1, \"roles\": [{\"id\": \"r\"}]}, \"teams\": [{\"id\": 4}]}}";
        let (skeleton, records) = split_all(text).unwrap();
        assert_eq!(
            skeleton,
            "{\"format\": \"x\", \"objects\": {\"agents\": [],\n \"roles\": {\"count\": 1, \"roles\": []}, \"teams\": [{\"id\": 4}]}}"
        );
        let texts: Vec<(usize, usize, &str)> = records
            .iter()
            .map(|(t, l, s)| (*t, *l, s.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                (0, 2, "{\"id\": 1, \"n\": \"a]\\\"}\"}"),
                (0, 3, "2"),
                (0, 3, "\"s,\\\\\""),
                (0, 3, "[3]"),
                (0, 3, "null"),
                (1, 4, "{\"id\": \"r\"}"),
            ]
        );
    }

    #[test]
    fn deep_records_keep_their_nesting_strings_and_lines() {
        let text = "{\"objects\": {\"agents\": [\n  {\"id\": 1, \"teams\": [{\"n\": \"x}]\\\\\", \"m\": {\"k\": [1, {\"q\": \"\\\"{\"}]}}],\n   \"e\": \"\\u005d\"},\n  {\"id\": 2}\n]}}";
        let (skeleton, records) = split_all(text).unwrap();
        assert_eq!(skeleton, "{\"objects\": {\"agents\": []}}");
        let lines: Vec<usize> = records.iter().map(|(_, line, _)| *line).collect();
        assert_eq!(lines, [2, 4]);
        assert!(records[0].2.ends_with("\"\\u005d\"}"), "{records:?}");
        serde_json::from_str::<serde_json::Value>(&records[0].2).unwrap();
        // Read through the reading thread: the same.
        let mut sink = Collect {
            text: text.as_bytes().to_vec(),
            ..Collect::default()
        };
        let (again, size) = reader(text.as_bytes(), u64::MAX, true, &mut sink).unwrap();
        assert_eq!((again, size), (skeleton.into_bytes(), text.len() as u64));
        assert_eq!(sink.records, records);
        // More than the limit stops it.
        assert!(reader(text.as_bytes(), 10, true, &mut Collect::default()).is_err());
        // Brackets that do not match deep inside a record stop it.
        for bad in [
            r#"{"objects": {"agents": [{"a": [1}]}]}}"#,
            r#"{"objects": {"agents": [{"a": {"b": 1]}]}}"#,
            r#"{"objects": {"agents": [{"a": {"b": [1, "]"}}]}"#,
        ] {
            assert!(
                matches!(split_all(bad), Err(Stop::Unusual)),
                "{bad} was split"
            );
        }
    }

    #[test]
    fn keys_elsewhere_are_not_collections() {
        let text = r#"{"x": {"objects": {"agents": [1]}}, "objects": {"agentsX": [3], "a": {"agents": [5]}}, "agents": [4], "y": [{"objects": {"agents": [6]}}]}"#;
        let (skeleton, records) = split_all(text).unwrap();
        assert!(records.is_empty(), "{records:?}");
        assert_eq!(skeleton, text);
    }

    #[test]
    fn escaped_keys_are_read_unescaped_and_long_ones_said_to_be_long() {
        let long = "k".repeat(KEY_BYTES + 1);
        let text = format!(
            r#"{{"\u006fbjects": {{"age\u006ets": [2], "teams": {{"{long}": [7], "\u0072\u006F\u006c\u0065\u0073\u0078\u0079\u007a\u0071\u0071\u0071": [8]}}}}}}"#
        );
        let (skeleton, records) = split_all(&text).unwrap();
        let found: Vec<(usize, &str)> = records.iter().map(|(t, _, s)| (*t, s.as_str())).collect();
        // The last key unescapes to 11 bytes but is written in 66: too long to record.
        assert_eq!(found, [(0, "2"), (2, "7"), (2, "8")]);
        assert!(skeleton.contains("\"age\\u006ets\": []"), "{skeleton}");
    }

    #[test]
    fn bad_separators_and_unfinished_documents_stop_the_split() {
        for text in [
            r#"{"objects": {"agents": [{"id": 1} {"id": 2}]}}"#,
            r#"{"objects": {"agents": [{"id": 1},]}}"#,
            r#"{"objects": {"agents": [,{"id": 1}]}}"#,
            r#"{"objects": {"agents": [{"id": 1},,{"id": 2}]}}"#,
            r#"{"objects": {"agents": [1 2]}}"#,
            r#"{"objects": {"agents": [{"id": 1}"#,
            r#"{"objects": {"agents": [{"id": 1]}}"#,
            r#"{"objects": "unterminated}"#,
            "}",
            r#"{"objects": {"agents": [1 :]}}"#,
            "{\"objects\": {\"agents\": [\u{0}\u{0}\u{0}]}}",
            "{\"objects\": \u{0}}",
        ] {
            assert!(
                matches!(split_all(text), Err(Stop::Unusual)),
                "{text} was split"
            );
        }
    }
}
