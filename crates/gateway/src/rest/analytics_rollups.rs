//! `/api/v1/analytics/rollups` and `/api/v1/analytics/monthly-revenue`: the monthly revenue
//! rollups, kept current from the change feed, and what they hold (see docs/analytics.md).

use super::analytics_query::{
    self as q, AnalysisQuery, MonthlyItemParams, MonthlyParams, PageParams, PeriodParams,
};
use super::extract::{Authenticated, JsonBody};
use super::openapi::{ReadErrors, RollupReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::web::{self, Json, Query};
use crm_analytics::{MonthlyRevenueReport, RevenueRollups, RevenueRollupsInput, ops};

/// The routes, registered under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/analytics/rollups")
            .route(web::get().to(rollups))
            .route(web::put().to(update_rollups)),
    )
    .service(web::resource("/analytics/monthly-revenue").route(web::get().to(monthly_revenue)));
}

/// The monthly revenue rollups: whether they are kept, whether every order is being folded
/// again, and when they last caught up with the change feed.
#[utoipa::path(get, operation_id = "getRevenueRollups", path = "/api/v1/analytics/rollups", tag = "analytics", security(("bearer" = [])),
    responses((status = 200, description = "The rollups", body = RevenueRollups), ReadErrors))]
pub async fn rollups(auth: Authenticated) -> Result<Json<RevenueRollups>, ApiError> {
    Ok(Json(ops::get_rollups(&auth.0).await?))
}

/// Turns the monthly revenue rollups on or off (admins). On: every order is folded in, then
/// each order created or changed is folded in from the change feed about a second after it
/// commits. Off: the follower stops and the rollups are not read (on again folds every order
/// again).
#[utoipa::path(put, operation_id = "updateRevenueRollups", path = "/api/v1/analytics/rollups", tag = "analytics", security(("bearer" = [])),
    request_body = RevenueRollupsInput,
    responses((status = 200, description = "The rollups", body = RevenueRollups), WriteErrors))]
pub async fn update_rollups(
    auth: Authenticated,
    body: JsonBody<RevenueRollupsInput>,
) -> Result<Json<RevenueRollups>, ApiError> {
    Ok(Json(ops::update_rollups(&auth.0, body.0).await?))
}

/// Revenue per month from the rollups, without reading an order line: of the organization as
/// a whole (no `subject`), or of every company, contact or product (`subject`), or of one of
/// them (`subject` and `id`), over the months the period touches, whole, in `(id, month)`
/// order. Amounts are the reports' own (net line amounts of orders not cancelled, in the base
/// currency at each order day's rate); orders without a rate are counted apart. 409 while the
/// rollups are off.
#[utoipa::path(get, operation_id = "getMonthlyRevenue", path = "/api/v1/analytics/monthly-revenue", tag = "analytics", security(("bearer" = [])),
    params(PeriodParams, MonthlyParams, PageParams, MonthlyItemParams),
    responses((status = 200, description = "The months", body = MonthlyRevenueReport), RollupReadErrors))]
pub async fn monthly_revenue(
    auth: Authenticated,
    query: Query<AnalysisQuery>,
) -> Result<Json<MonthlyRevenueReport>, ApiError> {
    let params = query.into_inner().into_params(q::MONTHLY)?;
    Ok(Json(ops::monthly_revenue(&auth.0, &params).await?))
}
