//! SQLite: every outbox row gets its feed position `seq`, whoever inserts it. The server's
//! own insert numbers it (`MAX(seq) + 1` under the write lock); a row written by another
//! program (a loader, a bench baseline, a manual repair) without `seq` is numbered by this
//! trigger in the same transaction, so the feed never meets a row it cannot place. PostgreSQL
//! positions rows by `txid`, a column default.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "UPDATE outbox_events SET seq = (SELECT COALESCE(MAX(seq), 0) FROM outbox_events) + rowid \
     WHERE seq IS NULL",
    "CREATE TRIGGER outbox_events_seq AFTER INSERT ON outbox_events \
     FOR EACH ROW WHEN NEW.seq IS NULL BEGIN \
     UPDATE outbox_events SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox_events) \
     WHERE rowid = NEW.rowid; END",
];

const DOWN: &[&str] = &["DROP TRIGGER IF EXISTS outbox_events_seq"];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN).await
    }
}
