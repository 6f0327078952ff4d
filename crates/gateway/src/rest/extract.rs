//! Extractors: JSON bodies with precise errors, the authenticated caller, page parameters.

use super::problem::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use crm_core::input::JsonInputError;
use crm_core::{Code, Ctx, Error, FieldError, PageRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The shared state of the app a request belongs to.
pub fn app_state(req: &HttpRequest) -> Result<AppState, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .map(|d| d.get_ref().clone())
        .ok_or_else(|| ApiError(Error::internal("application state missing")))
}

/// Whether a `Content-Type` is JSON (`application/json`, `application/merge-patch+json`, `*+json`).
fn is_json(req: &HttpRequest) -> bool {
    match req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(ct) => {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        }
    }
}

/// Reads the whole body, refusing it with 413 as soon as it passes `limit` bytes.
pub async fn read_body<S>(
    req: &HttpRequest,
    payload: &mut S,
    limit: usize,
) -> Result<Vec<u8>, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let too_large = || {
        ApiError::new(
            Code::PayloadTooLarge,
            format!("The request body is larger than {limit} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(Code::MalformedRequest, format!("Cannot read the body: {e}"))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads a JSON document by the input rules of [`crm_core::input`]: malformed JSON is a 400; a
/// duplicate key, a NUL character or an out-of-range year is a 422 naming the value.
pub fn parse_json_value(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    crm_core::input::parse_json(bytes).map_err(|e| match e {
        JsonInputError::Malformed(m) => ApiError::new(
            Code::MalformedRequest,
            format!("The body is not valid JSON: {m}"),
        ),
        JsonInputError::Invalid(fields) => ApiError(Error::validation(fields)),
    })
}

/// Parses JSON into `T`: malformed JSON is a 400; well-formed JSON that breaks the input rules
/// (duplicate key, NUL character, impossible year) or has the wrong shape (unknown field,
/// missing field, wrong type) is a 422 with a pointer to the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    from_value(parse_json_value(bytes)?).map_err(ApiError)
}

/// Deserializes a JSON value already read by the input rules into `T`: the wrong shape
/// (unknown field, missing field, wrong type) is a 422 with a pointer to the field.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut pointer = String::new();
        for segment in e.path().iter() {
            use serde_path_to_error::Segment;
            match segment {
                Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                Segment::Map { key } => {
                    pointer.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1")))
                }
                Segment::Enum { variant } => pointer.push_str(&format!("/{variant}")),
                Segment::Unknown => {}
            }
        }
        Error::validation(vec![shape_error(pointer, &e.into_inner().to_string())])
    })
}

/// Names the field of a serde shape error and classifies it.
fn shape_error(pointer: String, message: &str) -> FieldError {
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_owned);
    if let Some(rest) = message.strip_prefix("unknown field ") {
        // The path already ends at the unknown key.
        let field = quoted(rest).unwrap_or_default();
        let suffix = format!("/{}", field.replace('~', "~0").replace('/', "~1"));
        let pointer = if pointer.ends_with(&suffix) {
            pointer
        } else {
            pointer + &suffix
        };
        return FieldError::new(pointer, "unknown_field", "is not a field of this resource");
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = quoted(rest).unwrap_or_default();
        return FieldError::new(format!("{pointer}/{field}"), "required", "is required");
    }
    if message.starts_with("unknown variant") {
        return FieldError::new(pointer, "invalid_value", message.to_owned());
    }
    FieldError::new(pointer, "invalid_type", message.to_owned())
}

/// A JSON request body of type `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(ApiError::new(
                    Code::UnsupportedMediaType,
                    "Send the body as application/json",
                ));
            }
            let limit = app_state(&req)?.config.max_body_bytes;
            let bytes = read_body(&req, &mut payload, limit).await?;
            parse_json(&bytes).map(JsonBody)
        })
    }
}

/// The client's address: the TCP peer, or with `trust_forwarded_for` the first address of
/// `Forwarded` / `X-Forwarded-For` (set by the proxy in front).
pub fn client_ip(req: &HttpRequest) -> Option<std::net::IpAddr> {
    let trust = app_state(req)
        .map(|s| s.config.trust_forwarded_for)
        .unwrap_or(false);
    if trust
        && let Some(ip) = req
            .connection_info()
            .realip_remote_addr()
            .and_then(parse_ip)
    {
        return Some(ip);
    }
    req.peer_addr().map(|a| a.ip())
}

/// An address as `Forwarded`/`X-Forwarded-For` carry it: bare, with a port, or bracketed IPv6.
fn parse_ip(s: &str) -> Option<std::net::IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Ok(addr) = s.parse::<std::net::SocketAddr>() {
        return Some(addr.ip());
    }
    s.trim_start_matches('[')
        .split(']')
        .next()
        .and_then(|v| v.parse().ok())
}

/// The bearer credential of a request, if any.
pub fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        ApiError(Error::unauthenticated(
            "The Authorization header is not valid",
        ))
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(ApiError(Error::unauthenticated(
            "The Authorization header must be `Bearer <token>`",
        ))),
    }
}

/// The authenticated caller as an operation context; 401 without valid credentials.
pub struct Authenticated(pub Ctx);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            // Already authenticated for this request (by the rate limiter or the idempotency
            // middleware).
            let known = req.extensions().get::<crm_core::Actor>().cloned();
            if let Some(actor) = known {
                return Ok(Authenticated(
                    Ctx::new(state.db.clone(), actor).with_reads(state.reads.clone()),
                ));
            }
            let token = bearer(&req)?.ok_or_else(|| {
                ApiError(Error::unauthenticated(
                    "Send `Authorization: Bearer <access token or API key>`",
                ))
            })?;
            let actor = crm_identity::ops::authenticate(&state.db, &state.auth, &token).await?;
            Ok(Authenticated(
                Ctx::new(state.db.clone(), actor).with_reads(state.reads.clone()),
            ))
        })
    }
}

/// Page parameters of list endpoints.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 100 (default 25).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page (opaque, issued by the server).
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page request; a `limit` that is not a number is a 422 on `/limit`.
    pub fn into_request(self) -> Result<PageRequest, ApiError> {
        let limit = match self.limit {
            None => None,
            Some(s) => Some(s.parse::<u64>().map_err(|_| {
                ApiError(Error::invalid_field(
                    "/limit",
                    "invalid_type",
                    "must be a whole number from 1 to 100",
                ))
            })?),
        };
        Ok(PageRequest {
            limit,
            cursor: self.cursor,
            edge_cursors: false,
            bulk: false,
        })
    }
}

/// The error of an unparsable query string: 422 naming the parameter.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    let message = err.to_string();
    let field = message.split('`').nth(1).unwrap_or("").to_owned();
    let fe = if message.contains("unknown field") {
        FieldError::new(
            format!("/{field}"),
            "unknown_field",
            "is not a parameter of this endpoint",
        )
    } else {
        FieldError::new(format!("/{field}"), "invalid_type", message.clone())
    };
    ApiError(Error::validation(vec![fe])).into()
}

/// The error of an unparsable path segment (an id that is not a UUID): no such record.
pub fn path_error(_err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError(Error::not_found("Record")).into()
}

/// Checks the path (no encoded NUL) and every query parameter (name and value) by the input
/// rules of [`crm_core::input`] (no NUL character, no out-of-range year), before any handler
/// reads them: a 422 naming each parameter, as `/<name>`.
pub fn check_query(req: &HttpRequest) -> Result<(), ApiError> {
    if req.path().to_ascii_lowercase().contains("%00") {
        return Err(ApiError(Error::invalid_field(
            "/path",
            "invalid_character",
            "the path must not contain the NUL character (U+0000)",
        )));
    }
    let query = req.query_string();
    if query.is_empty() {
        return Ok(());
    }
    let Ok(pairs) = web::Query::<Vec<(String, String)>>::from_query(query) else {
        // Undecodable: the endpoint's own query extractor answers it.
        return Ok(());
    };
    let mut errors = Vec::new();
    for (name, value) in pairs.iter() {
        let pointer = format!("/{}", name.replace('~', "~0").replace('/', "~1"));
        if let Some(e) = crm_core::input::check_text(name, &pointer)
            .or_else(|| crm_core::input::check_text(value, &pointer))
        {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError(Error::validation(errors)))
    }
}
