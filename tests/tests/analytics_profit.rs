//! Profitability (`GET /api/v1/analytics/profitability`, `profitabilityAnalysis`) and the
//! historical lifetime value's margin: cost prices on products (in any currency, converted at
//! the order day's rate), the cost of an activity per kind in the settings, and the customers
//! who cost more than they bring, computed by hand here on both engines.

use crm_tests::dual;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const PERIOD: &str = "from=2026-01-01&to=2026-07-01&reference_date=2026-07-01";

fn by_name<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap()
}

dual! {
    async fn profitability_subtracts_cost_of_goods_and_cost_to_serve(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        // Cost prices: P1 60 EUR, P2 30 USD (0.5 EUR on the order day), P3 none.
        let p1 = app.post("/api/v1/products", t, json!({"sku": "P1", "name": "Pump", "cost_price": {"amount": "60", "currency": "EUR"}})).await.ok(201);
        assert_eq!(p1["cost_price"], json!({"amount": "60.00", "currency": "EUR"}));
        let p2 = app.post("/api/v1/products", t, json!({"sku": "P2", "name": "Valve", "cost_price": {"amount": "30", "currency": "usd"}})).await.ok(201);
        let p3 = app.post("/api/v1/products", t, json!({"sku": "P3", "name": "Seal"})).await.ok(201);
        assert!(p3["cost_price"].is_null());
        app.call("PUT", "/api/v1/exchange-rates", t, Some(json!({"rates": [{"currency": "USD", "date": "2026-02-10", "rate": "0.5"}]}))).await.ok(200);
        let settings = app.call("PUT", "/api/v1/analytics/settings", t, Some(json!({"activity_costs": {"call": "5", "meeting": "50.00"}}))).await.ok(200);
        assert_eq!(settings["activity_costs"], json!({"call": "5", "meeting": "50"}));

        let mut co = Vec::new();
        for name in ["A", "B", "C"] {
            co.push(app.post("/api/v1/companies", t, json!({"name": name})).await.ok(201));
        }
        let line = |p: &Value, qty: &str, price: &str| json!({"product_id": p["id"], "quantity": qty, "unit_price": price, "tax_rate": "19"});
        // A: 2 x P1 at 100, 1 x P2 at 80, a service of 20 (no product): revenue 300, cost of
        // goods 2 x 60 + 30 x 0.5 = 135, one line without a cost.
        app.post("/api/v1/orders", t, json!({"currency": "EUR", "company_id": co[0]["id"], "ordered_at": "2026-02-10T10:00:00Z", "lines": [
            line(&p1, "2", "100"), line(&p2, "1", "80"), {"description": "Service", "quantity": "1", "unit_price": "20", "tax_rate": "19"}
        ]})).await.ok(201);
        // B: 1 x P3 at 50, no cost price.
        app.post("/api/v1/orders", t, json!({"currency": "EUR", "company_id": co[1]["id"], "ordered_at": "2026-03-01T10:00:00Z", "lines": [line(&p3, "1", "50")]})).await.ok(201);
        // Activities: A 2 calls (10); B 3 calls and a meeting (65); C a meeting and a note (50;
        // notes cost nothing). Left out: a call before the period, a deleted meeting, a call
        // with a contact only.
        let activity = |kind: &str, company: Option<&Value>, day: &str| {
            let mut body = json!({"kind": kind, "subject": "Touch", "occurred_at": format!("{day}T09:00:00Z")});
            if let Some(c) = company {
                body["company_id"] = c["id"].clone();
            }
            body
        };
        for (kind, c, day) in [("call", 0, "2026-01-15"), ("call", 0, "2026-04-15"), ("call", 1, "2026-02-01"), ("call", 1, "2026-02-02"), ("call", 1, "2026-02-03"), ("meeting", 1, "2026-05-05"), ("meeting", 2, "2026-03-03"), ("note", 2, "2026-03-04"), ("call", 2, "2025-12-31")] {
            app.post("/api/v1/activities", t, activity(kind, Some(&co[c]), day)).await.ok(201);
        }
        let gone = app.post("/api/v1/activities", t, activity("meeting", Some(&co[0]), "2026-03-03")).await.ok(201);
        app.delete(&format!("/api/v1/activities/{}", gone["id"].as_str().unwrap()), t).await;
        app.post("/api/v1/activities", t, activity("call", None, "2026-03-03")).await.ok(201);

        let r = app.get(&format!("/api/v1/analytics/profitability?{PERIOD}"), t).await.ok(200);
        assert_eq!(r["row_count"], 3, "{r}");
        // A's order has lines of three cost currencies (EUR, USD, none): counted once.
        assert_eq!((r["scope"]["orders"].as_i64(), r["scope"]["orders_without_rate"].as_i64()), (Some(2), Some(0)), "{r}");
        let names: Vec<&Value> = r["items"].as_array().unwrap().iter().map(|i| &i["name"]).collect();
        assert_eq!(names, vec!["C", "B", "A"], "lowest profit first");
        let a = by_name(&r, "A");
        assert_eq!((a["revenue"].as_str(), a["cost_of_goods"].as_str(), a["gross_margin"].as_str()), (Some("300.00"), Some("135.00"), Some("165.00")), "{a}");
        assert_eq!(a["uncosted_lines"], 1);
        assert_eq!(a["activities"], json!({"call": 2}));
        assert_eq!((a["cost_to_serve"].as_str(), a["profit"].as_str()), (Some("10.00"), Some("155.00")));
        assert!((a["profit_ratio"].as_f64().unwrap() - 155.0 / 300.0).abs() < 1e-12);
        let b = by_name(&r, "B");
        assert_eq!((b["revenue"].as_str(), b["cost_of_goods"].as_str(), b["cost_to_serve"].as_str(), b["profit"].as_str()), (Some("50.00"), Some("0.00"), Some("65.00"), Some("-15.00")), "{b}");
        assert_eq!(b["activities"], json!({"call": 3, "meeting": 1}));
        let c = by_name(&r, "C");
        assert_eq!((c["revenue"].as_str(), c["cost_to_serve"].as_str(), c["profit"].as_str()), (Some("0.00"), Some("50.00"), Some("-50.00")), "{c}");
        assert!(c["profit_ratio"].is_null());
        assert_eq!(r["unprofitable"], 2);
        assert_eq!(r["unprofitable_loss"], "65.00");
        assert_eq!(r["activity_costs"], json!({"call": "5", "meeting": "50"}));

        let only = app.get(&format!("/api/v1/analytics/profitability?{PERIOD}&unprofitable=true&limit=1"), t).await.ok(200);
        assert_eq!(only["row_count"], 2);
        assert_eq!(only["items"].as_array().unwrap().len(), 1);
        let csv = app.get(&format!("/api/v1/analytics/profitability?{PERIOD}&format=csv"), t).await;
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        assert!(csv.text().contains(",A,300.00,135.00,1,165.00,2,10.00,155.00,"), "{}", csv.text());

        // The historical lifetime value is the margin to date.
        let clv = app.get(&format!("/api/v1/analytics/clv?{PERIOD}"), t).await.ok(200);
        let a = by_name(&clv, "A");
        assert_eq!((a["revenue"].as_str(), a["cost_of_goods"].as_str(), a["margin"].as_str()), (Some("300.00"), Some("135.00"), Some("165.00")), "{a}");

        // Over GraphQL.
        let g = app.gql(t, "{ profitabilityAnalysis(from: \"2026-01-01\", to: \"2026-07-01\", referenceDate: \"2026-07-01\", unprofitable: true) { rowCount unprofitable unprofitableLoss items { name profit activities } } }", json!({})).await.ok(200);
        let gp = &g["data"]["profitabilityAnalysis"];
        assert_eq!(gp["rowCount"], 2, "{g}");
        assert_eq!(gp["items"][0]["name"], "C");
        assert_eq!(gp["items"][0]["profit"], "-50.00");

        // A product's cost price is replaced and cleared with the product.
        let id = p1["id"].as_str().unwrap();
        let replaced = app.call("PUT", &format!("/api/v1/products/{id}"), t, Some(json!({"sku": "P1", "name": "Pump"}))).await.ok(200);
        assert!(replaced["cost_price"].is_null(), "{replaced}");
    }

    async fn a_line_keeps_the_cost_of_its_sale(app: &TestApp) {
        // The cost of goods of a sale is the cost when it was sold: a product's later cost
        // price does not change past margins; an ERP may send a line's cost itself.
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        let pump = app.post("/api/v1/products", t, json!({"sku": "P1", "name": "Pump", "cost_price": {"amount": "60", "currency": "EUR"}})).await.ok(201);
        let pump_path = format!("/api/v1/products/{}", pump["id"].as_str().unwrap());
        app.call("PUT", "/api/v1/exchange-rates", t, Some(json!({"rates": [{"currency": "USD", "date": "2026-04-01", "rate": "0.5"}]}))).await.ok(200);
        let co = app.post("/api/v1/companies", t, json!({"name": "A"})).await.ok(201);
        let order = |day: &str, lines: Value| json!({"currency": "EUR", "company_id": co["id"], "ordered_at": format!("{day}T10:00:00Z"), "lines": lines});
        let line = json!({"product_id": pump["id"], "quantity": "2", "unit_price": "100"});
        // February at 60; March at 80 after the cost price changed.
        let feb = app.post("/api/v1/orders", t, order("2026-02-10", json!([line]))).await.ok(201);
        assert_eq!(feb["lines"][0]["unit_cost"], json!({"amount": "60.00", "currency": "EUR"}), "{feb}");
        app.call("PUT", &pump_path, t, Some(json!({"sku": "P1", "name": "Pump", "cost_price": {"amount": "80", "currency": "EUR"}}))).await.ok(200);
        let mar = app.post("/api/v1/orders", t, order("2026-03-10", json!([line]))).await.ok(201);
        assert_eq!(mar["lines"][0]["unit_cost"]["amount"], "80.00");
        // April: a service whose cost the ERP sends (10 USD = 5 EUR that day), and the pump
        // at a cost sent with the line instead of its cost price.
        let apr = app.post("/api/v1/orders", t, order("2026-04-01", json!([
            {"description": "Install", "quantity": "1", "unit_price": "50", "unit_cost": {"amount": "10", "currency": "usd"}},
            {"product_id": pump["id"], "quantity": "1", "unit_price": "100", "unit_cost": {"amount": "55", "currency": "EUR"}}
        ]))).await.ok(201);
        assert_eq!(apr["lines"][0]["unit_cost"], json!({"amount": "10.00", "currency": "USD"}));
        assert_eq!(apr["lines"][1]["unit_cost"]["amount"], "55.00");
        // Costs: 2 x 60 + 2 x 80 + 10 x 0.5 + 55 = 340; revenue 200 + 200 + 50 + 100 = 550.
        let want = (Some("550.00"), Some("340.00"), Some("210.00"));
        let profit = || async {
            let r = app.get(&format!("/api/v1/analytics/profitability?{PERIOD}"), t).await.ok(200);
            let a = by_name(&r, "A").clone();
            assert_eq!(a["uncosted_lines"], 0, "{a}");
            a
        };
        let a = profit().await;
        assert_eq!((a["revenue"].as_str(), a["cost_of_goods"].as_str(), a["gross_margin"].as_str()), want, "{a}");
        // The cost price cleared: past sales keep their costs, here and in the lifetime value.
        app.call("PUT", &pump_path, t, Some(json!({"sku": "P1", "name": "Pump"}))).await.ok(200);
        let a = profit().await;
        assert_eq!((a["revenue"].as_str(), a["cost_of_goods"].as_str(), a["gross_margin"].as_str()), want, "{a}");
        let clv = app.get(&format!("/api/v1/analytics/clv?{PERIOD}"), t).await.ok(200);
        let c = by_name(&clv, "A");
        assert_eq!((c["revenue"].as_str(), c["cost_of_goods"].as_str(), c["margin"].as_str()), want, "{c}");
        // An invoice of an order copies its lines' costs.
        let inv = app.post("/api/v1/invoices", t, json!({"order_id": feb["id"], "due_date": "2099-01-31"})).await.ok(201);
        assert_eq!(inv["lines"][0]["unit_cost"], feb["lines"][0]["unit_cost"], "{inv}");
        // Over GraphQL.
        let g = app.gql(t, "query($id: ID!) { salesDocument(kind: ORDER, id: $id) { lines { unitCost { amount currency } } } }", json!({"id": apr["id"]})).await.ok(200);
        assert_eq!(g["data"]["salesDocument"]["lines"][1]["unitCost"], json!({"amount": "55.00", "currency": "EUR"}), "{g}");

        // A line written before lines kept their cost is costed at its product's cost price
        // now (none: uncosted).
        let db = &app.db;
        db.execute_unprepared("UPDATE document_lines SET unit_cost = NULL, cost_currency = NULL WHERE description = 'Pump'").await.unwrap();
        let r = app.get(&format!("/api/v1/analytics/profitability?{PERIOD}"), t).await.ok(200);
        let a = by_name(&r, "A");
        assert_eq!((a["cost_of_goods"].as_str(), a["uncosted_lines"].as_i64()), (Some("5.00"), Some(3)), "{a}");
        app.call("PUT", &pump_path, t, Some(json!({"sku": "P1", "name": "Pump", "cost_price": {"amount": "70", "currency": "EUR"}}))).await.ok(200);
        let a = profit().await;
        assert_eq!(a["cost_of_goods"], "355.00", "{a}");

        // A bad cost names its line.
        let p = app.post("/api/v1/orders", t, order("2026-04-02", json!([{"description": "x", "quantity": "1", "unit_price": "1", "unit_cost": {"amount": "-1", "currency": "EUR"}}]))).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/lines/0/unit_cost/amount", "{p}");
    }

    async fn cost_prices_and_activity_costs_are_checked(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        for (cost, pointer) in [
            (json!({"amount": "-1", "currency": "EUR"}), "/cost_price/amount"),
            (json!({"amount": "1.005", "currency": "EUR"}), "/cost_price/amount"),
            (json!({"amount": "1", "currency": "EURO"}), "/cost_price/currency"),
        ] {
            let p = app.post("/api/v1/products", t, json!({"sku": "X", "name": "X", "cost_price": cost})).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{p}");
        }
        for (costs, pointer) in [
            (json!({"Call!": "1"}), "/activity_costs/Call!"),
            (json!({"call": "-1"}), "/activity_costs/call"),
            (json!({"call": "x"}), "/activity_costs/call"),
        ] {
            let p = app.call("PUT", "/api/v1/analytics/settings", t, Some(json!({"activity_costs": costs}))).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{p}");
        }
        let p = app.get(&format!("/api/v1/analytics/profitability?{PERIOD}&subject=products"), t).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/subject");
        let p = app.get(&format!("/api/v1/analytics/profitability?{PERIOD}&unprofitable=maybe"), t).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/unprofitable");
        // Only admins set costs.
        let agent = app.member(&s, "agent", "al@acme.test").await;
        app.call("PUT", "/api/v1/analytics/settings", Some(&agent.token), Some(json!({"activity_costs": {}}))).await.problem(403, "forbidden");
    }
}
