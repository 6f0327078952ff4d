//! `deals`.

use sea_orm::entity::prelude::*;

/// A deal row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    pub name: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub expected_close_date: Option<String>,
    pub owner_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub contact_ids: Json,
    pub status: String,
    pub close_reason: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub lead_id: Option<Uuid>,
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
    pipeline_id,
    stage_id,
    name,
    amount,
    currency,
    expected_close_date,
    owner_id,
    company_id,
    contact_ids,
    status,
    close_reason,
    closed_at,
    lead_id,
    external_source,
    external_id,
    version,
    created_at,
    updated_at,
    deleted_at,
});
