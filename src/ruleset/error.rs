//! What goes wrong reading rule files, the configuration or a catalog overlay: a problem at its
//! place, and the error that carries every problem found.

use std::path::PathBuf;

use miette::{Diagnostic, NamedSource, SourceSpan};

use super::set::Location;

/// One problem in a rule file, pointing at its place.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct RuleProblem {
    pub message: String,
    /// The file's text, shared by every problem of the file (a file with thousands of problems
    /// holds one copy, not one per problem), its URLs' userinfo masked.
    #[source_code]
    pub src: NamedSource<std::sync::Arc<str>>,
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    pub label: String,
    #[help]
    pub help: Option<String>,
    pub location: Location,
}

/// Rule loading failed; every problem found is included.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum RulesError {
    #[error("cannot read rules from {}: {cause}", path.display())]
    #[diagnostic(
        code(halo_audit::rules::read),
        help("check the path given to --rules; it must be a directory of *.yaml files or a file")
    )]
    Read {
        path: PathBuf,
        /// Printed in the message, not as a separate cause (which miette would print again).
        cause: std::io::Error,
    },
    #[error("cannot read the configuration file {}: {cause}", path.display())]
    #[diagnostic(
        code(halo_audit::config::read),
        help(
            "check the path given to --config or HALO_AUDIT_CONFIG; without either, halo-audit looks for halo-audit.yaml (or halo-audit.yml) from the current directory up to the repository root, and --no-config reads none"
        )
    )]
    ConfigRead {
        path: PathBuf,
        /// Printed in the message, not as a separate cause (which miette would print again).
        cause: std::io::Error,
    },
    #[error("two configuration files in {}: {DEFAULT_CONFIG} and {ALTERNATE_CONFIG}", dir.display())]
    #[diagnostic(
        code(halo_audit::config::ambiguous),
        help("keep one of them, or name the one to use with --config FILE")
    )]
    ConfigAmbiguous { dir: PathBuf },
    #[error("{} is {size} bytes, over the {limit}-byte limit for a YAML file", path.display())]
    #[diagnostic(
        code(halo_audit::rules::too_large),
        help(
            "a requirement set or configuration is a few kilobytes; check the path points at one"
        )
    )]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{}:{line}:{column}: the file is not UTF-8 text", path.display())]
    #[diagnostic(
        code(halo_audit::rules::not_utf8),
        help("save the file as UTF-8; YAML files are text, and the byte at that place is not")
    )]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    #[error("no rule files (*.yaml) in {}", path.display())]
    #[diagnostic(
        code(halo_audit::rules::empty),
        help(
            "point --rules at a directory holding requirement sets, e.g. the repository's rules/"
        )
    )]
    Empty { path: PathBuf },
    #[error("{} in rule files", plural(problems.len(), "problem"))]
    #[diagnostic(
        code(halo_audit::rules::invalid),
        help("fix each problem listed; `halo-audit rules validate PATH` re-checks")
    )]
    Invalid {
        #[related]
        problems: Vec<RuleProblem>,
    },
    #[error("{} in the configuration", plural(problems.len(), "problem"))]
    #[diagnostic(
        code(halo_audit::config::invalid),
        help("fix each problem listed; docs/config.md describes every member")
    )]
    InvalidConfig {
        #[related]
        problems: Vec<RuleProblem>,
    },
    #[error("{} in the catalog overlay", plural(problems.len(), "problem"))]
    #[diagnostic(
        code(halo_audit::catalog::overlay),
        help("fix each problem listed; docs/permissions.md describes catalog overlays")
    )]
    InvalidCatalog {
        #[related]
        problems: Vec<RuleProblem>,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The configuration file's name ([`crate::config::DEFAULT_NAME`]).
const DEFAULT_CONFIG: &str = "halo-audit.yaml";
/// The configuration file's other accepted name.
const ALTERNATE_CONFIG: &str = "halo-audit.yml";
