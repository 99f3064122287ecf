//! `init`: writes a commented starter configuration, with bindings guessed from a snapshot.

use crate::catalog::Catalog;
use crate::report;
use crate::ruleset;
use crate::snapshot;
use crate::verdict::exit;

use super::AppError;
use super::inputs::display;
use super::outputs::refuse_clobbering;

/// Runs `init`.
///
/// # Errors
/// An existing file without `--force`, an unreadable snapshot, a failed write.
pub fn run(args: &crate::cli::InitArgs, catalog: &Catalog) -> Result<u8, AppError> {
    refuse_clobbering(
        &[("-o", Some(&args.output))],
        &[("--snapshot", args.snapshot.as_deref())],
    )?;
    if !crate::fsio::is_stdio(&args.output) && args.output.exists() && !args.force {
        return Err(AppError::Exists {
            path: display(&args.output),
        });
    }
    let library = ruleset::load(&ruleset::builtin_files(), catalog)?;
    let tenant = match &args.snapshot {
        Some(path) => Some(snapshot::read(path, catalog)?.tenant),
        None => None,
    };
    let text = report::init::starter(&library, tenant.as_ref(), args.snapshot.as_deref());
    crate::fsio::write_atomic(&args.output, text.as_bytes())?;
    report::status(&format!(
        "wrote {}; review it, then run `halo-audit check`\n",
        crate::fsio::describe_output(&args.output)
    ));
    Ok(exit::OK)
}
