//! `products`.

use sea_orm::entity::prelude::*;

/// A product row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: String,
    pub tax_rate: String,
    pub active: bool,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub cost_price: Option<String>,
    pub cost_currency: Option<String>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crm_core::by_position!(Model {
    id,
    org_id,
    sku,
    name,
    description,
    unit,
    tax_rate,
    active,
    external_source,
    external_id,
    version,
    created_at,
    updated_at,
    deleted_at,
    cost_price,
    cost_currency,
});
