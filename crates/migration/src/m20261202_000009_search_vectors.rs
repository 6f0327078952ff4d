//! PostgreSQL: every searched table keeps its `tsvector` in a stored generated column,
//! `search_vector`, with its own GIN index, instead of a GIN index over the expression.
//!
//! With the expression index, each row a plan looks at outside the index (a recheck of a lossy
//! bitmap, or the filter of a walk down the `created_at` index for a frequent term) parses its
//! text again; the stored column is parsed once, when the row is written, and the planner keeps
//! statistics of its own on it. The column is generated from the same text as before
//! (`Search::pg_text` of each resource). SQLite keeps its FTS5 tables.

use super::m20261202_000007_search::SEARCHED;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The searched tables and the text their vector is made of.
pub(crate) fn searched() -> Vec<(&'static str, &'static str)> {
    let mut all = vec![("companies", "search_text"), ("contacts", "search_text")];
    all.extend(SEARCHED.iter().map(|s| (s.table, s.pg_text)));
    all
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (t, text) in searched() {
            for sql in [
                format!(
                    "ALTER TABLE {t} ADD COLUMN search_vector tsvector \
                     GENERATED ALWAYS AS (to_tsvector('simple', {text})) STORED"
                ),
                format!("DROP INDEX IF EXISTS ix_{t}_search"),
                format!("CREATE INDEX ix_{t}_search ON {t} USING gin (search_vector)"),
            ] {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (t, text) in searched() {
            for sql in [
                format!("DROP INDEX IF EXISTS ix_{t}_search"),
                format!("ALTER TABLE {t} DROP COLUMN search_vector"),
                format!(
                    "CREATE INDEX ix_{t}_search ON {t} USING gin (to_tsvector('simple', {text}))"
                ),
            ] {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }
}
