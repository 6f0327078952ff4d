//! `/api/v1/events`: the organization's change feed, in commit order, from a resumable cursor.

use super::extract::Authenticated;
use super::openapi::FeedErrors;
use super::problem::ApiError;
use crate::state::AppState;
use actix_web::web::{Data, Json, Query};
use crm_core::Error;
use crm_integration::{EventPage, EventQuery, list_events};
use serde::Deserialize;

/// Change feed parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    /// The `next_cursor` of the previous page (opaque); without it the feed starts at the
    /// oldest event kept.
    #[param(min_length = 1)]
    pub after: Option<String>,
    /// Comma-separated type patterns: exact names (`deal.updated`), prefixes (`contact.*`) or
    /// `*`; at most 20. Without it every type.
    #[param(
        min_length = 1,
        example = "contact.*,deal.updated",
        pattern = r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)(,(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?))*$"
    )]
    pub types: Option<String>,
    /// Events per page, 1 to 1000 (default 100).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Seconds to wait for an event when none is there yet, 0 to 60 (default 0): the answer
    /// comes as soon as one is committed, or empty when the wait is over.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 60)]
    pub wait: Option<String>,
}

fn number(value: Option<String>, pointer: &str, rule: &str) -> Result<Option<u64>, ApiError> {
    value
        .map(|s| {
            s.parse::<u64>()
                .map_err(|_| ApiError(Error::invalid_field(pointer, "invalid_type", rule)))
        })
        .transpose()
}

impl EventListQuery {
    fn into_query(self) -> Result<EventQuery, ApiError> {
        Ok(EventQuery {
            limit: number(
                self.limit,
                "/limit",
                "must be a whole number from 1 to 1000",
            )?,
            wait: number(
                self.wait,
                "/wait",
                "must be a whole number of seconds from 0 to 60",
            )?,
            types: self
                .types
                .map(|t| t.split(',').map(|p| p.trim().to_owned()).collect())
                .unwrap_or_default(),
            after: self.after,
        })
    }
}

/// The organization's domain events in commit order, after the cursor `after` (any member or
/// API key that may read). Resuming from `next_cursor` never skips an event, even one whose
/// transaction committed after a later one; with `wait` an empty answer is held until an
/// event arrives. A cursor older than the retention (30 days by default) is a 410.
#[utoipa::path(get, operation_id = "listEvents", path = "/api/v1/events", tag = "events", security(("bearer" = [])),
    params(EventListQuery),
    responses((status = 200, description = "A page of events", body = EventPage), FeedErrors))]
pub async fn list(
    auth: Authenticated,
    state: Data<AppState>,
    query: Query<EventListQuery>,
) -> Result<Json<EventPage>, ApiError> {
    let query = query.into_inner().into_query()?;
    let page = list_events(&auth.0, &state.feed, &query)
        .await
        .map_err(Error::from)?;
    Ok(Json(page))
}
