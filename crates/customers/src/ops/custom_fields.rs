//! Custom field definitions (admins configure; everyone reads).

use super::common::record_type_name;
use crate::dto::{CustomField, CustomFieldType, NewCustomField, RecordType};
use crate::error::Result;
use crate::model::custom_field_def;
use crate::validate::{self, Errors};
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx, Error, new_id};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

fn to_dto(m: custom_field_def::Model) -> Option<CustomField> {
    Some(CustomField {
        id: m.id,
        record_type: match m.record_type.as_str() {
            "company" => RecordType::Company,
            _ => RecordType::Contact,
        },
        field_type: validate::parse_type(&m.field_type)?,
        options: serde_json::from_value(m.options).unwrap_or_default(),
        key: m.key,
        label: m.label,
        required: m.required,
        unique: m.unique_values,
        created_at: m.created_at,
    })
}

/// Defines a custom field (admins only).
pub async fn create_custom_field(ctx: &Ctx, input: NewCustomField) -> Result<CustomField> {
    ctx.require(Action::Configure)?;
    let mut errors = Errors::default();
    let key = input.key.trim().to_owned();
    let valid_key = key.len() <= 64
        && key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_key {
        errors.push(
            "/key",
            "invalid_key",
            "must be 1 to 64 lowercase letters, digits or _, starting with a letter",
        );
    }
    let label = validate::text(Some(input.label), "/label", 200, &mut errors);
    if label.is_none() {
        errors.push("/label", "required", "is required");
    }
    let with_options = matches!(
        input.field_type,
        CustomFieldType::Select | CustomFieldType::MultiSelect
    );
    let mut options: Vec<String> = Vec::new();
    for o in input.options {
        let o = o.trim().to_owned();
        if !o.is_empty() && !options.contains(&o) {
            options.push(o);
        }
    }
    if with_options && options.is_empty() {
        errors.push(
            "/options",
            "required",
            "select fields need at least one option",
        );
    }
    if !with_options && !options.is_empty() {
        errors.push(
            "/options",
            "not_allowed",
            "only select and multi_select fields have options",
        );
    }
    if input.unique && input.field_type == CustomFieldType::MultiSelect {
        errors.push(
            "/unique",
            "not_allowed",
            "multi_select values cannot be unique",
        );
    }
    errors.finish()?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let exists = custom_field_def::Entity::find()
        .filter(custom_field_def::Column::OrgId.eq(ctx.org_id()))
        .filter(custom_field_def::Column::RecordType.eq(record_type_name(input.record_type)))
        .filter(custom_field_def::Column::Key.eq(&key))
        .one(&tx)
        .await?;
    if exists.is_some() {
        return Err(Error {
            fields: vec![crm_core::FieldError::new(
                "/key",
                "taken",
                "is already a custom field of this record type",
            )],
            ..Error::conflict("A custom field with this key exists")
        }
        .into());
    }
    let row = custom_field_def::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        record_type: Set(record_type_name(input.record_type).to_owned()),
        key: Set(key),
        label: Set(label.unwrap_or_default()),
        field_type: Set(validate::type_name(input.field_type).to_owned()),
        required: Set(input.required),
        unique_values: Set(input.unique),
        options: Set(json!(options)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    to_dto(row).ok_or_else(|| Error::internal("stored an unknown field type").into())
}

/// The custom fields of the organization, of one record type or all.
pub async fn list_custom_fields(
    ctx: &Ctx,
    record_type: Option<RecordType>,
) -> Result<Vec<CustomField>> {
    ctx.require(Action::Read)?;
    let mut query = custom_field_def::Entity::find()
        .filter(custom_field_def::Column::OrgId.eq(ctx.org_id()))
        .order_by_asc(custom_field_def::Column::RecordType)
        .order_by_asc(custom_field_def::Column::Key);
    if let Some(t) = record_type {
        query = query.filter(custom_field_def::Column::RecordType.eq(record_type_name(t)));
    }
    Ok(query
        .all(&ctx.db)
        .await?
        .into_iter()
        .filter_map(to_dto)
        .collect())
}

/// One custom field definition of the organization.
pub async fn get_custom_field(ctx: &Ctx, id: Uuid) -> Result<CustomField> {
    ctx.require(Action::Read)?;
    custom_field_def::Entity::find_by_id(id)
        .filter(custom_field_def::Column::OrgId.eq(ctx.org_id()))
        .one(&ctx.db)
        .await?
        .and_then(to_dto)
        .ok_or_else(|| Error::not_found("Custom field").into())
}

/// Deletes a custom field definition and removes its values from every record (admins only).
pub async fn delete_custom_field(ctx: &Ctx, id: Uuid) -> Result<()> {
    ctx.require(Action::Configure)?;
    let tx = begin_write(&ctx.db).await?;
    let def = custom_field_def::Entity::find_by_id(id)
        .filter(custom_field_def::Column::OrgId.eq(ctx.org_id()))
        .one(&tx)
        .await?
        .ok_or_else(|| Error::not_found("Custom field"))?;
    let table = if def.record_type == "company" {
        "companies"
    } else {
        "contacts"
    };
    // The key is validated at creation: lowercase letters, digits and underscores only.
    let sql = match tx.get_database_backend() {
        DbBackend::Postgres => format!(
            "UPDATE {table} SET custom = custom - '{}' WHERE org_id = $1",
            def.key
        ),
        _ => format!(
            "UPDATE {table} SET custom = json_remove(custom, '$.{}') WHERE org_id = ?",
            def.key
        ),
    };
    tx.execute_raw(sea_orm::Statement::from_sql_and_values(
        tx.get_database_backend(),
        sql,
        [ctx.org_id().into()],
    ))
    .await?;
    custom_field_def::Entity::delete_by_id(id).exec(&tx).await?;
    tx.commit().await?;
    Ok(())
}
