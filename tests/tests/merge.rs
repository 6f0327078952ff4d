//! Duplicates, merge, and owner transfer.

use crm_tests::dual;
use serde_json::json;

dual! {
    async fn duplicates_are_found_and_merged_keeping_everything(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        app.post("/api/v1/custom-fields", Some(&s.token), json!({"record_type": "contact", "key": "tier", "label": "Tier", "field_type": "text"})).await.ok(201);
        app.post("/api/v1/custom-fields", Some(&s.token), json!({"record_type": "contact", "key": "size", "label": "Size", "field_type": "number"})).await.ok(201);
        let co = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Globex"})).await.ok(201);
        let keep = app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Jon", "last_name": "Smith", "email": "jon@globex.test", "company_id": co["id"], "tags": ["a"], "custom": {"tier": "gold"}})).await.ok(201);
        let dup_email = app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "J.", "email": "JON@globex.test", "phone": "+14155550100", "title": "CTO", "tags": ["b"], "custom": {"tier": "silver", "size": 3}})).await.ok(201);
        let dup_name = app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "John", "last_name": "Smith", "company_id": co["id"]})).await.ok(201);
        let dup_phone = app.post("/api/v1/contacts", Some(&s.token), json!({"last_name": "Other", "phone": "+1 415 555 0100"})).await.ok(201);
        app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Zed", "last_name": "Unrelated", "company_id": co["id"]})).await.ok(201);
        let keep_id = keep["id"].as_str().unwrap().to_owned();
        let gone_id = dup_email["id"].as_str().unwrap().to_owned();
        app.patch(&format!("/api/v1/contacts/{gone_id}"), Some(&s.token), json!({"title": "CTO!"})).await.ok(200);

        let dups = app.get(&format!("/api/v1/contacts/{keep_id}/duplicates"), Some(&s.token)).await.ok(200);
        let found: Vec<(String, Vec<String>)> = dups.as_array().unwrap().iter().map(|d| (
            d["contact"]["id"].as_str().unwrap().to_owned(),
            d["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect(),
        )).collect();
        assert!(found.contains(&(gone_id.clone(), vec!["email".to_owned()])), "{found:?}");
        assert!(found.contains(&(dup_name["id"].as_str().unwrap().to_owned(), vec!["name_at_company".to_owned()])), "{found:?}");
        assert_eq!(found.len(), 2, "Zed is no duplicate: {found:?}");
        let by_phone = app.get(&format!("/api/v1/contacts/{gone_id}/duplicates"), Some(&s.token)).await.ok(200);
        assert!(by_phone.as_array().unwrap().iter().any(|d| d["contact"]["id"] == dup_phone["id"] && d["reasons"] == json!(["phone"])));

        let merged = app.post(&format!("/api/v1/contacts/{keep_id}/merge"), Some(&s.token), json!({"source_id": gone_id})).await.ok(200);
        assert_eq!(merged["first_name"], "Jon", "the survivor's values win");
        assert_eq!(merged["phone"], "+14155550100", "missing values come from the merged one");
        assert_eq!(merged["title"], "CTO!");
        assert_eq!(merged["tags"], json!(["a", "b"]));
        assert_eq!(merged["custom"], json!({"tier": "gold", "size": 3}));
        assert_eq!(merged["company_id"], co["id"]);

        let gone = app.get(&format!("/api/v1/contacts/{gone_id}"), Some(&s.token)).await;
        let problem = gone.problem(404, "not_found");
        assert_eq!(problem["merged_into"], keep_id.as_str());
        let history = app.get(&format!("/api/v1/contacts/{keep_id}/history?limit=100"), Some(&s.token)).await.ok(200);
        let actions: Vec<&str> = history["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions[0], "merged");
        assert_eq!(actions.iter().filter(|a| **a == "created").count(), 2, "both histories: {actions:?}");
        assert!(actions.contains(&"updated"), "the merged record's own changes are kept: {actions:?}");
        app.post(&format!("/api/v1/contacts/{keep_id}/merge"), Some(&s.token), json!({"source_id": keep_id})).await.problem(422, "validation_failed");
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        app.post(&format!("/api/v1/contacts/{keep_id}/merge"), Some(&agent.token), json!({"source_id": dup_name["id"]})).await.problem(403, "forbidden");
    }

    async fn merging_companies_moves_their_contacts(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let a = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Initech", "domain": "initech.test", "tags": ["x"]})).await.ok(201);
        let b = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Initech Inc.", "domain": "initech.test", "industry": "Software", "tags": ["y"]})).await.ok(201);
        let c = app.post("/api/v1/contacts", Some(&s.token), json!({"last_name": "Lumbergh", "company_id": b["id"]})).await.ok(201);
        let dups = app.get(&format!("/api/v1/companies/{}/duplicates", a["id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        assert_eq!(dups[0]["company"]["id"], b["id"]);
        assert!(dups[0]["reasons"].as_array().unwrap().contains(&json!("domain")));
        let merged = app.post(&format!("/api/v1/companies/{}/merge", a["id"].as_str().unwrap()), Some(&s.token), json!({"source_id": b["id"]})).await.ok(200);
        assert_eq!(merged["industry"], "Software");
        assert_eq!(merged["tags"], json!(["x", "y"]));
        let moved = app.get(&format!("/api/v1/contacts/{}", c["id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        assert_eq!(moved["company_id"], a["id"]);
        let gone = app.get(&format!("/api/v1/companies/{}", b["id"].as_str().unwrap()), Some(&s.token)).await.problem(404, "not_found");
        assert_eq!(gone["merged_into"], a["id"]);
        // Searching by the survivor's name finds the moved contact.
        let found = app.get("/api/v1/contacts?q=initech", Some(&s.token)).await.ok(200);
        assert_eq!(found["data"][0]["id"], c["id"]);
        // GraphQL: the survivor lists the contact.
        let g = app.gql(Some(&s.token), "query($id: ID!) { company(id: $id) { contacts { nodes { lastName } } } }", json!({"id": a["id"]})).await.ok(200);
        assert_eq!(g["data"]["company"]["contacts"]["nodes"][0]["lastName"], "Lumbergh");
    }

    async fn owner_transfer_moves_everything_and_is_audited(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let leaver = app.member(&s, "agent", "leaver@acme.test").await;
        let heir = app.member(&s, "agent", "heir@acme.test").await;
        let mut contacts = Vec::new();
        for i in 0..3 {
            contacts.push(app.post("/api/v1/contacts", Some(&leaver.token), json!({"last_name": format!("C{i}")})).await.ok(201));
        }
        let company = app.post("/api/v1/companies", Some(&leaver.token), json!({"name": "Leaver's account"})).await.ok(201);
        app.post("/api/v1/contacts", Some(&heir.token), json!({"last_name": "Heir's own"})).await.ok(201);
        // A deleted record moves too, so restoring it later loses nothing.
        app.delete(&format!("/api/v1/contacts/{}", contacts[2]["id"].as_str().unwrap()), Some(&s.token)).await.ok(204);
        // The employee leaves.
        app.post(&format!("/api/v1/users/{}/deactivate", leaver.user_id), Some(&s.token), json!({})).await.ok(200);
        // Not to an inactive or unknown user.
        app.post("/api/v1/owner-transfers", Some(&s.token), json!({"from_user_id": heir.user_id, "to_user_id": leaver.user_id})).await.problem(422, "validation_failed");

        let moved = app.post("/api/v1/owner-transfers", Some(&s.token), json!({"from_user_id": leaver.user_id, "to_user_id": heir.user_id})).await.ok(200);
        assert_eq!(moved, json!({"companies": 1, "contacts": 3}));
        let left = app.get(&format!("/api/v1/contacts?owner_id={}", leaver.user_id), Some(&s.token)).await.ok(200);
        assert_eq!(left["data"].as_array().unwrap().len(), 0);
        let heirs = app.get(&format!("/api/v1/contacts?owner_id={}", heir.user_id), Some(&s.token)).await.ok(200);
        assert_eq!(heirs["data"].as_array().unwrap().len(), 3);
        let restored = app.post(&format!("/api/v1/contacts/{}/restore", contacts[2]["id"].as_str().unwrap()), Some(&s.token), json!({})).await.ok(200);
        assert_eq!(restored["owner_id"], heir.user_id.as_str());
        let history = app.get(&format!("/api/v1/companies/{}/history", company["id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        assert_eq!(history["data"][0]["action"], "owner_changed");
        assert_eq!(history["data"][0]["actor_user_id"], s.user_id.as_str());
        assert_eq!(history["data"][0]["changes"]["owner_id"], json!({"before": leaver.user_id, "after": heir.user_id}));

        // A filtered transfer moves only the listed records.
        let one = contacts[0]["id"].as_str().unwrap();
        let partial = app.post("/api/v1/owner-transfers", Some(&s.token), json!({"from_user_id": heir.user_id, "to_user_id": s.user_id, "record_types": ["contact"], "ids": [one]})).await.ok(200);
        assert_eq!(partial, json!({"companies": 0, "contacts": 1}));
        let g = app.gql(Some(&s.token), "mutation($f: UUID!, $t: UUID!) { transferOwner(input: {fromUserId: $f, toUserId: $t}) { companies contacts } }", json!({"f": heir.user_id, "t": s.user_id})).await.ok(200);
        assert_eq!(g["data"]["transferOwner"], json!({"companies": 1, "contacts": 3}));
    }
}
