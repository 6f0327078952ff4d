//! What admins do with their organization's jobs: list them (by state and kind), read one,
//! retry a dead one, discard a dead or queued one. Admins only (`Action::Configure`); every
//! query is scoped to the caller's organization, so system jobs (no organization) and other
//! organizations' jobs are never seen.

use crate::dto::{Job, JobFilter, JobState};
use crate::error::{Result, WorkerError};
use crate::model;
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx, Error, Page, PageRequest, cursor};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, ModelTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

fn to_dto(m: model::Model) -> Job {
    Job {
        id: m.id,
        kind: m.kind,
        payload: m.payload,
        state: JobState::parse(&m.state).unwrap_or(JobState::Queued),
        run_at: m.run_at,
        attempts: m.attempts,
        max_attempts: m.max_attempts,
        last_error: m.last_error,
        locked_until: m.locked_until,
        created_at: m.created_at,
        updated_at: m.updated_at,
        finished_at: m.finished_at,
    }
}

/// The organization's jobs, newest first, filtered by state and kind (keyset-paged on the id).
pub async fn list_jobs(ctx: &Ctx, filter: &JobFilter, page: &PageRequest) -> Result<Page<Job>> {
    ctx.require(Action::Configure)?;
    let limit = page.limit()?;
    let mut query = model::Entity::find()
        .filter(model::Column::OrgId.eq(ctx.org_id()))
        .order_by_desc(model::Column::Id)
        .limit(limit + 1);
    if let Some(state) = filter.state {
        query = query.filter(model::Column::State.eq(state.as_str()));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(model::Column::Kind.eq(kind.as_str()));
    }
    if let Some(c) = &page.cursor {
        let before: Uuid = cursor::decode(c)?;
        query = query.filter(model::Column::Id.lt(before));
    }
    let rows = query.all(&ctx.db).await?;
    Ok(Page::from_overfetch(rows, limit, |j| cursor::encode(&j.id)).map(to_dto))
}

async fn find(ctx: &Ctx, conn: &impl sea_orm::ConnectionTrait, id: Uuid) -> Result<model::Model> {
    model::Entity::find_by_id(id)
        .filter(model::Column::OrgId.eq(ctx.org_id()))
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found("Job").into())
}

/// One job of the organization.
pub async fn get_job(ctx: &Ctx, id: Uuid) -> Result<Job> {
    ctx.require(Action::Configure)?;
    Ok(to_dto(find(ctx, &ctx.db, id).await?))
}

/// Queues a dead job again, due at once with its attempts reset (409 unless it is dead).
pub async fn retry_job(ctx: &Ctx, id: Uuid) -> Result<Job> {
    ctx.require(Action::Configure)?;
    let tx = begin_write(&ctx.db).await?;
    crm_core::db::lock_row(&tx, "jobs", id).await?;
    let job = find(ctx, &tx, id).await?;
    if job.state != JobState::Dead.as_str() {
        return Err(WorkerError::WrongState {
            state: state_name(&job.state),
            allowed: "only dead jobs are retried",
        });
    }
    let now = Utc::now();
    let mut row = job.into_active_model();
    row.state = Set(JobState::Queued.as_str().to_owned());
    row.attempts = Set(0);
    row.run_at = Set(now);
    row.finished_at = Set(None);
    row.updated_at = Set(now);
    let job = row.update(&tx).await?;
    tx.commit().await?;
    crate::wake();
    Ok(to_dto(job))
}

/// Removes a dead or queued job (409 for a running or succeeded one).
pub async fn discard_job(ctx: &Ctx, id: Uuid) -> Result<()> {
    ctx.require(Action::Configure)?;
    let tx = begin_write(&ctx.db).await?;
    crm_core::db::lock_row(&tx, "jobs", id).await?;
    let job = find(ctx, &tx, id).await?;
    if job.state != JobState::Dead.as_str() && job.state != JobState::Queued.as_str() {
        return Err(WorkerError::WrongState {
            state: state_name(&job.state),
            allowed: "only dead and queued jobs are discarded",
        });
    }
    job.delete(&tx).await?;
    tx.commit().await?;
    Ok(())
}

fn state_name(s: &str) -> &'static str {
    JobState::parse(s).map_or("unknown", JobState::as_str)
}
