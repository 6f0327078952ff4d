//! Export files built in the background (`POST /api/v1/exports`): the `export.run` job of the
//! worker runtime writes any kit resource's export to a file under `data_dir/exports/`, with the
//! same pages and encoding as a streamed export (`rest::export::Pages`); the file is served
//! until it expires, then deleted.
//!
//! The files are on the local disk of the process that ran the job: replicas that split HTTP
//! and workers must share `data_dir` (a volume), as documented in `docs/architecture.md`.

use crate::rest::export::{Pages, Streams, export_params};
use chrono::Utc;
use crm_core::kit::Records;
use crm_core::{Ctx, Error};
use crm_customers::kit::{Companies, Contacts};
use crm_integration::exports::{self, EXPORT_JOB, ExportRun};
use crm_integration::{ExportFormat, NewExport};
use crm_interactions::kit::Activities;
use crm_sales::kit::{Deals, Invoices, Leads, Orders, Products, Quotes};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;
use uuid::Uuid;

/// Records written between two progress notes.
const PROGRESS_EVERY: usize = 10_000;

/// Runs `$f::<R>($args)` for the kit resource whose path is `$path`; `None` for another path.
macro_rules! by_resource {
    ($path:expr, $f:ident($($arg:expr),*)) => {
        match $path {
            "contacts" => Some($f::<Contacts>($($arg),*).await),
            "companies" => Some($f::<Companies>($($arg),*).await),
            "activities" => Some($f::<Activities>($($arg),*).await),
            "deals" => Some($f::<Deals>($($arg),*).await),
            "leads" => Some($f::<Leads>($($arg),*).await),
            "products" => Some($f::<Products>($($arg),*).await),
            "orders" => Some($f::<Orders>($($arg),*).await),
            "quotes" => Some($f::<Quotes>($($arg),*).await),
            "invoices" => Some($f::<Invoices>($($arg),*).await),
            _ => None,
        }
    };
}

/// Whether `resource` (a collection path) can be exported.
pub fn exportable(resource: &str) -> bool {
    matches!(
        resource,
        "contacts"
            | "companies"
            | "activities"
            | "deals"
            | "leads"
            | "products"
            | "orders"
            | "quotes"
            | "invoices"
    )
}

/// The folder of export files.
pub fn files_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("exports")
}

/// Where the file of export `id` is written.
pub fn file_path(dir: &Path, id: Uuid, format: ExportFormat) -> PathBuf {
    dir.join(format!("{id}.{}", format.extension()))
}

/// The query pairs of an export's parameters, with its format.
fn pairs(
    params: &std::collections::BTreeMap<String, String>,
    format: ExportFormat,
) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain([("format".to_owned(), format.as_str().to_owned())])
        .collect()
}

/// Checks an export request as its list would: the resource, then the parameters, by reading
/// one record with them (a bad filter is a 422 now, not a failed job later).
pub async fn check(ctx: &Ctx, input: &NewExport) -> Result<(), Error> {
    if input.params.contains_key("format") {
        return Err(Error::invalid_field(
            "/params/format",
            "not_allowed",
            "the format is the request's `format` field",
        ));
    }
    let pairs = pairs(&input.params, input.format);
    by_resource!(input.resource.as_str(), probe(ctx, pairs)).unwrap_or(Ok(()))
}

async fn probe<R: Records>(ctx: &Ctx, pairs: Vec<(String, String)>) -> Result<(), Error> {
    let (_, mut params) = export_params(pairs)?;
    params.page.limit = Some(1);
    R::list(ctx, &params).await.map(|_| ())
}

/// Writes the export to `path` (through a `.part` file renamed at the end, so a file that
/// exists is complete); returns its records and bytes.
async fn write<R: Records>(
    run: &ExportRun,
    path: &Path,
    streams: &Streams,
) -> Result<(i64, i64), Error>
where
    R::Record: ToSchema,
{
    let (format, params) = export_params(pairs(&run.params, run.format))?;
    let mut pages = Pages::<R>::start(run.ctx.clone(), params, format, streams).await?;
    let part = path.with_extension("part");
    let io = |e: std::io::Error| Error::internal(format!("export file: {e}"));
    let mut file = tokio::fs::File::create(&part).await.map_err(io)?;
    let (mut rows, mut bytes, mut noted) = (0usize, 0usize, 0usize);
    while let Some((chunk, n)) = pages.next().await? {
        file.write_all(&chunk).await.map_err(io)?;
        rows += n;
        bytes += chunk.len();
        if rows - noted >= PROGRESS_EVERY {
            exports::note_progress(&run.ctx.db, run.id, rows as i64).await?;
            noted = rows;
        }
    }
    file.sync_all().await.map_err(io)?;
    drop(file);
    tokio::fs::rename(&part, path).await.map_err(io)?;
    Ok((rows as i64, bytes as i64))
}

/// Registers the `export.run` handler: files under `dir`, kept for `retention`, read by one
/// streamed statement within `streams` (the jobs' own share of the pool).
pub fn register(
    registry: &mut crm_worker::Registry,
    dir: PathBuf,
    retention: chrono::Duration,
    streams: Streams,
) {
    registry.register(EXPORT_JOB, move |job: crm_worker::JobContext| {
        let dir = dir.clone();
        let streams = streams.clone();
        async move {
            let id: Uuid = job
                .payload
                .get("export_id")
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| crm_worker::JobError::permanent("payload without export_id"))?;
            let retry = |e: Error| crm_worker::JobError::retry(e.to_string());
            // Files of expired exports go first.
            for old in exports::expire_exports(&job.db, Utc::now())
                .await
                .map_err(|e| retry(e.into()))?
            {
                for format in [ExportFormat::Csv, ExportFormat::Ndjson] {
                    let _ = tokio::fs::remove_file(file_path(&dir, old, format)).await;
                }
            }
            let Some(run) = exports::export_run(&job.db, id)
                .await
                .map_err(|e| retry(e.into()))?
            else {
                return Ok(());
            };
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| crm_worker::JobError::retry(format!("export folder: {e}")))?;
            let path = file_path(&dir, id, run.format);
            let outcome = by_resource!(run.resource.as_str(), write(&run, &path, &streams))
                .unwrap_or_else(|| Err(Error::not_found("Exported resource")));
            let outcome = outcome.map_err(|e| {
                tracing::warn!(export = %id, error = %e, "export failed");
                e.detail.clone()
            });
            exports::finish_export(&job.db, id, outcome, Utc::now() + retention)
                .await
                .map_err(|e| retry(e.into()))?;
            Ok(())
        }
    });
    // A dead job (its worker stopped during the last attempt, or the database kept failing)
    // fails its export, which would otherwise show `running` for ever.
    registry.on_dead(EXPORT_JOB, move |job: crm_worker::JobContext, error: String| async move {
        let Some(id) = job
            .payload
            .get("export_id")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<Uuid>().ok())
        else {
            return;
        };
        if let Err(e) = exports::finish_export(&job.db, id, Err(error), Utc::now()).await {
            tracing::warn!(export = %id, error = %e, "cannot mark the export of a dead job failed");
        }
    });
}
