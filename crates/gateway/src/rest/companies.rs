//! `/api/v1/companies`.

use super::extract::{Authenticated, JsonBody};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::HttpResponse;
use actix_web::web::{Json, Path};
use crm_customers::ops;
use crm_customers::{Company, CompanyDuplicate, MergeInput};
use uuid::Uuid;

fn with_etag(status: actix_web::http::StatusCode, c: &Company) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", crm_core::kit::Versioned::etag(c)))
        .json(c)
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
