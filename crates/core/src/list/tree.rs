//! Boolean filters (`and`, `or`, `not`, and filters through a relation), as GraphQL's typed
//! `filter` argument gives them; each leaf is the same condition as a REST `field[op]=value`.

use super::conditions::{bad, filter, resolve};
use super::{CustomField, Resource};
use crate::error::Result;
use sea_orm::DbBackend;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SimpleExpr};
use uuid::Uuid;

/// How deeply filters may nest (`and`/`or`/`not`/relations), against pathological inputs.
const MAX_DEPTH: usize = 8;
/// How many leaves one filter may have.
const MAX_LEAVES: usize = 100;

/// A filter over a resource's documented fields, combined freely.
#[derive(Debug, Clone)]
pub enum FilterTree {
    /// Every one matches (an empty list matches all).
    All(Vec<FilterTree>),
    /// At least one matches (an empty list matches none).
    Any(Vec<FilterTree>),
    /// It does not match.
    Not(Box<FilterTree>),
    /// `name op value` on a documented field or `custom.<key>`.
    Field {
        /// The field's API name (`last_name`, `custom.tier`).
        name: String,
        /// The operator (`eq`, `starts_with`, ...), one of the field kind's operators.
        op: String,
        /// The value as text (`true`/`false` for `is_null`); unused by `in` with `list`.
        value: String,
        /// The values of `in`.
        list: Option<Vec<String>>,
        /// Where the input was, for errors (`/filter/lastName/startsWith`).
        pointer: String,
    },
    /// Records whose related record (through `relation`) matches `tree`.
    Related {
        /// The relation's name (`company`).
        relation: String,
        /// The filter on the related resource.
        tree: Box<FilterTree>,
        /// Where the input was, for errors.
        pointer: String,
    },
}

impl FilterTree {
    /// Whether a leaf names a custom field (`custom.<key>`) of the listed resource.
    pub fn names_custom(&self) -> bool {
        match self {
            FilterTree::All(parts) | FilterTree::Any(parts) => parts.iter().any(Self::names_custom),
            FilterTree::Not(inner) => inner.names_custom(),
            FilterTree::Field { name, .. } => name.starts_with("custom."),
            FilterTree::Related { .. } => false,
        }
    }
}

struct Planner<'a> {
    backend: DbBackend,
    org_id: Uuid,
    leaves: usize,
    custom: &'a [CustomField],
}

impl Planner<'_> {
    fn condition(
        &mut self,
        resource: &Resource,
        tree: &FilterTree,
        depth: usize,
    ) -> Result<Condition> {
        if depth > MAX_DEPTH {
            return Err(bad(
                "/filter",
                "too_deep",
                format!("filters nest at most {MAX_DEPTH} deep"),
            ));
        }
        Ok(match tree {
            FilterTree::All(parts) | FilterTree::Any(parts) => {
                let mut c = if matches!(tree, FilterTree::All(_)) {
                    Condition::all()
                } else {
                    Condition::any()
                };
                if parts.is_empty() && matches!(tree, FilterTree::Any(_)) {
                    return Ok(Condition::all().add(Expr::cust("1 = 0")));
                }
                for p in parts {
                    c = c.add(self.condition(resource, p, depth + 1)?);
                }
                c
            }
            FilterTree::Not(inner) => self.condition(resource, inner, depth + 1)?.not(),
            FilterTree::Field {
                name,
                op,
                value,
                list,
                pointer,
            } => {
                self.leaves += 1;
                if self.leaves > MAX_LEAVES {
                    return Err(bad(
                        "/filter",
                        "too_many",
                        format!("at most {MAX_LEAVES} conditions"),
                    ));
                }
                // Custom fields of the listed resource only (none through a relation).
                let (expr, each, kind, _, _) =
                    resolve(self.backend, resource, self.custom, name, pointer)?;
                Condition::all().add(filter(
                    self.backend,
                    &expr,
                    &each,
                    kind,
                    op,
                    value,
                    list.as_deref(),
                    pointer,
                )?)
            }
            FilterTree::Related {
                relation,
                tree,
                pointer,
            } => {
                let rel = resource
                    .relations
                    .iter()
                    .find(|r| r.name == relation)
                    .ok_or_else(|| {
                        bad(
                            pointer,
                            "unknown_field",
                            format!("`{relation}` is not a relation of this resource"),
                        )
                    })?;
                let saved = std::mem::take(&mut self.custom);
                let inner = self.condition(rel.resource, tree, depth + 1);
                self.custom = saved;
                let ids = Query::select()
                    .column(Alias::new("id"))
                    .from(Alias::new(rel.table))
                    .and_where(Expr::col(Alias::new("org_id")).eq(self.org_id))
                    .and_where(Expr::col(Alias::new("deleted_at")).is_null())
                    .cond_where(inner?)
                    .to_owned();
                Condition::all().add(SimpleExpr::from(
                    Expr::col(Alias::new(rel.column)).in_subquery(ids),
                ))
            }
        })
    }
}

/// The condition of `tree` on `resource` for the organization `org_id` (related records are
/// looked up in it only).
pub(super) fn condition(
    backend: DbBackend,
    resource: &Resource,
    custom: &[CustomField],
    tree: &FilterTree,
    org_id: Uuid,
) -> Result<Condition> {
    let mut planner = Planner {
        backend,
        org_id,
        leaves: 0,
        custom,
    };
    planner.condition(resource, tree, 0)
}
