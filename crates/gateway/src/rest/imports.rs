//! `/api/v1/imports`: bulk imports of CSV, NDJSON or vCard files. The upload is
//! `multipart/form-data` with an `options` part (JSON, [`ImportOptions`]) and a `file` part,
//! streamed to disk (never held in memory) up to `CRM_IMPORT_MAX_BYTES`; the options are
//! checked against the resource and the file's header before the import is queued.
//!
//! `Idempotency-Key` works on uploads too, without buffering them: the import keeps the key
//! with the file's SHA-256, so the same file and options sent again with the key answer the
//! first import (200, `Idempotent-Replayed: true`) and run once; another file with that key is
//! a 422.

use super::extract::{Authenticated, PageQuery};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use crm_core::{Code, Error, Page};
use crm_integration::imports::{self, Created, Upload};
use crm_integration::{ImportJob, ImportOptions};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;
use uuid::Uuid;

/// The body of an upload (`multipart/form-data`): the parts `options` and `file`, no other.
// `Deserialize` only for `deny_unknown_fields`, which utoipa turns into
// `additionalProperties: false` (the upload refuses any other part).
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The options, as JSON.
    options: ImportOptions,
    /// The file: CSV (UTF-8, with a header row), NDJSON or vCard.
    #[schema(value_type = String, format = Binary, max_length = 2147483648_usize,
        example = "E-Mail,Vorname,Ort\nada@example.com,Ada,London\n")]
    file: Vec<u8>,
}

/// The failed rows of an import, in the document.
pub struct FailuresCsv;

impl utoipa::PartialSchema for FailuresCsv {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        super::export::text_schema(
            "RFC 4180 CSV: `row` (the line the row starts on; the header is line 1), `field` \
             (the column, or the field; empty when the whole row was refused), `code`, `reason`.",
            "row,field,code,reason\n4,E-Mail,email,must be a valid email address\n\
             5,,malformed_row,\"the row has 2 columns, the header 7\"\n",
        )
    }
}

impl ToSchema for FailuresCsv {}

fn bad(pointer: &str, code: &str, message: impl Into<String>) -> ApiError {
    ApiError(Error::invalid_field(pointer, code, message))
}

/// What the multipart body held.
struct Received {
    options: Option<Vec<u8>>,
    file_name: Option<String>,
    bytes: i64,
    sha256: String,
    has_file: bool,
}

/// Reads the parts: `options` into memory (at most 1 MiB), `file` to `path`.
async fn receive(
    mut body: Multipart,
    path: &std::path::Path,
    max: u64,
) -> Result<Received, ApiError> {
    let mut out = Received {
        options: None,
        file_name: None,
        bytes: 0,
        sha256: String::new(),
        has_file: false,
    };
    let io = |e: std::io::Error| ApiError(Error::internal(format!("upload file: {e}")));
    while let Some(part) = body.next().await {
        let mut part = part.map_err(|e| bad("/file", "multipart", e.to_string()))?;
        let name = part.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "options" => {
                let mut buf = Vec::new();
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(|e| bad("/options", "multipart", e.to_string()))?;
                    if buf.len() + chunk.len() > 1024 * 1024 {
                        return Err(bad("/options", "too_large", "must be at most 1 MiB"));
                    }
                    buf.extend_from_slice(&chunk);
                }
                out.options = Some(buf);
            }
            "file" => {
                if out.has_file {
                    return Err(bad("/file", "duplicate", "send one file per import"));
                }
                out.has_file = true;
                out.file_name = part
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(|n| n.chars().take(255).collect());
                let mut file = tokio::fs::File::create(path).await.map_err(io)?;
                let mut hasher = Sha256::new();
                let mut size: u64 = 0;
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(|e| bad("/file", "multipart", e.to_string()))?;
                    size += chunk.len() as u64;
                    if size > max {
                        return Err(ApiError::new(
                            Code::PayloadTooLarge,
                            format!("The file is larger than {max} bytes (CRM_IMPORT_MAX_BYTES)"),
                        ));
                    }
                    hasher.update(&chunk);
                    file.write_all(&chunk).await.map_err(io)?;
                }
                file.sync_all().await.map_err(io)?;
                out.bytes = i64::try_from(size).unwrap_or(i64::MAX);
                out.sha256 = hasher
                    .finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
            }
            other => {
                return Err(bad(
                    &format!("/{other}"),
                    "unknown_field",
                    "an upload has the parts `options` and `file`",
                ));
            }
        }
    }
    Ok(out)
}

/// Uploads a file to import: `multipart/form-data` with `options` (JSON) and `file`. The
/// options are checked against the resource and the file's header (an unknown mapping
/// target or column is a 422 now, not a failed import later); then a worker writes the rows.
/// Poll `GET /api/v1/imports/{id}` for progress.
#[utoipa::path(post, operation_id = "createImport", path = "/api/v1/imports", tag = "imports", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "The same file and options sent again with this key answer the first import and run once")),
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "The import, queued", body = ImportJob),
        (status = 200, description = "The import an earlier upload with this Idempotency-Key created", body = ImportJob),
        WriteErrors))]
pub async fn create(
    auth: Authenticated,
    state: Data<AppState>,
    req: HttpRequest,
    body: Multipart,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth.0;
    ctx.require(crm_core::Action::Write)?;
    let key = match req.headers().get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v.to_str().unwrap_or("");
            if k.is_empty() || k.len() > 255 || !k.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(bad(
                    "/Idempotency-Key",
                    "invalid",
                    "must be 1 to 255 visible ASCII characters",
                ));
            }
            Some(k.to_owned())
        }
    };
    let dir = crate::imports::files_dir(&state.config.data_dir);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| ApiError(Error::internal(format!("import folder: {e}"))))?;
    let id = crm_core::new_id();
    let path = crate::imports::file_path(&dir, id);
    let outcome = accept(&ctx, body, &path, state.config.import_max_bytes, id, key).await;
    match outcome {
        Ok(Created::New(job)) => Ok(HttpResponse::Accepted()
            .insert_header(("Location", format!("/api/v1/imports/{}", job.id)))
            .json(job)),
        Ok(Created::Replayed(job)) => {
            let _ = tokio::fs::remove_file(&path).await;
            Ok(HttpResponse::Ok()
                .insert_header(("Location", format!("/api/v1/imports/{}", job.id)))
                .insert_header(("Idempotent-Replayed", "true"))
                .json(job))
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e)
        }
    }
}

async fn accept(
    ctx: &crm_core::Ctx,
    body: Multipart,
    path: &std::path::Path,
    max: u64,
    id: Uuid,
    key: Option<String>,
) -> Result<Created, ApiError> {
    // Received under `.part`, which the orphan sweep leaves alone for a day (a client may
    // stall); renamed when the whole file is here.
    let part = path.with_extension("part");
    let got = receive(body, &part, max).await;
    let got = match got {
        Ok(g) => g,
        Err(e) => {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(e);
        }
    };
    if got.has_file {
        tokio::fs::rename(&part, path)
            .await
            .map_err(|e| ApiError(Error::internal(format!("import file: {e}"))))?;
    }
    let Some(raw) = got.options else {
        return Err(bad("/options", "required", "is required (a JSON part)"));
    };
    if !got.has_file {
        return Err(bad("/file", "required", "is required"));
    }
    let options: ImportOptions = serde_json::from_slice::<serde_json::Value>(&raw)
        .map_err(|e| bad("/options", "invalid_json", e.to_string()))
        .and_then(|v| {
            super::extract::from_value(v)
                .map_err(|e| ApiError(crm_core::batch::nest(e, "/options")))
        })?;
    let mut options = options;
    // Spreadsheet headers often carry spaces; the reader trims them, so the mapping is too.
    options.mapping = options
        .mapping
        .into_iter()
        .map(|(col, target)| (col.trim().to_owned(), target.trim().to_owned()))
        .collect();
    let format = crate::imports::format_of(&options, got.file_name.as_deref());
    crate::imports::check(ctx, &options, format, path).await?;
    let upload = Upload {
        id,
        file_name: got.file_name,
        bytes: got.bytes,
        sha256: got.sha256,
        idempotency_key: key,
    };
    Ok(imports::create_import(ctx, options, format, upload).await?)
}

/// The caller's imports, newest first (admins: every one of the organization).
#[utoipa::path(get, operation_id = "listImports", path = "/api/v1/imports", tag = "imports", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of imports", body = Page<ImportJob>), ReadErrors))]
pub async fn list(
    auth: Authenticated,
    query: Query<PageQuery>,
) -> Result<Json<Page<ImportJob>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(imports::list_imports(&auth.0, &page).await?))
}

/// One import: its state, counters, percent and ETA.
#[utoipa::path(get, operation_id = "getImport", path = "/api/v1/imports/{id}", tag = "imports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The import's id")),
    responses((status = 200, description = "The import", body = ImportJob), ReadErrors))]
pub async fn get(auth: Authenticated, id: Path<Uuid>) -> Result<Json<ImportJob>, ApiError> {
    Ok(Json(imports::get_import(&auth.0, id.into_inner()).await?))
}

/// Cancels an import: a queued one ends at once, a running one after its current chunk. The
/// committed rows stay (`rows_done` says how many); 409 once it has ended.
#[utoipa::path(post, operation_id = "cancelImport", path = "/api/v1/imports/{id}/cancel", tag = "imports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The import's id")),
    responses((status = 200, description = "The import, cancelled or cancelling", body = ImportJob), WriteErrors))]
pub async fn cancel(auth: Authenticated, id: Path<Uuid>) -> Result<Json<ImportJob>, ApiError> {
    Ok(Json(
        imports::cancel_import(&auth.0, id.into_inner()).await?,
    ))
}

/// The failed rows as CSV: `row` (the line the row starts on; the header is line 1),
/// `field` (the column, or the field when no column carried it; empty when the whole row was
/// refused), `code` and `reason`, by row.
#[utoipa::path(get, operation_id = "getImportFailures", path = "/api/v1/imports/{id}/failures", tag = "imports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The import's id")),
    responses((status = 200, description = "The failed rows", content((FailuresCsv = "text/csv"))), ReadErrors))]
pub async fn failures(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let ctx = auth.0;
    let id = id.into_inner();
    // The first page now: a missing import is a 404, not a broken stream.
    let first = imports::failures_page(&ctx, id, None, 1000).await?;
    let header = Bytes::from_static(b"row,field,code,reason\n");
    let stream = futures_util::stream::unfold(
        (Some(first), None::<(i64, Uuid)>, ctx, false),
        move |(page, after, ctx, done)| async move {
            if done {
                return None;
            }
            let page = match page {
                Some(p) => p,
                None => match imports::failures_page(&ctx, id, after, 1000).await {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(import = %id, error = %Error::from(e), "failures stream");
                        return Some((
                            Err(std::io::Error::other("failures")),
                            (None, after, ctx, true),
                        ));
                    }
                },
            };
            if page.is_empty() {
                return None;
            }
            let last = page.last().map(|f| (f.row, f.id));
            let full = page.len() == 1000;
            let mut w = csv::Writer::from_writer(Vec::new());
            for f in &page {
                let _ = w.write_record([
                    f.row.to_string().as_str(),
                    f.field.as_deref().unwrap_or(""),
                    f.code.as_str(),
                    f.reason.as_str(),
                ]);
            }
            let bytes = w.into_inner().unwrap_or_default();
            Some((Ok(Bytes::from(bytes)), (None, last, ctx, !full)))
        },
    );
    let body =
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(header) }).chain(stream);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"import-{id}-failures.csv\""),
        ))
        .streaming(body))
}
