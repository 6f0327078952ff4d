//! SeaORM entities of the interaction tables; private to this crate.

pub mod activity;
pub mod activity_link;
