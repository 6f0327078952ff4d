//! What the world sees of jobs: the read model admins list, and its states.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum JobState {
    /// Waiting for its `run_at` and a free worker.
    Queued,
    /// Claimed by a worker, which holds it until `locked_until` (extended while it runs).
    Running,
    /// Done; removed after the retention period.
    Succeeded,
    /// Failed on its last attempt (or permanently): `last_error` says why. An admin may
    /// retry or discard it.
    Dead,
}

impl JobState {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<JobState> {
        match s {
            "queued" => Some(JobState::Queued),
            "running" => Some(JobState::Running),
            "succeeded" => Some(JobState::Succeeded),
            "dead" => Some(JobState::Dead),
            _ => None,
        }
    }
}

/// A background job of the caller's organization.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Job {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// What the job does, naming its handler (such as `webhook.deliver`).
    #[cfg_attr(feature = "openapi", schema(example = "webhook.deliver"))]
    pub kind: String,
    /// What the job was enqueued with (a JSON object, as its kind defines it).
    #[cfg_attr(
        feature = "openapi",
        schema(
            value_type = std::collections::HashMap<String, serde_json::Value>,
            example = json!({"delivery_id": "01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f"})
        )
    )]
    pub payload: serde_json::Value,
    /// Where the job is in its life.
    pub state: JobState,
    /// When it may run (next).
    pub run_at: DateTime<Utc>,
    /// Attempts made so far (an attempt cut short by a graceful stop does not count).
    #[cfg_attr(feature = "openapi", schema(example = 3))]
    pub attempts: i32,
    /// Attempts allowed before the job is dead.
    #[cfg_attr(feature = "openapi", schema(example = 10))]
    pub max_attempts: i32,
    /// Why the last attempt failed.
    #[cfg_attr(feature = "openapi", schema(example = "partner answered 503"))]
    pub last_error: Option<String>,
    /// While running: until when its worker holds it; after a crash another worker takes it
    /// from then on.
    pub locked_until: Option<DateTime<Utc>>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it succeeded or died.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Which jobs a list shows.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs of this kind.
    pub kind: Option<String>,
}
