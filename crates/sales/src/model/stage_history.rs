//! `deal_stage_history`.

use sea_orm::entity::prelude::*;

/// A deal's stay in a stage.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deal_stage_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub deal_id: Uuid,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    pub entered_at: DateTimeUtc,
    pub left_at: Option<DateTimeUtc>,
    pub entered_by: Option<Uuid>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
