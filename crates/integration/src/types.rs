//! The `types` filter of the change feed: exact names (`deal.updated`), prefixes (`contact.*`)
//! and `*`. Names are lowercase letters, digits and `_` in dot-separated parts; a `*` stands
//! for a whole last part only, so a pattern is always an equality or a prefix comparison.

use crm_core::Error;

/// Most patterns in one request.
pub const MAX_PATTERNS: usize = 20;

/// One parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypePattern {
    /// Every type.
    Any,
    /// Types starting with this text (which ends with `.`).
    Prefix(String),
    /// This type only.
    Exact(String),
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// Parses the patterns; `None` when one of them matches every type (no filter at all).
pub fn parse(patterns: &[String]) -> crm_core::Result<Option<Vec<TypePattern>>> {
    let bad = |p: &str| {
        Error::invalid_field(
            "/types",
            "invalid_value",
            format!(
                "`{p}` is not a type pattern: use names like `deal.updated`, prefixes like \
                 `contact.*`, or `*`"
            ),
        )
    };
    if patterns.len() > MAX_PATTERNS {
        return Err(Error::invalid_field(
            "/types",
            "too_many",
            format!("at most {MAX_PATTERNS} patterns"),
        ));
    }
    let mut out = Vec::with_capacity(patterns.len());
    for p in patterns {
        let parsed = if p == "*" {
            TypePattern::Any
        } else if let Some(prefix) = p.strip_suffix(".*") {
            if !valid_name(prefix) {
                return Err(bad(p));
            }
            TypePattern::Prefix(format!("{prefix}."))
        } else if valid_name(p) {
            TypePattern::Exact(p.clone())
        } else {
            return Err(bad(p));
        };
        if parsed == TypePattern::Any {
            return Ok(None);
        }
        out.push(parsed);
    }
    Ok((!out.is_empty()).then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(list: &[&str]) -> crm_core::Result<Option<Vec<TypePattern>>> {
        parse(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn patterns() {
        assert_eq!(p(&[]).unwrap(), None);
        assert_eq!(p(&["contact.*", "*"]).unwrap(), None);
        assert_eq!(
            p(&["contact.*", "deal.updated"]).unwrap(),
            Some(vec![
                TypePattern::Prefix("contact.".into()),
                TypePattern::Exact("deal.updated".into())
            ])
        );
        for bad in ["", "con%", "a.*.b", "*.created", "A.b", "a..b", "contact*"] {
            assert!(p(&[bad]).is_err(), "{bad}");
        }
    }
}
