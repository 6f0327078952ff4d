//! Sales operations: every thing a caller can do, independent of REST or GraphQL.

mod common;
mod deals;
mod documents;
mod pipelines;
mod products;

pub use deals::{
    DEAL_FIELDS, board, create_deal, deal_stage_history, delete_deal, forecast, get_deal,
    list_deals, update_deal,
};
pub use documents::{
    DOCUMENT_FIELDS, DocType, add_payment, change_status, check_external, create_invoice,
    create_order, get_document, list_documents, upsert_order,
};
pub use pipelines::{create_pipeline, get_pipeline, list_pipelines, update_pipeline};
pub use products::{
    create_price_list, create_product, get_product, list_price_lists, list_products, upsert_product,
};
