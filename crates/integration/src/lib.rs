//! Integration features built on the outbox every write appends to.
//!
//! - The change feed ([`feed::list_events`]): the organization's domain events in commit
//!   order, from an opaque cursor that never skips an event committed late ([`position`]),
//!   filtered by type patterns ([`types`]), long-polled through a [`Feed`] that writes wake.
//! - Followers ([`follow`]): the feed as it grows, for GraphQL subscriptions, woken on
//!   PostgreSQL by a notification at every commit of any replica.
//! - Retention ([`prune`]): events older than the feed's retention are deleted.
//! - Export files built in the background ([`exports`]), written by a job of the worker
//!   runtime.
//!
//! - Webhooks ([`webhooks`]): signed delivery of the feed's events to the organization's
//!   endpoints, on the worker runtime.
//!
//! - Bulk imports ([`imports`]): uploaded files written row by row through the resources'
//!   own operations by a job of the worker runtime, with progress, cancel and failed rows.

pub mod dto;
pub mod error;
pub mod exports;
pub mod feed;
pub mod follow;
pub mod imports;
pub mod position;
pub mod prune;
pub mod types;
pub mod webhooks;

pub use dto::{Event, EventActor, EventOrigin, EventPage, EventQuery, EventRecord};
pub use error::IntegrationError;
pub use exports::{ExportFile, ExportFormat, ExportState, NewExport};
pub use feed::{Feed, FeedSettings, list_events};
pub use imports::{ImportFormat, ImportJob, ImportOptions, ImportState, MatchOn, OnMatch};
