//! Monthly revenue rollups (`/api/v1/analytics/rollups`, `/api/v1/analytics/monthly-revenue`,
//! the same over GraphQL): every order folded in when they are turned on, then new and changed
//! orders from the change feed, exchange rates folded again, and every month of every company,
//! contact and product compared with the XYZ report's own monthly revenue, on both engines.

use chrono::{Datelike, Months, NaiveDate, Utc};
use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// The first day of the month `back` months before this one, plus `day` days.
fn day(back: u32, day: u64) -> NaiveDate {
    let today = Utc::now().date_naive();
    let first = today.with_day(1).unwrap() - Months::new(back);
    first + chrono::Days::new(day)
}

fn month(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn num(v: &Value) -> f64 {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

async fn order(app: &TestApp, s: &Session, body: Value) -> Value {
    app.post("/api/v1/orders", Some(&s.token), body)
        .await
        .ok(201)
}

fn line(product: Option<&Value>, qty: &str, price: &str) -> Value {
    match product {
        Some(p) => {
            json!({"product_id": p["id"], "quantity": qty, "unit_price": price, "tax_rate": "19"})
        }
        None => {
            json!({"description": "Service", "quantity": qty, "unit_price": price, "tax_rate": "19"})
        }
    }
}

/// Waits until the rollups have caught up with everything committed before `since`: two
/// steps of the follower that found nothing left to fold ended after it (the second began
/// after the first ended, so after `since`), and answers them.
async fn caught_up(app: &TestApp, t: Option<&str>, since: chrono::DateTime<Utc>) -> Value {
    let mut last = Value::Null;
    let mut after = since;
    let mut steps = 0;
    for _ in 0..400 {
        last = app.get("/api/v1/analytics/rollups", t).await.ok(200);
        let current = last["current_at"]
            .as_str()
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
            .map(|c| c.with_timezone(&Utc));
        if last["rebuilding"] == false
            && let Some(c) = current.filter(|c| *c > after)
        {
            steps += 1;
            if steps == 2 {
                return last;
            }
            after = c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the rollups did not catch up within 40 s: {last}");
}

/// Every row of `subject`'s months over the default period: (id, `YYYY-MM`) -> row.
async fn rows(app: &TestApp, t: Option<&str>, subject: &str) -> HashMap<(String, String), Value> {
    let r = app
        .get(
            &format!("/api/v1/analytics/monthly-revenue?subject={subject}&limit=1000"),
            t,
        )
        .await
        .ok(200);
    assert_eq!(r["row_count"], r["items"].as_array().unwrap().len(), "{r}");
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                (
                    i["id"].as_str().unwrap().to_owned(),
                    i["month"].as_str().unwrap()[..7].to_owned(),
                ),
                i.clone(),
            )
        })
        .collect()
}

/// Compares every month of every item of `subject` with the XYZ report's monthly revenue
/// (computed from the order lines), and the orders counted and left out with its scope.
/// Answers how many non-zero months were compared.
async fn check_against_xyz(app: &TestApp, t: Option<&str>, subject: &str) -> usize {
    let xyz = app
        .get(
            &format!("/api/v1/analytics/xyz?subject={subject}&limit=1000"),
            t,
        )
        .await
        .ok(200);
    let rolled = rows(app, t, subject).await;
    let months: Vec<String> = xyz["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap()[..7].to_owned())
        .collect();
    let mut compared = 0;
    let mut seen = 0;
    for item in xyz["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        for (i, m) in months.iter().enumerate() {
            let expected = num(&item["monthly"][i]);
            let got = rolled
                .get(&(id.to_owned(), m.clone()))
                .map_or(0.0, |r| num(&r["revenue"]));
            assert!(
                (expected - got).abs() < 0.005,
                "{subject} {id} {m}: xyz {expected}, rollup {got}"
            );
            if expected != 0.0 {
                compared += 1;
            }
            if rolled
                .get(&(id.to_owned(), m.clone()))
                .is_some_and(|r| r["orders"] != 0)
            {
                seen += 1;
            }
        }
    }
    // No rollup row with counted orders that the report does not list.
    let counted = rolled.values().filter(|r| r["orders"] != 0).count();
    assert_eq!(
        counted, seen,
        "{subject}: rollup rows the report does not have"
    );
    if subject != "products" {
        // One customer and one month per order: the orders add up.
        let orders: i64 = rolled.values().map(|r| r["orders"].as_i64().unwrap()).sum();
        let without: i64 = rolled
            .values()
            .map(|r| r["orders_without_rate"].as_i64().unwrap())
            .sum();
        assert_eq!(
            orders,
            xyz["scope"]["orders"].as_i64().unwrap(),
            "{subject} orders"
        );
        assert_eq!(
            without,
            xyz["scope"]["orders_without_rate"].as_i64().unwrap(),
            "{subject} orders without a rate"
        );
    }
    compared
}

/// Three companies, three contacts, three products and 40 orders over the default period in
/// EUR, USD (rates on most of their days) and GBP (no rates), with product and service lines;
/// answers the orders and the GBP orders' days.
async fn seed(app: &TestApp, s: &Session) -> (Vec<Value>, Vec<NaiveDate>) {
    let t = Some(s.token.as_str());
    let mut companies = Vec::new();
    let mut contacts = Vec::new();
    let mut products = Vec::new();
    for i in 0..3 {
        companies.push(
            app.post("/api/v1/companies", t, json!({"name": format!("Co{i}")}))
                .await
                .ok(201),
        );
        contacts.push(
            app.post(
                "/api/v1/contacts",
                t,
                json!({"first_name": format!("P{i}"), "email": format!("p{i}@x.test")}),
            )
            .await
            .ok(201),
        );
        products.push(
            app.post(
                "/api/v1/products",
                t,
                json!({"sku": format!("SKU{i}"), "name": format!("Item {i}")}),
            )
            .await
            .ok(201),
        );
    }
    let mut rates = Vec::new();
    let mut gbp_days = Vec::new();
    let mut orders = Vec::new();
    for i in 0..40u32 {
        let on = day(1 + (i * 7) % 11, u64::from((i * 3) % 27));
        let currency = ["EUR", "USD", "EUR", "GBP"][(i % 4) as usize];
        if currency == "USD" && i % 8 != 1 {
            rates.push(json!({"currency": "USD", "date": on.to_string(), "rate": "0.9"}));
        }
        if currency == "GBP" {
            gbp_days.push(on);
        }
        let mut body = json!({"currency": currency, "ordered_at": format!("{on}T10:00:00Z")});
        if i % 5 != 0 {
            body["company_id"] = companies[(i % 3) as usize]["id"].clone();
        }
        if i % 4 != 3 {
            body["contact_id"] = contacts[((i + 1) % 3) as usize]["id"].clone();
        }
        let mut lines = Vec::new();
        for k in 0..(1 + i % 3) {
            let product = (k + i) % 4;
            let price = format!("{}.{}", 10 + i * 3, (i * 7) % 10);
            let qty = format!("{}", 1 + (i + k) % 3);
            lines.push(line(products.get(product as usize), &qty, &price));
        }
        body["lines"] = json!(lines);
        orders.push(order(app, s, body).await);
    }
    app.call(
        "PUT",
        "/api/v1/exchange-rates",
        t,
        Some(json!({"rates": rates})),
    )
    .await
    .ok(200);
    (orders, gbp_days)
}

dual! {
    async fn rollups_hold_the_reports_monthly_revenue_and_follow_changes(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let (orders, gbp_days) = seed(app, &s).await;

        // Off: nothing to read yet.
        let off = app.get("/api/v1/analytics/rollups", t).await.ok(200);
        assert_eq!(off["enabled"], false);
        app.get("/api/v1/analytics/monthly-revenue", t).await.problem(409, "conflict");

        // On: every existing order is folded in.
        let since = Utc::now();
        let on = app.call("PUT", "/api/v1/analytics/rollups", t, Some(json!({"enabled": true}))).await.ok(200);
        assert_eq!(on["enabled"], true);
        assert_eq!(on["rebuilding"], true, "{on}");
        assert_eq!(on["pending"], true, "{on}");
        let state = caught_up(app, t, since).await;
        assert!(state["rebuilt_at"].is_string(), "{state}");
        // 40 orders with lines; the GBP ones count as orders without a rate.
        assert_eq!(state["orders"], 40, "{state}");
        for subject in ["companies", "contacts", "products"] {
            assert!(check_against_xyz(app, t, subject).await > 5, "{subject}");
        }
        // The organization's months: every order, the GBP ones apart.
        let all = app.get("/api/v1/analytics/monthly-revenue?limit=1000", t).await.ok(200);
        assert!(all["subject"].is_null());
        assert_eq!(all["base_currency"], "EUR");
        let without: i64 = all["items"].as_array().unwrap().iter().map(|i| i["orders_without_rate"].as_i64().unwrap()).sum();
        let counted: i64 = all["items"].as_array().unwrap().iter().map(|i| i["orders"].as_i64().unwrap()).sum();
        assert_eq!(without, 10 + 5, "ten GBP orders and five USD ones without a rate: {all}");
        assert_eq!(counted, 40 - 15);
        assert!(all["items"].as_array().unwrap().iter().all(|i| i["id"].is_null()));

        // The overview's section sums the organization's months of the period.
        let overview = app.get("/api/v1/analytics/overview", t).await.ok(200);
        let section = overview["sections"].as_array().unwrap().iter().find(|s| s["key"] == "monthly_revenue").unwrap().clone();
        let total: f64 = all["items"].as_array().unwrap().iter().map(|i| num(&i["revenue"])).sum();
        let figure = |k: &str| section["figures"].as_array().unwrap().iter().find(|f| f["key"] == k).unwrap()["value"].clone();
        assert!((num(&figure("revenue")) - total).abs() < 0.005, "{section}");
        assert_eq!(figure("orders"), json!(counted.to_string()));
        let last = all["items"].as_array().unwrap().iter().find(|i| i["month"].as_str().unwrap()[..7] == month(day(1, 0)));
        assert!((num(&figure("last_month")) - last.map_or(0.0, |i| num(&i["revenue"]))).abs() < 0.005);

        // A new order shows within seconds; a cancelled one leaves; neither recomputes the rest.
        let co = app.get("/api/v1/companies?limit=1", t).await.ok(200)["data"][0].clone();
        let company_id = co["id"].as_str().unwrap().to_owned();
        let before = rows(app, t, "companies").await;
        let m = month(day(1, 20));
        let was = before.get(&(company_id.clone(), m.clone())).map_or(0.0, |r| num(&r["revenue"]));
        let new = order(app, &s, json!({"currency": "EUR", "company_id": company_id, "ordered_at": format!("{}T10:00:00Z", day(1, 20)),
            "lines": [line(None, "2", "1000")]})).await;
        let mut now = 0.0;
        for _ in 0..300 {
            now = rows(app, t, "companies").await.get(&(company_id.clone(), m.clone())).map_or(0.0, |r| num(&r["revenue"]));
            if (now - was - 2000.0).abs() < 0.005 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!((now - was - 2000.0).abs() < 0.005, "the new order was folded in: {was} -> {now}");
        app.post(&format!("/api/v1/orders/{}/status", new["id"].as_str().unwrap()), t, json!({"status": "cancelled"})).await.ok(200);
        app.post(&format!("/api/v1/orders/{}/status", orders[2]["id"].as_str().unwrap()), t, json!({"status": "cancelled"})).await.ok(200);
        let since = Utc::now();
        let state = caught_up(app, t, since).await;
        assert_eq!(state["orders"], 39, "one of the first 40 cancelled: {state}");
        for subject in ["companies", "contacts", "products"] {
            check_against_xyz(app, t, subject).await;
        }

        // Rates for the GBP days: every order is folded again and they count.
        let rates: Vec<Value> = gbp_days.iter().map(|d| json!({"currency": "GBP", "date": d.to_string(), "rate": "1.2"})).collect();
        let since = Utc::now();
        app.call("PUT", "/api/v1/exchange-rates", t, Some(json!({"rates": rates}))).await.ok(200);
        let state = caught_up(app, t, since).await;
        let all = app.get("/api/v1/analytics/monthly-revenue?limit=1000", t).await.ok(200);
        let without: i64 = all["items"].as_array().unwrap().iter().map(|i| i["orders_without_rate"].as_i64().unwrap()).sum();
        assert_eq!(without, 5, "only the USD orders without a rate are left out: {all} {state}");
        for subject in ["companies", "contacts", "products"] {
            check_against_xyz(app, t, subject).await;
        }

        // One company's months over REST and GraphQL, the same.
        let one = app.get(&format!("/api/v1/analytics/monthly-revenue?subject=companies&id={company_id}"), t).await.ok(200);
        assert!(one["items"].as_array().unwrap().iter().all(|i| i["id"] == json!(company_id)));
        let g = app.gql(t, "query($id: ID!) { monthlyRevenue(subject: COMPANIES, id: $id) { rowCount baseCurrency items { id month revenue orders ordersWithoutRate lines quantity } } analyticsRollups { enabled rebuilding orders } }",
            json!({"id": company_id})).await.ok(200);
        assert!(g["errors"].is_null(), "{g}");
        let gm = &g["data"]["monthlyRevenue"];
        assert_eq!(gm["rowCount"], one["row_count"]);
        for (a, b) in gm["items"].as_array().unwrap().iter().zip(one["items"].as_array().unwrap()) {
            assert_eq!((&a["month"], &a["revenue"], &a["orders"], &a["lines"], &a["quantity"]), (&b["month"], &b["revenue"], &b["orders"], &b["lines"], &b["quantity"]));
        }
        assert_eq!(g["data"]["analyticsRollups"]["enabled"], true);

        // Off again: the rollups are not read, and no follower stays queued.
        let off = app.gql(t, "mutation { updateAnalyticsRollups(input: {enabled: false}) { enabled } }", json!({})).await.ok(200);
        assert_eq!(off["data"]["updateAnalyticsRollups"]["enabled"], false, "{off}");
        app.get("/api/v1/analytics/monthly-revenue", t).await.problem(409, "conflict");
        let mut idle = false;
        for _ in 0..100 {
            if app.get("/api/v1/analytics/rollups", t).await.ok(200)["pending"] == false {
                idle = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(idle, "a rollup turned off schedules nothing");
    }

    async fn rollup_requests_are_checked_and_kept_to_admins(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        app.call("PUT", "/api/v1/analytics/rollups", t, Some(json!({"enabled": true}))).await.ok(200);
        app.call("PUT", "/api/v1/analytics/rollups", t, Some(json!({"on": true}))).await.problem(422, "validation_failed");
        for (query, pointer) in [
            ("id=00000000-0000-0000-0000-000000000001", "/id"),
            ("subject=companies&id=nope", "/id"),
            ("subject=deals", "/subject"),
            ("from=2026-05-01&to=2026-04-01", "/to"),
            ("limit=0", "/limit"),
            ("a=0.5", "/a"),
        ] {
            let p = app.get(&format!("/api/v1/analytics/monthly-revenue?{query}"), t).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{query}: {p}");
        }
        // A period without orders is an empty answer.
        let empty = app.get("/api/v1/analytics/monthly-revenue?from=2001-01-01&to=2001-03-01", t).await.ok(200);
        assert_eq!(empty["row_count"], 0);
        assert_eq!(empty["from"], "2001-01-01");

        let agent = app.member(&s, "agent", "agent@acme.test").await;
        let a = Some(agent.token.as_str());
        app.get("/api/v1/analytics/rollups", a).await.ok(200);
        app.get("/api/v1/analytics/monthly-revenue", a).await.ok(200);
        app.call("PUT", "/api/v1/analytics/rollups", a, Some(json!({"enabled": false}))).await.problem(403, "forbidden");
        let g = app.gql(a, "mutation { updateAnalyticsRollups(input: {enabled: false}) { enabled } }", json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "forbidden", "{g}");
        assert_eq!(app.get("/api/v1/analytics/rollups", t).await.ok(200)["enabled"], true);

        // Another organization sees its own rollups only.
        let other = app.signup("Other", "admin@other.test").await;
        let o = Some(other.token.as_str());
        assert_eq!(app.get("/api/v1/analytics/rollups", o).await.ok(200)["enabled"], false);
        app.get("/api/v1/analytics/monthly-revenue", o).await.problem(409, "conflict");
    }

    async fn monthly_revenue_rows_sort_and_filter_in_the_database(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        seed(app, &s).await;
        let since = Utc::now();
        app.call("PUT", "/api/v1/analytics/rollups", t, Some(json!({"enabled": true}))).await.ok(200);
        caught_up(app, t, since).await;
        const Q: &str = "/api/v1/analytics/monthly-revenue?subject=products&limit=1000";
        let all = app.get(Q, t).await.ok(200);
        let every = all["items"].as_array().unwrap().clone();
        assert!(every.len() > 8, "{all}");
        let dec = |v: &Value| v.as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
        let median = {
            let mut r: Vec<_> = every.iter().map(|i| dec(&i["revenue"])).collect();
            r.sort();
            r[r.len() / 2]
        };

        // Revenue (as a number, not text) at least the median, largest first; ties keep the
        // (id, month) order the unsorted rows come in; the page is cut after.
        let got = app.get(&format!("{Q}&revenue[gte]={median}&sort=-revenue"), t).await.ok(200);
        let mut want: Vec<Value> = every.iter().filter(|i| dec(&i["revenue"]) >= median).cloned().collect();
        want.sort_by_key(|i| std::cmp::Reverse(dec(&i["revenue"])));
        assert_eq!(got["items"], json!(want), "{got}");
        assert_eq!(got["row_count"], want.len());
        let page = app.get(&format!("/api/v1/analytics/monthly-revenue?subject=products&revenue[gte]={median}&sort=-revenue&limit=2&offset=1"), t).await.ok(200);
        assert_eq!(page["items"], json!(want[1..3]));
        assert_eq!(page["row_count"], want.len());

        // A month by its prefix, orders by a list, two products by id, sorted by month.
        let month = every[0]["month"].as_str().unwrap()[..7].to_owned();
        let got = app.get(&format!("{Q}&month[starts_with]={month}&orders[in]=1,2"), t).await.ok(200);
        let want: Vec<Value> = every.iter().filter(|i| i["month"].as_str().unwrap().starts_with(&month) && [1, 2].contains(&i["orders"].as_i64().unwrap())).cloned().collect();
        assert_eq!(got["items"], json!(want));
        let (a, b) = (every[0]["id"].as_str().unwrap(), every.last().unwrap()["id"].as_str().unwrap());
        let got = app.get(&format!("{Q}&id[in]={a},{b}&sort=month,-quantity"), t).await.ok(200);
        let mut want: Vec<Value> = every.iter().filter(|i| i["id"] == a || i["id"] == b).cloned().collect();
        want.sort_by(|x, y| x["month"].as_str().cmp(&y["month"].as_str()).then(dec(&y["quantity"]).cmp(&dec(&x["quantity"]))));
        assert_eq!(got["items"], json!(want));

        // The organization's rows have no id.
        let org = app.get("/api/v1/analytics/monthly-revenue?limit=1000", t).await.ok(200);
        let null = app.get("/api/v1/analytics/monthly-revenue?limit=1000&id[is_null]=true", t).await.ok(200);
        assert_eq!(null["items"], org["items"]);
        let none = app.get("/api/v1/analytics/monthly-revenue?id[is_null]=false", t).await.ok(200);
        assert_eq!(none["row_count"], 0);

        // GraphQL: the same rows.
        let g = app.gql(t, &format!(r#"{{ monthlyRevenue(subject: PRODUCTS, limit: 1000, sort: [{{field: "revenue", descending: true}}], filter: [{{field: "revenue", op: GTE, value: "{median}"}}]) {{ rowCount items {{ id month revenue }} }} }}"#), json!({})).await.ok(200);
        let got = app.get(&format!("{Q}&revenue[gte]={median}&sort=-revenue"), t).await.ok(200);
        let rest: Vec<Value> = got["items"].as_array().unwrap().iter().map(|i| json!([i["id"], i["month"], i["revenue"]])).collect();
        let graph: Vec<Value> = g["data"]["monthlyRevenue"]["items"].as_array().unwrap().iter().map(|i| json!([i["id"], i["month"], i["revenue"]])).collect();
        assert_eq!(graph, rest, "{g}");
        assert_eq!(g["data"]["monthlyRevenue"]["rowCount"], got["row_count"]);

        // Bad fields, operators and values, each named.
        for (query, pointer, code) in [
            ("sort=name", "/sort", "invalid_value"),
            ("revenue=lots", "/revenue", "invalid_value"),
            ("id=nope", "/id", "invalid_value"),
            ("id[contains]=ab", "/id", "invalid_operator"),
            ("orders[contains]=1", "/orders", "invalid_operator"),
            ("customer[eq]=x", "/customer", "unknown_field"),
        ] {
            let p = app.get(&format!("{Q}&{query}"), t).await.problem(422, "validation_failed");
            assert_eq!((p["errors"][0]["pointer"].as_str(), p["errors"][0]["code"].as_str()), (Some(pointer), Some(code)), "{query}: {p}");
        }
    }
}
