//! `explain`: what a finding code checks, why it matters and how to fix it; without a code, the
//! list of codes.

use crate::diag::Code;
use crate::report::{self, Output, Style};
use crate::verdict::exit;

use super::AppError;

/// Runs `explain [CODE]`.
///
/// # Errors
/// An unknown code (with the codes closest to it); a closed standard output.
pub fn run(code: Option<&String>, style: &Style) -> Result<u8, AppError> {
    let text = match code {
        None => report::explain::list(report::explain::width()),
        Some(name) => match Code::from_name(name) {
            Some(code) => report::explain::code(code, style, report::explain::width()),
            None => {
                let close: Vec<String> = Code::ALL
                    .iter()
                    .filter(|c| crate::catalog::edit_distance(c.as_str(), name) <= 4)
                    .map(|c| format!("`{}`", c.as_str()))
                    .collect();
                let help = if close.is_empty() {
                    "`halo-audit explain` lists every code".to_owned()
                } else {
                    format!(
                        "did you mean {}? `halo-audit explain` lists every code",
                        close.join(", ")
                    )
                };
                return Err(AppError::UnknownCode {
                    code: name.clone(),
                    help,
                });
            }
        },
    };
    report::emit(&text, &Output::Stdout)?;
    Ok(exit::OK)
}
