//! The black-box tests, one module per file beside this one, built as one test binary.
//!
//! Each file holds what users do with one part of the API, on SQLite and PostgreSQL (the
//! `dual!` macro). Run one file's tests with `cargo test -p crm-tests --test suite -- <file>::`.

mod access;
mod activities;
mod analytics;
mod analytics_actions;
mod analytics_baskets;
mod analytics_charts;
mod analytics_clv;
mod analytics_funnel;
mod analytics_profit;
mod analytics_refresh;
mod analytics_rollups;
mod api_keys;
mod auth;
mod bad_input;
mod batch;
mod browser;
mod contact_parse;
mod contracts;
mod crash;
mod custom_fields;
mod customers;
mod errors;
mod events;
mod export;
mod external_ids;
mod graphql;
mod graphql_filters;
mod http_face;
mod imports;
mod jobs;
mod leads;
mod list_params;
mod lists;
mod locations;
mod memory;
mod merge;
mod observability;
mod operations;
mod rate_limits;
mod robustness;
mod role_walk;
mod sales;
mod schema_limits;
mod search;
mod sessions;
mod sort_paging;
mod subscriptions;
mod tenancy;
mod tenancy_walk;
mod timeline;
mod webhooks;
mod webhooks_graphql;
mod write_safety;
