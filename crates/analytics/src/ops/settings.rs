//! The organization's analytics settings: its base currency, its RFM segment table and the
//! cost of an activity per kind.

use crate::dto::{AnalyticsSettings, AnalyticsSettingsInput};
use crate::error::Result;
use crate::model::settings;
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx, Error, FieldError};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Set};
use std::collections::BTreeMap;

/// The base currency of organizations that have not chosen one.
pub const DEFAULT_BASE_CURRENCY: &str = "EUR";

/// The default RFM segments by recency score (rows, 1 to 5) and frequency score (columns, 1 to
/// 5): the table widely used since Putler's and Shopify's segmentations, with `lost` for the
/// customers who bought once, long ago.
const DEFAULT_SEGMENTS: [[&str; 5]; 5] = [
    // R 1
    [
        "lost",
        "hibernating",
        "at risk",
        "at risk",
        "cannot lose them",
    ],
    // R 2
    [
        "hibernating",
        "hibernating",
        "at risk",
        "at risk",
        "cannot lose them",
    ],
    // R 3
    [
        "about to sleep",
        "about to sleep",
        "needs attention",
        "loyal",
        "loyal",
    ],
    // R 4
    [
        "promising",
        "potential loyalists",
        "potential loyalists",
        "loyal",
        "loyal",
    ],
    // R 5
    [
        "new customers",
        "potential loyalists",
        "potential loyalists",
        "champions",
        "champions",
    ],
];

/// What the organization has stored.
pub(crate) struct Stored {
    pub base_currency: String,
    pub overrides: BTreeMap<String, String>,
    pub activity_costs: BTreeMap<String, String>,
    pub updated_at: Option<chrono::DateTime<Utc>>,
}

pub(crate) async fn stored(db: &impl ConnectionTrait, ctx: &Ctx) -> Result<Stored> {
    let row = settings::Entity::find_by_id(ctx.org_id()).one(db).await?;
    Ok(match row {
        Some(s) => Stored {
            base_currency: s.base_currency,
            overrides: s
                .rfm_segments
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default(),
            activity_costs: s
                .activity_costs
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default(),
            updated_at: Some(s.updated_at),
        },
        None => Stored {
            base_currency: DEFAULT_BASE_CURRENCY.to_owned(),
            overrides: BTreeMap::new(),
            activity_costs: BTreeMap::new(),
            updated_at: None,
        },
    })
}

/// The base currency of the caller's organization.
pub(crate) async fn base_currency(db: &impl ConnectionTrait, ctx: &Ctx) -> Result<String> {
    Ok(stored(db, ctx).await?.base_currency)
}

/// The segment table: every score pair (`"11"` to `"55"`) to its segment, the defaults with
/// `overrides` over them.
pub(crate) fn segment_table(overrides: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (r, row) in DEFAULT_SEGMENTS.iter().enumerate() {
        for (f, name) in row.iter().enumerate() {
            let key = format!("{}{}", r + 1, f + 1);
            let name = overrides.get(&key).map_or(*name, String::as_str);
            out.insert(key, name.to_owned());
        }
    }
    out
}

fn answer(s: Stored) -> AnalyticsSettings {
    AnalyticsSettings {
        rfm_segments: segment_table(&s.overrides),
        activity_costs: s.activity_costs,
        base_currency: s.base_currency,
        updated_at: s.updated_at,
    }
}

/// The organization's analytics settings (the defaults until an admin changes them).
pub async fn get_settings(ctx: &Ctx) -> Result<AnalyticsSettings> {
    ctx.require(Action::Read)?;
    Ok(answer(stored(&ctx.db, ctx).await?))
}

/// Changes the settings (admins); absent fields stay. Exchange rates are into the base
/// currency they were written for: after a change of it, only rates written since apply.
pub async fn update_settings(
    ctx: &Ctx,
    input: AnalyticsSettingsInput,
) -> Result<AnalyticsSettings> {
    ctx.require(Action::Configure)?;
    let mut errors = Vec::new();
    let currency = input.base_currency.map(|c| c.trim().to_uppercase());
    if let Some(c) = &currency
        && !crm_core::money::known_currency(c)
    {
        errors.push(FieldError::new(
            "/base_currency",
            "unknown_currency",
            "must be an ISO 4217 currency code",
        ));
    }
    let overrides = input.rfm_segments.map(|map| {
        let mut clean = BTreeMap::new();
        for (key, name) in map {
            let pointer = format!("/rfm_segments/{key}");
            let digits: Vec<char> = key.chars().collect();
            let valid_key = digits.len() == 2 && digits.iter().all(|c| ('1'..='5').contains(c));
            let name = name.trim().to_owned();
            if !valid_key {
                errors.push(FieldError::new(
                    pointer,
                    "invalid_key",
                    "must be a recency and a frequency score, such as 54",
                ));
            } else if name.is_empty() || name.chars().count() > 50 {
                errors.push(FieldError::new(
                    pointer,
                    "length",
                    "must be 1 to 50 characters",
                ));
            } else {
                clean.insert(key, name);
            }
        }
        clean
    });
    let costs = input.activity_costs.map(|map| {
        let mut clean = BTreeMap::new();
        for (kind, amount) in map {
            let pointer = format!("/activity_costs/{kind}");
            let valid_kind = (1..=40).contains(&kind.len())
                && kind
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_kind {
                errors.push(FieldError::new(
                    pointer,
                    "invalid_key",
                    "must be an activity kind: 1 to 40 lowercase letters, digits or _",
                ));
                continue;
            }
            match crm_core::money::parse_decimal(
                &amount,
                &pointer,
                crm_core::money::Sign::NonNegative,
                6,
            ) {
                Ok(d) => {
                    clean.insert(kind, d.normalize().to_string());
                }
                Err(e) => errors.push(e),
            }
        }
        clean
    });
    if !errors.is_empty() {
        return Err(Error::validation(errors).into());
    }
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let json = |m: &BTreeMap<String, String>| serde_json::to_value(m).ok();
    // Without settings the base currency is the default one.
    let mut base = Some(DEFAULT_BASE_CURRENCY.to_owned());
    match settings::Entity::find_by_id(ctx.org_id()).one(&tx).await? {
        Some(row) => {
            base = Some(row.base_currency.clone());
            let mut a = row.into_active_model();
            if let Some(c) = currency {
                a.base_currency = Set(c);
            }
            if let Some(o) = &overrides {
                a.rfm_segments = Set(json(o));
            }
            if let Some(c) = &costs {
                a.activity_costs = Set(json(c));
            }
            a.updated_at = Set(now);
            a.update(&tx).await?;
        }
        None => {
            settings::ActiveModel {
                org_id: Set(ctx.org_id()),
                base_currency: Set(currency.unwrap_or_else(|| DEFAULT_BASE_CURRENCY.to_owned())),
                rfm_segments: Set(overrides.as_ref().and_then(json)),
                activity_costs: Set(costs.as_ref().and_then(json)),
                updated_at: Set(now),
            }
            .insert(&tx)
            .await?;
        }
    }
    let before = base.as_deref();
    let out = answer(stored(&tx, ctx).await?);
    // The base currency or the segment table may have changed: the figures are stale.
    super::refresh::mark_stale(&tx, ctx.org_id()).await?;
    if before != Some(out.base_currency.as_str()) {
        // Every order's amounts change with the base currency.
        super::rollups::mark_rebuild(&tx, ctx.org_id()).await?;
    }
    tx.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_names_every_score_pair_and_overrides_win() {
        let table = segment_table(&BTreeMap::new());
        assert_eq!(table.len(), 25);
        assert_eq!(table["11"], "lost");
        assert_eq!(table["55"], "champions");
        assert_eq!(table["15"], "cannot lose them");
        assert_eq!(table["51"], "new customers");
        let names: std::collections::BTreeSet<&String> = table.values().collect();
        assert_eq!(
            names.len(),
            11,
            "the eleven segments of issue #14: {names:?}"
        );
        let o = BTreeMap::from([("55".to_owned(), "VIP".to_owned())]);
        assert_eq!(segment_table(&o)["55"], "VIP");
    }
}
