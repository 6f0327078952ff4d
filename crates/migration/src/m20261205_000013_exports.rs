//! `exports`: export files built in the background (`POST /api/v1/exports`). A row is `queued`
//! with the resource, the format, the list parameters and who asked (their role at the time:
//! the export reads as they would), `running` while a job writes the file, then `succeeded`
//! with its row count and size, or `failed` with the reason. The file lives under the data
//! folder until `expires_at`. `ix_exports_org (org_id, id)` serves the list, newest first.

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
                    .table("exports")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("org_id").uuid().not_null())
                    .col(ColumnDef::new("resource").string_len(40).not_null())
                    .col(ColumnDef::new("format").string_len(10).not_null())
                    .col(ColumnDef::new("params").json_binary().not_null())
                    .col(ColumnDef::new("state").string_len(12).not_null())
                    .col(ColumnDef::new("rows").big_integer().not_null())
                    .col(ColumnDef::new("bytes").big_integer().not_null())
                    .col(ColumnDef::new("error").text().null())
                    .col(ColumnDef::new("created_by").uuid().not_null())
                    .col(ColumnDef::new("role").string_len(20).not_null())
                    .col(ts("created_at").not_null())
                    .col(ts("started_at").null())
                    .col(ts("finished_at").null())
                    .col(ts("expires_at").null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_exports_org")
                    .table("exports")
                    .col("org_id")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("exports").to_owned())
            .await
    }
}
