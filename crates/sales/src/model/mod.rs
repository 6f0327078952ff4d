//! SeaORM entities of the sales tables; private to this crate.

pub mod deal;
pub mod document;
pub mod lead;
pub mod line;
pub mod payment;
pub mod pipeline;
pub mod price_list;
pub mod product;
pub mod product_price;
pub mod stage;
pub mod stage_history;
