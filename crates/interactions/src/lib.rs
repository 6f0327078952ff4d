//! Interactions: activities on every channel (calls, emails, meetings, notes, tasks, visits,
//! presentations), tasks with assignees and due dates, feedback (complaints and suggestions),
//! and the customer timeline that shows everything that happened with a contact or company.
//!
//! An activity links to records through `activity_links` rows (`record_type`, `record_id`), so
//! leads, deals, tickets and campaigns join by adding link types, not by rewriting activities.

pub mod dto;
pub mod error;
pub mod kit;
mod model;
pub mod ops;

pub use dto::*;
pub use error::InteractionsError;
