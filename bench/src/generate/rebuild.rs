//! PostgreSQL: what the bulk load sets aside and puts back. The secondary indexes of the bulk
//! tables are dropped before the load and built after it (a build sorts once; row-by-row
//! inserts into a dozen indexes are several times slower), and their foreign keys are dropped
//! and added back `NOT VALID`, then validated (one join per key instead of a lookup and a
//! queued trigger event per row). Index builds, validations and `ANALYZE` run on two
//! connections at once, never two conflicting ones on the same table.

use super::pg::{connect, exec};
use super::row::Table;
use super::timing;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use sqlx::Connection;
use sqlx::postgres::PgConnectOptions;
use std::cell::RefCell;
use std::time::Instant;

/// Connections building indexes and validating keys at once (one per core here).
const WORKERS: usize = 2;

/// What the bulk load set aside.
pub(super) struct Deferred {
    /// Definitions of the dropped indexes, with their table.
    indexes: Vec<(String, String)>,
    /// The dropped foreign keys: table, quoted name, definition, whether it was validated.
    keys: Vec<(String, String, String, bool)>,
}

/// The bulk tables as an SQL list of names.
fn bulk_list() -> String {
    Table::BULK
        .iter()
        .map(|t| format!("'{}'", t.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Deferred {
    /// Drops the bulk tables' indexes that back no constraint and their foreign keys; returns
    /// what to put back.
    pub(super) async fn set_aside(db: &DatabaseConnection) -> Result<Deferred, DbErr> {
        let list = bulk_list();
        let query = |sql: String| Statement::from_string(DbBackend::Postgres, sql);
        let mut indexes = Vec::new();
        for row in db
            .query_all_raw(query(format!(
                "SELECT i.indexrelid::regclass::text, t.relname::text, \
                 pg_get_indexdef(i.indexrelid) \
                 FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema() \
                 WHERE t.relname IN ({list}) \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) \
                 ORDER BY 1"
            )))
            .await?
        {
            let name: String = row.try_get_by_index(0)?;
            indexes.push((row.try_get_by_index(1)?, row.try_get_by_index(2)?));
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        let mut keys = Vec::new();
        for row in db
            .query_all_raw(query(format!(
                "SELECT t.relname::text, quote_ident(c.conname::text), \
                 pg_get_constraintdef(c.oid), c.convalidated \
                 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema() \
                 WHERE c.contype = 'f' AND t.relname IN ({list}) ORDER BY 1, 2"
            )))
            .await?
        {
            let (table, name): (String, String) =
                (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
                .await?;
            keys.push((
                table,
                name,
                row.try_get_by_index(2)?,
                row.try_get_by_index(3)?,
            ));
        }
        Ok(Deferred { indexes, keys })
    }
}

/// What a job does, for its lock: index builds on one table can run together; a validation
/// or an `ANALYZE` of a table runs alone on it, and `ANALYZE` after everything else on it (it
/// also gathers the statistics of expression indexes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Index,
    Validate,
    Analyze,
}

/// One statement of the rebuild.
#[derive(Debug, Clone)]
struct Job {
    table: String,
    kind: Kind,
    sql: String,
    /// Rows of the table, to start the longest first.
    size: u64,
}

/// What a connection does next.
enum Next {
    Run(Job),
    /// Every job left conflicts with one running: wait for it to end.
    Wait,
    Done,
}

/// The jobs left and the ones running.
struct Queue {
    left: Vec<Job>,
    running: Vec<(String, Kind)>,
}

impl Queue {
    /// The first job left that conflicts with none running.
    fn next(&mut self) -> Next {
        if self.left.is_empty() {
            return Next::Done;
        }
        let free = |job: &Job, running: &[(String, Kind)], left: &[Job]| {
            let clash = running
                .iter()
                .any(|(t, k)| *t == job.table && !(*k == Kind::Index && job.kind == Kind::Index));
            let waits = job.kind == Kind::Analyze
                && (running.iter().any(|(t, _)| *t == job.table)
                    || left
                        .iter()
                        .any(|j| j.table == job.table && j.kind != Kind::Analyze));
            !clash && !waits
        };
        match self
            .left
            .iter()
            .position(|j| free(j, &self.running, &self.left))
        {
            Some(i) => {
                let job = self.left.remove(i);
                self.running.push((job.table.clone(), job.kind));
                Next::Run(job)
            }
            None => Next::Wait,
        }
    }

    fn done(&mut self, job: &Job) {
        if let Some(i) = self
            .running
            .iter()
            .position(|(t, k)| *t == job.table && *k == job.kind)
        {
            self.running.remove(i);
        }
    }
}

/// One connection taking jobs from `queue` until none is left.
async fn worker(
    options: &PgConnectOptions,
    queue: &RefCell<Queue>,
    started: Instant,
) -> Result<(), DbErr> {
    let err = |e: sqlx::Error| DbErr::Custom(e.to_string());
    let mut conn = connect(options).await?;
    for set in [
        "SET maintenance_work_mem = '1GB'",
        "SET work_mem = '512MB'",
        "SET max_parallel_maintenance_workers = 1",
    ] {
        exec(&mut conn, set).await?;
    }
    loop {
        let next = queue.borrow_mut().next();
        let job = match next {
            Next::Run(job) => job,
            Next::Done => break,
            Next::Wait => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let began = Instant::now();
        let result = exec(&mut conn, &job.sql).await;
        queue.borrow_mut().done(&job);
        result?;
        eprintln!(
            "timing: {:>7.1} s  (at {:>6.1} s)  {}",
            began.elapsed().as_secs_f64(),
            started.elapsed().as_secs_f64(),
            job.sql
        );
    }
    conn.close().await.map_err(err)
}

/// Adds the foreign keys back `NOT VALID`, then builds the indexes, validates the keys and
/// analyzes the tables on [`WORKERS`] connections, then analyzes every other table. `rows`:
/// the rows loaded per table (by [`Table::index`]), the measure of each statement's work.
pub(super) async fn put_back(
    options: &PgConnectOptions,
    d: Deferred,
    rows: &[u64],
) -> Result<(), DbErr> {
    let started = Instant::now();
    let err = |e: sqlx::Error| DbErr::Custom(e.to_string());
    let mut conn = connect(options).await?;
    let size = |t: &str| {
        Table::BULK
            .iter()
            .find(|b| b.name() == t)
            .map_or(0, |b| rows[b.index()])
    };
    let mut jobs = Vec::new();
    for (table, name, def, validated) in d.keys {
        if validated {
            let add = format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def} NOT VALID");
            exec(&mut conn, &add).await?;
            jobs.push(Job {
                sql: format!("ALTER TABLE {table} VALIDATE CONSTRAINT {name}"),
                kind: Kind::Validate,
                size: size(&table),
                table,
            });
        } else {
            exec(
                &mut conn,
                &format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}"),
            )
            .await?;
        }
    }
    timing::phase("foreign keys added back (NOT VALID)", started);
    for (table, def) in d.indexes {
        jobs.push(Job {
            sql: def,
            kind: Kind::Index,
            size: size(&table),
            table,
        });
    }
    for table in Table::BULK {
        jobs.push(Job {
            table: table.name().to_owned(),
            kind: Kind::Analyze,
            sql: format!("ANALYZE {}", table.name()),
            size: 0,
        });
    }
    // The longest first (the timeline index of activity_links, the largest table, takes a
    // third of the work), so that the two connections end together; on one table, indexes
    // before validations, as they let more run beside them.
    jobs.sort_by_key(|j| (std::cmp::Reverse(j.size), j.kind != Kind::Index));
    let queue = RefCell::new(Queue {
        left: jobs,
        running: Vec::new(),
    });
    let work = (0..WORKERS).map(|_| worker(options, &queue, started));
    for r in futures_util::future::join_all(work).await {
        r?;
    }
    timing::phase(
        "indexes built, foreign keys validated, bulk tables analyzed",
        started,
    );

    let began = Instant::now();
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT c.oid::regclass::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() \
         WHERE c.relkind IN ('r', 'p', 'm') AND c.relname <> ALL($1) ORDER BY 1",
    )
    .bind(Table::BULK.iter().map(|t| t.name()).collect::<Vec<_>>())
    .fetch_all(&mut conn)
    .await
    .map_err(err)?;
    if !others.is_empty() {
        exec(&mut conn, &format!("ANALYZE {}", others.join(", "))).await?;
    }
    timing::phase("other tables analyzed", began);
    conn.close().await.map_err(err)?;
    timing::phase("indexes, foreign keys and ANALYZE", started);
    Ok(())
}
