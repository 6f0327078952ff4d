//! RFC 9457 problem details: how every REST error is rendered.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use crm_core::{Code, Error, FieldError};
use serde::Serialize;

tokio::task_local! {
    /// The id of the request being served (set by the request middleware).
    pub static REQUEST_ID: String;
}

/// The id of the request being served, when called while serving one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// An RFC 9457 problem document (`application/problem+json`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// URI reference identifying the problem type: `/errors/<code>` describes it.
    #[serde(rename = "type")]
    #[schema(example = "/errors/validation_failed")]
    pub type_uri: String,
    /// Short summary of the problem type.
    #[schema(example = "Validation failed")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// Explanation specific to this occurrence.
    #[schema(example = "1 field is invalid")]
    pub detail: String,
    /// Stable machine-readable code, the same as GraphQL's `extensions.code`.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// The id of the request (also in the `X-Request-Id` header); quote it when reporting.
    pub request_id: Option<String>,
    /// Every broken field, for `validation_failed` (empty otherwise).
    pub errors: Vec<FieldError>,
}

impl Problem {
    /// The problem document of `err`.
    pub fn of(err: &Error, request_id: Option<String>) -> Self {
        Self {
            type_uri: err.code.type_uri(),
            title: err.code.title().to_owned(),
            status: err.code.status(),
            detail: err.detail.clone(),
            code: err.code.as_str().to_owned(),
            request_id,
            errors: err.fields.clone(),
        }
    }
}

/// The REST face of [`crm_core::Error`].
#[derive(Debug)]
pub struct ApiError(pub Error);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl From<crm_identity::IdentityError> for ApiError {
    fn from(e: crm_identity::IdentityError) -> Self {
        Self(e.into())
    }
}

impl From<crm_customers::CustomersError> for ApiError {
    fn from(e: crm_customers::CustomersError) -> Self {
        Self(e.into())
    }
}

impl From<crm_interactions::InteractionsError> for ApiError {
    fn from(e: crm_interactions::InteractionsError) -> Self {
        Self(e.into())
    }
}

impl From<crm_sales::SalesError> for ApiError {
    fn from(e: crm_sales::SalesError) -> Self {
        Self(e.into())
    }
}

impl From<crm_integration::IntegrationError> for ApiError {
    fn from(e: crm_integration::IntegrationError) -> Self {
        Self(e.into())
    }
}

impl From<crm_analytics::AnalyticsError> for ApiError {
    fn from(e: crm_analytics::AnalyticsError) -> Self {
        ApiError(e.into())
    }
}

impl From<crm_worker::WorkerError> for ApiError {
    fn from(e: crm_worker::WorkerError) -> Self {
        Self(e.into())
    }
}

impl ApiError {
    /// Shorthand for an error of `code`.
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Self(Error::new(code, detail))
    }
}

/// Renders `err` as a problem response for the request `request_id`.
pub fn render(err: &Error, request_id: Option<String>) -> HttpResponse {
    if err.code == Code::Internal {
        tracing::error!(
            request_id = request_id.as_deref().unwrap_or("-"),
            error = %err,
            cause = ?err.source,
            "internal error"
        );
    }
    let status =
        StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = HttpResponse::build(status);
    res.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    ));
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
    }
    if let Some(secs) = err.retry_after {
        res.insert_header((header::RETRY_AFTER, secs.to_string()));
        if err.code == Code::RateLimited {
            // The sign-in limits (per address, per email); the general limit adds its own.
            res.insert_header(("RateLimit", format!("\"auth\";r=0;t={secs}")));
        }
    }
    let mut body = serde_json::to_value(Problem::of(err, request_id)).unwrap_or_default();
    if let (Some(serde_json::Value::Object(extra)), Some(obj)) = (&err.meta, body.as_object_mut()) {
        for (k, v) in extra {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    res.body(body.to_string())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        render(&self.0, current_request_id())
    }
}
