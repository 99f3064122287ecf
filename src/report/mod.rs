//! Reporters: one file per output format, all fed by the same [`Outcome`].
//!
//! Owns: everything written to standard output, and report files (atomically). Nothing else in the
//! crate prints. Reporters never change findings; they only render them.

pub mod checklist;
pub mod csv;
pub mod diff;
pub mod explain;
pub mod fetch;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod human;
pub mod init;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod md;
pub mod plan;
pub mod ratchet;
pub mod rules;
pub mod sarif;
pub mod snapshot;
pub mod table;
mod window;

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::catalog::Catalog;
use crate::check::{Finding, Outcome, SetState, Subject};
use crate::ruleset::{Library, Location};
use crate::tenant::Tenant;
use crate::text::shown;
use crate::verdict::FailOn;
pub use crate::verdict::{Gate, Verdict, below_min_coverage, gates, gates_finding, verdict};

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with rule-file snippets, then a summary table per set.
    Human,
    /// One table row per finding (severity, code, set, requirement, subject, permission, values).
    Table,
    /// The versioned JSON report (docs/json-report.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: a test suite per requirement set, a test case per requirement or policy.
    Junit,
    /// GitHub Actions workflow commands: one annotation per finding.
    Github,
    /// Markdown for a ticket or a GitHub step summary.
    Markdown,
    /// GitLab Code Quality: a JSON array of issues for `artifacts:reports:codequality`.
    Gitlab,
    /// A self-contained HTML report to hand over (inline style, no script, printable).
    Html,
    /// CSV (RFC 4180): one row per finding, for spreadsheets.
    Csv,
}

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    pub verbose: u8,
    pub quiet: bool,
    /// The columns the human report fits in: the terminal's (`COLUMNS`) when standard output is
    /// one, else 80 so that what is written to a file or a pipe does not depend on the terminal.
    /// 0 means 80.
    pub width: usize,
}

impl Style {
    /// The columns to fit in (80 unless set).
    #[must_use]
    pub fn columns(&self) -> usize {
        if self.width == 0 { 80 } else { self.width }
    }
}

/// The width of the terminal on standard output (`COLUMNS`, at least 40), or 80 when standard
/// output is not a terminal or `COLUMNS` is not set.
#[must_use]
pub fn terminal_width() -> usize {
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .map_or(80, |c| c.clamp(40, 1000))
    } else {
        80
    }
}

/// Words of `text` in lines of at most `width` characters (a longer word has a line of its own);
/// every line but the first starts with `indent`. Line breaks in `text` are kept.
#[must_use]
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for (n, paragraph) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        let mut first = n == 0;
        let lead = |first: bool| if first { 0 } else { indent.chars().count() };
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            if !line.is_empty()
                && lead(first) + line.chars().count() + 1 + word.chars().count() > width
            {
                if !first {
                    out.push_str(indent);
                }
                out.push_str(&line);
                out.push('\n');
                line.clear();
                first = false;
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !first {
            out.push_str(indent);
        }
        out.push_str(&line);
    }
    out
}

/// What a reporter may consult besides the outcome.
#[derive(Debug)]
pub struct Context<'a> {
    pub tenant: &'a Tenant,
    pub library: &'a Library,
    pub catalog: &'a Catalog,
    pub style: &'a Style,
    pub fail_on: FailOn,
    /// `--min-coverage`, in percent.
    pub min_coverage: Option<u8>,
    /// `--fail-on-assumed`.
    pub fail_on_assumed: bool,
}

impl Context<'_> {
    /// The gate this run is judged by.
    #[must_use]
    pub fn gate(&self) -> Gate {
        Gate {
            fail_on: self.fail_on,
            min_coverage: self.min_coverage,
            fail_on_assumed: self.fail_on_assumed,
        }
    }
}

/// Where a report goes.
#[derive(Debug, Clone)]
pub enum Output {
    Stdout,
    File(PathBuf),
}

/// Renders an outcome in a format.
#[must_use]
pub fn render(format: Format, outcome: &Outcome, context: &Context<'_>) -> String {
    match format {
        Format::Human => without_colour_made_safe(human::render(outcome, context), context.style),
        // Plain text: made safe line by line as well (a rule file's own text is quoted in it).
        Format::Table => crate::text::shown_lines(&table::render(outcome, context)),
        Format::Json => json::render(outcome, context),
        Format::Sarif => sarif::render(outcome, context),
        // Printed in CI logs: made safe line by line (the XML has no control characters of its own).
        Format::Junit => crate::text::shown_lines(&junit::render(outcome, context)),
        Format::Github => github::render(outcome, context),
        Format::Markdown => crate::text::shown_lines(&markdown::render(outcome, context)),
        Format::Gitlab => gitlab::render(outcome, context),
        // Escaped by maud and made safe field by field; line by line as well, like every text format.
        Format::Html => crate::text::shown_lines(&html::render(outcome, context)),
        // Made safe field by field (line breaks inside quoted fields are data).
        Format::Csv => csv::render(outcome, context),
    }
}

/// A human rendering, made safe line by line when it carries no colours of its own (as in CI
/// logs): the rule files it quotes are untrusted text too. Tenant text in it is made safe field by
/// field either way.
#[must_use]
pub fn without_colour_made_safe(text: String, style: &Style) -> String {
    if style.color {
        text
    } else {
        crate::text::shown_lines(&text)
    }
}

/// "expected Read Only, found Read and Modify (through role Billing)", when both are known.
#[must_use]
pub fn expected_found(finding: &Finding) -> Option<String> {
    match (&finding.expected, &finding.actual) {
        (Some(expected), Some(actual)) => Some(format!(
            "expected {}, found {}",
            shown(expected),
            shown(actual)
        )),
        _ => None,
    }
}

/// A finding in plain text: its message, then the expected and actual values, then the fix, one per
/// line.
#[must_use]
pub fn plain_text(finding: &Finding) -> String {
    // Each part is tenant text made safe ([`shown`]): only these newlines start a line.
    let mut text = shown(&finding.message).into_owned();
    if let Some(values) = expected_found(finding) {
        text.push('\n');
        text.push_str(&values);
    }
    if let Some(help) = &finding.help {
        text.push_str("\nfix: ");
        text.push_str(&shown(help));
    }
    text
}

/// Where a finding points in the rule files: its rule location, or else the first line of its
/// set's file. `None` only when the finding's set is not in the library.
#[must_use]
pub fn location(finding: &Finding, library: &Library) -> Option<Location> {
    finding.rule_location.clone().or_else(|| {
        library.get(&finding.requirement_set).map(|set| Location {
            path: set.location.path.clone(),
            line: 1,
            column: 1,
        })
    })
}

/// `application/vCIOToolbox`, `tenant/acme`.
#[must_use]
pub fn qualified_name(subject: &Subject) -> String {
    format!("{}/{}", subject.kind.as_str(), shown(&subject.name))
}

/// "Not in use (no matching application): a, b", when a set is not in use.
#[must_use]
pub fn not_in_use_line(outcome: &Outcome) -> Option<String> {
    let unused: Vec<&str> = outcome
        .sets
        .iter()
        .filter(|s| matches!(s.state, SetState::NotInUse))
        .map(|s| s.id.as_str())
        .collect();
    (!unused.is_empty()).then(|| {
        format!(
            "Not in use (no matching application): {}",
            unused.join(", ")
        )
    })
}

/// "Not checked: `x` matches only inactive applications (A, B)" for each such set.
#[must_use]
pub fn only_inactive_lines(outcome: &Outcome) -> Vec<String> {
    outcome
        .sets
        .iter()
        .filter_map(|set| match &set.state {
            SetState::OnlyInactive { applications } => Some(format!(
                "Not checked: `{}` matches only inactive applications ({})",
                set.id,
                shown(&applications.join(", "))
            )),
            _ => None,
        })
        .collect()
}

/// "Tenant https://acme.halopsa.example, snapshot of 2026-11-24T08:00:00Z", when the instance is known.
#[must_use]
pub fn tenant_line(tenant: &Tenant) -> Option<String> {
    tenant.provenance.instance.as_ref().map(|instance| {
        format!(
            "Tenant {}{}",
            shown(instance),
            tenant
                .provenance
                .fetched_at
                .as_deref()
                .map(|t| format!(", snapshot of {}", shown(t)))
                .unwrap_or_default()
        )
    })
}

impl Output {
    /// `-o FILE`: standard output without it or for `-o -`, else the file.
    #[must_use]
    pub fn of(path: Option<&std::path::Path>) -> Self {
        match path {
            Some(p) if !crate::fsio::is_stdio(p) => Self::File(p.to_owned()),
            _ => Self::Stdout,
        }
    }

    /// True when the report goes to a file (not standard output).
    #[must_use]
    pub fn is_file(&self) -> bool {
        matches!(self, Self::File(_))
    }
}

/// Writes a report to its destination. A closed stdout (e.g. `| head`) is not an error.
///
/// # Errors
/// When a report file cannot be written (the previous file is left untouched).
pub fn emit(text: &str, output: &Output) -> Result<(), crate::fsio::WriteError> {
    match output {
        Output::Stdout => {
            crate::fsio::write_atomic(std::path::Path::new(crate::fsio::STDIO), text.as_bytes())
                .map_err(|e| crate::fsio::WriteError {
                    path: PathBuf::from("<stdout>"),
                    cause: e.cause,
                })
        }
        Output::File(path) => crate::fsio::write_atomic(path, text.as_bytes()),
    }
}

/// A diagnostic as a person reads it: everything but its code (`halo_audit::usage`), which names
/// the variant for programs, not the problem for people.
struct Uncoded<'a>(&'a dyn miette::Diagnostic);

impl std::fmt::Debug for Uncoded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl std::fmt::Display for Uncoded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.0, f)
    }
}

impl std::error::Error for Uncoded<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl miette::Diagnostic for Uncoded<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        self.0.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help()
    }
    fn url<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.url()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.labels()
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        self.0.related()
    }
    fn diagnostic_source(&self) -> Option<&dyn miette::Diagnostic> {
        self.0.diagnostic_source()
    }
}

/// Renders a diagnostic for standard error: its message, the places it quotes and its help, in
/// colour or not, without the internal code line.
#[must_use]
pub fn diagnostic_text(diagnostic: &dyn miette::Diagnostic, color: bool) -> String {
    let handler = if color {
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode())
    } else {
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
    };
    let mut text = String::new();
    // Long lines are shown as windows: the renderer cannot place a label past column 65,535.
    let uncoded = Uncoded(diagnostic);
    if handler
        .render_report(&mut text, &window::Windowed::new(&uncoded))
        .is_err()
    {
        text = diagnostic.to_string();
    }
    text
}

/// A warning diagnostic (e.g. from the configuration file) on stderr.
pub fn warning(diagnostic: &dyn miette::Diagnostic, style: &Style) {
    let text = without_colour_made_safe(diagnostic_text(diagnostic, style.color), style);
    let _ = writeln!(std::io::stderr(), "warning: {}", text.trim_start());
}

/// A status message on stderr (progress summaries, warnings); never the report itself.
pub fn status(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// One line on stderr summarising the outcome (for machine formats and `-o`).
pub fn summary_line(outcome: &Outcome, gate: Gate, style: &Style) {
    let line = summary_text(outcome, gate);
    let line = if style.color {
        format!("\u{1b}[1m{line}\u{1b}[0m")
    } else {
        line
    };
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// "halo-audit: findings: 3 errors, 5 warnings, 2 notes (1 unverifiable), 2 silenced by
/// configuration; requirements: 20 of 37 decided (54%), 3 of them on an assumption, 17
/// unverifiable, 0 not applicable: failed (--fail-on error)". Finding counts and requirement
/// counts, each named, from the run's [`crate::check::Summary`].
#[must_use]
pub fn summary_text(outcome: &Outcome, gate: Gate) -> String {
    let verdict = verdict(outcome, gate);
    let summary = outcome.summary();
    let mut why = vec![format!("--fail-on {}", fail_name(gate.fail_on))];
    if let Some(min) = gate.min_coverage {
        let percent = summary.requirements.percent();
        why.push(if below_min_coverage(outcome, gate) {
            format!("{percent}% decided, below --min-coverage {min}")
        } else {
            format!("--min-coverage {min}")
        });
    }
    if gate.fail_on_assumed {
        why.push(if crate::verdict::fails_on_assumed(outcome, gate) {
            format!(
                "{} decided on an assumption, --fail-on-assumed",
                summary.requirements.assumed
            )
        } else {
            "--fail-on-assumed".to_owned()
        });
    }
    if verdict == Verdict::NotAudited {
        why = outcome
            .not_audited
            .iter()
            .map(|n| n.reason.clone())
            .collect();
    }
    format!(
        "halo-audit: findings: {}; requirements: {}: {} ({})",
        summary.findings.text(),
        summary
            .requirements
            .text()
            .replacen(" requirements decided", " decided", 1)
            .replacen(" requirement decided", " decided", 1),
        verdict.as_str(),
        why.join("; ")
    )
}

/// "1 note", "3 notes".
#[must_use]
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The lines saying why nothing was audited and how to fix it (empty when the run audited).
#[must_use]
pub fn not_audited_lines(outcome: &Outcome) -> Vec<String> {
    outcome
        .not_audited
        .iter()
        .map(|n| format!("Not audited: {}\n  fix: {}", n.reason, n.fix))
        .collect()
}

fn fail_name(fail_on: FailOn) -> &'static str {
    match fail_on {
        FailOn::Error => "error",
        FailOn::Warning => "warning",
        FailOn::Note => "note",
        FailOn::Never => "never",
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapping_fits_the_width_and_keeps_every_word() {
        let text = "halo-audit: 2 errors, 0 warnings, 1 note (0 unverifiable); 47 of 47 requirements decided";
        let out = wrap(text, 30, "  ");
        assert!(out.lines().all(|l| l.chars().count() <= 30), "{out}");
        assert!(out.lines().skip(1).all(|l| l.starts_with("  ")), "{out}");
        assert_eq!(out.split_whitespace().collect::<Vec<_>>().join(" "), text);
        // Line breaks are kept (the lines after them indented); a longer word has a line of its own.
        assert_eq!(wrap("a\n  b", 10, "  "), "a\n  b");
        assert_eq!(
            wrap("x averyverylongword y", 8, ""),
            "x\naveryverylongword\ny"
        );
        assert_eq!(wrap("", 8, "  "), "");
    }
}
