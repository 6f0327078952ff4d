//! Typed GraphQL filter and order inputs, generated from each resource's one field declaration
//! (`crm_core::list::Resource`), the same one REST's query parameters and the SQL come from.
//!
//! For a resource named `Contact` the schema gets:
//! - `ContactFilter`: one field per filterable field (`lastName: StringFilter`), one per relation
//!   (`company: CompanyFilter`), `custom: [CustomFieldFilter!]` where custom fields exist, and
//!   `and`, `or`, `not`;
//! - `ContactSortField` (an enum of the sortable fields) and `ContactOrder { field, custom,
//!   direction }` for `orderBy`.
//!
//! Operator inputs are one per kind of field (`StringFilter`, `UUIDFilter`, `DateTimeFilter`,
//! ...), each with exactly the operators the planner accepts for that kind.

use async_graphql::registry::{Deprecation, MetaEnumValue, MetaInputValue, MetaType, Registry};
use async_graphql::{InputType, InputValueError, InputValueResult, Name, Value};
use crm_core::list::{FilterTree, Kind, Resource};
use std::borrow::Cow;
use std::marker::PhantomData;

/// A resource with generated GraphQL inputs.
pub trait Listed: Send + Sync + 'static {
    /// Its declaration.
    const RESOURCE: &'static Resource;
}

macro_rules! listed {
    ($($(#[$m:meta])* $t:ident => $r:expr;)*) => {$(
        $(#[$m])*
        pub struct $t;
        impl Listed for $t {
            const RESOURCE: &'static Resource = &$r;
        }
    )*};
}

listed! {
    /// Companies.
    Companies => crm_customers::ops::COMPANY_FIELDS;
    /// Contacts.
    Contacts => crm_customers::ops::CONTACT_FIELDS;
    /// Activities (and tasks).
    Activities => crm_interactions::ops::ACTIVITY_FIELDS;
    /// Deals.
    Deals => crm_sales::ops::DEAL_FIELDS;
    /// Quotes, orders and invoices.
    Documents => crm_sales::ops::DOCUMENT_FIELDS;
    /// Products.
    Products => crm_sales::ops::PRODUCT_FIELDS;
    /// Leads.
    Leads => crm_sales::ops::LEAD_FIELDS;
}

/// `last_name` -> `lastName`; a nested field's dot counts as an underscore
/// (`analytics.abc_class` -> `analyticsAbcClass`).
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' || c == '.' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn input(name: &str, ty: &str, description: Option<String>) -> MetaInputValue {
    MetaInputValue {
        name: name.to_owned(),
        description,
        ty: ty.to_owned(),
        deprecation: Deprecation::NoDeprecated,
        default_value: None,
        visible: None,
        inaccessible: false,
        tags: vec![],
        is_secret: false,
        directive_invocations: vec![],
    }
}

fn input_object(name: &str, description: String, fields: Vec<MetaInputValue>) -> MetaType {
    MetaType::InputObject {
        name: name.to_owned(),
        description: Some(description),
        input_fields: fields.into_iter().map(|f| (f.name.clone(), f)).collect(),
        visible: None,
        inaccessible: false,
        tags: vec![],
        rust_typename: None,
        oneof: false,
        directive_invocations: vec![],
    }
}

fn enum_type(name: &str, description: &str, values: &[(String, Option<String>)]) -> MetaType {
    MetaType::Enum {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        enum_values: values
            .iter()
            .map(|(v, d)| {
                (
                    v.clone(),
                    MetaEnumValue {
                        name: v.clone(),
                        description: d.clone(),
                        deprecation: Deprecation::NoDeprecated,
                        visible: None,
                        inaccessible: false,
                        tags: vec![],
                        directive_invocations: vec![],
                    },
                )
            })
            .collect(),
        visible: None,
        inaccessible: false,
        tags: vec![],
        rust_typename: None,
        directive_invocations: vec![],
        requires_scopes: vec![],
    }
}

/// The operator input of a kind, and the GraphQL type of its values.
fn kind_types(kind: Kind, registry: &mut Registry) -> (&'static str, &'static str) {
    match kind {
        Kind::Text => ("StringFilter", "String"),
        Kind::Email => ("EmailFilter", "String"),
        Kind::Uuid => {
            <uuid::Uuid as InputType>::create_type_info(registry);
            ("UUIDFilter", "UUID")
        }
        Kind::DateTime => {
            <chrono::DateTime<chrono::Utc> as InputType>::create_type_info(registry);
            ("DateTimeFilter", "DateTime")
        }
        Kind::Date => {
            <chrono::NaiveDate as InputType>::create_type_info(registry);
            ("DateFilter", "NaiveDate")
        }
        Kind::Enum(_) => ("EnumFilter", "String"),
        Kind::Tags => ("TagsFilter", "String"),
        Kind::Bool => ("BooleanFilter", "Boolean"),
        Kind::Number => ("NumberFilter", "Float"),
    }
}

fn operator_help(op: &str) -> &'static str {
    match op {
        "eq" => "Equal to (for tags: has this tag).",
        "ne" => "Not equal to (records without a value match).",
        "gt" => "Greater than.",
        "gte" => "Greater than or equal to.",
        "lt" => "Less than.",
        "lte" => "Less than or equal to.",
        "in" => "Any of these values (1 to 100).",
        "contains" => "Contains this text, ignoring case (for tags: has this tag).",
        "starts_with" => "Starts with this text, ignoring case.",
        "is_null" => "`true`: has no value; `false`: has one.",
        _ => "",
    }
}

/// Registers the operator input of `kind` (once) and answers its name.
fn register_kind(kind: Kind, registry: &mut Registry) -> &'static str {
    let (name, value) = kind_types(kind, registry);
    if !registry.types.contains_key(name) {
        let fields = kind
            .operators()
            .iter()
            .map(|op| {
                let ty = match *op {
                    "in" => format!("[{value}!]"),
                    "is_null" => "Boolean".to_owned(),
                    _ => value.to_owned(),
                };
                input(&camel(op), &ty, Some(operator_help(op).to_owned()))
            })
            .collect();
        let what = match kind {
            Kind::Enum(_) => "an enumerated text field (the field lists its values)".to_owned(),
            _ => format!("a field of type {value}"),
        };
        registry.types.insert(
            name.to_owned(),
            input_object(
                name,
                format!("Conditions on {what}; all given conditions must hold."),
                fields,
            ),
        );
    }
    name
}

/// Registers `<Name>Filter` of `resource` (and what it refers to) and answers its name.
fn register_filter(resource: &'static Resource, registry: &mut Registry) -> String {
    let name = format!("{}Filter", resource.name);
    if registry.types.contains_key(&name) {
        return name;
    }
    // A placeholder first: relations may lead back here.
    registry
        .types
        .insert(name.clone(), input_object(&name, String::new(), Vec::new()));
    let mut fields = Vec::new();
    for f in resource.fields {
        let ty = register_kind(f.kind, registry);
        let description = match f.kind {
            Kind::Enum(values) => format!("`{}`: one of {}.", f.name, values.join(", ")),
            _ => format!("`{}`.", f.name),
        };
        fields.push(input(&camel(f.name), ty, Some(description)));
    }
    for r in resource.relations {
        let ty = register_filter(r.resource, registry);
        fields.push(input(
            &camel(r.name),
            &ty,
            Some(format!(
                "Records whose {} matches this filter (deleted ones never match).",
                r.name
            )),
        ));
    }
    if resource.custom_fields {
        <CustomFieldFilter as InputType>::create_type_info(registry);
        fields.push(input(
            "custom",
            "[CustomFieldFilter!]",
            Some("Conditions on custom fields; all must hold.".into()),
        ));
    }
    fields.push(input(
        "and",
        &format!("[{name}!]"),
        Some("Every one of these filters matches.".into()),
    ));
    fields.push(input(
        "or",
        &format!("[{name}!]"),
        Some("At least one of these filters matches.".into()),
    ));
    fields.push(input(
        "not",
        &name,
        Some("This filter does not match.".into()),
    ));
    registry.types.insert(
        name.clone(),
        input_object(
            &name,
            format!(
                "A filter of {} records: every given field must match.",
                resource.name
            ),
            fields,
        ),
    );
    name
}

/// A condition on a custom field (`custom.<key>` in REST).
#[derive(async_graphql::InputObject)]
pub struct CustomFieldFilter {
    /// The custom field's key.
    pub key: String,
    /// `eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `in`, `contains`, `starts_with`, `is_null`.
    #[graphql(default_with = "\"eq\".to_string()")]
    pub op: String,
    /// The value (comma-separated for `in`; `true`/`false` for `is_null`).
    pub value: String,
}

/// A typed filter of the resource `R` (`ContactFilter`, ...).
pub struct Filter<R: Listed> {
    /// The filter, as the list planner takes it.
    pub tree: FilterTree,
    _r: PhantomData<R>,
}

/// An input error message (with where it was), made into the input type's error at the top.
type Parsed<T> = Result<T, String>;

fn scalar_text(v: &Value, pointer: &str) -> Parsed<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Boolean(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Enum(e) => Ok(e.to_string()),
        _ => Err(format!("{pointer}: expected a value")),
    }
}

fn parse_tree(resource: &'static Resource, value: &Value, pointer: &str) -> Parsed<FilterTree> {
    let Value::Object(map) = value else {
        return Err(format!("{pointer}: expected an object"));
    };
    let mut all = Vec::new();
    for (key, v) in map {
        let at = format!("{pointer}/{key}");
        if matches!(v, Value::Null) {
            continue;
        }
        match key.as_str() {
            "and" | "or" => {
                let list = match v {
                    Value::List(items) => items.iter().collect::<Vec<_>>(),
                    one => vec![one],
                };
                let parts = list
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| parse_tree(resource, item, &format!("{at}/{i}")))
                    .collect::<Parsed<Vec<_>>>()?;
                all.push(if key.as_str() == "and" {
                    FilterTree::All(parts)
                } else {
                    FilterTree::Any(parts)
                });
            }
            "not" => all.push(FilterTree::Not(Box::new(parse_tree(resource, v, &at)?))),
            "custom" if resource.custom_fields => {
                let items = match v {
                    Value::List(items) => items.clone(),
                    one => vec![one.clone()],
                };
                for (i, item) in items.into_iter().enumerate() {
                    let c = <CustomFieldFilter as InputType>::parse(Some(item)).map_err(|e| {
                        format!(
                            "{at}/{i}: {}",
                            e.into_server_error(Default::default()).message
                        )
                    })?;
                    all.push(FilterTree::Field {
                        name: format!("custom.{}", c.key),
                        op: c.op,
                        value: c.value,
                        list: None,
                        pointer: format!("{at}/{i}"),
                    });
                }
            }
            other => {
                if let Some(rel) = resource.relations.iter().find(|r| camel(r.name) == other) {
                    all.push(FilterTree::Related {
                        relation: rel.name.to_owned(),
                        tree: Box::new(parse_tree(rel.resource, v, &at)?),
                        pointer: at,
                    });
                    continue;
                }
                let Some(field) = resource.fields.iter().find(|f| camel(f.name) == other) else {
                    return Err(format!("{at}: unknown field"));
                };
                let Value::Object(ops) = v else {
                    return Err(format!("{at}: expected an object"));
                };
                for (op_name, operand) in ops {
                    if matches!(operand, Value::Null) {
                        continue;
                    }
                    let op = field
                        .kind
                        .operators()
                        .iter()
                        .find(|o| camel(o) == op_name.as_str())
                        .ok_or_else(|| format!("{at}/{op_name}: unknown operator"))?;
                    let op_at = format!("{at}/{op_name}");
                    let (value, list) = match operand {
                        Value::List(items) => (
                            String::new(),
                            Some(
                                items
                                    .iter()
                                    .map(|i| scalar_text(i, &op_at))
                                    .collect::<Parsed<Vec<_>>>()?,
                            ),
                        ),
                        one if *op == "in" => {
                            (String::new(), Some(vec![scalar_text(one, &op_at)?]))
                        }
                        one => (scalar_text(one, &op_at)?, None),
                    };
                    all.push(FilterTree::Field {
                        name: field.name.to_owned(),
                        op: (*op).to_owned(),
                        value,
                        list,
                        pointer: op_at,
                    });
                }
            }
        }
    }
    Ok(FilterTree::All(all))
}

impl<R: Listed> InputType for Filter<R> {
    type RawValueType = Self;

    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Filter", R::RESOURCE.name))
    }

    fn create_type_info(registry: &mut Registry) -> String {
        register_filter(R::RESOURCE, registry);
        Self::qualified_type_name()
    }

    fn parse(value: Option<Value>) -> InputValueResult<Self> {
        let tree = parse_tree(R::RESOURCE, &value.unwrap_or(Value::Null), "/filter")
            .map_err(InputValueError::custom)?;
        Ok(Self {
            tree,
            _r: PhantomData,
        })
    }

    fn to_value(&self) -> Value {
        Value::Null
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }
}

/// `LAST_NAME` for the field `last_name`, `ANALYTICS_CLV` for `analytics.clv`.
fn sort_value(field: &str) -> String {
    field.replace('.', "_").to_uppercase()
}

/// One sort key of the resource `R` (`ContactOrder`): a sortable field or a custom field, and
/// a direction.
pub struct Order<R: Listed> {
    /// The key as REST's `sort` writes it (`-updated_at`, `custom.tier`).
    pub key: String,
    _r: PhantomData<R>,
}

impl<R: Listed> InputType for Order<R> {
    type RawValueType = Self;

    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Order", R::RESOURCE.name))
    }

    fn create_type_info(registry: &mut Registry) -> String {
        let name = Self::type_name().into_owned();
        if !registry.types.contains_key(&name) {
            let fields_enum = format!("{}SortField", R::RESOURCE.name);
            let values: Vec<(String, Option<String>)> = R::RESOURCE
                .fields
                .iter()
                .filter(|f| f.sortable)
                .map(|f| (sort_value(f.name), Some(format!("`{}`.", f.name))))
                .collect();
            registry.types.insert(
                fields_enum.clone(),
                enum_type(
                    &fields_enum,
                    &format!("The fields {} records sort on.", R::RESOURCE.name),
                    &values,
                ),
            );
            if !registry.types.contains_key("SortDirection") {
                registry.types.insert(
                    "SortDirection".into(),
                    enum_type(
                        "SortDirection",
                        "A sort direction.",
                        &[
                            (
                                "ASC".into(),
                                Some("Smallest first (no value first).".into()),
                            ),
                            ("DESC".into(), Some("Largest first (no value last).".into())),
                        ],
                    ),
                );
            }
            let mut fields = vec![input(
                "field",
                &fields_enum,
                Some("The field to sort on (give this or `custom`).".into()),
            )];
            if R::RESOURCE.custom_fields {
                fields.push(input(
                    "custom",
                    "String",
                    Some("The key of a custom field to sort on (instead of `field`).".into()),
                ));
            }
            let mut direction = input("direction", "SortDirection!", Some("The direction.".into()));
            direction.default_value = Some("ASC".into());
            fields.push(direction);
            registry.types.insert(
                name.clone(),
                input_object(
                    &name,
                    format!(
                        "One sort key of {} records; later keys break ties of earlier ones, \
                         and the id breaks the last ties.",
                        R::RESOURCE.name
                    ),
                    fields,
                ),
            );
        }
        Self::qualified_type_name()
    }

    fn parse(value: Option<Value>) -> InputValueResult<Self> {
        let Some(Value::Object(map)) = value else {
            return Err(InputValueError::custom("/orderBy: expected an object"));
        };
        let get = |k: &str| map.get(&Name::new(k)).filter(|v| !matches!(v, Value::Null));
        let desc = matches!(get("direction"), Some(Value::Enum(d)) if d.as_str() == "DESC");
        let name = match (get("field"), get("custom")) {
            (Some(Value::Enum(f)), None) => R::RESOURCE
                .fields
                .iter()
                .find(|x| x.sortable && sort_value(x.name) == f.as_str())
                .map(|x| x.name.to_owned())
                .ok_or_else(|| InputValueError::custom("/orderBy/field: unknown field"))?,
            (None, Some(Value::String(key))) => format!("custom.{key}"),
            _ => {
                return Err(InputValueError::custom(
                    "/orderBy: give exactly one of `field` and `custom`",
                ));
            }
        };
        Ok(Self {
            key: if desc { format!("-{name}") } else { name },
            _r: PhantomData,
        })
    }

    fn to_value(&self) -> Value {
        Value::Null
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_camel_case() {
        assert_eq!(camel("last_name"), "lastName");
        assert_eq!(camel("starts_with"), "startsWith");
        assert_eq!(camel("analytics.abc_class"), "analyticsAbcClass");
        assert_eq!(sort_value("analytics.clv"), "ANALYTICS_CLV");
        assert_eq!(camel("id"), "id");
    }
}
