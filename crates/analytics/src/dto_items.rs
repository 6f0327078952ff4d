//! Sorting and filtering a report's items, with the lists' conventions: `sort=-revenue,name`,
//! `field=value` and `field[op]=value` over REST; `sort` and `filter` arguments over GraphQL.

use serde::Deserialize;

/// One sort key of a report's items.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(name = "ReportSortInput"))]
pub struct ItemSort {
    /// An item field the report documents as sortable (`revenue`; GraphQL's `cumulativeShare`
    /// is accepted as `cumulative_share`).
    pub field: String,
    /// Largest first (default `false`: smallest first). Items without a value come last.
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub descending: bool,
}

/// How a filter compares an item's field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[cfg_attr(feature = "graphql", graphql(name = "ReportFilterOp"))]
pub enum ItemFilterOp {
    /// Equal (text case-sensitive, numbers by value).
    Eq,
    /// Not equal.
    Ne,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// One of a comma-separated list.
    In,
    /// Text containing the value, ignoring case.
    Contains,
    /// Text starting with the value, ignoring case.
    StartsWith,
    /// `true`: the field has no value; `false`: it has one.
    IsNull,
}

impl ItemFilterOp {
    /// The operator by its name in a query string (`gte`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "gt" => Self::Gt,
            "gte" => Self::Gte,
            "lt" => Self::Lt,
            "lte" => Self::Lte,
            "in" => Self::In,
            "contains" => Self::Contains,
            "starts_with" => Self::StartsWith,
            "is_null" => Self::IsNull,
            _ => return None,
        })
    }
}

/// One condition on a report's items; an item is listed when it meets every condition.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(name = "ReportFilterInput"))]
pub struct ItemFilter {
    /// An item field the report documents as filterable.
    pub field: String,
    /// The comparison (default `eq`).
    #[cfg_attr(feature = "graphql", graphql(default_with = "ItemFilterOp::Eq"))]
    pub op: ItemFilterOp,
    /// The value, as text (`in`: comma-separated; `is_null`: `true` or `false`).
    pub value: String,
}

/// The sort keys and filters of a report's items (both empty: the report's own order, all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemQuery {
    /// Sort keys, first the most significant; ties keep the report's own order.
    pub sort: Vec<ItemSort>,
    /// Conditions every listed item meets.
    pub filters: Vec<ItemFilter>,
}

impl ItemQuery {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.sort.is_empty() && self.filters.is_empty()
    }

    /// The sort keys of a `sort` parameter (`-revenue,name`: minus is descending).
    pub fn parse_sort(raw: &str) -> Vec<ItemSort> {
        raw.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| match k.strip_prefix('-') {
                Some(field) => ItemSort {
                    field: field.to_owned(),
                    descending: true,
                },
                None => ItemSort {
                    field: k.to_owned(),
                    descending: false,
                },
            })
            .collect()
    }
}
