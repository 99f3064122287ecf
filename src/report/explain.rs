//! `halo-audit explain`: without a code, the list of codes; with one, its documentation as plain
//! text for a terminal (the Markdown of `docs/checks/` stays for the docs): headings as lines of
//! their own (bold with colour), paragraphs wrapped to the width and indented, no Markdown markup.

use tabled::Tabled;

use crate::diag::Code;

use super::Style;

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "code")]
    code: &'static str,
    #[tabled(rename = "default")]
    severity: &'static str,
    #[tabled(rename = "summary")]
    summary: &'static str,
}

/// A table of every code, fitting `width` columns.
#[must_use]
pub fn list(width: usize) -> String {
    let rows: Vec<Row> = Code::ALL
        .iter()
        .map(|c| Row {
            code: c.as_str(),
            severity: c.default_severity().as_str(),
            summary: c.summary(),
        })
        .collect();
    let table = crate::text::fitted_table(rows, width);
    let hint = wrapped(
        "Run `halo-audit explain CODE` for what a code checks, why it matters and how to fix it.",
        width,
        "",
    );
    format!("{table}\n\n{hint}\n")
}

/// The width `explain` wraps to: see [`super::terminal_width`].
#[must_use]
pub fn width() -> usize {
    super::terminal_width()
}

/// Words of `text` in lines of at most `width` characters (a longer word has a line of its own),
/// each starting with `indent`.
fn wrapped(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let fits = line.is_empty()
            || indent.chars().count() + line.chars().count() + 1 + word.chars().count() <= width;
        if !fits {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A code's documentation for a terminal: `CODE (default severity)`, its summary, then "What it
/// does", "Why it matters" and "How to fix", each paragraph wrapped to `width` and indented.
/// Code spans keep their backticks without colour and are bold with it.
#[must_use]
pub fn code(code: Code, style: &Style, width: usize) -> String {
    let bold = |text: &str| {
        if style.color {
            format!("\u{1b}[1m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    };
    let spans = |text: &str| {
        if !style.color || !text.matches('`').count().is_multiple_of(2) {
            return text.to_owned();
        }
        text.split('`')
            .enumerate()
            .map(|(i, part)| {
                if i % 2 == 1 {
                    bold(part)
                } else {
                    part.to_owned()
                }
            })
            .collect()
    };
    let mut out = format!(
        "{} ({} by default)\n{}",
        bold(code.as_str()),
        code.default_severity(),
        wrapped(&format!("{}.", code.summary()), width, "")
    );
    for (heading, text) in [
        ("What it does", code.what()),
        ("Why it matters", code.why()),
        ("How to fix", code.fix()),
    ] {
        out.push('\n');
        out.push_str(&bold(heading));
        out.push('\n');
        // Wrapped before styling, so escape sequences never count towards the width.
        out.push_str(&spans(&wrapped(text, width, "  ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_as_plain_text_within_the_width() {
        let style = Style::default();
        for c in Code::ALL {
            let text = code(*c, &style, 80);
            assert!(text.starts_with(c.as_str()), "{text}");
            for marker in ["# ", "**", "## "] {
                assert!(!text.contains(marker), "{marker} in {text}");
            }
            for section in ["What it does", "Why it matters", "How to fix"] {
                assert!(text.contains(&format!("\n{section}\n  ")), "{text}");
            }
            for line in text.lines() {
                // Only a single word longer than the line may overflow it.
                assert!(
                    line.chars().count() <= 80 || !line.trim().contains(' '),
                    "{line}"
                );
            }
            assert!(!text.contains('\u{1b}'));
        }
        let coloured = code(
            Code::MissingGrant,
            &Style {
                color: true,
                ..Style::default()
            },
            60,
        );
        assert!(
            coloured.contains("\u{1b}[1mHow to fix\u{1b}[0m"),
            "{coloured}"
        );
        assert!(!coloured.contains('`'), "{coloured}");
    }

    #[test]
    fn wrapping_keeps_every_word_in_order() {
        let text = "one two three four five six seven eight nine ten";
        let out = wrapped(text, 14, "  ");
        assert_eq!(
            out,
            "  one two\n  three four\n  five six\n  seven eight\n  nine ten\n"
        );
        assert_eq!(wrapped("", 10, "  "), "");
        assert_eq!(
            wrapped("averyveryverylongword x", 8, ""),
            "averyveryverylongword\nx\n"
        );
    }
}
