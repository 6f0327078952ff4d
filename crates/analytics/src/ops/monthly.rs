//! Reading the monthly revenue rollups: a subject's months over a period, and the overview's
//! revenue section, without touching an order line.

use super::items::{Fields, Kind};
use super::items_sql::{self, Columns, Stored};
use super::revenue::period;
use super::rollup_fold::ALL;
use super::rollups::stored;
use super::settings::base_currency;
use crate::dto::{AnalysisParams, AnalysisSubject, OverviewFigure};
use crate::dto_rollups::{MonthlyRevenue, MonthlyRevenueReport};
use crate::error::Result;
use crate::model::rollup;
use chrono::{Datelike, Months, NaiveDate, Utc};
use crm_core::db::Params;
use crm_core::{Action, Ctx, Error};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use std::str::FromStr;
use uuid::Uuid;

/// The sortable and filterable fields of the monthly revenue rows.
pub(crate) const ITEM_FIELDS: Fields = &[
    ("id", Kind::Text),
    ("month", Kind::Text),
    ("revenue", Kind::Decimal),
    ("orders", Kind::Number),
    ("orders_without_rate", Kind::Number),
    ("lines", Kind::Number),
    ("quantity", Kind::Decimal),
];

/// Their columns (`id` is null for the organization as a whole, as in the answer).
const COLUMNS: Columns = &[
    (
        "id",
        "CASE WHEN subject_type = 'all' THEN NULL ELSE subject_id END",
        Stored::Uuid,
    ),
    ("month", "month", Stored::Text),
    ("revenue", "revenue", Stored::DecimalText),
    ("orders", "orders", Stored::Integer),
    (
        "orders_without_rate",
        "orders_without_rate",
        Stored::Integer,
    ),
    ("lines", "lines", Stored::Integer),
    ("quantity", "quantity", Stored::DecimalText),
];

fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}-01", d.year(), d.month())
}

/// The rollups of the caller's organization, if they are on.
async fn enabled(ctx: &Ctx) -> Result<Option<rollup::Model>> {
    Ok(stored(&ctx.db, ctx.org_id()).await?.filter(|r| r.enabled))
}

/// The months of `params.subject` (the organization as a whole without one), or of one of
/// them (`params.id`), over the months the period touches, in `(id, month)` order, paged.
pub async fn monthly_revenue(ctx: &Ctx, params: &AnalysisParams) -> Result<MonthlyRevenueReport> {
    ctx.require(Action::Read)?;
    let (from, to, reference) = period(params)?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Error::invalid_field("/limit", "range", "must be from 1 to 1000").into());
    }
    if params.id.is_some() && params.subject.is_none() {
        return Err(Error::invalid_field(
            "/id",
            "invalid_value",
            "names a company, contact or product: give `subject` too",
        )
        .into());
    }
    let Some(state) = enabled(ctx).await? else {
        return Err(Error::conflict(
            "The monthly revenue rollups are off: an admin turns them on with \
             PUT /api/v1/analytics/rollups {\"enabled\": true}",
        )
        .into());
    };
    let kind = params.subject.map_or(ALL, AnalysisSubject::as_str);
    let first = month_of(from);
    let end = to.format("%Y-%m-%d").to_string();
    let backend = ctx.db.get_database_backend();
    let mut p = Params::new(backend);
    let mut filter = format!(
        "org_id = {} AND subject_type = {} AND month >= {} AND month < {}",
        p.push(ctx.org_id()),
        p.push(kind),
        p.push(first),
        p.push(end)
    );
    if let Some(id) = params.id {
        filter.push_str(&format!(" AND subject_id = {}", p.push(id)));
    }
    let asked = items_sql::render(params, ITEM_FIELDS, COLUMNS, &mut p, backend)?;
    filter.push_str(&asked.conditions);
    let mut order = asked.order;
    order.extend(["subject_id".to_owned(), "month".to_owned()]);
    let count = ctx
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT COUNT(*) AS n FROM analytics_monthly_revenue WHERE {filter}"),
            p.values.clone(),
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let sql = format!(
        "SELECT subject_id, month, revenue, orders, orders_without_rate, lines, quantity \
         FROM analytics_monthly_revenue WHERE {filter} ORDER BY {} \
         LIMIT {limit} OFFSET {}",
        order.join(", "),
        params.offset.unwrap_or(0)
    );
    let rows = ctx
        .db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, p.values))
        .await?;
    let base = base_currency(&ctx.db, ctx).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get("", "subject_id")?;
        let month: String = row.try_get("", "month")?;
        let revenue: String = row.try_get("", "revenue")?;
        items.push(MonthlyRevenue {
            id: (kind != ALL).then_some(id),
            month: NaiveDate::parse_from_str(&month, "%Y-%m-%d")
                .map_err(|_| Error::internal(format!("a rollup month is not a day: {month}")))?,
            revenue: money(&revenue, &base)?,
            orders: row.try_get("", "orders")?,
            orders_without_rate: row.try_get("", "orders_without_rate")?,
            lines: row.try_get("", "lines")?,
            quantity: row.try_get("", "quantity")?,
        });
    }
    Ok(MonthlyRevenueReport {
        subject: params.subject,
        id: params.id,
        from: from.with_day(1).unwrap_or(from),
        to,
        reference_date: reference,
        base_currency: base,
        row_count: count,
        current_at: state.current_at,
        rebuilding: state.rebuilding,
        computed_at: Utc::now(),
        items,
    })
}

fn money(amount: &str, base: &str) -> Result<String> {
    let d = Decimal::from_str(amount)
        .map_err(|_| Error::internal(format!("a rollup's revenue is not a decimal: {amount}")))?;
    Ok(super::revenue::money(d, base))
}

/// The overview's section from the rollups: the organization's revenue and orders over the
/// months the period touches, the reference date's month so far and the month before it
/// (no figures while the rollups are off).
pub(crate) async fn overview_figures(
    ctx: &Ctx,
    params: &AnalysisParams,
) -> Result<Vec<OverviewFigure>> {
    let (from, to, reference) = period(params)?;
    let this_month = month_of(reference);
    let last_month = month_of(
        reference
            .with_day(1)
            .and_then(|d| d.checked_sub_months(Months::new(1)))
            .unwrap_or(reference),
    );
    let mut revenue = None;
    let mut orders = None;
    let mut current = None;
    let mut previous = None;
    if enabled(ctx).await?.is_some() {
        let backend = ctx.db.get_database_backend();
        let mut p = Params::new(backend);
        let sql = format!(
            "SELECT month, revenue, orders FROM analytics_monthly_revenue \
             WHERE org_id = {} AND subject_type = {} AND subject_id = {}",
            p.push(ctx.org_id()),
            p.push(ALL),
            p.push(Uuid::nil())
        );
        let rows = ctx
            .db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, p.values))
            .await?;
        let (first, end) = (month_of(from), to.format("%Y-%m-%d").to_string());
        let (mut sum, mut count) = (Decimal::ZERO, 0i64);
        let (mut this, mut last) = (Decimal::ZERO, Decimal::ZERO);
        let overflow = || Error::internal("the rollups' revenue overflows");
        for row in rows {
            let month: String = row.try_get("", "month")?;
            let text: String = row.try_get("", "revenue")?;
            let amount = Decimal::from_str(&text).map_err(|_| {
                Error::internal(format!("a rollup's revenue is not a decimal: {text}"))
            })?;
            if month >= first && month < end {
                sum = sum.checked_add(amount).ok_or_else(overflow)?;
                count += row.try_get::<i64>("", "orders")?;
            }
            if month == this_month {
                this = amount;
            }
            if month == last_month {
                last = amount;
            }
        }
        let base = base_currency(&ctx.db, ctx).await?;
        revenue = Some(super::revenue::money(sum, &base));
        orders = Some(count.to_string());
        current = Some(super::revenue::money(this, &base));
        previous = Some(super::revenue::money(last, &base));
    }
    let fig = |key: &str, label: &str, unit: &str, value: Option<String>| OverviewFigure {
        key: key.to_owned(),
        label: label.to_owned(),
        unit: unit.to_owned(),
        value,
    };
    Ok(vec![
        fig(
            "revenue",
            "Revenue of the period's months",
            "money",
            revenue,
        ),
        fig("orders", "Orders of the period's months", "count", orders),
        fig(
            "this_month",
            "Revenue of the reference date's month so far",
            "money",
            current,
        ),
        fig(
            "last_month",
            "Revenue of the month before",
            "money",
            previous,
        ),
    ])
}
