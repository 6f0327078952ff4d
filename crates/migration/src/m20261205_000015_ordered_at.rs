//! `sales_documents.ordered_at`: when an order was placed, which an ERP pushing years of past
//! orders brings along (the analytics run on it), apart from `created_at`, the time of the
//! write. Orders written before this migration take their `created_at`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SalesDocuments {
    Table,
    OrderedAt,
    CreatedAt,
    DocType,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SalesDocuments::Table)
                    .add_column(
                        ColumnDef::new(SalesDocuments::OrderedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(SalesDocuments::Table)
                    .value(
                        SalesDocuments::OrderedAt,
                        Expr::col(SalesDocuments::CreatedAt),
                    )
                    .and_where(Expr::col(SalesDocuments::DocType).eq("order"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SalesDocuments::Table)
                    .drop_column(SalesDocuments::OrderedAt)
                    .to_owned(),
            )
            .await
    }
}
