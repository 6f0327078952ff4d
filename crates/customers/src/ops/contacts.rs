//! Contacts: create, read, update, soft delete, restore, list, history.

use super::common::{
    self, CONTACT_FIELDS, OwnerBefore, check_unique, check_version, defs, list_defs, list_fields,
    owner,
};
use crate::dto::{Address, Contact, ContactPatch, NewContact, RecordType};
use crate::error::{CustomersError, Result};
use crate::model::{company, contact};
use crate::validate::{self, Errors};
use chrono::Utc;
use crm_core::audit::{self, HistoryEntry};
use crm_core::db::begin_write;
use crm_core::list::{self, ListParams};
use crm_core::row::Pos;
use crm_core::{
    Action, Channel, Ctx, Error, LifecycleStage, Page, PageRequest, Patch, cursor, new_id,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) const TYPE: &str = "contact";

/// The read model of a row.
pub(crate) fn to_dto(m: contact::Model) -> Contact {
    Contact {
        id: m.id,
        first_name: m.first_name,
        last_name: m.last_name,
        email: m.email,
        phone: m.phone,
        title: m.title,
        company_id: m.company_id,
        address: Address {
            street: m.street,
            city: m.city,
            region: m.region,
            postal_code: m.postal_code,
            country: m.country,
        },
        owner_id: m.owner_id,
        lifecycle_stage: m.lifecycle_stage.as_deref().and_then(LifecycleStage::parse),
        source_channel: m.source_channel.as_deref().and_then(Channel::parse),
        consent: common::object_or_empty(&m.consent),
        tags: common::tags_of(&m.tags),
        custom: common::object_or_empty(&m.custom),
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
        deleted_at: m.deleted_at,
        external_source: m.external_source,
        external_id: m.external_id,
        analytics: crate::dto_analytics::CustomerAnalytics {
            abc_class: m.analytics_abc_class,
            xyz_class: m.analytics_xyz_class,
            rfm_score: m.analytics_rfm_score,
            rfm_segment: m.analytics_rfm_segment,
            clv: m.analytics_clv,
            p_alive: m.analytics_p_alive,
            churn_risk: m.analytics_churn_risk,
            computed_at: m.analytics_computed_at,
        },
    }
}

pub(crate) fn json_of(c: &Contact) -> Value {
    serde_json::to_value(c).unwrap_or(Value::Null)
}

pub(super) async fn company_name(
    db: &impl ConnectionTrait,
    company_id: Option<Uuid>,
) -> Result<Option<String>> {
    let Some(id) = company_id else {
        return Ok(None);
    };
    Ok(company::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|c| c.name))
}

fn text_of(
    first: Option<&str>,
    last: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
    company: Option<&str>,
) -> String {
    let phone = common::phone_search(phone);
    list::search_text(
        [first, last, email, Some(phone.as_str()), company]
            .into_iter()
            .flatten(),
    )
}

/// The search text of a contact row: names, email, phone digits, company name.
pub(crate) async fn search_text_of(
    db: &impl ConnectionTrait,
    c: &contact::Model,
) -> Result<String> {
    let company = company_name(db, c.company_id).await?;
    Ok(text_of(
        c.first_name.as_deref(),
        c.last_name.as_deref(),
        c.email.as_deref(),
        c.phone.as_deref(),
        company.as_deref(),
    ))
}

/// A contact row of the caller's organization, deleted or not.
pub(crate) async fn find_any(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: Uuid,
) -> Result<contact::Model> {
    find_any_select(ctx, id)
        .into_model::<Pos<contact::Model>>()
        .one(db)
        .await?
        .map(|p| p.0)
        .ok_or_else(|| Error::not_found("Contact").into())
}

fn find_any_select(ctx: &Ctx, id: Uuid) -> sea_orm::Select<contact::Entity> {
    contact::Entity::find_by_id(id).filter(contact::Column::OrgId.eq(ctx.org_id()))
}

/// The SQL `GET /contacts/{id}` runs (for the benchmark's baselines).
#[doc(hidden)]
pub fn contact_get_sql(ctx: &Ctx, id: Uuid) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    find_any_select(ctx, id)
        .limit(1)
        .build(ctx.db.get_database_backend())
}

/// A live contact row: merged ones answer 404 with `merged_into`, deleted ones 404.
pub(crate) async fn find_live(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: Uuid,
) -> Result<contact::Model> {
    let row = find_any(db, ctx, id).await?;
    if let Some(target) = row.merged_into {
        return Err(CustomersError::Merged(target));
    }
    if row.deleted_at.is_some() {
        return Err(Error::not_found("Contact").into());
    }
    Ok(row)
}

pub(super) async fn check_company(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    company_id: Option<Uuid>,
    errors: &mut Errors,
) -> Result<()> {
    if let Some(id) = company_id {
        let live = company::Entity::find_by_id(id)
            .filter(company::Column::OrgId.eq(ctx.org_id()))
            .filter(company::Column::DeletedAt.is_null())
            .one(db)
            .await?;
        if live.is_none() {
            errors.push(
                "/company_id",
                "not_found",
                "is not a company of this organization",
            );
        }
    }
    Ok(())
}

/// Validates a whole contact and returns it normalised.
fn validated(
    mut c: Contact,
    custom_defs: &[(validate::Def, bool)],
    custom_patch: Option<Value>,
    consent_patch: Option<Value>,
    creating: bool,
    errors: &mut Errors,
) -> Contact {
    c.first_name = validate::text(c.first_name, "/first_name", 200, errors);
    c.last_name = validate::text(c.last_name, "/last_name", 200, errors);
    c.email = validate::email(c.email, "/email", errors);
    c.title = validate::text(c.title, "/title", 200, errors);
    c.address = validate::address(Some(c.address), "/address", errors);
    c.phone = validate::phone(c.phone, c.address.country.as_deref(), "/phone", errors);
    if c.first_name.is_none() && c.last_name.is_none() && c.email.is_none() && c.phone.is_none() {
        errors.push(
            "/last_name",
            "required",
            "a contact needs a first name, last name, email or phone",
        );
    }
    c.tags = validate::tags(c.tags, errors);
    c.consent = validate::consent(&c.consent, consent_patch, errors);
    let defs: Vec<_> = custom_defs.iter().map(|(d, _)| d.clone()).collect();
    c.custom = validate::custom(&defs, &c.custom, custom_patch, creating, errors);
    c
}

async fn write_row(
    db: &impl ConnectionTrait,
    row: &mut contact::ActiveModel,
    c: &Contact,
) -> Result<()> {
    let company = company_name(db, c.company_id).await?;
    fill_row(row, c, company.as_deref());
    Ok(())
}

/// Sets a row's columns from a contact; `company` is its company's name (search text).
pub(super) fn fill_row(row: &mut contact::ActiveModel, c: &Contact, company: Option<&str>) {
    row.first_name = Set(c.first_name.clone());
    row.last_name = Set(c.last_name.clone());
    row.email = Set(c.email.clone());
    row.phone = Set(c.phone.clone());
    row.title = Set(c.title.clone());
    row.company_id = Set(c.company_id);
    row.street = Set(c.address.street.clone());
    row.city = Set(c.address.city.clone());
    row.region = Set(c.address.region.clone());
    row.postal_code = Set(c.address.postal_code.clone());
    row.country = Set(c.address.country.clone());
    row.owner_id = Set(c.owner_id);
    row.lifecycle_stage = Set(c.lifecycle_stage.map(|s| s.as_str().to_owned()));
    row.source_channel = Set(c.source_channel.map(|s| s.as_str().to_owned()));
    row.consent = Set(c.consent.clone());
    row.tags = Set(json!(c.tags));
    row.custom = Set(c.custom.clone());
    row.search_text = Set(text_of(
        c.first_name.as_deref(),
        c.last_name.as_deref(),
        c.email.as_deref(),
        c.phone.as_deref(),
        company,
    ));
}

/// A new contact from its body, owned by `owner_id`, validated whole (what is wrong goes to
/// `errors`).
pub(super) fn new_validated(
    input: NewContact,
    owner_id: Option<Uuid>,
    now: chrono::DateTime<Utc>,
    custom_defs: &[(validate::Def, bool)],
    errors: &mut Errors,
) -> Contact {
    let draft = Contact {
        id: new_id(),
        first_name: input.first_name,
        last_name: input.last_name,
        email: input.email,
        phone: input.phone,
        title: input.title,
        company_id: input.company_id,
        address: input.address.unwrap_or_default(),
        owner_id,
        lifecycle_stage: input.lifecycle_stage,
        source_channel: input.source_channel,
        consent: Value::Object(Default::default()),
        tags: input.tags.unwrap_or_default(),
        custom: Value::Object(Default::default()),
        version: 1,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        external_source: None,
        external_id: None,
        analytics: Default::default(),
    };
    validated(
        draft,
        custom_defs,
        input.custom,
        input.consent,
        true,
        errors,
    )
}

/// A new row for contact `c` of the caller's organization.
pub(super) fn new_row(ctx: &Ctx, c: &Contact) -> contact::ActiveModel {
    contact::ActiveModel {
        id: Set(c.id),
        org_id: Set(ctx.org_id()),
        version: Set(1),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        deleted_at: Set(None),
        merged_into: Set(None),
        external_source: Set(c.external_source.clone()),
        external_id: Set(c.external_id.clone()),
        // The analytics refresh writes these; a new contact has none.
        analytics_abc_class: Set(None),
        analytics_xyz_class: Set(None),
        analytics_rfm_score: Set(None),
        analytics_rfm_segment: Set(None),
        analytics_clv: Set(None),
        analytics_p_alive: Set(None),
        analytics_churn_risk: Set(None),
        analytics_computed_at: Set(None),
        ..Default::default()
    }
}

fn custom_patch_of(patch: Patch<Value>, current: &Value) -> Option<Value> {
    match patch {
        Patch::Set(v) => Some(v),
        Patch::Null => Some(Value::Object(
            current
                .as_object()
                .map(|m| m.keys().map(|k| (k.clone(), Value::Null)).collect())
                .unwrap_or_default(),
        )),
        Patch::Absent => None,
    }
}

/// Creates a contact; the owner defaults to the caller.
pub async fn create_contact(ctx: &Ctx, input: NewContact) -> Result<Contact> {
    let tx = begin_write(&ctx.db).await?;
    let saved = create_contact_in(&tx, ctx, input).await?;
    tx.commit().await?;
    Ok(saved)
}

/// [`create_contact`] inside the caller's transaction (lead conversion).
pub async fn create_contact_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    input: NewContact,
) -> Result<Contact> {
    create_contact_known_as(tx, ctx, input, None).await
}

/// [`create_contact_in`] with the contact's id in a source system (`(source, external_id)`),
/// stored with the row, so its history and event carry it too.
pub(super) async fn create_contact_known_as(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    input: NewContact,
    external: Option<(&str, &str)>,
) -> Result<Contact> {
    ctx.require(Action::Write)?;
    let now = Utc::now();
    let custom_defs = defs(tx, ctx.org_id(), RecordType::Contact).await?;
    let mut errors = Errors::default();
    let owner_id = owner(
        tx,
        ctx,
        Some(input.owner_id.unwrap_or(ctx.actor.user_id)),
        OwnerBefore::New,
        &mut errors,
    )
    .await?;
    check_company(tx, ctx, input.company_id, &mut errors).await?;
    let mut c = new_validated(input, owner_id, now, &custom_defs, &mut errors);
    errors.finish()?;
    if let Some((source, id)) = external {
        c.external_source = Some(source.to_owned());
        c.external_id = Some(id.to_owned());
    }
    check_unique(tx, "contacts", ctx.org_id(), c.id, &custom_defs, &c.custom).await?;
    let mut row = new_row(ctx, &c);
    write_row(tx, &mut row, &c).await?;
    let saved = to_dto(row.insert(tx).await?);
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

/// One live contact.
pub async fn get_contact(ctx: &Ctx, id: Uuid) -> Result<Contact> {
    ctx.require(Action::Read)?;
    Ok(to_dto(find_live(&ctx.reads, ctx, id).await?))
}

/// Applies a merge patch; with `if_version`, fails with 412 unless it is the current version.
pub async fn update_contact(
    ctx: &Ctx,
    id: Uuid,
    patch: ContactPatch,
    if_version: Option<i64>,
) -> Result<Contact> {
    let tx = begin_write(&ctx.db).await?;
    let out = update_contact_in(&tx, ctx, id, patch, if_version).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`update_contact`] inside the caller's transaction (batch writes, composed operations).
pub async fn update_contact_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    id: Uuid,
    patch: ContactPatch,
    if_version: Option<i64>,
) -> Result<Contact> {
    ctx.require(Action::Write)?;
    let now = Utc::now();
    crm_core::db::lock_row(tx, "contacts", id).await?;
    let current = find_live(tx, ctx, id).await?;
    check_version(if_version, current.version)?;
    let before = to_dto(current.clone());
    let custom_defs = defs(tx, ctx.org_id(), RecordType::Contact).await?;
    let mut errors = Errors::default();
    let mut draft = before.clone();
    draft.first_name = patch.first_name.apply(draft.first_name);
    draft.last_name = patch.last_name.apply(draft.last_name);
    draft.email = patch.email.apply(draft.email);
    draft.phone = patch.phone.apply(draft.phone);
    draft.title = patch.title.apply(draft.title);
    if patch.company_id.is_present() {
        draft.company_id = patch.company_id.apply(draft.company_id);
        check_company(tx, ctx, draft.company_id, &mut errors).await?;
    }
    draft.address = patch.address.apply(Some(draft.address)).unwrap_or_default();
    draft.lifecycle_stage = patch.lifecycle_stage.apply(draft.lifecycle_stage);
    draft.source_channel = patch.source_channel.apply(draft.source_channel);
    draft.tags = patch.tags.apply(Some(draft.tags)).unwrap_or_default();
    let wanted_owner = patch.owner_id.apply(draft.owner_id);
    draft.owner_id = owner(
        tx,
        ctx,
        wanted_owner,
        OwnerBefore::Existing(before.owner_id),
        &mut errors,
    )
    .await?;
    let consent_patch = custom_patch_of(patch.consent, &before.consent);
    let custom_patch = custom_patch_of(patch.custom, &before.custom);
    let mut c = validated(
        draft,
        &custom_defs,
        custom_patch,
        consent_patch,
        false,
        &mut errors,
    );
    errors.finish()?;
    check_unique(tx, "contacts", ctx.org_id(), id, &custom_defs, &c.custom).await?;
    c.version = current.version + 1;
    let mut row = current.clone().into_active_model();
    write_row(tx, &mut row, &c).await?;
    row.version = Set(c.version);
    row.updated_at = Set(now);
    let result = contact::Entity::update_many()
        .set(row)
        .filter(contact::Column::Id.eq(id))
        .filter(contact::Column::OrgId.eq(ctx.org_id()))
        .filter(contact::Column::Version.eq(current.version))
        .exec(tx)
        .await?;
    if result.rows_affected != 1 {
        return Err(CustomersError::VersionMismatch {
            expected: current.version,
            current: current.version + 1,
        });
    }
    let saved = to_dto(find_any(tx, ctx, id).await?);
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

/// Soft-deletes a contact (managers and admins); it can be restored.
pub async fn delete_contact(ctx: &Ctx, id: Uuid, if_version: Option<i64>) -> Result<()> {
    ctx.require(Action::Delete)?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let current = find_live(&tx, ctx, id).await?;
    check_version(if_version, current.version)?;
    let version = current.version;
    let mut row = current.into_active_model();
    row.deleted_at = Set(Some(now));
    row.version = Set(version + 1);
    row.updated_at = Set(now);
    row.update(&tx).await?;
    audit::append(
        &tx,
        ctx,
        TYPE,
        id,
        "deleted",
        json!({}),
        json!({ "id": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Restores a soft-deleted contact (managers and admins).
pub async fn restore_contact(ctx: &Ctx, id: Uuid) -> Result<Contact> {
    let tx = begin_write(&ctx.db).await?;
    let saved = restore_contact_in(&tx, ctx, id).await?;
    tx.commit().await?;
    Ok(saved)
}

/// [`restore_contact`] inside the caller's transaction (upserts).
pub async fn restore_contact_in(tx: &DatabaseTransaction, ctx: &Ctx, id: Uuid) -> Result<Contact> {
    ctx.require(Action::Delete)?;
    let now = Utc::now();
    let current = find_any(tx, ctx, id).await?;
    if let Some(target) = current.merged_into {
        return Err(CustomersError::Merged(target));
    }
    if current.deleted_at.is_none() {
        return Ok(to_dto(current));
    }
    let version = current.version;
    let mut row = current.into_active_model();
    row.deleted_at = Set(None);
    row.version = Set(version + 1);
    row.updated_at = Set(now);
    let saved = to_dto(row.update(tx).await?);
    audit::record(tx, ctx, TYPE, id, "restored", None, Some(&json_of(&saved))).await?;
    Ok(saved)
}

/// The organization's live contacts, the select a contact list plans on.
fn live(ctx: &Ctx) -> sea_orm::Select<contact::Entity> {
    contact::Entity::find()
        .filter(contact::Column::OrgId.eq(ctx.org_id()))
        .filter(contact::Column::DeletedAt.is_null())
}

/// The plan of a contact list (the custom field definitions read only when it names one):
/// its page, its export and its statements run it.
async fn list_plan(ctx: &Ctx, params: &ListParams) -> Result<list::Plan> {
    let custom_defs = list_defs(&ctx.db, ctx.org_id(), RecordType::Contact, params).await?;
    Ok(list::plan(
        ctx.db.get_database_backend(),
        &CONTACT_FIELDS,
        &list_fields(&custom_defs),
        params,
        ctx.org_id(),
    )?)
}

/// Lists live contacts: filters, sort, search, keyset pages.
pub async fn list_contacts(ctx: &Ctx, params: &ListParams) -> Result<Page<Contact>> {
    ctx.require(Action::Read)?;
    let plan = list_plan(ctx, params).await?;
    let rows = plan.fetch(&ctx.reads, live(ctx)).await?;
    let items: Vec<Contact> = rows.into_iter().map(to_dto).collect();
    Ok(Page::from_overfetch_for(
        &params.page,
        items,
        plan.limit,
        |c| plan.cursor_after(c, c.id),
    ))
}

/// Every live contact `params` selects, in batches of [`crm_core::page::BULK_LIMIT`] into
/// `out`, from one statement: its rows decoded as they arrive, all from one snapshot. Stops
/// when `out` closes.
pub async fn export_contacts(
    ctx: &Ctx,
    params: &ListParams,
    out: &crm_core::kit::ExportSender<Contact>,
) -> Result<()> {
    ctx.require(Action::Read)?;
    let plan = list_plan(ctx, params).await?;
    plan.export_each(&ctx.db, live(ctx), out, to_dto).await?;
    Ok(())
}

/// The statements a contact list runs on the current data, in order (for EXPLAIN checks of
/// index use and for the benchmark's baselines); it runs them.
#[doc(hidden)]
pub async fn contact_list_sql(ctx: &Ctx, params: &ListParams) -> Result<Vec<sea_orm::Statement>> {
    let plan = list_plan(ctx, params).await?;
    Ok(plan.statements(&ctx.db, live(ctx)).await?)
}

/// Lists deleted contacts, most recently created first (managers and admins).
pub async fn list_deleted_contacts(ctx: &Ctx, page: &PageRequest) -> Result<Page<Contact>> {
    ctx.require(Action::Delete)?;
    let limit = page.limit()?;
    let mut query = contact::Entity::find()
        .filter(contact::Column::OrgId.eq(ctx.org_id()))
        .filter(contact::Column::DeletedAt.is_not_null())
        .filter(contact::Column::MergedInto.is_null())
        .order_by_desc(contact::Column::Id)
        .limit(limit + 1);
    if let Some(c) = &page.cursor {
        let before: Uuid = cursor::decode(c)?;
        query = query.filter(contact::Column::Id.lt(before));
    }
    let rows = query.all(&ctx.db).await?;
    Ok(Page::from_overfetch(
        rows.into_iter().map(to_dto).collect(),
        limit,
        |c: &Contact| cursor::encode(&c.id),
    ))
}

/// The history of a contact, newest first (also after it was deleted).
pub async fn contact_history(
    ctx: &Ctx,
    id: Uuid,
    page: &PageRequest,
) -> Result<Page<HistoryEntry>> {
    ctx.require(Action::Read)?;
    let row = find_any(&ctx.db, ctx, id).await?;
    if let Some(target) = row.merged_into {
        return Err(CustomersError::Merged(target));
    }
    Ok(audit::history(&ctx.db, ctx, TYPE, id, page).await?)
}
