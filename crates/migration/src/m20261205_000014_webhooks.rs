//! Webhooks (see docs/webhooks.md).
//!
//! - `webhook_subscriptions`: an organization's endpoints: URL, event type patterns (JSON
//!   array), `enabled`, the signing `secret` and, for 24 h after a rotation, the
//!   `previous_secret`; `failing_since` (start of the current run of failures, for the
//!   automatic disabling) and `deliver_job_id` (the one delivery job of the endpoint, so
//!   deliveries to one endpoint never run twice at once).
//! - `webhook_cursors`: per organization, where the fan-out stands in the change feed
//!   (`pos_p`, `pos_i` as the feed's cursor), the next delivery `seq` (the order deliveries
//!   are sent in) and the fan-out job (`fanout_job_id`).
//! - `webhook_deliveries`: one message to one endpoint (`message_id` is the `webhook-id`,
//!   stable across retries), its signed `body`, `state` (`pending`, `succeeded`, `failed`),
//!   retry bookkeeping. `ix_webhook_deliveries_queue (subscription_id, state, seq)` serves the
//!   sender; `ix_webhook_deliveries_list (subscription_id, id)` the admin list.
//! - `webhook_attempts`: every try: status, duration, response excerpt, error.

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
                    .table("webhook_subscriptions")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("org_id").uuid().not_null())
                    .col(ColumnDef::new("url").text().not_null())
                    .col(ColumnDef::new("description").text().null())
                    .col(ColumnDef::new("event_types").json_binary().not_null())
                    .col(ColumnDef::new("enabled").boolean().not_null())
                    .col(ColumnDef::new("disabled_reason").text().null())
                    .col(ts("disabled_at").null())
                    .col(ColumnDef::new("secret").string_len(100).not_null())
                    .col(ColumnDef::new("previous_secret").string_len(100).null())
                    .col(ts("previous_secret_expires_at").null())
                    .col(ts("failing_since").null())
                    .col(ColumnDef::new("deliver_job_id").uuid().null())
                    .col(ColumnDef::new("created_by").uuid().null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_subscriptions_org")
                    .table("webhook_subscriptions")
                    .col("org_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_cursors")
                    .col(ColumnDef::new("org_id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("pos_p").big_integer().not_null())
                    .col(ColumnDef::new("pos_i").uuid().not_null())
                    .col(ColumnDef::new("next_seq").big_integer().not_null())
                    .col(ColumnDef::new("fanout_job_id").uuid().null())
                    .col(ts("updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("org_id").uuid().not_null())
                    .col(ColumnDef::new("subscription_id").uuid().not_null())
                    .col(ColumnDef::new("message_id").uuid().not_null())
                    .col(ColumnDef::new("event_type").string_len(100).not_null())
                    .col(ColumnDef::new("record_key").string_len(100).not_null())
                    .col(ColumnDef::new("body").text().not_null())
                    .col(ColumnDef::new("origin").string_len(12).not_null())
                    .col(ColumnDef::new("state").string_len(12).not_null())
                    .col(ColumnDef::new("seq").big_integer().not_null())
                    .col(ColumnDef::new("attempts").integer().not_null())
                    .col(ts("next_attempt_at").not_null())
                    .col(ColumnDef::new("last_status").integer().null())
                    .col(ColumnDef::new("last_error").text().null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .col(ts("delivered_at").null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_queue")
                    .table("webhook_deliveries")
                    .col("subscription_id")
                    .col("state")
                    .col("seq")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_list")
                    .table("webhook_deliveries")
                    .col("subscription_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_attempts")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("org_id").uuid().not_null())
                    .col(ColumnDef::new("subscription_id").uuid().not_null())
                    .col(ColumnDef::new("delivery_id").uuid().not_null())
                    .col(ts("attempted_at").not_null())
                    .col(ColumnDef::new("status").integer().null())
                    .col(ColumnDef::new("duration_ms").integer().not_null())
                    .col(ColumnDef::new("response_excerpt").text().null())
                    .col(ColumnDef::new("error").text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_attempts_delivery")
                    .table("webhook_attempts")
                    .col("delivery_id")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "webhook_attempts",
            "webhook_deliveries",
            "webhook_cursors",
            "webhook_subscriptions",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
