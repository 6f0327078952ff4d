//! The fan-out: reads an organization's change feed from its stored position and, in one
//! transaction, inserts one delivery per (event, matching enabled endpoint), advances the
//! position and makes sure each endpoint that got deliveries has its delivery job.
//!
//! It runs as the job `webhook.fanout` of the worker runtime, one chain per organization with
//! enabled endpoints: each run enqueues its successor (after `fanout_interval`), and the
//! chain ends when the organization has no enabled endpoint (creating or enabling one starts
//! it again). Runs of one organization take turns on a transaction lock (an advisory lock on
//! PostgreSQL, SQLite's write lock), so replicas never fan out the same events twice.

use super::model::{cursor, delivery, subscription};
use super::{DELIVER, FANOUT, Webhooks};
use crate::dto::Event;
use crate::feed::read_positioned;
use crate::position::Position;
use crate::types::{self, TypePattern};
use chrono::{DateTime, Utc};
use crm_core::db::{begin_write, lock_key};
use crm_core::new_id;
use crm_worker::{JobContext, JobError, NewJob};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set, Statement,
};
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Events read per transaction.
const PAGE: u64 = 1000;
/// Pages per run before the run hands over to its successor.
const PAGES_PER_RUN: usize = 20;
/// Rows per INSERT statement (well under SQLite's bound-parameter limit).
pub(crate) const INSERT_CHUNK: usize = 400;

/// The lock key serialising an organization's fan-out and its delivery numbering.
pub(crate) fn org_key(org: Uuid) -> String {
    format!("webhook-fanout:{org}")
}

/// The lock key serialising the scheduling of one endpoint's delivery job.
pub(crate) fn sub_key(sub: Uuid) -> String {
    format!("webhook-deliver:{sub}")
}

/// The body POSTed for `event`: `{type, timestamp, data}`.
pub(crate) fn message_body(event: &Event) -> String {
    json!({
        "type": event.kind,
        "timestamp": event.occurred_at,
        "data": event,
    })
    .to_string()
}

/// Whether `patterns` (parsed; `None` = every type) admit `kind`.
pub(crate) fn admits(patterns: Option<&[TypePattern]>, kind: &str) -> bool {
    patterns.is_none_or(|ps| {
        ps.iter().any(|p| match p {
            TypePattern::Any => true,
            TypePattern::Prefix(prefix) => kind.starts_with(prefix.as_str()),
            TypePattern::Exact(name) => kind == name,
        })
    })
}

/// The parsed patterns of an endpoint.
pub(crate) fn patterns_of(sub: &subscription::Model) -> Option<Vec<TypePattern>> {
    let list: Vec<String> = serde_json::from_value(sub.event_types.clone()).unwrap_or_default();
    types::parse(&list).ok().flatten()
}

/// The newest event of `org` no running transaction can still precede: where a new fan-out
/// starts (events before an endpoint existed are not sent to it).
async fn feed_head(conn: &impl ConnectionTrait, org: Uuid) -> Result<(i64, Uuid), DbErr> {
    let backend = conn.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        "SELECT CAST(CAST(txid AS text) AS bigint) AS p, id FROM outbox_events WHERE org_id = $1 \
         AND txid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY txid DESC, id DESC LIMIT 1"
    } else {
        "SELECT seq AS p, id FROM outbox_events WHERE org_id = ? ORDER BY seq DESC LIMIT 1"
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [org.into()]))
        .await?;
    Ok(match row {
        Some(row) => (row.try_get("", "p")?, row.try_get("", "id")?),
        None => (0, Uuid::nil()),
    })
}

/// Makes the organization's fan-out run (inside the caller's write transaction): creates its
/// position at the head of the feed if there is none, moves it to the head when no endpoint
/// was enabled (events from while none was enabled are not sent), and starts the fan-out
/// chain unless it runs. Call before enabling an endpoint.
pub(crate) async fn start(
    tx: &impl ConnectionTrait,
    org: Uuid,
    except: Option<Uuid>,
) -> Result<(), DbErr> {
    lock_key(tx, &org_key(org)).await?;
    let mut enabled = subscription::Entity::find()
        .filter(subscription::Column::OrgId.eq(org))
        .filter(subscription::Column::Enabled.eq(true));
    if let Some(id) = except {
        enabled = enabled.filter(subscription::Column::Id.ne(id));
    }
    let idle = enabled.one(tx).await?.is_none();
    let now = Utc::now();
    let row = match cursor::Entity::find_by_id(org).one(tx).await? {
        Some(row) => {
            let mut row = row.into_active_model();
            if idle {
                let (p, i) = feed_head(tx, org).await?;
                row.pos_p = Set(p);
                row.pos_i = Set(i);
            }
            row.update(tx).await?
        }
        None => {
            let (p, i) = feed_head(tx, org).await?;
            cursor::ActiveModel {
                org_id: Set(org),
                pos_p: Set(p),
                pos_i: Set(i),
                next_seq: Set(1),
                fanout_job_id: Set(None),
                updated_at: Set(now),
            }
            .insert(tx)
            .await?
        }
    };
    ensure_chain(tx, row, None, now).await
}

/// Keeps one live fan-out job for the cursor's organization: the one recorded if it is
/// queued or running (and not `me`, which is ending), else a new one due at `at`.
async fn ensure_chain(
    tx: &impl ConnectionTrait,
    row: cursor::Model,
    me: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    if let Some(job) = row.fanout_job_id
        && Some(job) != me
        && crm_worker::nudge(tx, job).await?
    {
        return Ok(());
    }
    let job = crm_worker::enqueue(
        tx,
        NewJob::new(FANOUT, Some(row.org_id), json!({})).run_at(at),
    )
    .await?;
    let mut row = row.into_active_model();
    row.fanout_job_id = Set(Some(job));
    row.update(tx).await?;
    Ok(())
}

/// Makes sure endpoint `sub` has its delivery job: brings the recorded one forward if it is
/// queued, leaves a running one (it looks for new deliveries before it ends), else enqueues
/// one. The caller's transaction holds no other endpoint's lock.
pub(crate) async fn ensure_delivery_job(
    tx: &impl ConnectionTrait,
    org: Uuid,
    sub: Uuid,
) -> Result<(), DbErr> {
    lock_key(tx, &sub_key(sub)).await?;
    let Some(row) = subscription::Entity::find_by_id(sub).one(tx).await? else {
        return Ok(());
    };
    if let Some(job) = row.deliver_job_id
        && crm_worker::nudge(tx, job).await?
    {
        return Ok(());
    }
    let job = crm_worker::enqueue(
        tx,
        NewJob::new(DELIVER, Some(org), json!({ "webhook_id": sub })).max_attempts(1000),
    )
    .await?;
    let mut row = row.into_active_model();
    row.deliver_job_id = Set(Some(job));
    row.update(tx).await?;
    Ok(())
}

/// Allocates `n` delivery numbers of `org` (the caller holds [`org_key`]); returns the first.
pub(crate) async fn allocate_seq(
    tx: &impl ConnectionTrait,
    org: Uuid,
    n: i64,
) -> Result<i64, DbErr> {
    let row = match cursor::Entity::find_by_id(org).one(tx).await? {
        Some(row) => row,
        None => {
            let (p, i) = feed_head(tx, org).await?;
            cursor::ActiveModel {
                org_id: Set(org),
                pos_p: Set(p),
                pos_i: Set(i),
                next_seq: Set(1),
                fanout_job_id: Set(None),
                updated_at: Set(Utc::now()),
            }
            .insert(tx)
            .await?
        }
    };
    let first = row.next_seq;
    let mut row = row.into_active_model();
    row.next_seq = Set(first + n);
    row.updated_at = Set(Utc::now());
    row.update(tx).await?;
    Ok(first)
}

/// A new pending delivery row.
pub(crate) fn new_delivery(
    org: Uuid,
    sub: Uuid,
    event: &Event,
    body: String,
    origin: &str,
    seq: i64,
    now: DateTime<Utc>,
) -> delivery::ActiveModel {
    delivery::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org),
        subscription_id: Set(sub),
        message_id: Set(event.id),
        event_type: Set(event.kind.clone()),
        record_key: Set(format!("{}:{}", event.record.kind, event.record.id)),
        body: Set(body),
        origin: Set(origin.to_owned()),
        state: Set("pending".to_owned()),
        seq: Set(seq),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        delivered_at: Set(None),
    }
}

/// Inserts delivery rows in chunks.
pub(crate) async fn insert_deliveries(
    tx: &impl ConnectionTrait,
    rows: Vec<delivery::ActiveModel>,
) -> Result<(), DbErr> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        delivery::Entity::insert_many(chunk).exec(tx).await?;
    }
    Ok(())
}

/// The `webhook.fanout` job.
pub(crate) async fn run(hooks: Webhooks, job: JobContext) -> Result<(), JobError> {
    let org = job
        .org_id
        .ok_or_else(|| JobError::permanent("a fan-out job needs an organization"))?;
    // The chain's earlier links: one a second would otherwise fill the jobs table.
    crm_worker::forget_succeeded(&job.db, FANOUT, Some(org)).await?;
    for _ in 0..PAGES_PER_RUN {
        let tx = begin_write(&job.db).await?;
        lock_key(&tx, &org_key(org)).await?;
        let Some(row) = cursor::Entity::find_by_id(org).one(&tx).await? else {
            return Ok(());
        };
        let subs = subscription::Entity::find()
            .filter(subscription::Column::OrgId.eq(org))
            .filter(subscription::Column::Enabled.eq(true))
            .order_by_asc(subscription::Column::Id)
            .all(&tx)
            .await?;
        if subs.is_empty() {
            // The chain ends; creating or enabling an endpoint starts it again.
            let mut row = row.into_active_model();
            row.fanout_job_id = Set(None);
            row.update(&tx).await?;
            tx.commit().await?;
            return Ok(());
        }
        let from = Position {
            o: org,
            p: row.pos_p,
            i: row.pos_i,
            t: Utc::now().timestamp_millis(),
        };
        let (events, next, has_more) = read_positioned(&tx, org, from, None, None, PAGE)
            .await
            .map_err(|e| JobError::retry(format!("reading the change feed: {e}")))?;
        let parsed: Vec<_> = subs.iter().map(|s| (s, patterns_of(s))).collect();
        let now = Utc::now();
        let mut seq = row.next_seq;
        let mut rows = Vec::new();
        let mut touched = BTreeSet::new();
        for event in &events {
            let mut body = None;
            for (sub, patterns) in &parsed {
                if event.occurred_at < sub.created_at || !admits(patterns.as_deref(), &event.kind) {
                    continue;
                }
                let body = body.get_or_insert_with(|| message_body(event)).clone();
                rows.push(new_delivery(org, sub.id, event, body, "event", seq, now));
                seq += 1;
                touched.insert(sub.id);
            }
        }
        insert_deliveries(&tx, rows).await?;
        let mut active = row.into_active_model();
        active.pos_p = Set(next.p);
        active.pos_i = Set(next.i);
        active.next_seq = Set(seq);
        active.updated_at = Set(now);
        let row = active.update(&tx).await?;
        for sub in touched {
            ensure_delivery_job(&tx, org, sub).await?;
        }
        if !has_more {
            let at = now
                + chrono::Duration::from_std(hooks.settings.fanout_interval)
                    .unwrap_or_else(|_| chrono::Duration::seconds(1));
            ensure_chain(&tx, row, Some(job.id), at).await?;
        }
        tx.commit().await?;
        crm_worker::wake();
        if !has_more {
            return Ok(());
        }
    }
    // A backlog: hand over to a successor due at once, so other jobs get their turn.
    let tx = begin_write(&job.db).await?;
    lock_key(&tx, &org_key(org)).await?;
    if let Some(row) = cursor::Entity::find_by_id(org).one(&tx).await? {
        ensure_chain(&tx, row, Some(job.id), Utc::now()).await?;
    }
    tx.commit().await?;
    crm_worker::wake();
    Ok(())
}
