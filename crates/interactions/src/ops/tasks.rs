//! Tasks (my open tasks, overdue, completion) and feedback counts.

use super::activities::{get_activity, list_activities, update_activity};
use crate::dto::{
    Activity, ActivityKind, ActivityPatch, FeedbackCount, FeedbackState, FeedbackType, TaskStatus,
};
use crate::error::Result;
use crate::model::activity;
use chrono::Utc;
use crm_core::list::ListParams;
use crm_core::{Action, Ctx, Error, Page, Patch};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, EntityName};
use uuid::Uuid;

fn with(mut params: ListParams, filters: &[(&str, String)], sort: &str) -> ListParams {
    for (k, v) in filters {
        params.filters.push(((*k).to_owned(), v.clone()));
    }
    if params.sort.is_none() {
        params.sort = Some(sort.to_owned());
    }
    params
}

/// The caller's open tasks, by due date (undated first), with any further filters.
pub async fn my_open_tasks(ctx: &Ctx, params: ListParams) -> Result<Page<Activity>> {
    let params = with(
        params,
        &[
            ("kind", "task".into()),
            ("status", "open".into()),
            ("assignee_id", ctx.actor.user_id.to_string()),
        ],
        "due_at",
    );
    list_activities(ctx, &params).await
}

/// Open tasks whose due date has passed, oldest due first, with any further filters
/// (such as `assignee_id`).
pub async fn overdue_tasks(ctx: &Ctx, params: ListParams) -> Result<Page<Activity>> {
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let params = with(
        params,
        &[
            ("kind", "task".into()),
            ("status", "open".into()),
            ("due_at[lt]", now),
        ],
        "due_at",
    );
    list_activities(ctx, &params).await
}

/// Marks a task done, recording who completed it and when.
pub async fn complete_task(ctx: &Ctx, id: Uuid) -> Result<Activity> {
    // Authorisation before the lookup: a viewer is refused, whether the task exists or not.
    ctx.require(Action::Write)?;
    let current = get_activity(ctx, id).await?;
    if current.kind != ActivityKind::Task {
        return Err(
            Error::invalid_field("/kind", "not_a_task", "only tasks can be completed").into(),
        );
    }
    if current.status == Some(TaskStatus::Done) {
        return Ok(current);
    }
    let patch = ActivityPatch {
        status: Patch::Set(TaskStatus::Done),
        ..Default::default()
    };
    update_activity(ctx, id, patch, Some(current.version)).await
}

/// Live feedback counted by type, state and category.
pub async fn feedback_summary(ctx: &Ctx) -> Result<Vec<FeedbackCount>> {
    ctx.require(Action::Read)?;
    let select = Query::select()
        .columns(["feedback_type", "feedback_state", "feedback_category"].map(Alias::new))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(activity::Entity.table_ref())
        .and_where(Expr::col(Alias::new("org_id")).eq(ctx.org_id()))
        .and_where(Expr::col(Alias::new("deleted_at")).is_null())
        .and_where(Expr::col(Alias::new("feedback_type")).is_not_null())
        .group_by_columns(["feedback_type", "feedback_state", "feedback_category"].map(Alias::new))
        .order_by(Alias::new("feedback_type"), Order::Asc)
        .order_by(Alias::new("feedback_state"), Order::Asc)
        .order_by(Alias::new("feedback_category"), Order::Asc)
        .to_owned();
    let rows = ctx.db.query_all(&select).await?;
    let mut out = Vec::new();
    for row in rows {
        let t: String = row.try_get("", "feedback_type")?;
        let s: Option<String> = row.try_get("", "feedback_state")?;
        let (Some(feedback_type), Some(feedback_state)) = (
            FeedbackType::parse(&t),
            s.as_deref().and_then(FeedbackState::parse),
        ) else {
            continue;
        };
        out.push(FeedbackCount {
            feedback_type,
            feedback_state,
            category: row.try_get("", "feedback_category")?,
            count: row.try_get("", "n")?,
        });
    }
    Ok(out)
}
