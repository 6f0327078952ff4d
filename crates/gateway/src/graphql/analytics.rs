//! Analytics resolvers (the same operations as `/api/v1/analytics/...` and
//! `/api/v1/exchange-rates`): the base currency, exchange rates, and the ABC, XYZ and ABC-XYZ
//! reports.

use super::connection::{connection, page_request};
use super::error::{IntoGql, gql};
use super::query::{caller, parse_id};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};
use chrono::NaiveDate;
use crm_analytics::{
    AbcReport, AbcXyzMatrix, ActionDecision, ActionDecisionInput, AnalysisParams, AnalysisSubject,
    AnalyticsRefresh, AnalyticsRefreshInput, AnalyticsSettings, AnalyticsSettingsInput, ClvReport,
    CrossSellReport, ExchangeRate, ExchangeRateInput, FunnelReport, ItemFilter, ItemQuery,
    ItemSort, NextBestActions, Overview, ProfitReport, RecommendationReport, RetentionReport,
    RfmReport, TimeUnit, XyzReport, ops,
};
use crm_core::Error;

/// Analytics queries.
#[derive(Default)]
pub struct AnalyticsQuery;

/// The items' sort keys and filters of a report's GraphQL arguments.
pub(super) fn item_query(
    sort: Option<Vec<ItemSort>>,
    filter: Option<Vec<ItemFilter>>,
) -> ItemQuery {
    ItemQuery {
        sort: sort.unwrap_or_default(),
        filters: filter.unwrap_or_default(),
    }
}

#[Object]
impl AnalyticsQuery {
    /// The organization's analytics settings: the base currency of every report.
    async fn analytics_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<AnalyticsSettings> {
        ops::get_settings(caller(ctx)?).await.gql()
    }

    /// Per company or contact, the next best actions the documented rules propose from its
    /// written-back figures, ranked and explained, as
    /// `GET /api/v1/analytics/next-best-actions`.
    #[allow(clippy::too_many_arguments)]
    async fn next_best_actions(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        customer_id: Option<ID>,
        offset: Option<u32>,
        limit: Option<u32>,
        #[graphql(
            desc = "The actions' sort keys (ties keep the ranking; `rank` stays each action's place in it)."
        )]
        sort: Option<Vec<ItemSort>>,
        #[graphql(
            desc = "Conditions every action listed meets; `rowCount` counts the actions that meet them."
        )]
        filter: Option<Vec<ItemFilter>>,
    ) -> async_graphql::Result<NextBestActions> {
        let customer_id = match customer_id {
            Some(id) => Some(parse_id(&id).ok_or_else(|| {
                gql(Error::invalid_field(
                    "/customerId",
                    "invalid_value",
                    "must be a company's or contact's id",
                ))
            })?),
            None => None,
        };
        let p = AnalysisParams {
            subject,
            customer_id,
            offset,
            limit,
            items: item_query(sort, filter),
            ..AnalysisParams::default()
        };
        ops::next_best_actions(caller(ctx)?, &p).await.gql()
    }

    /// The refresh that writes `analytics` onto contacts and companies: its schedule and the
    /// outcome of its last run.
    async fn analytics_refresh(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<AnalyticsRefresh> {
        ops::get_refresh(caller(ctx)?).await.gql()
    }

    /// The organization's exchange rates, newest day first, optionally of one currency.
    async fn exchange_rates(
        &self,
        ctx: &Context<'_>,
        currency: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ExchangeRate>> {
        let has_previous = after.is_some();
        let page = ops::list_exchange_rates(
            caller(ctx)?,
            currency.as_deref(),
            &page_request(first, after),
        )
        .await
        .gql()?;
        Ok(connection(page, has_previous))
    }

    /// ABC classes by revenue over the period (default: the 12 full months before the
    /// reference date's month), as `GET /api/v1/analytics/abc`.
    #[allow(clippy::too_many_arguments)]
    async fn abc_analysis(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        a: Option<f64>,
        b: Option<f64>,
        offset: Option<u32>,
        limit: Option<u32>,
        #[graphql(
            desc = "The items' sort keys (ties keep the report's order; items without a value last)."
        )]
        sort: Option<Vec<ItemSort>>,
        #[graphql(
            desc = "Conditions every item listed meets; `rowCount` counts the items that meet them."
        )]
        filter: Option<Vec<ItemFilter>>,
    ) -> async_graphql::Result<AbcReport> {
        let p = AnalysisParams {
            subject,
            from,
            to,
            reference_date,
            a,
            b,
            offset,
            limit,
            items: item_query(sort, filter),
            ..AnalysisParams::default()
        };
        ops::abc_report(caller(ctx)?, &p).await.gql()
    }

    /// XYZ classes by the stability of monthly revenue, as `GET /api/v1/analytics/xyz`.
    #[allow(clippy::too_many_arguments)]
    async fn xyz_analysis(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        x: Option<f64>,
        y: Option<f64>,
        offset: Option<u32>,
        limit: Option<u32>,
        #[graphql(
            desc = "The items' sort keys (ties keep the report's order; items without a value last)."
        )]
        sort: Option<Vec<ItemSort>>,
        #[graphql(
            desc = "Conditions every item listed meets; `rowCount` counts the items that meet them."
        )]
        filter: Option<Vec<ItemFilter>>,
    ) -> async_graphql::Result<XyzReport> {
        let p = AnalysisParams {
            subject,
            from,
            to,
            reference_date,
            x,
            y,
            offset,
            limit,
            items: item_query(sort, filter),
            ..AnalysisParams::default()
        };
        ops::xyz_report(caller(ctx)?, &p).await.gql()
    }

    /// RFM scores and segments of companies or contacts, as `GET /api/v1/analytics/rfm`.
    #[allow(clippy::too_many_arguments)]
    async fn rfm_analysis(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        offset: Option<u32>,
        limit: Option<u32>,
        #[graphql(
            desc = "The items' sort keys (ties keep the report's order; items without a value last)."
        )]
        sort: Option<Vec<ItemSort>>,
        #[graphql(
            desc = "Conditions every item listed meets; `rowCount` counts the items that meet them."
        )]
        filter: Option<Vec<ItemFilter>>,
    ) -> async_graphql::Result<RfmReport> {
        let p = AnalysisParams {
            subject,
            from,
            to,
            reference_date,
            offset,
            limit,
            items: item_query(sort, filter),
            ..AnalysisParams::default()
        };
        ops::rfm_report(caller(ctx)?, &p).await.gql()
    }

    /// Lifetime value of companies or contacts with the fitted BG/NBD and Gamma-Gamma models,
    /// as `GET /api/v1/analytics/clv`.
    #[allow(clippy::too_many_arguments)]
    async fn clv_analysis(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        horizon_months: Option<u32>,
        discount_rate: Option<f64>,
        time_unit: Option<TimeUnit>,
        inactive_days: Option<u32>,
        offset: Option<u32>,
        limit: Option<u32>,
        #[graphql(
            desc = "The items' sort keys (ties keep the report's order; items without a value last)."
        )]
        sort: Option<Vec<ItemSort>>,
        #[graphql(
            desc = "Conditions every item listed meets; `rowCount` counts the items that meet them."
        )]
        filter: Option<Vec<ItemFilter>>,
    ) -> async_graphql::Result<ClvReport> {
        let p = AnalysisParams {
            subject,
            from,
            to,
            reference_date,
            offset,
            limit,
            horizon_months,
            discount_rate,
            time_unit,
            inactive_days,
            items: item_query(sort, filter),
            ..AnalysisParams::default()
        };
        ops::clv_report(caller(ctx)?, &p).await.gql()
    }

    /// Profitability of companies or contacts, lowest profit first, as
    /// `GET /api/v1/analytics/profitability`.
    #[allow(clippy::too_many_arguments)]
    async fn profitability_analysis(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        #[graphql(default)] unprofitable: bool,
        offset: Option<u32>,
        limit: Option<u32>,
        #[graphql(
            desc = "The items' sort keys (ties keep the report's order; items without a value last)."
        )]
        sort: Option<Vec<ItemSort>>,
        #[graphql(
            desc = "Conditions every item listed meets; `rowCount` counts the items that meet them."
        )]
        filter: Option<Vec<ItemFilter>>,
    ) -> async_graphql::Result<ProfitReport> {
        let p = AnalysisParams {
            subject,
            from,
            to,
            reference_date,
            offset,
            limit,
            unprofitable,
            items: item_query(sort, filter),
            ..AnalysisParams::default()
        };
        ops::profit_report(caller(ctx)?, &p).await.gql()
    }

    /// Association rules between products, as `GET /api/v1/analytics/cross-sell`.
    #[allow(clippy::too_many_arguments)]
    async fn cross_sell_rules(
        &self,
        ctx: &Context<'_>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        min_support: Option<f64>,
        min_confidence: Option<f64>,
        min_lift: Option<f64>,
        offset: Option<u32>,
        limit: Option<u32>,
        #[graphql(desc = "The rules' sort keys (ties keep the report's order).")] sort: Option<
            Vec<ItemSort>,
        >,
        #[graphql(
            desc = "Conditions every rule listed meets; `rowCount` counts the rules that meet them."
        )]
        filter: Option<Vec<ItemFilter>>,
    ) -> async_graphql::Result<CrossSellReport> {
        let p = AnalysisParams {
            from,
            to,
            reference_date,
            offset,
            limit,
            min_support,
            min_confidence,
            min_lift,
            items: item_query(sort, filter),
            ..AnalysisParams::default()
        };
        ops::cross_sell_report(caller(ctx)?, &p).await.gql()
    }

    /// Per company or contact, the products customers like it bought and it has not, as
    /// `GET /api/v1/analytics/recommendations`.
    #[allow(clippy::too_many_arguments)]
    async fn product_recommendations(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        customer_id: Option<ID>,
        top: Option<u32>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        offset: Option<u32>,
        limit: Option<u32>,
        #[graphql(
            desc = "The customers' sort keys (ties keep the report's order: strongest recommendation first)."
        )]
        sort: Option<Vec<ItemSort>>,
        #[graphql(
            desc = "Conditions every customer listed meets; `rowCount` counts the customers that meet them."
        )]
        filter: Option<Vec<ItemFilter>>,
    ) -> async_graphql::Result<RecommendationReport> {
        let mut p = AnalysisParams {
            subject,
            from,
            to,
            reference_date,
            offset,
            limit,
            top,
            items: item_query(sort, filter),
            ..AnalysisParams::default()
        };
        if let Some(id) = customer_id {
            p.customer_id = Some(parse_id(&id).ok_or_else(|| {
                gql(Error::invalid_field(
                    "/customerId",
                    "invalid_value",
                    "must be a company's or contact's id",
                ))
            })?);
        }
        ops::recommendation_report(caller(ctx)?, &p).await.gql()
    }

    /// Cohorts by first order month and churn per month, as `GET /api/v1/analytics/retention`.
    #[allow(clippy::too_many_arguments)]
    async fn retention_analysis(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        inactive_days: Option<u32>,
        periods: Option<u32>,
    ) -> async_graphql::Result<RetentionReport> {
        let p = AnalysisParams {
            subject,
            from,
            to,
            reference_date,
            inactive_days,
            periods,
            ..AnalysisParams::default()
        };
        ops::retention_report(caller(ctx)?, &p).await.gql()
    }

    /// A pipeline's funnel over the period (default pipeline unless `pipelineId`), as
    /// `GET /api/v1/analytics/funnel`.
    async fn funnel_analysis(
        &self,
        ctx: &Context<'_>,
        pipeline_id: Option<ID>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
    ) -> async_graphql::Result<FunnelReport> {
        let mut p = AnalysisParams {
            from,
            to,
            reference_date,
            ..AnalysisParams::default()
        };
        if let Some(id) = pipeline_id {
            p.pipeline_id = Some(parse_id(&id).ok_or_else(|| {
                gql(Error::invalid_field(
                    "/pipelineId",
                    "not_found",
                    "is not a pipeline of this organization",
                ))
            })?);
        }
        ops::funnel_report(caller(ctx)?, &p).await.gql()
    }

    /// Every analysis's headline figures, as `GET /api/v1/analytics/overview`.
    async fn analytics_overview(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        #[graphql(
            desc = "Only these sections, by key (`abc`, `retention`, ...): only they are computed."
        )]
        sections: Option<Vec<String>>,
    ) -> async_graphql::Result<Overview> {
        let p = AnalysisParams {
            subject,
            from,
            to,
            reference_date,
            ..AnalysisParams::default()
        };
        ops::overview(
            caller(ctx)?,
            &p,
            &ops::default_sections(),
            sections.as_deref(),
        )
        .await
        .gql()
    }

    /// The ABC-XYZ matrix, as `GET /api/v1/analytics/abc-xyz`.
    #[allow(clippy::too_many_arguments)]
    async fn abc_xyz_matrix(
        &self,
        ctx: &Context<'_>,
        subject: Option<AnalysisSubject>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        reference_date: Option<NaiveDate>,
        a: Option<f64>,
        b: Option<f64>,
        x: Option<f64>,
        y: Option<f64>,
    ) -> async_graphql::Result<AbcXyzMatrix> {
        let p = AnalysisParams {
            subject,
            from,
            to,
            reference_date,
            a,
            b,
            x,
            y,
            ..AnalysisParams::default()
        };
        ops::abc_xyz_matrix(caller(ctx)?, &p).await.gql()
    }
}

/// Analytics mutations.
#[derive(Default)]
pub struct AnalyticsMutation;

#[Object]
impl AnalyticsMutation {
    /// Changes the analytics settings (admins).
    async fn update_analytics_settings(
        &self,
        ctx: &Context<'_>,
        input: AnalyticsSettingsInput,
    ) -> async_graphql::Result<AnalyticsSettings> {
        ops::update_settings(caller(ctx)?, input).await.gql()
    }

    /// Accepts a next best action: creates its task and keeps the action off the list for 30
    /// days, as `POST /api/v1/analytics/next-best-actions/accept`.
    async fn accept_next_best_action(
        &self,
        ctx: &Context<'_>,
        input: ActionDecisionInput,
    ) -> async_graphql::Result<ActionDecision> {
        ops::accept_action(caller(ctx)?, input).await.gql()
    }

    /// Dismisses a next best action for 30 days.
    async fn dismiss_next_best_action(
        &self,
        ctx: &Context<'_>,
        input: ActionDecisionInput,
    ) -> async_graphql::Result<ActionDecision> {
        ops::dismiss_action(caller(ctx)?, input).await.gql()
    }

    /// Changes the analytics refresh (admins); enabling it runs it at once.
    async fn update_analytics_refresh(
        &self,
        ctx: &Context<'_>,
        input: AnalyticsRefreshInput,
    ) -> async_graphql::Result<AnalyticsRefresh> {
        ops::update_refresh(caller(ctx)?, input).await.gql()
    }

    /// Runs the analytics refresh now (admins), recomputing even if nothing changed; answers
    /// at once with `pending` set (read `analyticsRefresh` for the outcome).
    async fn run_analytics_refresh(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<AnalyticsRefresh> {
        ops::run_refresh(caller(ctx)?).await.gql()
    }

    /// Writes 1 to 1,000 exchange rates (admins), all or none; a rate for a currency and day
    /// that has one replaces it. Returns them as stored, in order.
    async fn put_exchange_rates(
        &self,
        ctx: &Context<'_>,
        rates: Vec<ExchangeRateInput>,
    ) -> async_graphql::Result<Vec<ExchangeRate>> {
        ops::put_exchange_rates(caller(ctx)?, rates).await.gql()
    }

    /// Writes the exchange rates of a CSV file (admins), as
    /// `POST /api/v1/exchange-rates/import`: a header row naming `currency`, `date` and `rate`,
    /// then 1 to 1,000 rates, all or none.
    async fn import_exchange_rates(
        &self,
        ctx: &Context<'_>,
        csv: String,
    ) -> async_graphql::Result<Vec<ExchangeRate>> {
        ops::import_exchange_rates(caller(ctx)?, &csv).await.gql()
    }

    /// Deletes one exchange rate (admins); always `true`.
    async fn delete_exchange_rate(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let id = parse_id(&id).ok_or_else(|| gql(Error::not_found("Exchange rate")))?;
        ops::delete_exchange_rate(caller(ctx)?, id).await.gql()?;
        Ok(true)
    }
}
