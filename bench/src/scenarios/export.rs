//! S9: the export of every contact of the main organization as CSV
//! (`GET /api/v1/contacts/export`), against the database's own bulk output of the same rows:
//! PostgreSQL's `COPY (SELECT ...) TO STDOUT (FORMAT csv)` on a direct connection, or on SQLite
//! the same `SELECT` read whole through the driver. Also the server's resident memory while it
//! streams: the export must not hold the list.

use super::{Env, Row};
use crate::load::Stats;
use crate::server::Server;
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sqlx::Connection;
use std::time::{Duration, Instant};

/// The columns the export writes, as the table holds them.
const COLUMNS: &str = "id, first_name, last_name, email, phone, title, company_id, street, \
                       postal_code, city, region, country, owner_id, lifecycle_stage, \
                       source_channel, consent, tags, custom, version, created_at, updated_at, \
                       deleted_at";

/// Downloads `path` as a stream; returns its bytes and lines.
async fn download(env: &Env, path: &str) -> Result<(u64, u64), String> {
    let c = &env.admin;
    let mut res = c
        .client
        .get(format!("{}{path}", c.base))
        .insert_header(("authorization", format!("Bearer {}", c.token)))
        .timeout(Duration::from_secs(3600))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("GET {path}: {}", res.status()));
    }
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(chunk) = res.next().await {
        let chunk = chunk.map_err(|e| format!("GET {path}: {e}"))?;
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    Ok((bytes, lines))
}

/// The baseline: the same rows, in the same order, as the database writes them out itself.
async fn baseline(env: &Env, url: &str) -> Result<(u64, Duration), String> {
    let org = env.data.org_id;
    let select = format!(
        "SELECT {COLUMNS} FROM contacts WHERE org_id = '{org}' AND deleted_at IS NULL \
         ORDER BY created_at DESC, id DESC"
    );
    let started = Instant::now();
    match env.db.get_database_backend() {
        DbBackend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let started = Instant::now();
            let mut out = conn
                .copy_out_raw(&format!("COPY ({select}) TO STDOUT (FORMAT csv, HEADER)"))
                .await
                .map_err(|e| e.to_string())?;
            let mut bytes = 0u64;
            while let Some(chunk) = out.next().await {
                bytes += chunk.map_err(|e| e.to_string())?.len() as u64;
            }
            Ok((bytes, started.elapsed()))
        }
        b => {
            let select = select.replace(&format!("'{org}'"), "?");
            let rows = env
                .db
                .query_all_raw(Statement::from_sql_and_values(b, select, [org.into()]))
                .await
                .map_err(|e| e.to_string())?;
            Ok((rows.len() as u64, started.elapsed()))
        }
    }
}

/// S9.
pub(crate) async fn s9(env: &Env, server: &Server, url: &str) -> Result<Row, String> {
    let b = env.db.get_database_backend();
    let count = env
        .db
        .query_one_raw(Statement::from_sql_and_values(
            b,
            format!(
                "SELECT COUNT(*) FROM contacts WHERE org_id = {} AND deleted_at IS NULL",
                super::p(b, 1)
            ),
            [env.data.org_id.into()],
        ))
        .await
        .map_err(|e| e.to_string())?
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0) as u64;
    let reset = server.reset_peak();
    let before = server.memory_kb().map(|(rss, _)| rss);
    let started = Instant::now();
    let api = download(env, "/api/v1/contacts/export?format=csv").await;
    let took = started.elapsed();
    let after = server.memory_kb();
    let (api, api_bytes) = match api {
        Ok((bytes, lines)) if lines > count => (Stats::once(count, took, None), bytes),
        Ok((_, lines)) => (
            Stats::once(
                count,
                took,
                Some(format!("{lines} lines for {count} contacts")),
            ),
            0,
        ),
        Err(e) => (Stats::once(count, took, Some(e)), 0),
    };
    let (base, base_note) = match baseline(env, url).await {
        Ok((n, t)) => (
            Stats::once(count, t, None),
            match b {
                DbBackend::Postgres => format!("COPY wrote {n} bytes in {:.2} s", t.as_secs_f64()),
                _ => format!("the driver read {n} rows in {:.2} s", t.as_secs_f64()),
            },
        ),
        Err(e) => (
            Stats::once(count, Duration::from_secs(1), Some(e)),
            String::new(),
        ),
    };
    let (memory, memory_met) = match (before, after) {
        (Some(before), Some((_, peak))) if reset => {
            let growth = peak.saturating_sub(before);
            (
                format!(
                    "server RSS {before} kB before, peak {peak} kB while streaming: +{growth} kB \
                     (target < 50 MB)"
                ),
                growth < 50 * 1024,
            )
        }
        _ => ("server memory not measured".to_owned(), true),
    };
    Ok(Row {
        name: "S9 export of every contact as CSV (rows/s)",
        api,
        pgbench: None,
        driver: base,
        target: 0.5,
        other_targets_met: memory_met,
        note: format!(
            "{count} contacts, {api_bytes} bytes in {:.2} s; {base_note}; {memory}",
            took.as_secs_f64()
        ),
    })
}
