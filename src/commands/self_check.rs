//! `self-check`: what the auditing credential can do, from a snapshot's record of it or live.

use std::path::Path;

use crate::catalog::Catalog;
use crate::cli::{Cli, SelfCheckArgs};
use crate::report::{self, Output, Style};
use crate::snapshot;

use super::AppError;
use super::connect::connection;
use super::inputs::load_config;

/// Runs `self-check`; its exit code says whether the credential holds more than read access.
///
/// # Errors
/// Any [`AppError`] of the snapshot, the configuration, the connection or the fetch.
pub fn run(
    args: &SelfCheckArgs,
    cli: &Cli,
    catalog: &Catalog,
    style: &Style,
) -> Result<u8, AppError> {
    let (loaded, me) = match &args.snapshot {
        Some(path) => {
            let loaded = snapshot::read(path, catalog)?;
            let me = crate::selfcheck::recorded_agent(&loaded.header);
            (loaded, me)
        }
        None => {
            let config = load_config(cli, style)?;
            let mut connect = args.connect.with_config(&config);
            connect.fetch_scope = crate::halo::FetchScope::Integrations;
            let settings = connection(&connect, "self-check", style)?;
            // The fetch asks which agent the credential acts as, in Halo's own words;
            // its object joins the agents read so its permissions are judged like a
            // login agent's.
            let (mut snap, me) = crate::halo::fetch_with_identity(&settings)?;
            if let crate::halo::Identity::Agent { id, object, .. } = &me {
                add_agent(&mut snap, *id, object);
            }
            let text = snap.to_json()?;
            (
                snapshot::read_bytes(text.as_bytes(), Path::new("<live>"), catalog)?,
                Some(me),
            )
        }
    };
    let result = crate::selfcheck::run_with(&loaded.header, &loaded.tenant, catalog, me.as_ref());
    let text = match args.format {
        crate::cli::SelfCheckFormat::Human => crate::text::fit_lines(
            &crate::text::shown_lines(&crate::selfcheck::render(&result)),
            style.columns(),
        ),
        crate::cli::SelfCheckFormat::Json => crate::selfcheck::json(&result),
    };
    report::emit(&text, &Output::Stdout)?;
    Ok(result.exit_code())
}

/// Adds an agent object to a snapshot's agents unless an agent with its id is there already.
fn add_agent(snap: &mut snapshot::Snapshot, id: i64, object: &serde_json::Value) {
    let same = |a: &serde_json::Value| {
        a.get("id")
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
            == Some(id)
    };
    match snap.objects.agents.as_mut() {
        Some(serde_json::Value::Array(list)) => {
            if !list.iter().any(same) {
                list.push(object.clone());
            }
        }
        // Halo's envelope: `{"record_count": N, "agents": [...]}`.
        Some(serde_json::Value::Object(map)) => {
            if let Some(serde_json::Value::Array(list)) = map.get_mut("agents")
                && !list.iter().any(same)
            {
                list.push(object.clone());
            }
        }
        Some(_) => {}
        None => snap.objects.agents = Some(serde_json::Value::Array(vec![object.clone()])),
    }
}
