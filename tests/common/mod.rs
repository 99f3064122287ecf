//! Golden cases shared by the test binaries: every directory under `fixtures/cases/` holds a
//! `snapshot.json` and a `case.json` (described in `tests/golden.rs`). [`load`] runs the check a
//! case describes; [`context`] gives reporters what they need.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod formats;

use std::path::{Path, PathBuf};

use halo_audit::catalog::Catalog;
use halo_audit::check::{self, Finding, Outcome, Selection};
use halo_audit::cli::FailOn;
use halo_audit::report::{Context, Style};
use halo_audit::ruleset::{self, Library};
use halo_audit::tenant::Tenant;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub description: String,
    #[serde(default)]
    pub sets: Vec<String>,
    #[serde(default)]
    pub rules: Option<String>,
    pub expect: Expect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub findings: Vec<Pattern>,
    #[serde(default)]
    pub absent: Vec<Pattern>,
    #[serde(default)]
    pub clean_sets: Vec<String>,
    /// Requirements of the clean sets that halo-audit cannot read (no known claim carries the
    /// setting): `unverifiable` there is the honest answer, not a defect of the case.
    #[serde(default)]
    pub unreadable: Vec<String>,
    pub exit: u8,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub requirement_set: Option<String>,
    #[serde(default)]
    pub requirement: Option<String>,
    #[serde(default)]
    pub subject_kind: Option<String>,
    #[serde(default)]
    pub subject_name: Option<String>,
    #[serde(default)]
    pub permission: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
}

impl Pattern {
    pub fn matches(&self, f: &Finding) -> bool {
        self.code.as_deref().is_none_or(|c| c == f.code.as_str())
            && self
                .requirement_set
                .as_deref()
                .is_none_or(|s| s == f.requirement_set)
            && self
                .requirement
                .as_deref()
                .is_none_or(|r| Some(r) == f.requirement.as_deref())
            && self
                .subject_kind
                .as_deref()
                .is_none_or(|k| k == f.subject.kind.as_str())
            && self
                .subject_name
                .as_deref()
                .is_none_or(|n| n == f.subject.name)
            && self
                .permission
                .as_deref()
                .is_none_or(|p| Some(p) == f.permission.as_deref())
            && self
                .severity
                .as_deref()
                .is_none_or(|s| s == f.severity.as_str())
    }
}

/// Every case directory, sorted.
pub fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("case.json").is_file())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// A case with its check run.
pub struct Loaded {
    pub name: String,
    pub case: Case,
    pub tenant: Tenant,
    pub library: Library,
    pub outcome: Outcome,
}

/// Reads a case and runs its check.
pub fn load(dir: &Path) -> Loaded {
    let catalog = Catalog::builtin().unwrap();
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let case: Case = serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap())
        .unwrap_or_else(|e| panic!("{name}/case.json: {e}"));
    let mut files = ruleset::builtin_files();
    if let Some(rules) = &case.rules {
        files.extend(ruleset::read_path(&dir.join(rules)).unwrap());
    }
    let library = ruleset::load(&files, catalog).unwrap_or_else(|e| panic!("{name}: rules: {e:?}"));
    let snapshot_path = dir.join("snapshot.json");
    let tenant = halo_audit::snapshot::read(&snapshot_path, catalog)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .tenant;
    let selection = Selection {
        sets: case.sets.clone(),
        ..Selection::default()
    };
    let outcome = check::check(&tenant, &library, catalog, &selection).unwrap();
    Loaded {
        name,
        case,
        tenant,
        library,
        outcome,
    }
}

/// The style golden output is rendered with: no colours, notes and evidence shown.
pub const STYLE: Style = Style {
    color: false,
    verbose: 1,
    quiet: false,
    width: 80,
};

/// A reporter context for a loaded case.
pub fn context<'a>(loaded: &'a Loaded, fail_on: FailOn) -> Context<'a> {
    Context {
        tenant: &loaded.tenant,
        library: &loaded.library,
        catalog: Catalog::builtin().unwrap(),
        style: &STYLE,
        fail_on,
        min_coverage: None,
        fail_on_assumed: false,
    }
}
