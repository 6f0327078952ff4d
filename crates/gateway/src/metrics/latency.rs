//! Request latency histograms by route pattern (never the raw path), method and status.
//!
//! Series are created on first use and kept: routes are the app's fixed patterns (or
//! `unmatched`), methods a fixed list and statuses the few the API answers, so their number is
//! bounded. Observing takes a read lock for a hash lookup and adds with atomics; only the first
//! request of a new series takes the write lock.

use actix_web::http::Method;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds (the last, `+Inf`, is the count).
pub const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// The same bounds in microseconds, compared against on the hot path.
const BUCKETS_US: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];
/// The method labels; anything else is `OTHER`.
const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER",
];

fn method_index(method: &Method) -> u8 {
    match *method {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::PATCH => 4,
        Method::DELETE => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

/// One series: the bucket counts (not cumulative), the count and the sum.
#[derive(Default)]
struct Series {
    method: u8,
    status: u16,
    buckets: [AtomicU64; 13],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Series {
    fn observe(&self, micros: u64) {
        if let Some(i) = BUCKETS_US.iter().position(|b| micros <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(micros, Ordering::Relaxed);
    }
}

/// Every latency series of a server.
#[derive(Default)]
pub struct Latencies {
    routes: RwLock<HashMap<String, Vec<Arc<Series>>>>,
}

impl std::fmt::Debug for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Latencies").finish_non_exhaustive()
    }
}

impl Latencies {
    /// Records one request to `route` (a pattern such as `/api/v1/contacts/{id}`, or `None`
    /// when no route matched) answered with `status` after `elapsed`.
    pub fn observe(&self, route: Option<String>, method: &Method, status: u16, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let method = method_index(method);
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        let found = match self.routes.read() {
            Ok(routes) => routes.get(&route).and_then(|series| {
                series
                    .iter()
                    .find(|s| s.method == method && s.status == status)
                    .cloned()
            }),
            Err(_) => None,
        };
        let series = match found {
            Some(series) => series,
            None => {
                let Ok(mut routes) = self.routes.write() else {
                    return;
                };
                let list = routes.entry(route).or_default();
                match list
                    .iter()
                    .find(|s| s.method == method && s.status == status)
                {
                    Some(series) => series.clone(),
                    None => {
                        let series = Arc::new(Series {
                            method,
                            status,
                            ..Series::default()
                        });
                        list.push(series.clone());
                        series
                    }
                }
            }
        };
        series.observe(micros);
    }

    /// Appends the histogram in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        out.push_str(
            "# HELP crm_http_request_duration_seconds Time to answer a request, by route pattern, method and status.\n\
             # TYPE crm_http_request_duration_seconds histogram\n",
        );
        let Ok(routes) = self.routes.read() else {
            return;
        };
        let mut names: Vec<&String> = routes.keys().collect();
        names.sort();
        for route in names {
            let route_label = route.replace('\\', "\\\\").replace('"', "\\\"");
            for s in routes.get(route).into_iter().flatten() {
                let method = METHODS[usize::from(s.method)];
                let labels = format!(
                    "route=\"{route_label}\",method=\"{method}\",status=\"{}\"",
                    s.status
                );
                let mut cumulative = 0;
                for (bound, count) in BUCKETS.iter().zip(&s.buckets) {
                    cumulative += count.load(Ordering::Relaxed);
                    let _ = writeln!(
                        out,
                        "crm_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                    );
                }
                let count = s.count.load(Ordering::Relaxed);
                let sum = s.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
                let _ = writeln!(
                    out,
                    "crm_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}\n\
                     crm_http_request_duration_seconds_sum{{{labels}}} {sum}\n\
                     crm_http_request_duration_seconds_count{{{labels}}} {count}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_series_separate() {
        let l = Latencies::default();
        let route = || Some("/api/v1/contacts/{id}".to_owned());
        l.observe(route(), &Method::GET, 200, Duration::from_micros(800));
        l.observe(route(), &Method::GET, 200, Duration::from_millis(30));
        l.observe(route(), &Method::GET, 404, Duration::from_millis(2));
        l.observe(None, &Method::GET, 404, Duration::from_secs(20));
        let mut out = String::new();
        l.render(&mut out);
        let labels = "route=\"/api/v1/contacts/{id}\",method=\"GET\",status=\"200\"";
        assert!(
            out.contains(&format!("_bucket{{{labels},le=\"0.001\"}} 1\n")),
            "{out}"
        );
        assert!(out.contains(&format!("_bucket{{{labels},le=\"0.025\"}} 1\n")));
        assert!(out.contains(&format!("_bucket{{{labels},le=\"0.05\"}} 2\n")));
        assert!(out.contains(&format!("_count{{{labels}}} 2\n")));
        assert!(out.contains("route=\"unmatched\",method=\"GET\",status=\"404\",le=\"10\"} 0\n"));
        assert!(out.contains("route=\"unmatched\",method=\"GET\",status=\"404\",le=\"+Inf\"} 1\n"));
    }
}
