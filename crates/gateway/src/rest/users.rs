//! `/api/v1/users`: the users of the caller's organization.

use super::extract::{Authenticated, JsonBody, PageQuery};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::HttpResponse;
use actix_web::web::{Json, Path, Query};
use crm_core::Page;
use crm_identity::ops;
use crm_identity::{NewUser, User, UserPatch};
use uuid::Uuid;

/// Lists the users of the organization, oldest first.
#[utoipa::path(get, operation_id = "listUsers", path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of users", body = Page<User>), ReadErrors))]
pub async fn list(
    auth: Authenticated,
    query: Query<PageQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(ops::list_users(&auth.0, &page).await?))
}

/// Adds a user to the organization (admins only).
#[utoipa::path(post, operation_id = "createUser", path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, description = "The new user", body = User), WriteErrors))]
pub async fn create(
    auth: Authenticated,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let user = ops::create_user(&auth.0, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", user.id)))
        .json(user))
}

/// One user of the organization.
#[utoipa::path(get, operation_id = "getUser", path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "The user", body = User), ReadErrors))]
pub async fn get(auth: Authenticated, id: Path<Uuid>) -> Result<Json<User>, ApiError> {
    Ok(Json(ops::get_user(&auth.0, id.into_inner()).await?))
}

/// Changes a user's name, role or active flag (admins only; JSON Merge Patch). Setting
/// `active: false` deactivates the user: every token of theirs stops working at once.
#[utoipa::path(patch, operation_id = "updateUser", path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body(content = UserPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The user, updated", body = User), WriteErrors))]
pub async fn update(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<UserPatch>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(
        ops::update_user(&auth.0, id.into_inner(), body.0).await?,
    ))
}

/// Deactivates a user (admins only): same as `PATCH` with `active: false`.
#[utoipa::path(post, operation_id = "deactivateUser", path = "/api/v1/users/{id}/deactivate", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "The user, deactivated", body = User), WriteErrors))]
pub async fn deactivate(auth: Authenticated, id: Path<Uuid>) -> Result<Json<User>, ApiError> {
    let patch = UserPatch {
        active: Some(false),
        ..Default::default()
    };
    Ok(Json(
        ops::update_user(&auth.0, id.into_inner(), patch).await?,
    ))
}
