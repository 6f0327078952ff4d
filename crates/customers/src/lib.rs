//! Customers: companies and contacts (consumers too: a contact needs no company), their custom
//! fields, duplicate detection and merge, and owner transfer.
//!
//! Every write goes through the write-safety kit of `crm-core`: versions (ETag / `ifVersion`),
//! soft delete and restore, per-record history and an outbox event in the same transaction.

pub mod dto;
pub mod dto_analytics;
pub mod error;
pub mod kit;
mod model;
pub mod ops;
pub mod parse;
pub mod parse_dto;
mod validate;
pub use validate::{domain_field, domain_key};

pub use dto::*;
pub use dto_analytics::CustomerAnalytics;
pub use error::CustomersError;
pub use parse_dto::*;
