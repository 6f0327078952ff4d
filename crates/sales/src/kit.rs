//! Deals, quotes, orders, invoices, products and leads in the resource kit: their standard operations, as the
//! gateway serves them.

use crate::dto::{
    Deal, DealPatch, Lead, NewDeal, NewInvoice, NewLead, NewOrder, NewProduct, NewQuote, Product,
    SalesDocument,
};
use crate::ops::{self, DocType};
use crm_core::audit::HistoryEntry;
use crm_core::batch::BatchWrite;
use crm_core::kit::{
    Create, Delete, ExportSender, History, Records, Update, Upsert, export_streamed,
};
use crm_core::list::{ListParams, Resource};
use crm_core::{Ctx, Page, PageRequest, Result};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

/// Deals (opportunities) in pipelines.
pub struct Deals;
/// Orders.
pub struct Orders;
/// Quotes.
pub struct Quotes;
/// Invoices.
pub struct Invoices;
/// Products.
pub struct Products;
/// Leads: prospective customers not yet in the customer base.
pub struct Leads;

crm_core::versioned!(Product, Lead, Deal, SalesDocument);
crm_core::sort_keys!(Product {
    created_at,
    updated_at,
    sku,
    name
});
crm_core::sort_keys!(Lead {
    created_at,
    updated_at,
    last_name
});
crm_core::sort_keys!(Deal {
    created_at,
    updated_at,
    name,
    expected_close_date
});
crm_core::sort_keys!(SalesDocument {
    created_at,
    updated_at,
    due_date
});

impl Records for Products {
    const RESOURCE: &'static Resource = &ops::PRODUCT_FIELDS;
    const PATH: &'static str = "products";
    const ONE: &'static str = "Product";
    const MANY: &'static str = "Products";
    const TAG: &'static str = "sales";
    const LIST_NOTE: &'static str = "`q` searches SKUs, names and descriptions.";
    const CREATE_NOTE: &'static str = "With prices per price list; an inactive product cannot be put on a quote, order or \
         invoice.";
    type Record = Product;

    async fn list(ctx: &Ctx, params: &ListParams) -> Result<Page<Product>> {
        Ok(ops::list_products(ctx, params).await?)
    }
    async fn export(ctx: Ctx, params: ListParams, out: ExportSender<Product>) {
        export_streamed::<Self, _, _>(ctx, params, out, |ctx, params, out| async move {
            Ok(ops::export_products(&ctx, &params, &out).await?)
        })
        .await
    }
    async fn get(ctx: &Ctx, id: Uuid) -> Result<Product> {
        Ok(ops::get_product(ctx, id).await?)
    }
}

impl Create for Products {
    type New = NewProduct;
    async fn create(ctx: &Ctx, input: NewProduct) -> Result<Product> {
        Ok(ops::create_product(ctx, input).await?)
    }
}

impl Delete for Products {
    async fn delete(ctx: &Ctx, id: Uuid, v: Option<i64>) -> Result<()> {
        ops::set_product_deleted(ctx, id, true, v).await?;
        Ok(())
    }
    async fn restore(ctx: &Ctx, id: Uuid) -> Result<Product> {
        ops::set_product_deleted(ctx, id, false, None)
            .await?
            .ok_or_else(|| crm_core::Error::not_found("Product"))
    }
}

impl History for Products {
    async fn history(ctx: &Ctx, id: Uuid, page: &PageRequest) -> Result<Page<HistoryEntry>> {
        Ok(ops::product_history(ctx, id, page).await?)
    }
}

impl Records for Leads {
    const RESOURCE: &'static Resource = &ops::LEAD_FIELDS;
    const PATH: &'static str = "leads";
    const ONE: &'static str = "Lead";
    const MANY: &'static str = "Leads";
    const TAG: &'static str = "sales";
    const LIST_NOTE: &'static str = "`q` searches names, emails and company names.";
    type Record = Lead;

    async fn list(ctx: &Ctx, params: &ListParams) -> Result<Page<Lead>> {
        Ok(ops::list_leads(ctx, params).await?)
    }
    async fn export(ctx: Ctx, params: ListParams, out: ExportSender<Lead>) {
        export_streamed::<Self, _, _>(ctx, params, out, |ctx, params, out| async move {
            Ok(ops::export_leads(&ctx, &params, &out).await?)
        })
        .await
    }
    async fn get(ctx: &Ctx, id: Uuid) -> Result<Lead> {
        Ok(ops::get_lead(ctx, id).await?)
    }
}

impl Create for Leads {
    type New = NewLead;
    async fn create(ctx: &Ctx, input: NewLead) -> Result<Lead> {
        Ok(ops::create_lead(ctx, input).await?)
    }
}

impl History for Leads {
    async fn history(ctx: &Ctx, id: Uuid, page: &PageRequest) -> Result<Page<HistoryEntry>> {
        Ok(ops::lead_history(ctx, id, page).await?)
    }
}

impl Records for Deals {
    const RESOURCE: &'static Resource = &ops::DEAL_FIELDS;
    const PATH: &'static str = "deals";
    const ONE: &'static str = "Deal";
    const MANY: &'static str = "Deals";
    const TAG: &'static str = "sales";
    const LIST_NOTE: &'static str = "`q` searches names and close reasons.";
    const UPDATE_NOTE: &'static str = "Moving `stage_id` is recorded in the stage history, and a won or lost stage closes the \
         deal.";
    type Record = Deal;

    async fn list(ctx: &Ctx, params: &ListParams) -> Result<Page<Deal>> {
        Ok(ops::list_deals(ctx, params).await?)
    }
    async fn export(ctx: Ctx, params: ListParams, out: ExportSender<Deal>) {
        export_streamed::<Self, _, _>(ctx, params, out, |ctx, params, out| async move {
            Ok(ops::export_deals(&ctx, &params, &out).await?)
        })
        .await
    }
    async fn get(ctx: &Ctx, id: Uuid) -> Result<Deal> {
        Ok(ops::get_deal(ctx, id).await?)
    }
}

impl Create for Deals {
    type New = NewDeal;
    async fn create(ctx: &Ctx, input: NewDeal) -> Result<Deal> {
        Ok(ops::create_deal(ctx, input).await?)
    }
}

impl Update for Deals {
    type Patch = DealPatch;
    async fn update(ctx: &Ctx, id: Uuid, patch: DealPatch, v: Option<i64>) -> Result<Deal> {
        Ok(ops::update_deal(ctx, id, patch, v).await?)
    }
}

impl Delete for Deals {
    async fn delete(ctx: &Ctx, id: Uuid, v: Option<i64>) -> Result<()> {
        Ok(ops::delete_deal(ctx, id, v).await?)
    }
    async fn restore(ctx: &Ctx, id: Uuid) -> Result<Deal> {
        Ok(ops::restore_deal(ctx, id).await?)
    }
}

impl History for Deals {
    async fn history(ctx: &Ctx, id: Uuid, page: &PageRequest) -> Result<Page<HistoryEntry>> {
        Ok(ops::deal_history(ctx, id, page).await?)
    }
}

/// One kind of sales document in the kit.
macro_rules! document {
    ($t:ident, $doc:expr, $path:literal, $one:literal, $many:literal, $new:ty, $create:path, $note:literal) => {
        impl Records for $t {
            const RESOURCE: &'static Resource = &ops::DOCUMENT_FIELDS;
            const PATH: &'static str = $path;
            const ONE: &'static str = $one;
            const MANY: &'static str = $many;
            const TAG: &'static str = "sales";
            const LIST_NOTE: &'static str =
                "`status=overdue` finds issued invoices past their due date. `q` searches \
                 numbers, external ids and notes.";
            const CREATE_NOTE: &'static str = $note;
            type Record = SalesDocument;

            async fn list(ctx: &Ctx, params: &ListParams) -> Result<Page<SalesDocument>> {
                Ok(ops::list_documents(ctx, $doc, params).await?)
            }
            async fn export(ctx: Ctx, params: ListParams, out: ExportSender<SalesDocument>) {
                export_streamed::<Self, _, _>(ctx, params, out, |ctx, params, out| async move {
                    Ok(ops::export_documents(&ctx, $doc, &params, &out).await?)
                })
                .await
            }
            async fn get(ctx: &Ctx, id: Uuid) -> Result<SalesDocument> {
                Ok(ops::get_document(ctx, $doc, id).await?)
            }
        }

        impl Create for $t {
            type New = $new;
            async fn create(ctx: &Ctx, input: $new) -> Result<SalesDocument> {
                Ok($create(ctx, input).await?)
            }
        }

        impl History for $t {
            async fn history(
                ctx: &Ctx,
                id: Uuid,
                page: &PageRequest,
            ) -> Result<Page<HistoryEntry>> {
                Ok(ops::document_history(ctx, $doc, id, page).await?)
            }
        }
    };
}

document!(
    Orders,
    DocType::Order,
    "orders",
    "Order",
    "Orders",
    NewOrder,
    ops::create_order,
    "The server computes every line and total from quantities, prices, discounts and tax \
     rates, in decimals."
);
document!(
    Quotes,
    DocType::Quote,
    "quotes",
    "Quote",
    "Quotes",
    NewQuote,
    ops::create_quote,
    "An offer with lines, discounts and a validity date; `POST .../accept` turns it into a \
     confirmed order."
);
document!(
    Invoices,
    DocType::Invoice,
    "invoices",
    "Invoice",
    "Invoices",
    NewInvoice,
    ops::create_invoice,
    "For an order or with its own lines; issued invoices are numbered per organization with \
     no gaps and no repeats."
);

impl Upsert for Leads {
    const UPSERT_NOTE: &'static str = "A replace sets every field from the body and keeps the \
         status, the conversion and, when the body names none, the owner.";
    async fn upsert(
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewLead,
    ) -> Result<(Lead, bool)> {
        Ok(ops::upsert_lead(ctx, source, external_id, input).await?)
    }
}

impl BatchWrite for Leads {
    type Change = NewLead;
    const UPDATE: bool = false;
    const UPSERT: bool = true;
    async fn create_in(tx: &DatabaseTransaction, ctx: &Ctx, input: NewLead) -> Result<Lead> {
        Ok(ops::create_lead_in(tx, ctx, input).await?)
    }
    async fn upsert_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewLead,
    ) -> Result<(Lead, bool)> {
        Ok(ops::upsert_lead_in(tx, ctx, source, external_id, input).await?)
    }
}

impl Upsert for Deals {
    const UPSERT_NOTE: &'static str = "A replace sets the name, amount, expected close date, \
         company and contacts from the body (clearing what it leaves out), moves the deal to \
         `stage_id` when given (a won or lost stage closes it, at `closed_at` when given), and \
         keeps the pipeline (another is a 422), the close reason and, when the body names \
         none, the owner. A deleted deal is restored (managers and admins).";
    async fn upsert(
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewDeal,
    ) -> Result<(Deal, bool)> {
        Ok(ops::upsert_deal(ctx, source, external_id, input).await?)
    }
}

impl BatchWrite for Deals {
    type Change = DealPatch;
    const UPDATE: bool = true;
    const UPSERT: bool = true;
    async fn create_in(tx: &DatabaseTransaction, ctx: &Ctx, input: NewDeal) -> Result<Deal> {
        Ok(ops::create_deal_within(tx, ctx, input).await?)
    }
    async fn update_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        id: Uuid,
        patch: DealPatch,
        v: Option<i64>,
    ) -> Result<Deal> {
        Ok(ops::update_deal_in(tx, ctx, id, patch, v).await?)
    }
    async fn upsert_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewDeal,
    ) -> Result<(Deal, bool)> {
        Ok(ops::upsert_deal_in(tx, ctx, source, external_id, input).await?)
    }
}

impl Upsert for Products {
    const UPSERT_NOTE: &'static str = "A replace sets every field and price from the body; a \
         deleted product is restored.";
    async fn upsert(
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewProduct,
    ) -> Result<(Product, bool)> {
        Ok(ops::upsert_product(ctx, source, external_id, input).await?)
    }
}

impl Upsert for Orders {
    const UPSERT_NOTE: &'static str = "A replace sets the order's fields and lines from the \
         body (the server computes every amount again); a fulfilled or cancelled order is a \
         409.";
    async fn upsert(
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewOrder,
    ) -> Result<(SalesDocument, bool)> {
        Ok(ops::upsert_order(ctx, source, external_id, input).await?)
    }
}

impl Upsert for Invoices {
    const UPSERT_NOTE: &'static str = "A draft is replaced; an issued invoice is immutable, so \
         pushing it again unchanged answers 200 with it and pushing other amounts is a 409.";
    async fn upsert(
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewInvoice,
    ) -> Result<(SalesDocument, bool)> {
        Ok(ops::upsert_invoice(ctx, source, external_id, input).await?)
    }
}

/// A product's update item replaces it, as `PUT /products/{id}` does.
impl BatchWrite for Products {
    type Change = NewProduct;
    const UPDATE: bool = true;
    const UPSERT: bool = true;
    async fn create_in(tx: &DatabaseTransaction, ctx: &Ctx, input: NewProduct) -> Result<Product> {
        Ok(ops::create_product_in(tx, ctx, input).await?)
    }
    async fn update_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        id: Uuid,
        input: NewProduct,
        v: Option<i64>,
    ) -> Result<Product> {
        Ok(ops::replace_product_in(tx, ctx, id, input, v).await?)
    }
    async fn upsert_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewProduct,
    ) -> Result<(Product, bool)> {
        Ok(ops::upsert_product_in(tx, ctx, source, external_id, input).await?)
    }
}

impl BatchWrite for Orders {
    type Change = NewOrder;
    const UPDATE: bool = false;
    const UPSERT: bool = true;
    async fn create_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        input: NewOrder,
    ) -> Result<SalesDocument> {
        Ok(ops::create_order_in(tx, ctx, input).await?)
    }
    async fn upsert_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewOrder,
    ) -> Result<(SalesDocument, bool)> {
        Ok(ops::upsert_order_in(tx, ctx, source, external_id, input).await?)
    }
}
