//! Bulk imports: an uploaded file (CSV, NDJSON or vCard) is recorded with its options and who
//! uploaded it, and a job on the worker runtime writes its rows through the resources' own
//! single-write operations (the gateway registers the `import.run` handler, which knows the
//! resources and reads the file). Each chunk of rows commits together with the import's
//! counters and its failed rows, so the counters always say what is committed.
//!
//! Who sees what: everyone who may write may import, and sees their own imports; admins see
//! every import of the organization.

pub mod dto;
mod model;
pub mod ops;

pub use dto::{ImportFormat, ImportJob, ImportOptions, ImportState, MatchOn, OnMatch};
pub use ops::{
    Counts, Created, Failure, IMPORT_JOB, ImportRun, Upload, cancel_import, commit_chunk,
    create_import, failures_page, finish_import, get_import, import_run, is_superseded,
    list_imports, set_total, superseded, unfinished_imports,
};
