//! The read models and inputs of sales, shared by REST (OpenAPI) and GraphQL.

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::{Money, Patch};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_core::vocabulary!(
    /// What a stage means for the deals in it.
    StageType {
        /// Still being worked.
        Open = "open",
        /// Won.
        Won = "won",
        /// Lost.
        Lost = "lost",
    }
);

crm_core::vocabulary!(
    /// Where a deal stands.
    DealStatus {
        /// In an open stage.
        Open = "open",
        /// In a won stage.
        Won = "won",
        /// In a lost stage.
        Lost = "lost",
    }
);

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

/// A stage of a pipeline.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Stage {
    /// Identifier; kept across renames and reorders, so history stays attached.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Order within the pipeline, from 0.
    pub position: i32,
    /// Win probability in percent (0 to 100), used by the weighted forecast.
    pub probability: i32,
    /// Open, won or lost.
    pub stage_type: StageType,
}

/// A sales pipeline and its ordered stages.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Pipeline {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Whether new deals land here by default.
    pub is_default: bool,
    /// Stages in order.
    pub stages: Vec<Stage>,
    /// Version; the `ETag` is `"<version>"`.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A stage to create or keep: with `id`, an existing stage (renamed or moved); without, a new one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct StageInput {
    /// An existing stage's id, to keep it (and its history).
    pub id: Option<Uuid>,
    /// Name (1 to 200 characters).
    pub name: String,
    /// Win probability in percent, 0 to 100 (default: 100 for won, 0 for lost, else 10).
    pub probability: Option<i32>,
    /// Open (default), won or lost.
    pub stage_type: Option<StageType>,
}

/// A new pipeline with its stages in order (at least one open, one won and one lost).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewPipeline {
    /// Name.
    pub name: String,
    /// Whether new deals land here by default.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub is_default: bool,
    /// Stages in order.
    pub stages: Vec<StageInput>,
}

/// Rename a pipeline or replace its stage list (reorder, rename, add; a stage holding deals
/// cannot be dropped).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct PipelinePatch {
    /// New name.
    pub name: Option<String>,
    /// Whether new deals land here by default.
    pub is_default: Option<bool>,
    /// The full new stage list, in order.
    pub stages: Option<Vec<StageInput>>,
}

/// A deal.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Deal {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Amount.
    pub amount: Option<Money>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// Pipeline.
    pub pipeline_id: Uuid,
    /// Current stage.
    pub stage_id: Uuid,
    /// Open, won or lost (follows the stage type).
    pub status: DealStatus,
    /// Why it was won or lost.
    pub close_reason: Option<String>,
    /// When it was won or lost.
    pub closed_at: Option<DateTime<Utc>>,
    /// The responsible user.
    pub owner_id: Option<Uuid>,
    /// The company.
    pub company_id: Option<Uuid>,
    /// The contacts involved.
    pub contact_ids: Vec<Uuid>,
    /// The lead it came from.
    pub lead_id: Option<Uuid>,
    /// Version; the `ETag` is `"<version>"`.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new deal.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewDeal {
    /// Name.
    pub name: String,
    /// Amount.
    pub amount: Option<Money>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// Pipeline (default: the default pipeline).
    pub pipeline_id: Option<Uuid>,
    /// Stage (default: the pipeline's first stage).
    pub stage_id: Option<Uuid>,
    /// Responsible user (default: the caller).
    pub owner_id: Option<Uuid>,
    /// Company.
    pub company_id: Option<Uuid>,
    /// Contacts involved.
    pub contact_ids: Option<Vec<Uuid>>,
}

/// Changes to a deal (JSON Merge Patch). Moving `stage_id` records the stage history; a won or
/// lost stage closes the deal (with `close_reason`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DealPatch {
    /// Name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub name: Patch<String>,
    /// Amount.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Money>))]
    pub amount: Patch<Money>,
    /// Expected close date.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<NaiveDate>))]
    pub expected_close_date: Patch<NaiveDate>,
    /// Stage (of the same pipeline).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub stage_id: Patch<Uuid>,
    /// Why it was won or lost.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub close_reason: Patch<String>,
    /// Responsible user.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub owner_id: Patch<Uuid>,
    /// Company.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub company_id: Patch<Uuid>,
    /// Contacts involved (replaced whole).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Uuid>>))]
    pub contact_ids: Patch<Vec<Uuid>>,
}

/// A deal's stay in a stage.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct StageVisit {
    /// The stage.
    pub stage_id: Uuid,
    /// When the deal entered it.
    pub entered_at: DateTime<Utc>,
    /// When it left (none while it is there).
    pub left_at: Option<DateTime<Utc>>,
    /// Who moved it there.
    pub entered_by: Option<Uuid>,
}

/// One column of a pipeline board.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct BoardColumn {
    /// The stage.
    pub stage: Stage,
    /// How many deals are in it.
    pub count: i64,
    /// The sum of their amounts, per currency.
    pub totals: Vec<Money>,
    /// The newest deals in it (at most `per_stage`).
    pub deals: Vec<Deal>,
}

/// A weighted forecast row: open deals expected to close in `month`, by owner and currency.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ForecastRow {
    /// `YYYY-MM`, or none for deals without an expected close date.
    pub month: Option<String>,
    /// The owner.
    pub owner_id: Option<Uuid>,
    /// The currency.
    pub currency: String,
    /// Open deals.
    pub deals: i64,
    /// Sum of amounts.
    pub amount: Money,
    /// Sum of amount x stage probability, rounded to the currency's minor unit.
    pub weighted_amount: Money,
}

/// A product.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Product {
    /// Identifier.
    pub id: Uuid,
    /// Stock keeping unit, unique in the organization.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Unit, such as `piece` or `hour`.
    pub unit: String,
    /// Tax rate in percent, such as `"19"`.
    pub tax_rate: String,
    /// Whether it can be sold.
    pub active: bool,
    /// The source system of `external_id`.
    pub external_source: Option<String>,
    /// The id in that system.
    pub external_id: Option<String>,
    /// Prices per price list.
    pub prices: Vec<ProductPrice>,
    /// Version; the `ETag` is `"<version>"`.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
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
    pub unit_price: String,
}

/// A new product, or (with `PUT .../by-external-id/...`) a product to upsert.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewProduct {
    /// Stock keeping unit (1 to 100 characters), unique in the organization.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Unit (default `piece`).
    pub unit: Option<String>,
    /// Tax rate in percent, 0 to 100 (default 0).
    pub tax_rate: Option<String>,
    /// Whether it can be sold (default true).
    pub active: Option<bool>,
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
    pub name: String,
    /// ISO 4217 currency.
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
    pub name: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// Whether orders use it when none is named.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub is_default: bool,
}

/// A line of an order or invoice, as computed by the server.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Line {
    /// Position, from 0.
    pub position: i32,
    /// The product.
    pub product_id: Option<Uuid>,
    /// Description (default: the product's name).
    pub description: Option<String>,
    /// Quantity.
    pub quantity: String,
    /// Unit price (as many decimals as it was given, at least the currency's minor units).
    pub unit_price: Money,
    /// Discount in percent.
    pub discount_percent: String,
    /// Tax rate in percent.
    pub tax_rate: String,
    /// Quantity x unit price less the discount, rounded to the currency's minor unit.
    pub net_amount: Money,
    /// Tax on the net amount.
    pub tax_amount: Money,
    /// Net plus tax.
    pub total_amount: Money,
}

/// A line to put on an order or invoice; the server computes every amount.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct LineInput {
    /// The product (its price-list price and tax rate are the defaults).
    pub product_id: Option<Uuid>,
    /// Description (required without a product).
    pub description: Option<String>,
    /// Quantity, a positive decimal string.
    pub quantity: String,
    /// Unit price (default: the product's price in the document's price list).
    pub unit_price: Option<String>,
    /// Discount in percent, 0 to 100 (default 0).
    pub discount_percent: Option<String>,
    /// Tax rate in percent, 0 to 100 (default: the product's).
    pub tax_rate: Option<String>,
}

/// An order or an invoice.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SalesDocument {
    /// Identifier.
    pub id: Uuid,
    /// Invoices: the number, per organization, with no gaps.
    pub number: Option<i64>,
    /// Order: draft, confirmed, fulfilled, cancelled. Invoice: draft, issued, paid, overdue, void.
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
    /// The source system of `external_id`.
    pub external_source: Option<String>,
    /// The id in that system.
    pub external_id: Option<String>,
    /// Version; the `ETag` is `"<version>"`.
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
    pub lines: Vec<LineInput>,
}

/// A new order, or (with `PUT .../by-external-id/...`) an order to upsert.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewOrder {
    /// ISO 4217 currency (default: the price list's).
    pub currency: Option<String>,
    /// Price list for product prices (default: the default price list).
    pub price_list_id: Option<Uuid>,
    /// The customer company.
    pub company_id: Option<Uuid>,
    /// The customer contact.
    pub contact_id: Option<Uuid>,
    /// Draft (default) or confirmed.
    pub status: Option<OrderStatus>,
    /// At least one line.
    pub lines: Vec<LineInput>,
}

/// Move an order or invoice through its statuses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct StatusChange {
    /// The new status.
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
    pub currency: Option<String>,
    /// The customer company, without an order.
    pub company_id: Option<Uuid>,
    /// The customer contact, without an order.
    pub contact_id: Option<Uuid>,
    /// Lines, without an order.
    pub lines: Option<Vec<LineInput>>,
    /// When payment is due (default: 30 days after issue).
    pub due_date: Option<NaiveDate>,
    /// Issue at once (default true): the invoice gets its number.
    pub issue: Option<bool>,
}

/// A payment received for an invoice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewPayment {
    /// Amount, a positive decimal in the invoice's currency.
    pub amount: String,
    /// When it was paid (default: now).
    pub paid_at: Option<DateTime<Utc>>,
    /// How, such as `bank_transfer`.
    pub method: Option<String>,
    /// The bank's or processor's reference.
    pub reference: Option<String>,
}

crm_core::vocabulary!(
    /// Where a lead stands.
    LeadStatus {
        /// Captured, not assessed yet.
        New = "new",
        /// Worth pursuing.
        Qualified = "qualified",
        /// Not worth pursuing (with a reason).
        Disqualified = "disqualified",
        /// Became a contact (and maybe a company and a deal).
        Converted = "converted",
    }
);

/// A lead: a prospective customer not yet in the customer base.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Lead {
    /// Identifier.
    pub id: Uuid,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email, lowercase.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// The company they work for, as given.
    pub company_name: Option<String>,
    /// That company's web domain.
    pub company_domain: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// The channel the lead came from.
    pub source_channel: Option<crm_core::Channel>,
    /// The campaign that brought it, when known.
    pub campaign_id: Option<Uuid>,
    /// New, qualified, disqualified or converted.
    pub status: LeadStatus,
    /// Why it was disqualified.
    pub disqualify_reason: Option<String>,
    /// The responsible user.
    pub owner_id: Option<Uuid>,
    /// The contact it became.
    pub converted_contact_id: Option<Uuid>,
    /// The company it became or joined.
    pub converted_company_id: Option<Uuid>,
    /// The deal opened on conversion.
    pub converted_deal_id: Option<Uuid>,
    /// When it was converted.
    pub converted_at: Option<DateTime<Utc>>,
    /// Version; the `ETag` is `"<version>"`.
    pub version: i64,
    /// When it was captured.
    pub created_at: DateTime<Utc>,
}

/// A new lead.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewLead {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Company name.
    pub company_name: Option<String>,
    /// Company web domain or URL.
    pub company_domain: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Source channel.
    pub source_channel: Option<crm_core::Channel>,
    /// Campaign, when known.
    pub campaign_id: Option<Uuid>,
    /// Responsible user (default: the caller).
    pub owner_id: Option<Uuid>,
}

/// Why a lead is disqualified.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct DisqualifyLead {
    /// The reason (1 to 300 characters).
    pub reason: String,
}

/// How to convert a lead.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ConvertLead {
    /// Match or create the lead's company (default true when the lead names one).
    pub with_company: Option<bool>,
    /// Open a deal too.
    pub deal: Option<NewDeal>,
}

/// What a lead became.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct LeadConversion {
    /// The lead, now converted.
    pub lead: Lead,
    /// The contact (an existing one with the same email, or a new one).
    pub contact_id: Uuid,
    /// Whether the contact already existed.
    pub contact_matched: bool,
    /// The company (an existing one with the same domain or name, or a new one).
    pub company_id: Option<Uuid>,
    /// Whether the company already existed.
    pub company_matched: bool,
    /// The deal, when one was opened.
    pub deal: Option<Deal>,
}
