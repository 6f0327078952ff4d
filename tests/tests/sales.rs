//! Sales: pipelines, deals and their stage history, board and forecast, products and price
//! lists, orders with computed totals, invoices with gapless numbers, payments, ERP upserts.

use crm_tests::fixtures::stage;
use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};

async fn pipeline(app: &TestApp, s: &Session) -> Value {
    app.post(
        "/api/v1/pipelines",
        Some(&s.token),
        json!({
            "name": "New business",
            "stages": [
                {"name": "Qualify", "probability": 10},
                {"name": "Propose", "probability": 50},
                {"name": "Negotiate", "probability": 80},
                {"name": "Won", "stage_type": "won"},
                {"name": "Lost", "stage_type": "lost"}
            ]
        }),
    )
    .await
    .ok(201)
}

dual! {
    async fn deals_move_through_stages_with_history(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let p = pipeline(app, &s).await;
        assert_eq!(p["is_default"], true, "the first pipeline is the default");
        assert_eq!(p["stages"][3]["probability"], 100);
        let co = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Globex"})).await.ok(201);
        let d = app.post("/api/v1/deals", Some(&s.token), json!({"name": "Globex rollout", "amount": {"amount": "12000", "currency": "EUR"}, "expected_close_date": "2026-12-15", "company_id": co["id"]})).await.ok(201);
        assert_eq!(d["stage_id"], stage(&p, "Qualify").as_str());
        assert_eq!(d["status"], "open");
        assert_eq!(d["owner_id"], s.user_id.as_str());
        let path = format!("/api/v1/deals/{}", d["id"].as_str().unwrap());
        for name in ["Propose", "Negotiate"] {
            app.patch(&path, Some(&s.token), json!({"stage_id": stage(&p, name)})).await.ok(200);
        }
        let won = app.patch(&path, Some(&s.token), json!({"stage_id": stage(&p, "Won"), "close_reason": "best price"})).await.ok(200);
        assert_eq!(won["status"], "won");
        assert_eq!(won["close_reason"], "best price");
        assert!(won["closed_at"].is_string());
        let history = app.get(&format!("{path}/stage-history"), Some(&s.token)).await.ok(200);
        let visits = history.as_array().unwrap();
        assert_eq!(visits.len(), 4, "{history}");
        let names: Vec<String> = visits.iter().map(|v| {
            let id = v["stage_id"].as_str().unwrap();
            p["stages"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()["name"].as_str().unwrap().to_owned()
        }).collect();
        assert_eq!(names, vec!["Qualify", "Propose", "Negotiate", "Won"]);
        for pair in visits.windows(2) {
            assert_eq!(pair[0]["left_at"], pair[1]["entered_at"], "left when the next was entered");
        }
        assert!(visits[3]["left_at"].is_null());
        assert_eq!(visits[3]["entered_by"], s.user_id.as_str());

        // Renaming and reordering stages keeps their ids and the history.
        let mut stages: Vec<Value> = p["stages"].as_array().unwrap().iter().map(|s| json!({"id": s["id"], "name": s["name"], "probability": s["probability"], "stage_type": s["stage_type"]})).collect();
        stages.swap(1, 2);
        stages[0]["name"] = json!("Discovery");
        let patched = app.patch(&format!("/api/v1/pipelines/{}", p["id"].as_str().unwrap()), Some(&s.token), json!({"stages": stages})).await.ok(200);
        assert_eq!(patched["stages"][0]["name"], "Discovery");
        assert_eq!(patched["stages"][0]["id"], p["stages"][0]["id"]);
        assert_eq!(patched["stages"][1]["name"], "Negotiate");
        let again = app.get(&format!("{path}/stage-history"), Some(&s.token)).await.ok(200);
        assert_eq!(again.as_array().unwrap().len(), 4);
        // A stage holding deals cannot be dropped.
        let without_won: Vec<Value> = stages.iter().filter(|s| s["name"] != "Won").cloned().chain([json!({"name": "Closed", "stage_type": "won"})]).collect();
        app.patch(&format!("/api/v1/pipelines/{}", p["id"].as_str().unwrap()), Some(&s.token), json!({"stages": without_won})).await.problem(422, "validation_failed");
        // Bad input.
        app.patch(&path, Some(&s.token), json!({"stage_id": uuid::Uuid::now_v7()})).await.problem(422, "validation_failed");
        app.post("/api/v1/deals", Some(&s.token), json!({"name": "x", "amount": {"amount": "10", "currency": "XYZ"}})).await.problem(422, "validation_failed");
        app.post("/api/v1/pipelines", Some(&s.token), json!({"name": "no won", "stages": [{"name": "a"}]})).await.problem(422, "validation_failed");
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        app.post("/api/v1/pipelines", Some(&agent.token), json!({"name": "x", "stages": []})).await.problem(403, "forbidden");
    }

    async fn board_and_weighted_forecast(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let p = pipeline(app, &s).await;
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        let mk = |name: &str, amount: &str, cur: &str, stage_name: &str, close: &str| json!({"name": name, "amount": {"amount": amount, "currency": cur}, "stage_id": stage(&p, stage_name), "expected_close_date": close});
        app.post("/api/v1/deals", Some(&s.token), mk("a", "1000", "EUR", "Qualify", "2026-12-01")).await.ok(201);
        app.post("/api/v1/deals", Some(&s.token), mk("b", "3000", "EUR", "Propose", "2026-12-20")).await.ok(201);
        app.post("/api/v1/deals", Some(&agent.token), mk("c", "500.50", "USD", "Negotiate", "2027-01-10")).await.ok(201);
        app.post("/api/v1/deals", Some(&s.token), mk("d", "9999", "EUR", "Won", "2026-12-05")).await.ok(201);
        let board = app.get(&format!("/api/v1/pipelines/{}/board", p["id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        let col = |name: &str| board.as_array().unwrap().iter().find(|c| c["stage"]["name"] == name).unwrap().clone();
        assert_eq!(col("Qualify")["count"], 1);
        assert_eq!(col("Propose")["totals"], json!([{"amount": "3000.00", "currency": "EUR"}]));
        assert_eq!(col("Won")["deals"][0]["name"], "d");
        assert_eq!(board.as_array().unwrap().len(), 5, "every stage, empty ones too");
        let forecast = app.get("/api/v1/analytics/forecast", Some(&s.token)).await.ok(200);
        let rows = forecast.as_array().unwrap();
        let dec = rows.iter().find(|r| r["month"] == "2026-12" && r["currency"] == "EUR").unwrap();
        assert_eq!(dec["deals"], 2, "won deals are not forecast");
        assert_eq!(dec["amount"], json!({"amount": "4000.00", "currency": "EUR"}));
        assert_eq!(dec["weighted_amount"]["amount"], "1600.00", "1000 x 10 % + 3000 x 50 %");
        let jan = rows.iter().find(|r| r["month"] == "2027-01").unwrap();
        assert_eq!(jan["owner_id"], agent.user_id.as_str());
        assert_eq!(jan["weighted_amount"]["amount"], "400.40");
    }

    async fn order_totals_with_discounts_and_two_tax_rates(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let list = app.post("/api/v1/price-lists", Some(&s.token), json!({"name": "EU", "currency": "eur", "is_default": true})).await.ok(201);
        let widget = app.post("/api/v1/products", Some(&s.token), json!({"sku": "W-1", "name": "Widget", "tax_rate": "19", "prices": [{"price_list_id": list["id"], "unit_price": "19.99"}]})).await.ok(201);
        let book = app.post("/api/v1/products", Some(&s.token), json!({"sku": "B-1", "name": "Book", "tax_rate": "7", "prices": [{"price_list_id": list["id"], "unit_price": "2.35"}]})).await.ok(201);
        app.post("/api/v1/products", Some(&s.token), json!({"sku": "W-1", "name": "Dup"})).await.problem(409, "conflict");
        let order = app.post("/api/v1/orders", Some(&s.token), json!({"lines": [
            {"product_id": widget["id"], "quantity": "3", "discount_percent": "10"},
            {"product_id": book["id"], "quantity": "7"},
            // Client-sent totals do not exist in the input: every amount is the server's.
        ]})).await.ok(201);
        assert_eq!(order["currency"], "EUR");
        assert_eq!(order["lines"][0]["net_amount"]["amount"], "53.97");
        assert_eq!(order["lines"][0]["tax_amount"]["amount"], "10.25");
        assert_eq!(order["lines"][0]["total_amount"]["amount"], "64.22");
        assert_eq!(order["lines"][1]["total_amount"]["amount"], "17.60");
        assert_eq!(order["subtotal"]["amount"], "70.42");
        assert_eq!(order["discount_total"]["amount"], "6.00");
        assert_eq!(order["tax_total"]["amount"], "11.40");
        assert_eq!(order["total"]["amount"], "81.82");
        assert_eq!(order["lines"][0]["description"], "Widget");
        // A line may name its product by SKU: the same prices, defaults and totals.
        let by_sku = app.post("/api/v1/orders", Some(&s.token), json!({"lines": [
            {"sku": "W-1", "quantity": "3", "discount_percent": "10"},
            {"sku": "B-1", "quantity": "7"},
        ]})).await.ok(201);
        assert_eq!(by_sku["lines"][0]["product_id"], widget["id"]);
        assert_eq!(by_sku["total"]["amount"], "81.82");
        // One product on several lines, by id and by SKU (the products are read once for
        // every line): each line priced from the list unless it sends its own price.
        let twice = app.post("/api/v1/orders", Some(&s.token), json!({"lines": [
            {"product_id": widget["id"], "quantity": "1"},
            {"sku": "W-1", "quantity": "1"},
            {"product_id": widget["id"], "quantity": "2", "unit_price": "10"},
            {"sku": "B-1", "quantity": "1"},
        ]})).await.ok(201);
        let nets: Vec<&str> = twice["lines"].as_array().unwrap().iter().map(|l| l["net_amount"]["amount"].as_str().unwrap()).collect();
        assert_eq!(nets, ["19.99", "19.99", "20.00", "2.35"], "{twice}");
        assert_eq!(twice["lines"][1]["product_id"], widget["id"]);
        assert_eq!(twice["lines"][3]["tax_rate"], "7", "{twice}");
        // Another organization's product (same SKU) is not this one's, by id or by SKU.
        let other = app.signup("Other", "admin@other.test").await;
        let theirs = app.post("/api/v1/products", Some(&other.token), json!({"sku": "X-9", "name": "Theirs"})).await.ok(201);
        let p = app.post("/api/v1/orders", Some(&s.token), json!({"lines": [
            {"product_id": widget["id"], "quantity": "1"},
            {"product_id": theirs["id"], "quantity": "1", "unit_price": "1"},
            {"sku": "X-9", "quantity": "1", "unit_price": "1"},
        ]})).await.problem(422, "validation_failed");
        let named: Vec<(&str, &str)> = p["errors"].as_array().unwrap().iter().map(|e| (e["pointer"].as_str().unwrap(), e["code"].as_str().unwrap())).collect();
        assert_eq!(named, [("/lines/1/product_id", "not_found"), ("/lines/2/sku", "not_found")], "{p}");
        let p = app.post("/api/v1/orders", Some(&s.token), json!({"lines": [{"sku": "NOPE", "quantity": "1"}]})).await.problem(422, "validation_failed");
        assert_eq!((p["errors"][0]["pointer"].as_str(), p["errors"][0]["code"].as_str()), (Some("/lines/0/sku"), Some("not_found")), "{p}");
        let p = app.post("/api/v1/orders", Some(&s.token), json!({"lines": [{"sku": "W-1", "product_id": book["id"], "quantity": "1"}]})).await.problem(422, "validation_failed");
        assert_eq!((p["errors"][0]["pointer"].as_str(), p["errors"][0]["code"].as_str()), (Some("/lines/0/sku"), Some("conflict")), "{p}");
        let g = app.gql(Some(&s.token), "mutation { createOrder(input: {lines: [{sku: \"B-1\", quantity: \"2\"}]}) { total { amount } lines { productId } } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["createOrder"]["lines"][0]["productId"], book["id"], "{g}");
        assert_eq!(g["data"]["createOrder"]["total"]["amount"], "5.03");
        // Negative quantity, unknown currency, totals sent by the client: 422.
        let bad = app.post("/api/v1/orders", Some(&s.token), json!({"lines": [{"product_id": widget["id"], "quantity": "-1"}]})).await.problem(422, "validation_failed");
        assert_eq!(bad["errors"][0]["pointer"], "/lines/0/quantity");
        let bad = app.post("/api/v1/orders", Some(&s.token), json!({"currency": "XYZ", "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]})).await.problem(422, "validation_failed");
        assert_eq!(bad["errors"][0]["pointer"], "/currency");
        app.post("/api/v1/orders", Some(&s.token), json!({"total": "1.00", "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]})).await.problem(422, "validation_failed");
        app.post("/api/v1/orders", Some(&s.token), json!({"lines": []})).await.problem(422, "validation_failed");
        // Status workflow.
        let path = format!("/api/v1/orders/{}", order["id"].as_str().unwrap());
        app.post(&format!("{path}/status"), Some(&s.token), json!({"status": "fulfilled"})).await.problem(409, "conflict");
        app.post(&format!("{path}/status"), Some(&s.token), json!({"status": "confirmed"})).await.ok(200);
        let done = app.post(&format!("{path}/status"), Some(&s.token), json!({"status": "fulfilled"})).await.ok(200);
        assert_eq!(done["status"], "fulfilled");
        // Invoice it and get paid.
        let inv = app.post("/api/v1/invoices", Some(&s.token), json!({"order_id": order["id"], "due_date": "2099-01-31"})).await.ok(201);
        assert_eq!(inv["number"], 1);
        assert_eq!(inv["status"], "issued");
        assert_eq!(inv["total"]["amount"], "81.82");
        assert_eq!(inv["order_id"], order["id"]);
        let ipath = format!("/api/v1/invoices/{}", inv["id"].as_str().unwrap());
        app.post(&format!("{ipath}/payments"), Some(&s.token), json!({"amount": "100"})).await.problem(422, "validation_failed");
        let part = app.post(&format!("{ipath}/payments"), Some(&s.token), json!({"amount": "50", "method": "bank_transfer"})).await.ok(200);
        assert_eq!(part["amount_paid"]["amount"], "50.00");
        assert_eq!(part["status"], "issued");
        let paid = app.post(&format!("{ipath}/payments"), Some(&s.token), json!({"amount": "31.82"})).await.ok(200);
        assert_eq!(paid["status"], "paid");
        // An issued invoice past due reads overdue.
        let late = app.post("/api/v1/invoices", Some(&s.token), json!({"currency": "EUR", "due_date": "2020-01-01", "lines": [{"description": "x", "quantity": "1", "unit_price": "10", "tax_rate": "19"}]})).await.ok(201);
        assert_eq!(late["status"], "overdue");
        assert_eq!(late["total"]["amount"], "11.90");
        assert_eq!(late["number"], 2);
        // Yen have no minor unit.
        let yen = app.post("/api/v1/orders", Some(&s.token), json!({"currency": "JPY", "lines": [{"description": "x", "quantity": "3", "unit_price": "333", "discount_percent": "10", "tax_rate": "10"}]})).await.ok(201);
        assert_eq!(yen["total"]["amount"], "989");
    }

    async fn fifty_concurrent_invoices_are_numbered_1_to_50(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let body = json!({"currency": "EUR", "lines": [{"description": "Service", "quantity": "1", "unit_price": "100"}]});
        let requests = (0..50).map(|_| app.post("/api/v1/invoices", Some(&s.token), body.clone()));
        let responses = futures_util::future::join_all(requests).await;
        let mut numbers: Vec<i64> = responses.iter().map(|r| r.ok(201)["number"].as_i64().unwrap()).collect();
        numbers.sort();
        assert_eq!(numbers, (1..=50).collect::<Vec<_>>());
        // Drafts get no number until issued; numbering continues without gaps.
        let draft = app.post("/api/v1/invoices", Some(&s.token), json!({"currency": "EUR", "issue": false, "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]})).await.ok(201);
        assert!(draft["number"].is_null());
        let issued = app.post(&format!("/api/v1/invoices/{}/status", draft["id"].as_str().unwrap()), Some(&s.token), json!({"status": "issued"})).await.ok(200);
        assert_eq!(issued["number"], 51);
        // Another organization counts from 1.
        let other = app.signup("Other", "admin@other.test").await;
        let first = app.post("/api/v1/invoices", Some(&other.token), body.clone()).await.ok(201);
        assert_eq!(first["number"], 1);
    }

    async fn erp_upserts_by_external_id(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let order = json!({"currency": "EUR", "status": "confirmed", "lines": [{"description": "Pump", "quantity": "2", "unit_price": "450", "tax_rate": "19"}]});
        let first = app.call("PUT", "/api/v1/orders/by-external-id/sap/4500012345", Some(&s.token), Some(order.clone())).await;
        assert_eq!(first.status, 201, "{}", first.text());
        let again = app.call("PUT", "/api/v1/orders/by-external-id/sap/4500012345", Some(&s.token), Some(order.clone())).await.ok(200);
        assert_eq!(again["id"], first.json()["id"]);
        assert_eq!(again["external_source"], "sap");
        assert_eq!(again["total"]["amount"], "1071.00");
        let changed = json!({"currency": "EUR", "lines": [{"description": "Pump", "quantity": "3", "unit_price": "450", "tax_rate": "19"}]});
        let replaced = app.call("PUT", "/api/v1/orders/by-external-id/sap/4500012345", Some(&s.token), Some(changed)).await.ok(200);
        assert_eq!(replaced["total"]["amount"], "1606.50");
        let listed = app.get("/api/v1/orders?external_id=4500012345", Some(&s.token)).await.ok(200);
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);
        // Another source system with the same id is another order.
        app.call("PUT", "/api/v1/orders/by-external-id/navision/4500012345", Some(&s.token), Some(order)).await.ok(201);
        // Products too.
        let product = json!({"sku": "P-9", "name": "Pump", "tax_rate": "19"});
        app.call("PUT", "/api/v1/products/by-external-id/sap/MAT-9", Some(&s.token), Some(product.clone())).await.ok(201);
        let p2 = app.call("PUT", "/api/v1/products/by-external-id/sap/MAT-9", Some(&s.token), Some(json!({"sku": "P-9", "name": "Pump v2", "tax_rate": "19"}))).await.ok(200);
        assert_eq!(p2["name"], "Pump v2");
        let products = app.get("/api/v1/products", Some(&s.token)).await.ok(200);
        assert_eq!(products["data"].as_array().unwrap().len(), 1);

        // Invoices: pushed twice, one invoice with one number; other amounts on an issued one: 409.
        let invoice = json!({"currency": "EUR", "lines": [{"description": "Pump", "quantity": "2", "unit_price": "450", "tax_rate": "19"}]});
        let i1 = app.call("PUT", "/api/v1/invoices/by-external-id/sap/90000001", Some(&s.token), Some(invoice.clone())).await;
        assert_eq!(i1.status, 201, "{}", i1.text());
        let i2 = app.call("PUT", "/api/v1/invoices/by-external-id/sap/90000001", Some(&s.token), Some(invoice)).await.ok(200);
        assert_eq!(i2["id"], i1.json()["id"]);
        assert_eq!(i2["number"], 1);
        let other_amounts = json!({"currency": "EUR", "lines": [{"description": "Pump", "quantity": "5", "unit_price": "450", "tax_rate": "19"}]});
        app.call("PUT", "/api/v1/invoices/by-external-id/sap/90000001", Some(&s.token), Some(other_amounts)).await.problem(409, "conflict");
        let invoices = app.get("/api/v1/invoices", Some(&s.token)).await.ok(200);
        assert_eq!(invoices["data"].as_array().unwrap().len(), 1);

        // Companies: pushed twice, one company, the second push's values win.
        let c1 = app.call("PUT", "/api/v1/companies/by-external-id/sap/KUNNR-1", Some(&s.token), Some(json!({"name": "Globex", "domain": "globex.com"}))).await;
        assert_eq!(c1.status, 201, "{}", c1.text());
        let c2 = app.call("PUT", "/api/v1/companies/by-external-id/sap/KUNNR-1", Some(&s.token), Some(json!({"name": "Globex AG", "industry": "Energy"}))).await.ok(200);
        assert_eq!(c2["id"], c1.json()["id"]);
        assert_eq!(c2["name"], "Globex AG");
        assert!(c2["domain"].is_null(), "a full replacement");
        assert_eq!(c2["external_source"], "sap");
        assert_eq!(c2["external_id"], "KUNNR-1");
        let companies = app.get("/api/v1/companies", Some(&s.token)).await.ok(200);
        assert_eq!(companies["data"].as_array().unwrap().len(), 1);
        app.call("PUT", "/api/v1/companies/by-external-id/sap/KUNNR-2", Some(&s.token), Some(json!({"name": ""}))).await.problem(422, "validation_failed");
    }

    async fn another_organization_sees_none_of_it(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let p = pipeline(app, &s).await;
        let d = app.post("/api/v1/deals", Some(&s.token), json!({"name": "secret"})).await.ok(201);
        let o = app.post("/api/v1/orders", Some(&s.token), json!({"currency": "EUR", "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]})).await.ok(201);
        let i = app.post("/api/v1/invoices", Some(&s.token), json!({"order_id": o["id"]})).await.ok(201);
        let other = app.signup("Other", "admin@other.test").await;
        let t = Some(other.token.as_str());
        app.get(&format!("/api/v1/deals/{}", d["id"].as_str().unwrap()), t).await.problem(404, "not_found");
        app.patch(&format!("/api/v1/deals/{}", d["id"].as_str().unwrap()), t, json!({"name": "x"})).await.problem(404, "not_found");
        app.get(&format!("/api/v1/pipelines/{}/board", p["id"].as_str().unwrap()), t).await.problem(404, "not_found");
        app.get(&format!("/api/v1/orders/{}", o["id"].as_str().unwrap()), t).await.problem(404, "not_found");
        app.get(&format!("/api/v1/invoices/{}", i["id"].as_str().unwrap()), t).await.problem(404, "not_found");
        app.post(&format!("/api/v1/invoices/{}/payments", i["id"].as_str().unwrap()), t, json!({"amount": "1"})).await.problem(404, "not_found");
        app.post("/api/v1/invoices", t, json!({"order_id": o["id"]})).await.problem(422, "validation_failed");
        assert_eq!(app.get("/api/v1/deals", t).await.ok(200)["data"].as_array().unwrap().len(), 0);
        assert_eq!(app.get("/api/v1/analytics/forecast", t).await.ok(200).as_array().unwrap().len(), 0);
    }

    async fn sales_records_have_the_write_safety_kit(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        pipeline(app, &s).await;
        let d = app.post("/api/v1/deals", Some(&s.token), json!({"name": "Kit"})).await.ok(201);
        let path = format!("/api/v1/deals/{}", d["id"].as_str().unwrap());
        app.patch(&path, Some(&s.token), json!({"name": "Kit 2"})).await.ok(200);
        let auth = format!("Bearer {}", s.token);
        app.raw("PATCH", &path, &[("authorization", &auth), ("content-type", "application/json"), ("if-match", "\"1\"")], br#"{"name":"stale"}"#.to_vec()).await.problem(412, "precondition_failed");
        app.delete(&path, Some(&s.token)).await.ok(204);
        app.get(&path, Some(&s.token)).await.problem(404, "not_found");
        app.post(&format!("{path}/restore"), Some(&s.token), json!({})).await.ok(200);
        let history = app.get(&format!("{path}/history"), Some(&s.token)).await.ok(200);
        let actions: Vec<&str> = history["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["restored", "deleted", "updated", "created"]);
        assert_eq!(history["data"][2]["changes"]["name"], json!({"before": "Kit", "after": "Kit 2"}));

        let p = app.post("/api/v1/products", Some(&s.token), json!({"sku": "K-1", "name": "Kit", "tax_rate": "7"})).await.ok(201);
        let ppath = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
        let replaced = app.call("PUT", &ppath, Some(&s.token), Some(json!({"sku": "K-1", "name": "Kit deluxe", "tax_rate": "19", "active": false}))).await.ok(200);
        assert_eq!(replaced["name"], "Kit deluxe");
        assert_eq!(replaced["active"], false);
        let stale = app.raw("PUT", &ppath, &[("authorization", &auth), ("content-type", "application/json"), ("if-match", "\"1\"")], br#"{"sku":"K-1","name":"x"}"#.to_vec()).await;
        stale.problem(412, "precondition_failed");
        app.delete(&ppath, Some(&s.token)).await.ok(204);
        app.get(&ppath, Some(&s.token)).await.problem(404, "not_found");
        app.post(&format!("{ppath}/restore"), Some(&s.token), json!({})).await.ok(200);
        assert_eq!(app.get(&format!("{ppath}/history"), Some(&s.token)).await.ok(200)["data"].as_array().unwrap().len(), 4);

        let o = app.post("/api/v1/orders", Some(&s.token), json!({"currency": "EUR", "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]})).await.ok(201);
        let opath = format!("/api/v1/orders/{}", o["id"].as_str().unwrap());
        app.post(&format!("{opath}/status"), Some(&s.token), json!({"status": "confirmed"})).await.ok(200);
        let oh = app.get(&format!("{opath}/history"), Some(&s.token)).await.ok(200);
        assert_eq!(oh["data"][0]["changes"]["status"], json!({"before": "draft", "after": "confirmed"}));

        // Another organization: 404 for every one of them.
        let other = app.signup("Other", "admin@other.test").await;
        for p in [format!("{path}/history"), format!("{ppath}/history"), format!("{opath}/history")] {
            app.get(&p, Some(&other.token)).await.problem(404, "not_found");
        }
        app.post(&format!("{path}/restore"), Some(&other.token), json!({})).await.problem(404, "not_found");
        app.delete(&ppath, Some(&other.token)).await.problem(404, "not_found");
        // Agents cannot delete.
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        app.delete(&ppath, Some(&agent.token)).await.problem(403, "forbidden");
        app.delete(&path, Some(&agent.token)).await.problem(403, "forbidden");
    }

    async fn order_lists_read_their_lines_in_one_statement(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        for i in 1..=6 {
            let lines: Vec<Value> = (1..=i)
                .map(|n| json!({"description": format!("Item {n}"), "quantity": "1", "unit_price": "2.50"}))
                .collect();
            app.post("/api/v1/orders", Some(&s.token), json!({"currency": "EUR", "lines": lines})).await.ok(201);
        }
        let mut counts = Vec::new();
        for limit in [2, 6] {
            let before = app.server().state.metrics.statements();
            let page = app.get(&format!("/api/v1/orders?limit={limit}&sort=created_at"), Some(&s.token)).await.ok(200);
            counts.push(app.server().state.metrics.statements() - before);
            let orders = page["data"].as_array().unwrap();
            assert_eq!(orders.len(), limit);
            for (i, o) in orders.iter().enumerate() {
                let lines = o["lines"].as_array().unwrap();
                assert_eq!(lines.len(), i + 1, "each order keeps its own lines, in order");
                assert_eq!(lines.last().unwrap()["description"], format!("Item {}", i + 1));
            }
        }
        assert_eq!(counts[0], counts[1], "statements for 2 and 6 orders: {counts:?}");
    }

    async fn overdue_invoices_are_found_by_their_status(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let mk = |due: &str| json!({"currency": "EUR", "due_date": due, "lines": [{"description": "x", "quantity": "1", "unit_price": "10"}]});
        let late = app.post("/api/v1/invoices", t, mk("2020-01-31")).await.ok(201);
        let open = app.post("/api/v1/invoices", t, mk("2099-01-31")).await.ok(201);
        assert_eq!(late["status"], "overdue");
        let ids = |page: &Value| page["data"].as_array().unwrap().iter().map(|d| d["id"].clone()).collect::<Vec<_>>();
        let overdue = app.get("/api/v1/invoices?status=overdue", t).await.ok(200);
        assert_eq!(ids(&overdue), vec![late["id"].clone()]);
        let issued = app.get("/api/v1/invoices?status=issued", t).await.ok(200);
        assert_eq!(ids(&issued), vec![open["id"].clone()]);
        let both = app.get("/api/v1/invoices?status[in]=issued,overdue", t).await.ok(200);
        assert_eq!(ids(&both).len(), 2);
    }

    async fn an_inactive_product_cannot_be_sold(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let p = app.post("/api/v1/products", t, json!({"sku": "OLD", "name": "Old", "active": false})).await.ok(201);
        for path in ["/api/v1/quotes", "/api/v1/orders", "/api/v1/invoices"] {
            let body = json!({"currency": "EUR", "lines": [{"product_id": p["id"], "quantity": "1", "unit_price": "5"}]});
            let problem = app.post(path, t, body).await.problem(422, "validation_failed");
            assert_eq!(problem["errors"][0]["pointer"], "/lines/0/product_id", "{problem}");
            assert_eq!(problem["errors"][0]["code"], "inactive", "{problem}");
        }
        let order = json!({"currency": "EUR", "lines": [{"product_id": p["id"], "quantity": "1", "unit_price": "5"}]});
        app.call("PUT", "/api/v1/orders/by-external-id/erp/1", t, Some(order)).await.problem(422, "validation_failed");
    }

    async fn concurrent_upserts_of_one_external_id_all_succeed_with_one_record(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let cases = [
            ("/api/v1/orders/by-external-id/sap/9001", json!({"currency": "EUR", "lines": [{"description": "x", "quantity": "1", "unit_price": "5"}]}), "SELECT COUNT(*) FROM sales_documents WHERE doc_type = 'order'"),
            ("/api/v1/invoices/by-external-id/sap/9002", json!({"currency": "EUR", "lines": [{"description": "x", "quantity": "1", "unit_price": "5"}]}), "SELECT COUNT(*) FROM sales_documents WHERE doc_type = 'invoice'"),
            ("/api/v1/products/by-external-id/sap/9003", json!({"sku": "P-9003", "name": "Pump"}), "SELECT COUNT(*) FROM products"),
            ("/api/v1/companies/by-external-id/sap/9004", json!({"name": "Globex"}), "SELECT COUNT(*) FROM companies"),
        ];
        for (path, body, count_sql) in cases {
            let pushes = (0..12).map(|_| app.call("PUT", path, t, Some(body.clone())));
            let answers = futures_util::future::join_all(pushes).await;
            let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
            assert!(statuses.iter().all(|s| *s == 200 || *s == 201), "{path}: {statuses:?} {}", answers.iter().map(|r| r.text()).collect::<Vec<_>>().join(" | "));
            assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{path}: {statuses:?}");
            let ids: std::collections::HashSet<_> = answers.iter().map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect();
            assert_eq!(ids.len(), 1, "{path}");
            use sea_orm::ConnectionTrait;
            let row = app.db.query_one_raw(sea_orm::Statement::from_string(app.db.get_database_backend(), count_sql)).await.unwrap().unwrap();
            assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 1, "{path}");
        }
    }
}
