//! `analytics_overview`: the dashboard's sections as the analytics refresh last computed them,
//! per organization and subject (`companies`, `contacts`), for the day the run counted its
//! default period from (`reference_date`). `GET /api/v1/analytics/overview` with the default
//! parameters answers from them while the refresh is enabled, instead of running every report.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("analytics_overview")
                    .col(ColumnDef::new("org_id").uuid().not_null())
                    .col(ColumnDef::new("subject").string_len(16).not_null())
                    .col(ColumnDef::new("reference_date").string_len(10).not_null())
                    .col(ColumnDef::new("sections").text().not_null())
                    .col(
                        ColumnDef::new("computed_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col("org_id").col("subject"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("analytics_overview").to_owned())
            .await
    }
}
