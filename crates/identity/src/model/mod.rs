//! SeaORM entities of the identity tables; private to this crate.

pub mod api_key;
pub mod organization;
pub mod refresh_token;
pub mod session;
pub mod user;
