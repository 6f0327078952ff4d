//! Retention of the outbox: events older than the feed's retention, plus an hour's grace, are
//! deleted in batches by a task every server runs (which also prunes finished webhook
//! deliveries, [`crate::webhooks::prune`]) (deleting the same old rows twice is
//! harmless, so replicas need no coordination).
//!
//! The grace covers events written before, but committed after, the event a cursor was
//! stamped with (a transaction that ran long): the cursor is refused after `retention`, its
//! events are deleted an hour later. SQLite never deletes the newest event, whose `seq` the
//! next one continues from.

use crate::error::Result;
use crate::feed::FeedSettings;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::time::Duration;

/// How much longer than the retention events are kept.
pub const GRACE: Duration = Duration::from_secs(3600);
/// Events deleted per statement.
const BATCH: u64 = 5000;

/// Deletes the events past the retention; returns how many.
pub async fn prune(db: &DatabaseConnection, settings: &FeedSettings) -> Result<u64> {
    let keep = settings.retention.saturating_add(GRACE);
    let cut = Utc::now()
        - chrono::Duration::from_std(keep).unwrap_or_else(|_| chrono::Duration::days(365_000));
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!(
            "DELETE FROM outbox_events WHERE id IN (SELECT id FROM outbox_events \
             WHERE created_at < $1 LIMIT {BATCH})"
        ),
        _ => format!(
            "DELETE FROM outbox_events WHERE id IN (SELECT id FROM outbox_events \
             WHERE created_at < ? AND seq < (SELECT MAX(seq) FROM outbox_events) LIMIT {BATCH})"
        ),
    };
    let mut total = 0;
    loop {
        let done = db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql.clone(),
                [cut.into()],
            ))
            .await?
            .rows_affected();
        total += done;
        if done < BATCH {
            return Ok(total);
        }
    }
}

/// Prunes now and then every `min(max(retention, 1 min), 1 h)`, until the task is aborted.
pub async fn run(db: DatabaseConnection, settings: FeedSettings) {
    let every = settings
        .retention
        .clamp(Duration::from_secs(60), Duration::from_secs(3600));
    loop {
        match prune(&db, &settings).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "pruned outbox events past their retention"),
            Err(e) => tracing::warn!(error = %e, "pruning outbox events failed"),
        }
        match crate::webhooks::prune::prune(&db, settings.retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                deleted = n,
                "pruned finished webhook deliveries past the retention"
            ),
            Err(e) => tracing::warn!(error = %e, "pruning webhook deliveries failed"),
        }
        tokio::time::sleep(every).await;
    }
}
