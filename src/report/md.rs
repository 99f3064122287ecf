//! The one Markdown writer: every Markdown halo-audit writes (`check`, `diff` and `plan` with
//! `--format markdown`, anything posted as a pull-request comment or a step summary) puts text it
//! did not write itself through [`text`] (or [`code`], [`lines`]).
//!
//! Owns: the rule that makes tenant, server, rule-file and configuration text show as exactly the
//! characters it holds once GitHub (cmark-gfm with its extensions, then its own filters for
//! mentions, issue references and emoji) renders it, whatever it holds. Such text never becomes an
//! element, a link, an image, HTML, a comment, a mention or a new block:
//!
//! - control characters, line breaks and invisible characters are first shown as visible escapes
//!   by the terminal sanitiser ([`crate::text::shown`]): a value is always one line, so it can
//!   neither end a table row nor start a heading, list, quote, fence or HTML block;
//! - every character that starts inline markup (`\`, `` ` ``, `*`, `_`, `[`, `]`, `<`, `>`, `&`,
//!   `~`, `|`, `#`, `$`) is escaped with a backslash, so backtick runs of any length, emphasis,
//!   links, images, raw HTML, comments, entities, strikethrough, table cells and math stay text;
//! - what could start a block at the start of a value (`-`, `+`, `=`, a number followed by `.` or
//!   `)`, leading spaces) is escaped there; trailing spaces cannot make a hard line break;
//! - autolinks are broken: `:` before `/` (`http://`), the `.` after `www`, and `@` (e-mail
//!   addresses and `@user`/`@org/team` mentions, which GitHub finds in the rendered text, where a
//!   backslash no longer is) is followed by a zero-width space, as are `#` before a digit (issue
//!   references) and the `:` opening an emoji short code standing as a word (`:white_check_mark:`).
//!
//! It must not be given Markdown halo-audit writes itself (its headings, tables, `<br>` between the
//! lines of a cell): that is written around the escaped values by the reporters.

use std::fmt::Write as _;

/// A zero-width space as an entity: breaks what GitHub would link (mentions, e-mail addresses,
/// issue references, emoji short codes) without a visible change; ASCII in the Markdown itself.
const BREAK: &str = "&#8203;";

/// `value` as inline Markdown that renders as exactly its characters (after the terminal
/// sanitiser's visible escapes): see the module documentation. Safe in a paragraph, a heading, a
/// list item and a table cell, at the start of a line or after other text.
#[must_use]
pub fn text(value: &str) -> String {
    let shown = crate::text::shown(value);
    let chars: Vec<char> = shown.chars().collect();
    let mut out = String::with_capacity(shown.len() + shown.len() / 4 + 8);
    let first = chars.iter().position(|c| *c != ' ');
    let last = chars.iter().rposition(|c| *c != ' ');
    let (Some(first), Some(last)) = (first, last) else {
        // Only spaces (or nothing): spaces as entities, so the value is not lost to trimming.
        for _ in &chars {
            out.push_str("&#32;");
        }
        return out;
    };
    // The leading number of a value that would start an ordered list ("1." or "1)").
    let digits_end = chars[first..]
        .iter()
        .position(|c| !c.is_ascii_digit())
        .map_or(chars.len(), |n| first + n);
    for (i, &c) in chars.iter().enumerate() {
        let previous = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        match c {
            ' ' if i < first || i > last => out.push_str("&#32;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '~' | '|' | '$' => {
                out.push('\\');
                out.push(c);
            }
            // An entity or a character reference (`&lt;`, `&#60;`); `&` before anything else is text.
            '&' if next.is_some_and(|n| n == '#' || n.is_ascii_alphanumeric()) => {
                out.push_str("\\&");
            }
            '#' => {
                out.push_str("\\#");
                if next.is_some_and(|n| n.is_ascii_digit()) {
                    out.push_str(BREAK);
                }
            }
            // What starts a block quote, a list or a setext underline (`<`, `#`, `*`, `_`, a
            // backtick and `~` are escaped everywhere).
            '>' | '-' | '+' | '=' if i == first => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if i == digits_end && digits_end > first => {
                out.push('\\');
                out.push(c);
            }
            '.' if i >= 3 && chars[i - 3..i].iter().all(|w| w.eq_ignore_ascii_case(&'w')) => {
                out.push_str("\\.");
            }
            '@' => {
                out.push('@');
                out.push_str(BREAK);
            }
            ':' if next == Some('/') => out.push_str("\\:"),
            // An emoji short code standing as a word (`scope:edit:invoices` is left alone).
            ':' if opens_short_code(&chars[i + 1..])
                && !previous.is_some_and(|p| p.is_alphanumeric() || p == ':') =>
            {
                out.push(':');
                out.push_str(BREAK);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether `rest` (after a `:`) is the rest of an emoji short code: `name:` with a name of letters,
/// digits, `_`, `+` or `-` holding a letter (`:smile:`, `:+1:`), or one of the two all-digit names
/// (`:100:`, `:1234:`); a time (`09:00:00`) is not one.
fn opens_short_code(rest: &[char]) -> bool {
    let name: String = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'))
        .collect();
    !name.is_empty()
        && rest.get(name.chars().count()) == Some(&':')
        && (name.chars().any(|c| c.is_ascii_alphabetic() || c == '+')
            || name == "100"
            || name == "1234")
}

/// A URL halo-audit shows as a link (a rule's source): an autolink `<https://...>`, whose text is
/// the URL itself, when it is `http` or `https` and holds only characters a URL may hold unescaped
/// (no space, `<`, `>`, `"`, backtick, backslash, control or non-ASCII character); else [`text`].
#[must_use]
pub fn url(value: &str) -> String {
    let lower = value.to_ascii_lowercase();
    let plain = (lower.starts_with("https://") || lower.starts_with("http://"))
        && value.len() > "https://".len()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c));
    if plain {
        format!("<{value}>")
    } else {
        text(value)
    }
}

/// An identifier (a set id, a requirement id, a check code, a scope) as a code span when it can be
/// one without any escaping (no backtick, `|`, line break, control character or surrounding space:
/// a single backtick either side then suffices, and cannot open a fence), else as [`text`].
#[must_use]
pub fn code(value: &str) -> String {
    let plain = !value.is_empty()
        && !value.starts_with(' ')
        && !value.ends_with(' ')
        && !value.contains(['`', '|'])
        && matches!(crate::text::shown(value), std::borrow::Cow::Borrowed(_));
    if plain {
        format!("`{value}`")
    } else {
        text(value)
    }
}

/// Values on lines of their own in one table cell (or paragraph): each through [`text`], joined by
/// `<br>`, with repeats left out.
#[must_use]
pub fn lines<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    let mut out = String::new();
    for (i, value) in seen.iter().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        let _ = write!(out, "{}", text(value));
    }
    out
}

/// A table row of cells already made safe (by [`text`], [`code`], [`lines`] or the tool's own
/// words): `| a | b |` and a line break.
#[must_use]
pub fn row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = String::from("|");
    for cell in cells {
        let _ = write!(out, " {} |", cell.as_ref());
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_stay_readable() {
        assert_eq!(text("Cloud Depot API"), "Cloud Depot API");
        assert_eq!(text("read:tickets"), "read:tickets");
        assert_eq!(text("Zoë (API), 2nd"), "Zoë (API), 2nd");
        assert_eq!(text("a-b + c = d."), "a-b + c = d.");
    }

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(text("*x* _y_ ~z~"), "\\*x\\* \\_y\\_ \\~z\\~");
        assert_eq!(text("```<details>"), "\\`\\`\\`\\<details>");
        assert_eq!(text("![a](b)"), "!\\[a\\](b)");
        assert_eq!(text("a|b\\"), "a\\|b\\\\");
        assert_eq!(text("&amp; &#60; $x$"), "\\&amp; \\&\\#&#8203;60; \\$x\\$");
        assert_eq!(text("<!-- x -->"), "\\<!-- x -->");
        assert_eq!(text("Teams & Agents > Roles"), "Teams & Agents > Roles");
    }

    #[test]
    fn a_value_never_starts_a_block_or_a_line() {
        assert_eq!(text("# h"), "\\# h");
        assert_eq!(text("> quote"), "\\> quote");
        assert_eq!(text("- a"), "\\- a");
        assert_eq!(text("+ a"), "\\+ a");
        assert_eq!(text("==="), "\\===");
        assert_eq!(text("12. a"), "12\\. a");
        assert_eq!(text("3) a"), "3\\) a");
        assert_eq!(text("    code"), "&#32;&#32;&#32;&#32;code");
        assert_eq!(text("x  "), "x&#32;&#32;");
        assert_eq!(text("a\nb\r\n"), "a\\\\nb\\\\r\\\\n");
        assert_eq!(text("  "), "&#32;&#32;");
        assert_eq!(text(""), "");
    }

    #[test]
    fn links_mentions_and_references_are_broken() {
        assert_eq!(text("http://x"), "http\\://x");
        assert_eq!(text("WWW.x"), "WWW\\.x");
        assert_eq!(text("a@b.c @octocat"), "a@&#8203;b.c @&#8203;octocat");
        assert_eq!(text("#12"), "\\#&#8203;12");
        assert_eq!(text(":smile: a:b"), ":&#8203;smile: a:b");
        assert_eq!(text(":+1: :100:"), ":&#8203;+1: :&#8203;100:");
        assert_eq!(text("09:00:00Z"), "09:00:00Z");
        assert_eq!(text("scope:edit:invoices"), "scope:edit:invoices");
    }

    #[test]
    fn identifiers_are_code_only_when_safe() {
        assert_eq!(code("cloud-depot"), "`cloud-depot`");
        assert_eq!(code("a`b"), "a\\`b");
        assert_eq!(code("a|b"), "a\\|b");
        assert_eq!(code("a\nb"), "a\\\\nb");
        assert_eq!(code(" x"), "&#32;x");
        assert_eq!(code(""), "");
    }

    #[test]
    fn only_plain_web_addresses_are_links() {
        assert_eq!(
            url("https://docs.example/a?b=1#c"),
            "<https://docs.example/a?b=1#c>"
        );
        assert_eq!(
            url("https://x.example/>[y](z)"),
            r"https\://x.example/>\[y\](z)"
        );
        assert_eq!(url("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(url("https://"), "https\\://");
        assert_eq!(url("https://a b"), "https\\://a b");
    }

    #[test]
    fn lines_are_joined_without_repeats() {
        assert_eq!(lines(["a", "b|c", "a"]), "a<br>b\\|c");
        assert_eq!(row(&["a", "b"]), "| a | b |\n");
    }
}
