//! Lists, the same on every resource: filters (`field=v`, `field[op]=v`, `custom.<key>[op]=v`),
//! multi-field sort (`sort=-updated_at,last_name`), full-text search (`q=`), and keyset
//! pagination on the sort keys plus the id (never OFFSET).
//!
//! NULLs sort as the smallest value on both engines (first ascending, last descending), so the
//! keyset predicate is exact. Unknown fields and operators are a 422 naming the parameter.

use crate::error::{Error, FieldError, Result};
use crate::{PageRequest, cursor};
use sea_orm::sea_query::{Condition, Expr, NullOrdering, Order, SimpleExpr};
use sea_orm::{DbBackend, Value as DbValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::search::search;
pub use crate::search::{search_text, tokens};

pub use crate::resource::{Field, Kind, Relation, Resource, Search};

mod conditions;
pub mod fetch;
mod tree;
pub use conditions::custom_equals;
use conditions::{bad, filter, json_to_db, resolve};
pub use tree::FilterTree;

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
    /// A boolean filter (GraphQL's typed `filter`), in addition to `filters`.
    pub tree: Option<FilterTree>,
    /// Page size and cursor.
    pub page: PageRequest,
    /// How many rows, in list order, a PostgreSQL search reads before it asks the search index
    /// ([`fetch::SEARCH_PROBE_ROWS`] when `None`). Tests set it low to take every path on a
    /// small data set.
    #[doc(hidden)]
    pub probe_rows: Option<u64>,
    /// The most ids a PostgreSQL search takes from the search index ([`fetch::SEARCH_MATCH_CAP`]
    /// when `None`).
    #[doc(hidden)]
    pub match_cap: Option<u64>,
}

impl ListParams {
    /// Whether a filter or the sort names a custom field (`custom.<key>`), so that the list
    /// needs the custom field definitions at all.
    pub fn uses_custom_fields(&self) -> bool {
        self.filters.iter().any(|(k, _)| k.starts_with("custom."))
            || self.tree.as_ref().is_some_and(FilterTree::names_custom)
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
/// `limit + 1` rows, and build the next cursor with [`Plan::cursor_after`].
#[derive(Debug)]
pub struct Plan {
    /// Filters, search and the keyset predicate.
    pub condition: Condition,
    /// ORDER BY terms, the id last.
    pub order: Vec<(SimpleExpr, Order, Option<NullOrdering>)>,
    /// Page size.
    pub limit: u64,
    /// The full-text search condition, apart from `condition`: on PostgreSQL, [`Plan::fetch`]
    /// decides by the term how to run it.
    search: Option<SimpleExpr>,
    /// On PostgreSQL, the condition of a search token selective by its shape alone (a long
    /// number), which [`Plan::fetch`] asks the search index for first.
    selective: Option<SimpleExpr>,
    /// Whether the list is in the resource's default order (which an index serves).
    default_order: bool,
    /// Rows a PostgreSQL search reads in list order before it asks the search index.
    probe_rows: u64,
    /// The most ids a PostgreSQL search takes from the search index.
    match_cap: u64,
    /// The organization listed.
    org_id: Uuid,
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

/// Plans a list query for `params` in the organization `org_id`.
pub fn plan(
    backend: DbBackend,
    resource: &Resource,
    custom: &[CustomField],
    params: &ListParams,
    org_id: Uuid,
) -> Result<Plan> {
    let limit = params.page.limit()?;
    let mut condition = Condition::all();
    if let Some(t) = &params.tree {
        condition = condition.add(tree::condition(backend, resource, custom, t, org_id)?);
    }
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
            |(expr, each, kind, _, _)| filter(backend, &expr, &each, kind, op, raw, None, &pointer),
        );
        match built {
            Ok(e) => condition = condition.add(e),
            Err(e) => errors.extend(e.fields),
        }
    }
    if !errors.is_empty() {
        return Err(Error::validation(errors));
    }
    let mut searched = None;
    let mut selective = None;
    if let Some(q) = params.q.as_deref() {
        let Some(how) = &resource.search else {
            return Err(bad(
                "/q",
                "unknown_field",
                "this list has no full-text search; use filters",
            ));
        };
        if let Some(found) = search(backend, how, q)? {
            searched = Some(found.condition);
            selective = found.selective;
        }
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
    let default_order = sort == resource.default_sort;
    let probe_rows = params.probe_rows.unwrap_or(fetch::SEARCH_PROBE_ROWS).max(1);
    let match_cap = params.match_cap.unwrap_or(fetch::SEARCH_MATCH_CAP);

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
                search: searched,
                selective,
                default_order,
                probe_rows,
                match_cap,
                org_id,
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
        search: searched,
        selective,
        default_order,
        probe_rows,
        match_cap,
        org_id,
        keys,
        signature,
    })
}

/// A record whose list cursor is made of its sort keys alone, read from its own fields, so a
/// page's cursors never turn whole records into JSON. Implemented with [`sort_keys!`](crate::sort_keys).
pub trait SortKeys {
    /// The value of the sortable field `name` (as the API names it, `custom.<key>` included) as
    /// the record shows it in JSON; `Value::Null` for a field it does not have.
    fn sort_key(&self, name: &str) -> Value;
}

/// Implements [`SortKeys`] for a read model from the names of its sortable fields (the API's
/// names, which are the struct's): `sort_keys!(Contact { created_at, last_name }, custom)`; with
/// `custom`, `custom.<key>` reads the record's `custom` object; with `; analytics { clv }`,
/// `analytics.clv` reads the field `clv` of the record's `analytics` struct.
#[macro_export]
macro_rules! sort_keys {
    ($t:ty { $($f:ident),* $(,)? } $(, $custom:ident)? $(; $nest:ident { $($g:ident),* $(,)? })?) => {
        impl $crate::list::SortKeys for $t {
            fn sort_key(&self, name: &str) -> $crate::__json::Value {
                $(
                    if let Some(key) = name.strip_prefix("custom.") {
                        return self
                            .$custom
                            .get(key)
                            .cloned()
                            .unwrap_or($crate::__json::Value::Null);
                    }
                )?
                $(
                    if let Some(key) = name.strip_prefix(concat!(stringify!($nest), ".")) {
                        return match key {
                            $(stringify!($g) => $crate::__json::to_value(&self.$nest.$g)
                                .unwrap_or($crate::__json::Value::Null),)*
                            _ => $crate::__json::Value::Null,
                        };
                    }
                )?
                match name {
                    $(stringify!($f) => {
                        $crate::__json::to_value(&self.$f).unwrap_or($crate::__json::Value::Null)
                    })*
                    _ => $crate::__json::Value::Null,
                }
            }
        }
    };
}

/// The cursor of `row` in a list of `resource` sorted by `sort`, the same the list gives it: for
/// pages of a relation loaded in one statement, continued by the list.
pub fn cursor_after<T: SortKeys>(
    resource: &Resource,
    sort: &str,
    row: &T,
    id: Uuid,
) -> Result<String> {
    let params = ListParams {
        sort: Some(sort.to_owned()),
        ..ListParams::default()
    };
    // The backend only shapes SQL, which is not used here.
    Ok(plan(DbBackend::Sqlite, resource, &[], &params, Uuid::nil())?.cursor_after(row, id))
}

/// A record as its API JSON (`custom.<key>` reads its `custom` object).
impl SortKeys for Value {
    fn sort_key(&self, name: &str) -> Value {
        match name.strip_prefix("custom.") {
            Some(key) => self["custom"][key].clone(),
            // A nested field (`analytics.clv`) is a path.
            None => name.split('.').fold(self, |v, part| &v[part]).clone(),
        }
    }
}

impl Plan {
    /// The cursor after `row`: its sort keys and its id.
    pub fn cursor_after<T: SortKeys>(&self, row: &T, id: Uuid) -> String {
        let v = self.keys.iter().map(|k| row.sort_key(&k.name)).collect();
        cursor::encode(&CursorData {
            s: self.signature.clone(),
            v,
            id,
        })
    }

    /// Applies the filters, the keyset predicate, the order and `limit + 1` (the extra row only
    /// tells that another page follows) to a select.
    pub fn apply<E: sea_orm::EntityTrait>(&self, query: sea_orm::Select<E>) -> sea_orm::Select<E> {
        use sea_orm::{QueryFilter, QueryOrder, QuerySelect};
        let mut query = query.filter(self.condition.clone());
        if let Some(search) = &self.search {
            query = query.filter(search.clone());
        }
        for (expr, order, nulls) in &self.order {
            query = match nulls {
                Some(n) => query.order_by_with_nulls(expr.clone(), order.clone(), *n),
                None => query.order_by(expr.clone(), order.clone()),
            };
        }
        query.limit(self.limit + 1)
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
    const OTHER: Resource = Resource {
        name: "Other",
        relations: &[],
        custom_fields: false,
        search: None,
        fields: &[Field::filter("industry", "industry", Kind::Text)],
        default_sort: "-created_at",
    };
    const RES: Resource = Resource {
        name: "Test",
        custom_fields: true,
        relations: &[Relation {
            name: "other",
            column: "other_id",
            table: "others",
            resource: &OTHER,
        }],
        search: Some(Search {
            fts_table: "t_fts",
            pg_text: "search_text",
        }),
        fields: FIELDS,
        default_sort: "-created_at",
    };

    /// Plans in the nil organization.
    fn plan(
        backend: DbBackend,
        resource: &Resource,
        custom: &[CustomField],
        params: &ListParams,
    ) -> Result<Plan> {
        super::plan(backend, resource, custom, params, Uuid::nil())
    }

    fn leaf(name: &str, op: &str, value: &str) -> FilterTree {
        FilterTree::Field {
            name: name.into(),
            op: op.into(),
            value: value.into(),
            list: None,
            pointer: format!("/filter/{name}"),
        }
    }

    #[test]
    fn filter_trees_combine_and_reach_through_relations() {
        use sea_orm::sea_query::{PostgresQueryBuilder, Query};
        let tree = FilterTree::Any(vec![
            FilterTree::All(vec![
                leaf("last_name", "starts_with", "Sm"),
                FilterTree::Not(Box::new(leaf("tags", "eq", "vip"))),
            ]),
            FilterTree::Related {
                relation: "other".into(),
                tree: Box::new(leaf("industry", "eq", "retail")),
                pointer: "/filter/other".into(),
            },
        ]);
        let p = plan(
            DbBackend::Postgres,
            &RES,
            &[],
            &ListParams {
                tree: Some(tree),
                ..ListParams::default()
            },
        )
        .unwrap();
        let sql = Query::select()
            .column(sea_orm::sea_query::Asterisk)
            .from(sea_orm::sea_query::Alias::new("t"))
            .cond_where(p.condition.clone())
            .to_string(PostgresQueryBuilder);
        assert!(sql.contains("LOWER(last_name) LIKE 'sm%'"), "{sql}");
        assert!(sql.contains("NOT"), "{sql}");
        assert!(
            sql.contains(r#""other_id" IN (SELECT "id" FROM "others""#),
            "{sql}"
        );
        assert!(sql.contains("industry = 'retail'"), "{sql}");
        assert!(sql.contains(" OR "), "{sql}");

        let unknown = FilterTree::Related {
            relation: "nope".into(),
            tree: Box::new(leaf("industry", "eq", "x")),
            pointer: "/filter/nope".into(),
        };
        let e = plan(
            DbBackend::Sqlite,
            &RES,
            &[],
            &ListParams {
                tree: Some(unknown),
                ..ListParams::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.fields[0].pointer, "/filter/nope");
        // Fields of the related resource are not fields of this one.
        let e = plan(
            DbBackend::Sqlite,
            &RES,
            &[],
            &ListParams {
                tree: Some(leaf("industry", "eq", "x")),
                ..ListParams::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.fields[0].code, "unknown_field");
    }

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
        let c = p.cursor_after(&serde_json::json!({"last_name": null}), Uuid::nil());
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
