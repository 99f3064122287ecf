//! `halo-sim`: serves a simulated HaloPSA tenant over HTTP until interrupted (Ctrl-C).
//!
//! Owns the command line and the request log: one line on stdout with the URL and credentials, one
//! line per request on stderr. The server itself is `halo_sim::server`; see `docs/simulator.md`.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use halo_sim::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Envelope, Fault, HALO_SCOPES, RateLimit, RequestLog,
    Server, SimConfig, SyntheticSpec, parse_fault, parse_rate, synthetic,
};

/// Serve a simulated HaloPSA tenant on 127.0.0.1: Halo's API paths, OAuth2 client credentials,
/// list and detail views, envelopes, pagination, rate limits and injectable faults.
#[derive(Debug, Parser)]
#[command(name = "halo-sim", version, after_help = GRAMMAR)]
struct Args {
    /// Snapshot file (halo-audit format v1) whose objects to serve [default: the built-in demo tenant].
    #[arg(long, value_name = "FILE", conflicts_with = "synthetic")]
    tenant: Option<PathBuf>,
    /// Serve a generated synthetic tenant instead (as `gen-tenant synthetic` makes it), e.g.
    /// agents=2000,teams=40,roles=20,applications=5[,seed=1]; hosted tenant `synthetic`.
    #[arg(long, value_name = "SIZES", value_parser = parse_synthetic)]
    synthetic: Option<SyntheticSpec>,
    /// Address to bind. Anything but a loopback address exposes the simulator to the network.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to bind; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Client id the token endpoint accepts. An application's clientId from the tenant makes the
    /// simulator use that application's scopes and login agent.
    #[arg(long, value_name = "ID", default_value = DEMO_CLIENT_ID)]
    client_id: String,
    /// Client secret the token endpoint accepts.
    #[arg(long, value_name = "SECRET", default_value = DEMO_CLIENT_SECRET)]
    client_secret: String,
    /// Act as a hosted instance: /auth/token requires ?tenant=NAME [default: the snapshot's
    /// instance.tenant; northwind for the demo].
    #[arg(long, value_name = "NAME", conflicts_with = "no_tenant")]
    hosted_tenant: Option<String>,
    /// Act as an on-premises instance: no ?tenant= needed.
    #[arg(long)]
    no_tenant: bool,
    /// Scopes granted to the client, comma- or space-separated [default: admin].
    #[arg(long, value_name = "SCOPES")]
    scopes: Option<String>,
    /// Where the authorisation server lives (token endpoint {PATH}/token, announced by
    /// /api/authinfo). Another path than /auth simulates an auth server found only by discovery.
    #[arg(long, value_name = "PATH", default_value = "/auth")]
    auth_path: String,
    /// Serve agents and roles without `claims` (their permissions), as Halo does when the auditing
    /// agent may not see them.
    #[arg(long)]
    no_claims: bool,
    /// Token lifetime in seconds (expires_in).
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    token_lifetime: u64,
    /// Shape of unpaginated lists: a bare array or {"record_count": N, "<plural>": [...]}.
    #[arg(long, value_enum, default_value_t = EnvelopeArg::Bare)]
    envelope: EnvelopeArg,
    /// Unpaginated lists hold at most N items, wrapped with the full record_count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    page_limit: Option<u64>,
    /// Rolling-window rate limit over all requests, e.g. 300/5m or 300/5m,no-retry-after.
    #[arg(long, value_name = "SPEC", value_parser = parse_rate)]
    rate: Option<RateLimit>,
    /// Latency added before every response, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    latency_ms: u64,
    /// Inject a fault (repeatable), e.g. status=500,times=2@/api/Agent/*.
    #[arg(long, value_name = "SPEC", value_parser = parse_fault)]
    fault: Vec<Fault>,
    /// Do not log each request on stderr.
    #[arg(short, long)]
    quiet: bool,
}

const GRAMMAR: &str = "\
Rate:  REQUESTS/DURATION[,no-retry-after]       e.g. 300/5m, 5/200ms,no-retry-after
Fault: KIND[,skip=N][,times=N][@PATH]            PATH: * | /exact/path | /prefix/*
  KIND: status=CODE | forbidden | rate-limited[=SECS] | drop | drop-mid-body | malformed
        | garbage | delay=DURATION | hang | endless | redirect=URL | expire-tokens
Durations: 200ms, 30s, 5m, 1h.  Full reference: docs/simulator.md";

#[derive(Debug, Clone, Copy, ValueEnum)]
enum EnvelopeArg {
    Bare,
    Wrapped,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = match configure(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("halo-sim: {message}");
            return ExitCode::from(2);
        }
    };
    let summary = format!(
        "{} agents, {} teams, {} roles, {} applications",
        config.objects.agents.len(),
        config.objects.teams.len(),
        config.objects.roles.len(),
        config.objects.applications.len()
    );
    let tenant = config.tenant.clone();
    let (client_id, client_secret) = (config.client_id.clone(), config.client_secret.clone());
    let addr = SocketAddr::new(args.host, args.port);
    let server = if args.quiet {
        Server::start_on(config, addr)
    } else {
        Server::start_logged(config, addr, Arc::new(log_request))
    };
    let server = match server {
        Ok(server) => server,
        Err(e) => {
            eprintln!("halo-sim: cannot listen on {addr}: {e}");
            return ExitCode::from(3);
        }
    };
    let url = server.url();
    let tenant_field = tenant.as_deref().unwrap_or("-");
    let line = format!(
        "url={url} tenant={tenant_field} client_id={client_id} client_secret={client_secret}"
    );
    let mut out = io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        return ExitCode::from(3);
    }
    drop(out);
    let tenant_flag = tenant.map_or_else(String::new, |t| format!(" --tenant {t}"));
    eprintln!(
        "halo-sim: serving {summary} at {url} (API {url}/api, auth {url}/auth); Ctrl-C stops.\n\
         halo-sim: try: HALO_CLIENT_SECRET={client_secret} halo-audit fetch --url {url}{tenant_flag} \
         --client-id {client_id} -o snapshot.json"
    );
    loop {
        std::thread::park();
    }
}

fn configure(args: &Args) -> Result<SimConfig, String> {
    let mut config = match (&args.tenant, &args.synthetic) {
        (Some(path), _) => SimConfig::from_snapshot_file(path)?,
        (None, Some(spec)) => SimConfig::from_snapshot(&synthetic(spec))?,
        (None, None) => SimConfig::demo(),
    };
    if args.no_claims {
        config.objects = std::mem::take(&mut config.objects).without_claims();
    }
    config.auth_path.clone_from(&args.auth_path);
    if !config.auth_path.starts_with('/') || config.auth_path.len() < 2 {
        return Err(format!(
            "--auth-path: `{}` is not a path such as /auth",
            args.auth_path
        ));
    }
    config.client_id.clone_from(&args.client_id);
    config.client_secret.clone_from(&args.client_secret);
    if let Some(name) = &args.hosted_tenant {
        config.tenant = Some(name.clone());
    }
    if args.no_tenant {
        config.tenant = None;
    }
    if let Some(text) = &args.scopes {
        let scopes: Vec<String> = text
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(unknown) = scopes.iter().find(|s| !HALO_SCOPES.contains(&s.as_str())) {
            return Err(format!(
                "--scopes: `{unknown}` is not a HaloPSA API scope (known: {})",
                HALO_SCOPES.join(", ")
            ));
        }
        config.client_scopes = scopes;
    }
    config.token_lifetime = Duration::from_secs(args.token_lifetime);
    config.envelope = match args.envelope {
        EnvelopeArg::Bare => Envelope::Bare,
        EnvelopeArg::Wrapped => Envelope::Wrapped,
    };
    config.page_limit = args
        .page_limit
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    config.rate_limit = args.rate;
    config.latency = Duration::from_millis(args.latency_ms);
    config.faults.clone_from(&args.fault);
    Ok(config)
}

/// `agents=N,teams=N,roles=N,applications=N[,seed=S]`.
fn parse_synthetic(text: &str) -> Result<SyntheticSpec, String> {
    let mut spec = SyntheticSpec {
        agents: 0,
        teams: 0,
        roles: 0,
        applications: 0,
        seed: 1,
    };
    let mut given = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not KEY=N"))?;
        let n: u64 = value
            .trim()
            .parse()
            .map_err(|_| format!("`{value}` is not a whole number"))?;
        let size = || usize::try_from(n).map_err(|_| format!("{n} is too large"));
        match key.trim() {
            "agents" => spec.agents = size()?,
            "teams" => spec.teams = size()?,
            "roles" => spec.roles = size()?,
            "applications" => spec.applications = size()?,
            "seed" => spec.seed = n,
            other => {
                return Err(format!(
                    "unknown `{other}` (agents, teams, roles, applications, seed)"
                ));
            }
        }
        given.push(key.trim().to_owned());
    }
    for needed in ["agents", "teams", "roles", "applications"] {
        if !given.iter().any(|g| g == needed) {
            return Err(format!(
                "missing {needed}=N (e.g. agents=2000,teams=40,roles=20,applications=5)"
            ));
        }
    }
    Ok(spec)
}

fn log_request(entry: &RequestLog) {
    let status = entry
        .status
        .map_or_else(|| "(no response)".to_owned(), |s| s.to_string());
    let fault = entry
        .fault
        .as_deref()
        .map_or_else(String::new, |f| format!(" [fault {f}]"));
    eprintln!(
        "halo-sim: {} {} {} -> {status} in {} ms{fault}",
        entry.peer,
        entry.method,
        entry.target,
        entry.elapsed.as_millis()
    );
}
