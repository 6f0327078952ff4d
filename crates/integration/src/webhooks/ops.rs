//! What admins do with their organization's webhooks. Admins only (`Action::Configure`);
//! every query is scoped to the caller's organization, so another organization's endpoint is
//! a 404.

use super::dto::{
    DeliveryState, NewWebhook, Webhook, WebhookAttempt, WebhookDelivery, WebhookDeliveryDetail,
    WebhookPatch, WebhookReplay, WebhookReplayResult, WebhookWithSecret,
};
use super::fanout::{self, allocate_seq, message_body, new_delivery, org_key};
use super::model::{attempt, delivery, subscription};
use super::{Webhooks, guard, signing};
use crate::error::Result;
use crate::feed::read_positioned;
use crate::position::Position;
use crate::types;
use chrono::Utc;
use crm_core::db::{begin_write, lock_key};
use crm_core::{Action, Ctx, Error, Page, PageRequest, cursor, new_id};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, ModelTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value;
use uuid::Uuid;

/// Most endpoints per organization.
pub const MAX_WEBHOOKS: u64 = 50;
/// Most events one replay queues.
pub const MAX_REPLAY: usize = 10_000;
/// Longest description.
const MAX_DESCRIPTION: usize = 500;

fn to_dto(m: &subscription::Model) -> Webhook {
    Webhook {
        id: m.id,
        url: m.url.clone(),
        description: m.description.clone(),
        event_types: serde_json::from_value(m.event_types.clone()).unwrap_or_default(),
        enabled: m.enabled,
        disabled_reason: m.disabled_reason.clone(),
        disabled_at: m.disabled_at,
        failing_since: m.failing_since,
        previous_secret_expires_at: m
            .previous_secret_expires_at
            .filter(|until| *until > Utc::now()),
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn delivery_dto(m: &delivery::Model) -> WebhookDelivery {
    let state = DeliveryState::parse(&m.state).unwrap_or(DeliveryState::Pending);
    WebhookDelivery {
        id: m.id,
        webhook_id: m.subscription_id,
        message_id: m.message_id,
        event_type: m.event_type.clone(),
        origin: m.origin.clone(),
        state,
        attempts: m.attempts,
        next_attempt_at: (state == DeliveryState::Pending).then_some(m.next_attempt_at),
        last_status: m.last_status,
        last_error: m.last_error.clone(),
        created_at: m.created_at,
        delivered_at: m.delivered_at,
    }
}

/// Checks the patterns: 1 to 20, each a name, a `prefix.*` or `*`.
fn event_types(list: &[String]) -> crm_core::Result<Vec<String>> {
    if list.is_empty() {
        return Err(Error::invalid_field(
            "/event_types",
            "required",
            "must name at least one event type pattern, such as `contact.*` or `*`",
        ));
    }
    if list.len() > types::MAX_PATTERNS {
        return Err(Error::invalid_field(
            "/event_types",
            "too_many",
            format!("at most {} patterns", types::MAX_PATTERNS),
        ));
    }
    for (i, p) in list.iter().enumerate() {
        types::parse(std::slice::from_ref(p)).map_err(|_| {
            Error::invalid_field(
                &format!("/event_types/{i}"),
                "invalid_value",
                format!(
                    "`{p}` is not an event type pattern: use names like `deal.updated`, \
                     prefixes like `contact.*`, or `*`"
                ),
            )
        })?;
    }
    Ok(list.to_vec())
}

/// Checks the URL's form and that it resolves to addresses the guard admits (422 on `/url`).
async fn checked_url(hooks: &Webhooks, text: &str) -> crm_core::Result<String> {
    let url = guard::parse_url(text.trim(), hooks.settings.require_https).map_err(|m| {
        Error::invalid_field("/url", "invalid_url", format!("must be valid: it {m}"))
    })?;
    guard::resolve(&url, hooks.settings.allow_private)
        .await
        .map_err(|m| Error::invalid_field("/url", "refused_address", format!("is refused: {m}")))?;
    Ok(url.to_string())
}

fn description(text: Option<String>) -> crm_core::Result<Option<String>> {
    let Some(text) = text.map(|t| t.trim().to_owned()) else {
        return Ok(None);
    };
    if text.contains('\0') {
        return Err(Error::invalid_field(
            "/description",
            "invalid_value",
            "must not contain NUL characters",
        ));
    }
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(Error::invalid_field(
            "/description",
            "too_long",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok((!text.is_empty()).then_some(text))
}

async fn find(
    ctx: &Ctx,
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> crm_core::Result<subscription::Model> {
    subscription::Entity::find_by_id(id)
        .filter(subscription::Column::OrgId.eq(ctx.org_id()))
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found("Webhook"))
}

/// Creates an endpoint and answers it with its secret (the only time it is shown besides a
/// rotation). Events committed from now on that match its patterns are sent to it.
pub async fn create_webhook(
    ctx: &Ctx,
    hooks: &Webhooks,
    input: NewWebhook,
) -> Result<WebhookWithSecret> {
    ctx.require(Action::Configure)?;
    let types = event_types(&input.event_types)?;
    let description = description(input.description)?;
    let url = checked_url(hooks, &input.url).await?;
    let enabled = input.enabled.unwrap_or(true);
    let tx = begin_write(&ctx.db).await?;
    let count = subscription::Entity::find()
        .filter(subscription::Column::OrgId.eq(ctx.org_id()))
        .select_only()
        .column(subscription::Column::Id)
        .limit(MAX_WEBHOOKS)
        .into_tuple::<Uuid>()
        .all(&tx)
        .await?
        .len();
    if count as u64 >= MAX_WEBHOOKS {
        return Err(Error::invalid_field(
            "/url",
            "too_many",
            format!("an organization has at most {MAX_WEBHOOKS} webhook endpoints"),
        )
        .into());
    }
    if enabled {
        fanout::start(&tx, ctx.org_id(), None).await?;
    }
    let now = Utc::now();
    let secret = signing::new_secret();
    let model = subscription::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        url: Set(url),
        description: Set(description),
        event_types: Set(Value::from(types)),
        enabled: Set(enabled),
        disabled_reason: Set(None),
        disabled_at: Set((!enabled).then_some(now)),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        failing_since: Set(None),
        deliver_job_id: Set(None),
        created_by: Set(Some(ctx.actor.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    crm_worker::wake();
    Ok(WebhookWithSecret {
        webhook: to_dto(&model),
        secret,
    })
}

/// The organization's endpoints, newest first.
pub async fn list_webhooks(ctx: &Ctx, page: &PageRequest) -> Result<Page<Webhook>> {
    ctx.require(Action::Configure)?;
    let limit = page.limit()?;
    let mut query = subscription::Entity::find()
        .filter(subscription::Column::OrgId.eq(ctx.org_id()))
        .order_by_desc(subscription::Column::Id)
        .limit(limit + 1);
    if let Some(c) = &page.cursor {
        let before: Uuid = cursor::decode(c)?;
        query = query.filter(subscription::Column::Id.lt(before));
    }
    let rows = query.all(&ctx.db).await?;
    Ok(Page::from_overfetch(rows, limit, |m| cursor::encode(&m.id)).map(|m| to_dto(&m)))
}

/// One endpoint.
pub async fn get_webhook(ctx: &Ctx, id: Uuid) -> Result<Webhook> {
    ctx.require(Action::Configure)?;
    Ok(to_dto(&find(ctx, &ctx.db, id).await?))
}

/// Changes an endpoint. Enabling one clears why it was disabled and its failing streak; its
/// pending deliveries go out again.
pub async fn update_webhook(
    ctx: &Ctx,
    hooks: &Webhooks,
    id: Uuid,
    patch: WebhookPatch,
) -> Result<Webhook> {
    ctx.require(Action::Configure)?;
    let types = patch.event_types.as_deref().map(event_types).transpose()?;
    let description = patch
        .description
        .map(|d| description(Some(d)))
        .transpose()?;
    let url = match &patch.url {
        Some(u) => Some(checked_url(hooks, u).await?),
        None => None,
    };
    let tx = begin_write(&ctx.db).await?;
    let current = find(ctx, &tx, id).await?;
    let enabling = patch.enabled == Some(true) && !current.enabled;
    if enabling {
        fanout::start(&tx, ctx.org_id(), Some(id)).await?;
    }
    // Lock order everywhere: the organization's fan-out key, the endpoint's key, its row.
    lock_key(&tx, &fanout::sub_key(id)).await?;
    crm_core::db::lock_row(&tx, "webhook_subscriptions", id).await?;
    let current = find(ctx, &tx, id).await?;
    let now = Utc::now();
    let mut row = current.clone().into_active_model();
    if let Some(url) = url {
        row.url = Set(url);
    }
    if let Some(d) = description {
        row.description = Set(d);
    }
    if let Some(types) = types {
        row.event_types = Set(Value::from(types));
    }
    match patch.enabled {
        Some(true) if enabling => {
            row.enabled = Set(true);
            row.disabled_reason = Set(None);
            row.disabled_at = Set(None);
            row.failing_since = Set(None);
        }
        Some(false) if current.enabled => {
            row.enabled = Set(false);
            row.disabled_reason = Set(None);
            row.disabled_at = Set(Some(now));
        }
        _ => {}
    }
    row.updated_at = Set(now);
    let model = row.update(&tx).await?;
    if enabling {
        fanout::ensure_delivery_job(&tx, ctx.org_id(), id).await?;
    }
    tx.commit().await?;
    crm_worker::wake();
    Ok(to_dto(&model))
}

/// Deletes an endpoint with its deliveries and their attempts.
pub async fn delete_webhook(ctx: &Ctx, id: Uuid) -> Result<()> {
    ctx.require(Action::Configure)?;
    let tx = begin_write(&ctx.db).await?;
    let sub = find(ctx, &tx, id).await?;
    attempt::Entity::delete_many()
        .filter(attempt::Column::SubscriptionId.eq(id))
        .exec(&tx)
        .await?;
    delivery::Entity::delete_many()
        .filter(delivery::Column::SubscriptionId.eq(id))
        .exec(&tx)
        .await?;
    sub.delete(&tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the secret; the old one keeps signing (a second signature) for the overlap
/// (24 h). Answers the endpoint with its new secret.
pub async fn rotate_secret(ctx: &Ctx, hooks: &Webhooks, id: Uuid) -> Result<WebhookWithSecret> {
    ctx.require(Action::Configure)?;
    let tx = begin_write(&ctx.db).await?;
    crm_core::db::lock_row(&tx, "webhook_subscriptions", id).await?;
    let current = find(ctx, &tx, id).await?;
    let now = Utc::now();
    let secret = signing::new_secret();
    let overlap = chrono::Duration::from_std(hooks.settings.rotation_overlap)
        .unwrap_or_else(|_| chrono::Duration::hours(24));
    let mut row = current.clone().into_active_model();
    row.previous_secret = Set(Some(current.secret));
    row.previous_secret_expires_at = Set(Some(now + overlap));
    row.secret = Set(secret.clone());
    row.updated_at = Set(now);
    let model = row.update(&tx).await?;
    tx.commit().await?;
    Ok(WebhookWithSecret {
        webhook: to_dto(&model),
        secret,
    })
}

/// The endpoint's deliveries, newest first, optionally in one state.
pub async fn list_deliveries(
    ctx: &Ctx,
    id: Uuid,
    state: Option<DeliveryState>,
    page: &PageRequest,
) -> Result<Page<WebhookDelivery>> {
    ctx.require(Action::Configure)?;
    find(ctx, &ctx.db, id).await?;
    let limit = page.limit()?;
    let mut query = delivery::Entity::find()
        .filter(delivery::Column::SubscriptionId.eq(id))
        .order_by_desc(delivery::Column::Id)
        .limit(limit + 1);
    if let Some(state) = state {
        query = query.filter(delivery::Column::State.eq(state.as_str()));
    }
    if let Some(c) = &page.cursor {
        let before: Uuid = cursor::decode(c)?;
        query = query.filter(delivery::Column::Id.lt(before));
    }
    let rows = query.all(&ctx.db).await?;
    Ok(Page::from_overfetch(rows, limit, |m| cursor::encode(&m.id)).map(|m| delivery_dto(&m)))
}

async fn find_delivery(
    ctx: &Ctx,
    conn: &impl ConnectionTrait,
    id: Uuid,
    delivery_id: Uuid,
) -> crm_core::Result<delivery::Model> {
    delivery::Entity::find_by_id(delivery_id)
        .filter(delivery::Column::SubscriptionId.eq(id))
        .filter(delivery::Column::OrgId.eq(ctx.org_id()))
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found("Webhook delivery"))
}

/// One delivery with the message sent and every attempt, oldest first.
pub async fn get_delivery(ctx: &Ctx, id: Uuid, delivery_id: Uuid) -> Result<WebhookDeliveryDetail> {
    ctx.require(Action::Configure)?;
    let d = find_delivery(ctx, &ctx.db, id, delivery_id).await?;
    let attempts = attempt::Entity::find()
        .filter(attempt::Column::DeliveryId.eq(d.id))
        .order_by_asc(attempt::Column::Id)
        .limit(200)
        .all(&ctx.db)
        .await?;
    Ok(WebhookDeliveryDetail {
        delivery: delivery_dto(&d),
        payload: serde_json::from_str(&d.body).unwrap_or(Value::Null),
        attempts_log: attempts
            .into_iter()
            .map(|a| WebhookAttempt {
                id: a.id,
                attempted_at: a.attempted_at,
                status: a.status,
                duration_ms: a.duration_ms,
                response_excerpt: a.response_excerpt,
                error: a.error,
            })
            .collect(),
    })
}

/// Sends one delivery's message again, as a new delivery with the same `webhook-id`.
pub async fn redeliver(ctx: &Ctx, id: Uuid, delivery_id: Uuid) -> Result<WebhookDelivery> {
    ctx.require(Action::Configure)?;
    let tx = begin_write(&ctx.db).await?;
    find(ctx, &tx, id).await?;
    let d = find_delivery(ctx, &tx, id, delivery_id).await?;
    lock_key(&tx, &org_key(ctx.org_id())).await?;
    let seq = allocate_seq(&tx, ctx.org_id(), 1).await?;
    let now = Utc::now();
    let copy = delivery::ActiveModel {
        id: Set(new_id()),
        org_id: Set(d.org_id),
        subscription_id: Set(d.subscription_id),
        message_id: Set(d.message_id),
        event_type: Set(d.event_type),
        record_key: Set(d.record_key),
        body: Set(d.body),
        origin: Set("redelivery".to_owned()),
        state: Set("pending".to_owned()),
        seq: Set(seq),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        delivered_at: Set(None),
    }
    .insert(&tx)
    .await?;
    fanout::ensure_delivery_job(&tx, ctx.org_id(), id).await?;
    tx.commit().await?;
    crm_worker::wake();
    Ok(delivery_dto(&copy))
}

/// Queues again every kept event in `[from, to)` that matches the endpoint's patterns, in
/// feed order (at most 10,000; a wider range is a 422 asking for a narrower one). Like the
/// feed, it sees events once no earlier transaction can still commit before them (on
/// PostgreSQL a moment after their commit).
pub async fn replay(ctx: &Ctx, id: Uuid, range: WebhookReplay) -> Result<WebhookReplayResult> {
    ctx.require(Action::Configure)?;
    let org = ctx.org_id();
    let tx = begin_write(&ctx.db).await?;
    let sub = find(ctx, &tx, id).await?;
    if range.from >= range.to {
        return Err(Error::invalid_field("/to", "out_of_range", "must be after `from`").into());
    }
    let patterns = fanout::patterns_of(&sub);
    let mut from = Position::start(org, Utc::now());
    let mut events = Vec::new();
    loop {
        let (page, next, more) = read_positioned(
            &tx,
            org,
            from,
            patterns.as_deref(),
            Some((range.from, range.to)),
            1000,
        )
        .await?;
        events.extend(page);
        if events.len() > MAX_REPLAY {
            return Err(Error::invalid_field(
                "/to",
                "too_many",
                format!("the range holds more than {MAX_REPLAY} events: replay a narrower one"),
            )
            .into());
        }
        if !more {
            break;
        }
        from = next;
    }
    lock_key(&tx, &org_key(org)).await?;
    let n = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let queued = events.len() as u64;
    if n > 0 {
        let first = allocate_seq(&tx, org, n).await?;
        let now = Utc::now();
        let rows = events
            .iter()
            .zip(first..)
            .map(|(e, seq)| new_delivery(org, id, e, message_body(e), "replay", seq, now))
            .collect();
        fanout::insert_deliveries(&tx, rows).await?;
        fanout::ensure_delivery_job(&tx, org, id).await?;
    }
    tx.commit().await?;
    crm_worker::wake();
    Ok(WebhookReplayResult { queued })
}
