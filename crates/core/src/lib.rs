//! Shared kernel of the CRM.
//!
//! Everything every domain crate needs and nothing transport-specific: identifiers, the request
//! context ([`Ctx`]) with the acting principal, roles and the permission matrix, the one error
//! code table ([`Code`], [`Error`]), opaque cursors for keyset pagination, the database
//! connection with its engine-specific settings, and a database-backed rate limiter.

pub mod audit;
pub mod batch;
pub mod bulk;
pub mod ctx;
pub mod cursor;
pub mod db;
pub mod error;
pub mod id_set;
pub mod idempotency;
pub mod ids;
pub mod input;
pub mod kit;
pub mod list;
pub mod money;
pub mod page;
pub mod patch;
pub mod rate_limit;
pub mod reads;
pub mod resource;
pub mod role;
pub mod row;
pub mod search;
pub mod validation;
pub mod vocab;

pub use ctx::{Actor, Ctx, Origin, PrincipalKind};
pub use error::{Code, Error, FieldError, Result};
pub use ids::new_id;
pub use money::Money;
pub use page::{Page, PageRequest};
pub use patch::Patch;
pub use role::{Action, ApiKeyScope, Role};
pub use vocab::{Channel, LifecycleStage, SizeBand};

/// `serde_json`, for the expansion of [`sort_keys!`] in crates that do not depend on it.
#[doc(hidden)]
pub use serde_json as __json;

/// SeaORM, for the expansion of [`by_position!`].
#[doc(hidden)]
pub use sea_orm as __orm;
