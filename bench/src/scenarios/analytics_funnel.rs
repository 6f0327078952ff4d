//! S6, continued: the funnel of the default pipeline from scratch, against the same result
//! written by hand as one SQL statement (run by pgbench and through the driver), with the
//! target of the other reports (the API within 1.15x of the statement's time).
//!
//! Per stage: the deals that entered it in the period, those of them that went on to a later
//! stage that is not lost (open stages), the days spent in it (mean and median of the stays that
//! ended); of the pipeline's deals, those open now and those won and lost in the period, the
//! won deals' average size (converted at the closing day's rate) and sales cycle, and the
//! velocity from them; leads of the period by source channel. The generator gives every deal
//! its way through the stages (`deal_stage_history`), so the stays are the data's own.

use super::analytics::{from_scratch, start};
use super::{Env, Row};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

/// The funnel from scratch (`own`: the measurements' own client).
pub(super) async fn s6_funnel(
    env: &Env,
    own: &std::rc::Rc<super::client::Ctx>,
    (from, to): (&str, &str),
) -> Result<Row, String> {
    let stmt = funnel_sql(env.backend(), env.data.org_id, (from, to));
    let path = format!("/api/v1/analytics/funnel?from={from}&to={to}");
    agree(env, &stmt, &env.admin.get(&path).await?).await?;
    from_scratch(
        env,
        own,
        "S6 funnel of the pipeline, from scratch",
        "stages, deal and lead figures",
        path,
        stmt,
        "stages",
    )
    .await
}

/// Checks that the statement computes what the API answers: each stage's deals entered and
/// converted and its mean and median days, the deals open, won and lost, the average won
/// deal and the cycle.
async fn agree(env: &Env, stmt: &Statement, api: &serde_json::Value) -> Result<(), String> {
    let rows = env
        .db
        .query_all_raw(stmt.clone())
        .await
        .map_err(|e| e.to_string())?;
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * a.abs().max(1.0),
        (a, b) => a.is_none() && b.is_none(),
    };
    let stages = api["stages"].as_array().cloned().unwrap_or_default();
    let mut seen = 0;
    for row in &rows {
        let get = |c: &str| row.try_get::<Option<f64>>("", c).map_err(|e| e.to_string());
        let int = |c: &str| row.try_get::<Option<i64>>("", c).map_err(|e| e.to_string());
        let part: String = row.try_get("", "part").map_err(|e| e.to_string())?;
        let mismatch = |what: &str| {
            Err(format!(
                "the funnel statement and the API differ on {what}: {api}"
            ))
        };
        match part.as_str() {
            "stage" => {
                seen += 1;
                let name: Option<String> = row.try_get("", "label").map_err(|e| e.to_string())?;
                let Some(s) = stages
                    .iter()
                    .find(|s| s["name"].as_str() == name.as_deref())
                else {
                    return mismatch("the stages");
                };
                if s["entered"].as_i64() != int("a")?
                    || s["converted"].as_i64() != int("b")?
                    || !close(s["average_days"].as_f64(), get("x")?)
                    || !close(s["median_days"].as_f64(), get("y")?)
                {
                    return mismatch(&format!("stage {name:?}"));
                }
            }
            "deals" => {
                let size = api["average_deal_size"]
                    .as_str()
                    .and_then(|a| a.parse::<f64>().ok());
                // The API rounds the average to cents.
                let same_size = match (size, get("x")?) {
                    (Some(a), Some(b)) => (a - b).abs() < 0.01,
                    (a, b) => a.is_none() && b.is_none(),
                };
                if api["open_deals"].as_i64() != int("n")?
                    || api["won"].as_i64() != int("a")?
                    || api["lost"].as_i64() != int("b")?
                    || !close(api["sales_cycle_days"].as_f64(), get("y")?)
                    || !same_size
                {
                    return mismatch("the deals");
                }
            }
            _ => {}
        }
    }
    if seen != stages.len() || seen == 0 {
        return Err(format!("the funnel statement found {seen} stages: {api}"));
    }
    Ok(())
}

/// The funnel as one hand-written statement: rows of `part` 'stage' (name, position,
/// entered, converted, mean and median days), one of `part` 'deals' (open, won, lost, average
/// size, cycle days, velocity) and one per lead source channel.
fn funnel_sql(backend: DbBackend, org: Uuid, (from, to): (&str, &str)) -> Statement {
    let pg = backend == DbBackend::Postgres;
    // Numbered marks on both engines: each value is used several times.
    let p = |i| if pg { format!("${i}") } else { format!("?{i}") };
    let (o, lo, hi) = (p(1), p(2), p(3));
    // Dialect: days between two times, a decimal, a float, the closing day, the median.
    let days = |a: &str, b: &str| {
        if pg {
            format!("EXTRACT(EPOCH FROM {b} - {a}) / 86400")
        } else {
            format!("(julianday({b}) - julianday({a}))")
        }
    };
    let (num, float, day) = if pg {
        (
            "numeric",
            "float8",
            "to_char(d.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        )
    } else {
        ("REAL", "REAL", "substr(d.closed_at, 1, 10)")
    };
    let stay = days("v.entered_at", "v.left_at");
    // PostgreSQL has the median as an aggregate; SQLite takes the middle one or two stays.
    let (median_cte, median, median_join) = if pg {
        (
            String::new(),
            format!("percentile_cont(0.5) WITHIN GROUP (ORDER BY {stay})"),
            "",
        )
    } else {
        (
            format!(
                "ranked AS (SELECT v.stage_id, {stay} AS d, ROW_NUMBER() OVER \
                   (PARTITION BY v.stage_id ORDER BY {stay}) AS k, COUNT(*) OVER \
                   (PARTITION BY v.stage_id) AS n FROM v WHERE v.left_at IS NOT NULL \
                   AND v.entered_at >= {lo} AND v.entered_at < {hi}), \
                 mid AS (SELECT stage_id, AVG(d) AS median FROM ranked \
                   WHERE k IN ((n + 1) / 2, (n + 2) / 2) GROUP BY stage_id), "
            ),
            "MAX(mid.median)".to_owned(),
            "LEFT JOIN mid ON mid.stage_id = s.id",
        )
    };
    let won_in = format!("d.status = 'won' AND d.closed_at >= {lo} AND d.closed_at < {hi}");
    let cycle = days("d.created_at", "d.closed_at");
    let sql = format!(
        "WITH pl AS (SELECT id FROM pipelines WHERE org_id = {o} AND deleted_at IS NULL \
           ORDER BY is_default DESC, id LIMIT 1), \
         s AS (SELECT id, name, position, stage_type FROM pipeline_stages \
           WHERE org_id = {o} AND pipeline_id = (SELECT id FROM pl)), \
         v AS (SELECT h.deal_id, h.stage_id, h.entered_at, h.left_at, \
           MAX(CASE WHEN s.stage_type <> 'lost' THEN s.position END) OVER (PARTITION BY \
             h.deal_id ORDER BY h.entered_at, h.id ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED \
             FOLLOWING) AS later \
           FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id AND d.deleted_at IS NULL \
           JOIN s ON s.id = h.stage_id \
           WHERE h.org_id = {o} AND h.pipeline_id = (SELECT id FROM pl)), \
         {median_cte}\
         st AS (SELECT s.name, s.position, COUNT(DISTINCT v.deal_id) AS entered, \
           COUNT(DISTINCT CASE WHEN s.stage_type = 'open' AND v.later > s.position \
             THEN v.deal_id END) AS converted, \
           AVG({stay}) AS average_days, {median} AS median_days \
           FROM s LEFT JOIN v ON v.stage_id = s.id AND v.entered_at >= {lo} \
             AND v.entered_at < {hi} {median_join} \
           GROUP BY s.id, s.name, s.position), \
         base AS (SELECT COALESCE((SELECT base_currency FROM analytics_settings \
           WHERE org_id = {o}), 'EUR') AS base), \
         dl AS (SELECT \
           COUNT(CASE WHEN d.status = 'open' THEN 1 END) AS open_deals, \
           COUNT(CASE WHEN {won_in} THEN 1 END) AS won, \
           COUNT(CASE WHEN d.status = 'lost' AND d.closed_at >= {lo} AND d.closed_at < {hi} \
             THEN 1 END) AS lost, \
           AVG(CASE WHEN {won_in} THEN CAST(d.amount AS {num}) * CASE WHEN d.currency = b.base \
             THEN 1 ELSE CAST(r.rate AS {num}) END END) AS size, \
           AVG(CASE WHEN {won_in} AND d.closed_at >= d.created_at THEN {cycle} END) AS cycle \
           FROM deals d CROSS JOIN base b \
           LEFT JOIN exchange_rates r ON r.org_id = d.org_id AND r.base_currency = b.base \
             AND r.currency = d.currency AND r.rate_date = {day} \
           WHERE d.org_id = {o} AND d.pipeline_id = (SELECT id FROM pl) \
             AND d.deleted_at IS NULL), \
         ld AS (SELECT COALESCE(source_channel, 'unknown') AS channel, COUNT(*) AS leads, \
           COUNT(CASE WHEN status = 'converted' THEN 1 END) AS converted FROM leads \
           WHERE org_id = {o} AND deleted_at IS NULL AND created_at >= {lo} \
             AND created_at < {hi} GROUP BY 1) \
         SELECT 'stage' AS part, name AS label, position AS n, entered AS a, converted AS b, \
           CAST(average_days AS {float}) AS x, CAST(median_days AS {float}) AS y, \
           CAST(NULL AS {float}) AS z FROM st \
         UNION ALL SELECT 'deals', NULL, open_deals, won, lost, CAST(size AS {float}), \
           CAST(cycle AS {float}), CAST(size * open_deals * won / NULLIF(won + lost, 0) \
             / NULLIF(cycle, 0) AS {float}) FROM dl \
         UNION ALL SELECT 'lead', channel, NULL, leads, converted, \
           CAST(converted AS {float}) / leads, NULL, NULL FROM ld"
    );
    let values: [Value; 3] = [org.into(), start(from).into(), start(to).into()];
    Statement::from_sql_and_values(backend, sql, values)
}
