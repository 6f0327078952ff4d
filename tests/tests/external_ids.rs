//! Activities, leads and deals by another system's id (`PUT /{resource}/by-external-id/...`,
//! batch upserts, GraphQL `upsert<One>` and `upsert<Many>`, activity imports matching on
//! `external_id`): one record however often it is pushed, what a replace keeps and refuses,
//! history and events carrying the id, the `external_id` filter, and tenancy.

use crm_tests::fixtures::{pipeline_body, stage};
use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};

async fn history(app: &TestApp, s: &Session, resource: &str, id: &Value) -> Vec<Value> {
    let h = app
        .get(
            &format!("/api/v1/{resource}/{}/history", id.as_str().unwrap()),
            Some(&s.token),
        )
        .await
        .ok(200);
    h["data"].as_array().unwrap().clone()
}

/// The organization's events of one record, oldest first, once there are `n` (on PostgreSQL
/// the feed shows an event once every transaction older than it has ended, and other tests'
/// transactions run beside this one).
async fn events_of(app: &TestApp, s: &Session, id: &Value, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let page = app
            .get("/api/v1/events?limit=1000", Some(&s.token))
            .await
            .ok(200);
        let found: Vec<Value> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["record"]["id"] == *id)
            .cloned()
            .collect();
        if found.len() >= n || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

dual! {
    async fn activities_are_logged_once_however_often_they_are_pushed(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let ada = app.post("/api/v1/contacts", t, json!({"first_name": "Ada", "email": "ada@x.test"})).await.ok(201);
        let bob = app.post("/api/v1/contacts", t, json!({"first_name": "Bob"})).await.ok(201);
        let path = "/api/v1/activities/by-external-id/pbx/call-77";
        let res = app.call("PUT", path, t, Some(json!({
            "kind": "call", "direction": "inbound", "subject": "Support line", "duration_secs": 120,
            "occurred_at": "2026-11-30T09:15:00Z", "contact_email": "ada@x.test", "outcome": "callback"
        }))).await;
        let first = res.ok(201);
        assert_eq!(res.header("location").as_deref(), Some(format!("/api/v1/activities/{}", first["id"].as_str().unwrap()).as_str()));
        assert_eq!(res.header("etag").as_deref(), Some("\"1\""));
        assert_eq!((first["external_source"].as_str(), first["external_id"].as_str()), (Some("pbx"), Some("call-77")), "{first}");
        assert_eq!(first["contact_id"], ada["id"]);
        // Pushed again: the same activity, replaced; what the body leaves out is cleared,
        // `occurred_at` is kept.
        let res = app.call("PUT", path, t, Some(json!({"kind": "call", "subject": "Support line", "duration_secs": 180}))).await;
        let again = res.ok(200);
        assert_eq!(res.header("etag").as_deref(), Some("\"2\""));
        assert_eq!(again["id"], first["id"]);
        assert_eq!(again["duration_secs"], 180);
        assert_eq!(again["outcome"], Value::Null, "a replace clears what the body leaves out");
        assert_eq!(again["direction"], Value::Null);
        assert_eq!(again["occurred_at"], first["occurred_at"]);
        assert_eq!(again["contact_id"], ada["id"], "the contact stays");
        // The kind and the contact stay as logged: another is a 422 naming the field.
        let p = app.call("PUT", path, t, Some(json!({"kind": "meeting"}))).await.problem(422, "validation_failed");
        assert_eq!((p["errors"][0]["pointer"].as_str(), p["errors"][0]["code"].as_str()), (Some("/kind"), Some("immutable")), "{p}");
        let p = app.call("PUT", path, t, Some(json!({"kind": "call", "contact_id": bob["id"]}))).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/contact_id", "{p}");
        let p = app.call("PUT", path, t, Some(json!({"kind": "call", "participants": [{"kind": "user", "id": s.user_id}]}))).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/participants", "{p}");
        let p = app.call("PUT", path, t, Some(json!({"kind": "call", "duration_secs": -1}))).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/duration_secs", "{p}");
        let long = "x".repeat(201);
        let p = app.call("PUT", &format!("/api/v1/activities/by-external-id/pbx/{long}"), t, Some(json!({"kind": "call"}))).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/external_id", "{p}");
        // Lengths are characters, as the document's `maxLength` counts them: 60 two-byte
        // characters are a source, 61 are not.
        let umlauts = |n: usize| "%C3%BC".repeat(n);
        let wide = app.call("PUT", &format!("/api/v1/activities/by-external-id/{}/w-1", umlauts(60)), t, Some(json!({"kind": "call"}))).await.ok(201);
        assert_eq!(wide["external_source"], "ü".repeat(60));
        let p = app.call("PUT", &format!("/api/v1/activities/by-external-id/{}/w-1", umlauts(61)), t, Some(json!({"kind": "call"}))).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/external_source", "{p}");
        // One activity, on Ada's timeline once; the filter finds it by its id there.
        let found = app.get("/api/v1/activities?external_id=call-77&external_source=pbx", t).await.ok(200);
        assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");
        let timeline = app.get(&format!("/api/v1/contacts/{}/timeline?types=activity", ada["id"].as_str().unwrap()), t).await.ok(200);
        assert_eq!(timeline["data"].as_array().unwrap().len(), 1, "{timeline}");
        // History and events carry the id and the change.
        let h = history(app, &s, "activities", &first["id"]).await;
        let created = h.iter().find(|e| e["action"] == "created").expect("created entry");
        assert_eq!(created["changes"]["external_id"]["after"], "call-77", "{h:?}");
        let updated = h.iter().find(|e| e["action"] == "updated").expect("updated entry");
        assert_eq!(updated["changes"]["duration_secs"]["after"], 180, "{h:?}");
        let events = events_of(app, &s, &first["id"], 2).await;
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["activity.created", "activity.updated"], "{events:?}");
        // A task keeps its assignee and priority when a push leaves them out.
        let task = app.call("PUT", "/api/v1/activities/by-external-id/jira/T-1", t, Some(json!({"kind": "task", "subject": "Call back", "priority": "high"}))).await.ok(201);
        let task2 = app.call("PUT", "/api/v1/activities/by-external-id/jira/T-1", t, Some(json!({"kind": "task", "subject": "Call back today"}))).await.ok(200);
        assert_eq!((task2["priority"].as_str(), task2["assignee_id"].as_str(), task2["status"].as_str()), (Some("high"), task["assignee_id"].as_str(), Some("open")), "{task2}");
        // Deleted, it comes back with its next push, for those who may restore; an agent's
        // push is refused and restores nothing.
        app.delete(&format!("/api/v1/activities/{}", first["id"].as_str().unwrap()), t).await.ok(204);
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        app.call("PUT", path, Some(&agent.token), Some(json!({"kind": "call"}))).await.problem(403, "forbidden");
        app.get(&format!("/api/v1/activities/{}", first["id"].as_str().unwrap()), t).await.problem(404, "not_found");
        let back = app.call("PUT", path, t, Some(json!({"kind": "call", "subject": "Back"}))).await.ok(200);
        assert_eq!(back["id"], first["id"]);
        let h = history(app, &s, "activities", &first["id"]).await;
        assert!(h.iter().any(|e| e["action"] == "restored"), "{h:?}");
        // Viewers may not push.
        let viewer = app.member(&s, "viewer", "viewer@acme.test").await;
        app.call("PUT", path, Some(&viewer.token), Some(json!({"kind": "call"}))).await.problem(403, "forbidden");
    }

    async fn leads_and_deals_are_upserted_by_their_external_id(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        // Leads: replaced field by field; status and owner stay.
        let path = "/api/v1/leads/by-external-id/forms/F-1";
        let lead = app.call("PUT", path, t, Some(json!({"first_name": "Eve", "email": "eve@x.test", "company_name": "Evil Corp", "source_channel": "website"}))).await.ok(201);
        assert_eq!((lead["external_source"].as_str(), lead["status"].as_str()), (Some("forms"), Some("new")), "{lead}");
        app.post(&format!("/api/v1/leads/{}/qualify", lead["id"].as_str().unwrap()), t, json!({})).await.ok(200);
        let again = app.call("PUT", path, t, Some(json!({"first_name": "Eve", "email": "EVE@x.test"}))).await.ok(200);
        assert_eq!(again["id"], lead["id"]);
        assert_eq!(again["status"], "qualified", "the status stays");
        assert_eq!(again["email"], "eve@x.test");
        assert_eq!(again["company_name"], Value::Null, "a replace clears what the body leaves out");
        assert_eq!(again["owner_id"], s.user_id.as_str());
        assert_eq!(again["version"], 3);
        let p = app.call("PUT", path, t, Some(json!({"email": "broken"}))).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/email");
        // An agent may push but not give the lead to someone else.
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        app.call("PUT", path, Some(&agent.token), Some(json!({"first_name": "Eve", "owner_id": agent.user_id}))).await.problem(403, "forbidden");
        let found = app.get("/api/v1/leads?external_id=F-1", t).await.ok(200);
        assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");

        // Deals: a stage move by push is recorded, a won stage closes at the ERP's date.
        let p = app.post("/api/v1/pipelines", t, pipeline_body("Sales")).await.ok(201);
        let other = app.post("/api/v1/pipelines", t, pipeline_body("Other")).await.ok(201);
        let co = app.post("/api/v1/companies", t, json!({"name": "Globex"})).await.ok(201);
        let path = "/api/v1/deals/by-external-id/sap/OPP-9";
        let deal = app.call("PUT", path, t, Some(json!({"name": "Globex rollout", "amount": {"amount": "5000", "currency": "EUR"}, "company_id": co["id"]}))).await.ok(201);
        assert_eq!(deal["stage_id"], stage(&p, "Qualify").as_str());
        assert_eq!(deal["external_id"], "OPP-9");
        let moved = app.call("PUT", path, t, Some(json!({"name": "Globex rollout", "amount": {"amount": "6000", "currency": "EUR"}, "stage_id": stage(&p, "Propose")}))).await.ok(200);
        assert_eq!(moved["id"], deal["id"]);
        assert_eq!(moved["amount"]["amount"], "6000.00");
        assert_eq!(moved["company_id"], Value::Null, "a replace clears what the body leaves out");
        let won = app.call("PUT", path, t, Some(json!({"name": "Globex rollout", "stage_id": stage(&p, "Won"), "closed_at": "2026-10-01T12:00:00Z"}))).await.ok(200);
        assert_eq!(won["status"], "won");
        assert!(won["closed_at"].as_str().unwrap().starts_with("2026-10-01T12:00:00"), "{won}");
        let visits = app.get(&format!("/api/v1/deals/{}/stage-history", deal["id"].as_str().unwrap()), t).await.ok(200);
        let stages: Vec<&str> = visits.as_array().unwrap().iter().map(|v| v["stage_id"].as_str().unwrap()).collect();
        assert_eq!(stages, [stage(&p, "Qualify"), stage(&p, "Propose"), stage(&p, "Won")], "{visits}");
        // A push without a stage keeps it; another pipeline, or a closing date on an open
        // deal, is a 422.
        let kept = app.call("PUT", path, t, Some(json!({"name": "Globex rollout 2"}))).await.ok(200);
        assert_eq!((kept["status"].as_str(), kept["closed_at"].as_str()), (Some("won"), won["closed_at"].as_str()), "{kept}");
        let e = app.call("PUT", path, t, Some(json!({"name": "x", "pipeline_id": other["id"]}))).await.problem(422, "validation_failed");
        assert_eq!((e["errors"][0]["pointer"].as_str(), e["errors"][0]["code"].as_str()), (Some("/pipeline_id"), Some("immutable")), "{e}");
        let e = app.call("PUT", path, t, Some(json!({"name": "x", "stage_id": stage(&p, "Qualify"), "closed_at": "2026-10-01T12:00:00Z"}))).await.problem(422, "validation_failed");
        assert_eq!(e["errors"][0]["pointer"], "/closed_at", "{e}");
        let e = app.call("PUT", path, t, Some(json!({"name": "x", "closed_at": "2999-01-01T00:00:00Z"}))).await.problem(422, "validation_failed");
        assert_eq!(e["errors"][0]["pointer"], "/closed_at", "{e}");
        // A deleted deal comes back with its next push.
        app.delete(&format!("/api/v1/deals/{}", deal["id"].as_str().unwrap()), t).await.ok(204);
        let back = app.call("PUT", path, t, Some(json!({"name": "Globex again"}))).await.ok(200);
        assert_eq!(back["id"], deal["id"]);
        let h = history(app, &s, "deals", &deal["id"]).await;
        let actions: Vec<&str> = h.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions.iter().filter(|a| **a == "created").count(), 1, "{actions:?}");
        assert!(actions.contains(&"restored"), "{actions:?}");
        assert_eq!(h.iter().find(|e| e["action"] == "created").unwrap()["changes"]["external_id"]["after"], "OPP-9");
        // Another organization's push of the same id is its own deal.
        let b = app.signup("Other", "admin@other.test").await;
        app.post("/api/v1/pipelines", Some(&b.token), pipeline_body("B")).await.ok(201);
        let theirs = app.call("PUT", path, Some(&b.token), Some(json!({"name": "Theirs"}))).await.ok(201);
        assert_ne!(theirs["id"], deal["id"]);
        assert_eq!(app.get(&format!("/api/v1/deals/{}", deal["id"].as_str().unwrap()), t).await.ok(200)["name"], "Globex again");
    }

    async fn batches_and_graphql_upsert_activities_leads_and_deals(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        app.post("/api/v1/pipelines", t, pipeline_body("Sales")).await.ok(201);
        for (resource, a, b) in [
            ("activities", json!({"kind": "email", "subject": "Hello"}), json!({"kind": "email", "subject": "Hello again"})),
            ("leads", json!({"last_name": "Lee"}), json!({"last_name": "Lee", "title": "CTO"})),
            ("deals", json!({"name": "Deal"}), json!({"name": "Deal 2"})),
        ] {
            let body = app.post(&format!("/api/v1/{resource}/batch"), t, json!({"items": [
                {"op": "upsert", "external_source": "erp", "external_id": "1", "data": a},
                {"op": "upsert", "external_source": "erp", "external_id": "1", "data": b},
                {"op": "upsert", "external_source": "erp", "external_id": "2", "data": {}}
            ]})).await;
            assert_eq!(body.status, 207, "{resource}: {}", body.text());
            let r = body.json();
            let st: Vec<u64> = r["results"].as_array().unwrap().iter().map(|x| x["status"].as_u64().unwrap()).collect();
            assert_eq!(st, [201, 200, 422], "{resource}: {r}");
            assert_eq!(r["results"][0]["id"], r["results"][1]["id"], "{resource}");
            let listed = app.get(&format!("/api/v1/{resource}?external_source=erp"), t).await.ok(200);
            assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{resource}: {listed}");
            // Atomic: the failing item leaves nothing written.
            let body = app.post(&format!("/api/v1/{resource}/batch?atomic=true"), t, json!({"items": [
                {"op": "upsert", "external_source": "erp", "external_id": "3", "data": a},
                {"op": "upsert", "external_source": "erp", "external_id": "4", "data": {}}
            ]})).await;
            assert_eq!(body.status, 422, "{resource}: {}", body.text());
            let listed = app.get(&format!("/api/v1/{resource}?external_source=erp"), t).await.ok(200);
            assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{resource}: {listed}");
        }
        // GraphQL: the single mutations and the batches.
        let g = app.gql(t, "mutation { upsertActivity(source: \"pbx\", externalId: \"c-1\", input: {kind: CALL, subject: \"In\"}) { id subject externalSource externalId } }", json!({})).await.ok(200);
        let act = &g["data"]["upsertActivity"];
        assert_eq!((act["externalSource"].as_str(), act["externalId"].as_str()), (Some("pbx"), Some("c-1")), "{g}");
        let g = app.gql(t, "mutation { upsertActivity(source: \"pbx\", externalId: \"c-1\", input: {kind: CALL, subject: \"In 2\"}) { id subject } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["upsertActivity"]["id"], act["id"], "{g}");
        assert_eq!(g["data"]["upsertActivity"]["subject"], "In 2");
        let g = app.gql(t, "mutation { upsertActivity(source: \"pbx\", externalId: \"c-1\", input: {kind: NOTE}) { id } }", json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "validation_failed", "{g}");
        let g = app.gql(t, "mutation { upsertLead(source: \"forms\", externalId: \"L-1\", input: {lastName: \"Lo\"}) { id externalId status } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["upsertLead"]["externalId"], "L-1", "{g}");
        let g = app.gql(t, "mutation { upsertDeal(source: \"sap\", externalId: \"D-1\", input: {name: \"Big\"}) { id externalId status } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["upsertDeal"]["externalId"], "D-1", "{g}");
        for (mutation, item, input) in [
            ("upsertActivities", "ActivityUpsertItem", json!({"kind": "NOTE", "body": "n"})),
            ("upsertLeads", "LeadUpsertItem", json!({"lastName": "Lo"})),
            ("upsertDeals", "DealUpsertItem", json!({"name": "Big 2"})),
        ] {
            let q = format!("mutation($inputs: [{item}!]!) {{ {mutation}(inputs: $inputs) {{ results {{ status id }} }} }}");
            let ext = if mutation == "upsertActivities" { "n-1" } else if mutation == "upsertLeads" { "L-1" } else { "D-1" };
            let source = if mutation == "upsertActivities" { "pbx" } else if mutation == "upsertLeads" { "forms" } else { "sap" };
            let g = app.gql(t, &q, json!({"inputs": [{"source": source, "externalId": ext, "input": input}]})).await.ok(200);
            let expected = if mutation == "upsertActivities" { 201 } else { 200 };
            assert_eq!(g["data"][mutation]["results"][0]["status"], expected, "{mutation}: {g}");
        }
    }
}
