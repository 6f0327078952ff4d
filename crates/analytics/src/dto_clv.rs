//! What the world sees of lifetime value: the fitted BG/NBD and Gamma-Gamma models, the simple
//! predictive model of DOMAIN.md, and per customer its history and what the models expect.

use crate::dto::AnalysisScope;
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

crm_core::vocabulary!(
    /// The time unit of the lifetime-value models' parameters and histories.
    TimeUnit {
        /// Weeks (7 days), as the papers count.
        Weeks = "weeks",
        /// Days.
        Days = "days",
    }
);

/// The BG/NBD model fitted to the window's purchases (Fader, Hardie and Lee 2005).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct BgNbdParams {
    /// Shape of the purchase rates' gamma distribution.
    pub r: f64,
    /// Scale of the purchase rates' gamma distribution, in the time unit.
    pub alpha: f64,
    /// First shape of the drop-out probabilities' beta distribution.
    pub a: f64,
    /// Second shape of the drop-out probabilities' beta distribution.
    pub b: f64,
    /// The log-likelihood of the customers' histories under these parameters.
    pub log_likelihood: f64,
    /// Whether the optimiser met its tolerance (else it stopped at its iteration cap and the
    /// parameters are its best point).
    pub converged: bool,
    /// When it did not converge: what the optimiser tried and where it stopped, in words (the
    /// per-customer figures still come from its best point); `null` when it converged.
    pub not_converged: Option<String>,
    /// Customers the model was fitted to: those whose first purchase lies in the window.
    pub customers: i64,
    /// When more than 50,000: the customers of a systematic sample the parameters were
    /// fitted on (in the order of their histories, every n-th); `null` when all were.
    pub fit_sample: Option<i64>,
}

/// The Gamma-Gamma model of spend per purchase fitted to the repeat buyers (Fader and Hardie
/// 2013).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct GammaGammaParams {
    /// Shape of spend per purchase around a customer's mean.
    pub p: f64,
    /// Shape of the customers' rate parameters.
    pub q: f64,
    /// Scale of the customers' rate parameters, in the base currency.
    pub gamma: f64,
    /// The log-likelihood of the repeat buyers' average spends under these parameters.
    pub log_likelihood: f64,
    /// Whether the optimiser met its tolerance.
    pub converged: bool,
    /// When it did not converge: what the optimiser tried and where it stopped, in words;
    /// `null` when it converged.
    pub not_converged: Option<String>,
    /// Customers with repeat purchases the model was fitted to.
    pub customers: i64,
    /// When more than 50,000: the customers of a systematic sample the parameters were
    /// fitted on; `null` when all were.
    pub fit_sample: Option<i64>,
}

/// The simple predictive model of DOMAIN.md: average order value x purchases per year x
/// expected lifetime in years, the lifetime from the observed churn rate.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SimpleClvParams {
    /// Days without a purchase before the window's end after which a customer counts as
    /// churned.
    pub inactive_days: u32,
    /// Customers of the window counted as churned.
    pub churned: i64,
    /// The churn rate per year: the window's churned share, scaled to 365.25 days.
    pub annual_churn_rate: f64,
    /// 1 / the annual churn rate, at most 10 years (also when no one churned).
    pub expected_lifetime_years: f64,
}

/// One customer's lifetime value.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ClvItem {
    /// The company or contact.
    pub id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// Its first purchase day in the window.
    pub first_purchase: NaiveDate,
    /// Its last purchase day in the window.
    pub last_purchase: NaiveDate,
    /// Purchases in the window (orders of one day are one purchase).
    pub purchases: i64,
    /// Of them, after the first: the models' `x`.
    pub repeat_purchases: i64,
    /// From the first purchase to the last, in the time unit: the models' `t_x`.
    pub recency: f64,
    /// From the first purchase to the window's end, in the time unit: the models' `T`.
    pub age: f64,
    /// Its revenue in the window, in the base currency.
    pub revenue: String,
    /// The cost of goods of its lines: quantity x the product's cost price.
    pub cost_of_goods: String,
    /// Its lines whose cost is unknown, counted as costing nothing.
    pub uncosted_lines: i64,
    /// Historical value: the margin to date, revenue minus cost of goods.
    pub margin: String,
    /// The average value of its repeat purchases (`null` without repeats).
    pub average_repeat_spend: Option<String>,
    /// BG/NBD: purchases expected within the horizon.
    pub expected_purchases: Option<f64>,
    /// BG/NBD: the probability it is still a customer at the window's end.
    pub p_alive: Option<f64>,
    /// Gamma-Gamma: the spend per purchase to expect.
    pub expected_spend: Option<String>,
    /// Expected purchases of each month of the horizon x expected spend, discounted monthly;
    /// `null` when a model could not be fitted.
    pub clv: Option<String>,
    /// The simple model: its average order value x its purchases per year in the window x
    /// the expected lifetime.
    pub simple_clv: String,
    /// It bought before the window, so its history there is cut: the models neither learn
    /// from it nor predict it (widen `from`).
    pub history_truncated: bool,
}

/// A lifetime-value report: the fitted models and a page of customers, highest value first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "scope": {"subject": "companies", "from": "2026-01-01", "to": "2026-07-01", "reference_date": "2026-07-01", "base_currency": "EUR", "orders": 4, "orders_without_rate": 0, "missing_rates": [], "computed_at": "2026-07-01T08:00:00Z"},
    "time_unit": "weeks", "horizon_months": 12, "discount_rate": 0.01,
    "bg_nbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4, "converged": true, "not_converged": null, "customers": 2357, "fit_sample": null},
    "gamma_gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44, "log_likelihood": -4003.2, "converged": true, "not_converged": null, "customers": 946, "fit_sample": null},
    "simple": {"inactive_days": 90, "churned": 1, "annual_churn_rate": 0.84, "expected_lifetime_years": 1.19},
    "total_clv": "1520.40",
    "row_count": 1,
    "items": [{"id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f", "name": "Globex", "first_purchase": "2026-01-10", "last_purchase": "2026-05-02", "purchases": 4, "repeat_purchases": 3, "recency": 16.0, "age": 24.7, "revenue": "1200.00", "cost_of_goods": "700.00", "uncosted_lines": 0, "margin": "500.00", "average_repeat_spend": "310.00", "expected_purchases": 5.1, "p_alive": 0.93, "expected_spend": "298.10", "clv": "1520.40", "simple_clv": "2856.00", "history_truncated": false}]
})))]
pub struct ClvReport {
    /// The calibration window, currency and what was left out.
    pub scope: AnalysisScope,
    /// The time unit of the models and of `recency` and `age`.
    pub time_unit: TimeUnit,
    /// Months ahead the expectations cover.
    pub horizon_months: u32,
    /// The discount rate per month.
    pub discount_rate: f64,
    /// The BG/NBD model (`null` when the window holds no repeat purchase to fit it to).
    pub bg_nbd: Option<BgNbdParams>,
    /// The Gamma-Gamma model (`null` with fewer than 2 repeat buyers, or when its mean spend
    /// is infinite: q <= 1).
    pub gamma_gamma: Option<GammaGammaParams>,
    /// The simple model's figures.
    pub simple: SimpleClvParams,
    /// The discounted lifetime value of every customer of the window.
    pub total_clv: Option<String>,
    /// Customers of the window.
    pub row_count: i64,
    /// The page of customers, highest `clv` first (then revenue, then id).
    pub items: Vec<ClvItem>,
}
