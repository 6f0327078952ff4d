//! `contacts.external_source` / `external_id`: the id an ERP or another source system gives a
//! contact, as companies, products and orders have. `PUT /contacts/by-external-id/{source}/{id}`,
//! batch upserts and imports matching on `external_id` find a contact by it; unique per
//! organization and source.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contacts {
    Table,
    OrgId,
    ExternalSource,
    ExternalId,
}

const INDEX: &str = "ux_contacts_external";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for (column, len) in [(Contacts::ExternalSource, 60), (Contacts::ExternalId, 200)] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Contacts::Table)
                        .add_column(ColumnDef::new(column).string_len(len).null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Contacts::Table)
                    .col(Contacts::OrgId)
                    .col(Contacts::ExternalSource)
                    .col(Contacts::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Contacts::Table).to_owned())
            .await?;
        for column in [Contacts::ExternalId, Contacts::ExternalSource] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Contacts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
