//! The dashboard (issue #14 item 7): a registry of sections, each an analysis's headline
//! figures, so that later domains (marketing's campaign effectiveness, service's figures) add
//! a section without changing the answer's shape.

use super::revenue::period;
use super::settings::base_currency;
use super::{abc_report, funnel_report, profit_report, retention_report, rfm_report, xyz_report};
use crate::dto::*;
use crate::error::Result;
use chrono::Utc;
use crm_core::{Code, Ctx, Error};
use std::future::Future;
use std::pin::Pin;

/// What a section computes: its figures for the caller and the period.
pub type Compute =
    for<'a> fn(
        &'a Ctx,
        &'a AnalysisParams,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>>;

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
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let r = abc_report(ctx, p).await?;
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
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let r = xyz_report(ctx, p).await?;
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
) -> Pin<Box<dyn Future<Output = Result<Vec<OverviewFigure>>> + Send + 'a>> {
    Box::pin(async move {
        let r = rfm_report(ctx, p).await?;
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

/// The sections of this crate's analyses, in dashboard order; a later domain appends its own.
pub fn default_sections() -> Vec<Section> {
    vec![
        Section {
            key: "abc",
            title: "Customers by revenue (ABC)",
            report: "/api/v1/analytics/abc",
            compute: abc,
        },
        Section {
            key: "xyz",
            title: "Stability of demand (XYZ)",
            report: "/api/v1/analytics/xyz",
            compute: xyz,
        },
        Section {
            key: "rfm",
            title: "Customer segments (RFM)",
            report: "/api/v1/analytics/rfm",
            compute: rfm,
        },
        Section {
            key: "retention",
            title: "Retention",
            report: "/api/v1/analytics/retention",
            compute: retention,
        },
        Section {
            key: "funnel",
            title: "Pipeline",
            report: "/api/v1/analytics/funnel",
            compute: funnel,
        },
        Section {
            key: "profitability",
            title: "Profitability",
            report: "/api/v1/analytics/profitability",
            compute: profitability,
        },
    ]
}

/// Every section's figures over the period of `params` (customers are companies unless
/// `subject` says contacts).
pub async fn overview(
    ctx: &Ctx,
    params: &AnalysisParams,
    sections: &[Section],
) -> Result<Overview> {
    ctx.require(crm_core::Action::Read)?;
    let (from, to, reference) = period(params)?;
    let mut p = params.clone();
    if p.subject == Some(AnalysisSubject::Products) {
        p.subject = None;
    }
    p.from = Some(from);
    p.to = Some(to);
    p.reference_date = Some(reference);
    let mut out = Vec::with_capacity(sections.len());
    for s in sections {
        out.push(OverviewSection {
            key: s.key.to_owned(),
            title: s.title.to_owned(),
            report: s.report.to_owned(),
            figures: (s.compute)(ctx, &p).await?,
        });
    }
    Ok(Overview {
        from,
        to,
        reference_date: reference,
        base_currency: base_currency(&ctx.db, ctx).await?,
        sections: out,
        computed_at: Utc::now(),
    })
}
