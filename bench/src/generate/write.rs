//! SQLite: the generated rows as multi-row inserts, batch by batch in the order they were made
//! (the generator on a thread of its own); and reading back a data set already generated (both
//! engines).

use super::make::{Made, make};
use super::row::{Closed, F, Sink, Table};
use super::{Dataset, LAST, PASSWORD, Scale, timing};
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// The generator's side: each table's rows since its last batch.
struct SqliteSink {
    rows: Vec<Vec<Vec<Value>>>,
    tx: mpsc::Sender<(Table, Vec<Vec<Value>>)>,
}

impl Sink for SqliteSink {
    fn row(&mut self, table: Table, fields: &[F<'_>]) -> Result<(), Closed> {
        self.rows[table.index()].push(fields.iter().map(F::value).collect());
        Ok(())
    }

    fn flush(&mut self, table: Table) -> Result<(), Closed> {
        let rows = std::mem::take(&mut self.rows[table.index()]);
        if rows.is_empty() {
            return Ok(());
        }
        self.tx.blocking_send((table, rows)).map_err(|_| Closed)
    }
}

/// Fills `db` (SQLite, migrated, empty) with the data set; returns the main and the second
/// organization's [`Made`].
pub(super) async fn generate(
    db: &DatabaseConnection,
    scale: Scale,
    seed: u64,
    hash: String,
) -> Result<(Made, Made), DbErr> {
    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel(2);
    let (done_tx, done_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("crm-bench-generate".into())
        .spawn(move || {
            let mut sink = SqliteSink {
                rows: Table::ALL.iter().map(|_| Vec::new()).collect(),
                tx,
            };
            let _ = done_tx.send(make(&mut sink, &scale, seed, &hash));
        })
        .map_err(|e| DbErr::Custom(format!("starting the generator: {e}")))?;
    let mut spent = vec![(0usize, Duration::ZERO); Table::ALL.len()];
    while let Some((table, rows)) = rx.recv().await {
        let began = Instant::now();
        let n = rows.len();
        insert(db, table.name(), table.columns(), rows).await?;
        let s = &mut spent[table.index()];
        *s = (s.0 + n, s.1 + began.elapsed());
    }
    let made = match done_rx.await {
        Ok(Ok(made)) => made,
        Ok(Err(Closed)) => return Err(DbErr::Custom("the inserts stopped".into())),
        Err(_) => return Err(DbErr::Custom("the generator panicked".into())),
    };
    for table in Table::ALL {
        let (n, took) = spent[table.index()];
        eprintln!(
            "timing: {:<16} {n:>10} rows  inserted in {:>7.1} s",
            table.name(),
            took.as_secs_f64()
        );
    }
    timing::phase("generated and inserted", started);
    let started = Instant::now();
    db.execute_unprepared("ANALYZE").await?;
    timing::phase("ANALYZE", started);
    Ok(made)
}

/// Multi-row inserts of `rows` into `table`, as many rows to a statement as SQLite takes.
async fn insert(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), DbErr> {
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
