//! Special functions the models need beyond `statrs`: the Gauss hypergeometric function.

/// The terms the series adds at least before it gives up; more as z nears 1, where the terms
/// shrink by about z each (a customer seen for a day, asked about ten years).
const MIN_TERMS: f64 = 100_000.0;
/// The most terms it ever adds.
const MAX_TERMS: f64 = 20_000_000.0;

/// `e^ln_scale` x the Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, by its
/// power series with every term scaled and built in logarithms (its sign apart): the terms
/// of a frequent buyer's series grow far past what a float holds before they shrink, while
/// the scaled product the models need stays at most 1. Summed until the terms, past their
/// peak, no longer change the sum. `None` when c is a non-positive integer (undefined) or the
/// series does not settle (z too close to 1 for the parameters).
pub fn scaled_hyp2f1(a: f64, b: f64, c: f64, z: f64, ln_scale: f64) -> Option<f64> {
    if !(0.0..1.0).contains(&z) || (c <= 0.0 && c.fract() == 0.0) || !ln_scale.is_finite() {
        return None;
    }
    let mut ln_term = ln_scale;
    let mut sign = 1.0;
    let mut sum = ln_term.exp();
    if z == 0.0 {
        return Some(sum);
    }
    // Past the peak the terms shrink by about z: 40 / (1 - z) of them take a term below 1e-16
    // of the sum. Their number grows with a, b and the peak.
    let terms = (MIN_TERMS + (a.abs() + b.abs() + 100.0) / (1.0 - z)).min(MAX_TERMS) as usize;
    for j in 0..terms {
        let j = j as f64;
        let ratio = (a + j) * (b + j) / ((c + j) * (j + 1.0)) * z;
        if ratio == 0.0 {
            // a or b a non-positive integer: the series ends here.
            return Some(sum);
        }
        if !ratio.is_finite() {
            return None;
        }
        sign *= ratio.signum();
        ln_term += ratio.abs().ln();
        let term = sign * ln_term.exp();
        sum += term;
        if !sum.is_finite() {
            return None;
        }
        if ratio.abs() < 1.0 && term.abs() <= 1e-16 * sum.abs() {
            return Some(sum);
        }
    }
    None
}

/// The Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1.
#[cfg(test)]
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    scaled_hyp2f1(a, b, c, z, 0.0)
}

/// ln(e^x + e^y) without overflow.
pub fn log_add_exp(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x >= y { (x, y) } else { (y, x) };
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z.
        for z in [0.1, 0.5, 0.9] {
            let want = -(1.0_f64 - z).ln() / z;
            assert!(
                close(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), want, 1e-12),
                "z = {z}"
            );
        }
        // 2F1(a, b; b; z) = (1 - z)^-a.
        let want = (1.0_f64 - 0.3).powf(-2.5);
        assert!(close(hyp2f1(2.5, 1.7, 1.7, 0.3).unwrap(), want, 1e-12));
        // 2F1(1/2, 1; 3/2; -z^2)... only z >= 0 here: 2F1(1/2, 1/2; 3/2; z^2) = asin(z) / z.
        let z: f64 = 0.6;
        assert!(close(
            hyp2f1(0.5, 0.5, 1.5, z * z).unwrap(),
            z.asin() / z,
            1e-12
        ));
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 0.0), Some(1.0));
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 1.0), None);
        assert_eq!(hyp2f1(1.0, 1.0, -2.0, 0.5), None);
    }

    #[test]
    fn hyp2f1_settles_close_to_one() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z with 1 - z = 1e-5: about 4 million terms.
        let z = 1.0 - 1e-5;
        let want = -(1.0_f64 - z).ln() / z;
        assert!(close(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), want, 1e-9));
    }

    #[test]
    fn scaled_hyp2f1_holds_series_whose_terms_overflow() {
        // (1 - z)^a 2F1(a, b; b; z) = 1 for any a: here the unscaled terms pass 1e300.
        for a in [1.0, 50.0, 1500.0] {
            let got = scaled_hyp2f1(a, 2.5, 2.5, 0.5, a * 0.5f64.ln()).unwrap();
            assert!(close(got, 1.0, 1e-9), "a = {a}: {got}");
        }
        // Huge b and c (a degenerate drop-out fit): b / c stays below 1, the series settles.
        let got = scaled_hyp2f1(3.0, 3.0e6, 5.0e6, 0.4, 0.0).unwrap();
        let want = (1.0 - 0.4 * 0.6f64).powf(-3.0);
        assert!(close(got, want, 1e-5), "{got} against {want}");
        // A negative c (a + b < 1 in a fit): 2F1(a, b; b; z) = (1 - z)^-a still.
        let got = hyp2f1(0.7, -0.4, -0.4, 0.3).unwrap();
        assert!(close(got, 0.7f64.powf(-0.7), 1e-12), "{got}");
    }

    #[test]
    fn log_add_exp_does_not_overflow() {
        assert!(close(log_add_exp(0.0, 0.0), 2f64.ln(), 1e-15));
        assert!(close(
            log_add_exp(1000.0, 1000.0),
            1000.0 + 2f64.ln(),
            1e-15
        ));
        assert_eq!(log_add_exp(f64::NEG_INFINITY, -3.0), -3.0);
    }
}
