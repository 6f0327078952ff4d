//! The read models and inputs of sales, shared by REST (OpenAPI) and GraphQL, by what they
//! describe; every type is re-exported here, so `crate::dto::Deal` keeps its path.

mod deals;
mod documents;
mod leads;
mod products;

pub use deals::*;
pub use documents::*;
pub use leads::*;
pub use products::*;
