//! The fetch benchmark: `halo-audit fetch` against the simulator (halo-sim, 127.0.0.1) under a
//! rate limit and under latency.
//!
//! Owns: the scenarios (a rolling-window limit, latency with growing concurrency, `--scope
//! integrations` on large tenants, `--scope all` at growing sizes), the request minimum each is
//! compared with, and the tables. The fetch runs in this process through the library
//! (`halo_audit::halo::fetch_snapshot`, what `halo-audit fetch` calls); the simulator counts the
//! requests it received and the 429s it sent.

use std::time::{Duration, Instant};

use halo_audit::halo::{FetchScope, Rate, Settings, fetch_snapshot};
use halo_sim::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RateLimit, Server, SimConfig, SyntheticSpec};
use secrecy::SecretString;
use serde_json::Value;

use crate::check::spec;
use crate::measure::print_table;

/// A part of the fetch benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// The simulator enforces a rolling-window limit (plus latency); the fetcher is told the same
    /// rate.
    Rate,
    /// No limit, fixed latency, growing `--concurrency`.
    Latency,
    /// `--scope integrations` on tenants of 5 applications and many agents.
    Integrations,
    /// `--scope all` at growing tenant sizes, no limit, no latency: requests versus the minimum.
    Sizes,
}

/// Options of `halo-bench fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// Scenarios to run, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "rate,latency,integrations,sizes"
    )]
    pub scenarios: Vec<Scenario>,
    /// The rolling-window limit of the rate scenario, enforced by the simulator and given to the
    /// fetcher as `--rate`. Halo's hosted limit is 300/5m; 60/10s is the same logic, 30x quicker.
    #[arg(long, default_value = "60/10s")]
    pub rate: String,
    /// Agents of the tenant of the rate scenario (teams, roles as in the check benchmark; 20
    /// applications).
    #[arg(long, default_value_t = 200)]
    pub rate_agents: usize,
    /// Latency the simulator adds to every response, in the rate and latency scenarios.
    #[arg(long, default_value_t = 50)]
    pub latency_ms: u64,
    /// Agents of the tenant of the latency scenario.
    #[arg(long, default_value_t = 500)]
    pub latency_agents: usize,
    /// `--concurrency` values of the latency scenario.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16")]
    pub concurrency: Vec<usize>,
    /// Agents of the tenants of the integrations scenario (5 applications each).
    #[arg(long, value_delimiter = ',', default_value = "2000,10000")]
    pub integrations_agents: Vec<usize>,
    /// Agents of the tenants of the sizes scenario.
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000")]
    pub sizes: Vec<usize>,
}

/// What one fetch cost.
struct Measured {
    /// Requests the simulator received.
    received: u64,
    /// Requests the fetcher counted (the snapshot's `requests.total`).
    counted: u64,
    /// 429 answers the simulator sent.
    throttled: u64,
    /// Retries the fetcher made.
    retries: u64,
    /// Requests in flight at once, at most, as the simulator saw them.
    max_in_flight: u64,
    wall: Duration,
}

/// The requests a fetch cannot do without: one token, each list in pages of 100 (one page at
/// least), one detail per agent, role and application (a team is stored as its list row), and
/// `GET /api/Agent/me`.
fn minimum(doc: &Value, scope: FetchScope) -> u64 {
    let count = |plural: &str| {
        doc.pointer(&format!("/objects/{plural}"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len) as u64
    };
    let page_size = halo_audit::halo::paging::PAGE_SIZE as u64;
    let pages = |plural: &str| count(plural).div_ceil(page_size).max(1);
    match scope {
        FetchScope::All => {
            1 + ["agents", "teams", "roles", "applications"]
                .iter()
                .map(|p| pages(p))
                .sum::<u64>()
                + count("agents")
                + count("roles")
                + count("applications")
                + 1
        }
        FetchScope::Integrations => {
            let mut agents: Vec<i64> = doc
                .pointer("/objects/applications")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|a| a.get("loginas_agent_id").and_then(Value::as_i64))
                .filter(|id| *id > 0)
                .collect();
            agents.sort_unstable();
            agents.dedup();
            1 + pages("applications") + agents.len() as u64 + 1
        }
    }
}

fn fetch(
    config: SimConfig,
    scope: FetchScope,
    rate: Option<Rate>,
    concurrency: usize,
) -> Result<Measured, String> {
    let server = Server::start(config).map_err(|e| format!("cannot start the simulator: {e}"))?;
    let mut settings = Settings::new(
        &server.url(),
        DEMO_CLIENT_ID.to_owned(),
        SecretString::from(DEMO_CLIENT_SECRET.to_owned()),
    )
    .map_err(|e| e.to_string())?;
    settings.tenant = Some("synthetic".to_owned());
    settings.scope = scope;
    settings.rate = rate;
    settings.concurrency = concurrency;
    let start = Instant::now();
    let snapshot = fetch_snapshot(&settings).map_err(|e| format!("the fetch failed: {e}"))?;
    let wall = start.elapsed();
    let stats = server.stats();
    server.shutdown();
    Ok(Measured {
        received: stats.total,
        counted: snapshot.requests.total,
        throttled: stats.throttled,
        retries: snapshot.requests.retries,
        max_in_flight: stats.max_in_flight,
        wall,
    })
}

fn tenant(spec: &SyntheticSpec) -> Result<(Value, SimConfig), String> {
    let doc = halo_sim::synthetic(spec);
    let config = SimConfig::from_snapshot(&doc)?;
    Ok((doc, config))
}

/// Runs the benchmark and prints its tables.
///
/// # Errors
/// A message for anything that stopped it.
pub fn run(args: &FetchArgs) -> Result<(), String> {
    let latency = Duration::from_millis(args.latency_ms);
    for scenario in &args.scenarios {
        match scenario {
            Scenario::Rate => rate(args, latency)?,
            Scenario::Latency => latency_scenario(args, latency)?,
            Scenario::Integrations => integrations(args)?,
            Scenario::Sizes => sizes(args)?,
        }
    }
    Ok(())
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

fn rate(args: &FetchArgs, latency: Duration) -> Result<(), String> {
    let limit = Rate::parse(&args.rate)
        .map_err(|e| format!("--rate: {e}"))?
        .ok_or("--rate: the rate scenario needs a limit, not `off`")?;
    let spec = spec(args.rate_agents, 20);
    let (doc, mut config) = tenant(&spec)?;
    config.rate_limit = Some(RateLimit {
        requests: limit.requests,
        window: limit.period,
        retry_after: false,
    });
    config.latency = latency;
    let min = minimum(&doc, FetchScope::All);
    eprintln!(
        "halo-bench: fetch under {} with {} ms latency: {min} requests, about {:.0} s",
        args.rate,
        latency.as_millis(),
        min as f64 * limit.period.as_secs_f64() / f64::from(limit.requests)
    );
    let m = fetch(config, FetchScope::All, Some(limit), 4)?;
    let per_second = f64::from(limit.requests) / limit.period.as_secs_f64();
    let bound = m.received as f64 / per_second;
    println!(
        "\n## fetch --scope all under a rate limit: simulator limit {} (rolling window, no Retry-After), fetcher --rate {}, --concurrency 4, {} ms latency\n",
        args.rate,
        args.rate,
        latency.as_millis()
    );
    print_table(
        &[
            "agents",
            "teams",
            "roles",
            "apps",
            "minimum",
            "requests",
            "429s",
            "retries",
            "wall s",
            "bound s",
            "wall/bound",
        ],
        &[vec![
            spec.agents.to_string(),
            spec.teams.to_string(),
            spec.roles.to_string(),
            spec.applications.to_string(),
            min.to_string(),
            requests(&m),
            m.throttled.to_string(),
            m.retries.to_string(),
            secs(m.wall),
            format!("{bound:.2}"),
            format!("{:.3}", m.wall.as_secs_f64() / bound),
        ]],
    );
    Ok(())
}

/// "N" when the simulator and the fetcher agree, "N (fetcher: M)" otherwise.
fn requests(m: &Measured) -> String {
    if m.received == m.counted {
        m.received.to_string()
    } else {
        format!("{} (fetcher: {})", m.received, m.counted)
    }
}

fn latency_scenario(args: &FetchArgs, latency: Duration) -> Result<(), String> {
    let spec = spec(args.latency_agents, 20);
    let (doc, config) = tenant(&spec)?;
    let min = minimum(&doc, FetchScope::All);
    let mut rows = Vec::new();
    for &concurrency in &args.concurrency {
        eprintln!(
            "halo-bench: fetch of {min} requests, {} ms latency, --concurrency {concurrency}",
            latency.as_millis()
        );
        let mut config = config.clone();
        config.latency = latency;
        let m = fetch(config, FetchScope::All, None, concurrency)?;
        let ideal = m.received as f64 / concurrency.max(1) as f64 * latency.as_secs_f64();
        rows.push(vec![
            concurrency.to_string(),
            min.to_string(),
            requests(&m),
            m.max_in_flight.to_string(),
            secs(m.wall),
            format!("{ideal:.2}"),
            format!("{:.3}", m.wall.as_secs_f64() / ideal),
        ]);
    }
    println!(
        "\n## fetch --scope all, no rate limit (--rate off), {} ms latency: {} agents, {} teams, {} roles, {} applications\n",
        latency.as_millis(),
        spec.agents,
        spec.teams,
        spec.roles,
        spec.applications
    );
    print_table(
        &[
            "concurrency",
            "minimum",
            "requests",
            "max in flight",
            "wall s",
            "requests ÷ concurrency × latency, s",
            "ratio",
        ],
        &rows,
    );
    Ok(())
}

fn integrations(args: &FetchArgs) -> Result<(), String> {
    let mut rows = Vec::new();
    for &agents in &args.integrations_agents {
        let spec = spec(agents, 5);
        eprintln!("halo-bench: fetch --scope integrations, {agents} agents, 5 applications");
        let (doc, config) = tenant(&spec)?;
        let min = minimum(&doc, FetchScope::Integrations);
        let m = fetch(config, FetchScope::Integrations, None, 4)?;
        rows.push(vec![
            agents.to_string(),
            spec.applications.to_string(),
            min.to_string(),
            requests(&m),
            m.throttled.to_string(),
            secs(m.wall),
        ]);
    }
    println!("\n## fetch --scope integrations (--rate off, no latency)\n");
    print_table(
        &["agents", "apps", "minimum", "requests", "429s", "wall s"],
        &rows,
    );
    Ok(())
}

fn sizes(args: &FetchArgs) -> Result<(), String> {
    let hosted = Rate::HALO_HOSTED.interval().as_secs_f64();
    let mut rows = Vec::new();
    for &agents in &args.sizes {
        let spec = spec(agents, 20);
        eprintln!("halo-bench: fetch --scope all, {agents} agents, no limit, no latency");
        let (doc, config) = tenant(&spec)?;
        let min = minimum(&doc, FetchScope::All);
        let m = fetch(config, FetchScope::All, None, 4)?;
        let paced = m.received as f64 * hosted;
        rows.push(vec![
            agents.to_string(),
            spec.teams.to_string(),
            spec.roles.to_string(),
            spec.applications.to_string(),
            min.to_string(),
            requests(&m),
            secs(m.wall),
            format!("{:.0}", m.received as f64 / m.wall.as_secs_f64()),
            format!("{:.1}", paced / 60.0),
        ]);
    }
    println!(
        "\n## fetch --scope all at growing sizes (--rate off, --concurrency 4, no latency); the last column is the time the same requests take paced under Halo's hosted 300/5m (default --rate)\n"
    );
    print_table(
        &[
            "agents",
            "teams",
            "roles",
            "apps",
            "minimum",
            "requests",
            "wall s",
            "requests/s",
            "at 300/5m, min",
        ],
        &rows,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimum_is_a_token_the_list_pages_and_one_call_per_agent_role_and_application() {
        let doc = halo_sim::synthetic(&spec(120, 5));
        // 120 agents (two pages of 100), 10 teams (their list rows suffice), 8 roles, 5
        // applications, and who the credential is.
        assert_eq!(minimum(&doc, FetchScope::All), 1 + 5 + 120 + 8 + 5 + 1);
        // Five applications log in as five distinct agents.
        assert_eq!(minimum(&doc, FetchScope::Integrations), 1 + 1 + 5 + 1);
    }
}
