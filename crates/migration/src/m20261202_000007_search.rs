//! Full-text search (`q`) on activities (and so tasks), deals, products, leads and sales
//! documents.
//!
//! Unlike companies and contacts, these records keep no `search_text` column: the searched
//! text is the row's own columns. PostgreSQL indexes `to_tsvector('simple', <text>)` with GIN,
//! where `<text>` is written exactly as the resource's `Search::pg_text` in its domain crate
//! (the planner's query must match the index expression); SQLite keeps an FTS5 table with
//! external content, filled from the existing rows and kept by triggers.
//!
//! Both engines see the same tokens: PostgreSQL's text has every run of other characters than
//! letters and digits made a space first (its parser would read `SO-77812` as `so` and the
//! number `-77812`), and SQLite keeps diacritics as PostgreSQL's `simple` configuration does.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One searched table: its name, its searched columns, and the PostgreSQL text expression.
pub(crate) struct Searched {
    pub(crate) table: &'static str,
    columns: &'static [&'static str],
    pub(crate) pg_text: &'static str,
}

pub(crate) const SEARCHED: &[Searched] = &[
    Searched {
        table: "activities",
        columns: &["subject", "body", "outcome", "feedback_category"],
        pg_text: "regexp_replace(coalesce(subject, '') || ' ' || coalesce(body, '') || ' ' || \
                  coalesce(outcome, '') || ' ' || coalesce(feedback_category, ''), '[^[:alnum:]]+', ' ', 'g')",
    },
    Searched {
        table: "deals",
        columns: &["name", "close_reason"],
        pg_text: "regexp_replace(name || ' ' || coalesce(close_reason, ''), '[^[:alnum:]]+', ' ', 'g')",
    },
    Searched {
        table: "products",
        columns: &["sku", "name", "description"],
        pg_text: "regexp_replace(sku || ' ' || name || ' ' || coalesce(description, ''), '[^[:alnum:]]+', ' ', 'g')",
    },
    Searched {
        table: "leads",
        columns: &["first_name", "last_name", "email", "company_name"],
        pg_text: "regexp_replace(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || \
                  coalesce(email, '') || ' ' || coalesce(company_name, ''), '[^[:alnum:]]+', ' ', 'g')",
    },
    Searched {
        table: "sales_documents",
        columns: &["number", "external_id", "notes"],
        pg_text: "regexp_replace(coalesce(CAST(number AS text), '') || ' ' || coalesce(external_id, '') || ' ' || \
                  coalesce(notes, ''), '[^[:alnum:]]+', ' ', 'g')",
    },
];

fn sqlite_up(s: &Searched) -> Vec<String> {
    let t = s.table;
    let cols = s.columns.join(", ");
    let new: Vec<String> = s.columns.iter().map(|c| format!("new.{c}")).collect();
    let old: Vec<String> = s.columns.iter().map(|c| format!("old.{c}")).collect();
    let (new, old) = (new.join(", "), old.join(", "));
    vec![
        format!(
            "CREATE VIRTUAL TABLE {t}_fts USING fts5({cols}, content='{t}', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0')"
        ),
        format!(
            "CREATE TRIGGER {t}_fts_ai AFTER INSERT ON {t} BEGIN INSERT INTO {t}_fts(rowid, {cols}) VALUES (new.rowid, {new}); END"
        ),
        format!(
            "CREATE TRIGGER {t}_fts_ad AFTER DELETE ON {t} BEGIN INSERT INTO {t}_fts({t}_fts, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END"
        ),
        format!(
            "CREATE TRIGGER {t}_fts_au AFTER UPDATE OF {cols} ON {t} BEGIN INSERT INTO {t}_fts({t}_fts, rowid, {cols}) VALUES ('delete', old.rowid, {old}); INSERT INTO {t}_fts(rowid, {cols}) VALUES (new.rowid, {new}); END"
        ),
        format!("INSERT INTO {t}_fts({t}_fts) VALUES ('rebuild')"),
    ]
}

fn sqlite_down(s: &Searched) -> Vec<String> {
    let t = s.table;
    vec![
        format!("DROP TRIGGER IF EXISTS {t}_fts_au"),
        format!("DROP TRIGGER IF EXISTS {t}_fts_ad"),
        format!("DROP TRIGGER IF EXISTS {t}_fts_ai"),
        format!("DROP TABLE IF EXISTS {t}_fts"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for s in SEARCHED {
            let statements = match db.get_database_backend() {
                DbBackend::Postgres => vec![format!(
                    "CREATE INDEX ix_{t}_search ON {t} USING gin (to_tsvector('simple', {e}))",
                    t = s.table,
                    e = s.pg_text
                )],
                _ => sqlite_up(s),
            };
            for sql in statements {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for s in SEARCHED {
            let statements = match db.get_database_backend() {
                DbBackend::Postgres => vec![format!("DROP INDEX IF EXISTS ix_{}_search", s.table)],
                _ => sqlite_down(s),
            };
            for sql in statements {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }
}
