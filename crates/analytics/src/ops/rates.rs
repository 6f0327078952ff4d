//! Exchange rates into the base currency, which admins maintain (from a central bank's file,
//! say): written in batches, a rate for the same currency and day replacing the old one.

use super::settings::base_currency;
use crate::dto::{ExchangeRate, ExchangeRateInput};
use crate::error::Result;
use crate::model::rate;
use chrono::{NaiveDate, Utc};
use crm_core::db::begin_write;
use crm_core::money::{Sign, parse_decimal};
use crm_core::{Action, Ctx, Error, FieldError, Page, PageRequest, new_id};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The most rates one request writes.
pub const MAX_RATES: usize = 1000;

fn dto(m: rate::Model) -> ExchangeRate {
    ExchangeRate {
        id: m.id,
        base_currency: m.base_currency,
        currency: m.currency,
        date: NaiveDate::parse_from_str(&m.rate_date, "%Y-%m-%d").unwrap_or_default(),
        rate: m.rate,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// The organization's rates, newest day first (then by currency), optionally of one currency.
pub async fn list_exchange_rates(
    ctx: &Ctx,
    currency: Option<&str>,
    page: &PageRequest,
) -> Result<Page<ExchangeRate>> {
    ctx.require(Action::Read)?;
    let limit = page.limit()?;
    let offset: u64 = match page.cursor.as_deref() {
        None => 0,
        Some(c) => c.parse().map_err(|_| {
            Error::invalid_field("/cursor", "invalid_cursor", "is not a cursor of this list")
        })?,
    };
    let mut q = rate::Entity::find().filter(rate::Column::OrgId.eq(ctx.org_id()));
    if let Some(c) = currency {
        q = q.filter(rate::Column::Currency.eq(c.trim().to_uppercase()));
    }
    let rows = q
        .order_by_desc(rate::Column::RateDate)
        .order_by_asc(rate::Column::Currency)
        .offset(offset)
        .limit(limit + 1)
        .all(&ctx.db)
        .await?;
    // The cursor is the number of rates before the next page.
    let numbered: Vec<(u64, ExchangeRate)> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| (offset + i as u64 + 1, dto(r)))
        .collect();
    Ok(Page::from_overfetch_for(page, numbered, limit, |(n, _)| n.to_string()).map(|(_, r)| r))
}

/// Writes 1 to [`MAX_RATES`] rates (admins) in one transaction: all or none. A rate for a
/// currency and day that has one replaces it. Returns the rates as stored, in request order.
pub async fn put_exchange_rates(
    ctx: &Ctx,
    rates: Vec<ExchangeRateInput>,
) -> Result<Vec<ExchangeRate>> {
    ctx.require(Action::Configure)?;
    if rates.is_empty() || rates.len() > MAX_RATES {
        return Err(Error::invalid_field(
            "/rates",
            "length",
            format!("must hold 1 to {MAX_RATES} rates"),
        )
        .into());
    }
    let base = base_currency(&ctx.db, ctx).await?;
    let mut errors = Vec::new();
    let mut checked = Vec::with_capacity(rates.len());
    for (i, r) in rates.into_iter().enumerate() {
        let at = |f: &str| format!("/rates/{i}/{f}");
        let currency = r.currency.trim().to_uppercase();
        if !crm_core::money::known_currency(&currency) {
            errors.push(FieldError::new(
                at("currency"),
                "unknown_currency",
                "must be an ISO 4217 currency code",
            ));
        } else if currency == base {
            errors.push(FieldError::new(
                at("currency"),
                "base_currency",
                format!("{base} is the base currency: it needs no rate"),
            ));
        }
        let year = r.date.format("%Y").to_string();
        if !("1900"..="2100").contains(&year.as_str()) {
            errors.push(FieldError::new(
                at("date"),
                "range",
                "must be a day from 1900 to 2100",
            ));
        }
        match parse_decimal(&r.rate, &at("rate"), Sign::Positive, 6) {
            Ok(rate) => checked.push((currency, r.date, rate)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::validation(errors).into());
    }
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let mut out = Vec::with_capacity(checked.len());
    for (currency, date, rate) in checked {
        let day = date.format("%Y-%m-%d").to_string();
        let existing = rate::Entity::find()
            .filter(rate::Column::OrgId.eq(ctx.org_id()))
            .filter(rate::Column::BaseCurrency.eq(base.as_str()))
            .filter(rate::Column::Currency.eq(currency.as_str()))
            .filter(rate::Column::RateDate.eq(day.as_str()))
            .one(&tx)
            .await?;
        let saved = match existing {
            Some(row) => {
                let mut a = row.into_active_model();
                a.rate = Set(rate.normalize().to_string());
                a.updated_at = Set(now);
                a.update(&tx).await?
            }
            None => {
                rate::ActiveModel {
                    id: Set(new_id()),
                    org_id: Set(ctx.org_id()),
                    base_currency: Set(base.clone()),
                    currency: Set(currency),
                    rate_date: Set(day),
                    rate: Set(rate.normalize().to_string()),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&tx)
                .await?
            }
        };
        out.push(dto(saved));
    }
    // Converted amounts change: the written-back figures are stale.
    super::refresh::mark_stale(&tx, ctx.org_id()).await?;
    super::rollups::mark_rebuild(&tx, ctx.org_id()).await?;
    tx.commit().await?;
    Ok(out)
}

/// Deletes one rate (admins).
pub async fn delete_exchange_rate(ctx: &Ctx, id: Uuid) -> Result<()> {
    ctx.require(Action::Configure)?;
    let tx = begin_write(&ctx.db).await?;
    let done = rate::Entity::delete_many()
        .filter(rate::Column::Id.eq(id))
        .filter(rate::Column::OrgId.eq(ctx.org_id()))
        .exec(&tx)
        .await?;
    if done.rows_affected == 0 {
        return Err(Error::not_found("Exchange rate").into());
    }
    super::refresh::mark_stale(&tx, ctx.org_id()).await?;
    super::rollups::mark_rebuild(&tx, ctx.org_id()).await?;
    tx.commit().await?;
    Ok(())
}

/// The organization's rates by currency and day, for converting orders.
#[derive(Default)]
pub(crate) struct Rates(HashMap<String, BTreeMap<NaiveDate, Decimal>>);

impl Rates {
    /// Every rate of the organization into `base`.
    pub(crate) async fn load(db: &impl ConnectionTrait, ctx: &Ctx, base: &str) -> Result<Rates> {
        let rows = rate::Entity::find()
            .filter(rate::Column::OrgId.eq(ctx.org_id()))
            .filter(rate::Column::BaseCurrency.eq(base))
            .all(db)
            .await?;
        let mut map: HashMap<String, BTreeMap<NaiveDate, Decimal>> = HashMap::new();
        for r in rows {
            let (Ok(day), Ok(rate)) = (
                NaiveDate::parse_from_str(&r.rate_date, "%Y-%m-%d"),
                r.rate.parse::<Decimal>(),
            ) else {
                continue;
            };
            map.entry(r.currency).or_default().insert(day, rate);
        }
        Ok(Rates(map))
    }

    /// The rate of `currency` for `day`: that day's only (a weekend's orders need the
    /// weekend's rates, which an admin writes as the last business day's); none is guessed.
    pub(crate) fn on(&self, currency: &str, day: NaiveDate) -> Option<Decimal> {
        self.0.get(currency)?.get(&day).copied()
    }

    /// What one unit of `currency` is worth in `base` on `day`: 1 for the base itself, else
    /// that day's rate (`None`: missing, never guessed).
    pub(crate) fn rate(&self, base: &str, currency: &str, day: NaiveDate) -> Option<Decimal> {
        if currency == base {
            Some(Decimal::ONE)
        } else {
            self.on(currency, day)
        }
    }
}

/// Writes the rates of a CSV file (admins), all or none, as [`put_exchange_rates`] does: a
/// header row naming `currency`, `date` (`YYYY-MM-DD`) and `rate` in any order (other columns
/// are ignored), then one rate per row. The row after the header is `/rates/0`.
pub async fn import_exchange_rates(ctx: &Ctx, csv_text: &str) -> Result<Vec<ExchangeRate>> {
    ctx.require(Action::Configure)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let bad_file = |detail: String| Error::invalid_field("/file", "invalid_csv", detail);
    let headers = reader
        .headers()
        .map_err(|e| bad_file(format!("is not CSV: {e}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
    };
    let (Some(c), Some(d), Some(r)) = (column("currency"), column("date"), column("rate")) else {
        return Err(Error::invalid_field(
            "/file",
            "missing_column",
            "the header row must name the columns currency, date and rate",
        )
        .into());
    };
    let mut rates = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad_file(format!("is not CSV: {e}")))?;
        if rates.len() + errors.len() >= MAX_RATES {
            return Err(Error::invalid_field(
                "/rates",
                "length",
                format!("must hold 1 to {MAX_RATES} rates"),
            )
            .into());
        }
        let field = |k: usize| record.get(k).unwrap_or("").to_owned();
        match NaiveDate::parse_from_str(&field(d), "%Y-%m-%d") {
            Ok(date) => rates.push(ExchangeRateInput {
                currency: field(c),
                date,
                rate: field(r),
            }),
            Err(_) => errors.push(FieldError::new(
                format!("/rates/{i}/date"),
                "invalid_date",
                "must be a day such as 2026-01-31",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(Error::validation(errors).into());
    }
    put_exchange_rates(ctx, rates).await
}
