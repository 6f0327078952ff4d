//! The change feed in GraphQL: the same operation as `GET /api/v1/events`, and the
//! subscription that follows it as it grows.

use super::error::gql;
use super::query::caller;
use crate::state::AppState;
use async_graphql::{Context, Object, Subscription};
use crm_core::Error;
use crm_integration::follow::follow;
use crm_integration::{Event, EventPage, EventQuery, list_events};
use futures_util::{Stream, StreamExt};

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

/// How often a subscription checks that its credential still holds (a signed-out session, a
/// deactivated user, a revoked key or an expired access token ends it).
const RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// The credential a websocket connection authenticated with, kept to check it again.
#[derive(Debug, Clone)]
pub struct Credential(pub String);

/// Change feed subscriptions (over `graphql-transport-ws` at `/graphql/ws`).
#[derive(Default)]
pub struct EventsSubscription;

#[Subscription]
impl EventsSubscription {
    /// The organization's domain events as they commit, by any user on any replica, in commit
    /// order: from now, or after the feed cursor `after` (a `nextCursor` of `events`, to resume
    /// without a gap). `types` takes patterns such as `contact.*`, `deal.updated` or `*`. The
    /// subscription ends with an `unauthenticated` error once the connection's credential no
    /// longer holds (its session ended, its access token expired, its key was revoked): connect
    /// again with a fresh one and resume from the last event's position through `events`.
    async fn events(
        &self,
        ctx: &Context<'_>,
        types: Option<Vec<String>>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Event>> + use<>> {
        let caller = caller(ctx)?.clone();
        let state = ctx.data::<AppState>()?.clone();
        let credential = ctx.data_opt::<Credential>().cloned();
        let events = follow(
            caller.clone(),
            (*state.feed).clone(),
            &types.unwrap_or_default(),
            after.as_deref(),
        )
        .await
        .map_err(|e| gql(Error::from(e)))?;
        let checked = tokio::time::Instant::now();
        let stream = futures_util::stream::unfold(
            (Box::pin(events), checked, false),
            move |(mut events, mut checked, ended)| {
                let (state, credential) = (state.clone(), credential.clone());
                async move {
                    if ended {
                        return None;
                    }
                    let item = events.next().await?;
                    if let Some(Credential(token)) = &credential
                        && checked.elapsed() >= RECHECK
                    {
                        if let Err(e) =
                            crm_identity::ops::authenticate(&state.db, &state.auth, token).await
                        {
                            return Some((Err(gql(Error::from(e))), (events, checked, true)));
                        }
                        checked = tokio::time::Instant::now();
                    }
                    let item = item.map_err(|e| gql(Error::from(e)));
                    Some((item, (events, checked, false)))
                }
            },
        );
        Ok(stream)
    }
}
