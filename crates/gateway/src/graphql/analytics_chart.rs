//! Charts of the analytics reports over GraphQL: the same SVG documents the reports' REST
//! endpoints answer with `?format=svg`.

use super::error::{IntoGql, gql};
use super::query::{caller, parse_id};
use crate::rest::analytics_query as q;
use crate::rest::analytics_svg as svg;
use async_graphql::{Context, Enum, ID, Object};
use chrono::NaiveDate;
use crm_analytics::{AnalysisParams, AnalysisSubject, ops};
use crm_core::{Error, FieldError};

/// A report's chart.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AnalyticsChart {
    /// ABC: revenue bars of the page's items by rank, the cumulative share and the thresholds
    /// (the Pareto chart).
    AbcPareto,
    /// The ABC-XYZ matrix: nine cells shaded by their share of the items.
    AbcXyzMatrix,
    /// RFM: every customer on the grid of recency and frequency scores.
    RfmGrid,
    /// Retention: the cohorts' shares still ordering, as a heat map.
    CohortHeatMap,
    /// A pipeline's funnel.
    Funnel,
}

impl AnalyticsChart {
    /// The parameters its report takes besides the period (the REST endpoint's list).
    fn takes(self) -> &'static [&'static str] {
        match self {
            Self::AbcPareto => q::ABC,
            Self::AbcXyzMatrix => q::MATRIX,
            Self::RfmGrid => q::RFM,
            Self::CohortHeatMap => q::RETENTION,
            Self::Funnel => q::FUNNEL,
        }
    }
}

/// Analytics charts.
#[derive(Default)]
pub struct AnalyticsChartQuery;

#[Object]
impl AnalyticsChartQuery {
    /// A report's chart as an SVG 1.1 document (text as text), as the report's REST endpoint
    /// answers `?format=svg`: a front end embeds it as it is. The arguments are the report's;
    /// one its report does not take is refused (`validation_failed`, naming it).
    #[allow(clippy::too_many_arguments)]
    async fn analytics_chart(
        &self,
        ctx: &Context<'_>,
        chart: AnalyticsChart,
        subject: Option<AnalysisSubject>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        a: Option<f64>,
        b: Option<f64>,
        x: Option<f64>,
        y: Option<f64>,
        inactive_days: Option<u32>,
        periods: Option<u32>,
        pipeline_id: Option<ID>,
        offset: Option<u32>,
        limit: Option<u32>,
    ) -> async_graphql::Result<String> {
        let sent = [
            ("subject", "subject", subject.is_some()),
            ("a", "a", a.is_some()),
            ("b", "b", b.is_some()),
            ("x", "x", x.is_some()),
            ("y", "y", y.is_some()),
            ("inactive_days", "inactiveDays", inactive_days.is_some()),
            ("periods", "periods", periods.is_some()),
            ("pipeline_id", "pipelineId", pipeline_id.is_some()),
            ("offset", "offset", offset.is_some()),
            ("limit", "limit", limit.is_some()),
        ];
        let refused: Vec<FieldError> = sent
            .iter()
            .filter(|(name, _, given)| *given && !chart.takes().contains(name))
            .map(|(_, field, _)| {
                FieldError::new(
                    format!("/{field}"),
                    "unknown_field",
                    "is not an argument of this chart",
                )
            })
            .collect();
        if !refused.is_empty() {
            return Err(gql(Error::validation(refused)));
        }
        let pipeline_id = match pipeline_id {
            Some(id) => Some(parse_id(&id).ok_or_else(|| {
                gql(Error::invalid_field(
                    "/pipelineId",
                    "invalid_value",
                    "is not a pipeline of this organization",
                ))
            })?),
            None => None,
        };
        let p = AnalysisParams {
            subject,
            from,
            to,
            reference_date,
            a,
            b,
            x,
            y,
            inactive_days,
            periods,
            pipeline_id,
            offset,
            limit,
            // The RFM grid places every customer.
            unpaged: chart == AnalyticsChart::RfmGrid,
            ..AnalysisParams::default()
        };
        let c = caller(ctx)?;
        let drawn = match chart {
            AnalyticsChart::AbcPareto => svg::pareto(&ops::abc_report(c, &p).await.gql()?),
            AnalyticsChart::AbcXyzMatrix => svg::matrix(&ops::abc_xyz_matrix(c, &p).await.gql()?),
            AnalyticsChart::RfmGrid => svg::rfm(&ops::rfm_report(c, &p).await.gql()?),
            AnalyticsChart::CohortHeatMap => {
                svg::cohorts(&ops::retention_report(c, &p).await.gql()?)
            }
            AnalyticsChart::Funnel => svg::funnel(&ops::funnel_report(c, &p).await.gql()?),
        };
        drawn.map_err(gql)
    }
}
