//! Customer operations: every thing a caller can do, independent of REST or GraphQL.

mod common;
mod companies;
mod contacts;
mod contacts_bulk;
mod contacts_upsert;
mod custom_fields;
mod duplicates;
mod loaders;
mod lookup;
mod merge;
mod owners;
mod parse;

pub use common::{
    COMPANY_FIELDS, CONTACT_FIELDS, active_user, custom_field_keys, custom_field_types,
};
pub use companies::{
    company_history, create_company, create_company_in, delete_company, export_companies,
    get_company, list_companies, list_deleted_companies, restore_company, restore_company_in,
    update_company, update_company_in, upsert_company, upsert_company_in,
};
pub use contacts::{
    contact_get_sql, contact_history, contact_list_sql, create_contact, create_contact_in,
    delete_contact, export_contacts, get_contact, list_contacts, list_deleted_contacts,
    restore_contact, restore_contact_in, update_contact, update_contact_in,
};
pub use contacts_bulk::create_contacts_in;
pub use contacts_upsert::{upsert_contact, upsert_contact_in};
pub use custom_fields::{
    create_custom_field, delete_custom_field, get_custom_field, list_custom_fields,
};
pub use duplicates::{company_duplicates, contact_duplicates};
pub use loaders::{
    companies_by_ids, company_contact_cursor, company_contacts_after, contacts_by_company,
};
pub use lookup::{
    ContactRef, company_by_domain_or_name, company_is_live, company_is_live_expr,
    contact_by_email_or_phone, contact_is_live_expr, contact_ref,
};
pub use merge::{merge_companies, merge_companies_in, merge_contacts, merge_contacts_in};
pub use owners::transfer_owner;
pub use parse::{MAX_PARSE_TEXT, create_contact_from_text, parse_contact};
