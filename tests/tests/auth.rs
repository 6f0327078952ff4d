//! Signup, login, refresh rotation, logout, password change, and every way a token can be bad.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crm_tests::{PASSWORD, TEST_JWT_SECRET, dual};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn forge(claims: Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// The claims of a real access token (to reuse its session id).
fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn claims(s: &crm_tests::Session, org: &str) -> Value {
    let sid = payload(&s.token)["sid"].clone();
    json!({ "sub": s.user_id, "org": org, "sid": sid, "iat": now(), "nbf": now(), "exp": now() + 600, "iss": "crm", "aud": "crm-api", "jti": uuid::Uuid::now_v7() })
}

dual! {
    async fn signup_creates_org_admin_and_session(app: &TestApp) {
        let res = app
            .post("/api/v1/auth/signup", None, json!({
                "org_name": "Acme", "name": "Ann", "email": "Ann@Acme.test", "password": PASSWORD
            }))
            .await;
        assert_eq!(res.header("location").as_deref(), Some("/api/v1/me"));
        let body = res.ok(201);
        assert_eq!(body["organization"]["name"], "Acme");
        assert_eq!(body["user"]["email"], "ann@acme.test");
        assert_eq!(body["user"]["role"], "admin");
        assert_eq!(body["tokens"]["token_type"], "Bearer");
        assert_eq!(body["tokens"]["expires_in"], 900);
        assert!(body["user"].get("password_hash").is_none());

        let me = app.get("/api/v1/me", body["tokens"]["access_token"].as_str()).await.ok(200);
        assert_eq!(me["organization"]["id"], body["organization"]["id"]);
        assert_eq!(me["role"], "admin");
        assert_eq!(me["auth_method"], "access_token");

        // The same email again, in any case: 409 naming the field.
        let dup = app
            .post("/api/v1/auth/signup", None, json!({
                "org_name": "Other", "name": "Ann", "email": "ANN@acme.test", "password": PASSWORD
            }))
            .await;
        let problem = dup.problem(409, "conflict");
        assert_eq!(problem["errors"][0]["pointer"], "/email");
    }

    #[config(|c| c.signup_enabled = false)]
    async fn signup_can_be_switched_off(app: &TestApp) {
        app.post("/api/v1/auth/signup", None, json!({
            "org_name": "Acme", "name": "Ann", "email": "ann@acme.test", "password": PASSWORD
        }))
        .await
        .problem(403, "signup_disabled");
    }

    async fn login_and_bad_credentials(app: &TestApp) {
        app.signup("Acme", "ann@acme.test").await;
        let ok = app.post("/api/v1/auth/login", None, json!({"email": " ANN@acme.test ", "password": PASSWORD})).await.ok(200);
        assert!(ok["access_token"].as_str().unwrap().split('.').count() == 3);
        assert!(!ok["refresh_token"].as_str().unwrap().is_empty());

        let wrong = app.post("/api/v1/auth/login", None, json!({"email": "ann@acme.test", "password": "wrong password"})).await;
        let wrong = wrong.problem(401, "invalid_credentials");
        let unknown = app.post("/api/v1/auth/login", None, json!({"email": "nobody@acme.test", "password": PASSWORD})).await;
        let unknown = unknown.problem(401, "invalid_credentials");
        // Unknown user and wrong password are indistinguishable.
        assert_eq!(wrong["detail"], unknown["detail"]);
    }

    async fn refresh_rotates_and_reuse_ends_the_session(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let first = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": s.refresh})).await.ok(200);
        let second_refresh = first["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(second_refresh, s.refresh);
        app.get("/api/v1/me", first["access_token"].as_str()).await.ok(200);

        // The first refresh token works once.
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": s.refresh}))
            .await
            .problem(401, "unauthenticated");
        // Its reuse is taken as theft: the whole session (family) is ended.
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": second_refresh}))
            .await
            .problem(401, "unauthenticated");
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": "garbage"}))
            .await
            .problem(401, "unauthenticated");
    }

    async fn concurrent_refreshes_with_one_token_yield_one_pair(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let body = json!({"refresh_token": s.refresh});
        let (a, b) = futures_util::join!(
            app.post("/api/v1/auth/refresh", None, body.clone()),
            app.post("/api/v1/auth/refresh", None, body.clone())
        );
        let ok = [a.status, b.status].iter().filter(|s| **s == 200).count();
        assert_eq!(ok, 1, "exactly one refresh succeeds: {} {}", a.text(), b.text());
    }

    async fn logout_revokes_the_refresh_token(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": s.refresh})).await.ok(204);
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": s.refresh}))
            .await
            .problem(401, "unauthenticated");
        // Logging out again is harmless.
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": s.refresh})).await.ok(204);

        // all_sessions ends every session of the user.
        let a = app.login("ann@acme.test").await;
        let b = app.login("ann@acme.test").await;
        app.post("/api/v1/auth/logout", None, json!({"refresh_token": a.refresh, "all_sessions": true})).await.ok(204);
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": b.refresh}))
            .await
            .problem(401, "unauthenticated");
    }

    async fn change_password(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        app.post("/api/v1/me/password", Some(&s.token), json!({"current_password": "not it at all", "new_password": "a brand new password"}))
            .await
            .problem(422, "validation_failed");
        let user = app.post("/api/v1/me/password", Some(&s.token), json!({"current_password": PASSWORD, "new_password": "a brand new password"}))
            .await
            .ok(200);
        assert_eq!(user["must_change_password"], false);
        app.post("/api/v1/auth/login", None, json!({"email": "ann@acme.test", "password": PASSWORD}))
            .await
            .problem(401, "invalid_credentials");
        app.post("/api/v1/auth/login", None, json!({"email": "ann@acme.test", "password": "a brand new password"}))
            .await
            .ok(200);
        // Sessions from before the change are ended.
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": s.refresh}))
            .await
            .problem(401, "unauthenticated");
    }

    async fn bad_tokens_are_refused(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        // Sanity: a token forged with the right secret and every claim works.
        app.get("/api/v1/me", Some(&forge(claims(&s, &s.org_id), TEST_JWT_SECRET))).await.ok(200);

        let mut expired = claims(&s, &s.org_id);
        expired["iat"] = json!(now() - 7200);
        expired["exp"] = json!(now() - 3600);
        let cases: Vec<(&str, String)> = vec![
            ("expired", forge(expired, TEST_JWT_SECRET)),
            ("wrong signature", forge(claims(&s, &s.org_id), "another-secret-another-secret-another-secret")),
            ("missing aud", {
                let mut c = claims(&s, &s.org_id);
                c.as_object_mut().unwrap().remove("aud");
                forge(c, TEST_JWT_SECRET)
            }),
            ("missing iss", {
                let mut c = claims(&s, &s.org_id);
                c.as_object_mut().unwrap().remove("iss");
                forge(c, TEST_JWT_SECRET)
            }),
            ("wrong aud", {
                let mut c = claims(&s, &s.org_id);
                c["aud"] = json!("someone-else");
                forge(c, TEST_JWT_SECRET)
            }),
            ("alg none", {
                let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
                let payload = URL_SAFE_NO_PAD.encode(claims(&s, &s.org_id).to_string());
                format!("{header}.{payload}.")
            }),
            ("user of another org", forge(claims(&s, &uuid::Uuid::now_v7().to_string()), TEST_JWT_SECRET)),
            ("missing sid", {
                let mut c = claims(&s, &s.org_id);
                c.as_object_mut().unwrap().remove("sid");
                forge(c, TEST_JWT_SECRET)
            }),
            ("unknown session", {
                let mut c = claims(&s, &s.org_id);
                c["sid"] = json!(uuid::Uuid::now_v7());
                forge(c, TEST_JWT_SECRET)
            }),
            ("missing nbf", {
                let mut c = claims(&s, &s.org_id);
                c.as_object_mut().unwrap().remove("nbf");
                forge(c, TEST_JWT_SECRET)
            }),
            ("not valid before an hour from now", {
                let mut c = claims(&s, &s.org_id);
                c["nbf"] = json!(now() + 3600);
                forge(c, TEST_JWT_SECRET)
            }),
            ("garbage", "not-a-token".to_owned()),
        ];
        for (what, token) in cases {
            let res = app.get("/api/v1/me", Some(&token)).await;
            assert_eq!(res.status, 401, "{what}: {}", res.text());
            res.problem(401, "unauthenticated");
            assert_eq!(res.header("www-authenticate").as_deref(), Some("Bearer"), "{what}");
        }
        // No credentials, or another scheme.
        app.get("/api/v1/me", None).await.problem(401, "unauthenticated");
        app.raw("GET", "/api/v1/me", &[("authorization", "Basic YTpi")], vec![]).await.problem(401, "unauthenticated");
    }

    #[config(|c| c.login_attempts_per_minute = 3)]
    async fn login_attempts_are_rate_limited(app: &TestApp) {
        app.signup("Acme", "ann@acme.test").await;
        for _ in 0..3 {
            app.post("/api/v1/auth/login", None, json!({"email": "ann@acme.test", "password": "wrong password"}))
                .await
                .problem(401, "invalid_credentials");
        }
        let limited = app.post("/api/v1/auth/login", None, json!({"email": "ann@acme.test", "password": PASSWORD})).await;
        limited.problem(429, "rate_limited");
        let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry));
        assert!(limited.header("ratelimit").unwrap().contains("\"auth\";r=0"));
        // Another email is not affected.
        app.post("/api/v1/auth/login", None, json!({"email": "bob@acme.test", "password": "whatever pass"}))
            .await
            .problem(401, "invalid_credentials");
    }
}
