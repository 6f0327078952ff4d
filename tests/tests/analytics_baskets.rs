//! Cross-sell (`GET /api/v1/analytics/cross-sell`, `crossSellRules`) and recommendations
//! (`GET /api/v1/analytics/recommendations`, `productRecommendations`): association rules and
//! item-based cosine similarities computed by hand here from known orders, on both engines.

use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};

const PERIOD: &str = "from=2026-01-01&to=2026-07-01&reference_date=2026-07-01";

/// Products P(ump), S(eal), V(alve), G(asket) and companies C1 to C4, created in that order;
/// seven orders with products and a cancelled one (left out):
/// C1: {P, S}, {P}; C2: {P, S, V}; C3: {V, G}, {G}; C4: {S}, {P, G}.
async fn seed(app: &TestApp, s: &Session) -> (Vec<Value>, Vec<Value>) {
    let t = Some(s.token.as_str());
    let mut products = Vec::new();
    for (sku, name) in [
        ("P", "Pump"),
        ("S", "Seal"),
        ("V", "Valve"),
        ("G", "Gasket"),
    ] {
        products.push(
            app.post("/api/v1/products", t, json!({"sku": sku, "name": name}))
                .await
                .ok(201),
        );
    }
    let mut companies = Vec::new();
    for name in ["C1", "C2", "C3", "C4"] {
        companies.push(
            app.post("/api/v1/companies", t, json!({"name": name}))
                .await
                .ok(201),
        );
    }
    let (p, s_, v, g) = (0, 1, 2, 3);
    let orders: [(usize, &[usize], &str); 8] = [
        (0, &[p, s_], "2026-01-05"),
        (0, &[p], "2026-02-05"),
        (1, &[p, s_, v], "2026-02-10"),
        (2, &[v, g], "2026-03-01"),
        (2, &[g], "2026-03-20"),
        (3, &[s_], "2026-04-02"),
        (3, &[p, g], "2026-05-02"),
        (1, &[p, g], "2026-05-03"),
    ];
    for (i, (company, items, day)) in orders.iter().enumerate() {
        let lines: Vec<Value> = items.iter().map(|k| json!({"product_id": products[*k]["id"], "quantity": "1", "unit_price": "10", "tax_rate": "19"})).collect();
        let order = app
            .post("/api/v1/orders", t, json!({"currency": "EUR", "company_id": companies[*company]["id"], "ordered_at": format!("{day}T10:00:00Z"), "lines": lines}))
            .await
            .ok(201);
        if i == 7 {
            app.post(
                &format!("/api/v1/orders/{}/status", order["id"].as_str().unwrap()),
                t,
                json!({"status": "cancelled"}),
            )
            .await
            .ok(200);
        }
    }
    (products, companies)
}

fn near(v: &Value, want: f64) -> bool {
    (v.as_f64().unwrap() - want).abs() < 1e-12
}

dual! {
    async fn association_rules_and_recommendations_match_the_hand_computed_ones(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        let (products, companies) = seed(app, &s).await;
        let id = |v: &Value| v["id"].clone();

        // Orders holding each: P 4, S 3, V 2, G 3 of 7; together: P+S 2, P+V 1, S+V 1, V+G 1,
        // P+G 1. With lift at least 1, six rules, all of lift 7/6.
        let r = app.get(&format!("/api/v1/analytics/cross-sell?{PERIOD}"), t).await.ok(200);
        assert_eq!(r["scope"]["orders"], 7);
        assert_eq!(r["scope"]["subject"], "products");
        assert_eq!(r["row_count"], 6, "{r}");
        let first = &r["items"][0];
        assert_eq!(first["antecedent_id"], id(&products[1]));
        assert_eq!(first["antecedent_name"], "Seal");
        assert_eq!(first["consequent_id"], id(&products[0]));
        assert_eq!(first["consequent_name"], "Pump");
        assert_eq!((first["antecedent_orders"].clone(), first["consequent_orders"].clone(), first["both_orders"].clone()), (json!(3), json!(4), json!(2)));
        assert!(near(&first["support"], 2.0 / 7.0) && near(&first["confidence"], 2.0 / 3.0) && near(&first["lift"], 7.0 / 6.0), "{first}");
        // Then P -> S (confidence 1/2, support 2/7) before V -> S and V -> G (support 1/7).
        assert_eq!(r["items"][1]["antecedent_name"], "Pump");
        assert_eq!(r["items"][1]["consequent_name"], "Seal");
        for rule in r["items"].as_array().unwrap() {
            assert!(near(&rule["lift"], 7.0 / 6.0), "{rule}");
        }
        // No lift floor: the P/V and P/G rules too (lift 7/8 and 7/12).
        let all = app.get(&format!("/api/v1/analytics/cross-sell?{PERIOD}&min_lift=0"), t).await.ok(200);
        assert_eq!(all["row_count"], 10);
        let strict = app.get(&format!("/api/v1/analytics/cross-sell?{PERIOD}&min_confidence=0.6"), t).await.ok(200);
        assert_eq!(strict["row_count"], 1);
        let csv = app.get(&format!("/api/v1/analytics/cross-sell?{PERIOD}&format=csv&limit=1"), t).await;
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        assert_eq!(csv.text().lines().count(), 7, "{}", csv.text());

        // Customers: C1 {P, S}, C2 {P, S, V}, C3 {V, G}, C4 {S, P, G}. Buyers: P 3, S 3, V 2,
        // G 2; together P+S 3, and 1 each for P+V, S+V, P+G, S+G, V+G. Cosine: P~S 1,
        // V~G 1/2, the others 1/sqrt(6).
        let k = 1.0 / 6f64.sqrt();
        let rec = app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}"), t).await.ok(200);
        assert_eq!(rec["row_count"], 4);
        assert_eq!(rec["top"], 5);
        let order: Vec<Value> = rec["items"].as_array().unwrap().iter().map(|c| c["name"].clone()).collect();
        assert_eq!(order, vec![json!("C2"), json!("C4"), json!("C1"), json!("C3")]);
        // C2 lacks only G: 1/sqrt(6) from P and S, 1/2 from V, which leads.
        let c2 = &rec["items"][0];
        assert_eq!(c2["products_bought"], 3);
        assert_eq!(c2["recommendations"].as_array().unwrap().len(), 1);
        let g = &c2["recommendations"][0];
        assert_eq!(g["product_id"], id(&products[3]));
        assert_eq!(g["name"], "Gasket");
        assert!(near(&g["score"], 2.0 * k + 0.5), "{g}");
        assert_eq!(g["because"][0]["name"], "Valve");
        assert!(near(&g["because"][0]["similarity"], 0.5));
        assert_eq!(g["because"].as_array().unwrap().len(), 3);
        // C1 lacks V and G, each 2/sqrt(6): ties go by product id, V first.
        let c1 = &rec["items"][2];
        let names: Vec<Value> = c1["recommendations"].as_array().unwrap().iter().map(|r| r["name"].clone()).collect();
        assert_eq!(names, vec![json!("Valve"), json!("Gasket")]);
        assert!(near(&c1["recommendations"][0]["score"], 2.0 * k));

        // One customer, one recommendation.
        let one = app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}&customer_id={}&top=1", companies[0]["id"].as_str().unwrap()), t).await.ok(200);
        assert_eq!(one["row_count"], 1);
        assert_eq!(one["items"][0]["id"], id(&companies[0]));
        assert_eq!(one["items"][0]["recommendations"].as_array().unwrap().len(), 1);

        // The same over GraphQL.
        let q = "{ crossSellRules(from: \"2026-01-01\", to: \"2026-07-01\", referenceDate: \"2026-07-01\") { rowCount items { antecedentName consequentName bothOrders lift } } \
                 productRecommendations(from: \"2026-01-01\", to: \"2026-07-01\", referenceDate: \"2026-07-01\", top: 1) { rowCount items { name recommendations { name score because { name similarity } } } } }";
        let gq = app.gql(t, q, json!({})).await.ok(200);
        let rules = &gq["data"]["crossSellRules"];
        assert_eq!(rules["rowCount"], 6);
        assert_eq!(rules["items"][0]["antecedentName"], "Seal");
        assert_eq!(rules["items"][0]["bothOrders"], 2);
        let recs = &gq["data"]["productRecommendations"];
        assert_eq!(recs["rowCount"], 4);
        assert_eq!(recs["items"][0]["name"], "C2");
        assert_eq!(recs["items"][0]["recommendations"][0]["name"], "Gasket");
        assert_eq!(recs["items"][0]["recommendations"][0]["because"][0]["name"], "Valve");

        // Another organization sees nothing of it.
        let other = app.signup("Globex", "bob@globex.test").await;
        let none = app.get(&format!("/api/v1/analytics/cross-sell?{PERIOD}"), Some(&other.token)).await.ok(200);
        assert_eq!(none["row_count"], 0);
        let none = app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}&customer_id={}", companies[0]["id"].as_str().unwrap()), Some(&other.token)).await.ok(200);
        assert_eq!(none["row_count"], 0);
    }

    async fn cross_sell_parameters_are_checked(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        for (path, query, pointer) in [
            ("cross-sell", "min_support=2", "/min_support"),
            ("cross-sell", "min_confidence=-1", "/min_confidence"),
            ("cross-sell", "min_lift=x", "/min_lift"),
            ("cross-sell", "limit=1001", "/limit"),
            ("recommendations", "subject=products", "/subject"),
            ("recommendations", "top=0", "/top"),
            ("recommendations", "top=51", "/top"),
            ("recommendations", "customer_id=nope", "/customer_id"),
            // Another report's parameter is not this one's.
            ("cross-sell", "subject=companies", "/subject"),
            ("recommendations", "min_lift=1", "/min_lift"),
            ("abc", "top=3", "/top"),
        ] {
            let p = app.get(&format!("/api/v1/analytics/{path}?{PERIOD}&{query}"), t).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{path}?{query}: {p}");
        }
        let g = app.gql(t, "{ productRecommendations(top: 0) { rowCount } }", json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "validation_failed", "{g}");
        app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}&format=csv"), t).await.problem(422, "validation_failed");
    }

    async fn recommendations_sort_and_filter_their_customers(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        seed(app, &s).await;
        let all = app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}"), t).await.ok(200);
        let every = all["items"].as_array().unwrap().clone();
        assert!(every.len() >= 3, "{all}");
        let name = |i: &Value| i["name"].as_str().unwrap().to_owned();

        // A page of the list: the same customers with the same recommendations as in the whole.
        let r = app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}&offset=1&limit=2"), t).await.ok(200);
        assert_eq!(r["items"], json!(every[1..3]));
        assert_eq!(r["row_count"], every.len());

        // By products bought, most first, ties by name descending; the recommendations stay.
        let r = app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}&sort=-products_bought,-name"), t).await.ok(200);
        let mut want = every.clone();
        want.sort_by(|a, b| b["products_bought"].as_i64().cmp(&a["products_bought"].as_i64()).then(name(b).cmp(&name(a))));
        assert_eq!(r["items"], json!(want));
        assert_eq!(r["row_count"], every.len());

        // Filtered: row_count counts the matches, the page is cut after.
        let r = app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}&products_bought[gte]=3&sort=name&limit=1"), t).await.ok(200);
        let mut want: Vec<Value> = every.iter().filter(|i| i["products_bought"].as_i64().unwrap() >= 3).cloned().collect();
        want.sort_by_key(name);
        assert!(!want.is_empty());
        assert_eq!(r["row_count"], want.len(), "{r}");
        assert_eq!(r["items"], json!(want[..1]));
        let r = app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}&name[in]=C1,C3"), t).await.ok(200);
        let want: Vec<Value> = every.iter().filter(|i| ["C1", "C3"].contains(&i["name"].as_str().unwrap())).cloned().collect();
        assert_eq!(r["items"], json!(want));

        // GraphQL: the same.
        let g = app.gql(t, r#"{ productRecommendations(from: "2026-01-01", to: "2026-07-01", referenceDate: "2026-07-01", sort: [{field: "productsBought", descending: true}, {field: "name", descending: true}], filter: [{field: "name", op: STARTS_WITH, value: "c"}]) { rowCount items { name productsBought } } }"#, json!({})).await.ok(200);
        let r = app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}&sort=-products_bought,-name&name[starts_with]=c"), t).await.ok(200);
        let rest: Vec<(String, i64)> = r["items"].as_array().unwrap().iter().map(|i| (name(i), i["products_bought"].as_i64().unwrap())).collect();
        let graph: Vec<(String, i64)> = g["data"]["productRecommendations"]["items"].as_array().unwrap().iter().map(|i| (name(i), i["productsBought"].as_i64().unwrap())).collect();
        assert_eq!(graph, rest, "{g}");
        assert_eq!(g["data"]["productRecommendations"]["rowCount"], r["row_count"]);

        // Fields the customers do not have, and operators their fields do not take.
        for (query, pointer) in [("sort=score", "/sort"), ("score[gt]=1", "/score"), ("products_bought[contains]=1", "/products_bought"), ("products_bought=many", "/products_bought")] {
            let p = app.get(&format!("/api/v1/analytics/recommendations?{PERIOD}&{query}"), t).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{query}: {p}");
        }
    }
}
