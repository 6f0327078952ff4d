//! The models against the papers' published fits of the CDNOW sample, and against customers
//! simulated from known parameters: the fits recover the parameters, and the closed-form
//! expectations agree with what the simulated customers then do.

use super::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use statrs::distribution::{Beta, Exp, Gamma};

/// The CDNOW sample: per customer its history and the average value of its repeat purchases.
fn cdnow() -> Vec<(Purchases, f64)> {
    include_str!("../../testdata/cdnow_summary.csv")
        .lines()
        .skip(1)
        .map(|line| {
            let v: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
            (
                Purchases {
                    x: v[1],
                    t_x: v[2],
                    t: v[3],
                },
                v[4],
            )
        })
        .collect()
}

fn near(got: f64, want: f64, relative: f64) -> bool {
    (got - want).abs() <= relative * want.abs()
}

#[test]
fn bgnbd_fits_cdnow_as_the_paper_does() {
    let data: Vec<(Purchases, f64)> = cdnow().into_iter().map(|(p, _)| (p, 1.0)).collect();
    let fit = BgNbd::fit(&data).unwrap();
    let m = fit.model;
    // Fader, Hardie and Lee (2005), section 5: r = 0.243, α = 4.414, a = 0.793, b = 2.426,
    // LL = -9582.4.
    assert!(near(m.r, 0.243, 0.005), "{m:?}");
    assert!(near(m.alpha, 4.414, 0.005), "{m:?}");
    assert!(near(m.a, 0.793, 0.005), "{m:?}");
    assert!(near(m.b, 2.426, 0.005), "{m:?}");
    assert!(
        (fit.log_likelihood - -9582.4).abs() < 0.1,
        "{}",
        fit.log_likelihood
    );
    assert!(fit.converged);
    // The paper's worked example: a customer with x = 2, t_x = 30.43, T = 38.86 is expected
    // to make 1.226 purchases in the next 39 weeks.
    let c = Purchases {
        x: 2.0,
        t_x: 30.43,
        t: 38.86,
    };
    let e = m.expected_purchases(&c, 39.0).unwrap();
    assert!((e - 1.226).abs() < 0.01, "{e}");
    // Without repeat purchases a customer is alive for the model; a frequent buyer silent for
    // long is probably not.
    assert_eq!(
        m.p_alive(&Purchases {
            x: 0.0,
            t_x: 0.0,
            t: 30.0
        }),
        1.0
    );
    assert!(
        m.p_alive(&Purchases {
            x: 10.0,
            t_x: 5.0,
            t: 38.0
        }) < 0.05
    );
}

#[test]
fn gamma_gamma_fits_cdnow_as_the_note_does() {
    let data: Vec<(Spend, f64)> = cdnow()
        .into_iter()
        .map(|(p, zbar)| (Spend { x: p.x, m: zbar }, 1.0))
        .collect();
    let fit = GammaGamma::fit(&data).unwrap();
    let m = fit.model;
    // Fader and Hardie (2013): p = 6.25, q = 3.74, γ = 15.44 from the 946 repeat buyers.
    assert!(near(m.p, 6.25, 0.01), "{m:?}");
    assert!(near(m.q, 3.74, 0.01), "{m:?}");
    assert!(near(m.gamma, 15.44, 0.01), "{m:?}");
    // The population's mean spend p γ / (q - 1) for a customer without repeat purchases.
    let none = m.expected_spend(&Spend { x: 0.0, m: 0.0 }).unwrap();
    assert!(near(none, m.p * m.gamma / (m.q - 1.0), 1e-12));
    // A customer's own average pulls its expectation towards it, the more the more it bought.
    let few = m.expected_spend(&Spend { x: 1.0, m: 100.0 }).unwrap();
    let many = m.expected_spend(&Spend { x: 20.0, m: 100.0 }).unwrap();
    assert!(
        none < few && few < many && many < 100.0,
        "{none} {few} {many}"
    );
}

/// A simulated customer: its history in the calibration window of `t` weeks, the purchases
/// it then made in the `horizon`, and whether it was alive at the window's end.
struct Simulated {
    history: Purchases,
    later: f64,
    alive: bool,
}

/// Customers from a BG/NBD world: λ ~ Gamma(r, α), p ~ Beta(a, b); purchases at rate λ while
/// alive, each repeat purchase followed by drop-out with probability p.
fn simulate(
    model: BgNbd,
    n: usize,
    watched: impl Fn(usize) -> f64,
    horizon: f64,
    rng: &mut StdRng,
) -> Vec<Simulated> {
    let rates = Gamma::new(model.r, model.alpha).unwrap();
    let drop = Beta::new(model.a, model.b).unwrap();
    (0..n)
        .map(|i| {
            let t = watched(i);
            let lambda: f64 = rng.sample(rates);
            let p: f64 = rng.sample(drop);
            let gap = Exp::new(lambda).unwrap();
            let (mut now, mut x, mut t_x, mut later, mut alive) = (0.0, 0.0, 0.0, 0.0, true);
            loop {
                now += rng.sample(gap);
                if now > t + horizon {
                    break;
                }
                if now <= t {
                    x += 1.0;
                    t_x = now;
                } else {
                    later += 1.0;
                }
                if rng.random::<f64>() < p {
                    alive = now > t;
                    break;
                }
            }
            Simulated {
                history: Purchases { x, t_x, t },
                later,
                alive,
            }
        })
        .collect()
}

#[test]
fn bgnbd_recovers_simulated_parameters_and_predicts_what_they_do() {
    let truth = BgNbd {
        r: 0.5,
        alpha: 5.0,
        a: 0.8,
        b: 3.0,
    };
    let mut rng = StdRng::seed_from_u64(7);
    let horizon = 26.0;
    // Acquired over a year: watched from 20 to 72 weeks.
    let customers = simulate(truth, 6000, |i| 20.0 + (i % 53) as f64, horizon, &mut rng);
    let data: Vec<(Purchases, f64)> = customers.iter().map(|c| (c.history, 1.0)).collect();
    let fit = BgNbd::fit(&data).unwrap().model;
    // Stated tolerance: 15 % for the rate's parameters, 30 % for the drop-out's (the
    // likelihood is flat along b).
    assert!(near(fit.r, truth.r, 0.15), "{fit:?}");
    assert!(near(fit.alpha, truth.alpha, 0.15), "{fit:?}");
    assert!(near(fit.a, truth.a, 0.3), "{fit:?}");
    assert!(near(fit.b, truth.b, 0.3), "{fit:?}");
    // With the true parameters, the expectations average to what the customers did.
    let n = customers.len() as f64;
    let expected: f64 = customers
        .iter()
        .map(|c| truth.expected_purchases(&c.history, horizon).unwrap())
        .sum::<f64>()
        / n;
    let actual: f64 = customers.iter().map(|c| c.later).sum::<f64>() / n;
    assert!(
        near(expected, actual, 0.08),
        "expected {expected}, actual {actual}"
    );
    let p_alive: f64 = customers
        .iter()
        .map(|c| truth.p_alive(&c.history))
        .sum::<f64>()
        / n;
    let alive = customers.iter().filter(|c| c.alive).count() as f64 / n;
    assert!(
        near(p_alive, alive, 0.05),
        "P(alive) {p_alive}, alive {alive}"
    );
    // A new customer's first 26 weeks: the unconditional expectation against the simulation.
    let new = truth.expected_purchases_new(horizon).unwrap();
    let fresh = simulate(truth, 20000, |_| horizon, 0.0, &mut rng);
    let mean = fresh.iter().map(|c| c.history.x).sum::<f64>() / fresh.len() as f64;
    assert!(near(new, mean, 0.05), "E[X(26)] {new}, simulated {mean}");
}

#[test]
fn gamma_gamma_recovers_simulated_parameters() {
    let truth = GammaGamma {
        p: 6.0,
        q: 4.0,
        gamma: 15.0,
    };
    let mut rng = StdRng::seed_from_u64(11);
    let nus = Gamma::new(truth.q, truth.gamma).unwrap();
    let mut data = Vec::new();
    let mut expected = 0.0;
    let mut actual = 0.0;
    for i in 0..4000 {
        let nu: f64 = rng.sample(nus);
        let spend = Gamma::new(truth.p, nu).unwrap();
        let x = 1 + i % 6;
        let m = (0..x).map(|_| rng.sample(spend)).sum::<f64>() / x as f64;
        let s = Spend { x: x as f64, m };
        expected += truth.expected_spend(&s).unwrap();
        // The customer's true mean spend per purchase.
        actual += truth.p / nu;
        data.push((s, 1.0));
    }
    let fit = GammaGamma::fit(&data).unwrap().model;
    // Stated tolerance: 15 % each.
    assert!(near(fit.p, truth.p, 0.15), "{fit:?}");
    assert!(near(fit.q, truth.q, 0.15), "{fit:?}");
    assert!(near(fit.gamma, truth.gamma, 0.15), "{fit:?}");
    assert!(
        near(expected / 4000.0, actual / 4000.0, 0.03),
        "{expected} {actual}"
    );
}

#[test]
fn the_totals_equal_the_sum_of_each_customers_likelihood() {
    let data = cdnow();
    let bg = BgNbd {
        r: 0.3,
        alpha: 5.0,
        a: 0.9,
        b: 2.0,
    };
    let histories: Vec<(Purchases, f64)> = data.iter().map(|(p, _)| (*p, 2.0)).collect();
    let each: f64 = histories
        .iter()
        .map(|(p, n)| n * bg.log_likelihood(p))
        .sum();
    assert!(near(bg.total_log_likelihood(&histories), each, 1e-12));
    let gg = GammaGamma {
        p: 5.0,
        q: 3.0,
        gamma: 12.0,
    };
    let spends: Vec<(Spend, f64)> = data
        .iter()
        .filter(|(p, _)| p.x > 0.0)
        .map(|(p, m)| (Spend { x: p.x, m: *m }, 1.0))
        .collect();
    let each: f64 = spends.iter().map(|(s, n)| n * gg.log_likelihood(s)).sum();
    assert!(near(gg.total_log_likelihood(&spends), each, 1e-12));
}

#[test]
fn a_systematic_sample_keeps_the_fit_and_is_deterministic() {
    let truth = BgNbd {
        r: 0.5,
        alpha: 5.0,
        a: 0.8,
        b: 3.0,
    };
    let mut rng = StdRng::seed_from_u64(11);
    let customers = simulate(truth, 20000, |i| 20.0 + (i % 53) as f64, 0.0, &mut rng);
    let data: Vec<(Purchases, f64)> = customers.iter().map(|c| (c.history, 1.0)).collect();
    let order = Purchases::order;
    let sample = systematic_sample(data.clone(), order, 5000);
    let drawn: f64 = sample.iter().map(|(_, n)| n).sum();
    assert_eq!(drawn, 5000.0, "exactly the customers asked for");
    assert!(sample.len() <= 5000);
    // Every repeat-purchase count keeps its share of customers within a step.
    for x in 0..4 {
        let share = |d: &[(Purchases, f64)], total: f64| {
            d.iter()
                .filter(|(p, _)| p.x == x as f64)
                .map(|(_, n)| n)
                .sum::<f64>()
                / total
        };
        let full = share(&data, data.len() as f64);
        let part = share(&sample, drawn);
        assert!((full - part).abs() < 0.002, "x = {x}: {full} vs {part}");
    }
    // The same customers in another order: the same sample.
    let mut reversed = data.clone();
    reversed.reverse();
    assert_eq!(systematic_sample(reversed, order, 5000), sample);
    // Fitted on the sample, the parameters are those of the whole within the recovery test's
    // tolerances.
    let whole = BgNbd::fit(&data).unwrap().model;
    let part = BgNbd::fit(&sample).unwrap().model;
    assert!(near(part.r, whole.r, 0.15), "{part:?} vs {whole:?}");
    assert!(near(part.alpha, whole.alpha, 0.15), "{part:?} vs {whole:?}");
    assert!(near(part.a, whole.a, 0.3), "{part:?} vs {whole:?}");
    assert!(near(part.b, whole.b, 0.3), "{part:?} vs {whole:?}");
    // Small data passes as it is.
    assert_eq!(
        systematic_sample(data[..10].to_vec(), order, 5000).len(),
        10
    );
}

#[test]
fn a_fit_on_one_time_buyers_stays_a_likelihood() {
    // Mostly one-time buyers and a few who bought again: nothing shows anyone dropping out,
    // so the best fits lie where the drop-out shapes and the rate's shape grow without bound.
    // There the log-gamma differences cancelled to rounding noise and made the likelihood
    // positive (211,341 for this base); summed term by term it stays a likelihood.
    for (once, again, t_x) in [
        (1000.0, 5.0, 19.0),
        (1000.0, 100.0, 15.0),
        (500.0, 20.0, 10.0),
    ] {
        let data = vec![
            (
                Purchases {
                    x: 0.0,
                    t_x: 0.0,
                    t: 20.0,
                },
                once,
            ),
            (
                Purchases {
                    x: 1.0,
                    t_x,
                    t: 20.0,
                },
                again,
            ),
            (
                Purchases {
                    x: 0.0,
                    t_x: 0.0,
                    t: 7.0,
                },
                once / 2.0,
            ),
        ];
        let fit = BgNbd::fit(&data).unwrap();
        assert!(fit.log_likelihood < 0.0, "{fit:?}");
        assert!((fit.model.total_log_likelihood(&data) - fit.log_likelihood).abs() < 1e-9);
        let m = fit.model;
        assert!(
            [m.r, m.alpha, m.a, m.b]
                .iter()
                .all(|v| v.is_finite() && *v > 0.0),
            "{m:?}"
        );
        // Each customer's terms agree with the total's.
        let each: f64 = data.iter().map(|(c, n)| n * m.log_likelihood(c)).sum();
        assert!((each - fit.log_likelihood).abs() < 1e-9 * fit.log_likelihood.abs());
    }
}
