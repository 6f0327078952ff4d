//! Contacts by the id a source system gives them (`PUT /contacts/by-external-id/{source}/{id}`,
//! batch upserts, imports matching on `external_id`): the same rules as companies' upserts.

use super::contacts::{
    TYPE, create_contact_known_as, find_any, restore_contact_in, update_contact_in,
};
use crate::dto::{Contact, ContactPatch, NewContact};
use crate::error::Result;
use crate::model::contact;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx, Patch};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

/// Creates or replaces the contact a source system knows as `source`/`external_id`; returns it
/// and whether it was created. Pushing the same contact twice leaves one contact.
pub async fn upsert_contact(
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewContact,
) -> Result<(Contact, bool)> {
    let tx = begin_write(&ctx.db).await?;
    let out = upsert_contact_in(&tx, ctx, source, external_id, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`upsert_contact`] inside the caller's transaction (batch writes, imports).
pub async fn upsert_contact_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewContact,
) -> Result<(Contact, bool)> {
    ctx.require(Action::Write)?;
    crm_core::batch::check_external(source, external_id)?;
    // Concurrent pushes of one contact take turns (PostgreSQL; SQLite writes one at a time):
    // the later one finds the contact the earlier one created, instead of failing on the
    // unique index.
    crm_core::db::lock_key(
        tx,
        &format!("upsert:{}:{TYPE}:{source}:{external_id}", ctx.org_id()),
    )
    .await?;
    let existing = contact::Entity::find()
        .filter(contact::Column::OrgId.eq(ctx.org_id()))
        .filter(contact::Column::ExternalSource.eq(source))
        .filter(contact::Column::ExternalId.eq(external_id))
        .one(tx)
        .await?;
    // A contact merged into another keeps its external id: the push goes to the survivor.
    let existing =
        super::common::merge_survivor(existing, |c| c.merged_into, |id| find_any(tx, ctx, id))
            .await?;
    if let Some(existing) = existing {
        // A replace: what the body leaves out is cleared, except the owner, consent, tags and
        // custom values, which a source system rarely knows.
        let set = |v: Option<String>| v.map_or(Patch::Null, Patch::Set);
        let patch = ContactPatch {
            first_name: set(input.first_name),
            last_name: set(input.last_name),
            email: set(input.email),
            phone: set(input.phone),
            title: set(input.title),
            company_id: input.company_id.map_or(Patch::Null, Patch::Set),
            address: input.address.map_or(Patch::Null, Patch::Set),
            owner_id: input.owner_id.map_or(Patch::Absent, Patch::Set),
            lifecycle_stage: input.lifecycle_stage.map_or(Patch::Null, Patch::Set),
            source_channel: input.source_channel.map_or(Patch::Null, Patch::Set),
            consent: input.consent.map_or(Patch::Absent, Patch::Set),
            tags: input.tags.map_or(Patch::Absent, Patch::Set),
            custom: input.custom.map_or(Patch::Absent, Patch::Set),
        };
        if existing.deleted_at.is_some() {
            restore_contact_in(tx, ctx, existing.id).await?;
        }
        return Ok((
            update_contact_in(tx, ctx, existing.id, patch, None).await?,
            false,
        ));
    }
    Ok((
        create_contact_known_as(tx, ctx, input, Some((source, external_id))).await?,
        true,
    ))
}
