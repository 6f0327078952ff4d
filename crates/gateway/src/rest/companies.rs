//! `/api/v1/companies`.

use super::etag::{etag, if_match};
use super::extract::{Authenticated, JsonBody, PageQuery};
use super::list_query::{ListQueryDoc, list_params};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::web::{Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use crm_core::Page;
use crm_core::audit::HistoryEntry;
use crm_customers::ops;
use crm_customers::{Company, CompanyDuplicate, CompanyPatch, MergeInput, NewCompany};
use uuid::Uuid;

fn with_etag(status: actix_web::http::StatusCode, c: &Company) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", etag(c.version)))
        .json(c)
}

/// Lists companies.
///
/// Filters: `field=value` or `field[op]=value` with `op` in `eq, ne, gt, gte, lt, lte, in,
/// contains, starts_with, is_null`, on `id, name, legal_name, domain, industry, size_band, city,
/// region, country, owner_id, lifecycle_stage, tags, created_at, updated_at` and on custom
/// fields as `custom.<key>`. Sort on `created_at, updated_at, name` and custom fields (default
/// `-created_at`). `q` searches names, legal names, domains and cities.
#[utoipa::path(get, operation_id = "listCompanies", path = "/api/v1/companies", tag = "companies", security(("bearer" = [])),
    params(ListQueryDoc),
    responses((status = 200, description = "A page of companies", body = Page<Company>), ReadErrors))]
pub async fn list(auth: Authenticated, req: HttpRequest) -> Result<Json<Page<Company>>, ApiError> {
    let params = list_params(&req)?;
    Ok(Json(ops::list_companies(&auth.0, &params).await?))
}

/// Creates a company.
#[utoipa::path(post, operation_id = "createCompany", path = "/api/v1/companies", tag = "companies", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body")),
    request_body = NewCompany,
    responses((status = 201, description = "The new company", body = Company,
        headers(("Location" = String), ("ETag" = String))), WriteErrors))]
pub async fn create(
    auth: Authenticated,
    body: JsonBody<NewCompany>,
) -> Result<HttpResponse, ApiError> {
    let c = ops::create_company(&auth.0, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/companies/{}", c.id)))
        .insert_header(("ETag", etag(c.version)))
        .json(c))
}

/// One company. A merged company answers 404 with `merged_into`.
#[utoipa::path(get, operation_id = "getCompany", path = "/api/v1/companies/{id}", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company's id")),
    responses((status = 200, description = "The company", body = Company, headers(("ETag" = String))), ReadErrors))]
pub async fn get(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let c = ops::get_company(&auth.0, id.into_inner()).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &c))
}

/// Changes a company (JSON Merge Patch). With `If-Match`, a stale version answers 412 and
/// changes nothing.
#[utoipa::path(patch, operation_id = "updateCompany", path = "/api/v1/companies/{id}", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = CompanyPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The company, changed", body = Company, headers(("ETag" = String))),
        (status = 412, description = "The company changed since that ETag", body = super::problem::Problem, content_type = "application/problem+json"),
        WriteErrors))]
pub async fn update(
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
    body: JsonBody<CompanyPatch>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let c = ops::update_company(&auth.0, id.into_inner(), body.0, expected).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &c))
}

/// Deletes a company (soft: `POST /restore` brings it back; managers and admins).
#[utoipa::path(delete, operation_id = "deleteCompany", path = "/api/v1/companies/{id}", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on")),
    responses((status = 204, description = "Deleted"),
        (status = 412, description = "The company changed since that ETag", body = super::problem::Problem, content_type = "application/problem+json"),
        WriteErrors))]
pub async fn delete(
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    ops::delete_company(&auth.0, id.into_inner(), expected).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restores a deleted company (managers and admins).
#[utoipa::path(post, operation_id = "restoreCompany", path = "/api/v1/companies/{id}/restore", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company's id")),
    responses((status = 200, description = "The company, restored", body = Company), WriteErrors))]
pub async fn restore(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let c = ops::restore_company(&auth.0, id.into_inner()).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &c))
}

/// Deleted companies, for review and restore (managers and admins).
#[utoipa::path(get, operation_id = "listDeletedCompanies", path = "/api/v1/companies/deleted", tag = "companies", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of deleted companies", body = Page<Company>), ReadErrors))]
pub async fn deleted(
    auth: Authenticated,
    query: Query<PageQuery>,
) -> Result<Json<Page<Company>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(ops::list_deleted_companies(&auth.0, &page).await?))
}

/// Who changed what and when, newest first.
#[utoipa::path(get, operation_id = "listCompanyHistory", path = "/api/v1/companies/{id}/history", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company's id"), PageQuery),
    responses((status = 200, description = "A page of history entries", body = Page<HistoryEntry>), ReadErrors))]
pub async fn history(
    auth: Authenticated,
    id: Path<Uuid>,
    query: Query<PageQuery>,
) -> Result<Json<Page<HistoryEntry>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(
        ops::company_history(&auth.0, id.into_inner(), &page).await?,
    ))
}

/// Likely duplicates: same domain or a similar name.
#[utoipa::path(get, operation_id = "listCompanyDuplicates", path = "/api/v1/companies/{id}/duplicates", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company's id")),
    responses((status = 200, description = "Likely duplicates", body = Vec<CompanyDuplicate>), ReadErrors))]
pub async fn duplicates(
    auth: Authenticated,
    id: Path<Uuid>,
) -> Result<Json<Vec<CompanyDuplicate>>, ApiError> {
    Ok(Json(
        ops::company_duplicates(&auth.0, id.into_inner()).await?,
    ))
}

/// Merges another company into this one, in one transaction: its contacts move over
/// (managers and admins).
#[utoipa::path(post, operation_id = "mergeCompany", path = "/api/v1/companies/{id}/merge", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The surviving company's id")),
    request_body = MergeInput,
    responses((status = 200, description = "The surviving company", body = Company), WriteErrors))]
pub async fn merge(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<MergeInput>,
) -> Result<HttpResponse, ApiError> {
    let c = crm_interactions::ops::merge_companies(&auth.0, id.into_inner(), body.0).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &c))
}
