//! `/api/v1/api-keys`: integration credentials.

use super::extract::{Authenticated, JsonBody, PageQuery};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::HttpResponse;
use actix_web::web::{Json, Path, Query};
use crm_core::Page;
use crm_identity::ops;
use crm_identity::{ApiKey, CreatedApiKey, NewApiKey};
use uuid::Uuid;

/// Lists the organization's API keys (admins only); secrets are never listed.
#[utoipa::path(get, operation_id = "listApiKeys", path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of API keys", body = Page<ApiKey>), ReadErrors))]
pub async fn list(
    auth: Authenticated,
    query: Query<PageQuery>,
) -> Result<Json<Page<ApiKey>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(ops::list_api_keys(&auth.0, &page).await?))
}

/// Creates an API key (admins only). The full key is in this response only: store it.
#[utoipa::path(post, operation_id = "createApiKey", path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    request_body = NewApiKey,
    responses((status = 201, description = "The key, with its secret shown once", body = CreatedApiKey), WriteErrors))]
pub async fn create(
    auth: Authenticated,
    body: JsonBody<NewApiKey>,
) -> Result<HttpResponse, ApiError> {
    let created = ops::create_api_key(&auth.0, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/api-keys/{}", created.api_key.id),
        ))
        .json(created))
}

/// One API key (admins only); its secret is never shown again.
#[utoipa::path(get, operation_id = "getApiKey", path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The key's id")),
    responses((status = 200, description = "The key", body = ApiKey), ReadErrors))]
pub async fn get(auth: Authenticated, id: Path<Uuid>) -> Result<Json<ApiKey>, ApiError> {
    Ok(Json(ops::get_api_key(&auth.0, id.into_inner()).await?))
}

/// Revokes an API key (admins only); it stops authenticating at once.
#[utoipa::path(delete, operation_id = "revokeApiKey", path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The key's id")),
    responses((status = 204, description = "Revoked"), WriteErrors))]
pub async fn revoke(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ops::revoke_api_key(&auth.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
