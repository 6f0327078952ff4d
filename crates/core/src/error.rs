//! The one error vocabulary of the CRM.
//!
//! Every failure any operation can report is an [`Error`] carrying a [`Code`] from one table:
//! a stable machine-readable string, the HTTP status REST answers with, and a human title.
//! REST renders it as RFC 9457 `application/problem+json`; GraphQL puts the same code string in
//! `extensions.code`. Internal causes are kept in `source` for the logs and never rendered.

use serde::Serialize;
use std::fmt;

/// Shorthand for results whose error is the CRM [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The code table: every error the API can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The request body or a parameter is not well-formed (for example malformed JSON).
    MalformedRequest,
    /// No credentials, or credentials that are not valid (unknown, expired, revoked, bad signature).
    Unauthenticated,
    /// Email or password do not match an active user.
    InvalidCredentials,
    /// The caller is authenticated but its role or scope may not do this.
    Forbidden,
    /// Self-service signup is switched off on this server.
    SignupDisabled,
    /// The record does not exist, is deleted, or belongs to another organization.
    NotFound,
    /// The path exists but not with this HTTP method.
    MethodNotAllowed,
    /// The request conflicts with the current state (for example a unique value already taken).
    Conflict,
    /// The record changed since the version the client holds (`If-Match` / `ifVersion`).
    PreconditionFailed,
    /// A change-feed cursor older than the event retention: events after it may be gone, so
    /// the client must start over (without a cursor) and resynchronise.
    CursorExpired,
    /// The request body is larger than the server accepts.
    PayloadTooLarge,
    /// The request body has a content type the endpoint does not accept.
    UnsupportedMediaType,
    /// A well-formed request breaks one or more rules; `errors` lists every broken field.
    ValidationFailed,
    /// An `Idempotency-Key` was reused with another request body.
    IdempotencyKeyReused,
    /// Too many requests; retry after the number of seconds in `Retry-After`.
    RateLimited,
    /// An unexpected failure on the server; the request id identifies it in the logs.
    Internal,
    /// The server is not ready to serve (starting, draining, its database is unreachable, or
    /// busy past its limits); retry after `Retry-After` when given.
    Unavailable,
    /// The GraphQL document is not valid: a syntax error, or a field, argument or variable the
    /// schema does not have or of the wrong type.
    GraphqlInvalid,
    /// The GraphQL selection nests deeper than the server allows (depth or recursion limit).
    QueryTooDeep,
    /// The GraphQL query is more complex than the server allows (complexity or directives).
    QueryTooComplex,
    /// A GraphQL batch holds more operations than the server allows, or none.
    BatchTooLarge,
}

impl Code {
    /// Every code, in table order (used for documentation and tests).
    pub const ALL: [Code; 21] = [
        Code::MalformedRequest,
        Code::Unauthenticated,
        Code::InvalidCredentials,
        Code::Forbidden,
        Code::SignupDisabled,
        Code::NotFound,
        Code::MethodNotAllowed,
        Code::Conflict,
        Code::PreconditionFailed,
        Code::CursorExpired,
        Code::PayloadTooLarge,
        Code::UnsupportedMediaType,
        Code::ValidationFailed,
        Code::IdempotencyKeyReused,
        Code::RateLimited,
        Code::Internal,
        Code::Unavailable,
        Code::GraphqlInvalid,
        Code::QueryTooDeep,
        Code::QueryTooComplex,
        Code::BatchTooLarge,
    ];

    /// The stable code string clients match on.
    pub fn as_str(self) -> &'static str {
        self.row().0
    }

    /// The HTTP status REST answers with.
    pub fn status(self) -> u16 {
        self.row().1
    }

    /// A short human-readable summary, identical for every occurrence of the code.
    pub fn title(self) -> &'static str {
        self.row().2
    }

    /// The problem `type` URI: a relative reference to the served description of the code.
    pub fn type_uri(self) -> String {
        format!("/errors/{}", self.as_str())
    }

    /// Looks a code up by its string.
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }

    fn row(self) -> (&'static str, u16, &'static str) {
        match self {
            Code::MalformedRequest => ("malformed_request", 400, "Malformed request"),
            Code::Unauthenticated => ("unauthenticated", 401, "Authentication required"),
            Code::InvalidCredentials => ("invalid_credentials", 401, "Invalid credentials"),
            Code::Forbidden => ("forbidden", 403, "Forbidden"),
            Code::SignupDisabled => ("signup_disabled", 403, "Signup is disabled"),
            Code::NotFound => ("not_found", 404, "Not found"),
            Code::MethodNotAllowed => ("method_not_allowed", 405, "Method not allowed"),
            Code::Conflict => ("conflict", 409, "Conflict"),
            Code::PreconditionFailed => ("precondition_failed", 412, "Precondition failed"),
            Code::CursorExpired => ("cursor_expired", 410, "Cursor expired"),
            Code::PayloadTooLarge => ("payload_too_large", 413, "Payload too large"),
            Code::UnsupportedMediaType => ("unsupported_media_type", 415, "Unsupported media type"),
            Code::ValidationFailed => ("validation_failed", 422, "Validation failed"),
            Code::IdempotencyKeyReused => (
                "idempotency_key_reused",
                422,
                "Idempotency key reused with another request",
            ),
            Code::RateLimited => ("rate_limited", 429, "Too many requests"),
            Code::Internal => ("internal", 500, "Internal server error"),
            Code::Unavailable => ("unavailable", 503, "Service unavailable"),
            Code::GraphqlInvalid => ("graphql_invalid", 400, "Invalid GraphQL document"),
            Code::QueryTooDeep => ("query_too_deep", 400, "GraphQL query nested too deep"),
            Code::QueryTooComplex => ("query_too_complex", 400, "GraphQL query too complex"),
            Code::BatchTooLarge => ("batch_too_large", 400, "GraphQL batch too large"),
        }
    }
}

impl Code {
    /// When the code is answered, and what a client does about it: the text of the code's
    /// page (`GET /errors/{code}`).
    pub fn help(self) -> (&'static str, &'static str) {
        match self {
            Code::MalformedRequest => (
                "The request could not be read: the body is not JSON (or not the JSON of a GraphQL request), or a parameter or header is not in its format.",
                "Send `Content-Type: application/json` with a well-formed JSON body; `detail` names what could not be read.",
            ),
            Code::Unauthenticated => (
                "No credentials, or credentials that are not valid: unknown, expired, revoked, badly signed, or the session of the token has ended (logout, password change, deactivation).",
                "Send `Authorization: Bearer <access token or API key>`; when an access token expired or its session ended, refresh it (`POST /api/v1/auth/refresh`) or sign in again.",
            ),
            Code::InvalidCredentials => (
                "The email and password do not match an active user. Unknown emails, wrong passwords and deactivated users answer alike.",
                "Check the email and password; after too many attempts the answer is `rate_limited`.",
            ),
            Code::Forbidden => (
                "The caller is authenticated, but its role (viewer, agent, manager, admin) or its API key's scope does not allow this operation.",
                "Ask an admin for a role that allows it (deleting and reassigning need manager, configuration and users need admin), or use a key with scope `read_write`.",
            ),
            Code::SignupDisabled => (
                "Self-service sign-up is switched off on this server.",
                "Ask an admin of an existing organization to create your user (`POST /api/v1/users`).",
            ),
            Code::NotFound => (
                "The record does not exist, is deleted, belongs to another organization, or was merged into another (then `merged_into` names it).",
                "Check the id; deleted records are listed at `/deleted` and brought back with `POST /{id}/restore`.",
            ),
            Code::MethodNotAllowed => (
                "The path exists, but not with this HTTP method.",
                "Use one of the methods the `Allow` header lists.",
            ),
            Code::Conflict => (
                "The request conflicts with the current state: a unique value (email, SKU, external id) is taken, a state change is not allowed from the record's state, or the organization would lose its last admin.",
                "Read `detail` (and `errors` for the field); fetch the record's current state and decide again.",
            ),
            Code::PreconditionFailed => (
                "The record changed since the version the client holds (`If-Match` or `ifVersion`); nothing was changed.",
                "Fetch the record again (its `ETag`/`version`), apply the change to it, and retry with the new version.",
            ),
            Code::CursorExpired => (
                "The change-feed cursor is older than the event retention (30 days by default): events after it may have been deleted.",
                "Read the feed again from the start (without `after`) and resynchronise; read more often than the retention.",
            ),
            Code::PayloadTooLarge => (
                "The request body is larger than the server accepts (1 MiB by default).",
                "Send less at once: split the write, or use the batch and import endpoints for large sets.",
            ),
            Code::UnsupportedMediaType => (
                "The request body has a content type the endpoint does not accept.",
                "Send JSON with `Content-Type: application/json` (or `application/merge-patch+json` for PATCH).",
            ),
            Code::ValidationFailed => (
                "The request is well-formed but breaks rules: `errors` lists every broken field with a JSON pointer, a rule code and a message (unknown fields, missing fields, wrong types, lengths, formats, ranges, too many digits, NUL characters, impossible dates, duplicate JSON keys).",
                "Fix each field that `errors` names and send the request again.",
            ),
            Code::IdempotencyKeyReused => (
                "An `Idempotency-Key` was used before with another request body (compared as JSON values).",
                "Use a new key for a new request; reuse a key only to retry the very same request.",
            ),
            Code::RateLimited => (
                "Too many requests: past a login, sign-up or request limit.",
                "Wait the number of seconds in `Retry-After` and retry.",
            ),
            Code::Internal => (
                "An unexpected failure on the server. Nothing internal is returned; the request id identifies the failure in the server's logs.",
                "Retry later (with the same `Idempotency-Key` for a POST, which is released after a server error); report the `request_id` if it persists.",
            ),
            Code::Unavailable => (
                "The server cannot serve now: it is starting or shutting down, its database is unreachable, or it is busy past its limits (for example checking passwords).",
                "Retry after `Retry-After` seconds (or shortly), preferably on another replica.",
            ),
            Code::GraphqlInvalid => (
                "The GraphQL document is not valid: a syntax error, or a field, argument, variable or type the schema does not have or of the wrong type.",
                "Check the document against the schema (`schema/crm.graphql`, or introspection outside production).",
            ),
            Code::QueryTooDeep => (
                "The GraphQL selection nests deeper than the server allows (`CRM_GRAPHQL_MAX_DEPTH`), or recurses too far through fragments.",
                "Select fewer levels in one request, and page nested lists separately.",
            ),
            Code::QueryTooComplex => (
                "The GraphQL query selects more than the server allows in one request (`CRM_GRAPHQL_MAX_COMPLEXITY`), or puts too many directives on a field.",
                "Ask for fewer fields or smaller pages (`first`), or split the query.",
            ),
            Code::BatchTooLarge => (
                "A GraphQL batch holds no operation, or more than the server allows (`CRM_GRAPHQL_MAX_BATCH`).",
                "Send between one and the allowed number of operations per batch.",
            ),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule of one field of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// JSON pointer (RFC 6901) to the field in the request body, or `/<name>` for a parameter.
    #[cfg_attr(feature = "openapi", schema(example = "/email"))]
    pub pointer: String,
    /// Machine-readable rule that failed, such as `email`, `length`, `required`, `unknown_field`.
    #[cfg_attr(feature = "openapi", schema(example = "email"))]
    pub code: String,
    /// Human-readable explanation.
    #[cfg_attr(feature = "openapi", schema(example = "must be a valid email address"))]
    pub message: String,
}

impl FieldError {
    /// A field error at `pointer` (a JSON pointer such as `/email`).
    pub fn new(
        pointer: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            pointer: pointer.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// A failure of an operation, ready to be rendered by any API face.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct Error {
    /// The entry of the code table.
    pub code: Code,
    /// Human-readable explanation specific to this occurrence (never internal details).
    pub detail: String,
    /// Every broken field, for [`Code::ValidationFailed`].
    pub fields: Vec<FieldError>,
    /// Seconds after which a retry may succeed, for [`Code::RateLimited`].
    pub retry_after: Option<u64>,
    /// Extra members of the problem document (such as `merged_into`), as a JSON object.
    pub meta: Option<serde_json::Value>,
    /// The internal cause, logged and never returned to clients.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// An error of `code` with an explanation for the client.
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            fields: Vec::new(),
            retry_after: None,
            meta: None,
            source: None,
        }
    }

    /// The record was not found (or is not visible to the caller's organization).
    pub fn not_found(what: &str) -> Self {
        Self::new(Code::NotFound, format!("{what} not found"))
    }

    /// The caller may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(Code::Forbidden, detail)
    }

    /// Authentication is missing or invalid.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(Code::Unauthenticated, detail)
    }

    /// A conflict with existing state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(Code::Conflict, detail)
    }

    /// A validation failure listing every broken field.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let detail = match fields.len() {
            1 => "1 field is invalid".to_owned(),
            n => format!("{n} fields are invalid"),
        };
        Self {
            fields,
            ..Self::new(Code::ValidationFailed, detail)
        }
    }

    /// A validation failure of one field.
    pub fn invalid_field(pointer: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(pointer, code, message)])
    }

    /// An unexpected internal failure; `cause` goes to the logs only.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: Some(cause.into()),
            ..Self::new(Code::Internal, "An unexpected error occurred")
        }
    }

    /// Rate limited, retry after `seconds`.
    pub fn rate_limited(seconds: u64) -> Self {
        Self {
            retry_after: Some(seconds),
            ..Self::new(
                Code::RateLimited,
                format!("Too many requests, retry in {seconds} s"),
            )
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Self {
                source: Some(Box::new(err)),
                ..Self::conflict("A record with the same unique value already exists")
            },
            _ => Self::internal(err),
        }
    }
}

impl From<sea_orm::TransactionError<Error>> for Error {
    fn from(err: sea_orm::TransactionError<Error>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_strings_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert_eq!(Code::parse(code.as_str()), Some(code));
            assert!((400..600).contains(&code.status()));
            let (when, fix) = code.help();
            assert!(when.len() > 20 && fix.len() > 20, "{code} is explained");
        }
    }

    #[test]
    fn validation_lists_fields() {
        let e = Error::validation(vec![
            FieldError::new("/a", "x", "m"),
            FieldError::new("/b", "y", "n"),
        ]);
        assert_eq!(e.code, Code::ValidationFailed);
        assert_eq!(e.fields.len(), 2);
        assert_eq!(e.detail, "2 fields are invalid");
    }
}
