//! ETags of versioned records: `"<version>"`; `If-Match` turns into the version a write expects.

use super::problem::ApiError;
use actix_web::HttpRequest;
use actix_web::http::header;
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
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| {
            ApiError::new(
                Code::PreconditionFailed,
                "If-Match does not name a version of this record",
            )
        })
}
