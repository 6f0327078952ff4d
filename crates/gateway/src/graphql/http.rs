//! `POST /graphql` (with body-size and batch limits) and `GET /graphql` (GraphiQL, development).

use crate::rest::extract::{app_state, bearer, read_body};
use crate::rest::problem::{ApiError, current_request_id};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse};
use crm_core::{Code, Ctx, Error};

/// A request-level GraphQL error (the operation never ran), with the HTTP status of its code.
fn request_error(err: Error) -> HttpResponse {
    let status = StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut error = serde_json::json!({
        "message": err.detail,
        "extensions": { "code": err.code.as_str(), "status": err.code.status() },
    });
    if let (Some(id), Some(ext)) = (current_request_id(), error["extensions"].as_object_mut()) {
        ext.insert("requestId".into(), id.into());
    }
    let mut res = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header(("WWW-Authenticate", "Bearer"));
    }
    res.json(serde_json::json!({ "errors": [error] }))
}

/// Executes a GraphQL request or batch.
pub async fn post(req: HttpRequest, mut payload: web::Payload) -> HttpResponse {
    match execute(&req, &mut payload).await {
        Ok(res) => res,
        Err(ApiError(err)) => request_error(err),
    }
}

async fn execute(req: &HttpRequest, payload: &mut web::Payload) -> Result<HttpResponse, ApiError> {
    let state = app_state(req)?;
    let body = read_body(req, payload, state.config.max_body_bytes).await?;
    let batch: BatchRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            Code::MalformedRequest,
            format!("The body is not a GraphQL request: {e}"),
        )
    })?;
    let caller = match bearer(req)? {
        Some(token) => {
            let actor = crm_identity::ops::authenticate(&state.db, &state.auth, &token).await?;
            Some(Ctx::new(state.db.clone(), actor))
        }
        None => None,
    };
    let mut requests = match batch {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(list) => list,
    };
    let is_batch = requests.len() != 1;
    if requests.is_empty() || requests.len() > state.config.graphql_max_batch {
        return Err(ApiError::new(
            Code::ValidationFailed,
            format!(
                "A batch holds 1 to {} operations",
                state.config.graphql_max_batch
            ),
        ));
    }
    let mut responses = Vec::with_capacity(requests.len());
    for request in requests.drain(..) {
        let mut request = request.data(state.clone());
        if let Some(c) = &caller {
            request = super::loaders::attach(request.data(c.clone()), c);
        }
        responses.push(state.schema.execute(request).await);
    }
    let response = if is_batch {
        BatchResponse::Batch(responses)
    } else {
        BatchResponse::Single(responses.remove(0))
    };
    Ok(HttpResponse::Ok().json(response))
}

/// GraphiQL, outside production.
pub async fn get(req: HttpRequest) -> HttpResponse {
    let development = app_state(&req)
        .map(|s| s.config.is_development())
        .unwrap_or(false);
    if !development {
        return crate::rest::problem::render(&Error::not_found("Resource"), current_request_id());
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GraphiQLSource::build().endpoint("/graphql").finish())
}
