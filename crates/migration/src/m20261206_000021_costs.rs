//! What a customer costs: `cost_price` and `cost_currency` on products (what one unit costs the
//! organization: the cost of goods of a line is its quantity times it), and per organization the
//! cost of serving a customer per activity kind (`analytics_settings.activity_costs`, a JSON
//! object of kind to amount in the base currency). Profitability and historical lifetime value
//! (margin) read them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for (column, len) in [("cost_price", 40), ("cost_currency", 3)] {
            manager
                .alter_table(
                    Table::alter()
                        .table("products")
                        .add_column(ColumnDef::new(column).string_len(len).null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("analytics_settings")
                    .add_column(ColumnDef::new("activity_costs").json_binary().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("analytics_settings")
                    .drop_column("activity_costs")
                    .to_owned(),
            )
            .await?;
        for column in ["cost_currency", "cost_price"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("products")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
