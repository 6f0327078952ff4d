//! Sessions end when they end: logging out, a password change, a reused refresh token and a
//! deactivation each stop the session's access tokens at once, on every replica, and
//! reactivating a user does not bring old tokens back. Sign-in and sign-up are limited per
//! client address as well as per email.

use crm_tests::{PASSWORD, TestApp, dual};
use serde_json::json;
use std::time::Duration;

/// Polls `path` with `token` until it answers `status` (another replica learns of a change by a
/// notification, within moments); returns the last status.
async fn eventually(app: &TestApp, token: &str, status: u16) -> u16 {
    let mut last = 0;
    for _ in 0..100 {
        last = app.get("/api/v1/me", Some(token)).await.status;
        if last == status {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    last
}

dual! {
    async fn logout_ends_that_sessions_access_tokens_at_once(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let other = app.login("ann@acme.test").await;
        app.get("/api/v1/me", Some(&s.token)).await.ok(200);
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": s.refresh})).await.ok(204);
        app.get("/api/v1/me", Some(&s.token)).await.problem(401, "unauthenticated");
        let gql = app.gql(Some(&s.token), "{ me { role } }", json!({})).await;
        assert_eq!(gql.status, 401);
        assert_eq!(gql.json()["errors"][0]["extensions"]["code"], "unauthenticated");
        // The user's other session goes on.
        app.get("/api/v1/me", Some(&other.token)).await.ok(200);
        // Logging out everywhere ends that one too.
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": other.refresh, "all_sessions": true})).await.ok(204);
        app.get("/api/v1/me", Some(&other.token)).await.problem(401, "unauthenticated");
    }

    async fn a_password_change_ends_every_session(app: &TestApp) {
        let a = app.signup("Acme", "ann@acme.test").await;
        let b = app.login("ann@acme.test").await;
        app.post("/api/v1/me/password", Some(&a.token), json!({"current_password": PASSWORD, "new_password": "another long password"})).await.ok(200);
        app.get("/api/v1/me", Some(&a.token)).await.problem(401, "unauthenticated");
        app.get("/api/v1/me", Some(&b.token)).await.problem(401, "unauthenticated");
        let fresh = app.post("/api/v1/auth/login", None, json!({"email": "ann@acme.test", "password": "another long password"})).await.ok(200);
        app.get("/api/v1/me", fresh["access_token"].as_str()).await.ok(200);
    }

    async fn a_reused_refresh_token_ends_the_session_and_its_access_tokens(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let next = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": s.refresh})).await.ok(200);
        let next_token = next["access_token"].as_str().unwrap().to_owned();
        app.get("/api/v1/me", Some(&next_token)).await.ok(200);
        // The old refresh token again: taken as theft, the whole session ends.
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": s.refresh})).await.problem(401, "unauthenticated");
        app.get("/api/v1/me", Some(&next_token)).await.problem(401, "unauthenticated");
        app.get("/api/v1/me", Some(&s.token)).await.problem(401, "unauthenticated");
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": next["refresh_token"]})).await.problem(401, "unauthenticated");
    }

    async fn reactivation_does_not_revive_old_tokens(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let agent = app.member(&admin, "agent", "agent@acme.test").await;
        app.get("/api/v1/me", Some(&agent.token)).await.ok(200);
        let path = format!("/api/v1/users/{}", agent.user_id);
        app.patch(&path, Some(&admin.token), json!({"active": false})).await.ok(200);
        app.get("/api/v1/me", Some(&agent.token)).await.problem(401, "unauthenticated");
        app.patch(&path, Some(&admin.token), json!({"active": true})).await.ok(200);
        app.get("/api/v1/me", Some(&agent.token)).await.problem(401, "unauthenticated");
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": agent.refresh})).await.problem(401, "unauthenticated");
        let again = app.login("agent@acme.test").await;
        app.get("/api/v1/me", Some(&again.token)).await.ok(200);
    }

    async fn every_replica_refuses_an_ended_session(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let replica = app.replica().await;
        // The replica has seen (and, on PostgreSQL, cached) the token.
        for _ in 0..3 {
            replica.get("/api/v1/me", Some(&s.token)).await.ok(200);
        }
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": s.refresh})).await.ok(204);
        assert_eq!(eventually(&replica, &s.token, 401).await, 401);
        // A session ended behind the API's back (an operator in psql) ends there too.
        let t = app.login("ann@acme.test").await;
        replica.get("/api/v1/me", Some(&t.token)).await.ok(200);
        use sea_orm::ConnectionTrait;
        app.db.execute_unprepared("UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP WHERE revoked_at IS NULL").await.unwrap();
        assert_eq!(eventually(&replica, &t.token, 401).await, 401);
        assert_eq!(eventually(app, &t.token, 401).await, 401);
        replica.finish().await;
    }

    #[config(|c| { c.login_attempts_per_ip_per_minute = 5; c.signups_per_ip_per_hour = 3; })]
    async fn sign_in_and_sign_up_are_limited_per_client_address(app: &TestApp) {
        // Distinct emails do not get past the per-address limit.
        for i in 0..5 {
            app.post("/api/v1/auth/login", None, json!({"email": format!("nobody{i}@acme.test"), "password": "wrong password"})).await.problem(401, "invalid_credentials");
        }
        let limited = app.post("/api/v1/auth/login", None, json!({"email": "nobody9@acme.test", "password": "wrong password"})).await;
        limited.problem(429, "rate_limited");
        assert!(limited.header("retry-after").is_some());
        // GraphQL shares the count.
        let gql = app.gql(None, "mutation { login(input: {email: \"x@acme.test\", password: \"wrong password\"}) { accessToken } }", json!({})).await.ok(200);
        assert_eq!(gql["errors"][0]["extensions"]["code"], "rate_limited", "{gql}");
        // Concurrent sign-ups: exactly the allowed number succeeds.
        let signups = (0..12).map(|i| app.post("/api/v1/auth/signup", None, json!({"org_name": format!("Org {i}"), "name": "A", "email": format!("a{i}@org.test"), "password": PASSWORD})));
        let statuses: Vec<u16> = futures_util::future::join_all(signups).await.iter().map(|r| r.status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 201 || *s == 429), "{statuses:?}");
    }

    #[config(|c| { c.login_attempts_per_ip_per_minute = 2; c.trust_forwarded_for = true; })]
    async fn behind_a_proxy_the_forwarded_address_counts(app: &TestApp) {
        let login = |ip: &'static str| async move {
            let body = serde_json::to_vec(&json!({"email": "nobody@acme.test", "password": "wrong password"})).unwrap();
            app.raw("POST", "/api/v1/auth/login", &[("content-type", "application/json"), ("x-forwarded-for", ip)], body).await.status
        };
        assert_eq!(login("203.0.113.7").await, 401);
        assert_eq!(login("203.0.113.7").await, 401);
        assert_eq!(login("203.0.113.7").await, 429);
        assert_eq!(login("198.51.100.9").await, 401, "another client is not limited");
    }

    #[config(|c| c.login_attempts_per_ip_per_minute = 2)]
    async fn forwarded_addresses_are_ignored_unless_trusted(app: &TestApp) {
        let login = |ip: &'static str| async move {
            let body = serde_json::to_vec(&json!({"email": "nobody@acme.test", "password": "wrong password"})).unwrap();
            app.raw("POST", "/api/v1/auth/login", &[("content-type", "application/json"), ("x-forwarded-for", ip)], body).await.status
        };
        assert_eq!(login("203.0.113.1").await, 401);
        assert_eq!(login("203.0.113.2").await, 401);
        assert_eq!(login("203.0.113.3").await, 429, "a forged header does not escape the limit");
    }
}
