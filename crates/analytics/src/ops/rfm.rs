//! RFM (DOMAIN.md and issue #14): per customer, recency (days from its last order to the
//! reference date), frequency (purchases: orders of one day are one) and monetary value
//! (revenue), each scored 1 to 5 by PostgreSQL's `ntile(5)` over (value, id) ascending: the
//! bucket for frequency and monetary value, 6 minus the bucket for recency, where fewer days
//! is better. The recency and frequency scores name the segment.

use super::items::{self as item_query, Fields, Kind};
use super::names::names;
use super::revenue::{Parts, collect, customers_only, money, page};
use super::settings::{segment_table, stored};
use crate::dto::*;
use crate::error::Result;
use chrono::NaiveDate;
use crm_core::Ctx;
use rust_decimal::Decimal;
use std::collections::HashMap;
use uuid::Uuid;

/// The sortable and filterable fields of the report's items.
pub(crate) const ITEM_FIELDS: Fields = &[
    ("id", Kind::Text),
    ("name", Kind::Text),
    ("last_order_date", Kind::Text),
    ("recency_days", Kind::Number),
    ("frequency", Kind::Number),
    ("monetary", Kind::Decimal),
    ("r", Kind::Number),
    ("f", Kind::Number),
    ("m", Kind::Number),
    ("score", Kind::Text),
    ("segment", Kind::Text),
];

/// The bucket of the `i`-th of `n` rows (0-based) under `ntile(k)`: as PostgreSQL divides
/// them, the first `n % k` buckets one row larger than the rest.
pub(crate) fn ntile(n: usize, k: usize, i: usize) -> i32 {
    let (q, r) = (n / k, n % k);
    let big = r * (q + 1);
    let bucket = if i < big {
        i / (q + 1)
    } else {
        r + (i - big) / q.max(1)
    };
    bucket as i32 + 1
}

/// `ntile(5)` of `keys` (with their ids) in ascending order.
fn scores<K: Ord + Copy>(keys: &[(K, Uuid)]) -> HashMap<Uuid, i32> {
    let mut sorted: Vec<(K, Uuid)> = keys.to_vec();
    sorted.sort();
    let n = sorted.len();
    sorted
        .into_iter()
        .enumerate()
        .map(|(i, (_, id))| (id, ntile(n, 5, i)))
        .collect()
}

struct Customer {
    id: Uuid,
    last: NaiveDate,
    days: i64,
    frequency: i64,
    monetary: Decimal,
}

/// The RFM report of `params.subject` (companies by default, or contacts).
pub async fn rfm_report(ctx: &Ctx, params: &AnalysisParams) -> Result<RfmReport> {
    item_query::validate(params, ITEM_FIELDS)?;
    customers_only(params, "RFM scores customers: companies or contacts")?;
    let c = collect(ctx, params, Parts::TOTALS.days()).await?;
    let table = segment_table(&stored(&ctx.db, ctx).await?.overrides);
    let reference = c.scope.reference_date;
    let base = c.scope.base_currency.clone();
    let customers: Vec<Customer> = c
        .items
        .into_iter()
        .filter_map(|(id, r)| {
            let last = r.days.last()?;
            Some(Customer {
                id,
                last,
                days: (reference - last).num_days(),
                frequency: r.days.len() as i64,
                monetary: r.total,
            })
        })
        .collect();
    // Fewer days is better: ntile over (days, id) ascending puts the most recent in bucket
    // 1, which scores 5.
    let r: HashMap<Uuid, i32> =
        scores(&customers.iter().map(|x| (x.days, x.id)).collect::<Vec<_>>())
            .into_iter()
            .map(|(id, n)| (id, 6 - n))
            .collect();
    let f = scores(
        &customers
            .iter()
            .map(|x| (x.frequency, x.id))
            .collect::<Vec<_>>(),
    );
    let m = scores(
        &customers
            .iter()
            .map(|x| (x.monetary, x.id))
            .collect::<Vec<_>>(),
    );
    let mut rows: Vec<(Customer, i32, i32, i32, String)> = customers
        .into_iter()
        .map(|x| {
            let (rs, fs, ms) = (r[&x.id], f[&x.id], m[&x.id]);
            let segment = table.get(&format!("{rs}{fs}")).cloned().unwrap_or_default();
            (x, rs, fs, ms, segment)
        })
        .collect();
    rows.sort_by(|p, q| {
        (q.1 + q.2 + q.3)
            .cmp(&(p.1 + p.2 + p.3))
            .then(q.0.monetary.cmp(&p.0.monetary))
            .then(p.0.id.cmp(&q.0.id))
    });
    let mut by_segment: HashMap<String, (i64, Decimal)> = HashMap::new();
    for row in &rows {
        let e = by_segment
            .entry(row.4.clone())
            .or_insert((0, Decimal::ZERO));
        e.0 += 1;
        e.1 = e.1.checked_add(row.0.monetary).unwrap_or(e.1);
    }
    let mut segments: Vec<RfmSegmentTotal> = by_segment
        .into_iter()
        .map(|(segment, (count, sum))| RfmSegmentTotal {
            segment,
            count,
            revenue: money(sum, &base),
        })
        .collect();
    segments.sort_by(|a, b| b.count.cmp(&a.count).then(a.segment.cmp(&b.segment)));
    let row_count = rows.len() as i64;
    let shown = if item_query::asked(params) {
        rows
    } else {
        page(rows, params)?
    };
    let ids: Vec<Uuid> = shown.iter().map(|r| r.0.id).collect();
    let mut named = names(ctx, c.scope.subject, &ids).await?;
    let items: Vec<RfmItem> = shown
        .into_iter()
        .map(|(x, rs, fs, ms, segment)| RfmItem {
            id: x.id,
            name: named.remove(&x.id),
            last_order_date: x.last,
            recency_days: x.days,
            frequency: x.frequency,
            monetary: money(x.monetary, &base),
            r: rs,
            f: fs,
            m: ms,
            score: format!("{rs}{fs}{ms}"),
            segment,
        })
        .collect();
    let (items, row_count) = if item_query::asked(params) {
        item_query::apply(items, params, ITEM_FIELDS)?
    } else {
        (items, row_count)
    };
    Ok(RfmReport {
        scope: c.scope,
        row_count,
        segments,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntile_divides_as_postgresql_does() {
        // 7 rows into 5: sizes 2, 2, 1, 1, 1.
        let got: Vec<i32> = (0..7).map(|i| ntile(7, 5, i)).collect();
        assert_eq!(got, [1, 1, 2, 2, 3, 4, 5]);
        // Fewer rows than buckets: one each, from 1.
        let got: Vec<i32> = (0..3).map(|i| ntile(3, 5, i)).collect();
        assert_eq!(got, [1, 2, 3]);
        let got: Vec<i32> = (0..10).map(|i| ntile(10, 5, i)).collect();
        assert_eq!(got, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }
}
