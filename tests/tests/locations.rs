//! Every `201 Created` carries a `Location` that can be fetched: a client that follows it gets
//! the record (200), never a 404 or 405. The list of creating operations is read from the
//! served OpenAPI document, so a new one fails this test until it is added here.

use crm_tests::fixtures::{document_body, pipeline_body};
use crm_tests::{PASSWORD, dual};
use serde_json::{Value, json};

dual! {
    async fn every_location_of_a_201_can_be_fetched(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let quote = app.post("/api/v1/quotes", t, document_body("100")).await.ok(201);
        app.post(&format!("/api/v1/quotes/{}/status", quote["id"].as_str().unwrap()), t, json!({"status": "sent"})).await.ok(200);
        let creates: Vec<(&str, String, Value)> = vec![
            ("POST", "/api/v1/auth/signup".into(), json!({"org_name": "Other", "name": "O", "email": "o@other.test", "password": PASSWORD})),
            ("POST", "/api/v1/users".into(), json!({"email": "u@acme.test", "name": "U", "role": "agent", "password": PASSWORD})),
            ("POST", "/api/v1/api-keys".into(), json!({"name": "erp", "scope": "read", "role": "viewer"})),
            ("POST", "/api/v1/companies".into(), json!({"name": "Globex"})),
            ("PUT", "/api/v1/contacts/by-external-id/erp/k1".into(), json!({"last_name": "Lumbergh"})),
            ("PUT", "/api/v1/companies/by-external-id/erp/c1".into(), json!({"name": "Initech"})),
            ("POST", "/api/v1/contacts".into(), json!({"last_name": "Smith"})),
            ("POST", "/api/v1/activities".into(), json!({"kind": "note", "body": "hello"})),
            ("PUT", "/api/v1/activities/by-external-id/pbx/call-1".into(), json!({"kind": "call", "subject": "Inbound"})),
            ("PUT", "/api/v1/leads/by-external-id/forms/l1".into(), json!({"last_name": "Lead"})),
            ("POST", "/api/v1/custom-fields".into(), json!({"record_type": "contact", "key": "tier", "label": "Tier", "field_type": "text"})),
            ("POST", "/api/v1/leads".into(), json!({"last_name": "Lead"})),
            ("POST", "/api/v1/pipelines".into(), pipeline_body("Sales")),
            ("POST", "/api/v1/deals".into(), json!({"name": "Deal"})),
            ("PUT", "/api/v1/deals/by-external-id/erp/d1".into(), json!({"name": "Deal"})),
            ("POST", "/api/v1/price-lists".into(), json!({"name": "EU", "currency": "EUR"})),
            ("POST", "/api/v1/products".into(), json!({"sku": "P-1", "name": "Pump"})),
            ("PUT", "/api/v1/products/by-external-id/erp/p2".into(), json!({"sku": "P-2", "name": "Valve"})),
            ("POST", "/api/v1/quotes".into(), document_body("10")),
            ("POST", format!("/api/v1/quotes/{}/accept", quote["id"].as_str().unwrap()), json!({})),
            ("POST", "/api/v1/orders".into(), document_body("10")),
            ("PUT", "/api/v1/orders/by-external-id/erp/o1".into(), document_body("10")),
            ("POST", "/api/v1/invoices".into(), document_body("10")),
            ("PUT", "/api/v1/invoices/by-external-id/erp/i1".into(), document_body("10")),
            ("POST", "/api/v1/webhooks".into(), json!({"url": "https://93.184.216.34/hook", "event_types": ["*"], "enabled": false})),
            ("POST", "/api/v1/contacts/parse?create=true".into(), json!({"text": "Ada Lovelace\nada.lovelace@parse.test"})),
        ];
        // Every creating operation of the document is exercised here.
        let doc = app.get("/openapi.json", None).await.ok(200);
        let template = |path: &str| -> String {
            let path = path.split('?').next().unwrap_or(path);
            let mut out = Vec::new();
            for seg in path.split('/') {
                out.push(if uuid::Uuid::parse_str(seg).is_ok() { "{id}".to_owned() } else { seg.to_owned() });
            }
            let p = out.join("/");
            match p.split_once("/by-external-id/") {
                Some((base, _)) => format!("{base}/by-external-id/{{source}}/{{external_id}}"),
                None => p,
            }
        };
        let mut covered: Vec<String> = creates.iter().map(|(m, p, _)| format!("{} {}", m, template(p))).collect();
        // Accepting a next best action needs customers with analytics figures: its Location
        // (the task) is followed in analytics_actions.rs.
        covered.push("POST /api/v1/analytics/next-best-actions/accept".to_owned());
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                if op["responses"].get("201").is_some() {
                    let key = format!("{} {path}", method.to_uppercase());
                    assert!(covered.contains(&key), "{key} answers 201 but is not exercised here");
                }
            }
        }
        for (method, path, body) in creates {
            let res = app.call(method, &path, t, Some(body)).await;
            assert_eq!(res.status, 201, "{method} {path}: {}", res.text());
            let location = res.header("location").unwrap_or_else(|| panic!("{method} {path}: no Location"));
            // A new organization's admin reads their own `/me` with the tokens they got.
            let token = match path.as_str() {
                "/api/v1/auth/signup" => res.json()["tokens"]["access_token"].as_str().unwrap().to_owned(),
                _ => s.token.clone(),
            };
            let fetched = app.get(&location, Some(&token)).await;
            assert_eq!(fetched.status, 200, "{method} {path} -> Location {location}: {}", fetched.text());
        }
    }
}
