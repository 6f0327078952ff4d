//! `exports`: one row per export file (see the migration `m20261205_000013_exports`).

use sea_orm::entity::prelude::*;

/// One export row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "exports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub resource: String,
    pub format: String,
    pub params: Json,
    pub state: String,
    pub rows: i64,
    pub bytes: i64,
    pub error: Option<String>,
    pub created_by: Uuid,
    pub role: String,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
