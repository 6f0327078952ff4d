//! The dashboard (issue #14 item 7): a registry of sections, each an analysis's headline
//! figures, so that later domains (marketing's campaign effectiveness, service's figures) add
//! a section without changing the answer's shape.

use super::revenue::period;
use super::settings::base_currency;
use super::{
    abc_report, funnel_report, next_best_actions, profit_report, retention_report, rfm_report,
    xyz_report,
};
use crate::dto::*;
use crate::dto_actions::ActionRule;
use crate::error::Result;
use chrono::{NaiveDate, Utc};
use crm_core::db::placeholder;
use crm_core::{Code, Ctx, Error};
use sea_orm::{ConnectionTrait, Statement};
use std::future::Future;
use std::pin::Pin;

/// What a section computes: its figures for the caller and the period.
pub type Compute =
    for<'a> fn(
        &'a Ctx,
        &'a AnalysisParams,
        &'a Known<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>>;

/// Reports already computed over the same period and parameters (the refresh's), which
/// sections take instead of computing them again.
#[derive(Default, Clone, Copy)]
pub struct Known<'k> {
    /// The ABC report.
    pub abc: Option<&'k AbcReport>,
    /// The XYZ report.
    pub xyz: Option<&'k XyzReport>,
    /// The RFM report.
    pub rfm: Option<&'k RfmReport>,
}

/// One section of the overview.
pub struct Section {
    /// Its stable key.
    pub key: &'static str,
    /// Its title.
    pub title: &'static str,
    /// Where its full report is.
    pub report: &'static str,
    /// Its figures.
    pub compute: Compute,
    /// Whether it is cheap and current enough to compute on every request (the rollups), even
    /// where the refresh stored the other sections.
    pub live: bool,
}

fn fig(key: &str, label: &str, unit: &str, value: Option<String>) -> OverviewFigure {
    OverviewFigure {
        key: key.to_owned(),
        label: label.to_owned(),
        unit: unit.to_owned(),
        value,
    }
}

fn count(n: i64) -> Option<String> {
    Some(n.to_string())
}

fn ratio(r: Option<f64>) -> Option<String> {
    r.map(|r| format!("{r:.4}"))
}

fn abc<'a>(
    ctx: &'a Ctx,
    p: &'a AnalysisParams,
    k: &'a Known<'a>,
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let owned;
        let r = match k.abc {
            Some(r) => r,
            None => {
                owned = abc_report(ctx, p).await?;
                &owned
            }
        };
        let mut out = vec![
            fig("revenue", "Revenue", "money", Some(r.total_revenue.clone())),
            fig(
                "customers",
                "Customers with orders",
                "count",
                count(r.row_count),
            ),
        ];
        for c in &r.classes {
            let k = format!("{:?}", c.class).to_lowercase();
            out.push(fig(
                &format!("class_{k}"),
                &format!("Class {:?} customers", c.class),
                "count",
                count(c.count),
            ));
        }
        Ok(out)
    })
}

fn xyz<'a>(
    ctx: &'a Ctx,
    p: &'a AnalysisParams,
    k: &'a Known<'a>,
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let owned;
        let r = match k.xyz {
            Some(r) => r,
            None => {
                owned = xyz_report(ctx, p).await?;
                &owned
            }
        };
        Ok(r.classes
            .iter()
            .map(|c| {
                let k = format!("{:?}", c.class).to_lowercase();
                fig(
                    &format!("class_{k}"),
                    &format!("Class {:?} customers", c.class),
                    "count",
                    count(c.count),
                )
            })
            .collect())
    })
}

fn rfm<'a>(
    ctx: &'a Ctx,
    p: &'a AnalysisParams,
    k: &'a Known<'a>,
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let owned;
        let r = match k.rfm {
            Some(r) => r,
            None => {
                owned = rfm_report(ctx, p).await?;
                &owned
            }
        };
        Ok(r.segments
            .iter()
            .map(|s| {
                fig(
                    &s.segment.replace(' ', "_"),
                    &s.segment,
                    "count",
                    count(s.count),
                )
            })
            .collect())
    })
}

fn retention<'a>(
    ctx: &'a Ctx,
    p: &'a AnalysisParams,
    _: &'a Known<'a>,
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let r = retention_report(ctx, p).await?;
        let last = r.churn.last();
        Ok(vec![
            fig(
                "new_customers",
                "Customers with a first order",
                "count",
                count(r.cohorts.iter().map(|c| c.size).sum()),
            ),
            fig(
                "active_customers",
                "Customers active at the last month's start",
                "count",
                last.map(|c| c.active_at_start.to_string()),
            ),
            fig(
                "churn_rate",
                "Churn in the last month",
                "ratio",
                ratio(last.and_then(|c| c.churn_rate)),
            ),
        ])
    })
}

fn funnel<'a>(
    ctx: &'a Ctx,
    p: &'a AnalysisParams,
    _: &'a Known<'a>,
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let r = match funnel_report(ctx, p).await {
            Ok(r) => Some(r),
            // No pipeline yet: the figures are empty, not the dashboard. A pipeline the
            // caller named and that is not there stays an error.
            Err(e) => match Error::from(e) {
                e if e.code == Code::ValidationFailed && p.pipeline_id.is_none() => None,
                e => return Err(e.into()),
            },
        };
        Ok(vec![
            fig(
                "open_deals",
                "Open deals",
                "count",
                r.as_ref().map(|r| r.open_deals.to_string()),
            ),
            fig(
                "won",
                "Deals won",
                "count",
                r.as_ref().map(|r| r.won.to_string()),
            ),
            fig(
                "win_rate",
                "Win rate",
                "ratio",
                ratio(r.as_ref().and_then(|r| r.win_rate)),
            ),
            fig(
                "average_deal_size",
                "Average won deal",
                "money",
                r.as_ref().and_then(|r| r.average_deal_size.clone()),
            ),
            fig(
                "sales_cycle_days",
                "Sales cycle",
                "days",
                r.as_ref()
                    .and_then(|r| r.sales_cycle_days)
                    .map(|d| format!("{d:.2}")),
            ),
            fig(
                "pipeline_velocity",
                "Pipeline velocity per day",
                "money",
                r.as_ref().and_then(|r| r.pipeline_velocity.clone()),
            ),
        ])
    })
}

fn profitability<'a>(
    ctx: &'a Ctx,
    p: &'a AnalysisParams,
    _: &'a Known<'a>,
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let r = profit_report(ctx, p).await?;
        Ok(vec![
            fig(
                "unprofitable",
                "Customers who cost more than they bring",
                "count",
                count(r.unprofitable),
            ),
            fig(
                "unprofitable_loss",
                "What they lose",
                "money",
                Some(r.unprofitable_loss),
            ),
        ])
    })
}

/// The figures the refresh wrote onto the customers (`analytics.*`), summed in one statement:
/// customers with figures, their predicted value, their mean P(alive), those at churn risk.
fn written_back<'a>(
    ctx: &'a Ctx,
    p: &'a AnalysisParams,
    _: &'a Known<'a>,
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let table = match p.subject {
            Some(AnalysisSubject::Contacts) => "contacts",
            _ => "companies",
        };
        let backend = ctx.db.get_database_backend();
        let ph = placeholder(backend, 1);
        let row = ctx
            .db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT COUNT(*) AS n, SUM(analytics_clv) AS clv, AVG(analytics_p_alive) AS alive, \
                     SUM(CASE WHEN analytics_churn_risk >= 0.5 THEN 1 ELSE 0 END) AS risky \
                     FROM {table} WHERE org_id = {ph} \
                     AND deleted_at IS NULL AND analytics_computed_at IS NOT NULL"
                ),
                [ctx.org_id().into()],
            ))
            .await?;
        let (n, clv, alive, risky) = match row {
            Some(r) => (
                r.try_get::<i64>("", "n")?,
                r.try_get::<Option<f64>>("", "clv")?,
                r.try_get::<Option<f64>>("", "alive")?,
                r.try_get::<Option<i64>>("", "risky")?,
            ),
            None => (0, None, None, None),
        };
        Ok(vec![
            fig("customers", "Customers with figures", "count", count(n)),
            fig(
                "predicted_value",
                "Their lifetime value over the next 12 months",
                "money",
                clv.map(|v| format!("{v:.2}")),
            ),
            fig("mean_p_alive", "Their mean P(alive)", "ratio", ratio(alive)),
            fig(
                "at_churn_risk",
                "Customers with a churn risk of 0.5 or more",
                "count",
                count(risky.unwrap_or(0)),
            ),
        ])
    })
}

/// How many next best actions each rule proposes now.
fn actions<'a>(
    ctx: &'a Ctx,
    p: &'a AnalysisParams,
    _: &'a Known<'a>,
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let q = AnalysisParams {
            subject: p.subject,
            unpaged: true,
            ..AnalysisParams::default()
        };
        let r = next_best_actions(ctx, &q).await?;
        let of = |rule: ActionRule| r.items.iter().filter(|i| i.rule == rule).count() as i64;
        Ok(vec![
            fig("actions", "Actions proposed", "count", count(r.row_count)),
            fig(
                "retention_calls",
                "Retention calls",
                "count",
                count(of(ActionRule::RetentionCall)),
            ),
            fig(
                "cross_sell_offers",
                "Cross-sell offers",
                "count",
                count(of(ActionRule::CrossSellOffer)),
            ),
            fig(
                "reactivations",
                "Win-backs",
                "count",
                count(of(ActionRule::Reactivation)),
            ),
        ])
    })
}

/// The organization's revenue by month, from the rollups (kept current from the change feed).
fn monthly<'a>(
    ctx: &'a Ctx,
    p: &'a AnalysisParams,
    _: &'a Known<'a>,
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(super::monthly::overview_figures(ctx, p))
}

/// The sections of this crate's analyses, in dashboard order; a later domain appends its own.
pub fn default_sections() -> Vec<Section> {
    vec![
        Section {
            key: "abc",
            title: "Customers by revenue (ABC)",
            report: "/api/v1/analytics/abc",
            compute: abc,
            live: false,
        },
        Section {
            key: "xyz",
            title: "Stability of demand (XYZ)",
            report: "/api/v1/analytics/xyz",
            compute: xyz,
            live: false,
        },
        Section {
            key: "rfm",
            title: "Customer segments (RFM)",
            report: "/api/v1/analytics/rfm",
            compute: rfm,
            live: false,
        },
        Section {
            key: "retention",
            title: "Retention",
            report: "/api/v1/analytics/retention",
            compute: retention,
            live: false,
        },
        Section {
            key: "funnel",
            title: "Pipeline",
            report: "/api/v1/analytics/funnel",
            compute: funnel,
            live: false,
        },
        Section {
            key: "profitability",
            title: "Profitability",
            report: "/api/v1/analytics/profitability",
            compute: profitability,
            live: false,
        },
        Section {
            key: "lifetime_value",
            title: "Lifetime value and churn risk (the refreshed figures)",
            report: "/api/v1/analytics/clv",
            compute: written_back,
            live: false,
        },
        Section {
            key: "next_best_actions",
            title: "Next best actions",
            report: "/api/v1/analytics/next-best-actions",
            compute: actions,
            live: false,
        },
        Section {
            key: "monthly_revenue",
            title: "Revenue by month (the rollups)",
            report: "/api/v1/analytics/monthly-revenue",
            compute: monthly,
            live: true,
        },
    ]
}

/// The parameters every section gets: the period's days filled in, products read as companies.
pub(crate) fn prepared(params: &AnalysisParams) -> Result<(AnalysisParams, NaiveDate, NaiveDate)> {
    let (from, to, reference) = period(params)?;
    let mut p = params.clone();
    if p.subject != Some(AnalysisSubject::Contacts) {
        p.subject = Some(AnalysisSubject::Companies);
    }
    p.from = Some(from);
    p.to = Some(to);
    p.reference_date = Some(reference);
    Ok((p, from, to))
}

/// Whether the caller asked for the default period and thresholds (what the refresh stores).
fn asks_defaults(p: &AnalysisParams) -> bool {
    p.from.is_none()
        && p.to.is_none()
        && p.reference_date.is_none()
        && p.a.is_none()
        && p.b.is_none()
        && p.x.is_none()
        && p.y.is_none()
        && p.inactive_days.is_none()
        && p.pipeline_id.is_none()
}

/// Computes `section`'s figures now.
pub(crate) async fn compute_section(
    ctx: &Ctx,
    p: &AnalysisParams,
    section: &Section,
    known: &Known<'_>,
) -> Result<OverviewSection> {
    Ok(OverviewSection {
        key: section.key.to_owned(),
        title: section.title.to_owned(),
        report: section.report.to_owned(),
        figures: (section.compute)(ctx, p, known).await?,
        computed_at: Utc::now(),
    })
}

/// The sections of `sections` whose keys `only` names (in the registry's order), or all of them;
/// a key that names none is a 422 listing the keys.
fn chosen<'s>(sections: &'s [Section], only: Option<&[String]>) -> Result<Vec<&'s Section>> {
    let Some(keys) = only else {
        return Ok(sections.iter().collect());
    };
    let known: Vec<&str> = sections.iter().map(|s| s.key).collect();
    let unknown: Vec<&String> = keys
        .iter()
        .filter(|k| !known.contains(&k.as_str()))
        .collect();
    if keys.is_empty() || !unknown.is_empty() {
        let what = if keys.is_empty() {
            "names no section".to_owned()
        } else {
            let names: Vec<&str> = unknown.iter().map(|k| k.as_str()).collect();
            format!("names no section: {}", names.join(", "))
        };
        return Err(Error::invalid_field(
            "/sections",
            "invalid_value",
            format!("{what}; the sections are {}", known.join(", ")),
        )
        .into());
    }
    Ok(sections
        .iter()
        .filter(|s| keys.iter().any(|k| k == s.key))
        .collect())
}

/// Every section's figures over the period of `params` (customers are companies unless
/// `subject` says contacts), or only those `only` names by key (a dashboard widget computes
/// what it shows). With the default period and thresholds, while the analytics refresh is
/// enabled and has run today, the sections it stored are answered as it computed them (each
/// says when); the live sections, and any other request, are computed now.
pub async fn overview(
    ctx: &Ctx,
    params: &AnalysisParams,
    sections: &[Section],
    only: Option<&[String]>,
) -> Result<Overview> {
    ctx.require(crm_core::Action::Read)?;
    let sections = chosen(sections, only)?;
    let (p, from, to) = prepared(params)?;
    let reference = p.reference_date.unwrap_or(to);
    let subject = p.subject.unwrap_or(AnalysisSubject::Companies);
    let stored = if asks_defaults(params) {
        super::overview_snapshot::load(ctx, subject, reference).await?
    } else {
        Vec::new()
    };
    let known = Known::default();
    let mut out = Vec::with_capacity(sections.len());
    for s in sections {
        match stored.iter().find(|kept| kept.key == s.key) {
            Some(kept) if !s.live => out.push(OverviewSection {
                key: s.key.to_owned(),
                title: s.title.to_owned(),
                report: s.report.to_owned(),
                figures: kept.figures.clone(),
                computed_at: kept.computed_at,
            }),
            _ => out.push(compute_section(ctx, &p, s, &known).await?),
        }
    }
    let now = Utc::now();
    Ok(Overview {
        from,
        to,
        reference_date: reference,
        base_currency: base_currency(&ctx.db, ctx).await?,
        computed_at: out.iter().map(|s| s.computed_at).min().unwrap_or(now),
        sections: out,
    })
}
