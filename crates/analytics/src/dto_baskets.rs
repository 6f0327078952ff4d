//! What the world sees of cross-sell: association rules between products from the orders that
//! hold them together, and per customer the products customers like it bought and it has not.

use crate::dto::AnalysisScope;
use serde::Serialize;
use uuid::Uuid;

/// One association rule: orders holding the antecedent also hold the consequent.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct AssociationRule {
    /// The product bought.
    pub antecedent_id: Uuid,
    /// Its name.
    pub antecedent_name: Option<String>,
    /// The product bought with it.
    pub consequent_id: Uuid,
    /// Its name.
    pub consequent_name: Option<String>,
    /// Orders holding the antecedent.
    pub antecedent_orders: i64,
    /// Orders holding the consequent.
    pub consequent_orders: i64,
    /// Orders holding both.
    pub both_orders: i64,
    /// Orders holding both / every order with a product.
    pub support: f64,
    /// Orders holding both / orders holding the antecedent.
    pub confidence: f64,
    /// Confidence / the consequent's share of the orders: above 1, bought together more often
    /// than by chance.
    pub lift: f64,
}

/// Association rules between products, strongest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "scope": {"subject": "products", "from": "2026-01-01", "to": "2026-07-01", "reference_date": "2026-07-01", "base_currency": "EUR", "orders": 40, "orders_without_rate": 0, "missing_rates": [], "computed_at": "2026-07-01T08:00:00Z"},
    "min_support": 0.01, "min_confidence": 0.1, "min_lift": 1.0,
    "row_count": 1,
    "items": [{"antecedent_id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f", "antecedent_name": "Pump", "consequent_id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e10", "consequent_name": "Seal", "antecedent_orders": 10, "consequent_orders": 8, "both_orders": 6, "support": 0.15, "confidence": 0.6, "lift": 3.0}]
})))]
pub struct CrossSellReport {
    /// The period (`orders` counts the orders with at least one product).
    pub scope: AnalysisScope,
    /// The least support a rule has.
    pub min_support: f64,
    /// The least confidence a rule has.
    pub min_confidence: f64,
    /// The least lift a rule has.
    pub min_lift: f64,
    /// Rules found.
    pub row_count: i64,
    /// The page of rules: highest lift first, then confidence, support and the products' ids.
    pub items: Vec<AssociationRule>,
}

/// A product a customer owns that led to a recommendation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct RecommendationReason {
    /// The product the customer bought.
    pub product_id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// Cosine similarity of the two products over the customers who bought them (0 to 1).
    pub similarity: f64,
}

/// A product recommended to a customer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Recommendation {
    /// The product.
    pub product_id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// The sum of its similarities to every product the customer bought.
    pub score: f64,
    /// The customer's products that contribute most (at most three, most similar first).
    pub because: Vec<RecommendationReason>,
}

/// One customer's recommendations.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CustomerRecommendations {
    /// The company or contact.
    pub id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// Distinct products it bought in the period.
    pub products_bought: i64,
    /// The products it has not bought, highest score first (at most `top`).
    pub recommendations: Vec<Recommendation>,
}

/// Per customer, the products that customers like it bought and it has not.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "scope": {"subject": "companies", "from": "2026-01-01", "to": "2026-07-01", "reference_date": "2026-07-01", "base_currency": "EUR", "orders": 40, "orders_without_rate": 0, "missing_rates": [], "computed_at": "2026-07-01T08:00:00Z"},
    "top": 5,
    "row_count": 1,
    "items": [{"id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f", "name": "Globex", "products_bought": 1, "recommendations": [
        {"product_id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e10", "name": "Seal", "score": 0.82, "because": [{"product_id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e11", "name": "Pump", "similarity": 0.82}]}]}]
})))]
pub struct RecommendationReport {
    /// The period and the customers' kind (`orders` counts the orders with a product).
    pub scope: AnalysisScope,
    /// The most recommendations per customer.
    pub top: u32,
    /// Customers with purchases in the period (or the one asked for).
    pub row_count: i64,
    /// The page of customers, those with the strongest recommendation first.
    pub items: Vec<CustomerRecommendations>,
}
