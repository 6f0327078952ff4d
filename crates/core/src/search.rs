//! Full-text search: the tokens records are searched by, and the condition of a `q` parameter
//! (PostgreSQL: the stored `tsvector` column `search_vector`; SQLite: an FTS5 table kept by
//! triggers).

use crate::error::Result;
use crate::list::bind;
use crate::resource::Search;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{DbBackend, Value as DbValue};

/// Search tokens of `text`: lowercase runs of letters and digits.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The normalised text a record is searched by (tokens joined by spaces).
pub fn search_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .flat_map(tokens)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The search condition of `q`: every token must prefix-match. A blank `q` searches nothing
/// (no condition); a `q` of punctuation only (no token, such as `%_`) matches no record, since
/// no record's search text contains such characters.
pub(crate) fn search(backend: DbBackend, how: &Search, q: &str) -> Result<Option<SimpleExpr>> {
    let toks: Vec<String> = tokens(q).into_iter().take(8).collect();
    if toks.is_empty() {
        return Ok((!q.trim().is_empty()).then(|| Expr::cust("1 = 0")));
    }
    Ok(Some(match backend {
        DbBackend::Postgres => {
            let query = toks
                .iter()
                .map(|t| format!("{t}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            // The stored, GIN-indexed `to_tsvector('simple', <pg_text>)` of the row.
            bind(
                backend,
                "search_vector @@ to_tsquery('simple', ?)",
                [DbValue::from(query)],
            )
        }
        _ => {
            let fts_table = how.fts_table;
            let query = toks
                .iter()
                .map(|t| format!("\"{t}\"*"))
                .collect::<Vec<_>>()
                .join(" ");
            bind(
                backend,
                &format!("rowid IN (SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH ?)"),
                [DbValue::from(query)],
            )
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_search_text() {
        assert_eq!(
            tokens("Ann@Acme.test +49 151"),
            vec!["ann", "acme", "test", "49", "151"]
        );
        assert_eq!(search_text(["Jörg Müller", "j@x.de"]), "jörg müller j x de");
    }
}
