//! `/api/v1/me`: the caller.

use super::extract::{Authenticated, JsonBody};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::web::Json;
use crm_identity::ops;
use crm_identity::{ChangePasswordInput, Me, User};

/// The caller: user, organization and role.
#[utoipa::path(get, operation_id = "getMe", path = "/api/v1/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = Me), ReadErrors))]
pub async fn me(auth: Authenticated) -> Result<Json<Me>, ApiError> {
    Ok(Json(ops::me(&auth.0).await?))
}

/// Changes the caller's own password; every session of the caller ends.
#[utoipa::path(post, operation_id = "changePassword", path = "/api/v1/me/password", tag = "identity", security(("bearer" = [])),
    request_body = ChangePasswordInput,
    responses((status = 200, description = "The caller, updated", body = User), WriteErrors))]
pub async fn change_password(
    auth: Authenticated,
    body: JsonBody<ChangePasswordInput>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(ops::change_password(&auth.0, body.0).await?))
}
