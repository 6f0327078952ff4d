//! Relay connections from pages of operations.

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge};
use crm_core::{Page, PageRequest};

/// The page request of `first` / `after` arguments.
pub fn page_request(first: Option<i32>, after: Option<String>) -> PageRequest {
    PageRequest {
        limit: first.map(|n| u64::try_from(n).unwrap_or(0)),
        cursor: after,
    }
}

/// A connection of the items of `page`, each edge with the cursor `cursor_of` gives it.
pub fn connection<T: OutputType>(
    page: Page<T>,
    has_previous: bool,
    cursor_of: impl Fn(&T) -> String,
) -> Connection<String, T> {
    let mut conn = Connection::new(has_previous, page.has_more);
    conn.edges.extend(
        page.data
            .into_iter()
            .map(|item| Edge::new(cursor_of(&item), item)),
    );
    conn
}
