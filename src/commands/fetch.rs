//! `fetch`: reads a HaloPSA instance into a snapshot file, then warns when the auditing
//! credential holds more than read access.

use std::path::Path;

use crate::catalog::Catalog;
use crate::cli::{Cli, FetchArgs};
use crate::report::{self, Style};
use crate::snapshot;
use crate::verdict::exit;

use super::AppError;
use super::connect::connection;
use super::inputs::load_config;
use super::outputs::refuse_clobbering;

/// Runs `fetch`.
///
/// # Errors
/// Any [`AppError`] of the configuration, the connection, the fetch or the write.
pub fn run(args: &FetchArgs, cli: &Cli, catalog: &Catalog, style: &Style) -> Result<u8, AppError> {
    let config = load_config(cli, style)?;
    refuse_clobbering(
        &[("-o", Some(&args.output))],
        &[
            (
                "--client-secret-file",
                args.connect.client_secret_file.as_deref(),
            ),
            ("--config", config.path.as_deref()),
        ],
    )?;
    let settings = connection(&args.connect.with_config(&config), "fetch", style)?;
    // Hours of fetching must not end in "cannot write".
    crate::fsio::check_writable(&args.output)?;
    let mut snap = crate::halo::fetch_snapshot(&settings)?;
    snap.save(&args.output)?;
    if !style.quiet {
        report::status(&report::fetch::summary(&snap, Some(&args.output)));
        warn_if_over_privileged(&snap, catalog, &args.output)?;
    }
    Ok(exit::OK)
}

/// After a fetch: one warning per way the auditing credential holds more than read access.
fn warn_if_over_privileged(
    snap: &snapshot::Snapshot,
    catalog: &Catalog,
    path: &Path,
) -> Result<(), AppError> {
    let tenant = snapshot::normalise(snap, catalog, path)?;
    let result = crate::selfcheck::run(snap, &tenant, catalog);
    for item in result
        .items
        .iter()
        .filter(|i| i.severity >= crate::diag::Severity::Warning)
    {
        report::status(&format!(
            "warning: self-check: {}\n  fix: {}\n",
            crate::text::shown(&item.message),
            crate::text::shown(&item.fix)
        ));
    }
    Ok(())
}
