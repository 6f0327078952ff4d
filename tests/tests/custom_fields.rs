//! Custom fields: typed definitions, validation on every write, filters, sorts, documentation.

use crm_tests::dual;
use serde_json::json;

dual! {
    async fn typed_values_are_validated_filtered_and_sorted(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let define = |body: serde_json::Value| app.post("/api/v1/custom-fields", Some(&s.token), body);
        define(json!({"record_type": "contact", "key": "score", "label": "Score", "field_type": "number"})).await.ok(201);
        define(json!({"record_type": "contact", "key": "tier", "label": "Tier", "field_type": "select", "options": ["gold", "silver"], "required": true})).await.ok(201);
        define(json!({"record_type": "contact", "key": "interests", "label": "Interests", "field_type": "multi_select", "options": ["golf", "wine", "art"]})).await.ok(201);
        define(json!({"record_type": "contact", "key": "vat_id", "label": "VAT id", "field_type": "text", "unique": true})).await.ok(201);
        define(json!({"record_type": "contact", "key": "since", "label": "Since", "field_type": "date"})).await.ok(201);
        define(json!({"record_type": "contact", "key": "credit", "label": "Credit", "field_type": "decimal"})).await.ok(201);
        define(json!({"record_type": "contact", "key": "newsletter", "label": "Newsletter", "field_type": "boolean"})).await.ok(201);
        define(json!({"record_type": "company", "key": "site", "label": "Site", "field_type": "url"})).await.ok(201);
        // Bad definitions.
        define(json!({"record_type": "contact", "key": "Bad Key", "label": "x", "field_type": "text"})).await.problem(422, "validation_failed");
        define(json!({"record_type": "contact", "key": "pick", "label": "x", "field_type": "select"})).await.problem(422, "validation_failed");
        define(json!({"record_type": "contact", "key": "score", "label": "again", "field_type": "text"})).await.problem(409, "conflict");

        let fields = app.get("/api/v1/custom-fields?record_type=contact", Some(&s.token)).await.ok(200);
        assert_eq!(fields.as_array().unwrap().len(), 7);

        // Wrong types are 422 naming the field; the required one is named when missing.
        let bad = app.post("/api/v1/contacts", Some(&s.token), json!({"email": "a@x.test", "custom": {"score": "high", "interests": ["golf", "chess"], "since": "yesterday", "credit": "lots", "newsletter": "yes"}})).await;
        let body = bad.problem(422, "validation_failed");
        let mut pointers: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        pointers.sort();
        assert_eq!(pointers, vec!["/custom/credit", "/custom/interests", "/custom/newsletter", "/custom/score", "/custom/since", "/custom/tier"]);
        app.post("/api/v1/contacts", Some(&s.token), json!({"email": "a@x.test", "custom": {"tier": "bronze"}})).await.problem(422, "validation_failed");
        app.post("/api/v1/contacts", Some(&s.token), json!({"email": "a@x.test", "custom": {"tier": "gold", "unknown_key": 1}})).await.problem(422, "validation_failed");

        let mk = |email: &str, custom: serde_json::Value| app.post("/api/v1/contacts", Some(&s.token), json!({"email": email, "custom": custom}));
        let a = mk("a@x.test", json!({"tier": "gold", "score": 10, "interests": ["golf", "wine"], "vat_id": "DE1", "since": "2020-01-31", "credit": "12.50", "newsletter": true})).await.ok(201);
        assert_eq!(a["custom"]["credit"], "12.5");
        assert_eq!(a["custom"]["interests"], json!(["golf", "wine"]));
        mk("b@x.test", json!({"tier": "silver", "score": 2.5, "interests": ["art"], "since": "2023-06-01"})).await.ok(201);
        mk("c@x.test", json!({"tier": "gold", "score": 7})).await.ok(201);
        // Unique values.
        let dup = mk("d@x.test", json!({"tier": "gold", "vat_id": "DE1"})).await.problem(409, "conflict");
        assert_eq!(dup["errors"][0]["pointer"], "/custom/vat_id");

        let token = s.token.as_str();
        let emails = |q: &'static str| async move {
            let page = app.get(&format!("/api/v1/contacts?{q}"), Some(token)).await.ok(200);
            page["data"].as_array().unwrap().iter().map(|c| c["email"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(emails("custom.tier=gold&sort=email").await, vec!["a@x.test", "c@x.test"]);
        assert_eq!(emails("custom.score[gt]=5&sort=-custom.score").await, vec!["a@x.test", "c@x.test"]);
        assert_eq!(emails("sort=custom.score").await, vec!["b@x.test", "c@x.test", "a@x.test"]);
        assert_eq!(emails("custom.interests=golf").await, vec!["a@x.test"]);
        assert_eq!(emails("custom.since[gte]=2021-01-01").await, vec!["b@x.test"]);
        assert_eq!(emails("custom.newsletter=true").await, vec!["a@x.test"]);
        assert_eq!(emails("custom.vat_id[is_null]=true&sort=email").await, vec!["b@x.test", "c@x.test"]);
        assert_eq!(emails("custom.credit[lt]=20").await, vec!["a@x.test"]);
        // Pages sorted on a custom value walk exactly once.
        let first = app.get("/api/v1/contacts?sort=custom.score&limit=2", Some(&s.token)).await.ok(200);
        let next = app.get(&format!("/api/v1/contacts?sort=custom.score&limit=2&cursor={}", first["next_cursor"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        assert_eq!(next["data"][0]["email"], "a@x.test");
        assert!(next["next_cursor"].is_null());

        // Patches merge key by key; a required value cannot be cleared.
        let id = a["id"].as_str().unwrap();
        let p = app.patch(&format!("/api/v1/contacts/{id}"), Some(&s.token), json!({"custom": {"score": 11, "since": null}})).await.ok(200);
        assert_eq!(p["custom"]["score"], 11);
        assert!(p["custom"].get("since").is_none());
        assert_eq!(p["custom"]["tier"], "gold");
        app.patch(&format!("/api/v1/contacts/{id}"), Some(&s.token), json!({"custom": {"tier": null}})).await.problem(422, "validation_failed");

        // GraphQL: definitions and values.
        let g = app.gql(Some(&s.token), "{ customFields(recordType: CONTACT) { key fieldType required options } contacts(filter: {custom: [{key: \"tier\", value: \"silver\"}]}) { edges { node { email custom } } } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["customFields"].as_array().unwrap().len(), 7);
        assert_eq!(g["data"]["contacts"]["edges"][0]["node"]["custom"]["tier"], "silver");

        // Deleting a definition removes its values everywhere.
        let score = fields.as_array().unwrap().iter().find(|f| f["key"] == "score").unwrap()["id"].as_str().unwrap().to_owned();
        app.delete(&format!("/api/v1/custom-fields/{score}"), Some(&s.token)).await.ok(204);
        let after = app.get(&format!("/api/v1/contacts/{id}"), Some(&s.token)).await.ok(200);
        assert!(after["custom"].get("score").is_none(), "{after}");
        app.get("/api/v1/contacts?custom.score=1", Some(&s.token)).await.problem(422, "validation_failed");
    }
}
