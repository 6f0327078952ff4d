//! Activities: log, read, change, soft delete, restore, list, history.

use super::links;
use crate::dto::*;
use crate::error::{InteractionsError, Result};
use crate::model::activity;
use chrono::Utc;
use crm_core::audit::{self, HistoryEntry};
use crm_core::db::begin_write;
use crm_core::list::{self, Field, Kind, ListParams, Relation, Resource, Search};
use crm_core::row::Pos;
use crm_core::{Action, Channel, Ctx, Error, FieldError, Page, PageRequest, new_id};
use crm_customers::ops as customers;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, Select, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) const TYPE: &str = "activity";

/// Filterable and sortable fields of activities.
pub const ACTIVITY_FIELDS: Resource = Resource {
    name: "Activity",
    custom_fields: false,
    relations: &[
        Relation {
            name: "contact",
            column: "contact_id",
            table: "contacts",
            resource: &crm_customers::ops::CONTACT_FIELDS,
        },
        Relation {
            name: "company",
            column: "company_id",
            table: "companies",
            resource: &crm_customers::ops::COMPANY_FIELDS,
        },
    ],
    // Subject, body, outcome and feedback category (migration 000007 indexes the same text).
    search: Some(Search {
        fts_table: "activities_fts",
        pg_text: "regexp_replace(coalesce(subject, '') || ' ' || coalesce(body, '') || ' ' || \
                  coalesce(outcome, '') || ' ' || coalesce(feedback_category, ''), '[^[:alnum:]]+', ' ', 'g')",
    }),
    default_sort: "-occurred_at",
    fields: &[
        Field::sort("occurred_at", "occurred_at", Kind::DateTime, false),
        Field::sort("created_at", "created_at", Kind::DateTime, false),
        Field::sort("updated_at", "updated_at", Kind::DateTime, false),
        Field::sort("due_at", "due_at", Kind::DateTime, true),
        Field::filter("id", "id", Kind::Uuid),
        Field::filter("external_source", "external_source", Kind::Text),
        Field::filter("external_id", "external_id", Kind::Text),
        Field::filter("kind", "kind", Kind::Enum(ActivityKind::NAMES)),
        Field::filter("channel", "channel", Kind::Enum(Channel::NAMES)),
        Field::filter("direction", "direction", Kind::Enum(Direction::NAMES)),
        Field::filter("subject", "subject", Kind::Text),
        Field::filter("outcome", "outcome", Kind::Text),
        Field::filter("contact_id", "contact_id", Kind::Uuid),
        Field::filter("company_id", "company_id", Kind::Uuid),
        Field::filter("assignee_id", "assignee_id", Kind::Uuid),
        Field::filter("status", "status", Kind::Enum(TaskStatus::NAMES)),
        Field::filter("priority", "priority", Kind::Enum(Priority::NAMES)),
        Field::filter(
            "feedback_type",
            "feedback_type",
            Kind::Enum(FeedbackType::NAMES),
        ),
        Field::filter(
            "feedback_state",
            "feedback_state",
            Kind::Enum(FeedbackState::NAMES),
        ),
        Field::filter("feedback_category", "feedback_category", Kind::Text),
        Field::filter("created_by", "created_by", Kind::Uuid),
    ],
};

/// The read model of a row.
pub(crate) fn to_dto(m: activity::Model) -> Activity {
    Activity {
        id: m.id,
        kind: ActivityKind::parse(&m.kind).unwrap_or(ActivityKind::Note),
        channel: m.channel.as_deref().and_then(Channel::parse),
        direction: m.direction.as_deref().and_then(Direction::parse),
        subject: m.subject,
        body: m.body,
        occurred_at: m.occurred_at,
        duration_secs: m.duration_secs,
        outcome: m.outcome,
        contact_id: m.contact_id,
        company_id: m.company_id,
        participants: serde_json::from_value(m.participants).unwrap_or_default(),
        due_at: m.due_at,
        assignee_id: m.assignee_id,
        priority: m.priority.as_deref().and_then(Priority::parse),
        status: m.status.as_deref().and_then(TaskStatus::parse),
        reminder_at: m.reminder_at,
        completed_at: m.completed_at,
        completed_by: m.completed_by,
        feedback_type: m.feedback_type.as_deref().and_then(FeedbackType::parse),
        feedback_category: m.feedback_category,
        feedback_state: m.feedback_state.as_deref().and_then(FeedbackState::parse),
        created_by: m.created_by,
        external_source: m.external_source,
        external_id: m.external_id,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

pub(crate) fn json_of(a: &Activity) -> Value {
    serde_json::to_value(a).unwrap_or(Value::Null)
}

fn text(
    v: Option<String>,
    pointer: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())?;
    if v.chars().count() > max {
        errors.push(FieldError::new(
            pointer,
            "length",
            format!("must be at most {max} characters"),
        ));
    }
    Some(v)
}

/// Rules that apply to any state of an activity.
fn check(a: &mut Activity, errors: &mut Vec<FieldError>) {
    a.subject = text(a.subject.take(), "/subject", 300, errors);
    a.body = text(a.body.take(), "/body", 100_000, errors);
    a.outcome = text(a.outcome.take(), "/outcome", 200, errors);
    a.feedback_category = text(
        a.feedback_category.take(),
        "/feedback_category",
        100,
        errors,
    );
    if let Some(d) = a.duration_secs
        && !(0..=2_592_000).contains(&d)
    {
        errors.push(FieldError::new(
            "/duration_secs",
            "range",
            "must be between 0 and 2592000 seconds",
        ));
    }
    if a.kind != ActivityKind::Task {
        for (value, pointer) in [
            (a.due_at.is_some(), "/due_at"),
            (a.assignee_id.is_some(), "/assignee_id"),
            (a.priority.is_some(), "/priority"),
            (a.reminder_at.is_some(), "/reminder_at"),
            (a.status.is_some(), "/status"),
        ] {
            if value {
                errors.push(FieldError::new(
                    pointer,
                    "task_only",
                    "only tasks have this field",
                ));
            }
        }
    }
    if a.feedback_type.is_none() && (a.feedback_category.is_some() || a.feedback_state.is_some()) {
        errors.push(FieldError::new(
            "/feedback_type",
            "required",
            "feedback needs a type: complaint or suggestion",
        ));
    }
}

async fn check_user(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: Uuid,
    pointer: &str,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    if !customers::active_user(db, ctx.org_id(), id).await? {
        errors.push(FieldError::new(
            pointer,
            "not_found",
            "is not an active user of this organization",
        ));
    }
    Ok(())
}

/// Logs an activity.
pub async fn create_activity(ctx: &Ctx, input: NewActivity) -> Result<Activity> {
    let tx = begin_write(&ctx.db).await?;
    let out = create_activity_in(&tx, ctx, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`create_activity`] inside the caller's transaction (batch writes, composed operations).
pub async fn create_activity_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    input: NewActivity,
) -> Result<Activity> {
    create_with(tx, ctx, input, None).await
}

/// The contact an activity's input names: by id, or (for integrations) by email or phone; a
/// name that finds none is a field error.
pub(crate) async fn resolve_contact(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    input: &NewActivity,
    errors: &mut Vec<FieldError>,
) -> Result<Option<customers::ContactRef>> {
    Ok(if let Some(id) = input.contact_id {
        let found = customers::contact_ref(tx, ctx, id).await?;
        if found.is_none() {
            errors.push(FieldError::new(
                "/contact_id",
                "not_found",
                "is not a contact of this organization",
            ));
        }
        found
    } else if input.contact_email.is_some() || input.contact_phone.is_some() {
        let found = customers::contact_by_email_or_phone(
            tx,
            ctx,
            input.contact_email.as_deref(),
            input.contact_phone.as_deref(),
        )
        .await?;
        if found.is_none() {
            let pointer = if input.contact_email.is_some() {
                "/contact_email"
            } else {
                "/contact_phone"
            };
            errors.push(FieldError::new(
                pointer,
                "no_match",
                "no contact of this organization matches",
            ));
        }
        found
    } else {
        None
    })
}

/// Logs an activity inside `tx`, with the other system's reference for an upsert.
pub(crate) async fn create_with(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    input: NewActivity,
    external: Option<(&str, &str)>,
) -> Result<Activity> {
    ctx.require(Action::Write)?;
    let now = Utc::now();
    let mut errors = Vec::new();
    let contact = resolve_contact(tx, ctx, &input, &mut errors).await?;
    if let Some(company) = input.company_id
        && !customers::company_is_live(tx, ctx, company).await?
    {
        errors.push(FieldError::new(
            "/company_id",
            "not_found",
            "is not a company of this organization",
        ));
    }
    let participants = input.participants.unwrap_or_default();
    let mut companies_of = Vec::new();
    if let Some(c) = contact {
        companies_of.push((c.id, c.company_id));
    }
    for (i, p) in participants.iter().enumerate() {
        let pointer = format!("/participants/{i}/id");
        match p.kind {
            ParticipantKind::User => check_user(tx, ctx, p.id, &pointer, &mut errors).await?,
            ParticipantKind::Contact => match customers::contact_ref(tx, ctx, p.id).await? {
                Some(c) => companies_of.push((c.id, c.company_id)),
                None => errors.push(FieldError::new(
                    pointer,
                    "not_found",
                    "is not a contact of this organization",
                )),
            },
        }
    }
    let is_task = input.kind == ActivityKind::Task;
    let assignee = if is_task {
        Some(input.assignee_id.unwrap_or(ctx.actor.user_id))
    } else {
        input.assignee_id
    };
    if is_task && let Some(a) = assignee {
        check_user(tx, ctx, a, "/assignee_id", &mut errors).await?;
    }
    if let Some(at) = &input.occurred_at
        && let Some(e) = crm_core::validation::business_date(at, "/occurred_at", false)
    {
        errors.push(e);
    }
    let mut a = Activity {
        id: new_id(),
        kind: input.kind,
        channel: input.channel,
        direction: input.direction,
        subject: input.subject,
        body: input.body,
        occurred_at: input.occurred_at.unwrap_or(now),
        duration_secs: input.duration_secs,
        outcome: input.outcome,
        contact_id: contact.map(|c| c.id),
        company_id: input.company_id.or(contact.and_then(|c| c.company_id)),
        participants,
        due_at: input.due_at,
        assignee_id: assignee,
        priority: if is_task {
            Some(input.priority.unwrap_or(Priority::Normal))
        } else {
            input.priority
        },
        status: is_task.then_some(TaskStatus::Open),
        reminder_at: input.reminder_at,
        completed_at: None,
        completed_by: None,
        feedback_type: input.feedback_type,
        feedback_category: input.feedback_category,
        feedback_state: input
            .feedback_type
            .map(|_| input.feedback_state.unwrap_or(FeedbackState::New))
            .or(input.feedback_state),
        created_by: Some(ctx.actor.user_id),
        external_source: external.map(|e| e.0.to_owned()),
        external_id: external.map(|e| e.1.to_owned()),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    check(&mut a, &mut errors);
    if !errors.is_empty() {
        return Err(Error::validation(errors).into());
    }
    let mut row = activity::ActiveModel {
        id: Set(a.id),
        org_id: Set(ctx.org_id()),
        created_by: Set(a.created_by),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        contact_id: Set(a.contact_id),
        company_id: Set(a.company_id),
        participants: Set(json!(a.participants)),
        links: Set(json!([])),
        completed_at: Set(None),
        completed_by: Set(None),
        external_source: Set(a.external_source.clone()),
        external_id: Set(a.external_id.clone()),
        ..Default::default()
    };
    write_row(&mut row, &a);
    let saved = to_dto(row.insert(tx).await?);
    links::insert(tx, ctx, &saved, &companies_of).await?;
    audit::record(
        tx,
        ctx,
        TYPE,
        saved.id,
        "created",
        None,
        Some(&json_of(&saved)),
    )
    .await?;
    Ok(saved)
}

fn write_row(row: &mut activity::ActiveModel, a: &Activity) {
    row.kind = Set(a.kind.as_str().to_owned());
    row.channel = Set(a.channel.map(|c| c.as_str().to_owned()));
    row.direction = Set(a.direction.map(|d| d.as_str().to_owned()));
    row.subject = Set(a.subject.clone());
    row.body = Set(a.body.clone());
    row.occurred_at = Set(a.occurred_at);
    row.duration_secs = Set(a.duration_secs);
    row.outcome = Set(a.outcome.clone());
    row.due_at = Set(a.due_at);
    row.assignee_id = Set(a.assignee_id);
    row.priority = Set(a.priority.map(|p| p.as_str().to_owned()));
    row.status = Set(a.status.map(|s| s.as_str().to_owned()));
    row.reminder_at = Set(a.reminder_at);
    row.completed_at = Set(a.completed_at);
    row.completed_by = Set(a.completed_by);
    row.feedback_type = Set(a.feedback_type.map(|f| f.as_str().to_owned()));
    row.feedback_category = Set(a.feedback_category.clone());
    row.feedback_state = Set(a.feedback_state.map(|f| f.as_str().to_owned()));
}

pub(crate) async fn find_any(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: Uuid,
) -> Result<activity::Model> {
    activity::Entity::find_by_id(id)
        .filter(activity::Column::OrgId.eq(ctx.org_id()))
        .into_model::<Pos<activity::Model>>()
        .one(db)
        .await?
        .map(|p| p.0)
        .ok_or_else(|| Error::not_found("Activity").into())
}

pub(crate) async fn find_live(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: Uuid,
) -> Result<activity::Model> {
    let row = find_any(db, ctx, id).await?;
    if row.deleted_at.is_some() {
        return Err(Error::not_found("Activity").into());
    }
    Ok(row)
}

/// One live activity.
pub async fn get_activity(ctx: &Ctx, id: Uuid) -> Result<Activity> {
    ctx.require(Action::Read)?;
    Ok(to_dto(find_live(&ctx.reads, ctx, id).await?))
}

/// Applies a merge patch; `status: done` records who completed the task and when.
pub async fn update_activity(
    ctx: &Ctx,
    id: Uuid,
    patch: ActivityPatch,
    if_version: Option<i64>,
) -> Result<Activity> {
    let tx = begin_write(&ctx.db).await?;
    let out = update_activity_in(&tx, ctx, id, patch, if_version).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`update_activity`] inside the caller's transaction (batch writes, composed operations).
pub async fn update_activity_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    id: Uuid,
    patch: ActivityPatch,
    if_version: Option<i64>,
) -> Result<Activity> {
    ctx.require(Action::Write)?;
    let now = Utc::now();
    crm_core::db::lock_row(tx, "activities", id).await?;
    let current = find_live(tx, ctx, id).await?;
    if let Some(expected) = if_version
        && expected != current.version
    {
        return Err(InteractionsError::VersionMismatch {
            expected,
            current: current.version,
        });
    }
    let before = to_dto(current.clone());
    let mut a = before.clone();
    let mut errors = Vec::new();
    a.channel = patch.channel.apply(a.channel);
    a.direction = patch.direction.apply(a.direction);
    a.subject = patch.subject.apply(a.subject);
    a.body = patch.body.apply(a.body);
    if patch.occurred_at == crm_core::Patch::Null {
        errors.push(FieldError::new(
            "/occurred_at",
            "required",
            "cannot be cleared",
        ));
    }
    if let crm_core::Patch::Set(at) = &patch.occurred_at
        && let Some(e) = crm_core::validation::business_date(at, "/occurred_at", false)
    {
        errors.push(e);
    }
    a.occurred_at = patch
        .occurred_at
        .apply(Some(a.occurred_at))
        .unwrap_or(a.occurred_at);
    a.duration_secs = patch.duration_secs.apply(a.duration_secs);
    a.outcome = patch.outcome.apply(a.outcome);
    a.due_at = patch.due_at.apply(a.due_at);
    if patch.assignee_id.is_present() {
        a.assignee_id = patch.assignee_id.apply(a.assignee_id);
        if let Some(u) = a.assignee_id {
            check_user(tx, ctx, u, "/assignee_id", &mut errors).await?;
        }
    }
    a.priority = patch.priority.apply(a.priority);
    let new_status = patch.status.apply(a.status);
    if new_status != a.status {
        match new_status {
            Some(TaskStatus::Done) => {
                a.completed_at = Some(now);
                a.completed_by = Some(ctx.actor.user_id);
            }
            _ => {
                a.completed_at = None;
                a.completed_by = None;
            }
        }
        if a.kind == ActivityKind::Task && new_status.is_none() {
            errors.push(FieldError::new(
                "/status",
                "required",
                "a task always has a status",
            ));
        }
    }
    a.status = new_status;
    a.reminder_at = patch.reminder_at.apply(a.reminder_at);
    a.feedback_category = patch.feedback_category.apply(a.feedback_category);
    a.feedback_state = patch.feedback_state.apply(a.feedback_state);
    check(&mut a, &mut errors);
    if !errors.is_empty() {
        return Err(Error::validation(errors).into());
    }
    let mut row = current.clone().into_active_model();
    write_row(&mut row, &a);
    row.version = Set(current.version + 1);
    row.updated_at = Set(now);
    let result = activity::Entity::update_many()
        .set(row)
        .filter(activity::Column::Id.eq(id))
        .filter(activity::Column::OrgId.eq(ctx.org_id()))
        .filter(activity::Column::Version.eq(current.version))
        .exec(tx)
        .await?;
    if result.rows_affected != 1 {
        return Err(InteractionsError::VersionMismatch {
            expected: current.version,
            current: current.version + 1,
        });
    }
    let saved = to_dto(find_any(tx, ctx, id).await?);
    links::mirror(tx, &saved, false).await?;
    audit::record(
        tx,
        ctx,
        TYPE,
        id,
        "updated",
        Some(&json_of(&before)),
        Some(&json_of(&saved)),
    )
    .await?;
    Ok(saved)
}

async fn set_deleted(
    ctx: &Ctx,
    id: Uuid,
    deleted: bool,
    if_version: Option<i64>,
) -> Result<Activity> {
    ctx.require(Action::Delete)?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let current = if deleted {
        find_live(&tx, ctx, id).await?
    } else {
        find_any(&tx, ctx, id).await?
    };
    if let Some(expected) = if_version
        && expected != current.version
    {
        return Err(InteractionsError::VersionMismatch {
            expected,
            current: current.version,
        });
    }
    let version = current.version;
    let mut row = current.into_active_model();
    row.deleted_at = Set(deleted.then_some(now));
    row.version = Set(version + 1);
    row.updated_at = Set(now);
    let saved = to_dto(row.update(&tx).await?);
    links::mirror(&tx, &saved, deleted).await?;
    let action = if deleted { "deleted" } else { "restored" };
    audit::append(&tx, ctx, TYPE, id, action, json!({}), json!({ "id": id })).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Soft-deletes an activity (managers and admins); it leaves every timeline.
pub async fn delete_activity(ctx: &Ctx, id: Uuid, if_version: Option<i64>) -> Result<()> {
    set_deleted(ctx, id, true, if_version).await.map(|_| ())
}

/// Restores a deleted activity (managers and admins).
pub async fn restore_activity(ctx: &Ctx, id: Uuid) -> Result<Activity> {
    set_deleted(ctx, id, false, None).await
}

/// The plan of an activity list and the organization's live activities it runs on.
fn list_plan(ctx: &Ctx, params: &ListParams) -> Result<(list::Plan, Select<activity::Entity>)> {
    let plan = list::plan(
        ctx.db.get_database_backend(),
        &ACTIVITY_FIELDS,
        &[],
        params,
        ctx.org_id(),
    )?;
    let query = activity::Entity::find()
        .filter(activity::Column::OrgId.eq(ctx.org_id()))
        .filter(activity::Column::DeletedAt.is_null());
    Ok((plan, query))
}

/// Lists live activities with filters, sort (default `-occurred_at`) and keyset pages.
pub async fn list_activities(ctx: &Ctx, params: &ListParams) -> Result<Page<Activity>> {
    ctx.require(Action::Read)?;
    let (plan, query) = list_plan(ctx, params)?;
    let rows = plan.fetch(&ctx.reads, query).await?;
    let items: Vec<Activity> = rows.into_iter().map(to_dto).collect();
    Ok(Page::from_overfetch_for(
        &params.page,
        items,
        plan.limit,
        |a| plan.cursor_after(a, a.id),
    ))
}

/// Every live activity `params` selects, in batches into `out`, from one streamed statement
/// ([`list::Plan::export`]). Stops when `out` closes.
pub async fn export_activities(
    ctx: &Ctx,
    params: &ListParams,
    out: &crm_core::kit::ExportSender<Activity>,
) -> Result<()> {
    ctx.require(Action::Read)?;
    let (plan, query) = list_plan(ctx, params)?;
    plan.export_each(&ctx.db, query, out, to_dto).await?;
    Ok(())
}

/// The history of an activity, newest first.
pub async fn activity_history(
    ctx: &Ctx,
    id: Uuid,
    page: &PageRequest,
) -> Result<Page<HistoryEntry>> {
    ctx.require(Action::Read)?;
    find_any(&ctx.db, ctx, id).await?;
    Ok(audit::history(&ctx.db, ctx, TYPE, id, page).await?)
}
