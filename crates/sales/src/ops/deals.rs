//! Deals: create, move through stages (every move recorded), win or lose, list, board, forecast.

use super::common::{check_version, finish, required, text};
use super::pipelines::{default_pipeline, find as find_pipeline, stage_dto, stages_of};
use crate::dto::*;
use crate::error::{Result, SalesError};
use crate::model::{deal, stage, stage_history};
use chrono::{NaiveDate, Utc};
use crm_core::audit;
use crm_core::db::begin_write;
use crm_core::list::{self, Field, Kind, ListParams, Relation, Resource, Search};
use crm_core::{Action, Ctx, Error, FieldError, Money, Page, new_id};
use crm_customers::ops as customers;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Select, Set,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::str::FromStr;
use uuid::Uuid;

const TYPE: &str = "deal";

/// Filterable and sortable fields of deals.
pub const DEAL_FIELDS: Resource = Resource {
    name: "Deal",
    custom_fields: false,
    relations: &[Relation {
        name: "company",
        column: "company_id",
        table: "companies",
        resource: &crm_customers::ops::COMPANY_FIELDS,
    }],
    // Name and close reason (migration 000007 indexes the same text).
    search: Some(Search {
        fts_table: "deals_fts",
        pg_text: "regexp_replace(name || ' ' || coalesce(close_reason, ''), '[^[:alnum:]]+', ' ', 'g')",
    }),
    default_sort: "-created_at",
    fields: &[
        Field::sort("created_at", "created_at", Kind::DateTime, false),
        Field::sort("updated_at", "updated_at", Kind::DateTime, false),
        Field::sort("name", "name", Kind::Text, false),
        Field::sort(
            "expected_close_date",
            "expected_close_date",
            Kind::Date,
            true,
        ),
        Field::filter("id", "id", Kind::Uuid),
        Field::filter("external_source", "external_source", Kind::Text),
        Field::filter("external_id", "external_id", Kind::Text),
        Field::filter("pipeline_id", "pipeline_id", Kind::Uuid),
        Field::filter("stage_id", "stage_id", Kind::Uuid),
        Field::filter("status", "status", Kind::Enum(DealStatus::NAMES)),
        Field::filter("owner_id", "owner_id", Kind::Uuid),
        Field::filter("company_id", "company_id", Kind::Uuid),
        Field::filter("currency", "currency", Kind::Text),
    ],
};

pub(crate) fn to_dto(m: deal::Model) -> Deal {
    Deal {
        id: m.id,
        name: m.name,
        amount: match (m.amount, m.currency) {
            (Some(amount), Some(currency)) => Some(Money::stored(&amount, &currency)),
            _ => None,
        },
        expected_close_date: m
            .expected_close_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        pipeline_id: m.pipeline_id,
        stage_id: m.stage_id,
        status: DealStatus::parse(&m.status).unwrap_or(DealStatus::Open),
        close_reason: m.close_reason,
        closed_at: m.closed_at,
        owner_id: m.owner_id,
        company_id: m.company_id,
        contact_ids: serde_json::from_value(m.contact_ids).unwrap_or_default(),
        lead_id: m.lead_id,
        external_source: m.external_source,
        external_id: m.external_id,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn json_of(d: &Deal) -> Value {
    serde_json::to_value(d).unwrap_or(Value::Null)
}

async fn find(db: &impl ConnectionTrait, ctx: &Ctx, id: Uuid) -> Result<deal::Model> {
    deal::Entity::find_by_id(id)
        .filter(deal::Column::OrgId.eq(ctx.org_id()))
        .filter(deal::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("Deal").into())
}

async fn check_links(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    company: Option<Uuid>,
    contacts: &[Uuid],
    owner: Option<Uuid>,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    if let Some(c) = company
        && !customers::company_is_live(db, ctx, c).await?
    {
        errors.push(FieldError::new(
            "/company_id",
            "not_found",
            "is not a company of this organization",
        ));
    }
    for (i, c) in contacts.iter().enumerate() {
        if customers::contact_ref(db, ctx, *c).await?.is_none() {
            errors.push(FieldError::new(
                format!("/contact_ids/{i}"),
                "not_found",
                "is not a contact of this organization",
            ));
        }
    }
    if let Some(o) = owner
        && !customers::active_user(db, ctx.org_id(), o).await?
    {
        errors.push(FieldError::new(
            "/owner_id",
            "not_found",
            "is not an active user of this organization",
        ));
    }
    Ok(())
}

async fn enter_stage(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    deal_id: Uuid,
    pipeline_id: Uuid,
    stage_id: Uuid,
    now: chrono::DateTime<Utc>,
) -> Result<()> {
    stage_history::Entity::update_many()
        .col_expr(stage_history::Column::LeftAt, Expr::value(now))
        .filter(stage_history::Column::DealId.eq(deal_id))
        .filter(stage_history::Column::LeftAt.is_null())
        .exec(db)
        .await?;
    stage_history::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        deal_id: Set(deal_id),
        pipeline_id: Set(pipeline_id),
        stage_id: Set(stage_id),
        entered_at: Set(now),
        left_at: Set(None),
        entered_by: Set(Some(ctx.actor.user_id)),
    }
    .insert(db)
    .await?;
    Ok(())
}

fn status_of(t: StageType) -> DealStatus {
    match t {
        StageType::Open => DealStatus::Open,
        StageType::Won => DealStatus::Won,
        StageType::Lost => DealStatus::Lost,
    }
}

/// Creates a deal (in the default pipeline's first stage unless told otherwise); the owner
/// defaults to the caller.
pub async fn create_deal(ctx: &Ctx, input: NewDeal) -> Result<Deal> {
    ctx.require(Action::Write)?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let deal = create_deal_in(&tx, ctx, input, None, None, now).await?;
    tx.commit().await?;
    Ok(deal)
}

/// [`create_deal`] inside the caller's transaction (batch writes).
pub async fn create_deal_within(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    input: NewDeal,
) -> Result<Deal> {
    ctx.require(Action::Write)?;
    create_deal_in(tx, ctx, input, None, None, Utc::now()).await
}

/// [`create_deal`] inside the caller's transaction: for a lead conversion with the lead's id,
/// for an upsert with the other system's reference.
pub(crate) async fn create_deal_in(
    tx: &impl ConnectionTrait,
    ctx: &Ctx,
    input: NewDeal,
    lead_id: Option<Uuid>,
    external: Option<(&str, &str)>,
    now: chrono::DateTime<Utc>,
) -> Result<Deal> {
    let mut errors = Vec::new();
    let name = required(input.name, "/name", 300, &mut errors);
    let amount = input
        .amount
        .and_then(|m| m.validated("/amount", &mut errors));
    let pipeline = match input.pipeline_id {
        Some(id) => find_pipeline(tx, ctx, id).await.map_err(|_| {
            Error::invalid_field(
                "/pipeline_id",
                "not_found",
                "is not a pipeline of this organization",
            )
        })?,
        None => default_pipeline(tx, ctx).await?,
    };
    let stages = stages_of(tx, ctx, pipeline.id).await?;
    let stage = match input.stage_id {
        Some(id) => stages.iter().find(|s| s.id == id).cloned(),
        None => stages.first().cloned(),
    };
    let Some(stage) = stage else {
        return Err(Error::invalid_field(
            "/stage_id",
            "not_found",
            "is not a stage of this pipeline",
        )
        .into());
    };
    let owner = Some(input.owner_id.unwrap_or(ctx.actor.user_id));
    if owner != Some(ctx.actor.user_id) {
        ctx.require(Action::Reassign)?;
    }
    let contacts = input.contact_ids.unwrap_or_default();
    check_links(tx, ctx, input.company_id, &contacts, owner, &mut errors).await?;
    let st = StageType::parse(&stage.stage_type).unwrap_or(StageType::Open);
    if let Some(at) = &input.closed_at {
        if let Some(e) = crm_core::validation::business_date(at, "/closed_at", true) {
            errors.push(e);
        } else if st == StageType::Open {
            errors.push(FieldError::new(
                "/closed_at",
                "not_allowed",
                "only a deal in a won or lost stage is closed",
            ));
        }
    }
    finish(errors)?;
    let closed_at = (st != StageType::Open).then(|| input.closed_at.unwrap_or(now));
    let row = deal::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        pipeline_id: Set(pipeline.id),
        stage_id: Set(stage.id),
        name: Set(name),
        amount: Set(amount.as_ref().map(|m| m.amount.clone())),
        currency: Set(amount.as_ref().map(|m| m.currency.clone())),
        expected_close_date: Set(input
            .expected_close_date
            .map(|d| d.format("%Y-%m-%d").to_string())),
        owner_id: Set(owner),
        company_id: Set(input.company_id),
        contact_ids: Set(json!(contacts)),
        status: Set(status_of(st).as_str().to_owned()),
        close_reason: Set(None),
        closed_at: Set(closed_at),
        lead_id: Set(lead_id),
        external_source: Set(external.map(|e| e.0.to_owned())),
        external_id: Set(external.map(|e| e.1.to_owned())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(tx)
    .await?;
    enter_stage(
        tx,
        ctx,
        row.id,
        pipeline.id,
        stage.id,
        closed_at.unwrap_or(now),
    )
    .await?;
    let d = to_dto(row);
    audit::record(tx, ctx, TYPE, d.id, "created", None, Some(&json_of(&d))).await?;
    Ok(d)
}

/// One deal.
pub async fn get_deal(ctx: &Ctx, id: Uuid) -> Result<Deal> {
    ctx.require(Action::Read)?;
    Ok(to_dto(find(&ctx.reads, ctx, id).await?))
}

/// Applies a merge patch; a stage move closes the current stage visit and opens the next.
pub async fn update_deal(
    ctx: &Ctx,
    id: Uuid,
    patch: DealPatch,
    if_version: Option<i64>,
) -> Result<Deal> {
    let tx = begin_write(&ctx.db).await?;
    let out = update_deal_in(&tx, ctx, id, patch, if_version).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`update_deal`] inside the caller's transaction (batch writes, composed operations).
pub async fn update_deal_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    id: Uuid,
    patch: DealPatch,
    if_version: Option<i64>,
) -> Result<Deal> {
    update_deal_at(tx, ctx, id, patch, if_version, None).await
}

/// [`update_deal_in`], with the time the deal was won or lost in another system (upserts):
/// a deal that ends in a won or lost stage takes `closed_at` (a year from 1900 to 2100, not in
/// the future) instead of now; for a deal that ends open, `closed_at` is a 422.
pub(crate) async fn update_deal_at(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    id: Uuid,
    patch: DealPatch,
    if_version: Option<i64>,
    closed_at: Option<chrono::DateTime<Utc>>,
) -> Result<Deal> {
    ctx.require(Action::Write)?;
    let now = Utc::now();
    crm_core::db::lock_row(tx, "deals", id).await?;
    let current = find(tx, ctx, id).await?;
    check_version(if_version, current.version)?;
    let before = to_dto(current.clone());
    let mut errors = Vec::new();
    let mut row = current.clone().into_active_model();
    if let crm_core::Patch::Set(n) = patch.name.clone() {
        row.name = Set(required(n, "/name", 300, &mut errors));
    } else if patch.name == crm_core::Patch::Null {
        errors.push(FieldError::new("/name", "required", "cannot be cleared"));
    }
    if patch.amount.is_present() {
        let m = patch
            .amount
            .apply(None)
            .and_then(|m| m.validated("/amount", &mut errors));
        row.amount = Set(m.as_ref().map(|m| m.amount.clone()));
        row.currency = Set(m.map(|m| m.currency));
    }
    if patch.expected_close_date.is_present() {
        row.expected_close_date = Set(patch
            .expected_close_date
            .apply(None)
            .map(|d| d.format("%Y-%m-%d").to_string()));
    }
    let contacts: Vec<Uuid> = patch.contact_ids.clone().apply(None).unwrap_or_default();
    let company = patch.company_id.clone().apply(current.company_id);
    let owner = patch.owner_id.clone().apply(current.owner_id);
    if owner != current.owner_id {
        ctx.require(Action::Reassign)?;
    }
    check_links(
        tx,
        ctx,
        if patch.company_id.is_present() {
            company
        } else {
            None
        },
        &contacts,
        if owner != current.owner_id {
            owner
        } else {
            None
        },
        &mut errors,
    )
    .await?;
    row.company_id = Set(company);
    row.owner_id = Set(owner);
    if patch.contact_ids.is_present() {
        row.contact_ids = Set(json!(contacts));
    }
    row.close_reason = Set(text(
        patch
            .close_reason
            .clone()
            .apply(current.close_reason.clone()),
        "/close_reason",
        300,
        &mut errors,
    ));
    let mut moved_to = None;
    if let crm_core::Patch::Set(stage_id) = patch.stage_id {
        if stage_id != current.stage_id {
            let target = stage::Entity::find_by_id(stage_id)
                .filter(stage::Column::OrgId.eq(ctx.org_id()))
                .filter(stage::Column::PipelineId.eq(current.pipeline_id))
                .one(tx)
                .await?;
            match target {
                Some(s) => {
                    let st = StageType::parse(&s.stage_type).unwrap_or(StageType::Open);
                    row.stage_id = Set(s.id);
                    row.status = Set(status_of(st).as_str().to_owned());
                    row.closed_at = Set((st != StageType::Open).then(|| closed_at.unwrap_or(now)));
                    if st == StageType::Open {
                        row.close_reason = Set(None);
                    }
                    moved_to = Some(s.id);
                }
                None => errors.push(FieldError::new(
                    "/stage_id",
                    "not_found",
                    "is not a stage of the deal's pipeline",
                )),
            }
        }
    } else if patch.stage_id == crm_core::Patch::Null {
        errors.push(FieldError::new(
            "/stage_id",
            "required",
            "cannot be cleared",
        ));
    }
    if let Some(at) = &closed_at {
        let ends_open = match &row.status {
            sea_orm::ActiveValue::Set(s) | sea_orm::ActiveValue::Unchanged(s) => {
                s == DealStatus::Open.as_str()
            }
            sea_orm::ActiveValue::NotSet => true,
        };
        if let Some(e) = crm_core::validation::business_date(at, "/closed_at", true) {
            errors.push(e);
        } else if ends_open {
            errors.push(FieldError::new(
                "/closed_at",
                "not_allowed",
                "only a deal in a won or lost stage is closed",
            ));
        } else {
            row.closed_at = Set(Some(*at));
        }
    }
    finish(errors)?;
    row.version = Set(current.version + 1);
    row.updated_at = Set(now);
    let result = deal::Entity::update_many()
        .set(row)
        .filter(deal::Column::Id.eq(id))
        .filter(deal::Column::Version.eq(current.version))
        .exec(tx)
        .await?;
    if result.rows_affected != 1 {
        return Err(SalesError::VersionMismatch {
            expected: current.version,
            current: current.version + 1,
        });
    }
    if let Some(stage_id) = moved_to {
        // The visit starts when the move is recorded, even with another system's `closed_at`:
        // an earlier time would end the previous visit before it began.
        enter_stage(tx, ctx, id, current.pipeline_id, stage_id, now).await?;
    }
    let saved = to_dto(find(tx, ctx, id).await?);
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

/// Soft-deletes a deal (managers and admins); with `if_version`, a deal at another version is
/// a 412 and stays.
pub async fn delete_deal(ctx: &Ctx, id: Uuid, if_version: Option<i64>) -> Result<()> {
    ctx.require(Action::Delete)?;
    let tx = begin_write(&ctx.db).await?;
    let current = find(&tx, ctx, id).await?;
    let version = current.version;
    super::common::check_version(if_version, version)?;
    let mut row = current.into_active_model();
    row.deleted_at = Set(Some(Utc::now()));
    row.version = Set(version + 1);
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

/// The stages a deal went through, oldest first.
pub async fn deal_stage_history(ctx: &Ctx, id: Uuid) -> Result<Vec<StageVisit>> {
    ctx.require(Action::Read)?;
    find(&ctx.db, ctx, id).await?;
    let rows = stage_history::Entity::find()
        .filter(stage_history::Column::OrgId.eq(ctx.org_id()))
        .filter(stage_history::Column::DealId.eq(id))
        .order_by_asc(stage_history::Column::EnteredAt)
        .order_by_asc(stage_history::Column::Id)
        .all(&ctx.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| StageVisit {
            stage_id: r.stage_id,
            entered_at: r.entered_at,
            left_at: r.left_at,
            entered_by: r.entered_by,
        })
        .collect())
}

/// The plan of a deal list and the organization's live deals it runs on.
fn list_plan(ctx: &Ctx, params: &ListParams) -> Result<(list::Plan, Select<deal::Entity>)> {
    let plan = list::plan(
        ctx.db.get_database_backend(),
        &DEAL_FIELDS,
        &[],
        params,
        ctx.org_id(),
    )?;
    let query = deal::Entity::find()
        .filter(deal::Column::OrgId.eq(ctx.org_id()))
        .filter(deal::Column::DeletedAt.is_null());
    Ok((plan, query))
}

/// Lists live deals with filters, sorts and keyset pages.
pub async fn list_deals(ctx: &Ctx, params: &ListParams) -> Result<Page<Deal>> {
    ctx.require(Action::Read)?;
    let (plan, query) = list_plan(ctx, params)?;
    let rows = plan.fetch(&ctx.reads, query).await?;
    let items: Vec<Deal> = rows.into_iter().map(to_dto).collect();
    Ok(Page::from_overfetch_for(
        &params.page,
        items,
        plan.limit,
        |d| plan.cursor_after(d, d.id),
    ))
}

/// Every live deal `params` selects, in batches into `out`, from one streamed statement
/// ([`list::Plan::export`]). Stops when `out` closes.
pub async fn export_deals(
    ctx: &Ctx,
    params: &ListParams,
    out: &crm_core::kit::ExportSender<Deal>,
) -> Result<()> {
    ctx.require(Action::Read)?;
    let (plan, query) = list_plan(ctx, params)?;
    plan.export_each(&ctx.db, query, out, to_dto).await?;
    Ok(())
}

fn add(totals: &mut BTreeMap<String, Decimal>, d: &deal::Model, factor: Decimal) {
    if let (Some(a), Some(c)) = (&d.amount, &d.currency)
        && let Ok(a) = Decimal::from_str(a)
    {
        *totals.entry(c.clone()).or_default() += a * factor;
    }
}

/// A pipeline as a board: per stage, the count, the sums per currency, and the newest deals.
pub async fn board(ctx: &Ctx, pipeline_id: Uuid, per_stage: u64) -> Result<Vec<BoardColumn>> {
    ctx.require(Action::Read)?;
    find_pipeline(&ctx.db, ctx, pipeline_id).await?;
    let stages = stages_of(&ctx.db, ctx, pipeline_id).await?;
    let deals = deal::Entity::find()
        .filter(deal::Column::OrgId.eq(ctx.org_id()))
        .filter(deal::Column::PipelineId.eq(pipeline_id))
        .filter(deal::Column::DeletedAt.is_null())
        .order_by_desc(deal::Column::CreatedAt)
        .order_by_desc(deal::Column::Id)
        .all(&ctx.db)
        .await?;
    let mut out = Vec::new();
    for s in stages {
        let mut totals = BTreeMap::new();
        let mut list = Vec::new();
        let mut count = 0;
        for d in deals.iter().filter(|d| d.stage_id == s.id) {
            count += 1;
            add(&mut totals, d, Decimal::ONE);
            if (list.len() as u64) < per_stage {
                list.push(to_dto(d.clone()));
            }
        }
        out.push(BoardColumn {
            stage: stage_dto(s),
            count,
            totals: totals
                .into_iter()
                .map(|(currency, a)| Money::of(a, &currency))
                .collect(),
            deals: list,
        });
    }
    Ok(out)
}

/// The weighted pipeline: open deals by expected close month, owner and currency, each amount
/// weighted by its stage's probability.
pub async fn forecast(ctx: &Ctx) -> Result<Vec<ForecastRow>> {
    ctx.require(Action::Read)?;
    let stages: BTreeMap<Uuid, i32> = stage::Entity::find()
        .filter(stage::Column::OrgId.eq(ctx.org_id()))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.probability))
        .collect();
    let deals = deal::Entity::find()
        .filter(deal::Column::OrgId.eq(ctx.org_id()))
        .filter(deal::Column::DeletedAt.is_null())
        .filter(deal::Column::Status.eq(DealStatus::Open.as_str()))
        .filter(deal::Column::Amount.is_not_null())
        .all(&ctx.db)
        .await?;
    type Key = (Option<String>, Option<Uuid>, String);
    let mut rows: BTreeMap<Key, (i64, Decimal, Decimal)> = BTreeMap::new();
    for d in deals {
        let (Some(a), Some(c)) = (
            d.amount.as_deref().and_then(|a| Decimal::from_str(a).ok()),
            d.currency.clone(),
        ) else {
            continue;
        };
        let p = Decimal::from(stages.get(&d.stage_id).copied().unwrap_or(0)) / Decimal::ONE_HUNDRED;
        let month = d
            .expected_close_date
            .as_deref()
            .map(|s| s.chars().take(7).collect());
        let e = rows.entry((month, d.owner_id, c)).or_default();
        e.0 += 1;
        e.1 += a;
        e.2 += a * p;
    }
    Ok(rows
        .into_iter()
        .map(|((month, owner_id, currency), (deals, amount, weighted))| {
            let scale = crate::totals::scale_of(&currency);
            ForecastRow {
                month,
                owner_id,
                deals,
                amount: Money::of(amount, &currency),
                weighted_amount: Money::of(crate::totals::round(weighted, scale), &currency),
                currency,
            }
        })
        .collect())
}

/// Restores a deleted deal (managers and admins).
pub async fn restore_deal(ctx: &Ctx, id: Uuid) -> Result<Deal> {
    ctx.require(Action::Delete)?;
    let tx = begin_write(&ctx.db).await?;
    let row = deal::Entity::find_by_id(id)
        .filter(deal::Column::OrgId.eq(ctx.org_id()))
        .one(&tx)
        .await?
        .ok_or_else(|| Error::not_found("Deal"))?;
    let version = row.version;
    let mut a = row.into_active_model();
    a.deleted_at = Set(None);
    a.version = Set(version + 1);
    a.updated_at = Set(Utc::now());
    let d = to_dto(a.update(&tx).await?);
    audit::record(&tx, ctx, TYPE, id, "restored", None, Some(&json_of(&d))).await?;
    tx.commit().await?;
    Ok(d)
}

/// The history of a deal, newest first.
pub async fn deal_history(
    ctx: &Ctx,
    id: Uuid,
    page: &crm_core::PageRequest,
) -> Result<Page<crm_core::audit::HistoryEntry>> {
    ctx.require(Action::Read)?;
    find(&ctx.db, ctx, id).await?;
    Ok(audit::history(&ctx.db, ctx, TYPE, id, page).await?)
}
