//! PostgreSQL: the search indexes keep a small pending list (`gin_pending_list_limit = 64`,
//! in kB, the least PostgreSQL allows; 4 MB by default).
//!
//! A GIN index with `fastupdate` (the default) puts new entries in a pending list that every
//! search reads in full, until a vacuum or the list's limit moves them into the index. On a
//! million contacts, the 832 kB that 4,000 new contacts left there made a search by phone
//! number 2.5 times slower (3,473 → 1,359 req/s, the same statements through pgbench 6,655 →
//! 1,626), and the default limit lets the list grow five times larger before anything flushes
//! it. With 64 kB, the write that fills the list moves it into the index (a few milliseconds
//! once in a while), and a search reads eight pages of it at most: after the same writes, 4
//! pages, and the search ran at 3,042 req/s. Chosen over `fastupdate = off`, which makes every
//! insert update the index at once, and costs more to bulk imports.

use super::m20261202_000009_search_vectors::searched;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (t, _) in searched() {
            db.execute_unprepared(&format!(
                "ALTER INDEX ix_{t}_search SET (gin_pending_list_limit = 64)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (t, _) in searched() {
            db.execute_unprepared(&format!(
                "ALTER INDEX ix_{t}_search RESET (gin_pending_list_limit)"
            ))
            .await?;
        }
        Ok(())
    }
}
