//! Sales queries and mutations: the same operations as REST.

use super::connection::patch;
use super::connection::{connection, page_request};
use super::error::{IntoGql, gql};
use super::filters::{Deals, Documents, Filter, Leads, Order, Products};
use super::inputs::list_params;
use super::query::{caller, parse_id};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::NaiveDate;
use crm_core::{Error, Money};
use crm_sales::ops::{self, DocType};
use crm_sales::*;
use uuid::Uuid;

fn id_of(id: &ID, what: &str) -> async_graphql::Result<Uuid> {
    parse_id(id).ok_or_else(|| gql(Error::not_found(what)))
}

/// A single read: `null` when the record is absent or not the caller's (as for contacts),
/// other errors as errors.
fn optional<T>(r: Result<T, SalesError>) -> async_graphql::Result<Option<T>> {
    match r.map_err(Error::from) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code == crm_core::Code::NotFound => Ok(None),
        Err(e) => Err(gql(e)),
    }
}

/// Changes to a deal: omitted fields stay, `null` clears.
#[derive(InputObject, Default)]
pub struct DealPatchInput {
    /// Name.
    pub name: MaybeUndefined<String>,
    /// Amount.
    pub amount: MaybeUndefined<Money>,
    /// Expected close date.
    pub expected_close_date: MaybeUndefined<NaiveDate>,
    /// Stage (of the same pipeline); moves are recorded.
    pub stage_id: MaybeUndefined<Uuid>,
    /// Why it was won or lost.
    pub close_reason: MaybeUndefined<String>,
    /// Responsible user.
    pub owner_id: MaybeUndefined<Uuid>,
    /// Company.
    pub company_id: MaybeUndefined<Uuid>,
    /// Contacts involved.
    pub contact_ids: MaybeUndefined<Vec<Uuid>>,
}

impl From<DealPatchInput> for DealPatch {
    fn from(i: DealPatchInput) -> Self {
        DealPatch {
            name: patch(i.name),
            amount: patch(i.amount),
            expected_close_date: patch(i.expected_close_date),
            stage_id: patch(i.stage_id),
            close_reason: patch(i.close_reason),
            owner_id: patch(i.owner_id),
            company_id: patch(i.company_id),
            contact_ids: patch(i.contact_ids),
        }
    }
}

/// An upserted record and whether it was created.
#[derive(SimpleObject)]
pub struct OrderUpsert {
    /// The order.
    pub order: SalesDocument,
    /// Whether it was created (false: replaced).
    pub created: bool,
}

/// An upserted product and whether it was created.
#[derive(SimpleObject)]
pub struct ProductUpsert {
    /// The product.
    pub product: Product,
    /// Whether it was created (false: replaced).
    pub created: bool,
}

/// Sales queries.
#[derive(Default)]
pub struct SalesQuery;

#[Object]
impl SalesQuery {
    /// Who changed what and when on a sales record, newest first.
    async fn sales_history(
        &self,
        ctx: &Context<'_>,
        kind: SalesRecordKind,
        id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, crm_core::audit::HistoryEntry>> {
        let c = caller(ctx)?;
        let id = id_of(&id, "Record")?;
        let page = page_request(first, after.clone());
        let result = match kind {
            SalesRecordKind::Deal => ops::deal_history(c, id, &page).await,
            SalesRecordKind::Lead => ops::lead_history(c, id, &page).await,
            SalesRecordKind::Product => ops::product_history(c, id, &page).await,
            SalesRecordKind::Quote => ops::document_history(c, DocType::Quote, id, &page).await,
            SalesRecordKind::Order => ops::document_history(c, DocType::Order, id, &page).await,
            SalesRecordKind::Invoice => ops::document_history(c, DocType::Invoice, id, &page).await,
        };
        Ok(connection(result.gql()?, after.is_some()))
    }

    /// Pipelines with their stages.
    async fn pipelines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Pipeline>> {
        ops::list_pipelines(caller(ctx)?).await.gql()
    }

    /// A pipeline as a board: per stage, its newest deals, their count and sums.
    async fn board(
        &self,
        ctx: &Context<'_>,
        pipeline_id: ID,
        #[graphql(default = 25)] per_stage: i32,
    ) -> async_graphql::Result<Vec<BoardColumn>> {
        let c = caller(ctx)?;
        ops::board(
            c,
            id_of(&pipeline_id, "Pipeline")?,
            u64::try_from(per_stage.clamp(0, 100)).unwrap_or(25),
        )
        .await
        .gql()
    }

    /// Deals: typed filters (also through `company`), sort keys and search in name and
    /// close reason.
    #[allow(clippy::too_many_arguments)]
    async fn deals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<Filter<Deals>>,
        order_by: Option<Vec<Order<Deals>>>,
        q: Option<String>,
    ) -> async_graphql::Result<Connection<String, Deal>> {
        let has_previous = after.is_some();
        let params = list_params(first, after, filter, order_by, q);
        Ok(connection(
            ops::list_deals(caller(ctx)?, &params).await.gql()?,
            has_previous,
        ))
    }

    /// One deal.
    async fn deal(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Deal>> {
        let c = caller(ctx)?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        optional(ops::get_deal(c, id).await)
    }

    /// The stages a deal went through.
    async fn deal_stage_history(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Vec<StageVisit>> {
        ops::deal_stage_history(caller(ctx)?, id_of(&id, "Deal")?)
            .await
            .gql()
    }

    /// The weighted pipeline forecast.
    async fn forecast(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ForecastRow>> {
        ops::forecast(caller(ctx)?).await.gql()
    }

    /// Leads, newest first: typed filters, sort keys and search in names, email and company
    /// name.
    #[allow(clippy::too_many_arguments)]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<Filter<Leads>>,
        order_by: Option<Vec<Order<Leads>>>,
        q: Option<String>,
    ) -> async_graphql::Result<Connection<String, Lead>> {
        let has_previous = after.is_some();
        let params = list_params(first, after, filter, order_by, q);
        let page = ops::list_leads(caller(ctx)?, &params).await.gql()?;
        Ok(connection(page, has_previous))
    }

    /// Products, oldest first: typed filters, sort keys and search in SKU, name and
    /// description.
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<Filter<Products>>,
        order_by: Option<Vec<Order<Products>>>,
        q: Option<String>,
    ) -> async_graphql::Result<Connection<String, Product>> {
        let has_previous = after.is_some();
        let params = list_params(first, after, filter, order_by, q);
        let page = ops::list_products(caller(ctx)?, &params).await.gql()?;
        Ok(connection(page, has_previous))
    }

    /// Price lists.
    async fn price_lists(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PriceList>> {
        ops::list_price_lists(caller(ctx)?).await.gql()
    }

    /// Quotes, orders or invoices (`kind`: QUOTE, ORDER, INVOICE): typed filters (also
    /// through `company` and `contact`), sort keys and search in number, external id and notes.
    #[allow(clippy::too_many_arguments)]
    async fn sales_documents(
        &self,
        ctx: &Context<'_>,
        kind: DocumentKind,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<Filter<Documents>>,
        order_by: Option<Vec<Order<Documents>>>,
        q: Option<String>,
    ) -> async_graphql::Result<Connection<String, SalesDocument>> {
        let has_previous = after.is_some();
        let params = list_params(first, after, filter, order_by, q);
        Ok(connection(
            ops::list_documents(caller(ctx)?, kind.into(), &params)
                .await
                .gql()?,
            has_previous,
        ))
    }

    /// One quote, order or invoice.
    async fn sales_document(
        &self,
        ctx: &Context<'_>,
        kind: DocumentKind,
        id: ID,
    ) -> async_graphql::Result<Option<SalesDocument>> {
        let c = caller(ctx)?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        optional(ops::get_document(c, kind.into(), id).await)
    }
}

/// Which kind of sales record.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum SalesRecordKind {
    /// A deal.
    Deal,
    /// A lead.
    Lead,
    /// A product.
    Product,
    /// A quote.
    Quote,
    /// An order.
    Order,
    /// An invoice.
    Invoice,
}

/// Which sales document.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A quote.
    Quote,
    /// An order.
    Order,
    /// An invoice.
    Invoice,
}

impl From<DocumentKind> for DocType {
    fn from(k: DocumentKind) -> Self {
        match k {
            DocumentKind::Quote => DocType::Quote,
            DocumentKind::Order => DocType::Order,
            DocumentKind::Invoice => DocType::Invoice,
        }
    }
}

/// Sales mutations.
#[derive(Default)]
pub struct SalesMutation;

#[Object]
impl SalesMutation {
    /// Restores a deleted deal (managers and admins).
    async fn restore_deal(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Deal> {
        ops::restore_deal(caller(ctx)?, id_of(&id, "Deal")?)
            .await
            .gql()
    }

    /// Replaces a product's fields and prices; with `ifVersion`, a stale version fails.
    async fn replace_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: NewProduct,
        if_version: Option<i64>,
    ) -> async_graphql::Result<Product> {
        ops::replace_product(caller(ctx)?, id_of(&id, "Product")?, input, if_version)
            .await
            .gql()
    }

    /// Deletes a product (soft; managers and admins); always `true`.
    async fn delete_product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        ops::set_product_deleted(caller(ctx)?, id_of(&id, "Product")?, true, None)
            .await
            .gql()?;
        Ok(true)
    }

    /// Restores a deleted product (managers and admins).
    async fn restore_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Product>> {
        ops::set_product_deleted(caller(ctx)?, id_of(&id, "Product")?, false, None)
            .await
            .gql()
    }

    /// Creates a pipeline with ordered stages (admins).
    async fn create_pipeline(
        &self,
        ctx: &Context<'_>,
        input: NewPipeline,
    ) -> async_graphql::Result<Pipeline> {
        ops::create_pipeline(caller(ctx)?, input).await.gql()
    }

    /// Renames a pipeline or replaces its stage list (admins).
    async fn update_pipeline(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PipelinePatch,
        if_version: Option<i64>,
    ) -> async_graphql::Result<Pipeline> {
        ops::update_pipeline(caller(ctx)?, id_of(&id, "Pipeline")?, input, if_version)
            .await
            .gql()
    }

    /// Creates a deal.
    async fn create_deal(&self, ctx: &Context<'_>, input: NewDeal) -> async_graphql::Result<Deal> {
        ops::create_deal(caller(ctx)?, input).await.gql()
    }

    /// Creates or replaces the deal an ERP knows by `source` and `externalId`. A replace sets
    /// the name, amount, expected close date, company and contacts, moves the deal to
    /// `stageId` when given (closed at `closedAt` for a won or lost stage), and keeps the
    /// pipeline, the close reason and, when the input names none, the owner.
    async fn upsert_deal(
        &self,
        ctx: &Context<'_>,
        source: String,
        external_id: String,
        input: NewDeal,
    ) -> async_graphql::Result<Deal> {
        Ok(ops::upsert_deal(caller(ctx)?, &source, &external_id, input)
            .await
            .gql()?
            .0)
    }

    /// Changes a deal; stage moves are recorded.
    async fn update_deal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: DealPatchInput,
        if_version: Option<i64>,
    ) -> async_graphql::Result<Deal> {
        ops::update_deal(caller(ctx)?, id_of(&id, "Deal")?, input.into(), if_version)
            .await
            .gql()
    }

    /// Deletes a deal (soft); always `true`.
    async fn delete_deal(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        ops::delete_deal(caller(ctx)?, id_of(&id, "Deal")?, None)
            .await
            .gql()?;
        Ok(true)
    }

    /// Captures a lead.
    async fn create_lead(&self, ctx: &Context<'_>, input: NewLead) -> async_graphql::Result<Lead> {
        ops::create_lead(caller(ctx)?, input).await.gql()
    }

    /// Creates or replaces the lead another system (a form tool, a marketing platform) knows
    /// by `source` and `externalId`; a replace keeps the status, the conversion and, when the
    /// input names none, the owner.
    async fn upsert_lead(
        &self,
        ctx: &Context<'_>,
        source: String,
        external_id: String,
        input: NewLead,
    ) -> async_graphql::Result<Lead> {
        Ok(ops::upsert_lead(caller(ctx)?, &source, &external_id, input)
            .await
            .gql()?
            .0)
    }

    /// Marks a lead qualified.
    async fn qualify_lead(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Lead> {
        ops::qualify_lead(caller(ctx)?, id_of(&id, "Lead")?)
            .await
            .gql()
    }

    /// Marks a lead disqualified.
    async fn disqualify_lead(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: DisqualifyLead,
    ) -> async_graphql::Result<Lead> {
        ops::disqualify_lead(caller(ctx)?, id_of(&id, "Lead")?, input)
            .await
            .gql()
    }

    /// Converts a lead into a contact, a company and optionally a deal, in one transaction.
    async fn convert_lead(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: Option<ConvertLead>,
    ) -> async_graphql::Result<LeadConversion> {
        ops::convert_lead(caller(ctx)?, id_of(&id, "Lead")?, input.unwrap_or_default())
            .await
            .gql()
    }

    /// Creates a price list (admins).
    async fn create_price_list(
        &self,
        ctx: &Context<'_>,
        input: NewPriceList,
    ) -> async_graphql::Result<PriceList> {
        ops::create_price_list(caller(ctx)?, input).await.gql()
    }

    /// Creates a product.
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: NewProduct,
    ) -> async_graphql::Result<Product> {
        ops::create_product(caller(ctx)?, input).await.gql()
    }

    /// Creates or replaces the product an ERP knows by `source` and `externalId`.
    async fn upsert_product(
        &self,
        ctx: &Context<'_>,
        source: String,
        external_id: String,
        input: NewProduct,
    ) -> async_graphql::Result<ProductUpsert> {
        let (product, created) = ops::upsert_product(caller(ctx)?, &source, &external_id, input)
            .await
            .gql()?;
        Ok(ProductUpsert { product, created })
    }

    /// Creates a quote.
    async fn create_quote(
        &self,
        ctx: &Context<'_>,
        input: NewQuote,
    ) -> async_graphql::Result<SalesDocument> {
        ops::create_quote(caller(ctx)?, input).await.gql()
    }

    /// Accepts a quote into a confirmed order; returns the order.
    async fn accept_quote(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<SalesDocument> {
        ops::accept_quote(caller(ctx)?, id_of(&id, "Quote")?)
            .await
            .gql()
    }

    /// Creates an order; the server computes every amount.
    async fn create_order(
        &self,
        ctx: &Context<'_>,
        input: NewOrder,
    ) -> async_graphql::Result<SalesDocument> {
        ops::create_order(caller(ctx)?, input).await.gql()
    }

    /// Creates or replaces the order an ERP knows by `source` and `externalId`.
    async fn upsert_order(
        &self,
        ctx: &Context<'_>,
        source: String,
        external_id: String,
        input: NewOrder,
    ) -> async_graphql::Result<OrderUpsert> {
        let (order, created) = ops::upsert_order(caller(ctx)?, &source, &external_id, input)
            .await
            .gql()?;
        Ok(OrderUpsert { order, created })
    }

    /// Creates or replaces the invoice an ERP knows by `source` and `externalId`.
    async fn upsert_invoice(
        &self,
        ctx: &Context<'_>,
        source: String,
        external_id: String,
        input: NewInvoice,
    ) -> async_graphql::Result<SalesDocument> {
        Ok(
            ops::upsert_invoice(caller(ctx)?, &source, &external_id, input)
                .await
                .gql()?
                .0,
        )
    }

    /// Creates or replaces the contact a source system knows by `source` and `externalId`.
    async fn upsert_contact(
        &self,
        ctx: &Context<'_>,
        source: String,
        external_id: String,
        input: crm_customers::NewContact,
    ) -> async_graphql::Result<super::nodes::ContactNode> {
        let c = caller(ctx)?;
        ops::check_external(&source, &external_id).gql()?;
        let (inner, _) = crm_customers::ops::upsert_contact(c, &source, &external_id, input)
            .await
            .gql()?;
        Ok(super::nodes::ContactNode { inner })
    }

    /// Creates or replaces the company an ERP knows by `source` and `externalId`.
    async fn upsert_company(
        &self,
        ctx: &Context<'_>,
        source: String,
        external_id: String,
        input: crm_customers::NewCompany,
    ) -> async_graphql::Result<super::nodes::CompanyNode> {
        let c = caller(ctx)?;
        ops::check_external(&source, &external_id).gql()?;
        let (inner, _) = crm_customers::ops::upsert_company(c, &source, &external_id, input)
            .await
            .gql()?;
        Ok(super::nodes::CompanyNode { inner })
    }

    /// Creates an invoice (for an order or with its own lines).
    async fn create_invoice(
        &self,
        ctx: &Context<'_>,
        input: NewInvoice,
    ) -> async_graphql::Result<SalesDocument> {
        ops::create_invoice(caller(ctx)?, input).await.gql()
    }

    /// Moves a quote, order or invoice to another status.
    async fn change_document_status(
        &self,
        ctx: &Context<'_>,
        kind: DocumentKind,
        id: ID,
        status: String,
    ) -> async_graphql::Result<SalesDocument> {
        ops::change_status(caller(ctx)?, kind.into(), id_of(&id, "Document")?, &status)
            .await
            .gql()
    }

    /// Records a payment of an invoice.
    async fn add_payment(
        &self,
        ctx: &Context<'_>,
        invoice_id: ID,
        input: NewPayment,
    ) -> async_graphql::Result<SalesDocument> {
        ops::add_payment(caller(ctx)?, id_of(&invoice_id, "Invoice")?, input)
            .await
            .gql()
    }
}
