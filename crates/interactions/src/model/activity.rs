//! `activities`.

use sea_orm::entity::prelude::*;

/// One activity row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: String,
    pub channel: Option<String>,
    pub direction: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub occurred_at: DateTimeUtc,
    pub duration_secs: Option<i32>,
    pub outcome: Option<String>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub participants: Json,
    pub links: Json,
    pub due_at: Option<DateTimeUtc>,
    pub assignee_id: Option<Uuid>,
    pub priority: Option<String>,
    pub status: Option<String>,
    pub reminder_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub completed_by: Option<Uuid>,
    pub feedback_type: Option<String>,
    pub feedback_category: Option<String>,
    pub feedback_state: Option<String>,
    pub created_by: Option<Uuid>,
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
    kind,
    channel,
    direction,
    subject,
    body,
    occurred_at,
    duration_secs,
    outcome,
    contact_id,
    company_id,
    participants,
    links,
    due_at,
    assignee_id,
    priority,
    status,
    reminder_at,
    completed_at,
    completed_by,
    feedback_type,
    feedback_category,
    feedback_state,
    created_by,
    external_source,
    external_id,
    version,
    created_at,
    updated_at,
    deleted_at,
});
