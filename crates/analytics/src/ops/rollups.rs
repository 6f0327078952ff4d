//! The monthly revenue rollups' follower: the job `analytics.rollup` of the worker runtime,
//! one chain per organization while its rollups are enabled. Each run reads the change feed
//! after its stored position (`order.*` events) in a write transaction, folds the orders
//! named into the rollups ([`super::rollup_fold`]), and stores the new position in the same
//! transaction, so every event is applied exactly once and nothing acknowledged is lost. The
//! next run follows a second later. A rebuild (turning the rollups on, a change of the base
//! currency or of an exchange rate) folds every order again, a batch per step, alongside.

use super::rates::Rates;
use super::refresh::reader;
use super::rollup_fold::fold;
use super::settings::base_currency;
use crate::dto_rollups::{RevenueRollups, RevenueRollupsInput};
use crate::error::Result;
use crate::model::rollup;
use chrono::Utc;
use crm_core::db::{Params, begin_write, lock_key};
use crm_core::{Action, Ctx, Error};
use crm_integration::position::Position;
use crm_worker::{JobContext, JobError, NewJob};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set, Statement,
};
use uuid::Uuid;

/// The job kind of the rollups' follower.
pub const ROLLUP_JOB: &str = "analytics.rollup";

/// How long a caught-up follower waits before it looks again, in milliseconds.
const FOLLOW_MS: i64 = 1000;
/// Events read per step.
const PAGE: u64 = 1000;
/// Orders folded again per step of a rebuild.
const REBUILD_BATCH: usize = 1000;
/// Steps per run before a successor takes over (other jobs get their turn).
const STEPS: usize = 20;

pub(crate) fn lock(org: Uuid) -> String {
    format!("analytics-rollup:{org}")
}

/// The stored rollups of `org` (`None`: never enabled).
pub(crate) async fn stored(
    conn: &impl ConnectionTrait,
    org: Uuid,
) -> Result<Option<rollup::Model>, DbErr> {
    rollup::Entity::find_by_id(org).one(conn).await
}

fn fresh(org: Uuid) -> rollup::Model {
    rollup::Model {
        org_id: org,
        enabled: false,
        job_id: None,
        pos_p: 0,
        pos_i: Uuid::nil(),
        rebuilding: false,
        rebuild_after: None,
        rebuilt_at: None,
        current_at: None,
        orders: 0,
        last_error: None,
        updated_at: Utc::now(),
    }
}

async fn answer(conn: &impl ConnectionTrait, row: rollup::Model) -> Result<RevenueRollups> {
    let pending = match row.job_id {
        Some(id) => crm_worker::is_live(conn, id).await?,
        None => false,
    };
    Ok(RevenueRollups {
        enabled: row.enabled,
        pending,
        rebuilding: row.rebuilding,
        rebuilt_at: row.rebuilt_at,
        current_at: row.current_at,
        orders: row.orders,
        last_error: row.last_error,
    })
}

/// The organization's rollups: whether they are kept, and how current they are.
pub async fn get_rollups(ctx: &Ctx) -> Result<RevenueRollups> {
    ctx.require(Action::Read)?;
    let row = stored(&ctx.db, ctx.org_id())
        .await?
        .unwrap_or_else(|| fresh(ctx.org_id()));
    answer(&ctx.db, row).await
}

/// Turns the rollups on or off (admins). Turning them on folds every order, then follows the
/// change feed; turning them off ends the follower (the rollups are not read until they are
/// on again, which folds every order again).
pub async fn update_rollups(ctx: &Ctx, input: RevenueRollupsInput) -> Result<RevenueRollups> {
    ctx.require(Action::Configure)?;
    let org = ctx.org_id();
    // A position no later commit can precede: what commits after it is read from the feed,
    // what committed before it is folded by the rebuild.
    let head = crm_integration::follow::head(ctx)
        .await
        .map_err(Error::from)?;
    let tx = begin_write(&ctx.db).await?;
    lock_key(&tx, &lock(org)).await?;
    let existing = stored(&tx, org).await?;
    let is_new = existing.is_none();
    let current = existing.unwrap_or_else(|| fresh(org));
    let was_enabled = current.enabled;
    let live = match current.job_id {
        Some(id) => crm_worker::is_live(&tx, id).await?,
        None => false,
    };
    let mut row = current.into_active_model();
    match input.enabled {
        Some(true) if !was_enabled => {
            row.enabled = Set(true);
            row.pos_p = Set(head.p);
            row.pos_i = Set(head.i);
            row.rebuilding = Set(true);
            row.rebuild_after = Set(None);
            row.current_at = Set(None);
            row.last_error = Set(None);
            row.job_id = Set(Some(enqueue(&tx, org, Utc::now()).await?));
        }
        // On, and its follower died: it starts again where it stood.
        Some(true) if !live => {
            row.last_error = Set(None);
            row.job_id = Set(Some(enqueue(&tx, org, Utc::now()).await?));
        }
        Some(false) => {
            row.enabled = Set(false);
            row.rebuilding = Set(false);
            row.rebuild_after = Set(None);
        }
        _ => {}
    }
    row.updated_at = Set(Utc::now());
    let row = if is_new {
        row.reset_all().insert(&tx).await?
    } else {
        row.update(&tx).await?
    };
    tx.commit().await?;
    crm_worker::wake();
    answer(&ctx.db, row).await
}

async fn enqueue(
    tx: &impl ConnectionTrait,
    org: Uuid,
    at: chrono::DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    crm_worker::enqueue(
        tx,
        NewJob::new(ROLLUP_JOB, Some(org), serde_json::json!({})).run_at(at),
    )
    .await
}

/// Makes the rollups of `org` fold every order again (inside the caller's write transaction):
/// for changes that alter every order's amounts but are not order events (the base currency,
/// an exchange rate).
pub(crate) async fn mark_rebuild(tx: &impl ConnectionTrait, org: Uuid) -> Result<(), DbErr> {
    lock_key(tx, &lock(org)).await?;
    rollup::Entity::update_many()
        .col_expr(
            rollup::Column::Rebuilding,
            sea_orm::sea_query::Expr::value(true),
        )
        .col_expr(
            rollup::Column::RebuildAfter,
            sea_orm::sea_query::Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            rollup::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(rollup::Column::OrgId.eq(org))
        .filter(rollup::Column::Enabled.eq(true))
        .exec(tx)
        .await?;
    Ok(())
}

/// The next orders of a rebuild, after `after`.
async fn rebuild_batch(
    conn: &impl ConnectionTrait,
    org: Uuid,
    after: Option<Uuid>,
) -> Result<Vec<Uuid>, DbErr> {
    let backend = conn.get_database_backend();
    let mut p = Params::new(backend);
    let org_ph = p.push(org);
    let after_sql = match after {
        Some(id) => format!(" AND id > {}", p.push(id)),
        None => String::new(),
    };
    let sql = format!(
        "SELECT id FROM sales_documents WHERE org_id = {org_ph} AND doc_type = 'order'\
         {after_sql} ORDER BY id LIMIT {REBUILD_BATCH}"
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, p.values))
        .await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "id")).collect()
}

/// One step of the follower in its own write transaction: answers whether it caught up.
async fn step(job: &JobContext, org: Uuid, ctx: &Ctx) -> Result<Option<bool>> {
    let tx = begin_write(&job.db).await?;
    lock_key(&tx, &lock(org)).await?;
    let Some(row) = stored(&tx, org).await? else {
        return Ok(None);
    };
    if row.job_id != Some(job.id) {
        // Another follower took over.
        return Ok(None);
    }
    let mut active = row.clone().into_active_model();
    if !row.enabled {
        active.job_id = Set(None);
        active.update(&tx).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let from = Position {
        o: org,
        p: row.pos_p,
        i: row.pos_i,
        t: Utc::now().timestamp_millis(),
    };
    let patterns = crm_integration::types::parse(&["order.*".to_owned()])?;
    let (events, next, has_more) =
        crm_integration::feed::read_positioned(&tx, org, from, patterns.as_deref(), None, PAGE)
            .await
            .map_err(Error::from)?;
    let mut ids: Vec<Uuid> = events
        .iter()
        .filter(|e| e.record.kind == "order")
        .map(|e| e.record.id)
        .collect();
    let batch = if row.rebuilding {
        Some(rebuild_batch(&tx, org, row.rebuild_after).await?)
    } else {
        None
    };
    if let Some(b) = &batch {
        ids.extend(b.iter().copied());
    }
    ids.sort_unstable();
    ids.dedup();
    let mut net = 0;
    if !ids.is_empty() {
        let base = base_currency(&tx, ctx).await?;
        let rates = Rates::load(&tx, ctx, &base).await?;
        net = fold(&tx, org, &base, &rates, &ids).await?;
    }
    let now = Utc::now();
    active.pos_p = Set(next.p);
    active.pos_i = Set(next.i);
    active.orders = Set(row.orders + net);
    let mut rebuilding = row.rebuilding;
    if let Some(b) = batch {
        if b.len() < REBUILD_BATCH {
            rebuilding = false;
            active.rebuilding = Set(false);
            active.rebuild_after = Set(None);
            active.rebuilt_at = Set(Some(now));
        } else {
            active.rebuild_after = Set(b.last().copied());
        }
    }
    let caught_up = !has_more && !rebuilding;
    if caught_up {
        active.current_at = Set(Some(now));
        let at = now + chrono::Duration::milliseconds(FOLLOW_MS);
        active.job_id = Set(Some(enqueue(&tx, org, at).await?));
    }
    active.last_error = Set(None);
    active.updated_at = Set(now);
    active.update(&tx).await?;
    tx.commit().await?;
    // Fresh statistics when a rebuild ends, and every 20,000 orders while it runs: planned
    // on the statistics of a table that was empty, one item's months are read through the
    // month index (every item of the period).
    let grown = row.rebuilding && (row.orders + net) / 20_000 != row.orders / 20_000;
    if (grown || (row.rebuilding && !rebuilding))
        && job.db.get_database_backend() == DbBackend::Postgres
        && let Err(e) = job
            .db
            .execute_unprepared("ANALYZE analytics_monthly_revenue, analytics_rollup_orders")
            .await
    {
        tracing::warn!(org = %org, error = %e, "cannot analyze the rollups");
    }
    Ok(Some(caught_up))
}

/// One run of the organization's follower (the job's handler).
pub async fn run_job(job: JobContext) -> std::result::Result<(), JobError> {
    let Some(org) = job.org_id else {
        return Err(JobError::permanent("a rollup job needs an organization"));
    };
    let retry = |e: crate::AnalyticsError| JobError::retry(Error::from(e).to_string());
    // The chain's earlier links: one a second would otherwise fill the jobs table.
    crm_worker::forget_succeeded(&job.db, ROLLUP_JOB, Some(org)).await?;
    let ctx = reader(&job.db, org);
    for _ in 0..STEPS {
        match step(&job, org, &ctx).await.map_err(retry)? {
            None => return Ok(()),
            Some(true) => {
                crm_worker::wake();
                return Ok(());
            }
            Some(false) => {}
        }
    }
    // A backlog: a successor due at once goes on, so other jobs get their turn.
    let tx = begin_write(&job.db).await?;
    lock_key(&tx, &lock(org)).await?;
    if let Some(row) = stored(&tx, org).await?
        && row.job_id == Some(job.id)
    {
        let next = enqueue(&tx, org, Utc::now()).await?;
        let mut row = row.into_active_model();
        row.job_id = Set(Some(next));
        row.update(&tx).await?;
    }
    tx.commit().await?;
    crm_worker::wake();
    Ok(())
}

/// Records why the organization's follower died: the rollups show the error and no pending
/// follower; turning them on again restarts it where it stood.
async fn died(job: JobContext, error: String) {
    let Some(org) = job.org_id else { return };
    let outcome = async {
        let tx = begin_write(&job.db).await?;
        lock_key(&tx, &lock(org)).await?;
        if let Some(row) = stored(&tx, org).await?
            && row.job_id == Some(job.id)
        {
            let mut row = row.into_active_model();
            row.job_id = Set(None);
            row.last_error = Set(Some(format!("the rollup follower failed: {error}")));
            row.updated_at = Set(Utc::now());
            row.update(&tx).await?;
        }
        tx.commit().await
    };
    if let Err(e) = outcome.await {
        tracing::warn!(org = %org, error = %e, "cannot record a dead rollup follower");
    }
}

/// Registers the follower's job handler and what happens when one of its jobs dies.
pub fn register(registry: &mut crm_worker::Registry) {
    registry.register(ROLLUP_JOB, run_job);
    registry.on_dead(ROLLUP_JOB, died);
}
