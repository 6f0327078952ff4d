//! Database connection and transactions, the same code on SQLite and PostgreSQL.
//!
//! SQLite runs with WAL, a busy timeout, foreign keys on and `synchronous=NORMAL`, and every write
//! transaction begins `IMMEDIATE`: a deferred read-then-write transaction fails with "database is
//! locked" under concurrency, which `busy_timeout` cannot save.

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::time::Duration;

/// Prepared statements each SQLite connection keeps.
const SQLITE_STATEMENTS_PER_CONNECTION: usize = 40;
/// Each SQLite connection's page cache, in SQLite's notation (negative: KiB).
const SQLITE_CACHE_KIB: &str = "-1024";

/// Settings of the connection pool.
#[derive(Debug, Clone)]
pub struct DbSettings {
    /// `sqlite://path?mode=rwc` or `postgres://...`.
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// How long a SQLite writer waits for the lock before failing.
    pub busy_timeout: Duration,
    /// Log every SQL statement at debug level.
    pub log_statements: bool,
}

impl DbSettings {
    /// Settings for `url` with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            busy_timeout: Duration::from_secs(10),
            log_statements: false,
        }
    }
}

/// Opens the pool, with the engine-specific settings applied to every connection.
pub async fn connect(settings: &DbSettings) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(settings.url.clone());
    let busy = settings.busy_timeout;
    opts.max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        // sqlx pings every connection it hands out by default: one more round trip (PostgreSQL)
        // or worker-thread hop (SQLite) per statement, as many as the statements themselves on
        // a primary-key read. Only a connection idle long enough to have been dropped by the
        // server, a proxy or a firewall is checked; a broken one still fails its statement.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(settings.log_statements)
        // Each pooled SQLite connection keeps its own page cache and prepared statements in
        // the server's memory (PostgreSQL keeps them in its backends): 1 MB of pages and 40
        // statements each, rather than SQLite's 2 MB and sqlx's 100, keep 16 connections
        // within the memory target after a benchmark's worth of distinct statements. The pages
        // stay in the operating system's cache, so a miss costs a copy, not a disk read.
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(busy)
                .foreign_keys(true)
                .create_if_missing(true)
                .statement_cache_capacity(SQLITE_STATEMENTS_PER_CONNECTION)
                .pragma("cache_size", SQLITE_CACHE_KIB)
        });
    Database::connect(opts).await
}

/// The `n`-th (from 1) numbered placeholder of a raw statement on `backend`: `$n` on
/// PostgreSQL, `?n` on SQLite (which numbers them too, so a value can be named twice).
pub fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
}

/// Values of a raw statement and their numbered placeholders: [`Params::push`] keeps a value
/// and answers the placeholder that names it.
pub struct Params {
    backend: DbBackend,
    /// The values, in placeholder order.
    pub values: Vec<sea_orm::Value>,
}

impl Params {
    /// No values yet, for a statement on `backend`.
    pub fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    /// Keeps `value` and answers its placeholder.
    pub fn push(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        placeholder(self.backend, self.values.len())
    }
}

/// Runs the raw statement `sql` with `values` (numbered placeholders, see [`placeholder`]) and
/// hands each row to `each` as it is read: a stream, so a statement of a million rows never
/// holds them all. Stops at the first error, of the database or of `each`.
pub async fn for_each_row<C, E>(
    db: &C,
    sql: String,
    values: impl IntoIterator<Item = sea_orm::Value>,
    mut each: impl FnMut(sea_orm::QueryResult) -> Result<(), E>,
) -> Result<(), E>
where
    C: sea_orm::StreamTrait,
    E: From<DbErr>,
{
    use futures_util::StreamExt;
    let stmt = sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    let rows = db.stream_raw(stmt).await?;
    let mut rows = std::pin::pin!(rows);
    while let Some(row) = rows.next().await {
        each(row?)?;
    }
    Ok(())
}

/// Begins a transaction that will write: `BEGIN IMMEDIATE` on SQLite, a plain `BEGIN` elsewhere.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options = TransactionOptions {
        sqlite_transaction_mode: match db.get_database_backend() {
            DbBackend::Sqlite => Some(SqliteTransactionMode::Immediate),
            _ => None,
        },
        ..Default::default()
    };
    db.begin_with_options(options).await
}

/// Serialises, until the end of the transaction `tx`, every writer that takes the same `key`
/// (for example an upsert by external id: of two concurrent upserts the second then finds the
/// record the first created, instead of failing on the unique index). PostgreSQL takes a
/// transaction-scoped advisory lock on a hash of the key; SQLite needs nothing, since its
/// write transactions begin IMMEDIATE and so run one at a time.
pub async fn lock_key(tx: &impl sea_orm::ConnectionTrait, key: &str) -> Result<(), DbErr> {
    if tx.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    tx.execute_raw(sea_orm::Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Locks row `id` of `table` until the end of the transaction `tx`, before a read-modify-write
/// of it: concurrent writers of one record then take turns, so that an unconditional update
/// (no `If-Match`) never fails because another one committed in between, and a conditional one
/// sees the version it must compare with. PostgreSQL: `SELECT ... FOR UPDATE`; SQLite needs
/// nothing (IMMEDIATE write transactions run one at a time). `table` is a name from the code.
pub async fn lock_row(
    tx: &impl sea_orm::ConnectionTrait,
    table: &'static str,
    id: uuid::Uuid,
) -> Result<(), DbErr> {
    if tx.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    tx.execute_raw(sea_orm::Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE"),
        [id.into()],
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Statement};

    #[tokio::test]
    async fn sqlite_runs_in_wal_with_foreign_keys() -> Result<(), DbErr> {
        let dir = tempfile::tempdir().map_err(|e| DbErr::Custom(e.to_string()))?;
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = connect(&DbSettings::new(url)).await?;
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA journal_mode",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("no row".into()))?;
        assert_eq!(row.try_get_by_index::<String>(0)?, "wal");
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA foreign_keys",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("no row".into()))?;
        assert_eq!(row.try_get_by_index::<i32>(0)?, 1);
        let tx = begin_write(&db).await?;
        tx.execute_unprepared("CREATE TABLE t (x INTEGER)").await?;
        sea_orm::TransactionSession::commit(tx).await?;
        Ok(())
    }
}
