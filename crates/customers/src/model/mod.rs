//! SeaORM entities of the customer tables; private to this crate.

pub mod company;
pub mod contact;
pub mod custom_field_def;
