//! Products, price lists and prices; products upsert by an ERP's external id.

use super::common::{currency, decimal, finish, required, text};
use crate::dto::{NewPriceList, NewProduct, PriceList, Product, ProductPrice};
use crate::error::Result;
use crate::model::{price_list, product, product_price};
use chrono::Utc;
use crm_core::audit;
use crm_core::db::begin_write;
use crm_core::list::{self, ListParams};
use crm_core::{Action, Ctx, Error, FieldError, Page, PageRequest, new_id};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Select, Set,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

const TYPE: &str = "product";

fn list_dto(m: price_list::Model) -> PriceList {
    PriceList {
        id: m.id,
        name: m.name,
        currency: m.currency,
        is_default: m.is_default,
    }
}

async fn dto(db: &impl ConnectionTrait, m: product::Model) -> Result<Product> {
    let product = with_prices(db, vec![m])
        .await?
        .pop()
        .ok_or_else(|| Error::internal("a product read without its record"))?;
    Ok(product)
}

/// Products with their prices, read for all of them in one statement (a page of a list, a
/// batch of an export), in the order given; each product's prices by price list id.
async fn with_prices(db: &impl ConnectionTrait, rows: Vec<product::Model>) -> Result<Vec<Product>> {
    let mut prices: HashMap<Uuid, Vec<ProductPrice>> = HashMap::new();
    if let Some(first) = rows.first() {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        for p in product_price::Entity::find()
            .filter(product_price::Column::OrgId.eq(first.org_id))
            .filter(crm_core::id_set::id_in(
                db.get_database_backend(),
                "product_id",
                &ids,
            ))
            .order_by_asc(product_price::Column::ProductId)
            .order_by_asc(product_price::Column::PriceListId)
            .all(db)
            .await?
        {
            prices.entry(p.product_id).or_default().push(ProductPrice {
                price_list_id: p.price_list_id,
                unit_price: p.unit_price,
            });
        }
    }
    Ok(rows
        .into_iter()
        .map(|m| Product {
            prices: prices.remove(&m.id).unwrap_or_default(),
            id: m.id,
            sku: m.sku,
            name: m.name,
            description: m.description,
            unit: m.unit,
            tax_rate: m.tax_rate,
            active: m.active,
            cost_price: match (m.cost_price, m.cost_currency) {
                (Some(amount), Some(currency)) => Some(crm_core::Money::stored(&amount, &currency)),
                _ => None,
            },
            external_source: m.external_source,
            external_id: m.external_id,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
        .collect())
}

/// Creates a price list (admins: prices are configuration).
pub async fn create_price_list(ctx: &Ctx, input: NewPriceList) -> Result<PriceList> {
    ctx.require(Action::Configure)?;
    let mut errors = Vec::new();
    let name = required(input.name, "/name", 200, &mut errors);
    let cur = currency(&input.currency, "/currency", &mut errors);
    finish(errors)?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    if input.is_default {
        price_list::Entity::update_many()
            .col_expr(price_list::Column::IsDefault, Expr::value(false))
            .filter(price_list::Column::OrgId.eq(ctx.org_id()))
            .exec(&tx)
            .await?;
    }
    let row = price_list::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        name: Set(name),
        currency: Set(cur),
        is_default: Set(input.is_default),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    Ok(list_dto(row))
}

/// The organization's price lists.
pub async fn list_price_lists(ctx: &Ctx) -> Result<Vec<PriceList>> {
    ctx.require(Action::Read)?;
    Ok(price_list::Entity::find()
        .filter(price_list::Column::OrgId.eq(ctx.org_id()))
        .order_by_asc(price_list::Column::Id)
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(list_dto)
        .collect())
}

/// One price list of the organization.
pub async fn get_price_list(ctx: &Ctx, id: Uuid) -> Result<PriceList> {
    ctx.require(Action::Read)?;
    find_price_list(&ctx.db, ctx, Some(id))
        .await?
        .map(list_dto)
        .ok_or_else(|| Error::not_found("Price list").into())
}

/// A price list of the organization.
pub(crate) async fn find_price_list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: Option<Uuid>,
) -> Result<Option<price_list::Model>> {
    let mut q = price_list::Entity::find().filter(price_list::Column::OrgId.eq(ctx.org_id()));
    q = match id {
        Some(id) => q.filter(price_list::Column::Id.eq(id)),
        None => q.filter(price_list::Column::IsDefault.eq(true)),
    };
    Ok(q.one(db).await?)
}

/// A live product of the organization.
pub(crate) async fn find(db: &impl ConnectionTrait, ctx: &Ctx, id: Uuid) -> Result<product::Model> {
    product::Entity::find_by_id(id)
        .filter(product::Column::OrgId.eq(ctx.org_id()))
        .filter(product::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("Product").into())
}

struct Checked {
    sku: String,
    name: String,
    description: Option<String>,
    unit: String,
    tax_rate: Decimal,
    active: bool,
    cost: Option<crm_core::Money>,
    prices: Vec<(Uuid, Decimal)>,
}

async fn check(db: &impl ConnectionTrait, ctx: &Ctx, input: NewProduct) -> Result<Checked> {
    let mut errors: Vec<FieldError> = Vec::new();
    let sku = required(input.sku, "/sku", 100, &mut errors);
    let name = required(input.name, "/name", 300, &mut errors);
    let description = text(input.description, "/description", 10_000, &mut errors);
    let unit = text(input.unit, "/unit", 30, &mut errors).unwrap_or_else(|| "piece".to_owned());
    let tax_rate = decimal(
        input.tax_rate.as_deref().unwrap_or("0"),
        "/tax_rate",
        Decimal::ZERO,
        Some(Decimal::ONE_HUNDRED),
        &mut errors,
    );
    let cost = input
        .cost_price
        .and_then(|m| m.validated("/cost_price", &mut errors));
    let mut prices = Vec::new();
    for (i, p) in input.prices.unwrap_or_default().into_iter().enumerate() {
        let price = decimal(
            &p.unit_price,
            &format!("/prices/{i}/unit_price"),
            Decimal::ZERO,
            None,
            &mut errors,
        );
        if find_price_list(db, ctx, Some(p.price_list_id))
            .await?
            .is_none()
        {
            errors.push(FieldError::new(
                format!("/prices/{i}/price_list_id"),
                "not_found",
                "is not a price list of this organization",
            ));
        }
        prices.push((p.price_list_id, price));
    }
    finish(errors)?;
    Ok(Checked {
        sku,
        name,
        description,
        unit,
        tax_rate,
        active: input.active.unwrap_or(true),
        cost,
        prices,
    })
}

async fn write_prices(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    product_id: Uuid,
    prices: &[(Uuid, Decimal)],
) -> Result<()> {
    product_price::Entity::delete_many()
        .filter(product_price::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    for (list, price) in prices {
        product_price::ActiveModel {
            org_id: Set(ctx.org_id()),
            price_list_id: Set(*list),
            product_id: Set(product_id),
            unit_price: Set(price.normalize().to_string()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn sku_taken(e: sea_orm::DbErr) -> crate::SalesError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error {
            fields: vec![FieldError::new(
                "/sku",
                "taken",
                "another product has this SKU",
            )],
            ..Error::conflict("The SKU is taken")
        }
        .into(),
        _ => e.into(),
    }
}

/// Creates a product (agents and up).
pub async fn create_product(ctx: &Ctx, input: NewProduct) -> Result<Product> {
    let tx = begin_write(&ctx.db).await?;
    let out = create_product_in(&tx, ctx, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`create_product`] inside the caller's transaction (batch writes, composed operations).
pub async fn create_product_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    input: NewProduct,
) -> Result<Product> {
    ctx.require(Action::Write)?;
    let p = insert(tx, ctx, input, None).await?;
    Ok(p)
}

async fn insert(
    tx: &impl ConnectionTrait,
    ctx: &Ctx,
    input: NewProduct,
    external: Option<(&str, &str)>,
) -> Result<Product> {
    let c = check(tx, ctx, input).await?;
    let now = Utc::now();
    let row = product::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        sku: Set(c.sku),
        name: Set(c.name),
        description: Set(c.description),
        unit: Set(c.unit),
        tax_rate: Set(c.tax_rate.normalize().to_string()),
        active: Set(c.active),
        cost_price: Set(c.cost.as_ref().map(|m| m.amount.clone())),
        cost_currency: Set(c.cost.as_ref().map(|m| m.currency.clone())),
        external_source: Set(external.map(|e| e.0.to_owned())),
        external_id: Set(external.map(|e| e.1.to_owned())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(tx)
    .await
    .map_err(sku_taken)?;
    write_prices(tx, ctx, row.id, &c.prices).await?;
    let out = dto(tx, row).await?;
    audit::record(
        tx,
        ctx,
        TYPE,
        out.id,
        "created",
        None,
        Some(&serde_json::to_value(&out).unwrap_or(Value::Null)),
    )
    .await?;
    Ok(out)
}

/// Creates or replaces the product an ERP knows as `source`/`external_id`; returns it and
/// whether it was created. Pushing the same product twice leaves one product.
pub async fn upsert_product(
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewProduct,
) -> Result<(Product, bool)> {
    let tx = begin_write(&ctx.db).await?;
    let out = upsert_product_in(&tx, ctx, source, external_id, input).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`upsert_product`] inside the caller's transaction (batch writes, composed operations).
pub async fn upsert_product_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    source: &str,
    external_id: &str,
    input: NewProduct,
) -> Result<(Product, bool)> {
    ctx.require(Action::Write)?;
    super::external::check_external(source, external_id)?;
    super::external::lock_external(tx, ctx, "product", source, external_id).await?;
    let existing = product::Entity::find()
        .filter(product::Column::OrgId.eq(ctx.org_id()))
        .filter(product::Column::ExternalSource.eq(source))
        .filter(product::Column::ExternalId.eq(external_id))
        .one(tx)
        .await?;
    let out = match existing {
        None => (
            insert(tx, ctx, input, Some((source, external_id))).await?,
            true,
        ),
        Some(row) => {
            let c = check(tx, ctx, input).await?;
            let before = dto(tx, row.clone()).await?;
            let version = row.version;
            let mut a = row.into_active_model();
            a.sku = Set(c.sku);
            a.name = Set(c.name);
            a.description = Set(c.description);
            a.unit = Set(c.unit);
            a.tax_rate = Set(c.tax_rate.normalize().to_string());
            a.active = Set(c.active);
            a.cost_price = Set(c.cost.as_ref().map(|m| m.amount.clone()));
            a.cost_currency = Set(c.cost.as_ref().map(|m| m.currency.clone()));
            a.deleted_at = Set(None);
            a.version = Set(version + 1);
            a.updated_at = Set(Utc::now());
            let saved = a.update(tx).await.map_err(sku_taken)?;
            write_prices(tx, ctx, saved.id, &c.prices).await?;
            let after = dto(tx, saved).await?;
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
            (after, false)
        }
    };
    Ok(out)
}

/// One product.
pub async fn get_product(ctx: &Ctx, id: Uuid) -> Result<Product> {
    ctx.require(Action::Read)?;
    let row = find(&ctx.db, ctx, id).await?;
    dto(&ctx.db, row).await
}

/// The plan of a product list and the organization's live products it runs on.
fn list_plan(ctx: &Ctx, params: &ListParams) -> Result<(list::Plan, Select<product::Entity>)> {
    let plan = list::plan(
        ctx.db.get_database_backend(),
        &super::PRODUCT_FIELDS,
        &[],
        params,
        ctx.org_id(),
    )?;
    let query = product::Entity::find()
        .filter(product::Column::OrgId.eq(ctx.org_id()))
        .filter(product::Column::DeletedAt.is_null());
    Ok((plan, query))
}

/// Lists live products: filters, sort, search, keyset pages; the prices of the page in one
/// statement.
pub async fn list_products(ctx: &Ctx, params: &ListParams) -> Result<Page<Product>> {
    ctx.require(Action::Read)?;
    let (plan, query) = list_plan(ctx, params)?;
    let rows = plan.fetch(&ctx.reads, query).await?;
    let out = with_prices(&ctx.db, rows).await?;
    Ok(Page::from_overfetch_for(
        &params.page,
        out,
        plan.limit,
        |p| plan.cursor_after(p, p.id),
    ))
}

/// Every live product `params` selects, in batches into `out`, from one streamed statement
/// ([`list::Plan::export`]), each batch's prices read in one statement. Stops when `out`
/// closes.
pub async fn export_products(
    ctx: &Ctx,
    params: &ListParams,
    out: &crm_core::kit::ExportSender<Product>,
) -> Result<()> {
    ctx.require(Action::Read)?;
    let (plan, query) = list_plan(ctx, params)?;
    plan.export(&ctx.db, query, out, |rows| async move {
        Ok(with_prices(&ctx.db, rows).await?)
    })
    .await?;
    Ok(())
}

/// Replaces a product's fields and prices (agents and up; `If-Match` for a conditional write).
pub async fn replace_product(
    ctx: &Ctx,
    id: Uuid,
    input: NewProduct,
    if_version: Option<i64>,
) -> Result<Product> {
    let tx = begin_write(&ctx.db).await?;
    let out = replace_product_in(&tx, ctx, id, input, if_version).await?;
    tx.commit().await?;
    Ok(out)
}

/// [`replace_product`] inside the caller's transaction (batch writes, composed operations).
pub async fn replace_product_in(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    id: Uuid,
    input: NewProduct,
    if_version: Option<i64>,
) -> Result<Product> {
    ctx.require(Action::Write)?;
    let row = find(tx, ctx, id).await?;
    super::common::check_version(if_version, row.version)?;
    let c = check(tx, ctx, input).await?;
    let before = dto(tx, row.clone()).await?;
    let version = row.version;
    let mut a = row.into_active_model();
    a.sku = Set(c.sku);
    a.name = Set(c.name);
    a.description = Set(c.description);
    a.unit = Set(c.unit);
    a.tax_rate = Set(c.tax_rate.normalize().to_string());
    a.active = Set(c.active);
    a.cost_price = Set(c.cost.as_ref().map(|m| m.amount.clone()));
    a.cost_currency = Set(c.cost.as_ref().map(|m| m.currency.clone()));
    a.version = Set(version + 1);
    a.updated_at = Set(Utc::now());
    let saved = a.update(tx).await.map_err(sku_taken)?;
    write_prices(tx, ctx, saved.id, &c.prices).await?;
    let after = dto(tx, saved).await?;
    audit::record(
        tx,
        ctx,
        TYPE,
        id,
        "updated",
        Some(&json!(before)),
        Some(&json!(after)),
    )
    .await?;
    Ok(after)
}

/// Soft-deletes (`true`) or restores (`false`) a product (managers and admins). Past orders
/// keep their lines. With `if_version`, a product at another version is a 412 and stays.
pub async fn set_product_deleted(
    ctx: &Ctx,
    id: Uuid,
    deleted: bool,
    if_version: Option<i64>,
) -> Result<Option<Product>> {
    ctx.require(Action::Delete)?;
    let tx = begin_write(&ctx.db).await?;
    let row = product::Entity::find_by_id(id)
        .filter(product::Column::OrgId.eq(ctx.org_id()))
        .one(&tx)
        .await?
        .filter(|p| p.deleted_at.is_some() != deleted)
        .ok_or_else(|| Error::not_found("Product"))?;
    let version = row.version;
    super::common::check_version(if_version, version)?;
    let mut a = row.into_active_model();
    a.deleted_at = Set(deleted.then(Utc::now));
    a.version = Set(version + 1);
    let saved = a.update(&tx).await?;
    audit::append(
        &tx,
        ctx,
        TYPE,
        id,
        if deleted { "deleted" } else { "restored" },
        json!({}),
        json!({ "id": id }),
    )
    .await?;
    let out = if deleted {
        None
    } else {
        Some(dto(&tx, saved).await?)
    };
    tx.commit().await?;
    Ok(out)
}

/// The history of a product, newest first.
pub async fn product_history(
    ctx: &Ctx,
    id: Uuid,
    page: &PageRequest,
) -> Result<Page<audit::HistoryEntry>> {
    ctx.require(Action::Read)?;
    find(&ctx.db, ctx, id).await?;
    Ok(audit::history(&ctx.db, ctx, TYPE, id, page).await?)
}
