//! What a column may be mapped to, read from the resource's create body in the OpenAPI schema
//! (the one declaration every face is built from), and how a row's cells become that body.
//! Values are shaped by the field's type (a number column becomes a JSON number, a list
//! column JSON text or `;`-separated values); whether they are valid is decided by the same
//! deserialisation and domain rules as a single create.

use crm_core::{Error, FieldError};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use utoipa::openapi::schema::{SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};

/// The shape of a field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (also enums, dates, ids and decimals written as text).
    Text,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// `true`/`false` (also `yes`/`no`, `1`/`0`).
    Bool,
    /// A list: JSON text, or values separated by `;`.
    List,
    /// A free-form object: JSON text.
    Object,
}

/// The mapping targets of a resource.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    /// Fields and nested fields (`address.city`) of the create body.
    pub paths: BTreeMap<String, Kind>,
    /// Fields of one line (`lines.quantity`), for resources with lines.
    pub line_paths: BTreeMap<String, Kind>,
    /// Whether the resource has custom fields (`custom.<key>`).
    pub custom: bool,
    /// The organization's custom fields: key and type name.
    pub custom_keys: Vec<(String, &'static str)>,
    /// Whether rows may carry `external_id`.
    pub external_id: bool,
}

type Nested = Vec<(String, RefOr<Schema>)>;

fn resolve<'a>(schema: &'a RefOr<Schema>, nested: &'a Nested) -> Option<&'a Schema> {
    match schema {
        RefOr::T(Schema::OneOf(one)) => one.items.iter().find_map(|i| {
            let s = resolve(i, nested)?;
            match s {
                Schema::Object(o) if o.schema_type == SchemaType::Type(Type::Null) => None,
                s => Some(s),
            }
        }),
        RefOr::T(Schema::AllOf(all)) => all.items.iter().find_map(|i| resolve(i, nested)),
        RefOr::T(s) => Some(s),
        RefOr::Ref(r) => {
            let name = r.ref_location.rsplit('/').next()?;
            let (_, target) = nested.iter().find(|(n, _)| n == name)?;
            match target {
                RefOr::Ref(_) => None,
                t => resolve(t, nested),
            }
        }
    }
}

fn kind(schema: &Schema) -> Kind {
    match schema {
        Schema::Array(_) => Kind::List,
        Schema::Object(o) => {
            let t = match &o.schema_type {
                SchemaType::Type(t) => Some(t.clone()),
                SchemaType::Array(ts) => ts.iter().find(|t| **t != Type::Null).cloned(),
                SchemaType::AnyValue => None,
            };
            match t {
                Some(Type::String) => Kind::Text,
                Some(Type::Integer) => Kind::Integer,
                Some(Type::Number) => Kind::Number,
                Some(Type::Boolean) => Kind::Bool,
                Some(Type::Array) => Kind::List,
                _ => Kind::Object,
            }
        }
        _ => Kind::Text,
    }
}

fn properties(schema: &Schema) -> Option<impl Iterator<Item = (&String, &RefOr<Schema>)>> {
    match schema {
        Schema::Object(o) if !o.properties.is_empty() => Some(o.properties.iter()),
        _ => None,
    }
}

impl Fields {
    /// The targets of `T`, a create body: its fields, nested objects one level deep, the
    /// items of `lines` and their objects (`lines.unit_cost.amount`).
    pub fn of<T: ToSchema>(external_id: bool, custom_keys: Vec<(String, &'static str)>) -> Self {
        let mut nested = Vec::new();
        T::schemas(&mut nested);
        nested.push((T::name().into_owned(), T::schema()));
        let root = T::schema();
        let mut out = Fields {
            external_id,
            custom_keys,
            ..Fields::default()
        };
        let Some(top) = resolve(&root, &nested).and_then(properties) else {
            return out;
        };
        for (name, schema) in top {
            if name == "custom" {
                out.custom = true;
                continue;
            }
            let Some(s) = resolve(schema, &nested) else {
                out.paths.insert(name.clone(), Kind::Object);
                continue;
            };
            if let Schema::Array(a) = s
                && name == "lines"
                && let Some(item) = match &a.items {
                    utoipa::openapi::schema::ArrayItems::RefOrSchema(i) => resolve(i, &nested),
                    utoipa::openapi::schema::ArrayItems::False => None,
                }
                && let Some(props) = properties(item)
            {
                for (k, v) in props {
                    let resolved = resolve(v, &nested);
                    // A line's object (its unit cost) by its fields too.
                    if let Some(inner) = resolved.and_then(properties) {
                        for (kk, vv) in inner {
                            let kd = resolve(vv, &nested).map_or(Kind::Object, kind);
                            out.line_paths.insert(format!("lines.{k}.{kk}"), kd);
                        }
                    }
                    let kd = resolved.map_or(Kind::Object, kind);
                    out.line_paths.insert(format!("lines.{k}"), kd);
                }
                continue;
            }
            match properties(s) {
                Some(props) => {
                    for (k, v) in props {
                        let kd = resolve(v, &nested).map_or(Kind::Object, kind);
                        out.paths.insert(format!("{name}.{k}"), kd);
                    }
                    // The whole object as JSON text too.
                    out.paths.insert(name.clone(), Kind::Object);
                }
                None => {
                    out.paths.insert(name.clone(), kind(s));
                }
            }
        }
        out
    }

    /// The kind of `target`, or why it is no target of this resource.
    pub fn target(&self, target: &str) -> Result<Kind, String> {
        if let Some(k) = self
            .paths
            .get(target)
            .or_else(|| self.line_paths.get(target))
        {
            return Ok(*k);
        }
        if target == "external_id" {
            return if self.external_id {
                Ok(Kind::Text)
            } else {
                Err("this resource has no external id".to_owned())
            };
        }
        if let Some(key) = target.strip_prefix("custom.") {
            if !self.custom {
                return Err("this resource has no custom fields".to_owned());
            }
            return if let Some((_, t)) = self.custom_keys.iter().find(|(k, _)| k == key) {
                Ok(match *t {
                    "number" => Kind::Number,
                    "boolean" => Kind::Bool,
                    "multi_select" => Kind::List,
                    _ => Kind::Text,
                })
            } else {
                Err("is not a custom field of this resource".to_owned())
            };
        }
        Err("is not a field of this resource".to_owned())
    }

    /// Checks a mapping: every target a field of the resource, every column in the file (when
    /// its header is known). Errors point at `/options/mapping/<column>`.
    pub fn check(
        &self,
        mapping: &BTreeMap<String, String>,
        headers: &[String],
    ) -> Result<(), Error> {
        let mut errors = Vec::new();
        let pointer = |col: &str| {
            format!(
                "/options/mapping/{}",
                col.replace('~', "~0").replace('/', "~1")
            )
        };
        let mut taken: HashMap<&str, &str> = HashMap::new();
        for (col, target) in mapping {
            if let Some(first) = taken.insert(target.as_str(), col.as_str()) {
                errors.push(FieldError::new(
                    pointer(col),
                    "duplicate_target",
                    format!("`{target}` is already the target of column `{first}`"),
                ));
            }
            if let Err(why) = self.target(target) {
                errors.push(FieldError::new(
                    pointer(col),
                    "unknown_target",
                    format!("`{target}` {why}"),
                ));
            }
            if !headers.is_empty() && !headers.iter().any(|h| h == col) {
                errors.push(FieldError::new(
                    pointer(col),
                    "unknown_column",
                    format!("the file's header has no column `{col}`"),
                ));
            }
        }
        // A column the import reads must be named once in the header.
        let mut seen: HashMap<&str, ()> = HashMap::new();
        for h in headers {
            let used = if mapping.is_empty() {
                !h.is_empty()
            } else {
                mapping.contains_key(h)
            };
            if used && seen.insert(h.as_str(), ()).is_some() {
                errors.push(FieldError::new(
                    "/file",
                    "duplicate_column",
                    format!("the header names column `{h}` more than once"),
                ));
            }
        }
        if mapping.is_empty() {
            // Columns are named by their field: those that are fields must be known ones
            // (a column without a name, such as a trailing delimiter's, is ignored).
            for h in headers.iter().filter(|h| !h.is_empty()) {
                if let Err(why) = self.target(h) {
                    errors.push(FieldError::new(
                        "/options/mapping",
                        "unknown_column",
                        format!(
                            "without a mapping every column is named by its field: `{h}` {why}"
                        ),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(errors))
        }
    }
}

/// A row made into the create body.
#[derive(Debug, Default)]
pub struct Built {
    /// The body.
    pub body: Map<String, Value>,
    /// One line's fields (`lines.*`), if any.
    pub line: Option<Map<String, Value>>,
    /// The row's `external_id`.
    pub external_id: Option<String>,
    /// Which column each target came from (to name a refused field by its column).
    pub columns: HashMap<String, String>,
}

fn shaped(kind: Kind, cell: Value, csv: bool) -> Value {
    let Value::String(s) = cell else {
        return cell;
    };
    if !csv {
        return Value::String(s);
    }
    let t = s.trim();
    match kind {
        Kind::Text => Value::String(s),
        Kind::Integer => t
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::String(s)),
        Kind::Number if t.parse::<i64>().is_ok() => t
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::String(s)),
        Kind::Number => t
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::String(s)),
        Kind::Bool => match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Value::Bool(true),
            "false" | "no" | "n" | "0" => Value::Bool(false),
            _ => Value::String(s),
        },
        Kind::List => {
            if t.starts_with('[') {
                serde_json::from_str(t).unwrap_or(Value::String(s))
            } else {
                Value::Array(
                    t.split(';')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(|v| Value::String(v.to_owned()))
                        .collect(),
                )
            }
        }
        Kind::Object => {
            if t.starts_with('{') || t.starts_with('[') {
                serde_json::from_str(t).unwrap_or(Value::String(s))
            } else {
                Value::String(s)
            }
        }
    }
}

/// Makes a row's cells into the create body: each mapped column (every column named by a
/// field when the mapping is empty) at its target; empty cells are left out.
pub fn build(
    fields: &Fields,
    mapping: &BTreeMap<String, String>,
    cells: Vec<(String, Value)>,
    csv: bool,
) -> Built {
    let mut out = Built::default();
    for (col, cell) in cells {
        let target = if mapping.is_empty() {
            if col.is_empty() {
                continue;
            }
            col.clone()
        } else {
            match mapping.get(&col) {
                Some(t) => t.clone(),
                None => continue,
            }
        };
        if matches!(&cell, Value::String(s) if s.trim().is_empty()) || cell.is_null() {
            continue;
        }
        let Ok(kind) = fields.target(&target) else {
            if !csv {
                // NDJSON keys that are no target go to the body as they are: the body's own
                // rules refuse unknown fields with their name.
                out.body.insert(target.clone(), cell);
                out.columns.insert(target, col);
            }
            continue;
        };
        out.columns.insert(target.clone(), col);
        let value = shaped(kind, cell, csv);
        if target == "external_id" {
            out.external_id = Some(match value {
                Value::String(s) => s.trim().to_owned(),
                v => v.to_string(),
            });
            continue;
        }
        match target.strip_prefix("lines.") {
            Some(field) => insert_path(out.line.get_or_insert_with(Map::new), field, value),
            None => insert_path(&mut out.body, &target, value),
        }
    }
    out
}

/// Puts `value` at `path` in `object`: a plain key, or `head.field` inside the object `head`
/// (created when absent), as an address's `address.city` or a line's `unit_cost.amount`.
fn insert_path(object: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((head, field)) => {
            let slot = object
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = slot {
                m.insert(field.to_owned(), value);
            }
        }
        None => {
            object.insert(path.to_owned(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        let mut f = Fields {
            custom: true,
            custom_keys: vec![("tier".into(), "select")],
            ..Fields::default()
        };
        f.paths.insert("email".into(), Kind::Text);
        f.paths.insert("tags".into(), Kind::List);
        f.paths.insert("address.city".into(), Kind::Text);
        f.paths.insert("active".into(), Kind::Bool);
        f.line_paths.insert("lines.quantity".into(), Kind::Text);
        f
    }

    #[test]
    fn cells_become_the_body() {
        let mapping: BTreeMap<String, String> = [
            ("E-Mail", "email"),
            ("Ort", "address.city"),
            ("Tags", "tags"),
            ("Tier", "custom.tier"),
            ("Aktiv", "active"),
            ("Menge", "lines.quantity"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let cells = [
            ("E-Mail", "a@x.de"),
            ("Ort", "Köln"),
            ("Tags", "vip; b2b"),
            ("Tier", "gold"),
            ("Aktiv", "ja"),
            ("Menge", "2"),
            ("Other", "x"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), Value::String(b.to_owned())))
        .collect();
        let b = build(&fields(), &mapping, cells, true);
        assert_eq!(
            Value::Object(b.body),
            serde_json::json!({"email": "a@x.de", "address": {"city": "Köln"},
                "tags": ["vip", "b2b"], "custom": {"tier": "gold"}, "active": "ja"})
        );
        assert_eq!(
            b.line.map(Value::Object),
            Some(serde_json::json!({"quantity": "2"}))
        );
        assert_eq!(
            b.columns.get("address.city").map(String::as_str),
            Some("Ort")
        );
    }

    #[test]
    fn targets_come_from_the_create_bodies() {
        let c =
            Fields::of::<crm_customers::dto::NewContact>(false, vec![("score".into(), "number")]);
        for (t, k) in [
            ("email", Kind::Text),
            ("address.city", Kind::Text),
            ("address", Kind::Object),
            ("tags", Kind::List),
            ("custom.score", Kind::Number),
        ] {
            assert_eq!(c.target(t), Ok(k), "{t}");
        }
        assert!(c.target("external_id").is_err() && c.target("custom.nope").is_err());
        assert!(c.line_paths.is_empty());
        let o = Fields::of::<crm_sales::dto::NewOrder>(true, Vec::new());
        assert_eq!(o.target("lines.quantity"), Ok(Kind::Text));
        assert_eq!(o.target("lines.product_id"), Ok(Kind::Text));
        assert_eq!(o.target("external_id"), Ok(Kind::Text));
        assert!(o.target("custom.x").is_err());
    }

    #[test]
    fn unknown_targets_and_columns_are_named() {
        let mapping: BTreeMap<String, String> = [("Mail", "mail"), ("X", "custom.nope")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        let err = fields()
            .check(&mapping, &["Mail".to_owned()])
            .expect_err("refused");
        let pointers: Vec<&str> = err.fields.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            vec![
                "/options/mapping/Mail",
                "/options/mapping/X",
                "/options/mapping/X"
            ]
        );
    }
}
