//! S7: a CSV import of contacts with dedupe by email (`POST /api/v1/imports`, `match_on:
//! email`, `on_match: skip`), timed from the start of the upload until the import has ended,
//! against the database's own bulk load of the same file: PostgreSQL's `COPY ... FROM STDIN`
//! into `contacts` itself (rolled back; the target's baseline) and into a temporary table
//! shaped like it (a second column), or on SQLite the same rows inserted through the driver in
//! one transaction. One row in ten names an email the organization already has, and must be
//! skipped.
//!
//! The number of rows is the scale's contact count (1,000,000 at full scale); the import goes
//! into the writer organization, so the read scenarios' data stays as it was.

use super::{Env, Row};
use crate::load::Stats;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use sqlx::Connection;
use std::time::{Duration, Instant};
use uuid::Uuid;

const BOUNDARY: &str = "----crm-bench-s7-boundary";

/// The file: `email,first_name,last_name,phone,address.city`, every tenth row an existing email.
fn file(rows: usize, existing: &[String], tag: &str) -> Vec<u8> {
    let mut out = String::with_capacity(rows * 64);
    out.push_str("email,first_name,last_name,phone,address.city\n");
    for i in 0..rows {
        let email = if i % 10 == 9 && !existing.is_empty() {
            existing[(i / 10) % existing.len()].clone()
        } else {
            format!("s7-{tag}-{i}@bench.test")
        };
        out.push_str(&format!(
            "{email},Imported,Contact {i},+4930{:07},Berlin\n",
            i % 10_000_000
        ));
    }
    out.into_bytes()
}

async fn count(env: &Env, org: Uuid) -> Result<i64, String> {
    let b = env.db.get_database_backend();
    env.db
        .query_one_raw(Statement::from_sql_and_values(
            b,
            format!(
                "SELECT COUNT(*) AS n FROM contacts WHERE org_id = {} AND deleted_at IS NULL",
                super::p(b, 1)
            ),
            [org.into()],
        ))
        .await
        .map_err(|e| e.to_string())?
        .map(|r| r.try_get::<i64>("", "n").map_err(|e| e.to_string()))
        .transpose()
        .map(|n| n.unwrap_or(0))
}

/// Uploads and waits for the end; returns the import.
async fn import(env: &Env, body: Vec<u8>) -> Result<Value, String> {
    let c = &env.writer;
    let options = json!({"resource": "contacts", "match_on": "email", "on_match": "skip"});
    let mut multipart = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"options\"\r\nContent-Type: application/json\r\n\r\n{options}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s7.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    multipart.extend_from_slice(&body);
    multipart.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut res = c
        .client
        .post(format!("{}/api/v1/imports", c.base))
        .insert_header(("authorization", format!("Bearer {}", c.token)))
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ))
        .timeout(Duration::from_secs(600))
        .send_body(multipart)
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let answer = res.body().await.map_err(|e| e.to_string())?;
    if status.as_u16() != 202 {
        return Err(format!(
            "POST /api/v1/imports: {status} {}",
            String::from_utf8_lossy(&answer)
        ));
    }
    let job: Value = serde_json::from_slice(&answer).map_err(|e| e.to_string())?;
    let id = job["id"].as_str().ok_or("no import id")?.to_owned();
    let deadline = Instant::now() + Duration::from_secs(3600);
    loop {
        let i = c.get(&format!("/api/v1/imports/{id}")).await?;
        if i["state"] != "queued" && i["state"] != "running" {
            return Ok(i);
        }
        if Instant::now() > deadline {
            return Err(format!("the import did not end: {i}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `COPY` of `body` into `table` on `conn` (timed), checking the row count.
async fn copy_in(
    conn: &mut sqlx::PgConnection,
    table: &str,
    body: &[u8],
    rows: usize,
) -> Result<Duration, String> {
    let started = Instant::now();
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {table} (email, first_name, last_name, phone, city) FROM STDIN (FORMAT csv, HEADER)"
        ))
        .await
        .map_err(|e| e.to_string())?;
    copy.send(body).await.map_err(|e| e.to_string())?;
    let n = copy.finish().await.map_err(|e| e.to_string())?;
    let took = started.elapsed();
    if n as usize != rows {
        return Err(format!("COPY loaded {n} rows of {rows}"));
    }
    Ok(took)
}

/// The baselines: the same file loaded by the database itself. On PostgreSQL, first `COPY`
/// into `contacts` itself (its indexes, foreign keys and write-ahead log; in a transaction
/// rolled back, with defaults for the columns the file lacks set inside it, the owner being
/// the importing admin as in the import), then into a temporary table shaped like it (indexes,
/// no foreign keys, no write-ahead log). On SQLite the driver's inserts into a temporary table.
async fn baseline(
    env: &Env,
    url: &str,
    body: &[u8],
    rows: usize,
) -> Result<(Option<Duration>, Duration), String> {
    let org = env.data.writer_org_id;
    match env.db.get_database_backend() {
        DbBackend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let run = |sql: String| sqlx::raw_sql(sqlx::AssertSqlSafe(sql));
            let owner: (Uuid,) = sqlx::query_as(
                "SELECT id FROM users WHERE org_id = $1 AND active ORDER BY created_at, id LIMIT 1",
            )
            .bind(org)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
            let defaults = |table: &str| {
                format!(
                    "ALTER TABLE {table} ALTER COLUMN id SET DEFAULT gen_random_uuid(), \
                     ALTER COLUMN org_id SET DEFAULT '{org}', ALTER COLUMN owner_id SET DEFAULT '{}', \
                     ALTER COLUMN consent SET DEFAULT '{{}}', \
                     ALTER COLUMN tags SET DEFAULT '[]', ALTER COLUMN custom SET DEFAULT '{{}}', \
                     ALTER COLUMN search_text SET DEFAULT '', ALTER COLUMN version SET DEFAULT 1, \
                     ALTER COLUMN created_at SET DEFAULT now(), ALTER COLUMN updated_at SET DEFAULT now()",
                    owner.0
                )
            };
            // The same table, rolled back.
            for sql in ["BEGIN".to_owned(), defaults("contacts")] {
                run(sql)
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let real = copy_in(&mut conn, "contacts", body, rows).await;
            run("ROLLBACK".to_owned())
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            let real = real?;
            for sql in [
                "CREATE TEMP TABLE s7_copy (LIKE contacts INCLUDING ALL)".to_owned(),
                defaults("s7_copy"),
            ] {
                run(sql)
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let temp = copy_in(&mut conn, "s7_copy", body, rows).await?;
            Ok((Some(real), temp))
        }
        b => {
            let text = String::from_utf8_lossy(body).into_owned();
            let started = Instant::now();
            let tx = env.db.begin().await.map_err(|e| e.to_string())?;
            tx.execute_unprepared(
                "CREATE TEMP TABLE IF NOT EXISTS s7_copy AS SELECT * FROM contacts WHERE 0",
            )
            .await
            .map_err(|e| e.to_string())?;
            let lines: Vec<&str> = text.lines().skip(1).collect();
            for chunk in lines.chunks(500) {
                let mut sql = String::from(
                    "INSERT INTO s7_copy (id, org_id, email, first_name, last_name, phone, city, \
                     consent, tags, custom, search_text, version, created_at, updated_at) VALUES ",
                );
                let mut values: Vec<sea_orm::Value> = Vec::new();
                for (i, line) in chunk.iter().enumerate() {
                    let f: Vec<&str> = line.split(',').collect();
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str("(?, ?, ?, ?, ?, ?, ?, '{}', '[]', '{}', '', 1, ?, ?)");
                    let now = chrono::Utc::now();
                    values.extend([
                        Uuid::now_v7().into(),
                        org.into(),
                        f.first().copied().unwrap_or("").into(),
                        f.get(1).copied().unwrap_or("").into(),
                        f.get(2).copied().unwrap_or("").into(),
                        f.get(3).copied().unwrap_or("").into(),
                        f.get(4).copied().unwrap_or("").into(),
                        now.into(),
                        now.into(),
                    ]);
                }
                tx.execute_raw(Statement::from_sql_and_values(b, sql, values))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            tx.rollback().await.map_err(|e| e.to_string())?;
            Ok((None, started.elapsed()))
        }
    }
}

/// S7.
pub(crate) async fn s7(env: &Env, url: &str) -> Result<Row, String> {
    let b = env.db.get_database_backend();
    let rows = (count(env, env.data.org_id).await?.max(1000) as usize).min(1_000_000);
    let writer = env.data.writer_org_id;
    let existing: Vec<String> = env
        .db
        .query_all_raw(Statement::from_sql_and_values(
            b,
            format!(
                "SELECT email FROM contacts WHERE org_id = {} AND email IS NOT NULL \
                 AND deleted_at IS NULL LIMIT {}",
                super::p(b, 1),
                rows / 10 + 1
            ),
            [writer.into()],
        ))
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .filter_map(|r| r.try_get::<String>("", "email").ok())
        .collect();
    let tag = Uuid::now_v7().simple().to_string();
    let body = file(rows, &existing, &tag[tag.len() - 8..]);
    let duplicates = if existing.is_empty() { 0 } else { rows / 10 };
    let before = count(env, writer).await?;
    let started = Instant::now();
    let outcome = import(env, body.clone()).await;
    let took = started.elapsed();
    let after = count(env, writer).await?;
    let api = match &outcome {
        Ok(i) if i["state"] != "succeeded" => Stats::once(rows as u64, took, Some(format!("{i}"))),
        Ok(i)
            if i["created"].as_i64() != Some((rows - duplicates) as i64)
                || i["skipped"].as_i64() != Some(duplicates as i64)
                || after - before != (rows - duplicates) as i64 =>
        {
            Stats::once(
                rows as u64,
                took,
                Some(format!(
                    "expected {} created and {duplicates} skipped, {} new contacts: {i}",
                    rows - duplicates,
                    after - before
                )),
            )
        }
        Ok(_) => Stats::once(rows as u64, took, None),
        Err(e) => Stats::once(rows as u64, took, Some(e.clone())),
    };
    let (same_table, driver, base_note) = match baseline(env, url, &body, rows).await {
        Ok((Some(real), temp)) => (
            Some(Stats::once(rows as u64, real, None)),
            Stats::once(rows as u64, temp, None),
            format!(
                "COPY loaded them into contacts in {:.2} s (the target's baseline: \"pgbench\" \
                 column), into a temporary table like it in {:.2} s (\"driver\" column)",
                real.as_secs_f64(),
                temp.as_secs_f64()
            ),
        ),
        Ok((None, t)) => (
            None,
            Stats::once(rows as u64, t, None),
            format!("the driver inserted them in {:.2} s", t.as_secs_f64()),
        ),
        Err(e) => (
            (b == DbBackend::Postgres)
                .then(|| Stats::once(rows as u64, Duration::from_secs(1), Some(e.clone()))),
            Stats::once(rows as u64, Duration::from_secs(1), Some(e)),
            String::new(),
        ),
    };
    // 1,000,000 rows in under 15 s, whatever the scale.
    let pace = rows as f64 / took.as_secs_f64().max(1e-9);
    Ok(Row {
        name: "S7 CSV import of contacts, dedupe by email (rows/s)",
        api,
        pgbench: same_table,
        driver,
        target: if b == DbBackend::Postgres { 0.5 } else { 0.0 },
        other_targets_met: b != DbBackend::Postgres || pace >= 1_000_000.0 / 15.0,
        note: format!(
            "{rows} rows ({} bytes, {duplicates} existing emails) in {:.2} s from upload to end: \
             {pace:.0} rows/s (target 66,667: 1M in 15 s); {base_note}",
            body.len(),
            took.as_secs_f64()
        ),
    })
}
