//! The YAML reading shared by rule files, the configuration and catalog overlays: parser limits,
//! problems at a place (parse errors pointed at the mapping they concern), and the salvage of a
//! file whose items do not all parse.

use std::collections::BTreeSet;

use miette::{NamedSource, SourceSpan};

use super::error::RuleProblem;
use super::files::RuleFile;
use super::model::Sp;
use super::set::Location;

/// The members of a rule file's requirements and policies as far as finding them needs: where
/// each item is, and its id when it has a string one. Anything else in the file is ignored.
/// The lists of a configuration (`waivers`) are read the same way.
#[derive(serde::Deserialize)]
struct ItemsShape {
    #[serde(default)]
    requirements: Vec<Sp<ItemShape>>,
    #[serde(default)]
    policies: Vec<Sp<ItemShape>>,
    #[serde(default)]
    waivers: Vec<Sp<ItemShape>>,
}

#[derive(serde::Deserialize)]
struct ItemShape {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// The most parsing [`item_by_item`] does for one file (items × file size, in bytes): a rule
/// file is a few kilobytes; a huge one gets its first structural problem only.
const ITEM_BY_ITEM_BUDGET: usize = 32 * 1024 * 1024;

/// A flow item of a list: its `{...}`, the bytes blanking it takes (from its `- ` in a block
/// list), and whether the comma after it goes too (an entry of a flow sequence).
type FlowItem = (std::ops::Range<usize>, std::ops::Range<usize>, bool);

/// What [`salvage`] recovers of a YAML file that does not parse as a `T`.
pub(crate) struct Salvage<T> {
    /// The file without its broken items.
    pub raw: T,
    /// Each broken item's first structural problem, at its place in the file.
    pub errors: Vec<serde_saphyr::Error>,
    /// The ids of the broken items that have one, with their places.
    pub broken_ids: Vec<(String, Location)>,
    /// Each broken item, in the order of `errors`.
    pub broken_items: Vec<BrokenItem>,
}

/// One item that does not parse.
pub(crate) struct BrokenItem {
    /// Its lines (0-based, inclusive).
    pub lines: std::ops::RangeInclusive<usize>,
    /// Its bytes, `{` to `}`, when it is a flow mapping (`requirements: [{...}, {...}]`).
    pub flow: Option<std::ops::Range<usize>>,
    /// True for an item of `requirements`.
    pub requirement: bool,
    /// The file with every other item blanked (so offsets are the file's).
    pub alone: String,
}

/// Parses each item of the file's lists (`requirements`, `policies`, `waivers`; in block style, as
/// flow mappings, or as one flow sequence) alone, the others blanked out (spaces, so every line,
/// column and byte offset stays where it was; a flow entry's comma with it), and
/// keeps each one's first structural problem; then parses the file with the broken items blanked.
/// `None` when the problem is not inside an item (or the items cannot be told apart).
pub(crate) fn salvage<T: serde::de::DeserializeOwned>(file: &RuleFile) -> Option<Salvage<T>> {
    let text = &file.text;
    let shape: ItemsShape = serde_saphyr::from_str_with_options(text, yaml_options()).ok()?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let starts: Vec<usize> = lines
        .iter()
        .scan(0, |offset, line| {
            let start = *offset;
            *offset += line.len();
            Some(start)
        })
        .collect();
    let indent = |line: &str| line.len() - line.trim_start_matches([' ', '\t']).len();
    // Each item's lines (0-based, inclusive): from its `- ` line to the last line indented at
    // least as far as its keys (blank lines and comments included); a flow mapping's are its
    // bytes from `{` to `}`.
    let mut items: Vec<(std::ops::RangeInclusive<usize>, Option<String>, Location)> = Vec::new();
    // Each flow item's `{...}`, and what blanking it takes: from its `- ` when it is an item of a
    // block list, with the comma after it when it is an entry of a flow sequence.
    let mut flows: Vec<Option<FlowItem>> = Vec::new();
    let requirements = shape.requirements.len();
    for item in shape
        .requirements
        .iter()
        .chain(&shape.policies)
        .chain(&shape.waivers)
    {
        if item.line == 0 || item.column == 0 {
            return None;
        }
        let id = item
            .value
            .id
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let location = Location {
            path: file.name.clone(),
            line: item.line,
            column: item.column,
        };
        if let Some(start) = offset_of(text, item.line, item.column)
            && text.as_bytes().get(start) == Some(&b'{')
        {
            let (end, _) = flow_entries(text, start)?;
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let before = &text[line_start..start];
            let dash = before
                .trim_start()
                .strip_prefix('-')
                .is_some_and(|r| r.trim().is_empty());
            let from = if dash {
                line_start + before.len() - before.trim_start().len()
            } else {
                start
            };
            let line_of = |offset: usize| text[..offset].matches('\n').count();
            items.push((line_of(start)..=line_of(end - 1), id, location));
            flows.push(Some((start..end, from..end, !dash)));
            continue;
        }
        if flows.iter().any(Option::is_some) {
            return None;
        }
        let mut first = item.line - 1;
        if first > 0 && lines.get(first - 1).is_some_and(|l| l.trim() == "-") {
            first -= 1;
        }
        let key_indent = item.column - 1;
        let mut last = item.line - 1;
        while let Some(next) = lines.get(last + 1) {
            let blank = next.trim().is_empty() || next.trim_start().starts_with('#');
            if !blank && indent(next) < key_indent {
                break;
            }
            last += 1;
        }
        // Block items sharing lines (or a block item among flow ones) cannot be told apart.
        if flows.iter().any(Option::is_some)
            || items
                .iter()
                .any(|(r, _, _)| r.contains(&first) || r.contains(&last))
        {
            return None;
        }
        items.push((first..=last, id, location));
        flows.push(None);
    }
    if items.is_empty() || items.len().saturating_mul(text.len()) > ITEM_BY_ITEM_BUDGET {
        return None;
    }
    // The text with the items at `blank` made spaces (line breaks kept).
    let masked = |blank: &dyn Fn(usize) -> bool| -> String {
        let mut out = text.clone().into_bytes();
        for (i, (range, _, _)) in items.iter().enumerate() {
            if !blank(i) {
                continue;
            }
            if let Some(Some((_, bytes, comma))) = flows.get(i) {
                blank_flow(&mut out, bytes.clone(), *comma);
                continue;
            }
            for line in range.clone() {
                let (Some(&start), Some(content)) = (starts.get(line), lines.get(line)) else {
                    continue;
                };
                let content = content.trim_end_matches(['\r', '\n']).len();
                for byte in out.iter_mut().skip(start).take(content) {
                    *byte = b' ';
                }
            }
        }
        // Whole lines of ASCII and UTF-8 sequences were replaced by spaces: still UTF-8.
        String::from_utf8_lossy(&out).into_owned()
    };
    let mut broken = BTreeSet::new();
    let mut errors = Vec::new();
    let mut broken_items = Vec::new();
    for (k, (range, _, _)) in items.iter().enumerate() {
        let alone = masked(&|i| i != k);
        if let Err(e) = serde_saphyr::from_str_with_options::<T>(&alone, yaml_options()) {
            let line = e
                .location()
                .and_then(|l| usize::try_from(l.line()).ok())
                .unwrap_or(0);
            // The parser may place a problem of the item (a missing member) where the item
            // ends: at the next line holding anything, the others being blank. A problem before
            // the item is the set's own: the usual single report. (One after it that is the set's
            // own makes the last parse below fail, with the same result.)
            let alone_lines: Vec<&str> = alone.split_inclusive('\n').collect();
            let end = (range.end() + 1..alone_lines.len())
                .find(|&i| alone_lines.get(i).is_some_and(|l| !l.trim().is_empty()))
                .unwrap_or(usize::MAX);
            if line == 0 || line - 1 < *range.start() || line - 1 > end {
                return None;
            }
            broken.insert(k);
            errors.push(e);
            broken_items.push(BrokenItem {
                lines: range.clone(),
                flow: flows
                    .get(k)
                    .and_then(|f| f.as_ref().map(|(braces, _, _)| braces.clone())),
                requirement: k < requirements,
                alone,
            });
        }
    }
    let mut rest = masked(&|i| broken.contains(&i));
    // A list whose every item is broken would be left empty, which is not a list: it becomes `[]`
    // where its first item's `- ` was.
    let lists = [
        0..requirements,
        requirements..requirements + shape.policies.len(),
        requirements + shape.policies.len()..items.len(),
    ];
    for list in lists {
        if list.is_empty() || !list.clone().all(|i| broken.contains(&i)) {
            continue;
        }
        let Some(first) = items.get(list.start).map(|(range, _, _)| *range.start()) else {
            continue;
        };
        let (Some(&start), Some(line)) = (starts.get(first), lines.get(first)) else {
            continue;
        };
        let dash = indent(line);
        if line.get(dash..).is_some_and(|l| l.starts_with("- "))
            && rest.is_char_boundary(start + dash + 2)
        {
            rest.replace_range(start + dash..start + dash + 2, "[]");
        }
    }
    let raw = serde_saphyr::from_str_with_options::<T>(&rest, yaml_options()).ok()?;
    let broken_ids = items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| broken.contains(i))
        .filter_map(|(_, (_, id, location))| id.map(|id| (id, location)))
        .collect();
    Some(Salvage {
        raw,
        errors,
        broken_ids,
        broken_items,
    })
}

/// The byte offset of a 1-based line and column (in characters) of `text`.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let rest = text.get(line_start..)?;
    let within = rest
        .char_indices()
        .nth(column.checked_sub(1)?)
        .map(|(i, _)| i)?;
    Some(line_start + within)
}

/// The end (past its closing bracket) of the flow collection (`{...}` or `[...]`) opening at byte
/// `start` of `text`, and the byte ranges of its top-level entries (white space and comments
/// around them left out; the commas between them too). Quotes, nested collections and comments
/// are skipped as YAML reads them. `None` when it does not close.
pub(crate) fn flow_entries(
    text: &str,
    start: usize,
) -> Option<(usize, Vec<std::ops::Range<usize>>)> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut entries = Vec::new();
    let mut entry: Option<usize> = None;
    let mut last_content = start;
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        match b {
            // A quote opens a string only where a scalar starts (`don't` is plain text).
            b'"' | b'\''
                if bytes[..i]
                    .iter()
                    .rev()
                    .find(|c| !c.is_ascii_whitespace())
                    .is_some_and(|c| matches!(c, b'{' | b'[' | b',' | b':')) =>
            {
                entry.get_or_insert(i);
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if b == b'"' && c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if c == b {
                        if b == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                last_content = i;
            }
            b'#' if i == 0 || bytes.get(i - 1).is_some_and(u8::is_ascii_whitespace) => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'{' | b'[' => {
                if depth > 0 {
                    entry.get_or_insert(i);
                }
                depth += 1;
                last_content = i;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if let Some(from) = entry.take() {
                        entries.push(from..last_content + 1);
                    }
                    return Some((i + 1, entries));
                }
                last_content = i;
            }
            b',' if depth == 1 => {
                if let Some(from) = entry.take() {
                    entries.push(from..last_content + 1);
                }
            }
            c if c.is_ascii_whitespace() => {}
            _ => {
                entry.get_or_insert(i);
                last_content = i;
            }
        }
        i += 1;
    }
    None
}

/// Blanks a flow entry's bytes (line breaks kept) and, with `comma`, the comma after it, so the
/// collection around it still reads as one with an entry fewer.
pub(crate) fn blank_flow(out: &mut [u8], range: std::ops::Range<usize>, comma: bool) {
    let mut end = range.end;
    while out
        .get(end)
        .is_some_and(|c| *c == b' ' || *c == b'\t' || *c == b'\r' || *c == b'\n')
    {
        end += 1;
    }
    if comma && out.get(end) == Some(&b',') {
        end += 1;
    } else {
        end = range.end;
    }
    for byte in out.iter_mut().take(end).skip(range.start) {
        if *byte != b'\n' {
            *byte = b' ';
        }
    }
}

pub(super) fn span_of(text: &str, at: &Location) -> Option<(usize, usize)> {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(at.line.saturating_sub(1))
        .map(str::len)
        .sum();
    let line = text.get(line_start..)?.lines().next()?;
    let start = line_start + at.column.saturating_sub(1);
    let len = line.len().saturating_sub(at.column.saturating_sub(1));
    Some((start, len.max(1)))
}

/// Parser limits: duplicate keys rejected; aliases, nodes, depth and size bounded far below what a
/// hostile file ("billion laughs") needs, far above what a requirement set uses.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = Some(8 * 1024 * 1024);
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_nodes = 200_000;
    budget.max_depth = 32;
    budget.max_total_scalar_bytes = 8 * 1024 * 1024;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

/// The text of a file as its problems quote it (URLs' userinfo masked), shared by every problem
/// of that file: the last file's text is kept and handed out again while problems of the same
/// text are made, so that memory stays one copy of the file whatever the number of problems.
fn shared_text(text: &str) -> std::sync::Arc<str> {
    type Shared = Option<(std::sync::Arc<str>, std::sync::Arc<str>)>;
    static LAST: std::sync::Mutex<Shared> = std::sync::Mutex::new(None);
    let mut last = LAST
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((original, masked)) = last.as_ref()
        && **original == *text
    {
        return masked.clone();
    }
    let original: std::sync::Arc<str> = std::sync::Arc::from(text);
    let masked = match crate::ruleset::masked_userinfo(text) {
        std::borrow::Cow::Borrowed(_) => original.clone(),
        std::borrow::Cow::Owned(m) => std::sync::Arc::from(m),
    };
    *last = Some((original, masked.clone()));
    masked
}

/// A problem at a place in a YAML file (rule files, the configuration file).
pub(crate) fn problem<T>(
    file: &RuleFile,
    at: &Sp<T>,
    message: String,
    label: &str,
    help: Option<String>,
) -> RuleProblem {
    let location = Location {
        path: file.name.clone(),
        line: at.line,
        column: at.column,
    };
    let span = at.span.or_else(|| span_of(&file.text, &location));
    RuleProblem {
        message,
        src: NamedSource::new(file.name.clone(), shared_text(&file.text)),
        span: span.map(|(o, l)| SourceSpan::from((o, l.max(1)))),
        label: label.to_owned(),
        help: Some(help).flatten(),
        location,
    }
}

/// A YAML parse error as a [`RuleProblem`]: `{what}: {first line of the parser's message}`.
pub(crate) fn parse_problem(
    file: &RuleFile,
    error: &serde_saphyr::Error,
    what: &str,
    help: String,
) -> RuleProblem {
    let (line, column, span) = error.location().map_or((0, 0, None), |l| {
        let s = l.span();
        let to = |v: u64| usize::try_from(v).ok();
        (
            to(l.line()).unwrap_or(0),
            to(l.column()).unwrap_or(0),
            s.byte_offset()
                .and_then(to)
                .map(|o| (o, s.byte_len().and_then(to).unwrap_or(1))),
        )
    });
    let message = first_line(&error.to_string());
    // The parser reports a missing member at the mapping's last key; point at its first instead,
    // where a reader looks for what the mapping is (`- id: ...`).
    let moved = message
        .starts_with("missing field")
        .then(|| mapping_start(&file.text, line, column))
        .flatten();
    let (at, label) = match moved {
        Some((line, column)) => (
            Sp {
                value: (),
                line,
                column,
                span: None,
            },
            "this mapping lacks it",
        ),
        None => (
            Sp {
                value: (),
                line,
                column,
                span,
            },
            "here",
        ),
    };
    problem(file, &at, format!("{what}: {message}"), label, Some(help))
}

/// The line and column (1-based) of the first key of the block mapping whose key is at `line` and
/// `column`: the `- ` item it starts, or the first line of the same indentation above it. `None`
/// when the place is not a key of a block mapping (flow style, a position past the text).
pub(super) fn mapping_start(text: &str, line: usize, column: usize) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = column.checked_sub(1)?;
    let key_line = lines.get(line.checked_sub(1)?)?;
    let leading = key_line.len() - key_line.trim_start_matches(' ').len();
    if leading != indent && !key_line[leading..].starts_with("- ") {
        return None;
    }
    let mut first = line;
    for (index, text) in lines.iter().enumerate().take(line).rev() {
        let content = text.trim_start_matches(' ');
        let leading = text.len() - content.len();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with("- ") && leading + 2 == indent {
            return Some((index + 1, indent + 1));
        }
        if leading < indent {
            break;
        }
        if leading == indent {
            first = index + 1;
        }
    }
    Some((first, indent + 1))
}

pub(super) fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    // The position is shown by the label; drop serde-saphyr's copy of it.
    let line = match line.rfind(" at line ") {
        Some(i) => &line[..i],
        None => line,
    };
    let line = match line.find("line ").filter(|i| *i == 0) {
        Some(_) => line.split_once(": ").map_or(line, |(_, rest)| rest),
        None => line,
    };
    line.to_owned()
}
