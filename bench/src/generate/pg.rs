//! PostgreSQL: the rows made on a thread of their own straight into binary `COPY` data,
//! streamed to one `COPY ... FROM STDIN` per bulk table, all open at once on connections of
//! their own, so the generator and the server's ingest of several tables run on every core
//! together.
//!
//! The bulk tables' secondary indexes and foreign keys are set aside for the load (a foreign
//! key is checked row by row, and queues an event per row until the statement ends) and put
//! back after it ([`super::rebuild`]). The small tables (organizations, users, products,
//! pipelines and their stages) are held until the generator is done and then copied in the
//! order their own foreign keys need.

use super::copy;
use super::make::{Made, make};
use super::rebuild::{self, Deferred};
use super::row::{Closed, F, Sink, Table};
use super::{Scale, timing};
use sea_orm::{DatabaseConnection, DbErr};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection, Executor};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Size of one chunk of `COPY` data.
const CHUNK: usize = 1 << 20;

/// Most bytes made and not yet sent at any time: the generator runs this far ahead of the
/// slowest table (a table loading slowly, such as contacts with their search vectors, does not
/// stop the next tables' loads from starting).
const AHEAD: usize = 768 << 20;

/// Bytes made and not yet sent, shared by the generator (which waits while there are too many)
/// and the senders.
#[derive(Default)]
struct Budget {
    bytes: Mutex<usize>,
    freed: Condvar,
}

impl Budget {
    fn take(&self, n: usize) {
        if let Ok(mut b) = self.bytes.lock() {
            *b += n;
        }
    }

    fn give(&self, n: usize) {
        if let Ok(mut b) = self.bytes.lock() {
            *b = b.saturating_sub(n);
        }
        self.freed.notify_all();
    }

    fn wait(&self) {
        if let Ok(b) = self.bytes.lock() {
            drop(self.freed.wait_while(b, |b| *b > AHEAD));
        }
    }
}

/// A chunk of rows on its way; its bytes count against the [`Budget`] until it is dropped
/// (sent, or left in the channel of a table whose `COPY` failed).
struct Chunk {
    data: Vec<u8>,
    budget: Arc<Budget>,
}

impl Drop for Chunk {
    fn drop(&mut self) {
        self.budget.give(self.data.len());
    }
}

/// What flows to a table's sender: a chunk of rows, or the end of the table's rows (without
/// it, a closed channel means the generator stopped and the `COPY` is abandoned).
enum Piece {
    Rows(Chunk),
    End,
}

/// What the generator leaves besides the rows it streamed, per table (by [`Table::index`]).
struct Leftover {
    /// The small tables' `COPY` data (only the bulk tables' trailer for those).
    small: Vec<Vec<u8>>,
    rows: Vec<u64>,
    /// Time the generator spent waiting for the senders.
    waited: Vec<Duration>,
}

/// The generator's side: a buffer per table, and a channel per bulk table.
struct PgSink {
    bufs: Vec<Vec<u8>>,
    rows: Vec<u64>,
    senders: Vec<Option<mpsc::UnboundedSender<Piece>>>,
    budget: Arc<Budget>,
    /// Time spent waiting for the senders, per table.
    waited: Vec<Duration>,
}

impl PgSink {
    fn send(&mut self, table: Table) -> Result<(), Closed> {
        let i = table.index();
        let Some(tx) = &self.senders[i] else {
            return Ok(());
        };
        let chunk = std::mem::replace(&mut self.bufs[i], Vec::with_capacity(CHUNK + 4096));
        if chunk.is_empty() {
            return Ok(());
        }
        let waiting = Instant::now();
        self.budget.wait();
        self.waited[i] += waiting.elapsed();
        self.budget.take(chunk.len());
        let chunk = Chunk {
            data: chunk,
            budget: self.budget.clone(),
        };
        tx.send(Piece::Rows(chunk)).map_err(|_| Closed)
    }

    /// Sends what is left and the end of every bulk table.
    fn finish(mut self) -> Result<Leftover, Closed> {
        for buf in &mut self.bufs {
            buf.extend_from_slice(copy::TRAILER);
        }
        for table in Table::BULK {
            self.send(table)?;
            if let Some(tx) = &self.senders[table.index()] {
                tx.send(Piece::End).map_err(|_| Closed)?;
            }
        }
        Ok(Leftover {
            small: self.bufs,
            rows: self.rows,
            waited: self.waited,
        })
    }
}

impl Sink for PgSink {
    fn row(&mut self, table: Table, fields: &[F<'_>]) -> Result<(), Closed> {
        let i = table.index();
        copy::row(&mut self.bufs[i], fields);
        self.rows[i] += 1;
        if self.bufs[i].len() >= CHUNK {
            self.send(table)?;
        }
        Ok(())
    }

    fn flush(&mut self, _: Table) -> Result<(), Closed> {
        Ok(())
    }
}

/// A new connection of the pool's database, with the settings of a bulk session.
pub(super) async fn connect(options: &PgConnectOptions) -> Result<PgConnection, DbErr> {
    let mut conn = PgConnection::connect_with(options)
        .await
        .map_err(|e| DbErr::Custom(format!("connecting: {e}")))?;
    exec(&mut conn, "SET synchronous_commit = off").await?;
    Ok(conn)
}

/// Runs `sql` (one or more statements, no parameters) on `conn`.
pub(super) async fn exec(conn: &mut PgConnection, sql: &str) -> Result<(), DbErr> {
    conn.execute(sqlx::raw_sql(AssertSqlSafe(sql.to_owned())))
        .await
        .map(|_| ())
        .map_err(|e| DbErr::Custom(format!("{sql}: {e}")))
}

/// What a table's sender saw.
struct Sent {
    table: Table,
    bytes: u64,
    /// From the start of the load to the end of the table's `COPY`.
    done: Duration,
    /// Waiting for the generator's next chunk.
    idle: Duration,
}

/// One bulk table's `COPY`, fed from `rx`.
async fn send_table(
    options: &PgConnectOptions,
    table: Table,
    mut rx: mpsc::UnboundedReceiver<Piece>,
    started: Instant,
) -> Result<Sent, DbErr> {
    let err = |e: sqlx::Error| DbErr::Custom(format!("COPY {}: {e}", table.name()));
    let mut conn = connect(options).await?;
    let statement = format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        table.name(),
        table.columns().join(", ")
    );
    let mut copy = conn.copy_in_raw(&statement).await.map_err(err)?;
    let (mut bytes, mut idle) = (0u64, Duration::ZERO);
    loop {
        let waiting = Instant::now();
        let piece = rx.recv().await;
        idle += waiting.elapsed();
        match piece {
            Some(Piece::Rows(chunk)) => {
                copy.send(chunk.data.as_slice()).await.map_err(err)?;
                bytes += chunk.data.len() as u64;
            }
            Some(Piece::End) => break,
            None => {
                let _ = copy.abort("the generator stopped").await;
                return Err(DbErr::Custom("the generator stopped".into()));
            }
        }
    }
    copy.finish().await.map_err(err)?;
    conn.close().await.map_err(err)?;
    Ok(Sent {
        table,
        bytes,
        done: started.elapsed(),
        idle,
    })
}

/// Fills `db` (PostgreSQL, migrated, empty) with the data set; returns the main and the second
/// organization's [`Made`].
pub(super) async fn generate(
    db: &DatabaseConnection,
    scale: Scale,
    seed: u64,
    hash: String,
) -> Result<(Made, Made), DbErr> {
    let options = (*db.get_postgres_connection_pool().connect_options()).clone();
    let started = Instant::now();
    let deferred = Deferred::set_aside(db).await?;
    timing::phase("secondary indexes and foreign keys set aside", started);

    let started = Instant::now();
    let budget = Arc::new(Budget::default());
    let mut senders: Vec<_> = Table::ALL.iter().map(|_| None).collect();
    let mut loads = Vec::new();
    for table in Table::BULK {
        let (tx, rx) = mpsc::unbounded_channel();
        senders[table.index()] = Some(tx);
        loads.push(send_table(&options, table, rx, started));
    }
    let sink = PgSink {
        bufs: Table::ALL
            .iter()
            .map(|_| {
                let mut buf = Vec::with_capacity(CHUNK + 4096);
                buf.extend_from_slice(copy::HEADER);
                buf
            })
            .collect(),
        rows: vec![0; Table::ALL.len()],
        senders,
        budget,
        waited: vec![Duration::ZERO; Table::ALL.len()],
    };
    let (done_tx, done_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("crm-bench-generate".into())
        .spawn(move || {
            let mut sink = sink;
            let made = make(&mut sink, &scale, seed, &hash);
            let result = made.and_then(|made| Ok((made, sink.finish()?, started.elapsed())));
            let _ = done_tx.send(result);
        })
        .map_err(|e| DbErr::Custom(format!("starting the generator: {e}")))?;
    let (sent, made) =
        futures_util::future::join(futures_util::future::join_all(loads), done_rx).await;
    let made = match made {
        Ok(Ok(made)) => Ok(made),
        Ok(Err(Closed)) => Err(DbErr::Custom("a COPY stopped".into())),
        Err(_) => Err(DbErr::Custom("the generator panicked".into())),
    };
    // A table's own error says more than the generator's or another table's stop.
    let mut stats = Vec::new();
    let mut stopped = None;
    for s in sent {
        match s {
            Ok(s) => stats.push(s),
            Err(DbErr::Custom(m)) if m == "the generator stopped" => stopped = Some(m),
            Err(e) => return Err(e),
        }
    }
    let (
        (main, writer),
        Leftover {
            small,
            rows,
            waited,
        },
        made_in,
    ) = made?;
    if let Some(m) = stopped {
        return Err(DbErr::Custom(m));
    }
    eprintln!(
        "timing: generator done at {:.1} s (of which waiting for PostgreSQL {:.1} s)",
        made_in.as_secs_f64(),
        waited.iter().sum::<Duration>().as_secs_f64()
    );
    for s in &stats {
        let i = s.table.index();
        eprintln!(
            "timing: {:<16} {:>10} rows {:>7.0} MB  COPY done at {:>6.1} s  \
             (sender idle, waiting for rows {:>6.1} s; generator waited {:>6.1} s)",
            s.table.name(),
            rows[i],
            s.bytes as f64 / 1e6,
            s.done.as_secs_f64(),
            s.idle.as_secs_f64(),
            waited[i].as_secs_f64()
        );
    }
    timing::phase("bulk tables generated and loaded", started);

    let started = Instant::now();
    let mut conn = connect(&options).await?;
    for table in Table::ALL {
        if Table::BULK.contains(&table) || small[table.index()].is_empty() {
            continue;
        }
        let err = |e: sqlx::Error| DbErr::Custom(format!("COPY {}: {e}", table.name()));
        let statement = format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            table.name(),
            table.columns().join(", ")
        );
        let mut copy = conn.copy_in_raw(&statement).await.map_err(err)?;
        copy.send(small[table.index()].as_slice())
            .await
            .map_err(err)?;
        copy.finish().await.map_err(err)?;
    }
    let _ = conn.close().await;
    timing::phase("small tables loaded", started);

    rebuild::put_back(&options, deferred, &rows).await?;
    Ok((main, writer))
}
