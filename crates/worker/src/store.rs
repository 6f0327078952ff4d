//! The statements of the runtime: claim, heartbeat, finish, fail, release, prune. Written once
//! with `?` placeholders and numbered for PostgreSQL.
//!
//! Every statement after the claim names the job *and* the worker holding it
//! (`locked_by = ?`): a worker whose lease passed and whose job another worker took can no
//! longer change it, so a late finish never overwrites the new holder's state.

use crate::JobState;
use crate::model;
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Statement, Value,
};
use uuid::Uuid;

/// The longest `last_error` kept, in characters.
const MAX_ERROR_CHARS: usize = 2000;

/// `sql` with `?` placeholders, numbered `$1, $2, ...` on PostgreSQL.
fn stmt(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for ch in sql.chars() {
                if ch == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(ch);
                }
            }
            out
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn clip(error: &str) -> String {
    error.chars().take(MAX_ERROR_CHARS).collect()
}

/// Claims up to `limit` due jobs of `kinds` for `worker` until `lease_until`, counting an
/// attempt for each: queued jobs whose `run_at` has come, and running jobs whose lease has
/// passed (their worker died). PostgreSQL skips rows other workers are claiming (`FOR UPDATE
/// SKIP LOCKED`), so concurrent claims never take the same job; SQLite claims in an IMMEDIATE
/// transaction, which runs alone.
pub async fn claim(
    db: &DatabaseConnection,
    worker: &str,
    kinds: &[String],
    limit: usize,
    lease_until: DateTime<Utc>,
) -> Result<Vec<model::Model>, DbErr> {
    if kinds.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let now = Utc::now();
    let skip_locked = if backend == DbBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', locked_by = ?, locked_until = ?, \
         attempts = attempts + 1, updated_at = ? \
         WHERE id IN (SELECT id FROM jobs WHERE kind IN ({}) \
         AND ((state = 'queued' AND run_at <= ?) OR (state = 'running' AND locked_until < ?)) \
         ORDER BY run_at, id LIMIT ?{skip_locked}) RETURNING *",
        marks(kinds.len())
    );
    let mut values: Vec<Value> = vec![worker.into(), lease_until.into(), now.into()];
    values.extend(kinds.iter().map(|k| Value::from(k.as_str())));
    values.push(now.into());
    values.push(now.into());
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let statement = stmt(backend, &sql, values);
    if backend == DbBackend::Sqlite {
        let tx = crm_core::db::begin_write(db).await?;
        let rows = model::Entity::find()
            .from_raw_sql(statement)
            .all(&tx)
            .await?;
        tx.commit().await?;
        Ok(rows)
    } else {
        model::Entity::find().from_raw_sql(statement).all(db).await
    }
}

/// Extends the lease of attempt `attempt` of job `id` held by `worker`; `false` when that
/// attempt no longer holds it. The attempt number fences attempts of one runtime: a job whose
/// lease passed is claimed again by any runtime, its own included, and the older attempt must
/// then neither extend nor settle the newer one's claim.
pub async fn heartbeat(
    db: &DatabaseConnection,
    id: Uuid,
    worker: &str,
    attempt: i32,
    lease_until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = "UPDATE jobs SET locked_until = ?, updated_at = ? \
               WHERE id = ? AND locked_by = ? AND attempts = ? AND state = 'running'";
    let values = vec![
        lease_until.into(),
        Utc::now().into(),
        id.into(),
        worker.into(),
        attempt.into(),
    ];
    let done = db.execute_raw(stmt(backend, sql, values)).await?;
    Ok(done.rows_affected() == 1)
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The handler succeeded.
    Succeeded,
    /// It failed and is tried again at `run_at`.
    Retry {
        /// The error.
        error: String,
        /// When the next attempt may start.
        run_at: DateTime<Utc>,
    },
    /// It failed for the last time.
    Dead {
        /// The error.
        error: String,
    },
    /// It did not finish before a graceful stop: queued again at once, the attempt not counted.
    Released,
}

/// Records how attempt `attempt` of `worker` at job `id` ended; `false` when that attempt no
/// longer held the job (its lease passed and another attempt took it, in this runtime or
/// another).
pub async fn settle(
    db: &DatabaseConnection,
    id: Uuid,
    worker: &str,
    attempt: i32,
    outcome: &Outcome,
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let now = Utc::now();
    let (sql, mut values): (&str, Vec<Value>) = match outcome {
        Outcome::Succeeded => (
            "UPDATE jobs SET state = ?, last_error = NULL, finished_at = ?, updated_at = ?, \
             locked_by = NULL, locked_until = NULL",
            vec![JobState::Succeeded.as_str().into(), now.into(), now.into()],
        ),
        Outcome::Retry { error, run_at } => (
            "UPDATE jobs SET state = ?, last_error = ?, run_at = ?, updated_at = ?, \
             locked_by = NULL, locked_until = NULL",
            vec![
                JobState::Queued.as_str().into(),
                clip(error).into(),
                (*run_at).into(),
                now.into(),
            ],
        ),
        Outcome::Dead { error } => (
            "UPDATE jobs SET state = ?, last_error = ?, finished_at = ?, updated_at = ?, \
             locked_by = NULL, locked_until = NULL",
            vec![
                JobState::Dead.as_str().into(),
                clip(error).into(),
                now.into(),
                now.into(),
            ],
        ),
        Outcome::Released => (
            "UPDATE jobs SET state = ?, attempts = attempts - 1, updated_at = ?, \
             locked_by = NULL, locked_until = NULL",
            vec![JobState::Queued.as_str().into(), now.into()],
        ),
    };
    let sql =
        format!("{sql} WHERE id = ? AND locked_by = ? AND attempts = ? AND state = 'running'");
    values.push(id.into());
    values.push(worker.into());
    values.push(attempt.into());
    let done = db.execute_raw(stmt(backend, &sql, values)).await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes succeeded jobs that finished before `before`; returns how many.
pub async fn prune(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let sql = "DELETE FROM jobs WHERE state = 'succeeded' AND finished_at < ?";
    let done = db
        .execute_raw(stmt(backend, sql, vec![before.into()]))
        .await?;
    Ok(done.rows_affected())
}

/// Releases every job `worker` still holds: queued again at once, the attempt not counted
/// (a graceful stop that could not wait for them). Returns how many.
pub async fn release_all(db: &DatabaseConnection, worker: &str) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let sql = "UPDATE jobs SET state = 'queued', attempts = attempts - 1, updated_at = ?, \
               locked_by = NULL, locked_until = NULL WHERE locked_by = ? AND state = 'running'";
    let done = db
        .execute_raw(stmt(backend, sql, vec![Utc::now().into(), worker.into()]))
        .await?;
    Ok(done.rows_affected())
}
