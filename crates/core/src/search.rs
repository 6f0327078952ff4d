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

/// The fewest digits of a token that make a search selective by its shape alone: a phone
/// number, a customer or order number. A PostgreSQL search holding such a token asks the
/// search index for it first ([`Searched::selective`]).
pub const SELECTIVE_DIGITS: usize = 7;

/// The longest word PostgreSQL keeps in a `tsquery`: a longer one is dropped ("word is too
/// long to be indexed"), so on its own it would select nothing.
const PG_MAX_WORD: usize = 2_047;

/// The condition of a `q` parameter.
pub(crate) struct Searched {
    /// Every term of `q`, prefix-matched.
    pub condition: SimpleExpr,
    /// On PostgreSQL, when `q` holds a term of at least [`SELECTIVE_DIGITS`] digits: the
    /// condition of the longest such term alone, which few records match whatever the rest of
    /// `q` says, so the search index is asked for it before the list is read.
    pub selective: Option<SimpleExpr>,
}

/// What a `q` searches for: every token (at most 8), or, when `q` is written as a phone
/// number, that number as well ([`phone_number`]).
struct Query {
    /// The tokens, each of which must prefix-match.
    tokens: Vec<String>,
    /// A phone number's digits (with, after them, the national number when `q` began with a
    /// trunk or international prefix), any of which may prefix-match instead of the tokens.
    number: Vec<String>,
}

impl Query {
    fn of(q: &str) -> Query {
        Query {
            tokens: tokens(q).into_iter().take(8).collect(),
            number: phone_number(q),
        }
    }

    /// The token that makes the query selective: the longest of at least [`SELECTIVE_DIGITS`]
    /// digits.
    fn selective_token(&self) -> Option<&String> {
        self.tokens
            .iter()
            .filter(|t| {
                (SELECTIVE_DIGITS..=PG_MAX_WORD).contains(&t.len())
                    && t.bytes().all(|b| b.is_ascii_digit())
            })
            .max_by_key(|t| t.len())
    }
}

/// A `q` of digits and the punctuation phone numbers are written with (`+49 (0)30 123-4567`,
/// `0049 30 1234567`, `(030) 1234567`), in more than one group and with at least
/// [`SELECTIVE_DIGITS`] digits, is also searched as one number: a contact's search text holds
/// its phone's digits with the country code and its national number, so the groups a person
/// types are joined, a `(0)` is dropped, and a leading `00` or `0` (international or trunk
/// prefix) also searches the digits after it. Empty when `q` is not such a number.
fn phone_number(q: &str) -> Vec<String> {
    let q = q.trim().replace("(0)", "");
    let allowed = |c: char| {
        c.is_ascii_digit() || c.is_whitespace() || matches!(c, '+' | '-' | '(' | ')' | '/' | '.')
    };
    if !q.chars().all(allowed)
        || q.split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .count()
            < 2
    {
        return Vec::new();
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < SELECTIVE_DIGITS {
        return Vec::new();
    }
    let national = digits
        .strip_prefix("00")
        .or_else(|| digits.strip_prefix('0'))
        .filter(|rest| rest.len() >= SELECTIVE_DIGITS)
        .map(str::to_owned);
    std::iter::once(digits.clone()).chain(national).collect()
}

/// `alternatives` joined by `or`, with `all` (joined by `and`) as one more; in parentheses when
/// there is more than one.
fn any_of(alternatives: Vec<String>, all: Vec<String>, or: &str, and: &str) -> String {
    let mut any = alternatives;
    if !all.is_empty() {
        any.push(if any.is_empty() || all.len() == 1 {
            all.join(and)
        } else {
            format!("({})", all.join(and))
        });
    }
    if any.len() > 1 {
        format!("({})", any.join(or))
    } else {
        any.concat()
    }
}

/// The prefix query of PostgreSQL's `search_vector`: any of `number`, or every one of `tokens`.
fn pg_match(backend: DbBackend, number: &[String], tokens: &[String]) -> SimpleExpr {
    let prefix = |t: &String| format!("{t}:*");
    let query = any_of(
        number.iter().map(prefix).collect(),
        tokens.iter().map(prefix).collect(),
        " | ",
        " & ",
    );
    // The stored, GIN-indexed `to_tsvector('simple', <pg_text>)` of the row.
    bind(
        backend,
        "search_vector @@ to_tsquery('simple', ?)",
        [DbValue::from(query)],
    )
}

/// The FTS5 query: any of the number's forms, or every token.
fn fts_match(query: &Query) -> String {
    let prefix = |t: &String| format!("\"{t}\"*");
    any_of(
        query.number.iter().map(prefix).collect(),
        query.tokens.iter().map(prefix).collect(),
        " OR ",
        // Implicit AND, as before: FTS5 drops a term its tokenizer keeps nothing of (`ⓐ`,
        // which Rust counts as a letter) from an implicit AND, while an explicit `AND` with
        // such a term matches nothing.
        " ",
    )
}

/// The search condition of `q`: every token must prefix-match (or the number `q` writes). A
/// blank `q` searches nothing (no condition); a `q` of punctuation only (no token, such as
/// `%_`) matches no record, since no record's search text contains such characters.
pub(crate) fn search(backend: DbBackend, how: &Search, q: &str) -> Result<Option<Searched>> {
    let query = Query::of(q);
    if query.tokens.is_empty() {
        return Ok((!q.trim().is_empty()).then(|| Searched {
            condition: Expr::cust("1 = 0"),
            selective: None,
        }));
    }
    Ok(Some(match backend {
        DbBackend::Postgres => {
            // Every record the condition matches also matches this: the number, or the one
            // token that every record matching the tokens holds.
            let selective = query
                .selective_token()
                .map(|t| pg_match(backend, &query.number, std::slice::from_ref(t)));
            Searched {
                condition: pg_match(backend, &query.number, &query.tokens),
                selective,
            }
        }
        _ => {
            let fts_table = how.fts_table;
            Searched {
                condition: bind(
                    backend,
                    &format!("rowid IN (SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH ?)"),
                    [DbValue::from(fts_match(&query))],
                ),
                selective: None,
            }
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

    #[test]
    fn a_q_written_as_a_phone_number_is_also_searched_as_one_number() {
        let v = |t: &[&str]| t.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(phone_number("+49 30 1234567"), v(&["49301234567"]));
        assert_eq!(phone_number("+49 (0)30 123-4567"), v(&["49301234567"]));
        assert_eq!(
            phone_number("0049 30 1234567"),
            v(&["0049301234567", "49301234567"])
        );
        assert_eq!(
            phone_number("(030) 1234567"),
            v(&["0301234567", "301234567"])
        );
        // One group is a token like any other; too few digits, or words, no number.
        assert!(phone_number("4930123456").is_empty());
        assert!(phone_number("030 12").is_empty());
        assert!(phone_number("ann 4930123").is_empty());
        // The tokens still count: a date or a document number written with dashes.
        assert_eq!(
            fts_match(&Query::of("2024-0001")),
            "(\"20240001\"* OR (\"2024\"* \"0001\"*))"
        );
        assert_eq!(
            fts_match(&Query::of("(030) 1234567")),
            "(\"0301234567\"* OR \"301234567\"* OR (\"030\"* \"1234567\"*))"
        );
        assert_eq!(
            fts_match(&Query::of("ann 4930123")),
            "\"ann\"* \"4930123\"*"
        );
        assert_eq!(fts_match(&Query::of("ann")), "\"ann\"*");
        assert_eq!(
            Query::of("ann 49301234 4930123")
                .selective_token()
                .map(String::as_str),
            Some("49301234")
        );
        assert_eq!(Query::of("030 123456").selective_token(), None);
        // A word PostgreSQL would drop selects nothing: not selective.
        assert_eq!(
            Query::of(&format!("ann {}", "1".repeat(2_048))).selective_token(),
            None
        );
        assert_eq!(
            phone_number("030\t1234567"),
            v(&["0301234567", "301234567"])
        );
    }
}
