//! The general request limit: per principal (user, API key, client address), on REST and
//! GraphQL, with the IETF `RateLimit-Policy` / `RateLimit` headers on every counted answer and a
//! 429 `rate_limited` with `Retry-After` beyond the quota; counted in the process, or shared by
//! two servers through Redis (a key prefix of each test's own, so tests run in parallel), and
//! counted in the process again while Redis does not answer.
//!
//! Redis is looked for at `CRM_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`); without one
//! the Redis tests skip, unless `CRM_TEST_REQUIRE_REDIS=1` (set by `scripts/test`).

use crm_tests::{Resp, TestApp, dual};
use serde_json::json;

fn redis_url() -> String {
    std::env::var("CRM_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Whether Redis answers; panics when it does not and it is required.
fn redis_up() -> bool {
    let url = redis_url();
    let host = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_owned();
    let up = std::net::ToSocketAddrs::to_socket_addrs(&host)
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(1)).is_ok()
        });
    let required = std::env::var("CRM_TEST_REQUIRE_REDIS").is_ok_and(|v| v == "1" || v == "true");
    assert!(
        up || !required,
        "Redis is required (CRM_TEST_REQUIRE_REDIS) but does not answer at {url}"
    );
    if !up {
        eprintln!("skipped: no Redis at {url}");
    }
    up
}

/// A key prefix no other test (or run) uses.
fn unique_prefix() -> String {
    format!("crm:test:{}:", uuid::Uuid::now_v7())
}

/// `r` of the `"default"` member of `RateLimit`, after checking the policy header.
fn remaining(res: &Resp, quota: u32) -> u32 {
    assert_eq!(
        res.header("ratelimit-policy").as_deref(),
        Some(format!("\"default\";q={quota};w=60").as_str()),
        "policy of a {} answer",
        res.status
    );
    let state = res.header("ratelimit").expect("RateLimit header");
    let member = state
        .split(',')
        .map(str::trim)
        .find(|m| m.starts_with("\"default\";"))
        .unwrap_or_else(|| panic!("no default policy in {state}"));
    let mut r = None;
    for param in member.split(';').skip(1) {
        match param.split_once('=') {
            Some(("r", v)) => r = Some(v.parse().expect("r is a number")),
            Some(("t", v)) => {
                let t: u64 = v.parse().expect("t is a number");
                assert!((1..=60).contains(&t), "t={t} in {state}");
            }
            _ => panic!("unexpected parameter {param} in {state}"),
        }
    }
    r.unwrap_or_else(|| panic!("no r in {state}"))
}

/// Asserts a REST 429 from the general limit.
fn refused(res: &Resp) {
    let body = res.problem(429, "rate_limited");
    assert!(
        body["detail"].as_str().unwrap().contains("a minute"),
        "{body}"
    );
    let retry: u64 = res
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
}

/// Calls `GET /api/v1/me` as `token` on `apps` in turn until one answers 429; returns the `r`
/// of every 200 before it (asserting that each is one less than the one before).
async fn drain(apps: &[&TestApp], token: &str, quota: u32) -> Vec<u32> {
    let mut seen = Vec::new();
    for i in 0..=quota as usize + 1 {
        let res = apps[i % apps.len()].get("/api/v1/me", Some(token)).await;
        if res.status == 429 {
            refused(&res);
            assert_eq!(remaining(&res, quota), 0);
            return seen;
        }
        res.ok(200);
        let r = remaining(&res, quota);
        if let Some(last) = seen.last() {
            assert_eq!(
                r + 1,
                *last,
                "remaining goes down by one: {seen:?} then {r}"
            );
        }
        seen.push(r);
    }
    panic!("never refused: {seen:?}");
}

dual! {
    #[config(|c| c.rate_limit_per_minute = 6)]
    async fn in_process_limit_per_principal(app: &TestApp) {
        let quota = 6;
        let admin = app.signup("Acme", "ann@acme.test").await;
        let agent = app.member(&admin, "agent", "bob@acme.test").await;
        let (_, key) = app.api_key(&admin, "read", "viewer").await;

        let seen = drain(&[app], &admin.token, quota).await;
        assert_eq!(seen.last(), Some(&0), "refused only once the quota is spent: {seen:?}");
        assert_eq!(seen.len(), 4, "two of six went on creating the agent and the key: {seen:?}");
        // Still refused, on GraphQL too (a GraphQL error body with the same code).
        refused(&app.get("/api/v1/contacts", Some(&admin.token)).await);
        let gql = app.gql(Some(&admin.token), "{ me { user { email } } }", json!({})).await;
        assert_eq!(gql.status, 429, "{}", gql.text());
        assert_eq!(gql.json()["errors"][0]["extensions"]["code"], "rate_limited");
        assert!(gql.header("retry-after").is_some());
        assert_eq!(remaining(&gql, quota), 0);

        // Another user, an API key and an anonymous caller each have a quota of their own.
        let res = app.get("/api/v1/me", Some(&agent.token)).await;
        res.ok(200);
        assert_eq!(remaining(&res, quota), quota - 2, "the agent's login /me and this one");
        let res = app.gql(Some(&agent.token), "{ me { user { email } } }", json!({})).await;
        assert_eq!(res.json()["data"]["me"]["user"]["email"], "bob@acme.test", "{}", res.text());
        assert_eq!(remaining(&res, quota), quota - 3, "GraphQL counts as REST does");
        let res = app.get("/api/v1/me", Some(&key)).await;
        res.ok(200);
        assert_eq!(remaining(&res, quota), quota - 1);
        let res = app.get("/api/v1/me", None).await;
        res.problem(401, "unauthenticated");
        remaining(&res, quota);

        // Probes and metrics are not limited.
        let res = app.get("/livez", None).await;
        assert_eq!(res.status, 200);
        assert!(res.header("ratelimit").is_none());
    }

    #[config(|c| {
        c.rate_limit_per_minute = 6;
        c.redis_url = Some(crm_tests::crm_gateway::config::Secret(redis_url()));
        c.redis_key_prefix = unique_prefix();
    })]
    async fn shared_by_replicas_through_redis(app: &TestApp) {
        if !redis_up() {
            return;
        }
        let quota = 6;
        let replica = app.replica().await;
        let admin = app.signup("Acme", "ann@acme.test").await;
        let agent = app.member(&admin, "agent", "bob@acme.test").await;

        // Alternating between the two servers, the count is one.
        let seen = drain(&[app, &replica], &admin.token, quota).await;
        assert_eq!(seen.len(), 5, "one of six went on creating the agent: {seen:?}");
        refused(&replica.get("/api/v1/me", Some(&admin.token)).await);
        refused(&app.get("/api/v1/me", Some(&admin.token)).await);

        // The agent's quota is their own, on either server.
        let res = replica.get("/api/v1/me", Some(&agent.token)).await;
        res.ok(200);
        assert_eq!(remaining(&res, quota), quota - 2);
        replica.finish().await;
    }

    #[config(|c| {
        c.rate_limit_per_minute = 3;
        // Nothing listens there: every request falls back to the process's own count.
        c.redis_url = Some(crm_tests::crm_gateway::config::Secret("redis://127.0.0.1:1".into()));
    })]
    async fn unreachable_redis_fails_open_to_the_process(app: &TestApp) {
        let admin = app.signup("Acme", "ann@acme.test").await;
        let seen = drain(&[app], &admin.token, 3).await;
        assert_eq!(seen, [2, 1, 0]);
    }
}
