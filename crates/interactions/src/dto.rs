//! The read models and inputs of interactions, shared by REST (OpenAPI) and GraphQL.

use chrono::{DateTime, Utc};
use crm_core::audit::HistoryEntry;
use crm_core::{Channel, Patch};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_core::vocabulary!(
    /// What kind of interaction an activity is.
    ActivityKind {
        /// A phone call.
        Call = "call",
        /// An email.
        Email = "email",
        /// A meeting.
        Meeting = "meeting",
        /// A note.
        Note = "note",
        /// A task to do (due date, assignee, status).
        Task = "task",
        /// A visit.
        Visit = "visit",
        /// A presentation.
        Presentation = "presentation",
    }
);

crm_core::vocabulary!(
    /// Who started the interaction.
    Direction {
        /// The customer reached out.
        Inbound = "inbound",
        /// We reached out.
        Outbound = "outbound",
    }
);

crm_core::vocabulary!(
    /// The state of a task.
    TaskStatus {
        /// To do.
        Open = "open",
        /// Done (records who and when).
        Done = "done",
        /// Will not be done.
        Cancelled = "cancelled",
    }
);

crm_core::vocabulary!(
    /// How urgent a task is.
    Priority {
        /// Whenever.
        Low = "low",
        /// Normal.
        Normal = "normal",
        /// Soon.
        High = "high",
        /// Now.
        Urgent = "urgent",
    }
);

crm_core::vocabulary!(
    /// Feedback: a complaint or a suggestion.
    FeedbackType {
        /// Something went wrong for the customer.
        Complaint = "complaint",
        /// An idea or request.
        Suggestion = "suggestion",
    }
);

crm_core::vocabulary!(
    /// Where feedback stands.
    FeedbackState {
        /// Not looked at yet.
        New = "new",
        /// Seen and being handled.
        Acknowledged = "acknowledged",
        /// Dealt with.
        Resolved = "resolved",
    }
);

crm_core::vocabulary!(
    /// Who takes part in an activity.
    ParticipantKind {
        /// A user of the organization.
        User = "user",
        /// A contact.
        Contact = "contact",
    }
);

/// A person taking part in an activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::SimpleObject, async_graphql::InputObject)
)]
#[cfg_attr(feature = "graphql", graphql(input_name = "ParticipantInput"))]
pub struct Participant {
    /// A user or a contact.
    pub kind: ParticipantKind,
    /// Their id.
    pub id: Uuid,
}

/// An activity: something that happened with a customer, on any channel.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Activity {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// Call, email, meeting, note, task, visit or presentation.
    pub kind: ActivityKind,
    /// The channel it happened on.
    pub channel: Option<Channel>,
    /// Inbound or outbound.
    pub direction: Option<Direction>,
    /// Subject.
    #[cfg_attr(feature = "openapi", schema(example = "Follow-up on the Q1 offer"))]
    pub subject: Option<String>,
    /// Body or notes.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Discussed volumes for Q1; they want a revised offer by Friday.")
    )]
    pub body: Option<String>,
    /// When it happened (for tasks: when it was created unless given).
    pub occurred_at: DateTime<Utc>,
    /// Duration in seconds.
    #[cfg_attr(feature = "openapi", schema(example = 900))]
    pub duration_secs: Option<i32>,
    /// Outcome, such as `left voicemail`.
    #[cfg_attr(feature = "openapi", schema(example = "call back next week"))]
    pub outcome: Option<String>,
    /// The contact it is about.
    pub contact_id: Option<Uuid>,
    /// The company it is about (the contact's company when not given).
    pub company_id: Option<Uuid>,
    /// Users and contacts taking part.
    pub participants: Vec<Participant>,
    /// Task: when it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// Task: who should do it.
    pub assignee_id: Option<Uuid>,
    /// Task: priority.
    pub priority: Option<Priority>,
    /// Task: open, done or cancelled.
    pub status: Option<TaskStatus>,
    /// Task: when to remind the assignee.
    pub reminder_at: Option<DateTime<Utc>>,
    /// Task: when it was completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Task: who completed it.
    pub completed_by: Option<Uuid>,
    /// Feedback: complaint or suggestion.
    pub feedback_type: Option<FeedbackType>,
    /// Feedback: category, such as `delivery` or `billing`.
    #[cfg_attr(feature = "openapi", schema(example = "delivery"))]
    pub feedback_category: Option<String>,
    /// Feedback: new, acknowledged or resolved.
    pub feedback_state: Option<FeedbackState>,
    /// Who logged it.
    pub created_by: Option<Uuid>,
    /// The source system of `external_id` (set by `PUT /activities/by-external-id/...`, batch
    /// upserts and imports).
    pub external_source: Option<String>,
    /// The id of the activity in that system.
    pub external_id: Option<String>,
    /// Version; the `ETag` is `"<version>"`.
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub version: i64,
    /// When it was logged.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new activity. Integrations may name the contact by `contact_email` or `contact_phone`
/// instead of `contact_id`; no matching contact is a 422.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"kind": "call", "channel": "phone", "direction": "outbound", "subject": "Follow-up on the Q1 offer", "body": "Discussed volumes for Q1; they want a revised offer by Friday.", "duration_secs": 900, "outcome": "call back next week"}))
)]
pub struct NewActivity {
    /// Call, email, meeting, note, task, visit or presentation.
    pub kind: ActivityKind,
    /// The channel.
    pub channel: Option<Channel>,
    /// Inbound or outbound.
    pub direction: Option<Direction>,
    /// Subject (up to 300 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 300, example = "Follow-up on the Q1 offer")
    )]
    pub subject: Option<String>,
    /// Body (up to 100,000 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 100000,
            example = "Discussed volumes for Q1; they want a revised offer by Friday."
        )
    )]
    pub body: Option<String>,
    /// When it happened (default: now).
    pub occurred_at: Option<DateTime<Utc>>,
    /// Duration in seconds (0 to 2,592,000).
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 2592000, example = 900)
    )]
    pub duration_secs: Option<i32>,
    /// Outcome.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 200, example = "call back next week")
    )]
    pub outcome: Option<String>,
    /// The contact it is about.
    pub contact_id: Option<Uuid>,
    /// Instead of `contact_id`: the contact's email.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 320, format = "email", example = "hans.meier@globex.de")
    )]
    pub contact_email: Option<String>,
    /// Instead of `contact_id`: the contact's phone, in any format.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 40, example = "+49 30 1234567")
    )]
    pub contact_phone: Option<String>,
    /// The company it is about (default: the contact's company).
    pub company_id: Option<Uuid>,
    /// Users and contacts taking part.
    pub participants: Option<Vec<Participant>>,
    /// Task: when it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// Task: who should do it (default: the caller).
    pub assignee_id: Option<Uuid>,
    /// Task: priority (default normal).
    pub priority: Option<Priority>,
    /// Task: when to remind.
    pub reminder_at: Option<DateTime<Utc>>,
    /// Feedback: complaint or suggestion.
    pub feedback_type: Option<FeedbackType>,
    /// Feedback: category.
    #[cfg_attr(feature = "openapi", schema(max_length = 100, example = "delivery"))]
    pub feedback_category: Option<String>,
    /// Feedback: state (default new).
    pub feedback_state: Option<FeedbackState>,
}

/// Changes to an activity (JSON Merge Patch).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"subject": "Follow-up on the revised offer", "outcome": "offer accepted"}))
)]
pub struct ActivityPatch {
    /// Channel.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Channel>))]
    pub channel: Patch<Channel>,
    /// Direction.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Direction>))]
    pub direction: Patch<Direction>,
    /// Subject.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 300, example = "Follow-up on the revised offer"))]
    pub subject: Patch<String>,
    /// Body.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 100000, example = "They accepted the revised volumes."))]
    pub body: Patch<String>,
    /// When it happened.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<DateTime<Utc>>))]
    pub occurred_at: Patch<DateTime<Utc>>,
    /// Duration in seconds.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i32>, minimum = 0, maximum = 2592000, example = 1200))]
    pub duration_secs: Patch<i32>,
    /// Outcome.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 200, example = "offer accepted"))]
    pub outcome: Patch<String>,
    /// Task: due date.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<DateTime<Utc>>))]
    pub due_at: Patch<DateTime<Utc>>,
    /// Task: assignee.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub assignee_id: Patch<Uuid>,
    /// Task: priority.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Priority>))]
    pub priority: Patch<Priority>,
    /// Task: status (`done` records who and when).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<TaskStatus>))]
    pub status: Patch<TaskStatus>,
    /// Task: reminder time.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<DateTime<Utc>>))]
    pub reminder_at: Patch<DateTime<Utc>>,
    /// Feedback: category.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 100, example = "billing"))]
    pub feedback_category: Patch<String>,
    /// Feedback: state.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<FeedbackState>))]
    pub feedback_state: Patch<FeedbackState>,
}

/// A field change shown in a timeline.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct TimelineChange {
    /// `contact` or `company`.
    #[cfg_attr(feature = "openapi", schema(example = "contact"))]
    pub record_type: String,
    /// The record that changed.
    pub record_id: Uuid,
    /// The history entry.
    pub entry: HistoryEntry,
}

/// What a timeline entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum TimelineEntryType {
    /// An activity.
    Activity,
    /// A change of the record's fields.
    Change,
}

/// One entry of a customer's timeline, newest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct TimelineEntry {
    /// The activity's or history entry's id.
    pub id: Uuid,
    /// Activity or change.
    pub entry_type: TimelineEntryType,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The activity, for `activity` entries.
    pub activity: Option<Activity>,
    /// The change, for `change` entries.
    pub change: Option<TimelineChange>,
}

/// Counts of feedback by type, state and category.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct FeedbackCount {
    /// Complaint or suggestion.
    pub feedback_type: FeedbackType,
    /// State.
    pub feedback_state: FeedbackState,
    /// Category (none when not set).
    #[cfg_attr(feature = "openapi", schema(example = "delivery"))]
    pub category: Option<String>,
    /// How many.
    #[cfg_attr(feature = "openapi", schema(example = 12))]
    pub count: i64,
}
