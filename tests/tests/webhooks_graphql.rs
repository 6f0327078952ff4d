//! Webhook management over GraphQL (`webhooks`, `createWebhook` and friends): the same
//! operations as `/api/v1/webhooks`, checked end to end with a real receiver on loopback.

use crm_tests::dual;
use crm_tests::webhook_receiver::{Receiver, verifies};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn fast(c: &mut crm_gateway::config::Config) {
    c.webhooks_allow_private = true;
    c.webhook_retry_schedule = "100ms,200ms,300ms".to_owned();
    c.webhook_fanout_interval_ms = 20;
    c.job_poll_interval_ms = 20;
}

const HOOK: &str = "id url description eventTypes enabled disabledReason createdAt";

dual! {
    #[config(fast)]
    async fn webhooks_are_managed_over_graphql(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let rx = Receiver::start().await;
        // Created: the secret is shown once, and the endpoint gets signed events.
        let g = app.gql(t, &format!("mutation($input: NewWebhook!) {{ createWebhook(input: $input) {{ secret webhook {{ {HOOK} }} }} }}"),
            json!({"input": {"url": rx.url, "eventTypes": ["contact.*"], "description": "ERP"}})).await.ok(200);
        let created = &g["data"]["createWebhook"];
        let secret = created["secret"].as_str().unwrap_or_else(|| panic!("{g}")).to_owned();
        assert!(secret.starts_with("whsec_"), "{g}");
        let id = created["webhook"]["id"].as_str().unwrap().to_owned();
        assert_eq!(created["webhook"]["eventTypes"], json!(["contact.*"]));
        app.post("/api/v1/contacts", t, json!({"first_name": "Ann"})).await.ok(201);
        let got = rx.wait_for("the created contact", |g| !g.is_empty()).await;
        assert!(verifies(&secret, &got[0]), "signed with the secret GraphQL showed");
        // Listed and read; the REST view agrees.
        let g = app.gql(t, &format!("{{ webhooks(first: 10) {{ edges {{ node {{ {HOOK} }} }} }} webhook(id: \"{id}\") {{ url }} }}"), json!({})).await.ok(200);
        assert_eq!(g["data"]["webhooks"]["edges"][0]["node"]["id"], id.as_str(), "{g}");
        assert_eq!(g["data"]["webhook"]["url"], rx.url.as_str());
        let rest = app.get(&format!("/api/v1/webhooks/{id}"), t).await.ok(200);
        assert_eq!(rest["description"], "ERP");
        // Deliveries with their attempts, until the first has succeeded.
        let deadline = Instant::now() + Duration::from_secs(20);
        let delivery = loop {
            let g = app.gql(t, &format!("{{ webhookDeliveries(webhookId: \"{id}\", state: SUCCEEDED, first: 10) {{ edges {{ node {{ id messageId state attempts eventType origin }} }} }} }}"), json!({})).await.ok(200);
            if let Some(d) = g["data"]["webhookDeliveries"]["edges"][0]["node"].as_object() {
                break Value::Object(d.clone());
            }
            assert!(Instant::now() < deadline, "no succeeded delivery: {g}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!((delivery["eventType"].as_str(), delivery["origin"].as_str()), (Some("contact.created"), Some("event")), "{delivery}");
        let did = delivery["id"].as_str().unwrap();
        let g = app.gql(t, &format!("{{ webhookDelivery(webhookId: \"{id}\", id: \"{did}\") {{ payload attemptsLog {{ status durationMs responseExcerpt }} delivery {{ state }} }} }}"), json!({})).await.ok(200);
        let detail = &g["data"]["webhookDelivery"];
        assert_eq!(detail["attemptsLog"][0]["status"], 200, "{g}");
        assert_eq!(detail["payload"]["type"], "contact.created");
        let g = app.gql(t, &format!("{{ webhookDelivery(webhookId: \"{id}\", id: \"{id}\") {{ payload }} }}"), json!({})).await.ok(200);
        assert_eq!(g["data"]["webhookDelivery"], Value::Null, "an unknown delivery reads null: {g}");
        // Re-sent: the same message id again.
        let g = app.gql(t, &format!("mutation {{ redeliverWebhookDelivery(webhookId: \"{id}\", id: \"{did}\") {{ origin messageId }} }}"), json!({})).await.ok(200);
        assert_eq!(g["data"]["redeliverWebhookDelivery"]["origin"], "redelivery", "{g}");
        let got = rx.wait_for("the re-delivery", |g| g.len() >= 2).await;
        assert_eq!(got[1].id, delivery["messageId"].as_str().unwrap());
        // Replayed: a range of events queued again.
        let g = app.gql(t, &format!("mutation($r: WebhookReplayInput!) {{ replayWebhook(id: \"{id}\", input: $r) {{ queued }} }}"),
            json!({"r": {"from": "2000-01-01T00:00:00Z", "to": (chrono::Utc::now() + chrono::Duration::seconds(5)).to_rfc3339()}})).await.ok(200);
        assert_eq!(g["data"]["replayWebhook"]["queued"], 1, "{g}");
        rx.wait_for("the replay", |g| g.len() >= 3).await;
        // Rotated: a new secret; both sign for a day.
        let g = app.gql(t, &format!("mutation {{ rotateWebhookSecret(id: \"{id}\") {{ secret webhook {{ id }} }} }}"), json!({})).await.ok(200);
        let rotated = g["data"]["rotateWebhookSecret"]["secret"].as_str().unwrap().to_owned();
        assert_ne!(rotated, secret);
        app.post("/api/v1/contacts", t, json!({"first_name": "Bob"})).await.ok(201);
        let got = rx.wait_for("Bob", |g| g.len() >= 4).await;
        assert!(verifies(&rotated, &got[3]) && verifies(&secret, &got[3]), "both secrets sign");
        // Disabled, then deleted.
        let g = app.gql(t, &format!("mutation {{ updateWebhook(id: \"{id}\", input: {{enabled: false, description: \"paused\"}}) {{ {HOOK} }} }}"), json!({})).await.ok(200);
        assert_eq!((g["data"]["updateWebhook"]["enabled"].as_bool(), g["data"]["updateWebhook"]["description"].as_str()), (Some(false), Some("paused")), "{g}");
        // Bad input names the field; other roles are refused.
        let g = app.gql(t, "mutation { createWebhook(input: {url: \"ftp://x\", eventTypes: [\"contact.*\"]}) { secret } }", json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "validation_failed", "{g}");
        assert_eq!(g["errors"][0]["extensions"]["errors"][0]["pointer"], "/url", "{g}");
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        let g = app.gql(Some(&agent.token), "{ webhooks(first: 1) { edges { node { id } } } }", json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "forbidden", "{g}");
        let other = app.signup("Other", "admin@other.test").await;
        let g = app.gql(Some(&other.token), &format!("{{ webhook(id: \"{id}\") {{ id }} }}"), json!({})).await.ok(200);
        assert_eq!(g["data"]["webhook"], Value::Null, "another organization's endpoint is not there: {g}");
        let g = app.gql(Some(&other.token), &format!("mutation {{ deleteWebhook(id: \"{id}\") }}"), json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "not_found", "{g}");
        let g = app.gql(t, &format!("mutation {{ deleteWebhook(id: \"{id}\") }}"), json!({})).await.ok(200);
        assert_eq!(g["data"]["deleteWebhook"], true, "{g}");
        app.get(&format!("/api/v1/webhooks/{id}"), t).await.problem(404, "not_found");
        rx.stop().await;
    }
}
