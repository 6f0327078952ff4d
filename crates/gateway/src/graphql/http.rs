//! `POST /graphql`, with body-size and batch limits (`GET /graphql` is GraphiQL: [`super::graphiql`]).

use crate::rest::extract::{app_state, bearer, client_ip, parse_json_value, read_body};
use crate::rest::problem::{ApiError, current_request_id};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::{BatchRequest, BatchResponse};
use crm_core::{Code, Ctx, Error};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;

/// The client's address, attached to every GraphQL request (login and sign-up limits use it).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<std::net::IpAddr>);

/// The string literals of a GraphQL document broken by the input rules (a NUL character, written
/// `\u0000` in the document, or an impossible year), each as a field error on `/query`.
fn check_literals(query: &str) -> Vec<crm_core::FieldError> {
    let mut errors = Vec::new();
    let bytes = query.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'#' {
            // A comment runs to the end of the line.
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let block = bytes[i..].starts_with(b"\"\"\"");
        let start = i + if block { 3 } else { 1 };
        let mut j = start;
        while j < bytes.len() {
            if !block && bytes[j] == b'\\' {
                j += 2;
                continue;
            }
            if (block && bytes[j..].starts_with(b"\"\"\"")) || (!block && bytes[j] == b'"') {
                break;
            }
            j += 1;
        }
        let literal = query
            .get(start.min(query.len())..j.min(query.len()))
            .unwrap_or("");
        let nul = literal.contains('\0') || literal.to_ascii_lowercase().contains("\\u0000");
        if nul {
            errors.push(crm_core::FieldError::new(
                "/query",
                "invalid_character",
                "a string in the document contains the NUL character (U+0000)",
            ));
        } else if let Some(e) = crm_core::input::check_text(literal, "/query") {
            errors.push(e);
        }
        i = j + if block { 3 } else { 1 };
    }
    errors
}

/// A request-level GraphQL error (the operation never ran), with the HTTP status of its code.
fn request_error(err: Error) -> HttpResponse {
    let status = StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    if err.code == Code::Internal {
        tracing::error!(
            request_id = current_request_id().as_deref().unwrap_or("-"),
            error = %err,
            cause = ?err.source,
            "internal error"
        );
    }
    let mut error = serde_json::json!({
        "message": err.detail,
        "extensions": { "code": err.code.as_str(), "status": err.code.status() },
    });
    if !err.fields.is_empty()
        && let (Ok(fields), Some(ext)) = (
            serde_json::to_value(&err.fields),
            error["extensions"].as_object_mut(),
        )
    {
        ext.insert("errors".into(), fields);
    }
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
    // The input rules of every face: no duplicate key, NUL character or impossible year, in the
    // variables or in the document's own string literals.
    let value = parse_json_value(&body)?;
    if value.as_array().is_some_and(Vec::is_empty) {
        return Err(ApiError::new(
            Code::BatchTooLarge,
            "A batch holds at least one operation",
        ));
    }
    let batch: BatchRequest = serde_json::from_value(value).map_err(|e| {
        ApiError::new(
            Code::MalformedRequest,
            format!("The body is not a GraphQL request: {e}"),
        )
    })?;
    let queries: Vec<&str> = match &batch {
        BatchRequest::Single(r) => vec![r.query.as_str()],
        BatchRequest::Batch(list) => list.iter().map(|r| r.query.as_str()).collect(),
    };
    let literal_errors: Vec<_> = queries.iter().flat_map(|q| check_literals(q)).collect();
    if !literal_errors.is_empty() {
        return Err(ApiError(Error::validation(literal_errors)));
    }
    // Already authenticated for this request by the rate limiter, or now.
    let known = req.extensions().get::<crm_core::Actor>().cloned();
    let caller = match (known, bearer(req)?) {
        (Some(actor), _) => Some(Ctx::new(state.db.clone(), actor).with_reads(state.reads.clone())),
        (None, Some(token)) => {
            let actor = crm_identity::ops::authenticate(&state.db, &state.auth, &token).await?;
            Some(Ctx::new(state.db.clone(), actor).with_reads(state.reads.clone()))
        }
        (None, None) => None,
    };
    let mut requests = match batch {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(list) => list,
    };
    let is_batch = requests.len() != 1;
    if requests.is_empty() || requests.len() > state.config.graphql_max_batch {
        return Err(ApiError::new(
            Code::BatchTooLarge,
            format!(
                "A batch holds 1 to {} operations",
                state.config.graphql_max_batch
            ),
        ));
    }
    let mut responses = Vec::with_capacity(requests.len());
    for request in requests.drain(..) {
        let mut request = request.data(state.clone()).data(ClientIp(client_ip(req)));
        if let Some(c) = &caller {
            request = super::loaders::attach(request.data(c.clone()), c);
        }
        // A panicking resolver answers a 500 with a GraphQL error, not a dropped connection.
        match AssertUnwindSafe(state.schema.execute(request))
            .catch_unwind()
            .await
        {
            Ok(mut response) => {
                super::error::classify(&mut response);
                responses.push(response);
            }
            Err(_) => {
                return Err(ApiError(Error::internal("a GraphQL resolver panicked")));
            }
        }
    }
    let response = if is_batch {
        BatchResponse::Batch(responses)
    } else {
        BatchResponse::Single(responses.remove(0))
    };
    Ok(HttpResponse::Ok().json(response))
}
