//! What an operator scrapes and traces: `GET /metrics` with request latency histograms by route
//! pattern (never the raw path), method and status, the database pool's gauges and the process
//! metrics; and request spans exported over OTLP/HTTP to a collector (a receiver on loopback
//! inside the test), children of the caller's `traceparent`.

use crm_tests::dual;
use serde_json::json;

/// The value of the sample whose name and labels are exactly `series`.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().expect("a number"))
    })
}

fn must(metrics: &str, series: &str) -> f64 {
    sample(metrics, series).unwrap_or_else(|| panic!("no {series} in\n{metrics}"))
}

dual! {
    async fn metrics_histograms_pool_and_process(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let contact = app
            .post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Hans", "email": "hans@globex.test"}))
            .await
            .ok(201);
        let id = contact["id"].as_str().unwrap().to_owned();
        for _ in 0..3 {
            app.get(&format!("/api/v1/contacts/{id}"), Some(&s.token)).await.ok(200);
        }
        let missing = uuid::Uuid::now_v7();
        app.get(&format!("/api/v1/contacts/{missing}"), Some(&s.token)).await.problem(404, "not_found");
        app.call("HEAD", &format!("/api/v1/contacts/{id}"), Some(&s.token), None).await;
        app.get("/no/such/path/zzqx", None).await.problem(404, "not_found");
        app.gql(Some(&s.token), "{ me { user { email } } }", json!({})).await.ok(200);

        let res = app.get("/metrics", None).await;
        assert_eq!(res.status, 200);
        let m = res.text();
        assert!(m.contains("# TYPE crm_http_request_duration_seconds histogram"), "{m}");

        // Histograms by pattern, method and status; the raw path never shows.
        let get_ok = "route=\"/api/v1/contacts/{id}\",method=\"GET\",status=\"200\"";
        assert_eq!(must(&m, &format!("crm_http_request_duration_seconds_count{{{get_ok}}}")), 3.0);
        assert_eq!(
            must(&m, &format!("crm_http_request_duration_seconds_bucket{{{get_ok},le=\"+Inf\"}}")),
            3.0
        );
        let fastest = must(&m, &format!("crm_http_request_duration_seconds_bucket{{{get_ok},le=\"0.001\"}}"));
        let within_10s = must(&m, &format!("crm_http_request_duration_seconds_bucket{{{get_ok},le=\"10\"}}"));
        assert!(fastest <= within_10s && within_10s == 3.0, "cumulative buckets: {fastest} {within_10s}");
        let sum = must(&m, &format!("crm_http_request_duration_seconds_sum{{{get_ok}}}"));
        assert!(sum > 0.0 && sum < 30.0, "sum {sum}");
        let not_found = "route=\"/api/v1/contacts/{id}\",method=\"GET\",status=\"404\"";
        assert_eq!(must(&m, &format!("crm_http_request_duration_seconds_count{{{not_found}}}")), 1.0);
        let head = "route=\"/api/v1/contacts/{id}\",method=\"HEAD\",status=\"200\"";
        assert_eq!(must(&m, &format!("crm_http_request_duration_seconds_count{{{head}}}")), 1.0);
        let created = "route=\"/api/v1/contacts\",method=\"POST\",status=\"201\"";
        assert_eq!(must(&m, &format!("crm_http_request_duration_seconds_count{{{created}}}")), 1.0);
        let graphql = "route=\"/graphql\",method=\"POST\",status=\"200\"";
        assert_eq!(must(&m, &format!("crm_http_request_duration_seconds_count{{{graphql}}}")), 1.0);
        let unmatched = "route=\"unmatched\",method=\"GET\",status=\"404\"";
        assert!(must(&m, &format!("crm_http_request_duration_seconds_count{{{unmatched}}}")) >= 1.0);
        assert!(!m.contains(&id) && !m.contains(&missing.to_string()) && !m.contains("zzqx"), "{m}");

        // The database pool (the harness opens at most 5).
        let size = must(&m, "crm_db_pool_connections");
        let idle = must(&m, "crm_db_pool_idle_connections");
        assert!((1.0..=5.0).contains(&size) && idle <= size, "pool {size} {idle}");
        assert_eq!(must(&m, "crm_db_pool_max_connections"), 5.0);

        // The process (the tests' own, since the server runs inside them).
        let rss = must(&m, "process_resident_memory_bytes");
        assert!(rss > 1e6 && rss < 64e9, "rss {rss}");
        assert!(must(&m, "process_cpu_seconds_total") > 0.0);
        let fds = must(&m, "process_open_fds");
        assert!(fds >= 3.0 && fds <= must(&m, "process_max_fds"), "fds {fds}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let started = must(&m, "process_start_time_seconds");
        assert!(started <= now + 1.0 && started > now - 24.0 * 3600.0, "start {started}, now {now}");
        assert!(m.contains("# TYPE process_cpu_seconds_total counter"));
    }
}
