//! What company and contact operations share: definitions, owners, versions, uniqueness.

use crate::dto::{CustomFieldType, RecordType};
use crate::dto_analytics::with_analytics_fields;
use crate::error::{CustomersError, Result};
use crate::model::custom_field_def;
use crate::validate::{self, Def, Errors};
use crm_core::list::{self, CustomField, Field, Kind, Relation, Resource, Search};
use crm_core::{Action, Channel, Ctx, Error, LifecycleStage, SizeBand};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

/// Filterable and sortable fields of companies.
pub const COMPANY_FIELDS: Resource = Resource {
    name: "Company",
    custom_fields: true,
    relations: &[],
    search: Some(Search {
        fts_table: "companies_fts",
        pg_text: "search_text",
    }),
    default_sort: "-created_at",
    fields: with_analytics_fields![
        Field::sort("created_at", "created_at", Kind::DateTime, false),
        Field::sort("updated_at", "updated_at", Kind::DateTime, false),
        Field::sort("name", "name", Kind::Text, false),
        Field::filter("id", "id", Kind::Uuid),
        Field::filter("external_source", "external_source", Kind::Text),
        Field::filter("external_id", "external_id", Kind::Text),
        Field::filter("legal_name", "legal_name", Kind::Text),
        Field::filter("domain", "domain", Kind::Text),
        Field::filter("industry", "industry", Kind::Text),
        Field::filter("size_band", "size_band", Kind::Enum(SizeBand::NAMES)),
        Field::filter("city", "city", Kind::Text),
        Field::filter("region", "region", Kind::Text),
        Field::filter("country", "country", Kind::Text),
        Field::filter("owner_id", "owner_id", Kind::Uuid),
        Field::filter(
            "lifecycle_stage",
            "lifecycle_stage",
            Kind::Enum(LifecycleStage::NAMES),
        ),
        Field::filter("tags", "tags", Kind::Tags),
    ],
};

/// Filterable and sortable fields of contacts.
pub const CONTACT_FIELDS: Resource = Resource {
    name: "Contact",
    custom_fields: true,
    relations: &[Relation {
        name: "company",
        column: "company_id",
        table: "companies",
        resource: &COMPANY_FIELDS,
    }],
    search: Some(Search {
        fts_table: "contacts_fts",
        pg_text: "search_text",
    }),
    default_sort: "-created_at",
    fields: with_analytics_fields![
        Field::sort("created_at", "created_at", Kind::DateTime, false),
        Field::sort("updated_at", "updated_at", Kind::DateTime, false),
        Field::sort("last_name", "last_name", Kind::Text, true),
        Field::sort("first_name", "first_name", Kind::Text, true),
        Field::sort("email", "email", Kind::Email, true),
        Field::filter("id", "id", Kind::Uuid),
        Field::filter("external_source", "external_source", Kind::Text),
        Field::filter("external_id", "external_id", Kind::Text),
        Field::filter("phone", "phone", Kind::Text),
        Field::filter("title", "title", Kind::Text),
        Field::filter("company_id", "company_id", Kind::Uuid),
        Field::filter("city", "city", Kind::Text),
        Field::filter("region", "region", Kind::Text),
        Field::filter("country", "country", Kind::Text),
        Field::filter("owner_id", "owner_id", Kind::Uuid),
        Field::filter(
            "lifecycle_stage",
            "lifecycle_stage",
            Kind::Enum(LifecycleStage::NAMES),
        ),
        Field::filter(
            "source_channel",
            "source_channel",
            Kind::Enum(Channel::NAMES),
        ),
        Field::filter("tags", "tags", Kind::Tags),
    ],
};

/// The stored name of a record type.
pub fn record_type_name(t: RecordType) -> &'static str {
    match t {
        RecordType::Company => "company",
        RecordType::Contact => "contact",
    }
}

/// How a custom field type compares in filters.
pub fn kind_of(t: CustomFieldType) -> Kind {
    match t {
        CustomFieldType::Number | CustomFieldType::Decimal => Kind::Number,
        CustomFieldType::Date => Kind::Date,
        CustomFieldType::Boolean => Kind::Bool,
        CustomFieldType::MultiSelect => Kind::Tags,
        _ => Kind::Text,
    }
}

/// The custom field definitions of a record type, with their unique flags.
pub async fn defs(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    t: RecordType,
) -> Result<Vec<(Def, bool)>> {
    // A batch reads them once for all its items (they do not change custom fields).
    let key = format!("custom_field_defs:{org_id}:{}", record_type_name(t));
    crm_core::batch::once_per_batch(key, || read_defs(db, org_id, t)).await
}

async fn read_defs(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    t: RecordType,
) -> Result<Vec<(Def, bool)>> {
    let rows = custom_field_def::Entity::find()
        .filter(custom_field_def::Column::OrgId.eq(org_id))
        .filter(custom_field_def::Column::RecordType.eq(record_type_name(t)))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let field_type = validate::parse_type(&r.field_type)?;
            let options = serde_json::from_value(r.options).unwrap_or_default();
            Some((
                Def {
                    key: r.key,
                    field_type,
                    required: r.required,
                    options,
                },
                r.unique_values,
            ))
        })
        .collect())
}

/// The keys of the organization's custom fields of a record type, sorted: the columns an export
/// gives them.
pub async fn custom_field_keys(ctx: &Ctx, t: RecordType) -> Result<Vec<String>> {
    let mut keys: Vec<String> = defs(&ctx.db, ctx.org_id(), t)
        .await?
        .into_iter()
        .map(|(d, _)| d.key)
        .collect();
    keys.sort();
    Ok(keys)
}

/// The keys and type names of the organization's custom fields of `t`, by key.
pub async fn custom_field_types(ctx: &Ctx, t: RecordType) -> Result<Vec<(String, &'static str)>> {
    let mut out: Vec<(String, &'static str)> = defs(&ctx.db, ctx.org_id(), t)
        .await?
        .into_iter()
        .map(|(d, _)| (d.key, crate::validate::type_name(d.field_type)))
        .collect();
    out.sort();
    Ok(out)
}

/// The custom field definitions a list with `params` needs: none unless it filters or sorts by a
/// custom field (most lists do not, and skip the read).
pub async fn list_defs(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    t: RecordType,
    params: &crm_core::list::ListParams,
) -> Result<Vec<(Def, bool)>> {
    if params.uses_custom_fields() {
        defs(db, org_id, t).await
    } else {
        Ok(Vec::new())
    }
}

/// The custom fields usable in filters and sorts.
pub fn list_fields(defs: &[(Def, bool)]) -> Vec<CustomField> {
    defs.iter()
        .map(|(d, _)| CustomField {
            key: d.key.clone(),
            kind: kind_of(d.field_type),
        })
        .collect()
}

/// Checks that no other live record of `table` has the same value of a unique custom field.
pub async fn check_unique(
    db: &impl ConnectionTrait,
    table: &str,
    org_id: Uuid,
    id: Uuid,
    defs: &[(Def, bool)],
    custom: &Value,
) -> Result<()> {
    let backend = db.get_database_backend();
    for (def, unique) in defs {
        let value = &custom[def.key.as_str()];
        if !unique || value.is_null() || def.field_type == CustomFieldType::MultiSelect {
            continue;
        }
        let raw = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let select = Query::select()
            .expr(Expr::cust("1"))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new("org_id")).eq(org_id))
            .and_where(Expr::col(Alias::new("id")).ne(id))
            .and_where(Expr::col(Alias::new("deleted_at")).is_null())
            .and_where(list::custom_equals(
                backend,
                &def.key,
                kind_of(def.field_type),
                &raw,
            )?)
            .limit(1)
            .to_owned();
        if db.query_one(&select).await?.is_some() {
            return Err(Error {
                fields: vec![crm_core::FieldError::new(
                    format!("/custom/{}", def.key),
                    "taken",
                    "another record already has this value",
                )],
                ..Error::conflict(format!(
                    "The value of custom field `{}` must be unique",
                    def.key
                ))
            }
            .into());
        }
    }
    Ok(())
}

/// The owner a record has before a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerBefore {
    /// The record is being created.
    New,
    /// The record exists, with this owner (or none).
    Existing(Option<Uuid>),
}

/// Resolves and checks the owner, by the one ownership rule of every resource with an owner:
/// a new record may be owned by its creator (the default) without more; owning it by anyone
/// else, and any change of an existing record's owner (taking it for oneself, giving it away
/// or clearing it), is a reassignment, which needs `Reassign` (managers and admins). A new
/// owner must be an active user of the organization.
pub async fn owner(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    wanted: Option<Uuid>,
    before: OwnerBefore,
    errors: &mut Errors,
) -> Result<Option<Uuid>> {
    let unchanged = match before {
        OwnerBefore::New => wanted.is_none() || wanted == Some(ctx.actor.user_id),
        OwnerBefore::Existing(current) => wanted == current,
    };
    if unchanged {
        return Ok(wanted);
    }
    ctx.require(Action::Reassign)?;
    if let Some(w) = wanted
        && w != ctx.actor.user_id
        && !active_user(db, ctx.org_id(), w).await?
    {
        errors.push(
            "/owner_id",
            "not_found",
            "is not an active user of this organization",
        );
    }
    Ok(wanted)
}

/// The most merges an upsert by external id follows to the surviving record.
const MAX_MERGE_HOPS: usize = 16;

/// The record an upsert by external id writes to: `found` (the record holding the id), or,
/// when it was merged into another, the record it was merged into, followed through at most
/// [`MAX_MERGE_HOPS`] merges (a merged record keeps its external id, which is unique).
pub(super) async fn merge_survivor<M, F, Fut>(
    mut found: Option<M>,
    merged_into: impl Fn(&M) -> Option<Uuid>,
    mut find: F,
) -> Result<Option<M>>
where
    F: FnMut(Uuid) -> Fut,
    Fut: std::future::Future<Output = Result<M>>,
{
    for _ in 0..MAX_MERGE_HOPS {
        match found.as_ref().and_then(&merged_into) {
            Some(target) => found = Some(find(target).await?),
            None => break,
        }
    }
    Ok(found)
}

/// Whether `id` is an active user of the organization.
pub async fn active_user(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<bool> {
    let select = Query::select()
        .expr(Expr::cust("1"))
        .from(Alias::new("users"))
        .and_where(Expr::col(Alias::new("org_id")).eq(org_id))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .and_where(Expr::col(Alias::new("active")).eq(true))
        .to_owned();
    Ok(db.query_one(&select).await?.is_some())
}

/// Fails with 412 when the client's version is not the current one.
pub fn check_version(if_version: Option<i64>, current: i64) -> Result<()> {
    match if_version {
        Some(expected) if expected != current => {
            Err(CustomersError::VersionMismatch { expected, current })
        }
        _ => Ok(()),
    }
}

/// Tags as stored (a JSON array) to a list.
pub fn tags_of(v: &Value) -> Vec<String> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

/// The JSON object of a stored JSON column, `{}` when it is not an object.
pub fn object_or_empty(v: &Value) -> Value {
    if v.is_object() {
        v.clone()
    } else {
        Value::Object(Default::default())
    }
}

/// Search text of a phone number: its digits in E.164 and without the country code.
pub fn phone_search(phone: Option<&str>) -> String {
    let Some(p) = phone else { return String::new() };
    let digits: String = p.chars().filter(char::is_ascii_digit).collect();
    match phonenumber::parse(None, p) {
        Ok(n) => format!("{digits} {}", n.national().value()),
        Err(_) => digits,
    }
}
