//! ETags of versioned records: `"<version>"` (`"<version>.<stamp>"` where computed data shows
//! too, see `Versioned::etag`); `If-Match` turns into the version a write expects;
//! `If-None-Match` on a read answers `304 Not Modified` when the client's copy is current.

use super::problem::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use crm_core::Code;

/// The ETag of a record at `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version `If-Match` demands: none without the header or with `*`; a value that names no
/// version can never match (412).
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("").trim();
    if value == "*" {
        return Ok(None);
    }
    // `"<version>.<stamp>"` names the version before the dot (the stamp is digits).
    let tag = value.trim_start_matches("W/").trim_matches('"');
    let version = match tag.split_once('.') {
        Some((v, stamp)) if !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit()) => v,
        Some(_) => "",
        None => tag,
    };
    version.parse::<i64>().map(Some).map_err(|_| {
        ApiError::new(
            Code::PreconditionFailed,
            "If-Match does not name a version of this record",
        )
    })
}

/// The opaque part of each entity tag in an `If-None-Match` list (`W/` dropped: the comparison
/// is weak), or `None` for `*`.
fn listed_tags(value: &str) -> Option<Vec<&str>> {
    if value.trim() == "*" {
        return None;
    }
    let mut tags = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        tags.push(&after[..end]);
        rest = &after[end + 1..];
    }
    Some(tags)
}

/// Whether `If-None-Match: <condition>` matches a response tagged `etag` (weak comparison,
/// RFC 9110 section 13.1.2).
fn none_match_fails(condition: &HeaderValue, etag: &HeaderValue) -> bool {
    let (Ok(condition), Ok(etag)) = (condition.to_str(), etag.to_str()) else {
        return false;
    };
    let etag = etag.trim().trim_start_matches("W/").trim_matches('"');
    match listed_tags(condition) {
        None => true,
        Some(tags) => tags.contains(&etag),
    }
}

/// Representation metadata a 304 leaves out (RFC 9110 section 15.4.5): it has no content.
const CONTENT_HEADERS: [header::HeaderName; 5] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::CONTENT_RANGE,
];

/// Answers a `GET` or `HEAD` whose `If-None-Match` names the `ETag` of its successful response
/// with `304 Not Modified` and no body, keeping the other headers (`ETag`, `Cache-Control`,
/// `Vary`, ...). Works for every route that sends an `ETag`, whatever produced it.
pub async fn not_modified(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let condition = if matches!(*req.method(), Method::GET | Method::HEAD) {
        req.headers().get(header::IF_NONE_MATCH).cloned()
    } else {
        None
    };
    let res = next.call(req).await?;
    let current = match (&condition, res.headers().get(header::ETAG)) {
        (Some(condition), Some(etag)) if res.status() == StatusCode::OK => {
            none_match_fails(condition, etag)
        }
        _ => false,
    };
    if !current {
        return Ok(res.map_into_left_body());
    }
    let (req, full) = res.into_parts();
    let mut short = HttpResponse::NotModified().finish();
    for (name, value) in full.headers() {
        if !CONTENT_HEADERS.contains(name) {
            short.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, short).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails(condition: &str, etag: &str) -> bool {
        none_match_fails(
            &HeaderValue::from_str(condition).unwrap(),
            &HeaderValue::from_str(etag).unwrap(),
        )
    }

    #[test]
    fn if_none_match_compares_weakly_over_the_list() {
        assert!(fails("\"3\"", "\"3\""));
        assert!(fails("W/\"3\"", "\"3\""));
        assert!(fails("\"1\", \"3\"", "W/\"3\""));
        assert!(fails("*", "\"3\""));
        assert!(!fails("\"4\"", "\"3\""));
        assert!(!fails("\"33\"", "\"3\""));
        assert!(!fails("3", "\"3\""));
        assert!(!fails("", "\"3\""));
    }
}
