//! The funnel of a pipeline (issue #14 item 5): per stage, the deals that entered it in the
//! period, their conversion to a later stage, and the days spent in it; the win rate, average
//! deal size, sales cycle and velocity of the deals closed in the period; lead conversion by
//! source channel.

use super::rates::Rates;
use super::revenue::{money, period};
use super::settings::base_currency;
use crate::dto::*;
use crate::error::Result;
use chrono::{DateTime, Utc};
use crm_core::{Action, Ctx, Error};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use uuid::Uuid;

const DAY_SECS: f64 = 86_400.0;

/// One stay of a deal in a stage: the stage, when it entered, when it left.
type Visit = (Uuid, DateTime<Utc>, Option<DateTime<Utc>>);

async fn rows(ctx: &Ctx, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>> {
    let db = &ctx.db;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            // `?` placeholders, numbered for PostgreSQL.
            let mut out = String::with_capacity(sql.len());
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => sql.to_owned(),
    };
    Ok(db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1000.0 / DAY_SECS
}

/// The funnel report of `params.pipeline_id` (default: the default pipeline).
pub async fn funnel_report(ctx: &Ctx, params: &AnalysisParams) -> Result<FunnelReport> {
    ctx.require(Action::Read)?;
    let (from, to, reference) = period(params)?;
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end = to.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let org: Value = ctx.org_id().into();
    let pipeline = match params.pipeline_id {
        Some(id) => rows(
            ctx,
            "SELECT id, name FROM pipelines WHERE org_id = ? AND id = ? AND deleted_at IS NULL",
            vec![org.clone(), id.into()],
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Error::invalid_field(
                "/pipeline_id",
                "not_found",
                "is not a pipeline of this organization",
            )
        })?,
        None => rows(
            ctx,
            "SELECT id, name FROM pipelines WHERE org_id = ? AND deleted_at IS NULL \
             ORDER BY is_default DESC, id ASC LIMIT 1",
            vec![org.clone()],
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Error::invalid_field("/pipeline_id", "required", "create a pipeline first")
        })?,
    };
    let pipeline_id: Uuid = pipeline.try_get("", "id")?;
    let pipeline_name: String = pipeline.try_get("", "name")?;
    let pid: Value = pipeline_id.into();

    // Stages in order.
    struct StageRow {
        id: Uuid,
        name: String,
        position: i32,
        kind: String,
    }
    let mut stages = Vec::new();
    for r in rows(
        ctx,
        "SELECT id, name, position, stage_type FROM pipeline_stages WHERE org_id = ? \
         AND pipeline_id = ? ORDER BY position, id",
        vec![org.clone(), pid.clone()],
    )
    .await?
    {
        stages.push(StageRow {
            id: r.try_get("", "id")?,
            name: r.try_get("", "name")?,
            position: r.try_get("", "position")?,
            kind: r.try_get("", "stage_type")?,
        });
    }
    let position: HashMap<Uuid, (i32, bool)> = stages
        .iter()
        .map(|s| (s.id, (s.position, s.kind == "lost")))
        .collect();

    // Every visit of the pipeline's live deals, oldest first.
    let mut visits: HashMap<Uuid, Vec<Visit>> = HashMap::new();
    for r in rows(
        ctx,
        "SELECT h.deal_id, h.stage_id, h.entered_at, h.left_at FROM deal_stage_history h \
         JOIN deals d ON d.id = h.deal_id AND d.deleted_at IS NULL \
         WHERE h.org_id = ? AND h.pipeline_id = ? ORDER BY h.entered_at, h.id",
        vec![org.clone(), pid.clone()],
    )
    .await?
    {
        visits.entry(r.try_get("", "deal_id")?).or_default().push((
            r.try_get("", "stage_id")?,
            r.try_get("", "entered_at")?,
            r.try_get("", "left_at")?,
        ));
    }
    let mut out_stages = Vec::new();
    for s in &stages {
        let open = s.kind == "open";
        let mut entered = BTreeSet::new();
        let mut converted = BTreeSet::new();
        let mut durations = Vec::new();
        for (deal, list) in &visits {
            for (i, (stage, at, left)) in list.iter().enumerate() {
                if *stage != s.id || *at < start || *at >= end {
                    continue;
                }
                entered.insert(*deal);
                if let Some(left) = left {
                    durations.push(days(*at, *left));
                }
                let later = list[i + 1..].iter().any(|(next, _, _)| {
                    position
                        .get(next)
                        .is_some_and(|(p, lost)| *p > s.position && !lost)
                });
                if open && later {
                    converted.insert(*deal);
                }
            }
        }
        let n = entered.len() as i64;
        out_stages.push(FunnelStage {
            stage_id: s.id,
            name: s.name.clone(),
            position: s.position,
            stage_type: s.kind.clone(),
            entered: n,
            converted: converted.len() as i64,
            conversion_rate: (open && n > 0).then(|| converted.len() as f64 / n as f64),
            average_days: (!durations.is_empty())
                .then(|| durations.iter().sum::<f64>() / durations.len() as f64),
            median_days: median(durations),
        });
    }

    // Deals: closed in the period, and open now.
    let base = base_currency(&ctx.db, ctx).await?;
    let rates = Rates::load(&ctx.db, ctx, &base).await?;
    let (mut won, mut lost, mut open_deals) = (0i64, 0i64, 0i64);
    let mut sizes: Vec<Decimal> = Vec::new();
    let mut cycles: Vec<f64> = Vec::new();
    let mut missing: BTreeSet<MissingRate> = BTreeSet::new();
    let mut without_rate = 0i64;
    for r in rows(
        ctx,
        "SELECT status, amount, currency, created_at, closed_at FROM deals WHERE org_id = ? \
         AND pipeline_id = ? AND deleted_at IS NULL",
        vec![org.clone(), pid],
    )
    .await?
    {
        let status: String = r.try_get("", "status")?;
        let closed: Option<DateTime<Utc>> = r.try_get("", "closed_at")?;
        if status == "open" {
            open_deals += 1;
            continue;
        }
        let Some(closed) = closed.filter(|c| *c >= start && *c < end) else {
            continue;
        };
        if status == "lost" {
            lost += 1;
            continue;
        }
        won += 1;
        let created: DateTime<Utc> = r.try_get("", "created_at")?;
        if closed >= created {
            cycles.push(days(created, closed));
        }
        let amount: Option<String> = r.try_get("", "amount")?;
        let currency: Option<String> = r.try_get("", "currency")?;
        if let (Some(a), Some(c)) = (amount, currency) {
            let a = Decimal::from_str(&a).unwrap_or_default();
            if c == base {
                sizes.push(a);
            } else if let Some(rate) = rates.on(&c, closed.date_naive()) {
                sizes.push(a.checked_mul(rate).ok_or_else(|| {
                    Error::internal("the amount of a won deal overflows its conversion")
                })?);
            } else {
                without_rate += 1;
                missing.insert(MissingRate {
                    currency: c,
                    date: closed.date_naive(),
                });
            }
        }
    }
    let win_rate = (won + lost > 0).then(|| won as f64 / (won + lost) as f64);
    let average = if sizes.is_empty() {
        None
    } else {
        let sum = sizes
            .iter()
            .try_fold(Decimal::ZERO, |t, s| t.checked_add(*s))
            .ok_or_else(|| Error::internal("the won deals' amounts overflow their sum"))?;
        sum.checked_div(Decimal::from(sizes.len()))
    };
    let cycle = (!cycles.is_empty()).then(|| cycles.iter().sum::<f64>() / cycles.len() as f64);
    let velocity = match (average, win_rate, cycle) {
        (Some(avg), Some(rate), Some(days)) if days > 0.0 => {
            let factor = Decimal::from_f64(rate / days).unwrap_or_default();
            avg.checked_mul(Decimal::from(open_deals))
                .and_then(|v| v.checked_mul(factor))
                .map(|v| money(v, &base))
        }
        _ => None,
    };

    // Leads captured in the period, by source channel.
    let mut sources: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in rows(
        ctx,
        "SELECT source_channel, status FROM leads WHERE org_id = ? AND deleted_at IS NULL \
         AND created_at >= ? AND created_at < ?",
        vec![org, start.into(), end.into()],
    )
    .await?
    {
        let channel: Option<String> = r.try_get("", "source_channel")?;
        let status: String = r.try_get("", "status")?;
        let e = sources
            .entry(channel.unwrap_or_else(|| "unknown".to_owned()))
            .or_insert((0, 0));
        e.0 += 1;
        if status == "converted" {
            e.1 += 1;
        }
    }
    let lead_sources = sources
        .into_iter()
        .map(|(channel, (leads, converted))| LeadSource {
            channel,
            leads,
            converted,
            conversion_rate: converted as f64 / leads.max(1) as f64,
        })
        .collect();
    Ok(FunnelReport {
        scope: FunnelScope {
            pipeline_id,
            pipeline_name,
            from,
            to,
            reference_date: reference,
            base_currency: base.clone(),
            deals_without_rate: without_rate,
            missing_rates: missing.into_iter().take(100).collect(),
            computed_at: Utc::now(),
        },
        stages: out_stages,
        won,
        lost,
        win_rate,
        average_deal_size: average.map(|a| money(a, &base)),
        sales_cycle_days: cycle,
        open_deals,
        pipeline_velocity: velocity,
        lead_sources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(Vec::new()), None);
    }
}
