//! `halo-bench`: halo-audit's benchmarks (docs/performance.md).
//!
//! - `halo-bench check`: `halo-audit check` on synthetic tenants of 1k, 10k and 50k agents with 200
//!   applications, against every shipped set, next to the parse floor; time and peak memory.
//! - `halo-bench commands`: every command that reads a snapshot (check, diff, plan, self-check,
//!   snapshot show, init, check --baseline) at 1k, 10k and 50k agents, next to the parse floor of
//!   its input(s); time, peak memory and how the peak grows.
//! - `halo-bench fetch`: `halo-audit fetch` against the simulator with a rate limit and with
//!   latency: requests issued versus the minimum, 429s, wall time versus the bound.
//!
//! Owns the command line and dispatch. Measurements that need a process of their own re-run this
//! binary as `halo-bench child ...` (hidden).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod check;
mod commands;
mod fetch;
mod measure;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// halo-audit's benchmarks; each prints Markdown tables on stdout and progress on stderr.
#[derive(Debug, Parser)]
#[command(name = "halo-bench")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// `check` at MSP scale versus reading and parsing the snapshot.
    Check(check::CheckArgs),
    /// Every command that reads a snapshot (check, diff, plan, self-check, snapshot show, init,
    /// check --baseline) versus reading and parsing its input(s).
    Commands(commands::CommandsArgs),
    /// `fetch` against the simulator: requests, 429s and wall time versus their bounds.
    Fetch(fetch::FetchArgs),
    /// One measurement in a fresh process (used by the other commands).
    #[command(hide = true, subcommand)]
    Child(Child),
}

#[derive(Debug, Subcommand)]
enum Child {
    Floor {
        files: Vec<PathBuf>,
    },
    Check {
        file: PathBuf,
        out: PathBuf,
    },
    Phases {
        file: PathBuf,
    },
    Run {
        #[arg(last = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.command {
        Command::Check(a) => {
            println!("machine: {}", measure::machine());
            check::run(a)
        }
        Command::Commands(a) => {
            println!("machine: {}", measure::machine());
            commands::run(a)
        }
        Command::Fetch(a) => {
            println!("machine: {}", measure::machine());
            fetch::run(a)
        }
        Command::Child(child) => {
            let measured = match child {
                Child::Floor { files } => check::child_floor(files),
                Child::Check { file, out } => check::child_check(file, out),
                Child::Phases { file } => check::child_phases(file),
                Child::Run { args } => commands::child_run(args),
            };
            measured.map(|value| println!("{value}"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("halo-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
