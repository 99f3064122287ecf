//! Tenant and server text made safe to print on a terminal or in a CI log.
//!
//! Owns: the one rule for showing text halo-audit did not write (agent, team, role and
//! application names, messages a server sent, values from a snapshot or configuration).
//! Control characters, escape sequences, bidirectional overrides and invisible format characters
//! are shown as visible escapes (`\u{1b}`, `\n`), so such text can neither move the cursor,
//! recolour or retitle a terminal, reorder what is shown, nor start a new output line; and the
//! markers of CI workflow commands (`::` of GitHub Actions, `##[` of Azure Pipelines and GitHub's
//! older syntax) are broken, so data is never read as a command. It must not be applied to text
//! halo-audit writes itself (its own newlines and annotations are meant).

use std::borrow::Cow;

/// `text` as it may be shown: see the module documentation. Text that needs nothing is borrowed.
#[must_use]
pub fn shown(text: &str) -> Cow<'_, str> {
    escaped(text, true)
}

/// [`shown`], breaking `::` everywhere (`every_colons`) or only where it starts the text after
/// white space (where a workflow command would begin).
fn escaped(text: &str, every_colons: bool) -> Cow<'_, str> {
    let leading_colons = text.trim_start_matches([' ', '\t']).starts_with("::");
    if !text.chars().any(needs_escape)
        && !(if every_colons {
            text.contains("::")
        } else {
            leading_colons
        })
        && !text.contains("##[")
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut previous = None;
    let mut at_start = true;
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            // `::` becomes `:\:`, `##[` becomes `##\[`: visible, and no longer a command.
            ':' if previous == Some(':') && (every_colons || at_start) => out.push_str("\\:"),
            '[' if out.ends_with("##") => out.push_str("\\["),
            c => out.push(c),
        }
        if !(c == ' ' || c == '\t' || (c == ':' && previous != Some(':'))) {
            at_start = false;
        }
        previous = Some(c);
    }
    Cow::Owned(out)
}

/// [`shown`] of each line of `text`, keeping its line breaks, and breaking `::` only where it
/// starts a line (so `halo_audit::code` stays as it is): for a whole rendered output without
/// colours of its own, so that whatever untrusted text it holds can neither drive a terminal nor be
/// read as a workflow command. Field by field ([`shown`]) is still better: it keeps a newline in a
/// name from starting a line at all.
#[must_use]
pub fn shown_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escaped(line, false));
    }
    out
}

/// The most items [`bounded_list`] names.
pub const LIST_LIMIT: usize = 32;

/// `items` joined with `, `, naming at most [`LIST_LIMIT`] of them (`a, b, … and 7 more`): for a
/// list repeated in many findings or changes (an application's scopes), whose size a tenant
/// chooses, so that memory stays linear in the tenant however long the list.
#[must_use]
pub fn bounded_list<S: AsRef<str>>(items: &[S], separator: &str) -> String {
    let shown: Vec<&str> = items.iter().take(LIST_LIMIT).map(AsRef::as_ref).collect();
    let mut out = shown.join(separator);
    if items.len() > LIST_LIMIT {
        out.push_str(&format!(
            "{separator}… and {} more ({} in all)",
            items.len() - LIST_LIMIT,
            items.len()
        ));
    }
    out
}

/// A table of `rows` (a sharp frame, a header row) that fits `width` columns: while it is too wide,
/// its widest column loses a column, down to its longest word (then to 6, then to 1), and cells are wrapped at
/// word boundaries (a word longer than its column is split). Nothing is cut: every word of every
/// cell is still shown. Cell text is used as it is (make tenant text safe first).
#[must_use]
pub fn fitted_table<T: tabled::Tabled>(
    rows: impl IntoIterator<Item = T>,
    width: usize,
) -> tabled::Table {
    fitted(rows, width, true).unwrap_or_default()
}

/// [`fitted_table`] if it fits without splitting a word, else `None` (for a list instead).
#[must_use]
pub fn fitted_table_whole<T: tabled::Tabled>(
    rows: impl IntoIterator<Item = T>,
    width: usize,
) -> Option<tabled::Table> {
    fitted(rows, width, false)
}

fn fitted<T: tabled::Tabled>(
    rows: impl IntoIterator<Item = T>,
    width: usize,
    split_words: bool,
) -> Option<tabled::Table> {
    let header: Vec<String> = T::headers().into_iter().map(String::from).collect();
    let records: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| r.fields().into_iter().map(String::from).collect())
        .collect();
    let line_width = |cell: &str| cell.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let word_width = |cell: &str| {
        cell.split_whitespace()
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0)
    };
    let all = || std::iter::once(&header).chain(&records);
    let mut widths: Vec<usize> = (0..header.len())
        .map(|c| {
            all()
                .map(|r| r.get(c).map_or(0, |x| line_width(x)))
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Columns give way to their longest word first, then (if still too wide) down to 6.
    let floors: Vec<usize> = (0..header.len())
        .map(|c| {
            all()
                .map(|r| r.get(c).map_or(0, |x| word_width(x)))
                .max()
                .unwrap_or(0)
        })
        .collect();
    // `│ a │ b │`: a border and a space either side of each cell.
    let frame = 3 * header.len() + 1;
    let floors_tried: &[Option<usize>] = if split_words {
        &[None, Some(6), Some(1)]
    } else {
        &[None]
    };
    for &floor in floors_tried {
        while widths.iter().sum::<usize>() + frame > width {
            let widest = (0..widths.len())
                .filter(|&c| widths[c] > floor.unwrap_or(floors[c]).max(1))
                .max_by_key(|&c| (widths[c], c));
            match widest {
                Some(c) => widths[c] -= 1,
                None => break,
            }
        }
    }
    if !split_words && widths.iter().sum::<usize>() + frame > width {
        return None;
    }
    let mut builder = tabled::builder::Builder::default();
    for record in all() {
        builder.push_record(
            record
                .iter()
                .zip(&widths)
                .map(|(cell, &w)| wrap_cell(cell, w)),
        );
    }
    let mut table = builder.build();
    table.with(tabled::settings::Style::sharp());
    Some(table)
}

/// Every line of `text` longer than `width` characters wrapped at word boundaries, its continuation
/// lines indented two more than it (a word longer than the room has a line of its own); shorter
/// lines, and their spacing, as they are. For plain text without colours.
#[must_use]
pub fn fit_lines(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.chars().count() <= width {
            out.push_str(line);
            continue;
        }
        let content = line.trim_start_matches(' ');
        let lead = &line[..line.len() - content.len()];
        let indent = format!("{lead}  ");
        let mut current = lead.to_owned();
        let mut fresh = true;
        for word in content.split(' ').filter(|w| !w.is_empty()) {
            if !fresh && current.chars().count() + 1 + word.chars().count() > width {
                out.push_str(&current);
                out.push('\n');
                current.clone_from(&indent);
                fresh = true;
            }
            if !fresh {
                current.push(' ');
            }
            current.push_str(word);
            fresh = false;
        }
        out.push_str(&current);
    }
    out
}

/// `cell` in lines of at most `width` characters, at word boundaries (a longer word is split).
pub(crate) fn wrap_cell(cell: &str, width: usize) -> String {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    for paragraph in cell.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let mut word: Vec<char> = word.chars().collect();
            if !line.is_empty() && line.chars().count() + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            while word.len() > width {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(word.drain(..width).collect());
            }
            if !word.is_empty() {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.extend(word);
            }
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// [`shown`] as an owned string.
#[must_use]
pub fn shown_owned(text: &str) -> String {
    shown(text).into_owned()
}

/// Characters that must never reach a terminal as they are: control characters, bidirectional
/// overrides and isolates, invisible format characters.
#[must_use]
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Zero-width characters and left-to-right / right-to-left marks.
            '\u{200b}'..='\u{200f}'
            // Line and paragraph separators, bidirectional embeddings and overrides.
            | '\u{2028}'..='\u{202e}'
            // Word joiner, invisible operators, bidirectional isolates.
            | '\u{2060}'..='\u{2069}'
            | '\u{061c}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
        )
}

/// JSON text made safe to print: every character [`needs_escape`] names is written as a `\uXXXX`
/// escape, and the markers of CI workflow commands are broken the same way (`::` as `:\u003a`,
/// `##[` as `##\u005b`), so printing it drives no terminal and no CI log. For JSON whose own
/// syntax is ASCII with `"`, `\\` and C0 controls escaped in strings (serde_json's): what is left
/// to escape can only be inside a string, so the text reads back to the same values. Raw newlines
/// are the document's own and are kept.
#[must_use]
pub fn safe_json(json: &str) -> Cow<'_, str> {
    let unsafe_at = |c: char, previous: Option<char>| {
        (needs_escape(c) && c != '\n') || (c == ':' && previous == Some(':'))
    };
    let mut previous = None;
    let clean = json.chars().all(|c| {
        let ok = !unsafe_at(c, previous);
        previous = Some(c);
        ok
    }) && !json.contains("##[");
    if clean {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    let mut previous = None;
    for c in json.chars() {
        if c == ':' && previous == Some(':') {
            out.push_str("\\u003a");
        } else if unsafe_at(c, previous) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else if c == '[' && out.ends_with("##") {
            out.push_str("\\u005b");
        } else {
            out.push(c);
        }
        previous = Some(c);
    }
    Cow::Owned(out)
}

/// A JSON document of `value` as the reports write it: pretty, [`safe_json`], ending in a newline.
#[must_use]
pub fn json_document<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let json =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let mut text = made_safe(json);
    text.push('\n');
    text
}

/// [`safe_json`] of an owned text, copied only when something was escaped.
#[must_use]
pub fn made_safe(json: String) -> String {
    match safe_json(&json) {
        Cow::Owned(safe) => Some(safe),
        Cow::Borrowed(_) => None,
    }
    .unwrap_or(json)
}

/// The SHA-256 of some bytes, in lower-case hex (a report's record of the files a run read).
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = String::with_capacity(64);
    for b in digest.as_ref() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for text in [
            "Cloud Depot",
            "Zoë Müller",
            "Rewst (API)",
            "a: b",
            "#1 [x]",
            "日本",
        ] {
            assert!(
                matches!(shown(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn control_characters_and_bidi_overrides_are_shown_visibly() {
        assert_eq!(shown("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(shown("x\u{1b}]0;title\u{7}"), "x\\u{1b}]0;title\\u{7}");
        assert_eq!(shown("nul\0"), "nul\\u{0}");
        assert_eq!(shown("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(shown("a\u{2066}b\u{2069}"), "a\\u{2066}b\\u{2069}");
        assert_eq!(shown("c1\u{9b}31m"), "c1\\u{9b}31m");
        assert_eq!(shown("zw\u{200b}j"), "zw\\u{200b}j");
    }

    #[test]
    fn json_is_made_safe_to_print_and_reads_back_the_same() {
        let plain = serde_json::to_string_pretty(&json!({"name": "Ann: admin", "n": [1]})).unwrap();
        assert!(matches!(safe_json(&plain), Cow::Borrowed(_)));
        let value = json!({
            "name": "a\u{1b}[2J\u{9b}31m\u{202e}txt\u{2066}\u{200b}\u{2028}\u{feff}",
            "ci": "::error::x ::: ##[group]",
            "lines": "one\ntwo",
        });
        let text = json_document(&value);
        assert!(
            !text.chars().any(|c| needs_escape(c) && c != '\n'),
            "{text}"
        );
        assert!(!text.contains("::") && !text.contains("##["), "{text}");
        assert!(text.contains(r"\u009b31m\u202etxt") && text.contains(r":\u003aerror:\u003ax"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
        // The document's own line breaks stay.
        assert_eq!(text.lines().count(), 5);
    }

    #[test]
    fn newlines_never_start_an_output_line() {
        let text = shown("name\n::error::All checks passed\r\n##[error]x");
        assert!(!text.contains('\n') && !text.contains('\r'), "{text}");
        assert_eq!(
            text,
            "name\\n:\\:error:\\:All checks passed\\r\\n##\\[error]x"
        );
    }

    #[test]
    fn tables_fit_the_width_and_keep_every_word() {
        let rows = [
            [
                "set-id",
                "a long description of what this set needs from the tenant, in words",
            ],
            ["another-identifier", "short"],
        ];
        let text = fitted_table(rows, 40).to_string();
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        // The long column gave way; the identifiers are whole.
        for word in [
            "another-identifier",
            "description",
            "tenant,",
            "words",
            "short",
        ] {
            assert!(text.contains(word), "{word} lost: {text}");
        }
        // A table that fits is as tabled draws it.
        let mut plain = tabled::Table::new([["a", "b"]]);
        plain.with(tabled::settings::Style::sharp());
        assert_eq!(
            fitted_table([["a", "b"]], 40).to_string(),
            plain.to_string()
        );
        // Too narrow for the longest word: words are split, still within the width.
        let text = fitted_table([["abcdefghijklmnopqrstuvwxyz", "x"]], 20).to_string();
        assert!(text.lines().all(|l| l.chars().count() <= 20), "{text}");
        assert!(fitted_table_whole([["abcdefghijklmnopqrstuvwxyz", "x"]], 20).is_none());
        assert_eq!(wrap_cell("abcdefgh ij", 3), "abc\ndef\ngh\nij");
        assert_eq!(wrap_cell("a b c", 3), "a b\nc");
    }

    #[test]
    fn long_lines_wrap_under_their_indentation() {
        let text = "short  line\n  - a line of several words that is too long\n\nend";
        assert_eq!(
            fit_lines(text, 20),
            "short  line\n  - a line of\n    several words\n    that is too long\n\nend"
        );
        assert_eq!(fit_lines("abcdefghij klm", 5), "abcdefghij\n  klm");
    }

    #[test]
    fn long_lists_are_cut_and_counted() {
        assert_eq!(bounded_list(&["a", "b"], ", "), "a, b");
        let many: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let text = bounded_list(&many, ", ");
        assert!(text.starts_with("0, 1, 2"), "{text}");
        assert!(text.ends_with(", 31, … and 68 more (100 in all)"), "{text}");
    }

    #[test]
    fn whole_outputs_keep_their_lines() {
        assert_eq!(
            shown_lines("a\n::error::x\n\u{1b}[2J\n"),
            "a\n:\\:error::x\n\\u{1b}[2J\n"
        );
        assert_eq!(shown_lines("plain\ntext"), "plain\ntext");
        assert_eq!(
            shown_lines("  × halo_audit::rules::invalid\n  ::warning::x\n:::"),
            "  × halo_audit::rules::invalid\n  :\\:warning::x\n:\\::"
        );
    }

    #[test]
    fn workflow_command_markers_are_broken() {
        assert_eq!(shown("::add-mask::x"), ":\\:add-mask:\\:x");
        assert_eq!(shown(":::"), ":\\:\\:");
        assert_eq!(shown("see ##[group]x"), "see ##\\[group]x");
        assert_eq!(shown("###[x"), "###\\[x");
        for hostile in [
            "::error::x",
            "a::b",
            "##[warning]",
            "\n::set-output name=x::y",
        ] {
            let out = shown(hostile);
            assert!(!out.contains("::") && !out.contains("##["), "{out}");
        }
    }
}
