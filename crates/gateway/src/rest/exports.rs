//! `/api/v1/exports`: export files built in the background for sets too large to stream in one
//! request; `GET /api/v1/<resource>/export` streams the same file at once.

use super::extract::{Authenticated, JsonBody, PageQuery};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use crate::state::AppState;
use actix_web::HttpResponse;
use actix_web::web::{Bytes, Data, Json, Path, Query};
use crm_core::{Code, Error, Page};
use crm_integration::exports;
use crm_integration::{ExportFile, ExportState, NewExport};
use tokio::io::AsyncReadExt;
use uuid::Uuid;

/// Bytes read from an export file at a time.
const CHUNK: usize = 64 * 1024;

/// Asks for an export file: checks the resource and parameters as the list would (422 now,
/// not a failed job later), then a worker writes it; poll `GET /api/v1/exports/{id}` until
/// `state` is `succeeded` and download `download_url`.
#[utoipa::path(post, operation_id = "createExport", path = "/api/v1/exports", tag = "exports", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body")),
    request_body = NewExport,
    responses((status = 202, description = "The export, queued", body = ExportFile), WriteErrors))]
pub async fn create(
    auth: Authenticated,
    body: JsonBody<NewExport>,
) -> Result<HttpResponse, ApiError> {
    let input = body.0;
    if crate::exports::exportable(&input.resource) {
        crate::exports::check(&auth.0, &input).await?;
    }
    let file = exports::create_export(&auth.0, input, crate::exports::exportable).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/exports/{}", file.id)))
        .json(file))
}

/// The caller's export files, newest first (admins: every one of the organization).
#[utoipa::path(get, operation_id = "listExports", path = "/api/v1/exports", tag = "exports", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of export files", body = Page<ExportFile>), ReadErrors))]
pub async fn list(
    auth: Authenticated,
    query: Query<PageQuery>,
) -> Result<Json<Page<ExportFile>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(exports::list_exports(&auth.0, &page).await?))
}

/// One export file: its state, its progress (`rows`), and once written its `download_url`.
#[utoipa::path(get, operation_id = "getExport", path = "/api/v1/exports/{id}", tag = "exports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The export's id")),
    responses((status = 200, description = "The export file", body = ExportFile), ReadErrors))]
pub async fn get(auth: Authenticated, id: Path<Uuid>) -> Result<Json<ExportFile>, ApiError> {
    Ok(Json(exports::get_export(&auth.0, id.into_inner()).await?))
}

/// Downloads a written export file (409 while it is queued or running, when it failed, or
/// after it expired).
#[utoipa::path(get, operation_id = "downloadExport", path = "/api/v1/exports/{id}/file", tag = "exports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The export's id")),
    responses((status = 200, description = "The file", content(
        (super::export::CsvExport = "text/csv"),
        (super::export::NdjsonExport = "application/x-ndjson"))), ReadErrors))]
pub async fn download(
    auth: Authenticated,
    state: Data<AppState>,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let file = exports::get_export(&auth.0, id.into_inner()).await?;
    if file.state != ExportState::Succeeded {
        return Err(ApiError(Error::new(
            Code::Conflict,
            format!(
                "the export is {}; download it once it has succeeded",
                file.state.as_str()
            ),
        )));
    }
    let dir = crate::exports::files_dir(&state.config.data_dir);
    let path = crate::exports::file_path(&dir, file.id, file.format);
    let handle = tokio::fs::File::open(&path).await.map_err(|e| {
        tracing::error!(export = %file.id, error = %e, "export file missing");
        ApiError(Error::new(
            Code::Conflict,
            "the export's file is not on this server any more; ask for a new export",
        ))
    })?;
    let body = futures_util::stream::unfold(handle, |mut handle| async move {
        let mut buf = vec![0u8; CHUNK];
        match handle.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), handle))
            }
            Err(e) => Some((Err(e), handle)),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(file.format.content_type())
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}-{}.{}\"",
                file.resource,
                file.id,
                file.format.extension()
            ),
        ))
        .insert_header(("Content-Length", file.bytes.to_string()))
        .streaming(body))
}
