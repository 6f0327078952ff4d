//! The analytics domain's own tables. `analytics_settings`: per organization, the base
//! currency every analysis reports in (no row: `EUR`) and its overrides of the RFM segment
//! table (score pair -> segment name). `exchange_rates`: units of a base
//! currency for one unit of another currency on a day, which admins maintain; unique per
//! organization, base currency, currency and day (a new rate for the same day replaces it).
//! Each rate names the base currency it was written for, so a change of the base currency
//! does not convert with rates quoted into the old one. Orders in other
//! currencies are converted at the rate of their order date.

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
                    .table("analytics_settings")
                    .col(ColumnDef::new("org_id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("base_currency").string_len(3).not_null())
                    .col(ColumnDef::new("rfm_segments").json_binary().null())
                    .col(ts("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("exchange_rates")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("org_id").uuid().not_null())
                    .col(ColumnDef::new("base_currency").string_len(3).not_null())
                    .col(ColumnDef::new("currency").string_len(3).not_null())
                    .col(ColumnDef::new("rate_date").string_len(10).not_null())
                    .col(ColumnDef::new("rate").string_len(32).not_null())
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_exchange_rates_day")
                    .table("exchange_rates")
                    .col("org_id")
                    .col("base_currency")
                    .col("currency")
                    .col("rate_date")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("exchange_rates").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("analytics_settings").to_owned())
            .await
    }
}
