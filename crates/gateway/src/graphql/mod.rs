//! The GraphQL face: schema, resolvers (thin: they call the same operations as REST), error
//! mapping, and the HTTP endpoint with body, batch, depth and complexity limits.

mod analytics;
mod analytics_chart;
mod analytics_rollups;
mod batch;
mod connection;
mod customers;
pub mod error;
mod events;
mod exports;
mod filters;
pub mod graphiql;
pub mod http;
mod imports;
mod inputs;
mod interactions;
mod jobs;
pub mod loaders;
mod mutation;
mod nodes;
mod query;
mod sales;
mod webhooks;
pub mod ws;

use crate::config::Config;
use async_graphql::{MergedObject, MergedSubscription, Schema};

/// The root of queries.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    query::IdentityQuery,
    customers::CustomersQuery,
    interactions::InteractionsQuery,
    sales::SalesQuery,
    jobs::JobsQuery,
    events::EventsQuery,
    exports::ExportsQuery,
    imports::ImportsQuery,
    webhooks::WebhooksQuery,
    analytics::AnalyticsQuery,
    analytics_chart::AnalyticsChartQuery,
    analytics_rollups::AnalyticsRollupsQuery,
);

/// The root of mutations.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    mutation::IdentityMutation,
    customers::CustomersMutation,
    interactions::InteractionsMutation,
    sales::SalesMutation,
    jobs::JobsMutation,
    exports::ExportsMutation,
    imports::ImportsMutation,
    webhooks::WebhooksMutation,
    analytics::AnalyticsMutation,
    analytics_rollups::AnalyticsRollupsMutation,
    batch::BatchMutation,
);

/// The root of subscriptions (over `/graphql/ws`).
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(events::EventsSubscription);

/// The schema type.
pub type CrmSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema with the configured limits; introspection is off in production.
pub fn build_schema(config: &Config) -> CrmSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
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
