//! XYZ classes by the stability of monthly revenue (DOMAIN.md): per month of the period
//! (months without sales count as 0), the coefficient of variation is the population standard
//! deviation over the mean; X at most `x`, Y at most `y`, else Z (also when the mean is 0).

use super::items::{self as item_query, Fields, Kind};
use super::names::names;
use super::revenue::{Parts, collect, money, page, threshold};
use crate::dto::*;
use crate::error::Result;
use crm_core::Ctx;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

/// The sortable and filterable fields of the report's items.
pub(crate) const ITEM_FIELDS: Fields = &[
    ("id", Kind::Text),
    ("name", Kind::Text),
    ("mean", Kind::Decimal),
    ("std_dev", Kind::Number),
    ("cv", Kind::Number),
    ("class", Kind::Text),
];

/// Rounding noise of `f64` a coefficient may carry over its threshold and still be in its
/// class (a CV of exactly 0.10 computes as 0.1000000000000001).
const EPSILON: f64 = 1e-9;

/// One item's statistics and class.
pub(crate) struct Stability {
    pub mean: Decimal,
    pub std_dev: f64,
    pub cv: Option<f64>,
    pub class: XyzClass,
}

/// The `x` and `y` thresholds of `params` (defaults 0.10 and 0.25; 0 to 1, `x < y`).
pub(crate) fn xyz_thresholds(params: &AnalysisParams) -> Result<(f64, f64)> {
    let x = threshold(params.x, 0.10, "/x", 0.0, 1.0)?;
    let y = threshold(params.y, 0.25, "/y", 0.0, 1.0)?;
    if x >= y {
        return Err(crm_core::Error::invalid_field("/y", "range", "must be above `x`").into());
    }
    Ok((x, y))
}

/// The class of one item's monthly revenue.
pub(crate) fn classify_xyz(monthly: &[Decimal], x: f64, y: f64) -> Stability {
    let n = monthly.len().max(1);
    let sum = monthly
        .iter()
        .try_fold(Decimal::ZERO, |t, m| t.checked_add(*m))
        .unwrap_or(Decimal::MAX);
    let mean = sum.checked_div(Decimal::from(n)).unwrap_or_default();
    let mean_f = mean.to_f64().unwrap_or(0.0);
    let variance = monthly
        .iter()
        .map(|m| {
            let d = m.to_f64().unwrap_or(0.0) - mean_f;
            d * d
        })
        .sum::<f64>()
        / n as f64;
    let std_dev = variance.sqrt();
    let cv = (mean_f > 0.0).then(|| std_dev / mean_f);
    let class = match cv {
        Some(cv) if cv <= x + EPSILON => XyzClass::X,
        Some(cv) if cv <= y + EPSILON => XyzClass::Y,
        _ => XyzClass::Z,
    };
    Stability {
        mean,
        std_dev,
        cv,
        class,
    }
}

/// The XYZ report of `params.subject` (default companies) over the period: steadiest first
/// (by coefficient of variation, items without one last, then by id).
pub async fn xyz_report(ctx: &Ctx, params: &AnalysisParams) -> Result<XyzReport> {
    item_query::validate(params, ITEM_FIELDS)?;
    let (x, y) = xyz_thresholds(params)?;
    let c = collect(ctx, params, Parts::TOTALS.monthly()).await?;
    let base = c.scope.base_currency.clone();
    let mut rows: Vec<(Uuid, Vec<Decimal>, Stability)> = c
        .items
        .into_iter()
        .map(|(id, r)| {
            let s = classify_xyz(&r.monthly, x, y);
            (id, r.monthly, s)
        })
        .collect();
    rows.sort_by(|p, q| {
        let key = |cv: Option<f64>| cv.unwrap_or(f64::INFINITY);
        key(p.2.cv).total_cmp(&key(q.2.cv)).then(p.0.cmp(&q.0))
    });
    let classes = [XyzClass::X, XyzClass::Y, XyzClass::Z]
        .into_iter()
        .map(|class| XyzClassTotal {
            class,
            count: rows.iter().filter(|r| r.2.class == class).count() as i64,
        })
        .collect();
    let row_count = rows.len() as i64;
    let shown = if item_query::asked(params) {
        rows
    } else {
        page(rows, params)?
    };
    let ids: Vec<Uuid> = shown.iter().map(|r| r.0).collect();
    let mut named = names(ctx, c.scope.subject, &ids).await?;
    let items: Vec<XyzItem> = shown
        .into_iter()
        .map(|(id, monthly, s)| XyzItem {
            id,
            name: named.remove(&id),
            monthly: monthly.into_iter().map(|m| money(m, &base)).collect(),
            mean: money(s.mean, &base),
            std_dev: s.std_dev,
            cv: s.cv,
            class: s.class,
        })
        .collect();
    let (items, row_count) = if item_query::asked(params) {
        item_query::apply(items, params, ITEM_FIELDS)?
    } else {
        (items, row_count)
    };
    Ok(XyzReport {
        months: c
            .months
            .iter()
            .map(|m| m.format("%Y-%m").to_string())
            .collect(),
        scope: c.scope,
        x,
        y,
        row_count,
        classes,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: &[i64]) -> Vec<Decimal> {
        v.iter().map(|x| Decimal::from(*x)).collect()
    }

    #[test]
    fn the_coefficient_of_variation_is_the_population_one() {
        // Mean 100, deviations +-10: population std 10, CV exactly 0.10: X.
        let s = classify_xyz(&d(&[90, 110, 90, 110]), 0.10, 0.25);
        assert_eq!(s.mean, Decimal::from(100));
        assert!((s.std_dev - 10.0).abs() < 1e-12);
        assert_eq!(s.class, XyzClass::X);
        // Months without sales count as 0: 300 in one month of three is erratic.
        let s = classify_xyz(&d(&[300, 0, 0]), 0.10, 0.25);
        assert!((s.cv.unwrap() - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(s.class, XyzClass::Z);
        let s = classify_xyz(&d(&[80, 120]), 0.10, 0.25);
        assert_eq!(s.class, XyzClass::Y);
        assert_eq!(classify_xyz(&d(&[0, 0]), 0.10, 0.25).cv, None);
    }
}
