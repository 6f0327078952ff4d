//! Database migrations of the CRM.
//!
//! One migration per file, a linear history, never edited once landed: a change is a new file.
//! The same migrations run on SQLite and PostgreSQL. Every tenant table leads with `org_id` and
//! every index serving a tenant query leads with it; primary keys are UUIDv7.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_identity;
mod m20261123_000002_customers;
mod m20261123_000003_interactions;
mod m20261123_000004_sales;
mod m20261123_000005_principal_notifications;
mod m20261202_000006_sessions;
mod m20261202_000007_search;
mod m20261202_000008_api_key_notifications;
mod m20261202_000009_search_vectors;
mod m20261205_000010_jobs;
mod m20261205_000011_change_feed;
mod m20261205_000012_exports;
mod m20261205_000013_feed_notify;
mod m20261205_000014_webhooks;
mod m20261205_000015_ordered_at;
mod m20261206_000016_outbox_seq;
mod m20261206_000017_imports;
mod m20261206_000018_contact_external_ids;
mod m20261206_000019_more_external_ids;
mod m20261206_000020_analytics;
mod m20261206_000021_costs;
mod m20261206_000022_analytics_write_back;
mod m20261206_000023_next_best_actions;
mod m20261206_000024_revenue_rollups;
mod m20261206_000025_analytics_overview;
mod m20261207_000026_product_price_index;
mod m20261207_000027_line_costs;
mod m20261208_000028_search_pending_list;

/// The ordered list of migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_identity::Migration),
            Box::new(m20261123_000002_customers::Migration),
            Box::new(m20261123_000003_interactions::Migration),
            Box::new(m20261123_000004_sales::Migration),
            Box::new(m20261123_000005_principal_notifications::Migration),
            Box::new(m20261202_000006_sessions::Migration),
            Box::new(m20261202_000007_search::Migration),
            Box::new(m20261202_000008_api_key_notifications::Migration),
            Box::new(m20261202_000009_search_vectors::Migration),
            Box::new(m20261205_000010_jobs::Migration),
            Box::new(m20261205_000011_change_feed::Migration),
            Box::new(m20261205_000012_exports::Migration),
            Box::new(m20261205_000013_feed_notify::Migration),
            Box::new(m20261205_000014_webhooks::Migration),
            Box::new(m20261205_000015_ordered_at::Migration),
            Box::new(m20261206_000016_outbox_seq::Migration),
            Box::new(m20261206_000017_imports::Migration),
            Box::new(m20261206_000018_contact_external_ids::Migration),
            Box::new(m20261206_000019_more_external_ids::Migration),
            Box::new(m20261206_000020_analytics::Migration),
            Box::new(m20261206_000021_costs::Migration),
            Box::new(m20261206_000022_analytics_write_back::Migration),
            Box::new(m20261206_000023_next_best_actions::Migration),
            Box::new(m20261206_000024_revenue_rollups::Migration),
            Box::new(m20261206_000025_analytics_overview::Migration),
            Box::new(m20261207_000026_product_price_index::Migration),
            Box::new(m20261207_000027_line_costs::Migration),
            Box::new(m20261208_000028_search_pending_list::Migration),
        ]
    }
}
