//! Quotes, orders and invoices, their lines and payments.

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::Money;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_core::vocabulary!(
    /// The state of an order.
    OrderStatus {
        /// Being prepared; lines may change.
        Draft = "draft",
        /// Confirmed by the customer.
        Confirmed = "confirmed",
        /// Delivered.
        Fulfilled = "fulfilled",
        /// Cancelled.
        Cancelled = "cancelled",
    }
);

crm_core::vocabulary!(
    /// The state of an invoice.
    InvoiceStatus {
        /// Not sent yet.
        Draft = "draft",
        /// Sent to the customer.
        Issued = "issued",
        /// Paid in full.
        Paid = "paid",
        /// Past its due date and not paid.
        Overdue = "overdue",
        /// Cancelled.
        Void = "void",
    }
);

/// A line of an order or invoice, as computed by the server.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Line {
    /// Position, from 0.
    #[cfg_attr(feature = "openapi", schema(example = 0))]
    pub position: i32,
    /// The product.
    pub product_id: Option<Uuid>,
    /// Description (default: the product's name).
    #[cfg_attr(feature = "openapi", schema(example = "Pro licence, 1 year"))]
    pub description: Option<String>,
    /// Quantity.
    #[cfg_attr(feature = "openapi", schema(example = "40"))]
    pub quantity: String,
    /// Unit price (as many decimals as it was given, at least the currency's minor units).
    pub unit_price: Money,
    /// Discount in percent.
    #[cfg_attr(feature = "openapi", schema(example = "10"))]
    pub discount_percent: String,
    /// Tax rate in percent.
    #[cfg_attr(feature = "openapi", schema(example = "19"))]
    pub tax_rate: String,
    /// Quantity x unit price less the discount, rounded to the currency's minor unit.
    pub net_amount: Money,
    /// Tax on the net amount.
    pub tax_amount: Money,
    /// Net plus tax.
    pub total_amount: Money,
    /// What one unit cost the organization when the line was written: the cost sent with it,
    /// else its product's cost price at that moment; `null` when unknown. Cost of goods,
    /// margin and profitability read it, so a product's later cost price does not change the
    /// margin of past sales (a line without one is costed at its product's current cost).
    pub unit_cost: Option<Money>,
}

/// A line to put on an order or invoice; the server computes every amount.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct LineInput {
    /// The product (its price-list price and tax rate are the defaults).
    pub product_id: Option<Uuid>,
    /// The product by its SKU, as an ERP names it (instead of `product_id`).
    #[cfg_attr(feature = "openapi", schema(max_length = 100, example = "PRO-1Y"))]
    pub sku: Option<String>,
    /// Description (required without a product).
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 500, example = "Pro licence, 1 year")
    )]
    pub description: Option<String>,
    /// Quantity, a positive decimal string.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^([1-9][0-9]{0,14}(\.[0-9]{1,6})?|0\.[0-9]{0,5}[1-9])$",
            max_length = 22,
            example = "40"
        )
    )]
    pub quantity: String,
    /// Unit price (default: the product's price in the document's price list).
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[0-9]{1,15}(\.[0-9]{1,6})?$",
            max_length = 22,
            example = "490.00"
        )
    )]
    pub unit_price: Option<String>,
    /// Discount in percent, 0 to 100 (default 0).
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^(100(\.0{1,6})?|[0-9]{1,2}(\.[0-9]{1,6})?)$",
            max_length = 10,
            example = "10"
        )
    )]
    pub discount_percent: Option<String>,
    /// Tax rate in percent, 0 to 100 (default: the product's).
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^(100(\.0{1,6})?|[0-9]{1,2}(\.[0-9]{1,6})?)$",
            max_length = 10,
            example = "19"
        )
    )]
    pub tax_rate: Option<String>,
    /// What one unit cost the organization, in any currency (analytics convert it at the order
    /// day's rate), as an ERP knows it; default: the product's cost price now, if it has one.
    pub unit_cost: Option<Money>,
}

/// An order or an invoice.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SalesDocument {
    /// Identifier.
    pub id: Uuid,
    /// Invoices: the number, per organization, with no gaps.
    #[cfg_attr(feature = "openapi", schema(example = 1042))]
    pub number: Option<i64>,
    /// Order: draft, confirmed, fulfilled, cancelled. Invoice: draft, issued, paid, overdue, void.
    #[cfg_attr(feature = "openapi", schema(example = "issued"))]
    pub status: String,
    /// The customer company.
    pub company_id: Option<Uuid>,
    /// The customer contact.
    pub contact_id: Option<Uuid>,
    /// Invoices: the order billed; orders: the quote accepted.
    pub order_id: Option<Uuid>,
    /// Quotes: valid until.
    pub valid_until: Option<NaiveDate>,
    /// ISO 4217 currency of every amount.
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub currency: String,
    /// Lines.
    pub lines: Vec<Line>,
    /// Sum of line nets.
    pub subtotal: Money,
    /// Sum of line discounts.
    pub discount_total: Money,
    /// Sum of line taxes.
    pub tax_total: Money,
    /// Subtotal plus taxes.
    pub total: Money,
    /// Invoices: paid so far.
    pub amount_paid: Money,
    /// Invoices: when payment is due.
    pub due_date: Option<NaiveDate>,
    /// Invoices: when it was issued.
    pub issued_at: Option<DateTime<Utc>>,
    /// Orders: when the order was placed (the real date an ERP sends; by default the time of
    /// the write, which `created_at` always is).
    pub ordered_at: Option<DateTime<Utc>>,
    /// The source system of `external_id`.
    pub external_source: Option<String>,
    /// The id in that system.
    pub external_id: Option<String>,
    /// Version; the `ETag` is `"<version>"`.
    #[cfg_attr(feature = "openapi", schema(example = 2))]
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new quote: an offer with lines, discounts and a validity date.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewQuote {
    /// ISO 4217 currency (default: the price list's).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crm_core::money::CurrencyCode>))]
    pub currency: Option<String>,
    /// Price list for product prices (default: the default price list).
    pub price_list_id: Option<Uuid>,
    /// The customer company.
    pub company_id: Option<Uuid>,
    /// The customer contact.
    pub contact_id: Option<Uuid>,
    /// Valid until (default: 30 days from now).
    pub valid_until: Option<NaiveDate>,
    /// At least one line.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub lines: Vec<LineInput>,
}

/// A new order, or (with `PUT .../by-external-id/...`) an order to upsert.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewOrder {
    /// ISO 4217 currency (default: the price list's).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crm_core::money::CurrencyCode>))]
    pub currency: Option<String>,
    /// Price list for product prices (default: the default price list).
    pub price_list_id: Option<Uuid>,
    /// The customer company.
    pub company_id: Option<Uuid>,
    /// The customer contact.
    pub contact_id: Option<Uuid>,
    /// Draft (default) or confirmed.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<NewOrderStatus>))]
    pub status: Option<OrderStatus>,
    /// At least one line.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub lines: Vec<LineInput>,
    /// When the order was placed, for orders brought from another system (default: now); a
    /// year from 1900 to 2100, not in the future. `created_at` stays the time of the write.
    #[serde(default)]
    pub ordered_at: Option<DateTime<Utc>>,
}

/// The status a new order starts in.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum NewOrderStatus {
    /// Being prepared (the default).
    Draft,
    /// Confirmed by the customer.
    Confirmed,
}

/// A status a client may set with `POST .../status`; which ones apply depends on the document:
/// quotes take `draft`, `sent`, `rejected`, `expired`; orders `draft`, `confirmed`, `fulfilled`,
/// `cancelled`; invoices `draft`, `issued`, `paid`, `void`. Another is a 422, and a move the
/// current status does not allow (a paid invoice back to draft) a 409.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Quotes, orders, invoices: being prepared.
    Draft,
    /// Quotes: sent to the customer.
    Sent,
    /// Quotes: turned down.
    Rejected,
    /// Quotes: past their validity.
    Expired,
    /// Orders: confirmed by the customer.
    Confirmed,
    /// Orders: delivered.
    Fulfilled,
    /// Orders: cancelled.
    Cancelled,
    /// Invoices: sent (gets its number).
    Issued,
    /// Invoices: paid in full.
    Paid,
    /// Invoices: cancelled.
    Void,
}

/// Move an order or invoice through its statuses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct StatusChange {
    /// The new status.
    #[cfg_attr(feature = "openapi", schema(value_type = DocumentStatus))]
    pub status: String,
}

/// A new invoice: for an order (its lines are copied) or with its own lines.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewInvoice {
    /// The order billed; its currency, customer and lines are copied.
    pub order_id: Option<Uuid>,
    /// ISO 4217 currency, without an order.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crm_core::money::CurrencyCode>))]
    pub currency: Option<String>,
    /// The customer company, without an order.
    pub company_id: Option<Uuid>,
    /// The customer contact, without an order.
    pub contact_id: Option<Uuid>,
    /// Lines, without an order.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub lines: Option<Vec<LineInput>>,
    /// When payment is due (default: 30 days after issue).
    pub due_date: Option<NaiveDate>,
    /// Issue at once (default true): the invoice gets its number.
    pub issue: Option<bool>,
    /// When it was issued, for invoices brought from another system (default: now; only with
    /// `issue`); a year from 1900 to 2100, not in the future. `created_at` stays the time of
    /// the write.
    #[serde(default)]
    pub issued_at: Option<DateTime<Utc>>,
}

/// A payment received for an invoice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewPayment {
    /// Amount, a positive decimal in the invoice's currency.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^([1-9][0-9]{0,14}(\.[0-9]{1,6})?|0\.[0-9]{0,5}[1-9])$",
            max_length = 22,
            example = "1250.00"
        )
    )]
    pub amount: String,
    /// When it was paid (default: now).
    pub paid_at: Option<DateTime<Utc>>,
    /// How, such as `bank_transfer`.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 40, example = "bank_transfer")
    )]
    pub method: Option<String>,
    /// The bank's or processor's reference.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 200, example = "SEPA-2026-12-0042")
    )]
    pub reference: Option<String>,
}
