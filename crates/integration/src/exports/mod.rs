//! Export files built in the background: a request is recorded with who asked and a job on the
//! worker runtime writes the file (the gateway registers the `export.run` handler, which knows
//! the resources); the file is downloaded once written, until it expires.
//!
//! Who sees what: everyone who may read may ask for an export, and sees their own; admins see
//! every export of the organization.

pub mod dto;
mod model;
pub mod ops;

pub use dto::{ExportFile, ExportFormat, ExportState, NewExport};
pub use ops::{
    EXPORT_JOB, ExportRun, create_export, expire_exports, export_run, finish_export, get_export,
    list_exports, note_progress,
};
