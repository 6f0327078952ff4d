//! `leads`.

use sea_orm::entity::prelude::*;

/// A lead row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company_name: Option<String>,
    pub company_domain: Option<String>,
    pub title: Option<String>,
    pub source_channel: Option<String>,
    pub campaign_id: Option<Uuid>,
    pub status: String,
    pub disqualify_reason: Option<String>,
    pub owner_id: Option<Uuid>,
    pub converted_contact_id: Option<Uuid>,
    pub converted_company_id: Option<Uuid>,
    pub converted_deal_id: Option<Uuid>,
    pub converted_at: Option<DateTimeUtc>,
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
    first_name,
    last_name,
    email,
    phone,
    company_name,
    company_domain,
    title,
    source_channel,
    campaign_id,
    status,
    disqualify_reason,
    owner_id,
    converted_contact_id,
    converted_company_id,
    converted_deal_id,
    converted_at,
    external_source,
    external_id,
    version,
    created_at,
    updated_at,
    deleted_at,
});
