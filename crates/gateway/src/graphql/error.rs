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

/// The code of an error async-graphql raised itself (parsing, validation, limits), which carries
/// no `extensions.code` of ours.
fn builtin_code(message: &str) -> Code {
    if message == "Query is nested too deep."
        || message.starts_with("The recursion depth of the query cannot be greater than")
        || message.starts_with("recursion limit exceeded")
    {
        Code::QueryTooDeep
    } else if message == "Query is too complex."
        || message.starts_with("The number of directives on the field")
    {
        Code::QueryTooComplex
    } else {
        Code::GraphqlInvalid
    }
}

/// Gives every error of `response` an `extensions.code` (and `status`, `requestId`): the errors
/// our resolvers raise have them already; those async-graphql raises (syntax, validation,
/// depth, complexity, recursion, directives) get one from the code table here.
pub fn classify(response: &mut async_graphql::Response) {
    let request_id = current_request_id();
    for error in &mut response.errors {
        let ext = error.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_some() {
            continue;
        }
        let code = builtin_code(&error.message);
        ext.set("code", code.as_str());
        ext.set("status", code.status());
        if let Some(id) = &request_id {
            ext.set("requestId", id.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_errors_get_their_codes() {
        assert_eq!(
            builtin_code("Query is nested too deep."),
            Code::QueryTooDeep
        );
        assert_eq!(
            builtin_code("The recursion depth of the query cannot be greater than `64`"),
            Code::QueryTooDeep
        );
        assert_eq!(
            builtin_code("recursion limit exceeded."),
            Code::QueryTooDeep
        );
        assert_eq!(builtin_code("Query is too complex."), Code::QueryTooComplex);
        assert_eq!(
            builtin_code("The number of directives on the field `a` cannot be greater than `16`"),
            Code::QueryTooComplex
        );
        assert_eq!(
            builtin_code("Unknown field \"nope\" on type \"Query\"."),
            Code::GraphqlInvalid
        );
    }
}
