//! Leads and their conversion; quotes accepted into orders.

use crm_tests::dual;
use serde_json::json;

dual! {
    async fn conversion_matches_an_existing_company_instead_of_duplicating(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        app.post("/api/v1/pipelines", Some(&s.token), json!({"name": "Sales", "stages": [{"name": "New"}, {"name": "Won", "stage_type": "won"}, {"name": "Lost", "stage_type": "lost"}]})).await.ok(201);
        let globex = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Globex Corporation", "domain": "globex.com"})).await.ok(201);
        let lead = app.post("/api/v1/leads", Some(&s.token), json!({
            "first_name": "Hank", "last_name": "Scorpio", "email": "Hank@Globex.com", "company_name": "Globex",
            "company_domain": "https://www.globex.com", "title": "CEO", "source_channel": "event"
        })).await.ok(201);
        assert_eq!(lead["status"], "new");
        assert_eq!(lead["company_domain"], "globex.com", "stored as a company's domain is");
        // A domain that converting would refuse is refused when the lead is written.
        let bad_domain = app
            .post("/api/v1/leads", Some(&s.token), json!({"last_name": "Odd", "company_domain": "}.{+"}))
            .await
            .problem(422, "validation_failed");
        assert_eq!(bad_domain["errors"][0]["pointer"], "/company_domain");
        assert_eq!(bad_domain["errors"][0]["code"], "domain");
        // The host is the one after the first `://`, whatever a query holds.
        let linked = app
            .post("/api/v1/leads", Some(&s.token), json!({"last_name": "Link", "company_domain": "https://www.initech.it/?next=https://evil.example"}))
            .await
            .ok(201);
        assert_eq!(linked["company_domain"], "initech.it");
        let id = lead["id"].as_str().unwrap();
        app.post(&format!("/api/v1/leads/{id}/qualify"), Some(&s.token), json!({})).await.ok(200);
        let conv = app.post(&format!("/api/v1/leads/{id}/convert"), Some(&s.token), json!({"deal": {"name": "Globex doomsday device", "amount": {"amount": "1000000", "currency": "USD"}}})).await.ok(200);
        assert_eq!(conv["company_id"], globex["id"], "matched by domain");
        assert_eq!(conv["company_matched"], true);
        assert_eq!(conv["contact_matched"], false);
        assert_eq!(conv["lead"]["status"], "converted");
        assert_eq!(conv["lead"]["converted_contact_id"], conv["contact_id"]);
        assert_eq!(conv["lead"]["converted_deal_id"], conv["deal"]["id"]);
        assert_eq!(conv["deal"]["company_id"], globex["id"]);
        assert_eq!(conv["deal"]["lead_id"], id);
        assert_eq!(conv["deal"]["contact_ids"], json!([conv["contact_id"]]));
        let companies = app.get("/api/v1/companies", Some(&s.token)).await.ok(200);
        assert_eq!(companies["data"].as_array().unwrap().len(), 1, "no duplicate company");
        let contact = app.get(&format!("/api/v1/contacts/{}", conv["contact_id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        assert_eq!(contact["email"], "hank@globex.com");
        assert_eq!(contact["company_id"], globex["id"]);
        assert_eq!(contact["source_channel"], "event");
        // Converting twice is a conflict; nothing new is created.
        app.post(&format!("/api/v1/leads/{id}/convert"), Some(&s.token), json!({})).await.problem(409, "conflict");

        // A second lead with the same email reuses the contact; a new company is created.
        let again = app.post("/api/v1/leads", Some(&s.token), json!({"email": "hank@globex.com", "company_name": "Scorpio Holdings"})).await.ok(201);
        let conv2 = app.post(&format!("/api/v1/leads/{}/convert", again["id"].as_str().unwrap()), Some(&s.token), json!({})).await.ok(200);
        assert_eq!(conv2["contact_id"], conv["contact_id"]);
        assert_eq!(conv2["contact_matched"], true);
        assert_eq!(conv2["company_matched"], false);
        assert!(conv2["deal"].is_null());
        let companies = app.get("/api/v1/companies?sort=name", Some(&s.token)).await.ok(200);
        assert_eq!(companies["data"][1]["name"], "Scorpio Holdings");

        // Disqualification needs a reason; a disqualified lead is not converted.
        let cold = app.post("/api/v1/leads", Some(&s.token), json!({"last_name": "Cold"})).await.ok(201);
        let cid = cold["id"].as_str().unwrap();
        app.post(&format!("/api/v1/leads/{cid}/disqualify"), Some(&s.token), json!({"reason": ""})).await.problem(422, "validation_failed");
        let dq = app.post(&format!("/api/v1/leads/{cid}/disqualify"), Some(&s.token), json!({"reason": "no budget"})).await.ok(200);
        assert_eq!(dq["disqualify_reason"], "no budget");
        app.post(&format!("/api/v1/leads/{cid}/convert"), Some(&s.token), json!({})).await.problem(409, "conflict");
        // A failing conversion writes nothing: the deal's currency is wrong, so no contact either.
        let bad = app.post("/api/v1/leads", Some(&s.token), json!({"email": "new@person.test"})).await.ok(201);
        app.post(&format!("/api/v1/leads/{}/convert", bad["id"].as_str().unwrap()), Some(&s.token), json!({"deal": {"name": "x", "amount": {"amount": "1", "currency": "XYZ"}}})).await.problem(422, "validation_failed");
        let found = app.get("/api/v1/contacts?email=new@person.test", Some(&s.token)).await.ok(200);
        assert_eq!(found["data"].as_array().unwrap().len(), 0);
        let unchanged = app.get(&format!("/api/v1/leads/{}", bad["id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        assert_eq!(unchanged["status"], "new");
        // Another organization: 404.
        let other = app.signup("Other", "admin@other.test").await;
        app.get(&format!("/api/v1/leads/{id}"), Some(&other.token)).await.problem(404, "not_found");
        app.post(&format!("/api/v1/leads/{cid}/qualify"), Some(&other.token), json!({})).await.problem(404, "not_found");
        // `www.` is dropped only when a domain is left.
        let www = app.post("/api/v1/companies", Some(&s.token), json!({"name": "WWW", "domain": "www.com"})).await.ok(201);
        assert_eq!(www["domain"], "www.com");
    }

    async fn quotes_are_accepted_into_orders(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let q = app.post("/api/v1/quotes", Some(&s.token), json!({"currency": "EUR", "valid_until": "2099-12-31", "lines": [{"description": "Consulting", "quantity": "10", "unit_price": "120", "discount_percent": "5", "tax_rate": "19"}]})).await.ok(201);
        assert_eq!(q["status"], "draft");
        assert_eq!(q["total"]["amount"], "1356.60");
        let path = format!("/api/v1/quotes/{}", q["id"].as_str().unwrap());
        app.post(&format!("{path}/status"), Some(&s.token), json!({"status": "sent"})).await.ok(200);
        let order = app.post(&format!("{path}/accept"), Some(&s.token), json!({})).await.ok(201);
        assert_eq!(order["status"], "confirmed");
        assert_eq!(order["total"]["amount"], "1356.60");
        assert_eq!(order["order_id"], q["id"], "the order points at its quote");
        let accepted = app.get(&path, Some(&s.token)).await.ok(200);
        assert_eq!(accepted["status"], "accepted");
        app.post(&format!("{path}/accept"), Some(&s.token), json!({})).await.problem(409, "conflict");
        let expired = app.post("/api/v1/quotes", Some(&s.token), json!({"currency": "EUR", "valid_until": "2020-01-01", "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]})).await.ok(201);
        app.post(&format!("/api/v1/quotes/{}/accept", expired["id"].as_str().unwrap()), Some(&s.token), json!({})).await.problem(409, "conflict");
        let orders = app.get("/api/v1/orders", Some(&s.token)).await.ok(200);
        assert_eq!(orders["data"].as_array().unwrap().len(), 1);
    }

    async fn sales_over_graphql(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let p = app.gql(t, r#"mutation { createPipeline(input: {name: "Sales", stages: [{name: "New", probability: 20}, {name: "Won", stageType: WON}, {name: "Lost", stageType: LOST}]}) { id stages { id name } } }"#, json!({})).await.ok(200);
        assert!(p.get("errors").is_none(), "{p}");
        let won = p["data"]["createPipeline"]["stages"][1]["id"].as_str().unwrap().to_owned();
        let d = app.gql(t, r#"mutation { createDeal(input: {name: "Big one", amount: {amount: "500", currency: "EUR"}, expectedCloseDate: "2026-12-24"}) { id status } }"#, json!({})).await.ok(200);
        let id = d["data"]["createDeal"]["id"].as_str().unwrap().to_owned();
        let moved = app.gql(t, "mutation($id: ID!, $s: UUID!) { updateDeal(id: $id, input: {stageId: $s, closeReason: \"signed\"}) { status closeReason } }", json!({"id": id, "s": won})).await.ok(200);
        assert_eq!(moved["data"]["updateDeal"], json!({"status": "WON", "closeReason": "signed"}));
        let h = app.gql(t, "query($id: ID!) { dealStageHistory(id: $id) { stageId leftAt } forecast { deals } }", json!({"id": id})).await.ok(200);
        assert_eq!(h["data"]["dealStageHistory"].as_array().unwrap().len(), 2);
        let o = app.gql(t, r#"mutation { createOrder(input: {currency: "EUR", lines: [{description: "x", quantity: "2", unitPrice: "9.99", taxRate: "19"}]}) { id total { amount currency } lines { netAmount { amount } taxAmount { amount } } } }"#, json!({})).await.ok(200);
        assert_eq!(o["data"]["createOrder"]["total"]["amount"], "23.78");
        let bad = app.gql(t, r#"mutation { createOrder(input: {currency: "EUR", lines: [{description: "x", quantity: "-2", unitPrice: "9.99"}]}) { id } }"#, json!({})).await.ok(200);
        assert_eq!(bad["errors"][0]["extensions"]["code"], "validation_failed");
        assert_eq!(bad["errors"][0]["extensions"]["errors"][0]["pointer"], "/lines/0/quantity");
        let l = app.gql(t, r#"mutation { createLead(input: {email: "x@y.test", companyName: "Y Inc"}) { id } }"#, json!({})).await.ok(200);
        let lid = l["data"]["createLead"]["id"].as_str().unwrap().to_owned();
        let c = app.gql(t, "mutation($id: ID!) { convertLead(id: $id) { contactId companyId lead { status } } }", json!({"id": lid})).await.ok(200);
        assert_eq!(c["data"]["convertLead"]["lead"]["status"], "CONVERTED");
        let docs = app.gql(t, "{ salesDocuments(kind: ORDER) { edges { node { total { amount currency } } } } }", json!({})).await.ok(200);
        assert_eq!(docs["data"]["salesDocuments"]["edges"].as_array().unwrap().len(), 1);
    }
}
