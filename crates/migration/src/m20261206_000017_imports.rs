//! `imports`: bulk import jobs (`POST /api/v1/imports`). A row holds the request (resource,
//! format, options with the column mapping and dedupe policy), the uploaded file's name, size
//! and SHA-256, the caller's `Idempotency-Key` (unique per caller, so one file uploaded twice
//! with one key runs once), who asked with their role at the time, the state and the counters.
//! The job commits each chunk of rows together with the counters, so `rows_done` always names
//! the rows whose records are committed, also after a crash or a cancel. `runner` fences the
//! attempts: each attempt takes a new one, and a chunk commits only while it is still the
//! attempt's, so an attempt that lost its lease cannot write beside the one that took over.
//!
//! `import_failures`: one row per refused field of a failed row (row number, field, code,
//! reason), written in the chunk's transaction; the failed-rows CSV is read from it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |name: &'static str| ColumnDef::new(name).timestamp_with_time_zone().to_owned();
        let count = |name: &'static str| {
            ColumnDef::new(name)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table("imports")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("org_id").uuid().not_null())
                    .col(ColumnDef::new("resource").string_len(40).not_null())
                    .col(ColumnDef::new("format").string_len(10).not_null())
                    .col(ColumnDef::new("options").json_binary().not_null())
                    .col(ColumnDef::new("file_name").string_len(255).null())
                    .col(ColumnDef::new("bytes").big_integer().not_null())
                    .col(ColumnDef::new("sha256").string_len(64).not_null())
                    .col(ColumnDef::new("idempotency_key").string_len(255).null())
                    .col(ColumnDef::new("state").string_len(12).not_null())
                    .col(ColumnDef::new("rows_total").big_integer().null())
                    .col(count("rows_done"))
                    .col(count("created"))
                    .col(count("updated"))
                    .col(count("skipped"))
                    .col(count("failed"))
                    .col(ColumnDef::new("cancel_requested").boolean().not_null())
                    .col(ColumnDef::new("runner").uuid().null())
                    .col(ColumnDef::new("error").text().null())
                    .col(ColumnDef::new("created_by").uuid().not_null())
                    .col(ColumnDef::new("api_key_id").uuid().null())
                    .col(ColumnDef::new("role").string_len(20).not_null())
                    .col(ts("created_at").not_null())
                    .col(ts("started_at").null())
                    .col(ts("finished_at").null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_imports_org")
                    .table("imports")
                    .col("org_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_imports_idempotency")
                    .table("imports")
                    .col("org_id")
                    .col("created_by")
                    .col("idempotency_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("import_failures")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("import_id").uuid().not_null())
                    .col(ColumnDef::new("row_no").big_integer().not_null())
                    .col(ColumnDef::new("field").string_len(300).null())
                    .col(ColumnDef::new("code").string_len(60).not_null())
                    .col(ColumnDef::new("reason").text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_import_failures_import")
                    .table("import_failures")
                    .col("import_id")
                    .col("row_no")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("import_failures").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("imports").to_owned())
            .await
    }
}
