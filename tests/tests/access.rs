//! Roles, deactivation, and API keys.

use crm_tests::{PASSWORD, dual};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

dual! {
    async fn each_role_allowed_and_refused(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let manager = app.member(&admin, "manager", "manager@acme.test").await;
        let agent = app.member(&admin, "agent", "agent@acme.test").await;
        let viewer = app.member(&admin, "viewer", "viewer@acme.test").await;

        // Everyone reads.
        for s in [&admin, &manager, &agent, &viewer] {
            let page = app.get("/api/v1/users", Some(&s.token)).await.ok(200);
            assert_eq!(page["data"].as_array().unwrap().len(), 4);
            let me = app.get("/api/v1/me", Some(&s.token)).await.ok(200);
            assert_eq!(me["user"]["email"], s.email.as_str());
        }
        // Only admins manage users and API keys.
        for s in [&manager, &agent, &viewer] {
            app.post("/api/v1/users", Some(&s.token), json!({"email": "x@acme.test", "name": "X", "role": "agent", "password": PASSWORD}))
                .await
                .problem(403, "forbidden");
            app.patch(&format!("/api/v1/users/{}", viewer.user_id), Some(&s.token), json!({"role": "admin"}))
                .await
                .problem(403, "forbidden");
            app.post("/api/v1/api-keys", Some(&s.token), json!({"name": "k", "scope": "read"}))
                .await
                .problem(403, "forbidden");
            app.get("/api/v1/api-keys", Some(&s.token)).await.problem(403, "forbidden");
        }
        // Nothing was written by the refused calls.
        let page = app.get("/api/v1/users", Some(&admin.token)).await.ok(200);
        assert_eq!(page["data"].as_array().unwrap().len(), 4);

        // A role change takes effect at once, on the same token.
        app.patch(&format!("/api/v1/users/{}", viewer.user_id), Some(&admin.token), json!({"role": "admin"}))
            .await
            .ok(200);
        app.get("/api/v1/api-keys", Some(&viewer.token)).await.ok(200);
    }

    async fn the_last_admin_stays(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        app.patch(&format!("/api/v1/users/{}", admin.user_id), Some(&admin.token), json!({"role": "agent"}))
            .await
            .problem(409, "conflict");
        app.post(&format!("/api/v1/users/{}/deactivate", admin.user_id), Some(&admin.token), json!({}))
            .await
            .problem(409, "conflict");
        let me = app.get("/api/v1/me", Some(&admin.token)).await.ok(200);
        assert_eq!(me["role"], "admin");
    }

    async fn deactivated_user_is_refused_at_once(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let agent = app.member(&admin, "agent", "agent@acme.test").await;
        app.get("/api/v1/me", Some(&agent.token)).await.ok(200);

        let user = app.post(&format!("/api/v1/users/{}/deactivate", agent.user_id), Some(&admin.token), json!({}))
            .await
            .ok(200);
        assert_eq!(user["active"], false);
        // The still-unexpired access token stops working, over REST and GraphQL.
        app.get("/api/v1/me", Some(&agent.token)).await.problem(401, "unauthenticated");
        let gql = app.gql(Some(&agent.token), "{ me { role } }", json!({})).await;
        assert_eq!(gql.status, 401);
        assert_eq!(gql.json()["errors"][0]["extensions"]["code"], "unauthenticated");
        // Refresh and login are refused too.
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": agent.refresh}))
            .await
            .problem(401, "unauthenticated");
        app.post("/api/v1/auth/login", None, json!({"email": "agent@acme.test", "password": PASSWORD}))
            .await
            .problem(401, "invalid_credentials");

        // Reactivation lets the user sign in again.
        app.patch(&format!("/api/v1/users/{}", agent.user_id), Some(&admin.token), json!({"active": true}))
            .await
            .ok(200);
        app.login("agent@acme.test").await;
    }

    async fn admins_manage_users(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let res = app.post("/api/v1/users", Some(&admin.token), json!({"email": "Bob@Acme.test", "name": "Bob", "role": "agent", "password": PASSWORD})).await;
        let location = res.header("location").unwrap();
        let bob = res.ok(201);
        assert_eq!(location, format!("/api/v1/users/{}", bob["id"].as_str().unwrap()));
        assert_eq!(bob["email"], "bob@acme.test");
        let fetched = app.get(&location, Some(&admin.token)).await.ok(200);
        assert_eq!(fetched["name"], "Bob");
        let renamed = app.patch(&location, Some(&admin.token), json!({"name": "Robert"})).await.ok(200);
        assert_eq!(renamed["name"], "Robert");
        assert_eq!(renamed["role"], "agent");
        // Duplicate email: 409; bad role: 422 naming the field.
        app.post("/api/v1/users", Some(&admin.token), json!({"email": "bob@acme.test", "name": "B", "role": "agent", "password": PASSWORD}))
            .await
            .problem(409, "conflict");
        let bad = app.post("/api/v1/users", Some(&admin.token), json!({"email": "c@acme.test", "name": "C", "role": "boss", "password": PASSWORD}))
            .await
            .problem(422, "validation_failed");
        assert_eq!(bad["errors"][0]["pointer"], "/role");

        // Paging through users with a cursor.
        for i in 0..3 {
            app.post("/api/v1/users", Some(&admin.token), json!({"email": format!("u{i}@acme.test"), "name": "U", "role": "viewer", "password": PASSWORD}))
                .await
                .ok(201);
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/users?limit=2&cursor={c}"),
                None => "/api/v1/users?limit=2".to_owned(),
            };
            let page = app.get(&path, Some(&admin.token)).await.ok(200);
            for u in page["data"].as_array().unwrap() {
                seen.push(u["id"].as_str().unwrap().to_owned());
            }
            if !page["has_more"].as_bool().unwrap() {
                assert!(page["next_cursor"].is_null());
                break;
            }
            cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        }
        assert_eq!(seen.len(), 5);
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 5);
    }

    async fn api_key_works_until_revoked(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let created = app.post("/api/v1/api-keys", Some(&admin.token), json!({"name": "ERP sync", "scope": "read_write", "role": "manager"}))
            .await
            .ok(201);
        let key = created["key"].as_str().unwrap().to_owned();
        let id = created["api_key"]["id"].as_str().unwrap().to_owned();
        let prefix = created["api_key"]["prefix"].as_str().unwrap().to_owned();
        assert!(key.starts_with(&format!("crm_{prefix}_")));

        // Stored hashed: the secret is nowhere in the database.
        let secret = key.rsplit('_').next().unwrap().to_owned();
        let rows = app.db.query_all_raw(Statement::from_string(app.db.get_database_backend(), "SELECT secret_hash FROM api_keys")).await.unwrap();
        for row in rows {
            let stored: String = row.try_get_by_index(0).unwrap();
            assert!(!stored.contains(&secret));
        }

        let me = app.get("/api/v1/me", Some(&key)).await.ok(200);
        assert_eq!(me["auth_method"], "api_key");
        assert_eq!(me["role"], "manager");
        assert_eq!(me["api_key_scope"], "read_write");
        let listed = app.get("/api/v1/api-keys", Some(&admin.token)).await.ok(200);
        let entry = &listed["data"][0];
        assert!(entry.get("key").is_none() && entry.get("secret_hash").is_none());
        // The last use is written in the background (tests/tests/api_keys.rs).
        assert!(entry.get("last_used_at").is_some(), "{entry}");

        // A key with a wrong secret, or a made-up one, is refused.
        app.get("/api/v1/me", Some(&format!("crm_{prefix}_wrongsecret"))).await.problem(401, "unauthenticated");
        app.get("/api/v1/me", Some("crm_nope_nope")).await.problem(401, "unauthenticated");

        app.delete(&format!("/api/v1/api-keys/{id}"), Some(&admin.token)).await.ok(204);
        app.get("/api/v1/me", Some(&key)).await.problem(401, "unauthenticated");
        let listed = app.get("/api/v1/api-keys", Some(&admin.token)).await.ok(200);
        assert!(listed["data"][0]["revoked_at"].is_string());
    }

    async fn read_scope_keys_only_read(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let (_, key) = app.api_key(&admin, "read", "admin").await;
        app.get("/api/v1/users", Some(&key)).await.ok(200);
        app.post("/api/v1/users", Some(&key), json!({"email": "x@acme.test", "name": "X", "role": "agent", "password": PASSWORD}))
            .await
            .problem(403, "forbidden");
        // An API key cannot change a password.
        app.post("/api/v1/me/password", Some(&key), json!({"current_password": PASSWORD, "new_password": "another password"}))
            .await
            .problem(403, "forbidden");
        // Nobody grants a role above their own.
        let manager_key = app.api_key(&admin, "read_write", "manager").await.1;
        let _ = manager_key;
        let agent = app.member(&admin, "admin", "second@acme.test").await;
        app.patch(&format!("/api/v1/users/{}", agent.user_id), Some(&admin.token), json!({"role": "manager"})).await.ok(200);
        app.post("/api/v1/api-keys", Some(&agent.token), json!({"name": "k", "scope": "read", "role": "admin"}))
            .await
            .problem(403, "forbidden");
    }

    async fn user_changes_made_elsewhere_apply_within_moments(app: &TestApp) {
        // Another replica, or an operator in psql, changes a user: this server must notice
        // although, on PostgreSQL, it keeps authenticated users in memory.
        let admin = app.signup("Acme", "admin@acme.test").await;
        let agent = app.member(&admin, "agent", "agent@acme.test").await;
        let statements = || app.server().state.metrics.statements();
        let pg = app.backend == crm_tests::Backend::Postgres;
        // Once the server listens for user changes, a request with a known token costs only its
        // own statement on PostgreSQL (SQLite still reads the user row).
        let mut per_request = u64::MAX;
        for _ in 0..250 {
            app.get("/api/v1/contacts?limit=1", Some(&agent.token)).await.ok(200);
            let before = statements();
            app.get("/api/v1/contacts?limit=1", Some(&agent.token)).await.ok(200);
            per_request = statements() - before;
            if per_request == 1 || !pg {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(per_request, if pg { 1 } else { 2 });

        let update = |set: &str| {
            let backend = app.db.get_database_backend();
            let mark = if pg { "$1" } else { "?" };
            Statement::from_sql_and_values(
                backend,
                format!("UPDATE users SET {set} WHERE id = {mark}"),
                vec![uuid::Uuid::parse_str(&agent.user_id).unwrap().into()],
            )
        };
        app.db.execute_raw(update("role = 'viewer'")).await.unwrap();
        let mut status = 0;
        for _ in 0..250 {
            status = app.post("/api/v1/contacts", Some(&agent.token), json!({"last_name": "Try"})).await.status;
            if status == 403 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(status, 403, "a viewer may not create contacts");

        app.db.execute_raw(update("active = false")).await.unwrap();
        let mut status = 0;
        for _ in 0..250 {
            status = app.get("/api/v1/contacts?limit=1", Some(&agent.token)).await.status;
            if status == 401 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(status, 401);
    }
}
