//! Analytics (`/api/v1/analytics/...`, `/api/v1/exchange-rates`, the same over GraphQL): the
//! base currency, exchange rates at the order day, and ABC, XYZ and the ABC-XYZ matrix computed
//! by hand here from known orders, on both engines.

use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};

async fn order(
    app: &TestApp,
    s: &Session,
    company: &Value,
    day: &str,
    currency: &str,
    lines: Value,
) -> Value {
    app.post(
        "/api/v1/orders",
        Some(&s.token),
        json!({"currency": currency, "company_id": company["id"], "ordered_at": format!("{day}T10:00:00Z"), "lines": lines}),
    )
    .await
    .ok(201)
}

fn line(product: Option<&Value>, amount: &str) -> Value {
    match product {
        Some(p) => {
            json!({"product_id": p["id"], "quantity": "1", "unit_price": amount, "tax_rate": "19"})
        }
        None => {
            json!({"description": "Service", "quantity": "1", "unit_price": amount, "tax_rate": "19"})
        }
    }
}

/// Four companies with known revenue from January to March 2026 (EUR):
/// C1 500 a month (1500, steady: X), C2 80/100/120 (300, CV 0.163: Y), C3 180 in February
/// (200 USD at 0.9, the rate of the order's day) and 20 in March (200: Z), C5 100
/// in January (Z). C4 has a USD order with no rate (left out, named) and a cancelled one.
async fn seed(app: &TestApp, s: &Session) -> Vec<Value> {
    let t = Some(s.token.as_str());
    let mut co = Vec::new();
    for name in ["C1", "C2", "C3", "C4", "C5"] {
        co.push(
            app.post("/api/v1/companies", t, json!({"name": name}))
                .await
                .ok(201),
        );
    }
    let p1 = app
        .post("/api/v1/products", t, json!({"sku": "P1", "name": "Pump"}))
        .await
        .ok(201);
    let p2 = app
        .post("/api/v1/products", t, json!({"sku": "P2", "name": "Valve"}))
        .await
        .ok(201);
    let p3 = app
        .post("/api/v1/products", t, json!({"sku": "P3", "name": "Seal"}))
        .await
        .ok(201);
    app.call(
        "PUT",
        "/api/v1/exchange-rates",
        t,
        // A rate two days before the USD order does not serve it: only the order day's does.
        Some(json!({"rates": [
            {"currency": "USD", "date": "2026-02-13", "rate": "0.5"},
            {"currency": "USD", "date": "2026-02-15", "rate": "0.9"},
            {"currency": "USD", "date": "2026-03-09", "rate": "0.9"}
        ]})),
    )
    .await
    .ok(200);
    for day in ["2026-01-10", "2026-02-10", "2026-03-10"] {
        order(app, s, &co[0], day, "EUR", json!([line(Some(&p1), "500")])).await;
    }
    for (day, amount) in [
        ("2026-01-11", "80"),
        ("2026-02-11", "100"),
        ("2026-03-11", "120"),
    ] {
        order(app, s, &co[1], day, "EUR", json!([line(Some(&p2), amount)])).await;
    }
    order(
        app,
        s,
        &co[2],
        "2026-02-15",
        "USD",
        json!([line(Some(&p3), "150"), line(Some(&p3), "50")]),
    )
    .await;
    order(
        app,
        s,
        &co[2],
        "2026-03-01",
        "EUR",
        json!([line(Some(&p3), "20")]),
    )
    .await;
    order(
        app,
        s,
        &co[3],
        "2026-03-10",
        "USD",
        json!([line(None, "999")]),
    )
    .await;
    let cancelled = order(
        app,
        s,
        &co[3],
        "2026-03-12",
        "EUR",
        json!([line(None, "1000")]),
    )
    .await;
    app.post(
        &format!(
            "/api/v1/orders/{}/status",
            cancelled["id"].as_str().unwrap()
        ),
        t,
        json!({"status": "cancelled"}),
    )
    .await
    .ok(200);
    order(
        app,
        s,
        &co[4],
        "2026-01-20",
        "EUR",
        json!([line(None, "100")]),
    )
    .await;
    // Outside the period: not counted.
    order(
        app,
        s,
        &co[4],
        "2025-12-31",
        "EUR",
        json!([line(None, "5000")]),
    )
    .await;
    co
}

const PERIOD: &str = "from=2026-01-01&to=2026-04-01";

dual! {
    async fn abc_xyz_and_the_matrix_match_the_hand_computed_classes(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let co = seed(app, &s).await;
        let name_of = |v: &Value| co.iter().find(|c| c["id"] == v["id"]).map(|c| c["name"].as_str().unwrap().to_owned());

        // ABC of companies: 1500 + 300 + 200 + 100 = 2100.
        let r = app.get(&format!("/api/v1/analytics/abc?subject=companies&{PERIOD}"), t).await.ok(200);
        assert_eq!(r["total_revenue"], "2100.00", "{r}");
        assert_eq!(r["row_count"], 4);
        assert_eq!((r["a"].as_f64(), r["b"].as_f64()), (Some(0.8), Some(0.95)));
        let items = r["items"].as_array().unwrap();
        let got: Vec<(String, &str, &str, &str, &str)> = items.iter().map(|i| (
            name_of(i).unwrap(), i["revenue"].as_str().unwrap(), i["share"].as_str().unwrap(),
            i["cumulative_share"].as_str().unwrap(), i["class"].as_str().unwrap(),
        )).collect();
        assert_eq!(got, vec![
            ("C1".to_owned(), "1500.00", "0.714286", "0.714286", "A"),
            ("C2".to_owned(), "300.00", "0.142857", "0.857143", "A"),
            ("C3".to_owned(), "200.00", "0.095238", "0.952381", "B"),
            ("C5".to_owned(), "100.00", "0.047619", "1.000000", "C"),
        ], "{r}");
        assert_eq!(items[0]["rank"], 1);
        assert_eq!(items[0]["name"], "C1");
        let classes: Vec<(&str, i64, &str)> = r["classes"].as_array().unwrap().iter().map(|c| (c["class"].as_str().unwrap(), c["count"].as_i64().unwrap(), c["revenue"].as_str().unwrap())).collect();
        assert_eq!(classes, [("A", 2, "1800.00"), ("B", 1, "200.00"), ("C", 1, "100.00")]);
        // The scope: what was counted and what was left out.
        let scope = &r["scope"];
        assert_eq!((scope["from"].as_str(), scope["to"].as_str(), scope["base_currency"].as_str()), (Some("2026-01-01"), Some("2026-04-01"), Some("EUR")));
        assert_eq!((scope["orders"].as_i64(), scope["orders_without_rate"].as_i64()), (Some(9), Some(1)), "{scope}");
        assert_eq!(scope["missing_rates"], json!([{"currency": "USD", "date": "2026-03-10"}]));
        assert!(scope["computed_at"].is_string());
        // Other thresholds: with a = 0.5 only C1 is A.
        let r2 = app.get(&format!("/api/v1/analytics/abc?subject=companies&{PERIOD}&a=0.5&b=0.9"), t).await.ok(200);
        let classes: Vec<&str> = r2["items"].as_array().unwrap().iter().map(|i| i["class"].as_str().unwrap()).collect();
        assert_eq!(classes, ["A", "B", "B", "C"], "{r2}");
        // The whole report as CSV, whatever the page.
        let csv = app.get(&format!("/api/v1/analytics/abc?subject=companies&{PERIOD}&format=csv&limit=1"), t).await;
        assert_eq!(csv.status, 200, "{}", csv.text());
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        assert_eq!(csv.header("content-disposition").as_deref(), Some("attachment; filename=\"abc-companies-2026-01-01-2026-04-01.csv\""));
        let lines: Vec<String> = csv.text().lines().map(str::to_owned).collect();
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert_eq!(lines[0], "rank,id,name,revenue,share,cumulative_share,class");
        assert!(lines[1].starts_with("1,") && lines[1].ends_with(",C1,1500.00,0.714286,0.714286,A"), "{lines:?}");
        let csv = app.get(&format!("/api/v1/analytics/xyz?subject=companies&{PERIOD}&format=csv"), t).await;
        let text = csv.text();
        assert!(text.starts_with("id,name,2026-01,2026-02,2026-03,mean,std_dev,cv,class\n"), "{text}");
        assert!(text.contains(",C1,500.00,500.00,500.00,500.00,0,0,X\n"), "{text}");
        let csv = app.get(&format!("/api/v1/analytics/rfm?{PERIOD}&format=csv&reference_date=2026-04-01"), t).await;
        assert!(csv.text().contains(",C5,2026-01-20,71,1,100.00,2,1,1,211,hibernating\n"), "{}", csv.text());
        app.get(&format!("/api/v1/analytics/abc?{PERIOD}&format=xml"), t).await.problem(422, "validation_failed");
        let p = app.get(&format!("/api/v1/analytics/abc-xyz?{PERIOD}&format=csv"), t).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/format");

        // A page: the second item.
        let p = app.get(&format!("/api/v1/analytics/abc?subject=companies&{PERIOD}&offset=1&limit=1"), t).await.ok(200);
        assert_eq!(p["items"].as_array().unwrap().len(), 1);
        assert_eq!((p["items"][0]["rank"].as_i64(), p["row_count"].as_i64()), (Some(2), Some(4)));

        // ABC of products: P1 1500, P2 300, P3 200 (C5's line names no product).
        let r = app.get(&format!("/api/v1/analytics/abc?subject=products&{PERIOD}"), t).await.ok(200);
        let got: Vec<(&str, &str, &str)> = r["items"].as_array().unwrap().iter().map(|i| (i["name"].as_str().unwrap(), i["revenue"].as_str().unwrap(), i["class"].as_str().unwrap())).collect();
        assert_eq!(got, [("Pump", "1500.00", "A"), ("Valve", "300.00", "A"), ("Seal", "200.00", "B")], "{r}");
        // Contacts: no order names one.
        let r = app.get(&format!("/api/v1/analytics/abc?subject=contacts&{PERIOD}"), t).await.ok(200);
        assert_eq!((r["row_count"].as_i64(), r["total_revenue"].as_str()), (Some(0), Some("0.00")), "{r}");

        // XYZ of companies: months with no sales count as 0.
        let r = app.get(&format!("/api/v1/analytics/xyz?subject=companies&{PERIOD}"), t).await.ok(200);
        assert_eq!(r["months"], json!(["2026-01", "2026-02", "2026-03"]), "{r}");
        let got: Vec<(String, Vec<&str>, &str)> = r["items"].as_array().unwrap().iter().map(|i| (
            name_of(i).unwrap(), i["monthly"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect(), i["class"].as_str().unwrap(),
        )).collect();
        assert_eq!(got[0], ("C1".to_owned(), vec!["500.00", "500.00", "500.00"], "X"), "{r}");
        assert_eq!(got[1], ("C2".to_owned(), vec!["80.00", "100.00", "120.00"], "Y"), "{r}");
        let c2 = &r["items"][1];
        assert!((c2["cv"].as_f64().unwrap() - (800f64 / 3.0).sqrt() / 100.0).abs() < 1e-9, "{c2}");
        assert_eq!(c2["mean"], "100.00");
        let z: Vec<&(String, Vec<&str>, &str)> = got.iter().filter(|g| g.2 == "Z").collect();
        assert_eq!(z.len(), 2, "{r}");
        assert!(got.iter().any(|g| g.0 == "C3" && g.1 == vec!["0.00", "180.00", "20.00"]), "{r}");
        assert_eq!(r["items"][0]["cv"], 0.0);
        let totals: Vec<i64> = r["classes"].as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).collect();
        assert_eq!(totals, [1, 1, 2]);

        // The matrix: A-X C1, A-Y C2, B-Z C3, C-Z C5.
        let m = app.get(&format!("/api/v1/analytics/abc-xyz?subject=companies&{PERIOD}"), t).await.ok(200);
        let cells: Vec<(String, i64, &str)> = m["cells"].as_array().unwrap().iter().map(|c| (
            format!("{}{}", c["abc"].as_str().unwrap(), c["xyz"].as_str().unwrap()), c["count"].as_i64().unwrap(), c["revenue"].as_str().unwrap(),
        )).collect();
        assert_eq!(cells.len(), 9);
        let nonzero: Vec<&(String, i64, &str)> = cells.iter().filter(|c| c.1 > 0).collect();
        assert_eq!(nonzero, [&("AX".to_owned(), 1, "1500.00"), &("AY".to_owned(), 1, "300.00"), &("BZ".to_owned(), 1, "200.00"), &("CZ".to_owned(), 1, "100.00")], "{m}");
        assert_eq!(m["total_revenue"], "2100.00");

        // The default period: the 12 full months before the reference date's month.
        let d = app.get("/api/v1/analytics/abc?subject=companies&reference_date=2026-04-15", t).await.ok(200);
        assert_eq!((d["scope"]["from"].as_str(), d["scope"]["to"].as_str()), (Some("2025-04-01"), Some("2026-04-01")));
        assert_eq!(d["total_revenue"], "7100.00", "the December order counts now: {d}");

        // The same over GraphQL.
        let g = app.gql(t, "{ abcAnalysis(subject: COMPANIES, from: \"2026-01-01\", to: \"2026-04-01\") { rowCount totalRevenue items { rank name class revenue share } scope { ordersWithoutRate missingRates { currency date } } } }", json!({})).await.ok(200);
        let abc = &g["data"]["abcAnalysis"];
        assert_eq!((abc["rowCount"].as_i64(), abc["totalRevenue"].as_str()), (Some(4), Some("2100.00")), "{g}");
        assert_eq!(abc["items"][2]["class"], "B");
        assert_eq!(abc["items"][2]["share"], "0.095238");
        assert_eq!(abc["scope"]["missingRates"][0]["date"], "2026-03-10");
        let g = app.gql(t, "{ xyzAnalysis(subject: PRODUCTS, from: \"2026-01-01\", to: \"2026-04-01\") { months items { name class } } abcXyzMatrix(from: \"2026-01-01\", to: \"2026-04-01\") { cells { abc xyz count } } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["xyzAnalysis"]["items"][0]["name"], "Pump", "{g}");
        assert_eq!(g["data"]["xyzAnalysis"]["items"][0]["class"], "X");
        assert_eq!(g["data"]["abcXyzMatrix"]["cells"][0]["count"], 1, "A-X holds C1: {g}");

        // RFM at 2026-04-01: C1 last ordered 22 days before, 3 purchases, 1500; C2 21 days, 3,
        // 300; C3 31 days, 2, 200; C5 71 days, 1, 100. Four customers: ntile(5) gives buckets 1
        // to 4 over (value, id) ascending; recency scores 6 minus the bucket (fewest days: 5).
        // C1 and C2 tie on frequency and are ordered by id.
        let r = app.get(&format!("/api/v1/analytics/rfm?subject=companies&{PERIOD}&reference_date=2026-04-01"), t).await.ok(200);
        let got: Vec<(String, i64, i64, &str, &str, &str)> = r["items"].as_array().unwrap().iter().map(|i| (
            name_of(i).unwrap(), i["recency_days"].as_i64().unwrap(), i["frequency"].as_i64().unwrap(),
            i["monetary"].as_str().unwrap(), i["score"].as_str().unwrap(), i["segment"].as_str().unwrap(),
        )).collect();
        assert_eq!(got, vec![
            ("C2".to_owned(), 21, 3, "300.00", "543", "champions"),
            ("C1".to_owned(), 22, 3, "1500.00", "434", "potential loyalists"),
            ("C3".to_owned(), 31, 2, "200.00", "322", "about to sleep"),
            ("C5".to_owned(), 71, 1, "100.00", "211", "hibernating"),
        ], "{r}");
        assert_eq!(r["items"][1]["last_order_date"], "2026-03-10");
        assert_eq!(r["segments"].as_array().unwrap().len(), 4);
        // The segment table is the organization's: an override renames a cell.
        app.call("PUT", "/api/v1/analytics/settings", t, Some(json!({"rfm_segments": {"54": "VIP"}}))).await.ok(200);
        let g = app.gql(t, "{ rfmAnalysis(from: \"2026-01-01\", to: \"2026-04-01\", referenceDate: \"2026-04-01\", limit: 1) { rowCount items { score segment r f m } segments { segment count revenue } } }", json!({})).await.ok(200);
        let rfm = &g["data"]["rfmAnalysis"];
        assert_eq!((rfm["rowCount"].as_i64(), rfm["items"][0]["segment"].as_str(), rfm["items"][0]["m"].as_i64()), (Some(4), Some("VIP"), Some(3)), "{g}");
        assert_eq!(rfm["items"].as_array().unwrap().len(), 1);
        let p = app.get(&format!("/api/v1/analytics/rfm?subject=products&{PERIOD}"), t).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/subject");

        // Retention with a 30-day window. Cohorts by first order ever: January C1 and C2,
        // February C3, March C4 (its USD order counts: no money is involved); C5's first
        // order was in December, before the period.
        let r = app.get(&format!("/api/v1/analytics/retention?subject=companies&{PERIOD}&inactive_days=30"), t).await.ok(200);
        let cohorts: Vec<(&str, i64, Vec<i64>)> = r["cohorts"].as_array().unwrap().iter().map(|c| (
            c["month"].as_str().unwrap(), c["size"].as_i64().unwrap(),
            c["retention"].as_array().unwrap().iter().map(|x| x["customers"].as_i64().unwrap()).collect(),
        )).collect();
        assert_eq!(cohorts, [("2026-01", 2, vec![2, 2, 2]), ("2026-02", 1, vec![1, 1]), ("2026-03", 1, vec![1])], "{r}");
        assert_eq!(r["cohorts"][0]["retention"][1]["share"], 1.0);
        // Churn: January starts with C5 active (ordered 31 Dec); February with C1, C2, C5, and
        // C5 (last order 20 January) is gone by 1 March; March with C1, C2, C3, and C3 (last
        // order 1 March) is gone by 1 April.
        let churn: Vec<(&str, i64, i64)> = r["churn"].as_array().unwrap().iter().map(|c| (
            c["month"].as_str().unwrap(), c["active_at_start"].as_i64().unwrap(), c["churned"].as_i64().unwrap(),
        )).collect();
        assert_eq!(churn, [("2026-01", 1, 0), ("2026-02", 3, 1), ("2026-03", 3, 1)], "{r}");
        assert!((r["churn"][1]["churn_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!((r["inactive_days"].as_i64(), r["scope"]["orders"].as_i64()), (Some(30), Some(10)));
        let r = app.get(&format!("/api/v1/analytics/retention?{PERIOD}&periods=1"), t).await.ok(200);
        assert_eq!(r["cohorts"][0]["retention"].as_array().unwrap().len(), 2, "offsets 0 and 1: {r}");
        assert_eq!(r["churn"][1]["churned"], 0, "within 90 days nobody churned: {r}");
        let g = app.gql(t, "{ retentionAnalysis(from: \"2026-01-01\", to: \"2026-04-01\", inactiveDays: 30) { cohorts { month size } churn { month churned churnRate } } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["retentionAnalysis"]["cohorts"][0]["size"], 2, "{g}");
        assert_eq!(g["data"]["retentionAnalysis"]["churn"][2]["churned"], 1);
        for (q, pointer) in [("inactive_days=0", "/inactive_days"), ("periods=200", "/periods"), ("subject=products", "/subject")] {
            let p = app.get(&format!("/api/v1/analytics/retention?{q}"), t).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{q}: {p}");
        }

        // The overview: every analysis's headline figures, in sections with stable keys.
        let o = app.get(&format!("/api/v1/analytics/overview?{PERIOD}&reference_date=2026-04-01"), t).await.ok(200);
        let keys: Vec<&str> = o["sections"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["abc", "xyz", "rfm", "retention", "funnel", "profitability", "lifetime_value", "next_best_actions", "monthly_revenue"], "{o}");
        let figure = |section: usize, key: &str| -> Value {
            o["sections"][section]["figures"].as_array().unwrap().iter().find(|f| f["key"] == key).unwrap_or_else(|| panic!("{key}: {o}"))["value"].clone()
        };
        assert_eq!(figure(0, "revenue"), "2100.00");
        assert_eq!(figure(0, "class_a"), "2");
        assert_eq!(figure(1, "class_z"), "2");
        assert_eq!(figure(2, "hibernating"), "1");
        assert_eq!(figure(3, "new_customers"), "4");
        assert_eq!(figure(4, "win_rate"), Value::Null, "no pipeline yet: {o}");
        assert_eq!(figure(5, "unprofitable"), "0", "no costs known: {o}");
        assert_eq!(figure(5, "unprofitable_loss"), "0.00");
        assert_eq!(figure(8, "revenue"), Value::Null, "the rollups are off: {o}");
        assert_eq!(o["sections"][0]["report"], "/api/v1/analytics/abc");
        let g = app.gql(t, "{ analyticsOverview(from: \"2026-01-01\", to: \"2026-04-01\") { baseCurrency sections { key figures { key unit value } } } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["analyticsOverview"]["sections"][0]["figures"][0]["value"], "2100.00", "{g}");
        // Only the sections asked for, in the dashboard's order, as the whole overview has them.
        let some = app.get(&format!("/api/v1/analytics/overview?{PERIOD}&reference_date=2026-04-01&sections=retention,%20abc"), t).await.ok(200);
        let keys: Vec<&str> = some["sections"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["abc", "retention"], "{some}");
        assert_eq!(some["sections"][0]["figures"], o["sections"][0]["figures"]);
        assert_eq!(some["sections"][1]["figures"], o["sections"][3]["figures"]);
        let g = app.gql(t, "{ analyticsOverview(from: \"2026-01-01\", to: \"2026-04-01\", sections: [\"rfm\"]) { sections { key figures { key value } } } }", json!({})).await.ok(200);
        let only = g["data"]["analyticsOverview"]["sections"].as_array().unwrap();
        assert_eq!((only.len(), only[0]["key"].as_str()), (1, Some("rfm")), "{g}");
        for bad in ["sections=abc,nope", "sections=,"] {
            let p = app.get(&format!("/api/v1/analytics/overview?{bad}"), t).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], "/sections", "{bad}: {p}");
            assert!(p["errors"][0]["message"].as_str().unwrap().contains("abc, xyz, rfm"), "{p}");
        }
        let p = app.get("/api/v1/analytics/abc?sections=abc", t).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/sections", "{p}");

        // Another organization sees none of it.
        let other = app.signup("Other", "admin@other.test").await;
        let r = app.get(&format!("/api/v1/analytics/abc?{PERIOD}"), Some(&other.token)).await.ok(200);
        assert_eq!(r["row_count"], 0, "{r}");
    }

    async fn base_currency_and_exchange_rates(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let viewer = app.member(&s, "viewer", "viewer@acme.test").await;
        let d = app.get("/api/v1/analytics/settings", Some(&viewer.token)).await.ok(200);
        assert_eq!((d["base_currency"].as_str(), d["updated_at"].is_null()), (Some("EUR"), true));
        assert_eq!((d["rfm_segments"]["11"].as_str(), d["rfm_segments"]["55"].as_str()), (Some("lost"), Some("champions")));
        assert_eq!(d["rfm_segments"].as_object().unwrap().len(), 25);
        let p = app.call("PUT", "/api/v1/analytics/settings", t, Some(json!({"rfm_segments": {"61": "x", "12": ""}}))).await.problem(422, "validation_failed");
        let pointers: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert_eq!(pointers, ["/rfm_segments/12", "/rfm_segments/61"], "{p}");
        app.call("PUT", "/api/v1/analytics/settings", Some(&viewer.token), Some(json!({"base_currency": "CHF"}))).await.problem(403, "forbidden");
        let p = app.call("PUT", "/api/v1/analytics/settings", t, Some(json!({"base_currency": "EURO"}))).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/base_currency");
        let c = app.call("PUT", "/api/v1/analytics/settings", t, Some(json!({"base_currency": "chf"}))).await.ok(200);
        assert_eq!(c["base_currency"], "CHF");
        // Absent fields stay; an override shows in the table, `{}` restores the defaults.
        let c = app.call("PUT", "/api/v1/analytics/settings", t, Some(json!({"rfm_segments": {"55": "VIP"}}))).await.ok(200);
        assert_eq!((c["base_currency"].as_str(), c["rfm_segments"]["55"].as_str()), (Some("CHF"), Some("VIP")));
        let c = app.call("PUT", "/api/v1/analytics/settings", t, Some(json!({"rfm_segments": {}}))).await.ok(200);
        assert_eq!(c["rfm_segments"]["55"], "champions");
        // Rates: written in one batch, all or none; the base currency needs none.
        let w = app.call("PUT", "/api/v1/exchange-rates", t, Some(json!({"rates": [
            {"currency": "EUR", "date": "2026-01-02", "rate": "0.95"},
            {"currency": "usd", "date": "2026-01-02", "rate": "0.88"}
        ]}))).await.ok(200);
        assert_eq!(w["data"].as_array().unwrap().len(), 2);
        assert_eq!(w["data"][1]["currency"], "USD");
        let p = app.call("PUT", "/api/v1/exchange-rates", t, Some(json!({"rates": [
            {"currency": "CHF", "date": "2026-01-02", "rate": "1"},
            {"currency": "GBP", "date": "2026-01-02", "rate": "0"},
            {"currency": "XYZ1", "date": "2026-01-02", "rate": "1"}
        ]}))).await.problem(422, "validation_failed");
        let pointers: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert_eq!(pointers, ["/rates/0/currency", "/rates/1/rate", "/rates/2/currency"], "{p}");
        app.call("PUT", "/api/v1/exchange-rates", t, Some(json!({"rates": []}))).await.problem(422, "validation_failed");
        app.call("PUT", "/api/v1/exchange-rates", t, Some(json!({"rates": [{"currency": "USD", "date": "2026-01-02", "rate": "1", "extra": 1}]}))).await.problem(422, "validation_failed");
        // The same currency and day replaces the rate.
        app.call("PUT", "/api/v1/exchange-rates", t, Some(json!({"rates": [{"currency": "USD", "date": "2026-01-02", "rate": "0.8812"}]}))).await.ok(200);
        let l = app.get("/api/v1/exchange-rates?currency=USD", t).await.ok(200);
        assert_eq!(l["data"].as_array().unwrap().len(), 1, "{l}");
        assert_eq!(l["data"][0]["rate"], "0.8812");
        let page = app.get("/api/v1/exchange-rates?limit=1", t).await.ok(200);
        assert_eq!(page["has_more"], true);
        let next = app.get(&format!("/api/v1/exchange-rates?limit=1&cursor={}", page["next_cursor"].as_str().unwrap()), t).await.ok(200);
        assert_ne!(next["data"][0]["id"], page["data"][0]["id"]);
        app.get("/api/v1/exchange-rates?cursor=x", t).await.problem(422, "validation_failed");
        // Deleted by an admin; a viewer reads but does not write.
        app.call("PUT", "/api/v1/exchange-rates", Some(&viewer.token), Some(json!({"rates": [{"currency": "USD", "date": "2026-01-03", "rate": "1"}]}))).await.problem(403, "forbidden");
        let id = l["data"][0]["id"].as_str().unwrap();
        app.delete(&format!("/api/v1/exchange-rates/{id}"), Some(&viewer.token)).await.problem(403, "forbidden");
        app.delete(&format!("/api/v1/exchange-rates/{id}"), t).await.ok(204);
        app.delete(&format!("/api/v1/exchange-rates/{id}"), t).await.problem(404, "not_found");
        // GraphQL.
        let g = app.gql(t, "mutation { updateAnalyticsSettings(input: {baseCurrency: \"EUR\"}) { baseCurrency } putExchangeRates(rates: [{currency: \"JPY\", date: \"2026-01-05\", rate: \"0.0061\"}]) { id currency rate } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["putExchangeRates"][0]["rate"], "0.0061", "{g}");
        let g = app.gql(t, "{ analyticsSettings { baseCurrency } exchangeRates(currency: \"JPY\", first: 5) { edges { node { date rate } } } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["analyticsSettings"]["baseCurrency"], "EUR", "{g}");
        assert_eq!(g["data"]["exchangeRates"]["edges"][0]["node"]["date"], "2026-01-05");
        // Bad report parameters name the field.
        for (query, pointer) in [
            ("from=2026-02-01&to=2026-01-01", "/to"),
            ("from=2026-13-01", "/from"),
            ("a=2", "/a"),
            ("a=0.9&b=0.5", "/b"),
            ("a=0.5&b=0.5", "/b"),
            ("x=abc", "/x"),
            ("subject=deals", "/subject"),
            ("limit=0", "/limit"),
            ("from=1800-01-01", "/from"),
            ("from=2000-01-01&to=2026-01-01", "/to"),
            ("bogus=1", "/bogus"),
        ] {
            let p = app.get(&format!("/api/v1/analytics/abc?{query}"), t).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{query}: {p}");
        }
        for (query, pointer) in [("x=1.5", "/x"), ("x=0.3&y=0.2", "/y")] {
            let p = app.get(&format!("/api/v1/analytics/xyz?{query}"), t).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{query}: {p}");
        }
    }
}

dual! {
    async fn exchange_rates_import_from_a_csv_file(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let auth = format!("Bearer {}", s.token);
        let csv = |body: &str| body.as_bytes().to_vec();
        let headers = [("authorization", auth.as_str()), ("content-type", "text/csv")];
        // Any column order, extra columns ignored, a BOM tolerated.
        let file = "\u{feff}date,source,currency,rate\n2026-01-02,ECB,USD,0.9231\n2026-01-02,ECB,gbp,1.1702\n";
        let r = app.raw("POST", "/api/v1/exchange-rates/import", &headers, csv(file)).await.ok(200);
        let data = r["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!((data[0]["currency"].as_str(), data[0]["date"].as_str(), data[0]["rate"].as_str()), (Some("USD"), Some("2026-01-02"), Some("0.9231")));
        assert_eq!(data[1]["currency"], "GBP");
        // Importing again replaces the day's rate; generated clients send the file as bytes.
        let bytes = [("authorization", auth.as_str()), ("content-type", "application/octet-stream")];
        app.raw("POST", "/api/v1/exchange-rates/import", &bytes, csv("currency,date,rate\nUSD,2026-01-02,0.95\n")).await.ok(200);
        let list = app.get("/api/v1/exchange-rates", Some(&s.token)).await.ok(200);
        let usd: Vec<&Value> = list["data"].as_array().unwrap().iter().filter(|r| r["currency"] == "USD").collect();
        assert_eq!(usd.len(), 1);
        assert_eq!(usd[0]["rate"], "0.95");
        // All or none: one bad row writes nothing; rows are named from 0 after the header.
        let p = app.raw("POST", "/api/v1/exchange-rates/import", &headers, csv("currency,date,rate\nCHF,2026-01-03,1.05\nJPY,2026-13-01,0.006\nXXXX,2026-01-03,1\n")).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/rates/1/date", "{p}");
        let p = app.raw("POST", "/api/v1/exchange-rates/import", &headers, csv("currency,date,rate\nCHF,2026-01-03,1.05\nXXX1,2026-01-03,1\nEUR,2026-01-03,1\n")).await.problem(422, "validation_failed");
        let pointers: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert_eq!(pointers, vec!["/rates/1/currency", "/rates/2/currency"], "{p}");
        let list = app.get("/api/v1/exchange-rates", Some(&s.token)).await.ok(200);
        assert!(!list["data"].as_array().unwrap().iter().any(|r| r["currency"] == "CHF"));
        let p = app.raw("POST", "/api/v1/exchange-rates/import", &headers, csv("currency,day,rate\nUSD,2026-01-02,1\n")).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/file");
        app.raw("POST", "/api/v1/exchange-rates/import", &headers, vec![0xff, 0xfe, 0x00]).await.problem(422, "validation_failed");
        let json = [("authorization", auth.as_str()), ("content-type", "application/json")];
        app.raw("POST", "/api/v1/exchange-rates/import", &json, b"{}".to_vec()).await.problem(415, "unsupported_media_type");
        // Admins only.
        let agent = app.member(&s, "agent", "al@acme.test").await;
        let agent_auth = format!("Bearer {}", agent.token);
        app.raw("POST", "/api/v1/exchange-rates/import", &[("authorization", agent_auth.as_str()), ("content-type", "text/csv")], csv("currency,date,rate\nUSD,2026-01-05,1\n")).await.problem(403, "forbidden");
        // Over GraphQL.
        let g = app.gql(Some(&s.token), "mutation($csv: String!) { importExchangeRates(csv: $csv) { currency rate } }", json!({"csv": "currency,date,rate\nSEK,2026-01-02,0.087\n"})).await.ok(200);
        assert_eq!(g["data"]["importExchangeRates"][0]["currency"], "SEK", "{g}");
    }
}
