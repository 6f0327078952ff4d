//! Sorting and filtering a report's items in SQL, for reports read page by page from a table
//! (the monthly revenue rollups) rather than built whole in memory: the same fields, operators
//! and 422s as [`super::items`], rendered as `WHERE` conditions and `ORDER BY` keys.

use super::items::{Condition, Fields, Kind, Val, bad, check};
use crate::dto::AnalysisParams;
use crate::dto_items::ItemFilterOp;
use crate::error::Result;
use crm_core::Error;
use crm_core::db::Params;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::DbBackend;
use uuid::Uuid;

/// How a column holds an item field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    /// A UUID (compared as one; `contains` and `starts_with` do not apply).
    Uuid,
    /// Text.
    Text,
    /// An integer.
    Integer,
    /// A decimal kept as text (compared as `numeric` on PostgreSQL, as a double on SQLite).
    DecimalText,
}

/// A report's columns: the item field, its SQL expression, and how it is stored.
pub(crate) type Columns = &'static [(&'static str, &'static str, Stored)];

/// The conditions and sort keys of `params.items` as SQL over `columns`.
#[derive(Debug, Default)]
pub(crate) struct ItemSql {
    /// Conditions, each beginning with ` AND `, to append to a `WHERE` clause.
    pub conditions: String,
    /// Sort keys (`expr DESC NULLS LAST`), to put before the report's own order.
    pub order: Vec<String>,
}

fn column(columns: Columns, field: &str) -> Result<(&'static str, Stored)> {
    columns
        .iter()
        .find(|(f, _, _)| *f == field)
        .map(|(_, e, s)| (*e, *s))
        .ok_or_else(|| {
            Error::internal(format!("the report's field `{field}` has no column")).into()
        })
}

/// The expression of `expr` as it compares.
fn compared(expr: &str, stored: Stored, backend: DbBackend) -> String {
    match (stored, backend) {
        (Stored::DecimalText, DbBackend::Postgres) => format!("CAST({expr} AS numeric)"),
        (Stored::DecimalText, _) => format!("CAST({expr} AS REAL)"),
        _ => expr.to_owned(),
    }
}

/// The placeholder of one filter value, its value pushed onto `p`.
fn value(
    v: &Val,
    stored: Stored,
    field: &str,
    p: &mut Params,
    backend: DbBackend,
) -> Result<String> {
    Ok(match (v, stored) {
        (Val::Text(t), Stored::Uuid) => {
            let id = Uuid::parse_str(t).map_err(|_| {
                Error::validation(vec![bad(
                    &format!("/{field}"),
                    "invalid_value",
                    "must be a UUID",
                )])
            })?;
            p.push(id)
        }
        (Val::Text(t), _) => p.push(t.clone()),
        (Val::Num(n), _) => p.push(*n),
        (Val::Dec(d), _) if backend == DbBackend::Postgres => {
            format!("CAST({} AS numeric)", p.push(d.to_string()))
        }
        (Val::Dec(d), _) => p.push(d.to_f64().unwrap_or(0.0)),
        (Val::Bool(b), _) => p.push(*b),
        (Val::Null, _) => "NULL".to_owned(),
    })
}

/// `%` and `_` taken literally in a `LIKE` pattern.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn condition(
    c: &Condition,
    columns: Columns,
    p: &mut Params,
    backend: DbBackend,
) -> Result<String> {
    let (expr, stored) = column(columns, &c.field)?;
    let e = compared(expr, stored, backend);
    let first = c.values.first().unwrap_or(&Val::Null);
    let cmp = |op: &str, p: &mut Params| -> Result<String> {
        Ok(format!(
            "{e} {op} {}",
            value(first, stored, &c.field, p, backend)?
        ))
    };
    Ok(match c.op {
        ItemFilterOp::IsNull => {
            if matches!(first, Val::Bool(true)) {
                format!("{expr} IS NULL")
            } else {
                format!("{expr} IS NOT NULL")
            }
        }
        ItemFilterOp::Eq => cmp("=", p)?,
        ItemFilterOp::Ne => cmp("<>", p)?,
        ItemFilterOp::Gt => cmp(">", p)?,
        ItemFilterOp::Gte => cmp(">=", p)?,
        ItemFilterOp::Lt => cmp("<", p)?,
        ItemFilterOp::Lte => cmp("<=", p)?,
        ItemFilterOp::In => {
            let mut list = Vec::with_capacity(c.values.len());
            for v in &c.values {
                list.push(value(v, stored, &c.field, p, backend)?);
            }
            format!("{e} IN ({})", list.join(", "))
        }
        ItemFilterOp::Contains | ItemFilterOp::StartsWith => {
            if stored != Stored::Text || c.kind != Kind::Text {
                return Err(Error::validation(vec![bad(
                    &format!("/{}", c.field),
                    "invalid_operator",
                    "applies to text fields only",
                )])
                .into());
            }
            let Val::Text(t) = first else {
                return Err(Error::internal("a text filter without text").into());
            };
            let pattern = match c.op {
                ItemFilterOp::Contains => format!("%{}%", like_escaped(t)),
                _ => format!("{}%", like_escaped(t)),
            };
            format!("lower({expr}) LIKE {} ESCAPE '\\'", p.push(pattern))
        }
    })
}

/// Checks `params.items` against `fields` (the 422s of the in-memory reports) and renders it
/// over `columns`, its values pushed onto `p`. Nulls sort last in both directions, as in
/// memory.
pub(crate) fn render(
    params: &AnalysisParams,
    fields: Fields,
    columns: Columns,
    p: &mut Params,
    backend: DbBackend,
) -> Result<ItemSql> {
    let (sort, conditions) = check(&params.items, fields)?;
    let mut out = ItemSql::default();
    for c in &conditions {
        out.conditions.push_str(" AND ");
        out.conditions.push_str(&condition(c, columns, p, backend)?);
    }
    for (field, _, descending) in &sort {
        let (expr, stored) = column(columns, field)?;
        out.order.push(format!(
            "{} {} NULLS LAST",
            compared(expr, stored, backend),
            if *descending { "DESC" } else { "ASC" }
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto_items::{ItemFilter, ItemQuery, ItemSort};

    const FIELDS: Fields = &[
        ("id", Kind::Text),
        ("name", Kind::Text),
        ("revenue", Kind::Decimal),
    ];
    const COLUMNS: Columns = &[
        ("id", "subject_id", Stored::Uuid),
        ("name", "name", Stored::Text),
        ("revenue", "revenue", Stored::DecimalText),
    ];

    fn params(sort: &[(&str, bool)], filters: &[(&str, ItemFilterOp, &str)]) -> AnalysisParams {
        AnalysisParams {
            items: ItemQuery {
                sort: sort
                    .iter()
                    .map(|(f, d)| ItemSort {
                        field: f.to_string(),
                        descending: *d,
                    })
                    .collect(),
                filters: filters
                    .iter()
                    .map(|(f, op, v)| ItemFilter {
                        field: f.to_string(),
                        op: *op,
                        value: v.to_string(),
                    })
                    .collect(),
            },
            ..AnalysisParams::default()
        }
    }

    #[test]
    fn renders_conditions_and_keys() {
        let mut p = Params::new(DbBackend::Postgres);
        let q = params(
            &[("revenue", true), ("name", false)],
            &[
                ("revenue", ItemFilterOp::Gte, "10.5"),
                ("name", ItemFilterOp::Contains, "50%_off"),
                ("id", ItemFilterOp::IsNull, "false"),
            ],
        );
        let sql = render(&q, FIELDS, COLUMNS, &mut p, DbBackend::Postgres).unwrap();
        assert_eq!(
            sql.conditions,
            " AND CAST(revenue AS numeric) >= CAST($1 AS numeric) \
             AND lower(name) LIKE $2 ESCAPE '\\' AND subject_id IS NOT NULL"
        );
        assert_eq!(
            sql.order,
            [
                "CAST(revenue AS numeric) DESC NULLS LAST",
                "name ASC NULLS LAST"
            ]
        );
        assert_eq!(p.values.len(), 2);
        assert_eq!(
            p.values[1],
            sea_orm::Value::from("%50\\%\\_off%".to_owned())
        );
        let mut s = Params::new(DbBackend::Sqlite);
        let sql = render(&q, FIELDS, COLUMNS, &mut s, DbBackend::Sqlite).unwrap();
        assert!(
            sql.conditions
                .starts_with(" AND CAST(revenue AS REAL) >= ?1")
        );
        assert_eq!(s.values[0], sea_orm::Value::from(10.5f64));
    }

    #[test]
    fn refuses_what_a_column_cannot_take() {
        let mut p = Params::new(DbBackend::Sqlite);
        let not_uuid = params(&[], &[("id", ItemFilterOp::Eq, "x")]);
        assert!(render(&not_uuid, FIELDS, COLUMNS, &mut p, DbBackend::Sqlite).is_err());
        let like_uuid = params(&[], &[("id", ItemFilterOp::Contains, "ab")]);
        assert!(render(&like_uuid, FIELDS, COLUMNS, &mut p, DbBackend::Sqlite).is_err());
        let unknown = params(&[("nope", false)], &[]);
        assert!(render(&unknown, FIELDS, COLUMNS, &mut p, DbBackend::Sqlite).is_err());
        let in_list = params(&[], &[("revenue", ItemFilterOp::In, "1,2.5")]);
        let sql = render(&in_list, FIELDS, COLUMNS, &mut p, DbBackend::Sqlite).unwrap();
        assert_eq!(sql.conditions, " AND CAST(revenue AS REAL) IN (?1, ?2)");
    }
}
