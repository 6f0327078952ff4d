//! `external_source` / `external_id` on activities, leads and deals: the id an ERP, a telephony
//! system or a marketing tool gives the record, as contacts, companies, products and orders
//! have. `PUT /{activities,leads,deals}/by-external-id/{source}/{id}`, batch upserts and imports
//! matching on `external_id` find a record by it; unique per organization and source.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Col {
    OrgId,
    ExternalSource,
    ExternalId,
}

/// The tables and their unique indexes.
const TABLES: [(&str, &str); 3] = [
    ("activities", "ux_activities_external"),
    ("leads", "ux_leads_external"),
    ("deals", "ux_deals_external"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, index) in TABLES {
            // One column per statement: SQLite alters one thing at a time.
            for (column, len) in [(Col::ExternalSource, 60), (Col::ExternalId, 200)] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table))
                            .add_column(ColumnDef::new(column).string_len(len).null())
                            .to_owned(),
                    )
                    .await?;
            }
            manager
                .create_index(
                    Index::create()
                        .name(index)
                        .table(Alias::new(table))
                        .col(Col::OrgId)
                        .col(Col::ExternalSource)
                        .col(Col::ExternalId)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, index) in TABLES {
            manager
                .drop_index(
                    Index::drop()
                        .name(index)
                        .table(Alias::new(table))
                        .to_owned(),
                )
                .await?;
            for column in [Col::ExternalId, Col::ExternalSource] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table))
                            .drop_column(column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
