//! Lists, the same on every resource: filters (`field=v`, `field[op]=v`, `custom.<key>[op]=v`),
//! multi-field sort (`sort=-updated_at,last_name`), full-text search (`q=`), and keyset
//! pagination on the sort keys plus the id (never OFFSET).
//!
//! NULLs sort as the smallest value on both engines (first ascending, last descending), so the
//! keyset predicate is exact. Unknown fields and operators are a 422 naming the parameter.

use crate::error::{Error, FieldError, Result};
use crate::{PageRequest, cursor};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, NullOrdering, Order, SimpleExpr};
use sea_orm::{DbBackend, Value as DbValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::search::search;
pub use crate::search::{search_text, tokens};

pub use crate::resource::{Field, Kind, Resource};

/// A custom field, usable as `custom.<key>`.
#[derive(Debug, Clone)]
pub struct CustomField {
    /// Its key.
    pub key: String,
    /// How it compares.
    pub kind: Kind,
}

/// The parameters of a list request.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    /// Filter parameters as given (`name` or `name[op]`, raw value).
    pub filters: Vec<(String, String)>,
    /// `sort`, such as `-updated_at,last_name`.
    pub sort: Option<String>,
    /// Full-text search.
    pub q: Option<String>,
    /// Page size and cursor.
    pub page: PageRequest,
}

impl ListParams {
    /// Whether a filter or the sort names a custom field (`custom.<key>`), so that the list
    /// needs the custom field definitions at all.
    pub fn uses_custom_fields(&self) -> bool {
        self.filters.iter().any(|(k, _)| k.starts_with("custom."))
            || self.sort.as_deref().is_some_and(|s| {
                s.split(',').any(|k| {
                    k.trim_start_matches(['-', '+'])
                        .trim()
                        .starts_with("custom.")
                })
            })
    }

    /// Splits query pairs into the reserved parameters and the filters.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self> {
        let mut p = ListParams::default();
        for (k, v) in pairs {
            match k.as_str() {
                "limit" => {
                    let n = v.parse::<u64>().map_err(|_| {
                        Error::invalid_field(
                            "/limit",
                            "invalid_type",
                            "must be a whole number from 1 to 100",
                        )
                    })?;
                    p.page.limit = Some(n);
                }
                "cursor" => p.page.cursor = Some(v),
                "sort" => p.sort = Some(v),
                "q" => p.q = Some(v),
                _ => p.filters.push((k, v)),
            }
        }
        Ok(p)
    }
}

#[derive(Debug, Clone)]
struct SortKey {
    name: String,
    expr: String,
    kind: Kind,
    desc: bool,
    nullable: bool,
}

/// A planned list query: apply [`Plan::condition`] and [`Plan::order`] to the select, fetch
/// `limit + 1` rows, and build the next cursor with [`Plan::cursor_for`].
#[derive(Debug)]
pub struct Plan {
    /// Filters, search and the keyset predicate.
    pub condition: Condition,
    /// ORDER BY terms, the id last.
    pub order: Vec<(SimpleExpr, Order, Option<NullOrdering>)>,
    /// Page size.
    pub limit: u64,
    keys: Vec<SortKey>,
    signature: String,
}

#[derive(Serialize, Deserialize)]
struct CursorData {
    s: String,
    v: Vec<Value>,
    id: Uuid,
}

/// A custom SQL expression with `?` placeholders, written for `backend`: sea-query takes
/// `$1`-style placeholders on PostgreSQL (where a literal `$` is written `$$`).
pub fn bind<I>(backend: DbBackend, template: &str, values: I) -> SimpleExpr
where
    I: IntoIterator<Item = DbValue>,
{
    match backend {
        DbBackend::Postgres => {
            let mut out = String::with_capacity(template.len() + 8);
            let mut n = 0;
            for ch in template.chars() {
                match ch {
                    '?' => {
                        n += 1;
                        out.push_str(&format!("${n}"));
                    }
                    '$' => out.push_str("$$"),
                    c => out.push(c),
                }
            }
            Expr::cust_with_values(out, values)
        }
        _ => Expr::cust_with_values(template.to_owned(), values),
    }
}

fn bad(pointer: &str, code: &str, message: impl Into<String>) -> Error {
    Error::validation(vec![FieldError::new(pointer, code, message)])
}

fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && key.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The SQL expression of a custom field's value.
fn custom_expr(backend: DbBackend, key: &str, kind: Kind) -> String {
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
fn typed(kind: Kind, raw: &str, pointer: &str) -> Result<DbValue> {
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

fn json_to_db(kind: Kind, v: &Value) -> Result<DbValue> {
    let bad_cursor = || bad("/cursor", "invalid_cursor", "is not a valid cursor");
    Ok(match (kind, v) {
        (Kind::Number, Value::Number(n)) => n.as_f64().ok_or_else(bad_cursor)?.into(),
        (Kind::Number, Value::String(s)) => s.parse::<f64>().map_err(|_| bad_cursor())?.into(),
        (Kind::Bool, Value::Bool(b)) => (*b).into(),
        (_, Value::String(s)) => typed(kind, s, "/cursor")?,
        _ => return Err(bad_cursor()),
    })
}

fn escape_like(s: &str) -> String {
    s.to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Membership of `value` in the JSON array at `expr` (a column or a custom field).
fn member(backend: DbBackend, expr: &str, sqlite_each: &str, value: DbValue) -> SimpleExpr {
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

fn filter(
    backend: DbBackend,
    expr: &str,
    sqlite_each: &str,
    kind: Kind,
    op: &str,
    raw: &str,
    pointer: &str,
) -> Result<SimpleExpr> {
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
                for part in raw.split(',').filter(|s| !s.is_empty()) {
                    any = any.add(member(backend, expr, sqlite_each, part.to_owned().into()));
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
            let values = raw
                .split(',')
                .filter(|s| !s.is_empty())
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
        &format!("/custom/{key}"),
    )
}

/// Resolves a field name (documented or `custom.<key>`) to its expression and kind.
fn resolve(
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

/// Plans a list query for `params`.
pub fn plan(
    backend: DbBackend,
    resource: &Resource,
    custom: &[CustomField],
    params: &ListParams,
) -> Result<Plan> {
    let limit = params.page.limit()?;
    let mut condition = Condition::all();
    let mut errors = Vec::new();
    for (param, raw) in &params.filters {
        let pointer = format!("/{param}");
        let (name, op) = match param.split_once('[') {
            Some((name, rest)) => match rest.strip_suffix(']') {
                Some(op) => (name, op),
                None => {
                    errors.push(FieldError::new(
                        &pointer,
                        "unknown_operator",
                        "write field[op]=value",
                    ));
                    continue;
                }
            },
            None => (param.as_str(), "eq"),
        };
        let built = resolve(backend, resource, custom, name, &pointer).and_then(
            |(expr, each, kind, _, _)| filter(backend, &expr, &each, kind, op, raw, &pointer),
        );
        match built {
            Ok(e) => condition = condition.add(e),
            Err(e) => errors.extend(e.fields),
        }
    }
    if !errors.is_empty() {
        return Err(Error::validation(errors));
    }
    if params.q.is_some() && resource.fts_table.is_empty() {
        return Err(bad(
            "/q",
            "unknown_field",
            "this list has no full-text search; use filters",
        ));
    }
    if let Some(q) = params.q.as_deref()
        && let Some(e) = search(backend, resource.fts_table, q)?
    {
        condition = condition.add(e);
    }

    let sort = params
        .sort
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(resource.default_sort);
    let mut keys = Vec::new();
    for part in sort.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (desc, name) = match part.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, part.strip_prefix('+').unwrap_or(part)),
        };
        let (expr, _, kind, sortable, nullable) =
            resolve(backend, resource, custom, name, "/sort")?;
        if !sortable || kind == Kind::Tags {
            return Err(bad(
                "/sort",
                "unsortable",
                format!("`{name}` cannot be sorted on"),
            ));
        }
        if keys.iter().any(|k: &SortKey| k.name == name) || keys.len() >= 4 {
            return Err(bad(
                "/sort",
                "invalid_value",
                "sort on at most 4 distinct fields",
            ));
        }
        keys.push(SortKey {
            name: name.to_owned(),
            expr,
            kind,
            desc,
            nullable,
        });
    }
    let signature = keys
        .iter()
        .map(|k| format!("{}{}", if k.desc { "-" } else { "" }, k.name))
        .collect::<Vec<_>>()
        .join(",");
    let id_desc = keys.last().is_some_and(|k| k.desc);

    let mut order = Vec::new();
    for k in &keys {
        let (ord, nulls) = if k.desc {
            (Order::Desc, NullOrdering::Last)
        } else {
            (Order::Asc, NullOrdering::First)
        };
        order.push((Expr::cust(k.expr.clone()), ord, k.nullable.then_some(nulls)));
    }
    order.push((
        Expr::cust("id"),
        if id_desc { Order::Desc } else { Order::Asc },
        None,
    ));

    if let Some(c) = &params.page.cursor {
        let data: CursorData = cursor::decode(c)?;
        if data.s != signature || data.v.len() != keys.len() {
            return Err(bad(
                "/cursor",
                "invalid_cursor",
                "was made for another sort",
            ));
        }
        // Non-null keys all sorted the same way as the id: one row-value comparison, which the
        // index answers as a range (an OR of conditions would be a filter scanning from the top,
        // making deep pages slower the deeper they are).
        if keys.iter().all(|k| !k.nullable && k.desc == id_desc)
            && data.v.iter().all(|v| !v.is_null())
        {
            let mut values = Vec::with_capacity(keys.len() + 1);
            for (k, v) in keys.iter().zip(&data.v) {
                values.push(json_to_db(k.kind, v)?);
            }
            values.push(DbValue::from(data.id));
            let lhs: Vec<&str> = keys.iter().map(|k| k.expr.as_str()).chain(["id"]).collect();
            let marks = vec!["?"; lhs.len()].join(", ");
            let op = if id_desc { "<" } else { ">" };
            condition = condition.add(bind(
                backend,
                &format!("({}) {op} ({marks})", lhs.join(", ")),
                values,
            ));
            return Ok(Plan {
                condition,
                order,
                limit,
                keys,
                signature,
            });
        }
        let mut any = Condition::any();
        let mut prefix: Vec<SimpleExpr> = Vec::new();
        for (k, v) in keys.iter().zip(&data.v) {
            let after = if v.is_null() {
                if k.desc {
                    Expr::cust("1 = 0")
                } else {
                    Expr::cust(format!("{} IS NOT NULL", k.expr))
                }
            } else {
                let val = json_to_db(k.kind, v)?;
                match (k.desc, k.nullable) {
                    (false, _) => bind(backend, &format!("{} > ?", k.expr), [val]),
                    (true, false) => bind(backend, &format!("{} < ?", k.expr), [val]),
                    (true, true) => bind(
                        backend,
                        &format!("({e} < ? OR {e} IS NULL)", e = k.expr),
                        [val],
                    ),
                }
            };
            let mut all = Condition::all();
            for p in &prefix {
                all = all.add(p.clone());
            }
            any = any.add(all.add(after));
            prefix.push(if v.is_null() {
                Expr::cust(format!("{} IS NULL", k.expr))
            } else {
                bind(
                    backend,
                    &format!("{} = ?", k.expr),
                    [json_to_db(k.kind, v)?],
                )
            });
        }
        let mut all = Condition::all();
        for p in &prefix {
            all = all.add(p.clone());
        }
        let id_after = bind(
            backend,
            if id_desc { "id < ?" } else { "id > ?" },
            [DbValue::from(data.id)],
        );
        any = any.add(all.add(id_after));
        condition = condition.add(any);
    }
    Ok(Plan {
        condition,
        order,
        limit,
        keys,
        signature,
    })
}

impl Plan {
    /// Applies the filters, the keyset predicate, the order and `limit + 1` (the extra row only
    /// tells that another page follows) to a select.
    pub fn apply<E: sea_orm::EntityTrait>(&self, query: sea_orm::Select<E>) -> sea_orm::Select<E> {
        use sea_orm::{QueryFilter, QueryOrder, QuerySelect};
        let mut query = query.filter(self.condition.clone());
        for (expr, order, nulls) in &self.order {
            query = match nulls {
                Some(n) => query.order_by_with_nulls(expr.clone(), order.clone(), *n),
                None => query.order_by(expr.clone(), order.clone()),
            };
        }
        query.limit(self.limit + 1)
    }

    /// The cursor after a row, given the row as its API JSON and its id.
    pub fn cursor_for(&self, row: &Value, id: Uuid) -> String {
        let v = self
            .keys
            .iter()
            .map(|k| match k.name.strip_prefix("custom.") {
                Some(key) => row["custom"][key].clone(),
                None => row[k.name.as_str()].clone(),
            })
            .collect();
        cursor::encode(&CursorData {
            s: self.signature.clone(),
            v,
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lists_naming_a_custom_field_need_the_definitions() {
        let p = |pairs: &[(&str, &str)]| {
            ListParams::from_pairs(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
            .unwrap()
        };
        assert!(
            !p(&[("lifecycle_stage", "customer"), ("sort", "-created_at")]).uses_custom_fields()
        );
        assert!(!p(&[("q", "custom.x")]).uses_custom_fields());
        assert!(p(&[("custom.tier[gte]", "2")]).uses_custom_fields());
        assert!(p(&[("sort", "last_name,-custom.tier")]).uses_custom_fields());
    }

    const FIELDS: &[Field] = &[
        Field::sort("created_at", "created_at", Kind::DateTime, false),
        Field::sort("last_name", "last_name", Kind::Text, true),
        Field::filter("tags", "tags", Kind::Tags),
    ];
    const RES: Resource = Resource {
        fts_table: "t_fts",
        fields: FIELDS,
        default_sort: "-created_at",
    };

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        ListParams::from_pairs(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn unknown_fields_and_operators_are_named() {
        let e = plan(
            DbBackend::Postgres,
            &RES,
            &[],
            &params(&[("colour", "red"), ("last_name[like]", "x")]),
        )
        .unwrap_err();
        let pointers: Vec<_> = e.fields.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, vec!["/colour", "/last_name[like]"]);
        assert!(plan(DbBackend::Sqlite, &RES, &[], &params(&[("sort", "tags")])).is_err());
        assert!(
            plan(
                DbBackend::Sqlite,
                &RES,
                &[],
                &params(&[("sort", "-last_name,created_at")])
            )
            .is_ok()
        );
    }

    #[test]
    fn cursors_are_bound_to_their_sort() {
        let p = plan(
            DbBackend::Sqlite,
            &RES,
            &[],
            &params(&[("sort", "last_name")]),
        )
        .unwrap();
        let c = p.cursor_for(&serde_json::json!({"last_name": null}), Uuid::nil());
        assert!(
            plan(
                DbBackend::Sqlite,
                &RES,
                &[],
                &params(&[("sort", "last_name"), ("cursor", &c)])
            )
            .is_ok()
        );
        assert!(
            plan(
                DbBackend::Sqlite,
                &RES,
                &[],
                &params(&[("sort", "-created_at"), ("cursor", &c)])
            )
            .is_err()
        );
    }
}
