//! Line and document totals, in decimals, rounded to the currency's minor unit half away from
//! zero: net = quantity x unit price x (1 - discount%), tax = net x tax rate%, total = net + tax.
//! Every line is rounded, and the document sums the rounded lines, as invoices print them.

use crm_core::money::max_amount;
use rust_decimal::{Decimal, RoundingStrategy};

/// One computed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTotals {
    /// Quantity x unit price, before discount.
    pub gross: Decimal,
    /// After the discount.
    pub net: Decimal,
    /// Tax on the net amount.
    pub tax: Decimal,
    /// Net plus tax.
    pub total: Decimal,
}

/// A document's totals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentTotals {
    /// Sum of line nets.
    pub subtotal: Decimal,
    /// Sum of line discounts.
    pub discount_total: Decimal,
    /// Sum of line taxes.
    pub tax_total: Decimal,
    /// Subtotal plus taxes.
    pub total: Decimal,
}

/// Rounds to `scale` decimal places, half away from zero.
pub fn round(d: Decimal, scale: u32) -> Decimal {
    d.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero)
}

/// An amount too large to compute or store (past [`crm_core::money::max_amount`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

fn bounded(v: Option<Decimal>) -> Result<Decimal, Overflow> {
    v.filter(|v| v.abs() <= max_amount()).ok_or(Overflow)
}

/// Computes a line with `scale` decimals (2 for most currencies). Every operation is checked:
/// a product or sum past the largest supported amount is an [`Overflow`], never a panic.
pub fn line(
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    tax_rate: Decimal,
    scale: u32,
) -> Result<LineTotals, Overflow> {
    let hundred = Decimal::ONE_HUNDRED;
    let product = bounded(quantity.checked_mul(unit_price))?;
    let gross = round(product, scale);
    let kept = bounded(hundred.checked_sub(discount_percent))?;
    let net = round(
        bounded(
            product
                .checked_mul(kept)
                .and_then(|v| v.checked_div(hundred)),
        )?,
        scale,
    );
    let tax = round(
        bounded(
            net.checked_mul(tax_rate)
                .and_then(|v| v.checked_div(hundred)),
        )?,
        scale,
    );
    Ok(LineTotals {
        gross,
        net,
        tax,
        total: bounded(net.checked_add(tax))?,
    })
}

/// Sums computed lines; a sum past the largest supported amount is an [`Overflow`].
pub fn document(lines: &[LineTotals]) -> Result<DocumentTotals, Overflow> {
    let mut t = DocumentTotals::default();
    for l in lines {
        t.subtotal = bounded(t.subtotal.checked_add(l.net))?;
        t.discount_total = bounded(
            l.gross
                .checked_sub(l.net)
                .and_then(|d| t.discount_total.checked_add(d)),
        )?;
        t.tax_total = bounded(t.tax_total.checked_add(l.tax))?;
    }
    t.total = bounded(t.subtotal.checked_add(t.tax_total))?;
    Ok(t)
}

/// The number of minor-unit decimals of an ISO 4217 currency (2 when unknown).
pub fn scale_of(currency: &str) -> u32 {
    crm_core::money::scale_of(currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn discounts_and_two_tax_rates_to_the_cent() {
        // 3 x 19.99 at 10 % off, 19 % tax; 7 x 2.35 at 0 % off, 7 % tax.
        let a = line(d("3"), d("19.99"), d("10"), d("19"), 2).unwrap();
        assert_eq!(
            (a.gross, a.net, a.tax, a.total),
            (d("59.97"), d("53.97"), d("10.25"), d("64.22"))
        );
        let b = line(d("7"), d("2.35"), d("0"), d("7"), 2).unwrap();
        assert_eq!((b.net, b.tax, b.total), (d("16.45"), d("1.15"), d("17.60")));
        let t = document(&[a, b]).unwrap();
        assert_eq!(t.subtotal, d("70.42"));
        assert_eq!(t.discount_total, d("6.00"));
        assert_eq!(t.tax_total, d("11.40"));
        assert_eq!(t.total, d("81.82"));
    }

    #[test]
    fn currencies_have_their_minor_units() {
        assert_eq!(scale_of("EUR"), 2);
        assert_eq!(scale_of("JPY"), 0);
        assert_eq!(
            line(d("3"), d("333"), d("10"), d("10"), 0).unwrap().total,
            d("989")
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let big = d("999999999999999");
        assert_eq!(line(big, big, d("0"), d("0"), 2), Err(Overflow));
        assert_eq!(line(d("1e28"), d("10"), d("0"), d("0"), 2), Err(Overflow));
        let one = line(big, d("1"), d("0"), d("0"), 2).unwrap();
        assert_eq!(document(&[one.clone(), one]), Err(Overflow));
    }
}
