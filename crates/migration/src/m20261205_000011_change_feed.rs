//! The change feed's order on `outbox_events` (see "The change feed" in docs/architecture.md).
//!
//! PostgreSQL: `txid xid8 DEFAULT pg_current_xact_id()`, the id of the writing transaction. The
//! feed returns only rows whose `txid` is below `pg_snapshot_xmin(pg_current_snapshot())`, i.e.
//! from transactions that have all ended, in `(txid, id)` order: no row can ever appear below
//! that horizon later, so a reader resuming after `(txid, id)` misses nothing. Rows already
//! there take the migration's own transaction id.
//!
//! SQLite: `seq`, assigned `MAX(seq) + 1` by the inserting statement. Writers hold the write
//! lock from their first write to their commit, so `seq` order is commit order. Existing rows
//! are numbered by rowid.
//!
//! `ix_outbox_feed (org_id, txid|seq, id)` serves the feed; `ix_outbox_created (created_at)`
//! the pruning; on SQLite `ix_outbox_seq (seq)` the `MAX(seq)` of every insert.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE outbox_events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id()",
    "CREATE INDEX ix_outbox_feed ON outbox_events (org_id, txid, id)",
    "CREATE INDEX ix_outbox_created ON outbox_events (created_at)",
];

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE outbox_events ADD COLUMN seq INTEGER",
    "UPDATE outbox_events SET seq = rowid",
    "CREATE UNIQUE INDEX ix_outbox_seq ON outbox_events (seq)",
    "CREATE INDEX ix_outbox_feed ON outbox_events (org_id, seq)",
    "CREATE INDEX ix_outbox_created ON outbox_events (created_at)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX ix_outbox_created",
    "DROP INDEX ix_outbox_feed",
    "ALTER TABLE outbox_events DROP COLUMN txid",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP INDEX ix_outbox_created",
    "DROP INDEX ix_outbox_feed",
    "DROP INDEX ix_outbox_seq",
    "ALTER TABLE outbox_events DROP COLUMN seq",
];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, POSTGRES_UP).await,
            _ => run(manager, SQLITE_UP).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, POSTGRES_DOWN).await,
            _ => run(manager, SQLITE_DOWN).await,
        }
    }
}
