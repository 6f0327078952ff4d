//! The scenarios of BENCHMARKS.md, each measured through the API and as the same work done
//! directly on the database, in one run.

use crate::generate::{Dataset, Scale, existing, generate};
use crate::load::{self, Stats};
use crate::server::{Server, config};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
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

struct Row {
    name: &'static str,
    api: Stats,
    baseline: Stats,
    target: f64,
    /// Whether the scenario's other targets (latency, memory) were met.
    other_targets_met: bool,
    note: String,
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn sql(
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

fn p(backend: DbBackend, i: usize) -> String {
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
    let ctx = Rc::new(Ctx {
        client: client.clone(),
        base: base.clone(),
        token,
        data: data.clone(),
    });
    // The write scenarios write into the second organization.
    let wctx = Rc::new(Ctx {
        client,
        base,
        token: writer_token,
        data: data.clone(),
    });
    let writer_org = data.writer_org_id;
    let backend = db.get_database_backend();
    let org = data.org_id;
    let mut rows = Vec::new();
    let wants = |s: &str| o.only.is_empty() || o.only.iter().any(|x| x.eq_ignore_ascii_case(s));
    let actor_ctx = crm_core::Ctx::new(db.clone(), admin_actor(&db, org).await?);

    if wants("S1") {
        // S1: a contact by id.
        let c = ctx.clone();
        let api = load::run(o.concurrency, o.duration, move |w, i| {
            let c = c.clone();
            async move {
                let id = c.data.contact_ids
                    [(w * 7919 + i as usize * 104_729) % c.data.contact_ids.len()];
                let body = c.get(&format!("/api/v1/contacts/{id}")).await?;
                (body["id"] == id.to_string())
                    .then_some(())
                    .ok_or_else(|| format!("wrong body for {id}"))
            }
        })
        .await;
        let (d, ids) = (db.clone(), data.contact_ids.clone());
        let q = format!(
            "SELECT * FROM contacts WHERE id = {} AND org_id = {} AND deleted_at IS NULL",
            p(backend, 1),
            p(backend, 2)
        );
        let baseline = load::run(o.concurrency, o.duration, move |w, i| {
            let (d, ids, q) = (d.clone(), ids.clone(), q.clone());
            async move {
                let id = ids[(w * 7919 + i as usize * 104_729) % ids.len()];
                (sql(&d, &q, vec![id.into(), org.into()]).await? == 1)
                    .then_some(())
                    .ok_or_else(|| "no row".to_owned())
            }
        })
        .await;
        let (s1_p99, p99_ok) = (api.p99, api.p99 <= Duration::from_millis(5));
        rows.push(Row {
            name: "S1 contact by id",
            api,
            baseline,
            target: 0.35,
            other_targets_met: p99_ok,
            note: format!("p99 {} ms (target <= 5 ms)", ms(s1_p99)),
        });
    }
    if wants("S2") {
        // S2: filtered, sorted list, first page and a deep page reached by cursor.
        let list = "/api/v1/contacts?lifecycle_stage=customer&sort=-created_at&limit=25";
        // The deep page: 10,000 pages of 25 in (or the last full page of a smaller list),
        // reached by following cursors 100 rows at a time.
        let walk = "/api/v1/contacts?lifecycle_stage=customer&sort=-created_at&limit=100";
        // The last two cursors: at the end of a shorter list the deep page is the last full one.
        let (mut pages, mut prev, mut last) = (0usize, None::<String>, None::<String>);
        while pages < 2_500 {
            let path = match &last {
                Some(c) => format!("{walk}&cursor={c}"),
                None => walk.to_owned(),
            };
            let page = ctx.get(&path).await?;
            match page["next_cursor"].as_str() {
                Some(next) => {
                    prev = last.replace(next.to_owned());
                    pages += 1;
                }
                None => {
                    last = prev;
                    pages = pages.saturating_sub(1);
                    break;
                }
            }
        }
        let depth = pages * 4 + 1;
        let cursor = last;
        let deep = match &cursor {
            Some(c) => format!("{list}&cursor={c}"),
            None => list.to_owned(),
        };
        let c = ctx.clone();
        let api = load::run(o.concurrency, o.duration, move |_, _| {
            let c = c.clone();
            async move {
                c.get(list).await.and_then(|b| {
                    b["data"]
                        .as_array()
                        .map(|_| ())
                        .ok_or_else(|| "no data".into())
                })
            }
        })
        .await;
        let (c, deep_path) = (ctx.clone(), deep.clone());
        let deep_stats = load::run(o.concurrency, o.duration, move |_, _| {
            let (c, deep_path) = (c.clone(), deep_path.clone());
            async move {
                c.get(&deep_path).await.and_then(|b| {
                    b["data"]
                        .as_array()
                        .map(|_| ())
                        .ok_or_else(|| "no data".into())
                })
            }
        })
        .await;
        let params = crm_core::list::ListParams::from_pairs(vec![
            ("lifecycle_stage".into(), "customer".into()),
            ("sort".into(), "-created_at".into()),
            ("limit".into(), "25".into()),
        ])
        .map_err(|e| e.to_string())?;
        let stmt = crm_customers_sql(&actor_ctx, &params).await?;
        let d = db.clone();
        let baseline = load::run(o.concurrency, o.duration, move |_, _| {
            let (d, stmt) = (d.clone(), stmt.clone());
            async move {
                d.query_all_raw(stmt)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        })
        .await;
        let deep_ratio = deep_stats.p50.as_secs_f64() / api.p50.as_secs_f64().max(1e-9);
        rows.push(Row {
            name: "S2 filtered list, page 1",
            api,
            baseline,
            target: 0.5,
            other_targets_met: deep_ratio <= 1.3,
            note: format!(
                "page {depth}: p50 {} ms = {deep_ratio:.2}x page 1 (target <= 1.3x)",
                ms(deep_stats.p50)
            ),
        });
    }
    if wants("S3") {
        // S3: the timeline of the contact with the longest history, newest 50.
        let heavy = data.heavy_contact;
        let c = ctx.clone();
        let api = load::run(o.concurrency, o.duration, move |_, _| {
            let c = c.clone();
            async move {
                let b = c
                    .get(&format!(
                        "/api/v1/contacts/{heavy}/timeline?types=activity&limit=50"
                    ))
                    .await?;
                (b["data"].as_array().map_or(0, Vec::len) > 0)
                    .then_some(())
                    .ok_or_else(|| "empty timeline".into())
            }
        })
        .await;
        let d = db.clone();
        let q1 = format!(
            "SELECT activity_id FROM activity_links WHERE org_id = {} AND record_type = 'contact' AND record_id = {} AND deleted = false ORDER BY occurred_at DESC, activity_id DESC LIMIT 51",
            p(backend, 1),
            p(backend, 2)
        );
        let baseline = load::run(o.concurrency, o.duration, move |_, _| {
            let (d, q1) = (d.clone(), q1.clone());
            async move {
                let stmt = Statement::from_sql_and_values(
                    d.get_database_backend(),
                    &q1,
                    vec![org.into(), heavy.into()],
                );
                let ids: Vec<Uuid> = d
                    .query_all_raw(stmt)
                    .await
                    .map_err(|e| e.to_string())?
                    .iter()
                    .filter_map(|r| r.try_get_by_index(0).ok())
                    .take(50)
                    .collect();
                let marks: Vec<String> = (0..ids.len())
                    .map(|i| p(d.get_database_backend(), i + 1))
                    .collect();
                let q2 = format!(
                    "SELECT * FROM activities WHERE id IN ({})",
                    marks.join(", ")
                );
                sql(&d, &q2, ids.into_iter().map(Into::into).collect())
                    .await
                    .map(|_| ())
            }
        })
        .await;
        rows.push(Row {
            name: "S3 timeline, newest 50",
            api,
            baseline,
            target: 0.35,
            other_targets_met: true,
            note: String::new(),
        });
    }
    if wants("S4") {
        // S4: full-text search.
        let c = ctx.clone();
        let api = load::run(o.concurrency, o.duration, move |w, i| {
            let c = c.clone();
            async move {
                let term = &c.data.search_terms[(w + i as usize) % c.data.search_terms.len()];
                c.get(&format!("/api/v1/contacts?q={term}&limit=25"))
                    .await
                    .and_then(|b| {
                        b["data"]
                            .as_array()
                            .map(|_| ())
                            .ok_or_else(|| "no data".into())
                    })
            }
        })
        .await;
        let mut stmts = Vec::new();
        for term in &data.search_terms {
            let params = crm_core::list::ListParams::from_pairs(vec![
                ("q".into(), term.clone()),
                ("limit".into(), "25".into()),
            ])
            .map_err(|e| e.to_string())?;
            stmts.push(crm_customers_sql(&actor_ctx, &params).await?);
        }
        let (d, stmts) = (db.clone(), Rc::new(stmts));
        let baseline = load::run(o.concurrency, o.duration, move |w, i| {
            let (d, stmts) = (d.clone(), stmts.clone());
            async move {
                d.query_all_raw(stmts[(w + i as usize) % stmts.len()].clone())
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        })
        .await;
        let (s4_p95, p95_ok) = (api.p95, api.p95 <= Duration::from_millis(20));
        rows.push(Row {
            name: "S4 q= search",
            api,
            baseline,
            target: 0.8,
            other_targets_met: p95_ok,
            note: format!("p95 {} ms (target <= 20 ms)", ms(s4_p95)),
        });
    }
    if wants("S5") {
        // S5: GraphQL nesting against the same data through REST calls.
        let gql = "{ companies(first: 50) { edges { node { id name contacts(first: 10) { nodes { id lastName activities(first: 5) { nodes { subject } } } } } } } }";
        let c = ctx.clone();
        let before = c.statements().await?;
        let one = c.gql(gql).await?;
        let statements = c.statements().await? - before;
        let companies = one["data"]["companies"]["edges"]
            .as_array()
            .map_or(0, Vec::len);
        let api = load::run(o.concurrency, o.duration, move |_, _| {
            let c = c.clone();
            async move {
                let b = c.gql(gql).await?;
                (b.get("errors").is_none()
                    && b["data"]["companies"]["edges"]
                        .as_array()
                        .is_some_and(|e| !e.is_empty()))
                .then_some(())
                .ok_or_else(|| format!("bad GraphQL answer: {b}"))
            }
        })
        .await;
        let c = ctx.clone();
        let baseline = load::run(o.concurrency, o.duration, move |_, _| {
            let c = c.clone();
            async move {
                let page = c.get("/api/v1/companies?limit=50").await?;
                for co in page["data"].as_array().cloned().unwrap_or_default() {
                    let contacts = c
                        .get(&format!(
                            "/api/v1/contacts?company_id={}&limit=10",
                            co["id"].as_str().unwrap_or("")
                        ))
                        .await?;
                    for ct in contacts["data"].as_array().cloned().unwrap_or_default() {
                        c.get(&format!(
                            "/api/v1/activities?contact_id={}&limit=5",
                            ct["id"].as_str().unwrap_or("")
                        ))
                        .await?;
                    }
                }
                Ok(())
            }
        })
        .await;
        rows.push(Row { name: "S5 GraphQL 50 companies > contacts > activities (vs REST calls)", api, baseline, target: 0.7, other_targets_met: true, note: format!("{companies} companies; {statements} SQL statements per request (target <= 1 + depth = 4, plus auth)") });
    }
    if wants("S8") {
        // S8: create a contact and an activity in one request.
        let c = wctx.clone();
        let api = load::run(o.concurrency, o.duration, move |w, i| {
        let c = c.clone();
        async move {
            let email = format!("s8-{w}-{i}-{}@bench.test", Uuid::now_v7().simple());
            let doc = format!("mutation {{ c: createContact(input: {{lastName: \"Bench\", email: \"{email}\"}}) {{ id }} a: createActivity(input: {{kind: CALL, channel: PHONE, contactEmail: \"{email}\", subject: \"hello\"}}) {{ id contactId }} }}");
            let b = c.gql(&doc).await?;
            (b.get("errors").is_none() && b["data"]["a"]["contactId"] == b["data"]["c"]["id"]).then_some(()).ok_or_else(|| format!("bad answer: {b}"))
        }
    })
    .await;
        let d = db.clone();
        let baseline = load::run(o.concurrency, o.duration, move |_, _| {
        let d = d.clone();
        async move {
            let tx = d.begin().await.map_err(|e| e.to_string())?;
            let b = tx.get_database_backend();
            let (cid, aid, now) = (Uuid::now_v7(), Uuid::now_v7(), chrono::Utc::now());
            let ins = |sql: String, v: Vec<sea_orm::Value>| Statement::from_sql_and_values(b, sql, v);
            let marks = |n: usize| (1..=n).map(|i| p(b, i)).collect::<Vec<_>>().join(", ");
            tx.execute_raw(ins(format!("INSERT INTO contacts (id, org_id, last_name, email, consent, tags, custom, search_text, version, created_at, updated_at) VALUES ({}, '{{}}', '[]', '{{}}', {})", marks(4), (5..=8).map(|i| p(b, i)).collect::<Vec<_>>().join(", ")), vec![cid.into(), writer_org.into(), "Bench".into(), format!("{cid}@bench.test").into(), "bench".into(), 1i64.into(), now.into(), now.into()])).await.map_err(|e| e.to_string())?;
            tx.execute_raw(ins(format!("INSERT INTO activities (id, org_id, kind, channel, occurred_at, contact_id, participants, links, version, created_at, updated_at) VALUES ({}, '[]', '[]', {})", marks(6), (7..=9).map(|i| p(b, i)).collect::<Vec<_>>().join(", ")), vec![aid.into(), writer_org.into(), "call".into(), "phone".into(), now.into(), cid.into(), 1i64.into(), now.into(), now.into()])).await.map_err(|e| e.to_string())?;
            tx.execute_raw(ins(format!("INSERT INTO activity_links (org_id, activity_id, record_type, record_id, role, occurred_at, kind, channel, deleted) VALUES ({})", marks(9)), vec![writer_org.into(), aid.into(), "contact".into(), cid.into(), "about".into(), now.into(), "call".into(), "phone".into(), false.into()])).await.map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())
        }
    })
    .await;
        rows.push(Row {
            name: "S8 contact + activity in one request",
            api,
            baseline,
            target: 0.4,
            other_targets_met: true,
            note: String::new(),
        });
    }
    if wants("S10") {
        // S10: many connections, mixed reads (main organization) and writes (second one): no
        // errors, nothing lost. The notes of this run carry a marker, so that they are counted
        // apart from those of earlier runs on the same data.
        let marker = format!("s10 {}", Uuid::now_v7().simple());
        let (c, w) = (ctx.clone(), wctx.clone());
        let acknowledged = Rc::new(std::cell::Cell::new(0u64));
        let acks = acknowledged.clone();
        let body = marker.clone();
        let mut s10 = load::run(200, o.duration, move |wk, i| {
            let (c, w, acks, body) = (c.clone(), w.clone(), acks.clone(), body.clone());
            async move {
                if i % 5 == 0 {
                    let ids = &w.data.writer_contact_ids;
                    let b = w
                        .post_json(
                            "/api/v1/activities",
                            json!({"kind": "note", "contact_id": ids[wk % ids.len()], "body": body}),
                        )
                        .await?;
                    b["id"].as_str().ok_or_else(|| "no id".to_owned())?;
                    acks.set(acks.get() + 1);
                    Ok(())
                } else {
                    let id = c.data.contact_ids[(wk * 31 + i as usize) % c.data.contact_ids.len()];
                    c.get(&format!("/api/v1/contacts/{id}")).await.map(|_| ())
                }
            }
        })
        .await;
        let written = sql(
            &db,
            &format!(
                "SELECT id FROM activities WHERE org_id = {} AND body = {}",
                p(backend, 1),
                p(backend, 2)
            ),
            vec![writer_org.into(), marker.into()],
        )
        .await?;
        let (memory, memory_met) = match server.memory_kb() {
            Some((rss, peak)) => (
                format!("server RSS {rss} kB, peak {peak} kB (target < 200 MB)"),
                peak < 200 * 1024,
            ),
            None => (
                "server memory not measured (in-process server)".into(),
                true,
            ),
        };
        let acknowledged = acknowledged.get();
        if (written as u64) < acknowledged {
            s10.errors += 1;
            s10.first_error.get_or_insert(format!(
                "lost writes: {acknowledged} acknowledged, {written} stored"
            ));
        }
        rows.push(Row {
            name: "S10 200 connections, mixed",
            api: s10,
            baseline: Stats::default(),
            target: 0.0,
            other_targets_met: memory_met,
            note: format!("{written} notes stored, {acknowledged} acknowledged; {memory}"),
        });
    }
    // Report.
    println!(
        "\n{:<66} {:>10} {:>9} {:>9} {:>10} {:>7} {:>7}  result",
        "scenario", "api req/s", "p50 ms", "p99 ms", "base req/s", "ratio", "target"
    );
    let mut ok = true;
    for r in &rows {
        let ratio = if r.baseline.throughput > 0.0 {
            r.api.throughput / r.baseline.throughput
        } else {
            f64::NAN
        };
        let broken = r.api.errors > 0 || r.baseline.errors > 0 || r.api.requests == 0;
        let met = (r.target == 0.0 || ratio >= r.target) && r.other_targets_met;
        let result = if broken {
            "BROKEN"
        } else if met {
            "pass"
        } else {
            "below target"
        };
        if broken || (o.enforce_targets && !met) {
            ok = false;
        }
        println!(
            "{:<66} {:>10.0} {:>9} {:>9} {:>10.0} {:>7.2} {:>7}  {result}",
            r.name,
            r.api.throughput,
            ms(r.api.p50),
            ms(r.api.p99),
            r.baseline.throughput,
            ratio,
            if r.target > 0.0 {
                format!(">={}", r.target)
            } else {
                "-".into()
            }
        );
        if !r.note.is_empty() {
            println!("    {}", r.note);
        }
        if let Some(e) = r
            .api
            .first_error
            .as_ref()
            .or(r.baseline.first_error.as_ref())
        {
            println!("    first error: {e}");
        }
    }
    server.stop().await;
    Ok(ok)
}

async fn admin_actor(db: &DatabaseConnection, org: Uuid) -> Result<crm_core::Actor, String> {
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

async fn crm_customers_sql(
    ctx: &crm_core::Ctx,
    params: &crm_core::list::ListParams,
) -> Result<Statement, String> {
    crm_gateway_list_sql(ctx, params).await
}

async fn crm_gateway_list_sql(
    ctx: &crm_core::Ctx,
    params: &crm_core::list::ListParams,
) -> Result<Statement, String> {
    crm_customers::ops::contact_list_sql(ctx, params)
        .await
        .map_err(|e| format!("{e:?}"))
}

struct Ctx {
    client: awc::Client,
    base: String,
    token: String,
    data: Dataset,
}

async fn post(
    client: &awc::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Result<Value, String> {
    let mut req = client.post(format!("{base}{path}"));
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    let mut res = req.send_json(&body).await.map_err(|e| e.to_string())?;
    let status = res.status();
    let body = res
        .body()
        .limit(64 * 1024 * 1024)
        .await
        .map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "POST {path}: {status} {}",
            String::from_utf8_lossy(&body)
        ));
    }
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

/// Signs in and returns the access token.
async fn login(
    client: &awc::Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<String, String> {
    let body = post(
        client,
        base,
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no access token for {email}"))
}

impl Ctx {
    async fn get(&self, path: &str) -> Result<Value, String> {
        let mut res = self
            .client
            .get(format!("{}{path}", self.base))
            .insert_header(("authorization", format!("Bearer {}", self.token)))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let body = res
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "GET {path}: {status} {}",
                String::from_utf8_lossy(&body)
            ));
        }
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }

    async fn post_json(&self, path: &str, body: Value) -> Result<Value, String> {
        post(&self.client, &self.base, path, Some(&self.token), body).await
    }

    /// The server's SQL statement counter, read from `/metrics`.
    async fn statements(&self) -> Result<u64, String> {
        let mut res = self
            .client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let body = res.body().await.map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&body)
            .lines()
            .find_map(|l| l.strip_prefix("crm_sql_statements_total "))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| "no crm_sql_statements_total in /metrics".to_owned())
    }

    async fn gql(&self, query: &str) -> Result<Value, String> {
        self.post_json("/graphql", json!({ "query": query })).await
    }
}
