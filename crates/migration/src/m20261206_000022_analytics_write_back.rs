//! Analytics written back onto contacts and companies, and the refresh that writes them.
//!
//! `contacts` and `companies` gain read-only columns the analytics refresh fills (the API shows
//! them as `analytics.*`, filterable and sortable): the ABC and XYZ classes, the RFM score
//! (three digits, recency first) and segment, the predicted lifetime value (base currency),
//! the probability of being alive, the churn risk (1 - P(alive)) and when they were computed.
//! They are not the record's own data: writing them changes neither `version` nor
//! `updated_at`, and appends no history or event.
//!
//! `analytics_refresh`: per organization, whether the refresh keeps itself current (a chain of
//! `analytics.refresh` jobs every `interval_secs`, recomputing when the change feed shows
//! orders, products or customers changed since `pos_p`/`pos_i`, or the day changed), its live
//! job, and the outcome of the last run.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns added to both customer tables, with their definitions.
fn columns() -> Vec<ColumnDef> {
    vec![
        ColumnDef::new("analytics_abc_class")
            .string_len(1)
            .null()
            .to_owned(),
        ColumnDef::new("analytics_xyz_class")
            .string_len(1)
            .null()
            .to_owned(),
        ColumnDef::new("analytics_rfm_score")
            .string_len(3)
            .null()
            .to_owned(),
        ColumnDef::new("analytics_rfm_segment")
            .string_len(50)
            .null()
            .to_owned(),
        ColumnDef::new("analytics_clv").double().null().to_owned(),
        ColumnDef::new("analytics_p_alive")
            .double()
            .null()
            .to_owned(),
        ColumnDef::new("analytics_churn_risk")
            .double()
            .null()
            .to_owned(),
        ColumnDef::new("analytics_computed_at")
            .timestamp_with_time_zone()
            .null()
            .to_owned(),
    ]
}

/// The indexed columns (lists filter and sort on them per organization).
const INDEXED: [&str; 3] = [
    "analytics_abc_class",
    "analytics_rfm_segment",
    "analytics_clv",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["contacts", "companies"] {
            // One column per statement: SQLite alters one thing at a time.
            for mut column in columns() {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table)
                            .add_column(&mut column)
                            .to_owned(),
                    )
                    .await?;
            }
            for column in INDEXED {
                manager
                    .create_index(
                        Index::create()
                            .name(format!("ix_{table}_{column}"))
                            .table(table)
                            .col("org_id")
                            .col(column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        let ts = |name: &'static str| {
            ColumnDef::new(name)
                .timestamp_with_time_zone()
                .not_null()
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table("analytics_refresh")
                    .col(ColumnDef::new("org_id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("enabled").boolean().not_null())
                    .col(ColumnDef::new("interval_secs").integer().not_null())
                    .col(ColumnDef::new("job_id").uuid().null())
                    .col(ColumnDef::new("pos_p").big_integer().not_null())
                    .col(ColumnDef::new("pos_i").uuid().not_null())
                    .col(
                        ColumnDef::new("refreshed_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new("reference_date").string_len(10).null())
                    .col(ColumnDef::new("contacts").integer().not_null())
                    .col(ColumnDef::new("companies").integer().not_null())
                    .col(ColumnDef::new("notes").json_binary().null())
                    .col(ColumnDef::new("last_error").text().null())
                    .col(ts("updated_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("analytics_refresh").to_owned())
            .await?;
        for table in ["contacts", "companies"] {
            for column in INDEXED {
                manager
                    .drop_index(
                        Index::drop()
                            .name(format!("ix_{table}_{column}"))
                            .table(table)
                            .to_owned(),
                    )
                    .await?;
            }
            for column in columns() {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table)
                            .drop_column(column.get_column_name())
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
