//! Errors of customer operations, mapped onto the shared code table.

use crm_core::{Code, Error};
use uuid::Uuid;

/// What can go wrong in a customer operation.
#[derive(Debug, thiserror::Error)]
pub enum CustomersError {
    /// The record changed since the version the client holds.
    #[error("the record changed since version {expected}; it is now at version {current}")]
    VersionMismatch {
        /// The version the client sent.
        expected: i64,
        /// The current version.
        current: i64,
    },
    /// The record was merged into another one.
    #[error("this record was merged into {0}")]
    Merged(Uuid),
    /// A record cannot be merged into itself.
    #[error("a record cannot be merged into itself")]
    SelfMerge,
    /// A shared error (validation, not found, forbidden, ...).
    #[error(transparent)]
    Core(#[from] Error),
    /// A database failure.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<CustomersError> for Error {
    fn from(err: CustomersError) -> Self {
        let detail = err.to_string();
        match err {
            CustomersError::VersionMismatch { .. } => Error::new(Code::PreconditionFailed, detail),
            CustomersError::Merged(id) => Error {
                meta: Some(serde_json::json!({ "merged_into": id })),
                ..Error::new(Code::NotFound, detail)
            },
            CustomersError::SelfMerge => {
                Error::invalid_field("/source_id", "self_merge", "must be another record")
            }
            CustomersError::Core(e) => e,
            CustomersError::Db(e) => e.into(),
        }
    }
}

/// Shorthand for customer results.
pub type Result<T, E = CustomersError> = std::result::Result<T, E>;
