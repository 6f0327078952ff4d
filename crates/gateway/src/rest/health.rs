//! Liveness, readiness, the contract documents and the error code descriptions.

use super::problem::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use crm_core::{Code, Error};
use serde::Serialize;

/// Liveness: the process answers (no dependency is checked).
#[utoipa::path(get, operation_id = "livez", path = "/livez", tag = "operations", security(()),
    responses((status = 200, description = "The process is alive", body = Health)))]
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database answers and the server is not draining.
#[utoipa::path(get, operation_id = "readyz", path = "/readyz", tag = "operations", security(()),
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "Draining or database unreachable", body = super::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.is_draining() {
        return Err(ApiError::new(
            Code::Unavailable,
            "The server is shutting down",
        ));
    }
    state.db.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness: database unreachable");
        ApiError::new(Code::Unavailable, "The database is unreachable")
    })?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}

/// Health status.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` when answered with 200.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The OpenAPI document (identical to the committed `openapi/openapi.json`).
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi_json.as_str().to_owned())
}

/// The description of an error code (the target of a problem's `type`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorCodeInfo {
    /// The code, as in `code` and GraphQL's `extensions.code`.
    #[schema(example = "validation_failed")]
    pub code: &'static str,
    /// The HTTP status REST answers with.
    #[schema(example = 422)]
    pub status: u16,
    /// The summary used as a problem's `title`.
    #[schema(example = "Validation failed")]
    pub title: &'static str,
    /// When the code is answered.
    #[schema(
        example = "A well-formed body or parameter breaks a rule; `errors` lists each field."
    )]
    pub description: &'static str,
    /// What a client does about it.
    #[schema(example = "Fix the fields named in `errors` and send the request again.")]
    pub resolution: &'static str,
}

/// Describes one error code of the code table.
#[utoipa::path(get, operation_id = "getErrorCode", path = "/errors/{code}", tag = "operations", security(()),
    params(("code" = String, Path, description = "An error code such as `validation_failed`")),
    responses(
        (status = 200, description = "The code's description", body = ErrorCodeInfo),
        (status = 404, description = "No such code", body = super::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn error_code(
    req: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = Code::parse(&path).ok_or_else(|| ApiError(Error::not_found("Error code")))?;
    let (description, resolution) = code.help();
    let info = ErrorCodeInfo {
        code: code.as_str(),
        status: code.status(),
        title: code.title(),
        description,
        resolution,
    };
    let html = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if html {
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(error_page(&info)));
    }
    Ok(HttpResponse::Ok().json(info))
}

/// The code's page for a browser (the problem `type` links here). The texts are the server's
/// own constants; only `&`, `<` and `>` need escaping in them.
fn error_page(info: &ErrorCodeInfo) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code}</title></head>\
         <body><h1>{title}</h1><p><code>{code}</code> &middot; HTTP {status}</p>\
         <h2>When</h2><p>{description}</p><h2>What to do</h2><p>{resolution}</p></body></html>",
        code = esc(info.code),
        title = esc(info.title),
        status = info.status,
        description = esc(info.description),
        resolution = esc(info.resolution),
    )
}
