//! The condition of one filter (`field[op]=value`) on a documented or custom field, and the
//! typed parsing of its values.

use super::{CustomField, Kind, Resource, bind};
use crate::error::{Error, FieldError, Result};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, SimpleExpr};
use sea_orm::{DbBackend, Value as DbValue};
use serde_json::Value;
use uuid::Uuid;

pub(super) fn bad(pointer: &str, code: &str, message: impl Into<String>) -> Error {
    Error::validation(vec![FieldError::new(pointer, code, message)])
}

pub(super) fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && key.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The SQL expression of a custom field's value.
pub(super) fn custom_expr(backend: DbBackend, key: &str, kind: Kind) -> String {
    match (backend, kind) {
        (DbBackend::Postgres, Kind::Number) => format!("((custom->>'{key}')::numeric)"),
        (DbBackend::Postgres, Kind::Bool) => format!("((custom->>'{key}')::boolean)"),
        (DbBackend::Postgres, Kind::Tags) => format!("(custom->'{key}')"),
        (DbBackend::Postgres, _) => format!("(custom->>'{key}')"),
        (_, Kind::Number) => format!("CAST(json_extract(custom, '$.{key}') AS REAL)"),
        (_, _) => format!("json_extract(custom, '$.{key}')"),
    }
}

/// Parses a raw value for a field of `kind`.
pub(super) fn typed(kind: Kind, raw: &str, pointer: &str) -> Result<DbValue> {
    let wrong = |what: &str| bad(pointer, "invalid_value", format!("must be {what}"));
    Ok(match kind {
        Kind::Text | Kind::Tags => raw.to_owned().into(),
        Kind::Email => raw.to_lowercase().into(),
        Kind::Uuid => Uuid::parse_str(raw).map_err(|_| wrong("a UUID"))?.into(),
        Kind::DateTime => DateTime::parse_from_rfc3339(raw)
            .map_err(|_| wrong("an RFC 3339 timestamp"))?
            .with_timezone(&Utc)
            .into(),
        Kind::Date => {
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| wrong("a date YYYY-MM-DD"))?;
            raw.to_owned().into()
        }
        Kind::Enum(allowed) => {
            if !allowed.contains(&raw) {
                return Err(wrong(&format!("one of {}", allowed.join(", "))));
            }
            raw.to_owned().into()
        }
        Kind::Bool => match raw {
            "true" => true.into(),
            "false" => false.into(),
            _ => return Err(wrong("true or false")),
        },
        Kind::Number => raw.parse::<f64>().map_err(|_| wrong("a number"))?.into(),
    })
}

pub(super) fn json_to_db(kind: Kind, v: &Value) -> Result<DbValue> {
    let bad_cursor = || bad("/cursor", "invalid_cursor", "is not a valid cursor");
    Ok(match (kind, v) {
        (Kind::Number, Value::Number(n)) => n.as_f64().ok_or_else(bad_cursor)?.into(),
        (Kind::Number, Value::String(s)) => s.parse::<f64>().map_err(|_| bad_cursor())?.into(),
        (Kind::Bool, Value::Bool(b)) => (*b).into(),
        (_, Value::String(s)) => typed(kind, s, "/cursor")?,
        _ => return Err(bad_cursor()),
    })
}

pub(super) fn escape_like(s: &str) -> String {
    s.to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Membership of `value` in the JSON array at `expr` (a column or a custom field).
pub(super) fn member(
    backend: DbBackend,
    expr: &str,
    sqlite_each: &str,
    value: DbValue,
) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => bind(
            backend,
            &format!("{expr} @> jsonb_build_array(CAST(? AS text))"),
            [value],
        ),
        _ => bind(
            backend,
            &format!("EXISTS (SELECT 1 FROM json_each({sqlite_each}) WHERE json_each.value = ?)"),
            [value],
        ),
    }
}

/// The condition `expr op raw` on a field of `kind`. `in` takes `list` when given (GraphQL's
/// typed lists), else the comma-separated `raw` (REST).
#[allow(clippy::too_many_arguments)]
pub(super) fn filter(
    backend: DbBackend,
    expr: &str,
    sqlite_each: &str,
    kind: Kind,
    op: &str,
    raw: &str,
    list: Option<&[String]>,
    pointer: &str,
) -> Result<SimpleExpr> {
    let parts: Vec<&str> = match list {
        Some(l) => l.iter().map(String::as_str).collect(),
        None => raw.split(',').filter(|s| !s.is_empty()).collect(),
    };
    if !kind.operators().contains(&op) {
        return Err(bad(
            pointer,
            "unknown_operator",
            format!("operators of this field: {}", kind.operators().join(", ")),
        ));
    }
    let lhs = if kind == Kind::Email {
        format!("LOWER({expr})")
    } else {
        expr.to_owned()
    };
    if op == "is_null" {
        return match raw {
            "true" => Ok(Expr::cust(format!("{expr} IS NULL"))),
            "false" => Ok(Expr::cust(format!("{expr} IS NOT NULL"))),
            _ => Err(bad(pointer, "invalid_value", "must be true or false")),
        };
    }
    if kind == Kind::Tags {
        return match op {
            "eq" | "contains" => Ok(member(
                backend,
                expr,
                sqlite_each,
                typed(kind, raw, pointer)?,
            )),
            "in" => {
                let mut any = Condition::any();
                for part in &parts {
                    any = any.add(member(
                        backend,
                        expr,
                        sqlite_each,
                        (*part).to_owned().into(),
                    ));
                }
                Ok(SimpleExpr::from(any))
            }
            _ => Err(bad(
                pointer,
                "unknown_operator",
                "tags support eq, contains, in and is_null",
            )),
        };
    }
    let cmp = |sql_op: &str| -> Result<SimpleExpr> {
        Ok(bind(
            backend,
            &format!("{lhs} {sql_op} ?"),
            [typed(kind, raw, pointer)?],
        ))
    };
    match op {
        "eq" => cmp("="),
        "ne" => Ok(bind(
            backend,
            &format!("({lhs} <> ? OR {expr} IS NULL)"),
            [typed(kind, raw, pointer)?],
        )),
        "gt" => cmp(">"),
        "gte" => cmp(">="),
        "lt" => cmp("<"),
        "lte" => cmp("<="),
        "in" => {
            let values = parts
                .iter()
                .map(|s| typed(kind, s, pointer))
                .collect::<Result<Vec<_>>>()?;
            if values.is_empty() || values.len() > 100 {
                return Err(bad(
                    pointer,
                    "invalid_value",
                    "must list 1 to 100 comma-separated values",
                ));
            }
            let marks = vec!["?"; values.len()].join(", ");
            Ok(bind(backend, &format!("{lhs} IN ({marks})"), values))
        }
        "contains" | "starts_with" if matches!(kind, Kind::Text | Kind::Email) => {
            let pattern = match op {
                "contains" => format!("%{}%", escape_like(raw)),
                _ => format!("{}%", escape_like(raw)),
            };
            Ok(bind(
                backend,
                &format!("LOWER({expr}) LIKE ? ESCAPE '\\'"),
                [DbValue::from(pattern)],
            ))
        }
        "contains" | "starts_with" => Err(bad(
            pointer,
            "unknown_operator",
            "contains and starts_with apply to text fields",
        )),
        _ => Err(bad(
            pointer,
            "unknown_operator",
            "operators: eq, ne, gt, gte, lt, lte, in, contains, starts_with, is_null",
        )),
    }
}

/// A condition `custom.<key> = raw` for uniqueness checks of custom values.
pub fn custom_equals(backend: DbBackend, key: &str, kind: Kind, raw: &str) -> Result<SimpleExpr> {
    if !is_valid_key(key) {
        return Err(bad("/custom", "unknown_field", "invalid custom field key"));
    }
    let expr = custom_expr(backend, key, kind);
    filter(
        backend,
        &expr,
        &format!("custom, '$.{key}'"),
        kind,
        "eq",
        raw,
        None,
        &format!("/custom/{key}"),
    )
}

/// Resolves a field name (documented or `custom.<key>`) to its expression and kind.
pub(super) fn resolve(
    backend: DbBackend,
    resource: &Resource,
    custom: &[CustomField],
    name: &str,
    pointer: &str,
) -> Result<(String, String, Kind, bool, bool)> {
    if let Some(key) = name.strip_prefix("custom.") {
        let def = custom
            .iter()
            .find(|c| c.key == key && is_valid_key(key))
            .ok_or_else(|| {
                bad(
                    pointer,
                    "unknown_field",
                    format!("`{key}` is not a custom field of this resource"),
                )
            })?;
        let expr = custom_expr(backend, key, def.kind);
        let each = format!("custom, '$.{key}'");
        return Ok((expr, each, def.kind, true, true));
    }
    let field = resource
        .fields
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| {
            bad(
                pointer,
                "unknown_field",
                format!("`{name}` is not a filterable field of this resource"),
            )
        })?;
    Ok((
        field.column.to_owned(),
        field.column.to_owned(),
        field.kind,
        field.sortable,
        field.nullable,
    ))
}
