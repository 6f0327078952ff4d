//! `/api/v1/analytics/next-best-actions`: each customer's next best actions, ranked and
//! explained, and accepting (the task is created) or dismissing them.

use super::analytics_query::{ActionItemParams, item_query, parsed};
use super::extract::{Authenticated, JsonBody};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::HttpResponse;
use actix_web::web::{self, Json, Query};
use crm_analytics::{
    ActionDecision, ActionDecisionInput, AnalysisParams, AnalysisSubject, NextBestActions, ops,
};
use crm_core::Error;
use serde::Deserialize;

/// The routes, registered under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/analytics/next-best-actions").route(web::get().to(next_best_actions)),
    )
    .service(web::resource("/analytics/next-best-actions/accept").route(web::post().to(accept)))
    .service(web::resource("/analytics/next-best-actions/dismiss").route(web::post().to(dismiss)));
}

/// Whose actions, and which page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// `companies` (default) or `contacts`.
    #[param(value_type = Option<super::analytics_query::CustomerSubject>)]
    pub subject: Option<String>,
    /// Only this company's or contact's.
    #[param(value_type = Option<uuid::Uuid>)]
    pub customer_id: Option<String>,
    /// Actions skipped (default 0).
    #[param(value_type = Option<u32>, minimum = 0)]
    pub offset: Option<String>,
    /// Actions in the page, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// The actions' sort keys (documented with [`ActionItemParams`]).
    #[param(ignore)]
    pub sort: Option<String>,
    /// Every other parameter: filters on the actions, by name.
    #[serde(flatten)]
    #[param(ignore)]
    pub rest: std::collections::BTreeMap<String, String>,
}

impl ActionQuery {
    fn into_params(self) -> Result<AnalysisParams, ApiError> {
        let subject = match self.subject.as_deref().map(str::trim) {
            None => None,
            Some(s) => Some(AnalysisSubject::parse(s).ok_or_else(|| {
                ApiError(Error::invalid_field(
                    "/subject",
                    "invalid_value",
                    "must be companies or contacts",
                ))
            })?),
        };
        Ok(AnalysisParams {
            subject,
            customer_id: parsed(self.customer_id, "/customer_id", "a UUID")?,
            offset: parsed(self.offset, "/offset", "a whole number, 0 or more")?,
            limit: parsed(self.limit, "/limit", "a whole number from 1 to 1000")?,
            items: item_query(self.sort.as_deref(), self.rest)?,
            ..AnalysisParams::default()
        })
    }
}

/// Per company or contact, the actions the documented rules propose from the figures the
/// analytics refresh wrote onto it, ranked and explained: a retention call for a valuable
/// customer about to be lost, a cross-sell offer for a champion (the product it was
/// recommended), a win-back for one gone quiet. Actions accepted or dismissed in the last 30
/// days are left out. Run the refresh first (`POST /analytics/refresh/run`).
#[utoipa::path(get, operation_id = "listNextBestActions", path = "/api/v1/analytics/next-best-actions", tag = "analytics", security(("bearer" = [])),
    params(ActionQuery, ActionItemParams),
    responses((status = 200, description = "The ranked actions", body = NextBestActions), ReadErrors))]
pub async fn next_best_actions(
    auth: Authenticated,
    query: Query<ActionQuery>,
) -> Result<Json<NextBestActions>, ApiError> {
    let params = query.into_inner().into_params()?;
    Ok(Json(ops::next_best_actions(&auth.0, &params).await?))
}

/// Accepts an action that applies to the customer now: creates its task (due in the rule's 2,
/// 7 or 14 days unless `due_at` says, assigned to `assignee_id` or the caller) and keeps the
/// action off the list for 30 days. 409 when it was decided in the last 30 days; 422 on
/// `/rule` when the rule proposes nothing for the customer now.
#[utoipa::path(post, operation_id = "acceptNextBestAction", path = "/api/v1/analytics/next-best-actions/accept", tag = "analytics", security(("bearer" = [])),
    request_body = ActionDecisionInput,
    responses((status = 201, description = "The decision, with the task's id", body = ActionDecision), WriteErrors))]
pub async fn accept(
    auth: Authenticated,
    body: JsonBody<ActionDecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let d = ops::accept_action(&auth.0, body.0).await?;
    let mut created = HttpResponse::Created();
    if let Some(task) = d.activity_id {
        created.insert_header(("Location", format!("/api/v1/activities/{task}")));
    }
    Ok(created.json(d))
}

/// Dismisses an action that applies to the customer now: it stays off the list for 30 days.
#[utoipa::path(post, operation_id = "dismissNextBestAction", path = "/api/v1/analytics/next-best-actions/dismiss", tag = "analytics", security(("bearer" = [])),
    request_body = ActionDecisionInput,
    responses((status = 200, description = "The decision", body = ActionDecision), WriteErrors))]
pub async fn dismiss(
    auth: Authenticated,
    body: JsonBody<ActionDecisionInput>,
) -> Result<Json<ActionDecision>, ApiError> {
    Ok(Json(ops::dismiss_action(&auth.0, body.0).await?))
}
