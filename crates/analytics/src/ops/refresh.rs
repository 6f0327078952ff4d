//! The analytics refresh: computes the customer reports (ABC, XYZ, RFM, lifetime value) for
//! companies and contacts and writes each customer's figures onto its row (`analytics_*`
//! columns, the API's read-only `analytics.*` fields), clearing customers the reports no longer
//! list, in one write transaction: a list never sees half a refresh.
//!
//! It runs as the job `analytics.refresh` of the worker runtime. While the organization's
//! refresh is enabled, each run enqueues its successor after `interval_secs`; a run recomputes
//! only when the change feed shows orders, products or customers changed since the last
//! computation (its stored feed position), or the day changed (recency and the default period
//! move with it), or a run was asked for. The writes of runs of one organization, and the
//! marks that make its figures stale, take turns on one lock; a run whose figures were marked
//! stale while it computed keeps them marked and is followed by another at once.

use super::overview::{Known, default_sections};
use super::overview_snapshot;
use super::{abc_report, clv_report, rfm_report, xyz_report};
use crate::dto::{AbcReport, AnalysisParams, AnalysisSubject, RfmReport, XyzReport};
use crate::dto_refresh::{AnalyticsRefresh, AnalyticsRefreshInput, parse_day};
use crate::error::Result;
use crate::model::refresh;
use chrono::{DateTime, NaiveDate, Utc};
use crm_core::db::{begin_write, lock_key, placeholder};
use crm_core::{Action, Actor, Ctx, Error, FieldError, PrincipalKind, Role};
use crm_integration::position::Position;
use crm_worker::{JobContext, JobError, NewJob};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set, Statement, Value as DbValue,
};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The job kind of a refresh run.
pub const REFRESH_JOB: &str = "analytics.refresh";

/// How often an enabled refresh looks for changes unless told otherwise, in seconds.
const DEFAULT_INTERVAL: i32 = 60;
/// The shortest and longest intervals.
const INTERVALS: std::ops::RangeInclusive<i32> = 5..=86_400;

/// The change-feed types that make the figures stale: orders (and their lines), products
/// (cost prices), and customers merged, deleted or restored.
const WATCHED: [&str; 8] = [
    "order.*",
    "product.*",
    "contact.merged",
    "company.merged",
    "contact.deleted",
    "company.deleted",
    "contact.restored",
    "company.restored",
];

/// The change-feed types only the overview's funnel reads: a deal's change makes the next look
/// compute the funnel section again (not every report).
const DEALS: [&str; 2] = ["deal.*", "pipeline.*"];

/// The stored overview sections that read deals.
const DEAL_SECTIONS: [&str; 1] = ["funnel"];

/// Rows per `UPDATE` statement (8 values a row, well under SQLite's parameter limit).
const CHUNK: usize = 300;

/// One customer's figures.
#[derive(Debug, Default, Clone, PartialEq)]
struct Figures {
    abc: Option<String>,
    xyz: Option<String>,
    rfm_score: Option<String>,
    rfm_segment: Option<String>,
    clv: Option<f64>,
    p_alive: Option<f64>,
}

fn lock(org: Uuid) -> String {
    format!("analytics-refresh:{org}")
}

/// The stored refresh of the organization (`None`: never configured nor run).
async fn stored(conn: &impl ConnectionTrait, org: Uuid) -> Result<Option<refresh::Model>> {
    Ok(refresh::Entity::find_by_id(org).one(conn).await?)
}

fn fresh(org: Uuid) -> refresh::Model {
    refresh::Model {
        org_id: org,
        enabled: false,
        interval_secs: DEFAULT_INTERVAL,
        job_id: None,
        pos_p: 0,
        pos_i: Uuid::nil(),
        refreshed_at: None,
        reference_date: None,
        contacts: 0,
        companies: 0,
        notes: None,
        last_error: None,
        updated_at: Utc::now(),
    }
}

async fn answer(conn: &impl ConnectionTrait, row: refresh::Model) -> Result<AnalyticsRefresh> {
    let pending = match row.job_id {
        Some(id) => crm_worker::is_live(conn, id).await?,
        None => false,
    };
    Ok(AnalyticsRefresh {
        enabled: row.enabled,
        interval_secs: row.interval_secs,
        pending,
        refreshed_at: row.refreshed_at,
        reference_date: parse_day(row.reference_date.as_deref()),
        contacts: row.contacts,
        companies: row.companies,
        notes: row
            .notes
            .and_then(|n| serde_json::from_value(n).ok())
            .unwrap_or_default(),
        last_error: row.last_error,
    })
}

/// The organization's refresh: its schedule and the outcome of its last run.
pub async fn get_refresh(ctx: &Ctx) -> Result<AnalyticsRefresh> {
    ctx.require(Action::Read)?;
    let row = stored(&ctx.db, ctx.org_id())
        .await?
        .unwrap_or_else(|| fresh(ctx.org_id()));
    answer(&ctx.db, row).await
}

/// Makes sure a run of `org` is queued to run at once (or is running), inside `tx`; answers
/// its job.
async fn run_soon(tx: &impl ConnectionTrait, org: Uuid, job: Option<Uuid>) -> Result<Uuid> {
    if let Some(id) = job
        && crm_worker::nudge(tx, id).await?
    {
        return Ok(id);
    }
    let payload = serde_json::json!({});
    Ok(crm_worker::enqueue(tx, NewJob::new(REFRESH_JOB, Some(org), payload)).await?)
}

/// Changes the refresh (admins). Enabling it starts its runs at once.
pub async fn update_refresh(ctx: &Ctx, input: AnalyticsRefreshInput) -> Result<AnalyticsRefresh> {
    ctx.require(Action::Configure)?;
    if let Some(n) = input.interval_secs
        && !INTERVALS.contains(&n)
    {
        return Err(Error::validation(vec![FieldError::new(
            "/interval_secs",
            "range",
            "must be 5 to 86400 seconds",
        )])
        .into());
    }
    let tx = begin_write(&ctx.db).await?;
    lock_key(&tx, &lock(ctx.org_id())).await?;
    let existing = stored(&tx, ctx.org_id()).await?;
    let was_enabled = existing.as_ref().is_some_and(|r| r.enabled);
    let is_new = existing.is_none();
    let current = existing.unwrap_or_else(|| fresh(ctx.org_id()));
    let job = current.job_id;
    let mut row = current.into_active_model();
    if let Some(enabled) = input.enabled {
        row.enabled = Set(enabled);
    }
    if let Some(n) = input.interval_secs {
        row.interval_secs = Set(n);
    }
    row.updated_at = Set(Utc::now());
    let live = match job {
        Some(id) => crm_worker::is_live(&tx, id).await?,
        None => false,
    };
    let enabled = input.enabled.unwrap_or(was_enabled);
    // Enabling it runs it; so does a new interval (the next run schedules by it), and an
    // enabled refresh whose chain ended (its job died) starts again.
    if enabled && (!was_enabled || !live || input.interval_secs.is_some()) {
        row.job_id = Set(Some(run_soon(&tx, ctx.org_id(), job).await?));
    }
    let row = save(&tx, row, is_new).await?;
    tx.commit().await?;
    crm_worker::wake();
    answer(&ctx.db, row).await
}

/// Runs the refresh now (admins), whether or not it is enabled, recomputing even if nothing
/// changed; answers at once, with `pending` set.
pub async fn run_refresh(ctx: &Ctx) -> Result<AnalyticsRefresh> {
    ctx.require(Action::Configure)?;
    let tx = begin_write(&ctx.db).await?;
    lock_key(&tx, &lock(ctx.org_id())).await?;
    let existing = stored(&tx, ctx.org_id()).await?;
    let is_new = existing.is_none();
    let current = existing.unwrap_or_else(|| fresh(ctx.org_id()));
    let job = current.job_id;
    let mut row = current.into_active_model();
    // No reference date: the next run recomputes.
    row.reference_date = Set(None);
    row.updated_at = Set(Utc::now());
    row.job_id = Set(Some(run_soon(&tx, ctx.org_id(), job).await?));
    let row = save(&tx, row, is_new).await?;
    tx.commit().await?;
    crm_worker::wake();
    answer(&ctx.db, row).await
}

/// Marks the figures of `org` stale (inside the caller's write transaction): the next run
/// recomputes. For changes the feed does not carry (settings, exchange rates).
pub(crate) async fn mark_stale(tx: &impl ConnectionTrait, org: Uuid) -> Result<(), DbErr> {
    // After a run's write, or before it reads the row: never lost in between.
    lock_key(tx, &lock(org)).await?;
    refresh::Entity::update_many()
        .col_expr(
            refresh::Column::ReferenceDate,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .col_expr(
            refresh::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(refresh::Column::OrgId.eq(org))
        .exec(tx)
        .await?;
    Ok(())
}

async fn save(
    tx: &impl ConnectionTrait,
    row: refresh::ActiveModel,
    is_new: bool,
) -> Result<refresh::Model, DbErr> {
    if is_new {
        // Every field of a new row is written.
        row.reset_all().insert(tx).await
    } else {
        row.update(tx).await
    }
}

/// A reader of `org`'s data for the reports: nobody's user, allowed to read only.
pub(crate) fn reader(db: &sea_orm::DatabaseConnection, org: Uuid) -> Ctx {
    Ctx::new(
        db.clone(),
        Actor {
            org_id: org,
            user_id: Uuid::nil(),
            api_key_id: None,
            session_id: None,
            kind: PrincipalKind::User,
            role: Role::Viewer,
        },
    )
}

/// Whether the feed holds an event of `types` after `from`.
async fn changed_since(
    conn: &impl ConnectionTrait,
    org: Uuid,
    from: Position,
    types: &[&str],
) -> Result<bool> {
    let patterns: Vec<String> = types.iter().map(|s| (*s).to_owned()).collect();
    let patterns = crm_integration::types::parse(&patterns)?;
    let (events, _, _) =
        crm_integration::feed::read_positioned(conn, org, from, patterns.as_deref(), None, 1)
            .await
            .map_err(Error::from)?;
    Ok(!events.is_empty())
}

/// One subject's computation: every customer's figures, and the reports they came from (the
/// stored overview reuses them).
struct Computed {
    figures: BTreeMap<Uuid, Figures>,
    abc: AbcReport,
    xyz: XyzReport,
    rfm: RfmReport,
}

impl Computed {
    fn known(&self) -> Known<'_> {
        Known {
            abc: Some(&self.abc),
            xyz: Some(&self.xyz),
            rfm: Some(&self.rfm),
        }
    }
}

/// Every customer's figures for one subject, and what could not be computed.
async fn compute(
    ctx: &Ctx,
    subject: AnalysisSubject,
    today: NaiveDate,
    notes: &mut Vec<String>,
) -> Result<Computed> {
    let params = AnalysisParams {
        subject: Some(subject),
        reference_date: Some(today),
        unpaged: true,
        ..AnalysisParams::default()
    };
    let mut out: BTreeMap<Uuid, Figures> = BTreeMap::new();
    let abc = abc_report(ctx, &params).await?;
    for item in &abc.items {
        out.entry(item.id).or_default().abc = Some(format!("{:?}", item.class));
    }
    let xyz = xyz_report(ctx, &params).await?;
    for item in &xyz.items {
        out.entry(item.id).or_default().xyz = Some(format!("{:?}", item.class));
    }
    let rfm = rfm_report(ctx, &params).await?;
    for item in &rfm.items {
        let f = out.entry(item.id).or_default();
        f.rfm_score = Some(item.score.clone());
        f.rfm_segment = Some(item.segment.clone());
    }
    let clv = clv_report(ctx, &params).await?;
    let who = subject.as_str();
    if !clv.items.is_empty() {
        if clv.bg_nbd.is_none() {
            notes.push(format!(
                "{who}: the BG/NBD model could not be fitted (no repeat purchases to learn \
                 from), so clv and p_alive are null"
            ));
        } else if clv.gamma_gamma.is_none() {
            notes.push(format!(
                "{who}: the Gamma-Gamma model could not be fitted (fewer than 2 repeat buyers, \
                 or an infinite mean spend), so clv is null"
            ));
        }
    }
    for item in clv.items {
        if item.p_alive.is_none() && item.clv.is_none() {
            continue;
        }
        let f = out.entry(item.id).or_default();
        f.p_alive = item.p_alive.map(|p| (p * 1e6).round() / 1e6);
        f.clv = item
            .clv
            .and_then(|c| c.parse::<f64>().ok())
            .map(|c| (c * 100.0).round() / 100.0);
    }
    Ok(Computed {
        figures: out,
        abc,
        xyz,
        rfm,
    })
}

/// The figures `table`'s rows of `org` carry now.
async fn written(
    tx: &impl ConnectionTrait,
    org: Uuid,
    table: &str,
) -> Result<HashMap<Uuid, Figures>, DbErr> {
    let backend = tx.get_database_backend();
    let p = placeholder(backend, 1);
    let rows = tx
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT id, analytics_abc_class, analytics_xyz_class, analytics_rfm_score, \
                 analytics_rfm_segment, analytics_clv, analytics_p_alive FROM {table} \
                 WHERE org_id = {p} AND analytics_computed_at IS NOT NULL"
            ),
            [org.into()],
        ))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        out.insert(
            row.try_get("", "id")?,
            Figures {
                abc: row.try_get("", "analytics_abc_class")?,
                xyz: row.try_get("", "analytics_xyz_class")?,
                rfm_score: row.try_get("", "analytics_rfm_score")?,
                rfm_segment: row.try_get("", "analytics_rfm_segment")?,
                clv: row.try_get("", "analytics_clv")?,
                p_alive: row.try_get("", "analytics_p_alive")?,
            },
        );
    }
    Ok(out)
}

/// Writes `figures` onto `table`'s rows of `org` and clears the other rows': only the rows
/// whose figures change are written (a row's `analytics_computed_at` is when its figures were
/// last written), so a run that finds little new writes little.
async fn write_back(
    tx: &impl ConnectionTrait,
    org: Uuid,
    table: &str,
    figures: &BTreeMap<Uuid, Figures>,
) -> Result<(), DbErr> {
    let backend = tx.get_database_backend();
    let pg = backend == DbBackend::Postgres;
    let now = Utc::now();
    // Numbered on both engines: the statement names the rows before the shared values.
    let p = |n: usize| placeholder(backend, n);
    let before = written(tx, org, table).await?;
    let gone: Vec<Uuid> = before
        .keys()
        .filter(|id| !figures.contains_key(id))
        .copied()
        .collect();
    for chunk in gone.chunks(CHUNK) {
        let mut values: Vec<DbValue> = vec![org.into()];
        let ids: Vec<String> = chunk
            .iter()
            .map(|id| {
                values.push((*id).into());
                p(values.len())
            })
            .collect();
        tx.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE {table} SET analytics_abc_class = NULL, analytics_xyz_class = NULL, \
                 analytics_rfm_score = NULL, analytics_rfm_segment = NULL, \
                 analytics_clv = NULL, analytics_p_alive = NULL, analytics_churn_risk = NULL, \
                 analytics_computed_at = NULL WHERE org_id = {} AND id IN ({})",
                p(1),
                ids.join(", ")
            ),
            values,
        ))
        .await?;
    }
    let changed: Vec<(&Uuid, &Figures)> = figures
        .iter()
        .filter(|(id, f)| before.get(id) != Some(f))
        .collect();
    for chunk in changed.chunks(CHUNK) {
        let mut values: Vec<DbValue> = vec![org.into(), now.into()];
        let mut tuples = Vec::with_capacity(chunk.len());
        for (id, f) in chunk {
            let start = values.len();
            values.push((**id).into());
            values.push(f.abc.clone().into());
            values.push(f.xyz.clone().into());
            values.push(f.rfm_score.clone().into());
            values.push(f.rfm_segment.clone().into());
            values.push(f.clv.into());
            values.push(f.p_alive.into());
            values.push(f.p_alive.map(|a| ((1.0 - a) * 1e6).round() / 1e6).into());
            // PostgreSQL types the values (a NULL alone has none).
            let types = [
                "uuid", "text", "text", "text", "text", "float8", "float8", "float8",
            ];
            let cells: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(k, ty)| {
                    let at = p(start + k + 1);
                    if pg { format!("{at}::{ty}") } else { at }
                })
                .collect();
            tuples.push(format!("({})", cells.join(", ")));
        }
        let sql = format!(
            "WITH v(id, abc, xyz, score, segment, clv, p_alive, churn) AS (VALUES {}) \
             UPDATE {table} SET analytics_abc_class = v.abc, analytics_xyz_class = v.xyz, \
             analytics_rfm_score = v.score, analytics_rfm_segment = v.segment, \
             analytics_clv = v.clv, analytics_p_alive = v.p_alive, \
             analytics_churn_risk = v.churn, analytics_computed_at = {} \
             FROM v WHERE {table}.id = v.id AND {table}.org_id = {}",
            tuples.join(", "),
            p(2),
            p(1),
        );
        tx.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// One run of the organization's refresh (the job's handler).
pub async fn run_job(job: JobContext) -> std::result::Result<(), JobError> {
    let Some(org) = job.org_id else {
        return Err(JobError::permanent("a refresh needs an organization"));
    };
    let retry = |e: crate::AnalyticsError| JobError::retry(Error::from(e).to_string());
    let Some(row) = stored(&job.db, org).await.map_err(retry)? else {
        return Ok(());
    };
    // Another run took over (a run asked for while this one waited): it goes on.
    if row.job_id.is_some_and(|id| id != job.id) {
        return Ok(());
    }
    let ctx = reader(&job.db, org);
    let today = Utc::now().date_naive();
    let from = Position {
        o: org,
        p: row.pos_p,
        i: row.pos_i,
        t: Utc::now().timestamp_millis(),
    };
    // Where the feed stands before the computation reads: what commits later is seen by the
    // next run.
    let head = crm_integration::follow::head(&ctx)
        .await
        .map_err(|e| retry(Error::from(e).into()))?;
    let due = parse_day(row.reference_date.as_deref()) != Some(today)
        || changed_since(&job.db, org, from, &WATCHED)
            .await
            .map_err(retry)?;
    // Nothing the reports read changed, but deals did: only the funnel's section is computed
    // again (after the write below).
    let deals_changed = !due
        && changed_since(&job.db, org, from, &DEALS)
            .await
            .map_err(retry)?;
    let mut outcome = None;
    let began = Utc::now();
    if due {
        let mut notes = Vec::new();
        let computed = async {
            let companies = compute(&ctx, AnalysisSubject::Companies, today, &mut notes).await?;
            let contacts = compute(&ctx, AnalysisSubject::Contacts, today, &mut notes).await?;
            Ok::<_, crate::AnalyticsError>((companies, contacts))
        }
        .await;
        outcome = Some(computed.map(|c| (c, notes)));
    }
    let tx = begin_write(&job.db).await?;
    lock_key(&tx, &lock(org)).await?;
    let Some(current) = stored(&tx, org).await.map_err(retry)? else {
        return Ok(());
    };
    if current.job_id.is_some_and(|id| id != job.id) {
        return Ok(());
    }
    let enabled = current.enabled;
    let interval = current.interval_secs;
    // Marked stale (or a run asked for) while this run computed: it may have read the data
    // before the change, so the figures stay stale and another run follows at once.
    let stale_again = current.updated_at != row.updated_at && current.reference_date.is_none();
    let mut row = current.into_active_model();
    let mut kept = None;
    let mut failed = None;
    match outcome {
        Some(Ok((runs, notes))) => {
            let (companies, contacts) = (&runs.0.figures, &runs.1.figures);
            write_back(&tx, org, "companies", companies).await?;
            write_back(&tx, org, "contacts", contacts).await?;
            row.pos_p = Set(head.p);
            row.pos_i = Set(head.i);
            row.refreshed_at = Set(Some(Utc::now()));
            if !stale_again {
                row.reference_date = Set(Some(today.format("%Y-%m-%d").to_string()));
            }
            row.companies = Set(i32::try_from(companies.len()).unwrap_or(i32::MAX));
            row.contacts = Set(i32::try_from(contacts.len()).unwrap_or(i32::MAX));
            row.notes = Set(Some(serde_json::json!(notes)));
            row.last_error = Set(None);
            kept = Some(runs);
        }
        Some(Err(e)) => {
            let e = Error::from(e);
            row.last_error = Set(Some(e.detail.clone()));
            failed = Some(e);
        }
        // Nothing watched changed up to `head`: the next look starts there.
        None => {
            row.pos_p = Set(head.p);
            row.pos_i = Set(head.i);
        }
    }
    let next = if enabled || stale_again {
        let wait = if stale_again { 0 } else { i64::from(interval) };
        let at = Utc::now() + chrono::Duration::seconds(wait);
        Some(
            crm_worker::enqueue(
                &tx,
                NewJob::new(REFRESH_JOB, Some(org), serde_json::json!({})).run_at(at),
            )
            .await?,
        )
    } else {
        None
    };
    row.job_id = Set(next);
    row.updated_at = Set(Utc::now());
    row.update(&tx).await?;
    crm_worker::forget_succeeded(&tx, REFRESH_JOB, Some(org)).await?;
    tx.commit().await?;
    // Logged once recorded: a computation cut off by the server's shutdown (its runtime and
    // pool going away) cannot record its failure either, and the job simply runs again.
    if let Some(e) = failed {
        tracing::warn!(org = %org, error = %e, "analytics refresh failed");
    }
    if let Some((companies, contacts)) = &kept {
        keep_overview(&ctx, today, began, [companies, contacts]).await;
    } else if deals_changed
        && let Err(e) =
            overview_snapshot::patch(&ctx, today, began, &DEAL_SECTIONS, &default_sections()).await
    {
        let e = Error::from(e);
        tracing::warn!(org = %org, error = %e, "the overview's funnel was not kept");
        if let Err(e) = overview_snapshot::forget(&ctx).await {
            tracing::warn!(org = %org, error = %Error::from(e), "a stale overview stays");
        }
    }
    Ok(())
}

/// Computes and keeps the overview's stored sections of both subjects after a run wrote its
/// figures (the sections that read them see them). If they cannot be computed, the stored
/// ones are forgotten (the overview then computes every section) and the failure is logged.
async fn keep_overview(ctx: &Ctx, today: NaiveDate, began: DateTime<Utc>, runs: [&Computed; 2]) {
    let sections = default_sections();
    let outcome = async {
        for (subject, run) in [AnalysisSubject::Companies, AnalysisSubject::Contacts]
            .into_iter()
            .zip(runs)
        {
            overview_snapshot::store(ctx, subject, today, began, run.known(), &sections).await?;
        }
        Ok::<_, crate::AnalyticsError>(())
    }
    .await;
    if let Err(e) = outcome {
        let e = Error::from(e);
        tracing::warn!(org = %ctx.org_id(), error = %e, "the analytics overview was not kept");
        if let Err(e) = overview_snapshot::forget(ctx).await {
            tracing::warn!(org = %ctx.org_id(), error = %Error::from(e), "a stale overview stays");
        }
    }
}

/// Records why the organization's run died (its last attempt failed, or its worker stopped
/// during it): the refresh shows the error and no pending run, and enabling it again, or a
/// run asked for, starts a new chain.
async fn died(job: JobContext, error: String) {
    let Some(org) = job.org_id else { return };
    let outcome = async {
        let tx = begin_write(&job.db).await?;
        lock_key(&tx, &lock(org)).await?;
        if let Some(row) = refresh::Entity::find_by_id(org).one(&tx).await?
            && row.job_id == Some(job.id)
        {
            let mut row = row.into_active_model();
            row.job_id = Set(None);
            row.last_error = Set(Some(format!("the refresh job failed: {error}")));
            row.updated_at = Set(Utc::now());
            row.update(&tx).await?;
        }
        tx.commit().await
    };
    if let Err(e) = outcome.await {
        tracing::warn!(org = %org, error = %e, "cannot record a dead analytics refresh");
    }
}

/// Registers the refresh's job handler and what happens when one of its jobs dies.
pub fn register(registry: &mut crm_worker::Registry) {
    registry.register(REFRESH_JOB, run_job);
    registry.on_dead(REFRESH_JOB, died);
}
