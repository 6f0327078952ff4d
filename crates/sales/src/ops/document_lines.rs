//! The lines of quotes, orders and invoices: pricing them (product defaults from the price
//! list, every amount computed with checked decimals, overflow a 422 naming the field),
//! storing them with the document's totals, and the read model of a document with its lines.

use super::common::{decimal, text};
use super::documents::money;
use crate::dto::*;
use crate::error::Result;
use crate::model::{document, line, price_list, product, product_price};
use crate::totals::{self, LineTotals};
use chrono::{NaiveDate, Utc};
use crm_core::{Ctx, Error, FieldError, Money, new_id};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use uuid::Uuid;

pub(super) async fn to_dto(db: &impl ConnectionTrait, m: document::Model) -> Result<SalesDocument> {
    // `org_id` first: the lines index leads with it.
    let lines = line::Entity::find()
        .filter(line::Column::OrgId.eq(m.org_id))
        .filter(line::Column::DocumentId.eq(m.id))
        .order_by_asc(line::Column::Position)
        .all(db)
        .await?;
    Ok(with_lines(m, lines))
}

/// The DTO of a document and its lines (in position order).
pub(super) fn with_lines(m: document::Model, lines: Vec<line::Model>) -> SalesDocument {
    let cur = m.currency.clone();
    let money = |stored: &str| Money::stored(stored, &cur);
    let lines = lines
        .into_iter()
        .map(|l| Line {
            position: l.position,
            product_id: l.product_id,
            description: l.description,
            quantity: l.quantity,
            unit_price: money(&l.unit_price),
            discount_percent: l.discount_percent,
            tax_rate: l.tax_rate,
            net_amount: money(&l.net_amount),
            tax_amount: money(&l.tax_amount),
            total_amount: money(&l.total_amount),
            unit_cost: match (&l.unit_cost, &l.cost_currency) {
                (Some(amount), Some(currency)) => Some(Money::stored(amount, currency)),
                _ => None,
            },
        })
        .collect();
    let due_date = m
        .due_date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    // An issued invoice past its due date reads as overdue.
    let status = if m.doc_type == "invoice"
        && m.status == "issued"
        && due_date.is_some_and(|d| d < Utc::now().date_naive())
    {
        "overdue".to_owned()
    } else {
        m.status
    };
    SalesDocument {
        id: m.id,
        number: m.number,
        status,
        company_id: m.company_id,
        contact_id: m.contact_id,
        order_id: m.source_id,
        valid_until: m
            .valid_until
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        subtotal: money(&m.subtotal),
        discount_total: money(&m.discount_total),
        tax_total: money(&m.tax_total),
        total: money(&m.total),
        amount_paid: money(&m.amount_paid),
        currency: m.currency,
        lines,
        due_date,
        issued_at: m.issued_at,
        ordered_at: m.ordered_at,
        external_source: m.external_source,
        external_id: m.external_id,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

pub(super) struct PricedLine {
    product_id: Option<Uuid>,
    description: Option<String>,
    quantity: Decimal,
    unit_price: Decimal,
    discount: Decimal,
    tax_rate: Decimal,
    /// What one unit cost (amount text, currency), if known.
    cost: Option<(String, String)>,
    pub(super) totals: LineTotals,
}

/// Prices and totals lines: product defaults from the price list, every amount computed here.
pub(super) async fn price_lines(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    inputs: Vec<LineInput>,
    list: Option<&price_list::Model>,
    scale: u32,
    errors: &mut Vec<FieldError>,
) -> Result<Vec<PricedLine>> {
    if inputs.is_empty() || inputs.len() > 1000 {
        errors.push(FieldError::new(
            "/lines",
            "length",
            "must hold 1 to 1000 lines",
        ));
    }
    let known = Products::read(db, ctx, &inputs, list).await?;
    let mut out = Vec::new();
    for (i, l) in inputs.into_iter().enumerate() {
        let p = |f: &str| format!("/lines/{i}/{f}");
        let (product, field) = match (l.product_id, l.sku.as_deref()) {
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    p("sku"),
                    "conflict",
                    "name the product by `product_id` or by `sku`, not both",
                ));
                (None, "sku")
            }
            (Some(id), None) => (known.by_id.get(&id).cloned(), "product_id"),
            (None, Some(sku)) => (
                known
                    .by_sku
                    .get(sku)
                    .and_then(|id| known.by_id.get(id))
                    .cloned(),
                "sku",
            ),
            (None, None) => (None, ""),
        };
        let named = l.product_id.is_some() || l.sku.is_some();
        match &product {
            None if named && !(l.product_id.is_some() && l.sku.is_some()) => {
                errors.push(FieldError::new(
                    p(field),
                    "not_found",
                    "is not a product of this organization",
                ))
            }
            Some(prod) if !prod.active => errors.push(FieldError::new(
                p(field),
                "inactive",
                "is not active and cannot be sold; activate it first",
            )),
            _ => {}
        }
        let quantity = decimal(&l.quantity, &p("quantity"), Decimal::ZERO, None, errors);
        if quantity <= Decimal::ZERO {
            errors.push(FieldError::new(
                p("quantity"),
                "range",
                "must be greater than 0",
            ));
        }
        let list_price = product
            .as_ref()
            .and_then(|prod| known.prices.get(&prod.id).cloned());
        let unit_price = match (l.unit_price.as_deref(), list_price.as_deref()) {
            (Some(raw), _) | (None, Some(raw)) => {
                decimal(raw, &p("unit_price"), Decimal::ZERO, None, errors)
            }
            (None, None) => {
                errors.push(FieldError::new(
                    p("unit_price"),
                    "required",
                    "is required (the product has no price in this price list)",
                ));
                Decimal::ZERO
            }
        };
        let discount = decimal(
            l.discount_percent.as_deref().unwrap_or("0"),
            &p("discount_percent"),
            Decimal::ZERO,
            Some(Decimal::ONE_HUNDRED),
            errors,
        );
        let default_tax = product
            .as_ref()
            .map(|p| p.tax_rate.clone())
            .unwrap_or_else(|| "0".to_owned());
        let tax_rate = decimal(
            l.tax_rate.as_deref().unwrap_or(&default_tax),
            &p("tax_rate"),
            Decimal::ZERO,
            Some(Decimal::ONE_HUNDRED),
            errors,
        );
        let description = text(l.description, &p("description"), 500, errors)
            .or(product.as_ref().map(|p| p.name.clone()));
        if description.is_none() && product.is_none() && !named {
            errors.push(FieldError::new(
                p("description"),
                "required",
                "a line needs a product or a description",
            ));
        }
        // The cost sent, else the product's cost price as it is now.
        let cost = match l.unit_cost {
            Some(m) => m
                .validated(&p("unit_cost"), errors)
                .map(|m| (m.amount, m.currency)),
            None => product
                .as_ref()
                .and_then(|p| p.cost_price.clone().zip(p.cost_currency.clone())),
        };
        let totals = match totals::line(quantity, unit_price, discount, tax_rate, scale) {
            Ok(t) => t,
            Err(totals::Overflow) => {
                errors.push(overflow(&p("quantity")));
                zero_totals()
            }
        };
        out.push(PricedLine {
            product_id: product.as_ref().map(|p| p.id).or(l.product_id),
            description,
            quantity,
            unit_price,
            discount,
            tax_rate,
            cost,
            totals,
        });
    }
    if totals::document(&out.iter().map(|l| l.totals.clone()).collect::<Vec<_>>()).is_err() {
        errors.push(overflow("/lines"));
    }
    Ok(out)
}

/// The live products the lines name (by id or by SKU) and their prices in the price list,
/// read in a statement or two per 500 names, not two per line.
struct Products {
    by_id: HashMap<Uuid, product::Model>,
    by_sku: HashMap<String, Uuid>,
    /// The unit price of each product in the price list, if it has one.
    prices: HashMap<Uuid, String>,
}

/// Names read per statement.
const CHUNK: usize = 500;

impl Products {
    async fn read(
        db: &impl ConnectionTrait,
        ctx: &Ctx,
        inputs: &[LineInput],
        list: Option<&price_list::Model>,
    ) -> Result<Self> {
        let ids: BTreeSet<Uuid> = inputs.iter().filter_map(|l| l.product_id).collect();
        let skus: BTreeSet<&str> = inputs.iter().filter_map(|l| l.sku.as_deref()).collect();
        let ids: Vec<sea_orm::Value> = ids.into_iter().map(Into::into).collect();
        let skus: Vec<sea_orm::Value> = skus.into_iter().map(Into::into).collect();
        let mut found = Vec::new();
        for (column, names) in [(product::Column::Id, ids), (product::Column::Sku, skus)] {
            for chunk in names.chunks(CHUNK) {
                found.extend(
                    product::Entity::find()
                        .filter(product::Column::OrgId.eq(ctx.org_id()))
                        .filter(product::Column::DeletedAt.is_null())
                        .filter(column.is_in(chunk.iter().cloned()))
                        .all(db)
                        .await?,
                );
            }
        }
        let by_sku = found.iter().map(|p| (p.sku.clone(), p.id)).collect();
        let by_id: HashMap<Uuid, product::Model> = found.into_iter().map(|p| (p.id, p)).collect();
        let mut prices = HashMap::new();
        if let Some(list) = list {
            let named: Vec<Uuid> = by_id.keys().copied().collect();
            for chunk in named.chunks(CHUNK) {
                let rows = product_price::Entity::find()
                    .filter(product_price::Column::PriceListId.eq(list.id))
                    .filter(product_price::Column::ProductId.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?;
                prices.extend(rows.into_iter().map(|pp| (pp.product_id, pp.unit_price)));
            }
        }
        Ok(Self {
            by_id,
            by_sku,
            prices,
        })
    }
}

pub(super) fn overflow(pointer: &str) -> FieldError {
    FieldError::new(
        pointer,
        "overflow",
        format!(
            "the amounts of this line or document pass the largest supported amount ({})",
            crm_core::money::max_amount()
        ),
    )
}

fn zero_totals() -> LineTotals {
    LineTotals {
        gross: Decimal::ZERO,
        net: Decimal::ZERO,
        tax: Decimal::ZERO,
        total: Decimal::ZERO,
    }
}

/// Stored lines priced again (to copy an order's or quote's lines onto another document).
pub(super) fn reprice(lines: Vec<line::Model>, scale: u32) -> Result<Vec<PricedLine>> {
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let d = |s: &str| Decimal::from_str(s).unwrap_or_default();
            let (q, p, disc, tax) = (
                d(&l.quantity),
                d(&l.unit_price),
                d(&l.discount_percent),
                d(&l.tax_rate),
            );
            let totals = totals::line(q, p, disc, tax, scale)
                .map_err(|_| Error::validation(vec![overflow(&format!("/lines/{i}"))]))?;
            Ok(PricedLine {
                product_id: l.product_id,
                description: l.description,
                quantity: q,
                unit_price: p,
                discount: disc,
                tax_rate: tax,
                cost: l.unit_cost.zip(l.cost_currency),
                totals,
            })
        })
        .collect()
}

pub(super) async fn write_lines(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    document_id: Uuid,
    lines: &[PricedLine],
    scale: u32,
) -> Result<()> {
    line::Entity::delete_many()
        .filter(line::Column::OrgId.eq(ctx.org_id()))
        .filter(line::Column::DocumentId.eq(document_id))
        .exec(db)
        .await?;
    for (i, l) in lines.iter().enumerate() {
        line::ActiveModel {
            id: Set(new_id()),
            org_id: Set(ctx.org_id()),
            document_id: Set(document_id),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            product_id: Set(l.product_id),
            description: Set(l.description.clone()),
            quantity: Set(l.quantity.normalize().to_string()),
            unit_price: Set(l.unit_price.normalize().to_string()),
            discount_percent: Set(l.discount.normalize().to_string()),
            tax_rate: Set(l.tax_rate.normalize().to_string()),
            net_amount: Set(money(l.totals.net, scale)),
            tax_amount: Set(money(l.totals.tax, scale)),
            total_amount: Set(money(l.totals.total, scale)),
            unit_cost: Set(l.cost.as_ref().map(|c| c.0.clone())),
            cost_currency: Set(l.cost.as_ref().map(|c| c.1.clone())),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

pub(super) fn set_totals(
    row: &mut document::ActiveModel,
    lines: &[PricedLine],
    scale: u32,
) -> Result<()> {
    let t = totals::document(&lines.iter().map(|l| l.totals.clone()).collect::<Vec<_>>())
        .map_err(|_| Error::validation(vec![overflow("/lines")]))?;
    row.subtotal = Set(money(t.subtotal, scale));
    row.discount_total = Set(money(t.discount_total, scale));
    row.tax_total = Set(money(t.tax_total, scale));
    row.total = Set(money(t.total, scale));
    Ok(())
}
