//! Companies: create, read, update, soft delete, restore, list, history.

use super::common::{
    self, COMPANY_FIELDS, OwnerBefore, check_unique, check_version, defs, list_defs, list_fields,
    owner,
};
use crate::dto::{Address, Company, CompanyPatch, NewCompany, RecordType};
use crate::error::{CustomersError, Result};
use crate::model::{company, contact};
use crate::validate::{self, Errors};
use chrono::Utc;
use crm_core::audit::{self, HistoryEntry};
use crm_core::db::begin_write;
use crm_core::list::{self, ListParams};
use crm_core::row::Pos;
use crm_core::{
    Action, Ctx, Error, LifecycleStage, Money, Page, PageRequest, SizeBand, cursor, new_id,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) const TYPE: &str = "company";

/// The read model of a row.
pub(crate) fn to_dto(m: company::Model) -> Company {
    Company {
        id: m.id,
        name: m.name,
        legal_name: m.legal_name,
        domain: m.domain,
        industry: m.industry,
        size_band: m.size_band.as_deref().and_then(SizeBand::parse),
        annual_revenue: match (m.annual_revenue_amount, m.annual_revenue_currency) {
            (Some(amount), Some(currency)) => Some(Money::stored(&amount, &currency)),
            _ => None,
        },
        address: Address {
            street: m.street,
            city: m.city,
            region: m.region,
            postal_code: m.postal_code,
            country: m.country,
        },
        owner_id: m.owner_id,
        lifecycle_stage: m.lifecycle_stage.as_deref().and_then(LifecycleStage::parse),
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

pub(crate) fn json_of(c: &Company) -> Value {
    serde_json::to_value(c).unwrap_or(Value::Null)
}

fn search_text(c: &Company) -> String {
    list::search_text(
        [
            Some(c.name.as_str()),
            c.legal_name.as_deref(),
            c.domain.as_deref(),
            c.address.city.as_deref(),
        ]
        .into_iter()
        .flatten(),
    )
}

/// A company row of the caller's organization, deleted or not.
pub(crate) async fn find_any(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: Uuid,
) -> Result<company::Model> {
    company::Entity::find_by_id(id)
        .filter(company::Column::OrgId.eq(ctx.org_id()))
        .into_model::<Pos<company::Model>>()
        .one(db)
        .await?
        .map(|p| p.0)
        .ok_or_else(|| Error::not_found("Company").into())
}

/// A live company row: merged ones answer 404 with `merged_into`, deleted ones 404.
pub(crate) async fn find_live(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: Uuid,
) -> Result<company::Model> {
    let row = find_any(db, ctx, id).await?;
    if let Some(target) = row.merged_into {
        return Err(CustomersError::Merged(target));
    }
    if row.deleted_at.is_some() {
        return Err(Error::not_found("Company").into());
    }
    Ok(row)
}

/// Validates a whole company and returns it normalised.
fn validated(
    mut c: Company,
    custom_defs: &[(validate::Def, bool)],
    custom_patch: Option<Value>,
    creating: bool,
    errors: &mut Errors,
) -> Company {
    match validate::text(Some(c.name.clone()), "/name", 300, errors) {
        Some(name) => c.name = name,
        None => errors.push("/name", "required", "is required"),
    }
    c.legal_name = validate::text(c.legal_name, "/legal_name", 300, errors);
    c.domain = validate::domain(c.domain, "/domain", errors);
    c.industry = validate::text(c.industry, "/industry", 100, errors);
    c.annual_revenue = c.annual_revenue.and_then(|m| {
        let mut fe = Vec::new();
        let out = m.validated("/annual_revenue", &mut fe);
        errors.0.extend(fe);
        out
    });
    c.address = validate::address(Some(c.address), "/address", errors);
    c.tags = validate::tags(c.tags, errors);
    let defs: Vec<_> = custom_defs.iter().map(|(d, _)| d.clone()).collect();
    c.custom = validate::custom(&defs, &c.custom, custom_patch, creating, errors);
    c
}

fn write_row(row: &mut company::ActiveModel, c: &Company) {
    row.name = Set(c.name.clone());
    row.legal_name = Set(c.legal_name.clone());
    row.domain = Set(c.domain.clone());
    row.industry = Set(c.industry.clone());
    row.size_band = Set(c.size_band.map(|s| s.as_str().to_owned()));
    row.annual_revenue_amount = Set(c.annual_revenue.as_ref().map(|m| m.amount.clone()));
    row.annual_revenue_currency = Set(c.annual_revenue.as_ref().map(|m| m.currency.clone()));
    row.street = Set(c.address.street.clone());
    row.city = Set(c.address.city.clone());
    row.region = Set(c.address.region.clone());
    row.postal_code = Set(c.address.postal_code.clone());
    row.country = Set(c.address.country.clone());
    row.owner_id = Set(c.owner_id);
    row.lifecycle_stage = Set(c.lifecycle_stage.map(|s| s.as_str().to_owned()));
    row.tags = Set(json!(c.tags));
    row.custom = Set(c.custom.clone());
    row.search_text = Set(search_text(c));
}

/// Creates a company; the owner defaults to the caller.
pub async fn create_company(ctx: &Ctx, input: NewCompany) -> Result<Company> {
    let tx = begin_write(&ctx.db).await?;
    let saved = create_company_in(&tx, ctx, input).await?;
    tx.commit().await?;
    Ok(saved)
}

/// [`create_company`] inside the caller's transaction (lead conversion).
pub async fn create_company_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    input: NewCompany,
) -> Result<Company> {
    create_company_known_as(tx, ctx, input, None).await
}

/// [`create_company_in`] with the company's id in a source system (`(source, external_id)`),
/// stored with the row, so its history and event carry it too.
async fn create_company_known_as(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    input: NewCompany,
    external: Option<(&str, &str)>,
) -> Result<Company> {
    ctx.require(Action::Write)?;
    let now = Utc::now();
    let custom_defs = defs(tx, ctx.org_id(), RecordType::Company).await?;
    let mut errors = Errors::default();
    let owner_id = owner(
        tx,
        ctx,
        Some(input.owner_id.unwrap_or(ctx.actor.user_id)),
        OwnerBefore::New,
        &mut errors,
    )
    .await?;
    let draft = Company {
        id: new_id(),
        name: input.name,
        legal_name: input.legal_name,
        domain: input.domain,
        industry: input.industry,
        size_band: input.size_band,
        annual_revenue: input.annual_revenue,
        address: input.address.unwrap_or_default(),
        owner_id,
        lifecycle_stage: input.lifecycle_stage,
        tags: input.tags.unwrap_or_default(),
        custom: Value::Object(Default::default()),
        version: 1,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        external_source: external.map(|(source, _)| source.to_owned()),
        external_id: external.map(|(_, id)| id.to_owned()),
        analytics: Default::default(),
    };
    let c = validated(draft, &custom_defs, input.custom, true, &mut errors);
    errors.finish()?;
    check_unique(tx, "companies", ctx.org_id(), c.id, &custom_defs, &c.custom).await?;
    let mut row = company::ActiveModel {
        id: Set(c.id),
        org_id: Set(ctx.org_id()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        merged_into: Set(None),
        external_source: Set(c.external_source.clone()),
        external_id: Set(c.external_id.clone()),
        ..Default::default()
    };
    write_row(&mut row, &c);
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

/// One live company.
pub async fn get_company(ctx: &Ctx, id: Uuid) -> Result<Company> {
    ctx.require(Action::Read)?;
    Ok(to_dto(find_live(&ctx.reads, ctx, id).await?))
}

/// Applies a merge patch; with `if_version`, fails with 412 unless it is the current version.
pub async fn update_company(
    ctx: &Ctx,
    id: Uuid,
    patch: CompanyPatch,
    if_version: Option<i64>,
) -> Result<Company> {
    let tx = begin_write(&ctx.db).await?;
    let out = update_company_in(&tx, ctx, id, patch, if_version).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`update_company`] inside the caller's transaction (batch writes, composed operations).
pub async fn update_company_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    id: Uuid,
    patch: CompanyPatch,
    if_version: Option<i64>,
) -> Result<Company> {
    ctx.require(Action::Write)?;
    let now = Utc::now();
    crm_core::db::lock_row(tx, "companies", id).await?;
    let current = find_live(tx, ctx, id).await?;
    check_version(if_version, current.version)?;
    let before = to_dto(current.clone());
    let custom_defs = defs(tx, ctx.org_id(), RecordType::Company).await?;
    let mut errors = Errors::default();
    let mut draft = before.clone();
    if let crm_core::Patch::Set(name) = patch.name {
        draft.name = name;
    } else if patch.name == crm_core::Patch::Null {
        errors.push("/name", "required", "cannot be cleared");
    }
    draft.legal_name = patch.legal_name.apply(draft.legal_name);
    draft.domain = patch.domain.apply(draft.domain);
    draft.industry = patch.industry.apply(draft.industry);
    draft.size_band = patch.size_band.apply(draft.size_band);
    draft.annual_revenue = patch.annual_revenue.apply(draft.annual_revenue);
    draft.address = patch.address.apply(Some(draft.address)).unwrap_or_default();
    draft.lifecycle_stage = patch.lifecycle_stage.apply(draft.lifecycle_stage);
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
    let custom_patch = match patch.custom {
        crm_core::Patch::Set(v) => Some(v),
        crm_core::Patch::Null => Some(Value::Object(
            before
                .custom
                .as_object()
                .map(|m| m.keys().map(|k| (k.clone(), Value::Null)).collect())
                .unwrap_or_default(),
        )),
        crm_core::Patch::Absent => None,
    };
    let mut c = validated(draft, &custom_defs, custom_patch, false, &mut errors);
    errors.finish()?;
    check_unique(tx, "companies", ctx.org_id(), id, &custom_defs, &c.custom).await?;
    c.version = current.version + 1;
    c.updated_at = now;
    let mut row = current.clone().into_active_model();
    write_row(&mut row, &c);
    row.version = Set(c.version);
    row.updated_at = Set(now);
    // Conditional on the version read: of two concurrent writers, one wins, the other gets 412.
    let result = company::Entity::update_many()
        .set(row)
        .filter(company::Column::Id.eq(id))
        .filter(company::Column::OrgId.eq(ctx.org_id()))
        .filter(company::Column::Version.eq(current.version))
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
    if before.name != saved.name {
        refresh_contact_search(tx, ctx, id).await?;
    }
    Ok(saved)
}

/// Rebuilds the search text of a company's contacts (they are found by its name).
pub(crate) async fn refresh_contact_search(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    company_id: Uuid,
) -> Result<()> {
    let contacts = contact::Entity::find()
        .filter(contact::Column::OrgId.eq(ctx.org_id()))
        .filter(contact::Column::CompanyId.eq(company_id))
        .all(db)
        .await?;
    for c in contacts {
        let text = super::contacts::search_text_of(db, &c).await?;
        contact::Entity::update_many()
            .col_expr(contact::Column::SearchText, Expr::value(text))
            .filter(contact::Column::Id.eq(c.id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Soft-deletes a company (managers and admins); it can be restored.
pub async fn delete_company(ctx: &Ctx, id: Uuid, if_version: Option<i64>) -> Result<()> {
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

/// Restores a soft-deleted company (managers and admins).
pub async fn restore_company(ctx: &Ctx, id: Uuid) -> Result<Company> {
    let tx = begin_write(&ctx.db).await?;
    let out = restore_company_in(&tx, ctx, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`restore_company`] inside the caller's transaction (batch writes, composed operations).
pub async fn restore_company_in(tx: &DatabaseTransaction, ctx: &Ctx, id: Uuid) -> Result<Company> {
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

/// The organization's live companies, the select a company list plans on.
fn live(ctx: &Ctx) -> sea_orm::Select<company::Entity> {
    company::Entity::find()
        .filter(company::Column::OrgId.eq(ctx.org_id()))
        .filter(company::Column::DeletedAt.is_null())
}

/// The plan of a company list (the custom field definitions read only when it names one):
/// its page and its export run it.
async fn list_plan(ctx: &Ctx, params: &ListParams) -> Result<list::Plan> {
    let custom_defs = list_defs(&ctx.db, ctx.org_id(), RecordType::Company, params).await?;
    Ok(list::plan(
        ctx.db.get_database_backend(),
        &COMPANY_FIELDS,
        &list_fields(&custom_defs),
        params,
        ctx.org_id(),
    )?)
}

/// Lists live companies: filters, sort, search, keyset pages.
pub async fn list_companies(ctx: &Ctx, params: &ListParams) -> Result<Page<Company>> {
    ctx.require(Action::Read)?;
    let plan = list_plan(ctx, params).await?;
    let rows = plan.fetch(&ctx.reads, live(ctx)).await?;
    let items: Vec<Company> = rows.into_iter().map(to_dto).collect();
    Ok(Page::from_overfetch_for(
        &params.page,
        items,
        plan.limit,
        |c| plan.cursor_after(c, c.id),
    ))
}

/// Every live company `params` selects, in batches into `out`, from one streamed statement
/// ([`list::Plan::export`]). Stops when `out` closes.
pub async fn export_companies(
    ctx: &Ctx,
    params: &ListParams,
    out: &crm_core::kit::ExportSender<Company>,
) -> Result<()> {
    ctx.require(Action::Read)?;
    let plan = list_plan(ctx, params).await?;
    plan.export_each(&ctx.db, live(ctx), out, to_dto).await?;
    Ok(())
}

/// Lists deleted companies, most recently deleted first (managers and admins).
pub async fn list_deleted_companies(ctx: &Ctx, page: &PageRequest) -> Result<Page<Company>> {
    ctx.require(Action::Delete)?;
    let limit = page.limit()?;
    let mut query = company::Entity::find()
        .filter(company::Column::OrgId.eq(ctx.org_id()))
        .filter(company::Column::DeletedAt.is_not_null())
        .filter(company::Column::MergedInto.is_null())
        .order_by_desc(company::Column::Id)
        .limit(limit + 1);
    if let Some(c) = &page.cursor {
        let before: Uuid = cursor::decode(c)?;
        query = query.filter(company::Column::Id.lt(before));
    }
    let rows = query.all(&ctx.db).await?;
    Ok(Page::from_overfetch(
        rows.into_iter().map(to_dto).collect(),
        limit,
        |c: &Company| cursor::encode(&c.id),
    ))
}

/// The history of a company, newest first (also after it was deleted).
pub async fn company_history(
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

/// Creates or replaces the company an ERP knows as `source`/`external_id`; returns it and
/// whether it was created. Pushing the same company twice leaves one company.
pub async fn upsert_company(
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewCompany,
) -> Result<(Company, bool)> {
    let tx = begin_write(&ctx.db).await?;
    let out = upsert_company_in(&tx, ctx, source, external_id, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`upsert_company`] inside the caller's transaction (batch writes).
pub async fn upsert_company_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewCompany,
) -> Result<(Company, bool)> {
    ctx.require(Action::Write)?;
    crm_core::batch::check_external(source, external_id)?;
    // Concurrent pushes of one company take turns (PostgreSQL; SQLite writes one at a time):
    // the later one finds the company the earlier one created, instead of failing on the
    // unique index.
    crm_core::db::lock_key(
        tx,
        &format!("upsert:{}:company:{source}:{external_id}", ctx.org_id()),
    )
    .await?;
    let existing = company::Entity::find()
        .filter(company::Column::OrgId.eq(ctx.org_id()))
        .filter(company::Column::ExternalSource.eq(source))
        .filter(company::Column::ExternalId.eq(external_id))
        .one(tx)
        .await?;
    // A company merged into another keeps its external id: the push goes to the survivor.
    let existing =
        common::merge_survivor(existing, |c| c.merged_into, |id| find_any(tx, ctx, id)).await?;
    if let Some(existing) = existing {
        let patch = CompanyPatch {
            name: crm_core::Patch::Set(input.name),
            legal_name: input
                .legal_name
                .map_or(crm_core::Patch::Null, crm_core::Patch::Set),
            domain: input
                .domain
                .map_or(crm_core::Patch::Null, crm_core::Patch::Set),
            industry: input
                .industry
                .map_or(crm_core::Patch::Null, crm_core::Patch::Set),
            size_band: input
                .size_band
                .map_or(crm_core::Patch::Null, crm_core::Patch::Set),
            annual_revenue: input
                .annual_revenue
                .map_or(crm_core::Patch::Null, crm_core::Patch::Set),
            address: input
                .address
                .map_or(crm_core::Patch::Null, crm_core::Patch::Set),
            owner_id: input
                .owner_id
                .map_or(crm_core::Patch::Absent, crm_core::Patch::Set),
            lifecycle_stage: input
                .lifecycle_stage
                .map_or(crm_core::Patch::Null, crm_core::Patch::Set),
            tags: input
                .tags
                .map_or(crm_core::Patch::Absent, crm_core::Patch::Set),
            custom: input
                .custom
                .map_or(crm_core::Patch::Absent, crm_core::Patch::Set),
        };
        if existing.deleted_at.is_some() {
            restore_company_in(tx, ctx, existing.id).await?;
        }
        return Ok((
            update_company_in(tx, ctx, existing.id, patch, None).await?,
            false,
        ));
    }
    let created = create_company_known_as(tx, ctx, input, Some((source, external_id))).await?;
    Ok((created, true))
}
