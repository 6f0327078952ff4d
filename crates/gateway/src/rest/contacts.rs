//! `/api/v1/contacts`.

use super::etag::etag;
use super::extract::{Authenticated, JsonBody};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::HttpResponse;
use actix_web::web::{Json, Path};
use crm_customers::ops;
use crm_customers::{Contact, ContactDuplicate, MergeInput};
use uuid::Uuid;

fn with_etag(status: actix_web::http::StatusCode, c: &Contact) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", etag(c.version)))
        .json(c)
}

/// Likely duplicates: same email, same phone, or a similar name at the same company.
#[utoipa::path(get, operation_id = "listContactDuplicates", path = "/api/v1/contacts/{id}/duplicates", tag = "contacts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The contact's id")),
    responses((status = 200, description = "Likely duplicates", body = Vec<ContactDuplicate>), ReadErrors))]
pub async fn duplicates(
    auth: Authenticated,
    id: Path<Uuid>,
) -> Result<Json<Vec<ContactDuplicate>>, ApiError> {
    Ok(Json(
        ops::contact_duplicates(&auth.0, id.into_inner()).await?,
    ))
}

/// Merges another contact into this one, in one transaction (managers and admins).
#[utoipa::path(post, operation_id = "mergeContact", path = "/api/v1/contacts/{id}/merge", tag = "contacts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The surviving contact's id")),
    request_body = MergeInput,
    responses((status = 200, description = "The surviving contact", body = Contact), WriteErrors))]
pub async fn merge(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<MergeInput>,
) -> Result<HttpResponse, ApiError> {
    let c = crm_interactions::ops::merge_contacts(&auth.0, id.into_inner(), body.0).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &c))
}
