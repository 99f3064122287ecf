//! The check benchmark: `halo-audit check` on synthetic tenants of growing size, next to the time
//! and memory it takes merely to read and parse the same snapshot file (the floor).
//!
//! Owns: generating the snapshots (deterministic, `halo_sim::synthetic`), the child processes
//! that measure one thing each (`floor`, `check`, `phases`) and the tables. Every measurement runs
//! in a fresh process so the peak resident memory is that of the work alone.

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use halo_audit::catalog::Catalog;
use halo_audit::check::{self, Selection, SetState};
use halo_audit::cli::{Cli, FailOn, Format, RuleSources};
use halo_audit::report::{self, Style};
use halo_audit::{app, snapshot};
use halo_sim::SyntheticSpec;
use serde_json::{Value, json};

use crate::measure::{self, median, print_table};

/// Options of `halo-bench check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Tenant sizes in agents, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,50000")]
    pub agents: Vec<usize>,
    /// API applications per tenant (named so that every shipped set binds).
    #[arg(long, default_value_t = 200)]
    pub applications: usize,
    /// Measurements of each kind per size; the median time and the highest peak are reported.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Where the generated snapshots and reports go [default: the system's temporary directory].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the generated snapshots (they are deleted after the run otherwise).
    #[arg(long)]
    pub keep: bool,
}

/// The tenant of a size: teams and roles grow with the agents (one team per 50 agents, one role
/// per 100, at least 10 and 8), as in a large MSP.
#[must_use]
pub fn spec(agents: usize, applications: usize) -> SyntheticSpec {
    SyntheticSpec {
        agents,
        teams: (agents / 50).max(10),
        roles: (agents / 100).max(8),
        applications,
        seed: 1,
    }
}

struct Row {
    spec: SyntheticSpec,
    bytes: u64,
    floor_s: f64,
    floor_kib: u64,
    check_s: f64,
    check_kib: u64,
    phases: Value,
}

/// Runs the benchmark and prints its tables.
///
/// # Errors
/// A message for anything that stopped it.
pub fn run(args: &CheckArgs) -> Result<(), String> {
    let dir = work_dir(args.dir.as_deref())?;
    let runs = args.runs.max(1);
    let mut rows = Vec::new();
    for &agents in &args.agents {
        let (spec, stem) = generate(&dir, agents, args.applications)?;
        let file = dir.join(format!("{stem}.json"));
        let bytes = std::fs::metadata(&file)
            .map_err(|e| format!("cannot stat {}: {e}", file.display()))?
            .len();
        let path = file.to_string_lossy().into_owned();
        let report = dir.join("report.json").to_string_lossy().into_owned();
        let (mut floor, mut check) = (Vec::new(), Vec::new());
        let (mut floor_kib, mut check_kib) = (0, 0);
        for run in 1..=runs {
            let f = measure::child(&["floor", &path], &dir)?;
            floor.push(number(&f, "seconds"));
            floor_kib = floor_kib.max(number(&f, "peak_kib") as u64);
            let c = measure::child(&["check", &path, &report], &dir)?;
            check.push(number(&c, "seconds"));
            check_kib = check_kib.max(number(&c, "peak_kib") as u64);
            eprintln!(
                "halo-bench: {agents} agents, run {run}/{runs}: floor {:.3} s, check {:.3} s",
                number(&f, "seconds"),
                number(&c, "seconds")
            );
        }
        let phases = measure::child(&["phases", &path], &dir)?;
        rows.push(Row {
            spec,
            bytes,
            floor_s: median(&floor),
            floor_kib,
            check_s: median(&check),
            check_kib,
            phases,
        });
        let _ = std::fs::remove_file(&report);
        if !args.keep {
            let _ = std::fs::remove_file(&file);
        }
    }
    print_results(&rows, runs);
    Ok(())
}

/// The directory the generated files go to (the system's temporary one by default), created.
pub(crate) fn work_dir(dir: Option<&Path>) -> Result<PathBuf, String> {
    let dir = dir.map_or_else(
        || std::env::temp_dir().join("halo-bench"),
        Path::to_path_buf,
    );
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Writes the synthetic tenant of a size to `DIR/STEM.json`; returns its spec and the stem.
pub(crate) fn generate(
    dir: &Path,
    agents: usize,
    applications: usize,
) -> Result<(SyntheticSpec, String), String> {
    let spec = spec(agents, applications);
    let stem = format!(
        "synthetic-{}a-{}t-{}r-{}app",
        spec.agents, spec.teams, spec.roles, spec.applications
    );
    eprintln!(
        "halo-bench: generating {} agents, {} teams, {} roles, {} applications",
        spec.agents, spec.teams, spec.roles, spec.applications
    );
    write_snapshot(&spec, &dir.join(format!("{stem}.json")))?;
    Ok((spec, stem))
}

pub(crate) fn number(value: &Value, key: &str) -> f64 {
    value.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

fn write_snapshot(spec: &SyntheticSpec, file: &Path) -> Result<(), String> {
    let document = halo_sim::synthetic(spec);
    let out = std::fs::File::create(file)
        .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
    let mut writer = BufWriter::new(out);
    halo_sim::write_rendered(&document, &mut writer)
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    // On disk before measuring: no write-back competing with the runs.
    writer
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

fn print_results(rows: &[Row], runs: usize) {
    println!(
        "\n## check: `halo-audit check --format json` vs reading and parsing the snapshot (median of {runs} runs, fresh process each)\n"
    );
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let p = &r.phases;
            vec![
                r.spec.agents.to_string(),
                r.spec.teams.to_string(),
                r.spec.roles.to_string(),
                r.spec.applications.to_string(),
                format!("{:.1}", r.bytes as f64 / 1e6),
                format!("{:.3}", r.floor_s),
                format!("{:.3}", r.check_s),
                format!("{:.2}", r.check_s / r.floor_s),
                mib(r.floor_kib),
                mib(r.check_kib),
                format!("{:.0}", r.check_s * 1e6 / r.spec.agents.max(1) as f64),
                format!("{:.1}", r.check_kib as f64 / r.spec.agents.max(1) as f64),
                format!(
                    "{}/{}",
                    p.get("sets_evaluated").and_then(Value::as_u64).unwrap_or(0),
                    p.get("sets").and_then(Value::as_u64).unwrap_or(0)
                ),
                p.get("findings")
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
                    .to_string(),
            ]
        })
        .collect();
    print_table(
        &[
            "agents",
            "teams",
            "roles",
            "apps",
            "file MB",
            "floor s",
            "check s",
            "check/floor",
            "floor peak MiB",
            "check peak MiB",
            "check µs/agent",
            "check peak KiB/agent",
            "sets evaluated",
            "findings",
        ],
        &table,
    );
    println!("\n## check, phase by phase (one in-process run; peak = VmHWM after the phase)\n");
    let mut table = Vec::new();
    for r in rows {
        for phase in r
            .phases
            .get("phases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            table.push(vec![
                r.spec.agents.to_string(),
                phase
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned(),
                format!("{:.3}", number(phase, "seconds")),
                mib(number(phase, "peak_kib") as u64),
                mib(number(phase, "rss_kib") as u64),
            ]);
        }
    }
    print_table(&["agents", "phase", "s", "peak MiB", "RSS MiB"], &table);
}

/// `child floor FILE...`: read each file and parse it as JSON, nothing else; every tree is kept
/// until the end (a command that reads two snapshots, `diff`, is compared with both held).
pub fn child_floor(files: &[PathBuf]) -> Result<Value, String> {
    let start = Instant::now();
    let mut kept = Vec::new();
    for file in files {
        let bytes =
            std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let parsed: Value =
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
        kept.push((bytes, parsed));
    }
    let seconds = start.elapsed().as_secs_f64();
    let peak = measure::peak_rss_kib();
    // Keep everything alive until measured; the process ends right after.
    std::mem::forget(kept);
    Ok(json!({"seconds": seconds, "peak_kib": peak}))
}

/// `child check FILE OUT`: exactly what `halo-audit check --snapshot FILE --format json -o OUT`
/// does, in this process, start to end.
pub fn child_check(file: &Path, out: &Path) -> Result<Value, String> {
    let start = Instant::now();
    let cli = Cli::try_parse_from([
        "halo-audit".as_ref(),
        "check".as_ref(),
        "--snapshot".as_ref(),
        file.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
        "--color".as_ref(),
        "never".as_ref(),
    ])
    .map_err(|e| e.to_string())?;
    let code = app::run(&cli).map_err(|e| format!("check failed: {e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(json!({"seconds": seconds, "peak_kib": measure::peak_rss_kib(), "exit": code}))
}

/// `child phases FILE`: the steps of a check one by one, with the time and peak memory of each.
pub fn child_phases(file: &Path) -> Result<Value, String> {
    let mut phases = Vec::new();
    let mut clock = Instant::now();
    let mut mark = |name: &str, phases: &mut Vec<Value>| {
        phases.push(json!({
            "name": name,
            "seconds": clock.elapsed().as_secs_f64(),
            "peak_kib": measure::peak_rss_kib(),
            "rss_kib": measure::rss_kib(),
        }));
        clock = Instant::now();
    };
    let catalog = Catalog::builtin().map_err(|e| e.to_string())?;
    let sources = RuleSources {
        rules: Vec::new(),
        no_default_rules: false,
    };
    let library = app::load_library(&sources, catalog).map_err(|e| e.to_string())?;
    mark("load the rules", &mut phases);
    let tenant = snapshot::read(file, catalog)
        .map_err(|e| e.to_string())?
        .tenant;
    mark(
        "read, parse and normalise (streamed, agents on every core)",
        &mut phases,
    );
    let outcome = check::check(&tenant, &library, catalog, &Selection::default())
        .map_err(|e| e.to_string())?;
    mark("check", &mut phases);
    let style = Style {
        color: false,
        verbose: 0,
        quiet: true,
        width: 80,
    };
    let context = report::Context {
        tenant: &tenant,
        library: &library,
        catalog,
        style: &style,
        fail_on: FailOn::Error,
        min_coverage: None,
        fail_on_assumed: false,
    };
    let text = report::render(Format::Json, &outcome, &context);
    mark("render the JSON report", &mut phases);
    let sets = outcome.sets.len();
    let evaluated = outcome
        .sets
        .iter()
        .filter(|s| matches!(s.state, SetState::Evaluated { .. } | SetState::Baseline))
        .count();
    let findings = outcome.findings.len();
    let report_bytes = text.len();
    drop(text);
    drop(outcome);
    drop(tenant);
    mark("free everything", &mut phases);
    Ok(json!({
        "phases": phases,
        "sets": sets,
        "sets_evaluated": evaluated,
        "findings": findings,
        "report_bytes": report_bytes,
    }))
}
