//! `document_lines`.

use sea_orm::entity::prelude::*;

/// A line of a document.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "document_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub document_id: Uuid,
    pub position: i32,
    pub product_id: Option<Uuid>,
    pub description: Option<String>,
    pub quantity: String,
    pub unit_price: String,
    pub discount_percent: String,
    pub tax_rate: String,
    pub net_amount: String,
    pub tax_amount: String,
    pub total_amount: String,
    /// What one unit cost when the line was written (decimal text), with `cost_currency`.
    pub unit_cost: Option<String>,
    /// The currency of `unit_cost`.
    pub cost_currency: Option<String>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
