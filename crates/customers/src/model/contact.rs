//! `contacts`.

use sea_orm::entity::prelude::*;

/// One contact row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub company_id: Option<Uuid>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub owner_id: Option<Uuid>,
    pub lifecycle_stage: Option<String>,
    pub source_channel: Option<String>,
    pub consent: Json,
    pub tags: Json,
    pub custom: Json,
    pub search_text: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub merged_into: Option<Uuid>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub analytics_abc_class: Option<String>,
    pub analytics_xyz_class: Option<String>,
    pub analytics_rfm_score: Option<String>,
    pub analytics_rfm_segment: Option<String>,
    pub analytics_clv: Option<f64>,
    pub analytics_p_alive: Option<f64>,
    pub analytics_churn_risk: Option<f64>,
    pub analytics_computed_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crm_core::by_position!(Model {
    id,
    org_id,
    company_id,
    first_name,
    last_name,
    email,
    phone,
    title,
    street,
    city,
    region,
    postal_code,
    country,
    owner_id,
    lifecycle_stage,
    source_channel,
    consent,
    tags,
    custom,
    search_text,
    version,
    created_at,
    updated_at,
    deleted_at,
    merged_into,
    external_source,
    external_id,
    analytics_abc_class,
    analytics_xyz_class,
    analytics_rfm_score,
    analytics_rfm_segment,
    analytics_clv,
    analytics_p_alive,
    analytics_churn_risk,
    analytics_computed_at,
});
