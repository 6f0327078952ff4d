//! Activities in the resource kit: their standard operations, as the gateway serves them.

use crate::dto::{Activity, ActivityPatch, NewActivity};
use crate::ops;
use crm_core::audit::HistoryEntry;
use crm_core::batch::BatchWrite;
use crm_core::kit::{
    Create, Delete, ExportSender, History, Records, Update, Upsert, export_streamed,
};
use crm_core::list::{ListParams, Resource};
use crm_core::{Ctx, Page, PageRequest, Result};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

/// Activities: calls, emails, meetings, notes, tasks, visits, presentations, feedback.
pub struct Activities;

crm_core::versioned!(Activity);
crm_core::sort_keys!(Activity {
    occurred_at,
    created_at,
    updated_at,
    due_at
});

impl Records for Activities {
    const RESOURCE: &'static Resource = &ops::ACTIVITY_FIELDS;
    const PATH: &'static str = "activities";
    const ONE: &'static str = "Activity";
    const MANY: &'static str = "Activities";
    const TAG: &'static str = "activities";
    const LIST_NOTE: &'static str = "`q` searches subject, body, outcome and feedback category.";
    const CREATE_NOTE: &'static str = "On any channel; a task (with `due_at`), or feedback. Integrations may name the contact \
         by `contact_email` or `contact_phone` instead of `contact_id` (no match: 422).";
    type Record = Activity;

    async fn list(ctx: &Ctx, params: &ListParams) -> Result<Page<Activity>> {
        Ok(ops::list_activities(ctx, params).await?)
    }
    async fn export(ctx: Ctx, params: ListParams, out: ExportSender<Activity>) {
        export_streamed::<Self, _, _>(ctx, params, out, |ctx, params, out| async move {
            Ok(ops::export_activities(&ctx, &params, &out).await?)
        })
        .await
    }
    async fn get(ctx: &Ctx, id: Uuid) -> Result<Activity> {
        Ok(ops::get_activity(ctx, id).await?)
    }
}

impl Create for Activities {
    type New = NewActivity;
    async fn create(ctx: &Ctx, input: NewActivity) -> Result<Activity> {
        Ok(ops::create_activity(ctx, input).await?)
    }
}

impl Update for Activities {
    type Patch = ActivityPatch;
    async fn update(ctx: &Ctx, id: Uuid, patch: ActivityPatch, v: Option<i64>) -> Result<Activity> {
        Ok(ops::update_activity(ctx, id, patch, v).await?)
    }
}

impl Delete for Activities {
    async fn delete(ctx: &Ctx, id: Uuid, v: Option<i64>) -> Result<()> {
        Ok(ops::delete_activity(ctx, id, v).await?)
    }
    async fn restore(ctx: &Ctx, id: Uuid) -> Result<Activity> {
        Ok(ops::restore_activity(ctx, id).await?)
    }
}

impl History for Activities {
    async fn history(ctx: &Ctx, id: Uuid, page: &PageRequest) -> Result<Page<HistoryEntry>> {
        Ok(ops::activity_history(ctx, id, page).await?)
    }
}

/// A call from a telephony system, a message from a mail server: logged once however often
/// it is pushed.
impl Upsert for Activities {
    const UPSERT_NOTE: &'static str = "A replace clears what the body leaves out, except \
         `occurred_at`, a task's assignee and priority, and the feedback state; the kind, \
         contact, company, feedback type and participants stay as created (a body naming \
         others is a 422). A deleted activity is restored (managers and admins).";
    async fn upsert(
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewActivity,
    ) -> Result<(Activity, bool)> {
        Ok(ops::upsert_activity(ctx, source, external_id, input).await?)
    }
}

impl BatchWrite for Activities {
    type Change = ActivityPatch;
    const UPDATE: bool = true;
    const UPSERT: bool = true;
    async fn create_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        input: NewActivity,
    ) -> Result<Activity> {
        Ok(ops::create_activity_in(tx, ctx, input).await?)
    }
    async fn update_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        id: Uuid,
        patch: ActivityPatch,
        v: Option<i64>,
    ) -> Result<Activity> {
        Ok(ops::update_activity_in(tx, ctx, id, patch, v).await?)
    }
    async fn upsert_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewActivity,
    ) -> Result<(Activity, bool)> {
        Ok(ops::upsert_activity_in(tx, ctx, source, external_id, input).await?)
    }
}
