//! Errors of analytics operations, mapped onto the shared code table.

use crm_core::Error;

/// What can go wrong in an analytics operation.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// A shared error (validation, not found, forbidden, ...).
    #[error(transparent)]
    Core(#[from] Error),
    /// A database failure.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<AnalyticsError> for Error {
    fn from(err: AnalyticsError) -> Self {
        match err {
            AnalyticsError::Core(e) => e,
            AnalyticsError::Db(e) => e.into(),
        }
    }
}

/// Shorthand for analytics results.
pub type Result<T, E = AnalyticsError> = std::result::Result<T, E>;
