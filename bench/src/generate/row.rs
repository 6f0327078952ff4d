//! The generated rows as the generator hands them over: the tables it fills with their columns,
//! one field of a row ([`F`]), and where rows go ([`Sink`]). The same rows become `COPY` text
//! for PostgreSQL ([`copy_field`]) or bound values for SQLite ([`F::value`]), so both engines
//! get the very same data from one description of it.

use chrono::{DateTime, Datelike, Timelike, Utc};
use sea_orm::Value;
use std::io::Write as _;
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
    SalesDocuments,
    DocumentLines,
}

impl Table {
    /// Every table, the ones others reference first.
    pub(super) const ALL: [Table; 12] = [
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
        Table::SalesDocuments,
        Table::DocumentLines,
    ];

    /// The tables of many rows: PostgreSQL streams each through a `COPY` of its own, their
    /// secondary indexes and foreign keys set aside during the load.
    pub(super) const BULK: [Table; 7] = [
        Table::Companies,
        Table::Contacts,
        Table::Activities,
        Table::ActivityLinks,
        Table::Deals,
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
                "version",
                "created_at",
                "updated_at",
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

/// The last time written and its text: a row repeats its time in several columns, and the
/// next row of the same table often has the same one.
#[derive(Default)]
pub(super) struct TimeCache {
    last: Option<(DateTime<Utc>, [u8; 29])>,
}

impl TimeCache {
    /// `t` as `COPY` text, `2024-05-06 07:08:09.000000+00`.
    fn text(&mut self, t: DateTime<Utc>) -> [u8; 29] {
        if let Some((at, text)) = self.last
            && at == t
        {
            return text;
        }
        let mut text = *b"0000-00-00 00:00:00.000000+00";
        let digits = |out: &mut [u8], mut n: u32| {
            for b in out.iter_mut().rev() {
                *b = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        digits(&mut text[0..4], u32::try_from(t.year()).unwrap_or(0));
        digits(&mut text[5..7], t.month());
        digits(&mut text[8..10], t.day());
        digits(&mut text[11..13], t.hour());
        digits(&mut text[14..16], t.minute());
        digits(&mut text[17..19], t.second());
        digits(&mut text[20..26], t.nanosecond() / 1000);
        self.last = Some((t, text));
        text
    }
}

/// Appends `s` with `COPY`'s text escapes.
fn escaped(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if !bytes
        .iter()
        .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        buf.extend_from_slice(bytes);
        return;
    }
    for &b in bytes {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b => buf.push(b),
        }
    }
}

/// Appends one field in `COPY`'s text format (`\N` for NULL).
pub(super) fn copy_field(buf: &mut Vec<u8>, f: &F<'_>, times: &mut TimeCache) {
    match *f {
        F::Uuid(u) | F::OptUuid(Some(u)) => {
            let mut text = Uuid::encode_buffer();
            buf.extend_from_slice(u.hyphenated().encode_lower(&mut text).as_bytes());
        }
        F::OptUuid(None) => buf.extend_from_slice(b"\\N"),
        F::Str(s) => escaped(buf, s),
        F::I32(n) => {
            let _ = write!(buf, "{n}");
        }
        F::I64(n) => {
            let _ = write!(buf, "{n}");
        }
        F::Bool(b) => buf.push(if b { b't' } else { b'f' }),
        F::Time(t) => buf.extend_from_slice(&times.text(t)),
        F::Json(j) => escaped(buf, j),
    }
}

/// Appends one row in `COPY`'s text format.
pub(super) fn copy_row(buf: &mut Vec<u8>, fields: &[F<'_>], times: &mut TimeCache) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        copy_field(buf, f, times);
    }
    buf.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_written_as_chrono_formats_them() {
        let mut cache = TimeCache::default();
        for t in [
            Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2025, 12, 31, 23, 59, 59).unwrap(),
            Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap(),
        ] {
            let mut buf = Vec::new();
            copy_field(&mut buf, &F::Time(t), &mut cache);
            copy_field(&mut buf, &F::Time(t), &mut cache);
            let once = t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
            assert_eq!(String::from_utf8(buf).unwrap(), format!("{once}{once}"));
        }
    }

    #[test]
    fn text_is_escaped_and_null_is_marked() {
        let mut buf = Vec::new();
        let mut cache = TimeCache::default();
        copy_row(
            &mut buf,
            &[
                F::Str("a\tb\\c\n"),
                F::OptUuid(None),
                F::Bool(true),
                F::I64(-7),
            ],
            &mut cache,
        );
        assert_eq!(buf, b"a\\tb\\\\c\\n\t\\N\tt\t-7\n");
    }
}
