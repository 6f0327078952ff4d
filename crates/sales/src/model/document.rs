//! `sales_documents`.

use sea_orm::entity::prelude::*;

/// An order or invoice row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub doc_type: String,
    pub number: Option<i64>,
    pub status: String,
    pub company_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    pub source_id: Option<Uuid>,
    pub currency: String,
    pub subtotal: String,
    pub discount_total: String,
    pub tax_total: String,
    pub total: String,
    pub amount_paid: String,
    pub issued_at: Option<DateTimeUtc>,
    pub ordered_at: Option<DateTimeUtc>,
    pub valid_until: Option<String>,
    pub due_date: Option<String>,
    pub notes: Option<String>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crm_core::by_position!(Model {
    id,
    org_id,
    doc_type,
    number,
    status,
    company_id,
    contact_id,
    deal_id,
    source_id,
    currency,
    subtotal,
    discount_total,
    tax_total,
    total,
    amount_paid,
    issued_at,
    ordered_at,
    valid_until,
    due_date,
    notes,
    external_source,
    external_id,
    version,
    created_at,
    updated_at,
    deleted_at,
});
