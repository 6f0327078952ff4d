//! Orders and invoices: lines priced and totalled by the server, status workflows, invoice
//! numbers per organization with no gaps, payments, and upserts by an ERP's external id.

use super::common::{currency, finish};
use super::document_lines::{
    PricedLine, overflow, price_lines, reprice, set_totals, to_dto, with_lines, write_lines,
};
use super::external::{check_external, lock_external};
pub use super::fields::DOCUMENT_FIELDS;
use super::products::find_price_list;
use crate::dto::*;
use crate::error::Result;
use crate::model::{document, line};
use crate::totals;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use crm_core::audit;
use crm_core::db::begin_write;
use crm_core::list::{self, ListParams};
use crm_core::{Action, Code, Ctx, Error, FieldError, Page, new_id};
use crm_customers::ops as customers;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Select, Set,
};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// The kind of a sales document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocType {
    /// An order.
    Order,
    /// An invoice.
    Invoice,
    /// A quote.
    Quote,
}

impl DocType {
    fn name(self) -> &'static str {
        match self {
            DocType::Order => "order",
            DocType::Invoice => "invoice",
            DocType::Quote => "quote",
        }
    }
}

/// An amount as stored: a decimal string with exactly the currency's minor units.
pub(super) fn money(d: Decimal, scale: u32) -> String {
    format!("{:.*}", scale as usize, totals::round(d, scale))
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    t: DocType,
    id: Uuid,
) -> Result<document::Model> {
    document::Entity::find_by_id(id)
        .filter(document::Column::OrgId.eq(ctx.org_id()))
        .filter(document::Column::DocType.eq(t.name()))
        .filter(document::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::not_found(match t {
                DocType::Order => "Order",
                DocType::Invoice => "Invoice",
                DocType::Quote => "Quote",
            })
            .into()
        })
}

async fn check_customer(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    company: Option<Uuid>,
    contact: Option<Uuid>,
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
    if let Some(c) = contact
        && customers::contact_ref(db, ctx, c).await?.is_none()
    {
        errors.push(FieldError::new(
            "/contact_id",
            "not_found",
            "is not a contact of this organization",
        ));
    }
    Ok(())
}

/// A document's header and priced lines, checked and ready to insert.
pub(super) struct PreparedOrder {
    /// ISO currency.
    pub(super) currency: String,
    /// Its minor-unit scale.
    pub(super) scale: u32,
    /// The order status it starts in.
    pub(super) status: OrderStatus,
    /// The customer company.
    pub(super) company_id: Option<Uuid>,
    /// The customer contact.
    pub(super) contact_id: Option<Uuid>,
    /// The lines, priced.
    pub(super) lines: Vec<PricedLine>,
    /// Orders: when placed, if the caller said.
    pub(super) ordered_at: Option<DateTime<Utc>>,
}

pub(super) async fn prepare_order(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    input: NewOrder,
) -> Result<PreparedOrder> {
    let mut errors = Vec::new();
    let list = find_price_list(db, ctx, input.price_list_id).await?;
    if input.price_list_id.is_some() && list.is_none() {
        errors.push(FieldError::new(
            "/price_list_id",
            "not_found",
            "is not a price list of this organization",
        ));
    }
    let cur = match (input.currency.as_deref(), &list) {
        (Some(c), _) => currency(c, "/currency", &mut errors),
        (None, Some(l)) => l.currency.clone(),
        (None, None) => {
            errors.push(FieldError::new(
                "/currency",
                "required",
                "is required without a default price list",
            ));
            String::new()
        }
    };
    if let (Some(l), false) = (&list, cur.is_empty())
        && l.currency != cur
        && input.price_list_id.is_some()
    {
        errors.push(FieldError::new(
            "/currency",
            "mismatch",
            "differs from the price list's currency",
        ));
    }
    let list = list.filter(|l| l.currency == cur);
    let scale = totals::scale_of(&cur);
    let status = input.status.unwrap_or(OrderStatus::Draft);
    if !matches!(status, OrderStatus::Draft | OrderStatus::Confirmed) {
        errors.push(FieldError::new(
            "/status",
            "invalid_value",
            "a new order is draft or confirmed",
        ));
    }
    check_customer(db, ctx, input.company_id, input.contact_id, &mut errors).await?;
    if let Some(at) = &input.ordered_at
        && let Some(e) = crm_core::validation::business_date(at, "/ordered_at", true)
    {
        errors.push(e);
    }
    let lines = price_lines(db, ctx, input.lines, list.as_ref(), scale, &mut errors).await?;
    finish(errors)?;
    Ok(PreparedOrder {
        currency: cur,
        scale,
        status,
        company_id: input.company_id,
        contact_id: input.contact_id,
        lines,
        ordered_at: input.ordered_at,
    })
}

pub(super) async fn insert_document(
    tx: &impl ConnectionTrait,
    ctx: &Ctx,
    t: DocType,
    o: &PreparedOrder,
    status: &str,
    external: Option<(&str, &str)>,
) -> Result<document::Model> {
    let now = Utc::now();
    let mut row = document::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        doc_type: Set(t.name().to_owned()),
        number: Set(None),
        status: Set(status.to_owned()),
        company_id: Set(o.company_id),
        contact_id: Set(o.contact_id),
        deal_id: Set(None),
        source_id: Set(None),
        currency: Set(o.currency.clone()),
        amount_paid: Set(money(Decimal::ZERO, o.scale)),
        issued_at: Set(None),
        ordered_at: Set((t == DocType::Order).then(|| o.ordered_at.unwrap_or(now))),
        valid_until: Set(None),
        due_date: Set(None),
        notes: Set(None),
        external_source: Set(external.map(|e| e.0.to_owned())),
        external_id: Set(external.map(|e| e.1.to_owned())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    set_totals(&mut row, &o.lines, o.scale)?;
    let saved = row.insert(tx).await?;
    write_lines(tx, ctx, saved.id, &o.lines, o.scale).await?;
    Ok(saved)
}

/// Creates an order; every amount is computed from the lines.
pub async fn create_order(ctx: &Ctx, input: NewOrder) -> Result<SalesDocument> {
    let tx = begin_write(&ctx.db).await?;
    let out = create_order_in(&tx, ctx, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`create_order`] inside the caller's transaction (batch writes, composed operations).
pub async fn create_order_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    input: NewOrder,
) -> Result<SalesDocument> {
    ctx.require(Action::Write)?;
    let o = prepare_order(tx, ctx, input).await?;
    let saved = insert_document(tx, ctx, DocType::Order, &o, o.status.as_str(), None).await?;
    let out = to_dto(tx, saved).await?;
    audit::record(tx, ctx, "order", out.id, "created", None, Some(&json!(out))).await?;
    Ok(out)
}

/// Creates or replaces the order an ERP knows as `source`/`external_id`; returns it and
/// whether it was created. Pushing the same order twice leaves one order.
pub async fn upsert_order(
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewOrder,
) -> Result<(SalesDocument, bool)> {
    let tx = begin_write(&ctx.db).await?;
    let out = upsert_order_in(&tx, ctx, source, external_id, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`upsert_order`] inside the caller's transaction (batch writes, composed operations).
pub async fn upsert_order_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewOrder,
) -> Result<(SalesDocument, bool)> {
    ctx.require(Action::Write)?;
    check_external(source, external_id)?;
    lock_external(tx, ctx, "order", source, external_id).await?;
    let existing = document::Entity::find()
        .filter(document::Column::OrgId.eq(ctx.org_id()))
        .filter(document::Column::DocType.eq("order"))
        .filter(document::Column::ExternalSource.eq(source))
        .filter(document::Column::ExternalId.eq(external_id))
        .one(tx)
        .await?;
    let o = prepare_order(tx, ctx, input).await?;
    let (saved, created) = match existing {
        None => (
            insert_document(
                tx,
                ctx,
                DocType::Order,
                &o,
                o.status.as_str(),
                Some((source, external_id)),
            )
            .await?,
            true,
        ),
        Some(row) => {
            if matches!(row.status.as_str(), "fulfilled" | "cancelled") {
                return Err(Error::conflict(format!(
                    "The order is {} and cannot change",
                    row.status
                ))
                .into());
            }
            let version = row.version;
            let mut a = row.into_active_model();
            a.currency = Set(o.currency.clone());
            a.status = Set(o.status.as_str().to_owned());
            a.company_id = Set(o.company_id);
            a.contact_id = Set(o.contact_id);
            if let Some(at) = o.ordered_at {
                a.ordered_at = Set(Some(at));
            }
            a.deleted_at = Set(None);
            set_totals(&mut a, &o.lines, o.scale)?;
            a.version = Set(version + 1);
            a.updated_at = Set(Utc::now());
            let saved = a.update(tx).await?;
            write_lines(tx, ctx, saved.id, &o.lines, o.scale).await?;
            (saved, false)
        }
    };
    let out = to_dto(tx, saved).await?;
    audit::record(
        tx,
        ctx,
        "order",
        out.id,
        if created { "created" } else { "updated" },
        None,
        Some(&json!(out)),
    )
    .await?;
    Ok((out, created))
}

/// One order or invoice.
pub async fn get_document(ctx: &Ctx, t: DocType, id: Uuid) -> Result<SalesDocument> {
    ctx.require(Action::Read)?;
    let row = find(&ctx.db, ctx, t, id).await?;
    to_dto(&ctx.db, row).await
}

/// The plan of a list of documents of type `t` and the organization's live ones it runs on.
fn list_plan(
    ctx: &Ctx,
    t: DocType,
    params: &ListParams,
) -> Result<(list::Plan, Select<document::Entity>)> {
    let plan = list::plan(
        ctx.db.get_database_backend(),
        &DOCUMENT_FIELDS,
        &[],
        params,
        ctx.org_id(),
    )?;
    let query = document::Entity::find()
        .filter(document::Column::OrgId.eq(ctx.org_id()))
        .filter(document::Column::DocType.eq(t.name()))
        .filter(document::Column::DeletedAt.is_null());
    Ok((plan, query))
}

/// Documents with their lines, read for all of them in one statement (a page of a list, a
/// batch of an export), in the order given.
async fn with_all_lines(ctx: &Ctx, rows: Vec<document::Model>) -> Result<Vec<SalesDocument>> {
    let mut lines: HashMap<Uuid, Vec<line::Model>> = HashMap::new();
    if !rows.is_empty() {
        for l in line::Entity::find()
            .filter(line::Column::OrgId.eq(ctx.org_id()))
            .filter(crm_core::id_set::id_in(
                ctx.db.get_database_backend(),
                "document_id",
                &rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            ))
            .order_by_asc(line::Column::DocumentId)
            .order_by_asc(line::Column::Position)
            .all(&ctx.db)
            .await?
        {
            lines.entry(l.document_id).or_default().push(l);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let own = lines.remove(&r.id).unwrap_or_default();
            with_lines(r, own)
        })
        .collect())
}

/// Lists orders or invoices with filters, sorts and keyset pages; the lines of the page in
/// one statement.
pub async fn list_documents(
    ctx: &Ctx,
    t: DocType,
    params: &ListParams,
) -> Result<Page<SalesDocument>> {
    ctx.require(Action::Read)?;
    let (plan, query) = list_plan(ctx, t, params)?;
    let rows = plan.fetch(&ctx.reads, query).await?;
    let items = with_all_lines(ctx, rows).await?;
    Ok(Page::from_overfetch_for(
        &params.page,
        items,
        plan.limit,
        |d| plan.cursor_after(d, d.id),
    ))
}

/// Every live document of type `t` that `params` selects, in batches into `out`, from one
/// streamed statement ([`list::Plan::export`]), each batch's lines read in one statement.
/// Stops when `out` closes.
pub async fn export_documents(
    ctx: &Ctx,
    t: DocType,
    params: &ListParams,
    out: &crm_core::kit::ExportSender<SalesDocument>,
) -> Result<()> {
    ctx.require(Action::Read)?;
    let (plan, query) = list_plan(ctx, t, params)?;
    plan.export(&ctx.db, query, out, |rows| async move {
        Ok(with_all_lines(ctx, rows).await?)
    })
    .await?;
    Ok(())
}

fn allowed(t: DocType, from: &str, to: &str) -> bool {
    match t {
        DocType::Order => matches!(
            (from, to),
            ("draft", "confirmed" | "cancelled") | ("confirmed", "fulfilled" | "cancelled")
        ),
        DocType::Invoice => matches!(
            (from, to),
            ("draft", "issued" | "void") | ("issued", "paid" | "void")
        ),
        DocType::Quote => matches!(
            (from, to),
            ("draft", "sent" | "rejected") | ("sent", "rejected" | "expired")
        ),
    }
}

/// The next number of a document type, in the caller's transaction: the row lock (PostgreSQL)
/// or the write transaction (SQLite) serialises issuers, and a rolled-back issue rolls the
/// counter back, so numbers have neither gaps nor repeats.
async fn next_number(tx: &impl ConnectionTrait, ctx: &Ctx, t: DocType) -> Result<i64> {
    let upsert = Query::insert()
        .into_table(Alias::new("document_sequences"))
        .columns(["org_id", "doc_type", "next_number"].map(Alias::new))
        .values([ctx.org_id().into(), t.name().into(), 2i64.into()])
        .map_err(Error::internal)?
        .on_conflict(
            OnConflict::columns(["org_id", "doc_type"].map(Alias::new))
                .value(
                    Alias::new("next_number"),
                    Expr::col((Alias::new("document_sequences"), Alias::new("next_number"))).add(1),
                )
                .to_owned(),
        )
        .returning_col(Alias::new("next_number"))
        .to_owned();
    let row = tx
        .query_one(&upsert)
        .await?
        .ok_or_else(|| Error::internal("no sequence row"))?;
    let next: i64 = row.try_get_by_index(0)?;
    Ok(next - 1)
}

async fn issue(
    tx: &impl ConnectionTrait,
    ctx: &Ctx,
    row: document::Model,
    due: Option<NaiveDate>,
    issued_at: Option<DateTime<Utc>>,
) -> Result<document::Model> {
    let number = next_number(tx, ctx, DocType::Invoice).await?;
    let now = Utc::now();
    let issued = issued_at.unwrap_or(now);
    let due = due.unwrap_or_else(|| (issued + Duration::days(30)).date_naive());
    let version = row.version;
    let mut a = row.into_active_model();
    a.number = Set(Some(number));
    a.status = Set("issued".to_owned());
    a.issued_at = Set(Some(issued));
    a.due_date = Set(Some(due.format("%Y-%m-%d").to_string()));
    a.version = Set(version + 1);
    a.updated_at = Set(now);
    Ok(a.update(tx).await?)
}

/// Moves an order or invoice to another status (issuing an invoice gives it its number).
pub async fn change_status(ctx: &Ctx, t: DocType, id: Uuid, to: &str) -> Result<SalesDocument> {
    ctx.require(Action::Write)?;
    let tx = begin_write(&ctx.db).await?;
    let row = find(&tx, ctx, t, id).await?;
    let from = row.status.clone();
    if from == to {
        return to_dto(&tx, row).await;
    }
    let known = match t {
        DocType::Order => OrderStatus::parse(to).is_some(),
        DocType::Invoice => InvoiceStatus::parse(to).is_some() && to != "overdue",
        DocType::Quote => matches!(to, "draft" | "sent" | "rejected" | "expired"),
    };
    if !known {
        return Err(Error::invalid_field(
            "/status",
            "invalid_value",
            "is not a status you can set",
        )
        .into());
    }
    if !allowed(t, &from, to) {
        return Err(Error::new(
            Code::Conflict,
            format!("A {from} {} cannot become {to}", t.name()),
        )
        .into());
    }
    let saved = if t == DocType::Invoice && to == "issued" {
        issue(&tx, ctx, row, None, None).await?
    } else {
        let version = row.version;
        let mut a = row.into_active_model();
        a.status = Set(to.to_owned());
        a.version = Set(version + 1);
        a.updated_at = Set(Utc::now());
        a.update(&tx).await?
    };
    let out = to_dto(&tx, saved).await?;
    audit::append(
        &tx,
        ctx,
        t.name(),
        id,
        "updated",
        json!({ "status": { "before": from, "after": to } }),
        json!(out),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Creates an invoice for an order (copying its customer and lines) or with its own lines;
/// issued at once unless `issue: false`.
pub async fn create_invoice(ctx: &Ctx, input: NewInvoice) -> Result<SalesDocument> {
    ctx.require(Action::Write)?;
    let tx = begin_write(&ctx.db).await?;
    let out = create_invoice_in(&tx, ctx, input, None).await?;
    tx.commit().await?;
    Ok(out)
}

async fn prepare_invoice(
    tx: &impl ConnectionTrait,
    ctx: &Ctx,
    input: &NewInvoice,
) -> Result<(PreparedOrder, Option<Uuid>)> {
    let mut errors = Vec::new();
    if let Some(at) = &input.issued_at {
        if let Some(e) = crm_core::validation::business_date(at, "/issued_at", true) {
            errors.push(e);
        } else if !input.issue.unwrap_or(true) {
            errors.push(FieldError::new(
                "/issued_at",
                "not_allowed",
                "only an invoice issued at once (`issue`) has an issue date",
            ));
        }
    }
    finish(errors)?;
    Ok(match input.order_id {
        Some(order_id) => {
            let order = find(tx, ctx, DocType::Order, order_id).await.map_err(|_| {
                Error::invalid_field(
                    "/order_id",
                    "not_found",
                    "is not an order of this organization",
                )
            })?;
            let lines = line::Entity::find()
                .filter(line::Column::OrgId.eq(order.org_id))
                .filter(line::Column::DocumentId.eq(order.id))
                .order_by_asc(line::Column::Position)
                .all(tx)
                .await?;
            let scale = totals::scale_of(&order.currency);
            let priced = reprice(lines, scale)?;
            (
                PreparedOrder {
                    currency: order.currency,
                    scale,
                    status: OrderStatus::Draft,
                    company_id: order.company_id,
                    contact_id: order.contact_id,
                    lines: priced,
                    ordered_at: None,
                },
                Some(order_id),
            )
        }
        None => {
            let order = NewOrder {
                currency: input.currency.clone(),
                price_list_id: None,
                company_id: input.company_id,
                contact_id: input.contact_id,
                status: None,
                lines: input.lines.clone().unwrap_or_default(),
                ordered_at: None,
            };
            (prepare_order(tx, ctx, order).await?, None)
        }
    })
}

async fn create_invoice_in(
    tx: &impl ConnectionTrait,
    ctx: &Ctx,
    input: NewInvoice,
    external: Option<(&str, &str)>,
) -> Result<SalesDocument> {
    let (prepared, order_id) = prepare_invoice(tx, ctx, &input).await?;
    let mut row = insert_document(tx, ctx, DocType::Invoice, &prepared, "draft", external).await?;
    if let Some(order_id) = order_id {
        let mut a = row.into_active_model();
        a.source_id = Set(Some(order_id));
        row = a.update(tx).await?;
    }
    if input.issue.unwrap_or(true) {
        row = issue(tx, ctx, row, input.due_date, input.issued_at).await?;
    } else if let Some(due) = input.due_date {
        let mut a = row.into_active_model();
        a.due_date = Set(Some(due.format("%Y-%m-%d").to_string()));
        row = a.update(tx).await?;
    }
    let out = to_dto(tx, row).await?;
    audit::record(
        tx,
        ctx,
        "invoice",
        out.id,
        "created",
        None,
        Some(&json!(out)),
    )
    .await?;
    Ok(out)
}

/// Creates or replaces the invoice an ERP knows as `source`/`external_id`; returns it and
/// whether it was created. A draft is replaced; an issued invoice is immutable, so pushing it
/// again unchanged returns it and pushing other amounts is a 409.
pub async fn upsert_invoice(
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewInvoice,
) -> Result<(SalesDocument, bool)> {
    ctx.require(Action::Write)?;
    check_external(source, external_id)?;
    let tx = begin_write(&ctx.db).await?;
    lock_external(&tx, ctx, "invoice", source, external_id).await?;
    let existing = document::Entity::find()
        .filter(document::Column::OrgId.eq(ctx.org_id()))
        .filter(document::Column::DocType.eq("invoice"))
        .filter(document::Column::ExternalSource.eq(source))
        .filter(document::Column::ExternalId.eq(external_id))
        .one(&tx)
        .await?;
    let out = match existing {
        None => (
            create_invoice_in(&tx, ctx, input, Some((source, external_id))).await?,
            true,
        ),
        Some(row) => {
            let (prepared, _) = prepare_invoice(&tx, ctx, &input).await?;
            let t = totals::document(
                &prepared
                    .lines
                    .iter()
                    .map(|l| l.totals.clone())
                    .collect::<Vec<_>>(),
            )
            .map_err(|_| Error::validation(vec![overflow("/lines")]))?;
            if row.status != "draft" {
                if money(t.total, prepared.scale) != row.total || prepared.currency != row.currency
                {
                    return Err(Error::conflict(format!(
                        "Invoice {} is {} and cannot change",
                        row.number.unwrap_or_default(),
                        row.status
                    ))
                    .into());
                }
                (to_dto(&tx, row).await?, false)
            } else {
                let version = row.version;
                let mut a = row.into_active_model();
                a.currency = Set(prepared.currency.clone());
                a.company_id = Set(prepared.company_id);
                a.contact_id = Set(prepared.contact_id);
                set_totals(&mut a, &prepared.lines, prepared.scale)?;
                a.version = Set(version + 1);
                a.updated_at = Set(Utc::now());
                let mut saved = a.update(&tx).await?;
                write_lines(&tx, ctx, saved.id, &prepared.lines, prepared.scale).await?;
                if input.issue.unwrap_or(true) {
                    saved = issue(&tx, ctx, saved, input.due_date, input.issued_at).await?;
                }
                (to_dto(&tx, saved).await?, false)
            }
        }
    };
    tx.commit().await?;
    Ok(out)
}

/// The history of a quote, order or invoice, newest first.
pub async fn document_history(
    ctx: &Ctx,
    t: DocType,
    id: Uuid,
    page: &crm_core::PageRequest,
) -> Result<Page<audit::HistoryEntry>> {
    ctx.require(Action::Read)?;
    find(&ctx.db, ctx, t, id).await?;
    Ok(audit::history(&ctx.db, ctx, t.name(), id, page).await?)
}
