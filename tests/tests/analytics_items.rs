//! Sorting and filtering a report's items (ABC, XYZ, RFM, lifetime value, profitability):
//! `sort=` and `field[op]=value` over REST, `sort:` and `filter:` over GraphQL, checked against
//! the whole report filtered and sorted here, with the page cut after them, CSV following
//! them, and bad fields, operators and values answered as 422s naming them, on both engines.

use chrono::{Datelike, Months, Utc};
use crm_tests::{Session, TestApp, dual};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

/// Companies (name, amounts of their orders, one a month back from last month).
const COMPANIES: [(&str, &[&str]); 8] = [
    ("Alpha", &["1000", "1000", "1000"]),
    ("Bravo", &["2500"]),
    ("Charlie", &["300", "310", "290", "305"]),
    ("Delta", &["80"]),
    ("Echo", &["700", "10"]),
    ("Foxtrot", &["2500"]),
    ("Golf", &["45", "45"]),
    ("Hotel", &["1200", "800", "1000"]),
];

async fn seed(app: &TestApp, s: &Session) {
    let t = Some(s.token.as_str());
    let first = Utc::now().date_naive().with_day(1).unwrap();
    for (name, amounts) in COMPANIES {
        let c = app
            .post("/api/v1/companies", t, json!({"name": name}))
            .await
            .ok(201);
        for (k, amount) in amounts.iter().enumerate() {
            let on = first - Months::new(k as u32 + 1) + chrono::Days::new(3);
            app.post(
                "/api/v1/orders",
                t,
                json!({"currency": "EUR", "company_id": c["id"], "ordered_at": format!("{on}T10:00:00Z"),
                       "lines": [{"description": "Service", "quantity": "1", "unit_price": amount, "tax_rate": "19"}]}),
            )
            .await
            .ok(201);
        }
    }
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap()).unwrap()
}

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

dual! {
    async fn report_items_sort_and_filter_like_lists(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        seed(app, &s).await;
        let all = app.get("/api/v1/analytics/abc?subject=companies", t).await.ok(200);
        assert_eq!(all["row_count"], 8);
        let every = all["items"].as_array().unwrap().clone();

        // Sorted by name; the same report otherwise (classes, totals over every item).
        let by_name = app.get("/api/v1/analytics/abc?subject=companies&sort=name", t).await.ok(200);
        let mut expected = names(&all["items"]);
        expected.sort();
        assert_eq!(names(&by_name["items"]), expected);
        assert_eq!(by_name["classes"], all["classes"]);
        assert_eq!(by_name["total_revenue"], all["total_revenue"]);

        // Revenue ties (Bravo, Foxtrot: 2500) keep the report's order (by id) whichever way.
        let up = app.get("/api/v1/analytics/abc?subject=companies&sort=revenue", t).await.ok(200);
        let mut asc = every.clone();
        asc.sort_by_key(|i| dec(&i["revenue"]));
        assert_eq!(names(&up["items"]), names(&json!(asc)));
        let down = app.get("/api/v1/analytics/abc?subject=companies&sort=-revenue,-name", t).await.ok(200);
        let mut desc = every.clone();
        desc.sort_by(|a, b| dec(&b["revenue"]).cmp(&dec(&a["revenue"])).then(b["name"].as_str().cmp(&a["name"].as_str())));
        assert_eq!(names(&down["items"]), names(&json!(desc)));

        // Filters: by class, by a decimal bound (by value, not as text: "700.00" < "1000"),
        // by text, by a list; row_count counts the matches, the page is cut after them.
        let a = app.get("/api/v1/analytics/abc?subject=companies&class=A", t).await.ok(200);
        let want: Vec<&Value> = every.iter().filter(|i| i["class"] == "A").collect();
        assert_eq!(a["row_count"], want.len() as i64);
        assert_eq!(names(&a["items"]), names(&json!(want)));
        let big = app.get("/api/v1/analytics/abc?subject=companies&revenue[gte]=710&sort=name&limit=2&offset=1", t).await.ok(200);
        let mut want: Vec<String> = every.iter().filter(|i| dec(&i["revenue"]) >= Decimal::from(710)).map(|i| i["name"].as_str().unwrap().to_owned()).collect();
        want.sort();
        assert_eq!(big["row_count"], want.len() as i64, "{big}");
        assert_eq!(names(&big["items"]), want[1..3].to_vec());
        let text = app.get("/api/v1/analytics/abc?subject=companies&name[starts_with]=h&sort=name", t).await.ok(200);
        assert_eq!(names(&text["items"]), vec!["Hotel"]);
        let listed = app.get("/api/v1/analytics/abc?subject=companies&name[in]=Golf,Delta&sort=-name", t).await.ok(200);
        assert_eq!(names(&listed["items"]), vec!["Golf", "Delta"]);
        let none = app.get("/api/v1/analytics/abc?subject=companies&revenue[gt]=1000000", t).await.ok(200);
        assert_eq!((none["row_count"].clone(), none["items"].as_array().unwrap().len()), (json!(0), 0));

        // CSV follows the filters and the sort.
        let csv = app.get("/api/v1/analytics/abc?subject=companies&format=csv&class=C&sort=name", t).await;
        assert_eq!(csv.status, 200);
        let rows: Vec<String> = csv.text().lines().skip(1).map(|l| l.to_owned()).collect();
        let mut want: Vec<String> = every.iter().filter(|i| i["class"] == "C").map(|i| i["name"].as_str().unwrap().to_owned()).collect();
        want.sort();
        assert_eq!(rows.len(), want.len(), "{rows:?}");
        for (row, name) in rows.iter().zip(&want) {
            assert!(row.contains(name.as_str()), "{row} / {name}");
        }

        // XYZ: the steadiest by their coefficient; RFM by segment and score; profitability and
        // lifetime value by their own fields.
        let xyz = app.get("/api/v1/analytics/xyz?subject=companies&limit=100", t).await.ok(200);
        let steady = app.get("/api/v1/analytics/xyz?subject=companies&cv[lte]=1.8&sort=-cv", t).await.ok(200);
        let mut want: Vec<&Value> = xyz["items"].as_array().unwrap().iter().filter(|i| i["cv"].as_f64().is_some_and(|c| c <= 1.8)).collect();
        want.sort_by(|a, b| b["cv"].as_f64().unwrap().total_cmp(&a["cv"].as_f64().unwrap()));
        assert!(!want.is_empty());
        assert_eq!(names(&steady["items"]), names(&json!(want)));
        let rfm = app.get("/api/v1/analytics/rfm?subject=companies", t).await.ok(200);
        let segment = rfm["items"][0]["segment"].as_str().unwrap().to_owned();
        let seg = app.get(&format!("/api/v1/analytics/rfm?subject=companies&segment={}&sort=score", segment.replace(' ', "%20")), t).await.ok(200);
        let mut want: Vec<&Value> = rfm["items"].as_array().unwrap().iter().filter(|i| i["segment"] == json!(segment)).collect();
        want.sort_by(|a, b| a["score"].as_str().cmp(&b["score"].as_str()));
        assert_eq!(names(&seg["items"]), names(&json!(want)));
        let profit = app.get("/api/v1/analytics/profitability?subject=companies&sort=-profit&limit=3", t).await.ok(200);
        let p: Vec<Decimal> = profit["items"].as_array().unwrap().iter().map(|i| dec(&i["profit"])).collect();
        assert_eq!(p.len(), 3);
        assert!(p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");
        assert_eq!(profit["row_count"], 8);
        let clv = app.get("/api/v1/analytics/clv?subject=companies&purchases[gt]=2&sort=name", t).await.ok(200);
        assert_eq!(names(&clv["items"]), vec!["Alpha", "Charlie", "Hotel"]);
        assert_eq!(clv["row_count"], 3);

        // GraphQL: the same page, fields also in camelCase.
        let g = app.gql(t, r#"{ abcAnalysis(subject: COMPANIES, sort: [{field: "cumulativeShare", descending: true}], filter: [{field: "revenue", op: GTE, value: "710"}], limit: 2) { rowCount items { name } } }"#, json!({})).await.ok(200);
        let r = app.get("/api/v1/analytics/abc?subject=companies&sort=-cumulative_share&revenue[gte]=710&limit=2", t).await.ok(200);
        assert_eq!(g["data"]["abcAnalysis"]["rowCount"], r["row_count"]);
        assert_eq!(names(&g["data"]["abcAnalysis"]["items"]), names(&r["items"]));
        let g = app.gql(t, r#"{ profitabilityAnalysis(subject: COMPANIES, filter: [{field: "name", value: "Golf"}]) { rowCount items { name } } }"#, json!({})).await.ok(200);
        assert_eq!(g["data"]["profitabilityAnalysis"]["items"][0]["name"], "Golf");
        let g = app.gql(t, r#"{ rfmAnalysis(subject: COMPANIES, sort: [{field: "nope"}]) { rowCount } }"#, json!({})).await.json();
        assert_eq!(g["errors"][0]["extensions"]["code"], "validation_failed", "{g}");
    }

    async fn bad_item_sorts_and_filters_are_named(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        seed(app, &s).await;
        let pointers = |body: &Value| -> Vec<(String, String)> {
            body["errors"].as_array().unwrap().iter().map(|e| (e["pointer"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned())).collect()
        };
        let e = app.get("/api/v1/analytics/abc?sort=nope,-revenue&zip=1&rank[gt]=x&revenue[contains]=1", t).await.problem(422, "validation_failed");
        let got = pointers(&e);
        for want in [("/sort", "invalid_value"), ("/zip", "unknown_field"), ("/rank", "invalid_value"), ("/revenue", "invalid_operator")] {
            assert!(got.contains(&(want.0.to_owned(), want.1.to_owned())), "{want:?} in {got:?}");
        }
        let e = app.get("/api/v1/analytics/abc?name[near]=x", t).await.problem(422, "validation_failed");
        assert_eq!(pointers(&e), vec![("/name[near]".to_owned(), "invalid_operator".to_owned())]);
        let e = app.get("/api/v1/analytics/clv?history_truncated=maybe", t).await.problem(422, "validation_failed");
        assert_eq!(pointers(&e), vec![("/history_truncated".to_owned(), "invalid_value".to_owned())]);
        let e = app.get("/api/v1/analytics/xyz?cv[is_null]=yes", t).await.problem(422, "validation_failed");
        assert_eq!(pointers(&e), vec![("/cv".to_owned(), "invalid_value".to_owned())]);
        // Reports without items to filter refuse them as unknown parameters.
        let e = app.get("/api/v1/analytics/retention?class=A&sort=name", t).await.problem(422, "validation_failed");
        let got = pointers(&e);
        assert!(got.contains(&("/class".to_owned(), "unknown_field".to_owned())) && got.contains(&("/sort".to_owned(), "unknown_field".to_owned())), "{got:?}");
        let e = app.get("/api/v1/analytics/overview?class=A", t).await.problem(422, "validation_failed");
        assert_eq!(pointers(&e), vec![("/class".to_owned(), "unknown_field".to_owned())]);
    }
    async fn cross_sell_rules_sort_and_filter(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let mut products = Vec::new();
        for (sku, name) in [("P1", "Pen"), ("P2", "Paper"), ("P3", "Ink"), ("P4", "Stapler")] {
            products.push(app.post("/api/v1/products", t, json!({"sku": sku, "name": name})).await.ok(201));
        }
        let c = app.post("/api/v1/companies", t, json!({"name": "Buyer"})).await.ok(201);
        let on = Utc::now().date_naive().with_day(1).unwrap() - Months::new(1);
        for basket in [&[0, 1][..], &[0, 1], &[0, 1, 2], &[0, 2], &[1, 2], &[1, 2, 3], &[3]] {
            let lines: Vec<Value> = basket.iter().map(|k: &usize| json!({"product_id": products[*k]["id"], "quantity": "1", "unit_price": "10", "tax_rate": "19"})).collect();
            app.post("/api/v1/orders", t, json!({"currency": "EUR", "company_id": c["id"], "ordered_at": format!("{on}T10:00:00Z"), "lines": lines})).await.ok(201);
        }
        let all = app.get("/api/v1/analytics/cross-sell?min_lift=0", t).await.ok(200);
        let rules = all["items"].as_array().unwrap().clone();
        assert!(rules.len() > 4, "{all}");
        let got = app.get("/api/v1/analytics/cross-sell?min_lift=0&antecedent_name=Pen&sort=-confidence,consequent_name", t).await.ok(200);
        let mut want: Vec<&Value> = rules.iter().filter(|r| r["antecedent_name"] == "Pen").collect();
        want.sort_by(|a, b| b["confidence"].as_f64().unwrap().total_cmp(&a["confidence"].as_f64().unwrap()).then(a["consequent_name"].as_str().cmp(&b["consequent_name"].as_str())));
        let pairs = |v: &[&Value]| -> Vec<(String, String)> { v.iter().map(|r| (r["antecedent_name"].as_str().unwrap().to_owned(), r["consequent_name"].as_str().unwrap().to_owned())).collect() };
        let got_items: Vec<&Value> = got["items"].as_array().unwrap().iter().collect();
        assert_eq!(pairs(&got_items), pairs(&want));
        assert_eq!(got["row_count"], want.len() as i64);
        let strong = app.get("/api/v1/analytics/cross-sell?min_lift=0&both_orders[gte]=2&lift[gt]=0.5", t).await.ok(200);
        let want: Vec<&Value> = rules.iter().filter(|r| r["both_orders"].as_i64().unwrap() >= 2 && r["lift"].as_f64().unwrap() > 0.5).collect();
        let got_items: Vec<&Value> = strong["items"].as_array().unwrap().iter().collect();
        assert_eq!(pairs(&got_items), pairs(&want), "the report's own order");
        let g = app.gql(t, r#"{ crossSellRules(minLift: 0, filter: [{field: "antecedentName", value: "Pen"}], sort: [{field: "confidence", descending: true}, {field: "consequentName"}]) { rowCount items { antecedentName consequentName } } }"#, json!({})).await.ok(200);
        assert_eq!(g["data"]["crossSellRules"]["rowCount"], got["row_count"]);
        let e = app.get("/api/v1/analytics/cross-sell?revenue=1", t).await.problem(422, "validation_failed");
        assert_eq!(e["errors"][0]["pointer"], "/revenue");
    }
}
