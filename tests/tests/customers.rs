//! Companies and contacts: records, validation, links, roles, tenancy, GraphQL relations.

use crm_tests::{PASSWORD, Session, TestApp, dual};
use serde_json::{Value, json};

async fn company(app: &TestApp, s: &Session, body: Value) -> Value {
    app.post("/api/v1/companies", Some(&s.token), body)
        .await
        .ok(201)
}

async fn contact(app: &TestApp, s: &Session, body: Value) -> Value {
    app.post("/api/v1/contacts", Some(&s.token), body)
        .await
        .ok(201)
}

dual! {
    async fn create_read_update_delete_restore(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let res = app.post("/api/v1/companies", Some(&s.token), json!({
            "name": "  Globex GmbH ", "domain": "https://www.Globex.de/about", "size_band": "medium",
            "annual_revenue": {"amount": "1200000.50", "currency": "eur"},
            "address": {"city": "Berlin", "country": "de"}, "tags": ["key", "key", "b2b"], "lifecycle_stage": "customer"
        })).await;
        assert_eq!(res.header("etag").as_deref(), Some("\"1\""));
        let co = res.ok(201);
        let co_id = co["id"].as_str().unwrap().to_owned();
        assert_eq!(res.header("location").unwrap(), format!("/api/v1/companies/{co_id}"));
        assert_eq!(co["name"], "Globex GmbH");
        assert_eq!(co["domain"], "globex.de");
        assert_eq!(co["address"]["country"], "DE");
        assert_eq!(co["annual_revenue"], json!({"amount": "1200000.50", "currency": "EUR"}));
        assert_eq!(co["tags"], json!(["key", "b2b"]));
        assert_eq!(co["owner_id"], s.user_id.as_str(), "the owner defaults to the creator");

        let c = contact(app, &s, json!({
            "first_name": "Hans", "last_name": "Meier", "email": "Hans.Meier@Globex.DE",
            "phone": "030 1234567", "address": {"country": "DE"}, "company_id": co_id,
            "source_channel": "event", "consent": {"email": true, "phone": false}
        })).await;
        let id = c["id"].as_str().unwrap().to_owned();
        assert_eq!(c["email"], "hans.meier@globex.de");
        assert_eq!(c["phone"], "+49301234567");
        assert_eq!(c["consent"], json!({"email": true, "phone": false}));
        // A consumer contact without a company.
        contact(app, &s, json!({"email": "jane@example.org"})).await;

        let got = app.get(&format!("/api/v1/contacts/{id}"), Some(&s.token)).await;
        assert_eq!(got.header("etag").as_deref(), Some("\"1\""));
        // Merge patch: absent stays, null clears, values set.
        let patched = app.patch(&format!("/api/v1/contacts/{id}"), Some(&s.token), json!({"title": "CTO", "phone": null, "consent": {"sms": true}})).await;
        assert_eq!(patched.header("etag").as_deref(), Some("\"2\""));
        let patched = patched.ok(200);
        assert_eq!(patched["title"], "CTO");
        assert!(patched["phone"].is_null());
        assert_eq!(patched["first_name"], "Hans");
        assert_eq!(patched["consent"], json!({"email": true, "phone": false, "sms": true}));
        assert_eq!(patched["version"], 2);

        app.delete(&format!("/api/v1/contacts/{id}"), Some(&s.token)).await.ok(204);
        app.get(&format!("/api/v1/contacts/{id}"), Some(&s.token)).await.problem(404, "not_found");
        let listed = app.get("/api/v1/contacts", Some(&s.token)).await.ok(200);
        assert!(listed["data"].as_array().unwrap().iter().all(|c| c["id"] != id.as_str()));
        let deleted = app.get("/api/v1/contacts/deleted", Some(&s.token)).await.ok(200);
        assert_eq!(deleted["data"][0]["id"], id.as_str());
        assert!(deleted["data"][0]["deleted_at"].is_string());
        let restored = app.post(&format!("/api/v1/contacts/{id}/restore"), Some(&s.token), json!({})).await.ok(200);
        assert!(restored["deleted_at"].is_null());
        app.get(&format!("/api/v1/contacts/{id}"), Some(&s.token)).await.ok(200);

        app.delete(&format!("/api/v1/companies/{co_id}"), Some(&s.token)).await.ok(204);
        app.get(&format!("/api/v1/companies/{co_id}"), Some(&s.token)).await.problem(404, "not_found");
        app.post(&format!("/api/v1/companies/{co_id}/restore"), Some(&s.token), json!({})).await.ok(200);
    }

    async fn bad_input_names_every_field(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let res = app.post("/api/v1/contacts", Some(&s.token), json!({
            "first_name": "x".repeat(201), "email": "not-an-email", "phone": "12",
            "address": {"country": "XX"}, "company_id": uuid::Uuid::now_v7(), "tags": [""],
            "consent": {"pigeon": true}
        })).await;
        let body = res.problem(422, "validation_failed");
        let mut pointers: Vec<String> = body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_owned()).collect();
        pointers.sort();
        assert_eq!(pointers, vec!["/address/country", "/company_id", "/consent/pigeon", "/email", "/first_name", "/phone", "/tags/0"]);
        let res = app.post("/api/v1/companies", Some(&s.token), json!({"name": "", "domain": "nodot", "annual_revenue": {"amount": "1,5", "currency": "XYZ"}})).await;
        let body = res.problem(422, "validation_failed");
        let pointers: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        for p in ["/name", "/domain", "/annual_revenue/amount", "/annual_revenue/currency"] {
            assert!(pointers.contains(&p), "{p} in {pointers:?}");
        }
        // Unknown channel and unknown field.
        app.post("/api/v1/contacts", Some(&s.token), json!({"email": "a@b.test", "source_channel": "telepathy"})).await.problem(422, "validation_failed");
        app.post("/api/v1/contacts", Some(&s.token), json!({"email": "a@b.test", "shoe_size": 44})).await.problem(422, "validation_failed");
        // A contact needs something to call it by.
        app.post("/api/v1/contacts", Some(&s.token), json!({"title": "CEO"})).await.problem(422, "validation_failed");
        // Nothing was written.
        let all = app.get("/api/v1/contacts", Some(&s.token)).await.ok(200);
        assert_eq!(all["data"].as_array().unwrap().len(), 0);
    }

    async fn roles_matrix(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let manager = app.member(&admin, "manager", "manager@acme.test").await;
        let agent = app.member(&admin, "agent", "agent@acme.test").await;
        let viewer = app.member(&admin, "viewer", "viewer@acme.test").await;
        let c = contact(app, &agent, json!({"email": "x@y.test"})).await;
        let id = c["id"].as_str().unwrap();
        assert_eq!(c["owner_id"], agent.user_id.as_str());

        // Viewer reads only.
        app.get(&format!("/api/v1/contacts/{id}"), Some(&viewer.token)).await.ok(200);
        app.post("/api/v1/contacts", Some(&viewer.token), json!({"email": "v@y.test"})).await.problem(403, "forbidden");
        app.patch(&format!("/api/v1/contacts/{id}"), Some(&viewer.token), json!({"title": "x"})).await.problem(403, "forbidden");
        // Agent edits but neither deletes nor reassigns.
        app.patch(&format!("/api/v1/contacts/{id}"), Some(&agent.token), json!({"title": "x"})).await.ok(200);
        app.delete(&format!("/api/v1/contacts/{id}"), Some(&agent.token)).await.problem(403, "forbidden");
        app.patch(&format!("/api/v1/contacts/{id}"), Some(&agent.token), json!({"owner_id": viewer.user_id})).await.problem(403, "forbidden");
        app.post("/api/v1/owner-transfers", Some(&agent.token), json!({"from_user_id": agent.user_id, "to_user_id": manager.user_id})).await.problem(403, "forbidden");
        // Only admins configure custom fields.
        for s in [&manager, &agent, &viewer] {
            app.post("/api/v1/custom-fields", Some(&s.token), json!({"record_type": "contact", "key": "k", "label": "K", "field_type": "text"})).await.problem(403, "forbidden");
        }
        // Manager reassigns and deletes.
        let moved = app.patch(&format!("/api/v1/contacts/{id}"), Some(&manager.token), json!({"owner_id": viewer.user_id})).await.ok(200);
        assert_eq!(moved["owner_id"], viewer.user_id.as_str());
        app.delete(&format!("/api/v1/contacts/{id}"), Some(&manager.token)).await.ok(204);
        app.post(&format!("/api/v1/contacts/{id}/restore"), Some(&manager.token), json!({})).await.ok(200);
        // An owner must be an active user of the organization.
        app.patch(&format!("/api/v1/contacts/{id}"), Some(&manager.token), json!({"owner_id": uuid::Uuid::now_v7()})).await.problem(422, "validation_failed");
        app.post("/api/v1/custom-fields", Some(&admin.token), json!({"record_type": "contact", "key": "k", "label": "K", "field_type": "text"})).await.ok(201);
        // A read-only API key cannot write.
        let (_, key) = app.api_key(&admin, "read", "manager").await;
        app.get("/api/v1/contacts", Some(&key)).await.ok(200);
        app.post("/api/v1/contacts", Some(&key), json!({"email": "k@y.test"})).await.problem(403, "forbidden");
        let _ = PASSWORD;
    }

    async fn cross_organization_is_404_everywhere(app: &TestApp) {
        let a = app.signup("Org A", "admin@a.test").await;
        let b = app.signup("Org B", "admin@b.test").await;
        let co = company(app, &a, json!({"name": "A Co"})).await;
        let co_id = co["id"].as_str().unwrap().to_owned();
        let c = contact(app, &a, json!({"email": "p@a.test", "company_id": co_id})).await;
        let id = c["id"].as_str().unwrap().to_owned();
        let other = contact(app, &b, json!({"email": "p@a.test"})).await;
        let other_id = other["id"].as_str().unwrap().to_owned();
        let field = app.post("/api/v1/custom-fields", Some(&a.token), json!({"record_type": "contact", "key": "tier", "label": "Tier", "field_type": "text"})).await.ok(201);

        for (base, rid) in [("contacts", &id), ("companies", &co_id)] {
            let item = format!("/api/v1/{base}/{rid}");
            app.get(&item, Some(&b.token)).await.problem(404, "not_found");
            app.patch(&item, Some(&b.token), json!({})).await.problem(404, "not_found");
            app.delete(&item, Some(&b.token)).await.problem(404, "not_found");
            app.post(&format!("{item}/restore"), Some(&b.token), json!({})).await.problem(404, "not_found");
            app.get(&format!("{item}/history"), Some(&b.token)).await.problem(404, "not_found");
            app.get(&format!("{item}/duplicates"), Some(&b.token)).await.problem(404, "not_found");
        }
        // B cannot merge A's contact into its own, nor link A's company, nor use A's fields.
        app.post(&format!("/api/v1/contacts/{other_id}/merge"), Some(&b.token), json!({"source_id": id})).await.problem(404, "not_found");
        app.post("/api/v1/contacts", Some(&b.token), json!({"email": "q@b.test", "company_id": co_id})).await.problem(422, "validation_failed");
        app.post("/api/v1/contacts", Some(&b.token), json!({"email": "q@b.test", "custom": {"tier": "gold"}})).await.problem(422, "validation_failed");
        app.delete(&format!("/api/v1/custom-fields/{}", field["id"].as_str().unwrap()), Some(&b.token)).await.problem(404, "not_found");
        let moved = app.post("/api/v1/owner-transfers", Some(&b.token), json!({"from_user_id": a.user_id, "to_user_id": b.user_id})).await.ok(200);
        assert_eq!(moved, json!({"companies": 0, "contacts": 0}));
        // Lists, search and duplicates never show A's records to B.
        let list = app.get("/api/v1/contacts?q=p", Some(&b.token)).await.ok(200);
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        let dups = app.get(&format!("/api/v1/contacts/{other_id}/duplicates"), Some(&b.token)).await.ok(200);
        assert_eq!(dups.as_array().unwrap().len(), 0);
        // GraphQL: null and not_found.
        let q = app.gql(Some(&b.token), "query($id: ID!) { contact(id: $id) { id } company(id: $id) { id } }", json!({"id": id})).await.ok(200);
        assert!(q["data"]["contact"].is_null() && q["data"]["company"].is_null());
        let m = app.gql(Some(&b.token), "mutation($id: ID!) { updateContact(id: $id, input: {title: \"x\"}) { id } }", json!({"id": id})).await.ok(200);
        assert_eq!(m["errors"][0]["extensions"]["code"], "not_found");
        // A's records are untouched.
        let mine = app.get(&format!("/api/v1/contacts/{id}"), Some(&a.token)).await.ok(200);
        assert_eq!(mine["version"], 1);
        assert_eq!(mine["owner_id"], a.user_id.as_str());
    }

    async fn graphql_relations(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let co = company(app, &s, json!({"name": "Globex"})).await;
        for i in 0..3 {
            contact(app, &s, json!({"first_name": format!("P{i}"), "company_id": co["id"]})).await;
        }
        let q = app.gql(Some(&s.token), "{ companies(first: 10) { edges { node { name owner { email } contacts(first: 2) { pageInfo { hasNextPage } nodes { firstName company { name } owner { email } } } } } } }", json!({})).await.ok(200);
        assert!(q.get("errors").is_none(), "{q}");
        let node = &q["data"]["companies"]["edges"][0]["node"];
        assert_eq!(node["owner"]["email"], "admin@acme.test");
        let contacts = node["contacts"]["nodes"].as_array().unwrap();
        assert_eq!(contacts.len(), 2);
        assert_eq!(node["contacts"]["pageInfo"]["hasNextPage"], true, "a third contact follows");
        assert_eq!(contacts[0]["firstName"], "P2", "newest first");
        assert_eq!(contacts[0]["company"]["name"], "Globex");
        assert_eq!(contacts[0]["owner"]["email"], "admin@acme.test");

        let created = app.gql(Some(&s.token), "mutation($c: UUID) { createContact(input: {lastName: \"Gql\", email: \"g@q.test\", companyId: $c, tags: [\"x\"]}) { id version company { name } } }", json!({"c": co["id"]})).await.ok(200);
        assert!(created.get("errors").is_none(), "{created}");
        let id = created["data"]["createContact"]["id"].as_str().unwrap().to_owned();
        let updated = app.gql(Some(&s.token), "mutation($id: ID!) { updateContact(id: $id, input: {title: \"VP\", tags: null}, ifVersion: 1) { title tags version } }", json!({"id": id})).await.ok(200);
        assert_eq!(updated["data"]["updateContact"], json!({"title": "VP", "tags": [], "version": 2}));
        let stale = app.gql(Some(&s.token), "mutation($id: ID!) { updateContact(id: $id, input: {title: \"X\"}, ifVersion: 1) { title } }", json!({"id": id})).await.ok(200);
        assert_eq!(stale["errors"][0]["extensions"]["code"], "precondition_failed");
        let bad = app.gql(Some(&s.token), "mutation { createContact(input: {email: \"nope\"}) { id } }", json!({})).await.ok(200);
        assert_eq!(bad["errors"][0]["extensions"]["code"], "validation_failed");
        assert_eq!(bad["errors"][0]["extensions"]["errors"][0]["pointer"], "/email");
    }
}
