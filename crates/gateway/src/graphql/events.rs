//! The change feed in GraphQL: the same operation as `GET /api/v1/events` (no long-poll here;
//! subscriptions will come later).

use super::error::gql;
use super::query::caller;
use crate::state::AppState;
use async_graphql::{Context, Object};
use crm_core::Error;
use crm_integration::{EventPage, EventQuery, list_events};

/// Change feed queries.
#[derive(Default)]
pub struct EventsQuery;

#[Object]
impl EventsQuery {
    /// The organization's domain events in commit order, after the cursor `after` (a
    /// `nextCursor`); `types` takes patterns such as `contact.*`, `deal.updated` or `*`;
    /// `first` is 1 to 1000 (default 100). Resuming from `nextCursor` never skips an event; a
    /// cursor older than the retention fails with `cursor_expired`.
    async fn events(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        types: Option<Vec<String>>,
        first: Option<i32>,
    ) -> async_graphql::Result<EventPage> {
        let caller = caller(ctx)?;
        let state = ctx.data::<AppState>()?;
        let limit = match first {
            None => None,
            Some(n) => Some(u64::try_from(n).map_err(|_| {
                gql(Error::invalid_field(
                    "/first",
                    "out_of_range",
                    "must be from 1 to 1000",
                ))
            })?),
        };
        let query = EventQuery {
            after,
            types: types.unwrap_or_default(),
            limit,
            wait: None,
        };
        list_events(caller, &state.feed, &query)
            .await
            .map_err(|e| gql(Error::from(e)))
    }
}
