//! The scenarios of BENCHMARKS.md, each measured through the API, then (on PostgreSQL) as
//! pgbench running the very statements the API runs, then as the same statements through the
//! driver from the harness process: three columns of one run.

mod analytics;
mod analytics_baskets;
mod analytics_dashboard;
mod analytics_funnel;
mod analytics_more;
mod client;
mod export;
mod feed;
mod import;
mod reads;
mod webhooks;
mod writes;

use crate::generate::{Dataset, Scale, existing, generate};
use crate::load::{self, Stats};
use crate::pgbench::{KEYS_TABLE, PgBench, Script};
use crate::server::{Server, config};
use client::{Ctx, login, post};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::json;
use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only these scenarios (all when empty).
    pub only: Vec<String>,
    /// How long each measurement lasts.
    pub duration: Duration,
    /// Concurrent workers.
    pub concurrency: usize,
    /// Fail on a missed target too.
    pub enforce_targets: bool,
    /// Use the data set already in the database, if there is one.
    pub reuse_data: bool,
    /// The `crm` binary to run as the server (`None`: the server inside the harness).
    pub server_bin: Option<std::path::PathBuf>,
}

/// Migrates the database and fills it, or, with `reuse` and a data set already there, uses that
/// one; returns the pool, the data set and the time generation took (zero when reused).
pub async fn prepare(
    url: &str,
    scale: Scale,
    seed: u64,
    reuse: bool,
) -> Result<(DatabaseConnection, Dataset, Duration), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = crm_gateway::server::open_database(&config(url, dir.path()))
        .await
        .map_err(|e| e.to_string())?;
    if reuse && let Some(data) = existing(&db).await.map_err(|e| e.to_string())? {
        return Ok((db, data, Duration::ZERO));
    }
    let started = Instant::now();
    let data = generate(&db, scale, seed)
        .await
        .map_err(|e| e.to_string())?;
    Ok((db, data, started.elapsed()))
}

/// One line of the report.
pub(crate) struct Row {
    name: &'static str,
    api: Stats,
    /// pgbench running the same statements (PostgreSQL only).
    pgbench: Option<Stats>,
    /// The same statements through the driver from the harness process.
    driver: Stats,
    /// The target ratio (0: none), against pgbench on PostgreSQL and the driver on SQLite.
    target: f64,
    /// Whether the scenario's other targets (latency, memory, statements) were met.
    other_targets_met: bool,
    note: String,
}

/// What every scenario needs.
pub(crate) struct Env {
    /// The harness's own pool on the database (the driver baselines).
    pub db: DatabaseConnection,
    /// The generated data.
    pub data: Dataset,
    /// The main organization's admin, signed in with an access token.
    pub admin: Rc<Ctx>,
    /// The same admin's API key.
    pub key: Rc<Ctx>,
    /// The second organization's admin (the write scenarios write there).
    pub writer: Rc<Ctx>,
    /// The main organization's admin, as the domain operations see it (to build their SQL).
    pub actor: crm_core::Ctx,
    /// pgbench on this database, when it is PostgreSQL and pgbench is installed.
    pub pgbench: Option<PgBench>,
    /// How to run.
    pub o: Options,
}

impl Env {
    fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// A closed-loop measurement with this run's concurrency and duration.
    async fn measure<F, Fut>(&self, op: F) -> Stats
    where
        F: Fn(usize, u64) -> Fut + Clone + 'static,
        Fut: Future<Output = Result<(), String>> + 'static,
    {
        load::run(self.o.concurrency, self.o.duration, op).await
    }

    /// pgbench with `scripts`, or `None` when there is no pgbench baseline on this database;
    /// a script that could not be written is reported as pgbench's error.
    async fn pgbench(&self, scripts: Result<Vec<Script>, String>) -> Option<Stats> {
        let runner = self.pgbench.as_ref()?;
        Some(match scripts {
            Ok(s) => runner.run(s).await.unwrap_or_else(failed),
            Err(e) => failed(e),
        })
    }

    /// Runs `stmts` (one picked per request, in turn) through the driver.
    async fn driver(&self, stmts: Vec<Statement>) -> Stats {
        self.driver_sequences(stmts.into_iter().map(|s| vec![s]).collect())
            .await
    }

    /// The driver baseline of operations that each run several statements in turn.
    async fn driver_sequences(&self, ops: Vec<Vec<Statement>>) -> Stats {
        let (d, ops) = (self.db.clone(), Rc::new(ops));
        self.measure(move |w, i| {
            let (d, ops) = (d.clone(), ops.clone());
            async move {
                for stmt in &ops[(w + i as usize) % ops.len()] {
                    d.query_all_raw(stmt.clone())
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(())
            }
        })
        .await
    }
}

fn failed(e: String) -> Stats {
    Stats {
        errors: 1,
        first_error: Some(e),
        ..Stats::default()
    }
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Runs `sql` through the driver and returns the number of rows.
pub(crate) async fn sql(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<usize, String> {
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    db.query_all_raw(stmt)
        .await
        .map(|r| r.len())
        .map_err(|e| e.to_string())
}

/// The `i`th placeholder of the backend.
pub(crate) fn p(backend: DbBackend, i: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${i}"),
        _ => "?".into(),
    }
}

/// Generates the data set, starts the server on it, runs every scenario and prints the table.
/// Returns whether every scenario worked (and met its target, when enforced).
pub async fn run_all(
    url: Option<String>,
    scale: Scale,
    seed: u64,
    o: Options,
) -> Result<bool, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let url = url.unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let (db, data, took) = prepare(&url, scale, seed, o.reuse_data).await?;
    if took.is_zero() {
        println!("data: the data set already in the database");
    } else {
        println!(
            "data: {} contacts, {} activities in the main organization; generated in {:.1} s",
            scale.contacts,
            scale.contacts * scale.activities_per_contact,
            took.as_secs_f64()
        );
    }
    let pgbench = PgBench::new(&url, o.concurrency, o.duration);
    match (&pgbench, db.get_database_backend()) {
        (Some(_), _) => {
            fill_keys(&db, &data.contact_ids).await?;
            println!("baselines: pgbench -M prepared, then the driver from the harness process");
        }
        (None, DbBackend::Postgres) => {
            println!("baselines: no pgbench installed; the driver from the harness process only")
        }
        (None, _) => println!("baselines: the same statements on a direct SQLite connection"),
    }
    let server = Server::start(o.server_bin.as_deref(), &url, dir.path()).await?;
    println!(
        "server: {}",
        match server.pid() {
            Some(pid) => format!("its own process (pid {pid})"),
            None => "inside the harness (no `crm` binary beside crm-bench)".into(),
        }
    );
    let base = server.base();
    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(512))
        .timeout(Duration::from_secs(60))
        .finish();
    let token = login(&client, &base, &data.admin_email, &data.password).await?;
    let writer_token = login(&client, &base, &data.writer_email, &data.password).await?;
    let api_key = post(
        &client,
        &base,
        "/api/v1/api-keys",
        Some(&token),
        json!({"name": format!("bench {}", Uuid::now_v7()), "scope": "read"}),
    )
    .await?["key"]
        .as_str()
        .map(str::to_owned)
        .ok_or("no API key in the answer")?;
    let signed_in = |token: String| {
        Rc::new(Ctx {
            client: client.clone(),
            base: base.clone(),
            token,
            data: data.clone(),
        })
    };
    let org = data.org_id;
    let env = Env {
        actor: crm_core::Ctx::new(db.clone(), admin_actor(&db, org).await?),
        admin: signed_in(token),
        key: signed_in(api_key),
        writer: signed_in(writer_token),
        db: db.clone(),
        data: data.clone(),
        pgbench,
        o: o.clone(),
    };
    let wants = |s: &str| o.only.is_empty() || o.only.iter().any(|x| x.eq_ignore_ascii_case(s));
    let mut rows = Vec::new();
    if wants("S1") {
        rows.push(reads::s1(&env, false).await?);
        rows.push(reads::s1(&env, true).await?);
    }
    if wants("S2") {
        rows.push(reads::s2(&env).await?);
    }
    if wants("S3") {
        rows.push(reads::s3(&env).await?);
    }
    if wants("S4") {
        rows.push(reads::s4(&env, false).await?);
        rows.push(reads::s4(&env, true).await?);
    }
    if wants("S5") {
        rows.push(reads::s5(&env).await?);
    }
    if wants("S6") {
        rows.extend(analytics::s6(&env).await?);
    }
    if wants("S8") {
        rows.push(writes::s8(&env).await?);
    }
    if wants("S7") {
        rows.push(import::s7(&env, &url).await?);
    }
    if wants("S9") {
        rows.push(export::s9(&env, &server, &url).await?);
    }
    if wants("S11") {
        rows.push(webhooks::s11(&env).await?);
    }
    if wants("S12") {
        rows.push(feed::s12(&env).await?);
    }
    if wants("S10") {
        rows.push(writes::s10(&env, &server).await?);
    }
    let ok = report(&rows, env.backend(), o.enforce_targets);
    server.stop().await;
    Ok(ok)
}

/// Prints the table; returns whether every scenario worked (and met its targets, when
/// enforced).
fn report(rows: &[Row], backend: DbBackend, enforce: bool) -> bool {
    let against = if backend == DbBackend::Postgres {
        "pgbench"
    } else {
        "direct"
    };
    println!(
        "\n{:<58} {:>9} {:>8} {:>8} {:>9} {:>9} {:>7} {:>7} {:>7}  result",
        "scenario",
        "api req/s",
        "p50 ms",
        "p99 ms",
        "pgbench",
        "driver",
        "ratio",
        "ratio2",
        "target"
    );
    let mut ok = true;
    for r in rows {
        let per = |base: &Stats| {
            if base.throughput > 0.0 {
                r.api.throughput / base.throughput
            } else {
                f64::NAN
            }
        };
        // The target is against pgbench where it ran, against the direct connection elsewhere.
        let (ratio, ratio2) = match &r.pgbench {
            Some(pg) => (per(pg), per(&r.driver)),
            None => (per(&r.driver), f64::NAN),
        };
        let broken = r.api.errors > 0
            || r.driver.errors > 0
            || r.pgbench.as_ref().is_some_and(|s| s.errors > 0)
            || r.api.requests == 0;
        let met = (r.target == 0.0 || ratio >= r.target) && r.other_targets_met;
        let result = if broken {
            "BROKEN"
        } else if met {
            "pass"
        } else {
            "below target"
        };
        if broken || (enforce && !met) {
            ok = false;
        }
        let rate = |s: Option<&Stats>| match s {
            Some(s) if s.requests > 0 => format!("{:.0}", s.throughput),
            _ => "-".into(),
        };
        let num = |x: f64| {
            if x.is_nan() {
                "-".into()
            } else {
                format!("{x:.2}")
            }
        };
        println!(
            "{:<58} {:>9.0} {:>8} {:>8} {:>9} {:>9} {:>7} {:>7} {:>7}  {result}",
            r.name,
            r.api.throughput,
            ms(r.api.p50),
            ms(r.api.p99),
            rate(r.pgbench.as_ref()),
            rate(Some(&r.driver)),
            num(ratio),
            num(ratio2),
            if r.target > 0.0 {
                format!(">={}", r.target)
            } else {
                "-".into()
            }
        );
        if let Some(pg) = r.pgbench.as_ref().filter(|s| s.requests > 0) {
            println!("    pgbench p50 {} ms, p99 {} ms", ms(pg.p50), ms(pg.p99));
        }
        if !r.note.is_empty() {
            println!("    {}", r.note);
        }
        let errors = [
            r.api.first_error.as_ref(),
            r.pgbench.as_ref().and_then(|s| s.first_error.as_ref()),
            r.driver.first_error.as_ref(),
        ];
        if let Some(e) = errors.into_iter().flatten().next() {
            println!("    first error: {e}");
        }
    }
    println!("(ratio: API / {against}; ratio2: API / driver)");
    ok
}

/// Fills [`KEYS_TABLE`] with the contact ids the API's measurements draw from, numbered from 0.
async fn fill_keys(db: &DatabaseConnection, ids: &[Uuid]) -> Result<(), String> {
    let run = |s: String| async move {
        db.execute_unprepared(&s)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    run(format!("DROP TABLE IF EXISTS {KEYS_TABLE}")).await?;
    run(format!(
        "CREATE UNLOGGED TABLE {KEYS_TABLE} (n integer PRIMARY KEY, id uuid NOT NULL)"
    ))
    .await?;
    for (chunk_no, chunk) in ids.chunks(1000).enumerate() {
        let values: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| format!("({}, '{id}')", chunk_no * 1000 + i))
            .collect();
        run(format!(
            "INSERT INTO {KEYS_TABLE} (n, id) VALUES {}",
            values.join(", ")
        ))
        .await?;
    }
    run(format!("ANALYZE {KEYS_TABLE}")).await
}

pub(crate) async fn admin_actor(
    db: &DatabaseConnection,
    org: Uuid,
) -> Result<crm_core::Actor, String> {
    let b = db.get_database_backend();
    let stmt = Statement::from_sql_and_values(
        b,
        format!(
            "SELECT id FROM users WHERE org_id = {} AND role = 'admin'",
            p(b, 1)
        ),
        vec![org.into()],
    );
    let row = db
        .query_one_raw(stmt)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no admin")?;
    Ok(crm_core::Actor {
        org_id: org,
        user_id: row.try_get_by_index(0).map_err(|e| e.to_string())?,
        api_key_id: None,
        session_id: None,
        kind: crm_core::PrincipalKind::User,
        role: crm_core::Role::Admin,
    })
}
