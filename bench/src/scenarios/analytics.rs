//! S6: analytics. Four measurements:
//!
//! 1. **ABC of companies from scratch**: `GET /api/v1/analytics/abc` over the whole order
//!    history, against the same classification written by hand as one SQL statement (revenue
//!    per company from the order lines, converted at the order day's rate, ranked by revenue
//!    then id, classed by the share of revenue ranked before it) run by pgbench and through the
//!    driver. Target: the API within 1.15x of the hand-made SQL's time (ratio >= 0.87). RFM
//!    (quintile scores, segments) and XYZ (monthly revenue's coefficient of variation) of
//!    companies the same way; retention and profitability too (`analytics_more.rs`).
//! 2. **One company's monthly revenue from the rollups** (turned on first; the time they took
//!    to fold every order is reported): `GET /api/v1/analytics/monthly-revenue?subject=companies&id=`
//!    against the same `SELECT`. Target: p95 <= 100 ms.
//! 3. **A new order in the rollups**: orders created one after the other in the second
//!    organization, each followed by polling its company-less organization total until the
//!    order shows. Target: within 5 s.
//! 4. **The overview** with the analytics refresh enabled (`analytics_dashboard.rs`).

use super::{Env, Row, ms, sql};
use crate::load::Stats;
use crate::pgbench::Script;
use chrono::{DateTime, Datelike, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Orders created for the freshness measurement.
const FRESH_ORDERS: usize = 10;

/// The first and the last order day of the main organization, as the period `[from, to)`.
async fn period(env: &Env) -> Result<(String, String), String> {
    let backend = env.backend();
    let row = env
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT MIN(ordered_at) AS lo, MAX(ordered_at) AS hi FROM sales_documents \
                 WHERE org_id = {} AND doc_type = 'order'",
                super::p(backend, 1)
            ),
            [env.data.org_id.into()],
        ))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no orders")?;
    let lo: DateTime<Utc> = row.try_get("", "lo").map_err(|e| e.to_string())?;
    let hi: DateTime<Utc> = row.try_get("", "hi").map_err(|e| e.to_string())?;
    let to = hi.date_naive().succ_opt().unwrap_or(hi.date_naive());
    Ok((lo.date_naive().to_string(), to.to_string()))
}

/// Midnight (UTC) of a `YYYY-MM-DD` day: where a report's period starts or ends.
pub(super) fn start(d: &str) -> DateTime<Utc> {
    format!("{d}T00:00:00Z")
        .parse::<DateTime<Utc>>()
        .unwrap_or_default()
}

/// The ABC classification of companies as one hand-written statement.
fn abc_sql(backend: DbBackend, org: Uuid, from: &str, to: &str) -> Statement {
    let pg = backend == DbBackend::Postgres;
    let (num, day) = if pg {
        (
            "numeric",
            "to_char(d.ordered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        )
    } else {
        ("REAL", "substr(d.ordered_at, 1, 10)")
    };
    let p = |i| super::p(backend, i);
    let sql = format!(
        "WITH rev AS (\
           SELECT d.company_id AS id, SUM(CAST(l.net_amount AS {num}) * \
             CASE WHEN d.currency = s.base THEN 1 ELSE CAST(r.rate AS {num}) END) AS revenue \
           FROM sales_documents d JOIN document_lines l ON l.document_id = d.id \
           CROSS JOIN (SELECT COALESCE((SELECT base_currency FROM analytics_settings \
             WHERE org_id = {p1}), 'EUR') AS base) s \
           LEFT JOIN exchange_rates r ON r.org_id = d.org_id AND r.base_currency = s.base \
             AND r.currency = d.currency AND r.rate_date = {day} \
           WHERE d.org_id = {p2} AND d.doc_type = 'order' AND d.status <> 'cancelled' \
             AND d.deleted_at IS NULL AND d.ordered_at >= {p3} AND d.ordered_at < {p4} \
             AND d.company_id IS NOT NULL AND (d.currency = s.base OR r.rate IS NOT NULL) \
           GROUP BY d.company_id), \
         ranked AS (\
           SELECT id, revenue, \
             ROW_NUMBER() OVER (ORDER BY revenue DESC, id) AS rank, \
             SUM(revenue) OVER (ORDER BY revenue DESC, id) - revenue AS before, \
             SUM(revenue) OVER () AS total FROM rev) \
         SELECT k.id, c.name, k.revenue, k.rank, \
           CASE WHEN k.before < 0.8 * k.total THEN 'A' WHEN k.before < 0.95 * k.total \
             THEN 'B' ELSE 'C' END AS class \
         FROM ranked k LEFT JOIN companies c ON c.id = k.id ORDER BY k.rank",
        p1 = p(1),
        p2 = p(2),
        p3 = p(3),
        p4 = p(4),
    );
    Statement::from_sql_and_values(
        backend,
        sql,
        [org.into(), org.into(), start(from).into(), start(to).into()],
    )
}

/// XYZ of companies as one hand-written statement: revenue per company and month, the mean
/// and the population variance over the period's `months` (months without sales count as 0),
/// the class by the squared coefficient of variation (no square root in SQLite), steadiest
/// first, then by id.
fn xyz_sql(backend: DbBackend, org: Uuid, (from, to): (&str, &str), months: usize) -> Statement {
    let pg = backend == DbBackend::Postgres;
    let (num, month, day) = if pg {
        (
            "numeric",
            "to_char(d.ordered_at AT TIME ZONE 'UTC', 'YYYY-MM')",
            "to_char(d.ordered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        )
    } else {
        (
            "REAL",
            "substr(d.ordered_at, 1, 7)",
            "substr(d.ordered_at, 1, 10)",
        )
    };
    let p = |i| super::p(backend, i);
    let sql = format!(
        "WITH m AS (\
           SELECT d.company_id AS id, {month} AS month, SUM(CAST(l.net_amount AS {num}) * \
             CASE WHEN d.currency = s.base THEN 1 ELSE CAST(r.rate AS {num}) END) AS amount \
           FROM sales_documents d JOIN document_lines l ON l.document_id = d.id \
           CROSS JOIN (SELECT COALESCE((SELECT base_currency FROM analytics_settings \
             WHERE org_id = {p1}), 'EUR') AS base) s \
           LEFT JOIN exchange_rates r ON r.org_id = d.org_id AND r.base_currency = s.base \
             AND r.currency = d.currency AND r.rate_date = {day} \
           WHERE d.org_id = {p2} AND d.doc_type = 'order' AND d.status <> 'cancelled' \
             AND d.deleted_at IS NULL AND d.ordered_at >= {p3} AND d.ordered_at < {p4} \
             AND d.company_id IS NOT NULL AND (d.currency = s.base OR r.rate IS NOT NULL) \
           GROUP BY 1, 2), \
         s AS (SELECT id, SUM(amount) / {months} AS mean, \
           SUM(amount * amount) / {months} AS sq FROM m GROUP BY id), \
         k AS (SELECT id, mean, CASE WHEN mean > 0 THEN (sq - mean * mean) / (mean * mean) \
           END AS cv2 FROM s) \
         SELECT k.id, c.name, k.mean, k.cv2, \
           CASE WHEN k.cv2 <= 0.01 THEN 'X' WHEN k.cv2 <= 0.0625 THEN 'Y' ELSE 'Z' END AS class \
         FROM k LEFT JOIN companies c ON c.id = k.id \
         ORDER BY k.cv2 IS NULL, k.cv2, k.id",
        p1 = p(1),
        p2 = p(2),
        p3 = p(3),
        p4 = p(4),
    );
    Statement::from_sql_and_values(
        backend,
        sql,
        [org.into(), org.into(), start(from).into(), start(to).into()],
    )
}

/// The months `[from, to)` touches, as the reports count them.
fn months_between(from: &str, to: &str) -> usize {
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap_or_default();
    let (a, b) = (day(from), day(to).pred_opt().unwrap_or_default());
    let index = |d: chrono::NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    usize::try_from(index(b) - index(a) + 1).unwrap_or(1).max(1)
}

/// RFM of companies as one hand-written statement: per company the days since its last
/// purchase day before `reference`, its purchase days and its revenue, quintile scores by
/// `ntile(5)` over (value, id) (recency: fewer days scores 5), and the segment of its R and F
/// scores from `segments` (`"RF"` -> name).
fn rfm_sql(
    backend: DbBackend,
    org: Uuid,
    (from, to): (&str, &str),
    reference: &str,
    segments: &serde_json::Map<String, serde_json::Value>,
) -> Statement {
    let pg = backend == DbBackend::Postgres;
    let (num, day, days) = if pg {
        (
            "numeric",
            "(d.ordered_at AT TIME ZONE 'UTC')::date",
            format!("CAST({} AS date) - MAX(day)", super::p(backend, 5)),
        )
    } else {
        (
            "REAL",
            "substr(d.ordered_at, 1, 10)",
            "CAST(julianday(?) - julianday(MAX(day)) AS INTEGER)".to_owned(),
        )
    };
    let table: Vec<String> = segments
        .iter()
        .map(|(k, v)| {
            format!(
                "('{}', '{}')",
                k.replace('\'', "''"),
                v.as_str().unwrap_or_default().replace('\'', "''")
            )
        })
        .collect();
    let p = |i| super::p(backend, i);
    let rate_day = if pg {
        "to_char(d.ordered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    } else {
        "substr(d.ordered_at, 1, 10)"
    };
    let sql = format!(
        "WITH tx AS (\
           SELECT d.company_id AS id, {day} AS day, SUM(CAST(l.net_amount AS {num}) * \
             CASE WHEN d.currency = s.base THEN 1 ELSE CAST(r.rate AS {num}) END) AS amount \
           FROM sales_documents d JOIN document_lines l ON l.document_id = d.id \
           CROSS JOIN (SELECT COALESCE((SELECT base_currency FROM analytics_settings \
             WHERE org_id = {p1}), 'EUR') AS base) s \
           LEFT JOIN exchange_rates r ON r.org_id = d.org_id AND r.base_currency = s.base \
             AND r.currency = d.currency AND r.rate_date = {rate_day} \
           WHERE d.org_id = {p2} AND d.doc_type = 'order' AND d.status <> 'cancelled' \
             AND d.deleted_at IS NULL AND d.ordered_at >= {p3} AND d.ordered_at < {p4} \
             AND d.company_id IS NOT NULL AND (d.currency = s.base OR r.rate IS NOT NULL) \
           GROUP BY 1, 2), \
         c AS (SELECT id, {days} AS days, COUNT(*) AS frequency, SUM(amount) AS monetary \
           FROM tx GROUP BY id), \
         q AS (SELECT id, days, frequency, monetary, \
           6 - ntile(5) OVER (ORDER BY days, id) AS r, \
           ntile(5) OVER (ORDER BY frequency, id) AS f, \
           ntile(5) OVER (ORDER BY monetary, id) AS m FROM c), \
         seg(k, name) AS (VALUES {table}) \
         SELECT q.id, q.days, q.frequency, q.monetary, q.r, q.f, q.m, seg.name \
         FROM q LEFT JOIN seg ON seg.k = CAST(q.r AS text) || CAST(q.f AS text) \
         ORDER BY q.r + q.f + q.m DESC, q.monetary DESC, q.id",
        p1 = p(1),
        p2 = p(2),
        p3 = p(3),
        p4 = p(4),
        table = table.join(", "),
    );
    let mut values: Vec<sea_orm::Value> =
        vec![org.into(), org.into(), start(from).into(), start(to).into()];
    // Last in the text on both engines (SQLite numbers its `?` in order).
    values.push(reference.to_owned().into());
    Statement::from_sql_and_values(backend, sql, values)
}

/// S6.
pub(crate) async fn s6(env: &Env) -> Result<Vec<Row>, String> {
    let (from, to) = period(env).await?;
    let org = env.data.org_id;
    let mut rows = Vec::new();

    // The measurements' own client: reports take a second, and the in-flight ones a
    // measurement drops at its end must not leave the other scenarios' connection pool in a
    // state they would then find broken.
    let own = std::rc::Rc::new(super::client::Ctx {
        client: awc::Client::builder()
            .connector(awc::Connector::new().limit(64))
            .timeout(Duration::from_secs(120))
            .finish(),
        base: env.admin.base.clone(),
        token: env.admin.token.clone(),
        data: env.admin.data.clone(),
    });

    // A data set reused from an earlier run keeps that run's analytics refresh enabled: off,
    // so that it does not compute reports beside the ones measured from scratch.
    env.admin
        .put_json("/api/v1/analytics/refresh", json!({"enabled": false}))
        .await?;

    // 1. ABC, RFM (with the organization's segment table) and XYZ from scratch.
    let query = format!("subject=companies&from={from}&to={to}&limit=100");
    let stmt = abc_sql(env.backend(), org, &from, &to);
    let path = format!("/api/v1/analytics/abc?{query}");
    rows.push(
        from_scratch(
            env,
            &own,
            "S6 ABC of companies, from scratch",
            "companies classified",
            path,
            stmt,
            "items",
        )
        .await?,
    );
    let settings = env.admin.get("/api/v1/analytics/settings").await?;
    let segments = settings["rfm_segments"]
        .as_object()
        .cloned()
        .ok_or("no segment table in the settings")?;
    let stmt = rfm_sql(env.backend(), org, (&from, &to), &to, &segments);
    let path = format!("/api/v1/analytics/rfm?{query}&reference_date={to}");
    rows.push(
        from_scratch(
            env,
            &own,
            "S6 RFM of companies, from scratch",
            "companies scored",
            path,
            stmt,
            "items",
        )
        .await?,
    );
    let months = months_between(&from, &to);
    let stmt = xyz_sql(env.backend(), org, (&from, &to), months);
    let path = format!("/api/v1/analytics/xyz?{query}");
    let what = format!("companies classed over {months} months");
    rows.push(
        from_scratch(
            env,
            &own,
            "S6 XYZ of companies, from scratch",
            &what,
            path,
            stmt,
            "items",
        )
        .await?,
    );
    rows.extend(super::analytics_more::s6_more(env, &own, (&from, &to)).await?);

    // 2. The rollups: turned on (every order folded; off first, so that a data set reused
    // from an earlier run is folded again), then one company's months.
    env.admin
        .put_json("/api/v1/analytics/rollups", json!({"enabled": false}))
        .await?;
    // What an earlier run folded is dropped, so that the build is measured from nothing.
    // Their count of folded orders goes with them (it is kept as orders come and go).
    for sql in [
        "DELETE FROM analytics_monthly_revenue WHERE org_id = {}",
        "DELETE FROM analytics_rollup_orders WHERE org_id = {}",
        "UPDATE analytics_rollup SET orders = 0 WHERE org_id = {}",
    ] {
        env.db
            .execute_raw(Statement::from_sql_and_values(
                env.backend(),
                sql.replace("{}", &super::p(env.backend(), 1)),
                [org.into()],
            ))
            .await
            .map_err(|e| e.to_string())?;
    }
    let started = Instant::now();
    let on = env
        .admin
        .put_json("/api/v1/analytics/rollups", json!({"enabled": true}))
        .await?;
    if on["enabled"] != true {
        return Err(format!("the rollups did not turn on: {on}"));
    }
    let mut state = on;
    while state["rebuilding"] != false || state["current_at"].is_null() {
        if started.elapsed() > Duration::from_secs(1800) {
            return Err(format!(
                "the rollups took over 30 minutes to build: {state}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        state = env.admin.get("/api/v1/analytics/rollups").await?;
    }
    let built = started.elapsed();
    let orders = state["orders"].as_i64().unwrap_or(0);
    let backend = env.backend();
    let companies: Vec<Uuid> = env
        .db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT DISTINCT company_id FROM sales_documents WHERE org_id = {} \
                 AND company_id IS NOT NULL LIMIT 1000",
                super::p(backend, 1)
            ),
            [org.into()],
        ))
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .filter_map(|r| r.try_get::<Uuid>("", "company_id").ok())
        .collect();
    if companies.is_empty() {
        return Err("no company with orders".into());
    }
    let (c, ids) = (own.clone(), std::rc::Rc::new(companies.clone()));
    let window = (from.clone(), to.clone());
    let api = env
        .measure(move |w, i| {
            let (c, ids, (from, to)) = (c.clone(), ids.clone(), window.clone());
            async move {
                let id = ids[(w * 7919 + i as usize * 104_729) % ids.len()];
                let r = c
                    .get(&format!(
                        "/api/v1/analytics/monthly-revenue?subject=companies&id={id}&from={from}&to={to}"
                    ))
                    .await?;
                r["items"]
                    .as_array()
                    .is_some_and(|i| !i.is_empty() && i[0]["id"] == json!(id))
                    .then_some(())
                    .ok_or_else(|| format!("no months for company {id}"))
            }
        })
        .await;
    let month_of = |d: &str| format!("{}-01", &d[..7]);
    let read = |id: Uuid| {
        let p = |i| super::p(backend, i);
        Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT subject_id, month, revenue, orders, orders_without_rate, lines, quantity \
                 FROM analytics_monthly_revenue WHERE org_id = {} AND subject_type = 'companies' \
                 AND month >= {} AND month < {} AND subject_id = {} \
                 ORDER BY subject_id, month LIMIT 100 OFFSET 0",
                p(1),
                p(2),
                p(3),
                p(4)
            ),
            [
                org.into(),
                month_of(&from).into(),
                to.clone().into(),
                id.into(),
            ],
        )
    };
    let placeholder = Uuid::nil();
    let script = Script::of_statement(
        &format!("\\set n random(0, {})", companies.len() - 1),
        &read(placeholder),
    )
    .and_then(|s| {
        s.replace_value(
            &placeholder.to_string(),
            "(SELECT company_id FROM crm_bench_companies WHERE n = :n)",
        )
    });
    let pgbench = if env.pgbench.is_some() {
        fill_companies(env, &companies).await?;
        env.pgbench(script.map(|s| vec![s])).await
    } else {
        None
    };
    let driver = env
        .driver(companies.iter().map(|id| read(*id)).collect())
        .await;
    let p95_ok = api.p95 <= Duration::from_millis(100);
    rows.push(Row {
        name: "S6 a company's monthly revenue, rollups",
        note: format!(
            "p95 {} ms (target <= 100 ms); rollups turned on and {orders} orders folded in {:.1} s",
            ms(api.p95),
            built.as_secs_f64()
        ),
        api,
        pgbench,
        driver,
        target: 0.0,
        other_targets_met: p95_ok,
    });

    // 3. A new order in the rollups (the second organization).
    rows.push(freshness(env).await?);
    // 4. The overview, with the rollups still on (its monthly section reads them).
    rows.push(super::analytics_dashboard::overview(env, own).await?);
    // Off again: their followers do not run beside the scenarios after this one.
    for c in [&env.admin, &env.writer] {
        c.put_json("/api/v1/analytics/rollups", json!({"enabled": false}))
            .await?;
    }
    Ok(rows)
}

/// One report computed from scratch (`path`, a page of companies) against its hand-made
/// statement run by pgbench and through the driver. Target: within 1.15x of the statement's
/// time (ratio >= 0.87).
pub(super) async fn from_scratch(
    env: &Env,
    own: &std::rc::Rc<super::client::Ctx>,
    name: &'static str,
    what: &str,
    path: String,
    stmt: Statement,
    list: &'static str,
) -> Result<Row, String> {
    let c = own.clone();
    let api = env
        .measure(move |_, _| {
            let (c, path) = (c.clone(), path.clone());
            async move {
                let r = c.get(&path).await?;
                r[list]
                    .as_array()
                    .is_some_and(|i| !i.is_empty())
                    .then_some(())
                    .ok_or_else(|| format!("an empty report at {path}: {}", r["scope"]))
            }
        })
        .await;
    let answered = sql(
        &env.db,
        &stmt.sql,
        stmt.values.clone().map(|v| v.0).unwrap_or_default(),
    )
    .await?;
    let pgbench = env
        .pgbench(Script::of_statement("", &stmt).map(|s| vec![s]))
        .await;
    let driver = env.driver(vec![stmt]).await;
    Ok(Row {
        name,
        note: format!(
            "{answered} {what} per request; p50 {} ms, p95 {} ms",
            ms(api.p50),
            ms(api.p95)
        ),
        api,
        pgbench,
        driver,
        target: 0.87,
        other_targets_met: true,
    })
}

/// Numbers the companies for pgbench's random draw.
async fn fill_companies(env: &Env, ids: &[Uuid]) -> Result<(), String> {
    let run = |s: String| async move {
        env.db
            .execute_unprepared(&s)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    run("DROP TABLE IF EXISTS crm_bench_companies".into()).await?;
    run("CREATE UNLOGGED TABLE crm_bench_companies (n integer PRIMARY KEY, company_id uuid NOT NULL)".into())
        .await?;
    let values: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("({i}, '{id}')"))
        .collect();
    run(format!(
        "INSERT INTO crm_bench_companies (n, company_id) VALUES {}",
        values.join(", ")
    ))
    .await
}

/// Orders created one after the other, each waited for in the organization's months.
async fn freshness(env: &Env) -> Result<Row, String> {
    let w = env.writer.clone();
    w.put_json("/api/v1/analytics/rollups", json!({"enabled": false}))
        .await?;
    w.put_json("/api/v1/analytics/rollups", json!({"enabled": true}))
        .await?;
    let mut state = w.get("/api/v1/analytics/rollups").await?;
    let started = Instant::now();
    while state["rebuilding"] != false || state["current_at"].is_null() {
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!(
                "the second organization's rollups did not build: {state}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        state = w.get("/api/v1/analytics/rollups").await?;
    }
    let total = |v: &serde_json::Value, month: &str| -> i64 {
        v["items"]
            .as_array()
            .and_then(|i| i.iter().find(|m| m["month"] == json!(month)))
            .and_then(|m| m["orders"].as_i64())
            .unwrap_or(0)
    };
    let today = Utc::now().date_naive();
    let month = format!("{}-01", &today.to_string()[..7]);
    let path = format!(
        "/api/v1/analytics/monthly-revenue?from={month}&to={}",
        today.succ_opt().unwrap_or(today)
    );
    let mut lags = Vec::with_capacity(FRESH_ORDERS);
    let mut error = None;
    for k in 0..FRESH_ORDERS {
        let before = total(&w.get(&path).await?, &month);
        let contact = w.data.writer_contact_ids[k % w.data.writer_contact_ids.len()];
        let sent = Instant::now();
        w.post_json(
            "/api/v1/orders",
            json!({"currency": "EUR", "contact_id": contact, "ordered_at": Utc::now(),
                   "lines": [{"description": "Bench", "quantity": "1", "unit_price": "10", "tax_rate": "19"}]}),
        )
        .await?;
        loop {
            if total(&w.get(&path).await?, &month) > before {
                lags.push(sent.elapsed());
                break;
            }
            if sent.elapsed() > Duration::from_secs(30) {
                error.get_or_insert_with(|| format!("order {k} not in the rollups after 30 s"));
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    lags.sort();
    let at = |q: f64| {
        lags.get(((lags.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    let worst = lags.last().copied().unwrap_or_default();
    let api = Stats {
        requests: lags.len() as u64,
        errors: u64::from(error.is_some()),
        first_error: error,
        p50: at(0.5),
        p95: at(0.95),
        p99: worst,
        throughput: 0.0,
    };
    Ok(Row {
        name: "S6 a new order in the rollups (lag)",
        note: format!(
            "{FRESH_ORDERS} orders: lag p50 {} ms, max {} ms (target <= 5 s)",
            ms(at(0.5)),
            ms(worst)
        ),
        other_targets_met: worst <= Duration::from_secs(5),
        api,
        pgbench: None,
        driver: Stats::default(),
        target: 0.0,
    })
}
