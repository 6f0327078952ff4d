//! The BG/NBD model (Fader, Hardie and Lee 2005, "Counting your customers the easy way"):
//! while alive, a customer buys at a Poisson rate λ that varies across customers as
//! Gamma(r, α); after each purchase it drops out with probability p, which varies as Beta(a, b).
//! From a customer's repeat purchases `x`, the time of its last purchase `t_x` and its age `T`
//! (all in one time unit, from its first purchase), the model gives the number of purchases to
//! expect in a coming period and the probability that it is still alive.

use super::Fitted;
use super::fit::maximise;
use super::special::{log_add_exp, scaled_hyp2f1};
use statrs::function::gamma::ln_gamma;

/// The terms of the likelihood that depend on `x` alone, ln Γ(r+x)/Γ(r) + ln B(a, b+x)/B(a, b):
/// for whole `x` summed as Σ_{k<x} ln((r+k)(b+k)/(a+b+k)), exact where the differences of
/// log-gamma functions cancel to nothing (a fit running `a` or `r` into the millions made the
/// likelihood positive by rounding alone); kept from one `x` to the next when they ascend.
struct Head {
    r: f64,
    a: f64,
    b: f64,
    /// The `x` summed up to, and the sum.
    k: u64,
    sum: f64,
}

/// Repeat purchases summed term by term at most; beyond, the log-gamma functions are used.
const MAX_TERMS: f64 = 100_000.0;

impl Head {
    fn new(m: &BgNbd) -> Head {
        Head {
            r: m.r,
            a: m.a,
            b: m.b,
            k: 0,
            sum: 0.0,
        }
    }

    /// The terms at `x`.
    fn at(&mut self, x: f64) -> f64 {
        let Head { r, a, b, .. } = *self;
        if x.fract() != 0.0 || !(0.0..=MAX_TERMS).contains(&x) {
            return ln_gamma(r + x) - ln_gamma(r) + ln_gamma(a + b) + ln_gamma(b + x)
                - ln_gamma(b)
                - ln_gamma(a + b + x);
        }
        let want = x as u64;
        if want < self.k {
            (self.k, self.sum) = (0, 0.0);
        }
        while self.k < want {
            let k = self.k as f64;
            self.sum += (r + k).ln() + (b + k).ln() - (a + b + k).ln();
            self.k += 1;
        }
        self.sum
    }
}

/// A customer's purchase history as the models read it, in the model's time unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Purchases {
    /// Repeat purchases: the purchases after the first (`x`).
    pub x: f64,
    /// When the last purchase was, counted from the first (`t_x`; 0 without repeats).
    pub t_x: f64,
    /// How long the customer has been watched: from its first purchase to the end of the
    /// calibration window (`T`).
    pub t: f64,
}

impl Purchases {
    /// The one order histories are summed and sampled in: by `x`, then `t_x`, then `T`.
    pub fn order(&self, other: &Self) -> std::cmp::Ordering {
        self.x
            .total_cmp(&other.x)
            .then(self.t_x.total_cmp(&other.t_x))
            .then(self.t.total_cmp(&other.t))
    }
}

/// The four parameters of a BG/NBD model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    /// Shape of the purchase rates' gamma distribution.
    pub r: f64,
    /// Scale (rate) of the purchase rates' gamma distribution, in the time unit.
    pub alpha: f64,
    /// First shape of the drop-out probabilities' beta distribution.
    pub a: f64,
    /// Second shape of the drop-out probabilities' beta distribution.
    pub b: f64,
}

impl BgNbd {
    /// The log-likelihood of one customer's history (equation 6 of the paper, in logs).
    pub fn log_likelihood(&self, c: &Purchases) -> f64 {
        let mut head = Head::new(self);
        self.with_head(head.at(c.x), c)
    }

    /// The log-likelihood of many customers, each history with how many customers share it.
    /// The terms that depend on `x` alone are summed once per value of `x` up to the largest
    /// (the fit sorts by it), so a large base costs a few logarithms per history.
    pub fn total_log_likelihood(&self, data: &[(Purchases, f64)]) -> f64 {
        let mut head = Head::new(self);
        data.iter()
            .map(|(c, n)| n * self.with_head(head.at(c.x), c))
            .sum()
    }

    /// A history's log-likelihood from its `x`-only terms: the gamma-rate and beta-drop-out
    /// parts, as `-r ln(1 + T/α) - x ln(α + T)` rather than `r ln α - (r + x) ln(α + T)`, whose
    /// two terms grow huge and cancel when a fit runs `r` and `α` up together.
    fn with_head(&self, head: f64, c: &Purchases) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let x = c.x;
        let alive = -r * (c.t / alpha).ln_1p() - x * (alpha + c.t).ln();
        let dead = if x > 0.0 {
            a.ln() - (b + x - 1.0).ln() - r * (c.t_x / alpha).ln_1p() - x * (alpha + c.t_x).ln()
        } else {
            f64::NEG_INFINITY
        };
        head + log_add_exp(alive, dead)
    }

    /// ln of the odds that the customer has dropped out (`None` without repeat purchases,
    /// when the model says it cannot have).
    fn ln_dead_odds(&self, c: &Purchases) -> Option<f64> {
        let BgNbd { r, alpha, a, b } = *self;
        (c.x > 0.0).then(|| {
            a.ln() - (b + c.x - 1.0).ln() + (r + c.x) * ((alpha + c.t).ln() - (alpha + c.t_x).ln())
        })
    }

    /// The probability that the customer is still alive at the end of the window (equation
    /// 13 of the paper): 1 for a customer with no repeat purchase.
    pub fn p_alive(&self, c: &Purchases) -> f64 {
        match self.ln_dead_odds(c) {
            None => 1.0,
            Some(d) => 1.0 / (1.0 + d.exp()),
        }
    }

    /// The purchases the customer is expected to make in the `horizon` after the window
    /// (equation 10), the hypergeometric term scaled in logarithms so that it neither
    /// overflows for frequent buyers nor for a fit whose drop-out shapes grew huge.
    pub fn expected_purchases(&self, c: &Purchases, horizon: f64) -> Option<f64> {
        let BgNbd { r, alpha, a, b } = *self;
        let x = c.x;
        let z = horizon / (alpha + c.t + horizon);
        let scaled = scaled_hyp2f1(r + x, b + x, a + b + x - 1.0, z, (r + x) * (-z).ln_1p())?;
        let head = (a + b + x - 1.0) / (a - 1.0);
        let value = head * (1.0 - scaled) * self.p_alive(c);
        value.is_finite().then_some(value.max(0.0))
    }

    /// The purchases a customer just acquired is expected to make in its first `t` (equation
    /// 9).
    pub fn expected_purchases_new(&self, t: f64) -> Option<f64> {
        let BgNbd { r, alpha, a, b } = *self;
        let z = t / (alpha + t);
        let scaled = scaled_hyp2f1(r, b, a + b - 1.0, z, r * (-z).ln_1p())?;
        let value = (a + b - 1.0) / (a - 1.0) * (1.0 - scaled);
        value.is_finite().then_some(value)
    }

    /// The model of greatest likelihood for `data` (histories with how many customers share
    /// each), searched from r = α = a = b = 1. `None` when no model has a finite likelihood.
    /// The histories are summed in one order whatever order they come in, so that the same
    /// customers always give the same parameters, to the last bit.
    pub fn fit(data: &[(Purchases, f64)]) -> Option<Fitted<BgNbd>> {
        let mut data = data.to_vec();
        data.sort_by(|(p, m), (q, n)| p.order(q).then(m.total_cmp(n)));
        let data = &data[..];
        let weight: f64 = data.iter().map(|(_, n)| n).sum();
        if weight <= 0.0 {
            return None;
        }
        let of = |p: &[f64]| BgNbd {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
        };
        // Per customer, so that the optimiser's tolerance means the same for any base size.
        let found = maximise(
            |p| of(p).total_log_likelihood(data) / weight,
            &[1.0, 1.0, 1.0, 1.0],
        )?;
        let model = of(&found.params);
        Some(Fitted {
            model,
            iterations: found.iterations,
            converged: found.converged,
            log_likelihood: model.total_log_likelihood(data),
        })
    }
}
