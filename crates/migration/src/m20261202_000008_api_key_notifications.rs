//! PostgreSQL: a notification on channel `crm_principals` (payload: the key's id) whenever an
//! API key stops being what a server may have cached: revoked (or un-revoked), its role, scope,
//! secret, prefix, organization or creator changed, or the row deleted, by whatever path (the
//! API, another replica, an operator in psql). Servers keep active keys in memory and drop an
//! entry when told. Writes of `last_used_at` alone notify nothing. SQLite serves one process
//! and reads the key on each request, so it needs no notification.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TRIGGER api_keys_principal_changed AFTER UPDATE ON api_keys FOR EACH ROW \
     WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.role IS DISTINCT FROM NEW.role \
     OR OLD.scope IS DISTINCT FROM NEW.scope OR OLD.secret_hash IS DISTINCT FROM NEW.secret_hash \
     OR OLD.prefix IS DISTINCT FROM NEW.prefix OR OLD.org_id IS DISTINCT FROM NEW.org_id \
     OR OLD.created_by IS DISTINCT FROM NEW.created_by) \
     EXECUTE FUNCTION crm_notify_principal()",
    "CREATE TRIGGER api_keys_principal_deleted AFTER DELETE ON api_keys FOR EACH ROW \
     EXECUTE FUNCTION crm_notify_principal()",
];

const DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS api_keys_principal_deleted ON api_keys",
    "DROP TRIGGER IF EXISTS api_keys_principal_changed ON api_keys",
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
