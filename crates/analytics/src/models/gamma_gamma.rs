//! The Gamma-Gamma model of spend per purchase (Fader and Hardie 2013, "The Gamma-Gamma Model
//! of Monetary Value", after Colombo and Jiang 1999): a customer's purchases are worth
//! Gamma(p, ν) each, and ν varies across customers as Gamma(q, γ). From the average `m` of a
//! customer's `x` repeat purchases it gives the spend per purchase to expect from it.

use super::Fitted;
use super::fit::maximise;
use statrs::function::gamma::ln_gamma;

/// What a customer's repeat purchases were worth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spend {
    /// Repeat purchases (`x`).
    pub x: f64,
    /// Their average value (`m_x`; ignored without repeats).
    pub m: f64,
}

impl Spend {
    /// The one order spends are summed and sampled in: by `x`, then `m`.
    pub fn order(&self, other: &Self) -> std::cmp::Ordering {
        self.x.total_cmp(&other.x).then(self.m.total_cmp(&other.m))
    }
}

/// The three parameters of a Gamma-Gamma model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    /// Shape of the spend per purchase around a customer's mean.
    pub p: f64,
    /// Shape of the customers' rate parameters.
    pub q: f64,
    /// Scale of the customers' rate parameters (`γ`), in money.
    pub gamma: f64,
}

impl GammaGamma {
    /// The log-likelihood of one customer's average spend (from equation 3 of the note): for
    /// customers with at least one repeat purchase of positive value.
    pub fn log_likelihood(&self, s: &Spend) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        let (x, m) = (s.x, s.m);
        ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
            + (p * x - 1.0) * m.ln()
            + p * x * x.ln()
            + Self::scale_terms(q, gamma, p * x, x * m)
    }

    /// `q ln γ - (px + q) ln(γ + xm)` as `-q ln(1 + xm/γ) - px ln(γ + xm)`: the first form's
    /// terms grow huge and cancel when a fit runs `q` and `γ` up together.
    fn scale_terms(q: f64, gamma: f64, px: f64, total: f64) -> f64 {
        -q * (total / gamma).ln_1p() - px * (gamma + total).ln()
    }

    /// The log-likelihood of many customers, each with how many share its spend; the gamma
    /// functions once per run of equal `x` (the fit sorts by it).
    pub fn total_log_likelihood(&self, data: &[(Spend, f64)]) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        let lg_q = ln_gamma(q);
        let mut current = f64::NAN;
        let mut head = 0.0;
        let mut sum = 0.0;
        for (s, n) in data {
            let x = s.x;
            if x != current {
                current = x;
                head = ln_gamma(p * x + q) - ln_gamma(p * x) - lg_q + p * x * x.ln();
            }
            sum +=
                n * (head + (p * x - 1.0) * s.m.ln() + Self::scale_terms(q, gamma, p * x, x * s.m));
        }
        sum
    }

    /// The spend per purchase to expect from the customer (equation 5): its own average
    /// weighed against the population's; the population's (`p γ / (q - 1)`) without repeat
    /// purchases. `None` when q <= 1, where the population's mean is infinite.
    pub fn expected_spend(&self, s: &Spend) -> Option<f64> {
        let GammaGamma { p, q, gamma } = *self;
        let (x, m) = if s.x > 0.0 { (s.x, s.m) } else { (0.0, 0.0) };
        let denominator = p * x + q - 1.0;
        (denominator > 0.0 && q > 1.0).then(|| p * (gamma + x * m) / denominator)
    }

    /// The model of greatest likelihood for `data` (only customers with repeat purchases of
    /// positive value count), searched from p = q = γ = 1, in one order whatever order they
    /// come in. `None` without such customers.
    pub fn fit(data: &[(Spend, f64)]) -> Option<Fitted<GammaGamma>> {
        let mut usable: Vec<(Spend, f64)> = data
            .iter()
            .filter(|(s, n)| s.x > 0.0 && s.m > 0.0 && *n > 0.0)
            .copied()
            .collect();
        // One order whatever order they come in: the same customers, the same parameters.
        usable.sort_by(|(s, m), (t, n)| s.order(t).then(m.total_cmp(n)));
        let weight: f64 = usable.iter().map(|(_, n)| n).sum();
        if weight <= 0.0 {
            return None;
        }
        let of = |p: &[f64]| GammaGamma {
            p: p[0],
            q: p[1],
            gamma: p[2],
        };
        let found = maximise(
            |p| of(p).total_log_likelihood(&usable) / weight,
            &[1.0, 1.0, 1.0],
        )?;
        let model = of(&found.params);
        Some(Fitted {
            model,
            iterations: found.iterations,
            converged: found.converged,
            log_likelihood: model.total_log_likelihood(&usable),
        })
    }
}
