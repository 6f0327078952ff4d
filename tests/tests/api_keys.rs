//! API keys as fast as access tokens: on PostgreSQL a known key is served from memory (no read,
//! no write on the request path), its last use is written in the background, and a revocation
//! or a change of the key, by the API, another replica or raw SQL, applies within moments.

use crm_tests::{Backend, TestApp, dual};
use sea_orm::{ConnectionTrait, Statement, Value};
use serde_json::json;
use std::time::Duration;

/// Statements one authenticated `GET /contacts?limit=1` costs once the key is cached: on
/// PostgreSQL only the list's own statement; SQLite also reads the key (but no longer writes).
fn cached_cost(app: &TestApp) -> u64 {
    if app.backend == Backend::Postgres {
        1
    } else {
        2
    }
}

/// Uses `key` until a request costs only what [`cached_cost`] says (on PostgreSQL, once the
/// server listens for changes and has the key in memory).
async fn until_cached(app: &TestApp, key: &str) {
    let statements = || app.server().state.metrics.statements();
    let mut per_request = u64::MAX;
    for _ in 0..250 {
        app.get("/api/v1/contacts?limit=1", Some(key)).await.ok(200);
        let before = statements();
        app.get("/api/v1/contacts?limit=1", Some(key)).await.ok(200);
        per_request = statements() - before;
        if per_request == cached_cost(app) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("a request with a known key still costs {per_request} statements");
}

/// Runs `sql` with the key's id bound as the last value (`$n` or `?`).
async fn on_key(app: &TestApp, sql: &str, mut values: Vec<Value>, id: &str) {
    let backend = app.db.get_database_backend();
    values.push(uuid::Uuid::parse_str(id).unwrap().into());
    let sql = if app.backend == Backend::Postgres {
        let mut n = 0;
        sql.chars()
            .map(|c| {
                if c == '?' {
                    n += 1;
                    format!("${n}")
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        sql.to_owned()
    };
    app.db
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
}

/// `last_used_at` of key `id` as stored.
async fn last_used(app: &TestApp, id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let backend = app.db.get_database_backend();
    let mark = if app.backend == Backend::Postgres {
        "$1"
    } else {
        "?"
    };
    let row = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT last_used_at FROM api_keys WHERE id = {mark}"),
            [uuid::Uuid::parse_str(id).unwrap().into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// Sends `GET path` with `key` until it answers `status` (for up to 2 s); returns the last
/// status.
async fn until_status(app: &TestApp, key: &str, path: &str, status: u16) -> u16 {
    let mut last = 0;
    for _ in 0..100 {
        last = app.get(path, Some(key)).await.status;
        if last == status {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    last
}

dual! {
    #[config(|c| c.api_key_usage_flush_secs = 1)]
    async fn last_use_is_written_in_the_background(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let (id, key) = app.api_key(&admin, "read", "viewer").await;
        assert_eq!(last_used(app, &id).await, None);
        let before = chrono::Utc::now() - chrono::Duration::seconds(1);
        // Many requests, none of them writing: the request path only notes the use.
        until_cached(app, &key).await;
        for _ in 0..20 {
            app.get("/api/v1/me", Some(&key)).await.ok(200);
        }
        let mut stored = None;
        for _ in 0..100 {
            stored = last_used(app, &id).await;
            if stored.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let stored = stored.expect("last_used_at written within the flush interval");
        assert!(stored >= before && stored <= chrono::Utc::now(), "{stored}");
        let listed = app.get(&format!("/api/v1/api-keys/{id}"), Some(&admin.token)).await.ok(200);
        assert!(listed["last_used_at"].is_string(), "{listed}");
    }

    async fn last_use_is_written_when_the_server_stops(app: &TestApp) {
        // The interval is a minute: only the write on stopping can have stored it this soon.
        let admin = app.signup("Acme", "admin@acme.test").await;
        let (id, key) = app.api_key(&admin, "read", "viewer").await;
        let replica = app.replica().await;
        replica.get("/api/v1/me", Some(&key)).await.ok(200);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(last_used(app, &id).await, None);
        replica.finish().await;
        assert!(last_used(app, &id).await.is_some());
    }

    async fn a_revoked_key_is_refused_at_once(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let pg = app.backend == Backend::Postgres;

        // Revoked through the API of this server: the very next request is refused.
        let (id, key) = app.api_key(&admin, "read", "viewer").await;
        until_cached(app, &key).await;
        app.delete(&format!("/api/v1/api-keys/{id}"), Some(&admin.token)).await.ok(204);
        app.get("/api/v1/me", Some(&key)).await.problem(401, "unauthenticated");

        // Revoked through another replica: this one is told by the database.
        let (id, key) = app.api_key(&admin, "read", "viewer").await;
        until_cached(app, &key).await;
        let replica = app.replica().await;
        replica.delete(&format!("/api/v1/api-keys/{id}"), Some(&admin.token)).await.ok(204);
        assert_eq!(until_status(app, &key, "/api/v1/me", 401).await, 401);
        replica.finish().await;

        // Revoked by an operator, outside the API.
        let (id, key) = app.api_key(&admin, "read", "viewer").await;
        until_cached(app, &key).await;
        if pg {
            on_key(app, "UPDATE api_keys SET revoked_at = now() WHERE id = ?", vec![], &id).await;
        } else {
            on_key(app, "UPDATE api_keys SET revoked_at = ? WHERE id = ?", vec![chrono::Utc::now().into()], &id).await;
        }
        assert_eq!(until_status(app, &key, "/api/v1/me", 401).await, 401);
        app.get("/api/v1/me", Some(&key)).await.problem(401, "unauthenticated");

        // Deleted, or given another role, outside the API.
        let (id, key) = app.api_key(&admin, "read", "viewer").await;
        until_cached(app, &key).await;
        on_key(app, "DELETE FROM api_keys WHERE id = ?", vec![], &id).await;
        assert_eq!(until_status(app, &key, "/api/v1/me", 401).await, 401);
        let (id, key) = app.api_key(&admin, "read_write", "agent").await;
        until_cached(app, &key).await;
        app.post("/api/v1/contacts", Some(&key), json!({"last_name": "Before"})).await.ok(201);
        on_key(app, "UPDATE api_keys SET role = 'viewer' WHERE id = ?", vec![], &id).await;
        let mut status = 0;
        for _ in 0..100 {
            status = app.post("/api/v1/contacts", Some(&key), json!({"last_name": "After"})).await.status;
            if status == 403 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(status, 403, "a viewer key may not create contacts");
        let me = app.get("/api/v1/me", Some(&key)).await.ok(200);
        assert_eq!(me["role"], "viewer");
    }

    async fn a_wrong_secret_is_refused_even_when_the_key_is_cached(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let (_, key) = app.api_key(&admin, "read_write", "agent").await;
        until_cached(app, &key).await;
        let (prefix_part, secret) = key.rsplit_once('_').unwrap();
        let mut last_changed = secret.to_owned();
        let flipped = if last_changed.ends_with('a') { 'b' } else { 'a' };
        last_changed.pop();
        last_changed.push(flipped);
        let statements = || app.server().state.metrics.statements();
        for wrong in [
            format!("{prefix_part}_{last_changed}"),
            format!("{prefix_part}_"),
            format!("{prefix_part}_{secret}x"),
            format!("{prefix_part}_{}", &secret[..secret.len() - 1]),
        ] {
            let before = statements();
            app.get("/api/v1/me", Some(&wrong)).await.problem(401, "unauthenticated");
            app.post("/api/v1/contacts", Some(&wrong), json!({"last_name": "Nope"}))
                .await
                .problem(401, "unauthenticated");
            if app.backend == Backend::Postgres {
                // Answered from memory: the key was compared, not read.
                assert_eq!(statements() - before, 0, "{wrong}");
            }
        }
        // The right secret still works.
        app.get("/api/v1/me", Some(&key)).await.ok(200);
    }

    async fn a_key_outlives_its_creators_deactivation(app: &TestApp) {
        // Keys belong to the organization and act with their own role: a departing admin does
        // not break an ERP sync, cached or not.
        let admin = app.signup("Acme", "admin@acme.test").await;
        let creator = app.member(&admin, "admin", "creator@acme.test").await;
        let (_, key) = app.api_key(&creator, "read_write", "manager").await;
        until_cached(app, &key).await;
        app.patch(&format!("/api/v1/users/{}", creator.user_id), Some(&admin.token), json!({"role": "agent"}))
            .await
            .ok(200);
        let me = app.get("/api/v1/me", Some(&key)).await.ok(200);
        assert_eq!(me["role"], "manager");
        app.patch(&format!("/api/v1/users/{}", creator.user_id), Some(&admin.token), json!({"active": false}))
            .await
            .ok(200);
        app.get("/api/v1/me", Some(&creator.token)).await.problem(401, "unauthenticated");
        let me = app.get("/api/v1/me", Some(&key)).await.ok(200);
        assert_eq!(me["role"], "manager");
        assert_eq!(me["auth_method"], "api_key");
        let contact = app.post("/api/v1/contacts", Some(&key), json!({"last_name": "Synced"})).await.ok(201);
        // Deleting needs the manager role the key has, not the creator's agent role.
        let id = contact["id"].as_str().unwrap();
        app.delete(&format!("/api/v1/contacts/{id}"), Some(&key)).await.ok(204);
        until_cached(app, &key).await;
    }
}
