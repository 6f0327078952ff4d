//! Page requests and pages of list operations (keyset pagination).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Default number of items of a page.
pub const DEFAULT_LIMIT: u64 = 25;
/// Largest number of items a page may have.
pub const MAX_LIMIT: u64 = 100;
/// Largest page an export reads at a time (see [`PageRequest::bulk`]).
pub const BULK_LIMIT: u64 = 1000;

/// A request for one page of a list.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageRequest {
    /// Items per page: 1 to 100, default 25.
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page; absent for the first page.
    pub cursor: Option<String>,
    /// Whether every item needs its own cursor (GraphQL edges); REST needs only the next one.
    /// Not a query parameter.
    #[serde(skip)]
    pub edge_cursors: bool,
    /// Whether the page is read by the server itself, in bulk (exports): then `limit` may be up
    /// to [`BULK_LIMIT`]. Not a query parameter.
    #[serde(skip)]
    pub bulk: bool,
}

impl PageRequest {
    /// The validated page size (422 on `/limit` when out of range).
    pub fn limit(&self) -> Result<u64> {
        let max = if self.bulk { BULK_LIMIT } else { MAX_LIMIT };
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=max).contains(&n) => Ok(n),
            Some(_) => Err(Error::invalid_field(
                "/limit",
                "range",
                format!("must be between 1 and {max}"),
            )),
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items of this page, in list order.
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Whether another page follows.
    pub has_more: bool,
    /// The cursor after each item (GraphQL edge cursors); not serialised.
    #[serde(skip)]
    pub cursors: Vec<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only tells that more follow.
    pub fn from_overfetch(rows: Vec<T>, limit: u64, cursor_of: impl Fn(&T) -> String) -> Self {
        Self::build(rows, limit, true, cursor_of)
    }

    /// Like [`Page::from_overfetch`], but builds the cursor of every item only when `page` asks
    /// for edge cursors: for lists whose cursors are costly (built from the sort keys of each
    /// row), REST pays for one cursor per page, not one per item.
    pub fn from_overfetch_for(
        page: &PageRequest,
        rows: Vec<T>,
        limit: u64,
        cursor_of: impl Fn(&T) -> String,
    ) -> Self {
        Self::build(rows, limit, page.edge_cursors, cursor_of)
    }

    fn build(mut rows: Vec<T>, limit: u64, every: bool, cursor_of: impl Fn(&T) -> String) -> Self {
        let has_more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let cursors: Vec<String> = if every {
            rows.iter().map(&cursor_of).collect()
        } else {
            Vec::new()
        };
        let next_cursor = if !has_more {
            None
        } else if every {
            cursors.last().cloned()
        } else {
            rows.last().map(&cursor_of)
        };
        Self {
            data: rows,
            next_cursor,
            has_more,
            cursors,
        }
    }

    /// Maps the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            has_more: self.has_more,
            cursors: self.cursors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(PageRequest::default().limit().unwrap(), 25);
        assert!(
            PageRequest {
                limit: Some(101),
                ..PageRequest::default()
            }
            .limit()
            .is_err()
        );
        assert!(
            PageRequest {
                limit: Some(0),
                ..PageRequest::default()
            }
            .limit()
            .is_err()
        );
        let bulk = |n| PageRequest {
            limit: Some(n),
            bulk: true,
            ..PageRequest::default()
        };
        assert_eq!(bulk(BULK_LIMIT).limit().unwrap(), BULK_LIMIT);
        assert!(bulk(BULK_LIMIT + 1).limit().is_err());
        let p = Page::from_overfetch(vec![1, 2, 3], 2, |x| x.to_string());
        assert_eq!(p.data, vec![1, 2]);
        assert_eq!(p.next_cursor.as_deref(), Some("2"));
        assert_eq!(p.cursors, vec!["1", "2"]);
        assert!(p.has_more);
        let rest = PageRequest::default();
        let p = Page::from_overfetch_for(&rest, vec![1, 2, 3], 2, |x| x.to_string());
        assert_eq!(p.next_cursor.as_deref(), Some("2"));
        assert!(p.cursors.is_empty());
        let edges = PageRequest {
            edge_cursors: true,
            ..PageRequest::default()
        };
        let p = Page::from_overfetch_for(&edges, vec![1, 2], 2, |x| x.to_string());
        assert_eq!(p.next_cursor, None);
        assert_eq!(p.cursors, vec!["1", "2"]);
    }
}
