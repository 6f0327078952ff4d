//! CORS for browser front ends served from other origins (`cors_origins` in the configuration).

use actix_cors::Cors;
use actix_web::http::{Method, header};
use actix_web::middleware::Condition;

/// Request headers a browser may send cross-origin, besides the CORS-safelisted ones.
const ALLOWED_HEADERS: [&str; 6] = [
    "authorization",
    "content-type",
    "idempotency-key",
    "if-match",
    "if-none-match",
    "x-request-id",
];

/// Response headers a cross-origin script may read, besides the CORS-safelisted ones.
const EXPOSED_HEADERS: [&str; 7] = [
    "etag",
    "location",
    "x-request-id",
    "ratelimit",
    "ratelimit-policy",
    "retry-after",
    "idempotent-replayed",
];

/// How long a browser may reuse a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE_SECS: usize = 3600;

/// The CORS middleware for `origins` (already validated by the configuration); with none, it is
/// off and adds no header at all. `*` allows any origin. Credentials (cookies) are never
/// allowed: the API authenticates with bearer tokens, which a script sends explicitly.
pub fn middleware(origins: &[String]) -> Condition<Cors> {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers(ALLOWED_HEADERS.map(header::HeaderName::from_static))
        .expose_headers(EXPOSED_HEADERS.map(header::HeaderName::from_static))
        .max_age(PREFLIGHT_MAX_AGE_SECS);
    if origins.iter().any(|o| o == "*") {
        cors = cors.allow_any_origin().send_wildcard();
    } else {
        for origin in origins {
            cors = cors.allowed_origin(origin);
        }
    }
    Condition::new(!origins.is_empty(), cors)
}
