//! Errors of sales operations, mapped onto the shared code table.

use crm_core::{Code, Error};

/// What can go wrong in a sales operation.
#[derive(Debug, thiserror::Error)]
pub enum SalesError {
    /// The record changed since the version the client holds.
    #[error("the record changed since version {expected}; it is now at version {current}")]
    VersionMismatch {
        /// The version the client sent.
        expected: i64,
        /// The current version.
        current: i64,
    },
    /// A shared error (validation, not found, forbidden, ...).
    #[error(transparent)]
    Core(#[from] Error),
    /// A customers error.
    #[error(transparent)]
    Customers(#[from] crm_customers::CustomersError),
    /// A database failure.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<SalesError> for Error {
    fn from(err: SalesError) -> Self {
        let detail = err.to_string();
        match err {
            SalesError::VersionMismatch { .. } => Error::new(Code::PreconditionFailed, detail),
            SalesError::Core(e) => e,
            SalesError::Customers(e) => e.into(),
            SalesError::Db(e) => e.into(),
        }
    }
}

/// Shorthand for sales results.
pub type Result<T, E = SalesError> = std::result::Result<T, E>;
