//! Rules every value a client sends obeys, whatever the field and whichever face it came
//! through (REST bodies and query parameters, GraphQL variables and literals, later imports):
//!
//! - JSON objects have unique keys: a duplicate key is refused, never "last one wins";
//! - text holds no NUL character (U+0000): PostgreSQL cannot store one, so both engines refuse
//!   it alike instead of SQLite storing it and PostgreSQL failing;
//! - anything shaped like a date (`YYYY-MM-DD`, optionally followed by a time) has a year from
//!   0001 to 9999: years outside it are refused alike on both engines;
//! - a number with a zero fraction (`76.0`) is the integer it equals, as in JSON Schema.
//!
//! Each broken rule is a [`FieldError`] with a JSON pointer to the value.

use crate::error::FieldError;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// Why a JSON document was refused.
#[derive(Debug)]
pub enum JsonInputError {
    /// Not JSON at all (syntax, a lone surrogate, a number out of range): a 400.
    Malformed(String),
    /// Well-formed JSON that breaks a rule of this module: a 422 listing every broken value.
    Invalid(Vec<FieldError>),
}

/// Parses a JSON document, refusing duplicate keys, NUL characters and out-of-range dates.
pub fn parse_json(bytes: &[u8]) -> Result<Value, JsonInputError> {
    let duplicate = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = Strict {
        pointer: String::new(),
        duplicate: &duplicate,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(value) => {
            let mut errors = Vec::new();
            check_value(&value, "", &mut errors);
            if errors.is_empty() {
                Ok(value)
            } else {
                Err(JsonInputError::Invalid(errors))
            }
        }
        Err(e) => match duplicate.into_inner() {
            Some(field) => Err(JsonInputError::Invalid(vec![field])),
            None => Err(JsonInputError::Malformed(e.to_string())),
        },
    }
}

/// Checks every string (and object key) of `value`, under `pointer`, by the rules of this module.
pub fn check_value(value: &Value, pointer: &str, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(s) => {
            if let Some(e) = check_text(s, pointer) {
                errors.push(e);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_value(item, &format!("{pointer}/{i}"), errors);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let child = format!("{pointer}/{}", escape(k));
                if k.contains('\0') {
                    errors.push(nul(&child));
                }
                check_value(v, &child, errors);
            }
        }
        _ => {}
    }
}

/// The rule broken by one text value at `pointer`, if any.
pub fn check_text(s: &str, pointer: &str) -> Option<FieldError> {
    if s.contains('\0') {
        return Some(nul(pointer));
    }
    if out_of_range_date(s) {
        return Some(FieldError::new(
            pointer,
            "invalid_date",
            "must be a date with a year from 0001 to 9999",
        ));
    }
    None
}

fn nul(pointer: &str) -> FieldError {
    FieldError::new(
        pointer,
        "invalid_character",
        "must not contain the NUL character (U+0000)",
    )
}

/// Whether `s` is shaped like a date (`YYYY-MM-DD`, alone or followed by a time) whose year is
/// outside 0001-9999: a sign, more than four year digits, or year 0000.
pub fn out_of_range_date(s: &str) -> bool {
    let b = s.trim().as_bytes();
    let (signed, rest) = match b.first() {
        Some(b'+' | b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits < 4 {
        return false;
    }
    let tail = &rest[digits..];
    let two = |t: &[u8]| t.len() == 2 && t.iter().all(u8::is_ascii_digit);
    let shaped = tail.len() >= 6
        && tail[0] == b'-'
        && two(&tail[1..3])
        && tail[3] == b'-'
        && two(&tail[4..6])
        && (tail.len() == 6 || matches!(tail[6], b'T' | b't' | b' '));
    shaped && (signed || digits != 4 || rest.starts_with(b"0000"))
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Deserialises any JSON value, tracking the pointer, and stops at the first duplicate key
/// (recorded in `duplicate`, since serde errors carry no structured payload).
struct Strict<'a> {
    pointer: String,
    duplicate: &'a RefCell<Option<FieldError>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // A number with a zero fraction (`76.0`) is an integer (JSON Schema counts it as one,
        // and so do generated clients), so integer fields take it: it is read as `76`.
        if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
            return Ok(Value::from(v as i64));
        }
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict {
            pointer: format!("{}/{}", self.pointer, out.len()),
            duplicate: self.duplicate,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let pointer = format!("{}/{}", self.pointer, escape(&key));
            if out.contains_key(&key) {
                *self.duplicate.borrow_mut() = Some(FieldError::new(
                    pointer,
                    "duplicate_key",
                    "appears more than once in the same object",
                ));
                return Err(de::Error::custom("duplicate key"));
            }
            let value = map.next_value_seed(Strict {
                pointer,
                duplicate: self.duplicate,
            })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(json: &str) -> Vec<(String, String)> {
        match parse_json(json.as_bytes()) {
            Err(JsonInputError::Invalid(f)) => f.into_iter().map(|f| (f.pointer, f.code)).collect(),
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn integral_floats_are_integers() {
        let v = parse_json(br#"{"a": 76.0, "b": -3.0, "c": 1.5, "d": 1e300}"#).unwrap();
        assert!(v["a"].is_i64() && v["a"] == 76);
        assert_eq!(v["b"], -3);
        assert_eq!(v["c"], 1.5);
        assert!(v["d"].is_f64());
        let n: i32 = serde_json::from_value(v["a"].clone()).unwrap();
        assert_eq!(n, 76);
    }

    #[test]
    fn accepts_ordinary_json() {
        let v = parse_json(br#"{"a": [1, 2.5, "x", null, true, {"b": "2024-02-29"}], "c": -3}"#)
            .unwrap();
        assert_eq!(v["a"][5]["b"], "2024-02-29");
        assert_eq!(v["c"], -3);
    }

    #[test]
    fn refuses_duplicate_keys_with_their_pointer() {
        assert_eq!(
            invalid(r#"{"a": {"x": 1, "x": 2}}"#),
            vec![("/a/x".into(), "duplicate_key".into())]
        );
        assert_eq!(
            invalid(r#"[{"k": 1}, {"k": 1, "k": 1}]"#),
            vec![("/1/k".into(), "duplicate_key".into())]
        );
    }

    #[test]
    fn refuses_nul_characters_and_names_every_one() {
        assert_eq!(
            invalid(r#"{"a": "x\u0000y", "b": ["ok", "\u0000"], "c\u0000": 1}"#),
            vec![
                ("/a".into(), "invalid_character".into()),
                ("/b/1".into(), "invalid_character".into()),
                ("/c\0".into(), "invalid_character".into()),
            ]
        );
    }

    #[test]
    fn refuses_years_outside_1_to_9999() {
        for bad in [
            "0000-01-01",
            "10000-01-01",
            "+10000-01-01T00:00:00Z",
            "-0001-01-01",
            "0000-12-31T23:59:59Z",
        ] {
            assert!(out_of_range_date(bad), "{bad}");
        }
        for fine in [
            "0001-01-01",
            "9999-12-31T23:59:59Z",
            "2024-02-30",
            "12345",
            "call on 0000-01-01",
            "",
        ] {
            assert!(!out_of_range_date(fine), "{fine}");
        }
        assert_eq!(
            invalid(r#"{"due": "0000-01-01"}"#),
            vec![("/due".into(), "invalid_date".into())]
        );
    }

    #[test]
    fn malformed_is_not_invalid() {
        for bad in [r#"{"a": "\ud800"}"#, "{", r#"{"a": 1e400}"#, "1 2"] {
            assert!(
                matches!(
                    parse_json(bad.as_bytes()),
                    Err(JsonInputError::Malformed(_))
                ),
                "{bad}"
            );
        }
    }
}
