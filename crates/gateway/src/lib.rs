//! The only HTTP face of the CRM.
//!
//! REST under `/api/v1` (documented with utoipa, served at `/openapi.json` and `/docs`) and
//! GraphQL at `/graphql`, both thin: they extract, call an operation of a domain crate, and
//! render. Also the typed configuration, the `crm` binary's commands and the server lifecycle.

pub mod cli;
pub mod config;
pub mod contracts;
pub mod exports;
pub mod graphql;
pub mod imports;
pub mod metrics;
pub mod otel;
pub mod ratelimit;
pub mod rest;
pub mod server;
pub mod state;
pub mod telemetry;
