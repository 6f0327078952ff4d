//! Enqueueing a job inside the caller's write transaction, so the job exists exactly when the
//! change that needs it commits: a rolled-back change leaves no job behind.
//!
//! Runtimes poll for due jobs; [`wake`] (called by [`enqueue`], and again by callers after
//! their commit) tells this process's runtime to look at once. Other processes find the job at
//! their next poll.

use crate::model::ActiveModel;
use chrono::{DateTime, Utc};
use crm_core::new_id;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use std::sync::OnceLock;
use tokio::sync::Notify;
use uuid::Uuid;

/// Attempts a job gets unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 10;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The kind, naming the handler that runs it (such as `webhook.deliver`).
    pub kind: String,
    /// What the handler needs, as JSON.
    pub payload: serde_json::Value,
    /// The organization it works for; `None` for a system job.
    pub org_id: Option<Uuid>,
    /// When it may run first; `None`: at once.
    pub run_at: Option<DateTime<Utc>>,
    /// How many attempts before it is dead.
    pub max_attempts: i32,
}

impl NewJob {
    /// A job of `kind` with `payload`, for `org_id` (or the system), due at once.
    pub fn new(kind: impl Into<String>, org_id: Option<Uuid>, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            org_id,
            run_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// Runs no earlier than `at`.
    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// Gives up (dead) after `n` attempts (at least 1).
    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// Inserts `job` as `queued` through `conn`: pass the caller's write transaction so the job
/// commits or rolls back with the change. Returns the job's id.
pub async fn enqueue(conn: &impl ConnectionTrait, job: NewJob) -> Result<Uuid, DbErr> {
    let now = Utc::now();
    let id = new_id();
    ActiveModel {
        id: Set(id),
        org_id: Set(job.org_id),
        kind: Set(job.kind),
        payload: Set(job.payload),
        state: Set(crate::JobState::Queued.as_str().to_owned()),
        run_at: Set(job.run_at.unwrap_or(now)),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts.max(1)),
        last_error: Set(None),
        locked_by: Set(None),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(conn)
    .await?;
    wake();
    Ok(id)
}

/// Brings job `id` forward to run at once if it is queued for later, and answers whether it is
/// still live (queued or running): a feature that keeps one job per thing (a webhook
/// endpoint's sender) enqueues a new one only when the old one is not. Call [`wake`] after
/// the commit.
pub async fn nudge(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    use crate::model::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let now = Utc::now();
    let queued = crate::JobState::Queued.as_str();
    let moved = Entity::update_many()
        .col_expr(Column::RunAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::State.eq(queued))
        .filter(Column::RunAt.gt(now))
        .exec(conn)
        .await?
        .rows_affected;
    if moved > 0 {
        return Ok(true);
    }
    let job = Entity::find_by_id(id).one(conn).await?;
    Ok(job.is_some_and(|j| j.state == queued || j.state == crate::JobState::Running.as_str()))
}

/// Whether job `id` is live (queued or running), without moving it.
pub async fn is_live(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    use crate::model::Entity;
    use sea_orm::EntityTrait;
    let job = Entity::find_by_id(id).one(conn).await?;
    Ok(job.is_some_and(|j| {
        j.state == crate::JobState::Queued.as_str() || j.state == crate::JobState::Running.as_str()
    }))
}

/// Deletes the succeeded jobs of `kind` for `org_id` at once instead of after the retention:
/// for a feature that runs as a chain of short jobs (each enqueueing the next), whose finished
/// links would otherwise fill the table and the admins' job list.
pub async fn forget_succeeded(
    conn: &impl ConnectionTrait,
    kind: &str,
    org_id: Option<Uuid>,
) -> Result<u64, DbErr> {
    use crate::model::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut query = Entity::delete_many()
        .filter(Column::Kind.eq(kind))
        .filter(Column::State.eq(crate::JobState::Succeeded.as_str()));
    query = match org_id {
        Some(org) => query.filter(Column::OrgId.eq(org)),
        None => query.filter(Column::OrgId.is_null()),
    };
    Ok(query.exec(conn).await?.rows_affected)
}

fn bell() -> &'static Notify {
    static BELL: OnceLock<Notify> = OnceLock::new();
    BELL.get_or_init(Notify::new)
}

/// Tells this process's runtime that a job may be due: it claims at once instead of at its
/// next poll. Call it after committing a transaction that enqueued (PostgreSQL does not show
/// the job to the runtime before the commit).
pub fn wake() {
    bell().notify_one();
}

/// Waits for [`wake`] (or returns at once if it was called since the last wait).
pub(crate) async fn woken() {
    bell().notified().await;
}
