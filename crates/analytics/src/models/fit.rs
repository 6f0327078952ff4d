//! Maximum likelihood over positive parameters: Nelder-Mead (argmin) on their logarithms, so
//! that every point it tries is a valid model, restarted once from its best point so that a
//! simplex collapsed early does not stop the search.

use argmin::core::{CostFunction, Error, Executor, State, TerminationReason, TerminationStatus};
use argmin::solver::neldermead::NelderMead;

/// Iterations per run.
const MAX_ITERS: u64 = 3000;
/// The spread of the simplex's values at which a run has converged.
const TOLERANCE: f64 = 1e-10;

/// The negative log-likelihood at `exp(point)`.
struct Negative<F>(F);

impl<F: Fn(&[f64]) -> f64> CostFunction for Negative<F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, point: &Self::Param) -> Result<f64, Error> {
        let params: Vec<f64> = point.iter().map(|v| v.exp()).collect();
        let value = -(self.0)(&params);
        // A point where the likelihood is not a number is as bad as can be.
        Ok(if value.is_finite() { value } else { f64::MAX })
    }
}

/// Where a search ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// The parameters at the best point found.
    pub params: Vec<f64>,
    /// The function's value there.
    pub value: f64,
    /// Whether the last run met its tolerance.
    pub converged: bool,
    /// Iterations taken, both runs together.
    pub iterations: u64,
}

/// What a search that did not converge tried and where it stopped, for the report: the
/// `names` of its parameters (all searched from 1).
pub fn not_converged(names: &str, iterations: u64, log_likelihood: f64) -> String {
    format!(
        "Nelder-Mead over the logarithms of {names}, each from 1, run twice (the second run \
         from the first's best point), at most {MAX_ITERS} iterations each: it stopped after \
         {iterations} iterations without the simplex's values agreeing within {TOLERANCE:e}. \
         The parameters given are its best point (log-likelihood {log_likelihood:.3}). Few \
         repeat purchases or a short window leave the likelihood nearly flat in some \
         direction; a longer window (an earlier `from`) gives the models more to learn from."
    )
}

/// The parameters (all positive) that maximise `log_likelihood`, searched from
/// `start`, with the maximum and whether the search converged. `None` when no finite
/// likelihood was found.
pub fn maximise<F: Fn(&[f64]) -> f64>(log_likelihood: F, start: &[f64]) -> Option<Search> {
    let mut problem = Negative(log_likelihood);
    let mut point: Vec<f64> = start.iter().map(|v| v.ln()).collect();
    let mut converged = false;
    let mut iterations = 0;
    for _ in 0..2 {
        let mut simplex = vec![point.clone()];
        for i in 0..point.len() {
            let mut vertex = point.clone();
            vertex[i] += 0.5;
            simplex.push(vertex);
        }
        let solver = NelderMead::new(simplex).with_sd_tolerance(TOLERANCE).ok()?;
        let result = Executor::new(problem, solver)
            .configure(|state| state.max_iters(MAX_ITERS))
            .run()
            .ok()?;
        converged = matches!(
            result.state().get_termination_status(),
            TerminationStatus::Terminated(TerminationReason::SolverConverged)
        );
        iterations += result.state().get_iter();
        point = result.state().get_best_param()?.clone();
        problem = result.problem.problem?;
    }
    let params: Vec<f64> = point.iter().map(|v| v.exp()).collect();
    let value = (problem.0)(&params);
    value.is_finite().then_some(Search {
        params,
        value,
        converged,
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_maximum_of_a_smooth_function() {
        // Maximum at (2, 0.5): a log-normal-shaped bump in each coordinate.
        let f = |p: &[f64]| -((p[0] / 2.0).ln().powi(2) + (p[1] / 0.5).ln().powi(2));
        let found = maximise(f, &[1.0, 1.0]).unwrap();
        let (params, value) = (&found.params, found.value);
        assert!(found.converged);
        assert!(found.iterations > 0 && found.iterations <= 2 * MAX_ITERS);
        assert!((params[0] - 2.0).abs() < 1e-4, "{params:?}");
        assert!((params[1] - 0.5).abs() < 1e-4, "{params:?}");
        assert!(value.abs() < 1e-8);
    }

    #[test]
    fn a_search_without_a_maximum_stops_at_its_cap_and_says_so() {
        // Rises without bound: the simplex runs to where the parameter overflows and stays.
        let found = maximise(|p: &[f64]| p[0].sqrt(), &[1.0]).unwrap();
        assert!(!found.converged, "{found:?}");
        assert_eq!(found.iterations, 2 * MAX_ITERS);
        let why = not_converged("r", found.iterations, found.value);
        assert!(why.contains("logarithms of r, each from 1"), "{why}");
        assert!(
            why.contains(&format!("after {} iterations", 2 * MAX_ITERS)),
            "{why}"
        );
    }
}
