//! PostgreSQL: a notification on channel `crm_principals` whenever a user's organization, role
//! or active flag changes, or the user is deleted, by whatever path (the API, another replica,
//! a manual `UPDATE`). Servers cache authenticated users and drop an entry when told. SQLite
//! serves one process and needs no notification.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE FUNCTION crm_notify_principal() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN PERFORM pg_notify('crm_principals', OLD.id::text); RETURN NULL; END $$",
    "CREATE TRIGGER users_principal_changed AFTER UPDATE ON users FOR EACH ROW \
     WHEN (OLD.active IS DISTINCT FROM NEW.active OR OLD.role IS DISTINCT FROM NEW.role \
     OR OLD.org_id IS DISTINCT FROM NEW.org_id) EXECUTE FUNCTION crm_notify_principal()",
    "CREATE TRIGGER users_principal_deleted AFTER DELETE ON users FOR EACH ROW \
     EXECUTE FUNCTION crm_notify_principal()",
];

const DOWN: &[&str] = &[
    "DROP TRIGGER users_principal_deleted ON users",
    "DROP TRIGGER users_principal_changed ON users",
    "DROP FUNCTION crm_notify_principal()",
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
