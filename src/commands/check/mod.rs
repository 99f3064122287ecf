//! `check`: a tenant (a snapshot, or fetched live) against requirement sets; writes every report
//! asked for and decides the exit code. The reports it writes, checked before any work, are in
//! `targets`; what the run records of its inputs is in `record`; where the formats that place
//! findings in the repository put them is in `anchor`; the run against a baseline is in
//! `baseline`.

mod anchor;
mod baseline;
mod record;
mod targets;

use crate::catalog::Catalog;
use crate::check::{self, Selection};
use crate::cli::{CheckArgs, Format};
use crate::config::Config;
use crate::diag::Code;
use crate::report::{self, Style};
use crate::ruleset::{self, RuleFile};
use crate::snapshot;
use crate::tenant::Tenant;
use crate::verdict::FailOn;

use self::anchor::anchor_in_repository;
use self::baseline::check_against_baseline;
use self::record::{record_inputs, record_overlays};
use self::targets::targets;
use super::AppError;
use super::connect::connection;
use super::inputs::{drop_in_background, rule_files};
use super::outputs::ReportTarget;

/// The catalog a run uses, the shipped one, and the overlays that made the first from the second.
#[derive(Debug)]
pub struct Catalogs<'a> {
    pub catalog: &'a Catalog,
    pub shipped: &'a Catalog,
    pub overlays: &'a [RuleFile],
}

/// A live snapshot's text and source name, kept to read it again with the shipped catalog.
type Fetched = Option<(String, std::path::PathBuf)>;

/// Runs `check`; the exit code is the verdict on the findings (`--fail-on`, `--min-coverage`).
///
/// # Errors
/// Unusable outputs, invalid rules or configuration, an unreadable snapshot, a failed fetch or
/// write.
pub fn run(
    args: &CheckArgs,
    catalogs: Catalogs<'_>,
    style: &Style,
    config: &Config,
) -> Result<u8, AppError> {
    let catalog = catalogs.catalog;
    let sources = args.sources.with_config(config);
    let targets = targets(args, &sources, style, config)?;
    let rule_files = rule_files(&sources)?;
    let mut library = ruleset::load(&rule_files, catalog)?;
    // A waiver naming no real set or requirement would waive nothing, silently: exit 2.
    config.check_waivers(&library)?;
    // The configuration's thresholds for the baseline's hygiene checks.
    for policy in library.sets.iter_mut().flat_map(|s| s.policies.iter_mut()) {
        policy.thresholds = config.thresholds;
    }
    let (tenant, fetched) = read_tenant(args, &catalogs, style, config)?;
    let selection = selection(args, config);
    let mut outcome = check::check(&tenant, &library, catalog, &selection)?;
    // Waiver dates are compared in UTC: the same answer on every CI runner.
    let today = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    check::waivers::apply_with(
        &mut outcome,
        config,
        today,
        !args.no_waivers,
        !args.no_config_overrides,
    );
    record_inputs(&mut outcome, &selection, &sources, &rule_files, config);
    if !catalogs.overlays.is_empty() {
        record_overlays(
            &mut outcome,
            &catalogs,
            args.snapshot.as_deref(),
            fetched.as_ref(),
            &rule_files,
            &selection,
        );
    }
    if args.fail_on_unverifiable || config.fail_on_unverifiable {
        // Every requirement that could not be decided fails the run: an error, whatever the
        // configuration's `severity:` says of `unverifiable`; a waived one stays accepted.
        for finding in &mut outcome.findings {
            if finding.code == Code::Unverifiable && finding.waiver.is_none() {
                finding.severity = crate::diag::Severity::Error;
            }
        }
    }
    // The formats that place findings in the repository read a copy whose shipped-set findings
    // are placed at files of the repository; the others name the requirement's own place.
    let anchored = targets
        .iter()
        .any(|t| places_in_repository(t.format))
        .then(|| {
            let mut copy = outcome.clone();
            let unplaced =
                anchor_in_repository(&mut copy, &library, config, args.snapshot.as_deref());
            if !style.quiet
                && let Some(text) = unplaced.warning()
            {
                report::status(&text);
            }
            copy
        });
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::Error);
    let context = report::Context {
        tenant: &tenant,
        library: &library,
        catalog,
        style,
        fail_on,
        min_coverage: args.min_coverage.or(config.min_coverage),
        fail_on_assumed: args.fail_on_assumed || config.fail_on_assumed,
    };
    if let Some(path) = &args.baseline {
        return check_against_baseline(args, path, &outcome, anchored.as_ref(), &context, &targets);
    }
    for target in &targets {
        let shown = match &anchored {
            Some(copy) if places_in_repository(target.format) => copy,
            _ => &outcome,
        };
        let style = target.style(style);
        let context = report::Context {
            style: &style,
            ..context
        };
        let text = render_check(target.format, shown, &context, args);
        report::emit(&text, &target.output)?;
    }
    if !style.quiet && !human_on_stdout_only(&targets) {
        for line in report::not_audited_lines(&outcome) {
            report::status(&format!("{line}\n"));
        }
        report::summary_line(&outcome, context.gate(), style);
    }
    let verdict = report::verdict(&outcome, context.gate());
    drop_in_background((tenant, outcome));
    Ok(verdict.exit_code())
}

/// The tenant of the run: read from `--snapshot`, or fetched live (and saved with
/// `--save-snapshot`); with catalog overlays, the fetched text and its source name too.
fn read_tenant(
    args: &CheckArgs,
    catalogs: &Catalogs<'_>,
    style: &Style,
    config: &Config,
) -> Result<(Tenant, Fetched), AppError> {
    let catalog = catalogs.catalog;
    // The snapshot's text when it was fetched live: read again with the shipped catalog when an
    // overlay is loaded.
    let mut fetched: Option<(String, std::path::PathBuf)> = None;
    let tenant = match &args.snapshot {
        Some(path) => snapshot::read(path, catalog)?.tenant,
        None => {
            let settings = connection(&args.connect.with_config(config), "check", style)?;
            if let Some(path) = &args.save_snapshot {
                crate::fsio::check_writable(path)?;
            }
            let mut snap = crate::halo::fetch_snapshot(&settings)?;
            if let Some(path) = &args.save_snapshot {
                snap.save(path)?;
            }
            if !style.quiet {
                report::status(&report::fetch::summary(
                    &snap,
                    args.save_snapshot.as_deref(),
                ));
            }
            // Round-trip through the file format so a live check sees exactly what a saved
            // snapshot would hold (secrets stripped).
            let text = snap.to_json()?;
            let source = std::path::PathBuf::from(format!("<{}>", settings.url));
            let tenant = snapshot::read_bytes(text.as_bytes(), &source, catalog)?.tenant;
            if !catalogs.overlays.is_empty() {
                fetched = Some((text, source));
            }
            tenant
        }
    };
    Ok((tenant, fetched))
}

/// The sets the run checks and their bindings: `--set`, else the configuration's `sets:`.
fn selection(args: &CheckArgs, config: &Config) -> Selection {
    Selection {
        sets: if args.sets.is_empty() {
            config.sets.clone()
        } else {
            args.sets.clone()
        },
        bindings: config.bindings.clone(),
        agents: config.agent_bindings.clone(),
        // `--set X` asks whether X is ready; the tenant-wide baseline runs when asked for too
        // (`--set baseline`), or when no `--set` is given (the configuration's `sets:` included).
        readiness: !args.sets.is_empty() && !args.sets.iter().any(|s| s == "baseline"),
    }
}

/// The formats that place findings at files of the repository: SARIF, GitHub annotations and
/// GitLab Code Quality.
fn places_in_repository(format: Format) -> bool {
    matches!(format, Format::Sarif | Format::Github | Format::Gitlab)
}

/// Renders one report of `check` with the options of the command line.
fn render_check(
    format: Format,
    outcome: &check::Outcome,
    context: &report::Context<'_>,
    args: &CheckArgs,
) -> String {
    match format {
        Format::Sarif => report::sarif::render_with(
            outcome,
            context,
            &report::sarif::Base::current(),
            &report::sarif::Options {
                category: args.sarif_category.clone(),
                suppressions: args.sarif_suppressions,
            },
        ),
        Format::Junit => crate::text::shown_lines(&report::junit::render_with(
            outcome,
            context,
            report::junit::Options {
                fail_on_warning: args.junit_fail_on_warning,
            },
        )),
        format => report::render(format, outcome, context),
    }
}

/// True when the only report is `human` on standard output (the summary line is then in it).
fn human_on_stdout_only(targets: &[ReportTarget<Format>]) -> bool {
    matches!(targets, [only] if only.format == Format::Human && !only.output.is_file())
}
