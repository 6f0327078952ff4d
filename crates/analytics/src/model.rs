//! `analytics_settings` and `exchange_rates` (see the migration
//! `m20261206_000020_analytics`), and `analytics_refresh` (`m20261206_000022_analytics_write_back`).

/// The organization's analytics settings.
pub mod settings {
    use sea_orm::entity::prelude::*;

    /// One organization's settings.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        pub base_currency: String,
        pub rfm_segments: Option<Json>,
        pub updated_at: DateTimeUtc,
        pub activity_costs: Option<Json>,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Exchange rates into the base currency.
pub mod rate {
    use sea_orm::entity::prelude::*;

    /// One rate: `rate` units of the base currency for one unit of `currency` on `rate_date`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_rates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub base_currency: String,
        pub currency: String,
        pub rate_date: String,
        pub rate: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The refresh that writes analytics onto contacts and companies.
pub mod refresh {
    use sea_orm::entity::prelude::*;

    /// One organization's refresh: its schedule, its place in the change feed and its outcome.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_refresh")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        pub enabled: bool,
        pub interval_secs: i32,
        pub job_id: Option<Uuid>,
        pub pos_p: i64,
        pub pos_i: Uuid,
        pub refreshed_at: Option<DateTimeUtc>,
        pub reference_date: Option<String>,
        pub contacts: i32,
        pub companies: i32,
        pub notes: Option<Json>,
        pub last_error: Option<String>,
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Decisions about next best actions.
pub mod decision {
    use sea_orm::entity::prelude::*;

    /// One accepted or dismissed action of one customer.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_action_decisions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub customer_type: String,
        pub customer_id: Uuid,
        pub rule: String,
        pub state: String,
        pub note: Option<String>,
        pub activity_id: Option<Uuid>,
        pub decided_by: Uuid,
        pub decided_at: DateTimeUtc,
        pub hidden_until: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The monthly revenue rollups' state (`m20261206_000024_revenue_rollups`).
pub mod rollup {
    use sea_orm::entity::prelude::*;

    /// One organization's rollups: whether they are kept, their chain's live job, their place
    /// in the change feed, and the re-fold of every order in progress.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_rollup")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        pub enabled: bool,
        pub job_id: Option<Uuid>,
        pub pos_p: i64,
        pub pos_i: Uuid,
        pub rebuilding: bool,
        pub rebuild_after: Option<Uuid>,
        pub rebuilt_at: Option<DateTimeUtc>,
        pub current_at: Option<DateTimeUtc>,
        pub orders: i64,
        pub last_error: Option<String>,
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
