//! ABC classes by revenue and the ABC-XYZ matrix (DOMAIN.md): items sorted by revenue,
//! largest first (ties by id); an item is A while the share of the items before it is below
//! `a`, B while below `b`, else C.

use super::items::{self as item_query, Fields, Kind};
use super::names::names;
use super::revenue::{Parts, collect, money, page, threshold};
use super::xyz::{classify_xyz, xyz_thresholds};
use crate::dto::*;
use crate::error::Result;
use crm_core::Ctx;
use rust_decimal::Decimal;
use std::collections::HashMap;
use uuid::Uuid;

/// The sortable and filterable fields of the report's items.
pub(crate) const ITEM_FIELDS: Fields = &[
    ("rank", Kind::Number),
    ("id", Kind::Text),
    ("name", Kind::Text),
    ("revenue", Kind::Decimal),
    ("share", Kind::Decimal),
    ("cumulative_share", Kind::Decimal),
    ("class", Kind::Text),
];

/// Digits of the shares written.
const SHARE_DP: u32 = 6;

/// One ranked item.
pub(crate) struct Ranked {
    pub id: Uuid,
    pub revenue: Decimal,
    pub share: Decimal,
    pub cumulative: Decimal,
    pub class: AbcClass,
}

/// The `a` and `b` thresholds of `params` (defaults 0.8 and 0.95; 0 to 1, `a < b`).
fn abc_thresholds(params: &AnalysisParams) -> Result<(f64, f64)> {
    let a = threshold(params.a, 0.8, "/a", 0.0, 1.0)?;
    let b = threshold(params.b, 0.95, "/b", 0.0, 1.0)?;
    if a >= b {
        return Err(crm_core::Error::invalid_field("/b", "range", "must be above `a`").into());
    }
    Ok((a, b))
}

/// Ranks `revenue` by the ABC rule. With no positive total, every item is C.
pub(crate) fn classify_abc(revenue: &HashMap<Uuid, Decimal>, a: f64, b: f64) -> Vec<Ranked> {
    let mut items: Vec<(Uuid, Decimal)> = revenue.iter().map(|(k, v)| (*k, *v)).collect();
    items.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    let total: Decimal = items
        .iter()
        .try_fold(Decimal::ZERO, |t, (_, r)| t.checked_add(*r))
        .unwrap_or(Decimal::MAX);
    let a = Decimal::try_from(a).unwrap_or(Decimal::ZERO);
    let b = Decimal::try_from(b).unwrap_or(Decimal::ONE);
    let mut before = Decimal::ZERO;
    let mut out = Vec::with_capacity(items.len());
    for (id, r) in items {
        let share_before = if total > Decimal::ZERO {
            before.checked_div(total).unwrap_or(Decimal::ONE)
        } else {
            Decimal::ONE
        };
        let class = if share_before < a {
            AbcClass::A
        } else if share_before < b {
            AbcClass::B
        } else {
            AbcClass::C
        };
        before = before.checked_add(r).unwrap_or(before);
        let of_total = |x: Decimal| {
            if total > Decimal::ZERO {
                x.checked_div(total).unwrap_or_default()
            } else {
                Decimal::ZERO
            }
        };
        out.push(Ranked {
            id,
            revenue: r,
            share: of_total(r),
            cumulative: of_total(before),
            class,
        });
    }
    out
}

fn share(d: Decimal) -> String {
    let mut d = d.round_dp(SHARE_DP);
    d.rescale(SHARE_DP);
    d.to_string()
}

/// The ABC report of `params.subject` (default companies) over the period.
pub async fn abc_report(ctx: &Ctx, params: &AnalysisParams) -> Result<AbcReport> {
    item_query::validate(params, ITEM_FIELDS)?;
    let (a, b) = abc_thresholds(params)?;
    let c = collect(ctx, params, Parts::TOTALS).await?;
    let base = c.scope.base_currency.clone();
    let revenue: HashMap<Uuid, Decimal> = c.items.iter().map(|(k, v)| (*k, v.total)).collect();
    let ranked = classify_abc(&revenue, a, b);
    let total = ranked
        .iter()
        .try_fold(Decimal::ZERO, |t, r| t.checked_add(r.revenue))
        .unwrap_or(Decimal::MAX);
    let mut classes = Vec::new();
    for class in [AbcClass::A, AbcClass::B, AbcClass::C] {
        let of: Vec<&Ranked> = ranked.iter().filter(|r| r.class == class).collect();
        let sum = of
            .iter()
            .try_fold(Decimal::ZERO, |t, r| t.checked_add(r.revenue))
            .unwrap_or(Decimal::MAX);
        classes.push(AbcClassTotal {
            class,
            count: of.len() as i64,
            revenue: money(sum, &base),
        });
    }
    let row_count = ranked.len() as i64;
    let numbered: Vec<(i64, Ranked)> = ranked
        .into_iter()
        .enumerate()
        .map(|(i, r)| (i as i64 + 1, r))
        .collect();
    let shown = if item_query::asked(params) {
        numbered
    } else {
        page(numbered, params)?
    };
    let ids: Vec<Uuid> = shown.iter().map(|(_, r)| r.id).collect();
    let mut named = names(ctx, c.scope.subject, &ids).await?;
    let items: Vec<AbcItem> = shown
        .into_iter()
        .map(|(rank, r)| AbcItem {
            rank,
            id: r.id,
            name: named.remove(&r.id),
            revenue: money(r.revenue, &base),
            share: share(r.share),
            cumulative_share: share(r.cumulative),
            class: r.class,
        })
        .collect();
    let (items, row_count) = if item_query::asked(params) {
        item_query::apply(items, params, ITEM_FIELDS)?
    } else {
        (items, row_count)
    };
    Ok(AbcReport {
        scope: c.scope,
        a,
        b,
        row_count,
        total_revenue: money(total, &base),
        classes,
        items,
    })
}

/// The ABC-XYZ matrix of `params.subject`: both classes of every item with revenue in the
/// period, counted per cell with the cell's revenue.
pub async fn abc_xyz_matrix(ctx: &Ctx, params: &AnalysisParams) -> Result<AbcXyzMatrix> {
    let (a, b) = abc_thresholds(params)?;
    let (x, y) = xyz_thresholds(params)?;
    let c = collect(ctx, params, Parts::TOTALS.monthly()).await?;
    let base = c.scope.base_currency.clone();
    let revenue: HashMap<Uuid, Decimal> = c.items.iter().map(|(k, v)| (*k, v.total)).collect();
    let abc: HashMap<Uuid, AbcClass> = classify_abc(&revenue, a, b)
        .into_iter()
        .map(|r| (r.id, r.class))
        .collect();
    let mut cells: HashMap<(AbcClass, XyzClass), (i64, Decimal)> = HashMap::new();
    let mut total = Decimal::ZERO;
    for (id, r) in &c.items {
        let xyz = classify_xyz(&r.monthly, x, y).class;
        let Some(abc) = abc.get(id) else { continue };
        let cell = cells.entry((*abc, xyz)).or_insert((0, Decimal::ZERO));
        cell.0 += 1;
        cell.1 = cell.1.checked_add(r.total).unwrap_or(cell.1);
        total = total.checked_add(r.total).unwrap_or(total);
    }
    let mut out = Vec::with_capacity(9);
    for abc in [AbcClass::A, AbcClass::B, AbcClass::C] {
        for xyz in [XyzClass::X, XyzClass::Y, XyzClass::Z] {
            let (count, sum) = cells.get(&(abc, xyz)).copied().unwrap_or_default();
            out.push(AbcXyzCell {
                abc,
                xyz,
                count,
                revenue: money(sum, &base),
            });
        }
    }
    Ok(AbcXyzMatrix {
        row_count: c.items.len() as i64,
        total_revenue: money(total, &base),
        scope: c.scope,
        a,
        b,
        x,
        y,
        cells: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn classes_follow_the_share_before_each_item() {
        // 50 + 30 + 10 + 5 + 5 = 100: A while the share before is < 80 %: the first two (0,
        // 50 %), B while < 95 %: the next two (80 %, 90 %), C after (95 %).
        let revenue: HashMap<Uuid, Decimal> = [(1, "50"), (2, "30"), (3, "10"), (4, "5"), (5, "5")]
            .into_iter()
            .map(|(i, r)| (id(i), Decimal::from_str(r).unwrap()))
            .collect();
        let ranked = classify_abc(&revenue, 0.8, 0.95);
        let classes: Vec<AbcClass> = ranked.iter().map(|r| r.class).collect();
        assert_eq!(
            classes,
            [
                AbcClass::A,
                AbcClass::A,
                AbcClass::B,
                AbcClass::B,
                AbcClass::C
            ]
        );
        // Ties by id: 4 before 5.
        assert_eq!(ranked[3].id, id(4));
        assert_eq!(share(ranked[1].cumulative), "0.800000");
    }

    #[test]
    fn no_positive_total_makes_every_item_c() {
        let revenue: HashMap<Uuid, Decimal> = [(id(1), Decimal::ZERO)].into_iter().collect();
        assert_eq!(classify_abc(&revenue, 0.8, 0.95)[0].class, AbcClass::C);
    }
}
