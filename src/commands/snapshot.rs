//! `snapshot show`: what a snapshot holds, in a few lines.

use std::path::Path;

use crate::catalog::Catalog;
use crate::report::{self, Output, Style};
use crate::snapshot;
use crate::verdict::exit;

use super::AppError;

/// Runs `snapshot show FILE`.
///
/// # Errors
/// An unreadable or invalid snapshot; a closed standard output.
pub fn show(file: &Path, catalog: &Catalog, style: &Style) -> Result<u8, AppError> {
    let loaded = snapshot::read(file, catalog)?;
    report::emit(
        &report::snapshot::render(&loaded.header, &loaded.tenant, style),
        &Output::Stdout,
    )?;
    Ok(exit::OK)
}
