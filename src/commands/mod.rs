//! The commands: one module per command (or per family: `rules` and its subcommands,
//! `completions` and `man`), each running one command from its parsed arguments to its exit code.
//!
//! `app` chooses the command; the commands use the engine, the reporters and the fetch, and
//! nothing below them uses a command (`tests/architecture.rs`). What they share is in one place:
//! [`error`] (everything that stops a command, with its exit code), [`inputs`] (the rule files
//! and the configuration read), [`outputs`] (the reports written, the outputs refused) and
//! [`connect`] (the connection settings of `fetch`, a live `check` and a live `self-check`).
//!
//! A module stays under 300 lines; a longer one says why in its header
//! (`tests/architecture.rs` checks it).

pub mod check;
pub mod completions;
pub mod connect;
pub mod diff;
pub mod error;
pub mod explain;
pub mod fetch;
pub mod init;
pub mod inputs;
pub mod outputs;
pub mod plan;
pub mod rules;
pub mod self_check;
pub mod snapshot;

pub use error::AppError;
