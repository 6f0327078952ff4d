//! A closed-loop load driver: `concurrency` workers repeat a request for `duration`, recording
//! every latency; a failed check counts as an error.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Requests completed.
    pub requests: u64,
    /// Requests that failed their check.
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// Median latency.
    pub p50: Duration,
    /// 95th percentile latency.
    pub p95: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Requests per second.
    pub throughput: f64,
}

impl Stats {
    /// A measurement taken once (an export, an import, a fan-out): `items` done in `took`,
    /// every percentile that one time, the rate items per second.
    pub fn once(items: u64, took: Duration, error: Option<String>) -> Self {
        Self {
            requests: 1,
            errors: u64::from(error.is_some()),
            first_error: error,
            p50: took,
            p95: took,
            p99: took,
            throughput: items as f64 / took.as_secs_f64().max(1e-9),
        }
    }
}

/// Runs `op(worker, iteration)` from `concurrency` workers for `duration`.
pub async fn run<F, Fut>(concurrency: usize, duration: Duration, op: F) -> Stats
where
    F: Fn(usize, u64) -> Fut + Clone + 'static,
    Fut: Future<Output = Result<(), String>> + 'static,
{
    static MEASUREMENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let n = MEASUREMENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // Progress on stderr, so that a profiler can be attached to one measurement.
    eprintln!(
        "measurement {n} starts ({} s, {concurrency} workers)",
        duration.as_secs_f64()
    );
    let latencies = Rc::new(RefCell::new(Vec::new()));
    let errors = Rc::new(RefCell::new((0u64, None::<String>)));
    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..concurrency {
        let op = op.clone();
        let latencies = latencies.clone();
        let errors = errors.clone();
        handles.push(actix_rt::spawn(async move {
            let mut i = 0u64;
            while started.elapsed() < duration {
                let t = Instant::now();
                let r = op(w, i).await;
                latencies.borrow_mut().push(t.elapsed());
                if let Err(e) = r {
                    let mut errs = errors.borrow_mut();
                    errs.0 += 1;
                    errs.1.get_or_insert(e);
                }
                i += 1;
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut l = latencies.borrow().clone();
    l.sort();
    let pick = |q: f64| {
        l.get(((l.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    let (errors, first_error) = errors.borrow().clone();
    Stats {
        requests: l.len() as u64,
        errors,
        first_error,
        p50: pick(0.5),
        p95: pick(0.95),
        p99: pick(0.99),
        throughput: l.len() as f64 / elapsed.max(1e-9),
    }
}
