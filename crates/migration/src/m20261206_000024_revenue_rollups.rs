//! Monthly revenue rollups, kept current from the change feed (issue #14):
//!
//! - `analytics_rollup`: per organization, whether the rollups are kept, the live job of their
//!   chain, their place in the change feed (`pos_p`/`pos_i`), and the re-fold of every order
//!   in progress (`rebuilding`, from after order `rebuild_after`).
//! - `analytics_rollup_orders`: what each order added to the rollups (`contribution`, JSON), so
//!   that a changed order takes back exactly what it added before adding its new amounts.
//! - `analytics_monthly_revenue`: per month and per company, contact, product or the whole
//!   organization (`subject_type` `all`, nil id), the revenue in the base currency (decimal
//!   text), the orders counted, the orders left out for want of an exchange rate, the lines
//!   and the quantity.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |name: &'static str| {
            ColumnDef::new(name)
                .timestamp_with_time_zone()
                .null()
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table("analytics_rollup")
                    .col(ColumnDef::new("org_id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("enabled").boolean().not_null())
                    .col(ColumnDef::new("job_id").uuid().null())
                    .col(ColumnDef::new("pos_p").big_integer().not_null())
                    .col(ColumnDef::new("pos_i").uuid().not_null())
                    .col(ColumnDef::new("rebuilding").boolean().not_null())
                    .col(ColumnDef::new("rebuild_after").uuid().null())
                    .col(ts("rebuilt_at"))
                    .col(ts("current_at"))
                    .col(ColumnDef::new("orders").big_integer().not_null())
                    .col(ColumnDef::new("last_error").text().null())
                    .col(
                        ColumnDef::new("updated_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("analytics_rollup_orders")
                    .col(ColumnDef::new("order_id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("org_id").uuid().not_null())
                    .col(ColumnDef::new("contribution").text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("analytics_monthly_revenue")
                    .col(ColumnDef::new("org_id").uuid().not_null())
                    .col(ColumnDef::new("subject_type").string_len(16).not_null())
                    .col(ColumnDef::new("subject_id").uuid().not_null())
                    .col(ColumnDef::new("month").string_len(10).not_null())
                    .col(ColumnDef::new("revenue").string_len(40).not_null())
                    .col(ColumnDef::new("orders").big_integer().not_null())
                    .col(
                        ColumnDef::new("orders_without_rate")
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new("lines").big_integer().not_null())
                    .col(ColumnDef::new("quantity").string_len(40).not_null())
                    .primary_key(
                        Index::create()
                            .col("org_id")
                            .col("subject_type")
                            .col("subject_id")
                            .col("month"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_analytics_monthly_revenue_month")
                    .table("analytics_monthly_revenue")
                    .col("org_id")
                    .col("subject_type")
                    .col("month")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "analytics_monthly_revenue",
            "analytics_rollup_orders",
            "analytics_rollup",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
