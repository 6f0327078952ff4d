//! Interaction operations: every thing a caller can do, independent of REST or GraphQL.

mod activities;
mod activities_upsert;
mod links;
mod loaders;
mod merge;
mod tasks;
mod timeline;

pub use activities::{
    ACTIVITY_FIELDS, activity_history, create_activity, create_activity_in, delete_activity,
    export_activities, get_activity, list_activities, restore_activity, update_activity,
    update_activity_in,
};
pub use activities_upsert::{upsert_activity, upsert_activity_in};
pub use loaders::{activities_by_contact, contact_activity_cursor};
pub use merge::{merge_companies, merge_contacts};
pub use tasks::{complete_task, feedback_summary, my_open_tasks, overdue_tasks};
pub use timeline::{TimelineFilter, TimelineRecord, contact_timeline_sql, timeline};
