//! Everything that stops a command, and its exit code (docs/adr/0002-exit-codes.md): 2 for usage
//! and invalid input, 3 when the audit could not run (a write, the fetch).

use crate::check;
use crate::ruleset;
use crate::snapshot;
use crate::verdict::exit;

/// Everything that stops a command, with its exit code.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AppError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Rules(#[from] ruleset::RulesError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] check::CheckError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Write(#[from] crate::fsio::WriteError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fetch(#[from] crate::halo::FetchError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    SameFile(#[from] crate::fsio::SameFileError),
    #[error("invalid {flag} `{value}`: {reason}")]
    #[diagnostic(code(halo_audit::usage), help("see `halo-audit {command} --help`"))]
    Usage {
        command: &'static str,
        flag: &'static str,
        value: String,
        reason: String,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Baseline(#[from] crate::ratchet::BaselineError),
    #[error("unknown finding code `{code}`")]
    #[diagnostic(code(halo_audit::explain::unknown), help("{help}"))]
    UnknownCode { code: String, help: String },
    #[error("{path} exists")]
    #[diagnostic(
        code(halo_audit::init::exists),
        help("pass --force to replace it, or -o to write elsewhere")
    )]
    Exists { path: String },
    #[error("{what} come from different HaloPSA instances: {old} and {new}")]
    #[diagnostic(
        code(halo_audit::different_instances),
        help(
            "compare reports and snapshots of the same instance; pass --allow-different-instances if comparing these is intended"
        )
    )]
    DifferentInstances {
        what: &'static str,
        old: String,
        new: String,
    },
    #[error("{names} exist already in {dir}")]
    #[diagnostic(
        code(halo_audit::rules::export_exists),
        help(
            "pass --force to replace them, or export into another directory; nothing was written"
        )
    )]
    ExportExists { dir: String, names: String },
    #[error("unknown requirement set `{id}`")]
    #[diagnostic(
        code(halo_audit::rules::unknown_set),
        help("`halo-audit rules list` shows the sets available")
    )]
    UnknownSet { id: String },
}

impl AppError {
    /// The exit code for this error.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Write(_) => exit::UNAVAILABLE,
            Self::Fetch(e) if !e.is_usage() => exit::UNAVAILABLE,
            Self::Snapshot(snapshot::SnapshotError::Write(_)) => exit::UNAVAILABLE,
            _ => exit::INVALID,
        }
    }
}
