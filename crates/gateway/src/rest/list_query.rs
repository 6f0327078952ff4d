//! Documentation and extraction of list parameters.

use super::problem::ApiError;
use actix_web::HttpRequest;
use crm_core::list::ListParams;

/// The documented list parameters; filters (`field=v`, `field[op]=v`, `custom.<key>[op]=v`) are
/// described on each list operation.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListQueryDoc {
    /// Items per page, 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// The `next_cursor` of the previous page (opaque, issued by the server).
    #[param(min_length = 1)]
    cursor: Option<String>,
    /// Sort keys separated by commas, `-` for descending, such as `-updated_at,last_name`.
    sort: Option<String>,
    /// Full-text search (prefix match on every word; a phone number written in groups also
    /// matches as one number).
    q: Option<String>,
}

/// The list parameters of a request: the reserved ones and every filter.
pub fn list_params(req: &HttpRequest) -> Result<ListParams, ApiError> {
    Ok(ListParams::from_pairs(query_pairs(req)?)?)
}

/// The query string's pairs, in order.
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .map_err(|e| {
            ApiError::new(
                crm_core::Code::MalformedRequest,
                format!("The query string is malformed: {e}"),
            )
        })
}
