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

/// One request a collector received: its path, content type and body.
struct Received {
    path: String,
    content_type: String,
    body: Vec<u8>,
}

/// A minimal OTLP/HTTP collector on loopback: answers every POST with 200 and hands what it
/// got to the test. Stops when the test drops the receiving end.
fn collector() -> (u16, std::sync::mpsc::Receiver<Received>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                    let (mut length, mut content_type) = (0usize, String::new());
                    loop {
                        let mut header = String::new();
                        reader.read_line(&mut header).unwrap();
                        let header = header.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        let (name, value) = header.split_once(':').unwrap();
                        match name.to_ascii_lowercase().as_str() {
                            "content-length" => length = value.trim().parse().unwrap(),
                            "content-type" => content_type = value.trim().to_owned(),
                            _ => {}
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    writer
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n")
                        .unwrap();
                    if tx
                        .send(Received {
                            path,
                            content_type,
                            body,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (port, rx)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The real binary with `CRM_OTLP_ENDPOINT` set exports each request's span to the collector,
/// as protobuf at `/v1/traces`, in the caller's trace (`traceparent`) with the route pattern,
/// method, status and request id.
async fn otlp_export(backend: crm_tests::Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, pg)) = crm_tests::fresh_database(backend, dir.path()).await else {
        return;
    };
    let (port, received) = collector();
    let endpoint = format!("http://127.0.0.1:{port}");
    let server = crm_tests::process::ServerProcess::start(
        &url,
        dir.path(),
        &[
            ("CRM_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let client = awc::Client::default();
    let missing = uuid::Uuid::now_v7();
    let res = client
        .get(format!("{}/api/v1/contacts/{missing}", server.base))
        .insert_header(("traceparent", format!("00-{trace_id}-{parent_id}-01")))
        .insert_header(("x-request-id", "otlp-probe-request-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let span = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let got = received
            .recv_timeout(left)
            .expect("the request's span reached the collector within 30 s");
        assert_eq!(got.path, "/v1/traces");
        assert_eq!(got.content_type, "application/x-protobuf");
        if contains(&got.body, b"otlp-probe-request-1") {
            break got.body;
        }
    };
    assert!(contains(&span, &hex(trace_id)), "the caller's trace id");
    assert!(
        contains(&span, &hex(parent_id)),
        "the caller's span as parent"
    );
    for text in [
        "/api/v1/contacts/{id}",
        "GET /api/v1/contacts/{id}",
        "http.route",
        "http.method",
        "http.status_code",
        "request_id",
        "crm",
    ] {
        assert!(
            contains(&span, text.as_bytes()),
            "{text} in the exported span"
        );
    }
    assert!(
        !contains(&span, missing.to_string().as_bytes()),
        "no raw path"
    );
    drop(server);
    if let Some(pg) = pg {
        crm_tests::drop_database(pg).await;
    }
}

#[actix_rt::test]
async fn otlp_export_sqlite() {
    otlp_export(crm_tests::Backend::Sqlite).await;
}

#[actix_rt::test]
async fn otlp_export_postgres() {
    otlp_export(crm_tests::Backend::Postgres).await;
}
