//! Retention (issue #14 item 6): monthly cohorts by the month of each customer's first order
//! ever, the share of each still ordering N months later, and churn per month with an
//! inactivity window. Counts orders, not money: no exchange rate is involved.

use super::revenue::{customers_only, period};
use super::settings::base_currency;
use crate::dto::*;
use crate::error::Result;
use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use crm_core::db::placeholder;
use crm_core::{Action, Ctx, Error};
use sea_orm::{ConnectionTrait, Statement};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(Months::new(1)).unwrap_or(d)
}

fn label(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// Whether a customer who ordered on `days` is active at `at`: an order before `at` within
/// `window` days of it.
fn active_at(days: &BTreeSet<NaiveDate>, at: NaiveDate, window: i64) -> bool {
    days.range(..at)
        .next_back()
        .is_some_and(|last| (at - *last).num_days() <= window)
}

/// The retention report of `params.subject` (companies by default, or contacts).
pub async fn retention_report(ctx: &Ctx, params: &AnalysisParams) -> Result<RetentionReport> {
    ctx.require(Action::Read)?;
    let subject = params.subject.unwrap_or(AnalysisSubject::Companies);
    customers_only(params, "retention follows customers: companies or contacts")?;
    let window = i64::from(params.inactive_days.unwrap_or(90));
    if !(1..=3650).contains(&window) {
        return Err(
            Error::invalid_field("/inactive_days", "range", "must be from 1 to 3650").into(),
        );
    }
    let periods = params.periods.unwrap_or(12);
    if periods > 120 {
        return Err(Error::invalid_field("/periods", "range", "must be from 0 to 120").into());
    }
    let (from, to, reference) = period(params)?;
    let db = &ctx.db;
    let backend = db.get_database_backend();
    let key = match subject {
        AnalysisSubject::Contacts => "contact_id",
        _ => "company_id",
    };
    let p = |n: usize| placeholder(backend, n);
    // Every order before the period's end: the first one ever makes the cohort.
    let sql = format!(
        "SELECT {key} AS item, ordered_at FROM sales_documents WHERE org_id = {} \
         AND doc_type = 'order' AND status <> 'cancelled' AND deleted_at IS NULL \
         AND ordered_at < {} AND {key} IS NOT NULL",
        p(1),
        p(2)
    );
    let end = to.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [ctx.org_id().into(), end.into()],
        ))
        .await?;
    let mut days: HashMap<Uuid, BTreeSet<NaiveDate>> = HashMap::new();
    let mut orders_in_period = 0i64;
    for row in rows {
        let item: Uuid = row.try_get("", "item")?;
        let at: chrono::DateTime<Utc> = row.try_get("", "ordered_at")?;
        let day = at.date_naive();
        if day >= from {
            orders_in_period += 1;
        }
        days.entry(item).or_default().insert(day);
    }
    let last_month = month_start(to - Duration::days(1));
    // Cohorts: first order month within the period.
    let mut cohorts: BTreeMap<NaiveDate, Vec<&BTreeSet<NaiveDate>>> = BTreeMap::new();
    for d in days.values() {
        if let Some(first) = d.iter().next()
            && *first >= from
        {
            cohorts.entry(month_start(*first)).or_default().push(d);
        }
    }
    let cohorts = cohorts
        .into_iter()
        .map(|(month, members)| {
            let size = members.len() as i64;
            let mut retention = Vec::new();
            let mut m = month;
            let mut offset = 0;
            while m <= last_month && offset <= periods as i32 {
                let next = next_month(m);
                let customers = members
                    .iter()
                    .filter(|d| d.range(m..next).next().is_some())
                    .count() as i64;
                retention.push(CohortCell {
                    offset,
                    month: label(m),
                    customers,
                    share: customers as f64 / size.max(1) as f64,
                });
                m = next;
                offset += 1;
            }
            Cohort {
                month: label(month),
                size,
                retention,
            }
        })
        .collect();
    // Churn per month of the period: active at its start, inactive at the next one's.
    let mut churn = Vec::new();
    let mut m = month_start(from);
    while m <= last_month {
        let next = next_month(m);
        let active: Vec<&BTreeSet<NaiveDate>> =
            days.values().filter(|d| active_at(d, m, window)).collect();
        let churned = active
            .iter()
            .filter(|d| !active_at(d, next, window))
            .count() as i64;
        let active_at_start = active.len() as i64;
        churn.push(ChurnPeriod {
            month: label(m),
            active_at_start,
            churned,
            churn_rate: (active_at_start > 0).then(|| churned as f64 / active_at_start as f64),
        });
        if next == m {
            break;
        }
        m = next;
    }
    Ok(RetentionReport {
        scope: AnalysisScope {
            subject,
            from,
            to,
            reference_date: reference,
            base_currency: base_currency(db, ctx).await?,
            orders: orders_in_period,
            orders_without_rate: 0,
            missing_rates: Vec::new(),
            computed_at: Utc::now(),
        },
        inactive_days: window,
        cohorts,
        churn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_means_an_order_within_the_window_before() {
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let days: BTreeSet<NaiveDate> = [d(1, 10)].into_iter().collect();
        assert!(active_at(&days, d(2, 1), 90));
        assert!(
            active_at(&days, d(4, 10), 90),
            "90 days after is still inside"
        );
        assert!(!active_at(&days, d(4, 11), 90));
        assert!(
            !active_at(&days, d(1, 10), 90),
            "an order on the day itself is not before it"
        );
    }
}
