//! Identity operations: every thing a caller can do, independent of REST or GraphQL.

mod api_keys;
mod authenticate;
mod bootstrap;
mod convert;
mod sessions;
mod users;

pub use api_keys::{create_api_key, get_api_key, list_api_keys, revoke_api_key};
pub use authenticate::authenticate;
pub use bootstrap::{BootstrapInput, BootstrapOutcome, bootstrap};
pub use sessions::{login, logout, refresh, signup};
pub use users::{
    change_password, create_user, get_user, list_users, me, update_user, users_by_ids,
};
