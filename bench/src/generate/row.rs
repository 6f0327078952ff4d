//! The generated rows as the generator hands them over: the tables it fills with their columns,
//! one field of a row ([`F`]), and where rows go ([`Sink`]). The same rows become binary `COPY`
//! data for PostgreSQL ([`super::copy`]) or bound values for SQLite ([`F::value`]), so both
//! engines get the very same data from one description of it.

use chrono::{DateTime, Utc};
use sea_orm::Value;
use uuid::Uuid;

/// A table the generator fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Table {
    Organizations,
    Users,
    Companies,
    Contacts,
    Activities,
    ActivityLinks,
    Products,
    Pipelines,
    PipelineStages,
    Deals,
    DealStageHistory,
    SalesDocuments,
    DocumentLines,
}

impl Table {
    /// Every table, the ones others reference first.
    pub(super) const ALL: [Table; 13] = [
        Table::Organizations,
        Table::Users,
        Table::Products,
        Table::Pipelines,
        Table::PipelineStages,
        Table::Companies,
        Table::Contacts,
        Table::Activities,
        Table::ActivityLinks,
        Table::Deals,
        Table::DealStageHistory,
        Table::SalesDocuments,
        Table::DocumentLines,
    ];

    /// The tables of many rows: PostgreSQL streams each through a `COPY` of its own, their
    /// secondary indexes and foreign keys set aside during the load.
    pub(super) const BULK: [Table; 8] = [
        Table::Companies,
        Table::Contacts,
        Table::Activities,
        Table::ActivityLinks,
        Table::Deals,
        Table::DealStageHistory,
        Table::SalesDocuments,
        Table::DocumentLines,
    ];

    /// Its position in [`Table::ALL`].
    pub(super) fn index(self) -> usize {
        self as usize
    }

    /// Its SQL name.
    pub(super) fn name(self) -> &'static str {
        match self {
            Table::Organizations => "organizations",
            Table::Users => "users",
            Table::Companies => "companies",
            Table::Contacts => "contacts",
            Table::Activities => "activities",
            Table::ActivityLinks => "activity_links",
            Table::Products => "products",
            Table::Pipelines => "pipelines",
            Table::PipelineStages => "pipeline_stages",
            Table::Deals => "deals",
            Table::DealStageHistory => "deal_stage_history",
            Table::SalesDocuments => "sales_documents",
            Table::DocumentLines => "document_lines",
        }
    }

    /// The columns the generator fills, in the order of a row's fields.
    pub(super) fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Organizations => &["id", "name", "created_at", "updated_at"],
            Table::Users => &[
                "id",
                "org_id",
                "email",
                "name",
                "password_hash",
                "role",
                "active",
                "must_change_password",
                "created_at",
                "updated_at",
            ],
            Table::Companies => &[
                "id",
                "org_id",
                "name",
                "domain",
                "industry",
                "city",
                "country",
                "owner_id",
                "tags",
                "custom",
                "search_text",
                "version",
                "created_at",
                "updated_at",
            ],
            Table::Contacts => &[
                "id",
                "org_id",
                "company_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "city",
                "country",
                "owner_id",
                "lifecycle_stage",
                "source_channel",
                "consent",
                "tags",
                "custom",
                "search_text",
                "version",
                "created_at",
                "updated_at",
            ],
            Table::Activities => &[
                "id",
                "org_id",
                "kind",
                "channel",
                "direction",
                "subject",
                "occurred_at",
                "duration_secs",
                "contact_id",
                "company_id",
                "participants",
                "links",
                "version",
                "created_at",
                "updated_at",
            ],
            Table::ActivityLinks => &[
                "org_id",
                "activity_id",
                "record_type",
                "record_id",
                "role",
                "occurred_at",
                "kind",
                "channel",
                "deleted",
            ],
            Table::Products => &[
                "id",
                "org_id",
                "sku",
                "name",
                "unit",
                "tax_rate",
                "active",
                "version",
                "created_at",
                "updated_at",
            ],
            Table::Pipelines => &[
                "id",
                "org_id",
                "name",
                "is_default",
                "version",
                "created_at",
                "updated_at",
            ],
            Table::PipelineStages => &[
                "id",
                "org_id",
                "pipeline_id",
                "name",
                "position",
                "probability",
                "stage_type",
                "created_at",
                "updated_at",
            ],
            Table::Deals => &[
                "id",
                "org_id",
                "pipeline_id",
                "stage_id",
                "name",
                "amount",
                "currency",
                "expected_close_date",
                "owner_id",
                "contact_ids",
                "status",
                "closed_at",
                "version",
                "created_at",
                "updated_at",
            ],
            Table::DealStageHistory => &[
                "id",
                "org_id",
                "deal_id",
                "pipeline_id",
                "stage_id",
                "entered_at",
                "left_at",
            ],
            Table::SalesDocuments => &[
                "id",
                "org_id",
                "doc_type",
                "status",
                "contact_id",
                "company_id",
                "currency",
                "subtotal",
                "discount_total",
                "tax_total",
                "total",
                "amount_paid",
                "version",
                "created_at",
                "updated_at",
                "ordered_at",
            ],
            Table::DocumentLines => &[
                "id",
                "org_id",
                "document_id",
                "position",
                "product_id",
                "quantity",
                "unit_price",
                "discount_percent",
                "tax_rate",
                "net_amount",
                "tax_amount",
                "total_amount",
            ],
        }
    }
}

/// One field of a generated row.
#[derive(Debug, Clone, Copy)]
pub(super) enum F<'a> {
    /// An id or a reference.
    Uuid(Uuid),
    /// A nullable reference.
    OptUuid(Option<Uuid>),
    /// Text (also decimals, kept as text by the schema).
    Str(&'a str),
    /// An `integer`.
    I32(i32),
    /// A `bigint`.
    I64(i64),
    /// A `boolean`.
    Bool(bool),
    /// A `timestamptz`.
    Time(DateTime<Utc>),
    /// A nullable `timestamptz`.
    OptTime(Option<DateTime<Utc>>),
    /// JSON, already as its text.
    Json(&'static str),
}

impl F<'_> {
    /// The bound value (SQLite), of the type the generator always bound for this field.
    pub(super) fn value(&self) -> Value {
        match *self {
            F::Uuid(u) => u.into(),
            F::OptUuid(u) => u.into(),
            F::Str(s) => s.into(),
            F::I32(n) => n.into(),
            F::I64(n) => n.into(),
            F::Bool(b) => b.into(),
            F::Time(t) => t.into(),
            F::OptTime(t) => t.into(),
            F::Json(j) => Value::Json(Some(Box::new(
                serde_json::from_str(j).unwrap_or(serde_json::Value::Null),
            ))),
        }
    }
}

/// The receiving end is gone (its loader failed; the loader reports why).
#[derive(Debug)]
pub(super) struct Closed;

/// Where the generator puts rows.
pub(super) trait Sink {
    /// One row of `table`, its fields in the order of [`Table::columns`].
    fn row(&mut self, table: Table, fields: &[F<'_>]) -> Result<(), Closed>;
    /// The end of a batch of `table` (where row-by-row engines write what they hold).
    fn flush(&mut self, table: Table) -> Result<(), Closed>;
}
