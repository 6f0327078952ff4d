//! Contacts created many at a time (imports): every input is checked by the same rules as
//! [`create_contact_in`] (owner, company, the whole-contact validation, custom fields), and
//! those that pass are written set-based: one insert for the rows, one for their history and
//! one for their events ([`crm_core::bulk`]: on PostgreSQL each binds one JSON parameter).
//! The result is the same rows the single create writes.
//!
//! Organizations with a unique custom field on contacts take the single create per input
//! (each needs its own uniqueness check against the rows before it).

use super::common::{OwnerBefore, defs, owner};
use super::contacts::{
    TYPE, check_company, company_name, create_contact_in, fill_row, new_row, new_validated,
};
use crate::dto::{Contact, NewContact, RecordType};
use crate::error::Result;
use crate::model::contact;
use crate::validate::Errors;
use chrono::{SubsecRound, Utc};
use crm_core::{Action, Ctx, audit};
use sea_orm::{DatabaseTransaction, TransactionTrait, TryIntoModel};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// Creates `inputs` in `tx`; one outcome per input, in order. A refused input writes
/// nothing; the others are written together.
pub async fn create_contacts_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    inputs: Vec<NewContact>,
) -> Result<Vec<Result<Contact>>> {
    ctx.require(Action::Write)?;
    let custom_defs = defs(tx, ctx.org_id(), RecordType::Contact).await?;
    if custom_defs.iter().any(|(_, unique)| *unique) {
        let mut out = Vec::with_capacity(inputs.len());
        for input in inputs {
            let sp = tx.begin().await?;
            let r = create_contact_in(&sp, ctx, input).await;
            if r.is_ok() {
                sp.commit().await?;
            } else {
                sp.rollback().await?;
            }
            out.push(r);
        }
        return Ok(out);
    }
    // Microseconds, as the database keeps them.
    let now = Utc::now().trunc_subsecs(6);
    // Companies are looked up once each: whether they are live, and their name (search).
    let mut companies: HashMap<Uuid, (Vec<crm_core::FieldError>, Option<String>)> = HashMap::new();
    let mut out: Vec<Result<Contact>> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let mut errors = Errors::default();
        let owner_id = match owner(
            tx,
            ctx,
            Some(input.owner_id.unwrap_or(ctx.actor.user_id)),
            OwnerBefore::New,
            &mut errors,
        )
        .await
        {
            Ok(o) => o,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        if let Some(cid) = input.company_id {
            if let std::collections::hash_map::Entry::Vacant(slot) = companies.entry(cid) {
                let mut e = Errors::default();
                check_company(tx, ctx, Some(cid), &mut e).await?;
                let name = if e.0.is_empty() {
                    company_name(tx, Some(cid)).await?
                } else {
                    None
                };
                slot.insert((e.0, name));
            }
            if let Some((e, _)) = companies.get(&cid) {
                errors.0.extend(e.iter().cloned());
            }
        }
        let c = new_validated(input, owner_id, now, &custom_defs, &mut errors);
        out.push(errors.finish().map(|()| c).map_err(Into::into));
    }
    let rows: Vec<contact::ActiveModel> = out
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|c| {
            let company = c
                .company_id
                .and_then(|id| companies.get(&id))
                .and_then(|(_, n)| n.clone());
            let mut row = new_row(ctx, c);
            fill_row(&mut row, c, company.as_deref());
            row
        })
        .collect();
    if rows.is_empty() {
        return Ok(out);
    }
    let audit_rows: Vec<(Uuid, Value)> = out
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|c| (c.id, serde_json::to_value(c).unwrap_or(Value::Null)))
        .collect();
    let models = rows
        .into_iter()
        .map(TryIntoModel::try_into_model)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    crm_core::bulk::insert_models::<contact::Entity>(tx, models).await?;
    audit::record_created_many(tx, ctx, TYPE, &audit_rows).await?;
    Ok(out)
}
