//! Analytics operations: every thing a caller can do, independent of REST or GraphQL.

mod abc;
mod actions;
mod baskets;
mod clv;
mod funnel;
mod items;
mod items_sql;
mod monthly;
mod names;
mod overview;
mod overview_snapshot;
mod profit;
mod rates;
mod refresh;
mod retention;
mod revenue;
mod revenue_grouped;
mod rfm;
mod rollup_fold;
mod rollups;
mod settings;
mod xyz;

pub use abc::{abc_report, abc_xyz_matrix};
pub use actions::{accept_action, dismiss_action, next_best_actions};
pub use baskets::{cross_sell_report, recommendation_report};
pub use clv::clv_report;
pub use funnel::funnel_report;
pub use monthly::monthly_revenue;
pub use overview::{Compute, Known, Section, default_sections, overview};
pub use profit::profit_report;
pub use rates::{
    delete_exchange_rate, import_exchange_rates, list_exchange_rates, put_exchange_rates,
};
pub use refresh::{
    REFRESH_JOB, get_refresh, register as register_refresh, run_refresh, update_refresh,
};
pub use retention::retention_report;
pub use rfm::rfm_report;
pub use rollups::{ROLLUP_JOB, get_rollups, register as register_rollups, update_rollups};
pub use settings::{get_settings, update_settings};
pub use xyz::xyz_report;
