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
use std::collections::{BTreeMap, HashMap};
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

/// Gives every customer `set`'s `ntile(5)` of `key` in ascending order of (key, id), through
/// a sorted index: no map from id to score, no copy of the keys (RFM holds half a million
/// customers at full scale).
fn score<K: Ord>(
    customers: &mut [Customer],
    key: impl Fn(&Customer) -> K,
    set: impl Fn(&mut Customer, u8),
) {
    let mut order: Vec<u32> = (0..customers.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (&customers[a as usize], &customers[b as usize]);
        key(a).cmp(&key(b)).then(a.id.cmp(&b.id))
    });
    let n = order.len();
    for (i, at) in order.into_iter().enumerate() {
        set(&mut customers[at as usize], ntile(n, 5, i) as u8);
    }
}

struct Customer {
    id: Uuid,
    last: NaiveDate,
    days: i64,
    frequency: i64,
    monetary: Decimal,
    r: u8,
    f: u8,
    m: u8,
}

impl Customer {
    fn total(&self) -> u8 {
        self.r + self.f + self.m
    }
}

/// The segment names by recency and frequency score (1 to 5 each).
struct Segments([[String; 5]; 5]);

impl Segments {
    fn of(table: &BTreeMap<String, String>) -> Segments {
        Segments(std::array::from_fn(|r| {
            std::array::from_fn(|f| {
                table
                    .get(&format!("{}{}", r + 1, f + 1))
                    .cloned()
                    .unwrap_or_default()
            })
        }))
    }

    fn of_customer(&self, c: &Customer) -> &str {
        let at = |score: u8| usize::from(score.clamp(1, 5) - 1);
        &self.0[at(c.r)][at(c.f)]
    }
}

/// The RFM report of `params.subject` (companies by default, or contacts).
pub async fn rfm_report(ctx: &Ctx, params: &AnalysisParams) -> Result<RfmReport> {
    item_query::validate(params, ITEM_FIELDS)?;
    customers_only(params, "RFM scores customers: companies or contacts")?;
    let c = collect(ctx, params, Parts::TOTALS.days()).await?;
    let segments_of = Segments::of(&segment_table(&stored(&ctx.db, ctx).await?.overrides));
    let reference = c.scope.reference_date;
    let base = c.scope.base_currency.clone();
    let mut customers: Vec<Customer> = c
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
                r: 0,
                f: 0,
                m: 0,
            })
        })
        .collect();
    // Fewer days is better: ntile over (days, id) ascending puts the most recent in bucket
    // 1, which scores 5.
    score(&mut customers, |x| x.days, |x, n| x.r = 6 - n);
    score(&mut customers, |x| x.frequency, |x, n| x.f = n);
    score(&mut customers, |x| x.monetary, |x, n| x.m = n);
    customers.sort_unstable_by(|p, q| {
        q.total()
            .cmp(&p.total())
            .then(q.monetary.cmp(&p.monetary))
            .then(p.id.cmp(&q.id))
    });
    let mut by_segment: HashMap<&str, (i64, Decimal)> = HashMap::new();
    for x in &customers {
        let e = by_segment
            .entry(segments_of.of_customer(x))
            .or_insert((0, Decimal::ZERO));
        e.0 += 1;
        e.1 = e.1.checked_add(x.monetary).unwrap_or(e.1);
    }
    let mut segments: Vec<RfmSegmentTotal> = by_segment
        .into_iter()
        .map(|(segment, (count, sum))| RfmSegmentTotal {
            segment: segment.to_owned(),
            count,
            revenue: money(sum, &base),
        })
        .collect();
    segments.sort_by(|a, b| b.count.cmp(&a.count).then(a.segment.cmp(&b.segment)));
    let row_count = customers.len() as i64;
    let shown = if item_query::asked(params) {
        customers
    } else {
        page(customers, params)?
    };
    let ids: Vec<Uuid> = shown.iter().map(|x| x.id).collect();
    let mut named = names(ctx, c.scope.subject, &ids).await?;
    let items: Vec<RfmItem> = shown
        .into_iter()
        .map(|x| RfmItem {
            id: x.id,
            name: named.remove(&x.id),
            last_order_date: x.last,
            recency_days: x.days,
            frequency: x.frequency,
            monetary: money(x.monetary, &base),
            r: i32::from(x.r),
            f: i32::from(x.f),
            m: i32::from(x.m),
            score: format!("{}{}{}", x.r, x.f, x.m),
            segment: segments_of.of_customer(&x).to_owned(),
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
