//! Webhooks (`/api/v1/webhooks`): a real receiver on loopback checks every message's
//! Standard Webhooks signature with its own HMAC code (not the server's), and sees retries
//! after 500s, per-record order, 410 disabling, secret rotation, replay and re-delivery; the
//! address guard, tenancy, roles and bad input answer as they must.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crm_tests::webhook_receiver::{Received, Receiver, verifies};
use crm_tests::{Session, TestApp, dual};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::net::TcpListener;
use std::time::{Duration, Instant};

fn fast(c: &mut crm_gateway::config::Config) {
    c.webhooks_allow_private = true;
    c.webhook_retry_schedule = "100ms,200ms,300ms".to_owned();
    c.webhook_fanout_interval_ms = 20;
    c.job_poll_interval_ms = 20;
}

async fn create_hook(app: &TestApp, s: &Session, url: &str, types: Value) -> Value {
    let body = app
        .post(
            "/api/v1/webhooks",
            Some(&s.token),
            json!({ "url": url, "event_types": types, "description": "ERP" }),
        )
        .await
        .ok(201);
    assert!(
        body["secret"].as_str().unwrap().starts_with("whsec_"),
        "{body}"
    );
    let key = STANDARD
        .decode(
            body["secret"]
                .as_str()
                .unwrap()
                .strip_prefix("whsec_")
                .unwrap(),
        )
        .unwrap();
    assert!((24..=32).contains(&key.len()));
    body
}

async fn new_contact(app: &TestApp, s: &Session, name: &str) -> String {
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

/// Waits until the endpoint's deliveries satisfy `pred`.
async fn wait_deliveries(
    app: &TestApp,
    s: &Session,
    hook: &str,
    pred: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = app
            .get(
                &format!("/api/v1/webhooks/{hook}/deliveries?limit=100"),
                Some(&s.token),
            )
            .await
            .ok(200);
        let list = page["data"].as_array().unwrap().clone();
        if pred(&list) {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; deliveries: {list:#?}"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

dual! {
    #[config(fast)]
    async fn delivers_signed_events_of_one_record_in_order(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let rx = Receiver::start().await;
        let before = new_contact(app, &s, "Before").await;
        let hook = create_hook(app, &s, &rx.url, json!(["contact.*"])).await;
        let secret = hook["secret"].as_str().unwrap().to_owned();
        assert!(hook.get("secret").is_some());
        let got = app.get(&format!("/api/v1/webhooks/{}", hook["id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        assert!(got.get("secret").is_none(), "the secret is shown once: {got}");
        assert_eq!(got["event_types"], json!(["contact.*"]));
        assert_eq!(got["enabled"], true);

        let id = new_contact(app, &s, "V0").await;
        for i in 1..=6 {
            app.patch(&format!("/api/v1/contacts/{id}"), Some(&s.token), json!({ "first_name": format!("V{i}") })).await.ok(200);
        }
        // A company event does not match `contact.*`.
        app.post("/api/v1/companies", Some(&s.token), json!({ "name": "Globex" })).await.ok(201);
        rx.wait_for("7 events of the contact", |g| g.len() >= 7).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let got = rx.got().into_iter().filter(|r| r.json()["data"]["record"]["id"] == id.as_str()).collect::<Vec<_>>();
        assert_eq!(got.len(), 7, "{got:#?}");
        let names: Vec<Value> = got.iter().map(|r| r.json()["data"]["after"]["first_name"].clone()).collect();
        assert_eq!(names, (0..=6).map(|i| json!(format!("V{i}"))).collect::<Vec<_>>(), "in order");
        for r in &got {
            assert!(verifies(&secret, r), "signature of {r:#?}");
            assert!(!verifies("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", r));
            let body = r.json();
            assert_eq!(body["data"]["id"], r.id.as_str(), "webhook-id is the event id");
            assert!(body["type"].as_str().unwrap().starts_with("contact."));
            assert_eq!(body["type"], body["data"]["type"]);
            assert!(body["timestamp"].is_string());
            let ts: i64 = r.timestamp.parse().unwrap();
            assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
        }
        assert_eq!(got[0].json()["type"], "contact.created");
        assert!(rx.got().iter().all(|r| r.json()["data"]["record"]["id"] != before.as_str()), "events before the endpoint existed are not sent");
        assert!(rx.got().iter().all(|r| r.json()["type"] != "company.created"));

        let hook_id = hook["id"].as_str().unwrap();
        let list = wait_deliveries(app, &s, hook_id, |l| l.len() == 7 && l.iter().all(|d| d["state"] == "succeeded")).await;
        assert!(list.iter().all(|d| d["attempts"] == 1 && d["last_status"] == 200 && d["origin"] == "event"), "{list:#?}");
        rx.stop().await;
    }

    #[config(fast)]
    async fn retries_after_500s_and_logs_every_attempt(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let rx = Receiver::start().await;
        rx.script.lock().unwrap().statuses = VecDeque::from([500, 500]);
        let hook = create_hook(app, &s, &rx.url, json!(["*"])).await;
        let secret = hook["secret"].as_str().unwrap();
        let hook_id = hook["id"].as_str().unwrap();
        new_contact(app, &s, "Ann").await;
        let got = rx.wait_for("3 attempts", |g| g.len() >= 3).await;
        assert_eq!(got[0].id, got[1].id, "same webhook-id on retries");
        assert_eq!(got[1].id, got[2].id);
        assert!(got.iter().all(|r| verifies(secret, r)));
        let list = wait_deliveries(app, &s, hook_id, |l| l.len() == 1 && l[0]["state"] == "succeeded").await;
        assert_eq!(list[0]["attempts"], 3);
        let detail = app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries/{}", list[0]["id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        let statuses: Vec<Value> = detail["attempts_log"].as_array().unwrap().iter().map(|a| a["status"].clone()).collect();
        assert_eq!(statuses, [json!(500), json!(500), json!(200)], "{detail}");
        assert_eq!(detail["attempts_log"][0]["response_excerpt"], "answer 500");
        assert!(detail["attempts_log"][0]["error"].as_str().unwrap().contains("500"));
        assert!(detail["attempts_log"][2]["error"].is_null());
        assert!(detail["attempts_log"][0]["duration_ms"].is_number());
        assert_eq!(detail["payload"]["type"], "contact.created");
        let after = app.get(&format!("/api/v1/webhooks/{hook_id}"), Some(&s.token)).await.ok(200);
        assert!(after["failing_since"].is_null(), "a success ends the failing streak: {after}");
        // Filter by state.
        let failed = app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries?state=failed"), Some(&s.token)).await.ok(200);
        assert_eq!(failed["data"], json!([]));
        rx.stop().await;
    }

    #[config(fast)]
    async fn a_receiver_that_is_down_loses_nothing(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        // A port nobody listens on yet: connections are refused.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = format!("http://127.0.0.1:{port}/hook");
        let hook = create_hook(app, &s, &url, json!(["contact.*"])).await;
        let hook_id = hook["id"].as_str().unwrap();
        let id = new_contact(app, &s, "Ann").await;
        app.patch(&format!("/api/v1/contacts/{id}"), Some(&s.token), json!({ "first_name": "Bea" })).await.ok(200);
        let list = wait_deliveries(app, &s, hook_id, |l| l.len() == 2 && l.iter().any(|d| d["attempts"].as_i64() >= Some(1))).await;
        assert!(list.iter().all(|d| d["state"] == "pending"), "{list:#?}");
        let failing = list.iter().find(|d| d["attempts"].as_i64() >= Some(1)).unwrap();
        assert!(failing["last_status"].is_null() && failing["last_error"].is_string(), "{failing}");
        let w = app.get(&format!("/api/v1/webhooks/{hook_id}"), Some(&s.token)).await.ok(200);
        assert!(w["failing_since"].is_string(), "{w}");
        // Pruning the log never drops what is still to be sent.
        crm_integration::webhooks::prune::prune(&app.db, Duration::ZERO).await.unwrap();
        let kept = app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries"), Some(&s.token)).await.ok(200);
        assert_eq!(kept["data"].as_array().unwrap().len(), 2);
        // The receiver comes back: both events arrive, in order.
        let rx = Receiver::start_on(TcpListener::bind(("127.0.0.1", port)).unwrap()).await;
        let got = rx.wait_for("both events", |g| g.len() >= 2).await;
        let names: Vec<Value> = got.iter().map(|r| r.json()["data"]["after"]["first_name"].clone()).collect();
        assert_eq!(names, [json!("Ann"), json!("Bea")]);
        assert!(got.iter().all(|r| verifies(hook["secret"].as_str().unwrap(), r)));
        wait_deliveries(app, &s, hook_id, |l| l.iter().all(|d| d["state"] == "succeeded")).await;
        // Finished deliveries past the retention go, with their attempts.
        let pruned = crm_integration::webhooks::prune::prune(&app.db, Duration::ZERO).await.unwrap();
        assert_eq!(pruned, 2);
        let left = app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries"), Some(&s.token)).await.ok(200);
        assert_eq!(left["data"], json!([]));
        let attempts = app.db.query_one_raw(sea_orm::Statement::from_string(app.db.get_database_backend(), "SELECT COUNT(*) AS n FROM webhook_attempts")).await.unwrap().unwrap();
        assert_eq!(attempts.try_get::<i64>("", "n").unwrap(), 0);
        rx.stop().await;
    }

    #[config(fast)]
    async fn a_410_disables_the_endpoint_and_tells_the_owner(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let rx = Receiver::start().await;
        rx.script.lock().unwrap().always = Some(410);
        let hook = create_hook(app, &s, &rx.url, json!(["contact.*"])).await;
        let hook_id = hook["id"].as_str().unwrap();
        new_contact(app, &s, "Ann").await;
        let deadline = Instant::now() + Duration::from_secs(20);
        let w = loop {
            let w = app.get(&format!("/api/v1/webhooks/{hook_id}"), Some(&s.token)).await.ok(200);
            if w["enabled"] == false {
                break w;
            }
            assert!(Instant::now() < deadline, "not disabled: {w}");
            tokio::time::sleep(Duration::from_millis(30)).await;
        };
        assert!(w["disabled_reason"].as_str().unwrap().contains("410"), "{w}");
        assert!(w["disabled_at"].is_string());
        let list = wait_deliveries(app, &s, hook_id, |l| l.len() == 1 && l[0]["state"] == "failed").await;
        assert_eq!(list[0]["last_status"], 410);
        assert_eq!(rx.got().len(), 1, "no retry after a 410");
        // The owner is told through the outbox.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let page = app.get("/api/v1/events?types=webhook.*", Some(&s.token)).await.ok(200);
            if let Some(e) = page["data"].as_array().unwrap().first() {
                assert_eq!(e["type"], "webhook.disabled");
                assert_eq!(e["record"]["id"], hook_id);
                assert_eq!(e["actor"]["type"], "system");
                assert_eq!(e["after"]["owner_user_id"], s.user_id.as_str());
                break;
            }
            assert!(Instant::now() < deadline, "no webhook.disabled event");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        // New events are not sent to a disabled endpoint; enabling it again works.
        new_contact(app, &s, "Bob").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(rx.got().len(), 1);
        rx.script.lock().unwrap().always = None;
        let w = app.patch(&format!("/api/v1/webhooks/{hook_id}"), Some(&s.token), json!({ "enabled": true })).await.ok(200);
        assert_eq!(w["enabled"], true);
        assert!(w["disabled_reason"].is_null());
        new_contact(app, &s, "Cid").await;
        rx.wait_for("the event after enabling", |g| g.iter().any(|r| r.json()["data"]["after"]["first_name"] == "Cid")).await;
        rx.stop().await;
    }

    #[config(|c| {
        fast(c);
        c.webhook_retry_schedule = "150ms,150ms,150ms,150ms,150ms,150ms,150ms,150ms,150ms,150ms,150ms,150ms".to_owned();
        c.webhook_disable_after_secs = 1;
    })]
    async fn failing_too_long_disables_the_endpoint(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let rx = Receiver::start().await;
        rx.script.lock().unwrap().always = Some(503);
        let hook = create_hook(app, &s, &rx.url, json!(["contact.*"])).await;
        let hook_id = hook["id"].as_str().unwrap();
        new_contact(app, &s, "Ann").await;
        let deadline = Instant::now() + Duration::from_secs(20);
        let w = loop {
            let w = app.get(&format!("/api/v1/webhooks/{hook_id}"), Some(&s.token)).await.ok(200);
            if w["enabled"] == false {
                break w;
            }
            assert!(Instant::now() < deadline, "not disabled: {w}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(w["disabled_reason"], "every delivery failed for 1 seconds", "{w}");
        let tries = rx.got().len();
        assert!(tries >= 2, "retried before giving up: {tries}");
        // The delivery itself still waits: enabling the endpoint sends it.
        let list = wait_deliveries(app, &s, hook_id, |l| l.len() == 1).await;
        assert_eq!(list[0]["state"], "pending", "{list:#?}");
        rx.script.lock().unwrap().always = None;
        app.patch(&format!("/api/v1/webhooks/{hook_id}"), Some(&s.token), json!({ "enabled": true })).await.ok(200);
        wait_deliveries(app, &s, hook_id, |l| l[0]["state"] == "succeeded").await;
        rx.stop().await;
    }

    #[config(fast)]
    async fn rotation_sends_both_signatures(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let rx = Receiver::start().await;
        let hook = create_hook(app, &s, &rx.url, json!(["contact.created"])).await;
        let hook_id = hook["id"].as_str().unwrap();
        let old = hook["secret"].as_str().unwrap().to_owned();
        let rotated = app.post(&format!("/api/v1/webhooks/{hook_id}/rotate-secret"), Some(&s.token), json!({})).await.ok(200);
        let new = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(old, new);
        assert!(new.starts_with("whsec_"));
        let until: chrono::DateTime<chrono::Utc> = rotated["previous_secret_expires_at"].as_str().unwrap().parse().unwrap();
        let hours = (until - chrono::Utc::now()).num_minutes();
        assert!((23 * 60..=24 * 60).contains(&hours), "{rotated}");
        new_contact(app, &s, "Ann").await;
        let got = rx.wait_for("one message", |g| !g.is_empty()).await;
        let r = &got[0];
        assert_eq!(r.signature.split(' ').count(), 2, "{}", r.signature);
        assert!(verifies(&old, r) && verifies(&new, r));
        // Each signature verifies on its own, with its own secret.
        let parts: Vec<&str> = r.signature.split(' ').collect();
        let alone = |sig: &str| Received { signature: sig.to_owned(), ..r.clone() };
        assert!(verifies(&new, &alone(parts[0])) && verifies(&old, &alone(parts[1])));
        rx.stop().await;
    }

    #[config(fast)]
    async fn replay_and_redelivery_send_again(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let rx = Receiver::start().await;
        let hook = create_hook(app, &s, &rx.url, json!(["contact.*"])).await;
        let hook_id = hook["id"].as_str().unwrap();
        let from = chrono::Utc::now() - chrono::Duration::seconds(1);
        new_contact(app, &s, "Ann").await;
        new_contact(app, &s, "Bob").await;
        let first = rx.wait_for("two events", |g| g.len() >= 2).await;
        let to = chrono::Utc::now() + chrono::Duration::seconds(1);
        let r = app.post(&format!("/api/v1/webhooks/{hook_id}/replay"), Some(&s.token), json!({ "from": from, "to": to })).await.ok(202);
        assert_eq!(r["queued"], 2, "{r}");
        let got = rx.wait_for("the replayed events", |g| g.len() >= 4).await;
        assert_eq!(got[2].id, first[0].id, "a replay keeps the webhook-id, in order");
        assert_eq!(got[3].id, first[1].id);
        assert!(got.iter().all(|r| verifies(hook["secret"].as_str().unwrap(), r)));
        let list = wait_deliveries(app, &s, hook_id, |l| l.len() == 4 && l.iter().all(|d| d["state"] == "succeeded")).await;
        assert_eq!(list.iter().filter(|d| d["origin"] == "replay").count(), 2);
        // One delivery sent again.
        let one = list.iter().find(|d| d["origin"] == "event").unwrap();
        let d = app.post(&format!("/api/v1/webhooks/{hook_id}/deliveries/{}/redeliver", one["id"].as_str().unwrap()), Some(&s.token), json!({})).await.ok(202);
        assert_eq!(d["origin"], "redelivery");
        assert_eq!(d["message_id"], one["message_id"]);
        let got = rx.wait_for("the re-delivery", |g| g.len() >= 5).await;
        assert_eq!(got[4].id, one["message_id"].as_str().unwrap());
        // An empty range queues nothing; a reversed one is refused.
        let r = app.post(&format!("/api/v1/webhooks/{hook_id}/replay"), Some(&s.token), json!({ "from": "2000-01-01T00:00:00Z", "to": "2000-01-02T00:00:00Z" })).await.ok(202);
        assert_eq!(r["queued"], 0);
        let body = app.post(&format!("/api/v1/webhooks/{hook_id}/replay"), Some(&s.token), json!({ "from": to, "to": from })).await.problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["pointer"], "/to");
        rx.stop().await;
    }

    async fn the_address_guard_refuses_internal_targets(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        for url in [
            "http://127.0.0.1:9/hook",
            "https://10.1.2.3/hook",
            "http://169.254.169.254/latest/meta-data",
            "https://[::1]/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://[fd00:ec2::254]/hook",
            "http://100.64.0.1/hook",
            "http://0.0.0.0/hook",
            "http://localhost:9/hook",
        ] {
            let body = app.post("/api/v1/webhooks", Some(&s.token), json!({ "url": url, "event_types": ["*"] })).await.problem(422, "validation_failed");
            assert_eq!(body["errors"][0]["pointer"], "/url", "{url}: {body}");
            assert_eq!(body["errors"][0]["code"], "refused_address", "{url}: {body}");
            let message = body["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.starts_with("is refused: it resolves to "), "{url}: {message}");
        }
        let list = app.get("/api/v1/webhooks", Some(&s.token)).await.ok(200);
        assert_eq!(list["data"], json!([]), "nothing was created");
    }

    #[config(|c| c.env = crm_gateway::config::Environment::Production)]
    async fn production_requires_https(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let body = app.post("/api/v1/webhooks", Some(&s.token), json!({ "url": "http://example.com/hook", "event_types": ["*"] })).await.problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["pointer"], "/url");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("https"), "{body}");
    }

    #[config(fast)]
    async fn tenancy_and_roles(app: &TestApp) {
        let a = app.signup("Acme", "admin@acme.test").await;
        let b = app.signup("Globex", "admin@globex.test").await;
        let rx_a = Receiver::start().await;
        let rx_b = Receiver::start().await;
        let hook_a = create_hook(app, &a, &rx_a.url, json!(["*"])).await;
        let id_a = hook_a["id"].as_str().unwrap();
        create_hook(app, &b, &rx_b.url, json!(["*"])).await;
        for (method, path) in [
            ("GET", format!("/api/v1/webhooks/{id_a}")),
            ("PATCH", format!("/api/v1/webhooks/{id_a}")),
            ("DELETE", format!("/api/v1/webhooks/{id_a}")),
            ("POST", format!("/api/v1/webhooks/{id_a}/rotate-secret")),
            ("GET", format!("/api/v1/webhooks/{id_a}/deliveries")),
        ] {
            let r = match method {
                "GET" => app.get(&path, Some(&b.token)).await,
                "PATCH" => app.patch(&path, Some(&b.token), json!({ "enabled": false })).await,
                "DELETE" => app.delete(&path, Some(&b.token)).await,
                _ => app.post(&path, Some(&b.token), json!({})).await,
            };
            r.problem(404, "not_found");
        }
        let list_b = app.get("/api/v1/webhooks", Some(&b.token)).await.ok(200);
        assert_eq!(list_b["data"].as_array().unwrap().len(), 1);
        assert_ne!(list_b["data"][0]["id"], id_a);
        // A's events go to A's endpoint only.
        new_contact(app, &a, "Ann").await;
        rx_a.wait_for("A's event", |g| !g.is_empty()).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(rx_b.got().is_empty(), "B got A's event: {:#?}", rx_b.got());
        // Only admins manage webhooks.
        let agent = app.member(&a, "agent", "agent@acme.test").await;
        let manager = app.member(&a, "manager", "manager@acme.test").await;
        for who in [&agent, &manager] {
            app.get("/api/v1/webhooks", Some(&who.token)).await.problem(403, "forbidden");
            app.post("/api/v1/webhooks", Some(&who.token), json!({ "url": rx_a.url, "event_types": ["*"] })).await.problem(403, "forbidden");
            app.get(&format!("/api/v1/webhooks/{id_a}"), Some(&who.token)).await.problem(403, "forbidden");
        }
        app.get("/api/v1/webhooks", None).await.problem(401, "unauthenticated");
        // Deleting removes it.
        app.delete(&format!("/api/v1/webhooks/{id_a}"), Some(&a.token)).await.ok(204);
        app.get(&format!("/api/v1/webhooks/{id_a}"), Some(&a.token)).await.problem(404, "not_found");
        rx_a.stop().await;
        rx_b.stop().await;
    }

    #[config(fast)]
    async fn bad_input_names_the_field(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let cases = [
            (json!({ "url": "not a url", "event_types": ["*"] }), "/url"),
            (json!({ "url": "ftp://example.com/x", "event_types": ["*"] }), "/url"),
            (json!({ "url": "https://user:pw@example.com/x", "event_types": ["*"] }), "/url"),
            (json!({ "url": "http://127.0.0.1:9/x", "event_types": [] }), "/event_types"),
            (json!({ "url": "http://127.0.0.1:9/x", "event_types": ["contact*"] }), "/event_types/0"),
            (json!({ "url": "http://127.0.0.1:9/x", "event_types": ["*", "a..b"] }), "/event_types/1"),
            (json!({ "url": "http://127.0.0.1:9/x", "event_types": ["*"], "description": "x".repeat(501) }), "/description"),
            (json!({ "url": "http://127.0.0.1:9/x", "event_types": ["*"], "secret": "mine" }), "/secret"),
            (json!({ "event_types": ["*"] }), "/url"),
            (json!({ "url": 5, "event_types": ["*"] }), "/url"),
        ];
        for (body, pointer) in cases {
            let p = app.post("/api/v1/webhooks", Some(&s.token), body.clone()).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{body}: {p}");
        }
        let hook = create_hook(app, &s, "http://127.0.0.1:9/x", json!(["*"])).await;
        let id = hook["id"].as_str().unwrap();
        let p = app.patch(&format!("/api/v1/webhooks/{id}"), Some(&s.token), json!({ "colour": "red" })).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/colour", "{p}");
        let p = app.patch(&format!("/api/v1/webhooks/{id}"), Some(&s.token), json!({ "event_types": [] })).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/event_types");
        let p = app.get(&format!("/api/v1/webhooks/{id}/deliveries?state=lost"), Some(&s.token)).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/state");
        let p = app.post(&format!("/api/v1/webhooks/{id}/replay"), Some(&s.token), json!({ "from": "yesterday", "to": "2030-01-01T00:00:00Z" })).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/from", "{p}");
        // A change that passes is kept.
        let w = app.patch(&format!("/api/v1/webhooks/{id}"), Some(&s.token), json!({ "event_types": ["deal.updated", "contact.*"], "description": "" })).await.ok(200);
        assert_eq!(w["event_types"], json!(["deal.updated", "contact.*"]));
        assert!(w["description"].is_null());
    }
}

/// Many events to many endpoints at once: 1,000 events of 100 records (10 each) written in
/// one transaction, fanned out to 10 endpoints; every endpoint gets every event once, each
/// record's in order, well within a minute (the harness target is 10,000 events in 60 s on a
/// release build).
mod fan_out {
    use super::*;
    use crm_core::audit;
    use crm_core::db::begin_write;

    fn many(c: &mut crm_gateway::config::Config) {
        fast(c);
        c.job_concurrency = 12;
    }

    dual! {
        #[config(many)]
        async fn ten_endpoints_get_every_event_in_record_order(app: &TestApp) {
            let s = app.signup("Acme", "admin@acme.test").await;
            let rx = Receiver::start().await;
            let mut secrets = Vec::new();
            for n in 0..10 {
                let hook = create_hook(app, &s, &format!("{}/{n}", rx.url), json!(["contact.*"])).await;
                secrets.push(hook["secret"].as_str().unwrap().to_owned());
            }
            let records: Vec<uuid::Uuid> = (0..100).map(|_| uuid::Uuid::now_v7()).collect();
            let ctx = app.admin_ctx(&s);
            let started = Instant::now();
            let tx = begin_write(&app.db).await.unwrap();
            for step in 0..10 {
                for id in &records {
                    let after = json!({ "first_name": format!("{step}") });
                    audit::append(&tx, &ctx, "contact", *id, "updated", json!({}), json!({ "before": {}, "after": after })).await.unwrap();
                }
            }
            tx.commit().await.unwrap();
            let got = rx.wait_for_long("10,000 deliveries", Duration::from_secs(90), |g| g.len() >= 10_000).await;
            let took = started.elapsed();
            eprintln!("fan-out: 10,000 deliveries in {took:?} ({:.0}/s)", 10_000.0 / took.as_secs_f64());
            assert!(took < Duration::from_secs(60), "took {took:?}");
            tokio::time::sleep(Duration::from_millis(300)).await;
            let got = if rx.got().len() > got.len() { rx.got() } else { got };
            assert_eq!(got.len(), 10_000, "no duplicates");
            let mut seen: std::collections::HashMap<(String, String), Vec<i64>> = Default::default();
            for r in &got {
                let body = r.json();
                let endpoint = r.path.clone();
                let n: usize = endpoint.rsplit('/').next().unwrap().parse().unwrap();
                assert!(verifies(&secrets[n], r));
                let step: i64 = body["data"]["after"]["first_name"].as_str().unwrap().parse().unwrap();
                seen.entry((endpoint, body["data"]["record"]["id"].as_str().unwrap().to_owned())).or_default().push(step);
            }
            assert_eq!(seen.len(), 1000);
            for (key, steps) in seen {
                assert_eq!(steps, (0..10).collect::<Vec<_>>(), "order of {key:?}");
            }
            rx.stop().await;
        }
    }
}

/// The fan-out runs as a chain of short jobs; its finished links do not pile up in the jobs
/// table (nor in the admins' job list).
mod fan_out_chain {
    use super::*;

    dual! {
        #[config(fast)]
        async fn does_not_fill_the_jobs_table(app: &TestApp) {
            let s = app.signup("Acme", "admin@acme.test").await;
            let rx = Receiver::start().await;
            create_hook(app, &s, &rx.url, json!(["contact.*"])).await;
            new_contact(app, &s, "Ann").await;
            rx.wait_for("the event", |g| !g.is_empty()).await;
            // Dozens of fan-out runs (every 20 ms) later:
            tokio::time::sleep(Duration::from_millis(800)).await;
            let jobs = app.get("/api/v1/jobs?kind=webhook.fanout&limit=100", Some(&s.token)).await.ok(200);
            let n = jobs["data"].as_array().unwrap().len();
            assert!((1..=3).contains(&n), "{n} fan-out jobs kept: {jobs}");
            rx.stop().await;
        }
    }
}
