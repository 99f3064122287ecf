//! Measuring a piece of work in a process of its own: wall time and peak resident memory.
//!
//! Owns: re-running this binary as a child (`halo-bench child ...`) so every measurement starts
//! from a fresh process, reading the child's report (one JSON line on stdout), and reading the
//! peak resident set size (`VmHWM`) from `/proc/self/status` inside the child. No libc, no unsafe:
//! on a system without `/proc` the peak is reported as unknown.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The peak resident set size of this process so far, in KiB (`VmHWM`), when the OS says.
#[must_use]
pub fn peak_rss_kib() -> Option<u64> {
    status_field("VmHWM:")
}

/// The current resident set size, in KiB (`VmRSS`).
#[must_use]
pub fn rss_kib() -> Option<u64> {
    status_field("VmRSS:")
}

fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `halo-bench child ARGS...` and returns the JSON line it printed.
///
/// # Errors
/// When the child cannot start, fails, or prints no JSON.
pub fn child(args: &[&str], dir: &Path) -> Result<Value, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut command = Command::new(exe);
    command.arg("child").args(args).current_dir(dir);
    json_result(&mut command, &format!("child {args:?}"))
}

/// Runs a command that reports its measurement as a JSON line on stdout (the last one printed),
/// and returns it; `what` names the command in messages.
///
/// # Errors
/// When the command cannot start, fails, or prints no JSON.
pub fn json_result(command: &mut Command, what: &str) -> Result<Value, String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| format!("{what} printed no result: {text}"))?;
    serde_json::from_str(line).map_err(|e| format!("{what} printed bad JSON ({e}): {line}"))
}

/// The median of some numbers (the lower middle for an even count); 0 for none.
#[must_use]
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0.0)
}

/// The smallest of some times (the run least disturbed by the rest of the machine); 0 for none.
#[must_use]
pub fn best(values: &[f64]) -> f64 {
    values.iter().copied().reduce(f64::min).unwrap_or(0.0)
}

/// Prints a table: a header row, then rows, columns right-aligned except the first.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::from("|");
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            let pad = width.saturating_sub(cell.chars().count());
            if i == 0 {
                out.push_str(&format!(" {cell}{} |", " ".repeat(pad)));
            } else {
                out.push_str(&format!(" {}{cell} |", " ".repeat(pad)));
            }
        }
        out
    };
    println!("{}", line(header.to_vec()));
    let mut rule = String::from("|");
    for (i, w) in widths.iter().enumerate() {
        if i == 0 {
            rule.push_str(&format!("{}|", "-".repeat(w + 2)));
        } else {
            rule.push_str(&format!("{}:|", "-".repeat(w + 1)));
        }
    }
    println!("{rule}");
    for row in rows {
        println!("{}", line(row.iter().map(String::as_str).collect()));
    }
}

/// One line about the machine: cores, CPU model, memory and the load average right now (the
/// figures of a busy machine are slower; the load says how busy).
#[must_use]
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim())
        .to_owned();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown memory".to_owned(),
            |kib| format!("{:.0} GiB", kib as f64 / 1024.0 / 1024.0),
        );
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{cores} cores ({model}), {memory}, load average {load}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_the_peak_of_this_process() {
        assert!((median(&[3.0, 1.0, 2.0]) - 2.0).abs() < f64::EPSILON);
        assert!((median(&[4.0, 1.0, 3.0, 2.0]) - 2.0).abs() < f64::EPSILON);
        assert!(median(&[]).abs() < f64::EPSILON);
        assert!((best(&[3.0, 1.5, 2.0]) - 1.5).abs() < f64::EPSILON);
        assert!(best(&[]).abs() < f64::EPSILON);
        if cfg!(target_os = "linux") {
            let now = rss_kib().unwrap();
            let peak = peak_rss_kib().unwrap();
            assert!(peak >= now && now > 0, "{peak} {now}");
        }
    }
}
