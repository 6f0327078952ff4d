//! Folding orders into the monthly revenue rollups: an order's contribution (its month, and
//! per subject its revenue in the base currency, lines and quantity) is computed from what the
//! order is now; what it added before (kept in `analytics_rollup_orders`) is taken back and
//! the new contribution added, so folding an order again changes nothing and folding every
//! order again repairs anything. The revenue is the reports' own: net line amounts of orders
//! that are not cancelled nor deleted, dated by their order date, converted at that day's rate.

use super::rates::Rates;
use crate::error::Result;
use chrono::{DateTime, Datelike, Utc};
use crm_core::Error;
use crm_core::db::Params;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use uuid::Uuid;

/// Orders (or rollup keys) per statement: well under SQLite's parameter limit.
const CHUNK: usize = 500;

/// The organization as a whole, as a rollup subject (its id is the nil id).
pub(crate) const ALL: &str = "all";

/// What one order adds to the rollups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Contribution {
    /// The first day of the order's month, `YYYY-MM-01`.
    month: String,
    /// Whether its currency had a rate on its day (else it only counts as an order without
    /// one).
    converted: bool,
    /// Per subject: `[type, id, revenue, lines, quantity]`.
    parts: Vec<(String, Uuid, String, i64, String)>,
}

/// A change to one rollup row.
#[derive(Debug, Default, Clone, PartialEq)]
struct Delta {
    revenue: Decimal,
    orders: i64,
    without_rate: i64,
    lines: i64,
    quantity: Decimal,
}

impl Delta {
    fn is_zero(&self) -> bool {
        *self == Delta::default()
    }
}

/// A rollup row's key: subject type, subject id, month.
type Key = (String, Uuid, String);

fn overflow() -> Error {
    Error::internal("a monthly revenue rollup overflows")
}

fn decimal(s: &str, what: &str) -> Result<Decimal> {
    Decimal::from_str(s)
        .map_err(|_| Error::internal(format!("{what} is not a decimal: {s}")).into())
}

/// Adds `sign` (1 or -1) times `c` to `deltas`.
fn apply(deltas: &mut HashMap<Key, Delta>, c: &Contribution, sign: i64) -> Result<()> {
    let factor = Decimal::from(sign);
    for (kind, id, revenue, lines, quantity) in &c.parts {
        let d = deltas
            .entry((kind.clone(), *id, c.month.clone()))
            .or_default();
        if c.converted {
            d.orders += sign;
        } else {
            d.without_rate += sign;
        }
        let revenue = decimal(revenue, "a rollup's revenue")?;
        let quantity = decimal(quantity, "a rollup's quantity")?;
        d.revenue = revenue
            .checked_mul(factor)
            .and_then(|r| d.revenue.checked_add(r))
            .ok_or_else(overflow)?;
        d.quantity = quantity
            .checked_mul(factor)
            .and_then(|q| d.quantity.checked_add(q))
            .ok_or_else(overflow)?;
        d.lines += sign * lines;
    }
    Ok(())
}

/// One order's lines as they count now.
struct OrderNow {
    ordered_at: DateTime<Utc>,
    currency: String,
    company: Option<Uuid>,
    contact: Option<Uuid>,
    /// `(product, net amount, quantity)` per line.
    lines: Vec<(Option<Uuid>, Decimal, Decimal)>,
}

/// What `order` adds now, in `base` at `rates`.
fn contribution(order: &OrderNow, base: &str, rates: &Rates) -> Result<Contribution> {
    let day = order.ordered_at.date_naive();
    let month = format!("{:04}-{:02}-01", day.year(), day.month());
    let rate = rates.rate(base, &order.currency, day);
    // Per subject: revenue, lines, quantity, in a stable order.
    let mut parts: BTreeMap<(&str, Uuid), (Decimal, i64, Decimal)> = BTreeMap::new();
    let mut add = |kind: &'static str, id: Uuid, amount: Decimal, qty: Decimal| -> Result<()> {
        let p = parts
            .entry((kind, id))
            .or_insert((Decimal::ZERO, 0, Decimal::ZERO));
        if let Some(rate) = rate {
            p.0 = amount
                .checked_mul(rate)
                .and_then(|a| p.0.checked_add(a))
                .ok_or_else(overflow)?;
            p.1 += 1;
            p.2 = p.2.checked_add(qty).ok_or_else(overflow)?;
        }
        Ok(())
    };
    for (product, net, qty) in &order.lines {
        add(ALL, Uuid::nil(), *net, *qty)?;
        if let Some(id) = order.company {
            add("companies", id, *net, *qty)?;
        }
        if let Some(id) = order.contact {
            add("contacts", id, *net, *qty)?;
        }
        if let Some(id) = product {
            add("products", *id, *net, *qty)?;
        }
    }
    Ok(Contribution {
        month,
        converted: rate.is_some(),
        parts: parts
            .into_iter()
            .map(|((kind, id), (revenue, lines, qty))| {
                (
                    kind.to_owned(),
                    id,
                    revenue.normalize().to_string(),
                    lines,
                    qty.normalize().to_string(),
                )
            })
            .collect(),
    })
}

/// The orders among `ids` that count, with their lines.
async fn orders_now(
    conn: &impl ConnectionTrait,
    org: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, OrderNow>> {
    let backend = conn.get_database_backend();
    let mut out: HashMap<Uuid, OrderNow> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let mut p = Params::new(backend);
        let org_ph = p.push(org);
        let list: Vec<String> = chunk.iter().map(|id| p.push(*id)).collect();
        let sql = format!(
            "SELECT d.id AS id, d.ordered_at AS ordered_at, d.currency AS currency, \
             d.company_id AS company_id, d.contact_id AS contact_id, \
             l.product_id AS product_id, l.net_amount AS net, l.quantity AS quantity \
             FROM sales_documents d JOIN document_lines l \
             ON l.org_id = d.org_id AND l.document_id = d.id WHERE d.org_id = {org_ph} AND d.id IN ({}) AND d.doc_type = 'order' \
             AND d.status <> 'cancelled' AND d.deleted_at IS NULL \
             AND d.ordered_at IS NOT NULL",
            list.join(", ")
        );
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, p.values))
            .await?;
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let net: String = row.try_get("", "net")?;
            let quantity: String = row.try_get("", "quantity")?;
            let line = (
                row.try_get::<Option<Uuid>>("", "product_id")?,
                decimal(&net, "a line's net amount")?,
                decimal(&quantity, "a line's quantity")?,
            );
            match out.get_mut(&id) {
                Some(order) => order.lines.push(line),
                None => {
                    out.insert(
                        id,
                        OrderNow {
                            ordered_at: row.try_get("", "ordered_at")?,
                            currency: row.try_get("", "currency")?,
                            company: row.try_get("", "company_id")?,
                            contact: row.try_get("", "contact_id")?,
                            lines: vec![line],
                        },
                    );
                }
            }
        }
    }
    Ok(out)
}

/// What the orders among `ids` added before.
async fn folded(
    conn: &impl ConnectionTrait,
    org: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (String, Contribution)>> {
    let backend = conn.get_database_backend();
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let mut p = Params::new(backend);
        let org_ph = p.push(org);
        let list: Vec<String> = chunk.iter().map(|id| p.push(*id)).collect();
        let sql = format!(
            "SELECT order_id, contribution FROM analytics_rollup_orders \
             WHERE org_id = {org_ph} AND order_id IN ({})",
            list.join(", ")
        );
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, p.values))
            .await?;
        for row in rows {
            let id: Uuid = row.try_get("", "order_id")?;
            let text: String = row.try_get("", "contribution")?;
            let c: Contribution = serde_json::from_str(&text).map_err(|e| {
                Error::internal(format!(
                    "order {id}'s rollup contribution is unreadable: {e}"
                ))
            })?;
            out.insert(id, (text, c));
        }
    }
    Ok(out)
}

/// The rollup rows of `keys` as they are.
async fn rows_of(
    conn: &impl ConnectionTrait,
    org: Uuid,
    keys: &[&Key],
) -> Result<HashMap<Key, Delta>> {
    let backend = conn.get_database_backend();
    let mut out = HashMap::new();
    // Per subject type, so that the primary key `(org, type, id, month)` finds the rows.
    let mut by_type: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
    for (kind, id, _) in keys {
        by_type.entry(kind.as_str()).or_default().push(*id);
    }
    let months: std::collections::HashSet<&str> = keys.iter().map(|k| k.2.as_str()).collect();
    let mut chunks: Vec<(&str, Vec<Uuid>)> = Vec::new();
    for (kind, ids) in &mut by_type {
        ids.sort_unstable();
        ids.dedup();
        chunks.extend(ids.chunks(CHUNK).map(|c| (*kind, c.to_vec())));
    }
    for (kind, chunk) in chunks {
        let mut p = Params::new(backend);
        let org_ph = p.push(org);
        let kind_ph = p.push(kind);
        let list: Vec<String> = chunk.iter().map(|id| p.push(*id)).collect();
        let sql = format!(
            "SELECT subject_type, subject_id, month, revenue, orders, orders_without_rate, \
             lines, quantity FROM analytics_monthly_revenue \
             WHERE org_id = {org_ph} AND subject_type = {kind_ph} AND subject_id IN ({})",
            list.join(", ")
        );
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, p.values))
            .await?;
        for row in rows {
            let month: String = row.try_get("", "month")?;
            if !months.contains(month.as_str()) {
                continue;
            }
            let revenue: String = row.try_get("", "revenue")?;
            let quantity: String = row.try_get("", "quantity")?;
            out.insert(
                (
                    row.try_get("", "subject_type")?,
                    row.try_get("", "subject_id")?,
                    month,
                ),
                Delta {
                    revenue: decimal(&revenue, "a rollup's revenue")?,
                    orders: row.try_get("", "orders")?,
                    without_rate: row.try_get("", "orders_without_rate")?,
                    lines: row.try_get("", "lines")?,
                    quantity: decimal(&quantity, "a rollup's quantity")?,
                },
            );
        }
    }
    Ok(out)
}

/// Applies `deltas` to the rollup rows: a row left with no order is removed.
async fn write_deltas(
    conn: &impl ConnectionTrait,
    org: Uuid,
    deltas: HashMap<Key, Delta>,
) -> Result<()> {
    let backend = conn.get_database_backend();
    let changed: Vec<(Key, Delta)> = deltas.into_iter().filter(|(_, d)| !d.is_zero()).collect();
    if changed.is_empty() {
        return Ok(());
    }
    let keys: Vec<&Key> = changed.iter().map(|(k, _)| k).collect();
    let current = rows_of(conn, org, &keys).await?;
    let mut upserts: Vec<(&Key, Delta)> = Vec::new();
    let mut removals: Vec<&Key> = Vec::new();
    for (key, d) in &changed {
        let now = current.get(key).cloned().unwrap_or_default();
        let next = Delta {
            revenue: now.revenue.checked_add(d.revenue).ok_or_else(overflow)?,
            orders: now.orders + d.orders,
            without_rate: now.without_rate + d.without_rate,
            lines: now.lines + d.lines,
            quantity: now.quantity.checked_add(d.quantity).ok_or_else(overflow)?,
        };
        if next.orders <= 0 && next.without_rate <= 0 {
            if current.contains_key(key) {
                removals.push(key);
            }
        } else {
            upserts.push((key, next));
        }
    }
    for chunk in upserts.chunks(CHUNK / 10) {
        let mut p = Params::new(backend);
        let org_ph = p.push(org);
        let tuples: Vec<String> = chunk
            .iter()
            .map(|((kind, id, month), d)| {
                format!(
                    "({org_ph}, {}, {}, {}, {}, {}, {}, {}, {})",
                    p.push(kind.clone()),
                    p.push(*id),
                    p.push(month.clone()),
                    p.push(d.revenue.normalize().to_string()),
                    p.push(d.orders),
                    p.push(d.without_rate),
                    p.push(d.lines),
                    p.push(d.quantity.normalize().to_string()),
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO analytics_monthly_revenue (org_id, subject_type, subject_id, month, \
             revenue, orders, orders_without_rate, lines, quantity) VALUES {} \
             ON CONFLICT (org_id, subject_type, subject_id, month) DO UPDATE SET \
             revenue = excluded.revenue, orders = excluded.orders, \
             orders_without_rate = excluded.orders_without_rate, lines = excluded.lines, \
             quantity = excluded.quantity",
            tuples.join(", ")
        );
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, p.values))
            .await?;
    }
    for chunk in removals.chunks(CHUNK / 4) {
        let mut p = Params::new(backend);
        let org_ph = p.push(org);
        let conds: Vec<String> = chunk
            .iter()
            .map(|(kind, id, month)| {
                format!(
                    "(subject_type = {} AND subject_id = {} AND month = {})",
                    p.push(kind.clone()),
                    p.push(*id),
                    p.push(month.clone())
                )
            })
            .collect();
        let sql = format!(
            "DELETE FROM analytics_monthly_revenue WHERE org_id = {org_ph} AND ({})",
            conds.join(" OR ")
        );
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, p.values))
            .await?;
    }
    Ok(())
}

/// Folds the orders `ids` of `org` into its rollups (inside the caller's write transaction):
/// each order's earlier contribution out, its present one in. Ids of other documents, or of
/// none, are ignored. Answers how many orders were added to the folded set, less those taken
/// out of it.
pub(crate) async fn fold(
    conn: &impl ConnectionTrait,
    org: Uuid,
    base: &str,
    rates: &Rates,
    ids: &[Uuid],
) -> Result<i64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let now = orders_now(conn, org, ids).await?;
    let before = folded(conn, org, ids).await?;
    let mut deltas: HashMap<Key, Delta> = HashMap::new();
    let mut writes: Vec<(Uuid, String)> = Vec::new();
    let mut removed: Vec<Uuid> = Vec::new();
    let mut net = 0i64;
    for id in ids {
        let new = now
            .get(id)
            .map(|o| contribution(o, base, rates))
            .transpose()?;
        let old = before.get(id);
        if new.as_ref() == old.map(|(_, c)| c) {
            continue;
        }
        if let Some((_, c)) = old {
            apply(&mut deltas, c, -1)?;
        }
        match &new {
            Some(c) => {
                apply(&mut deltas, c, 1)?;
                let text = serde_json::to_string(c)
                    .map_err(|e| Error::internal(format!("cannot write a contribution: {e}")))?;
                writes.push((*id, text));
                if old.is_none() {
                    net += 1;
                }
            }
            None => {
                removed.push(*id);
                net -= 1;
            }
        }
    }
    write_deltas(conn, org, deltas).await?;
    let backend = conn.get_database_backend();
    for chunk in removed.chunks(CHUNK) {
        let mut p = Params::new(backend);
        let org_ph = p.push(org);
        let list: Vec<String> = chunk.iter().map(|id| p.push(*id)).collect();
        let sql = format!(
            "DELETE FROM analytics_rollup_orders WHERE org_id = {org_ph} AND order_id IN ({})",
            list.join(", ")
        );
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, p.values))
            .await?;
    }
    for chunk in writes.chunks(CHUNK / 2) {
        let mut p = Params::new(backend);
        let org_ph = p.push(org);
        let tuples: Vec<String> = chunk
            .iter()
            .map(|(id, text)| format!("({}, {org_ph}, {})", p.push(*id), p.push(text.clone())))
            .collect();
        let sql = format!(
            "INSERT INTO analytics_rollup_orders (order_id, org_id, contribution) VALUES {} \
             ON CONFLICT (order_id) DO UPDATE SET contribution = excluded.contribution",
            tuples.join(", ")
        );
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, p.values))
            .await?;
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(currency: &str, lines: Vec<(Option<Uuid>, &str, &str)>) -> OrderNow {
        OrderNow {
            ordered_at: "2026-11-15T10:00:00Z".parse().unwrap(),
            currency: currency.to_owned(),
            company: Some(Uuid::from_u128(1)),
            contact: None,
            lines: lines
                .into_iter()
                .map(|(p, n, q)| (p, n.parse().unwrap(), q.parse().unwrap()))
                .collect(),
        }
    }

    #[test]
    fn an_order_adds_to_the_organization_its_customer_and_each_product() {
        let product = Uuid::from_u128(7);
        let o = order(
            "EUR",
            vec![(Some(product), "10.50", "2"), (None, "4.50", "1")],
        );
        let c = contribution(&o, "EUR", &Rates::default()).unwrap();
        assert_eq!(c.month, "2026-11-01");
        assert!(c.converted);
        assert_eq!(
            c.parts,
            vec![
                (
                    "all".to_owned(),
                    Uuid::nil(),
                    "15".to_owned(),
                    2,
                    "3".to_owned()
                ),
                (
                    "companies".to_owned(),
                    Uuid::from_u128(1),
                    "15".to_owned(),
                    2,
                    "3".to_owned()
                ),
                (
                    "products".to_owned(),
                    product,
                    "10.5".to_owned(),
                    1,
                    "2".to_owned()
                ),
            ]
        );
        let mut deltas = HashMap::new();
        apply(&mut deltas, &c, 1).unwrap();
        apply(&mut deltas, &c, -1).unwrap();
        assert!(deltas.values().all(Delta::is_zero));
    }

    #[test]
    fn an_order_without_a_rate_counts_only_as_such() {
        let o = order("USD", vec![(None, "10", "1")]);
        let c = contribution(&o, "EUR", &Rates::default()).unwrap();
        assert!(!c.converted);
        let mut deltas = HashMap::new();
        apply(&mut deltas, &c, 1).unwrap();
        let all = &deltas[&("all".to_owned(), Uuid::nil(), "2026-11-01".to_owned())];
        assert_eq!((all.orders, all.without_rate, all.lines), (0, 1, 0));
        assert_eq!(all.revenue, Decimal::ZERO);
    }
}
