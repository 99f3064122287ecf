//! Diagnostics whose quoted lines are too long to show whole.
//!
//! Owns: the view of a diagnostic (and of those related to it or causing it) in which every source
//! line longer than [`LONG_LINE`] bytes is cut to a window around its labels, with `…` where it was
//! cut; labels move with the text, and the place in the header (`file:line:column`) and the line
//! numbers in the gutter stay those of the real file. A rule file, configuration or overlay may hold
//! a line of any length (a minified file, a pasted page), and the renderer cannot place a label
//! past column 65,535; nor would a reader want the whole line. It must not change anything else.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan};

/// A line longer than this many bytes is shown as a window.
const LONG_LINE: usize = 512;
/// Bytes shown before the first label on a long line.
const BEFORE: usize = 60;
/// Bytes of a long line shown in all.
const WIDTH: usize = 200;
/// Where a long line was cut.
const CUT: &str = "…";

/// `inner` with its long lines cut to windows (see the module documentation).
pub(crate) struct Windowed<'a> {
    inner: &'a dyn Diagnostic,
    source: Option<WindowedSource>,
    labels: Option<Vec<LabeledSpan>>,
    related: Vec<Windowed<'a>>,
    cause: Option<Box<Windowed<'a>>>,
}

impl<'a> Windowed<'a> {
    pub(crate) fn new(inner: &'a dyn Diagnostic) -> Self {
        let related = inner
            .related()
            .map(|r| r.map(Windowed::new).collect())
            .unwrap_or_default();
        let cause = inner
            .diagnostic_source()
            .map(|c| Box::new(Windowed::new(c)));
        let original: Option<Vec<LabeledSpan>> = inner.labels().map(Iterator::collect);
        let anchors: Vec<usize> = original.iter().flatten().map(LabeledSpan::offset).collect();
        let source = inner
            .source_code()
            .and_then(|s| WindowedSource::of(s, &anchors));
        let labels = source.as_ref().and_then(|source| {
            original.map(|labels| {
                labels
                    .into_iter()
                    .map(|l| {
                        let start = source.map(l.offset());
                        let end = source.map(l.offset().saturating_add(l.len())).max(start);
                        let span = SourceSpan::from((start, end - start));
                        let text = l.label().map(ToOwned::to_owned);
                        if l.primary() {
                            LabeledSpan::new_primary_with_span(text, span)
                        } else {
                            LabeledSpan::new_with_span(text, span)
                        }
                    })
                    .collect()
            })
        });
        Self {
            inner,
            source,
            labels,
            related,
            cause,
        }
    }
}

impl fmt::Debug for Windowed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.inner, f)
    }
}

impl fmt::Display for Windowed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.inner, f)
    }
}

impl std::error::Error for Windowed<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

impl Diagnostic for Windowed<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.help()
    }
    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.url()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        match &self.source {
            Some(source) => Some(source),
            None => self.inner.source_code(),
        }
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        match &self.labels {
            Some(labels) => Some(Box::new(labels.iter().cloned())),
            None if self.source.is_some() => None,
            None => self.inner.labels(),
        }
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        let mine: Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b> =
            Box::new(self.related.iter().map(|r| r as &dyn Diagnostic));
        self.inner.related().map(|_| mine)
    }
    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.cause.as_deref().map(|c| c as &dyn Diagnostic)
    }
}

/// One long line as shown: the original line `[start, end)`, the part `[from, to)` shown, where
/// the shown line starts and where the shown part starts in the new text, and the shift of every
/// offset after the line.
#[derive(Debug, Clone, Copy)]
struct Cut {
    start: usize,
    end: usize,
    from: usize,
    to: usize,
    new_start: usize,
    new_from: usize,
    new_end: usize,
}

/// A source whose long lines are cut, reporting the columns of the original.
#[derive(Debug)]
struct WindowedSource {
    name: Option<String>,
    text: String,
    cuts: Vec<Cut>,
}

impl WindowedSource {
    /// The windowed copy of `source`, or `None` when it has no long line (or cannot be read
    /// whole).
    fn of(source: &dyn SourceCode, anchors: &[usize]) -> Option<Self> {
        // Zero lines before and every line after an empty span at 0: the whole text.
        let whole = source
            .read_span(&SourceSpan::from((0, 0)), 0, usize::MAX)
            .ok()?;
        let original = std::str::from_utf8(whole.data()).ok()?;
        if original.split('\n').all(|l| l.len() <= LONG_LINE) {
            return None;
        }
        let name = whole.name().map(ToOwned::to_owned);
        Some(Self::cut(name, original, anchors))
    }

    /// `original` with each long line cut to a window starting a little before the first of
    /// `anchors` on it (or at its start).
    fn cut(name: Option<String>, original: &str, anchors: &[usize]) -> Self {
        let mut text = String::with_capacity(original.len().min(1 << 20));
        let mut cuts = Vec::new();
        let mut start = 0;
        for line in original.split_inclusive('\n') {
            let body = line.strip_suffix('\n').unwrap_or(line);
            let end = start + body.len();
            if body.len() <= LONG_LINE {
                text.push_str(line);
            } else {
                let anchor = anchors
                    .iter()
                    .copied()
                    .filter(|a| (start..=end).contains(a))
                    .min()
                    .unwrap_or(start);
                let from = floor_boundary(original, anchor.saturating_sub(BEFORE).max(start));
                let to = floor_boundary(original, (from + WIDTH).min(end));
                let new_start = text.len();
                if from > start {
                    text.push_str(CUT);
                }
                let new_from = text.len();
                text.push_str(&original[from..to]);
                if to < end {
                    text.push_str(CUT);
                }
                let new_end = text.len();
                text.push_str(&line[body.len()..]);
                cuts.push(Cut {
                    start,
                    end,
                    from,
                    to,
                    new_start,
                    new_from,
                    new_end,
                });
            }
            start += line.len();
        }
        Self { name, text, cuts }
    }

    /// Where the original `offset` is in the shown text (an offset in a part cut away goes to the
    /// nearest end of what is shown).
    fn map(&self, offset: usize) -> usize {
        let i = self.cuts.partition_point(|c| c.start <= offset);
        let Some(cut) = i.checked_sub(1).and_then(|i| self.cuts.get(i)) else {
            return offset;
        };
        if offset >= cut.end {
            offset - cut.end + cut.new_end
        } else {
            cut.new_from + (offset.clamp(cut.from, cut.to) - cut.from)
        }
    }

    /// Where the shown `offset` was in the original text.
    fn unmap(&self, offset: usize) -> usize {
        let i = self.cuts.partition_point(|c| c.new_start <= offset);
        let Some(cut) = i.checked_sub(1).and_then(|i| self.cuts.get(i)) else {
            return offset;
        };
        if offset >= cut.new_end {
            offset - cut.new_end + cut.end
        } else if offset == cut.new_start {
            cut.start
        } else {
            cut.from
                + (offset.clamp(cut.new_from, cut.new_from + (cut.to - cut.from)) - cut.new_from)
        }
    }
}

/// The largest char boundary of `text` at or before `at`.
fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl SourceCode for WindowedSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, MietteError> {
        let contents =
            self.text
                .as_bytes()
                .read_span(span, context_lines_before, context_lines_after)?;
        // The column of the real file (bytes from the start of its line, as miette counts).
        let column = if context_lines_before == 0 {
            let at = span.offset().min(self.text.len());
            let line_start = self.text.as_bytes()[..at]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            self.unmap(at) - self.unmap(line_start)
        } else {
            contents.column()
        };
        let (data, at, line, lines) = (
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.line_count(),
        );
        Ok(Box::new(match &self.name {
            Some(name) => {
                MietteSpanContents::new_named(name.clone(), data, at, line, column, lines)
            }
            None => MietteSpanContents::new(data, at, line, column, lines),
        }))
    }
}
