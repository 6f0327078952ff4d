//! `imports` and `import_failures` (see the migration `m20261206_000017_imports`).

/// One import row.
pub mod import {
    use sea_orm::entity::prelude::*;

    /// One import.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "imports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub resource: String,
        pub format: String,
        pub options: Json,
        pub file_name: Option<String>,
        pub bytes: i64,
        pub sha256: String,
        pub idempotency_key: Option<String>,
        pub state: String,
        pub rows_total: Option<i64>,
        pub rows_done: i64,
        pub created: i64,
        pub updated: i64,
        pub skipped: i64,
        pub failed: i64,
        pub cancel_requested: bool,
        pub runner: Option<Uuid>,
        pub error: Option<String>,
        pub created_by: Uuid,
        pub api_key_id: Option<Uuid>,
        pub role: String,
        pub created_at: DateTimeUtc,
        pub started_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One refused field of a failed row.
pub mod failure {
    use sea_orm::entity::prelude::*;

    /// One failure.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "import_failures")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub import_id: Uuid,
        pub row_no: i64,
        pub field: Option<String>,
        pub code: String,
        pub reason: String,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
