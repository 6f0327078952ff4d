//! Lifetime value (issue #14 item 3) of companies or contacts, over a calibration window (the
//! report's period): historical (revenue in the window), the simple predictive model of
//! DOMAIN.md, and BG/NBD with Gamma-Gamma fitted by maximum likelihood to the window's
//! purchases, for the purchases to expect, the probability of being alive, the spend per
//! purchase and the discounted value over a horizon.

use super::items::{self as item_query, Fields, Kind};
use super::names::names;
use super::revenue::{Parts, Revenue, collect, customers_only, money, page, period, threshold};
use crate::dto::*;
use crate::dto_clv::*;
use crate::error::Result;
use crate::models::{
    BgNbd, FIT_SAMPLE, GammaGamma, Purchases, Spend, not_converged, systematic_sample,
};
use chrono::NaiveDate;
use crm_core::db::{for_each_row, placeholder};
use crm_core::{Ctx, Error};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use std::collections::HashMap;
use uuid::Uuid;

/// The sortable and filterable fields of the report's items.
pub(crate) const ITEM_FIELDS: Fields = &[
    ("id", Kind::Text),
    ("name", Kind::Text),
    ("first_purchase", Kind::Text),
    ("last_purchase", Kind::Text),
    ("purchases", Kind::Number),
    ("repeat_purchases", Kind::Number),
    ("recency", Kind::Number),
    ("age", Kind::Number),
    ("revenue", Kind::Decimal),
    ("cost_of_goods", Kind::Decimal),
    ("uncosted_lines", Kind::Number),
    ("margin", Kind::Decimal),
    ("average_repeat_spend", Kind::Decimal),
    ("expected_purchases", Kind::Number),
    ("p_alive", Kind::Number),
    ("expected_spend", Kind::Decimal),
    ("clv", Kind::Decimal),
    ("simple_clv", Kind::Decimal),
    ("history_truncated", Kind::Bool),
];

/// Days in a year and in a month, for rates per year and the horizon's months.
const YEAR_DAYS: f64 = 365.25;
const MONTH_DAYS: f64 = YEAR_DAYS / 12.0;
/// The longest expected lifetime of the simple model, in years.
const MAX_LIFETIME_YEARS: f64 = 10.0;

/// One customer of the window, as the models read it.
struct Customer {
    id: Uuid,
    first: NaiveDate,
    last: NaiveDate,
    purchases: usize,
    history: Purchases,
    revenue: Decimal,
    cost: Decimal,
    uncosted_lines: i64,
    /// The average of the purchases after the first, when there are any.
    repeat_average: Option<Decimal>,
    /// Whether it bought before the window: its history is cut, so the models neither learn
    /// from it nor predict it.
    truncated: bool,
}

impl Customer {
    fn of(id: Uuid, r: &Revenue, end: NaiveDate, unit_days: f64) -> Option<Customer> {
        let (first, last) = (r.days.first()?, r.days.last()?);
        let x = r.days.len() - 1;
        // The purchases after the first: the total less the first day's.
        let repeat_average = if x > 0 {
            r.total
                .checked_sub(r.days.first_amount())?
                .checked_div(Decimal::from(x))
        } else {
            None
        };
        Some(Customer {
            id,
            first,
            last,
            purchases: r.days.len(),
            history: Purchases {
                x: x as f64,
                t_x: (last - first).num_days() as f64 / unit_days,
                t: (end - first).num_days() as f64 / unit_days,
            },
            revenue: r.total,
            cost: r.cost,
            uncosted_lines: r.uncosted_lines,
            repeat_average,
            truncated: false,
        })
    }
}

/// A customer and what the models make of it (empty until scored).
struct Row {
    c: Customer,
    expected_purchases: Option<f64>,
    p_alive: Option<f64>,
    expected_spend: Option<f64>,
    clv: Option<f64>,
    simple: Decimal,
}

impl Row {
    fn of(c: Customer) -> Row {
        Row {
            c,
            expected_purchases: None,
            p_alive: None,
            expected_spend: None,
            clv: None,
            simple: Decimal::ZERO,
        }
    }
}

/// Each customer's first order day ever before `end` (orders not cancelled).
async fn first_orders(
    ctx: &Ctx,
    subject: AnalysisSubject,
    end: NaiveDate,
) -> Result<HashMap<Uuid, NaiveDate>> {
    let db = &ctx.db;
    let backend = db.get_database_backend();
    let key = match subject {
        AnalysisSubject::Contacts => "contact_id",
        _ => "company_id",
    };
    let (p1, p2) = (placeholder(backend, 1), placeholder(backend, 2));
    let sql = format!(
        "SELECT {key} AS item, MIN(ordered_at) AS first FROM sales_documents WHERE org_id = {p1} \
         AND doc_type = 'order' AND status <> 'cancelled' AND deleted_at IS NULL \
         AND ordered_at < {p2} AND {key} IS NOT NULL GROUP BY {key}"
    );
    let end = end.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    // Read as they come: a row per customer, a million at the full scale.
    let mut out = HashMap::new();
    for_each_row(
        db,
        sql,
        [ctx.org_id().into(), end.into()],
        |row| -> Result<()> {
            let item: Uuid = row.try_get("", "item")?;
            let first: chrono::DateTime<chrono::Utc> = row.try_get("", "first")?;
            out.insert(item, first.date_naive());
            Ok(())
        },
    )
    .await?;
    Ok(out)
}

/// `data` with identical entries counted once, with how many there were, in the order of
/// their keys: the likelihood summed over them is then the same figure on every request (in
/// a hash map's order its last digits changed from one request to the next).
fn weighed<T: Copy>(data: impl Iterator<Item = (T, [f64; 3])>) -> Vec<(T, f64)> {
    let mut seen: HashMap<[u64; 3], (T, f64)> = HashMap::new();
    for (value, key) in data {
        seen.entry(key.map(f64::to_bits)).or_insert((value, 0.0)).1 += 1.0;
    }
    let mut out: Vec<([u64; 3], (T, f64))> = seen.into_iter().collect();
    out.sort_unstable_by_key(|(key, _)| *key);
    out.into_iter().map(|(_, entry)| entry).collect()
}

fn decimal(v: f64) -> Option<Decimal> {
    if v.is_finite() {
        Decimal::from_f64(v)
    } else {
        None
    }
}

/// The parameters of a lifetime-value report, checked.
#[derive(Clone, Copy)]
struct Settings {
    unit: TimeUnit,
    unit_days: f64,
    horizon_months: u32,
    discount_rate: f64,
    inactive_days: u32,
}

fn settings(params: &AnalysisParams) -> Result<Settings> {
    let unit = params.time_unit.unwrap_or(TimeUnit::Weeks);
    let horizon_months = params.horizon_months.unwrap_or(12);
    if !(1..=120).contains(&horizon_months) {
        return Err(
            Error::invalid_field("/horizon_months", "range", "must be from 1 to 120").into(),
        );
    }
    let inactive_days = params.inactive_days.unwrap_or(90);
    if !(1..=3650).contains(&inactive_days) {
        return Err(
            Error::invalid_field("/inactive_days", "range", "must be from 1 to 3650").into(),
        );
    }
    Ok(Settings {
        unit,
        unit_days: if unit == TimeUnit::Weeks { 7.0 } else { 1.0 },
        horizon_months,
        discount_rate: threshold(params.discount_rate, 0.01, "/discount_rate", 0.0, 1.0)?,
        inactive_days,
    })
}

/// The discounted value of a customer over the horizon: per month, the purchases expected in
/// it (the expectation to its end minus that to its start) x the spend, discounted.
fn discounted(model: &BgNbd, c: &Purchases, spend: f64, s: &Settings) -> Option<f64> {
    let month = MONTH_DAYS / s.unit_days;
    let (mut value, mut before) = (0.0, 0.0);
    for k in 1..=s.horizon_months {
        let to_end = model.expected_purchases(c, month * f64::from(k))?;
        value += (to_end - before) * spend / (1.0 + s.discount_rate).powi(k as i32);
        before = to_end;
    }
    value.is_finite().then_some(value)
}

/// The lifetime-value report of `params.subject` (companies by default, or contacts).
pub async fn clv_report(ctx: &Ctx, params: &AnalysisParams) -> Result<ClvReport> {
    item_query::validate(params, ITEM_FIELDS)?;
    customers_only(
        params,
        "lifetime value is a customer's: companies or contacts",
    )?;
    let s = settings(params)?;
    // Without `from`, the window is the longest a report takes (120 months): the models want
    // each customer's history from its first purchase.
    let mut params = params.clone();
    if params.from.is_none() {
        let (_, to, _) = period(&params)?;
        params.from = to.checked_sub_months(chrono::Months::new(120));
        params.to = Some(to);
    }
    let params = &params;
    let c = collect(ctx, params, Parts::TOTALS.costs().days()).await?;
    // Customers are watched up to the window's end, or the reference date if that comes
    // first: days that have not happened are not days without purchases.
    let from = c.scope.from;
    let reference = c.scope.reference_date;
    let end = c.scope.to.min(reference.succ_opt().unwrap_or(reference));
    if end <= from {
        return Err(Error::invalid_field(
            "/reference_date",
            "range",
            "must be on or after `from`: lifetime value watches customers up to it",
        )
        .into());
    }
    let base = c.scope.base_currency.clone();
    let firsts = first_orders(ctx, c.scope.subject, end).await?;
    // The revenue per customer and the first orders are dropped as the customers are made,
    // each in the row it is scored in, later, in place.
    let mut rows: Vec<Row> = Vec::with_capacity(c.items.len());
    rows.extend(
        c.items
            .into_iter()
            .filter_map(|(id, r)| Customer::of(id, &r, end, s.unit_days))
            .map(|mut customer| {
                customer.truncated = firsts.get(&customer.id).is_some_and(|f| *f < from);
                Row::of(customer)
            }),
    );
    drop(firsts);
    let fitted = rows.iter().map(|r| &r.c).filter(|c| !c.truncated).count() as i64;

    let histories = weighed(rows.iter().map(|r| &r.c).filter(|c| !c.truncated).map(|c| {
        let h = c.history;
        (h, [h.x, h.t_x, h.t])
    }));
    let spends: Vec<(Spend, f64)> = weighed(
        rows.iter()
            .map(|r| &r.c)
            .filter(|c| !c.truncated)
            .filter_map(|c| {
                let m = c.repeat_average?.to_f64()?;
                (m > 0.0).then_some((Spend { x: c.history.x, m }, [c.history.x, m, 0.0]))
            }),
    );
    let repeat_buyers: f64 = spends.iter().map(|(_, n)| n).sum();
    let any_repeat = rows
        .iter()
        .map(|r| &r.c)
        .any(|c| !c.truncated && c.history.x > 0.0);
    // Fitting takes a while on a large base: off the request threads.
    // A large base is fitted on a systematic sample of its customers (the likelihood reported
    // is the whole base's at the fitted parameters); everyone is scored.
    let bg_sampled = (fitted as usize > FIT_SAMPLE).then_some(FIT_SAMPLE as i64);
    let gg_sampled = (repeat_buyers > FIT_SAMPLE as f64).then_some(FIT_SAMPLE as i64);
    let (bg, gg) = tokio::task::spawn_blocking(move || {
        let bg = if any_repeat {
            let sample = systematic_sample(histories.clone(), Purchases::order, FIT_SAMPLE);
            BgNbd::fit(&sample).map(|mut f| {
                f.log_likelihood = f.model.total_log_likelihood(&histories);
                f
            })
        } else {
            None
        };
        let gg = if repeat_buyers >= 2.0 {
            let sample = systematic_sample(spends.clone(), Spend::order, FIT_SAMPLE);
            GammaGamma::fit(&sample)
                .filter(|f| f.model.q > 1.0)
                .map(|mut f| {
                    f.log_likelihood = f.model.total_log_likelihood(&spends);
                    f
                })
        } else {
            None
        };
        (bg, gg)
    })
    .await
    .map_err(|e| Error::internal(format!("the lifetime-value fit failed: {e}")))?;

    // The simple model: churned customers of the window, their share scaled to a year.
    let window_days = (end - from).num_days().max(1) as f64;
    let churned = rows
        .iter()
        .filter(|r| (end - r.c.last).num_days() > i64::from(s.inactive_days))
        .count();
    let share = if rows.is_empty() {
        0.0
    } else {
        churned as f64 / rows.len() as f64
    };
    let annual_churn_rate = 1.0 - (1.0 - share).powf(YEAR_DAYS / window_days);
    let lifetime = if annual_churn_rate > 0.0 {
        (1.0 / annual_churn_rate).min(MAX_LIFETIME_YEARS)
    } else {
        MAX_LIFETIME_YEARS
    };
    let per_year = YEAR_DAYS / window_days;

    let horizon = MONTH_DAYS * f64::from(s.horizon_months) / s.unit_days;
    // Every customer's expectations over the horizon: off the request threads too.
    let score = move |r: &mut Row| {
        let c = &r.c;
        // A cut history is neither learnt from nor predicted.
        let model = bg.as_ref().map(|f| f.model).filter(|_| !c.truncated);
        let expected_purchases = model.and_then(|m| m.expected_purchases(&c.history, horizon));
        let p_alive = model.map(|m| m.p_alive(&c.history));
        let spend = Spend {
            x: c.history.x,
            m: c.repeat_average
                .and_then(|a| a.to_f64())
                .unwrap_or(0.0)
                .max(0.0),
        };
        let expected_spend = gg
            .as_ref()
            .filter(|_| !c.truncated)
            .and_then(|f| f.model.expected_spend(&spend));
        let clv = match (model, expected_spend) {
            (Some(m), Some(e)) => discounted(&m, &c.history, e, &s),
            _ => None,
        };
        // Average order value x purchases per year x lifetime = revenue x per year x
        // lifetime.
        let simple = decimal(per_year * lifetime)
            .and_then(|k| c.revenue.checked_mul(k))
            .unwrap_or(Decimal::ZERO);
        r.expected_purchases = expected_purchases;
        r.p_alive = p_alive;
        r.expected_spend = expected_spend;
        r.clv = clv;
        r.simple = simple;
    };
    let mut rows: Vec<Row> = tokio::task::spawn_blocking(move || {
        rows.iter_mut().for_each(score);
        rows
    })
    .await
    .map_err(|e| Error::internal(format!("the lifetime-value scoring failed: {e}")))?;
    rows.sort_by(|p, q| {
        let value = |r: &Row| r.clv.unwrap_or(f64::NEG_INFINITY);
        value(q)
            .total_cmp(&value(p))
            .then(q.c.revenue.cmp(&p.c.revenue))
            .then(p.c.id.cmp(&q.c.id))
    });
    let total_clv = bg
        .as_ref()
        .and(gg.as_ref())
        .and_then(|_| decimal(rows.iter().filter_map(|r| r.clv).sum()))
        .map(|v| money(v, &base));
    let row_count = rows.len() as i64;
    let customers_fitted = fitted;
    let shown = if item_query::asked(params) {
        rows
    } else {
        page(rows, params)?
    };
    let ids: Vec<Uuid> = shown.iter().map(|r| r.c.id).collect();
    let mut named = names(ctx, c.scope.subject, &ids).await?;
    let items: Vec<ClvItem> = shown
        .into_iter()
        .map(|r| ClvItem {
            id: r.c.id,
            name: named.remove(&r.c.id),
            first_purchase: r.c.first,
            last_purchase: r.c.last,
            purchases: r.c.purchases as i64,
            repeat_purchases: r.c.history.x as i64,
            recency: r.c.history.t_x,
            age: r.c.history.t,
            revenue: money(r.c.revenue, &base),
            cost_of_goods: money(r.c.cost, &base),
            uncosted_lines: r.c.uncosted_lines,
            margin: money(
                r.c.revenue.checked_sub(r.c.cost).unwrap_or(r.c.revenue),
                &base,
            ),
            average_repeat_spend: r.c.repeat_average.map(|a| money(a, &base)),
            expected_purchases: r.expected_purchases,
            p_alive: r.p_alive,
            expected_spend: r.expected_spend.and_then(decimal).map(|v| money(v, &base)),
            clv: r.clv.and_then(decimal).map(|v| money(v, &base)),
            simple_clv: money(r.simple, &base),
            history_truncated: r.c.truncated,
        })
        .collect();
    let (items, row_count) = if item_query::asked(params) {
        item_query::apply(items, params, ITEM_FIELDS)?
    } else {
        (items, row_count)
    };
    Ok(ClvReport {
        scope: c.scope,
        time_unit: s.unit,
        horizon_months: s.horizon_months,
        discount_rate: s.discount_rate,
        bg_nbd: bg.map(|f| BgNbdParams {
            r: f.model.r,
            alpha: f.model.alpha,
            a: f.model.a,
            b: f.model.b,
            log_likelihood: f.log_likelihood,
            converged: f.converged,
            not_converged: (!f.converged)
                .then(|| not_converged("r, alpha, a and b", f.iterations, f.log_likelihood)),
            customers: customers_fitted,
            fit_sample: bg_sampled,
        }),
        gamma_gamma: gg.map(|f| GammaGammaParams {
            p: f.model.p,
            q: f.model.q,
            gamma: f.model.gamma,
            log_likelihood: f.log_likelihood,
            converged: f.converged,
            not_converged: (!f.converged)
                .then(|| not_converged("p, q and gamma", f.iterations, f.log_likelihood)),
            customers: repeat_buyers as i64,
            fit_sample: gg_sampled,
        }),
        simple: SimpleClvParams {
            inactive_days: s.inactive_days,
            churned: churned as i64,
            annual_churn_rate,
            expected_lifetime_years: lifetime,
        },
        total_clv,
        row_count,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighed_entries_come_in_the_order_of_their_keys_whatever_the_order_given() {
        let data: Vec<(u32, [f64; 3])> = (0..200)
            .map(|i| (i % 7, [f64::from(i % 7), 1.5, f64::from(i % 3)]))
            .collect();
        let forward = weighed(data.iter().copied());
        let backward = weighed(data.iter().rev().copied());
        assert_eq!(forward, backward);
        assert_eq!(forward.iter().map(|(_, n)| n).sum::<f64>(), 200.0);
        let keys: Vec<u64> = forward
            .iter()
            .map(|(v, _)| f64::from(*v).to_bits())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
    }
}
