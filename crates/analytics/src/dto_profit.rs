//! What the world sees of profitability: per customer, what it brought and what it cost.

use crate::dto::{AnalysisScope, MissingRate};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// One customer's profitability over the period, in the base currency.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ProfitItem {
    /// The company or contact.
    pub id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// Revenue: its order lines net of discounts.
    pub revenue: String,
    /// Cost of goods: per line, quantity x the product's cost price.
    pub cost_of_goods: String,
    /// Its lines whose cost is unknown (no product or cost price, or no rate for the cost's
    /// currency), counted as costing nothing.
    pub uncosted_lines: i64,
    /// Revenue minus cost of goods.
    pub gross_margin: String,
    /// Its activities in the period, per kind.
    pub activities: BTreeMap<String, i64>,
    /// The activities x the settings' cost per kind.
    pub cost_to_serve: String,
    /// Gross margin minus cost to serve.
    pub profit: String,
    /// Profit / revenue (`null` without revenue).
    pub profit_ratio: Option<f64>,
}

/// Profitability of companies or contacts, least profitable first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "scope": {"subject": "companies", "from": "2026-01-01", "to": "2026-07-01", "reference_date": "2026-07-01", "base_currency": "EUR", "orders": 3, "orders_without_rate": 0, "missing_rates": [], "computed_at": "2026-07-01T08:00:00Z"},
    "missing_cost_rates": [],
    "activity_costs": {"call": "4.50", "meeting": "60"},
    "unprofitable": 1, "unprofitable_loss": "115.00",
    "row_count": 1,
    "items": [{"id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f", "name": "Globex", "revenue": "100.00", "cost_of_goods": "70.00", "uncosted_lines": 0, "gross_margin": "30.00", "activities": {"call": 10, "meeting": 2}, "cost_to_serve": "165.00", "profit": "-135.00", "profit_ratio": -1.35}]
})))]
pub struct ProfitReport {
    /// The period and the customers' kind.
    pub scope: AnalysisScope,
    /// The currencies and days a line's cost found no rate for (those lines cost nothing
    /// here; at most 100).
    pub missing_cost_rates: Vec<MissingRate>,
    /// The cost per activity kind used (the settings').
    pub activity_costs: BTreeMap<String, String>,
    /// Customers whose profit is negative: they cost more than they bring.
    pub unprofitable: i64,
    /// What they lose together (a positive amount).
    pub unprofitable_loss: String,
    /// Customers with orders or activities in the period (or only the unprofitable ones).
    pub row_count: i64,
    /// The page of customers, lowest profit first (then id).
    pub items: Vec<ProfitItem>,
}
