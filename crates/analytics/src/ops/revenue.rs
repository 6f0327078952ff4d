//! Revenue per product, company or contact over a period, in the base currency: the net
//! amounts (after discounts, before tax) of the lines of orders that are not cancelled, dated
//! by their order date, each order converted at the rate of its day. Summed in decimals.

use super::rates::Rates;
use super::settings::base_currency;
use crate::dto::{AnalysisParams, AnalysisScope, AnalysisSubject, MissingRate};
use crate::error::Result;
use chrono::{Datelike, Months, NaiveDate, Utc};
use crm_core::db::{for_each_row, placeholder};
use crm_core::{Action, Ctx, Error, FieldError};
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, DbBackend};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::str::FromStr;
use uuid::Uuid;

/// The most missing rates a report names.
const MAX_MISSING: usize = 100;
/// The longest period: ten years.
const MAX_MONTHS: u32 = 120;

/// One item's revenue: in total and per month of the period.
pub(crate) struct Revenue {
    /// The total.
    pub total: Decimal,
    /// Per month, oldest first (empty unless [`Parts::monthly`] was asked for).
    pub monthly: Vec<Decimal>,
    /// The days it ordered on (several orders of one day are one purchase; empty unless
    /// [`Parts::days`] was asked for).
    pub days: Days,
    /// The cost of goods of its lines: quantity x the product's cost price, at the order
    /// day's rate of the cost's currency (0 unless [`Parts::costs`] was asked for).
    pub cost: Decimal,
    /// Its lines whose cost is unknown (no product, no cost price, or no rate for the cost's
    /// currency), counted as costing nothing.
    pub uncosted_lines: i64,
}

/// The days an item was bought on, and what it spent on the first of them: what RFM and the
/// lifetime-value models read of its purchases. Four bytes a day (a map of each day's amount
/// took a 200-byte node per customer: 110 MB over half a million contacts).
#[derive(Debug, Default)]
pub(crate) struct Days {
    /// Distinct, oldest first.
    dates: Vec<NaiveDate>,
    /// The amount of the first day.
    first_amount: Decimal,
}

impl Days {
    /// Adds `amount` spent on `day`, in any order of days.
    fn add(&mut self, day: NaiveDate, amount: Decimal) -> Result<()> {
        match self.dates.binary_search(&day) {
            Ok(0) => {
                self.first_amount = self.first_amount.checked_add(amount).ok_or_else(overflow)?;
            }
            Ok(_) => {}
            Err(0) => {
                self.dates.insert(0, day);
                self.first_amount = amount;
            }
            Err(at) => self.dates.insert(at, day),
        }
        Ok(())
    }

    /// How many purchase days.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// The first purchase day.
    pub fn first(&self) -> Option<NaiveDate> {
        self.dates.first().copied()
    }

    /// The last purchase day.
    pub fn last(&self) -> Option<NaiveDate> {
        self.dates.last().copied()
    }

    /// What the first purchase day came to.
    pub fn first_amount(&self) -> Decimal {
        self.first_amount
    }
}

/// The revenue of every item with orders in the period, and what the report says about it.
pub(crate) struct Collected {
    /// What was classified, over which period, in which currency.
    pub scope: AnalysisScope,
    /// The first day of every month of the period.
    pub months: Vec<NaiveDate>,
    /// By item.
    pub items: HashMap<Uuid, Revenue>,
    /// The currencies and days a line's cost found no rate for (at most 100).
    pub missing_cost_rates: Vec<MissingRate>,
}

/// The first day of `d`'s month.
fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The period of `params`: `from` and `to` (exclusive) as given; `from` alone runs through the
/// reference date, `to` alone starts 12 months before it; neither is the 12 full months before
/// the reference date's month.
pub(crate) fn period(params: &AnalysisParams) -> Result<(NaiveDate, NaiveDate, NaiveDate)> {
    let reference = params
        .reference_date
        .unwrap_or_else(|| Utc::now().date_naive());
    let this_month = month_start(reference);
    let default_from = this_month
        .checked_sub_months(Months::new(12))
        .unwrap_or(this_month);
    // `from` alone runs to the end of the reference date; `to` alone starts 12 months before.
    let (from, to) = match (params.from, params.to) {
        (Some(f), Some(t)) => (f, t),
        (Some(f), None) => (f, reference.succ_opt().unwrap_or(reference)),
        (None, Some(t)) => (t.checked_sub_months(Months::new(12)).unwrap_or(t), t),
        (None, None) => (default_from, this_month),
    };
    let mut errors = Vec::new();
    for (d, pointer) in [(reference, "/reference_date"), (from, "/from"), (to, "/to")] {
        if !(1900..=2100).contains(&d.year()) {
            errors.push(FieldError::new(
                pointer,
                "range",
                "must be a day from 1900 to 2100",
            ));
        }
    }
    if errors.is_empty() && from >= to {
        errors.push(FieldError::new("/to", "range", "must be after `from`"));
    }
    if errors.is_empty()
        && from
            .checked_add_months(Months::new(MAX_MONTHS))
            .is_some_and(|end| to > end)
    {
        errors.push(FieldError::new(
            "/to",
            "range",
            format!("a period spans at most {MAX_MONTHS} months"),
        ));
    }
    if !errors.is_empty() {
        return Err(Error::validation(errors).into());
    }
    Ok((from, to, reference))
}

/// The first day of every month from `from`'s to the month of the day before `to`.
fn months_of(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let last = month_start(to.pred_opt().unwrap_or(to));
    let mut out = Vec::new();
    let mut m = month_start(from);
    while m <= last {
        out.push(m);
        match m.checked_add_months(Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
}

/// The month index of `day` in `months`.
fn bucket(months: &[NaiveDate], day: NaiveDate) -> usize {
    let m = month_start(day);
    months
        .partition_point(|x| *x < m)
        .min(months.len().saturating_sub(1))
}

/// What of an item's revenue a report reads besides its total: each costs memory per
/// customer (a 120-month window's months are 1.9 KB a customer: 1 GB for the lifetime value of
/// 557,000 contacts), so a report asks for what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts {
    /// The cost of goods (the products are read only then).
    pub costs: bool,
    /// The revenue per month of the period.
    pub monthly: bool,
    /// The purchase days, and what the first of them came to.
    pub days: bool,
}

impl Parts {
    /// The total alone.
    pub const TOTALS: Parts = Parts {
        costs: false,
        monthly: false,
        days: false,
    };

    /// With the cost of goods.
    pub const fn costs(self) -> Parts {
        Parts {
            costs: true,
            ..self
        }
    }

    /// With the revenue per month.
    pub const fn monthly(self) -> Parts {
        Parts {
            monthly: true,
            ..self
        }
    }

    /// With the purchase days.
    pub const fn days(self) -> Parts {
        Parts { days: true, ..self }
    }
}

/// The order lines of the period, keyed by `subject`, summed per item in the base currency,
/// with the `parts` asked for (the others stay empty: `cost` 0, no month, no day).
pub(crate) async fn collect(ctx: &Ctx, params: &AnalysisParams, parts: Parts) -> Result<Collected> {
    ctx.require(Action::Read)?;
    let subject = params.subject.unwrap_or(AnalysisSubject::Companies);
    let (from, to, reference) = period(params)?;
    let db = &ctx.db;
    let base = base_currency(db, ctx).await?;
    let rates = Rates::load(db, ctx, &base).await?;
    let months = months_of(from, to);
    let backend = db.get_database_backend();
    let key = match subject {
        AnalysisSubject::Products => "l.product_id",
        AnalysisSubject::Companies => "d.company_id",
        AnalysisSubject::Contacts => "d.contact_id",
    };
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end = to.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let mut acc = Acc {
        months: &months,
        parts,
        items: HashMap::new(),
        orders: 0,
        orders_without_rate: 0,
        missing: BTreeSet::new(),
        missing_costs: BTreeSet::new(),
    };
    let period = Window {
        org: ctx.org_id(),
        key,
        start,
        end,
    };
    if backend == DbBackend::Postgres {
        let per_order = subject != AnalysisSubject::Products;
        super::revenue_grouped::collect(db, &period, &base, &rates, &mut acc, per_order).await?;
    } else {
        lines(db, &period, &base, &rates, &mut acc).await?;
    }
    let Acc {
        items,
        orders,
        orders_without_rate,
        missing,
        missing_costs,
        ..
    } = acc;
    let scope = AnalysisScope {
        subject,
        from,
        to,
        reference_date: reference,
        base_currency: base,
        orders,
        orders_without_rate,
        missing_rates: missing.into_iter().take(MAX_MISSING).collect(),
        computed_at: Utc::now(),
    };
    Ok(Collected {
        scope,
        months,
        items,
        missing_cost_rates: missing_costs.into_iter().take(MAX_MISSING).collect(),
    })
}

/// What the lines of a period are read by: the organization, the item's column, the period.
pub(super) struct Window {
    pub org: Uuid,
    /// The item's column (`l.product_id`, `d.company_id`, `d.contact_id`).
    pub key: &'static str,
    pub start: chrono::DateTime<Utc>,
    pub end: chrono::DateTime<Utc>,
}

impl Window {
    /// The lines' `FROM` and `WHERE` with the placeholders `$1`/`?` to `$3`, joined to their
    /// products (`p`, for cost prices) if `products`.
    pub(super) fn lines_sql(&self, backend: DbBackend, products: bool) -> String {
        format!(
            "FROM sales_documents d JOIN document_lines l \
             ON l.org_id = d.org_id AND l.document_id = d.id {}{}",
            if products {
                "LEFT JOIN products p ON p.id = l.product_id AND p.org_id = d.org_id "
            } else {
                ""
            },
            self.orders_where(backend, &format!("{} IS NOT NULL", self.key))
        )
    }

    /// The orders' `WHERE`, with `and` added.
    pub(super) fn orders_where(&self, backend: DbBackend, and: &str) -> String {
        let p = |n: usize| placeholder(backend, n);
        format!(
            "WHERE d.org_id = {} AND d.doc_type = 'order' AND d.status <> 'cancelled' \
             AND d.deleted_at IS NULL AND d.ordered_at >= {} AND d.ordered_at < {} AND {and}",
            p(1),
            p(2),
            p(3),
        )
    }

    /// The values of the placeholders.
    pub(super) fn values(&self) -> [sea_orm::Value; 3] {
        [self.org.into(), self.start.into(), self.end.into()]
    }
}

/// The sums a collection builds.
pub(super) struct Acc<'a> {
    pub months: &'a [NaiveDate],
    /// What is kept besides the totals.
    pub parts: Parts,
    pub items: HashMap<Uuid, Revenue>,
    pub orders: i64,
    pub orders_without_rate: i64,
    pub missing: BTreeSet<MissingRate>,
    pub missing_costs: BTreeSet<MissingRate>,
}

pub(super) fn overflow() -> Error {
    Error::internal("the revenue of an analysis overflows")
}

impl Acc<'_> {
    /// The item's sums.
    fn item(&mut self, item: Uuid) -> &mut Revenue {
        let months = if self.parts.monthly {
            self.months.len()
        } else {
            0
        };
        self.items.entry(item).or_insert_with(|| Revenue {
            total: Decimal::ZERO,
            monthly: vec![Decimal::ZERO; months],
            days: Days::default(),
            cost: Decimal::ZERO,
            uncosted_lines: 0,
        })
    }

    /// Adds `amount` (in the base currency) to `item` on `day`.
    pub(super) fn revenue(&mut self, item: Uuid, day: NaiveDate, amount: Decimal) -> Result<()> {
        let b = bucket(self.months, day);
        let days = self.parts.days;
        let entry = self.item(item);
        if days {
            entry.days.add(day, amount)?;
        }
        entry.total = entry.total.checked_add(amount).ok_or_else(overflow)?;
        if let Some(m) = entry.monthly.get_mut(b) {
            *m = m.checked_add(amount).ok_or_else(overflow)?;
        }
        Ok(())
    }

    /// Adds the cost of `lines` lines of `item`: `cost` when known, else they are uncosted.
    pub(super) fn cost(&mut self, item: Uuid, cost: Option<Decimal>, lines: i64) {
        let entry = self.item(item);
        // A cost that cannot be summed is unknown, never a failure of the revenue report.
        match cost.and_then(|c| entry.cost.checked_add(c)) {
            Some(sum) => entry.cost = sum,
            None => entry.uncosted_lines += lines,
        }
    }
}

/// A line's unit cost in SQL: its own (copied when it was sold, or sent by an ERP), else its
/// product's cost price now (lines written before lines kept their cost).
pub(super) const UNIT_COST: &str = "COALESCE(l.unit_cost, p.cost_price)";
/// The currency of [`UNIT_COST`].
pub(super) const COST_CURRENCY: &str =
    "CASE WHEN l.unit_cost IS NULL THEN p.cost_currency ELSE l.cost_currency END";

/// SQLite: the period's lines one by one, as they are read (SQLite has no decimal type to sum
/// them in).
async fn lines(
    db: &DatabaseConnection,
    w: &Window,
    base: &str,
    rates: &Rates,
    acc: &mut Acc<'_>,
) -> Result<()> {
    let backend = db.get_database_backend();
    // The products (for cost prices) only when costs are asked for.
    let costs = acc.parts.costs;
    let sql = format!(
        "SELECT d.id AS doc, {} AS item, d.currency AS currency, d.ordered_at AS ordered_at, \
         l.net_amount AS net{} {}",
        w.key,
        if costs {
            format!(
                ", l.quantity AS quantity, {UNIT_COST} AS cost_price, \
                 {COST_CURRENCY} AS cost_currency"
            )
        } else {
            String::new()
        },
        w.lines_sql(backend, costs)
    );
    let mut counted: HashSet<Uuid> = HashSet::new();
    let mut excluded: HashSet<Uuid> = HashSet::new();
    for_each_row(db, sql, w.values(), |row| -> Result<()> {
        let doc: Uuid = row.try_get("", "doc")?;
        let item: Uuid = row.try_get("", "item")?;
        let currency: String = row.try_get("", "currency")?;
        let ordered_at: chrono::DateTime<Utc> = row.try_get("", "ordered_at")?;
        let net: String = row.try_get("", "net")?;
        let day = ordered_at.date_naive();
        let amount = Decimal::from_str(&net).map_err(|_| {
            Error::internal(format!(
                "order {doc} has a line amount that is not a decimal"
            ))
        })?;
        let amount = match rates.rate(base, &currency, day) {
            Some(rate) => amount.checked_mul(rate).ok_or_else(overflow)?,
            None => {
                excluded.insert(doc);
                acc.missing.insert(MissingRate {
                    currency,
                    date: day,
                });
                return Ok(());
            }
        };
        counted.insert(doc);
        if costs {
            let cost = line_cost(&row, day, base, rates, &mut acc.missing_costs)?;
            acc.cost(item, cost, 1);
        }
        acc.revenue(item, day, amount)
    })
    .await?;
    acc.orders = counted.len() as i64;
    acc.orders_without_rate = excluded.len() as i64;
    Ok(())
}

/// A line's cost of goods in the base currency: its quantity x its unit cost, at the
/// order day's rate of the cost's currency; `None` when unknown (a missing rate is named).
fn line_cost(
    row: &sea_orm::QueryResult,
    day: NaiveDate,
    base: &str,
    rates: &Rates,
    missing: &mut BTreeSet<MissingRate>,
) -> Result<Option<Decimal>> {
    let price: Option<String> = row.try_get("", "cost_price")?;
    let currency: Option<String> = row.try_get("", "cost_currency")?;
    let quantity: String = row.try_get("", "quantity")?;
    let (Some(price), Some(currency)) = (price, currency) else {
        return Ok(None);
    };
    let (Ok(price), Ok(quantity)) = (Decimal::from_str(&price), Decimal::from_str(&quantity))
    else {
        return Ok(None);
    };
    let rate = match rates.rate(base, &currency, day) {
        Some(rate) => rate,
        None => {
            missing.insert(MissingRate {
                currency,
                date: day,
            });
            return Ok(None);
        }
    };
    Ok(price
        .checked_mul(quantity)
        .and_then(|c| c.checked_mul(rate)))
}

/// `amount` in the base currency as the API writes money (its minor units, at least).
pub(crate) fn money(amount: Decimal, currency: &str) -> String {
    let scale = crm_core::money::scale_of(currency);
    crm_core::Money::of(amount.round_dp(scale), currency).amount
}

/// A page of `items` by `offset` and `limit` (1 to 1000, default 100); all of them when the
/// parameters ask for every item.
pub(crate) fn page<T>(items: Vec<T>, params: &AnalysisParams) -> Result<Vec<T>> {
    if params.unpaged {
        return Ok(items);
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Error::invalid_field("/limit", "range", "must be from 1 to 1000").into());
    }
    let offset = params.offset.unwrap_or(0) as usize;
    Ok(items
        .into_iter()
        .skip(offset)
        .take(limit as usize)
        .collect())
}

/// Refuses `subject=products` for a report about customers, saying `why`.
pub(crate) fn customers_only(params: &AnalysisParams, why: &str) -> Result<()> {
    if params.subject == Some(AnalysisSubject::Products) {
        return Err(Error::invalid_field("/subject", "invalid_value", why).into());
    }
    Ok(())
}

/// A threshold parameter: `value` or `default`, within `min..=max`.
pub(crate) fn threshold(
    value: Option<f64>,
    default: f64,
    pointer: &str,
    min: f64,
    max: f64,
) -> Result<f64> {
    let v = value.unwrap_or(default);
    if !v.is_finite() || v < min || v > max {
        return Err(
            Error::invalid_field(pointer, "range", format!("must be from {min} to {max}")).into(),
        );
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_default_period_is_the_twelve_full_months_before_the_reference() {
        let params = AnalysisParams {
            reference_date: Some(d(2026, 12, 6)),
            ..Default::default()
        };
        let (from, to, _) = period(&params).unwrap();
        assert_eq!((from, to), (d(2025, 12, 1), d(2026, 12, 1)));
        assert_eq!(months_of(from, to).len(), 12);
        assert_eq!(bucket(&months_of(from, to), d(2026, 11, 30)), 11);
        assert_eq!(bucket(&months_of(from, to), d(2025, 12, 1)), 0);
        let from_only = AnalysisParams {
            reference_date: Some(d(2026, 12, 6)),
            from: Some(d(2026, 12, 2)),
            ..Default::default()
        };
        assert_eq!(period(&from_only).unwrap().1, d(2026, 12, 7));
        let to_only = AnalysisParams {
            to: Some(d(2026, 3, 1)),
            ..Default::default()
        };
        assert_eq!(period(&to_only).unwrap().0, d(2025, 3, 1));
    }

    #[test]
    fn purchase_days_count_each_day_once_and_keep_the_first_days_amount_in_any_order() {
        let mut days = Days::default();
        let amount = |s: &str| Decimal::from_str(s).unwrap();
        days.add(d(2026, 3, 5), amount("10")).unwrap();
        days.add(d(2026, 3, 9), amount("4.5")).unwrap();
        days.add(d(2026, 3, 5), amount("2")).unwrap();
        assert_eq!((days.len(), days.first_amount()), (2, amount("12")));
        // An earlier day arrives later: it becomes the first, with its own amount.
        days.add(d(2026, 2, 1), amount("7")).unwrap();
        days.add(d(2026, 3, 7), amount("1")).unwrap();
        days.add(d(2026, 2, 1), amount("0.25")).unwrap();
        days.add(d(2026, 3, 9), amount("3")).unwrap();
        assert_eq!(days.len(), 4);
        assert_eq!(days.first(), Some(d(2026, 2, 1)));
        assert_eq!(days.last(), Some(d(2026, 3, 9)));
        assert_eq!(days.first_amount(), amount("7.25"));
        assert_eq!(Days::default().first(), None);
    }

    #[test]
    fn a_period_of_part_months_has_a_bucket_for_each_month_it_touches() {
        let m = months_of(d(2026, 1, 15), d(2026, 3, 2));
        assert_eq!(m, vec![d(2026, 1, 1), d(2026, 2, 1), d(2026, 3, 1)]);
        let m = months_of(d(2026, 1, 15), d(2026, 3, 1));
        assert_eq!(m.len(), 2);
    }
}
