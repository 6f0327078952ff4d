//! Recording uploads, reading and cancelling imports, and the steps of the job that runs them.

use super::dto::{ImportFormat, ImportJob, ImportOptions, ImportState, MatchOn, OnMatch};
use super::model::{failure, import};
use crate::error::Result;
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::{Action, Actor, Ctx, Error, Origin, Page, PageRequest, PrincipalKind, Role, cursor};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

/// The job kind that runs an import; its payload is `{"import_id": ...}`.
pub const IMPORT_JOB: &str = "import.run";

/// How often the job is tried before the import is failed.
pub const ATTEMPTS: i32 = 5;

/// The source system of `external_id` when the options name none.
pub const DEFAULT_SOURCE: &str = "import";

fn to_dto(m: import::Model) -> ImportJob {
    let options: ImportOptions = serde_json::from_value(m.options).unwrap_or(ImportOptions {
        resource: m.resource.clone(),
        format: None,
        mapping: Default::default(),
        match_on: MatchOn::None,
        on_match: OnMatch::Skip,
        external_source: None,
        delimiter: None,
        dry_run: false,
    });
    let state = ImportState::parse(&m.state).unwrap_or(ImportState::Failed);
    let percent = match m.rows_total {
        Some(t) if t > 0 => ((m.rows_done as f64 / t as f64) * 1000.0).round() / 10.0,
        Some(_) => 100.0,
        None => 0.0,
    };
    let eta_seconds = match (state, m.started_at, m.rows_total) {
        (ImportState::Running, Some(started), Some(total)) if m.rows_done > 0 => {
            let elapsed = (Utc::now() - started).num_milliseconds().max(0) as f64 / 1000.0;
            let left = (total - m.rows_done).max(0) as f64;
            Some((elapsed / m.rows_done as f64 * left).ceil() as i64)
        }
        _ => None,
    };
    ImportJob {
        failures_url: format!("/api/v1/imports/{}/failures", m.id),
        id: m.id,
        resource: m.resource,
        format: ImportFormat::parse(&m.format).unwrap_or_default(),
        file_name: m.file_name,
        bytes: m.bytes,
        mapping: options.mapping,
        match_on: options.match_on,
        on_match: options.on_match,
        external_source: options
            .external_source
            .unwrap_or_else(|| DEFAULT_SOURCE.to_owned()),
        dry_run: options.dry_run,
        state,
        rows_total: m.rows_total,
        rows_done: m.rows_done,
        created: m.created,
        updated: m.updated,
        skipped: m.skipped,
        failed: m.failed,
        percent,
        eta_seconds,
        cancel_requested: m.cancel_requested,
        error: m.error,
        created_by: m.created_by,
        created_at: m.created_at,
        started_at: m.started_at,
        finished_at: m.finished_at,
    }
}

/// The uploaded file, as the upload wrote it to disk.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The import's id (the file on disk is named by it).
    pub id: Uuid,
    /// The file name the client sent.
    pub file_name: Option<String>,
    /// Its size in bytes.
    pub bytes: i64,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// The caller's `Idempotency-Key`, if any.
    pub idempotency_key: Option<String>,
}

/// What an upload became.
#[derive(Debug)]
pub enum Created {
    /// A new import, queued.
    New(ImportJob),
    /// The import an earlier upload of the same file with the same key created; this upload's
    /// file is not needed.
    Replayed(ImportJob),
}

/// Checks the options no resource knowledge is needed for.
fn check_options(options: &ImportOptions) -> Result<()> {
    if let Some(problem) = options
        .external_source
        .as_deref()
        .and_then(crm_core::batch::external_source_problem)
    {
        return Err(Error::invalid_field("/options/external_source", "length", problem).into());
    }
    if let Some(d) = &options.delimiter
        && !matches!(d.as_str(), "," | ";" | "\t" | "|")
    {
        return Err(Error::invalid_field(
            "/options/delimiter",
            "invalid_value",
            "must be `,`, `;`, `|` or a tab",
        )
        .into());
    }
    if options.mapping.len() > 500 {
        return Err(
            Error::invalid_field("/options/mapping", "too_many", "at most 500 columns").into(),
        );
    }
    Ok(())
}

/// Records an upload of `options` (checked by the caller against the resource) and enqueues
/// its job, in one transaction. With an `Idempotency-Key` the caller used before: the same
/// file and options give back the first import; another file or options is a 422.
pub async fn create_import(
    ctx: &Ctx,
    options: ImportOptions,
    format: ImportFormat,
    upload: Upload,
) -> Result<Created> {
    ctx.require(Action::Write)?;
    check_options(&options)?;
    let options_json = serde_json::to_value(&options).unwrap_or_default();
    if let Some(key) = &upload.idempotency_key
        && let Some(first) = by_key(&ctx.db, ctx, key).await?
    {
        return replay(first, &upload, &options_json);
    }
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let inserted = import::ActiveModel {
        id: Set(upload.id),
        org_id: Set(ctx.org_id()),
        resource: Set(options.resource.clone()),
        format: Set(format.as_str().to_owned()),
        options: Set(options_json.clone()),
        file_name: Set(upload.file_name.clone()),
        bytes: Set(upload.bytes),
        sha256: Set(upload.sha256.clone()),
        idempotency_key: Set(upload.idempotency_key.clone()),
        state: Set(ImportState::Queued.as_str().to_owned()),
        rows_total: Set(None),
        rows_done: Set(0),
        created: Set(0),
        updated: Set(0),
        skipped: Set(0),
        failed: Set(0),
        cancel_requested: Set(false),
        runner: Set(None),
        error: Set(None),
        created_by: Set(ctx.actor.user_id),
        api_key_id: Set(ctx.actor.api_key_id),
        role: Set(ctx.actor.role.as_str().to_owned()),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
    }
    .insert(&tx)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(e) => {
            drop(tx);
            // A concurrent upload with the same key won the race.
            if let Some(key) = &upload.idempotency_key
                && let Some(first) = by_key(&ctx.db, ctx, key).await?
            {
                return replay(first, &upload, &options_json);
            }
            return Err(e.into());
        }
    };
    crm_worker::enqueue(
        &tx,
        crm_worker::NewJob::new(
            IMPORT_JOB,
            Some(ctx.org_id()),
            serde_json::json!({ "import_id": upload.id }),
        )
        .max_attempts(ATTEMPTS),
    )
    .await?;
    tx.commit().await?;
    crm_worker::wake();
    Ok(Created::New(to_dto(row)))
}

async fn by_key(db: &DatabaseConnection, ctx: &Ctx, key: &str) -> Result<Option<import::Model>> {
    Ok(import::Entity::find()
        .filter(import::Column::OrgId.eq(ctx.org_id()))
        .filter(import::Column::CreatedBy.eq(ctx.actor.user_id))
        .filter(import::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?)
}

fn replay(first: import::Model, upload: &Upload, options: &serde_json::Value) -> Result<Created> {
    if first.sha256 != upload.sha256 || &first.options != options {
        // The same answer as every other write's key used with another request.
        return Err(Error::new(
            crm_core::Code::IdempotencyKeyReused,
            "This Idempotency-Key was used with another file or other options; use a new key \
             for a new import",
        )
        .into());
    }
    Ok(Created::Replayed(to_dto(first)))
}

/// The imports the caller sees: admins every one of the organization, others their own.
fn visible(ctx: &Ctx) -> sea_orm::Select<import::Entity> {
    let q = import::Entity::find().filter(import::Column::OrgId.eq(ctx.org_id()));
    if ctx.actor.can(Action::Configure) {
        q
    } else {
        q.filter(import::Column::CreatedBy.eq(ctx.actor.user_id))
    }
}

async fn visible_one(ctx: &Ctx, id: Uuid) -> Result<import::Model> {
    Ok(visible(ctx)
        .filter(import::Column::Id.eq(id))
        .one(&ctx.db)
        .await?
        .ok_or_else(|| Error::not_found("Import"))?)
}

/// One import the caller sees.
pub async fn get_import(ctx: &Ctx, id: Uuid) -> Result<ImportJob> {
    ctx.require(Action::Read)?;
    Ok(to_dto(visible_one(ctx, id).await?))
}

/// The imports the caller sees, newest first.
pub async fn list_imports(ctx: &Ctx, page: &PageRequest) -> Result<Page<ImportJob>> {
    ctx.require(Action::Read)?;
    let limit = page.limit()?;
    let mut query = visible(ctx)
        .order_by_desc(import::Column::Id)
        .limit(limit + 1);
    if let Some(c) = &page.cursor {
        let before: Uuid = cursor::decode(c)?;
        query = query.filter(import::Column::Id.lt(before));
    }
    let rows = query.all(&ctx.db).await?;
    Ok(Page::from_overfetch(rows, limit, |r| cursor::encode(&r.id)).map(to_dto))
}

/// Cancels an import: a queued one ends at once, a running one after its current chunk (the
/// committed chunks stay, `rows_done` says how far). An ended import is a 409.
pub async fn cancel_import(ctx: &Ctx, id: Uuid) -> Result<ImportJob> {
    ctx.require(Action::Write)?;
    let row = visible_one(ctx, id).await?;
    let state = ImportState::parse(&row.state).unwrap_or(ImportState::Failed);
    if state.ended() {
        return Err(
            Error::conflict(format!("The import has already ended ({})", row.state)).into(),
        );
    }
    let now = Utc::now();
    // A queued import ends here unless a worker claimed it meanwhile.
    let ended = import::Entity::update_many()
        .col_expr(
            import::Column::State,
            Expr::value(ImportState::Cancelled.as_str()),
        )
        .col_expr(import::Column::CancelRequested, Expr::value(true))
        .col_expr(import::Column::FinishedAt, Expr::value(now))
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::State.eq(ImportState::Queued.as_str()))
        .exec(&ctx.db)
        .await?;
    if ended.rows_affected == 0 {
        import::Entity::update_many()
            .col_expr(import::Column::CancelRequested, Expr::value(true))
            .filter(import::Column::Id.eq(id))
            .exec(&ctx.db)
            .await?;
    }
    Ok(to_dto(visible_one(ctx, id).await?))
}

/// A page of the failed rows of an import the caller sees, by row number: up to `limit`
/// after `after` (a row's `(row_no, id)`).
pub async fn failures_page(
    ctx: &Ctx,
    id: Uuid,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Failure>> {
    ctx.require(Action::Read)?;
    visible_one(ctx, id).await?;
    let mut q = failure::Entity::find().filter(failure::Column::ImportId.eq(id));
    if let Some((row, fid)) = after {
        q = q.filter(
            sea_orm::Condition::any()
                .add(failure::Column::RowNo.gt(row))
                .add(
                    sea_orm::Condition::all()
                        .add(failure::Column::RowNo.eq(row))
                        .add(failure::Column::Id.gt(fid)),
                ),
        );
    }
    let rows = q
        .order_by_asc(failure::Column::RowNo)
        .order_by_asc(failure::Column::Id)
        .limit(limit)
        .all(&ctx.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Failure {
            id: r.id,
            row: r.row_no,
            field: r.field,
            code: r.code,
            reason: r.reason,
        })
        .collect())
}

/// What the job needs to run an import: its options, where it stands, and the context it
/// writes in (the uploader with their role at the time, the import as the changes' origin).
#[derive(Debug, Clone)]
pub struct ImportRun {
    /// The import's id.
    pub id: Uuid,
    /// The file's format.
    pub format: ImportFormat,
    /// The options.
    pub options: ImportOptions,
    /// Rows already committed (by an earlier, interrupted attempt): the job goes on after them.
    pub rows_done: i64,
    /// This attempt's fence: chunks commit only while the import's `runner` is this.
    pub runner: Uuid,
    /// The context the rows are written in.
    pub ctx: Ctx,
}

/// Which of `ids` are imports still queued or running (whatever their organization): their
/// uploaded files are in use.
pub async fn unfinished_imports(
    db: &DatabaseConnection,
    ids: &[Uuid],
) -> Result<std::collections::HashSet<Uuid>> {
    let mut out = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let found: Vec<Uuid> = import::Entity::find()
            .select_only()
            .column(import::Column::Id)
            .filter(import::Column::Id.is_in(chunk.iter().copied()))
            .filter(
                import::Column::State
                    .is_in([ImportState::Queued.as_str(), ImportState::Running.as_str()]),
            )
            .into_tuple()
            .all(db)
            .await?;
        out.extend(found);
    }
    Ok(out)
}

/// Marks the import `running` and returns what the job needs; `None` when it is gone or has
/// ended (cancelled while queued, say).
pub async fn import_run(db: &DatabaseConnection, id: Uuid) -> Result<Option<ImportRun>> {
    let Some(row) = import::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let state = ImportState::parse(&row.state).unwrap_or(ImportState::Failed);
    if state.ended() {
        return Ok(None);
    }
    // This attempt takes the import over: an earlier one that is still running (it lost its
    // lease) can commit nothing more.
    let runner = crm_core::new_id();
    let mut claim = import::Entity::update_many()
        .col_expr(
            import::Column::State,
            Expr::value(ImportState::Running.as_str()),
        )
        .col_expr(import::Column::Runner, Expr::value(runner))
        .filter(import::Column::Id.eq(id))
        .filter(
            import::Column::State
                .is_in([ImportState::Queued.as_str(), ImportState::Running.as_str()]),
        );
    if state == ImportState::Queued {
        claim = claim.col_expr(import::Column::StartedAt, Expr::value(Utc::now()));
    }
    if claim.exec(db).await?.rows_affected == 0 {
        return Ok(None);
    }
    let Some(row) = import::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let actor = Actor {
        org_id: row.org_id,
        user_id: row.created_by,
        api_key_id: row.api_key_id,
        session_id: None,
        kind: PrincipalKind::User,
        role: Role::parse(&row.role).unwrap_or(Role::Viewer),
    };
    let options: ImportOptions = serde_json::from_value(row.options)
        .map_err(|e| Error::internal(format!("stored import options: {e}")))?;
    Ok(Some(ImportRun {
        id,
        format: ImportFormat::parse(&row.format).unwrap_or_default(),
        options,
        rows_done: row.rows_done,
        runner,
        ctx: Ctx::new(db.clone(), actor).with_origin(Origin { kind: "import", id }),
    }))
}

/// Notes the number of rows in the file.
pub async fn set_total(db: &impl ConnectionTrait, id: Uuid, rows: i64) -> Result<()> {
    import::Entity::update_many()
        .col_expr(import::Column::RowsTotal, Expr::value(rows))
        .filter(import::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// What a chunk of rows did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// File rows read.
    pub rows: i64,
    /// Records created.
    pub created: i64,
    /// Records updated.
    pub updated: i64,
    /// Rows skipped as matches.
    pub skipped: i64,
    /// Rows refused.
    pub failed: i64,
}

/// One refused field of a failed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Its id (orders the failures of one row).
    pub id: Uuid,
    /// The row's number in the file (the line it starts on; the CSV header is line 1).
    pub row: i64,
    /// The column (or field) refused; `None` when the row as a whole was refused.
    pub field: Option<String>,
    /// The problem code (`required`, `format`, `malformed_row`, ...).
    pub code: String,
    /// Why.
    pub reason: String,
}

/// Adds a chunk's counts and failures to the import inside the chunk's transaction `tx`,
/// so they commit with its records; returns whether a cancel was asked for.
pub async fn commit_chunk(
    tx: &impl ConnectionTrait,
    id: Uuid,
    runner: Uuid,
    counts: Counts,
    failures: Vec<Failure>,
) -> Result<bool> {
    let add = |col: import::Column, n: i64| sea_orm::sea_query::ExprTrait::add(Expr::col(col), n);
    let done = import::Entity::update_many()
        .col_expr(
            import::Column::RowsDone,
            add(import::Column::RowsDone, counts.rows),
        )
        .col_expr(
            import::Column::Created,
            add(import::Column::Created, counts.created),
        )
        .col_expr(
            import::Column::Updated,
            add(import::Column::Updated, counts.updated),
        )
        .col_expr(
            import::Column::Skipped,
            add(import::Column::Skipped, counts.skipped),
        )
        .col_expr(
            import::Column::Failed,
            add(import::Column::Failed, counts.failed),
        )
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::Runner.eq(runner))
        .exec(tx)
        .await?;
    if done.rows_affected == 0 {
        return Err(superseded().into());
    }
    if !failures.is_empty() {
        let rows = failures.into_iter().map(|f| failure::ActiveModel {
            id: Set(f.id),
            import_id: Set(id),
            row_no: Set(f.row),
            field: Set(f.field.map(|s| s.chars().take(300).collect())),
            code: Set(f.code.chars().take(60).collect()),
            reason: Set(f.reason),
        });
        failure::Entity::insert_many(rows).exec(tx).await?;
    }
    let cancel: Option<bool> = import::Entity::find_by_id(id)
        .select_only()
        .column(import::Column::CancelRequested)
        .into_tuple()
        .one(tx)
        .await?;
    Ok(cancel.unwrap_or(true))
}

/// The error of an attempt that another attempt took the import from: it stops and writes
/// nothing more.
pub fn superseded() -> Error {
    Error::conflict("another attempt runs this import now")
}

/// Whether `err` is [`superseded`].
pub fn is_superseded(err: &Error) -> bool {
    err.code == crm_core::Code::Conflict && err.detail == superseded().detail
}

/// Ends an import: `succeeded`, `cancelled`, or `failed` with why; `runner` is the attempt
/// ending it (`None`: whichever, for an import whose job has given up).
pub async fn finish_import(
    db: &impl ConnectionTrait,
    id: Uuid,
    runner: Option<Uuid>,
    state: ImportState,
    error: Option<String>,
) -> Result<()> {
    let mut q = import::Entity::update_many()
        .col_expr(import::Column::State, Expr::value(state.as_str()))
        .col_expr(import::Column::Error, Expr::value(error))
        .col_expr(import::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(import::Column::Id.eq(id))
        // An ended import keeps how it ended.
        .filter(
            import::Column::State
                .is_in([ImportState::Queued.as_str(), ImportState::Running.as_str()]),
        );
    if let Some(r) = runner {
        q = q.filter(import::Column::Runner.eq(r));
    }
    q.exec(db).await?;
    Ok(())
}
