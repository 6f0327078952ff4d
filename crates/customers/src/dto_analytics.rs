//! What the analytics refresh wrote onto a customer: read-only fields of contacts and
//! companies, filterable and sortable as `analytics.<field>`.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// What analytics computed for this customer at its last refresh (`GET /analytics/refresh`):
/// read-only, each `null` until a refresh has seen orders of the customer. The values are those
/// of the reports over the default period (the 12 full months before the refresh day) for
/// ABC, XYZ and RFM, and of the lifetime-value report (BG/NBD and Gamma-Gamma, 12 months
/// ahead) for `clv` and `p_alive`. A refresh changes neither `version` nor `updated_at`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CustomerAnalytics))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CustomerAnalytics {
    /// ABC class by revenue (`A`, `B` or `C`).
    #[cfg_attr(feature = "openapi", schema(example = "A"))]
    pub abc_class: Option<String>,
    /// XYZ class by the stability of monthly revenue (`X`, `Y` or `Z`).
    #[cfg_attr(feature = "openapi", schema(example = "Y"))]
    pub xyz_class: Option<String>,
    /// RFM scores, recency, frequency and monetary value, each 1 to 5 (`"545"`).
    #[cfg_attr(feature = "openapi", schema(example = "545"))]
    pub rfm_score: Option<String>,
    /// The RFM segment (`champions`, `at risk`, ... as the organization's segment table names
    /// them).
    #[cfg_attr(feature = "openapi", schema(example = "champions"))]
    pub rfm_segment: Option<String>,
    /// Predicted lifetime value over the next 12 months, discounted, in the base currency
    /// (BG/NBD and Gamma-Gamma); rounded to cents.
    #[cfg_attr(feature = "openapi", schema(example = 1234.56))]
    pub clv: Option<f64>,
    /// Probability that the customer is still active (BG/NBD), 0 to 1.
    #[cfg_attr(feature = "openapi", schema(example = 0.83))]
    pub p_alive: Option<f64>,
    /// Churn risk, 1 - `p_alive`.
    #[cfg_attr(feature = "openapi", schema(example = 0.17))]
    pub churn_risk: Option<f64>,
    /// When these figures were written: a refresh that computes the same figures leaves them,
    /// and this, as they are (they are current as of the refresh's `refreshed_at`).
    pub computed_at: Option<DateTime<Utc>>,
}

/// A customer resource's field list with the `analytics.*` fields after `$f`:
/// `fields: with_analytics_fields![Field::sort(...), ...]`.
macro_rules! with_analytics_fields {
    ($($f:expr),* $(,)?) => {
        &[
            $($f,)*
            Field::sort("analytics.abc_class", "analytics_abc_class", Kind::Enum(&["A", "B", "C"]), true),
            Field::sort("analytics.xyz_class", "analytics_xyz_class", Kind::Enum(&["X", "Y", "Z"]), true),
            Field::sort("analytics.rfm_score", "analytics_rfm_score", Kind::Text, true),
            Field::sort("analytics.rfm_segment", "analytics_rfm_segment", Kind::Text, true),
            Field::sort("analytics.clv", "analytics_clv", Kind::Number, true),
            Field::sort("analytics.p_alive", "analytics_p_alive", Kind::Number, true),
            Field::sort("analytics.churn_risk", "analytics_churn_risk", Kind::Number, true),
            Field::filter("analytics.computed_at", "analytics_computed_at", Kind::DateTime),
        ]
    };
}
pub(crate) use with_analytics_fields;
