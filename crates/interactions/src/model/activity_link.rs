//! `activity_links`: which records an activity belongs to (the timelines read these).

use sea_orm::entity::prelude::*;

/// One link row; `occurred_at`, `kind`, `channel` and `deleted` mirror the activity so that a
/// timeline is one index range scan.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_links")]
pub struct Model {
    pub org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub activity_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub record_type: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub record_id: Uuid,
    pub role: String,
    pub occurred_at: DateTimeUtc,
    pub kind: String,
    pub channel: Option<String>,
    pub deleted: bool,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
