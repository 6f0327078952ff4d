//! Sessions: one row per sign-in (the family of its refresh tokens, same id). Access tokens carry
//! the session id (`sid`), and authentication checks that the session is live, so logging out,
//! a reused refresh token, a password change or a deactivation ends the session's access tokens
//! at once instead of after their 15 minutes. Existing refresh-token families become sessions.
//! On PostgreSQL a trigger notifies `crm_principals` with the session id when one is revoked or
//! deleted, so every replica drops it from its cache.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    OrgId,
    UserId,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

const BACKFILL: &str = "INSERT INTO sessions (id, org_id, user_id, created_at, revoked_at) \
     SELECT r.family_id, r.org_id, r.user_id, r.created_at, r.revoked_at FROM refresh_tokens r \
     WHERE r.id = (SELECT r2.id FROM refresh_tokens r2 WHERE r2.family_id = r.family_id \
     ORDER BY r2.created_at, r2.id LIMIT 1)";

const PG_UP: &[&str] = &[
    "CREATE TRIGGER sessions_revoked AFTER UPDATE ON sessions FOR EACH ROW \
     WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at) EXECUTE FUNCTION crm_notify_principal()",
    "CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions FOR EACH ROW \
     EXECUTE FUNCTION crm_notify_principal()",
];

const PG_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS sessions_deleted ON sessions",
    "DROP TRIGGER IF EXISTS sessions_revoked ON sessions",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(ColumnDef::new(Sessions::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Sessions::OrgId).uuid().not_null())
                    .col(ColumnDef::new(Sessions::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(Sessions::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Sessions::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_user")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(BACKFILL).await?;
        if db.get_database_backend() == DbBackend::Postgres {
            for sql in PG_UP {
                db.execute_unprepared(sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            for sql in PG_DOWN {
                db.execute_unprepared(sql).await?;
            }
        }
        manager
            .drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await
    }
}
