//! `/api/v1/activities`, `/api/v1/tasks/*`, `/api/v1/feedback/summary`, and the timelines.

use super::etag::{etag, if_match};
use super::extract::{Authenticated, JsonBody, PageQuery};
use super::list_query::{ListQueryDoc, list_params};
use super::openapi::{ReadErrors, WriteErrors};
use super::problem::ApiError;
use actix_web::http::StatusCode;
use actix_web::web::{Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use crm_core::audit::HistoryEntry;
use crm_core::{Channel, Error, Page, PageRequest};
use crm_interactions::ops::{self, TimelineFilter, TimelineRecord};
use crm_interactions::{
    Activity, ActivityKind, ActivityPatch, FeedbackCount, NewActivity, TimelineEntry,
    TimelineEntryType,
};
use serde::Deserialize;
use uuid::Uuid;

fn with_etag(status: StatusCode, a: &Activity) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", etag(a.version)))
        .json(a)
}

/// Lists activities.
///
/// Filters (`field=value`, `field[op]=value`) on `id, kind, channel, direction, subject, outcome,
/// contact_id, company_id, assignee_id, status, priority, feedback_type, feedback_state,
/// feedback_category, created_by, occurred_at, due_at, created_at, updated_at`; sort on
/// `occurred_at, due_at, created_at, updated_at` (default `-occurred_at`).
#[utoipa::path(get, operation_id = "listActivities", path = "/api/v1/activities", tag = "activities", security(("bearer" = [])),
    params(ListQueryDoc),
    responses((status = 200, description = "A page of activities", body = Page<Activity>), ReadErrors))]
pub async fn list(auth: Authenticated, req: HttpRequest) -> Result<Json<Page<Activity>>, ApiError> {
    let params = list_params(&req)?;
    Ok(Json(ops::list_activities(&auth.0, &params).await?))
}

/// Logs an activity on any channel; a task, or feedback. Integrations may name the contact by
/// `contact_email` or `contact_phone` instead of `contact_id` (no match: 422).
#[utoipa::path(post, operation_id = "createActivity", path = "/api/v1/activities", tag = "activities", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body")),
    request_body = NewActivity,
    responses((status = 201, description = "The activity", body = Activity, headers(("Location" = String), ("ETag" = String))), WriteErrors))]
pub async fn create(
    auth: Authenticated,
    body: JsonBody<NewActivity>,
) -> Result<HttpResponse, ApiError> {
    let a = ops::create_activity(&auth.0, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/activities/{}", a.id)))
        .insert_header(("ETag", etag(a.version)))
        .json(a))
}

/// One activity.
#[utoipa::path(get, operation_id = "getActivity", path = "/api/v1/activities/{id}", tag = "activities", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id")),
    responses((status = 200, description = "The activity", body = Activity, headers(("ETag" = String))), ReadErrors))]
pub async fn get(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    Ok(with_etag(
        StatusCode::OK,
        &ops::get_activity(&auth.0, id.into_inner()).await?,
    ))
}

/// Changes an activity (JSON Merge Patch; `If-Match` for a conditional change).
#[utoipa::path(patch, operation_id = "updateActivity", path = "/api/v1/activities/{id}", tag = "activities", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = ActivityPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The activity, changed", body = Activity), WriteErrors))]
pub async fn update(
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
    body: JsonBody<ActivityPatch>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    Ok(with_etag(
        StatusCode::OK,
        &ops::update_activity(&auth.0, id.into_inner(), body.0, expected).await?,
    ))
}

/// Deletes an activity (soft; managers and admins).
#[utoipa::path(delete, operation_id = "deleteActivity", path = "/api/v1/activities/{id}", tag = "activities", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id"), ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on")),
    responses((status = 204, description = "Deleted"), WriteErrors))]
pub async fn delete(
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    ops::delete_activity(&auth.0, id.into_inner(), expected).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restores a deleted activity (managers and admins).
#[utoipa::path(post, operation_id = "restoreActivity", path = "/api/v1/activities/{id}/restore", tag = "activities", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id")),
    responses((status = 200, description = "The activity, restored", body = Activity), WriteErrors))]
pub async fn restore(auth: Authenticated, id: Path<Uuid>) -> Result<HttpResponse, ApiError> {
    Ok(with_etag(
        StatusCode::OK,
        &ops::restore_activity(&auth.0, id.into_inner()).await?,
    ))
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

/// Who changed what and when, newest first.
#[utoipa::path(get, operation_id = "listActivityHistory", path = "/api/v1/activities/{id}/history", tag = "activities", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id"), PageQuery),
    responses((status = 200, description = "A page of history entries", body = Page<HistoryEntry>), ReadErrors))]
pub async fn history(
    auth: Authenticated,
    id: Path<Uuid>,
    query: Query<PageQuery>,
) -> Result<Json<Page<HistoryEntry>>, ApiError> {
    let page = query.into_inner().into_request()?;
    Ok(Json(
        ops::activity_history(&auth.0, id.into_inner(), &page).await?,
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
