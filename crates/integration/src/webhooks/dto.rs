//! What the world sees of webhooks: endpoints, their deliveries and attempts, and the inputs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A webhook endpoint of the organization (its secret is only shown at creation and rotation).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Webhook {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// Where events are POSTed.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "https://erp.example.com/crm-events")
    )]
    pub url: String,
    /// What the endpoint is for.
    pub description: Option<String>,
    /// The event types sent: names (`deal.updated`), prefixes (`contact.*`) or `*`.
    #[cfg_attr(feature = "openapi", schema(example = json!(["contact.*", "deal.updated"])))]
    pub event_types: Vec<String>,
    /// Whether events are sent; an endpoint answering 410, or failing for 5 days, is disabled.
    pub enabled: bool,
    /// Why it was disabled, when the server disabled it.
    pub disabled_reason: Option<String>,
    /// When it was disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Since when every attempt has failed (`null` after a success).
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret replaced by the last rotation still signs (a second signature).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// An endpoint with its signing secret: the only answers that show it (creation, rotation).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f",
    "url": "https://erp.example.com/crm-events",
    "description": "ERP sync",
    "event_types": ["contact.*", "deal.updated"],
    "enabled": true,
    "disabled_reason": null,
    "disabled_at": null,
    "failing_since": null,
    "previous_secret_expires_at": null,
    "created_at": "2026-12-05T10:00:00Z",
    "updated_at": "2026-12-05T10:00:00Z",
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwz9l9QnT3Yzs="
})))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct WebhookWithSecret {
    /// The endpoint.
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The signing secret (`whsec_` and base64 of 32 bytes): store it now, it is not shown
    /// again.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwz9l9QnT3Yzs=")
    )]
    pub secret: String,
}

/// A new endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewWebhook {
    /// Where to POST events: `https` (plain `http` is refused in production), resolving to
    /// public addresses only.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "https://erp.example.com/crm-events",
            min_length = 1,
            max_length = 2000,
            format = "uri"
        )
    )]
    pub url: String,
    /// What the endpoint is for (at most 500 characters).
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub description: Option<String>,
    /// 1 to 20 event type patterns: names (`deal.updated`), prefixes (`contact.*`) or `*`.
    #[cfg_attr(feature = "openapi", schema(example = json!(["contact.*"])))]
    pub event_types: Vec<String>,
    /// Whether to send events (default true).
    pub enabled: Option<bool>,
}

/// Changes to an endpoint; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(name = "WebhookPatchInput"))]
pub struct WebhookPatch {
    /// A new URL (same rules as at creation).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 2000, format = "uri")
    )]
    pub url: Option<String>,
    /// A new description (an empty text removes it; at most 500 characters).
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub description: Option<String>,
    /// New event type patterns.
    pub event_types: Option<Vec<String>>,
    /// Enable (also clears the reason it was disabled; pending deliveries go out again) or
    /// disable.
    pub enabled: Option<bool>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[cfg_attr(feature = "graphql", graphql(name = "WebhookDeliveryState"))]
pub enum DeliveryState {
    /// Waiting for its (next) attempt.
    Pending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Every attempt of the schedule failed, or the endpoint answered 410.
    Failed,
}

impl DeliveryState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Succeeded => "succeeded",
            DeliveryState::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One message to one endpoint and how it went.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct WebhookDelivery {
    /// Identifier of the delivery.
    pub id: Uuid,
    /// The endpoint.
    pub webhook_id: Uuid,
    /// The `webhook-id` header: the event's id, the same on every retry and re-send.
    pub message_id: Uuid,
    /// The event type.
    #[cfg_attr(feature = "openapi", schema(example = "contact.updated"))]
    pub event_type: String,
    /// `event` (from the change feed), `replay` (a replayed time range) or `redelivery`.
    #[cfg_attr(feature = "openapi", schema(example = "event"))]
    pub origin: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: i32,
    /// When it is tried (next), while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last attempt (none when no answer came).
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When the endpoint accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One try of a delivery.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct WebhookAttempt {
    /// Identifier of the attempt.
    pub id: Uuid,
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// The HTTP status answered (none when no answer came: refused, timed out).
    pub status: Option<i32>,
    /// How long it took, in milliseconds.
    pub duration_ms: i32,
    /// The first 1,000 bytes of the answer's body.
    pub response_excerpt: Option<String>,
    /// What went wrong (connection, timeout, a non-2xx status, a refused address).
    pub error: Option<String>,
}

/// A delivery with the message sent and every attempt, oldest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "01936f4e-9a00-7c3b-9d2e-5a6b7c8d9e0f",
    "webhook_id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f",
    "message_id": "01936f4e-9000-7c3b-9d2e-5a6b7c8d9e0f",
    "event_type": "contact.created",
    "origin": "event",
    "state": "succeeded",
    "attempts": 2,
    "next_attempt_at": null,
    "last_status": 200,
    "last_error": null,
    "created_at": "2026-12-05T10:00:00Z",
    "delivered_at": "2026-12-05T10:00:05Z",
    "payload": {
        "type": "contact.created",
        "timestamp": "2026-12-05T10:00:00Z",
        "data": {
            "id": "01936f4e-9000-7c3b-9d2e-5a6b7c8d9e0f",
            "type": "contact.created",
            "occurred_at": "2026-12-05T10:00:00Z",
            "actor": {"type": "user", "id": "01936f4e-7000-7c3b-9d2e-5a6b7c8d9e0f"},
            "record": {"type": "contact", "id": "01936f4e-8000-7c3b-9d2e-5a6b7c8d9e0f"},
            "before": null,
            "after": {"first_name": "Ann"}
        }
    },
    "attempts_log": [
        {"id": "01936f4e-9b00-7c3b-9d2e-5a6b7c8d9e0f", "attempted_at": "2026-12-05T10:00:00Z",
         "status": 503, "duration_ms": 41, "response_excerpt": "busy",
         "error": "the endpoint answered 503"},
        {"id": "01936f4e-9c00-7c3b-9d2e-5a6b7c8d9e0f", "attempted_at": "2026-12-05T10:00:05Z",
         "status": 200, "duration_ms": 12, "response_excerpt": "ok", "error": null}
    ]
})))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct WebhookDeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: WebhookDelivery,
    /// The body POSTed: `{type, timestamp, data}`, `data` being the change-feed event.
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, Value>))]
    pub payload: Value,
    /// Every attempt, oldest first.
    pub attempts_log: Vec<WebhookAttempt>,
}

/// A time range of events to send again.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(name = "WebhookReplayInput"))]
pub struct WebhookReplay {
    /// From this time (inclusive).
    pub from: DateTime<Utc>,
    /// Until this time (exclusive).
    pub to: DateTime<Utc>,
}

/// What a replay queued.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct WebhookReplayResult {
    /// Deliveries queued (one per matching event still kept by the change feed).
    pub queued: u64,
}
