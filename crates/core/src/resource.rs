//! The one declaration of a resource's fields: their kind, whether they filter and sort, and the
//! operators each kind takes. Lists plan their SQL from it and the OpenAPI document declares
//! its query parameters from it.

/// How a field's values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text; `contains`/`starts_with` ignore case.
    Text,
    /// Text compared without regard to case.
    Email,
    /// A UUID.
    Uuid,
    /// An RFC 3339 timestamp.
    DateTime,
    /// A date `YYYY-MM-DD` (stored as text).
    Date,
    /// One of the listed values.
    Enum(&'static [&'static str]),
    /// A JSON array of strings; `eq`/`contains` test membership, `in` any of several.
    Tags,
    /// `true` or `false`.
    Bool,
    /// A number.
    Number,
}

impl Kind {
    /// The filter operators a field of this kind takes (`eq` is also written `field=value`):
    /// the one list the planner checks and the OpenAPI document declares.
    pub fn operators(self) -> &'static [&'static str] {
        match self {
            Kind::Text | Kind::Email => &[
                "eq",
                "ne",
                "gt",
                "gte",
                "lt",
                "lte",
                "in",
                "contains",
                "starts_with",
                "is_null",
            ],
            Kind::Tags => &["eq", "contains", "in", "is_null"],
            _ => &["eq", "ne", "gt", "gte", "lt", "lte", "in", "is_null"],
        }
    }
}

/// A documented field of a resource.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The name in the API.
    pub name: &'static str,
    /// The SQL column.
    pub column: &'static str,
    /// How it compares.
    pub kind: Kind,
    /// Whether `sort` may use it.
    pub sortable: bool,
    /// Whether it can be NULL.
    pub nullable: bool,
}

impl Field {
    /// A filterable, non-sortable, nullable field.
    pub const fn filter(name: &'static str, column: &'static str, kind: Kind) -> Self {
        Self {
            name,
            column,
            kind,
            sortable: false,
            nullable: true,
        }
    }

    /// A filterable and sortable field.
    pub const fn sort(
        name: &'static str,
        column: &'static str,
        kind: Kind,
        nullable: bool,
    ) -> Self {
        Self {
            name,
            column,
            kind,
            sortable: true,
            nullable,
        }
    }
}

/// How a resource is searched by `q`: the same text on both engines, indexed by each.
#[derive(Debug, Clone, Copy)]
pub struct Search {
    /// The SQLite FTS5 table (external content, kept by triggers) over the searched columns.
    pub fts_table: &'static str,
    /// The text PostgreSQL searches, as an SQL expression over the row's columns: the table's
    /// stored column `search_vector` (GIN-indexed) is generated as
    /// `to_tsvector('simple', <this expression>)`, written identically in its migration.
    pub pg_text: &'static str,
}

/// A record another resource points to, filterable through it (`company: {industry: ...}`
/// on contacts): rows whose `column` holds the id of a live related record that matches.
#[derive(Debug, Clone, Copy)]
pub struct Relation {
    /// The name in filters (`company`).
    pub name: &'static str,
    /// This resource's column holding the related record's id.
    pub column: &'static str,
    /// The related records' table (it has `id`, `org_id` and `deleted_at`).
    pub table: &'static str,
    /// The related resource's declaration.
    pub resource: &'static Resource,
}

/// What the engine needs to know of a resource.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    /// The name of one record in schemas (`Contact`); generated GraphQL inputs are named after
    /// it (`ContactFilter`, `ContactOrder`, `ContactSortField`).
    pub name: &'static str,
    /// Records this one points to, filterable through it.
    pub relations: &'static [Relation],
    /// Whether it has custom fields (`custom.<key>` in filters and sorts).
    pub custom_fields: bool,
    /// Full-text search by `q`; `None` when the resource has none (then `q` is a 422).
    pub search: Option<Search>,
    /// Documented fields.
    pub fields: &'static [Field],
    /// The sort used when none is given.
    pub default_sort: &'static str,
}
