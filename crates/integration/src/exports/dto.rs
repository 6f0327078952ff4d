//! What the world sees of export files: the request, the file's state, its format.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ExportFormat {
    /// Comma-separated values (RFC 4180) with a header row: the record's fields in its
    /// schema's order, nested objects as `<field>.<key>`, custom fields as `custom.<key>`,
    /// lists and free-form objects as JSON text.
    #[default]
    Csv,
    /// One JSON record per line, as the list gives it.
    Ndjson,
}

impl ExportFormat {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
        }
    }

    /// Parses a name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(ExportFormat::Csv),
            "ndjson" => Some(ExportFormat::Ndjson),
            _ => None,
        }
    }

    /// The media type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Ndjson => "application/x-ndjson",
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

/// Where an export is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ExportState {
    /// Waiting for a worker.
    Queued,
    /// Being written; `rows` grows as pages are written.
    Running,
    /// Written: download it from `download_url` until `expires_at`.
    Succeeded,
    /// Not written: `error` says why.
    Failed,
    /// Was written, and deleted after `expires_at`.
    Expired,
}

impl ExportState {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportState::Queued => "queued",
            ExportState::Running => "running",
            ExportState::Succeeded => "succeeded",
            ExportState::Failed => "failed",
            ExportState::Expired => "expired",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(ExportState::Queued),
            "running" => Some(ExportState::Running),
            "succeeded" => Some(ExportState::Succeeded),
            "failed" => Some(ExportState::Failed),
            "expired" => Some(ExportState::Expired),
            _ => None,
        }
    }
}

/// A request for an export file built in the background: for sets too large to stream in one
/// request (`GET /api/v1/<resource>/export` streams the same file at once).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct NewExport {
    /// What to export: `contacts`, `companies`, `activities`, `deals`, `leads`, `products`,
    /// `orders`, `quotes` or `invoices` (the collection's path).
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "contacts",
            max_length = 40,
            pattern = "^(contacts|companies|activities|deals|leads|products|orders|quotes|invoices)$"
        )
    )]
    pub resource: String,
    /// The file's format (default `csv`).
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub format: ExportFormat,
    /// The list's parameters, as the list takes them in its query string: filters
    /// (`field`, `field[op]`, `custom.<key>[op]`), `sort` and `q`; no `limit` or `cursor`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = json!({"lifecycle_stage": "customer", "sort": "-created_at"})))]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub params: BTreeMap<String, String>,
}

/// An export file of the caller's organization.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ExportFile {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// What is exported (the collection's path).
    #[cfg_attr(feature = "openapi", schema(example = "contacts"))]
    pub resource: String,
    /// The file's format.
    pub format: ExportFormat,
    /// The list's parameters the export applies.
    pub params: BTreeMap<String, String>,
    /// Where the export is in its life.
    pub state: ExportState,
    /// Records written so far (all of them once `succeeded`).
    #[cfg_attr(feature = "openapi", schema(example = 120000))]
    pub rows: i64,
    /// The file's size in bytes once written.
    pub bytes: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// The user who asked for it; the export reads with that user's role at the time.
    pub created_by: Uuid,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When a worker began writing it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was written or failed.
    pub finished_at: Option<DateTime<Utc>>,
    /// Until when the file can be downloaded.
    pub expires_at: Option<DateTime<Utc>>,
    /// Where to download the file (with the same bearer credential), once `succeeded`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "/api/v1/exports/01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f/file")
    )]
    pub download_url: Option<String>,
}
