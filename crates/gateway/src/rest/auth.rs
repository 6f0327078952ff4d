//! `/api/v1/auth/*`: signup, login, refresh, logout.

use super::extract::{JsonBody, app_state, client_ip};
use super::openapi::{PublicWriteErrors, SignupErrors};
use super::problem::ApiError;
use actix_web::{HttpRequest, HttpResponse};
use crm_identity::ops;
use crm_identity::{LoginInput, LogoutInput, RefreshInput, SignupInput, SignupResult, TokenPair};

/// Creates a new organization with this user as its admin, and signs them in.
#[utoipa::path(post, operation_id = "signup", path = "/api/v1/auth/signup", tag = "auth", security(()),
    request_body = SignupInput,
    responses((status = 201, description = "Organization, admin and tokens", body = SignupResult), SignupErrors))]
pub async fn signup(
    req: HttpRequest,
    body: JsonBody<SignupInput>,
) -> Result<HttpResponse, ApiError> {
    let state = app_state(&req)?;
    let out = ops::signup(&state.db, &state.auth, body.0, client_ip(&req)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", "/api/v1/me"))
        .json(out))
}

/// Signs in with email and password.
#[utoipa::path(post, operation_id = "login", path = "/api/v1/auth/login", tag = "auth", security(()),
    request_body = LoginInput,
    responses((status = 200, description = "A new token pair", body = TokenPair), PublicWriteErrors))]
pub async fn login(req: HttpRequest, body: JsonBody<LoginInput>) -> Result<HttpResponse, ApiError> {
    let state = app_state(&req)?;
    let pair = ops::login(&state.db, &state.auth, body.0, client_ip(&req)).await?;
    Ok(HttpResponse::Ok().json(pair))
}

/// Exchanges a refresh token for a new pair; each refresh token works once, and reusing one ends
/// the whole session.
#[utoipa::path(post, operation_id = "refresh", path = "/api/v1/auth/refresh", tag = "auth", security(()),
    request_body = RefreshInput,
    responses((status = 200, description = "A new token pair", body = TokenPair), PublicWriteErrors))]
pub async fn refresh(
    req: HttpRequest,
    body: JsonBody<RefreshInput>,
) -> Result<HttpResponse, ApiError> {
    let state = app_state(&req)?;
    Ok(HttpResponse::Ok().json(ops::refresh(&state.db, &state.auth, body.0).await?))
}

/// Ends the session of a refresh token (or, with `all_sessions`, every session of its user).
#[utoipa::path(post, operation_id = "logout", path = "/api/v1/auth/logout", tag = "auth", security(()),
    request_body = LogoutInput,
    responses((status = 204, description = "Signed out"), PublicWriteErrors))]
pub async fn logout(
    req: HttpRequest,
    body: JsonBody<LogoutInput>,
) -> Result<HttpResponse, ApiError> {
    let state = app_state(&req)?;
    ops::logout(&state.db, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
