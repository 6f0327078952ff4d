//! Sales operations: every thing a caller can do, independent of REST or GraphQL.

mod common;
mod deals;
mod deals_upsert;
mod document_lines;
mod documents;
mod external;
mod fields;
mod leads;
mod payments;
mod pipelines;
mod products;
mod quotes;

pub use deals::{
    DEAL_FIELDS, board, create_deal, create_deal_within, deal_history, deal_stage_history,
    delete_deal, export_deals, forecast, get_deal, list_deals, restore_deal, update_deal,
    update_deal_in,
};
pub use deals_upsert::{upsert_deal, upsert_deal_in};
pub use documents::{
    DOCUMENT_FIELDS, DocType, change_status, create_invoice, create_order, create_order_in,
    document_history, export_documents, get_document, list_documents, upsert_invoice, upsert_order,
    upsert_order_in,
};
pub use external::{check_external, lock_external};
pub use fields::{LEAD_FIELDS, PRODUCT_FIELDS};
pub use leads::{
    convert_lead, create_lead, create_lead_in, disqualify_lead, export_leads, get_lead,
    lead_history, list_leads, qualify_lead, upsert_lead, upsert_lead_in,
};
pub use payments::add_payment;
pub use pipelines::{create_pipeline, get_pipeline, list_pipelines, update_pipeline};
pub use products::{
    create_price_list, create_product, create_product_in, export_products, get_price_list,
    get_product, list_price_lists, list_products, product_history, replace_product,
    replace_product_in, set_product_deleted, upsert_product, upsert_product_in,
};
pub use quotes::{accept_quote, create_quote};
