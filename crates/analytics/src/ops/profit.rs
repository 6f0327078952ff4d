//! Profitability (issue #14 item 4): per customer, revenue minus cost of goods (quantity x the
//! product's cost price) minus cost to serve (its activities x the settings' cost per kind),
//! so that the customers who cost more than they bring come first.

use super::items::{self as item_query, Fields, Kind};
use super::names::names;
use super::revenue::{Parts, collect, customers_only, money, page};
use super::settings::stored;
use crate::dto::*;
use crate::dto_profit::*;
use crate::error::Result;
use crm_core::db::{for_each_row, placeholder};
use crm_core::{Ctx, Error};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use uuid::Uuid;

/// The sortable and filterable fields of the report's items.
pub(crate) const ITEM_FIELDS: Fields = &[
    ("id", Kind::Text),
    ("name", Kind::Text),
    ("revenue", Kind::Decimal),
    ("cost_of_goods", Kind::Decimal),
    ("uncosted_lines", Kind::Number),
    ("gross_margin", Kind::Decimal),
    ("cost_to_serve", Kind::Decimal),
    ("profit", Kind::Decimal),
    ("profit_ratio", Kind::Number),
];

/// Activities per customer and kind in the period (not deleted).
async fn activities(
    ctx: &Ctx,
    subject: AnalysisSubject,
    scope: &AnalysisScope,
) -> Result<HashMap<Uuid, BTreeMap<String, i64>>> {
    let db = &ctx.db;
    let backend = db.get_database_backend();
    let key = match subject {
        AnalysisSubject::Contacts => "contact_id",
        _ => "company_id",
    };
    let p = |n: usize| placeholder(backend, n);
    let sql = format!(
        "SELECT {key} AS item, kind, COUNT(*) AS n FROM activities WHERE org_id = {} \
         AND deleted_at IS NULL AND occurred_at >= {} AND occurred_at < {} \
         AND {key} IS NOT NULL GROUP BY {key}, kind",
        p(1),
        p(2),
        p(3)
    );
    let start = scope
        .from
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let end = scope.to.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    // Read as they come: a row per customer and kind.
    let mut out: HashMap<Uuid, BTreeMap<String, i64>> = HashMap::new();
    let values = [ctx.org_id().into(), start.into(), end.into()];
    for_each_row(db, sql, values, |row| -> Result<()> {
        let item: Uuid = row.try_get("", "item")?;
        let kind: String = row.try_get("", "kind")?;
        let n: i64 = row.try_get("", "n")?;
        out.entry(item).or_default().insert(kind, n);
        Ok(())
    })
    .await?;
    Ok(out)
}

struct Row {
    id: Uuid,
    revenue: Decimal,
    cost: Decimal,
    uncosted_lines: i64,
    activities: BTreeMap<String, i64>,
    serve: Decimal,
    gross: Decimal,
    profit: Decimal,
}

/// The profitability report of `params.subject` (companies by default, or contacts).
pub async fn profit_report(ctx: &Ctx, params: &AnalysisParams) -> Result<ProfitReport> {
    item_query::validate(params, ITEM_FIELDS)?;
    let subject = params.subject.unwrap_or(AnalysisSubject::Companies);
    customers_only(
        params,
        "profitability is a customer's: companies or contacts",
    )?;
    let c = collect(ctx, params, Parts::TOTALS.costs()).await?;
    let base = c.scope.base_currency.clone();
    let costs = stored(&ctx.db, ctx).await?.activity_costs;
    let per_kind: HashMap<&str, Decimal> = costs
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), Decimal::from_str(v).ok()?)))
        .collect();
    let mut acts = activities(ctx, subject, &c.scope).await?;
    let overflow = || Error::internal("the profitability of a customer overflows");
    let mut ids: Vec<Uuid> = c.items.keys().chain(acts.keys()).copied().collect();
    ids.sort();
    ids.dedup();
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        let (revenue, cost, uncosted_lines) = c
            .items
            .get(&id)
            .map_or((Decimal::ZERO, Decimal::ZERO, 0), |r| {
                (r.total, r.cost, r.uncosted_lines)
            });
        let activities = acts.remove(&id).unwrap_or_default();
        let mut serve = Decimal::ZERO;
        for (kind, n) in &activities {
            if let Some(each) = per_kind.get(kind.as_str()) {
                let part = each.checked_mul(Decimal::from(*n)).ok_or_else(overflow)?;
                serve = serve.checked_add(part).ok_or_else(overflow)?;
            }
        }
        let gross = revenue.checked_sub(cost).ok_or_else(overflow)?;
        let profit = gross.checked_sub(serve).ok_or_else(overflow)?;
        rows.push(Row {
            id,
            revenue,
            cost,
            uncosted_lines,
            activities,
            serve,
            gross,
            profit,
        });
    }
    let losers: Vec<&Row> = rows.iter().filter(|r| r.profit < Decimal::ZERO).collect();
    let unprofitable = losers.len() as i64;
    let mut loss = Decimal::ZERO;
    for r in losers {
        loss = loss.checked_sub(r.profit).ok_or_else(overflow)?;
    }
    if params.unprofitable {
        rows.retain(|r| r.profit < Decimal::ZERO);
    }
    rows.sort_by(|p, q| p.profit.cmp(&q.profit).then(p.id.cmp(&q.id)));
    let row_count = rows.len() as i64;
    let shown = if item_query::asked(params) {
        rows
    } else {
        page(rows, params)?
    };
    let page_ids: Vec<Uuid> = shown.iter().map(|r| r.id).collect();
    let mut named = names(ctx, subject, &page_ids).await?;
    let items: Vec<ProfitItem> = shown
        .into_iter()
        .map(|r| ProfitItem {
            id: r.id,
            name: named.remove(&r.id),
            revenue: money(r.revenue, &base),
            cost_of_goods: money(r.cost, &base),
            uncosted_lines: r.uncosted_lines,
            gross_margin: money(r.gross, &base),
            activities: r.activities,
            cost_to_serve: money(r.serve, &base),
            profit: money(r.profit, &base),
            profit_ratio: r
                .profit
                .checked_div(r.revenue)
                .and_then(|v| rust_decimal::prelude::ToPrimitive::to_f64(&v)),
        })
        .collect();
    let (items, row_count) = if item_query::asked(params) {
        item_query::apply(items, params, ITEM_FIELDS)?
    } else {
        (items, row_count)
    };
    Ok(ProfitReport {
        missing_cost_rates: c.missing_cost_rates,
        scope: c.scope,
        activity_costs: costs,
        unprofitable,
        unprofitable_loss: money(loss, &base),
        row_count,
        items,
    })
}
