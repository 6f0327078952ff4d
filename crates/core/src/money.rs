//! Money: a decimal amount (as a string, never a float) and an ISO 4217 currency.

use crate::error::FieldError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

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
    /// Decimal amount as a string, such as `"1234.50"`.
    #[cfg_attr(feature = "openapi", schema(example = "1234.50"))]
    pub amount: String,
    /// ISO 4217 currency code, such as `EUR`.
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub currency: String,
}

impl Money {
    /// Checks the amount and currency; `pointer` names the field for errors.
    pub fn validated(self, pointer: &str, errors: &mut Vec<FieldError>) -> Option<Money> {
        let amount = match Decimal::from_str(self.amount.trim()) {
            Ok(d) => Some(d.normalize().to_string()),
            Err(_) => {
                errors.push(FieldError::new(
                    format!("{pointer}/amount"),
                    "invalid_decimal",
                    "must be a decimal number such as 1234.50",
                ));
                None
            }
        };
        let currency = self.currency.trim().to_uppercase();
        if iso_currency::Currency::from_code(&currency).is_none() {
            errors.push(FieldError::new(
                format!("{pointer}/currency"),
                "unknown_currency",
                "must be an ISO 4217 currency code",
            ));
            return None;
        }
        amount.map(|amount| Money { amount, currency })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
