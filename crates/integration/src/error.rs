//! Errors of the change feed, mapped onto the shared code table.

use crm_core::{Code, Error};

/// What can go wrong reading the change feed.
#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    /// The cursor is older than the event retention: events after it may have been pruned.
    #[error(
        "the cursor is older than the event retention ({retention_days} days): events after it \
         may be gone; read the feed again from the start (without `after`) and resynchronise"
    )]
    CursorExpired {
        /// The retention, in whole days (rounded down).
        retention_days: u64,
    },
    /// A shared error (forbidden, validation, a cursor of another organization).
    #[error(transparent)]
    Core(#[from] Error),
    /// A database failure.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<IntegrationError> for Error {
    fn from(err: IntegrationError) -> Self {
        let detail = err.to_string();
        match err {
            IntegrationError::CursorExpired { .. } => Error::new(Code::CursorExpired, detail),
            IntegrationError::Core(e) => e,
            IntegrationError::Db(e) => e.into(),
        }
    }
}

/// Shorthand for change feed results.
pub type Result<T, E = IntegrationError> = std::result::Result<T, E>;
