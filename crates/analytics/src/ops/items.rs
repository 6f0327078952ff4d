//! Sorting and filtering a report's items (`AnalysisParams::items`) before its page is cut:
//! every field a report lists here is sortable and filterable, with the lists' operators;
//! an unknown field, a wrong operator or a value of the wrong kind is a 422 naming it.

use super::revenue::page;
use crate::dto::AnalysisParams;
use crate::dto_items::{ItemFilter, ItemFilterOp, ItemQuery};
use crate::error::Result;
use crm_core::{Error, FieldError};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::cmp::Ordering;
use std::str::FromStr;

/// How a field's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text (and dates, which compare as `YYYY-MM-DD` text; ids).
    Text,
    /// A JSON number.
    Number,
    /// A decimal string (money, shares).
    Decimal,
    /// `true` or `false`.
    Bool,
}

/// A report's sortable and filterable item fields, by their JSON names.
pub(crate) type Fields = &'static [(&'static str, Kind)];

/// One comparable value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Val {
    Null,
    Text(String),
    Num(f64),
    Dec(Decimal),
    Bool(bool),
}

impl Val {
    fn cmp(&self, other: &Val) -> Option<Ordering> {
        match (self, other) {
            (Val::Text(a), Val::Text(b)) => Some(a.cmp(b)),
            (Val::Num(a), Val::Num(b)) => Some(a.total_cmp(b)),
            (Val::Dec(a), Val::Dec(b)) => Some(a.cmp(b)),
            (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// `cumulativeShare` (GraphQL) as `cumulative_share`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn bad(pointer: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(pointer, code, message)
}

/// The item's value of a field.
fn item_value(v: &Value, kind: Kind) -> Val {
    match (v, kind) {
        (Value::Null, _) => Val::Null,
        (Value::Number(n), _) => n.as_f64().map_or(Val::Null, Val::Num),
        (Value::Bool(b), _) => Val::Bool(*b),
        (Value::String(s), Kind::Decimal) => Decimal::from_str(s).map_or(Val::Null, Val::Dec),
        (Value::String(s), _) => Val::Text(s.clone()),
        _ => Val::Null,
    }
}

/// A filter's value, for a field of `kind`.
fn argument(raw: &str, kind: Kind, pointer: &str) -> std::result::Result<Val, FieldError> {
    let raw = raw.trim();
    match kind {
        Kind::Text => Ok(Val::Text(raw.to_owned())),
        Kind::Number => raw
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Val::Num)
            .ok_or_else(|| bad(pointer, "invalid_value", "must be a number")),
        Kind::Decimal => Decimal::from_str(raw)
            .map(Val::Dec)
            .map_err(|_| bad(pointer, "invalid_value", "must be a decimal number")),
        Kind::Bool => match raw {
            "true" => Ok(Val::Bool(true)),
            "false" => Ok(Val::Bool(false)),
            _ => Err(bad(pointer, "invalid_value", "must be true or false")),
        },
    }
}

/// A checked filter: the field's JSON name, its kind, the operator and its values.
pub(super) struct Condition {
    pub(super) field: String,
    pub(super) kind: Kind,
    pub(super) op: ItemFilterOp,
    pub(super) values: Vec<Val>,
}

impl Condition {
    fn holds(&self, v: &Val) -> bool {
        let first = self.values.first();
        match self.op {
            ItemFilterOp::IsNull => {
                matches!(first, Some(Val::Bool(true))) == matches!(v, Val::Null)
            }
            _ if matches!(v, Val::Null) => false,
            ItemFilterOp::Eq => first.is_some_and(|a| v.cmp(a) == Some(Ordering::Equal)),
            ItemFilterOp::Ne => first.is_some_and(|a| v.cmp(a) != Some(Ordering::Equal)),
            ItemFilterOp::Gt => first.is_some_and(|a| v.cmp(a) == Some(Ordering::Greater)),
            ItemFilterOp::Gte => {
                first.is_some_and(|a| matches!(v.cmp(a), Some(Ordering::Greater | Ordering::Equal)))
            }
            ItemFilterOp::Lt => first.is_some_and(|a| v.cmp(a) == Some(Ordering::Less)),
            ItemFilterOp::Lte => {
                first.is_some_and(|a| matches!(v.cmp(a), Some(Ordering::Less | Ordering::Equal)))
            }
            ItemFilterOp::In => self
                .values
                .iter()
                .any(|a| v.cmp(a) == Some(Ordering::Equal)),
            ItemFilterOp::Contains | ItemFilterOp::StartsWith => match (v, first) {
                (Val::Text(t), Some(Val::Text(a))) => {
                    let (t, a) = (t.to_lowercase(), a.to_lowercase());
                    if self.op == ItemFilterOp::Contains {
                        t.contains(&a)
                    } else {
                        t.starts_with(&a)
                    }
                }
                _ => false,
            },
        }
    }
}

fn kind_of(fields: Fields, name: &str) -> Option<(String, Kind)> {
    let name = snake(name.trim());
    fields
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(f, k)| ((*f).to_owned(), *k))
}

fn names(fields: Fields) -> String {
    fields
        .iter()
        .map(|(f, _)| *f)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A checked sort key: the field's JSON name, its kind, and whether descending.
pub(super) type Key = (String, Kind, bool);

/// Checks `query` against `fields`: every problem in one 422, with the REST parameter's
/// pointer (`/revenue`, `/sort`).
pub(super) fn check(query: &ItemQuery, fields: Fields) -> Result<(Vec<Key>, Vec<Condition>)> {
    let mut errors = Vec::new();
    let mut sort = Vec::new();
    for key in &query.sort {
        match kind_of(fields, &key.field) {
            Some((field, kind)) => sort.push((field, kind, key.descending)),
            None => errors.push(bad(
                "/sort",
                "invalid_value",
                format!(
                    "`{}` is not a sortable field of this report's items (one of {})",
                    key.field,
                    names(fields)
                ),
            )),
        }
    }
    let mut conditions = Vec::new();
    for ItemFilter { field, op, value } in &query.filters {
        let pointer = format!("/{field}");
        let Some((name, kind)) = kind_of(fields, field) else {
            errors.push(bad(
                &pointer,
                "unknown_field",
                format!(
                    "is not a parameter of this endpoint nor a filterable field of its items (one of {})",
                    names(fields)
                ),
            ));
            continue;
        };
        let text_only = matches!(op, ItemFilterOp::Contains | ItemFilterOp::StartsWith);
        if text_only && kind != Kind::Text {
            errors.push(bad(
                &pointer,
                "invalid_operator",
                "applies to text fields only",
            ));
            continue;
        }
        let values: std::result::Result<Vec<Val>, FieldError> = match op {
            ItemFilterOp::IsNull => argument(value, Kind::Bool, &pointer).map(|v| vec![v]),
            ItemFilterOp::In => value
                .split(',')
                .map(|v| argument(v, kind, &pointer))
                .collect(),
            _ => argument(value, kind, &pointer).map(|v| vec![v]),
        };
        match values {
            Ok(values) => conditions.push(Condition {
                field: name,
                kind,
                op: *op,
                values,
            }),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok((sort, conditions))
    } else {
        Err(Error::validation(errors).into())
    }
}

/// Checks `params.items` against `fields` before a report computes anything.
pub(crate) fn validate(params: &AnalysisParams, fields: Fields) -> Result<()> {
    check(&params.items, fields).map(|_| ())
}

/// Whether `params` sorts or filters the items (the report must then build every item and
/// let [`apply`] cut the page).
pub(crate) fn asked(params: &AnalysisParams) -> bool {
    !params.items.is_empty()
}

/// Filters `items` (in the report's order), sorts them by the sort keys (ties keep that
/// order; items without a value last) and cuts the page; answers it and how many matched.
pub(crate) fn apply<T: Serialize>(
    items: Vec<T>,
    params: &AnalysisParams,
    fields: Fields,
) -> Result<(Vec<T>, i64)> {
    let (sort, conditions) = check(&params.items, fields)?;
    let mut kept: Vec<(Vec<Val>, T)> = Vec::new();
    for item in items {
        let json = serde_json::to_value(&item)
            .map_err(|e| Error::internal(format!("a report item does not serialize: {e}")))?;
        let holds = conditions
            .iter()
            .all(|c| c.holds(&item_value(&json[c.field.as_str()], c.kind)));
        if holds {
            let keys = sort
                .iter()
                .map(|(field, kind, _)| item_value(&json[field.as_str()], *kind))
                .collect();
            kept.push((keys, item));
        }
    }
    if !sort.is_empty() {
        kept.sort_by(|(a, _), (b, _)| {
            for (k, (_, _, descending)) in sort.iter().enumerate() {
                let order = match (&a[k], &b[k]) {
                    (Val::Null, Val::Null) => Ordering::Equal,
                    (Val::Null, _) => Ordering::Greater,
                    (_, Val::Null) => Ordering::Less,
                    (x, y) => {
                        let o = x.cmp(y).unwrap_or(Ordering::Equal);
                        if *descending { o.reverse() } else { o }
                    }
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
            Ordering::Equal
        });
    }
    let matched = kept.len() as i64;
    let shown = page(kept.into_iter().map(|(_, item)| item).collect(), params)?;
    Ok((shown, matched))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto_items::ItemSort;

    #[derive(Serialize)]
    struct Item {
        name: Option<String>,
        revenue: String,
        rank: i64,
        cv: Option<f64>,
    }

    const FIELDS: Fields = &[
        ("name", Kind::Text),
        ("revenue", Kind::Decimal),
        ("rank", Kind::Number),
        ("cv", Kind::Number),
    ];

    fn items() -> Vec<Item> {
        [
            ("Acme", "900.50", 1, Some(0.2)),
            ("beta", "100", 2, None),
            ("Acorn", "1000", 3, Some(0.05)),
        ]
        .into_iter()
        .map(|(n, r, k, cv)| Item {
            name: Some(n.to_owned()),
            revenue: r.to_owned(),
            rank: k,
            cv,
        })
        .collect()
    }

    fn params(sort: &str, filters: &[(&str, ItemFilterOp, &str)]) -> AnalysisParams {
        AnalysisParams {
            items: ItemQuery {
                sort: ItemQuery::parse_sort(sort),
                filters: filters
                    .iter()
                    .map(|(f, op, v)| ItemFilter {
                        field: (*f).to_owned(),
                        op: *op,
                        value: (*v).to_owned(),
                    })
                    .collect(),
            },
            ..AnalysisParams::default()
        }
    }

    fn ranks(p: &AnalysisParams) -> Vec<i64> {
        apply(items(), p, FIELDS)
            .unwrap()
            .0
            .iter()
            .map(|i| i.rank)
            .collect()
    }

    #[test]
    fn decimals_sort_by_value_and_nulls_come_last() {
        assert_eq!(ranks(&params("-revenue", &[])), vec![3, 1, 2]);
        assert_eq!(ranks(&params("revenue", &[])), vec![2, 1, 3]);
        assert_eq!(ranks(&params("cv", &[])), vec![3, 1, 2]);
        assert_eq!(ranks(&params("-cv", &[])), vec![1, 3, 2]);
        assert_eq!(
            params("-revenue, name", &[]).items.sort[1],
            ItemSort {
                field: "name".into(),
                descending: false
            }
        );
    }

    #[test]
    fn filters_compare_by_kind_and_count_the_matches() {
        let p = params("", &[("revenue", ItemFilterOp::Gte, "900.5")]);
        let (page, matched) = apply(items(), &p, FIELDS).unwrap();
        assert_eq!((page.len(), matched), (2, 2));
        assert_eq!(
            ranks(&params("", &[("name", ItemFilterOp::StartsWith, "ac")])),
            vec![1, 3]
        );
        assert_eq!(
            ranks(&params("", &[("cv", ItemFilterOp::IsNull, "true")])),
            vec![2]
        );
        assert_eq!(
            ranks(&params("", &[("rank", ItemFilterOp::In, "1, 3")])),
            vec![1, 3]
        );
        assert_eq!(
            ranks(&params("", &[("name", ItemFilterOp::Eq, "Acme")])),
            vec![1]
        );
        assert_eq!(
            ranks(&params("", &[("cv", ItemFilterOp::Lt, "0.1")])),
            vec![3]
        );
    }

    #[test]
    fn bad_fields_operators_and_values_are_named() {
        let p = params(
            "-nope",
            &[
                ("rank", ItemFilterOp::Gt, "x"),
                ("revenue", ItemFilterOp::Contains, "1"),
                ("zip", ItemFilterOp::Eq, "1"),
            ],
        );
        let e = Error::from(apply(items(), &p, FIELDS).err().unwrap());
        let pointers: Vec<&str> = e.fields.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, vec!["/sort", "/rank", "/revenue", "/zip"]);
    }
}
