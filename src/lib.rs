//! halo-audit: audits the permissions of a HaloPSA instance against the documented needs of its
//! integrations.
//!
//! Pipeline: `halo` (fetch, the only async code) → `snapshot` (file format, normaliser) →
//! `tenant` (typed model) → `check` (pure engine, driven by `ruleset` and `catalog`) → `report`.
//! The binary (`src/main.rs`) only parses arguments, calls [`app::run`] and maps the outcome to an
//! exit code; [`app`] sets up the run and hands it to the command's module in [`commands`].
//!
//! [`verdict`] (what fails a run, the exit codes) sits between the engine and the reporters.
//! Modules import only modules of lower layers: `tests/architecture.rs` holds the layers and fails on
//! an import up them.

pub mod app;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod color;
pub mod commands;
pub mod config;
pub mod diag;
pub mod diff;
pub mod fsio;
pub mod halo;
pub mod plan;
pub mod ratchet;
pub mod report;
pub mod ruleset;
pub mod schema;
pub mod selfcheck;
pub mod shell;
pub mod snapshot;
pub mod sources;
pub mod tenant;
pub mod text;
pub mod verdict;
