//! Turning `validator` results into field errors with JSON pointers.

use crate::error::{Error, FieldError};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// The first year a business date (an order's `ordered_at`, an invoice's `issued_at`, a
/// deal's `closed_at`, an activity's `occurred_at`) may fall in.
pub const FIRST_BUSINESS_YEAR: i32 = 1900;
/// The last year a business date may fall in.
pub const LAST_BUSINESS_YEAR: i32 = 2100;

/// Checks a business date brought from another system: a year from [`FIRST_BUSINESS_YEAR`]
/// to [`LAST_BUSINESS_YEAR`], and (with `past_only`) not after now; else the field error at
/// `pointer`.
pub fn business_date(
    at: &chrono::DateTime<chrono::Utc>,
    pointer: &str,
    past_only: bool,
) -> Option<FieldError> {
    use chrono::Datelike;
    let year = at.year();
    if !(FIRST_BUSINESS_YEAR..=LAST_BUSINESS_YEAR).contains(&year) {
        return Some(FieldError::new(
            pointer,
            "out_of_range",
            format!(
                "must be a date from {FIRST_BUSINESS_YEAR} to {LAST_BUSINESS_YEAR}, not in {year}"
            ),
        ));
    }
    // A minute of leeway for the clocks of the systems that send it.
    if past_only && *at > chrono::Utc::now() + chrono::Duration::minutes(1) {
        return Some(FieldError::new(
            pointer,
            "in_future",
            "must not be in the future",
        ));
    }
    None
}

/// Validates `input`, answering a 422 that lists every broken field.
pub fn validate<T: Validate>(input: &T) -> Result<(), Error> {
    input
        .validate()
        .map_err(|errors| Error::validation(field_errors(&errors)))
}

/// Every broken rule of `errors`, with a JSON pointer per field, sorted by pointer.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let pointer = format!("{prefix}/{}", escape(field));
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| default_message(&e.code, &e.params));
                    out.push(FieldError::new(
                        pointer.clone(),
                        e.code.to_string(),
                        message,
                    ));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &pointer, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{pointer}/{index}"), out);
                }
            }
        }
    }
}

fn escape(field: &str) -> String {
    field.replace('~', "~0").replace('/', "~1")
}

fn default_message(
    code: &str,
    params: &std::collections::HashMap<std::borrow::Cow<'static, str>, serde_json::Value>,
) -> String {
    match code {
        "email" => "must be a valid email address".to_owned(),
        "url" => "must be a valid URL".to_owned(),
        "length" => match (params.get("min"), params.get("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "has an invalid length".to_owned(),
        },
        "range" => "is out of range".to_owned(),
        other => format!("is invalid ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Validate)]
    struct Input {
        #[validate(email)]
        email: String,
        #[validate(length(min = 8))]
        password: String,
    }

    #[test]
    fn lists_every_field() {
        let e = validate(&Input {
            email: "nope".into(),
            password: "x".into(),
        })
        .unwrap_err();
        let pointers: Vec<_> = e.fields.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, vec!["/email", "/password"]);
        assert_eq!(e.fields[1].message, "length must be at least 8");
    }
}
