//! Simulated HaloPSA tenants for halo-audit's tests, benchmarks and demo.
//!
//! - [`generate`]: builds whole tenants as halo-audit snapshot documents (format v1, see
//!   `docs/snapshot-format.md`): the curated Northwind demo and scalable synthetic tenants.
//!   Deterministic and offline: the same input always gives byte-for-byte the same output.
//! - [`server`]: serves a tenant over HTTP on 127.0.0.1 with Halo's paths, OAuth2 token endpoint,
//!   list and detail views, envelopes, pagination, rate limiting and injectable faults (see
//!   `docs/simulator.md`).

pub mod generate;
pub mod server;

pub use generate::{SyntheticSpec, demo, render, synthetic, write_rendered};
pub use server::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Envelope, Fault, FaultKind, HALO_SCOPES,
    RateLimit, RequestLog, RequestLogger, Server, SimConfig, Stats, TenantObjects, parse_duration,
    parse_fault, parse_rate,
};
