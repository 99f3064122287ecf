//! What is installed beside the binary: shell completion scripts and manual pages.
//!
//! Owns: the values completed for `--set`, `rules show`, `rules sources` and `explain` (offered as
//! possible values by value parsers that still accept anything, so a set of your own `--rules`
//! or a misspelt code reaches the command's own did-you-mean error); the generated completion
//! scripts with clap_complete's bash naming mismatch repaired; the manual pages with their EXIT
//! STATUS, ENVIRONMENT and EXAMPLES sections. It renders text only: writing pages into a directory
//! is `app`'s (through `fsio`), and it must not import the command line (`cli` imports it).

use std::ffi::OsStr;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};

use crate::diag::Code;

/// The ids of the shipped requirement sets (the stems of their file names), sorted.
#[must_use]
pub fn shipped_set_ids() -> Vec<String> {
    let mut ids: Vec<String> = crate::ruleset::builtin_files()
        .iter()
        .filter_map(|f| {
            let file = f.name.rsplit('/').next()?;
            file.strip_suffix(".yaml")
                .or_else(|| file.strip_suffix(".yml"))
                .map(str::to_owned)
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Which values a [`Suggested`] parser offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// The shipped requirement set ids.
    SetIds,
    /// The finding codes.
    Codes,
}

/// A value parser that accepts any UTF-8 text but tells completion generators which values to
/// offer. Use it with `hide_possible_values = true`: the values are suggestions, not the only
/// ones (a set of one's own `--rules` directory is valid too).
#[derive(Debug, Clone, Copy)]
pub struct Suggested(pub Values);

impl TypedValueParser for Suggested {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Self::Value, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let values: Vec<PossibleValue> = match self.0 {
            Values::SetIds => shipped_set_ids()
                .into_iter()
                .map(PossibleValue::new)
                .collect(),
            Values::Codes => Code::ALL
                .iter()
                .map(|c| PossibleValue::new(c.as_str()).help(c.summary()))
                .collect(),
        };
        Some(Box::new(values.into_iter()))
    }
}

/// The completion script of `shell` for `command` run as `bin`.
///
/// clap_complete's bash generator names the function of a subcommand from the binary's name with
/// `-` replaced by `__` where it selects it, but by `__subcmd__` where it defines the case for
/// it, so for `halo-audit` nothing after the subcommand completed; the case labels are renamed
/// here to what the selection uses.
#[must_use]
pub fn completion_script(
    shell: clap_complete::Shell,
    command: &mut clap::Command,
    bin: &str,
) -> String {
    let mut bytes = Vec::new();
    clap_complete::generate(shell, command, bin, &mut bytes);
    let script = String::from_utf8_lossy(&bytes).into_owned();
    if shell == clap_complete::Shell::Bash && bin.contains('-') {
        let selected = bin.replace('-', "__");
        let defined = bin.replace('-', "__subcmd__");
        // Only the case labels of the subcommands' details start with the mangled name.
        script
            .lines()
            .map(|line| {
                let trimmed = line.trim_start();
                if trimmed.starts_with(&format!("{defined}__subcmd__")) && trimmed.ends_with(')') {
                    line.replacen(&defined, &selected, 1)
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    } else if shell == clap_complete::Shell::Fish {
        script + &fish_positional_values(command, bin)
    } else {
        script
    }
}

/// Completions of the positional arguments that have values to offer (`explain CODE`, `rules
/// show ID`), which clap_complete's fish generator leaves out (it offers values of options only).
fn fish_positional_values(command: &clap::Command, bin: &str) -> String {
    fn quote(text: &str) -> String {
        format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
    }
    fn walk(command: &clap::Command, path: &[&str], bin: &str, using: &str, out: &mut String) {
        if let Some((first, rest)) = path.split_first() {
            let mut condition = format!("{using} {first}");
            if !rest.is_empty() {
                condition.push_str("; and __fish_seen_subcommand_from ");
                condition.push_str(&rest.join(" "));
            }
            for arg in command.get_positionals() {
                for value in arg.get_possible_values() {
                    let help = value
                        .get_help()
                        .map(|h| format!(" -d {}", quote(&h.to_string())));
                    out.push_str(&format!(
                        "complete -c {bin} -n {} -f -a {}{}\n",
                        quote(&condition),
                        quote(value.get_name()),
                        help.unwrap_or_default(),
                    ));
                }
            }
        }
        for sub in command.get_subcommands() {
            let mut sub_path = path.to_vec();
            sub_path.push(sub.get_name());
            walk(sub, &sub_path, bin, using, out);
        }
    }
    let using = format!("__fish_{}_using_subcommand", bin.replace('-', "_"));
    let mut out = String::new();
    walk(command, &[], bin, &using, &mut out);
    out
}

/// The manual pages of `command` (already named, e.g. `halo-audit`), the main page first, then
/// one per command and subcommand (`halo-audit-rules-export.1`): (file name, roff text), each
/// with the EXIT STATUS, ENVIRONMENT and EXAMPLES sections that apply to it.
#[must_use]
pub fn manual_pages(command: clap::Command) -> Vec<(String, String)> {
    fn collect(command: clap::Command, path: &[String], pages: &mut Vec<(String, String)>) {
        let man = clap_mangen::Man::new(command.clone());
        let mut bytes = Vec::new();
        // Rendering into memory cannot fail; a page that did would be left out.
        if man.render(&mut bytes).is_ok() {
            let page = String::from_utf8_lossy(&bytes).into_owned();
            let extra = extra_sections(path);
            pages.push((man.get_filename(), insert_sections(&page, &extra)));
        }
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut sub_path = path.to_vec();
            sub_path.push(sub.get_name().to_owned());
            collect(sub.clone(), &sub_path, pages);
        }
    }
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    collect(command, &[], &mut pages);
    pages
}

/// Puts `extra` before the VERSION section (or at the end when there is none).
fn insert_sections(page: &str, extra: &str) -> String {
    match page.find("\n.SH VERSION") {
        Some(at) => format!(
            "{}\n{}{}",
            &page[..at],
            extra.trim_end_matches('\n'),
            &page[at..]
        ),
        None => format!("{page}{extra}"),
    }
}

/// Text for roff: backslashes doubled, `-` as `\-` (a real hyphen-minus in options), and a line
/// never starting with a control character.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

fn section(out: &mut String, title: &str) {
    out.push_str(&format!(".SH \"{title}\"\n"));
}

/// A `.TP` item: a bold term, then its description.
fn item(out: &mut String, term: &str, text: &str) {
    out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(term), roff(text)));
}

/// The exit codes of docs/adr/0002-exit-codes.md, as each command uses them.
fn exit_codes(path: &[&str]) -> Option<Vec<(&'static str, &'static str)>> {
    const OK: &str = "0";
    const ONE: &str = "1";
    const TWO: &str = "2";
    const THREE: &str = "3";
    let usage = (
        TWO,
        "Usage error or invalid input: an unknown option or value, unreadable or invalid rule files, configuration or snapshot, an unknown set or code.",
    );
    let broken = (
        THREE,
        "The command could not run: network, authentication or API failure, or a report or file that could not be written.",
    );
    Some(match path {
        [] => vec![
            (
                OK,
                "The command ran; no finding at or above \\-\\-fail\\-on and at least \\-\\-min\\-coverage decided.",
            ),
            (
                ONE,
                "Findings at or above \\-\\-fail\\-on (with \\-\\-baseline: new findings only), less than \\-\\-min\\-coverage decided, drift with diff \\-\\-fail\\-on\\-drift, a credential holding more than read access (self\\-check), or drifted vendor pages (rules sources).",
            ),
            usage,
            (
                THREE,
                "The audit could not run or audited nothing: network, authentication or API failure, an application or agent list that is missing, forbidden or empty (whatever \\-\\-fail\\-on says), or a report that could not be written.",
            ),
        ],
        ["check"] => vec![
            (
                OK,
                "No finding at or above \\-\\-fail\\-on (new ones only with \\-\\-baseline), and at least \\-\\-min\\-coverage decided.",
            ),
            (
                ONE,
                "Findings at or above \\-\\-fail\\-on, any undecided requirement with \\-\\-fail\\-on\\-unverifiable, or less than \\-\\-min\\-coverage decided.",
            ),
            usage,
            (
                THREE,
                "The audit could not run or audited nothing: the fetch failed, or the application or agent list is missing, forbidden or empty (whatever \\-\\-fail\\-on says); or the report could not be written.",
            ),
        ],
        ["diff"] => vec![
            (
                OK,
                "The comparison ran (and, with \\-\\-fail\\-on\\-drift, nothing changed).",
            ),
            (ONE, "With \\-\\-fail\\-on\\-drift: at least one change."),
            (
                TWO,
                "A snapshot is unreadable or invalid, or the two snapshots are of different instances (without \\-\\-allow\\-different\\-instances).",
            ),
            broken,
        ],
        ["self-check"] => vec![
            (OK, "The credential only reads."),
            (ONE, "The credential holds more than read access."),
            usage,
            (
                THREE,
                "The credential's agent could not be identified, or the live fetch failed.",
            ),
        ],
        ["fetch"] => vec![
            (OK, "The snapshot was written."),
            usage,
            (
                THREE,
                "The fetch failed (network, authentication, API) or the snapshot could not be written; an existing file is left as it was.",
            ),
        ],
        ["rules", "sources"] => vec![
            (OK, "Nothing drifted."),
            (
                ONE,
                "A page moved or vanished, a quote is no longer found, or a retrieval is stale.",
            ),
            usage,
            (THREE, "No page at all could be read."),
        ],
        ["rules", "validate"] => vec![
            (OK, "Every file is a valid requirement set."),
            (
                TWO,
                "A file is unreadable or invalid (every problem is reported with its file, line and column).",
            ),
        ],
        ["plan" | "init" | "completions" | "man"]
        | ["snapshot", "show"]
        | ["rules", "list" | "show" | "export"] => {
            vec![(OK, "The command ran."), usage, broken]
        }
        ["explain"] => vec![(OK, "The code was explained."), (TWO, "Unknown code.")],
        _ => return None,
    })
}

/// Environment variables read by the tool: (name, what, the pages they belong on).
const ENVIRONMENT: &[(&str, &str, &[&str])] = &[
    (
        "HALO_URL",
        "The HaloPSA web app URL (as \\-\\-url).",
        &["fetch", "check", "self-check"],
    ),
    (
        "HALO_AUTH_URL",
        "The authorisation server (as \\-\\-auth\\-url).",
        &["fetch", "check", "self-check"],
    ),
    (
        "HALO_TENANT",
        "The tenant name of a hosted instance (as \\-\\-tenant).",
        &["fetch", "check", "self-check"],
    ),
    (
        "HALO_CLIENT_ID",
        "The client id of the auditing API application (as \\-\\-client\\-id).",
        &["fetch", "check", "self-check"],
    ),
    (
        "HALO_CLIENT_SECRET",
        "The client secret of the auditing API application, unless \\-\\-client\\-secret\\-file is given; never a flag, never printed.",
        &["fetch", "check", "self-check"],
    ),
    (
        "HALO_AUDIT_CONFIG",
        "The configuration file (as \\-\\-config).",
        &["*"],
    ),
    (
        "HALO_AUDIT_FAIL_ON",
        "The severity that fails a check (as \\-\\-fail\\-on).",
        &["check"],
    ),
    (
        "HTTPS_PROXY, HTTP_PROXY, ALL_PROXY",
        "The proxy for requests to HaloPSA and vendor pages (lower\\-case names too); ignored when REQUEST_METHOD is set (a CGI environment).",
        &["fetch", "check", "self-check", "rules sources"],
    ),
    (
        "NO_PROXY",
        "Hosts reached without the proxy.",
        &["fetch", "check", "self-check", "rules sources"],
    ),
    (
        "NO_COLOR",
        "When set and not empty, no colour (unless \\-\\-color always).",
        &["*"],
    ),
    (
        "CLICOLOR_FORCE, FORCE_COLOR",
        "When set, not empty and not 0, colour even when not writing to a terminal.",
        &["*"],
    ),
    ("CLICOLOR", "0 turns colour off.", &["*"]),
    ("TERM", "dumb turns colour off.", &["*"]),
    ("COLUMNS", "The width to wrap terminal output to.", &["*"]),
];

/// Examples per page: (command line, what it does).
fn examples(path: &[&str]) -> &'static [(&'static str, &'static str)] {
    match path {
        [] => &[
            (
                "halo-audit check --snapshot snap.json",
                "Audit a snapshot against every integration found in it.",
            ),
            (
                "halo-audit fetch -o snap.json",
                "Fetch a snapshot from HaloPSA (HALO_URL, HALO_TENANT, HALO_CLIENT_ID and HALO_CLIENT_SECRET set).",
            ),
            (
                "halo-audit plan --set cloud-depot",
                "The least-privilege setup of one integration.",
            ),
            (
                "halo-audit diff nov.json dec.json",
                "What changed between two snapshots.",
            ),
            (
                "halo-audit explain missing-grant",
                "What a finding code means and how to fix it.",
            ),
        ],
        ["check"] => &[
            (
                "halo-audit check --snapshot snap.json",
                "Every integration whose application is found in the tenant.",
            ),
            (
                "halo-audit check --snapshot snap.json --set cloud-depot",
                "A readiness check of one integration.",
            ),
            (
                "halo-audit check --snapshot snap.json --format sarif -o report.sarif --fail-on warning",
                "A SARIF report for code scanning; fail on warnings too.",
            ),
            (
                "halo-audit check --snapshot dec.json --baseline nov-report.json",
                "Fail only on findings new since the baseline report.",
            ),
            (
                "halo-audit check --rate 150/5m",
                "Fetch live and check, using half of Halo's request budget.",
            ),
        ],
        ["fetch"] => &[
            (
                "halo-audit fetch -o snap.json",
                "Every agent, team, role and application.",
            ),
            (
                "halo-audit fetch -o snap.json --scope integrations",
                "Only what the integrations use: a few requests.",
            ),
        ],
        ["diff"] => &[
            (
                "halo-audit diff nov.json dec.json",
                "What changed, widened or narrowed.",
            ),
            (
                "halo-audit diff nov.json dec.json --format json -o drift.json --fail-on-drift",
                "A JSON report; exit 1 when anything changed.",
            ),
        ],
        ["plan"] => &[
            (
                "halo-audit plan --set cloud-depot",
                "The setup in Halo's UI words.",
            ),
            (
                "halo-audit plan --set cloud-depot --snapshot snap.json",
                "A to-do list against a tenant: add, remove, already right.",
            ),
        ],
        ["self-check"] => &[(
            "halo-audit self-check --snapshot snap.json",
            "What the credential that fetched the snapshot can do.",
        )],
        ["init"] => &[(
            "halo-audit init --snapshot snap.json",
            "A starter halo-audit.yaml with bindings guessed from the snapshot.",
        )],
        ["snapshot", "show"] => &[(
            "halo-audit snapshot show snap.json",
            "What a snapshot holds and what is not understood.",
        )],
        ["rules", "list"] => &[(
            "halo-audit rules list --rules my-rules/",
            "The shipped sets and your own.",
        )],
        ["rules", "show"] => &[("halo-audit rules show cloud-depot", "One set in full.")],
        ["rules", "validate"] => &[
            (
                "halo-audit rules validate my-rules/",
                "Validate a directory of rule files.",
            ),
            (
                "generate-rules | halo-audit rules validate -",
                "Validate a rule file read from standard input (errors name <stdin>).",
            ),
        ],
        ["rules", "export"] => &[(
            "halo-audit rules export my-rules",
            "The shipped sets and their schema, to pin and extend.",
        )],
        ["rules", "sources"] => &[(
            "halo-audit rules sources cipp",
            "Do the vendor's pages still say what the set quotes?",
        )],
        ["explain"] => &[
            ("halo-audit explain", "Every finding code."),
            (
                "halo-audit explain excessive-grant",
                "One code: what it checks, why it matters, how to fix.",
            ),
        ],
        ["completions"] => &[
            (
                "halo-audit completions bash > ~/.local/share/bash-completion/completions/halo-audit",
                "Install bash completion.",
            ),
            (
                "halo-audit completions fish > ~/.config/fish/completions/halo-audit.fish",
                "Install fish completion.",
            ),
        ],
        ["man"] => &[(
            "halo-audit man --dir ~/.local/share/man/man1",
            "Install every page.",
        )],
        _ => &[],
    }
}

/// The EXIT STATUS, ENVIRONMENT and EXAMPLES sections of the page of the command at `path`
/// (empty for the main page), each left out where it has nothing to say.
fn extra_sections(path: &[String]) -> String {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let joined = path.join(" ");
    let mut out = String::new();
    if let Some(codes) = exit_codes(&path) {
        section(&mut out, "EXIT STATUS");
        for (code, text) in codes {
            // The texts above are written in roff already (options as `\-\-name`).
            out.push_str(&format!(".TP\n\\fB{code}\\fR\n{text}\n"));
        }
    }
    let vars: Vec<_> = ENVIRONMENT
        .iter()
        .filter(|(_, _, pages)| {
            path.is_empty() || pages.contains(&"*") || pages.contains(&joined.as_str())
        })
        .collect();
    if !vars.is_empty() {
        section(&mut out, "ENVIRONMENT");
        for (name, text, _) in vars {
            out.push_str(&format!(".TP\n\\fB{}\\fR\n{text}\n", roff(name)));
        }
    }
    let examples = examples(&path);
    if !examples.is_empty() {
        section(&mut out, "EXAMPLES");
        for (line, text) in examples {
            item(&mut out, line, text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_ids_are_the_shipped_sets() {
        let ids = shipped_set_ids();
        assert!(ids.iter().any(|i| i == "cloud-depot"), "{ids:?}");
        assert!(ids.iter().any(|i| i == "baseline"), "{ids:?}");
        assert!(
            ids.iter()
                .all(|i| !i.contains('/') && !i.ends_with(".yaml"))
        );
    }

    #[test]
    fn suggested_values_accept_anything() {
        let cmd = clap::Command::new("t");
        let parsed = Suggested(Values::SetIds).parse_ref(&cmd, None, OsStr::new("my-own-set"));
        assert_eq!(parsed.ok().as_deref(), Some("my-own-set"));
        let codes: Vec<String> = Suggested(Values::Codes)
            .possible_values()
            .into_iter()
            .flatten()
            .map(|v| v.get_name().to_owned())
            .collect();
        assert!(codes.iter().any(|c| c == "missing-grant"), "{codes:?}");
    }

    #[test]
    fn roff_text_cannot_start_a_request() {
        assert_eq!(roff(".SH x"), "\\&.SH x");
        assert_eq!(roff("--set a\\b"), "\\-\\-set a\\eb");
    }

    #[test]
    fn sections_go_before_version() {
        let page = ".TH x 1\n.SH NAME\nx\n.SH VERSION\nv1\n";
        let out = insert_sections(page, ".SH \"EXAMPLES\"\nE\n");
        assert_eq!(
            out,
            ".TH x 1\n.SH NAME\nx\n.SH \"EXAMPLES\"\nE\n.SH VERSION\nv1\n"
        );
    }

    #[test]
    fn every_command_has_exit_codes_and_the_main_page_every_variable() {
        let main = extra_sections(&[]);
        for (name, _, _) in ENVIRONMENT {
            assert!(main.contains(&roff(name)), "{name}");
        }
        for name in [
            "check",
            "fetch",
            "diff",
            "plan",
            "self-check",
            "init",
            "explain",
        ] {
            assert!(exit_codes(&[name]).is_some(), "{name}");
        }
        let check = extra_sections(&["check".to_owned()]);
        assert!(check.contains("HALO_AUDIT_FAIL_ON") && check.contains("HALO_CLIENT_SECRET"));
        let diff = extra_sections(&["diff".to_owned()]);
        assert!(!diff.contains("HALO_CLIENT_SECRET"), "{diff}");
    }
}
