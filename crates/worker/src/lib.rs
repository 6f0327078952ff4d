//! The one worker runtime every background feature runs on.
//!
//! - A job is a row of `jobs` ([`NewJob`], [`enqueue`]) written in the caller's transaction, so
//!   it exists exactly when the change that needs it commits.
//! - Handlers are registered per kind ([`Registry`]); each gets a [`JobContext`] and answers
//!   `Ok` or a [`JobError`] (retry or permanent).
//! - A [`Runtime`] claims due jobs (`FOR UPDATE SKIP LOCKED` on PostgreSQL, an IMMEDIATE
//!   transaction on SQLite), runs them with bounded concurrency under a lease it keeps
//!   extending, retries failures with exponential backoff and jitter ([`backoff`]), marks a job
//!   `dead` after its last attempt, prunes succeeded jobs, and stops gracefully.
//! - Admins see and handle their organization's jobs through [`ops`].
//!
//! Domain crates depend on this crate to enqueue; the gateway assembles the registry and runs
//! the runtime (`crm serve`, `crm worker`).

pub mod backoff;
pub mod dto;
pub mod enqueue;
pub mod error;
mod model;
pub mod ops;
pub mod registry;
pub mod runtime;
mod store;

pub use dto::{Job, JobFilter, JobState};
pub use enqueue::{NewJob, enqueue, forget_succeeded, is_live, nudge, wake};
pub use error::WorkerError;
pub use registry::{DeadHook, Handler, JobContext, JobError, Registry};
pub use runtime::{Runtime, Settings, StopClaiming};
