//! Probabilistic customer-base models, fitted by maximum likelihood: BG/NBD for the number of
//! purchases and whether a customer is still alive, Gamma-Gamma for what a purchase is worth.
//! Pure numerics over per-customer summaries; the reports in `ops` feed and read them.

pub mod bgnbd;
mod fit;
pub mod gamma_gamma;
mod special;

pub use bgnbd::{BgNbd, Purchases};
pub use gamma_gamma::{GammaGamma, Spend};

/// Parameters fitted by maximum likelihood, with how the fit went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fitted<M> {
    /// The model at the likelihood's maximum.
    pub model: M,
    /// The log-likelihood there.
    pub log_likelihood: f64,
    /// Whether the optimiser met its tolerance (else it stopped at its iteration cap).
    pub converged: bool,
}

#[cfg(test)]
mod tests;
