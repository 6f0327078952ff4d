//! Products, their prices and price lists.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A product.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Product {
    /// Identifier.
    pub id: Uuid,
    /// Stock keeping unit, unique in the organization.
    #[cfg_attr(feature = "openapi", schema(example = "LIC-PRO-1Y"))]
    pub sku: String,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(example = "Pro licence, 1 year"))]
    pub name: String,
    /// Description.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "One seat of the Pro plan for twelve months.")
    )]
    pub description: Option<String>,
    /// Unit, such as `piece` or `hour`.
    #[cfg_attr(feature = "openapi", schema(example = "piece"))]
    pub unit: String,
    /// Tax rate in percent, such as `"19"`.
    #[cfg_attr(feature = "openapi", schema(example = "19"))]
    pub tax_rate: String,
    /// Whether it can be sold.
    pub active: bool,
    /// What one unit costs the organization (`null`: unknown): an order line's cost of goods
    /// is its quantity times it, for margins and profitability.
    pub cost_price: Option<crm_core::Money>,
    /// The source system of `external_id`.
    pub external_source: Option<String>,
    /// The id in that system.
    pub external_id: Option<String>,
    /// Prices per price list.
    pub prices: Vec<ProductPrice>,
    /// Version; the `ETag` is `"<version>"`.
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A product's price in a price list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::SimpleObject, async_graphql::InputObject)
)]
#[cfg_attr(feature = "graphql", graphql(input_name = "ProductPriceInput"))]
pub struct ProductPrice {
    /// The price list.
    pub price_list_id: Uuid,
    /// Unit price as a decimal string, in the price list's currency.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[0-9]{1,15}(\.[0-9]{1,6})?$",
            max_length = 22,
            example = "490.00"
        )
    )]
    pub unit_price: String,
}

/// A new product, or (with `PUT .../by-external-id/...`) a product to upsert.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewProduct {
    /// Stock keeping unit (1 to 100 characters), unique in the organization.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"\S",
            example = "LIC-PRO-1Y"
        )
    )]
    pub sku: String,
    /// Name.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 300,
            pattern = r"\S",
            example = "Pro licence, 1 year"
        )
    )]
    pub name: String,
    /// Description.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 10000,
            example = "One seat of the Pro plan for twelve months."
        )
    )]
    pub description: Option<String>,
    /// Unit (default `piece`).
    #[cfg_attr(feature = "openapi", schema(max_length = 30, example = "piece"))]
    pub unit: Option<String>,
    /// Tax rate in percent, 0 to 100 (default 0).
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^(100(\.0{1,6})?|[0-9]{1,2}(\.[0-9]{1,6})?)$",
            max_length = 10,
            example = "19"
        )
    )]
    pub tax_rate: Option<String>,
    /// Whether it can be sold (default true).
    pub active: Option<bool>,
    /// What one unit costs the organization, in any currency (analytics convert it at the
    /// order day's rate); absent or `null`: unknown.
    pub cost_price: Option<crm_core::Money>,
    /// Prices per price list.
    pub prices: Option<Vec<ProductPrice>>,
}

/// A price list: prices of products in one currency.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct PriceList {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(example = "Standard EUR"))]
    pub name: String,
    /// ISO 4217 currency.
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub currency: String,
    /// Whether orders use it when none is named.
    pub is_default: bool,
}

/// A new price list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewPriceList {
    /// Name.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"\S",
            example = "Standard EUR"
        )
    )]
    pub name: String,
    /// ISO 4217 currency.
    #[cfg_attr(feature = "openapi", schema(value_type = crm_core::money::CurrencyCode))]
    pub currency: String,
    /// Whether orders use it when none is named.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub is_default: bool,
}
