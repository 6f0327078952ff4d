//! The runtime: claims due jobs in batches, runs them with bounded concurrency, keeps their
//! leases alive, records how each attempt ended, prunes old succeeded jobs, and stops
//! gracefully.
//!
//! - **Claim.** When it has free slots, the runtime claims at most that many due jobs of the
//!   kinds it has handlers for ([`crate::store::claim`]), at each poll interval and at once when
//!   this process enqueues ([`crate::wake`]) or a running job ends.
//! - **Lease.** A claimed job is held until `locked_until` (now + lease); while its handler runs,
//!   the lease is extended every third of it. A runtime that dies stops extending, and once the
//!   lease has passed any runtime claims the job again (the attempt counts). A runtime that
//!   finds its lease lost (another holder) stops the handler and records nothing.
//! - **Outcome.** Success: `succeeded`. A retryable error: `queued` again after
//!   [`crate::backoff::delay`], unless that was the last attempt: `dead`. A permanent error:
//!   `dead` at once.
//! - **Graceful stop** ([`Runtime::shutdown`]): no more claims; running jobs get until the
//!   deadline to finish; those that do not are stopped and released (queued again at once,
//!   the attempt not counted). Dropping a [`Runtime`] instead stops everything at once, as a
//!   crash would: its jobs wait for their lease to pass.

use crate::registry::{JobContext, JobError, Registry};
use crate::store::{self, Outcome};
use crate::{backoff, model};
use chrono::Utc;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How a runtime works.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Jobs run at once, at most.
    pub concurrency: usize,
    /// How often due jobs are looked for when nothing wakes the runtime.
    pub poll_interval: Duration,
    /// How long a claim holds a job without a heartbeat.
    pub lease: Duration,
    /// Wait after the first failure; doubled per failure (see [`crate::backoff`]).
    pub backoff_base: Duration,
    /// Longest wait between attempts.
    pub backoff_max: Duration,
    /// How long succeeded jobs are kept.
    pub retention: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(3600),
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// How often succeeded jobs past their retention are deleted (more often only when the
/// retention itself is shorter).
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// A running runtime. Dropping it stops it at once (as a crash would); [`Runtime::shutdown`]
/// stops it gracefully.
pub struct Runtime {
    worker: String,
    stop: Arc<watch::Sender<bool>>,
    task: Option<tokio::task::JoinHandle<()>>,
    deadline: watch::Sender<Option<Duration>>,
}

/// Tells a runtime to stop claiming (the first step of a graceful stop), from anywhere.
#[derive(Clone)]
pub struct StopClaiming(Arc<watch::Sender<bool>>);

impl StopClaiming {
    /// No new claims from now on; running jobs go on.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Runtime {
    /// Starts a runtime on `db` running the handlers of `registry`.
    pub fn start(db: DatabaseConnection, registry: Registry, settings: Settings) -> Runtime {
        let worker = format!("{}-{}", std::process::id(), crm_core::new_id().simple());
        let (stop, stop_rx) = watch::channel(false);
        let (deadline, deadline_rx) = watch::channel(None);
        let state = Loop {
            db,
            registry: Arc::new(registry),
            settings,
            worker: worker.clone(),
        };
        let task = tokio::spawn(state.run(stop_rx, deadline_rx));
        tracing::debug!(%worker, "job runtime started");
        Runtime {
            worker,
            stop: Arc::new(stop),
            task: Some(task),
            deadline,
        }
    }

    /// The id this runtime claims jobs under (`locked_by`).
    pub fn worker_id(&self) -> &str {
        &self.worker
    }

    /// A handle that stops claiming (used by a signal handler before the graceful stop).
    pub fn stop_claiming(&self) -> StopClaiming {
        StopClaiming(self.stop.clone())
    }

    /// Stops gracefully: no more claims, running jobs get `grace` to finish, the others are
    /// released (queued again at once, the attempt not counted). Returns when all is settled.
    pub async fn shutdown(mut self, grace: Duration) {
        self.deadline.send_replace(Some(grace));
        self.stop.send_replace(true);
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "the job runtime ended abnormally");
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// What the runtime's loop owns.
struct Loop {
    db: DatabaseConnection,
    registry: Arc<Registry>,
    settings: Settings,
    worker: String,
}

impl Loop {
    async fn run(
        self,
        mut stop: watch::Receiver<bool>,
        deadline: watch::Receiver<Option<Duration>>,
    ) {
        let kinds = self.registry.kinds();
        let mut running: JoinSet<()> = JoinSet::new();
        let mut last_prune = tokio::time::Instant::now();
        let concurrency = self.settings.concurrency.max(1);
        let prune_every = PRUNE_EVERY.min(self.settings.retention);
        // Claim first, then wait: for a wake-up, the poll interval, a finished job or the stop.
        while !*stop.borrow() {
            let free = concurrency.saturating_sub(running.len());
            if free > 0 {
                let lease_until = Utc::now() + self.settings.lease;
                match store::claim(&self.db, &self.worker, &kinds, free, lease_until).await {
                    Ok(jobs) => {
                        for job in jobs {
                            running.spawn(self.attempt(job));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming jobs failed; retrying"),
                }
            }
            if last_prune.elapsed() >= prune_every {
                last_prune = tokio::time::Instant::now();
                let before = Utc::now() - self.settings.retention;
                if let Err(e) = store::prune(&self.db, before).await {
                    tracing::warn!(error = %e, "pruning succeeded jobs failed");
                }
            }
            let full = running.len() >= concurrency;
            tokio::select! {
                _ = crate::enqueue::woken(), if !full => {}
                _ = tokio::time::sleep(self.settings.poll_interval), if !full => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
                _ = stop.changed() => {}
            }
            while running.try_join_next().is_some() {}
        }
        self.drain(running, deadline).await;
    }

    /// Once the graceful stop names its grace (a signal stops claiming first, while HTTP
    /// drains), waits that long for running jobs, then stops the rest and releases them.
    async fn drain(
        &self,
        mut running: JoinSet<()>,
        mut deadline: watch::Receiver<Option<Duration>>,
    ) {
        let grace = loop {
            if let Some(grace) = *deadline.borrow_and_update() {
                break grace;
            }
            tokio::select! {
                changed = deadline.changed() => if changed.is_err() { break Duration::ZERO },
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        };
        if running.is_empty() {
            return;
        }
        let all_done = async { while running.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all_done).await.is_ok() {
            return;
        }
        running.shutdown().await;
        let released = store::release_all(&self.db, &self.worker).await;
        match released {
            Ok(n) => tracing::info!(jobs = n, "released unfinished jobs for another worker"),
            Err(e) => {
                tracing::warn!(error = %e, "releasing unfinished jobs failed; they wait for their lease")
            }
        }
    }

    /// Runs one claimed job: its handler, beside a heartbeat, then records the outcome.
    fn attempt(&self, job: model::Model) -> impl Future<Output = ()> + Send + 'static {
        let db = self.db.clone();
        let worker = self.worker.clone();
        let settings = self.settings.clone();
        let handler = self.registry.get(&job.kind).cloned();
        let dead_hook = self.registry.dead_hook(&job.kind).cloned();
        async move {
            let outcome = if job.attempts > job.max_attempts {
                // Claimed again after its last attempt's lease passed (its worker died).
                Outcome::Dead {
                    error: job.last_error.clone().unwrap_or_else(|| {
                        "the worker running the last attempt stopped before it ended".to_owned()
                    }),
                }
            } else if let Some(handler) = handler {
                let ctx = JobContext::of(&job, &db);
                let beat = settings.lease / 3;
                let run = handler(ctx);
                tokio::pin!(run);
                // The heartbeat runs in a task of its own: awaited beside the handler, a
                // heartbeat waiting for SQLite's write lock would stop polling the handler
                // that holds it (a standstill until the busy timeout).
                let (lost_tx, lost_rx) = tokio::sync::oneshot::channel::<()>();
                let heartbeat = {
                    let (db, worker, id, attempt, lease) = (
                        db.clone(),
                        worker.clone(),
                        job.id,
                        job.attempts,
                        settings.lease,
                    );
                    AbortOnDrop(tokio::spawn(async move {
                        loop {
                            tokio::time::sleep(beat).await;
                            let until = Utc::now() + lease;
                            match store::heartbeat(&db, id, &worker, attempt, until).await {
                                Ok(true) => {}
                                Ok(false) => {
                                    let _ = lost_tx.send(());
                                    return;
                                }
                                Err(e) => {
                                    tracing::warn!(job = %id, error = %e, "extending a job's lease failed")
                                }
                            }
                        }
                    }))
                };
                let result = tokio::select! {
                    r = &mut run => Some(r),
                    Ok(()) = lost_rx => None,
                };
                drop(heartbeat);
                match result {
                    None => {
                        tracing::warn!(job = %job.id, kind = %job.kind, "lost the lease of a running job; stopped it");
                        return;
                    }
                    Some(Ok(())) => Outcome::Succeeded,
                    Some(Err(JobError::Permanent(error))) => Outcome::Dead { error },
                    Some(Err(JobError::Retry(error))) if job.attempts >= job.max_attempts => {
                        Outcome::Dead { error }
                    }
                    Some(Err(JobError::Retry(error))) => {
                        let failures = u32::try_from(job.attempts).unwrap_or(1);
                        let wait =
                            backoff::delay(failures, settings.backoff_base, settings.backoff_max);
                        Outcome::Retry {
                            error,
                            run_at: Utc::now()
                                + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX),
                        }
                    }
                }
            } else {
                Outcome::Released
            };
            match &outcome {
                Outcome::Retry { error, run_at } => {
                    tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %error, retry_at = %run_at, "job failed; retrying later");
                }
                Outcome::Dead { error } => {
                    tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %error, "job failed for good: dead");
                }
                _ => {}
            }
            match store::settle(&db, job.id, &worker, job.attempts, &outcome).await {
                Ok(true) => {
                    if let (Outcome::Dead { error }, Some(hook)) = (&outcome, dead_hook) {
                        let ctx = JobContext::of(&job, &db);
                        hook(ctx, error.clone()).await;
                    }
                }
                Ok(false) => {
                    tracing::warn!(job = %job.id, "a job's lease passed before it ended; its outcome was dropped")
                }
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "recording a job's outcome failed; it runs again after its lease")
                }
            }
        }
    }
}

/// Stops a task when dropped: a heartbeat ends with its attempt, also when the attempt itself
/// is dropped (a runtime that stops without releasing, as a crash would).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
