//! `/api/v1/activities`, `/api/v1/tasks/*`, `/api/v1/feedback/summary`, and the timelines.

use super::etag::etag;
use super::extract::{Authenticated, PageQuery};
use super::list_query::{ListQueryDoc, list_params};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::http::StatusCode;
use actix_web::web::{Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use crm_core::{Channel, Error, Page, PageRequest};
use crm_interactions::ops::{self, TimelineFilter, TimelineRecord};
use crm_interactions::{Activity, ActivityKind, FeedbackCount, TimelineEntry, TimelineEntryType};
use serde::Deserialize;
use uuid::Uuid;

fn with_etag(status: StatusCode, a: &Activity) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", etag(a.version)))
        .json(a)
}

/// Marks a task done, recording who completed it and when.
#[utoipa::path(post, operation_id = "completeTask", path = "/api/v1/activities/{id}/complete", tag = "activities", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The task's id")),
    responses((status = 200, description = "The task, done", body = Activity), WriteErrors))]
pub async fn complete(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    Ok(with_etag(
        StatusCode::OK,
        &ops::complete_task(&auth.0, id.into_inner()).await?,
    ))
}

/// The caller's open tasks, by due date; accepts the activity filters.
#[utoipa::path(get, operation_id = "listMyTasks", path = "/api/v1/tasks/mine", tag = "activities", security(("bearer" = [])),
    params(ListQueryDoc),
    responses((status = 200, description = "A page of tasks", body = Page<Activity>), ReadErrors))]
pub async fn my_tasks(
    auth: Authenticated,
    req: HttpRequest,
) -> Result<Json<Page<Activity>>, ApiError> {
    Ok(Json(ops::my_open_tasks(&auth.0, list_params(&req)?).await?))
}

/// Open tasks past their due date, oldest first; accepts the activity filters.
#[utoipa::path(get, operation_id = "listOverdueTasks", path = "/api/v1/tasks/overdue", tag = "activities", security(("bearer" = [])),
    params(ListQueryDoc),
    responses((status = 200, description = "A page of tasks", body = Page<Activity>), ReadErrors))]
pub async fn overdue(
    auth: Authenticated,
    req: HttpRequest,
) -> Result<Json<Page<Activity>>, ApiError> {
    Ok(Json(ops::overdue_tasks(&auth.0, list_params(&req)?).await?))
}

/// Complaints and suggestions counted by type, state and category.
#[utoipa::path(get, operation_id = "getFeedbackSummary", path = "/api/v1/feedback/summary", tag = "activities", security(("bearer" = [])),
    responses((status = 200, description = "Counts", body = Vec<FeedbackCount>), ReadErrors))]
pub async fn feedback_summary(auth: Authenticated) -> Result<Json<Vec<FeedbackCount>>, ApiError> {
    Ok(Json(ops::feedback_summary(&auth.0).await?))
}

/// Timeline parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Entries per page, 1 to 100 (default 25).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page (opaque, issued by the server).
    #[param(min_length = 1)]
    pub cursor: Option<String>,
    /// Only these activity kinds, comma-separated (changes are then left out).
    #[param(value_type = Option<Vec<ActivityKind>>, style = Form, explode = false)]
    pub kind: Option<String>,
    /// Only these channels, comma-separated (changes are then left out).
    #[param(value_type = Option<Vec<Channel>>, style = Form, explode = false)]
    pub channel: Option<String>,
    /// `activity`, `change` or both (default), comma-separated.
    #[param(value_type = Option<Vec<TimelineEntryType>>, style = Form, explode = false)]
    pub types: Option<String>,
}

fn split<T>(
    raw: Option<&str>,
    pointer: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, ApiError> {
    let mut out = Vec::new();
    for part in raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        out.push(parse(part).ok_or_else(|| {
            ApiError(Error::invalid_field(
                pointer,
                "invalid_value",
                format!("`{part}` is not allowed here"),
            ))
        })?);
    }
    Ok(out)
}

fn timeline_args(q: TimelineQuery) -> Result<(TimelineFilter, PageRequest), ApiError> {
    let filter = TimelineFilter {
        kinds: split(q.kind.as_deref(), "/kind", ActivityKind::parse)?,
        channels: split(q.channel.as_deref(), "/channel", Channel::parse)?,
        types: split(q.types.as_deref(), "/types", |s| match s {
            "activity" => Some(TimelineEntryType::Activity),
            "change" => Some(TimelineEntryType::Change),
            _ => None,
        })?,
    };
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .into_request()?;
    Ok((filter, page))
}

/// A contact's timeline: its activities and field changes, newest first.
#[utoipa::path(get, operation_id = "getContactTimeline", path = "/api/v1/contacts/{id}/timeline", tag = "contacts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The contact's id"), TimelineQuery),
    responses((status = 200, description = "A page of timeline entries", body = Page<TimelineEntry>), ReadErrors))]
pub async fn contact_timeline(
    auth: Authenticated,
    id: Path<Uuid>,
    query: Query<TimelineQuery>,
) -> Result<Json<Page<TimelineEntry>>, ApiError> {
    let (filter, page) = timeline_args(query.into_inner())?;
    Ok(Json(
        ops::timeline(
            &auth.0,
            TimelineRecord::Contact,
            id.into_inner(),
            &filter,
            &page,
        )
        .await?,
    ))
}

/// A company's timeline: its activities (its contacts' included) and field changes, newest first.
#[utoipa::path(get, operation_id = "getCompanyTimeline", path = "/api/v1/companies/{id}/timeline", tag = "companies", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The company's id"), TimelineQuery),
    responses((status = 200, description = "A page of timeline entries", body = Page<TimelineEntry>), ReadErrors))]
pub async fn company_timeline(
    auth: Authenticated,
    id: Path<Uuid>,
    query: Query<TimelineQuery>,
) -> Result<Json<Page<TimelineEntry>>, ApiError> {
    let (filter, page) = timeline_args(query.into_inner())?;
    Ok(Json(
        ops::timeline(
            &auth.0,
            TimelineRecord::Company,
            id.into_inner(),
            &filter,
            &page,
        )
        .await?,
    ))
}
