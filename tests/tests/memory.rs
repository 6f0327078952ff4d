//! Memory under hostile load, measured from outside on the real `crm` binary (its own process):
//! a flood of concurrent logins for distinct unknown emails keeps the server
//! under 300 MB and answers every one of them (401, 429 or 503, never a hang), and after a burst
//! of large bad requests the resident memory comes back to within twice its idle figure.

use crm_tests::process::ServerProcess;
use crm_tests::{Backend, drop_database, fresh_database};
use serde_json::json;
use std::time::{Duration, Instant};

fn client() -> awc::Client {
    awc::Client::builder()
        .connector(awc::Connector::new().limit(400))
        .timeout(Duration::from_secs(60))
        .finish()
}

async fn with_server(
    backend: Backend,
    env: &[(&str, &str)],
    test: impl AsyncFnOnce(&ServerProcess),
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((url, pg)) = fresh_database(backend, dir.path()).await else {
        return;
    };
    let server = ServerProcess::start(&url, dir.path(), env).await;
    let outcome =
        futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(test(&server))).await;
    drop(server);
    if let Some(pg) = pg {
        drop_database(pg).await;
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// 200 logins at once, each for another unknown email, from one address.
async fn login_flood(server: &ServerProcess) -> Vec<u16> {
    let client = client();
    let started = Instant::now();
    let requests = (0..200).map(|i| {
        let client = client.clone();
        let url = format!("{}/api/v1/auth/login", server.base);
        async move {
            match client
                .post(url)
                .send_json(&json!({"email": format!("flood{i}@nowhere.test"), "password": "not the password"}))
                .await
            {
                Ok(res) => res.status().as_u16(),
                Err(e) => panic!("login {i} got no answer: {e}"),
            }
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    eprintln!("200 concurrent logins answered in {:?}", started.elapsed());
    statuses
}

async fn flood_is_bounded(backend: Backend, per_ip: &'static str) {
    with_server(backend, &[("CRM_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", per_ip)], async |server| {
        let (idle, _) = server.memory_kb();
        let statuses = login_flood(server).await;
        let (now, peak) = server.memory_kb();
        let count = |s: u16| statuses.iter().filter(|x| **x == s).count();
        eprintln!(
            "{backend:?}, {per_ip} logins/IP/min: {} x 401, {} x 429, {} x 503; RSS idle {idle} kB, after {now} kB, peak {peak} kB",
            count(401), count(429), count(503)
        );
        assert!(statuses.iter().all(|s| matches!(s, 401 | 429 | 503)), "{statuses:?}");
        assert!(count(401) > 0, "some logins were checked");
        assert!(peak < 300 * 1024, "peak RSS {peak} kB");
    })
    .await;
}

async fn memory_returns_after_a_burst(backend: Backend) {
    with_server(backend, &[("CRM_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000")], async |server| {
        let client = client();
        let base = server.base.clone();
        // Warm up every path the burst takes, then take the idle figure.
        for _ in 0..20 {
            let _ = client.post(format!("{base}/api/v1/contacts")).insert_header(("content-type", "application/json")).send_body("{").await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (idle, _) = server.memory_kb();
        // 1,000 bodies of 900 kB each, 250 at a time: malformed JSON, a wrong shape, a duplicate
        // key; then 200 logins at once (each a password hash) and 50 sign-ups with bad input.
        let big = "x".repeat(900 * 1024);
        let bodies = [
            format!("{{\"last_name\": \"{big}"),
            format!("{{\"last_name\": \"{big}\", \"nope\": 1}}"),
            format!("{{\"last_name\": \"a\", \"last_name\": \"{big}\"}}"),
        ];
        for wave in 0..4 {
            let requests = (0..250).map(|i| {
                let body = bodies[(wave + i) % bodies.len()].clone();
                let client = client.clone();
                let url = format!("{base}/api/v1/contacts");
                async move {
                    let res = client.post(url).insert_header(("content-type", "application/json")).send_body(body).await;
                    res.map(|r| r.status().as_u16()).unwrap_or(0)
                }
            });
            let statuses = futures_util::future::join_all(requests).await;
            assert!(statuses.iter().all(|s| (400..500).contains(s)), "{statuses:?}");
        }
        let statuses = login_flood(server).await;
        assert!(statuses.iter().all(|s| matches!(s, 401 | 429 | 503)), "{statuses:?}");
        let signups = (0..50).map(|i| {
            let client = client.clone();
            let url = format!("{base}/api/v1/auth/signup");
            async move {
                let body = json!({"org_name": "\u{0}", "name": "x", "email": format!("s{i}@x.test"), "password": "short"});
                client.post(url).send_json(&body).await.map(|r| r.status().as_u16()).unwrap_or(0)
            }
        });
        let statuses = futures_util::future::join_all(signups).await;
        assert!(statuses.iter().all(|s| matches!(s, 422 | 429)), "{statuses:?}");
        let (_, peak) = server.memory_kb();
        let mut now = u64::MAX;
        for _ in 0..100 {
            now = server.memory_kb().0;
            if now <= 2 * idle {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        eprintln!("{backend:?}: RSS idle {idle} kB, peak {peak} kB, after the burst {now} kB");
        assert!(now <= 2 * idle, "RSS {now} kB after the burst, idle was {idle} kB (peak {peak} kB)");
    })
    .await;
}

#[actix_rt::test]
async fn sqlite_login_flood_stays_bounded() {
    flood_is_bounded(Backend::Sqlite, "1000").await;
    flood_is_bounded(Backend::Sqlite, "60").await;
}

#[actix_rt::test]
async fn postgres_login_flood_stays_bounded() {
    flood_is_bounded(Backend::Postgres, "1000").await;
}

#[actix_rt::test]
async fn sqlite_memory_returns_after_a_burst() {
    memory_returns_after_a_burst(Backend::Sqlite).await;
}

#[actix_rt::test]
async fn postgres_memory_returns_after_a_burst() {
    memory_returns_after_a_burst(Backend::Postgres).await;
}
