//! Errors of identity operations, mapped onto the shared code table.

use crm_core::{Code, Error, FieldError};

/// What can go wrong in an identity operation.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Email or password wrong, or the user is deactivated (deliberately indistinguishable).
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Self-service signup is switched off.
    #[error("signup is disabled on this server")]
    SignupDisabled,
    /// Another user already has this email.
    #[error("this email is already registered")]
    EmailTaken,
    /// A token or key that is malformed, unknown, expired, revoked or badly signed.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// The user of a valid token has been deactivated.
    #[error("this user has been deactivated")]
    Deactivated,
    /// The change would leave the organization without an active admin.
    #[error("the organization must keep at least one active admin")]
    LastAdmin,
    /// A caller tried to grant a role above its own.
    #[error("you cannot grant a role above your own")]
    RoleAboveOwn,
    /// The current password given to change the password is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// Every password-hashing slot is taken and the queue is full: retry in a moment.
    #[error("the server is busy checking passwords; retry in a moment")]
    Busy,
    /// A shared error (validation, not found, forbidden, rate limited, ...).
    #[error(transparent)]
    Core(#[from] Error),
    /// A database failure.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<IdentityError> for Error {
    fn from(err: IdentityError) -> Self {
        let detail = err.to_string();
        match err {
            IdentityError::InvalidCredentials => Error::new(Code::InvalidCredentials, detail),
            IdentityError::SignupDisabled => Error::new(Code::SignupDisabled, detail),
            IdentityError::EmailTaken => Error {
                fields: vec![FieldError::new("/email", "taken", "is already registered")],
                ..Error::new(Code::Conflict, detail)
            },
            IdentityError::InvalidToken(_) | IdentityError::Deactivated => {
                Error::new(Code::Unauthenticated, detail)
            }
            IdentityError::LastAdmin => Error::new(Code::Conflict, detail),
            IdentityError::RoleAboveOwn => Error {
                fields: vec![FieldError::new(
                    "/role",
                    "above_own",
                    "is above your own role",
                )],
                ..Error::new(Code::Forbidden, detail)
            },
            IdentityError::WrongPassword => Error::invalid_field(
                "/current_password",
                "mismatch",
                "does not match your current password",
            ),
            IdentityError::Busy => Error {
                retry_after: Some(1),
                ..Error::new(Code::Unavailable, detail)
            },
            IdentityError::Core(e) => e,
            IdentityError::Db(e) => e.into(),
        }
    }
}

/// Shorthand for identity results.
pub type Result<T, E = IdentityError> = std::result::Result<T, E>;
