//! The handlers a runtime runs: one async function per job kind.
//!
//! A handler gets a [`JobContext`] (the database, the job's id, organization, payload and
//! attempt) and answers `Ok(())` or a [`JobError`]: [`JobError::Retry`] for a failure that may
//! pass (the job is tried again after a backoff, until its `max_attempts`), or
//! [`JobError::Permanent`] for one that never will (the job is dead at once).

use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use uuid::Uuid;

/// What a handler is given.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The database (a cheap handle onto the pool).
    pub db: DatabaseConnection,
    /// The job's id.
    pub id: Uuid,
    /// The job's kind.
    pub kind: String,
    /// The organization the job works for; `None` for system jobs.
    pub org_id: Option<Uuid>,
    /// What the job was enqueued with.
    pub payload: serde_json::Value,
    /// This attempt's number, 1 for the first.
    pub attempt: i32,
}

impl JobContext {
    /// The context of one attempt at `job`.
    pub(crate) fn of(job: &crate::model::Model, db: &DatabaseConnection) -> Self {
        Self {
            db: db.clone(),
            id: job.id,
            kind: job.kind.clone(),
            org_id: job.org_id,
            payload: job.payload.clone(),
            attempt: job.attempts,
        }
    }
}

/// Why a handler failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// A failure that may pass (a partner down, a timeout): tried again after a backoff.
    #[error("{0}")]
    Retry(String),
    /// A failure that will not pass (a payload that cannot be processed): dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl JobError {
    /// A failure worth retrying.
    pub fn retry(message: impl Into<String>) -> Self {
        Self::Retry(message.into())
    }

    /// A failure that no retry fixes.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent(message.into())
    }
}

impl From<sea_orm::DbErr> for JobError {
    /// Database failures are worth retrying (a lost connection, a lock timeout).
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Retry(format!("database: {e}"))
    }
}

/// A handler of one job kind.
pub type Handler =
    Arc<dyn Fn(JobContext) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

/// What a kind does when one of its jobs has died (its last attempt failed, or the worker
/// running it stopped): gets the job and the last error.
pub type DeadHook = Arc<dyn Fn(JobContext, String) -> BoxFuture<'static, ()> + Send + Sync>;

/// Job kinds, their handlers and their dead-job hooks. Features register theirs when the
/// server is assembled.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
    dead_hooks: HashMap<String, DeadHook>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kinds: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        kinds.sort_unstable();
        f.debug_struct("Registry").field("kinds", &kinds).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `kind` (replacing an earlier one).
    pub fn register<F, Fut>(&mut self, kind: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |ctx| Box::pin(handler(ctx)));
        self.handlers.insert(kind.into(), handler);
        self
    }

    /// Registers `hook` for `kind`'s dead jobs (replacing an earlier one): the runtime calls it
    /// once the job is recorded as dead, whether its handler failed for the last time or its
    /// worker stopped during the last attempt (then no handler runs again), so that the
    /// feature can end what the job was doing (an import marked failed). It must be
    /// idempotent; a failure in it is the hook's to log.
    pub fn on_dead<F, Fut>(&mut self, kind: impl Into<String>, hook: F) -> &mut Self
    where
        F: Fn(JobContext, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let hook: DeadHook = Arc::new(move |ctx, error| Box::pin(hook(ctx, error)));
        self.dead_hooks.insert(kind.into(), hook);
        self
    }

    /// Adds every handler and dead-job hook of `other` (its own win for kinds both have).
    pub fn merge(&mut self, other: &Registry) -> &mut Self {
        for (kind, handler) in &other.handlers {
            self.handlers.insert(kind.clone(), handler.clone());
        }
        for (kind, hook) in &other.dead_hooks {
            self.dead_hooks.insert(kind.clone(), hook.clone());
        }
        self
    }

    /// The handler of `kind`.
    pub fn get(&self, kind: &str) -> Option<&Handler> {
        self.handlers.get(kind)
    }

    /// The dead-job hook of `kind`.
    pub fn dead_hook(&self, kind: &str) -> Option<&DeadHook> {
        self.dead_hooks.get(kind)
    }

    /// The registered kinds, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.handlers.keys().cloned().collect();
        kinds.sort_unstable();
        kinds
    }

    /// Whether no kind is registered.
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }
}
