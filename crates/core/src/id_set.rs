//! A set of ids bound as one value, so that a statement has one text whatever the number of ids.
//!
//! `id IN ($1, $2, ...)` is a new statement for every count: each is parsed, planned and cached
//! on its own, per pooled connection. A GraphQL DataLoader batches whatever arrived together, so
//! the counts vary from request to request. On SQLite every cached statement lives in the
//! server's memory (a prepared `IN` list of hundreds of ids is a program of that many
//! instructions): the statement caches of the pool held more than 100 MB after a run of
//! nested GraphQL queries. One value keeps one statement.

use crate::list::bind;
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{DbBackend, Value};
use uuid::Uuid;

/// `column` is one of `ids`: `column = ANY(CAST(? AS uuid[]))` on PostgreSQL, `column IN
/// (SELECT unhex(value) FROM json_each(?))` on SQLite (where uuids are stored as 16-byte blobs).
/// `column` is SQL from the code, never from a user.
pub fn id_in(backend: DbBackend, column: &str, ids: &[Uuid]) -> SimpleExpr {
    bind(
        backend,
        &id_in_sql(backend, column, "?"),
        [id_set_value(backend, ids)],
    )
}

/// The SQL of [`id_in`] with the placeholder `mark` (`$3` or `?`), for hand-written statements.
pub fn id_in_sql(backend: DbBackend, column: &str, mark: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("{column} = ANY(CAST({mark} AS uuid[]))"),
        _ => format!("{column} IN (SELECT unhex(value) FROM json_each({mark}))"),
    }
}

/// The one value [`id_in_sql`]'s placeholder takes: a PostgreSQL array literal, or a JSON array
/// of the ids in hex.
pub fn id_set_value(backend: DbBackend, ids: &[Uuid]) -> Value {
    let mut text = String::with_capacity(2 + ids.len() * 39);
    match backend {
        DbBackend::Postgres => {
            text.push('{');
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&id.hyphenated().to_string());
            }
            text.push('}');
        }
        _ => {
            text.push('[');
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push('"');
                text.push_str(&id.simple().to_string());
                text.push('"');
            }
            text.push(']');
        }
    }
    Value::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Database, Statement};

    #[tokio::test]
    async fn sqlite_finds_blob_ids_through_one_json_value() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = Database::connect(url).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (id BLOB PRIMARY KEY, n INTEGER)")
            .await
            .unwrap();
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        for (n, id) in ids.iter().enumerate() {
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO t VALUES (?, ?)",
                [Value::from(*id), Value::from(n as i64)],
            ))
            .await
            .unwrap();
        }
        let wanted = [ids[1], ids[3], Uuid::now_v7()];
        let sql = format!(
            "SELECT n FROM t WHERE {} ORDER BY n",
            id_in_sql(DbBackend::Sqlite, "id", "?")
        );
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                &sql,
                [id_set_value(DbBackend::Sqlite, &wanted)],
            ))
            .await
            .unwrap();
        let found: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect();
        assert_eq!(found, vec![1, 3]);
        // The primary key answers it, not a scan.
        let plan = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {sql}"),
                [id_set_value(DbBackend::Sqlite, &wanted)],
            ))
            .await
            .unwrap();
        let plan: Vec<String> = plan
            .iter()
            .map(|r| r.try_get_by_index(3).unwrap())
            .collect();
        assert!(
            plan.iter()
                .any(|l| l.contains("PRIMARY KEY") || l.contains("INDEX")),
            "{plan:?}"
        );
        let none = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                &sql,
                [id_set_value(DbBackend::Sqlite, &[])],
            ))
            .await
            .unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn postgres_array_literal() {
        let id = Uuid::nil();
        assert_eq!(
            id_set_value(DbBackend::Postgres, &[id, id]),
            Value::from(format!("{{{id},{id}}}"))
        );
        assert_eq!(
            id_in_sql(DbBackend::Postgres, "c.id", "$2"),
            "c.id = ANY(CAST($2 AS uuid[]))"
        );
    }
}
