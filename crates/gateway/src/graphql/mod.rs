//! The GraphQL face: schema, resolvers (thin: they call the same operations as REST), error
//! mapping, and the HTTP endpoint with body, batch, depth and complexity limits.

mod connection;
pub mod error;
pub mod http;
mod mutation;
mod query;

use crate::config::Config;
use async_graphql::{EmptySubscription, Schema};
pub use mutation::MutationRoot;
pub use query::QueryRoot;

/// The schema type.
pub type CrmSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Builds the schema with the configured limits; introspection is off in production.
pub fn build_schema(config: &Config) -> CrmSchema {
    let builder = Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .limit_depth(config.graphql_max_depth)
        .limit_complexity(config.graphql_max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(16);
    if config.is_development() {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}
