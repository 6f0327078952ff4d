//! What the world sees of the change feed: events, the record and actor they name, and a page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "graphql", graphql(name = "EventActor"))]
pub struct EventActor {
    /// `user` (signed in), `api_key` (an integration), or `system` (no principal; its `id` is
    /// the nil UUID).
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(example = "user"))]
    #[cfg_attr(feature = "graphql", graphql(name = "type"))]
    pub kind: String,
    /// The user's id, or the API key's id.
    pub id: Uuid,
}

/// The record an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "graphql", graphql(name = "EventRecord"))]
pub struct EventRecord {
    /// The record's type: `contact`, `company`, `deal`, `activity`, ...
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(example = "contact"))]
    #[cfg_attr(feature = "graphql", graphql(name = "type"))]
    pub kind: String,
    /// The record's id.
    pub id: Uuid,
}

/// One domain event of the organization: a change to one record, as it was committed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Event {
    /// The event's id (unique; a consumer may use it to drop an event it already applied).
    pub id: Uuid,
    /// `<record type>.<action>`, such as `contact.created`, `contact.updated`,
    /// `contact.deleted`, `contact.restored`, `contact.merged`, `deal.updated`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(example = "contact.updated"))]
    #[cfg_attr(feature = "graphql", graphql(name = "type"))]
    pub kind: String,
    /// When the change was made (the time of its write, not of its commit).
    pub occurred_at: DateTime<Utc>,
    /// Who made the change.
    pub actor: EventActor,
    /// The record changed.
    pub record: EventRecord,
    /// The record before the change: on `updated` events only the fields that changed;
    /// `null` on `created` and on events that carry no snapshot.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Value>>, example = json!({"title": null})))]
    pub before: Option<Value>,
    /// The record after the change: on `updated` events only the fields that changed; on
    /// events without a before/after snapshot (a merge, an activity's change), what the event
    /// carries.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Value>>, example = json!({"title": "CEO"})))]
    pub after: Option<Value>,
    /// What the change was made through besides its actor, such as the import that wrote
    /// the record; `null` for a direct request.
    pub origin: Option<EventOrigin>,
}

/// What a change was made through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct EventOrigin {
    /// `import`: the record was written by an import job.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(example = "import"))]
    #[cfg_attr(feature = "graphql", graphql(name = "type"))]
    pub kind: String,
    /// The import's id (`GET /api/v1/imports/{id}`).
    pub id: Uuid,
}

/// A page of the change feed, oldest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct EventPage {
    /// The events, in commit order.
    pub data: Vec<Event>,
    /// Where to resume: pass it as `after` to read the events committed after this page. Always
    /// set, also on an empty page (it then points where the given one did, or at the start).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "eyJvIjoiMDE5M2E1YjIiLCJwIjo0MiwiaSI6IjAxOTNhNWIyIiwidCI6MH0")
    )]
    pub next_cursor: String,
    /// Whether more events were already available when this page was read (read on at once;
    /// else read again later, or long-poll with REST's `wait`).
    pub has_more: bool,
}

/// What to read from the change feed.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// A `next_cursor` from an earlier page; `None` starts at the oldest event kept.
    pub after: Option<String>,
    /// Type patterns (`contact.*`, `deal.updated`, `*`); empty means every type.
    pub types: Vec<String>,
    /// Events per page, 1 to 1000 (default 100).
    pub limit: Option<u64>,
    /// Seconds to wait for an event when there is none yet, 0 to 60 (default 0).
    pub wait: Option<u64>,
}
