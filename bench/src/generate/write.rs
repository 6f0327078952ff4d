//! Writing the generated rows: multi-row inserts (SQLite), `COPY` (PostgreSQL), and the secondary
//! indexes dropped before a load and made again after it; and reading back a data set already
//! generated.

use super::{Dataset, LAST, PASSWORD};
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait, Value,
};
use sqlx::postgres::PgPoolCopyExt;
use std::time::Instant;
use uuid::Uuid;

pub(super) async fn insert(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), DbErr> {
    let started = Instant::now();
    let n = rows.len();
    let result = insert_rows(db, table, columns, rows).await;
    super::timing::note(table, n, started);
    result
}

async fn insert_rows(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        return copy_in(db, table, columns, &rows).await;
    }
    let per_statement = (30_000 / columns.len()).max(1);
    for chunk in rows.chunks(per_statement) {
        let mut q = Query::insert();
        q.into_table(Alias::new(table))
            .columns(columns.iter().map(|c| Alias::new(*c)));
        for row in chunk {
            q.values(row.iter().cloned().map(SimpleExpr::from))
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute(&q).await?;
    }
    Ok(())
}

/// PostgreSQL: the rows as one `COPY ... FROM STDIN` in text format, sent in chunks of about
/// 1 MB.
pub(super) async fn copy_in(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
) -> Result<(), DbErr> {
    let err = |e: sqlx::Error| DbErr::Custom(format!("COPY {table}: {e}"));
    let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
    let mut copy = db
        .get_postgres_connection_pool()
        .copy_in_raw(&statement)
        .await
        .map_err(err)?;
    let mut buf = String::with_capacity(1 << 21);
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                buf.push('\t');
            }
            copy_text(&mut buf, v);
        }
        buf.push('\n');
        if buf.len() >= 1 << 20 {
            copy.send(std::mem::take(&mut buf).into_bytes())
                .await
                .map_err(err)?;
        }
    }
    if !buf.is_empty() {
        copy.send(buf.into_bytes()).await.map_err(err)?;
    }
    copy.finish().await.map_err(err)?;
    Ok(())
}

/// One value in COPY's text format: `\N` for NULL, backslash escapes for the separators.
pub(super) fn copy_text(buf: &mut String, v: &Value) {
    use std::fmt::Write as _;
    let escaped = |buf: &mut String, s: &str| {
        for ch in s.chars() {
            match ch {
                '\\' => buf.push_str("\\\\"),
                '\t' => buf.push_str("\\t"),
                '\n' => buf.push_str("\\n"),
                '\r' => buf.push_str("\\r"),
                c => buf.push(c),
            }
        }
    };
    let _ = match v {
        Value::Bool(Some(b)) => write!(buf, "{}", if *b { 't' } else { 'f' }),
        Value::Int(Some(n)) => write!(buf, "{n}"),
        Value::BigInt(Some(n)) => write!(buf, "{n}"),
        Value::Double(Some(n)) => write!(buf, "{n}"),
        Value::String(Some(s)) => {
            escaped(buf, s);
            Ok(())
        }
        Value::Uuid(Some(u)) => write!(buf, "{}", u.hyphenated()),
        Value::ChronoDateTimeUtc(Some(t)) => {
            write!(buf, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"))
        }
        Value::Json(Some(j)) => {
            escaped(buf, &j.to_string());
            Ok(())
        }
        _ => write!(buf, "\\N"),
    };
}

/// The data set already in `db` (generated earlier), or `None` when there is none.
pub async fn existing(db: &DatabaseConnection) -> Result<Option<Dataset>, DbErr> {
    let backend = db.get_database_backend();
    let mark = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let query =
        |sql: String, values: Vec<Value>| Statement::from_sql_and_values(backend, sql, values);
    let mut orgs = Vec::new();
    for name in ["Bench org 0", "Bench org 1"] {
        let Some(org) = db
            .query_one_raw(query(
                format!("SELECT id FROM organizations WHERE name = '{name}'"),
                vec![],
            ))
            .await?
        else {
            return Ok(None);
        };
        let org_id: Uuid = org.try_get_by_index(0)?;
        let contact_ids = db
            .query_all_raw(query(
                format!(
                    "SELECT id FROM contacts WHERE org_id = {mark} AND deleted_at IS NULL \
                     ORDER BY random() LIMIT 10000"
                ),
                vec![org_id.into()],
            ))
            .await?
            .iter()
            .map(|r| r.try_get_by_index(0))
            .collect::<Result<Vec<Uuid>, _>>()?;
        orgs.push((org_id, contact_ids));
    }
    let (writer_org_id, writer_contact_ids) = orgs.pop().unwrap_or_default();
    let (org_id, contact_ids) = orgs.pop().unwrap_or_default();
    let heavy = db
        .query_one_raw(query(
            format!(
                "SELECT record_id FROM activity_links WHERE org_id = {mark} \
                 AND record_type = 'contact' GROUP BY record_id ORDER BY count(*) DESC LIMIT 1"
            ),
            vec![org_id.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the data set has no activities".into()))?;
    Ok(Some(Dataset {
        org_id,
        admin_email: "admin@org0.bench".to_owned(),
        password: PASSWORD.to_owned(),
        contact_ids,
        heavy_contact: heavy.try_get_by_index(0)?,
        search_terms: LAST.iter().map(|s| s.to_lowercase()).collect(),
        writer_org_id,
        writer_email: "admin@org1.bench".to_owned(),
        writer_contact_ids,
    }))
}

/// The tables the generator fills.
pub(super) const TABLES: &[&str] = &[
    "companies",
    "contacts",
    "activities",
    "activity_links",
    "deals",
    "sales_documents",
    "document_lines",
];

/// PostgreSQL: drops the indexes of the generated tables that back no constraint (a bulk load
/// is several times faster without them) and returns their definitions. SQLite: nothing.
pub(super) async fn drop_secondary_indexes(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(Vec::new());
    }
    let list = TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) \
                 FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema() \
                 WHERE t.relname IN ({list}) \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
            ),
        ))
        .await?;
    let mut defs = Vec::new();
    for row in rows {
        let name: String = row.try_get_by_index(0)?;
        defs.push(row.try_get_by_index(1)?);
        db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
    }
    Ok(defs)
}

/// Creates the indexes [`drop_secondary_indexes`] dropped, then refreshes the planner's
/// statistics.
pub(super) async fn recreate_indexes(
    db: &DatabaseConnection,
    defs: Vec<String>,
) -> Result<(), DbErr> {
    if !defs.is_empty() {
        let tx = db.begin().await?;
        tx.execute_unprepared("SET LOCAL maintenance_work_mem = '512MB'")
            .await?;
        for def in defs {
            let started = Instant::now();
            tx.execute_unprepared(&def).await?;
            super::timing::phase(&def, started);
        }
        tx.commit().await?;
    }
    let started = Instant::now();
    db.execute_unprepared("ANALYZE").await?;
    super::timing::phase("ANALYZE", started);
    Ok(())
}

pub(super) fn j(v: serde_json::Value) -> Value {
    Value::Json(Some(Box::new(v)))
}
