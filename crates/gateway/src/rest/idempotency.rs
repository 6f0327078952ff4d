//! `Idempotency-Key` on every POST: the first request with a key runs; a retry with the same key
//! and body replays the stored response (`Idempotent-Replayed: true`) and creates nothing; the
//! same key with another body is a 422. Concurrent duplicates wait for the first to finish.
//! Keys are scoped to the caller (user or API key) and kept 24 hours, in the database. The key
//! is looked at only after authentication (no credentials: the 401 of the handler), and bodies
//! are compared as JSON values, so other whitespace or key order is the same request.

use super::extract::{app_state, bearer};
use super::problem::{ApiError, current_request_id, render};
use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use crm_core::Code;
use crm_core::idempotency::{self, Begin, StoredResponse};
use futures_util::{FutureExt, StreamExt};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

const HEADER: &str = "idempotency-key";
/// How long a duplicate waits for the first request with its key.
const WAIT: Duration = Duration::from_secs(30);

fn problem(req: ServiceRequest, err: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(render(&err.0, current_request_id()))
}

/// The middleware.
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Uploads keep their own key (the import records it with the file's hash): their body
    // is streamed to disk, never buffered here.
    let upload = req.path() == "/api/v1/imports";
    let key = match req.headers().get(HEADER) {
        Some(v) if req.method() == Method::POST && !upload => v.to_str().unwrap_or("").to_owned(),
        _ => {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body);
        }
    };
    let Ok(state) = app_state(req.request()) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    // Authentication comes first: without valid credentials the handler answers 401 on its
    // own, whatever the key looks like, and nothing is stored.
    // Already authenticated for this request by the rate limiter, or now.
    let known = req.extensions().get::<crm_core::Actor>().cloned();
    let actor = match (known, bearer(req.request())) {
        (Some(actor), _) => Some(actor),
        (None, Ok(Some(token))) => crm_identity::ops::authenticate(&state.db, &state.auth, &token)
            .await
            .ok(),
        _ => None,
    };
    let Some(actor) = actor else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        let err = crm_core::Error::invalid_field(
            "/Idempotency-Key",
            "invalid",
            "must be 1 to 255 visible ASCII characters",
        );
        return Ok(problem(req, ApiError(err)));
    }
    // The handler's `Authenticated` extractor takes this caller instead of authenticating again.
    req.extensions_mut().insert(actor.clone());
    let principal = match actor.api_key_id {
        Some(k) => format!("key:{k}"),
        None => format!("user:{}", actor.user_id),
    };

    let limit = state.config.max_body_bytes;
    let mut payload = req.take_payload();
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else { break };
        if body.len() + chunk.len() > limit {
            let err = ApiError::new(
                Code::PayloadTooLarge,
                format!("The request body is larger than {limit} bytes"),
            );
            return Ok(problem(req, err));
        }
        body.extend_from_slice(&chunk);
    }
    let mut hasher = Sha256::new();
    hasher.update(req.path().as_bytes());
    hasher.update([0]);
    hasher.update(canonical(&body));
    let hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    req.set_payload(web::Bytes::from(body).into());

    let started = Instant::now();
    loop {
        match idempotency::begin(&state.db, actor.org_id, &principal, &key, &hash).await {
            Ok(Begin::Proceed) => break,
            Ok(Begin::Replay(stored)) => return Ok(req.into_response(replay(stored))),
            Ok(Begin::Mismatch) => {
                let err = ApiError::new(
                    Code::IdempotencyKeyReused,
                    "This Idempotency-Key was used with another request body",
                );
                return Ok(problem(req, err));
            }
            Ok(Begin::InProgress) if started.elapsed() < WAIT => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(Begin::InProgress) => {
                let err = ApiError::new(
                    Code::Conflict,
                    "A request with this Idempotency-Key is still running",
                );
                return Ok(problem(req, err));
            }
            Err(e) => return Ok(problem(req, ApiError(e))),
        }
    }

    // A panic below answers 500 and releases the key, so that the client can retry.
    let res = match AssertUnwindSafe(async move { next.call(req).await })
        .catch_unwind()
        .await
    {
        Ok(Ok(res)) => res,
        Ok(Err(e)) => {
            let _ = idempotency::release(&state.db, actor.org_id, &principal, &key).await;
            return Err(e);
        }
        Err(panic) => {
            let _ = idempotency::release(&state.db, actor.org_id, &principal, &key).await;
            return Err(super::middleware::panicked(&*panic));
        }
    };
    let status = res.status();
    if !replayable(status) {
        // Not the settled outcome of this body (refused, conflicting, limited or failed): a retry
        // with the same key runs again.
        let _ = idempotency::release(&state.db, actor.org_id, &principal, &key).await;
        return Ok(res.map_into_boxed_body());
    }
    let (http_req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = to_bytes(body).await.unwrap_or_default();
    let mut headers = Map::new();
    for name in [header::LOCATION, header::ETAG, header::CONTENT_TYPE] {
        if let Some(v) = head.headers().get(&name).and_then(|v| v.to_str().ok()) {
            headers.insert(name.as_str().to_owned(), Value::String(v.to_owned()));
        }
    }
    let stored = StoredResponse {
        status: status.as_u16(),
        headers: Value::Object(headers),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    if let Err(e) = idempotency::complete(&state.db, actor.org_id, &principal, &key, &stored).await
    {
        tracing::error!(error = %e, "could not store an idempotent response");
        let _ = idempotency::release(&state.db, actor.org_id, &principal, &key).await;
    }
    let response = head.set_body(bytes).map_into_boxed_body();
    Ok(ServiceResponse::new(http_req, response))
}

/// Whether an answer is kept for replays: successes, and refusals that depend only on the body
/// (malformed, invalid). A 401 or 403 (the caller may gain the right), a 404 (the record may
/// appear), a 409, 412 or 429 (the state may change) and every 5xx are not kept.
fn replayable(status: StatusCode) -> bool {
    status.is_success() || matches!(status.as_u16(), 400 | 413 | 415 | 422)
}

/// The body as compared between retries: JSON in a canonical form (keys sorted, no
/// insignificant whitespace), so that the same request serialised another way is the same
/// request; other bodies byte for byte.
fn canonical(body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => v.to_string().into_bytes(),
        Err(_) => body.to_vec(),
    }
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    if let Some(headers) = stored.headers.as_object() {
        for (k, v) in headers {
            if let Some(v) = v.as_str() {
                res.insert_header((k.as_str(), v));
            }
        }
    }
    res.insert_header(("Idempotent-Replayed", "true"));
    res.body(stored.body)
}
