//! Interaction queries and mutations: the same operations as REST.

use super::connection::connection;
use super::connection::patch;
use super::error::{IntoGql, gql};
use super::filters::{Activities, Filter, Order};
use super::inputs::list_params;
use super::query::{caller, parse_id};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use crm_core::{Channel, Code, Error};
use crm_interactions::{
    Activity, ActivityPatch, Direction, FeedbackCount, FeedbackState, NewActivity, Priority,
    TaskStatus, ops,
};
use uuid::Uuid;

fn id_or_not_found(id: &ID) -> async_graphql::Result<Uuid> {
    parse_id(id).ok_or_else(|| gql(Error::not_found("Activity")))
}

/// Changes to an activity: omitted fields stay, `null` clears.
#[derive(InputObject, Default)]
pub struct ActivityPatchInput {
    /// Channel.
    pub channel: MaybeUndefined<Channel>,
    /// Direction.
    pub direction: MaybeUndefined<Direction>,
    /// Subject.
    pub subject: MaybeUndefined<String>,
    /// Body.
    pub body: MaybeUndefined<String>,
    /// When it happened.
    pub occurred_at: MaybeUndefined<DateTime<Utc>>,
    /// Duration in seconds.
    pub duration_secs: MaybeUndefined<i32>,
    /// Outcome.
    pub outcome: MaybeUndefined<String>,
    /// Task: due date.
    pub due_at: MaybeUndefined<DateTime<Utc>>,
    /// Task: assignee.
    pub assignee_id: MaybeUndefined<Uuid>,
    /// Task: priority.
    pub priority: MaybeUndefined<Priority>,
    /// Task: status.
    pub status: MaybeUndefined<TaskStatus>,
    /// Task: reminder.
    pub reminder_at: MaybeUndefined<DateTime<Utc>>,
    /// Feedback: category.
    pub feedback_category: MaybeUndefined<String>,
    /// Feedback: state.
    pub feedback_state: MaybeUndefined<FeedbackState>,
}

impl From<ActivityPatchInput> for ActivityPatch {
    fn from(i: ActivityPatchInput) -> Self {
        ActivityPatch {
            channel: patch(i.channel),
            direction: patch(i.direction),
            subject: patch(i.subject),
            body: patch(i.body),
            occurred_at: patch(i.occurred_at),
            duration_secs: patch(i.duration_secs),
            outcome: patch(i.outcome),
            due_at: patch(i.due_at),
            assignee_id: patch(i.assignee_id),
            priority: patch(i.priority),
            status: patch(i.status),
            reminder_at: patch(i.reminder_at),
            feedback_category: patch(i.feedback_category),
            feedback_state: patch(i.feedback_state),
        }
    }
}

/// Interaction queries.
#[derive(Default)]
pub struct InteractionsQuery;

#[Object]
impl InteractionsQuery {
    /// Who changed what and when on an activity, newest first.
    async fn activity_history(
        &self,
        ctx: &Context<'_>,
        id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, crm_core::audit::HistoryEntry>> {
        let has_previous = after.is_some();
        let page = ops::activity_history(
            caller(ctx)?,
            id_or_not_found(&id)?,
            &super::connection::page_request(first, after),
        )
        .await
        .gql()?;
        Ok(connection(page, has_previous))
    }

    /// Activities: typed filters (also through `contact` and `company`), sort keys and search
    /// in subject, body, outcome and feedback category.
    #[allow(clippy::too_many_arguments)]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<Filter<Activities>>,
        order_by: Option<Vec<Order<Activities>>>,
        q: Option<String>,
    ) -> async_graphql::Result<Connection<String, Activity>> {
        let has_previous = after.is_some();
        let params = list_params(first, after, filter, order_by, q);
        Ok(connection(
            ops::list_activities(caller(ctx)?, &params).await.gql()?,
            has_previous,
        ))
    }

    /// One activity; `null` when there is none with this id.
    async fn activity(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Activity>> {
        let c = caller(ctx)?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        match ops::get_activity(c, id).await.map_err(Error::from) {
            Ok(a) => Ok(Some(a)),
            Err(e) if e.code == Code::NotFound => Ok(None),
            Err(e) => Err(gql(e)),
        }
    }

    /// The caller's open tasks, by due date; filter and search as on `activities`.
    async fn my_open_tasks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<Filter<Activities>>,
        q: Option<String>,
    ) -> async_graphql::Result<Connection<String, Activity>> {
        let has_previous = after.is_some();
        let params = list_params(first, after, filter, None, q);
        Ok(connection(
            ops::my_open_tasks(caller(ctx)?, params).await.gql()?,
            has_previous,
        ))
    }

    /// Open tasks past their due date; filter and search as on `activities`.
    async fn overdue_tasks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<Filter<Activities>>,
        q: Option<String>,
    ) -> async_graphql::Result<Connection<String, Activity>> {
        let has_previous = after.is_some();
        let params = list_params(first, after, filter, None, q);
        Ok(connection(
            ops::overdue_tasks(caller(ctx)?, params).await.gql()?,
            has_previous,
        ))
    }

    /// Complaints and suggestions counted by type, state and category.
    async fn feedback_summary(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<FeedbackCount>> {
        ops::feedback_summary(caller(ctx)?).await.gql()
    }
}

/// Interaction mutations.
#[derive(Default)]
pub struct InteractionsMutation;

#[Object]
impl InteractionsMutation {
    /// Logs an activity (a task, or feedback).
    async fn create_activity(
        &self,
        ctx: &Context<'_>,
        input: NewActivity,
    ) -> async_graphql::Result<Activity> {
        ops::create_activity(caller(ctx)?, input).await.gql()
    }

    /// Creates or replaces the activity another system (a telephony system, a mail server)
    /// knows by `source` and `externalId`. A replace clears what the input leaves out, except
    /// `occurredAt`, a task's assignee and priority and the feedback state; the kind, contact,
    /// company, feedback type and participants stay as created.
    async fn upsert_activity(
        &self,
        ctx: &Context<'_>,
        source: String,
        external_id: String,
        input: NewActivity,
    ) -> async_graphql::Result<Activity> {
        Ok(
            ops::upsert_activity(caller(ctx)?, &source, &external_id, input)
                .await
                .gql()?
                .0,
        )
    }

    /// Changes an activity; with `ifVersion`, a stale version fails (`precondition_failed`).
    async fn update_activity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ActivityPatchInput,
        if_version: Option<i64>,
    ) -> async_graphql::Result<Activity> {
        ops::update_activity(
            caller(ctx)?,
            id_or_not_found(&id)?,
            input.into(),
            if_version,
        )
        .await
        .gql()
    }

    /// Deletes an activity (soft); always `true`.
    async fn delete_activity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        if_version: Option<i64>,
    ) -> async_graphql::Result<bool> {
        ops::delete_activity(caller(ctx)?, id_or_not_found(&id)?, if_version)
            .await
            .gql()?;
        Ok(true)
    }

    /// Restores a deleted activity.
    async fn restore_activity(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Activity> {
        ops::restore_activity(caller(ctx)?, id_or_not_found(&id)?)
            .await
            .gql()
    }

    /// Marks a task done.
    async fn complete_task(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Activity> {
        ops::complete_task(caller(ctx)?, id_or_not_found(&id)?)
            .await
            .gql()
    }
}
