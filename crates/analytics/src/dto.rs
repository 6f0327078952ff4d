//! What the world sees of analytics: settings, exchange rates, and the ABC, XYZ and ABC-XYZ
//! reports with the parameters they were computed with.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

pub use crate::dto_clv::TimeUnit;

crm_core::vocabulary!(
    /// What an analysis classifies.
    AnalysisSubject {
        /// Products, by the revenue of their order lines.
        Products = "products",
        /// Companies, by the revenue of their orders.
        Companies = "companies",
        /// Contacts, by the revenue of their orders.
        Contacts = "contacts",
    }
);

/// An ABC class: A while the revenue share of the items ranked before is below the A
/// threshold (80 % by default), B while below the B threshold (95 %), else C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum AbcClass {
    /// The items that bring the first part of the revenue.
    A,
    /// The middle.
    B,
    /// The long tail.
    C,
}

/// An XYZ class by the coefficient of variation of monthly revenue: X at most 0.10 by default
/// (steady), Y at most 0.25, else Z (erratic, or no revenue at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum XyzClass {
    /// Steady demand.
    X,
    /// Varying demand.
    Y,
    /// Erratic demand.
    Z,
}

/// The organization's analytics settings.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct AnalyticsSettings {
    /// The currency every amount of an analysis is given in (ISO 4217; default `EUR`).
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub base_currency: String,
    /// The RFM segment of every recency and frequency score pair (`"54"`: R 5, F 4), the
    /// default table with the organization's overrides.
    #[cfg_attr(feature = "openapi", schema(example = json!({"11": "lost", "55": "champions"})))]
    pub rfm_segments: BTreeMap<String, String>,
    /// What serving a customer costs per activity of a kind (`"call": "4.50"`), in the base
    /// currency: profitability's cost to serve. Kinds not named cost nothing.
    #[cfg_attr(feature = "openapi", schema(example = json!({"call": "4.50", "meeting": "60.00"})))]
    pub activity_costs: BTreeMap<String, String>,
    /// When the settings last changed (`null` while they are the defaults).
    pub updated_at: Option<DateTime<Utc>>,
}

/// Changes to the analytics settings; absent fields stay as they are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"base_currency": "EUR", "rfm_segments": {"55": "best customers"}, "activity_costs": {"call": "4.50"}})))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct AnalyticsSettingsInput {
    /// The base currency (ISO 4217).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crm_core::money::CurrencyCode>))]
    pub base_currency: Option<String>,
    /// Overrides of the default RFM segment table: score pair (`"11"` to `"55"`, recency then
    /// frequency) to a segment name (1 to 50 characters). Replaces the earlier overrides; `{}`
    /// restores the defaults.
    pub rfm_segments: Option<BTreeMap<String, String>>,
    /// The cost of one activity per kind (`call`, `meeting`, ...: 1 to 40 lowercase letters,
    /// digits or `_`), a decimal of at most 6 places in the base currency, not negative.
    /// Replaces the earlier table; `{}` clears it.
    pub activity_costs: Option<BTreeMap<String, String>>,
}

/// An exchange rate into the base currency: `rate` units of it for one unit of `currency`, on
/// `date`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ExchangeRate {
    /// Identifier.
    pub id: Uuid,
    /// The base currency it converts into (the one of the settings when it was written; rates
    /// into another base currency are not used).
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub base_currency: String,
    /// The currency converted (ISO 4217).
    #[cfg_attr(feature = "openapi", schema(example = "USD"))]
    pub currency: String,
    /// The day the rate is for.
    pub date: NaiveDate,
    /// Units of the base currency for one unit of `currency`.
    #[cfg_attr(feature = "openapi", schema(example = "0.9231"))]
    pub rate: String,
    /// When it was first written.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// One rate to write: a rate for the same currency and day replaces it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ExchangeRateInput {
    /// The currency converted (ISO 4217), not the base currency.
    #[cfg_attr(feature = "openapi", schema(value_type = crm_core::money::CurrencyCode))]
    pub currency: String,
    /// The day (a year from 1900 to 2100).
    pub date: NaiveDate,
    /// Units of the base currency for one unit of `currency`: greater than zero, at most 6
    /// decimals.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^([1-9][0-9]{0,14}(\.[0-9]{1,6})?|0\.[0-9]{0,5}[1-9])$",
            max_length = 22,
            example = "0.9231"
        )
    )]
    pub rate: String,
}

/// 1 to 1,000 rates written at once (a day's or a year's rates from a central bank file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"rates": [{"currency": "USD", "date": "2026-11-30", "rate": "0.9231"}]})))]
pub struct ExchangeRatesInput {
    /// The rates.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub rates: Vec<ExchangeRateInput>,
}

/// A currency and day an order needed a rate for and found none (the order was left out).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct MissingRate {
    /// The order's currency.
    pub currency: String,
    /// The order's day.
    pub date: NaiveDate,
}

/// What every report says about its input: the period, the currency, what was left out.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct AnalysisScope {
    /// What was classified.
    pub subject: AnalysisSubject,
    /// The first day of the period.
    pub from: NaiveDate,
    /// The day after the period (exclusive).
    pub to: NaiveDate,
    /// The day the default period was counted back from.
    pub reference_date: NaiveDate,
    /// The currency of every amount.
    pub base_currency: String,
    /// Orders in the period that were counted (not cancelled, with a rate).
    pub orders: i64,
    /// Orders left out because no exchange rate of their currency was found for their day.
    pub orders_without_rate: i64,
    /// The currencies and days that had no rate (at most 100).
    pub missing_rates: Vec<MissingRate>,
    /// When the report was computed.
    pub computed_at: DateTime<Utc>,
}

/// One item of an ABC report, in rank order.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct AbcItem {
    /// 1 for the largest revenue (ties by id).
    pub rank: i64,
    /// The product, company or contact.
    pub id: Uuid,
    /// Its name (a product's name, a company's name, a contact's full name).
    pub name: Option<String>,
    /// Its revenue in the period, in the base currency.
    #[cfg_attr(feature = "openapi", schema(example = "12500.00"))]
    pub revenue: String,
    /// Its share of the total revenue (a fraction, 6 decimals).
    #[cfg_attr(feature = "openapi", schema(example = "0.125000"))]
    pub share: String,
    /// The share of the items ranked up to and including it.
    pub cumulative_share: String,
    /// Its class.
    pub class: AbcClass,
}

/// How many items, and how much revenue, one class holds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct AbcClassTotal {
    /// The class.
    pub class: AbcClass,
    /// Items in it.
    pub count: i64,
    /// Their revenue.
    pub revenue: String,
}

/// An ABC report: the thresholds, every class's totals, and a page of the items in rank order.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({"scope": {"subject": "companies", "from": "2026-01-01", "to": "2026-04-01", "reference_date": "2026-04-15", "base_currency": "EUR", "orders": 9, "orders_without_rate": 1, "missing_rates": [{"currency": "USD", "date": "2026-03-10"}], "computed_at": "2026-04-15T08:00:00Z"}, "a": 0.8, "b": 0.95, "row_count": 2, "total_revenue": "1800.00",
    "classes": [{"class": "A", "count": 1, "revenue": "1500.00"}, {"class": "B", "count": 1, "revenue": "300.00"}, {"class": "C", "count": 0, "revenue": "0.00"}],
    "items": [{"rank": 1, "id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f", "name": "Globex", "revenue": "1500.00", "share": "0.833333", "cumulative_share": "0.833333", "class": "A"},
              {"rank": 2, "id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e10", "name": "Initech", "revenue": "300.00", "share": "0.166667", "cumulative_share": "1.000000", "class": "B"}]})))]
pub struct AbcReport {
    /// The period, currency and what was left out.
    pub scope: AnalysisScope,
    /// The A threshold used (a fraction of revenue).
    pub a: f64,
    /// The B threshold used.
    pub b: f64,
    /// Items classified (with revenue in the period).
    pub row_count: i64,
    /// Their total revenue.
    pub total_revenue: String,
    /// Per class.
    pub classes: Vec<AbcClassTotal>,
    /// The page of items (`offset`, `limit`).
    pub items: Vec<AbcItem>,
}

/// One item of an XYZ report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct XyzItem {
    /// The product, company or contact.
    pub id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// Its revenue per month of the period (months without sales are 0), oldest first.
    pub monthly: Vec<String>,
    /// The mean monthly revenue.
    pub mean: String,
    /// The population standard deviation of monthly revenue.
    pub std_dev: f64,
    /// The coefficient of variation (`std_dev / mean`; `null` when the mean is 0).
    pub cv: Option<f64>,
    /// Its class.
    pub class: XyzClass,
}

/// How many items one XYZ class holds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct XyzClassTotal {
    /// The class.
    pub class: XyzClass,
    /// Items in it.
    pub count: i64,
}

/// An XYZ report: the months, the thresholds, the class totals and a page of items (steadiest
/// first: by coefficient of variation, then id).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({"scope": {"subject": "companies", "from": "2026-01-01", "to": "2026-04-01", "reference_date": "2026-04-15", "base_currency": "EUR", "orders": 9, "orders_without_rate": 1, "missing_rates": [{"currency": "USD", "date": "2026-03-10"}], "computed_at": "2026-04-15T08:00:00Z"}, "months": ["2026-01", "2026-02", "2026-03"], "x": 0.1, "y": 0.25, "row_count": 1,
    "classes": [{"class": "X", "count": 0}, {"class": "Y", "count": 1}, {"class": "Z", "count": 0}],
    "items": [{"id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f", "name": "Globex", "monthly": ["80.00", "100.00", "120.00"], "mean": "100.00", "std_dev": 16.33, "cv": 0.1633, "class": "Y"}]})))]
pub struct XyzReport {
    /// The period, currency and what was left out.
    pub scope: AnalysisScope,
    /// The months of the period (`2026-01`), the buckets of `monthly`.
    pub months: Vec<String>,
    /// The X threshold used (the largest coefficient of variation of class X).
    pub x: f64,
    /// The Y threshold used.
    pub y: f64,
    /// Items classified (with revenue in the period).
    pub row_count: i64,
    /// Per class.
    pub classes: Vec<XyzClassTotal>,
    /// The page of items.
    pub items: Vec<XyzItem>,
}

/// One cell of the ABC-XYZ matrix.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct AbcXyzCell {
    /// The ABC class.
    pub abc: AbcClass,
    /// The XYZ class.
    pub xyz: XyzClass,
    /// Items in the cell.
    pub count: i64,
    /// Their revenue.
    pub revenue: String,
}

/// The ABC-XYZ matrix: the nine cells, A-X first, with the thresholds of both analyses.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({"scope": {"subject": "companies", "from": "2026-01-01", "to": "2026-04-01", "reference_date": "2026-04-15", "base_currency": "EUR", "orders": 9, "orders_without_rate": 1, "missing_rates": [{"currency": "USD", "date": "2026-03-10"}], "computed_at": "2026-04-15T08:00:00Z"}, "a": 0.8, "b": 0.95, "x": 0.1, "y": 0.25, "row_count": 1, "total_revenue": "300.00",
    "cells": [{"abc": "A", "xyz": "Y", "count": 1, "revenue": "300.00"}]})))]
pub struct AbcXyzMatrix {
    /// The period, currency and what was left out.
    pub scope: AnalysisScope,
    /// The ABC thresholds used.
    pub a: f64,
    /// The B threshold used.
    pub b: f64,
    /// The X threshold used.
    pub x: f64,
    /// The Y threshold used.
    pub y: f64,
    /// Items classified.
    pub row_count: i64,
    /// Their total revenue.
    pub total_revenue: String,
    /// The nine cells.
    pub cells: Vec<AbcXyzCell>,
}

/// One customer of an RFM report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct RfmItem {
    /// The company or contact.
    pub id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// Its last order day in the period.
    pub last_order_date: NaiveDate,
    /// Days from the last order to the reference date.
    pub recency_days: i64,
    /// Purchases in the period (orders of one day are one purchase).
    pub frequency: i64,
    /// Revenue in the period, in the base currency.
    pub monetary: String,
    /// Recency score, 1 to 5 (5: most recent).
    pub r: i32,
    /// Frequency score, 1 to 5 (5: most purchases).
    pub f: i32,
    /// Monetary score, 1 to 5 (5: most revenue).
    pub m: i32,
    /// The three scores (`"545"`).
    pub score: String,
    /// The segment its recency and frequency scores fall in.
    pub segment: String,
}

/// How many customers, and how much revenue, one RFM segment holds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct RfmSegmentTotal {
    /// The segment.
    pub segment: String,
    /// Customers in it.
    pub count: i64,
    /// Their revenue.
    pub revenue: String,
}

/// An RFM report: the segments' totals (largest first) and a page of customers (best scores
/// first).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "scope": {"subject": "companies", "from": "2026-01-01", "to": "2026-04-01", "reference_date": "2026-04-01", "base_currency": "EUR", "orders": 3, "orders_without_rate": 0, "missing_rates": [], "computed_at": "2026-04-01T08:00:00Z"},
    "row_count": 1,
    "segments": [{"segment": "lost", "count": 1, "revenue": "300.00"}],
    "items": [{"id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f", "name": "Globex", "last_order_date": "2026-03-30", "recency_days": 2, "frequency": 1, "monetary": "300.00", "r": 1, "f": 1, "m": 1, "score": "111", "segment": "lost"}]
})))]
pub struct RfmReport {
    /// The period, currency and what was left out.
    pub scope: AnalysisScope,
    /// Customers scored (with orders in the period).
    pub row_count: i64,
    /// Per segment, most customers first.
    pub segments: Vec<RfmSegmentTotal>,
    /// The page of customers.
    pub items: Vec<RfmItem>,
}

/// How many customers of a cohort ordered in one month after their first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CohortCell {
    /// Months after the cohort's month (0: the month itself).
    pub offset: i32,
    /// The month (`2026-03`).
    pub month: String,
    /// Customers of the cohort who ordered in it.
    pub customers: i64,
    /// Their share of the cohort (0 to 1).
    pub share: f64,
}

/// The customers whose first order fell in one month, and how many ordered again later.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Cohort {
    /// The month of their first order (`2026-01`).
    pub month: String,
    /// Customers in the cohort.
    pub size: i64,
    /// Per month from the cohort's own to the last of the period (at most `periods + 1`).
    pub retention: Vec<CohortCell>,
}

/// Churn in one month: customers active at its start (an order within the inactivity window
/// before it) who are no longer active at the next month's start.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ChurnPeriod {
    /// The month (`2026-03`).
    pub month: String,
    /// Customers active at its start.
    pub active_at_start: i64,
    /// Of them, those inactive at the next month's start.
    pub churned: i64,
    /// `churned / active_at_start` (`null` when none was active).
    pub churn_rate: Option<f64>,
}

/// Retention: monthly cohorts by first order and churn per month.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "scope": {"subject": "companies", "from": "2026-01-01", "to": "2026-03-01", "reference_date": "2026-03-01", "base_currency": "EUR", "orders": 3, "orders_without_rate": 0, "missing_rates": [], "computed_at": "2026-03-01T08:00:00Z"},
    "inactive_days": 90,
    "cohorts": [{"month": "2026-01", "size": 2, "retention": [
        {"offset": 0, "month": "2026-01", "customers": 2, "share": 1.0},
        {"offset": 1, "month": "2026-02", "customers": 1, "share": 0.5}]}],
    "churn": [{"month": "2026-02", "active_at_start": 2, "churned": 0, "churn_rate": 0.0}]
})))]
pub struct RetentionReport {
    /// The period and subject (`orders` counts the period's orders; no money is involved).
    pub scope: AnalysisScope,
    /// Days without an order after which a customer counts as churned.
    pub inactive_days: i64,
    /// The cohorts whose first order month lies in the period, oldest first.
    pub cohorts: Vec<Cohort>,
    /// Churn per month of the period.
    pub churn: Vec<ChurnPeriod>,
}

/// The pipeline and period of a funnel report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct FunnelScope {
    /// The pipeline.
    pub pipeline_id: Uuid,
    /// Its name.
    pub pipeline_name: String,
    /// The first day of the period.
    pub from: NaiveDate,
    /// The day after the period (exclusive).
    pub to: NaiveDate,
    /// The day the default period was counted back from.
    pub reference_date: NaiveDate,
    /// The currency of every amount.
    pub base_currency: String,
    /// Won deals left out of the average size for want of an exchange rate.
    pub deals_without_rate: i64,
    /// The currencies and days that had no rate (at most 100).
    pub missing_rates: Vec<MissingRate>,
    /// When the report was computed.
    pub computed_at: DateTime<Utc>,
}

/// One stage of a funnel.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct FunnelStage {
    /// The stage.
    pub stage_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its position in the pipeline.
    pub position: i32,
    /// `open`, `won` or `lost`.
    pub stage_type: String,
    /// Deals that entered it in the period.
    pub entered: i64,
    /// Of them, those that entered a later stage that is not lost afterwards (open stages).
    pub converted: i64,
    /// `converted / entered` (`null` for won and lost stages, or when none entered).
    pub conversion_rate: Option<f64>,
    /// The average days of the visits that began in the period and have ended.
    pub average_days: Option<f64>,
    /// Their median days.
    pub median_days: Option<f64>,
}

/// Leads of one source channel.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct LeadSource {
    /// The channel (`unknown` for leads without one).
    pub channel: String,
    /// Leads captured in the period.
    pub leads: i64,
    /// Of them, those converted.
    pub converted: i64,
    /// `converted / leads`.
    pub conversion_rate: f64,
}

/// A pipeline's funnel over a period, its win rate, deal size, cycle and velocity, and lead
/// conversion by source channel.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "scope": {"pipeline_id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f", "pipeline_name": "Sales", "from": "2026-01-01", "to": "2026-04-01", "reference_date": "2026-04-15", "base_currency": "EUR", "deals_without_rate": 0, "missing_rates": [], "computed_at": "2026-04-15T08:00:00Z"},
    "stages": [{"stage_id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e10", "name": "Qualify", "position": 1, "stage_type": "open", "entered": 10, "converted": 6, "conversion_rate": 0.6, "average_days": 4.5, "median_days": 3.0}],
    "won": 3, "lost": 2, "win_rate": 0.6, "average_deal_size": "12000.00", "sales_cycle_days": 30.5,
    "open_deals": 8, "pipeline_velocity": "1888.52",
    "lead_sources": [{"channel": "website", "leads": 20, "converted": 5, "conversion_rate": 0.25}]
})))]
pub struct FunnelReport {
    /// The pipeline, period and currency.
    pub scope: FunnelScope,
    /// Per stage, in pipeline order.
    pub stages: Vec<FunnelStage>,
    /// Deals won in the period.
    pub won: i64,
    /// Deals lost in the period.
    pub lost: i64,
    /// `won / (won + lost)` (`null` when none closed).
    pub win_rate: Option<f64>,
    /// The average amount of the deals won in the period (those with an amount).
    pub average_deal_size: Option<String>,
    /// The average days from creation to winning, of the deals won in the period (deals
    /// brought in already closed, whose `closed_at` precedes their creation, have none).
    pub sales_cycle_days: Option<f64>,
    /// Deals of the pipeline open now.
    pub open_deals: i64,
    /// `open deals x average deal size x win rate / sales cycle days`: revenue per day.
    pub pipeline_velocity: Option<String>,
    /// Lead conversion by source channel, of the leads captured in the period.
    pub lead_sources: Vec<LeadSource>,
}

/// One headline figure of the overview.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct OverviewFigure {
    /// A stable key within its section (`win_rate`).
    pub key: String,
    /// What it is, for a label.
    pub label: String,
    /// `count`, `money` (in the base currency), `ratio` (0 to 1) or `days`.
    pub unit: String,
    /// The value as a decimal string (`null` when there is nothing to compute it from).
    pub value: Option<String>,
}

/// One analysis's headline figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct OverviewSection {
    /// A stable key (`abc`, `funnel`); later domains add their own.
    pub key: String,
    /// Its title.
    pub title: String,
    /// Where the full report is (`/api/v1/analytics/abc`).
    pub report: String,
    /// The figures.
    pub figures: Vec<OverviewFigure>,
    /// When the figures were computed: now, or, for the default parameters while the
    /// analytics refresh is enabled, by its last run (the funnel's by its last look after a
    /// deal changed; monthly revenue, from the rollups, is always computed now).
    pub computed_at: DateTime<Utc>,
}

/// The dashboard: every registered analysis's headline figures over one period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "from": "2025-12-01", "to": "2026-12-01", "reference_date": "2026-12-06", "base_currency": "EUR",
    "sections": [{"key": "funnel", "title": "Pipeline", "report": "/api/v1/analytics/funnel", "figures": [
        {"key": "win_rate", "label": "Win rate", "unit": "ratio", "value": "0.75"}],
        "computed_at": "2026-12-06T08:00:00Z"}],
    "computed_at": "2026-12-06T08:00:00Z"
})))]
pub struct Overview {
    /// The first day of the period.
    pub from: NaiveDate,
    /// The day after the period (exclusive).
    pub to: NaiveDate,
    /// The day the default period was counted back from.
    pub reference_date: NaiveDate,
    /// The currency of every amount.
    pub base_currency: String,
    /// One per registered analysis, in registry order.
    pub sections: Vec<OverviewSection>,
    /// When its oldest section was computed (see each section's `computed_at`).
    pub computed_at: DateTime<Utc>,
}

/// The parameters of an analysis: the period (default: the 12 full months before the
/// reference date's month), the reference date (default: today), the thresholds and the page.
#[derive(Debug, Clone, Default)]
pub struct AnalysisParams {
    /// What to classify: `products`, `companies` or `contacts` (default `companies`).
    pub subject: Option<AnalysisSubject>,
    /// The first day of the period.
    pub from: Option<NaiveDate>,
    /// The day after the period (exclusive).
    pub to: Option<NaiveDate>,
    /// The day the default period is counted back from (default: today).
    pub reference_date: Option<NaiveDate>,
    /// ABC: the share of revenue class A covers (default 0.8).
    pub a: Option<f64>,
    /// ABC: the share of revenue classes A and B cover (default 0.95).
    pub b: Option<f64>,
    /// XYZ: the largest coefficient of variation of class X (default 0.10).
    pub x: Option<f64>,
    /// XYZ: the largest coefficient of variation of class Y (default 0.25).
    pub y: Option<f64>,
    /// Retention: days without an order after which a customer counts as churned, 1 to 3650
    /// (default 90).
    pub inactive_days: Option<u32>,
    /// Retention: months after each cohort's first reported, 0 to 120 (default 12).
    pub periods: Option<u32>,
    /// Items skipped (default 0).
    pub offset: Option<u32>,
    /// Items in the page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Funnel: the pipeline (default: the default pipeline).
    pub pipeline_id: Option<Uuid>,
    /// Every item, whatever `offset` and `limit` say (a CSV download).
    pub unpaged: bool,
    /// Lifetime value: the months ahead it covers, 1 to 120 (default 12).
    pub horizon_months: Option<u32>,
    /// Lifetime value: the discount rate per month, 0 to 1 (default 0.01).
    pub discount_rate: Option<f64>,
    /// Lifetime value: the models' time unit (default weeks).
    pub time_unit: Option<TimeUnit>,
    /// Cross-sell: the least support of a rule, 0 to 1 (default 0.01).
    pub min_support: Option<f64>,
    /// Cross-sell: the least confidence of a rule, 0 to 1 (default 0.1).
    pub min_confidence: Option<f64>,
    /// Cross-sell: the least lift of a rule, 0 to 1000 (default 1).
    pub min_lift: Option<f64>,
    /// Recommendations: only this customer's.
    pub customer_id: Option<Uuid>,
    /// Recommendations: the most per customer, 1 to 50 (default 5).
    pub top: Option<u32>,
    /// Profitability: only the customers who cost more than they bring.
    pub unprofitable: bool,
    /// Monthly revenue: only this company's, contact's or product's months.
    pub id: Option<Uuid>,
    /// The items' sort keys and filters (reports with items; empty: the report's order, all).
    pub items: crate::dto_items::ItemQuery,
}
