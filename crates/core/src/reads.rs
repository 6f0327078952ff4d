//! Reads on PostgreSQL connections held out of sqlx's pool.
//!
//! sqlx checks every connection it takes back into its pool with a round trip (a `Sync`
//! message and its `ReadyForQuery`), whether or not anything could have gone wrong: each
//! statement run through the pool costs the database two wake-ups instead of one. A primary-key
//! read is then half statement, half check (measured with `strace` during the S1 benchmark:
//! one `Sync` sent per request beside the query and the HTTP answer; see `BENCHMARKS.md`).
//!
//! [`Reads`] runs the hot read paths (single records, list pages, the timeline, the GraphQL
//! data loaders' batches) on connections
//! it keeps itself, detached from the pool, and puts each one back after a statement that
//! finished or that the database refused and carried on. A statement interrupted half way (its
//! future dropped) has its connection checked in the background, still counted against the
//! limit, as sqlx checks its own; a connection the server is closing (a fatal error, a
//! shutdown) or that fails on the wire is closed. A connection idle for [`CHECK_IDLE_AFTER`] is
//! checked before use, and none lives longer than the pool's `max_lifetime`. Everything else
//! (writes, transactions, SQLite) goes through the pool as before.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement,
};
use sea_query_sqlx::SqlxValues;
use sqlx::Connection;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A held connection idle this long is checked with a round trip before it serves a read
/// (a server, proxy or firewall may have dropped it meanwhile).
pub const CHECK_IDLE_AFTER: Duration = Duration::from_secs(30);

/// How long that check may take before the connection is given up.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Called once per statement run on a held connection (the server's statement counter).
pub type OnStatement = Arc<dyn Fn() + Send + Sync>;

/// Where reads run: the pool, or (PostgreSQL) connections held out of it. A cheap handle.
#[derive(Clone)]
pub struct Reads {
    db: DatabaseConnection,
    held: Option<Arc<Held>>,
}

impl std::fmt::Debug for Reads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reads")
            .field(
                "held",
                &self.held.as_ref().map(|h| h.permits.available_permits()),
            )
            .finish()
    }
}

struct Held {
    pool: sqlx::PgPool,
    /// Idle connections, each with the time it was put back.
    idle: Mutex<Vec<(Conn, Instant)>>,
    permits: Arc<tokio::sync::Semaphore>,
    /// The most connections held at once.
    max: u32,
    /// Connections open now (idle, serving a statement or being checked): one per [`Conn`].
    open: Arc<AtomicU32>,
    acquire_timeout: Duration,
    /// The pool's own connection lifetime, which held connections keep too.
    max_lifetime: Option<Duration>,
    on_statement: Option<OnStatement>,
}

impl Reads {
    /// Reads through the pool of `db`, as every other statement.
    pub fn pool(db: DatabaseConnection) -> Self {
        Self { db, held: None }
    }

    /// Reads on up to `connections` connections held beside `db`'s pool on PostgreSQL (taken
    /// from it once and detached, so the pool may open as many again); through the pool on
    /// SQLite or with `connections` 0. `on_statement` counts the
    /// statements run on them.
    pub fn hold(
        db: DatabaseConnection,
        connections: u32,
        on_statement: Option<OnStatement>,
    ) -> Self {
        if db.get_database_backend() != DbBackend::Postgres || connections == 0 {
            return Self::pool(db);
        }
        let pool = db.get_postgres_connection_pool().clone();
        let acquire_timeout = pool.options().get_acquire_timeout();
        let max_lifetime = pool.options().get_max_lifetime();
        let held = Held {
            pool,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(tokio::sync::Semaphore::new(connections as usize)),
            max: connections,
            open: Arc::new(AtomicU32::new(0)),
            acquire_timeout,
            max_lifetime,
            on_statement,
        };
        Self {
            db,
            held: Some(Arc::new(held)),
        }
    }
}

/// The held connections now, for the server's gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldStats {
    /// Connections open (idle, serving a statement, or being checked).
    pub open: u32,
    /// Connections idle, ready for the next statement.
    pub idle: u32,
    /// The most connections held at once (`CRM_DB_READ_CONNECTIONS`).
    pub max: u32,
}

impl Reads {
    /// The held connections now; `None` when reads go through the pool.
    pub fn held_stats(&self) -> Option<HeldStats> {
        let held = self.held.as_ref()?;
        // Both read under the idle list's lock, so a scrape never shows more idle than open.
        let (open, idle) = held
            .idle
            .lock()
            .map(|idle| (held.open.load(Ordering::Relaxed), idle.len()))
            .unwrap_or((held.open.load(Ordering::Relaxed), 0));
        Some(HeldStats {
            open,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max: held.max,
        })
    }
}

/// A held connection and when it was opened; counted in [`Held::open`] while it lives.
struct Conn {
    conn: sqlx::PgConnection,
    opened: Instant,
    open: Arc<AtomicU32>,
}

impl Conn {
    /// `conn`, counted as open.
    fn new(conn: sqlx::PgConnection, open: &Arc<AtomicU32>) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        Self {
            conn,
            opened: Instant::now(),
            open: open.clone(),
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A held connection lent to one statement, with its permit: back to the idle list when the
/// statement finished ([`Lease::keep`]); otherwise checked first, in the background, while it
/// still counts against the permits (a statement interrupted half way may have left its
/// answer on the wire; the check reads it away, as sqlx does with its own connections), and
/// closed if that fails.
struct Lease {
    held: Arc<Held>,
    conn: Option<Conn>,
    keep: bool,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.keep {
            self.held.put_back(conn);
            return;
        }
        let (held, permit) = (self.held.clone(), self.permit.take());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut conn = conn;
                if let Ok(Ok(())) = tokio::time::timeout(CHECK_TIMEOUT, conn.conn.ping()).await {
                    held.put_back(conn);
                }
                drop(permit);
            });
        }
    }
}

fn query_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

fn conn_err(e: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))
}

/// Whether an error leaves the connection fit for the next statement: the database answered
/// and carries on (a constraint, a cast, a cancelled statement; the next statement first
/// reads the `ReadyForQuery` still owed). Not when it is ending the session (a fatal error, a
/// shutdown, an administrator's termination, a protocol violation): it closes the socket next.
fn connection_still_good(e: &sqlx::Error) -> bool {
    use sqlx::postgres::{PgDatabaseError, PgSeverity};
    let sqlx::Error::Database(e) = e else {
        return false;
    };
    e.try_downcast_ref::<PgDatabaseError>().is_some_and(|e| {
        !matches!(e.severity(), PgSeverity::Fatal | PgSeverity::Panic)
            && !e.code().starts_with("08")
            && !e.code().starts_with("57P")
    })
}

impl Held {
    /// Returns a connection to the idle list, unless it has lived as long as the pool lets
    /// its own connections live (then it is closed, and a fresh one taken when needed).
    fn put_back(&self, conn: Conn) {
        if self
            .max_lifetime
            .is_some_and(|max| conn.opened.elapsed() >= max)
        {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.push((conn, Instant::now()));
        }
    }

    /// A connection for one statement: an idle one (checked if it idled long), or one taken
    /// out of the pool.
    async fn lease(self: &Arc<Self>) -> Result<Lease, DbErr> {
        let permit =
            tokio::time::timeout(self.acquire_timeout, self.permits.clone().acquire_owned())
                .await
                .map_err(|_| conn_err(sqlx::Error::PoolTimedOut))?
                .map_err(|_| conn_err(sqlx::Error::PoolClosed))?;
        let lease = |conn| Lease {
            held: self.clone(),
            conn: Some(conn),
            keep: false,
            permit: Some(permit),
        };
        loop {
            let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some((mut conn, since)) = idle else {
                let conn = self.pool.acquire().await.map_err(conn_err)?.detach();
                return Ok(lease(Conn::new(conn, &self.open)));
            };
            if since.elapsed() >= CHECK_IDLE_AFTER
                && !matches!(
                    tokio::time::timeout(CHECK_TIMEOUT, conn.conn.ping()).await,
                    Ok(Ok(()))
                )
            {
                // Broken (or unanswered) while idle: closed, and the next one tried.
                continue;
            }
            return Ok(lease(conn));
        }
    }

    /// The rows of `stmt` (the first one only, with `one`).
    async fn query(
        self: &Arc<Self>,
        stmt: Statement,
        one: bool,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let mut lease = self.lease().await?;
        let Some(conn) = lease.conn.as_mut() else {
            return Err(conn_err(sqlx::Error::PoolClosed));
        };
        let conn = &mut conn.conn;
        let values = SqlxValues(stmt.values.unwrap_or(sea_orm::Values(Vec::new())));
        let query = sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql), values);
        let rows = if one {
            query
                .fetch_optional(&mut *conn)
                .await
                .map(|row| row.into_iter().collect())
        } else {
            query.fetch_all(&mut *conn).await
        };
        // Counted once run, as SeaORM counts the pool's statements.
        if let Some(count) = &self.on_statement {
            count();
        }
        match rows {
            Ok(rows) => {
                lease.keep = true;
                Ok(rows.into_iter().map(QueryResult::from).collect())
            }
            Err(e) => {
                lease.keep = connection_still_good(&e);
                Err(query_err(e))
            }
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reads {
    fn get_database_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.db.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.db.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match &self.held {
            Some(held) => Ok(held.query(stmt, true).await?.into_iter().next()),
            None => self.db.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.held {
            Some(held) => held.query(stmt, false).await,
            None => self.db.query_all_raw(stmt).await,
        }
    }

    fn support_returning(&self) -> bool {
        self.db.support_returning()
    }
}
