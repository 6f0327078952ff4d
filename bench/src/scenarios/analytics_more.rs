//! S6, continued: retention and profitability of companies from scratch (then the funnel and
//! the baskets, in their own files), each against the same
//! result written by hand as one SQL statement (run by pgbench and through the driver), with
//! the target of the other reports (the API within 1.15x of the statement's time).
//!
//! - **Retention**: monthly cohorts by first order month (every order before the period's end
//!   counts for the first one), a cell per cohort and month up to `periods` months later with
//!   the cohort's customers who ordered in it, and per month of the period the customers active
//!   at its start (an order within `inactive_days` before it) and those of them no longer active
//!   at the next month's start.
//! - **Profitability**: per company with orders or activities in the period, revenue (lines
//!   converted at the order day's rate), cost of goods (quantity x the line's cost, else its
//!   product's cost price, converted at the order day's rate of the cost's currency), the lines
//!   without a cost, the activities per kind and the cost to serve them (the settings'
//!   `activity_costs`), lowest profit first. The harness gives every product a cost price and
//!   the organization activity costs first, so that the costs are computed, not skipped.

use super::analytics::{from_scratch, start};
use super::{Env, Row};
use chrono::{Datelike, Months, NaiveDate};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

/// The inactivity window of the retention measured (the API's default).
const INACTIVE_DAYS: i64 = 90;
/// The months after its own that a cohort's cells reach (the API's default).
const PERIODS: u32 = 12;

fn date(d: &str) -> NaiveDate {
    NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap_or_default()
}

/// Retention and profitability from scratch (`own`: the measurements' own client).
pub(super) async fn s6_more(
    env: &Env,
    own: &std::rc::Rc<super::client::Ctx>,
    (from, to): (&str, &str),
) -> Result<Vec<Row>, String> {
    let org = env.data.org_id;
    let mut rows = Vec::new();
    let stmt = retention_sql(env.backend(), org, (from, to));
    let path = format!(
        "/api/v1/analytics/retention?subject=companies&from={from}&to={to}\
         &inactive_days={INACTIVE_DAYS}&periods={PERIODS}"
    );
    rows.push(
        from_scratch(
            env,
            own,
            "S6 retention of companies, from scratch",
            "cohort cells and churn months",
            path,
            stmt,
            "cohorts",
        )
        .await?,
    );

    // Costs to compute: every product's cost price, and a cost per activity kind.
    let backend = env.backend();
    env.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE products SET cost_price = '12.50', cost_currency = 'EUR' \
                 WHERE org_id = {}",
                super::p(backend, 1)
            ),
            [org.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    env.admin
        .put_json(
            "/api/v1/analytics/settings",
            json!({"activity_costs": {"call": "4.50", "meeting": "60", "email": "0.50"}}),
        )
        .await?;
    let stmt = profit_sql(backend, org, (from, to));
    let path =
        format!("/api/v1/analytics/profitability?subject=companies&from={from}&to={to}&limit=100");
    rows.push(
        from_scratch(
            env,
            own,
            "S6 profitability of companies, from scratch",
            "companies costed",
            path,
            stmt,
            "items",
        )
        .await?,
    );
    rows.push(super::analytics_funnel::s6_funnel(env, own, (from, to)).await?);
    rows.extend(super::analytics_baskets::s6_baskets(env, own, (from, to)).await?);
    Ok(rows)
}

/// Retention of companies as one hand-written statement: the cohort cells (`part` 'cohort':
/// the cohort's month, the month, its size, its customers ordering in that month) and the
/// churn months (`part` 'churn': the month, customers active at its start, churned).
fn retention_sql(backend: DbBackend, org: Uuid, (from, to): (&str, &str)) -> Statement {
    let pg = backend == DbBackend::Postgres;
    // The months of the period, as literals: the planner then knows there are a few dozen
    // (a set-returning function is estimated at a thousand rows, which made the range join
    // below look costly enough to be JIT-compiled, 600 ms of a 790 ms statement).
    let mut months = Vec::new();
    let mut m = date(from).with_day(1).unwrap_or_default();
    let last = date(to).pred_opt().unwrap_or_default();
    while m <= last {
        months.push(if pg {
            format!("(DATE '{m}')")
        } else {
            format!("('{m}')")
        });
        m = m
            .checked_add_months(Months::new(1))
            .unwrap_or(last.succ_opt().unwrap_or(last));
    }
    let months = format!("VALUES {}", months.join(", "));
    let w = INACTIVE_DAYS;
    // Dialect: the order day, a day's month, month arithmetic.
    type Month = fn(&str) -> String;
    type Plus = fn(&str, u32) -> String;
    type Minus = fn(&str, i64) -> String;
    let (day, month_of, plus_months, minus_days): (&str, Month, Plus, Minus) = if pg {
        (
            "(ordered_at AT TIME ZONE 'UTC')::date",
            |d: &str| format!("CAST(date_trunc('month', {d}) AS date)"),
            |d: &str, n: u32| format!("CAST({d} + interval '{n} months' AS date)"),
            |d: &str, n: i64| format!("({d} - {n})"),
        )
    } else {
        (
            "substr(ordered_at, 1, 10)",
            |d: &str| format!("(substr({d}, 1, 7) || '-01')"),
            |d: &str, n: u32| format!("date({d}, '+{n} months')"),
            |d: &str, n: i64| format!("date({d}, '-{n} days')"),
        )
    };
    let from_day = if pg {
        format!("DATE '{from}'")
    } else {
        format!("'{from}'")
    };
    let p = |i| super::p(backend, i);
    let next = plus_months("months.m", 1);
    let sql = format!(
        "WITH o AS (\
           SELECT company_id AS id, {day} AS day FROM sales_documents \
           WHERE org_id = {p1} AND doc_type = 'order' AND status <> 'cancelled' \
             AND deleted_at IS NULL AND ordered_at < {p2} AND company_id IS NOT NULL \
           GROUP BY 1, 2), \
         c AS (SELECT id, {first_of} AS cohort FROM o GROUP BY id HAVING MIN(day) >= {from_day}), \
         sizes AS (SELECT cohort, COUNT(*) AS size FROM c GROUP BY cohort), \
         cells AS (SELECT c.cohort, {month_of_day} AS month, COUNT(DISTINCT o.id) AS customers \
           FROM c JOIN o ON o.id = c.id GROUP BY 1, 2), \
         months(m) AS ({months}), \
         grid AS (SELECT s.cohort, s.size, months.m FROM sizes s JOIN months \
           ON months.m >= s.cohort AND months.m <= {last_cell}), \
         flags AS (SELECT months.m, o.id, \
           MAX(CASE WHEN o.day < months.m THEN 1 ELSE 0 END) AS at_start, \
           MAX(CASE WHEN o.day >= {next_minus_w} THEN 1 ELSE 0 END) AS at_next \
           FROM months JOIN o ON o.day >= {m_minus_w} AND o.day < {next} GROUP BY 1, 2), \
         churn AS (SELECT m, SUM(at_start) AS active, \
           SUM(CASE WHEN at_start = 1 AND at_next = 0 THEN 1 ELSE 0 END) AS churned \
           FROM flags GROUP BY m) \
         SELECT 'cohort' AS part, g.cohort AS month, g.m AS at, g.size AS n, \
           COALESCE(cells.customers, 0) AS k \
         FROM grid g LEFT JOIN cells ON cells.cohort = g.cohort AND cells.month = g.m \
         UNION ALL \
         SELECT 'churn', months.m, NULL, COALESCE(churn.active, 0), COALESCE(churn.churned, 0) \
         FROM months LEFT JOIN churn ON churn.m = months.m \
         ORDER BY 1, 2, 3",
        p1 = p(1),
        p2 = p(2),
        first_of = month_of("MIN(day)"),
        month_of_day = month_of("o.day"),
        last_cell = plus_months("s.cohort", PERIODS),
        next_minus_w = minus_days(&next, w),
        m_minus_w = minus_days("months.m", w),
    );
    Statement::from_sql_and_values(backend, sql, [org.into(), start(to).into()])
}

/// Profitability of companies as one hand-written statement, lowest profit first.
fn profit_sql(backend: DbBackend, org: Uuid, (from, to): (&str, &str)) -> Statement {
    let pg = backend == DbBackend::Postgres;
    let (num, day, each, object) = if pg {
        (
            "numeric",
            "to_char(d.ordered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
            "jsonb_each_text",
            "jsonb_object_agg",
        )
    } else {
        (
            "REAL",
            "substr(d.ordered_at, 1, 10)",
            "json_each",
            "json_group_object",
        )
    };
    let p = |i| super::p(backend, i);
    let cost = "COALESCE(l.unit_cost, p.cost_price)";
    let cost_currency =
        "CASE WHEN l.unit_cost IS NULL THEN p.cost_currency ELSE l.cost_currency END";
    let sql = format!(
        "WITH s AS (SELECT COALESCE((SELECT base_currency FROM analytics_settings \
             WHERE org_id = {p1}), 'EUR') AS base), \
         g AS (\
           SELECT d.company_id AS id, SUM(CAST(l.net_amount AS {num}) * \
             CASE WHEN d.currency = s.base THEN 1 ELSE CAST(r.rate AS {num}) END) AS revenue, \
             SUM(CAST(l.quantity AS {num}) * CAST({cost} AS {num}) * \
               CASE WHEN {cost_currency} = s.base THEN 1 ELSE CAST(cr.rate AS {num}) END) AS cost, \
             SUM(CASE WHEN {cost} IS NULL OR {cost_currency} IS NULL \
               OR ({cost_currency} <> s.base AND cr.rate IS NULL) THEN 1 ELSE 0 END) AS uncosted \
           FROM sales_documents d JOIN document_lines l ON l.document_id = d.id \
           LEFT JOIN products p ON p.id = l.product_id CROSS JOIN s \
           LEFT JOIN exchange_rates r ON r.org_id = d.org_id AND r.base_currency = s.base \
             AND r.currency = d.currency AND r.rate_date = {day} \
           LEFT JOIN exchange_rates cr ON cr.org_id = d.org_id AND cr.base_currency = s.base \
             AND cr.currency = {cost_currency} AND cr.rate_date = {day} \
           WHERE d.org_id = {p2} AND d.doc_type = 'order' AND d.status <> 'cancelled' \
             AND d.deleted_at IS NULL AND d.ordered_at >= {p3} AND d.ordered_at < {p4} \
             AND d.company_id IS NOT NULL AND (d.currency = s.base OR r.rate IS NOT NULL) \
           GROUP BY d.company_id), \
         k AS (SELECT e.key AS kind, CAST(e.value AS {num}) AS each \
           FROM analytics_settings st, {each}(st.activity_costs) e WHERE st.org_id = {p5}), \
         x AS (SELECT company_id AS id, kind, COUNT(*) AS n FROM activities \
           WHERE org_id = {p6} AND deleted_at IS NULL AND occurred_at >= {p7} \
             AND occurred_at < {p8} AND company_id IS NOT NULL GROUP BY 1, 2), \
         a AS (SELECT x.id, SUM(x.n * COALESCE(k.each, 0)) AS serve, \
           {object}(x.kind, x.n) AS activities FROM x LEFT JOIN k ON k.kind = x.kind \
           GROUP BY x.id), \
         t AS (SELECT COALESCE(g.id, a.id) AS id, COALESCE(g.revenue, 0) AS revenue, \
           COALESCE(g.cost, 0) AS cost, COALESCE(g.uncosted, 0) AS uncosted, \
           a.activities, COALESCE(a.serve, 0) AS serve FROM g FULL JOIN a ON a.id = g.id) \
         SELECT t.id, c.name, t.revenue, t.cost, t.uncosted, t.revenue - t.cost AS gross, \
           t.activities, t.serve, t.revenue - t.cost - t.serve AS profit \
         FROM t LEFT JOIN companies c ON c.id = t.id ORDER BY profit, t.id",
        p1 = p(1),
        p2 = p(2),
        p3 = p(3),
        p4 = p(4),
        p5 = p(5),
        p6 = p(6),
        p7 = p(7),
        p8 = p(8),
    );
    Statement::from_sql_and_values(
        backend,
        sql,
        [
            org.into(),
            org.into(),
            start(from).into(),
            start(to).into(),
            org.into(),
            org.into(),
            start(from).into(),
            start(to).into(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_periods_months_are_named_from_their_first_day() {
        let s = retention_sql(
            DbBackend::Postgres,
            Uuid::nil(),
            ("2025-03-15", "2026-03-01"),
        );
        assert!(
            s.sql
                .contains("VALUES (DATE '2025-03-01'), (DATE '2025-04-01')"),
            "{}",
            s.sql
        );
        assert!(s.sql.contains("(DATE '2026-02-01')), grid"), "{}", s.sql);
        let s = retention_sql(DbBackend::Sqlite, Uuid::nil(), ("2025-03-15", "2026-03-01"));
        assert!(s.sql.contains("('2026-02-01')), grid"), "{}", s.sql);
    }
}
