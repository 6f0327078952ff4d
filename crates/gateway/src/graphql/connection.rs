//! Relay connections from pages of operations, and GraphQL patch fields.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{MaybeUndefined, OutputType};
use crm_core::{Page, PageRequest, Patch};

/// The page request of `first` / `after` arguments.
pub fn page_request(first: Option<i32>, after: Option<String>) -> PageRequest {
    PageRequest {
        limit: first.map(|n| u64::try_from(n).unwrap_or(0)),
        cursor: after,
        edge_cursors: true,
        bulk: false,
    }
}

/// A connection of the items of `page`, each edge with the cursor the operation gave it (the
/// same cursors REST hands out, so any edge's cursor works as `after`).
pub fn connection<T: OutputType>(page: Page<T>, has_previous: bool) -> Connection<String, T> {
    let mut conn = Connection::new(has_previous, page.has_more);
    conn.edges.extend(
        page.data
            .into_iter()
            .zip(page.cursors)
            .map(|(item, cursor)| Edge::new(cursor, item)),
    );
    conn
}

/// A patch field from GraphQL's `MaybeUndefined`: absent leaves, `null` clears, a value sets.
pub fn patch<T>(m: MaybeUndefined<T>) -> Patch<T> {
    match m {
        MaybeUndefined::Undefined => Patch::Absent,
        MaybeUndefined::Null => Patch::Null,
        MaybeUndefined::Value(v) => Patch::Set(v),
    }
}
