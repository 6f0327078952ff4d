//! An index of a product's prices by product: a product's read (and a page of products, in one
//! statement) finds its prices in every price list without scanning the prices of the whole
//! table, whose key leads with the price list.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_product_prices_product")
                    .table("product_prices")
                    .col("org_id")
                    .col("product_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_product_prices_product")
                    .table("product_prices")
                    .to_owned(),
            )
            .await
    }
}
