//! Identity and access: organizations, users, roles, sessions (JWT access tokens and single-use
//! rotating refresh tokens), API keys for integrations, and the first-start bootstrap.
//!
//! Every operation takes either a [`crm_core::Ctx`] (an authenticated caller, whose organization
//! scopes every query) or, for sign-up, login and refresh, the database and the [`Auth`] settings.

pub mod dto;
pub mod error;
pub mod jwt;
pub mod key_usage;
mod model;
pub mod ops;
pub mod password;
pub mod principal_cache;
pub mod secret;

pub use dto::*;
pub use error::IdentityError;
pub use jwt::{Auth, AuthSettings};
