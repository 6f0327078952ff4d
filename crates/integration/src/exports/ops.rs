//! Asking for exports, reading them, and the steps of the job that writes them.

use super::dto::{ExportFile, ExportFormat, ExportState, NewExport};
use super::model;
use crate::error::Result;
use chrono::{DateTime, Utc};
use crm_core::db::begin_write;
use crm_core::{Action, Actor, Ctx, Error, Page, PageRequest, PrincipalKind, Role, cursor};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The job kind that writes an export file; its payload is `{"export_id": ...}`.
pub const EXPORT_JOB: &str = "export.run";

/// Most list parameters an export takes.
const MAX_PARAMS: usize = 50;

fn to_dto(m: model::Model) -> ExportFile {
    let state = ExportState::parse(&m.state).unwrap_or(ExportState::Failed);
    ExportFile {
        download_url: (state == ExportState::Succeeded)
            .then(|| format!("/api/v1/exports/{}/file", m.id)),
        id: m.id,
        resource: m.resource,
        format: ExportFormat::parse(&m.format).unwrap_or_default(),
        params: serde_json::from_value(m.params).unwrap_or_default(),
        state,
        rows: m.rows,
        bytes: m.bytes,
        error: m.error,
        created_by: m.created_by,
        created_at: m.created_at,
        started_at: m.started_at,
        finished_at: m.finished_at,
        expires_at: m.expires_at,
    }
}

/// Records an export of `input` for the caller and enqueues the job that writes it, in one
/// transaction. `known` tells whether a resource can be exported; the caller (which knows the
/// resources) has checked the parameters.
pub async fn create_export(
    ctx: &Ctx,
    input: NewExport,
    known: impl Fn(&str) -> bool,
) -> Result<ExportFile> {
    ctx.require(Action::Read)?;
    if !known(&input.resource) {
        return Err(Error::invalid_field(
            "/resource",
            "enum",
            "must be one of contacts, companies, activities, deals, leads, products, orders, \
             quotes, invoices",
        )
        .into());
    }
    if input.params.len() > MAX_PARAMS {
        return Err(Error::invalid_field(
            "/params",
            "too_many",
            format!("at most {MAX_PARAMS} parameters"),
        )
        .into());
    }
    let id = crm_core::new_id();
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let row = model::ActiveModel {
        id: Set(id),
        org_id: Set(ctx.org_id()),
        resource: Set(input.resource),
        format: Set(input.format.as_str().to_owned()),
        params: Set(serde_json::to_value(&input.params).unwrap_or_default()),
        state: Set(ExportState::Queued.as_str().to_owned()),
        rows: Set(0),
        bytes: Set(0),
        error: Set(None),
        created_by: Set(ctx.actor.user_id),
        role: Set(ctx.actor.role.as_str().to_owned()),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        expires_at: Set(None),
    }
    .insert(&tx)
    .await?;
    crm_worker::enqueue(
        &tx,
        crm_worker::NewJob::new(
            EXPORT_JOB,
            Some(ctx.org_id()),
            serde_json::json!({ "export_id": id }),
        )
        .max_attempts(3),
    )
    .await?;
    tx.commit().await?;
    crm_worker::wake();
    Ok(to_dto(row))
}

/// The exports the caller sees: admins every one of the organization, others their own.
fn visible(ctx: &Ctx) -> sea_orm::Select<model::Entity> {
    let q = model::Entity::find().filter(model::Column::OrgId.eq(ctx.org_id()));
    if ctx.actor.can(Action::Configure) {
        q
    } else {
        q.filter(model::Column::CreatedBy.eq(ctx.actor.user_id))
    }
}

/// One export the caller sees.
pub async fn get_export(ctx: &Ctx, id: Uuid) -> Result<ExportFile> {
    ctx.require(Action::Read)?;
    let row = visible(ctx)
        .filter(model::Column::Id.eq(id))
        .one(&ctx.db)
        .await?
        .ok_or_else(|| Error::not_found("Export"))?;
    Ok(to_dto(row))
}

/// The exports the caller sees, newest first.
pub async fn list_exports(ctx: &Ctx, page: &PageRequest) -> Result<Page<ExportFile>> {
    ctx.require(Action::Read)?;
    let limit = page.limit()?;
    let mut query = visible(ctx)
        .order_by_desc(model::Column::Id)
        .limit(limit + 1);
    if let Some(c) = &page.cursor {
        let before: Uuid = cursor::decode(c)?;
        query = query.filter(model::Column::Id.lt(before));
    }
    let rows = query.all(&ctx.db).await?;
    Ok(Page::from_overfetch(rows, limit, |r| cursor::encode(&r.id)).map(to_dto))
}

/// What the job needs to write an export: its request and who asked, as they were.
#[derive(Debug, Clone)]
pub struct ExportRun {
    /// The export's id.
    pub id: Uuid,
    /// The collection's path.
    pub resource: String,
    /// The file's format.
    pub format: ExportFormat,
    /// The list's parameters.
    pub params: BTreeMap<String, String>,
    /// The context the export reads in: the organization, and the user who asked with their
    /// role at the time.
    pub ctx: Ctx,
}

/// Marks the export `running` (again, after a crashed attempt: its count restarts) and returns
/// what the job needs; `None` when it is gone or already finished.
pub async fn export_run(db: &sea_orm::DatabaseConnection, id: Uuid) -> Result<Option<ExportRun>> {
    let Some(row) = model::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    if row.state != ExportState::Queued.as_str() && row.state != ExportState::Running.as_str() {
        return Ok(None);
    }
    model::Entity::update_many()
        .col_expr(
            model::Column::State,
            Expr::value(ExportState::Running.as_str()),
        )
        .col_expr(model::Column::StartedAt, Expr::value(Utc::now()))
        .col_expr(model::Column::Rows, Expr::value(0i64))
        .filter(model::Column::Id.eq(id))
        .exec(db)
        .await?;
    let actor = Actor {
        org_id: row.org_id,
        user_id: row.created_by,
        api_key_id: None,
        session_id: None,
        kind: PrincipalKind::User,
        role: Role::parse(&row.role).unwrap_or(Role::Viewer),
    };
    Ok(Some(ExportRun {
        id,
        format: ExportFormat::parse(&row.format).unwrap_or_default(),
        params: serde_json::from_value(row.params).unwrap_or_default(),
        resource: row.resource,
        ctx: Ctx::new(db.clone(), actor),
    }))
}

/// Notes how many records are written so far.
pub async fn note_progress(db: &impl ConnectionTrait, id: Uuid, rows: i64) -> Result<()> {
    model::Entity::update_many()
        .col_expr(model::Column::Rows, Expr::value(rows))
        .filter(model::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends an export: written (`Ok((rows, bytes))`, downloadable until `expires_at`) or failed
/// with a reason.
pub async fn finish_export(
    db: &impl ConnectionTrait,
    id: Uuid,
    outcome: std::result::Result<(i64, i64), String>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    let now = Utc::now();
    let update = model::Entity::update_many()
        .col_expr(model::Column::FinishedAt, Expr::value(now))
        .filter(model::Column::Id.eq(id))
        // An ended export keeps how it ended.
        .filter(
            model::Column::State
                .is_in([ExportState::Queued.as_str(), ExportState::Running.as_str()]),
        );
    let update = match outcome {
        Ok((rows, bytes)) => update
            .col_expr(
                model::Column::State,
                Expr::value(ExportState::Succeeded.as_str()),
            )
            .col_expr(model::Column::Rows, Expr::value(rows))
            .col_expr(model::Column::Bytes, Expr::value(bytes))
            .col_expr(model::Column::ExpiresAt, Expr::value(expires_at)),
        Err(reason) => update
            .col_expr(
                model::Column::State,
                Expr::value(ExportState::Failed.as_str()),
            )
            .col_expr(model::Column::Error, Expr::value(reason)),
    };
    update.exec(db).await?;
    Ok(())
}

/// Marks succeeded exports past their `expires_at` as `expired` and returns their ids, so that
/// the caller deletes their files.
pub async fn expire_exports(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<Uuid>> {
    let ids: Vec<Uuid> = model::Entity::find()
        .select_only()
        .column(model::Column::Id)
        .filter(model::Column::State.eq(ExportState::Succeeded.as_str()))
        .filter(model::Column::ExpiresAt.lt(now))
        .into_tuple()
        .all(db)
        .await?;
    if !ids.is_empty() {
        model::Entity::update_many()
            .col_expr(
                model::Column::State,
                Expr::value(ExportState::Expired.as_str()),
            )
            .filter(model::Column::Id.is_in(ids.clone()))
            .exec(db)
            .await?;
    }
    Ok(ids)
}
