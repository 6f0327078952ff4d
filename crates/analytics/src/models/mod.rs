//! Probabilistic customer-base models, fitted by maximum likelihood: BG/NBD for the number of
//! purchases and whether a customer is still alive, Gamma-Gamma for what a purchase is worth.
//! Pure numerics over per-customer summaries; the reports in `ops` feed and read them.

pub mod bgnbd;
mod fit;

pub use fit::not_converged;
pub mod gamma_gamma;
mod special;

pub use bgnbd::{BgNbd, Purchases};
pub use gamma_gamma::{GammaGamma, Spend};

/// Customers a lifetime-value fit learns from at most: beyond, a systematic sample of them
/// (scoring still covers everyone).
pub const FIT_SAMPLE: usize = 50_000;

/// Parameters fitted by maximum likelihood, with how the fit went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fitted<M> {
    /// The model at the likelihood's maximum.
    pub model: M,
    /// The log-likelihood there.
    pub log_likelihood: f64,
    /// Whether the optimiser met its tolerance (else it stopped at its iteration cap).
    pub converged: bool,
    /// The optimiser's iterations.
    pub iterations: u64,
}

/// A systematic sample of about `at_most` customers from `data` (distinct entries with how
/// many customers share each), for fitting a large base in bounded time: the entries are put
/// in the order `by`, the customers laid end to end in that order, and every `total /
/// at_most`-th customer is drawn (the first half a step in), so each entry keeps the customers
/// drawn from it as its weight. Deterministic: the same customers give the same sample. `data`
/// as it is when it holds no more than `at_most` customers.
pub fn systematic_sample<T: Copy>(
    mut data: Vec<(T, f64)>,
    by: impl Fn(&T, &T) -> std::cmp::Ordering,
    at_most: usize,
) -> Vec<(T, f64)> {
    let total: f64 = data.iter().map(|(_, n)| n).sum();
    if at_most == 0 || total <= at_most as f64 {
        return data;
    }
    data.sort_by(|(a, m), (b, n)| by(a, b).then(m.total_cmp(n)));
    let step = total / at_most as f64;
    // Customers drawn up to the running count `c`: those at step/2, 3 step/2, ...
    let drawn = |c: f64| ((c + step / 2.0) / step).floor();
    let mut before = 0.0;
    let mut out = Vec::new();
    for (value, n) in data {
        let after = before + n;
        let picks = drawn(after) - drawn(before);
        if picks > 0.0 {
            out.push((value, picks));
        }
        before = after;
    }
    out
}

#[cfg(test)]
mod tests;
