//! The committed contracts: the OpenAPI document and the GraphQL SDL, generated from the code.

use crate::graphql;
use crate::rest::openapi::ApiDoc;
use utoipa::OpenApi;

/// The OpenAPI 3.1 document, pretty JSON with a final newline (as committed and as served).
pub fn openapi_json() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

/// The GraphQL schema in SDL (as committed).
pub fn graphql_sdl() -> String {
    graphql::build_schema(&crate::config::Config::default()).sdl()
}
