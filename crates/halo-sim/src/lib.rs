//! Simulated HaloPSA tenants for halo-audit's tests, benchmarks and demo.
//!
//! Everything here is deterministic and offline: the same input always gives byte-for-byte the same
//! output, and nothing reaches a network or reads the clock.
//!
//! - [`generate`]: builds whole tenants as halo-audit snapshot documents (format v1, see
//!   `docs/snapshot-format.md`): the curated Northwind demo and scalable synthetic tenants.

pub mod generate;

pub use generate::{SyntheticSpec, demo, render, synthetic, write_rendered};
