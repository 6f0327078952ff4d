//! What the world sees of imports: the options of an upload, the job's state and counters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

macro_rules! names {
    ($ty:ident { $($v:ident = $s:literal),* $(,)? }) => {
        impl $ty {
            /// The stored and serialised name.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$v => $s),* }
            }

            /// Parses a name; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($ty::$v),)* _ => None }
            }
        }
    };
}

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[cfg_attr(feature = "graphql", graphql(name = "ImportFileFormat"))]
pub enum ImportFormat {
    /// Comma-separated values (RFC 4180, UTF-8) with a header row; the `delimiter` option
    /// takes `;` or a tab instead of the comma.
    #[default]
    Csv,
    /// One JSON object per line: the body of the single create, or keys renamed by the
    /// mapping.
    Ndjson,
    /// vCard 3.0 or 4.0 (`.vcf`), one or more cards: contacts only.
    Vcard,
}
names!(ImportFormat { Csv = "csv", Ndjson = "ndjson", Vcard = "vcard" });

/// Where an import is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ImportState {
    /// Uploaded, waiting for a worker.
    Queued,
    /// Rows are being written; the counters grow with every committed chunk.
    Running,
    /// Every row was read: the counters say what became of them (failed rows included).
    Succeeded,
    /// Stopped by a cancel: the rows up to `rows_done` are committed, the rest not read.
    Cancelled,
    /// The file could not be read at all (`error` says why); `rows_done` rows are committed.
    Failed,
}
names!(ImportState {
    Queued = "queued",
    Running = "running",
    Succeeded = "succeeded",
    Cancelled = "cancelled",
    Failed = "failed",
});

impl ImportState {
    /// Whether the import has ended.
    pub fn ended(self) -> bool {
        matches!(
            self,
            ImportState::Succeeded | ImportState::Cancelled | ImportState::Failed
        )
    }
}

/// What a row is matched on against existing records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum MatchOn {
    /// No matching: every row creates a record.
    #[default]
    None,
    /// Contacts: the email address, case-insensitively.
    Email,
    /// Companies: the web domain, case-insensitively.
    Domain,
    /// Products: the SKU.
    Sku,
    /// Companies, products and orders: the id in the source system (`external_id`, with
    /// the import's `external_source`).
    ExternalId,
}
names!(MatchOn {
    None = "none",
    Email = "email",
    Domain = "domain",
    Sku = "sku",
    ExternalId = "external_id",
});

/// What a row that matches an existing record does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum OnMatch {
    /// Leaves the record as it is and counts the row as skipped.
    #[default]
    Skip,
    /// Updates the record with the row's fields (products and orders are replaced, as their
    /// single update does).
    Update,
    /// Creates another record anyway.
    Create,
}
names!(OnMatch {
    Skip = "skip",
    Update = "update",
    Create = "create",
});

/// The options of an upload (the `options` part of `POST /api/v1/imports`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportOptions {
    /// What the rows become: `contacts`, `companies`, `products`, `orders` or `activities`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "contacts",
            max_length = 40,
            pattern = "^(contacts|companies|products|orders|activities)$"
        )
    )]
    pub resource: String,
    /// The file's format; by default taken from the file name (`.csv`, `.ndjson`/`.jsonl`,
    /// `.vcf`), else CSV.
    #[serde(default)]
    pub format: Option<ImportFormat>,
    /// Column (CSV header, or NDJSON key) -> field of the single create's body: a field
    /// (`email`), a nested field (`address.city`), a custom field (`custom.<key>`),
    /// `external_id`, or for orders a line's field (`lines.quantity`; rows with the same
    /// `external_id` become one order's lines). Unmapped columns are ignored. Empty: every
    /// column is named by its field.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = json!({"E-Mail": "email", "Vorname": "first_name", "Ort": "address.city"})))]
    pub mapping: BTreeMap<String, String>,
    /// What rows are matched on against existing records (default `none`).
    #[serde(default)]
    pub match_on: MatchOn,
    /// What a matching row does (default `skip`).
    #[serde(default)]
    pub on_match: OnMatch,
    /// The source system of the `external_id` column (default `import`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "sap", max_length = 60))]
    pub external_source: Option<String>,
    /// The CSV delimiter: `,` (default), `;`, `|` or a tab.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = ",", max_length = 1, pattern = r"^[,;|\t]$")
    )]
    pub delimiter: Option<String>,
    /// Validates and matches every row as a real run would, then writes nothing: the
    /// counters and failed rows say what the import would do.
    #[serde(default)]
    pub dry_run: bool,
}

/// An import of the caller's organization.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ImportJob {
    /// Identifier (UUIDv7). Every record the import writes names it as its events' `origin`.
    pub id: Uuid,
    /// What the rows become (the collection's path).
    #[cfg_attr(feature = "openapi", schema(example = "contacts"))]
    pub resource: String,
    /// The file's format.
    pub format: ImportFormat,
    /// The uploaded file's name, as sent.
    pub file_name: Option<String>,
    /// The file's size in bytes.
    pub bytes: i64,
    /// The column mapping.
    pub mapping: BTreeMap<String, String>,
    /// What rows are matched on.
    pub match_on: MatchOn,
    /// What a matching row does.
    pub on_match: OnMatch,
    /// The source system of `external_id`.
    #[cfg_attr(feature = "openapi", schema(example = "sap"))]
    pub external_source: String,
    /// Whether nothing is written.
    pub dry_run: bool,
    /// Where the import is in its life.
    pub state: ImportState,
    /// The file's rows (without the CSV header), once counted.
    pub rows_total: Option<i64>,
    /// Rows read and committed so far.
    pub rows_done: i64,
    /// Records created (with `dry_run`: would be created).
    pub created: i64,
    /// Records updated.
    pub updated: i64,
    /// Rows that matched a record and were left alone.
    pub skipped: i64,
    /// Rows refused: download them from `failures_url`.
    pub failed: i64,
    /// `rows_done` of `rows_total`, in percent.
    pub percent: f64,
    /// The estimated seconds left, from the pace so far.
    pub eta_seconds: Option<i64>,
    /// Whether a cancel was asked for.
    pub cancel_requested: bool,
    /// Why the file could not be read.
    pub error: Option<String>,
    /// The user who uploaded it; rows are written with that user's role at the time.
    pub created_by: Uuid,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
    /// When a worker began.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// The failed rows as CSV (`row,field,code,reason`), with the same bearer credential.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "/api/v1/imports/01936f4e-8f1a-7c3b-9d2e-5a6b7c8d9e0f/failures")
    )]
    pub failures_url: String,
}
