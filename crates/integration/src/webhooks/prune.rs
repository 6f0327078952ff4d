//! Retention of the delivery log: finished deliveries (succeeded or failed) older than the
//! change feed's retention are deleted with their attempts, in batches, by the task that
//! prunes the outbox. Pending deliveries are kept whatever their age: nothing unsent is lost.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use std::time::Duration;

/// Deliveries deleted per statement.
const BATCH: u64 = 2000;

/// Deletes finished deliveries created before `retention` ago, and their attempts; returns
/// how many deliveries.
pub async fn prune(db: &DatabaseConnection, retention: Duration) -> Result<u64, DbErr> {
    let cut = Utc::now()
        - chrono::Duration::from_std(retention).unwrap_or_else(|_| chrono::Duration::days(365_000));
    let backend = db.get_database_backend();
    let mark = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let old = format!(
        "SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND created_at < {mark} \
         LIMIT {BATCH}"
    );
    let mut total = 0;
    loop {
        let tx = crm_core::db::begin_write(db).await?;
        tx.execute_raw(Statement::from_sql_and_values(
            backend,
            format!("DELETE FROM webhook_attempts WHERE delivery_id IN ({old})"),
            [cut.into()],
        ))
        .await?;
        let done = tx
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!("DELETE FROM webhook_deliveries WHERE id IN ({old})"),
                [cut.into()],
            ))
            .await?
            .rows_affected();
        tx.commit().await?;
        total += done;
        if done < BATCH {
            return Ok(total);
        }
    }
}
