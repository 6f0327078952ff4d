//! The monthly revenue rollups over GraphQL (the same operations as
//! `/api/v1/analytics/rollups` and `/api/v1/analytics/monthly-revenue`).

use super::error::{IntoGql, gql};
use super::query::{caller, parse_id};
use async_graphql::{Context, ID, Object};
use chrono::NaiveDate;
use crm_analytics::{
    AnalysisParams, AnalysisSubject, ItemFilter, ItemSort, MonthlyRevenueReport, RevenueRollups,
    RevenueRollupsInput, ops,
};
use crm_core::Error;

/// Queries of the rollups.
#[derive(Default)]
pub struct AnalyticsRollupsQuery;

#[Object]
impl AnalyticsRollupsQuery {
    /// The monthly revenue rollups: whether they are kept, whether every order is being
    /// folded again, and when they last caught up with the change feed.
    async fn analytics_rollups(&self, ctx: &Context<'_>) -> async_graphql::Result<RevenueRollups> {
        ops::get_rollups(caller(ctx)?).await.gql()
    }

    /// Revenue per month from the rollups, as `GET /api/v1/analytics/monthly-revenue`: of the
    /// organization (no `subject`), of every company, contact or product, or of one of them
    /// (`subject` and `id`), over the months the period touches.
    #[allow(clippy::too_many_arguments)]
    async fn monthly_revenue(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        id: Option<ID>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        offset: Option<u32>,
        limit: Option<u32>,
        #[graphql(desc = "The rows' sort keys (ties keep the `(id, month)` order).")] sort: Option<
            Vec<ItemSort>,
        >,
        #[graphql(
            desc = "Conditions every row listed meets; `rowCount` counts the rows that meet them."
        )]
        filter: Option<Vec<ItemFilter>>,
    ) -> async_graphql::Result<MonthlyRevenueReport> {
        let id = match id {
            Some(id) => Some(parse_id(&id).ok_or_else(|| {
                gql(Error::invalid_field(
                    "/id",
                    "invalid_value",
                    "must be a company's, contact's or product's id",
                ))
            })?),
            None => None,
        };
        let p = AnalysisParams {
            subject,
            id,
            from,
            to,
            reference_date,
            offset,
            limit,
            items: super::analytics::item_query(sort, filter),
            ..AnalysisParams::default()
        };
        ops::monthly_revenue(caller(ctx)?, &p).await.gql()
    }
}

/// Mutations of the rollups.
#[derive(Default)]
pub struct AnalyticsRollupsMutation;

#[Object]
impl AnalyticsRollupsMutation {
    /// Turns the monthly revenue rollups on or off (admins); on folds every order, then
    /// follows the change feed.
    async fn update_analytics_rollups(
        &self,
        ctx: &Context<'_>,
        input: RevenueRollupsInput,
    ) -> async_graphql::Result<RevenueRollups> {
        ops::update_rollups(caller(ctx)?, input).await.gql()
    }
}
