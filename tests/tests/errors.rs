//! Every error status with its problem+json body, as API.md describes them.

use crm_tests::{PASSWORD, dual};
use sea_orm::ConnectionTrait;
use serde_json::json;

dual! {
    async fn each_status_has_its_problem_document(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let auth = format!("Bearer {}", s.token);
        let auth = auth.as_str();

        // 400: malformed JSON.
        let res = app.raw("POST", "/api/v1/users", &[("authorization", auth), ("content-type", "application/json")], b"{\"email\": ".to_vec()).await;
        res.problem(400, "malformed_request");

        // 401 / 403 / 404 are covered with their causes elsewhere; here their shape.
        app.get("/api/v1/me", None).await.problem(401, "unauthenticated");
        let viewer = app.member(&s, "viewer", "viewer@acme.test").await;
        app.get("/api/v1/api-keys", Some(&viewer.token)).await.problem(403, "forbidden");
        app.get(&format!("/api/v1/users/{}", uuid::Uuid::now_v7()), Some(&s.token)).await.problem(404, "not_found");
        app.get("/api/v1/users/not-a-uuid", Some(&s.token)).await.problem(404, "not_found");
        app.get("/api/v1/no-such-thing", Some(&s.token)).await.problem(404, "not_found");

        // 405: a known path with another method.
        app.delete("/api/v1/me", Some(&s.token)).await.problem(405, "method_not_allowed");

        // 409: a unique value taken.
        app.post("/api/v1/users", Some(&s.token), json!({"email": "viewer@acme.test", "name": "V", "role": "viewer", "password": PASSWORD}))
            .await
            .problem(409, "conflict");

        // 413: a body over the limit.
        let big = vec![b' '; 2 * 1024 * 1024];
        app.raw("POST", "/api/v1/users", &[("authorization", auth), ("content-type", "application/json")], big).await
            .problem(413, "payload_too_large");

        // 415: not JSON.
        app.raw("POST", "/api/v1/users", &[("authorization", auth), ("content-type", "text/plain")], b"hi".to_vec()).await
            .problem(415, "unsupported_media_type");

        // 422: every broken field listed with a pointer.
        let res = app.post("/api/v1/users", Some(&s.token), json!({"email": "nope", "name": "", "role": "agent", "password": "short"})).await;
        let body = res.problem(422, "validation_failed");
        let pointers: Vec<_> = body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert_eq!(pointers, vec!["/email", "/name", "/password"]);
        for e in body["errors"].as_array().unwrap() {
            assert!(e["code"].is_string() && e["message"].is_string());
        }
        // 422: unknown field, missing field, wrong type.
        let unknown = app.post("/api/v1/users", Some(&s.token), json!({"email": "x@acme.test", "name": "X", "role": "agent", "password": PASSWORD, "salary": 1})).await;
        let unknown = unknown.problem(422, "validation_failed");
        assert_eq!(unknown["errors"][0]["pointer"], "/salary");
        assert_eq!(unknown["errors"][0]["code"], "unknown_field");
        let missing = app.post("/api/v1/users", Some(&s.token), json!({"email": "x@acme.test", "name": "X", "role": "agent"})).await;
        let missing = missing.problem(422, "validation_failed");
        assert_eq!(missing["errors"][0]["pointer"], "/password");
        assert_eq!(missing["errors"][0]["code"], "required");
        let wrong = app.post("/api/v1/users", Some(&s.token), json!({"email": 5, "name": "X", "role": "agent", "password": PASSWORD})).await;
        assert_eq!(wrong.problem(422, "validation_failed")["errors"][0]["pointer"], "/email");
        // 422: list parameters.
        app.get("/api/v1/users?limit=101", Some(&s.token)).await.problem(422, "validation_failed");
        app.get("/api/v1/users?limit=abc", Some(&s.token)).await.problem(422, "validation_failed");
        app.get("/api/v1/users?cursor=%%%", Some(&s.token)).await.problem(422, "validation_failed");
        let unknown_param = app.get("/api/v1/users?colour=red", Some(&s.token)).await.problem(422, "validation_failed");
        assert_eq!(unknown_param["errors"][0]["pointer"], "/colour");

        // Nothing half-written by any of the refused writes.
        let users = app.get("/api/v1/users?limit=100", Some(&s.token)).await.ok(200);
        assert_eq!(users["data"].as_array().unwrap().len(), 2);
    }

    #[config(|c| c.login_attempts_per_minute = 1)]
    async fn too_many_requests(app: &TestApp) {
        app.signup("Acme", "ann@acme.test").await;
        app.post("/api/v1/auth/login", None, json!({"email": "ann@acme.test", "password": PASSWORD})).await.ok(200);
        let res = app.post("/api/v1/auth/login", None, json!({"email": "ann@acme.test", "password": PASSWORD})).await;
        res.problem(429, "rate_limited");
        assert!(res.header("retry-after").is_some());
    }

    async fn internal_errors_tell_nothing_internal(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        // Break the database under the server: the table behind the endpoint disappears.
        app.db.execute_unprepared("DROP TABLE api_keys").await.unwrap();
        let res = app.get("/api/v1/api-keys", Some(&s.token)).await;
        let body = res.problem(500, "internal");
        let text = res.text().to_lowercase();
        for leak in ["api_keys", "table", "sql", "relation", "select"] {
            assert!(!text.contains(leak), "500 leaks {leak:?}: {text}");
        }
        assert!(body["request_id"].is_string());
    }

    async fn request_ids_are_echoed_or_made(app: &TestApp) {
        let res = app.raw("GET", "/livez", &[("x-request-id", "trace-abc-123")], vec![]).await;
        assert_eq!(res.header("x-request-id").as_deref(), Some("trace-abc-123"));
        let res = app.raw("GET", "/api/v1/me", &[("x-request-id", "trace-def-456")], vec![]).await;
        assert_eq!(res.problem(401, "unauthenticated")["request_id"], "trace-def-456");
        let made = app.get("/livez", None).await.header("x-request-id").unwrap();
        assert!(uuid::Uuid::parse_str(&made).is_ok());
        // An unusable id is replaced.
        let res = app.raw("GET", "/livez", &[("x-request-id", &"x".repeat(300))], vec![]).await;
        assert_ne!(res.header("x-request-id").unwrap().len(), 300);
    }

    async fn error_codes_are_described(app: &TestApp) {
        let body = app.get("/errors/validation_failed", None).await.ok(200);
        assert_eq!(body["status"], 422);
        assert_eq!(body["title"], "Validation failed");
        assert!(body["description"].as_str().unwrap().contains("JSON pointer"), "{body}");
        assert!(body["resolution"].as_str().unwrap().len() > 20, "{body}");
        // Every code a problem document can carry has its page, for programs and for people.
        for code in ["unauthenticated", "forbidden", "rate_limited", "query_too_deep", "batch_too_large", "internal"] {
            let info = app.get(&format!("/errors/{code}"), None).await.ok(200);
            assert_eq!(info["code"], code);
            let page = app.raw("GET", &format!("/errors/{code}"), &[("accept", "text/html")], vec![]).await;
            assert_eq!(page.status, 200);
            assert!(page.header("content-type").unwrap().starts_with("text/html"));
            assert!(page.text().contains("What to do"), "{}", page.text());
        }
        app.get("/errors/no_such_code", None).await.problem(404, "not_found");
    }
}

dual! {
    async fn unknown_keys_with_slashes_and_tildes_are_pointed_at_once(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        for (key, pointer) in [("x/y", "/x~1y"), ("x~y", "/x~0y"), ("a~1", "/a~01")] {
            let p = app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "X", key: 1})).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{p}");
            let p = app.post("/api/v1/contacts/batch", Some(&s.token), json!({"items": [{"op": "create", "data": {"first_name": "X", key: 1}}]})).await;
            assert_eq!(p.json()["results"][0]["error"]["errors"][0]["pointer"], format!("/data{pointer}"), "{}", p.text());
        }
    }
}
