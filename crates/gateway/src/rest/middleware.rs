//! The request middleware: request id, access log, `HEAD` served by the `GET` routes, problem
//! bodies for bare error responses, and a panic anywhere below it answered as a 500 problem
//! document instead of a dropped connection.

use super::problem::{REQUEST_ID, render};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use crm_core::{Code, Error};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client-sent request id is echoed when it is 1 to 128 visible ASCII characters.
fn client_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&X_REQUEST_ID)?.to_str().ok()?;
    let ok = !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| value.to_owned())
}

fn code_for_status(status: u16) -> Code {
    match status {
        400 => Code::MalformedRequest,
        401 => Code::Unauthenticated,
        403 => Code::Forbidden,
        404 => Code::NotFound,
        405 => Code::MethodNotAllowed,
        409 => Code::Conflict,
        412 => Code::PreconditionFailed,
        413 => Code::PayloadTooLarge,
        415 => Code::UnsupportedMediaType,
        422 => Code::ValidationFailed,
        429 => Code::RateLimited,
        503 => Code::Unavailable,
        _ => Code::Internal,
    }
}

/// Whether the request is a CORS preflight (which the CORS middleware answers).
fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The headers of a bare error response a problem document replaces that still apply to it:
/// `Allow` of a 405 (with `HEAD` wherever `GET` is allowed, since `HEAD` runs the `GET` route),
/// CORS headers, `Vary`, ...; everything but the description of the empty body.
fn kept_headers(bare: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    let mut kept = Vec::new();
    for (name, value) in bare {
        if *name == header::CONTENT_LENGTH || *name == header::CONTENT_TYPE {
            continue;
        }
        if *name == header::ALLOW
            && let Ok(methods) = value.to_str()
        {
            let mut methods: Vec<&str> = methods.split(',').map(str::trim).collect();
            if methods.contains(&"GET") && !methods.contains(&"HEAD") {
                let at = methods
                    .iter()
                    .position(|m| *m == "GET")
                    .map_or(0, |i| i + 1);
                methods.insert(at, "HEAD");
            }
            if let Ok(value) = HeaderValue::from_str(&methods.join(", ")) {
                kept.push((name.clone(), value));
            }
            continue;
        }
        kept.push((name.clone(), value.clone()));
    }
    kept
}

/// Assigns the request id (echoed or new), runs the request inside its scope, logs it, and turns
/// any error response without a body type (a 405 from routing, say) into a problem document.
///
/// A `HEAD` request is routed as a `GET` (so every `GET` route answers `HEAD` with the same
/// status and headers); the connection still knows it is a `HEAD` and sends no body.
pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = client_request_id(&req).unwrap_or_else(|| crm_core::new_id().to_string());
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let preflight = is_preflight(&req);
    if method == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    if let Err(err) = super::extract::check_query(req.request()) {
        let problem = render(&err.0, Some(id.clone()));
        let mut res = req.into_response(problem);
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut().insert(X_REQUEST_ID, value);
        }
        return Ok(res);
    }
    let state = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .cloned();
    let span = crate::otel::request_span(method.as_str(), req.headers(), &id);
    let scoped = REQUEST_ID.scope(id.clone(), async move { next.call(req).await });
    let called = match &span {
        Some(span) => {
            AssertUnwindSafe(tracing::Instrument::instrument(scoped, span.clone()))
                .catch_unwind()
                .await
        }
        None => AssertUnwindSafe(scoped).catch_unwind().await,
    };
    let mut res = match called {
        Ok(res) => res?.map_into_boxed_body(),
        Err(panic) => {
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            tracing::warn!(request_id = %id, %method, %path, status = 500, elapsed_ms, "request");
            if let Some(state) = &state {
                state.metrics.response(500);
            }
            if let Some(span) = &span {
                crate::otel::finish(span, method.as_str(), None, 500);
            }
            return Err(REQUEST_ID.sync_scope(id.clone(), || panicked(&*panic)));
        }
    };
    let status = res.status();
    if status.as_u16() >= 400 && !res.headers().contains_key(header::CONTENT_TYPE) {
        let code = code_for_status(status.as_u16());
        let detail = match code {
            Code::NotFound => "No resource at this path".to_owned(),
            Code::MethodNotAllowed => format!("{method} is not allowed on this path"),
            Code::MalformedRequest if preflight => {
                "CORS preflight refused: this origin, method or request header is not allowed"
                    .to_owned()
            }
            _ => code.title().to_owned(),
        };
        let kept = kept_headers(res.headers());
        let mut problem = render(&Error::new(code, detail), Some(id.clone()));
        for (name, value) in kept {
            problem.headers_mut().append(name, value);
        }
        res = res.into_response(problem);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }
    let status = res.status().as_u16();
    let route = res.request().match_pattern();
    if let Some(span) = &span {
        crate::otel::finish(span, method.as_str(), route.as_deref(), status);
    }
    if let Some(state) = &state {
        // A successful write has committed its events: long-polls of the change feed look now.
        if status < 400 && !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
            state.feed.committed();
        }
        state.metrics.response(status);
        state
            .metrics
            .latencies
            .observe(route, &method, status, started.elapsed());
    }
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(request_id = %id, %method, %path, status, elapsed_ms, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status, elapsed_ms, "request");
    }
    Ok(res)
}

/// What a panic carried, when it is text.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// A request whose handling panicked: answered as a 500 problem document that tells nothing
/// internal (the panic is logged with the request id).
#[derive(Debug)]
pub struct Panicked {
    request_id: Option<String>,
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request handler panicked")
    }
}

impl actix_web::ResponseError for Panicked {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let err = Error::new(Code::Internal, "An unexpected error occurred");
        let mut res = render(&err, self.request_id.clone());
        if let Some(value) = self
            .request_id
            .as_deref()
            .and_then(|id| HeaderValue::from_str(id).ok())
        {
            res.headers_mut().insert(X_REQUEST_ID, value);
        }
        res
    }
}

/// Logs a caught panic (with the request id, when called while serving one) and makes it the
/// request's answer.
pub fn panicked(panic: &(dyn std::any::Any + Send)) -> actix_web::Error {
    let request_id = super::problem::current_request_id();
    tracing::error!(
        request_id = request_id.as_deref().unwrap_or("-"),
        panic = panic_message(panic),
        "a request handler panicked"
    );
    Panicked { request_id }.into()
}
