//! `last_used_at` of API keys, written off the request path.
//!
//! A request authenticated by a key only notes "key X used at T" in memory ([`KeyUsage::record`],
//! a short lock and a map insert); a background task ([`run`]) writes what was noted every
//! flush interval (a minute by default) in one `UPDATE` (chunked past [`CHUNK`] keys), and once
//! more when the server stops. So each key's `last_used_at` is written at most once per
//! interval and lags the last use by at most the interval; a crash loses at most the uses of
//! the interval in progress. A failed write is logged and its uses kept for the next flush; it
//! never fails a request. With several replicas each writes the uses it saw, so the stored time
//! can step back by less than one interval when two replicas flush the same key.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// Most keys written by one statement (two bound values each, within every engine's limit).
pub const CHUNK: usize = 500;

/// The uses of API keys not yet written, per key the latest.
#[derive(Debug, Default)]
pub struct KeyUsage {
    pending: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

impl KeyUsage {
    /// A new, empty record.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Notes that key `id` was used at `at` (the latest use of a key wins).
    pub fn record(&self, id: Uuid, at: DateTime<Utc>) {
        if let Ok(mut pending) = self.pending.lock() {
            let entry = pending.entry(id).or_insert(at);
            if *entry < at {
                *entry = at;
            }
        }
    }

    /// How many keys have uses not yet written.
    pub fn pending(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or(0)
    }

    /// Writes every noted use to `db`; returns how many keys were written. On failure the uses
    /// not written are kept for the next flush.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        let batch: Vec<(Uuid, DateTime<Utc>)> = match self.pending.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => return Ok(0),
        };
        let mut written = 0;
        for (i, chunk) in batch.chunks(CHUNK).enumerate() {
            if let Err(e) = write(db, chunk).await {
                for &(id, at) in &batch[i * CHUNK..] {
                    self.record(id, at);
                }
                return Err(e);
            }
            written += chunk.len();
        }
        Ok(written)
    }
}

/// `UPDATE api_keys SET last_used_at = CASE id WHEN .. THEN .. END WHERE id IN (..)`.
async fn write(db: &DatabaseConnection, uses: &[(Uuid, DateTime<Utc>)]) -> Result<(), DbErr> {
    if uses.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut n = 0;
    let mut mark = || {
        n += 1;
        if backend == DbBackend::Postgres {
            format!("${n}")
        } else {
            "?".to_owned()
        }
    };
    let mut values: Vec<Value> = Vec::with_capacity(uses.len() * 3);
    let mut sql = String::from("UPDATE api_keys SET last_used_at = CASE");
    for &(id, at) in uses {
        sql.push_str(&format!(" WHEN id = {} THEN {}", mark(), mark()));
        values.push(id.into());
        values.push(at.into());
    }
    sql.push_str(" ELSE last_used_at END WHERE id IN (");
    for (i, &(id, _)) in uses.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&mark());
        values.push(id.into());
    }
    sql.push(')');
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

/// Flushes `usage` to `db` every `interval` until `stop` is notified, then once more (tried up
/// to `pool_size + 1` times, see below). Run it (spawned) beside each server.
pub async fn run(
    db: DatabaseConnection,
    usage: Arc<KeyUsage>,
    interval: Duration,
    stop: Arc<Notify>,
    pool_size: u32,
) {
    let stop_attempts = pool_size.saturating_add(1);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        let stopping = tokio::select! {
            _ = ticks.tick() => false,
            () = stop.notified() => true,
        };
        if !stopping {
            if let Err(e) = usage.flush(&db).await {
                tracing::warn!(error = %e, "cannot write the last use of API keys; retrying later");
            }
            continue;
        }
        // On stopping, the HTTP workers' runtimes have ended, and the pooled connections they
        // opened died with them (their sockets belonged to those runtimes). Each failed try
        // makes the pool discard the dead connection it handed out, so trying again reaches a
        // live one (or opens a new one) within a pool's worth of tries.
        for attempt in 1..=stop_attempts {
            match usage.flush(&db).await {
                Ok(_) => return,
                Err(e) if attempt == stop_attempts => {
                    tracing::warn!(error = %e, "cannot write the last use of API keys on stopping");
                }
                Err(e) => {
                    tracing::debug!(error = %e, attempt, "last use of API keys: trying again")
                }
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectOptions, Database};

    #[tokio::test]
    async fn keeps_the_latest_use_and_retries_a_failed_write() {
        let mut options = ConnectOptions::new("sqlite::memory:");
        options.max_connections(1);
        let db = Database::connect(options).await.unwrap();
        let usage = KeyUsage::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let t0 = Utc::now();
        let t1 = t0 + chrono::Duration::seconds(5);
        usage.record(a, t1);
        usage.record(a, t0);
        usage.record(b, t0);
        assert_eq!(usage.pending(), 2);
        // No table yet: the write fails and the uses wait for the next flush.
        assert!(usage.flush(&db).await.is_err());
        assert_eq!(usage.pending(), 2);
        db.execute_unprepared("CREATE TABLE api_keys (id BLOB PRIMARY KEY, last_used_at TEXT)")
            .await
            .unwrap();
        for id in [a, b] {
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO api_keys (id) VALUES (?)",
                [id.into()],
            ))
            .await
            .unwrap();
        }
        assert_eq!(usage.flush(&db).await.unwrap(), 2);
        assert_eq!(usage.pending(), 0);
        let stored = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT last_used_at FROM api_keys WHERE id = ?",
                [a.into()],
            ))
            .await
            .unwrap()
            .unwrap();
        let at: DateTime<Utc> = stored.try_get_by_index(0).unwrap();
        assert_eq!(at, t1, "the latest use wins");
        assert_eq!(usage.flush(&db).await.unwrap(), 0);
    }
}
