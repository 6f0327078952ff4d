//! `/api/v1/jobs`: the organization's background jobs, for admins (see why one failed, retry
//! it, discard it).

use super::extract::{Authenticated, PageQuery};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::HttpResponse;
use actix_web::web::{Json, Path, Query};
use crm_core::{Error, Page, PageRequest};
use crm_worker::{Job, JobFilter, JobState, ops};
use serde::Deserialize;
use uuid::Uuid;

/// Job list parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobListQuery {
    /// Items per page, 1 to 100 (default 25).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page (opaque, issued by the server).
    #[param(min_length = 1)]
    pub cursor: Option<String>,
    /// Only jobs in this state (`dead` lists the failed ones).
    #[param(value_type = Option<JobState>)]
    pub state: Option<String>,
    /// Only jobs of this kind, such as `webhook.deliver`.
    #[param(min_length = 1, max_length = 100)]
    pub kind: Option<String>,
}

impl JobListQuery {
    fn into_args(self) -> Result<(JobFilter, PageRequest), ApiError> {
        let state = match self.state.as_deref() {
            None => None,
            Some(s) => Some(JobState::parse(s).ok_or_else(|| {
                ApiError(Error::invalid_field(
                    "/state",
                    "invalid_value",
                    "must be queued, running, succeeded or dead",
                ))
            })?),
        };
        let filter = JobFilter {
            state,
            kind: self.kind,
        };
        let page = PageQuery {
            limit: self.limit,
            cursor: self.cursor,
        }
        .into_request()?;
        Ok((filter, page))
    }
}

/// Lists the organization's jobs, newest first (admins only); `state=dead` shows those that
/// failed for good, with their `last_error`.
#[utoipa::path(get, operation_id = "listJobs", path = "/api/v1/jobs", tag = "jobs", security(("bearer" = [])),
    params(JobListQuery),
    responses((status = 200, description = "A page of jobs", body = Page<Job>), ReadErrors))]
pub async fn list(
    auth: Authenticated,
    query: Query<JobListQuery>,
) -> Result<Json<Page<Job>>, ApiError> {
    let (filter, page) = query.into_inner().into_args()?;
    Ok(Json(ops::list_jobs(&auth.0, &filter, &page).await?))
}

/// One job of the organization (admins only).
#[utoipa::path(get, operation_id = "getJob", path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The job's id")),
    responses((status = 200, description = "The job", body = Job), ReadErrors))]
pub async fn get(auth: Authenticated, id: Path<Uuid>) -> Result<Json<Job>, ApiError> {
    Ok(Json(ops::get_job(&auth.0, id.into_inner()).await?))
}

/// Queues a dead job again, due at once, its attempts reset (admins only; 409 unless dead).
#[utoipa::path(post, operation_id = "retryJob", path = "/api/v1/jobs/{id}/retry", tag = "jobs", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The job's id")),
    responses((status = 200, description = "The job, queued again", body = Job), WriteErrors))]
pub async fn retry(auth: Authenticated, id: Path<Uuid>) -> Result<Json<Job>, ApiError> {
    Ok(Json(ops::retry_job(&auth.0, id.into_inner()).await?))
}

/// Discards a dead or queued job (admins only; 409 for a running or succeeded one).
#[utoipa::path(delete, operation_id = "discardJob", path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The job's id")),
    responses((status = 204, description = "Discarded"), WriteErrors))]
pub async fn discard(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ops::discard_job(&auth.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
