//! `jobs`: the one queue of background work (webhook deliveries, imports, exports, sending,
//! timers, rollups). A job is `queued` until its `run_at`, `running` while a worker holds its
//! lease (`locked_by` until `locked_until`), then `succeeded` (pruned after a retention) or
//! `dead` after its last attempt failed, with `last_error`, for an admin to retry or discard.
//! `org_id` is null for system jobs.
//!
//! `ix_jobs_due (state, run_at)` serves the claim: queued jobs that are due, in `run_at` order,
//! and (its `state` prefix) the few running ones whose lease has passed. `ix_jobs_org
//! (org_id, state, id)` serves the admin list, which is keyset-paged on the id.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |name: &'static str| ColumnDef::new(name).timestamp_with_time_zone().to_owned();
        manager
            .create_table(
                Table::create()
                    .table("jobs")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("org_id").uuid().null())
                    .col(ColumnDef::new("kind").string_len(100).not_null())
                    .col(ColumnDef::new("payload").json_binary().not_null())
                    .col(ColumnDef::new("state").string_len(12).not_null())
                    .col(ts("run_at").not_null())
                    .col(ColumnDef::new("attempts").integer().not_null())
                    .col(ColumnDef::new("max_attempts").integer().not_null())
                    .col(ColumnDef::new("last_error").text().null())
                    .col(ColumnDef::new("locked_by").string_len(64).null())
                    .col(ts("locked_until").null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .col(ts("finished_at").null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_due")
                    .table("jobs")
                    .col("state")
                    .col("run_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_org")
                    .table("jobs")
                    .col("org_id")
                    .col("state")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("jobs").to_owned())
            .await
    }
}
