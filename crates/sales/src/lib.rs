//! Sales force automation: pipelines with ordered stages, deals with their stage history,
//! products with prices per price list, and orders and invoices whose totals the server computes
//! in decimals. Invoices are numbered per organization with no gaps; ERP systems upsert orders,
//! invoices and products by their own external ids.

pub mod dto;
pub mod error;
pub mod kit;
mod model;
pub mod ops;
pub mod totals;

pub use dto::*;
pub use error::SalesError;
