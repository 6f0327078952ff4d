//! Errors of the job operations, mapped onto the shared code table.

use crm_core::{Code, Error};

/// What can go wrong in a job operation.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// Retry or discard of a job whose state does not allow it (only dead jobs are retried;
    /// running and succeeded jobs are not discarded).
    #[error("the job is {state}: {allowed}")]
    WrongState {
        /// The job's state.
        state: &'static str,
        /// What the operation needs.
        allowed: &'static str,
    },
    /// A shared error (not found, forbidden, validation).
    #[error(transparent)]
    Core(#[from] Error),
    /// A database failure.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<WorkerError> for Error {
    fn from(err: WorkerError) -> Self {
        let detail = err.to_string();
        match err {
            WorkerError::WrongState { .. } => Error::new(Code::Conflict, detail),
            WorkerError::Core(e) => e,
            WorkerError::Db(e) => e.into(),
        }
    }
}

/// Shorthand for job operation results.
pub type Result<T, E = WorkerError> = std::result::Result<T, E>;
