//! Errors of interaction operations, mapped onto the shared code table.

use crm_core::{Code, Error};

/// What can go wrong in an interaction operation.
#[derive(Debug, thiserror::Error)]
pub enum InteractionsError {
    /// The record changed since the version the client holds.
    #[error("the activity changed since version {expected}; it is now at version {current}")]
    VersionMismatch {
        /// The version the client sent.
        expected: i64,
        /// The current version.
        current: i64,
    },
    /// A shared error (validation, not found, forbidden, ...).
    #[error(transparent)]
    Core(#[from] Error),
    /// An error of the customers domain.
    #[error(transparent)]
    Customers(#[from] crm_customers::CustomersError),
    /// A database failure.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<InteractionsError> for Error {
    fn from(err: InteractionsError) -> Self {
        let detail = err.to_string();
        match err {
            InteractionsError::VersionMismatch { .. } => {
                Error::new(Code::PreconditionFailed, detail)
            }
            InteractionsError::Core(e) => e,
            InteractionsError::Customers(e) => e.into(),
            InteractionsError::Db(e) => e.into(),
        }
    }
}

/// Shorthand for interaction results.
pub type Result<T, E = InteractionsError> = std::result::Result<T, E>;
