//! Bulk imports (`POST /api/v1/imports`): the upload is streamed to a file under
//! `data_dir/imports/`, its options are checked against the resource (the mapping's targets
//! against the create body's schema, its columns against the file's header) before anything
//! is queued, and the `import.run` job writes the rows ([`engine`]). The file is deleted when
//! the import ends, and by the sweep of [`orphans`] when a stopped server left it behind.
//!
//! As with exports, replicas that split HTTP and workers must share `data_dir`.

pub mod engine;
pub mod fields;
pub mod orphans;
pub mod source;

use crm_core::batch::BatchWrite;
use crm_core::{Ctx, Error};
use crm_customers::kit::{Companies, Contacts};
use crm_integration::imports::{self, IMPORT_JOB};
use crm_integration::{ImportFormat, ImportOptions, MatchOn};
use crm_interactions::kit::Activities;
use crm_sales::kit::{Orders, Products};
use engine::{MatchRule, Plan};
use fields::Fields;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use utoipa::ToSchema;
use uuid::Uuid;

/// The resources rows can be imported into.
pub const RESOURCES: &str = "contacts, companies, products, orders, activities";

/// Runs `$f::<R>($args)` for the importable resource whose path is `$path`; `None` else.
macro_rules! by_resource {
    ($path:expr, $f:ident($($arg:expr),*)) => {
        match $path {
            "contacts" => Some($f::<Contacts>($($arg),*).await),
            "companies" => Some($f::<Companies>($($arg),*).await),
            "products" => Some($f::<Products>($($arg),*).await),
            "orders" => Some($f::<Orders>($($arg),*).await),
            "activities" => Some($f::<Activities>($($arg),*).await),
            _ => None,
        }
    };
}

/// The folder of uploaded files.
pub fn files_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("imports")
}

/// Where the file of import `id` is kept.
pub fn file_path(dir: &Path, id: Uuid) -> PathBuf {
    dir.join(format!("{id}.upload"))
}

/// The match rules of a resource.
fn rules(resource: &str) -> Vec<MatchRule> {
    fn same(s: &str) -> Option<String> {
        Some(s.to_owned())
    }
    fn lower(s: &str) -> Option<String> {
        Some(s.to_lowercase())
    }
    let rule = |on, table, column, field, key, extra| MatchRule {
        on,
        table,
        column,
        field,
        key,
        extra,
    };
    let external = |table, extra| {
        rule(
            MatchOn::ExternalId,
            table,
            "external_id",
            "external_id",
            same as fn(&str) -> Option<String>,
            extra,
        )
    };
    match resource {
        "contacts" => vec![
            rule(
                MatchOn::Email,
                "contacts",
                "lower(email)",
                "email",
                lower,
                "",
            ),
            external("contacts", ""),
        ],
        // Domains are stored normalised (lowercase, no scheme, `www.` or path).
        "companies" => vec![
            rule(
                MatchOn::Domain,
                "companies",
                "domain",
                "domain",
                crm_customers::domain_key,
                "",
            ),
            external("companies", ""),
        ],
        "products" => vec![
            rule(MatchOn::Sku, "products", "sku", "sku", same, ""),
            external("products", ""),
        ],
        "orders" => vec![external("sales_documents", "AND doc_type = 'order'")],
        "activities" => vec![external("activities", "")],
        _ => Vec::new(),
    }
}

async fn plan_of<R: BatchWrite>(ctx: &Ctx, options: &ImportOptions) -> Result<Plan, Error>
where
    R::New: ToSchema,
{
    let custom = R::custom_field_types(ctx).await?;
    let fields = Fields::of::<R::New>(R::UPSERT, custom);
    let rule = match options.match_on {
        MatchOn::None => None,
        on => Some(
            rules(R::PATH)
                .into_iter()
                .find(|r| r.on == on)
                .ok_or_else(|| {
                    let can: Vec<&str> = rules(R::PATH).iter().map(|r| r.on.as_str()).collect();
                    Error::invalid_field(
                        "/options/match_on",
                        "invalid_value",
                        format!(
                            "{} cannot be matched on `{}`; they can on: none{}",
                            R::MANY.to_lowercase(),
                            on.as_str(),
                            can.iter().map(|c| format!(", {c}")).collect::<String>()
                        ),
                    )
                })?,
        ),
    };
    Ok(Plan {
        lines: !fields.line_paths.is_empty(),
        fields,
        rule,
    })
}

/// The format of an upload: the options', else the file name's extension, else CSV.
pub fn format_of(options: &ImportOptions, file_name: Option<&str>) -> ImportFormat {
    if let Some(f) = options.format {
        return f;
    }
    let ext = file_name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("ndjson" | "jsonl") => ImportFormat::Ndjson,
        Some("vcf" | "vcard") => ImportFormat::Vcard,
        _ => ImportFormat::Csv,
    }
}

async fn check_for<R: BatchWrite>(
    ctx: &Ctx,
    options: &ImportOptions,
    headers: &[String],
) -> Result<(), Error>
where
    R::New: ToSchema,
{
    let plan = plan_of::<R>(ctx, options).await?;
    plan.fields.check(&options.mapping, headers)?;
    if options.match_on == MatchOn::ExternalId
        && !options.mapping.is_empty()
        && !options.mapping.values().any(|t| t == "external_id")
    {
        return Err(Error::invalid_field(
            "/options/mapping",
            "required",
            "matching on `external_id` needs a column mapped to `external_id`",
        ));
    }
    Ok(())
}

/// Checks an upload's options against its resource and the file before anything is queued:
/// the resource, the format, the match rule, and the mapping's targets and columns (the CSV
/// header is read from the uploaded file).
pub async fn check(
    ctx: &Ctx,
    options: &ImportOptions,
    format: ImportFormat,
    path: &Path,
) -> Result<(), Error> {
    if format == ImportFormat::Vcard && options.resource != "contacts" {
        return Err(Error::invalid_field(
            "/options/format",
            "invalid_value",
            "vCard files import contacts only",
        ));
    }
    let headers = if format == ImportFormat::Csv {
        let path = path.to_owned();
        let delim = source::delimiter(options.delimiter.as_deref());
        tokio::task::spawn_blocking(move || {
            source::Source::open(&path, format, delim, vcard_contact).map(|s| s.headers().to_vec())
        })
        .await
        .map_err(|e| Error::internal(format!("reading the header: {e}")))?
        .map_err(|reason| Error::invalid_field("/file", "unreadable", reason))?
    } else {
        Vec::new()
    };
    by_resource!(options.resource.as_str(), check_for(ctx, options, &headers)).unwrap_or_else(
        || {
            Err(Error::invalid_field(
                "/options/resource",
                "enum",
                format!("must be one of {RESOURCES}"),
            ))
        },
    )
}

/// A vCard as the body of a contact: name, title, email, phone and address as the contact
/// parser reads them (`POST /api/v1/contacts/parse`).
pub fn vcard_contact(card: &str) -> Result<Map<String, Value>, String> {
    let parsed = crm_customers::parse::parse(card, None);
    let p = parsed.proposal;
    let mut out = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.insert(k.to_owned(), Value::String(v));
        }
    };
    put("first_name", p.first_name);
    put("last_name", p.last_name);
    put("email", p.email);
    put("phone", p.phone);
    put("title", p.title);
    let address = serde_json::to_value(&p.address).unwrap_or(Value::Null);
    if let Value::Object(a) = &address
        && a.values().any(|v| !v.is_null())
    {
        out.insert("address".to_owned(), address);
    }
    if out.is_empty() {
        return Err("the card has no name, email or phone".to_owned());
    }
    Ok(out)
}

async fn run_for<R: BatchWrite>(run: imports::ImportRun, path: PathBuf) -> Result<(), Error>
where
    R::New: ToSchema,
{
    let plan = plan_of::<R>(&run.ctx, &run.options).await?;
    engine::run::<R>(run, plan, path).await
}

/// Registers the `import.run` handler: files under `dir`.
pub fn register(registry: &mut crm_worker::Registry, dir: PathBuf) {
    let files = dir.clone();
    registry.register(IMPORT_JOB, move |job: crm_worker::JobContext| {
        let dir = dir.clone();
        async move {
            let id: Uuid = job
                .payload
                .get("import_id")
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| crm_worker::JobError::permanent("payload without import_id"))?;
            let retry = |e: Error| crm_worker::JobError::retry(e.to_string());
            let Some(run) = imports::import_run(&job.db, id)
                .await
                .map_err(|e| retry(e.into()))?
            else {
                let _ = tokio::fs::remove_file(file_path(&dir, id)).await;
                return Ok(());
            };
            let path = file_path(&dir, id);
            let resource = run.options.resource.clone();
            let outcome = by_resource!(resource.as_str(), run_for(run, path.clone()))
                .unwrap_or_else(|| Err(Error::not_found("Imported resource")));
            match outcome {
                Ok(()) => {
                    let _ = tokio::fs::remove_file(&path).await;
                    Ok(())
                }
                // Another attempt took the import over (this one lost its lease): it goes on.
                Err(e) if imports::is_superseded(&e) => Ok(()),
                // The last failure ends the import (the dead-job hook below).
                Err(e) => {
                    tracing::warn!(import = %id, error = %e, "import attempt failed");
                    Err(retry(e))
                }
            }
        }
    });
    // A dead job, whether its last attempt failed or its worker stopped during it (then no
    // handler runs again), fails its import, which would otherwise show `running` for ever.
    let dir = files.clone();
    registry.on_dead(IMPORT_JOB, move |job: crm_worker::JobContext, error: String| {
        let dir = dir.clone();
        async move {
            let Some(id) = job
                .payload
                .get("import_id")
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Uuid>().ok())
            else {
                return;
            };
            if let Err(e) = imports::finish_import(
                &job.db,
                id,
                None,
                crm_integration::ImportState::Failed,
                Some(error),
            )
            .await
            {
                tracing::warn!(import = %id, error = %e, "cannot mark the import of a dead job failed");
            }
            let _ = tokio::fs::remove_file(file_path(&dir, id)).await;
        }
    });
}
