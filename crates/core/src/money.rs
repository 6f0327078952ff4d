//! Money and the decimal rules of every amount a user sends.
//!
//! Amounts travel as decimal strings (never floats). What a client may send is bounded so that
//! no arithmetic on it can overflow `rust_decimal` and nothing is silently rounded:
//! - a plain decimal literal: an optional `-`, digits, optionally `.` and digits (no exponent);
//! - at most [`MAX_INTEGER_DIGITS`] digits before the point (leading zeros do not count);
//! - at most [`MAX_FRACTION_DIGITS`] digits after it (trailing zeros do not count), or fewer
//!   where the field says so (a [`Money`] amount has at most its currency's minor units);
//! - money that cannot be negative (prices, quantities, deal amounts, payments) is refused when
//!   negative; refunds and credit notes will be documents of their own, not negative amounts.
//!
//! Each rule broken is a 422 naming the field. Arithmetic on accepted values still uses checked
//! operations ([`checked`]), because sums over many lines can pass any single bound.

use crate::error::FieldError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Most digits before the decimal point of any amount a client sends (999 trillion).
pub const MAX_INTEGER_DIGITS: usize = 15;
/// Most digits after the decimal point of any amount a client sends.
pub const MAX_FRACTION_DIGITS: u32 = 6;

/// The JSON Schema pattern of a decimal a client sends that may not be negative: at most
/// [`MAX_INTEGER_DIGITS`] digits before the point and [`MAX_FRACTION_DIGITS`] after it (a unit
/// test keeps it equal to the constants; the DTOs repeat it as a literal, which the gateway's
/// contract test compares with this constant).
pub const NON_NEGATIVE_PATTERN: &str = r"^[0-9]{1,15}(\.[0-9]{1,6})?$";
/// The JSON Schema pattern of a decimal a client sends that must be greater than zero (the digit
/// limits of [`NON_NEGATIVE_PATTERN`], without leading zeros and without the value 0).
pub const POSITIVE_PATTERN: &str = r"^([1-9][0-9]{0,14}(\.[0-9]{1,6})?|0\.[0-9]{0,5}[1-9])$";
/// The JSON Schema pattern of a percentage from 0 to 100 with at most [`MAX_FRACTION_DIGITS`]
/// decimals.
pub const PERCENT_PATTERN: &str = r"^(100(\.0{1,6})?|[0-9]{1,2}(\.[0-9]{1,6})?)$";
/// The longest decimal string the patterns above allow: 15 digits, the point and 6 decimals.
pub const MAX_DECIMAL_LENGTH: usize = MAX_INTEGER_DIGITS + 1 + MAX_FRACTION_DIGITS as usize;

/// An ISO 4217 currency code as the OpenAPI document declares it: an enum of every code the
/// server knows, so generated clients and fuzzers send only codes it accepts.
#[cfg(feature = "openapi")]
pub struct CurrencyCode;

#[cfg(feature = "openapi")]
impl CurrencyCode {
    /// Every ISO 4217 code the server accepts, sorted.
    pub fn all() -> Vec<String> {
        let letters = b'A'..=b'Z';
        let mut out = Vec::new();
        for a in letters.clone() {
            for b in letters.clone() {
                for c in letters.clone() {
                    let code = String::from_utf8_lossy(&[a, b, c]).into_owned();
                    if iso_currency::Currency::from_code(&code).is_some() {
                        out.push(code);
                    }
                }
            }
        }
        out
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for CurrencyCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("ISO 4217 currency code, such as `EUR`."))
            .enum_values(Some(CurrencyCode::all()))
            .examples([serde_json::json!("EUR")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for CurrencyCode {}

/// The largest amount the server stores or computes: 15 nines before the point.
pub fn max_amount() -> Decimal {
    Decimal::from(999_999_999_999_999i64)
}

/// Which signs a decimal field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Zero or more.
    NonNegative,
    /// More than zero.
    Positive,
    /// Any sign.
    Any,
}

/// Parses a client's decimal string by the rules of this module; `pointer` names the field.
/// `max_fraction` lowers the number of decimals allowed (below [`MAX_FRACTION_DIGITS`]).
pub fn parse_decimal(
    raw: &str,
    pointer: &str,
    sign: Sign,
    max_fraction: u32,
) -> Result<Decimal, FieldError> {
    let s = raw.trim();
    let invalid = || {
        FieldError::new(
            pointer,
            "invalid_decimal",
            "must be a decimal number such as 1234.50",
        )
    };
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, f),
        None => (unsigned, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(invalid());
    }
    if unsigned.ends_with('.') || unsigned.starts_with('.') {
        return Err(invalid());
    }
    let max_fraction = max_fraction.min(MAX_FRACTION_DIGITS);
    let int_digits = int.trim_start_matches('0').len();
    let frac_digits = frac.trim_end_matches('0').len();
    if int_digits > MAX_INTEGER_DIGITS || frac_digits > max_fraction as usize {
        let message = if max_fraction == 0 {
            format!("may have at most {MAX_INTEGER_DIGITS} digits and no decimals")
        } else {
            format!(
                "may have at most {MAX_INTEGER_DIGITS} digits before and {max_fraction} after the decimal point"
            )
        };
        return Err(FieldError::new(pointer, "too_many_digits", message));
    }
    let value = Decimal::from_str(s).map_err(|_| invalid())?;
    match sign {
        Sign::NonNegative if value.is_sign_negative() && !value.is_zero() => {
            Err(FieldError::new(pointer, "range", "must not be negative"))
        }
        Sign::Positive if value <= Decimal::ZERO => {
            Err(FieldError::new(pointer, "range", "must be greater than 0"))
        }
        _ => Ok(value.normalize()),
    }
}

/// The result of checked decimal arithmetic, or a 422 on `pointer` when it overflowed or passed
/// the largest supported amount.
pub fn checked(value: Option<Decimal>, pointer: &str) -> Result<Decimal, FieldError> {
    match value {
        Some(v) if v.abs() <= max_amount() => Ok(v),
        _ => Err(FieldError::new(
            pointer,
            "overflow",
            format!(
                "the amount computed from this value is larger than the largest supported amount ({})",
                max_amount()
            ),
        )),
    }
}

/// Whether `code` is an ISO 4217 currency code the server knows (upper case, such as `EUR`).
pub fn known_currency(code: &str) -> bool {
    iso_currency::Currency::from_code(code).is_some()
}

/// The number of minor-unit decimals of an ISO 4217 currency (2 when unknown).
pub fn scale_of(currency: &str) -> u32 {
    iso_currency::Currency::from_code(currency)
        .and_then(|c| c.exponent())
        .map(u32::from)
        .unwrap_or(2)
}

/// An amount of money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::SimpleObject, async_graphql::InputObject)
)]
#[cfg_attr(feature = "graphql", graphql(input_name = "MoneyInput"))]
pub struct Money {
    /// Decimal amount as a string, such as `"1234.50"`: at most 15 digits before the point and
    /// no more decimals than the currency's minor unit (2 for EUR, 0 for JPY); never negative.
    /// The pattern allows up to 6 decimals (a unit price keeps them); an amount a client sends
    /// is refused (422) when it has more decimals than its currency's minor unit.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[0-9]{1,15}(\.[0-9]{1,6})?$",
            max_length = 22,
            example = "1234.50"
        )
    )]
    pub amount: String,
    /// ISO 4217 currency code, such as `EUR`.
    #[cfg_attr(feature = "openapi", schema(value_type = CurrencyCode))]
    pub currency: String,
}

impl Money {
    /// `amount` in `currency`, written with at least the currency's minor units (`"1000.00"`
    /// EUR, `"1000"` JPY) and never fewer digits than it has (a unit price of `"0.0045"` stays).
    pub fn of(amount: Decimal, currency: &str) -> Money {
        let mut d = amount.normalize();
        let scale = scale_of(currency);
        if d.scale() < scale {
            d.rescale(scale);
        }
        Money {
            amount: d.to_string(),
            currency: currency.to_owned(),
        }
    }

    /// A stored decimal string as money in `currency` (see [`Money::of`]); a stored value that
    /// is not a decimal (none is written) reads as zero.
    pub fn stored(amount: &str, currency: &str) -> Money {
        Money::of(Decimal::from_str(amount).unwrap_or_default(), currency)
    }

    /// Checks the amount (the rules of this module, not negative, at most the currency's minor
    /// units) and the currency; `pointer` names the field for errors.
    pub fn validated(self, pointer: &str, errors: &mut Vec<FieldError>) -> Option<Money> {
        let currency = self.currency.trim().to_uppercase();
        let known = iso_currency::Currency::from_code(&currency).is_some();
        if !known {
            errors.push(FieldError::new(
                format!("{pointer}/currency"),
                "unknown_currency",
                "must be an ISO 4217 currency code",
            ));
        }
        let scale = if known {
            scale_of(&currency)
        } else {
            MAX_FRACTION_DIGITS
        };
        let amount = match parse_decimal(
            &self.amount,
            &format!("{pointer}/amount"),
            Sign::NonNegative,
            scale,
        ) {
            Ok(d) => Some(d.to_string()),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if !known {
            return None;
        }
        amount.map(|amount| Money { amount, currency })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_the_digit_limits() {
        let (i, f) = (MAX_INTEGER_DIGITS, MAX_FRACTION_DIGITS);
        assert_eq!(
            NON_NEGATIVE_PATTERN,
            format!(r"^[0-9]{{1,{i}}}(\.[0-9]{{1,{f}}})?$")
        );
        assert_eq!(
            POSITIVE_PATTERN,
            format!(
                r"^([1-9][0-9]{{0,{}}}(\.[0-9]{{1,{f}}})?|0\.[0-9]{{0,{}}}[1-9])$",
                i - 1,
                f - 1
            )
        );
        assert_eq!(
            PERCENT_PATTERN,
            format!(r"^(100(\.0{{1,{f}}})?|[0-9]{{1,2}}(\.[0-9]{{1,{f}}})?)$")
        );
        assert_eq!(MAX_DECIMAL_LENGTH, 22);
    }

    #[test]
    fn validates_amount_and_currency() {
        let mut e = Vec::new();
        let m = Money {
            amount: "1200.50".into(),
            currency: "eur".into(),
        }
        .validated("/x", &mut e)
        .unwrap();
        assert_eq!((m.amount.as_str(), m.currency.as_str()), ("1200.5", "EUR"));
        assert!(
            Money {
                amount: "abc".into(),
                currency: "XXY".into()
            }
            .validated("/x", &mut e)
            .is_none()
        );
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn money_keeps_to_its_minor_units_and_sign() {
        let check = |amount: &str, currency: &str| {
            let mut e = Vec::new();
            Money {
                amount: amount.into(),
                currency: currency.into(),
            }
            .validated("/m", &mut e);
            e.first().map(|f| (f.pointer.clone(), f.code.clone()))
        };
        assert_eq!(check("10.50", "EUR"), None);
        assert_eq!(check("10.500", "EUR"), None);
        assert_eq!(
            check("10.505", "EUR"),
            Some(("/m/amount".into(), "too_many_digits".into()))
        );
        assert_eq!(
            check("10.5", "JPY"),
            Some(("/m/amount".into(), "too_many_digits".into()))
        );
        assert_eq!(
            check("-1", "EUR"),
            Some(("/m/amount".into(), "range".into()))
        );
    }

    #[test]
    fn money_is_written_in_its_minor_units() {
        let m = |a: &str, c: &str| Money::stored(a, c).amount;
        assert_eq!(m("1000", "EUR"), "1000.00");
        assert_eq!(m("1000.5", "EUR"), "1000.50");
        assert_eq!(m("1000.000", "EUR"), "1000.00");
        assert_eq!(m("0.0045", "EUR"), "0.0045");
        assert_eq!(m("1000", "JPY"), "1000");
        assert_eq!(m("12.5", "BHD"), "12.500");
        assert_eq!(Money::stored("3", "EUR").currency, "EUR");
    }

    #[test]
    fn decimals_are_bounded_not_rounded() {
        let p = |s: &str| parse_decimal(s, "/q", Sign::Any, MAX_FRACTION_DIGITS);
        assert_eq!(p("0012.500").unwrap().to_string(), "12.5");
        assert_eq!(p("-3").unwrap().to_string(), "-3");
        assert_eq!(
            p("999999999999999.999999").unwrap().to_string(),
            "999999999999999.999999"
        );
        for bad in [
            "1e28", "1E3", "", ".", "1.", ".5", "1,5", "--1", "+1", " ", "NaN", "1.2.3",
        ] {
            assert_eq!(p(bad).unwrap_err().code, "invalid_decimal", "{bad}");
        }
        for long in [
            "1000000000000000",
            "99999999999999999999999999999",
            "0.0000000000000000000000000001",
            "1.1234567",
        ] {
            assert_eq!(p(long).unwrap_err().code, "too_many_digits", "{long}");
        }
        let neg = parse_decimal("-0.01", "/q", Sign::NonNegative, 6).unwrap_err();
        assert_eq!((neg.pointer.as_str(), neg.code.as_str()), ("/q", "range"));
        assert!(parse_decimal("-0", "/q", Sign::NonNegative, 6).is_ok());
        assert_eq!(
            parse_decimal("0", "/q", Sign::Positive, 6)
                .unwrap_err()
                .code,
            "range"
        );
    }

    #[test]
    fn checked_arithmetic_names_the_field() {
        let big = max_amount();
        assert!(checked(big.checked_mul(Decimal::TEN), "/lines/0/quantity").is_err());
        assert!(checked(None, "/x").is_err());
        assert_eq!(checked(Some(Decimal::ONE), "/x").unwrap(), Decimal::ONE);
    }
}
