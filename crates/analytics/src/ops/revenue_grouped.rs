//! PostgreSQL: the period's order lines summed in SQL (`numeric`, exact) per item, order
//! currency, order day and cost currency, so the server converts and adds one row per group
//! instead of one per line; and the orders counted per currency and day in a second statement
//! (an order spans several groups). The sums are the line-by-line path's exactly: a day's
//! amounts times its rate equal the sum of each amount times the rate, in decimals.
//!
//! The groups are read as they come ([`for_each_row`], not a vector of rows): at a million
//! orders a report has about as many groups, and holding their rows took a few hundred
//! megabytes.

use super::rates::Rates;
use super::revenue::{Acc, COST_CURRENCY, UNIT_COST, Window, overflow};
use crate::dto::MissingRate;
use crate::error::Result;
use chrono::NaiveDate;
use crm_core::Error;
use crm_core::db::for_each_row;
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use std::str::FromStr;
use uuid::Uuid;

fn decimal(s: &str) -> Result<Decimal> {
    Decimal::from_str(s)
        .map_err(|_| Error::internal(format!("a sum of order lines is not a decimal: {s}")).into())
}

/// The order day in SQL.
const DAY: &str = "(d.ordered_at AT TIME ZONE 'UTC')::date";

/// Sums the period's lines into `acc`, with their cost of goods if its parts ask for them.
/// `per_order`: each order belongs to one item (a customer), so orders are counted in the
/// same statement (with costs, an order's lines may fall in groups of several cost
/// currencies: it is counted in the group of its first line, position 0, which every order
/// has); a product's are counted apart.
pub(super) async fn collect(
    db: &DatabaseConnection,
    w: &Window,
    base: &str,
    rates: &Rates,
    acc: &mut Acc<'_>,
    per_order: bool,
) -> Result<()> {
    if !acc.parts.costs {
        return revenue_only(db, w, base, rates, acc, per_order).await;
    }
    let backend = db.get_database_backend();
    let day = DAY;
    let known = format!("{UNIT_COST} IS NOT NULL AND {COST_CURRENCY} IS NOT NULL");
    let sql = format!(
        "SELECT {key} AS item, d.currency AS currency, {day} AS day, \
         {COST_CURRENCY} AS cost_currency, \
         SUM(CAST(l.net_amount AS numeric))::text AS net, \
         (SUM(CAST(l.quantity AS numeric) * CAST({UNIT_COST} AS numeric)) \
           FILTER (WHERE {known}))::text AS cost, \
         COUNT(*) FILTER (WHERE {known}) AS costed, \
         COUNT(*) FILTER (WHERE NOT ({known})) AS uncosted, \
         COUNT(*) FILTER (WHERE l.position = 0) AS orders \
         {from} GROUP BY 1, 2, 3, 4",
        key = w.key,
        from = w.lines_sql(backend, true)
    );
    for_each_row(db, sql, w.values(), |row| -> Result<()> {
        let item: Uuid = row.try_get("", "item")?;
        let currency: String = row.try_get("", "currency")?;
        let day: NaiveDate = row.try_get("", "day")?;
        if per_order {
            let orders: i64 = row.try_get("", "orders")?;
            count(acc, base, rates, currency.clone(), day, orders);
        }
        let Some(rate) = rates.rate(base, &currency, day) else {
            return Ok(());
        };
        let net: String = row.try_get("", "net")?;
        let amount = decimal(&net)?.checked_mul(rate).ok_or_else(overflow)?;
        let uncosted: i64 = row.try_get("", "uncosted")?;
        if uncosted > 0 {
            acc.cost(item, None, uncosted);
        }
        let costed: i64 = row.try_get("", "costed")?;
        if costed > 0 {
            let cost_currency: Option<String> = row.try_get("", "cost_currency")?;
            let cost: Option<String> = row.try_get("", "cost")?;
            let cost_rate = match cost_currency {
                Some(c) => {
                    let r = rates.rate(base, &c, day);
                    if r.is_none() {
                        acc.missing_costs.insert(MissingRate {
                            currency: c,
                            date: day,
                        });
                    }
                    r
                }
                None => None,
            };
            let cost = match (cost, cost_rate) {
                (Some(c), Some(r)) => decimal(&c)?.checked_mul(r),
                _ => None,
            };
            acc.cost(item, cost, costed);
        }
        acc.revenue(item, day, amount)
    })
    .await?;
    if per_order {
        return Ok(());
    }
    count_orders(db, w, base, rates, acc).await
}

/// Counts an order of `currency` on `day`: with a rate it counts, else it is named.
fn count(acc: &mut Acc<'_>, base: &str, rates: &Rates, currency: String, day: NaiveDate, n: i64) {
    if rates.rate(base, &currency, day).is_some() {
        acc.orders += n;
    } else {
        acc.orders_without_rate += n;
        acc.missing.insert(MissingRate {
            currency,
            date: day,
        });
    }
}

/// The orders with a line of an item, per currency and day, into `acc`.
async fn count_orders(
    db: &DatabaseConnection,
    w: &Window,
    base: &str,
    rates: &Rates,
    acc: &mut Acc<'_>,
) -> Result<()> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT d.currency AS currency, {DAY} AS day, COUNT(*) AS orders \
         FROM sales_documents d {} GROUP BY 1, 2",
        w.orders_where(
            backend,
            &format!(
                "EXISTS (SELECT 1 FROM document_lines l WHERE l.org_id = d.org_id \
                 AND l.document_id = d.id AND {} IS NOT NULL)",
                w.key
            )
        )
    );
    for_each_row(db, sql, w.values(), |row| -> Result<()> {
        let orders: i64 = row.try_get("", "orders")?;
        count(
            acc,
            base,
            rates,
            row.try_get("", "currency")?,
            row.try_get("", "day")?,
            orders,
        );
        Ok(())
    })
    .await
}

/// The revenue alone: per item, currency and day; a customer's orders are summed per order
/// first and counted per group in the same statement, a product's counted apart.
async fn revenue_only(
    db: &DatabaseConnection,
    w: &Window,
    base: &str,
    rates: &Rates,
    acc: &mut Acc<'_>,
    per_order: bool,
) -> Result<()> {
    let backend = db.get_database_backend();
    let sql = if per_order {
        format!(
            "SELECT item, currency, day, SUM(net)::text AS net, COUNT(*) AS orders FROM (\
             SELECT {key} AS item, d.currency AS currency, {DAY} AS day, \
             SUM(CAST(l.net_amount AS numeric)) AS net {from} GROUP BY d.id) o \
             GROUP BY 1, 2, 3",
            key = w.key,
            from = w.lines_sql(backend, false)
        )
    } else {
        format!(
            "SELECT {key} AS item, d.currency AS currency, {DAY} AS day, \
             SUM(CAST(l.net_amount AS numeric))::text AS net, 0::int8 AS orders {from} \
             GROUP BY 1, 2, 3",
            key = w.key,
            from = w.lines_sql(backend, false)
        )
    };
    for_each_row(db, sql, w.values(), |row| -> Result<()> {
        let item: Uuid = row.try_get("", "item")?;
        let currency: String = row.try_get("", "currency")?;
        let day: NaiveDate = row.try_get("", "day")?;
        let orders: i64 = row.try_get("", "orders")?;
        let rate = rates.rate(base, &currency, day);
        if per_order {
            count(acc, base, rates, currency, day, orders);
        }
        let Some(rate) = rate else { return Ok(()) };
        let net: String = row.try_get("", "net")?;
        let amount = decimal(&net)?.checked_mul(rate).ok_or_else(overflow)?;
        acc.revenue(item, day, amount)
    })
    .await?;
    if !per_order {
        count_orders(db, w, base, rates, acc).await?;
    }
    Ok(())
}
