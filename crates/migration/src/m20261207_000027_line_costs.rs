//! What a line cost the organization when it was sold: `unit_cost` and `cost_currency` on
//! document lines, the product's cost price copied when the line is written (or the cost an
//! ERP sends). The cost of goods of past orders then stays what it was when a product's cost
//! price changes; lines written before hold none and are costed at the product's current cost
//! price, as all lines were before.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for (column, len) in [("unit_cost", 40), ("cost_currency", 3)] {
            manager
                .alter_table(
                    Table::alter()
                        .table("document_lines")
                        .add_column(ColumnDef::new(column).string_len(len).null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["cost_currency", "unit_cost"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("document_lines")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
