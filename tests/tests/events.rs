//! The change feed (`GET /api/v1/events`, GraphQL `events`): every write's event in commit
//! order with its shape, type patterns, paging, tenancy, expiry and long-poll; and the
//! guarantee that a reader resuming from its cursor never skips or repeats an event, even when
//! transactions commit out of the order they wrote in.

use crm_core::db::begin_write;
use crm_core::{Ctx, audit};
use crm_tests::{Backend, Session, TestApp, dual};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// One read of the feed; returns the page.
async fn read(app: &TestApp, token: &str, query: &str) -> Value {
    app.get(&format!("/api/v1/events{query}"), Some(token))
        .await
        .ok(200)
}

/// On PostgreSQL, waits until every transaction that began before now has ended: the feed's
/// horizon is cluster-wide, so another test's open transaction holds it back for a moment.
async fn settle(app: &TestApp) {
    if app.backend != Backend::Postgres {
        return;
    }
    let one = |sql: &str| {
        let sql = sql.to_owned();
        async move {
            let row = app
                .db
                .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    let next =
        one("SELECT CAST(CAST(pg_snapshot_xmax(pg_current_snapshot()) AS text) AS bigint)").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while one("SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint)").await
        < next
    {
        assert!(
            Instant::now() < deadline,
            "the PostgreSQL horizon did not move"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads from `after` until the feed has nothing more; returns the events and the last cursor.
async fn drain(
    app: &TestApp,
    token: &str,
    after: Option<&str>,
    extra: &str,
) -> (Vec<Value>, String) {
    settle(app).await;
    let mut events = Vec::new();
    let mut cursor = after.map(str::to_owned);
    loop {
        let q = match &cursor {
            Some(c) => format!("?after={c}{extra}"),
            None => format!("?{}", extra.trim_start_matches('&')),
        };
        let page = read(app, token, &q).await;
        events.extend(page["data"].as_array().unwrap().iter().cloned());
        cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        if page["has_more"] == false {
            return (events, cursor.unwrap());
        }
    }
}

fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn contact(app: &TestApp, s: &Session, name: &str) -> String {
    let c = app
        .post(
            "/api/v1/contacts",
            Some(&s.token),
            json!({ "first_name": name }),
        )
        .await
        .ok(201);
    c["id"].as_str().unwrap().to_owned()
}

/// Every outbox event id of the organization, straight from the table.
async fn stored_ids(app: &TestApp, s: &Session) -> HashSet<String> {
    let org: Uuid = s.org_id.parse().unwrap();
    let rows = app
        .db
        .query_all_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            match app.backend {
                Backend::Postgres => "SELECT id FROM outbox_events WHERE org_id = $1",
                Backend::Sqlite => "SELECT id FROM outbox_events WHERE org_id = ?",
            },
            [org.into()],
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<Uuid>("", "id").unwrap().to_string())
        .collect()
}

/// Asserts no event id appears twice; returns them as a set.
#[track_caller]
fn once(events: &[Value]) -> HashSet<String> {
    let mut seen = HashSet::new();
    for e in events {
        let id = e["id"].as_str().unwrap().to_owned();
        assert!(seen.insert(id.clone()), "event {id} seen twice");
    }
    seen
}

/// Writes a `contact.updated` event (title `t{n-1}` to `t{n}`) in `tx`, through the path every
/// operation uses.
async fn write_title(tx: &sea_orm::DatabaseTransaction, ctx: &Ctx, record: Uuid, n: u32) {
    let before = json!({"title": format!("t{}", n - 1)});
    let after = json!({"title": format!("t{n}")});
    audit::record(
        tx,
        ctx,
        "contact",
        record,
        "updated",
        Some(&before),
        Some(&after),
    )
    .await
    .unwrap();
}

/// One read without waiting: the events and the next cursor.
async fn poll_once(app: &TestApp, token: &str, cursor: String) -> (Vec<Value>, String) {
    let page = read(app, token, &format!("?after={cursor}")).await;
    (
        page["data"].as_array().unwrap().clone(),
        page["next_cursor"].as_str().unwrap().to_owned(),
    )
}

dual! {
    async fn writes_become_events_in_order_with_their_shape(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let id = contact(app, &s, "Ann").await;
        app.patch(&format!("/api/v1/contacts/{id}"), Some(&s.token), json!({"title": "CEO"})).await.ok(200);
        app.delete(&format!("/api/v1/contacts/{id}"), Some(&s.token)).await.ok(204);
        let (events, _) = drain(app, &s.token, None, "&types=contact.*").await;
        assert_eq!(types(&events), ["contact.created", "contact.updated", "contact.deleted"]);
        for e in &events {
            assert_eq!(e["record"], json!({"type": "contact", "id": id}));
            assert_eq!(e["actor"], json!({"type": "user", "id": s.user_id}));
            assert!(e["occurred_at"].is_string(), "{e}");
        }
        assert_eq!(events[0]["before"], Value::Null);
        assert_eq!(events[0]["after"]["first_name"], "Ann");
        // Only the changed fields on an update.
        assert_eq!(events[1]["before"], json!({"title": null}), "{}", events[1]);
        assert_eq!(events[1]["after"], json!({"title": "CEO"}));
        assert!(events[2]["before"].is_object() || events[2]["after"].is_object(), "{}", events[2]);

        // GraphQL answers the same events with the same ids, in the same order.
        let r = app.gql(Some(&s.token), r#"query($t: [String!]) { events(types: $t, first: 10) {
            data { id type occurredAt actor { type id } record { type id } before after }
            nextCursor hasMore } }"#, json!({"t": ["contact.*"]})).await.ok(200);
        let page = &r["data"]["events"];
        assert_eq!(page["hasMore"], false, "{r}");
        let ids: Vec<&Value> = page["data"].as_array().unwrap().iter().map(|e| &e["id"]).collect();
        let rest: Vec<&Value> = events.iter().map(|e| &e["id"]).collect();
        assert_eq!(ids, rest);
        assert_eq!(page["data"][1]["type"], "contact.updated");
        assert_eq!(page["data"][1]["after"], json!({"title": "CEO"}));
        assert_eq!(page["data"][1]["record"], json!({"type": "contact", "id": id}));
        // A read-only API key of a viewer may read the feed; it names the key as the actor.
        let (key_id, key) = app.api_key(&s, "read_write", "agent").await;
        let (reader_id, reader) = app.api_key(&s, "read", "viewer").await;
        let _ = reader_id;
        app.post("/api/v1/contacts", Some(&key), json!({"first_name": "Bob"})).await.ok(201);
        let (events, _) = drain(app, &reader, None, "&types=contact.created").await;
        assert_eq!(events.len(), 2);
        assert_eq!(events[1]["actor"], json!({"type": "api_key", "id": key_id}));
        app.get("/api/v1/events", None).await.problem(401, "unauthenticated");
    }

    async fn types_filter_with_patterns(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let co = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Globex"})).await.ok(201);
        let c = contact(app, &s, "Ann").await;
        app.patch(&format!("/api/v1/contacts/{c}"), Some(&s.token), json!({"title": "CTO"})).await.ok(200);
        app.patch(&format!("/api/v1/companies/{}", co["id"].as_str().unwrap()), Some(&s.token), json!({"industry": "Tools"})).await.ok(200);
        let (e, _) = drain(app, &s.token, None, "&types=company.*").await;
        assert_eq!(types(&e), ["company.created", "company.updated"]);
        let (e, _) = drain(app, &s.token, None, "&types=contact.updated,company.created").await;
        assert_eq!(types(&e), ["company.created", "contact.updated"]);
        let (all, _) = drain(app, &s.token, None, "").await;
        let (star, _) = drain(app, &s.token, None, "&types=*").await;
        assert_eq!(types(&all), types(&star));
        assert!(all.len() >= 4);
        for bad in ["con%25", "*.created", "contact*", "a..b"] {
            let body = app.get(&format!("/api/v1/events?types={bad}"), Some(&s.token)).await.problem(422, "validation_failed");
            assert_eq!(body["errors"][0]["pointer"], "/types", "{body}");
        }
        for (q, pointer) in [("limit=0", "/limit"), ("limit=1001", "/limit"), ("limit=x", "/limit"), ("wait=61", "/wait")] {
            let body = app.get(&format!("/api/v1/events?{q}"), Some(&s.token)).await.problem(422, "validation_failed");
            assert_eq!(body["errors"][0]["pointer"], pointer, "{body}");
        }
    }

    async fn pages_by_cursor_and_resumes_after_the_end(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        for i in 0..5 {
            contact(app, &s, &format!("C{i}")).await;
        }
        settle(app).await;
        let p1 = read(app, &s.token, "?types=contact.*&limit=2").await;
        assert_eq!(p1["data"].as_array().unwrap().len(), 2);
        assert_eq!(p1["has_more"], true);
        let p2 = read(app, &s.token, &format!("?types=contact.*&limit=2&after={}", p1["next_cursor"].as_str().unwrap())).await;
        let p3 = read(app, &s.token, &format!("?types=contact.*&limit=2&after={}", p2["next_cursor"].as_str().unwrap())).await;
        assert_eq!(p3["data"].as_array().unwrap().len(), 1);
        assert_eq!(p3["has_more"], false);
        let names: Vec<Value> = [&p1, &p2, &p3].iter().flat_map(|p| p["data"].as_array().unwrap().iter().map(|e| e["after"]["first_name"].clone())).collect();
        assert_eq!(names, ["C0", "C1", "C2", "C3", "C4"].map(Value::from));
        // At the end: an empty page still gives a cursor, from which the next write is read.
        let end = read(app, &s.token, &format!("?types=contact.*&after={}", p3["next_cursor"].as_str().unwrap())).await;
        assert_eq!(end["data"], json!([]));
        assert_eq!(end["has_more"], false);
        contact(app, &s, "C5").await;
        settle(app).await;
        let next = read(app, &s.token, &format!("?types=contact.*&after={}", end["next_cursor"].as_str().unwrap())).await;
        assert_eq!(next["data"].as_array().unwrap().len(), 1);
        assert_eq!(next["data"][0]["after"]["first_name"], "C5");
        // GraphQL pages with the same cursors.
        let r = app.gql(Some(&s.token), "query($a: String) { events(after: $a, types: [\"contact.*\"], first: 2) { data { id } hasMore } }",
            json!({"a": p1["next_cursor"]})).await.ok(200);
        assert_eq!(r["data"]["events"]["data"][0]["id"], p2["data"][0]["id"], "{r}");
    }

    async fn another_organizations_cursor_is_refused(app: &TestApp) {
        let a = app.signup("Acme", "admin@acme.test").await;
        let b = app.signup("Globex", "admin@globex.test").await;
        contact(app, &a, "Ann").await;
        contact(app, &b, "Bob").await;
        let pa = read(app, &a.token, "").await;
        let body = app.get(&format!("/api/v1/events?after={}", pa["next_cursor"].as_str().unwrap()), Some(&b.token)).await.problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["pointer"], "/after", "{body}");
        app.get("/api/v1/events?after=garbage", Some(&b.token)).await.problem(422, "validation_failed");
        // Each organization sees its own events only.
        let (eb, _) = drain(app, &b.token, None, "").await;
        assert!(eb.iter().all(|e| e["type"] != "contact.created" || e["after"]["first_name"] == "Bob"));
        let r = app.gql(Some(&b.token), "query($a: String) { events(after: $a) { hasMore } }", json!({"a": pa["next_cursor"]})).await.ok(200);
        assert_eq!(r["errors"][0]["extensions"]["code"], "validation_failed", "{r}");
    }

    #[config(|c| c.event_retention_secs = 1)]
    async fn a_cursor_older_than_the_retention_is_gone(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        contact(app, &s, "Ann").await;
        let page = read(app, &s.token, "").await;
        let cursor = page["next_cursor"].as_str().unwrap().to_owned();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let body = app.get(&format!("/api/v1/events?after={cursor}"), Some(&s.token)).await.problem(410, "cursor_expired");
        assert!(body["detail"].as_str().unwrap().contains("without `after`"), "{body}");
        let r = app.gql(Some(&s.token), "query($a: String) { events(after: $a) { hasMore } }", json!({"a": cursor})).await.ok(200);
        assert_eq!(r["errors"][0]["extensions"]["code"], "cursor_expired", "{r}");
        // Starting over works.
        read(app, &s.token, "").await;
    }

    async fn long_poll_returns_when_an_event_arrives_or_the_wait_ends(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let (_, end) = drain(app, &s.token, None, "").await;
        // Nothing arrives: empty after the wait.
        let started = Instant::now();
        let page = read(app, &s.token, &format!("?after={end}&wait=1")).await;
        assert_eq!(page["data"], json!([]));
        assert!(started.elapsed() >= Duration::from_millis(950), "{:?}", started.elapsed());
        // An event arrives during the wait: the answer comes at once, with it.
        let started = Instant::now();
        let (page, _) = futures_util::future::join(
            read(app, &s.token, &format!("?after={end}&wait=20&types=contact.*")),
            async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                contact(app, &s, "Ann").await
            },
        )
        .await;
        assert_eq!(page["data"][0]["type"], "contact.created", "{page}");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }

    async fn transactions_committing_out_of_order_are_neither_skipped_nor_repeated(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let record = Uuid::parse_str(&contact(app, &s, "Ann").await).unwrap();
        let (mut seen, mut cursor) = drain(app, &s.token, None, "").await;
        let ctx = app.admin_ctx(&s);
        let poll = |cursor: String| poll_once(app, &s.token, cursor);
        match app.backend {
            Backend::Postgres => {
                // T1 writes first, T2 second; T2 commits first.
                let t1 = begin_write(&app.db).await.unwrap();
                write_title(&t1, &ctx, record, 1).await;
                let t2 = begin_write(&app.db).await.unwrap();
                write_title(&t2, &ctx, record, 2).await;
                t2.commit().await.unwrap();
                // T2's event is committed, but T1 (which wrote before it) is still running: a
                // reader that took T2's event now would resume past T1's. The feed holds it back.
                let (page, next) = poll(cursor.clone()).await;
                assert_eq!(page, Vec::<Value>::new(), "an event was returned while an earlier transaction ran");
                cursor = next;
                t1.commit().await.unwrap();
            }
            Backend::Sqlite => {
                // Writers run one at a time (IMMEDIATE): T2 cannot begin before T1 ends, so
                // commit order is write order. A reader between them sees T1's event alone.
                let t1 = begin_write(&app.db).await.unwrap();
                write_title(&t1, &ctx, record, 1).await;
                let (page, next) = poll(cursor.clone()).await;
                assert_eq!(page, Vec::<Value>::new(), "an uncommitted event was returned");
                cursor = next;
                t1.commit().await.unwrap();
                let t2 = begin_write(&app.db).await.unwrap();
                write_title(&t2, &ctx, record, 2).await;
                let (page, next) = poll(cursor.clone()).await;
                assert_eq!(page.len(), 1);
                seen.extend(page);
                cursor = next;
                t2.commit().await.unwrap();
            }
        }
        // Both are read once the writers have ended (other databases' transactions on the same
        // PostgreSQL may hold the horizon back a moment: long-poll for it).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let page = read(app, &s.token, &format!("?after={cursor}&wait=2")).await;
            seen.extend(page["data"].as_array().unwrap().iter().cloned());
            cursor = page["next_cursor"].as_str().unwrap().to_owned();
            if seen.iter().filter(|e| e["type"] == "contact.updated").count() >= 2 || Instant::now() > deadline {
                break;
            }
        }
        let updates: Vec<&Value> = seen.iter().filter(|e| e["type"] == "contact.updated").collect();
        assert_eq!(updates.len(), 2, "{updates:?}");
        assert_eq!(updates[0]["after"], json!({"title": "t1"}));
        assert_eq!(updates[1]["after"], json!({"title": "t2"}));
        assert_eq!(once(&seen), stored_ids(app, &s).await);
    }

    async fn a_reader_following_concurrent_writers_gets_every_event_once(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let (mut seen, mut cursor) = drain(app, &s.token, None, "").await;
        let writers = futures_util::future::join_all((0..6).map(|w| {
            let s = s.clone();
            async move {
                for i in 0..8 {
                    contact(app, &s, &format!("W{w}-{i}")).await;
                }
            }
        }));
        let done = std::sync::atomic::AtomicBool::new(false);
        let writing = async {
            writers.await;
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        };
        let reading = async {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let page = read(app, &s.token, &format!("?after={cursor}&limit=3&wait=1")).await;
                seen.extend(page["data"].as_array().unwrap().iter().cloned());
                cursor = page["next_cursor"].as_str().unwrap().to_owned();
                let created = seen.iter().filter(|e| e["type"] == "contact.created").count();
                if (finished && created >= 48 && page["has_more"] == false) || Instant::now() > deadline {
                    break;
                }
            }
        };
        futures_util::future::join(writing, reading).await;
        assert_eq!(seen.iter().filter(|e| e["type"] == "contact.created").count(), 48);
        assert_eq!(once(&seen), stored_ids(app, &s).await);
    }
}

dual! {
    async fn pruning_deletes_events_past_the_retention_only(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let old = contact(app, &s, "Old").await;
        let new = contact(app, &s, "New").await;
        // Age the first contact's events by two days.
        let backend = app.db.get_database_backend();
        let sql = match app.backend {
            Backend::Postgres => "UPDATE outbox_events SET created_at = $1 WHERE record_id = $2",
            Backend::Sqlite => "UPDATE outbox_events SET created_at = ? WHERE record_id = ?",
        };
        let two_days_ago = chrono::Utc::now() - chrono::Duration::days(2);
        app.db
            .execute_raw(Statement::from_sql_and_values(backend, sql, [two_days_ago.into(), Uuid::parse_str(&old).unwrap().into()]))
            .await
            .unwrap();
        let day = crm_integration::FeedSettings { retention: Duration::from_secs(86_400), ..Default::default() };
        let deleted = crm_integration::prune::prune(&app.db, &day).await.unwrap();
        assert_eq!(deleted, 1);
        let (events, _) = drain(app, &s.token, None, "&types=contact.*").await;
        let records: Vec<&Value> = events.iter().map(|e| &e["record"]["id"]).collect();
        assert_eq!(records, [&json!(new)]);
        // Within the retention (plus its hour of grace) nothing goes.
        let week = crm_integration::FeedSettings { retention: Duration::from_secs(7 * 86_400), ..Default::default() };
        app.db
            .execute_raw(Statement::from_sql_and_values(backend, sql, [two_days_ago.into(), Uuid::parse_str(&new).unwrap().into()]))
            .await
            .unwrap();
        assert_eq!(crm_integration::prune::prune(&app.db, &week).await.unwrap(), 0);
    }
}

dual! {
    async fn rows_written_without_a_feed_position_are_still_read(app: &TestApp) {
        // A program other than the server (a loader, a baseline, a repair) inserts an event
        // without `seq`: SQLite's trigger numbers it, PostgreSQL's `txid` default places it.
        let s = app.signup("Acme", "admin@acme.test").await;
        let first = contact(app, &s, "First").await;
        let backend = app.db.get_database_backend();
        let sql = match app.backend {
            Backend::Postgres => "INSERT INTO outbox_events (id, org_id, topic, record_type, record_id, actor_user_id, actor_api_key_id, payload, created_at) VALUES ($1, $2, 'contact.updated', 'contact', $3, NULL, NULL, CAST($4 AS jsonb), $5)",
            Backend::Sqlite => "INSERT INTO outbox_events (id, org_id, topic, record_type, record_id, actor_user_id, actor_api_key_id, payload, created_at) VALUES (?, ?, 'contact.updated', 'contact', ?, NULL, NULL, ?, ?)",
        };
        let outside = Uuid::now_v7();
        let org = Uuid::parse_str(&s.org_id).unwrap();
        app.db
            .execute_raw(Statement::from_sql_and_values(backend, sql, [outside.into(), org.into(), Uuid::parse_str(&first).unwrap().into(), "{\"after\": {\"first_name\": \"Outside\"}}".into(), chrono::Utc::now().into()]))
            .await
            .unwrap();
        let second = contact(app, &s, "Second").await;
        settle(app).await;
        let (events, _) = drain(app, &s.token, None, "&types=contact.*").await;
        let ids: Vec<(String, String)> = events.iter().map(|e| (e["type"].as_str().unwrap().to_owned(), e["record"]["id"].as_str().unwrap().to_owned())).collect();
        assert_eq!(ids, vec![
            ("contact.created".to_owned(), first.clone()),
            ("contact.updated".to_owned(), first),
            ("contact.created".to_owned(), second),
        ], "{events:?}");
        assert_eq!(events[1]["id"], json!(outside));
        assert_eq!(events[1]["actor"]["type"], "system");
    }
}
