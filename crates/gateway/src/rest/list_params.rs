//! The query parameters of every list operation, declared in the OpenAPI document from the
//! resource's one field declaration (`crm_core::list::Resource`): each filterable field as
//! `field` (equality) and `field[op]` for every operator its kind takes, `sort` with the
//! sortable fields, and `q` only where the resource has full-text search. Generated clients
//! then offer typed filter arguments; a new field or operator appears here by itself.

use crm_core::list::{Kind, Resource};
use utoipa::Modify;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Required, Schema};

/// The lists outside the kit and the resource declaration each reads (the kit documents its
/// own lists from `Records::RESOURCE`, so a new kit resource cannot be missed here).
const LISTS: &[(&str, &Resource)] = &[
    ("listMyTasks", &crm_interactions::ops::ACTIVITY_FIELDS),
    ("listOverdueTasks", &crm_interactions::ops::ACTIVITY_FIELDS),
];

/// The modifier.
pub struct ListParams;

fn value_schema(kind: Kind, op: &str) -> Schema {
    let b = ObjectBuilder::new();
    let b = match (op, kind) {
        ("is_null", _) => b.schema_type(Type::Boolean),
        // A list of the field's values, written comma-separated (`style: form, explode: false`).
        ("in", _) => {
            let item = match kind {
                // One value: not empty, no comma (the separator), not only spaces (trimmed).
                Kind::Text | Kind::Email | Kind::Tags => Schema::Object(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .pattern(Some(r"^[^,]*[^,\s][^,]*$"))
                        .build(),
                ),
                _ => value_schema(kind, "eq"),
            };
            return Schema::Array(
                ArrayBuilder::new()
                    .items(RefOr::T(item))
                    .min_items(Some(1))
                    .max_items(Some(100))
                    .build(),
            );
        }
        (_, Kind::Bool) => b.schema_type(Type::Boolean),
        (_, Kind::Number) => b.schema_type(Type::Number),
        (_, Kind::Uuid) => b
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        (_, Kind::DateTime) => b
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        (_, Kind::Date) => b
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        (_, Kind::Enum(values)) => b
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied())),
        _ => b.schema_type(Type::String),
    };
    Schema::Object(b.build())
}

fn param(name: String, description: String, schema: Schema) -> Parameter {
    let list = matches!(schema, Schema::Array(_));
    ParameterBuilder::new()
        .style(list.then_some(ParameterStyle::Form))
        .explode(list.then_some(false))
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// The declared parameters of a list over `resource`.
pub(super) fn parameters(resource: &Resource) -> Vec<Parameter> {
    let string = || Schema::Object(ObjectBuilder::new().schema_type(Type::String).build());
    let mut out = vec![
        param(
            "limit".into(),
            "Items per page, 1 to 100 (default 25).".into(),
            Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(100))
                    .build(),
            ),
        ),
        param(
            "cursor".into(),
            "The `next_cursor` of the previous page (opaque, issued by the server).".into(),
            Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .build(),
            ),
        ),
    ];
    let sortable: Vec<&str> = resource
        .fields
        .iter()
        .filter(|f| f.sortable && f.kind != Kind::Tags)
        .map(|f| f.name)
        .collect();
    // One key: a sortable field or a custom field, `-` (descending) or `+` before it.
    // A nested field's dot is a dot, not any character.
    let names: Vec<String> = sortable.iter().map(|n| n.replace('.', r"\.")).collect();
    let key = format!(r"[-+]?({}|custom\.[a-z][a-z0-9_]{{0,63}})", names.join("|"));
    out.push(param(
        "sort".into(),
        format!(
            "Up to 4 distinct sort keys separated by commas, `-` for descending (default `{}`); \
             sortable: {}, and custom fields of the resource as `custom.<key>`.",
            resource.default_sort,
            sortable.join(", ")
        ),
        Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(format!("^{key}(,{key}){{0,3}}$")))
                .build(),
        ),
    ));
    if resource.search.is_some() {
        out.push(param(
            "q".into(),
            "Full-text search: every word must prefix-match a word of the record; a phone number \
             written in groups (`+49 (0)30 123-4567`, `(030) 1234567`) also matches as one number."
                .into(),
            string(),
        ));
    }
    for field in resource.fields {
        for op in field.kind.operators() {
            let (name, description) = if *op == "eq" {
                (field.name.to_owned(), format!("`{}` equals", field.name))
            } else {
                (
                    format!("{}[{op}]", field.name),
                    format!("`{}` filter with operator `{op}`", field.name),
                )
            };
            out.push(param(name, description, value_schema(field.kind, op)));
        }
    }
    out
}

/// The declared parameters of an export over `resource`: `format`, then the list's filters, sort
/// and search (an export has no pages).
pub fn export_parameters(resource: &Resource) -> Vec<Parameter> {
    let mut out = vec![param(
        "format".into(),
        "`csv` (default: a header row, custom fields as `custom.<key>` columns, nested objects \
         as `<field>.<key>` columns, lists as JSON) or `ndjson` (one record per line, as the \
         list gives it)."
            .into(),
        Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["csv", "ndjson"]))
                .build(),
        ),
    )];
    out.extend(
        parameters(resource)
            .into_iter()
            .filter(|p| p.name != "limit" && p.name != "cursor"),
    );
    out
}

impl Modify for ListParams {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let Some(op) = item.get.as_mut() else {
                continue;
            };
            let Some((_, resource)) = LISTS
                .iter()
                .find(|(id, _)| op.operation_id.as_deref() == Some(*id))
            else {
                continue;
            };
            let mut params: Vec<Parameter> = op
                .parameters
                .take()
                .unwrap_or_default()
                .into_iter()
                .filter(|p| p.parameter_in != ParameterIn::Query)
                .collect();
            params.extend(parameters(resource));
            op.parameters = Some(params);
        }
    }
}
