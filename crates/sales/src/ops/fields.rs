//! The field declarations of sales records (quotes, orders and invoices; products; leads): what
//! their lists filter, sort and search on.

use crm_core::list::{Field, Kind, Relation, Resource, Search};

/// Filterable and sortable fields of orders and invoices.
pub const DOCUMENT_FIELDS: Resource = Resource {
    name: "SalesDocument",
    custom_fields: false,
    relations: &[
        Relation {
            name: "company",
            column: "company_id",
            table: "companies",
            resource: &crm_customers::ops::COMPANY_FIELDS,
        },
        Relation {
            name: "contact",
            column: "contact_id",
            table: "contacts",
            resource: &crm_customers::ops::CONTACT_FIELDS,
        },
    ],
    // Number, external id and notes (migration 000007 indexes the same text).
    search: Some(Search {
        fts_table: "sales_documents_fts",
        pg_text: "regexp_replace(coalesce(CAST(number AS text), '') || ' ' || coalesce(external_id, '') || ' ' || \
                  coalesce(notes, ''), '[^[:alnum:]]+', ' ', 'g')",
    }),
    default_sort: "-created_at",
    fields: &[
        Field::sort("created_at", "created_at", Kind::DateTime, false),
        Field::sort("updated_at", "updated_at", Kind::DateTime, false),
        Field::sort("due_date", "due_date", Kind::Date, true),
        Field::filter("id", "id", Kind::Uuid),
        // An issued invoice past its due date is `overdue` (as the read model shows it), so
        // `status=overdue` finds it and `status=issued` does not.
        Field::filter(
            "status",
            "(CASE WHEN doc_type = 'invoice' AND status = 'issued' \
             AND due_date < CAST(CURRENT_DATE AS TEXT) THEN 'overdue' ELSE status END)",
            Kind::Text,
        ),
        Field::filter("company_id", "company_id", Kind::Uuid),
        Field::filter("contact_id", "contact_id", Kind::Uuid),
        Field::filter("currency", "currency", Kind::Text),
        Field::filter("external_source", "external_source", Kind::Text),
        Field::filter("external_id", "external_id", Kind::Text),
    ],
};

/// Filterable, sortable and searchable fields of products.
pub const PRODUCT_FIELDS: Resource = Resource {
    name: "Product",
    custom_fields: false,
    relations: &[],
    // SKU, name and description (migration 000007 indexes the same text).
    search: Some(Search {
        fts_table: "products_fts",
        pg_text: "regexp_replace(sku || ' ' || name || ' ' || coalesce(description, ''), '[^[:alnum:]]+', ' ', 'g')",
    }),
    default_sort: "created_at",
    fields: &[
        Field::sort("created_at", "created_at", Kind::DateTime, false),
        Field::sort("updated_at", "updated_at", Kind::DateTime, false),
        Field::sort("sku", "sku", Kind::Text, false),
        Field::sort("name", "name", Kind::Text, false),
        Field::filter("id", "id", Kind::Uuid),
        Field::filter("unit", "unit", Kind::Text),
        Field::filter("active", "active", Kind::Bool),
        Field::filter("external_source", "external_source", Kind::Text),
        Field::filter("external_id", "external_id", Kind::Text),
    ],
};

/// Filterable, sortable and searchable fields of leads.
pub const LEAD_FIELDS: Resource = Resource {
    name: "Lead",
    custom_fields: false,
    relations: &[],
    // Names, email and company name (migration 000007 indexes the same text).
    search: Some(Search {
        fts_table: "leads_fts",
        pg_text: "regexp_replace(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || \
                  coalesce(email, '') || ' ' || coalesce(company_name, ''), '[^[:alnum:]]+', ' ', 'g')",
    }),
    default_sort: "-created_at",
    fields: &[
        Field::sort("created_at", "created_at", Kind::DateTime, false),
        Field::sort("updated_at", "updated_at", Kind::DateTime, false),
        Field::sort("last_name", "last_name", Kind::Text, true),
        Field::filter("id", "id", Kind::Uuid),
        Field::filter("external_source", "external_source", Kind::Text),
        Field::filter("external_id", "external_id", Kind::Text),
        Field::filter("first_name", "first_name", Kind::Text),
        Field::filter("email", "email", Kind::Email),
        Field::filter("company_name", "company_name", Kind::Text),
        Field::filter(
            "status",
            "status",
            Kind::Enum(crate::dto::LeadStatus::NAMES),
        ),
        Field::filter("owner_id", "owner_id", Kind::Uuid),
        Field::filter(
            "source_channel",
            "source_channel",
            Kind::Enum(crm_core::Channel::NAMES),
        ),
    ],
};
