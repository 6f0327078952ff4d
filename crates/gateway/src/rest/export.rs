//! Exports of kit resources: `GET /api/v1/{path}/export?format=csv|ndjson` with the list's
//! filters, sort and search, every matching record streamed in batches, so that the server
//! holds a few batches (each at most [`BULK_LIMIT`] records) whatever the size of the export.
//!
//! - The first batch is read before the answer starts: a bad filter is a 422 problem
//!   document, not a broken download.
//! - The resource reads the records ([`Records::export`]): on PostgreSQL one streamed
//!   statement, a single snapshot, holding a connection for the length of the download; on
//!   SQLite, and on PostgreSQL beyond [`Streams`] (a quarter of the pool) at once, pages on
//!   the list's keyset cursor, each taking a connection for its statement only, so that a
//!   record changed during a long export appears once, in the position its sort keys had when
//!   its page was read.
//! - A failure after the answer started cannot change its status: the connection is closed
//!   without the final chunk, so a client sees a truncated transfer, never a short file that
//!   looks complete.
//! - CSV columns come from the record's schema, in its order: nested objects (an address) as
//!   `<field>.<key>`, custom fields as `custom.<key>` (every field the organization defined,
//!   sorted by key), lists and free-form objects as JSON text. Values are written as they are
//!   (no spreadsheet-formula escaping: the export is data, not a spreadsheet).

use super::export_cells::Plan;
use super::extract::Authenticated;
use super::list_query::query_pairs;
use super::problem::ApiError;
use crate::state::AppState;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use crm_core::kit::{Records, export_pages};
use crm_core::list::ListParams;
use crm_core::page::BULK_LIMIT;
use crm_core::{Ctx, Error, PageRequest};
use crm_integration::ExportFormat;
use serde_json::Value;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// How many exports may read by one streamed statement at once, each holding a database
/// connection for its whole length: a quarter of the pool, so that downloads never take the
/// connections that requests need (and a batch that reads more, such as documents' lines, finds
/// one). An export beyond them reads page by page.
#[derive(Clone)]
pub struct Streams(std::sync::Arc<tokio::sync::Semaphore>);

impl Streams {
    /// The streams a server's pool allows: a quarter of `db_max_connections` on PostgreSQL;
    /// none on SQLite, where every export reads pages (a long read would hold a connection
    /// and the WAL checkpoint behind it).
    pub fn for_config(config: &crate::config::Config) -> Self {
        let postgres = config
            .database_url
            .as_ref()
            .is_some_and(|u| u.0.starts_with("postgres://") || u.0.starts_with("postgresql://"));
        let n = if postgres {
            usize::try_from(config.db_max_connections / 4).unwrap_or(0)
        } else {
            0
        };
        Self(std::sync::Arc::new(tokio::sync::Semaphore::new(n)))
    }
}

/// The format and the list parameters of an export request; `limit` and `cursor` are refused
/// (an export reads every matching record).
pub fn export_params(pairs: Vec<(String, String)>) -> Result<(ExportFormat, ListParams), Error> {
    let mut format = ExportFormat::Csv;
    let mut rest = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match k.as_str() {
            "format" => {
                format = ExportFormat::parse(&v).ok_or_else(|| {
                    Error::invalid_field("/format", "enum", "must be `csv` or `ndjson`")
                })?
            }
            "limit" | "cursor" => {
                return Err(Error::invalid_field(
                    &format!("/{k}"),
                    "not_allowed",
                    "an export reads every matching record; filter instead",
                ));
            }
            _ => rest.push((k, v)),
        }
    }
    let mut params = ListParams::from_pairs(rest)?;
    params.page = PageRequest {
        limit: Some(BULK_LIMIT),
        cursor: None,
        edge_cursors: false,
        bulk: true,
    };
    Ok((format, params))
}

/// A CSV column: the path of a value in the record's JSON (`["address", "city"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column(Vec<String>);

impl Column {
    /// The column of a path (one key, or a nested object's field).
    pub fn new(path: Vec<String>) -> Self {
        Self(path)
    }

    /// The path of its value in the record.
    pub fn path(&self) -> &[String] {
        &self.0
    }

    /// The header: the path joined by dots.
    pub fn header(&self) -> String {
        self.0.join(".")
    }

    /// The cell of `record`'s JSON value: text as it is, numbers and booleans as JSON writes
    /// them, lists and objects as JSON text, nothing for null or absent. The export writes
    /// cells from the record itself (`export_cells`); this is the reference its tests hold it
    /// to.
    #[cfg(test)]
    pub(crate) fn cell<'a>(&self, record: &'a Value) -> std::borrow::Cow<'a, str> {
        use std::borrow::Cow;
        let mut v = record;
        for key in &self.0 {
            match v.get(key) {
                Some(next) => v = next,
                None => return Cow::Borrowed(""),
            }
        }
        match v {
            Value::Null => Cow::Borrowed(""),
            Value::String(s) => Cow::Borrowed(s),
            other => Cow::Owned(other.to_string()),
        }
    }
}

/// The CSV columns of `R`'s records, from the record's schema: nested objects expanded one
/// level, `custom` expanded to `custom_keys`.
pub fn columns<R: Records>(custom_keys: &[String]) -> Vec<Column>
where
    R::Record: ToSchema,
{
    let mut nested = Vec::new();
    R::Record::schemas(&mut nested);
    let props =
        |schema: &RefOr<Schema>| -> Option<Vec<String>> { object_properties(schema, &nested) };
    let root = R::Record::schema();
    let Some(top) = props(&root) else {
        return Vec::new();
    };
    let RefOr::T(Schema::Object(obj)) = &root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in top {
        if name == "custom" {
            out.extend(
                custom_keys
                    .iter()
                    .map(|k| Column(vec!["custom".to_owned(), k.clone()])),
            );
            continue;
        }
        let sub = obj.properties.get(&name).and_then(&props);
        match sub {
            Some(keys) if !keys.is_empty() => {
                out.extend(keys.into_iter().map(|k| Column(vec![name.clone(), k])));
            }
            _ => out.push(Column(vec![name])),
        }
    }
    out
}

/// The property names of an object schema, following a reference or a nullable wrapper
/// (`oneOf: [null, {$ref}]`) into `nested`; `None` for anything else.
fn object_properties(
    schema: &RefOr<Schema>,
    nested: &[(String, RefOr<Schema>)],
) -> Option<Vec<String>> {
    match schema {
        RefOr::T(Schema::Object(o)) if !o.properties.is_empty() => {
            Some(o.properties.keys().cloned().collect())
        }
        RefOr::Ref(r) => {
            let name = r.ref_location.rsplit('/').next()?;
            let (_, target) = nested.iter().find(|(n, _)| n == name)?;
            match target {
                RefOr::Ref(_) => None,
                t => object_properties(t, &[]),
            }
        }
        RefOr::T(Schema::OneOf(one)) => one
            .items
            .iter()
            .find_map(|item| object_properties(item, nested)),
        RefOr::T(Schema::AllOf(all)) => all
            .items
            .iter()
            .find_map(|item| object_properties(item, nested)),
        _ => None,
    }
}

/// Writes one page of records in the format; the CSV header first when `header` is given.
/// CSV cells come from each record's `Serialize` through `plan` (see [`Plan`]).
pub fn encode<T: serde::Serialize>(
    format: ExportFormat,
    columns: &[Column],
    plan: &Plan,
    header: bool,
    records: &[T],
) -> Result<Bytes, Error> {
    let fail = |e: &dyn std::fmt::Display| Error::internal(format!("export encoding: {e}"));
    match format {
        ExportFormat::Ndjson => {
            let mut out = Vec::with_capacity(records.len() * 512);
            for r in records {
                serde_json::to_writer(&mut out, r).map_err(|e| fail(&e))?;
                out.push(b'\n');
            }
            Ok(Bytes::from(out))
        }
        ExportFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::with_capacity(records.len() * 256));
            if header {
                w.write_record(columns.iter().map(Column::header))
                    .map_err(|e| fail(&e))?;
            }
            let mut cells = Vec::with_capacity(columns.len());
            for r in records {
                plan.fill(r, &mut cells).map_err(|e| fail(&e))?;
                w.write_record(&cells).map_err(|e| fail(&e))?;
            }
            w.into_inner().map(Bytes::from).map_err(|e| fail(&e))
        }
    }
}

/// How many batches the reader may be ahead of the encoding (each at most [`BULK_LIMIT`]
/// records): memory stays bounded whatever the size of the export.
const AHEAD: usize = 2;

/// The pages of an export, encoded one at a time: the stream of a download and the file of an
/// export job are both written from it. The records are read by the resource's
/// [`Records::export`] on a task of their own (one streamed statement where the resource has
/// one, else page after page), at most [`AHEAD`] batches ahead, while each batch is encoded on
/// a blocking thread: the database, the decoding and the encoding each keep a core busy.
pub struct Pages<R: Records> {
    batches: tokio::sync::mpsc::Receiver<crm_core::Result<Vec<R::Record>>>,
    /// The first batch, read before the answer starts.
    first: Option<Vec<R::Record>>,
    /// Whether the CSV header is still to be written.
    header: bool,
    /// The columns and their plan, shared with the thread that encodes.
    layout: std::sync::Arc<(Vec<Column>, Plan)>,
    format: ExportFormat,
}

impl<R: Records> Pages<R>
where
    R::Record: ToSchema,
{
    /// Starts the reading and waits for the first batch (so that bad parameters fail before
    /// anything is written), and reads the CSV columns.
    pub async fn start(
        ctx: Ctx,
        params: ListParams,
        format: ExportFormat,
        streams: &Streams,
    ) -> Result<Self, Error> {
        let columns = match format {
            ExportFormat::Csv => columns::<R>(&R::custom_field_keys(&ctx).await?),
            ExportFormat::Ndjson => Vec::new(),
        };
        let (out, mut batches) = tokio::sync::mpsc::channel(AHEAD);
        match streams.0.clone().try_acquire_owned() {
            Ok(permit) => tokio::spawn(async move {
                R::export(ctx, params, out).await;
                drop(permit);
            }),
            Err(_) => tokio::spawn(export_pages::<R>(ctx, params, out)),
        };
        let first = batches.recv().await.unwrap_or_else(|| Ok(Vec::new()))?;
        let plan = Plan::new(&columns);
        Ok(Self {
            batches,
            first: Some(first),
            header: true,
            layout: std::sync::Arc::new((columns, plan)),
            format,
        })
    }

    /// The next encoded batch and its number of records; `None` at the end. A failed read
    /// ends the pages with its error.
    pub async fn next(&mut self) -> Result<Option<(Bytes, usize)>, Error> {
        let batch = match self.first.take() {
            Some(first) => first,
            None => match self.batches.recv().await {
                None => return Ok(None),
                Some(Err(e)) => return Err(e),
                Some(Ok(batch)) => batch,
            },
        };
        let header = std::mem::replace(&mut self.header, false);
        let rows = batch.len();
        let (format, layout) = (self.format, self.layout.clone());
        let bytes = tokio::task::spawn_blocking(move || {
            let (columns, plan) = &*layout;
            encode(format, columns, plan, header, &batch)
        })
        .await
        .map_err(|e| Error::internal(format!("export encoding: {e}")))??;
        Ok(Some((bytes, rows)))
    }
}

/// `GET /{path}/export`.
pub async fn export<R: Records>(
    auth: Authenticated,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError>
where
    R::Record: ToSchema,
{
    let (format, params) = export_params(query_pairs(&req)?)?;
    let pages = Pages::<R>::start(auth.0, params, format, &state.streams).await?;
    let file = format!(
        "{}-{}.{}",
        R::PATH,
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        format.extension()
    );
    let body = futures_util::stream::unfold(pages, |mut pages| async move {
        match pages.next().await {
            Ok(Some((bytes, _))) => Some((Ok(bytes), pages)),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, path = R::PATH, "export stopped");
                Some((
                    Err(std::io::Error::other(format!("export stopped: {e}"))),
                    pages,
                ))
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .streaming(body))
}

/// A CSV export, in the document: a header row, then one row per record.
pub struct CsvExport;

impl PartialSchema for CsvExport {
    fn schema() -> RefOr<Schema> {
        text_schema(
            "RFC 4180 CSV with a header row: the record's fields in its schema's order, nested \
             objects as `<field>.<key>`, custom fields as `custom.<key>`, lists and free-form \
             objects as JSON text.",
            "id,first_name,address.city,tags,custom.tier\n\
             01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f,Ada,London,\"[\"\"vip\"\"]\",gold\n",
        )
    }
}

impl ToSchema for CsvExport {}

/// An NDJSON export, in the document: one record per line, as the list gives it.
pub struct NdjsonExport;

impl PartialSchema for NdjsonExport {
    fn schema() -> RefOr<Schema> {
        text_schema(
            "One JSON record per line (newline-delimited JSON), as the list gives it.",
            "{\"id\":\"01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f\",\"first_name\":\"Ada\"}\n",
        )
    }
}

impl ToSchema for NdjsonExport {}

pub(super) fn text_schema(description: &str, example: &str) -> RefOr<Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .examples([Value::from(example)])
        .into()
}

/// The OpenAPI operation `export<Many>`.
pub fn doc_export<R: Records>(api: &mut utoipa::openapi::OpenApi)
where
    R::Record: ToSchema,
{
    use utoipa::openapi::path::HttpMethod;
    use utoipa::openapi::{ContentBuilder, ResponseBuilder};
    let many = R::MANY.to_lowercase();
    super::kit::add_schema::<CsvExport>(api);
    super::kit::add_schema::<NdjsonExport>(api);
    let text = |name: &str| {
        ContentBuilder::new()
            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                name,
            ))))
            .build()
    };
    let op = super::kit::operation::<R>(
        format!("export{}", R::MANY),
        format!(
            "Exports every {many} the filters, sort and search select, as CSV or NDJSON, \
             streamed (no pages). A failure after the first bytes closes the connection \
             without the final chunk, so a truncated export never looks complete."
        ),
    )
    .parameters(Some(super::list_params::export_parameters(R::RESOURCE)))
    .response(
        "200",
        ResponseBuilder::new()
            .description(format!("The {many}, one per row or line"))
            .content("text/csv", text("CsvExport"))
            .content("application/x-ndjson", text("NdjsonExport"))
            .build(),
    );
    api.paths.add_path_operation(
        format!("/api/v1/{}/export", R::PATH),
        vec![HttpMethod::Get],
        super::kit::with_errors::<super::openapi::ReadErrors>(op).build(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells() {
        let r = json!({"a": "x,y", "n": 3, "b": true, "l": ["p", "q"], "o": {"k": null, "m": "v"}});
        let c = |p: &[&str]| Column(p.iter().map(|s| s.to_string()).collect()).cell(&r);
        assert_eq!(c(&["a"]), "x,y");
        assert_eq!(c(&["n"]), "3");
        assert_eq!(c(&["b"]), "true");
        assert_eq!(c(&["l"]), r#"["p","q"]"#);
        assert_eq!(c(&["o", "k"]), "");
        assert_eq!(c(&["o", "m"]), "v");
        assert_eq!(c(&["missing"]), "");
        assert_eq!(c(&["a", "deeper"]), "");
    }

    #[test]
    fn params() {
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        let (f, p) = export_params(pairs(&[("format", "ndjson"), ("email", "a@b.c")])).unwrap();
        assert_eq!(f, ExportFormat::Ndjson);
        assert_eq!(p.filters.len(), 1);
        assert_eq!(p.page.limit().unwrap(), BULK_LIMIT);
        assert!(export_params(pairs(&[("format", "xml")])).is_err());
        assert!(export_params(pairs(&[("limit", "5")])).is_err());
        assert!(export_params(pairs(&[("cursor", "x")])).is_err());
    }
}
