//! Webhook resolvers (the same operations as `/api/v1/webhooks`, for admins): endpoints, their
//! deliveries with every attempt, secret rotation, re-sending one delivery, replaying a range.

use super::connection::{connection, page_request};
use super::error::{IntoGql, gql};
use super::query::{caller, parse_id};
use crate::state::AppState;
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};
use crm_core::{Code, Error};
use crm_integration::webhooks::{
    DeliveryState, NewWebhook, Webhook, WebhookDelivery, WebhookDeliveryDetail, WebhookPatch,
    WebhookReplay, WebhookReplayResult, WebhookWithSecret, Webhooks, ops,
};
use uuid::Uuid;

fn hooks(ctx: &Context<'_>) -> async_graphql::Result<Webhooks> {
    let state = ctx
        .data::<AppState>()
        .map_err(|_| gql(Error::internal("application state missing")))?;
    Ok(Webhooks::new(state.config.webhook_settings()))
}

fn webhook_id(id: &ID) -> async_graphql::Result<Uuid> {
    parse_id(id).ok_or_else(|| gql(Error::not_found("Webhook")))
}

/// `Some(found)`, or `None` for a not-found error: the single reads answer `null`.
fn or_none<T>(r: Result<T, Error>) -> async_graphql::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code == Code::NotFound => Ok(None),
        Err(e) => Err(gql(e)),
    }
}

/// Webhook queries.
#[derive(Default)]
pub struct WebhooksQuery;

#[Object]
impl WebhooksQuery {
    /// The organization's webhook endpoints, newest first (admins only).
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Webhook>> {
        let has_previous = after.is_some();
        let page = ops::list_webhooks(caller(ctx)?, &page_request(first, after))
            .await
            .gql()?;
        Ok(connection(page, has_previous))
    }

    /// One webhook endpoint (admins only); `null` when there is none with this id.
    async fn webhook(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Webhook>> {
        let caller = caller(ctx)?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        or_none(ops::get_webhook(caller, id).await.map_err(Error::from))
    }

    /// An endpoint's deliveries, newest first, optionally in one state (admins only).
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        webhook_id: ID,
        state: Option<DeliveryState>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, WebhookDelivery>> {
        let has_previous = after.is_some();
        let id = self::webhook_id(&webhook_id)?;
        let page = ops::list_deliveries(caller(ctx)?, id, state, &page_request(first, after))
            .await
            .gql()?;
        Ok(connection(page, has_previous))
    }

    /// One delivery with the message sent and every attempt (admins only); `null` when the
    /// endpoint has none with this id.
    async fn webhook_delivery(
        &self,
        ctx: &Context<'_>,
        webhook_id: ID,
        id: ID,
    ) -> async_graphql::Result<Option<WebhookDeliveryDetail>> {
        let caller = caller(ctx)?;
        let (Some(hook), Some(id)) = (parse_id(&webhook_id), parse_id(&id)) else {
            return Ok(None);
        };
        or_none(
            ops::get_delivery(caller, hook, id)
                .await
                .map_err(Error::from),
        )
    }
}

/// Webhook mutations.
#[derive(Default)]
pub struct WebhooksMutation;

#[Object]
impl WebhooksMutation {
    /// Creates a webhook endpoint (admins only); the answer carries its signing `secret`,
    /// shown only now. The URL must be `https` in production and resolve to public addresses.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        input: NewWebhook,
    ) -> async_graphql::Result<WebhookWithSecret> {
        ops::create_webhook(caller(ctx)?, &hooks(ctx)?, input)
            .await
            .gql()
    }

    /// Changes an endpoint (admins only); absent fields stay. Enabling one clears why it was
    /// disabled; its pending deliveries go out again.
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: WebhookPatch,
    ) -> async_graphql::Result<Webhook> {
        ops::update_webhook(caller(ctx)?, &hooks(ctx)?, webhook_id(&id)?, input)
            .await
            .gql()
    }

    /// Deletes an endpoint and its deliveries (admins only); always `true`.
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        ops::delete_webhook(caller(ctx)?, webhook_id(&id)?)
            .await
            .gql()?;
        Ok(true)
    }

    /// Gives an endpoint a new signing secret (admins only), answered once; the old one keeps
    /// signing, as a second signature, for 24 hours.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookWithSecret> {
        ops::rotate_secret(caller(ctx)?, &hooks(ctx)?, webhook_id(&id)?)
            .await
            .gql()
    }

    /// Sends the endpoint's events of a time range again (admins only), as new deliveries.
    async fn replay_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: WebhookReplay,
    ) -> async_graphql::Result<WebhookReplayResult> {
        ops::replay(caller(ctx)?, webhook_id(&id)?, input)
            .await
            .gql()
    }

    /// Sends one delivery's message again (admins only), as a new delivery.
    async fn redeliver_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        webhook_id: ID,
        id: ID,
    ) -> async_graphql::Result<WebhookDelivery> {
        let hook = self::webhook_id(&webhook_id)?;
        let id = parse_id(&id).ok_or_else(|| gql(Error::not_found("Delivery")))?;
        ops::redeliver(caller(ctx)?, hook, id).await.gql()
    }
}
