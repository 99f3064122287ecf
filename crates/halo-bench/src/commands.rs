//! The commands benchmark: every command that reads a snapshot, on synthetic tenants of growing
//! size, next to the time and memory it takes merely to read and parse its input(s) (the floor).
//!
//! Owns: the list of measured commands and their arguments, the second snapshot `diff` compares,
//! the `--baseline` report `check` compares with, the child that runs one command in a fresh
//! process (`child run`), and the tables: one row per command and size, then how each command's
//! peak memory grows with the tenant. The targets (docs/performance.md) are printed beside the
//! figures; nothing here fails on a missed target.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use halo_audit::app;
use halo_audit::cli::Cli;
use serde_json::{Value, json};

use crate::check::number;
use crate::measure::{self, median, print_table};

/// Options of `halo-bench commands`.
#[derive(Debug, clap::Args)]
pub struct CommandsArgs {
    /// Tenant sizes in agents, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,50000")]
    pub agents: Vec<usize>,
    /// API applications per tenant (named so that every shipped set binds).
    #[arg(long, default_value_t = 200)]
    pub applications: usize,
    /// Measurements of each command per size; the median time and the highest peak are reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Only these commands (names as in the table, e.g. `diff,snapshot show`), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Where the generated snapshots and reports go [default: the system's temporary directory].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the generated snapshots (they are deleted after the run otherwise).
    #[arg(long)]
    pub keep: bool,
}

/// The files of one tenant size.
struct Files {
    /// The snapshot.
    a: String,
    /// A second copy of it: `diff` reads two files.
    b: String,
    /// `check --format json` of `a`, the `--baseline` of the baseline run.
    baseline: String,
    /// Where reports are written.
    out: String,
}

/// One measured command: its name in the tables, its arguments, the files it reads.
struct Case {
    name: &'static str,
    args: Vec<String>,
    inputs: Vec<String>,
}

fn cases(f: &Files) -> Vec<Case> {
    let case = |name, args: &[&str], inputs: &[&str]| Case {
        name,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        inputs: inputs.iter().map(|a| (*a).to_owned()).collect(),
    };
    let one: &[&str] = &[&f.a];
    vec![
        case(
            "check",
            &[
                "check",
                "--snapshot",
                &f.a,
                "--format",
                "json",
                "-o",
                &f.out,
            ],
            one,
        ),
        case(
            "check --baseline",
            &[
                "check",
                "--snapshot",
                &f.a,
                "--format",
                "json",
                "-o",
                &f.out,
                "--baseline",
                &f.baseline,
            ],
            &[&f.a, &f.baseline],
        ),
        case(
            "diff",
            &["diff", &f.a, &f.b, "--format", "json", "-o", &f.out],
            &[&f.a, &f.b],
        ),
        case(
            "plan",
            &[
                "plan",
                "--set",
                "vciotoolbox",
                "--snapshot",
                &f.a,
                "-o",
                &f.out,
            ],
            one,
        ),
        case(
            "self-check",
            &["self-check", "--snapshot", &f.a, "--format", "json"],
            one,
        ),
        case("snapshot show", &["snapshot", "show", &f.a], one),
        case(
            "init",
            &["init", "--snapshot", &f.a, "-o", &f.out, "--force"],
            one,
        ),
    ]
}

struct Row {
    command: &'static str,
    agents: usize,
    /// Megabytes of input, every file.
    mb: f64,
    floor_s: f64,
    floor_kib: u64,
    seconds: f64,
    peak_kib: u64,
    exit: i64,
}

/// Runs the benchmark and prints its tables.
///
/// # Errors
/// A message for anything that stopped it.
pub fn run(args: &CommandsArgs) -> Result<(), String> {
    let dir = crate::check::work_dir(args.dir.as_deref())?;
    let runs = args.runs.max(1);
    let mut rows = Vec::new();
    for &agents in &args.agents {
        let (_, stem) = crate::check::generate(&dir, agents, args.applications)?;
        let a = dir.join(format!("{stem}.json"));
        let b = dir.join(format!("{stem}-copy.json"));
        std::fs::copy(&a, &b).map_err(|e| format!("cannot copy {}: {e}", a.display()))?;
        let files = Files {
            a: text(&a),
            b: text(&b),
            baseline: text(&dir.join(format!("{stem}-baseline.json"))),
            out: text(&dir.join("out")),
        };
        // The baseline is the JSON report of the same snapshot.
        measure::child(
            &[
                "run",
                "--",
                "check",
                "--snapshot",
                &files.a,
                "--format",
                "json",
                "-o",
                &files.baseline,
            ],
            &dir,
        )?;
        // The floor of each set of inputs: read and parse them all, keeping every tree.
        let mut floors: Vec<(Vec<String>, Vec<f64>, u64)> = Vec::new();
        for case in cases(&files) {
            if !floors.iter().any(|(inputs, ..)| *inputs == case.inputs) {
                floors.push((case.inputs.clone(), Vec::new(), 0));
            }
        }
        for run in 1..=runs {
            for (inputs, seconds, peak) in &mut floors {
                let mut argv = vec!["floor"];
                argv.extend(inputs.iter().map(String::as_str));
                let f = measure::child(&argv, &dir)?;
                seconds.push(number(&f, "seconds"));
                *peak = (*peak).max(number(&f, "peak_kib") as u64);
                eprintln!(
                    "halo-bench: {agents} agents, floor of {} file(s), run {run}/{runs}: {:.3} s",
                    inputs.len(),
                    number(&f, "seconds")
                );
            }
        }
        for case in cases(&files) {
            if !args.only.is_empty() && !args.only.iter().any(|o| o == case.name) {
                continue;
            }
            let (mut seconds, mut peak, mut exit) = (Vec::new(), 0, 0);
            for run in 1..=runs {
                let mut argv = vec!["run", "--"];
                argv.extend(case.args.iter().map(String::as_str));
                let r = measure::child(&argv, &dir)?;
                seconds.push(number(&r, "seconds"));
                peak = peak.max(number(&r, "peak_kib") as u64);
                exit = r.get("exit").and_then(Value::as_i64).unwrap_or(-1);
                eprintln!(
                    "halo-bench: {agents} agents, {} run {run}/{runs}: {:.3} s, {} MiB",
                    case.name,
                    number(&r, "seconds"),
                    mib(number(&r, "peak_kib") as u64)
                );
            }
            let (_, floor_s, floor_kib) = floors
                .iter()
                .find(|(inputs, ..)| *inputs == case.inputs)
                .ok_or("no floor measured")?;
            let mb = case
                .inputs
                .iter()
                .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
                .sum::<u64>() as f64
                / 1e6;
            rows.push(Row {
                command: case.name,
                agents,
                mb,
                floor_s: median(floor_s),
                floor_kib: *floor_kib,
                seconds: median(&seconds),
                peak_kib: peak,
                exit,
            });
        }
        for file in [&files.baseline, &files.out] {
            let _ = std::fs::remove_file(file);
        }
        if !args.keep {
            let _ = std::fs::remove_file(&a);
            let _ = std::fs::remove_file(&b);
        }
    }
    print_results(&rows, runs);
    Ok(())
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

/// The memory target of a size (docs/performance.md): 150 MiB at 10,000 agents, 400 MiB at 50,000.
fn target_mib(agents: usize) -> Option<f64> {
    match agents {
        10_000 => Some(150.0),
        50_000 => Some(400.0),
        _ => None,
    }
}

fn verdict(row: &Row) -> String {
    let Some(limit) = target_mib(row.agents) else {
        return String::new();
    };
    let memory = row.peak_kib as f64 / 1024.0 <= limit;
    // The time target (1.0 × the floor) is set at 10,000 agents only.
    let time = row.agents != 10_000 || row.seconds <= row.floor_s;
    match (time, memory) {
        (true, true) => "met".to_owned(),
        (false, true) => "missed: time".to_owned(),
        (true, false) => "missed: memory".to_owned(),
        (false, false) => "missed: time, memory".to_owned(),
    }
}

fn print_results(rows: &[Row], runs: usize) {
    println!(
        "\n## every command vs reading and parsing its input(s) (median of {runs} runs, fresh process each)\n"
    );
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.command.to_owned(),
                r.agents.to_string(),
                format!("{:.1}", r.mb),
                format!("{:.3}", r.floor_s),
                format!("{:.3}", r.seconds),
                format!("{:.2}", r.seconds / r.floor_s),
                mib(r.floor_kib),
                mib(r.peak_kib),
                r.exit.to_string(),
                verdict(r),
            ]
        })
        .collect();
    print_table(
        &[
            "command",
            "agents",
            "input MB",
            "floor s",
            "s",
            "× floor",
            "floor peak MiB",
            "peak MiB",
            "exit",
            "target",
        ],
        &table,
    );
    println!("\n## how peak memory grows (KiB per agent between consecutive sizes)\n");
    let mut sizes: Vec<usize> = rows.iter().map(|r| r.agents).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut commands: Vec<&str> = Vec::new();
    for r in rows {
        if !commands.contains(&r.command) {
            commands.push(r.command);
        }
    }
    let mut header = vec!["command".to_owned()];
    header.extend(sizes.iter().map(|s| format!("{s} peak MiB")));
    header.extend(
        sizes
            .windows(2)
            .map(|w| format!("{}→{} KiB/agent", w[0], w[1])),
    );
    let table: Vec<Vec<String>> = commands
        .iter()
        .map(|command| {
            let peak = |agents: usize| {
                rows.iter()
                    .find(|r| r.command == *command && r.agents == agents)
                    .map(|r| r.peak_kib)
            };
            let mut row = vec![(*command).to_owned()];
            row.extend(
                sizes
                    .iter()
                    .map(|s| peak(*s).map_or_else(|| "-".to_owned(), mib)),
            );
            row.extend(sizes.windows(2).map(|w| match (peak(w[0]), peak(w[1])) {
                (Some(small), Some(large)) => format!(
                    "{:.1}",
                    (large as f64 - small as f64) / (w[1] - w[0]) as f64
                ),
                _ => "-".to_owned(),
            }));
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    print_table(&header, &table);
}

/// `child run -- ARGS...`: `halo-audit ARGS...` in this process, start to end (quiet, no colour,
/// no configuration file), with its wall time, peak memory and exit code.
pub fn child_run(args: &[String]) -> Result<Value, String> {
    let start = Instant::now();
    let mut argv = vec!["halo-audit".to_owned()];
    argv.extend(args.iter().cloned());
    argv.extend(["--quiet", "--color", "never", "--no-config"].map(str::to_owned));
    let cli = Cli::try_parse_from(&argv).map_err(|e| e.to_string())?;
    let code = app::run(&cli).map_err(|e| format!("{args:?} failed: {e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(json!({"seconds": seconds, "peak_kib": measure::peak_rss_kib(), "exit": code}))
}
