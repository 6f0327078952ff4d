//! The organization's analytics settings: its base currency.

use crate::dto::{AnalyticsSettings, AnalyticsSettingsInput};
use crate::error::Result;
use crate::model::settings;
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx, Error};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Set};

/// The base currency of organizations that have not chosen one.
pub const DEFAULT_BASE_CURRENCY: &str = "EUR";

/// The base currency of the caller's organization.
pub(crate) async fn base_currency(db: &impl ConnectionTrait, ctx: &Ctx) -> Result<String> {
    Ok(settings::Entity::find_by_id(ctx.org_id())
        .one(db)
        .await?
        .map(|s| s.base_currency)
        .unwrap_or_else(|| DEFAULT_BASE_CURRENCY.to_owned()))
}

/// The organization's analytics settings (the defaults until an admin changes them).
pub async fn get_settings(ctx: &Ctx) -> Result<AnalyticsSettings> {
    ctx.require(Action::Read)?;
    let row = settings::Entity::find_by_id(ctx.org_id())
        .one(&ctx.db)
        .await?;
    Ok(match row {
        Some(s) => AnalyticsSettings {
            base_currency: s.base_currency,
            updated_at: Some(s.updated_at),
        },
        None => AnalyticsSettings {
            base_currency: DEFAULT_BASE_CURRENCY.to_owned(),
            updated_at: None,
        },
    })
}

/// Changes the settings (admins). Exchange rates are into the base currency: after a change
/// of it, the rates of the old one no longer apply and must be replaced.
pub async fn update_settings(
    ctx: &Ctx,
    input: AnalyticsSettingsInput,
) -> Result<AnalyticsSettings> {
    ctx.require(Action::Configure)?;
    let currency = input.base_currency.trim().to_uppercase();
    if !crm_core::money::known_currency(&currency) {
        return Err(Error::invalid_field(
            "/base_currency",
            "unknown_currency",
            "must be an ISO 4217 currency code",
        )
        .into());
    }
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let saved = match settings::Entity::find_by_id(ctx.org_id()).one(&tx).await? {
        Some(row) => {
            let mut a = row.into_active_model();
            a.base_currency = Set(currency);
            a.updated_at = Set(now);
            a.update(&tx).await?
        }
        None => {
            settings::ActiveModel {
                org_id: Set(ctx.org_id()),
                base_currency: Set(currency),
                updated_at: Set(now),
            }
            .insert(&tx)
            .await?
        }
    };
    tx.commit().await?;
    Ok(AnalyticsSettings {
        base_currency: saved.base_currency,
        updated_at: Some(saved.updated_at),
    })
}
