//! The request middleware: request id, access log, and problem bodies for bare error responses.

use super::problem::{REQUEST_ID, render};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use crm_core::{Code, Error};
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

/// Assigns the request id (echoed or new), runs the request inside its scope, logs it, and turns
/// any error response without a body type (a 405 from routing, say) into a problem document.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = client_request_id(&req).unwrap_or_else(|| crm_core::new_id().to_string());
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let res = REQUEST_ID.scope(id.clone(), next.call(req)).await?;
    let mut res = res.map_into_boxed_body();
    let status = res.status();
    if status.as_u16() >= 400 && !res.headers().contains_key(header::CONTENT_TYPE) {
        let code = code_for_status(status.as_u16());
        let detail = match code {
            Code::NotFound => "No resource at this path".to_owned(),
            Code::MethodNotAllowed => format!("{method} is not allowed on this path"),
            _ => code.title().to_owned(),
        };
        let problem = render(&Error::new(code, detail), Some(id.clone()));
        res = res.into_response(problem);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }
    let status = res.status().as_u16();
    if let Some(state) = res
        .request()
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
    {
        state.metrics.response(status);
    }
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(request_id = %id, %method, %path, status, elapsed_ms, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status, elapsed_ms, "request");
    }
    Ok(res)
}
