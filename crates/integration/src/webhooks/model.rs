//! The webhook tables (see the migration `m20261205_000014_webhooks`).

/// `webhook_subscriptions`: one endpoint of an organization.
pub mod subscription {
    use sea_orm::entity::prelude::*;

    /// One endpoint row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_subscriptions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub url: String,
        pub description: Option<String>,
        pub event_types: Json,
        pub enabled: bool,
        pub disabled_reason: Option<String>,
        pub disabled_at: Option<DateTimeUtc>,
        pub secret: String,
        pub previous_secret: Option<String>,
        pub previous_secret_expires_at: Option<DateTimeUtc>,
        pub failing_since: Option<DateTimeUtc>,
        pub deliver_job_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `webhook_cursors`: where an organization's fan-out stands in the change feed.
pub mod cursor {
    use sea_orm::entity::prelude::*;

    /// One organization's fan-out position.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_cursors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        pub pos_p: i64,
        pub pos_i: Uuid,
        pub next_seq: i64,
        pub fanout_job_id: Option<Uuid>,
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `webhook_deliveries`: one message to one endpoint.
pub mod delivery {
    use sea_orm::entity::prelude::*;

    /// One delivery row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub subscription_id: Uuid,
        pub message_id: Uuid,
        pub event_type: String,
        pub record_key: String,
        pub body: String,
        pub origin: String,
        pub state: String,
        pub seq: i64,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub last_status: Option<i32>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub delivered_at: Option<DateTimeUtc>,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `webhook_attempts`: one try of a delivery.
pub mod attempt {
    use sea_orm::entity::prelude::*;

    /// One attempt row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub subscription_id: Uuid,
        pub delivery_id: Uuid,
        pub attempted_at: DateTimeUtc,
        pub status: Option<i32>,
        pub duration_ms: i32,
        pub response_excerpt: Option<String>,
        pub error: Option<String>,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
