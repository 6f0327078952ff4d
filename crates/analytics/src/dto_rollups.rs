//! The monthly revenue rollups: revenue per month of the organization, of each company, contact
//! and product, kept current from the change feed.

use crate::dto::AnalysisSubject;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The organization's monthly revenue rollups. While `enabled`, they follow the change feed
/// about once a second: each order created or changed is folded in (what it added before
/// taken back, what it adds now added), so a new order shows in them within seconds, and
/// nothing is recomputed whole. Turning them on, and changing the base currency or an exchange
/// rate, folds every order again (`rebuilding` until done).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct RevenueRollups {
    /// Whether they are kept (default `false`).
    pub enabled: bool,
    /// Whether their follower is queued or running.
    pub pending: bool,
    /// Whether every order is being folded again (after turning them on, or a change of the
    /// base currency or of an exchange rate): until it ends, months may mix old and new
    /// amounts.
    pub rebuilding: bool,
    /// When every order was last folded again.
    pub rebuilt_at: Option<DateTime<Utc>>,
    /// When they last caught up with the change feed: changes committed before then are in.
    pub current_at: Option<DateTime<Utc>>,
    /// Orders that count (not cancelled nor deleted, with lines) folded in.
    pub orders: i64,
    /// Why the follower last failed, if it did.
    pub last_error: Option<String>,
}

/// Changes to the rollups; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"enabled": true})))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct RevenueRollupsInput {
    /// Whether they are kept; turning them on folds every order, then follows the feed.
    pub enabled: Option<bool>,
}

/// One month of one subject's revenue.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct MonthlyRevenue {
    /// The company, contact or product (`null` for the organization as a whole).
    pub id: Option<Uuid>,
    /// The month's first day.
    #[cfg_attr(feature = "openapi", schema(example = "2026-11-01"))]
    pub month: NaiveDate,
    /// Net revenue of its orders' lines (products: of its lines) in the base currency, each
    /// order converted at its day's rate.
    #[cfg_attr(feature = "openapi", schema(example = "1250.00"))]
    pub revenue: String,
    /// Orders counted.
    pub orders: i64,
    /// Orders left out because their currency had no rate on their day.
    pub orders_without_rate: i64,
    /// Lines counted.
    pub lines: i64,
    /// Their quantities summed.
    #[cfg_attr(feature = "openapi", schema(example = "12"))]
    pub quantity: String,
}

/// Monthly revenue from the rollups, in `(id, month)` order.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct MonthlyRevenueReport {
    /// Whose months: `companies`, `contacts`, `products`, or `null` for the organization.
    pub subject: Option<AnalysisSubject>,
    /// Only this company's, contact's or product's months, if asked.
    pub id: Option<Uuid>,
    /// The first month (the month of the period's first day).
    pub from: NaiveDate,
    /// The day after the period: months that begin before it are listed, whole.
    pub to: NaiveDate,
    /// The day the default period was counted back from.
    pub reference_date: NaiveDate,
    /// The currency of every amount.
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub base_currency: String,
    /// Rows in all pages.
    pub row_count: i64,
    /// When the rollups last caught up with the change feed.
    pub current_at: Option<DateTime<Utc>>,
    /// Whether every order is being folded again (see the rollups).
    pub rebuilding: bool,
    /// When this answer was read.
    pub computed_at: DateTime<Utc>,
    /// The page's rows.
    pub items: Vec<MonthlyRevenue>,
}
