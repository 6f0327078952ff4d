//! Helpers shared by sales operations.

use crate::error::{Result, SalesError};
use crm_core::money::{MAX_FRACTION_DIGITS, Sign, parse_decimal};
use crm_core::{Error, FieldError};
use rust_decimal::Decimal;

/// Fails with 412 when the client's version is not the current one.
pub fn check_version(if_version: Option<i64>, current: i64) -> Result<()> {
    match if_version {
        Some(expected) if expected != current => {
            Err(SalesError::VersionMismatch { expected, current })
        }
        _ => Ok(()),
    }
}

/// Trims; an empty string is no value; checks the length.
pub fn text(
    v: Option<String>,
    pointer: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())?;
    if v.chars().count() > max {
        errors.push(FieldError::new(
            pointer,
            "length",
            format!("must be at most {max} characters"),
        ));
    }
    Some(v)
}

/// A required text.
pub fn required(v: String, pointer: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    match text(Some(v), pointer, max, errors) {
        Some(v) => v,
        None => {
            errors.push(FieldError::new(pointer, "required", "is required"));
            String::new()
        }
    }
}

/// A decimal within `min..=max`, by the rules of [`crm_core::money`] (no exponent, at most 15
/// digits before and 6 after the point: too many digits are refused, never rounded).
pub fn decimal(
    raw: &str,
    pointer: &str,
    min: Decimal,
    max: Option<Decimal>,
    errors: &mut Vec<FieldError>,
) -> Decimal {
    match parse_decimal(raw, pointer, Sign::Any, MAX_FRACTION_DIGITS) {
        Ok(d) if d < min || max.is_some_and(|m| d > m) => {
            let range = match max {
                Some(m) => format!("between {min} and {m}"),
                None => format!("at least {min}"),
            };
            errors.push(FieldError::new(
                pointer,
                "range",
                format!("must be {range}"),
            ));
            d
        }
        Ok(d) => d,
        Err(e) => {
            errors.push(e);
            Decimal::ZERO
        }
    }
}

/// An ISO 4217 currency, uppercase.
pub fn currency(raw: &str, pointer: &str, errors: &mut Vec<FieldError>) -> String {
    let c = raw.trim().to_uppercase();
    if iso_currency::Currency::from_code(&c).is_none() {
        errors.push(FieldError::new(
            pointer,
            "unknown_currency",
            "must be an ISO 4217 currency code",
        ));
    }
    c
}

/// A 422 listing `errors`, if any.
pub fn finish(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(errors).into())
    }
}
