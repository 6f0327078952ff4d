//! Leads: capture, qualify, disqualify, and convert in one transaction into a contact (matching
//! an existing one by email), a company (matching by domain or name) and optionally a deal.

use super::common::{finish, required, text};
use super::deals::create_deal_in;
use crate::dto::*;
use crate::error::Result;
use crate::model::lead;
use chrono::Utc;
use crm_core::audit;
use crm_core::db::begin_write;
use crm_core::list::{self, ListParams};
use crm_core::{Action, Channel, Ctx, Error, FieldError, Page, PageRequest, new_id};
use crm_customers::{NewCompany, NewContact, ops as customers};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, Select, Set,
};
use serde_json::json;
use uuid::Uuid;

const TYPE: &str = "lead";

fn to_dto(m: lead::Model) -> Lead {
    Lead {
        id: m.id,
        first_name: m.first_name,
        last_name: m.last_name,
        email: m.email,
        phone: m.phone,
        company_name: m.company_name,
        company_domain: m.company_domain,
        title: m.title,
        source_channel: m.source_channel.as_deref().and_then(Channel::parse),
        campaign_id: m.campaign_id,
        status: LeadStatus::parse(&m.status).unwrap_or(LeadStatus::New),
        disqualify_reason: m.disqualify_reason,
        owner_id: m.owner_id,
        converted_contact_id: m.converted_contact_id,
        converted_company_id: m.converted_company_id,
        converted_deal_id: m.converted_deal_id,
        converted_at: m.converted_at,
        external_source: m.external_source,
        external_id: m.external_id,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

async fn find(db: &impl ConnectionTrait, ctx: &Ctx, id: Uuid) -> Result<lead::Model> {
    lead::Entity::find_by_id(id)
        .filter(lead::Column::OrgId.eq(ctx.org_id()))
        .filter(lead::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("Lead").into())
}

/// Captures a lead.
pub async fn create_lead(ctx: &Ctx, input: NewLead) -> Result<Lead> {
    let tx = begin_write(&ctx.db).await?;
    let out = create_lead_in(&tx, ctx, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`create_lead`] inside the caller's transaction (batch writes, composed operations).
pub async fn create_lead_in(tx: &DatabaseTransaction, ctx: &Ctx, input: NewLead) -> Result<Lead> {
    ctx.require(Action::Write)?;
    let c = check(tx, ctx, input, None).await?;
    insert(tx, ctx, c, None).await
}

/// A lead's fields, checked.
struct Checked {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    company_name: Option<String>,
    company_domain: Option<String>,
    title: Option<String>,
    source_channel: Option<String>,
    campaign_id: Option<Uuid>,
    owner: Uuid,
}

/// Checks a lead's fields; `owner` is the current owner of a lead being replaced (kept when
/// the input names none), `None` for a new lead (whose owner defaults to the caller). Giving a
/// lead to someone else is a reassignment (managers and admins).
async fn check(
    tx: &impl ConnectionTrait,
    ctx: &Ctx,
    input: NewLead,
    owner: Option<Uuid>,
) -> Result<Checked> {
    let mut errors = Vec::new();
    let first_name = text(input.first_name, "/first_name", 200, &mut errors);
    let last_name = text(input.last_name, "/last_name", 200, &mut errors);
    let email = text(input.email, "/email", 320, &mut errors).map(|e| e.to_lowercase());
    if let Some(e) = &email
        && !(e.contains('@') && e.contains('.') && !e.contains(' '))
    {
        errors.push(FieldError::new(
            "/email",
            "email",
            "must be a valid email address",
        ));
    }
    let phone = text(input.phone, "/phone", 32, &mut errors);
    if first_name.is_none() && last_name.is_none() && email.is_none() && phone.is_none() {
        errors.push(FieldError::new(
            "/last_name",
            "required",
            "a lead needs a name, email or phone",
        ));
    }
    let company_name = text(input.company_name, "/company_name", 300, &mut errors);
    // The company's rule, checked now so that converting the lead cannot fail on it later;
    // stored as the company would store it (the lowercase host without `www.`).
    let company_domain =
        crm_customers::domain_field(input.company_domain, "/company_domain", &mut errors);
    let title = text(input.title, "/title", 200, &mut errors);
    let unchanged = owner.unwrap_or(ctx.actor.user_id);
    let new_owner = input.owner_id.unwrap_or(unchanged);
    if new_owner != unchanged {
        ctx.require(Action::Reassign)?;
    }
    if new_owner != unchanged && !customers::active_user(tx, ctx.org_id(), new_owner).await? {
        errors.push(FieldError::new(
            "/owner_id",
            "not_found",
            "is not an active user of this organization",
        ));
    }
    finish(errors)?;
    Ok(Checked {
        first_name,
        last_name,
        email,
        phone,
        company_name,
        company_domain,
        title,
        source_channel: input.source_channel.map(|c| c.as_str().to_owned()),
        campaign_id: input.campaign_id,
        owner: new_owner,
    })
}

/// Writes a checked lead's fields onto a row.
fn write_row(row: &mut lead::ActiveModel, c: Checked) {
    row.first_name = Set(c.first_name);
    row.last_name = Set(c.last_name);
    row.email = Set(c.email);
    row.phone = Set(c.phone);
    row.company_name = Set(c.company_name);
    row.company_domain = Set(c.company_domain);
    row.title = Set(c.title);
    row.source_channel = Set(c.source_channel);
    row.campaign_id = Set(c.campaign_id);
    row.owner_id = Set(Some(c.owner));
}

async fn insert(
    tx: &impl ConnectionTrait,
    ctx: &Ctx,
    c: Checked,
    external: Option<(&str, &str)>,
) -> Result<Lead> {
    let now = Utc::now();
    let mut row = lead::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        status: Set(LeadStatus::New.as_str().to_owned()),
        disqualify_reason: Set(None),
        converted_contact_id: Set(None),
        converted_company_id: Set(None),
        converted_deal_id: Set(None),
        converted_at: Set(None),
        external_source: Set(external.map(|e| e.0.to_owned())),
        external_id: Set(external.map(|e| e.1.to_owned())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    write_row(&mut row, c);
    let out = to_dto(row.insert(tx).await?);
    audit::record(tx, ctx, TYPE, out.id, "created", None, Some(&json!(out))).await?;
    Ok(out)
}

/// Creates or replaces the lead another system (a web form tool, a marketing platform) knows
/// as `source`/`external_id`; returns it and whether it was created. A replace sets every
/// field from the body and keeps the status, the conversion and, when the body names none,
/// the owner.
pub async fn upsert_lead(
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewLead,
) -> Result<(Lead, bool)> {
    let tx = begin_write(&ctx.db).await?;
    let out = upsert_lead_in(&tx, ctx, source, external_id, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`upsert_lead`] inside the caller's transaction (batch writes).
pub async fn upsert_lead_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewLead,
) -> Result<(Lead, bool)> {
    ctx.require(Action::Write)?;
    super::external::check_external(source, external_id)?;
    super::external::lock_external(tx, ctx, TYPE, source, external_id).await?;
    let existing = lead::Entity::find()
        .filter(lead::Column::OrgId.eq(ctx.org_id()))
        .filter(lead::Column::ExternalSource.eq(source))
        .filter(lead::Column::ExternalId.eq(external_id))
        .one(tx)
        .await?;
    let Some(found) = existing else {
        let c = check(tx, ctx, input, None).await?;
        return Ok((insert(tx, ctx, c, Some((source, external_id))).await?, true));
    };
    // Read again under the row lock: a qualification committed meanwhile is kept.
    crm_core::db::lock_row(tx, "leads", found.id).await?;
    let current = lead::Entity::find_by_id(found.id)
        .one(tx)
        .await?
        .unwrap_or(found);
    if current.deleted_at.is_some() {
        // Restoring is for those who may restore (managers and admins), as for deals.
        ctx.require(Action::Delete)?;
        audit::record(
            tx,
            ctx,
            TYPE,
            current.id,
            "restored",
            None,
            Some(&json!({ "id": current.id })),
        )
        .await?;
    }
    let c = check(tx, ctx, input, current.owner_id).await?;
    let before = to_dto(current.clone());
    let version = current.version;
    let mut row = current.into_active_model();
    write_row(&mut row, c);
    row.deleted_at = Set(None);
    row.version = Set(version + 1);
    row.updated_at = Set(Utc::now());
    let after = to_dto(row.update(tx).await?);
    audit::record(
        tx,
        ctx,
        TYPE,
        after.id,
        "updated",
        Some(&json!(before)),
        Some(&json!(after)),
    )
    .await?;
    Ok((after, false))
}

/// One lead.
pub async fn get_lead(ctx: &Ctx, id: Uuid) -> Result<Lead> {
    ctx.require(Action::Read)?;
    Ok(to_dto(find(&ctx.reads, ctx, id).await?))
}

/// The plan of a lead list and the organization's live leads it runs on.
fn list_plan(ctx: &Ctx, params: &ListParams) -> Result<(list::Plan, Select<lead::Entity>)> {
    let plan = list::plan(
        ctx.db.get_database_backend(),
        &super::LEAD_FIELDS,
        &[],
        params,
        ctx.org_id(),
    )?;
    let query = lead::Entity::find()
        .filter(lead::Column::OrgId.eq(ctx.org_id()))
        .filter(lead::Column::DeletedAt.is_null());
    Ok((plan, query))
}

/// Leads, newest first.
pub async fn list_leads(ctx: &Ctx, params: &ListParams) -> Result<Page<Lead>> {
    ctx.require(Action::Read)?;
    let (plan, query) = list_plan(ctx, params)?;
    let rows = plan.fetch(&ctx.reads, query).await?;
    Ok(Page::from_overfetch_for(
        &params.page,
        rows.into_iter().map(to_dto).collect(),
        plan.limit,
        |l: &Lead| plan.cursor_after(l, l.id),
    ))
}

/// Every live lead `params` selects, in batches into `out`, from one streamed statement
/// ([`list::Plan::export`]). Stops when `out` closes.
pub async fn export_leads(
    ctx: &Ctx,
    params: &ListParams,
    out: &crm_core::kit::ExportSender<Lead>,
) -> Result<()> {
    ctx.require(Action::Read)?;
    let (plan, query) = list_plan(ctx, params)?;
    plan.export_each(&ctx.db, query, out, to_dto).await?;
    Ok(())
}

async fn set_status(ctx: &Ctx, id: Uuid, to: LeadStatus, reason: Option<String>) -> Result<Lead> {
    ctx.require(Action::Write)?;
    let tx = begin_write(&ctx.db).await?;
    let row = find(&tx, ctx, id).await?;
    if row.status == LeadStatus::Converted.as_str() {
        return Err(Error::conflict("The lead is converted").into());
    }
    let before = to_dto(row.clone());
    let version = row.version;
    let mut a = row.into_active_model();
    a.status = Set(to.as_str().to_owned());
    a.disqualify_reason = Set(reason);
    a.version = Set(version + 1);
    a.updated_at = Set(Utc::now());
    let out = to_dto(a.update(&tx).await?);
    audit::record(
        &tx,
        ctx,
        TYPE,
        id,
        "updated",
        Some(&json!(before)),
        Some(&json!(out)),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Marks a lead qualified.
pub async fn qualify_lead(ctx: &Ctx, id: Uuid) -> Result<Lead> {
    set_status(ctx, id, LeadStatus::Qualified, None).await
}

/// Marks a lead disqualified, with a reason.
pub async fn disqualify_lead(ctx: &Ctx, id: Uuid, input: DisqualifyLead) -> Result<Lead> {
    ctx.require(Action::Write)?;
    let mut errors = Vec::new();
    let reason = required(input.reason, "/reason", 300, &mut errors);
    finish(errors)?;
    set_status(ctx, id, LeadStatus::Disqualified, Some(reason)).await
}

/// Converts a lead, in one transaction: the contact (an existing one with the lead's email, or
/// a new one), the company (an existing one with the lead's domain, else name, or a new one),
/// and optionally a deal; the lead keeps links to all of them.
pub async fn convert_lead(ctx: &Ctx, id: Uuid, input: ConvertLead) -> Result<LeadConversion> {
    ctx.require(Action::Write)?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let row = find(&tx, ctx, id).await?;
    if row.status == LeadStatus::Converted.as_str() {
        return Err(Error::conflict("The lead is already converted").into());
    }
    if row.status == LeadStatus::Disqualified.as_str() {
        return Err(
            Error::conflict("A disqualified lead cannot be converted; qualify it first").into(),
        );
    }
    let names_company = row.company_domain.is_some() || row.company_name.is_some();
    let (company_id, company_matched) =
        if input.with_company.unwrap_or(names_company) && names_company {
            match customers::company_by_domain_or_name(
                &tx,
                ctx,
                row.company_domain.as_deref(),
                row.company_name.as_deref(),
            )
            .await?
            {
                Some(id) => (Some(id), true),
                None => {
                    let name = row
                        .company_name
                        .clone()
                        .or_else(|| row.company_domain.clone())
                        .unwrap_or_default();
                    let c = customers::create_company_in(
                        &tx,
                        ctx,
                        NewCompany {
                            name,
                            domain: row.company_domain.clone(),
                            owner_id: row.owner_id,
                            lifecycle_stage: Some(crm_core::LifecycleStage::Prospect),
                            ..Default::default()
                        },
                    )
                    .await?;
                    (Some(c.id), false)
                }
            }
        } else {
            (None, false)
        };
    let existing = match &row.email {
        Some(e) => customers::contact_by_email_or_phone(&tx, ctx, Some(e), None).await?,
        None => None,
    };
    let (contact_id, contact_matched) = match existing {
        Some(c) => (c.id, true),
        None => {
            let c = customers::create_contact_in(
                &tx,
                ctx,
                NewContact {
                    first_name: row.first_name.clone(),
                    last_name: row.last_name.clone(),
                    email: row.email.clone(),
                    phone: row.phone.clone(),
                    title: row.title.clone(),
                    company_id,
                    owner_id: row.owner_id,
                    lifecycle_stage: Some(crm_core::LifecycleStage::Prospect),
                    source_channel: row.source_channel.as_deref().and_then(Channel::parse),
                    ..Default::default()
                },
            )
            .await?;
            (c.id, false)
        }
    };
    let deal = match input.deal {
        Some(mut d) => {
            d.company_id = d.company_id.or(company_id);
            let mut contacts = d.contact_ids.take().unwrap_or_default();
            if !contacts.contains(&contact_id) {
                contacts.push(contact_id);
            }
            d.contact_ids = Some(contacts);
            Some(create_deal_in(&tx, ctx, d, Some(id), None, now).await?)
        }
        None => None,
    };
    let before = to_dto(row.clone());
    let version = row.version;
    let mut a = row.into_active_model();
    a.status = Set(LeadStatus::Converted.as_str().to_owned());
    a.converted_contact_id = Set(Some(contact_id));
    a.converted_company_id = Set(company_id);
    a.converted_deal_id = Set(deal.as_ref().map(|d| d.id));
    a.converted_at = Set(Some(now));
    a.version = Set(version + 1);
    a.updated_at = Set(now);
    let lead = to_dto(a.update(&tx).await?);
    audit::record(
        &tx,
        ctx,
        TYPE,
        id,
        "converted",
        Some(&json!(before)),
        Some(&json!(lead)),
    )
    .await?;
    tx.commit().await?;
    Ok(LeadConversion {
        lead,
        contact_id,
        contact_matched,
        company_id,
        company_matched,
        deal,
    })
}

/// The history of a lead, newest first.
pub async fn lead_history(
    ctx: &Ctx,
    id: Uuid,
    page: &PageRequest,
) -> Result<Page<audit::HistoryEntry>> {
    ctx.require(Action::Read)?;
    find(&ctx.db, ctx, id).await?;
    Ok(audit::history(&ctx.db, ctx, TYPE, id, page).await?)
}
