//! The write-safety kit every resource uses: ETag / If-Match, Idempotency-Key, soft delete,
//! history, and an outbox event per change in the same transaction.

use crm_tests::{TestApp, dual};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

dual! {
    async fn stale_etag_is_412_and_changes_nothing(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let c = app.post("/api/v1/contacts", Some(&s.token), json!({"last_name": "Meier"})).await;
        let etag = c.header("etag").unwrap();
        let id = c.json()["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/contacts/{id}");
        let auth = format!("Bearer {}", s.token);
        let ok = app.raw("PATCH", &path, &[("authorization", &auth), ("content-type", "application/merge-patch+json"), ("if-match", &etag)], br#"{"title":"CEO"}"#.to_vec()).await;
        assert_eq!(ok.status, 200, "{}", ok.text());
        let stale = app.raw("PATCH", &path, &[("authorization", &auth), ("content-type", "application/json"), ("if-match", &etag)], br#"{"title":"CFO"}"#.to_vec()).await;
        stale.problem(412, "precondition_failed");
        let del = app.raw("DELETE", &path, &[("authorization", &auth), ("if-match", &etag)], vec![]).await;
        del.problem(412, "precondition_failed");
        let now = app.get(&path, Some(&s.token)).await.ok(200);
        assert_eq!(now["title"], "CEO");
        assert_eq!(now["version"], 2);
        // `*` and a current ETag are accepted.
        let star = app.raw("PATCH", &path, &[("authorization", &auth), ("content-type", "application/json"), ("if-match", "*")], br#"{"title":"COO"}"#.to_vec()).await;
        assert_eq!(star.status, 200);
    }

    async fn two_concurrent_patches_with_one_etag_exactly_one_412(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        for round in 0..3 {
            let c = app.post("/api/v1/companies", Some(&s.token), json!({"name": format!("Co {round}")})).await;
            let etag = c.header("etag").unwrap();
            let path = format!("/api/v1/companies/{}", c.json()["id"].as_str().unwrap());
            let auth = format!("Bearer {}", s.token);
            let h = [("authorization", auth.as_str()), ("content-type", "application/json"), ("if-match", etag.as_str())];
            let (a, b) = futures_util::join!(
                app.raw("PATCH", &path, &h, br#"{"industry":"A"}"#.to_vec()),
                app.raw("PATCH", &path, &h, br#"{"industry":"B"}"#.to_vec())
            );
            let mut statuses = [a.status, b.status];
            statuses.sort();
            assert_eq!(statuses, [200, 412], "{} / {}", a.text(), b.text());
            let now = app.get(&path, Some(&s.token)).await.ok(200);
            assert_eq!(now["version"], 2);
        }
    }

    async fn idempotency_keys_replay_and_refuse_other_bodies(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let auth = format!("Bearer {}", s.token);
        let h = [("authorization", auth.as_str()), ("content-type", "application/json"), ("idempotency-key", "order-42")];
        let first = app.raw("POST", "/api/v1/contacts", &h, br#"{"email":"a@b.test"}"#.to_vec()).await;
        assert_eq!(first.status, 201);
        assert!(first.header("idempotent-replayed").is_none());
        let again = app.raw("POST", "/api/v1/contacts", &h, br#"{"email":"a@b.test"}"#.to_vec()).await;
        assert_eq!(again.status, 201);
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(again.json(), first.json());
        assert_eq!(again.header("location"), first.header("location"));
        assert_eq!(again.header("etag"), first.header("etag"));
        let other = app.raw("POST", "/api/v1/contacts", &h, br#"{"email":"c@d.test"}"#.to_vec()).await;
        other.problem(422, "idempotency_key_reused");
        assert_eq!(count(app, "SELECT COUNT(*) FROM contacts").await, 1);
        // A failed request is replayed as failed; another key runs anew.
        let h2 = [("authorization", auth.as_str()), ("content-type", "application/json"), ("idempotency-key", "bad-1")];
        app.raw("POST", "/api/v1/contacts", &h2, br#"{"email":"nope"}"#.to_vec()).await.problem(422, "validation_failed");
        let replayed = app.raw("POST", "/api/v1/contacts", &h2, br#"{"email":"nope"}"#.to_vec()).await;
        assert_eq!(replayed.status, 422);
        assert_eq!(replayed.header("idempotent-replayed").as_deref(), Some("true"));
        // Keys are per caller: another user may use the same key.
        let other_user = app.member(&s, "agent", "agent@acme.test").await;
        let auth2 = format!("Bearer {}", other_user.token);
        let h3 = [("authorization", auth2.as_str()), ("content-type", "application/json"), ("idempotency-key", "order-42")];
        let theirs = app.raw("POST", "/api/v1/contacts", &h3, br#"{"email":"x@y.test"}"#.to_vec()).await;
        assert_eq!(theirs.status, 201);
        assert!(theirs.header("idempotent-replayed").is_none());
    }

    async fn idempotency_keys_come_after_authentication_and_compare_json_values(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        // A bad key without credentials is a 401 (credentials first), not a 422.
        app.raw("POST", "/api/v1/contacts", &[("content-type", "application/json"), ("idempotency-key", "")], b"{}".to_vec()).await.problem(401, "unauthenticated");
        let auth = format!("Bearer {}", s.token);
        let h = [("authorization", auth.as_str()), ("content-type", "application/json"), ("idempotency-key", "json-1")];
        let first = app.raw("POST", "/api/v1/contacts", &h, br#"{"email":"a@b.test","last_name":"A"}"#.to_vec()).await;
        assert_eq!(first.status, 201, "{}", first.text());
        // Other whitespace and key order: the same request, replayed.
        let again = app.raw("POST", "/api/v1/contacts", &h, b"{ \"last_name\" : \"A\",\n  \"email\": \"a@b.test\" }".to_vec()).await;
        assert_eq!(again.status, 201);
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(count(app, "SELECT COUNT(*) FROM contacts").await, 1);
        // A 403 is not stored: once the caller may, the same key and body run.
        let viewer = app.member(&s, "viewer", "viewer@acme.test").await;
        let vauth = format!("Bearer {}", viewer.token);
        let vh = [("authorization", vauth.as_str()), ("content-type", "application/json"), ("idempotency-key", "v-1")];
        app.raw("POST", "/api/v1/contacts", &vh, br#"{"last_name":"V"}"#.to_vec()).await.problem(403, "forbidden");
        app.patch(&format!("/api/v1/users/{}", viewer.user_id), Some(&s.token), json!({"role": "agent"})).await.ok(200);
        let now = app.raw("POST", "/api/v1/contacts", &vh, br#"{"last_name":"V"}"#.to_vec()).await;
        assert_eq!(now.status, 201, "{}", now.text());
        assert!(now.header("idempotent-replayed").is_none());
    }

    async fn concurrent_unconditional_updates_all_succeed(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let c = app.post("/api/v1/contacts", Some(&s.token), json!({"last_name": "Race"})).await.ok(201);
        let path = format!("/api/v1/contacts/{}", c["id"].as_str().unwrap());
        let patches = (0..10).map(|i| app.patch(&path, Some(&s.token), json!({"title": format!("t{i}")})));
        let answers = futures_util::future::join_all(patches).await;
        for a in &answers {
            assert_eq!(a.status, 200, "without If-Match every write goes through: {}", a.text());
        }
        let now = app.get(&path, Some(&s.token)).await.ok(200);
        assert_eq!(now["version"], 11, "each write made its own version: {now}");
    }

    async fn twenty_concurrent_posts_with_one_key_create_one_record(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let auth = format!("Bearer {}", s.token);
        let h = [("authorization", auth.as_str()), ("content-type", "application/json"), ("idempotency-key", "burst")];
        let requests = (0..20).map(|_| app.raw("POST", "/api/v1/companies", &h, br#"{"name":"Once Ltd"}"#.to_vec()));
        let responses = futures_util::future::join_all(requests).await;
        let ids: std::collections::HashSet<String> = responses
            .iter()
            .map(|r| {
                assert_eq!(r.status, 201, "{}", r.text());
                r.json()["id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 1);
        assert_eq!(responses.iter().filter(|r| r.header("idempotent-replayed").is_some()).count(), 19);
        assert_eq!(count(app, "SELECT COUNT(*) FROM companies").await, 1);
    }

    async fn history_and_outbox_follow_every_change(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        let c = app.post("/api/v1/contacts", Some(&agent.token), json!({"first_name": "Ann", "email": "ann@x.test"})).await.ok(201);
        let id = c["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/contacts/{id}");
        app.patch(&path, Some(&s.token), json!({"first_name": "Anna", "title": "CEO"})).await.ok(200);
        app.delete(&path, Some(&s.token)).await.ok(204);
        app.post(&format!("{path}/restore"), Some(&s.token), json!({})).await.ok(200);

        let history = app.get(&format!("{path}/history"), Some(&s.token)).await.ok(200);
        let entries = history["data"].as_array().unwrap();
        let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["restored", "deleted", "updated", "created"]);
        let updated = &entries[2];
        assert_eq!(updated["actor_user_id"], s.user_id.as_str());
        assert_eq!(updated["changes"]["first_name"], json!({"before": "Ann", "after": "Anna"}));
        assert_eq!(updated["changes"]["title"], json!({"before": null, "after": "CEO"}));
        assert!(updated["changes"].get("email").is_none(), "unchanged fields are not listed");
        assert_eq!(entries[3]["actor_user_id"], agent.user_id.as_str());
        assert!(entries[3]["at"].is_string());
        // One outbox event per change, with the same record.
        let events = count(app, "SELECT COUNT(*) FROM outbox_events WHERE record_type = 'contact'").await;
        assert_eq!(events, 4);
        // A refused write leaves neither history nor event.
        app.patch(&path, Some(&s.token), json!({"email": "broken"})).await.problem(422, "validation_failed");
        assert_eq!(count(app, "SELECT COUNT(*) FROM outbox_events WHERE record_type = 'contact'").await, 4);
        // GraphQL reads the same history.
        let g = app.gql(Some(&s.token), "query($id: ID!) { contactHistory(id: $id, first: 2) { edges { node { action changes } } pageInfo { hasNextPage } } }", json!({"id": id})).await.ok(200);
        assert_eq!(g["data"]["contactHistory"]["edges"][0]["node"]["action"], "restored");
        assert_eq!(g["data"]["contactHistory"]["pageInfo"]["hasNextPage"], true);
    }

    async fn deleted_records_are_listed_for_managers(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        let c = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Gone Inc"})).await.ok(201);
        app.delete(&format!("/api/v1/companies/{}", c["id"].as_str().unwrap()), Some(&s.token)).await.ok(204);
        let deleted = app.get("/api/v1/companies/deleted", Some(&s.token)).await.ok(200);
        assert_eq!(deleted["data"][0]["name"], "Gone Inc");
        app.get("/api/v1/companies/deleted", Some(&agent.token)).await.problem(403, "forbidden");
        let live = app.get("/api/v1/companies", Some(&s.token)).await.ok(200);
        assert_eq!(live["data"].as_array().unwrap().len(), 0);
    }

    async fn the_kit_over_graphql(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let c = app.post("/api/v1/contacts", t, json!({"last_name": "Gone"})).await.ok(201);
        let co = app.post("/api/v1/companies", t, json!({"name": "Gone Co"})).await.ok(201);
        app.delete(&format!("/api/v1/contacts/{}", c["id"].as_str().unwrap()), t).await.ok(204);
        app.delete(&format!("/api/v1/companies/{}", co["id"].as_str().unwrap()), t).await.ok(204);
        let d = app.gql(t, "{ deletedContacts { edges { node { lastName deletedAt } } } deletedCompanies { edges { node { name } } } }", json!({})).await.ok(200);
        assert_eq!(d["data"]["deletedContacts"]["edges"][0]["node"]["lastName"], "Gone", "{d}");
        assert_eq!(d["data"]["deletedCompanies"]["edges"][0]["node"]["name"], "Gone Co");
        let a = app.post("/api/v1/activities", t, json!({"kind": "note", "body": "x"})).await.ok(201);
        app.patch(&format!("/api/v1/activities/{}", a["id"].as_str().unwrap()), t, json!({"body": "y"})).await.ok(200);
        let h = app.gql(t, "query($id: ID!) { activityHistory(id: $id) { edges { node { action } } } }", json!({"id": a["id"]})).await.ok(200);
        assert_eq!(h["data"]["activityHistory"]["edges"][0]["node"]["action"], "updated", "{h}");
        app.post("/api/v1/pipelines", t, json!({"name": "P", "stages": [{"name": "a"}, {"name": "w", "stage_type": "won"}, {"name": "l", "stage_type": "lost"}]})).await.ok(201);
        let deal = app.post("/api/v1/deals", t, json!({"name": "D"})).await.ok(201);
        app.delete(&format!("/api/v1/deals/{}", deal["id"].as_str().unwrap()), t).await.ok(204);
        let r = app.gql(t, "mutation($id: ID!) { restoreDeal(id: $id) { name } }", json!({"id": deal["id"]})).await.ok(200);
        assert_eq!(r["data"]["restoreDeal"]["name"], "D", "{r}");
        let sh = app.gql(t, "query($id: ID!) { salesHistory(kind: DEAL, id: $id) { edges { node { action } } } }", json!({"id": deal["id"]})).await.ok(200);
        assert_eq!(sh["data"]["salesHistory"]["edges"][0]["node"]["action"], "restored", "{sh}");
        let p = app.gql(t, r#"mutation { createProduct(input: {sku: "G-1", name: "G"}) { id version } }"#, json!({})).await.ok(200);
        let pid = p["data"]["createProduct"]["id"].clone();
        let rp = app.gql(t, r#"mutation($id: ID!) { replaceProduct(id: $id, input: {sku: "G-1", name: "G2"}, ifVersion: 1) { name } }"#, json!({"id": pid})).await.ok(200);
        assert_eq!(rp["data"]["replaceProduct"]["name"], "G2", "{rp}");
        let stale = app.gql(t, r#"mutation($id: ID!) { replaceProduct(id: $id, input: {sku: "G-1", name: "G3"}, ifVersion: 1) { name } }"#, json!({"id": pid})).await.ok(200);
        assert_eq!(stale["errors"][0]["extensions"]["code"], "precondition_failed");
        let del = app.gql(t, "mutation($id: ID!) { deleteProduct(id: $id) }", json!({"id": pid})).await.ok(200);
        assert_eq!(del["data"]["deleteProduct"], true);
        let back = app.gql(t, "mutation($id: ID!) { restoreProduct(id: $id) { name } }", json!({"id": pid})).await.ok(200);
        assert_eq!(back["data"]["restoreProduct"]["name"], "G2", "{back}");
        // Another organization sees none of it.
        let other = app.signup("Other", "admin@other.test").await;
        let o = app.gql(Some(&other.token), "query($id: ID!) { salesHistory(kind: DEAL, id: $id) { edges { cursor } } deletedContacts { edges { cursor } } }", json!({"id": deal["id"]})).await.ok(200);
        assert_eq!(o["errors"][0]["extensions"]["code"], "not_found", "{o}");
    }
}
