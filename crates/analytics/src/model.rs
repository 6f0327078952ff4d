//! `analytics_settings` and `exchange_rates` (see the migration
//! `m20261206_000020_analytics`).

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
