//! Activities by another system's id (a telephony system's call id, a mail server's message
//! id): `PUT /activities/by-external-id/{source}/{id}`, batch upserts and imports.

use super::activities::{TYPE, create_with, resolve_contact, to_dto, update_activity_in};
use super::links;
use crate::dto::*;
use crate::error::Result;
use crate::model::activity;
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx, Error, FieldError, Patch, audit};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    Set,
};
use serde_json::json;

/// Creates or replaces the activity another system knows as `source`/`external_id`; returns
/// it and whether it was created. A replace sets every field the update can change from the
/// body (clearing what it leaves out; `occurred_at`, a task's assignee and priority, and the
/// feedback state are kept when left out); the kind, the contact, the company, the feedback
/// type and the participants stay as created, and a body naming others is a 422. A deleted
/// activity is restored by the push (managers and admins).
pub async fn upsert_activity(
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewActivity,
) -> Result<(Activity, bool)> {
    let tx = begin_write(&ctx.db).await?;
    let out = upsert_activity_in(&tx, ctx, source, external_id, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`upsert_activity`] inside the caller's transaction (batch writes, imports).
pub async fn upsert_activity_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewActivity,
) -> Result<(Activity, bool)> {
    ctx.require(Action::Write)?;
    crm_core::batch::check_external(source, external_id)?;
    let key = format!("upsert:{}:{TYPE}:{source}:{external_id}", ctx.org_id());
    crm_core::db::lock_key(tx, &key).await?;
    let existing = activity::Entity::find()
        .filter(activity::Column::OrgId.eq(ctx.org_id()))
        .filter(activity::Column::ExternalSource.eq(source))
        .filter(activity::Column::ExternalId.eq(external_id))
        .one(tx)
        .await?;
    let Some(found) = existing else {
        let a = create_with(tx, ctx, input, Some((source, external_id))).await?;
        return Ok((a, true));
    };
    let current = to_dto(found.clone());
    let mut errors = Vec::new();
    let contact = resolve_contact(tx, ctx, &input, &mut errors).await?;
    let fixed = [
        (
            input.kind != current.kind,
            "/kind",
            "an activity keeps its kind",
        ),
        (
            contact.is_some_and(|c| Some(c.id) != current.contact_id),
            if input.contact_id.is_some() {
                "/contact_id"
            } else if input.contact_email.is_some() {
                "/contact_email"
            } else {
                "/contact_phone"
            },
            "an activity stays with its contact",
        ),
        (
            input
                .company_id
                .is_some_and(|c| Some(c) != current.company_id),
            "/company_id",
            "an activity stays with its company",
        ),
        (
            input
                .feedback_type
                .is_some_and(|t| Some(t) != current.feedback_type),
            "/feedback_type",
            "feedback keeps its type",
        ),
        (
            input
                .participants
                .as_ref()
                .is_some_and(|p| *p != current.participants),
            "/participants",
            "an activity keeps its participants",
        ),
    ];
    for (changed, pointer, why) in fixed {
        if changed {
            errors.push(FieldError::new(pointer, "immutable", why));
        }
    }
    if !errors.is_empty() {
        return Err(Error::validation(errors).into());
    }
    if found.deleted_at.is_some() {
        restore_in(tx, ctx, found.clone()).await?;
    }
    let task = current.kind == ActivityKind::Task;
    let patch = ActivityPatch {
        channel: cleared(input.channel),
        direction: cleared(input.direction),
        subject: cleared(input.subject),
        body: cleared(input.body),
        occurred_at: input.occurred_at.map_or(Patch::Absent, Patch::Set),
        duration_secs: cleared(input.duration_secs),
        outcome: cleared(input.outcome),
        due_at: cleared(input.due_at),
        assignee_id: kept(input.assignee_id, task),
        priority: kept(input.priority, task),
        status: Patch::Absent,
        reminder_at: cleared(input.reminder_at),
        feedback_category: cleared(input.feedback_category),
        feedback_state: input.feedback_state.map_or(Patch::Absent, Patch::Set),
    };
    let a = update_activity_in(tx, ctx, found.id, patch, None).await?;
    Ok((a, false))
}

/// A replace's value: the body's, or cleared when it leaves the field out.
fn cleared<T>(v: Option<T>) -> Patch<T> {
    v.map_or(Patch::Null, Patch::Set)
}

/// A task's assignee or priority: the body's, or kept when it leaves the field out (other
/// kinds have none).
fn kept<T>(v: Option<T>, task: bool) -> Patch<T> {
    match v {
        Some(v) => Patch::Set(v),
        None if task => Patch::Absent,
        None => Patch::Null,
    }
}

/// Restores a deleted activity inside `tx`, as `POST /activities/{id}/restore` does
/// (managers and admins): back on every timeline.
async fn restore_in(tx: &DatabaseTransaction, ctx: &Ctx, row: activity::Model) -> Result<()> {
    ctx.require(Action::Delete)?;
    let id = row.id;
    let version = row.version;
    let mut a = row.into_active_model();
    a.deleted_at = Set(None);
    a.version = Set(version + 1);
    a.updated_at = Set(Utc::now());
    let saved = to_dto(a.update(tx).await?);
    links::mirror(tx, &saved, false).await?;
    audit::append(
        tx,
        ctx,
        TYPE,
        id,
        "restored",
        json!({}),
        json!({ "id": id }),
    )
    .await?;
    Ok(())
}
