//! The analytics refresh: what writes `analytics.*` onto contacts and companies, and when.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The organization's analytics refresh. A run computes, for companies and for contacts, the
/// ABC, XYZ and RFM reports over the default period (the 12 full months before the run's
/// day) and the lifetime-value report, and writes each customer's figures onto it
/// (`analytics.*`, read-only, filterable and sortable in lists); customers the reports no
/// longer list are cleared; it then keeps the overview's sections for the default
/// parameters, which `GET /analytics/overview` answers from while the refresh is enabled.
/// When `enabled`, the refresh looks every `interval_secs` whether
/// orders, products or customers changed (the change feed) or the day changed, and recomputes
/// if so; `POST /analytics/refresh/run` runs it at once either way.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct AnalyticsRefresh {
    /// Whether it keeps the fields current by itself (default `false`).
    pub enabled: bool,
    /// How often it looks for changes, in seconds (5 to 86400; default 60).
    #[cfg_attr(feature = "openapi", schema(example = 60))]
    pub interval_secs: i32,
    /// Whether a run is queued or running.
    pub pending: bool,
    /// When the last run wrote the fields (`null`: never).
    pub refreshed_at: Option<DateTime<Utc>>,
    /// The reference date of the last run (its day).
    pub reference_date: Option<NaiveDate>,
    /// Contacts the last run wrote figures onto.
    pub contacts: i32,
    /// Companies the last run wrote figures onto.
    pub companies: i32,
    /// What the last run could not compute, such as a lifetime-value model that could not be
    /// fitted (then `clv` and `p_alive` stay `null`); empty when everything was computed.
    pub notes: Vec<String>,
    /// Why the last run failed, if it did (the fields keep the run before).
    pub last_error: Option<String>,
}

/// Changes to the refresh; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"enabled": true, "interval_secs": 60})))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct AnalyticsRefreshInput {
    /// Whether it keeps the fields current by itself; turning it on runs it at once.
    pub enabled: Option<bool>,
    /// How often it looks for changes, in seconds: 5 to 86400.
    #[cfg_attr(feature = "openapi", schema(minimum = 5, maximum = 86400))]
    pub interval_secs: Option<i32>,
}

/// When the reference date was stored.
pub(crate) fn parse_day(s: Option<&str>) -> Option<NaiveDate> {
    s.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}
