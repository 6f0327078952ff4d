//! Bad input and failures answer clear problem documents and write nothing: money that
//! overflows or has too many digits, negative amounts, NUL characters, impossible years,
//! duplicate JSON keys (REST bodies, query parameters, GraphQL variables and literals), and a
//! handler that panics (a 500 problem document; its `Idempotency-Key` is released for a retry).

use crm_tests::{TestApp, dual};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How often the panicking test route ran.
static PANICS: AtomicUsize = AtomicUsize::new(0);

async fn panicking_handler() -> actix_web::HttpResponse {
    PANICS.fetch_add(1, Ordering::SeqCst);
    let values: Vec<u8> = Vec::new();
    // An out-of-bounds index: a bug of the kind the layer exists for.
    let v = values[values.len() + 1];
    actix_web::HttpResponse::Ok().body(v.to_string())
}

fn test_routes(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(
        actix_web::web::resource("/test/panic").route(actix_web::web::post().to(panicking_handler)),
    );
}

async fn count(app: &TestApp, table: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[track_caller]
fn field(problem: &Value, pointer: &str, code: &str) {
    let found = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["pointer"] == pointer && e["code"] == code);
    assert!(found, "expected {code} at {pointer}: {problem}");
}

dual! {
    #[config(|c| c.extra_api_routes = Some(test_routes))]
    async fn a_panic_is_a_500_problem_and_releases_the_idempotency_key(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let auth = format!("Bearer {}", s.token);
        let headers = [("authorization", auth.as_str()), ("content-type", "application/json"), ("idempotency-key", "panic-1")];
        let before = PANICS.load(Ordering::SeqCst);
        let first = app.raw("POST", "/api/v1/test/panic", &headers, b"{}".to_vec()).await;
        let body = first.problem(500, "internal");
        assert_eq!(body["detail"], "An unexpected error occurred", "nothing internal: {body}");
        // The same key runs again at once (not 409 "still running"): the key was released.
        let again = app.raw("POST", "/api/v1/test/panic", &headers, b"{}".to_vec()).await;
        again.problem(500, "internal");
        assert!(PANICS.load(Ordering::SeqCst) >= before + 2);
        // The server goes on serving.
        app.get("/api/v1/me", Some(&s.token)).await.ok(200);
        // Without a key, too.
        app.post("/api/v1/test/panic", Some(&s.token), json!({})).await.problem(500, "internal");
    }

    async fn money_that_overflows_or_has_too_many_digits_is_a_422(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        let line = |q: &str, p: &str| json!({"currency": "EUR", "lines": [{"description": "x", "quantity": q, "unit_price": p}]});
        for path in ["/api/v1/orders", "/api/v1/quotes", "/api/v1/invoices"] {
            let p = app.post(path, t, line("100000000000000", "100000000000000")).await.problem(422, "validation_failed");
            field(&p, "/lines/0/quantity", "overflow");
            let p = app.post(path, t, line("1e28", "1")).await.problem(422, "validation_failed");
            field(&p, "/lines/0/quantity", "invalid_decimal");
            let p = app.post(path, t, line("1", "99999999999999999999999999999")).await.problem(422, "validation_failed");
            field(&p, "/lines/0/unit_price", "too_many_digits");
            let p = app.post(path, t, line("1", "0.0000000000000000000000000001")).await.problem(422, "validation_failed");
            field(&p, "/lines/0/unit_price", "too_many_digits");
            let p = app.post(path, t, line("1", "-5")).await.problem(422, "validation_failed");
            field(&p, "/lines/0/unit_price", "range");
            let p = app.post(path, t, line("-1", "5")).await.problem(422, "validation_failed");
            field(&p, "/lines/0/quantity", "range");
        }
        // Many lines each within bounds, whose sum passes the largest amount.
        let lines: Vec<Value> = (0..3).map(|_| json!({"description": "x", "quantity": "1", "unit_price": "900000000000000"})).collect();
        let p = app.post("/api/v1/orders", t, json!({"currency": "EUR", "lines": lines})).await.problem(422, "validation_failed");
        field(&p, "/lines", "overflow");
        // ERP upserts and GraphQL take the same rules.
        let p = app.call("PUT", "/api/v1/orders/by-external-id/sap/1", t, Some(line("100000000000000", "100000000000000"))).await.problem(422, "validation_failed");
        field(&p, "/lines/0/quantity", "overflow");
        let gql = app.gql(t, "mutation($i: NewOrder!) { createOrder(input: $i) { id } }", json!({"i": {"currency": "EUR", "lines": [{"description": "x", "quantity": "100000000000000", "unitPrice": "100000000000000"}]}})).await.ok(200);
        assert_eq!(gql["errors"][0]["extensions"]["code"], "validation_failed", "{gql}");
        assert_eq!(gql["errors"][0]["extensions"]["errors"][0]["pointer"], "/lines/0/quantity", "{gql}");
        // Deals: not negative, no more decimals than the currency has.
        app.post("/api/v1/pipelines", t, json!({"name": "Sales", "stages": [{"name": "Open"}, {"name": "Won", "stage_type": "won"}, {"name": "Lost", "stage_type": "lost"}]})).await.ok(201);
        let p = app.post("/api/v1/deals", t, json!({"name": "d", "amount": {"amount": "-1", "currency": "EUR"}})).await.problem(422, "validation_failed");
        field(&p, "/amount/amount", "range");
        let p = app.post("/api/v1/deals", t, json!({"name": "d", "amount": {"amount": "10.001", "currency": "EUR"}})).await.problem(422, "validation_failed");
        field(&p, "/amount/amount", "too_many_digits");
        let p = app.post("/api/v1/deals", t, json!({"name": "d", "amount": {"amount": "10.5", "currency": "JPY"}})).await.problem(422, "validation_failed");
        field(&p, "/amount/amount", "too_many_digits");
        // Products: prices not negative, rates within 0-100.
        let p = app.post("/api/v1/products", t, json!({"sku": "S", "name": "n", "tax_rate": "1e2"})).await.problem(422, "validation_failed");
        field(&p, "/tax_rate", "invalid_decimal");
        // Payments: positive, within the currency's minor unit, never past what is due.
        let inv = app.post("/api/v1/invoices", t, line("1", "10")).await.ok(201);
        let pay = format!("/api/v1/invoices/{}/payments", inv["id"].as_str().unwrap());
        for (amount, code) in [("-1", "range"), ("0", "range"), ("1.001", "too_many_digits"), ("99999999999999999999999999999", "too_many_digits"), ("11", "overpaid")] {
            let p = app.post(&pay, t, json!({"amount": amount})).await.problem(422, "validation_failed");
            field(&p, "/amount", code);
        }
        // Nothing was written by any refused request.
        assert_eq!(count(app, "sales_documents").await, 1);
        assert_eq!(count(app, "deals").await, 0);
        assert_eq!(count(app, "products").await, 0);
        assert_eq!(count(app, "payments").await, 0);
        // What is right still works, to the cent.
        let ok = app.post("/api/v1/orders", t, line("999999", "999999.99")).await.ok(201);
        assert_eq!(ok["total"]["amount"], "999998990000.01", "{ok}");
    }

    async fn nul_characters_impossible_years_and_duplicate_keys_are_422s(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        let p = app.post("/api/v1/contacts", t, json!({"first_name": "a\u{0}b", "last_name": "x"})).await.problem(422, "validation_failed");
        field(&p, "/first_name", "invalid_character");
        let p = app.post("/api/v1/contacts", t, json!({"last_name": "x", "custom": {"k\u{0}": 1}, "tags": ["ok", "\u{0}"]})).await.problem(422, "validation_failed");
        field(&p, "/tags/1", "invalid_character");
        let auth = format!("Bearer {}", s.token);
        let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
        let dup = app.raw("POST", "/api/v1/contacts", &headers, br#"{"last_name": "a", "last_name": "b"}"#.to_vec()).await.problem(422, "validation_failed");
        field(&dup, "/last_name", "duplicate_key");
        let task = json!({"kind": "task", "subject": "s", "due_at": "0000-01-01T00:00:00Z"});
        let p = app.post("/api/v1/activities", t, task).await.problem(422, "validation_failed");
        field(&p, "/due_at", "invalid_date");
        let p = app.post("/api/v1/invoices", t, json!({"currency": "EUR", "due_date": "10000-01-01", "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]})).await.problem(422, "validation_failed");
        field(&p, "/due_date", "invalid_date");
        // Query parameters.
        let p = app.get("/api/v1/contacts?q=%00", t).await.problem(422, "validation_failed");
        field(&p, "/q", "invalid_character");
        let p = app.get("/api/v1/contacts?email[contains]=a%00", t).await.problem(422, "validation_failed");
        field(&p, "/email[contains]", "invalid_character");
        let p = app.get("/api/v1/contacts?created_at[gte]=0000-01-01", t).await.problem(422, "validation_failed");
        field(&p, "/created_at[gte]", "invalid_date");
        app.call("PUT", "/api/v1/products/by-external-id/erp/a%00b", t, Some(json!({"sku": "x", "name": "y"}))).await.problem(422, "validation_failed");
        // GraphQL variables and the document's own literals.
        let v = app.gql(t, "mutation($i: NewContact!) { createContact(input: $i) { id } }", json!({"i": {"lastName": "a\u{0}b"}})).await;
        assert_eq!(v.status, 422, "{}", v.text());
        let body = v.json();
        assert_eq!(body["errors"][0]["extensions"]["code"], "validation_failed", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["errors"][0]["pointer"], "/variables/i/lastName", "{body}");
        let lit = app.gql(t, r#"mutation { createContact(input: {lastName: "a\u0000b"}) { id } }"#, json!({})).await;
        assert_eq!(lit.status, 422, "{}", lit.text());
        let lit = app.gql(t, r#"mutation { createActivity(input: {kind: TASK, subject: "s", dueAt: "0000-01-01T00:00:00Z"}) { id } }"#, json!({})).await;
        assert_eq!(lit.status, 422, "{}", lit.text());
        let auth_headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
        let dup = app.raw("POST", "/graphql", &auth_headers, br#"{"query": "{ me { role } }", "query": "{ me { role } }"}"#.to_vec()).await;
        assert_eq!(dup.status, 422, "{}", dup.text());
        // Nothing was written; LIKE metacharacters are plain text, and year 1 is a year.
        assert_eq!(count(app, "contacts").await, 0);
        assert_eq!(count(app, "activities").await, 0);
        app.post("/api/v1/contacts", t, json!({"last_name": "100%_sure"})).await.ok(201);
        app.post("/api/v1/contacts", t, json!({"last_name": "1000 sure"})).await.ok(201);
        let found = app.get("/api/v1/contacts?last_name[contains]=%25_", t).await.ok(200);
        assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");
        app.post("/api/v1/activities", t, json!({"kind": "task", "subject": "old", "due_at": "0001-01-01T00:00:00Z"})).await.ok(201);
        // As a business date it is impossible (1900 to 2100): a 422 naming the field.
        let p = app.post("/api/v1/activities", t, json!({"kind": "note", "subject": "old", "occurred_at": "0001-01-01T00:00:00Z"})).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/occurred_at");
    }
}
