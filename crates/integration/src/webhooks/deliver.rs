//! The sender: the job `webhook.deliver`, one per endpoint at a time (its id is kept on the
//! endpoint, see [`super::fanout::ensure_delivery_job`]), POSTs the endpoint's pending
//! deliveries in their `seq` order.
//!
//! - **Order per record.** Deliveries of one record form a chain sent one after the other;
//!   a chain stops at its first failure, and while a delivery of a record waits for its retry
//!   every later delivery of that record waits behind it. Chains of different records go out
//!   concurrently (up to [`IN_FLIGHT`]).
//! - **Retries.** A failed attempt waits the next step of the retry schedule; after the last
//!   step the delivery has failed (and the record's later deliveries go on). A 410 answer
//!   fails the delivery and disables the endpoint. When every attempt has failed for
//!   `disable_after` (5 days) the endpoint is disabled. Both tell the owner with a
//!   `webhook.disabled` event in the outbox.
//! - **Circuit.** When a batch brings [`TRIP`] failures and no success the endpoint looks
//!   down: the run ends and the next one comes after the first retry step, instead of trying
//!   every pending record at once.
//! - **Handing over.** A run ends when nothing is due; under the endpoint's lock it checks
//!   that no delivery arrived meanwhile, then enqueues its successor for the earliest retry
//!   (or none). A run that has gone on for [`SLICE`] hands over to a successor due at once.

use super::client::{Answer, Outgoing};
use super::fanout::{INSERT_CHUNK, sub_key};
use super::guard;
use super::model::{attempt, delivery, subscription};
use super::{DELIVER, Webhooks, signing};
use chrono::{DateTime, Utc};
use crm_core::db::{begin_write, lock_key};
use crm_core::new_id;
use crm_worker::{JobContext, JobError, NewJob};
use futures_util::StreamExt;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Pending deliveries read at once.
const BATCH: u64 = 500;
/// Records whose chains are sent at once.
pub const IN_FLIGHT: usize = 16;
/// Failures without a success in one batch that end a run early.
pub const TRIP: usize = 10;
/// How long one run sends before handing over.
pub const SLICE: Duration = Duration::from_secs(30);

/// What a batch's results did to the endpoint.
struct Verdict {
    successes: usize,
    failures: usize,
    disabled: bool,
}

/// The `webhook.deliver` job.
pub(crate) async fn run(hooks: Webhooks, job: JobContext) -> Result<(), JobError> {
    let org = job
        .org_id
        .ok_or_else(|| JobError::permanent("a delivery job needs an organization"))?;
    let sub_id: Uuid = job
        .payload
        .get("webhook_id")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .ok_or_else(|| JobError::permanent("the payload names no webhook_id"))?;
    let started = Instant::now();
    'run: loop {
        let Some(sub) = subscription::Entity::find_by_id(sub_id)
            .filter(subscription::Column::OrgId.eq(org))
            .one(&job.db)
            .await?
        else {
            return Ok(()); // deleted
        };
        let mut blocked: HashSet<String> = HashSet::new();
        let mut after = i64::MIN;
        let mut next_wake: Option<DateTime<Utc>> = None;
        let mut cut_short = false;
        let mut target: Option<Result<SocketAddr, String>> = None;
        // A disabled endpoint sends nothing: its deliveries wait until it is enabled again.
        let mut more = sub.enabled;
        while more {
            let rows = delivery::Entity::find()
                .filter(delivery::Column::SubscriptionId.eq(sub_id))
                .filter(delivery::Column::State.eq("pending"))
                .filter(delivery::Column::Seq.gt(after))
                .order_by_asc(delivery::Column::Seq)
                .limit(BATCH)
                .all(&job.db)
                .await?;
            let Some(last) = rows.last() else {
                more = false;
                continue;
            };
            after = last.seq;
            let now = Utc::now();
            let mut chains: Vec<Vec<delivery::Model>> = Vec::new();
            let mut chain_of: HashMap<String, usize> = HashMap::new();
            for row in rows {
                if blocked.contains(&row.record_key) {
                    continue;
                }
                if row.next_attempt_at > now {
                    next_wake = earliest(next_wake, row.next_attempt_at);
                    blocked.insert(row.record_key.clone());
                    continue;
                }
                let i = *chain_of.entry(row.record_key.clone()).or_insert_with(|| {
                    chains.push(Vec::new());
                    chains.len() - 1
                });
                chains[i].push(row);
            }
            if chains.is_empty() {
                continue;
            }
            if target.is_none() {
                target = Some(resolve(&hooks, &sub.url).await);
            }
            let target = target
                .clone()
                .unwrap_or_else(|| Err("the URL was not resolved".to_owned()));
            let secrets = secrets_of(&sub, now);
            let sender = hooks.sender().map_err(JobError::retry)?;
            let url = sub.url.clone();
            let outcomes: Vec<(delivery::Model, Answer)> = futures_util::stream::iter(chains)
                .map(|chain| send_chain(&sender, &url, &target, &secrets, chain))
                .buffer_unordered(IN_FLIGHT)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .flatten()
                .collect();
            let verdict = persist(
                &job.db,
                &hooks,
                sub_id,
                outcomes,
                &mut blocked,
                &mut next_wake,
            )
            .await?;
            if verdict.disabled {
                break;
            }
            if verdict.successes == 0 && verdict.failures >= TRIP {
                let pause = hooks
                    .settings
                    .retry_schedule
                    .first()
                    .copied()
                    .unwrap_or(Duration::from_secs(5));
                next_wake = earliest(next_wake, Utc::now() + to_chrono(pause));
                cut_short = true;
                break;
            }
            if started.elapsed() >= SLICE {
                next_wake = Some(Utc::now());
                cut_short = true;
                break;
            }
        }
        // Hand over, under the endpoint's lock (the fan-out takes it to schedule this job).
        let tx = begin_write(&job.db).await?;
        lock_key(&tx, &sub_key(sub_id)).await?;
        let Some(row) = subscription::Entity::find_by_id(sub_id).one(&tx).await? else {
            return Ok(());
        };
        if row.enabled && !cut_short {
            let newer = delivery::Entity::find()
                .filter(delivery::Column::SubscriptionId.eq(sub_id))
                .filter(delivery::Column::State.eq("pending"))
                .filter(delivery::Column::Seq.gt(after))
                .one(&tx)
                .await?;
            if newer.is_some() {
                drop(tx);
                continue 'run;
            }
        }
        let mut active = row.clone().into_active_model();
        match next_wake.filter(|_| row.enabled) {
            Some(at) => {
                let successor = crm_worker::enqueue(
                    &tx,
                    NewJob::new(DELIVER, Some(org), json!({ "webhook_id": sub_id }))
                        .run_at(at)
                        .max_attempts(1000),
                )
                .await?;
                active.deliver_job_id = Set(Some(successor));
            }
            None => active.deliver_job_id = Set(None),
        }
        active.update(&tx).await?;
        tx.commit().await?;
        crm_worker::wake();
        return Ok(());
    }
}

fn earliest(a: Option<DateTime<Utc>>, b: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Some(a.map_or(b, |a| Ord::min(a, b)))
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::days(1))
}

/// Checks the URL and resolves it once for this run (the guard applies again here: a name
/// now pointing at an internal address is refused).
async fn resolve(hooks: &Webhooks, url: &str) -> Result<SocketAddr, String> {
    let parsed =
        guard::parse_url(url, hooks.settings.require_https).map_err(|m| format!("the URL {m}"))?;
    guard::resolve(&parsed, hooks.settings.allow_private)
        .await
        .map_err(|m| format!("the URL is refused: {m}"))
}

/// The secrets that sign now: the current one, and the previous one during its overlap.
fn secrets_of(sub: &subscription::Model, now: DateTime<Utc>) -> Vec<String> {
    let mut out = vec![sub.secret.clone()];
    if let (Some(prev), Some(until)) = (&sub.previous_secret, sub.previous_secret_expires_at)
        && until > now
    {
        out.push(prev.clone());
    }
    out
}

/// Sends one record's deliveries in order, stopping at the first failure.
async fn send_chain(
    sender: &super::client::HttpSender,
    url: &str,
    target: &Result<SocketAddr, String>,
    secrets: &[String],
    chain: Vec<delivery::Model>,
) -> Vec<(delivery::Model, Answer)> {
    let mut out = Vec::with_capacity(chain.len());
    for d in chain {
        let answer = match target {
            Err(why) => Answer {
                status: None,
                excerpt: None,
                error: Some(why.clone()),
                duration: Duration::ZERO,
            },
            Ok(addr) => {
                let msg_id = d.message_id.to_string();
                let ts = Utc::now().timestamp();
                let keys: Vec<&str> = secrets.iter().map(String::as_str).collect();
                let signature = signing::signature_header(&keys, &msg_id, ts, &d.body);
                sender
                    .send(Outgoing {
                        addr: *addr,
                        url: url.to_owned(),
                        headers: vec![
                            ("webhook-id", msg_id),
                            ("webhook-timestamp", ts.to_string()),
                            ("webhook-signature", signature),
                        ],
                        body: d.body.clone(),
                    })
                    .await
            }
        };
        let ok = answer.error.is_none();
        out.push((d, answer));
        if !ok {
            break;
        }
    }
    out
}

fn clean(text: Option<String>) -> Option<String> {
    text.map(|t| t.replace('\0', "\u{fffd}"))
}

/// Records a batch's attempts and outcomes in one transaction, and what they mean for the
/// endpoint (a success ends its failing streak; a 410 or a streak longer than
/// `disable_after` disables it).
async fn persist(
    db: &sea_orm::DatabaseConnection,
    hooks: &Webhooks,
    sub_id: Uuid,
    outcomes: Vec<(delivery::Model, Answer)>,
    blocked: &mut HashSet<String>,
    next_wake: &mut Option<DateTime<Utc>>,
) -> Result<Verdict, DbErr> {
    let schedule = &hooks.settings.retry_schedule;
    let now = Utc::now();
    let tx = begin_write(db).await?;
    let mut attempts = Vec::with_capacity(outcomes.len());
    let mut succeeded: BTreeMap<u16, Vec<Uuid>> = BTreeMap::new();
    let mut verdict = Verdict {
        successes: 0,
        failures: 0,
        disabled: false,
    };
    let mut gone = false;
    for (d, answer) in outcomes {
        attempts.push(attempt::ActiveModel {
            id: Set(new_id()),
            org_id: Set(d.org_id),
            subscription_id: Set(d.subscription_id),
            delivery_id: Set(d.id),
            attempted_at: Set(now),
            status: Set(answer.status.map(i32::from)),
            duration_ms: Set(i32::try_from(answer.duration.as_millis()).unwrap_or(i32::MAX)),
            response_excerpt: Set(clean(answer.excerpt.clone())),
            error: Set(clean(answer.error.clone())),
        });
        if answer.error.is_none() {
            verdict.successes += 1;
            succeeded
                .entry(answer.status.unwrap_or(200))
                .or_default()
                .push(d.id);
            continue;
        }
        verdict.failures += 1;
        let tries = d.attempts + 1;
        let is_gone = answer.status == Some(410);
        gone |= is_gone;
        let wait = usize::try_from(tries - 1)
            .ok()
            .and_then(|i| schedule.get(i))
            .copied();
        let mut row = d.clone().into_active_model();
        row.attempts = Set(tries);
        row.last_status = Set(answer.status.map(i32::from));
        row.last_error = Set(clean(answer.error));
        row.updated_at = Set(now);
        match wait {
            Some(wait) if !is_gone => {
                let at = now + to_chrono(wait);
                row.next_attempt_at = Set(at);
                *next_wake = earliest(*next_wake, at);
                blocked.insert(d.record_key.clone());
            }
            _ => row.state = Set("failed".to_owned()),
        }
        row.update(&tx).await?;
    }
    let mut rows = attempts.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        attempt::Entity::insert_many(chunk).exec(&tx).await?;
    }
    for (status, ids) in succeeded {
        for chunk in ids.chunks(INSERT_CHUNK) {
            delivery::Entity::update_many()
                .col_expr(delivery::Column::State, Expr::value("succeeded"))
                .col_expr(
                    delivery::Column::Attempts,
                    Expr::col(delivery::Column::Attempts).add(1),
                )
                .col_expr(delivery::Column::LastStatus, Expr::value(i32::from(status)))
                .col_expr(
                    delivery::Column::LastError,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(delivery::Column::DeliveredAt, Expr::value(now))
                .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
                .filter(delivery::Column::Id.is_in(chunk.to_vec()))
                .exec(&tx)
                .await?;
        }
    }
    crm_core::db::lock_row(&tx, "webhook_subscriptions", sub_id).await?;
    if let Some(sub) = subscription::Entity::find_by_id(sub_id).one(&tx).await? {
        let failing_since = if verdict.successes > 0 {
            None
        } else if verdict.failures > 0 {
            Some(sub.failing_since.unwrap_or(now))
        } else {
            sub.failing_since
        };
        let too_long = failing_since
            .is_some_and(|since| now - since >= to_chrono(hooks.settings.disable_after));
        let reason = if gone {
            Some("the endpoint answered 410 Gone".to_owned())
        } else if too_long {
            Some(format!(
                "every delivery failed for {}",
                human(hooks.settings.disable_after)
            ))
        } else {
            None
        };
        if failing_since != sub.failing_since || (reason.is_some() && sub.enabled) {
            let mut row = sub.clone().into_active_model();
            row.failing_since = Set(failing_since);
            if let Some(reason) = reason.filter(|_| sub.enabled) {
                row.enabled = Set(false);
                row.disabled_reason = Set(Some(reason.clone()));
                row.disabled_at = Set(Some(now));
                row.updated_at = Set(now);
                announce_disabled(&tx, &sub, &reason, now).await?;
                verdict.disabled = true;
            }
            row.update(&tx).await?;
        }
    }
    tx.commit().await?;
    Ok(verdict)
}

/// `5 days`, `12 hours`, `90 seconds`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        _ if s >= 86_400 && s.is_multiple_of(86_400) => format!("{} days", s / 86_400),
        _ if s >= 3600 && s.is_multiple_of(3600) => format!("{} hours", s / 3600),
        _ => format!("{s} seconds"),
    }
}

/// Appends the `webhook.disabled` event (actor: system) that tells the owner.
async fn announce_disabled(
    tx: &impl ConnectionTrait,
    sub: &subscription::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let payload = json!({
        "before": { "enabled": true },
        "after": {
            "id": sub.id,
            "url": sub.url,
            "enabled": false,
            "disabled_reason": reason,
            "owner_user_id": sub.created_by,
        }
    })
    .to_string();
    let backend = tx.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        "INSERT INTO outbox_events (id, org_id, topic, record_type, record_id, payload, created_at) \
         VALUES ($1, $2, 'webhook.disabled', 'webhook', $3, CAST($4 AS jsonb), $5)"
    } else {
        "INSERT INTO outbox_events (id, org_id, topic, record_type, record_id, payload, created_at, \
         seq) VALUES (?, ?, 'webhook.disabled', 'webhook', ?, ?, ?, \
         (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox_events))"
    };
    tx.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            new_id().into(),
            sub.org_id.into(),
            sub.id.into(),
            payload.into(),
            now.into(),
        ],
    ))
    .await?;
    tracing::warn!(webhook = %sub.id, org = %sub.org_id, %reason, "webhook endpoint disabled");
    Ok(())
}
