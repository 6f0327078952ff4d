//! `/api/v1/webhooks`: the organization's webhook endpoints, for admins (see docs/webhooks.md):
//! CRUD, secret rotation, deliveries with their attempts, re-sending one, replaying a range.

use super::extract::{Authenticated, JsonBody, PageQuery};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use crate::state::AppState;
use actix_web::HttpResponse;
use actix_web::web::{self, Data, Json, Path, Query};
use crm_core::{Error, Page};
use crm_integration::IntegrationError;
use crm_integration::webhooks::{
    DeliveryState, NewWebhook, Webhook, WebhookDelivery, WebhookDeliveryDetail, WebhookPatch,
    WebhookReplay, WebhookReplayResult, WebhookWithSecret, Webhooks, ops,
};
use serde::Deserialize;
use uuid::Uuid;

/// The routes, registered under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/webhooks/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    )
    .service(web::resource("/webhooks/{id}/rotate-secret").route(web::post().to(rotate_secret)))
    .service(web::resource("/webhooks/{id}/replay").route(web::post().to(replay)))
    .service(web::resource("/webhooks/{id}/deliveries").route(web::get().to(deliveries)))
    .service(
        web::resource("/webhooks/{id}/deliveries/{delivery_id}").route(web::get().to(delivery)),
    )
    .service(
        web::resource("/webhooks/{id}/deliveries/{delivery_id}/redeliver")
            .route(web::post().to(redeliver)),
    );
}

fn api(e: IntegrationError) -> ApiError {
    ApiError(Error::from(e))
}

fn hooks(state: &AppState) -> Webhooks {
    Webhooks::new(state.config.webhook_settings())
}

/// Lists the organization's webhook endpoints, newest first (admins only).
#[utoipa::path(get, operation_id = "listWebhooks", path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of endpoints", body = Page<Webhook>), ReadErrors))]
pub async fn list(
    auth: Authenticated,
    query: Query<PageQuery>,
) -> Result<Json<Page<Webhook>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(ops::list_webhooks(&auth.0, &page).await.map_err(api)?))
}

/// Creates a webhook endpoint (admins only). The answer carries its signing `secret`, shown
/// only now. The URL must be `https` in production and resolve to public addresses only.
#[utoipa::path(post, operation_id = "createWebhook", path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = NewWebhook,
    responses((status = 201, description = "The endpoint, with its secret", body = WebhookWithSecret), WriteErrors))]
pub async fn create(
    auth: Authenticated,
    state: Data<AppState>,
    body: JsonBody<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    let created = ops::create_webhook(&auth.0, &hooks(&state), body.0)
        .await
        .map_err(api)?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/webhooks/{}", created.webhook.id),
        ))
        .json(created))
}

/// One webhook endpoint (admins only; without its secret).
#[utoipa::path(get, operation_id = "getWebhook", path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint", body = Webhook), ReadErrors))]
pub async fn get(auth: Authenticated, id: Path<Uuid>) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(
        ops::get_webhook(&auth.0, id.into_inner())
            .await
            .map_err(api)?,
    ))
}

/// Changes a webhook endpoint (admins only): URL, description, event types, enabled.
/// Enabling a disabled one sends its pending deliveries again.
#[utoipa::path(patch, operation_id = "updateWebhook", path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    request_body = WebhookPatch,
    responses((status = 200, description = "The endpoint", body = Webhook), WriteErrors))]
pub async fn update(
    auth: Authenticated,
    state: Data<AppState>,
    id: Path<Uuid>,
    body: JsonBody<WebhookPatch>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(
        ops::update_webhook(&auth.0, &hooks(&state), id.into_inner(), body.0)
            .await
            .map_err(api)?,
    ))
}

/// Deletes a webhook endpoint with its delivery log (admins only).
#[utoipa::path(delete, operation_id = "deleteWebhook", path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 204, description = "Deleted"), WriteErrors))]
pub async fn delete(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ops::delete_webhook(&auth.0, id.into_inner())
        .await
        .map_err(api)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replaces the signing secret (admins only). The old one keeps signing for 24 hours: each
/// message then carries both signatures. The answer shows the new secret, only now.
#[utoipa::path(post, operation_id = "rotateWebhookSecret", path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint, with its new secret", body = WebhookWithSecret), WriteErrors))]
pub async fn rotate_secret(
    auth: Authenticated,
    state: Data<AppState>,
    id: Path<Uuid>,
) -> Result<Json<WebhookWithSecret>, ApiError> {
    Ok(Json(
        ops::rotate_secret(&auth.0, &hooks(&state), id.into_inner())
            .await
            .map_err(api)?,
    ))
}

/// Sends again every event of `[from, to)` still kept by the change feed that matches the
/// endpoint's event types, in their order (admins only; at most 10,000 events).
#[utoipa::path(post, operation_id = "replayWebhook", path = "/api/v1/webhooks/{id}/replay", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    request_body = WebhookReplay,
    responses((status = 202, description = "Deliveries queued", body = WebhookReplayResult), WriteErrors))]
pub async fn replay(
    auth: Authenticated,
    id: Path<Uuid>,
    body: JsonBody<WebhookReplay>,
) -> Result<HttpResponse, ApiError> {
    let result = ops::replay(&auth.0, id.into_inner(), body.0)
        .await
        .map_err(api)?;
    Ok(HttpResponse::Accepted().json(result))
}

/// Delivery list parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListQuery {
    /// Items per page, 1 to 100 (default 25).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page (opaque, issued by the server).
    #[param(min_length = 1)]
    pub cursor: Option<String>,
    /// Only deliveries in this state.
    #[param(value_type = Option<DeliveryState>)]
    pub state: Option<String>,
}

/// The endpoint's deliveries, newest first (admins only).
#[utoipa::path(get, operation_id = "listWebhookDeliveries", path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id"), DeliveryListQuery),
    responses((status = 200, description = "A page of deliveries", body = Page<WebhookDelivery>), ReadErrors))]
pub async fn deliveries(
    auth: Authenticated,
    id: Path<Uuid>,
    query: Query<DeliveryListQuery>,
) -> Result<Json<Page<WebhookDelivery>>, ApiError> {
    let q = query.into_inner();
    let state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(DeliveryState::parse(s).ok_or_else(|| {
            ApiError(Error::invalid_field(
                "/state",
                "invalid_value",
                "must be pending, succeeded or failed",
            ))
        })?),
    };
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .into_request()?;
    Ok(Json(
        ops::list_deliveries(&auth.0, id.into_inner(), state, &page)
            .await
            .map_err(api)?,
    ))
}

/// One delivery with the message sent and every attempt (admins only).
#[utoipa::path(get, operation_id = "getWebhookDelivery", path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id"), ("delivery_id" = Uuid, Path, description = "The delivery's id")),
    responses((status = 200, description = "The delivery", body = WebhookDeliveryDetail), ReadErrors))]
pub async fn delivery(
    auth: Authenticated,
    path: Path<(Uuid, Uuid)>,
) -> Result<Json<WebhookDeliveryDetail>, ApiError> {
    let (id, delivery_id) = path.into_inner();
    Ok(Json(
        ops::get_delivery(&auth.0, id, delivery_id)
            .await
            .map_err(api)?,
    ))
}

/// Sends one delivery's message again, as a new delivery with the same `webhook-id`
/// (admins only).
#[utoipa::path(post, operation_id = "redeliverWebhookDelivery", path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id"), ("delivery_id" = Uuid, Path, description = "The delivery's id")),
    responses((status = 202, description = "The new delivery, queued", body = WebhookDelivery), WriteErrors))]
pub async fn redeliver(
    auth: Authenticated,
    path: Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery_id) = path.into_inner();
    let d = ops::redeliver(&auth.0, id, delivery_id)
        .await
        .map_err(api)?;
    Ok(HttpResponse::Accepted().json(d))
}
