//! Mapping operation errors onto GraphQL errors: the same codes as REST, in `extensions.code`.

use crate::rest::problem::current_request_id;
use async_graphql::{ErrorExtensions, Value};
use crm_core::{Code, Error};

/// The GraphQL error of an operation error: `message` is the detail; `extensions` carries
/// `code`, `status`, `requestId` and, for validation errors, `errors` (pointer, code, message).
pub fn gql(err: impl Into<Error>) -> async_graphql::Error {
    let err: Error = err.into();
    let request_id = current_request_id();
    if err.code == Code::Internal {
        tracing::error!(
            request_id = request_id.as_deref().unwrap_or("-"),
            error = %err,
            cause = ?err.source,
            "internal error"
        );
    }
    let fields = serde_json::to_value(&err.fields)
        .ok()
        .and_then(|v| Value::from_json(v).ok());
    async_graphql::Error::new(err.detail.clone()).extend_with(|_, ext| {
        ext.set("code", err.code.as_str());
        ext.set("status", err.code.status());
        if let Some(id) = &request_id {
            ext.set("requestId", id.as_str());
        }
        if !err.fields.is_empty()
            && let Some(fields) = &fields
        {
            ext.set("errors", fields.clone());
        }
    })
}

/// Shorthand: the result of an operation as a resolver result.
pub trait IntoGql<T> {
    /// Maps the error with [`gql`].
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<Error>> IntoGql<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(gql)
    }
}
