//! `analytics_action_decisions`: what users decided about a next best action of a customer.
//! Accepting one creates its task (`activity_id`); accepting or dismissing hides that action of
//! that customer until `hidden_until` (30 days), after which it comes back if it still applies.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |name: &'static str| {
            ColumnDef::new(name)
                .timestamp_with_time_zone()
                .not_null()
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table("analytics_action_decisions")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("org_id").uuid().not_null())
                    .col(ColumnDef::new("customer_type").string_len(16).not_null())
                    .col(ColumnDef::new("customer_id").uuid().not_null())
                    .col(ColumnDef::new("rule").string_len(40).not_null())
                    .col(ColumnDef::new("state").string_len(16).not_null())
                    .col(ColumnDef::new("note").text().null())
                    .col(ColumnDef::new("activity_id").uuid().null())
                    .col(ColumnDef::new("decided_by").uuid().not_null())
                    .col(ts("decided_at"))
                    .col(ts("hidden_until"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_analytics_action_decisions_customer")
                    .table("analytics_action_decisions")
                    .col("org_id")
                    .col("customer_id")
                    .col("rule")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("analytics_action_decisions").to_owned())
            .await
    }
}
