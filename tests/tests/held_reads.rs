//! Reads on connections held beside the pool (`crm_core::reads`, PostgreSQL): the same
//! answers as through the pool, each statement counted, a connection reused after a statement
//! that finished or failed in the database, and checked before reuse after one that was
//! interrupted.

use crm_core::reads::Reads;
use crm_tests::{Backend, dual};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The backend process serving `reads`' next statement.
async fn backend_pid(reads: &Reads) -> i32 {
    let row = reads
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_backend_pid() AS pid",
        ))
        .await
        .expect("pid read")
        .expect("one row");
    row.try_get::<i32>("", "pid").expect("pid")
}

dual! {
    #[config(|c| c.db_read_connections = 2)]
    async fn records_pages_and_the_timeline_read_alike_on_held_connections(app: &TestApp) {
        let s = app.signup("Held", "held@example.test").await;
        let token = Some(s.token.as_str());
        let contact = app
            .post("/api/v1/contacts", token, json!({"first_name": "Ada", "email": "ada@held.test"}))
            .await
            .ok(201);
        let id = contact["id"].as_str().expect("id").to_owned();
        app.post(
            "/api/v1/activities",
            token,
            json!({"kind": "call", "channel": "phone", "subject": "Intro", "contact_id": id}),
        )
        .await
        .ok(201);
        // More concurrent reads than held connections: each waits its turn, none fails.
        let reads = (0..24).map(|i| {
            let path = match i % 3 {
                0 => format!("/api/v1/contacts/{id}"),
                1 => "/api/v1/contacts?limit=5".to_owned(),
                _ => format!("/api/v1/contacts/{id}/timeline?limit=5&types=activity"),
            };
            async move { (i, app.get(&path, token).await) }
        });
        for (i, resp) in futures_util::future::join_all(reads).await {
            let body = resp.ok(200);
            match i % 3 {
                0 => assert_eq!(body["email"], "ada@held.test"),
                1 => assert_eq!(body["data"][0]["id"].as_str(), Some(id.as_str())),
                _ => assert_eq!(body["data"][0]["activity"]["subject"], "Intro", "{body}"),
            }
        }
        // A write through the pool is seen by the next held read.
        app.patch(&format!("/api/v1/contacts/{id}"), token, json!({"first_name": "Ada B."}))
            .await
            .ok(200);
        let again = app.get(&format!("/api/v1/contacts/{id}"), token).await.ok(200);
        assert_eq!(again["first_name"], "Ada B.");
        // A record that is not there is still a 404 problem.
        app.get("/api/v1/contacts/00000000-0000-7000-8000-000000000000", token)
            .await
            .problem(404, "not_found");
        // The held connections are gauged beside the pool's (PostgreSQL only).
        let m = app.get("/metrics", None).await.text();
        let gauge = |name: &str| {
            m.lines().find_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                (series == name).then(|| value.parse::<f64>().expect("a number"))
            })
        };
        if app.backend == Backend::Postgres {
            let open = gauge("crm_db_read_connections").expect("open gauge");
            let idle = gauge("crm_db_read_idle_connections").expect("idle gauge");
            assert_eq!(gauge("crm_db_read_max_connections"), Some(2.0), "{m}");
            // Opened as reads needed them, never more than the limit; each went back idle once
            // its read finished.
            assert!((1.0..=2.0).contains(&open) && idle == open, "{m}");
        } else {
            assert!(!m.contains("crm_db_read_"), "{m}");
        }
    }

    async fn a_held_connection_is_reused_only_after_a_statement_that_finished(app: &TestApp) {
        if app.backend != Backend::Postgres {
            // SQLite reads through its pool: `hold` keeps it so.
            let reads = Reads::hold(app.db.clone(), 2, None);
            let row = reads
                .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT 7 AS n"))
                .await
                .expect("read")
                .expect("row");
            assert_eq!(row.try_get::<i32>("", "n").expect("n"), 7);
            return;
        }
        let counted = Arc::new(AtomicU64::new(0));
        let counter = counted.clone();
        let reads = Reads::hold(
            app.db.clone(),
            1,
            Some(Arc::new(move || {
                counter.fetch_add(1, Ordering::Relaxed);
            })),
        );
        let first = backend_pid(&reads).await;
        assert_eq!(backend_pid(&reads).await, first, "one held connection, reused");
        // An error the database answered leaves the connection fit: kept.
        let failed = reads
            .query_all_raw(Statement::from_string(DbBackend::Postgres, "SELECT 1 / 0"))
            .await;
        assert!(failed.is_err());
        assert_eq!(backend_pid(&reads).await, first, "kept after a database error");
        // Bound values reach the statement.
        let row = reads
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT $1::text || '!' AS s, $2::bigint + 1 AS n",
                ["held".into(), 41_i64.into()],
            ))
            .await
            .expect("read")
            .expect("row");
        assert_eq!(row.try_get::<String>("", "s").expect("s"), "held!");
        assert_eq!(row.try_get::<i64>("", "n").expect("n"), 42);
        // A statement interrupted half way (its future dropped): its connection is checked
        // in the background (the check reads the rest of its answer away) before it is lent
        // again, so the next read waits for it and gets its own answer, not the old one's.
        let slow = reads.query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_sleep(1), 'old' AS s",
        ));
        assert!(tokio::time::timeout(Duration::from_millis(200), slow).await.is_err());
        let row = reads
            .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT 'new' AS s"))
            .await
            .expect("read")
            .expect("row");
        assert_eq!(row.try_get::<String>("", "s").expect("s"), "new");
        assert_eq!(backend_pid(&reads).await, first, "reused once checked");
        // Every statement that ran to its end was counted.
        assert_eq!(counted.load(Ordering::Relaxed), 7);
    }
}
