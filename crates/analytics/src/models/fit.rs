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

/// The parameters (all positive) that maximise `log_likelihood`, searched from `start`, with
/// the maximum and whether the search converged. `None` when no finite likelihood was found.
pub fn maximise<F: Fn(&[f64]) -> f64>(
    log_likelihood: F,
    start: &[f64],
) -> Option<(Vec<f64>, f64, bool)> {
    let mut problem = Negative(log_likelihood);
    let mut point: Vec<f64> = start.iter().map(|v| v.ln()).collect();
    let mut converged = false;
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
        point = result.state().get_best_param()?.clone();
        problem = result.problem.problem?;
    }
    let params: Vec<f64> = point.iter().map(|v| v.exp()).collect();
    let value = (problem.0)(&params);
    value.is_finite().then_some((params, value, converged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_maximum_of_a_smooth_function() {
        // Maximum at (2, 0.5): a log-normal-shaped bump in each coordinate.
        let f = |p: &[f64]| -((p[0] / 2.0).ln().powi(2) + (p[1] / 0.5).ln().powi(2));
        let (params, value, converged) = maximise(f, &[1.0, 1.0]).unwrap();
        assert!(converged);
        assert!((params[0] - 2.0).abs() < 1e-4, "{params:?}");
        assert!((params[1] - 0.5).abs() < 1e-4, "{params:?}");
        assert!(value.abs() < 1e-8);
    }
}
