//! PostgreSQL: a notification on channel `crm_events` (no payload) after every statement that
//! appends to `outbox_events`, delivered when its transaction commits (one per transaction:
//! PostgreSQL folds identical notifications). Every replica listens, so its feed followers
//! (GraphQL subscriptions) and long-polls read at once instead of at their next poll. SQLite
//! serves one process, which wakes its own readers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE FUNCTION crm_notify_events() RETURNS trigger LANGUAGE plpgsql AS \
     $$ BEGIN PERFORM pg_notify('crm_events', ''); RETURN NULL; END $$",
    "CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events \
     FOR EACH STATEMENT EXECUTE FUNCTION crm_notify_events()",
];

const DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS outbox_events_notify ON outbox_events",
    "DROP FUNCTION IF EXISTS crm_notify_events()",
];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Postgres {
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
