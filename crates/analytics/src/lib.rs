//! The analytical CRM, read-only over the other domains' tables (orders and their lines,
//! products, companies, contacts) plus its own settings: the organization's base currency and
//! the exchange rates admins maintain, ABC classes by revenue, XYZ classes by the stability of
//! monthly revenue, and the ABC-XYZ matrix, as `../shared/DOMAIN.md` defines them.

pub mod dto;
pub mod dto_actions;
pub mod dto_baskets;
pub mod dto_clv;
pub mod dto_items;
pub mod dto_profit;
pub mod dto_refresh;
pub mod dto_rollups;
pub mod error;
mod model;
pub mod models;
pub mod ops;

pub use dto::*;
pub use dto_actions::*;
pub use dto_baskets::*;
pub use dto_clv::*;
pub use dto_items::*;
pub use dto_profit::*;
pub use dto_refresh::{AnalyticsRefresh, AnalyticsRefreshInput};
pub use dto_rollups::*;
pub use error::AnalyticsError;
