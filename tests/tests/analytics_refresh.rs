//! Analytics written back onto companies and contacts (`analytics.*`, read-only): the refresh
//! run on demand and by itself (`/api/v1/analytics/refresh`, the same over GraphQL), its
//! figures checked against the reports themselves, lists filtered and sorted on them over REST
//! and GraphQL, and records' versions left alone, on both engines.

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

/// Companies and their orders (months back, day of the month, amount in EUR), all within the
/// default period (the 12 full months before this month). `Never` has none.
/// An order: months back, day of the month, amount.
type Order = (u32, u64, &'static str);

const COMPANIES: [(&str, &[Order]); 6] = [
    (
        "Big",
        &[
            (1, 4, "3000"),
            (2, 4, "3000"),
            (3, 4, "3000"),
            (4, 4, "3000"),
            (5, 4, "3000"),
            (6, 4, "3000"),
        ],
    ),
    ("Mid", &[(2, 9, "600"), (4, 9, "400"), (4, 9, "200")]),
    ("Small", &[(5, 2, "100")]),
    ("Tiny", &[(3, 19, "50"), (1, 19, "60")]),
    ("Lapsed", &[(11, 0, "300"), (10, 0, "200"), (9, 0, "250")]),
    ("Never", &[]),
];

async fn order(
    app: &TestApp,
    s: &Session,
    owner: (&str, &Value),
    on: NaiveDate,
    amount: &str,
) -> Value {
    app.post(
        "/api/v1/orders",
        Some(&s.token),
        json!({"currency": "EUR", owner.0: owner.1, "ordered_at": format!("{on}T10:00:00Z"),
               "lines": [{"description": "Service", "quantity": "1", "unit_price": amount, "tax_rate": "19"}]}),
    )
    .await
    .ok(201)
}

/// Waits until the order's creation is in the change feed (PostgreSQL's horizon can hold it
/// back a moment on a busy machine). A refresh run takes the feed's head before it reads, so
/// an order it read but its head did not yet hold makes the next run compute again.
async fn in_feed(app: &TestApp, t: Option<&str>, id: &Value) {
    for _ in 0..200 {
        let mut after = String::new();
        loop {
            let page = app
                .get(
                    &format!("/api/v1/events?types=order.created&limit=100{after}"),
                    t,
                )
                .await
                .ok(200);
            let events = page["data"].as_array().unwrap();
            if events.iter().any(|e| e["record"]["id"] == *id) {
                return;
            }
            match page["next_cursor"].as_str() {
                Some(c) if !events.is_empty() => after = format!("&after={c}"),
                _ => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("order {id} never reached the change feed");
}

/// Companies by name, and two contacts (Ann buys often, Bob once).
async fn seed(app: &TestApp, s: &Session) -> (HashMap<String, Value>, Vec<Value>) {
    let t = Some(s.token.as_str());
    let mut companies = HashMap::new();
    for (name, orders) in COMPANIES {
        let c = app
            .post("/api/v1/companies", t, json!({"name": name}))
            .await
            .ok(201);
        for (back, d, amount) in orders {
            order(app, s, ("company_id", &c["id"]), day(*back, *d), amount).await;
        }
        companies.insert(name.to_owned(), c);
    }
    let ann = app
        .post(
            "/api/v1/contacts",
            t,
            json!({"first_name": "Ann", "email": "ann@x.test"}),
        )
        .await
        .ok(201);
    let bob = app
        .post(
            "/api/v1/contacts",
            t,
            json!({"first_name": "Bob", "email": "bob@x.test"}),
        )
        .await
        .ok(201);
    for back in [1, 2, 3, 5] {
        order(app, s, ("contact_id", &ann["id"]), day(back, 7), "120").await;
    }
    order(app, s, ("contact_id", &bob["id"]), day(8, 7), "80").await;
    (companies, vec![ann, bob])
}

/// Waits until the refresh has run after `since` (its `refreshed_at` differs) and nothing is
/// pending; returns its state.
async fn refreshed(app: &TestApp, t: Option<&str>, since: &Value) -> Value {
    for _ in 0..300 {
        let r = app.get("/api/v1/analytics/refresh", t).await.ok(200);
        if !r["refreshed_at"].is_null()
            && r["refreshed_at"] != *since
            && (r["pending"] == false || r["enabled"] == true)
        {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the refresh did not run within 30 s");
}

/// A report's items by id.
async fn items(
    app: &TestApp,
    t: Option<&str>,
    report: &str,
    subject: &str,
) -> HashMap<String, Value> {
    let r = app
        .get(
            &format!("/api/v1/analytics/{report}?subject={subject}&limit=1000"),
            t,
        )
        .await
        .ok(200);
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_owned(), i.clone()))
        .collect()
}

/// Every written figure of `subject`'s records equals the reports'.
async fn check_against_reports(app: &TestApp, t: Option<&str>, subject: &str) -> usize {
    let abc = items(app, t, "abc", subject).await;
    let xyz = items(app, t, "xyz", subject).await;
    let rfm = items(app, t, "rfm", subject).await;
    let clv = items(app, t, "clv", subject).await;
    let list = app
        .get(&format!("/api/v1/{subject}?limit=100"), t)
        .await
        .ok(200);
    let mut written = 0;
    for record in list["data"].as_array().unwrap() {
        let id = record["id"].as_str().unwrap();
        let a = &record["analytics"];
        let name = record["name"]
            .as_str()
            .or(record["first_name"].as_str())
            .unwrap();
        assert_eq!(
            a["abc_class"],
            abc.get(id).map_or(Value::Null, |i| i["class"].clone()),
            "{name}: {a}"
        );
        assert_eq!(
            a["xyz_class"],
            xyz.get(id).map_or(Value::Null, |i| i["class"].clone()),
            "{name}: {a}"
        );
        assert_eq!(
            a["rfm_score"],
            rfm.get(id).map_or(Value::Null, |i| i["score"].clone()),
            "{name}: {a}"
        );
        assert_eq!(
            a["rfm_segment"],
            rfm.get(id).map_or(Value::Null, |i| i["segment"].clone()),
            "{name}: {a}"
        );
        match clv.get(id).map(|i| (&i["clv"], &i["p_alive"])) {
            Some((c, p)) => {
                match c.as_str() {
                    Some(c) => assert!(
                        (a["clv"].as_f64().unwrap() - c.parse::<f64>().unwrap()).abs() < 0.006,
                        "{name}: {a} vs {c}"
                    ),
                    None => assert!(a["clv"].is_null(), "{name}: {a}"),
                }
                match p.as_f64() {
                    Some(p) => {
                        assert!(
                            (a["p_alive"].as_f64().unwrap() - p).abs() < 1e-6,
                            "{name}: {a} vs {p}"
                        );
                        assert!(
                            (a["churn_risk"].as_f64().unwrap() - (1.0 - p)).abs() < 2e-6,
                            "{name}: {a}"
                        );
                    }
                    None => assert!(
                        a["p_alive"].is_null() && a["churn_risk"].is_null(),
                        "{name}: {a}"
                    ),
                }
            }
            None => assert!(a["clv"].is_null() && a["p_alive"].is_null(), "{name}: {a}"),
        }
        if abc.contains_key(id) || clv.contains_key(id) {
            assert!(a["computed_at"].is_string(), "{name}: {a}");
            written += 1;
        } else {
            assert!(a["computed_at"].is_null(), "{name}: {a}");
        }
    }
    written
}

fn names(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The overview's sections by key.
fn sections(o: &Value) -> HashMap<String, Value> {
    o["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap().to_owned(), s.clone()))
        .collect()
}

/// A timestamp of an answer.
fn ts(v: &Value) -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// A section's figure.
fn figure<'a>(o: &'a Value, section: &str, key: &str) -> &'a Value {
    let s = o["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == section)
        .unwrap();
    &s["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap()["value"]
}

/// Waits until the default overview of `subject` answers the sections the refresh stored at or
/// after `after` (their `computed_at` is when that run began, before it wrote `refreshed_at`).
async fn stored_overview(
    app: &TestApp,
    t: Option<&str>,
    subject: &str,
    after: chrono::DateTime<Utc>,
    refreshed: chrono::DateTime<Utc>,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = app
            .get(&format!("/api/v1/analytics/overview?subject={subject}"), t)
            .await
            .ok(200);
        let abc = ts(&sections(&last)["abc"]["computed_at"]);
        if abc > after && abc <= refreshed {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the refresh's overview of {subject} was not stored within 30 s (refreshed at {refreshed}): {last}"
    );
}

dual! {
    async fn a_refresh_writes_the_reports_figures_onto_customers_and_lists_filter_and_sort_on_them(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let (companies, contacts) = seed(app, &s).await;

        // Nothing is written before a refresh.
        let before = app.get("/api/v1/analytics/refresh", t).await.ok(200);
        assert_eq!(before["enabled"], false);
        assert_eq!(before["interval_secs"], 60);
        assert!(before["refreshed_at"].is_null(), "{before}");
        let big = app.get(&format!("/api/v1/companies/{}", companies["Big"]["id"].as_str().unwrap()), t).await;
        assert_eq!(big.header("etag").as_deref(), Some("\"1\""));
        assert!(big.json()["analytics"]["abc_class"].is_null());

        // Run it: 202 at once, then the figures.
        let queued = app.post("/api/v1/analytics/refresh/run", t, json!({})).await.ok(202);
        assert_eq!(queued["pending"], true, "{queued}");
        let done = refreshed(app, t, &Value::Null).await;
        assert!(done["last_error"].is_null(), "{done}");
        assert_eq!(done["companies"], 5, "{done}");
        assert_eq!(done["contacts"], 2, "{done}");
        assert_eq!(done["reference_date"], Utc::now().date_naive().to_string());
        assert_eq!(check_against_reports(app, t, "companies").await, 5);
        assert_eq!(check_against_reports(app, t, "contacts").await, 2);

        // Big brings 89 % of the revenue: alone in class A; Never has nothing.
        let big = app.get(&format!("/api/v1/companies/{}", companies["Big"]["id"].as_str().unwrap()), t).await;
        let body = big.json();
        assert_eq!(body["analytics"]["abc_class"], "A");
        assert_eq!(body["analytics"]["xyz_class"], "Z", "six months of twelve without orders: {body}");
        // Derived figures are not a change of the record: same version and updated_at; the
        // ETag tells a cached copy apart, and If-Match still takes the version.
        assert_eq!(body["version"], 1);
        assert_eq!(body["updated_at"], companies["Big"]["updated_at"]);
        let etag = big.header("etag").unwrap();
        assert!(etag.starts_with("\"1.") && etag.len() > 5, "{etag}");
        let r = app.raw("GET", &format!("/api/v1/companies/{}", body["id"].as_str().unwrap()),
            &[("authorization", &format!("Bearer {}", s.token)), ("if-none-match", &etag)], vec![]).await;
        assert_eq!(r.status, 304);
        let r = app.raw("PATCH", &format!("/api/v1/companies/{}", body["id"].as_str().unwrap()),
            &[("authorization", &format!("Bearer {}", s.token)), ("if-match", &etag), ("content-type", "application/json")],
            br#"{"industry": "pumps"}"#.to_vec()).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["analytics"]["abc_class"], "A", "a change keeps the figures");
        let never = app.get(&format!("/api/v1/companies/{}", companies["Never"]["id"].as_str().unwrap()), t).await.ok(200);
        assert_eq!(never["analytics"], json!({"abc_class": null, "xyz_class": null, "rfm_score": null, "rfm_segment": null, "clv": null, "p_alive": null, "churn_risk": null, "computed_at": null}));

        // The overview sums them up.
        let o = app.get("/api/v1/analytics/overview", t).await.ok(200);
        let section = o["sections"].as_array().unwrap().iter().find(|s| s["key"] == "lifetime_value").unwrap().clone();
        let figure = |key: &str| section["figures"].as_array().unwrap().iter().find(|f| f["key"] == key).unwrap()["value"].clone();
        let all = app.get("/api/v1/companies?limit=100", t).await.ok(200);
        let with: Vec<&Value> = all["data"].as_array().unwrap().iter().map(|c| &c["analytics"]).filter(|a| !a["computed_at"].is_null()).collect();
        assert_eq!(figure("customers"), with.len().to_string());
        let clv: f64 = with.iter().filter_map(|a| a["clv"].as_f64()).sum();
        if with.iter().any(|a| a["clv"].is_number()) {
            assert!((figure("predicted_value").as_str().unwrap().parse::<f64>().unwrap() - clv).abs() < 0.006, "{section}");
        } else {
            assert!(figure("predicted_value").is_null(), "{section}");
        }
        let risky = with.iter().filter(|a| a["churn_risk"].as_f64().is_some_and(|r| r >= 0.5)).count();
        assert_eq!(figure("at_churn_risk"), risky.to_string());

        // Lists filter and sort on them.
        let a = app.get("/api/v1/companies?analytics.abc_class=A&sort=name", t).await.ok(200);
        assert_eq!(names(&a), vec!["Big"]);
        let not_a = app.get("/api/v1/companies?analytics.abc_class[in]=B,C&sort=name", t).await.ok(200);
        let abc = items(app, t, "abc", "companies").await;
        let mut want: Vec<String> = abc.values().filter(|i| i["class"] != "A").map(|i| i["name"].as_str().unwrap().to_owned()).collect();
        want.sort();
        assert_eq!(names(&not_a), want);
        let none = app.get("/api/v1/companies?analytics.computed_at[is_null]=true", t).await.ok(200);
        assert_eq!(names(&none), vec!["Never"]);
        // NULLs sort first ascending, as everywhere.
        let by_revenue_class = app.get("/api/v1/companies?sort=analytics.abc_class,name&limit=2", t).await.ok(200);
        assert_eq!(names(&by_revenue_class), vec!["Never", "Big"]);
        // By predicted value, highest first, paged: the pages join up to the whole order.
        let rfm = items(app, t, "rfm", "companies").await;
        let champions: Vec<&Value> = rfm.values().filter(|i| i["segment"] == rfm[companies["Big"]["id"].as_str().unwrap()]["segment"]).collect();
        let seg = app.get(&format!("/api/v1/companies?analytics.rfm_segment={}", champions[0]["segment"].as_str().unwrap()), t).await.ok(200);
        assert_eq!(seg["data"].as_array().unwrap().len(), champions.len());
        let mut paged = Vec::new();
        let mut next = "/api/v1/companies?sort=-analytics.p_alive,name&limit=2".to_owned();
        loop {
            let page = app.get(&next, t).await.ok(200);
            paged.extend(page["data"].as_array().unwrap().iter().map(|c| (c["name"].as_str().unwrap().to_owned(), c["analytics"]["p_alive"].as_f64())));
            match page["next_cursor"].as_str() {
                Some(c) => next = format!("/api/v1/companies?sort=-analytics.p_alive,name&limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(paged.len(), 6, "{paged:?}");
        let mut sorted = paged.clone();
        // Descending with nulls where the list puts them: compare the non-null run.
        let known: Vec<f64> = sorted.iter().filter_map(|(_, p)| *p).collect();
        assert!(known.windows(2).all(|w| w[0] >= w[1]), "{paged:?}");
        sorted.retain(|(_, p)| p.is_none());
        assert!(sorted.iter().any(|(n, _)| n == "Never"));
        let rich = app.get("/api/v1/companies?analytics.clv[gt]=0&sort=name", t).await.ok(200);
        for c in rich["data"].as_array().unwrap() {
            assert!(c["analytics"]["clv"].as_f64().unwrap() > 0.0, "{c}");
        }
        // Unknown analytics fields are refused like any unknown filter.
        app.get("/api/v1/companies?analytics.nothing=1", t).await.problem(422, "validation_failed");

        // The same over GraphQL.
        let g = app.gql(t, r#"{ companies(first: 10, filter: {analyticsAbcClass: {eq: "A"}}, orderBy: [{field: ANALYTICS_CLV, direction: DESC}]) { edges { node { name analytics { abcClass xyzClass rfmScore rfmSegment clv pAlive churnRisk computedAt } } } } }"#, json!({})).await.ok(200);
        assert!(g["errors"].is_null(), "{g}");
        let edges = g["data"]["companies"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 1, "{g}");
        assert_eq!(edges[0]["node"]["name"], "Big");
        assert_eq!(edges[0]["node"]["analytics"]["abcClass"], "A");
        let g = app.gql(t, r#"{ contacts(first: 10, orderBy: [{field: ANALYTICS_RFM_SCORE, direction: DESC}]) { edges { node { firstName analytics { rfmScore } } } } }"#, json!({})).await.ok(200);
        assert!(g["errors"].is_null(), "{g}");
        let first = &g["data"]["contacts"]["edges"][0]["node"];
        assert_eq!(first["firstName"], "Ann", "{g}");
        let g = app.gql(t, "{ analyticsRefresh { enabled intervalSecs pending refreshedAt referenceDate contacts companies notes lastError } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["analyticsRefresh"]["companies"], 5, "{g}");

        // A run that finds nothing new writes nothing: the figures keep when they were written,
        // and a cached copy stays current.
        let big_id = companies["Big"]["id"].as_str().unwrap();
        let before = app.get(&format!("/api/v1/companies/{big_id}"), t).await;
        app.post("/api/v1/analytics/refresh/run", t, json!({})).await.ok(202);
        let same = refreshed(app, t, &done["refreshed_at"]).await;
        let after = app.get(&format!("/api/v1/companies/{big_id}"), t).await;
        assert_eq!(after.json()["analytics"], before.json()["analytics"]);
        assert_eq!(after.header("etag"), before.header("etag"));
        assert_eq!(after.json()["version"], 2, "the PATCH above");
        assert!(after.header("etag").unwrap().starts_with("\"2."), "{:?}", after.header("etag"));
        // An If-Match with another resource's kind of stamp names no version.
        let r = app.raw("PATCH", &format!("/api/v1/companies/{big_id}"),
            &[("authorization", &format!("Bearer {}", s.token)), ("if-match", "\"2.x\""), ("content-type", "application/json")],
            br#"{"industry": "valves"}"#.to_vec()).await;
        assert_eq!(r.status, 412, "{}", r.text());

        // A customer whose only order is cancelled is cleared by the next run.
        let small_orders = app.get(&format!("/api/v1/orders?company_id={}", companies["Small"]["id"].as_str().unwrap()), t).await.ok(200);
        let small_order = &small_orders["data"][0];
        app.post(&format!("/api/v1/orders/{}/status", small_order["id"].as_str().unwrap()), t, json!({"status": "cancelled"})).await.ok(200);
        let g = app.gql(t, "mutation { runAnalyticsRefresh { pending } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["runAnalyticsRefresh"]["pending"], true, "{g}");
        let again = refreshed(app, t, &same["refreshed_at"]).await;
        assert_eq!(again["companies"], 4, "{again}");
        let small = app.get(&format!("/api/v1/companies/{}", companies["Small"]["id"].as_str().unwrap()), t).await.ok(200);
        assert!(small["analytics"]["abc_class"].is_null() && small["analytics"]["computed_at"].is_null(), "{small}");
        assert_eq!(check_against_reports(app, t, "companies").await, 4);
        let _ = contacts;
    }

    async fn an_enabled_refresh_follows_new_orders_by_itself(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let (companies, _) = seed(app, &s).await;
        let on = app.call("PUT", "/api/v1/analytics/refresh", t, Some(json!({"enabled": true, "interval_secs": 86400}))).await.ok(200);
        assert_eq!(on["enabled"], true);
        assert_eq!(on["pending"], true, "enabling runs it at once: {on}");
        let first = refreshed(app, t, &Value::Null).await;
        assert_eq!(first["companies"], 5, "{first}");
        let never = companies["Never"]["id"].as_str().unwrap();
        let got = app.get(&format!("/api/v1/companies/{never}"), t).await.ok(200);
        assert!(got["analytics"]["abc_class"].is_null());

        // A new order; the next run is a day away, but a shorter interval applies at once, and
        // the next look at the feed recomputes.
        order(app, &s, ("company_id", &companies["Never"]["id"]), day(1, 12), "5000").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let got = app.get(&format!("/api/v1/companies/{never}"), t).await.ok(200);
        assert!(got["analytics"]["abc_class"].is_null(), "not before its run: {got}");
        let faster = app.call("PUT", "/api/v1/analytics/refresh", t, Some(json!({"interval_secs": 5}))).await.ok(200);
        assert_eq!(faster["interval_secs"], 5);
        let mut seen = Value::Null;
        for _ in 0..200 {
            seen = app.get(&format!("/api/v1/companies/{never}"), t).await.ok(200)["analytics"].clone();
            if !seen["abc_class"].is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(seen["abc_class"].is_string(), "{seen}");
        assert_eq!(check_against_reports(app, t, "companies").await, 6);

        // A change the feed does not carry (the segment table) marks the figures stale: the
        // next look recomputes.
        let all: serde_json::Map<String, Value> = (1..=5).flat_map(|r| (1..=5).map(move |f| (format!("{r}{f}"), json!("renamed")))).collect();
        app.call("PUT", "/api/v1/analytics/settings", t, Some(json!({"rfm_segments": all}))).await.ok(200);
        let mut renamed = false;
        for _ in 0..200 {
            let list = app.get("/api/v1/companies?analytics.rfm_segment=renamed&limit=100", t).await.ok(200);
            if list["data"].as_array().unwrap().len() == 6 {
                renamed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(renamed, "the new segment names were written");

        // Turned off, it stops after the run in hand: no job stays queued.
        let off = app.call("PUT", "/api/v1/analytics/refresh", t, Some(json!({"enabled": false}))).await.ok(200);
        assert_eq!(off["enabled"], false);
        assert_eq!(off["interval_secs"], 5);
        let mut idle = false;
        for _ in 0..100 {
            if app.get("/api/v1/analytics/refresh", t).await.ok(200)["pending"] == false {
                idle = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(idle, "a disabled refresh schedules nothing");
    }

    async fn refresh_settings_are_checked_and_kept_to_admins(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let p = app.call("PUT", "/api/v1/analytics/refresh", t, Some(json!({"interval_secs": 4}))).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/interval_secs", "{p}");
        let p = app.call("PUT", "/api/v1/analytics/refresh", t, Some(json!({"interval_secs": 86401}))).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/interval_secs", "{p}");
        app.call("PUT", "/api/v1/analytics/refresh", t, Some(json!({"every": 5}))).await.problem(422, "validation_failed");
        let g = app.gql(t, "mutation { updateAnalyticsRefresh(input: {intervalSecs: 1}) { intervalSecs } }", json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "validation_failed", "{g}");
        // Nothing was stored by the refusals.
        let r = app.get("/api/v1/analytics/refresh", t).await.ok(200);
        assert_eq!(r["interval_secs"], 60);
        assert_eq!(r["enabled"], false);

        let agent = app.member(&s, "agent", "agent@acme.test").await;
        let a = Some(agent.token.as_str());
        app.get("/api/v1/analytics/refresh", a).await.ok(200);
        app.post("/api/v1/analytics/refresh/run", a, json!({})).await.problem(403, "forbidden");
        app.call("PUT", "/api/v1/analytics/refresh", a, Some(json!({"enabled": true}))).await.problem(403, "forbidden");
        // The written fields are read-only: a body that sets them is refused.
        let c = app.post("/api/v1/companies", t, json!({"name": "X"})).await.ok(201);
        app.patch(&format!("/api/v1/companies/{}", c["id"].as_str().unwrap()), t, json!({"analytics": {"abc_class": "A"}})).await.problem(422, "validation_failed");
        app.post("/api/v1/contacts", t, json!({"first_name": "Y", "analytics": {"clv": 1}})).await.problem(422, "validation_failed");
    }

    async fn the_default_overview_answers_from_the_refreshs_stored_sections(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let (companies, _) = seed(app, &s).await;
        let today = Utc::now().date_naive();
        // Without a refresh every section is computed for the request.
        let start = Utc::now() - chrono::Duration::milliseconds(1);
        let live = app.get("/api/v1/analytics/overview", t).await.ok(200);
        for (key, s) in sections(&live) {
            assert!(ts(&s["computed_at"]) >= start, "{key}: {s}");
        }
        assert_eq!(live["computed_at"], sections(&live)["abc"]["computed_at"], "the oldest section's time");

        app.call("PUT", "/api/v1/analytics/refresh", t, Some(json!({"enabled": true, "interval_secs": 86400}))).await.ok(200);
        let run = refreshed(app, t, &Value::Null).await;
        let at = ts(&run["refreshed_at"]);
        let never = chrono::DateTime::<Utc>::MIN_UTC;
        for subject in ["companies", "contacts"] {
            let kept = stored_overview(app, t, subject, never, at).await;
            let now = app.get(&format!("/api/v1/analytics/overview?subject={subject}&reference_date={today}"), t).await.ok(200);
            let (kept_s, now_s) = (sections(&kept), sections(&now));
            assert_eq!(kept_s.len(), 9, "{kept}");
            for (key, k) in &kept_s {
                let n = &now_s[key];
                assert_eq!(k["figures"], n["figures"], "{subject} {key}: the stored figures are the report's");
                assert_eq!(k["title"], n["title"]);
                let live_now = key == "monthly_revenue";
                assert_eq!(ts(&k["computed_at"]) > at, live_now, "{subject} {key}: {k}");
            }
            assert_eq!(kept["computed_at"], kept_s["abc"]["computed_at"], "{kept}");
            assert_eq!((kept["from"].clone(), kept["to"].clone()), (now["from"].clone(), now["to"].clone()));
        }
        let kept = stored_overview(app, t, "companies", never, at).await;
        assert_eq!(figure(&kept, "abc", "revenue"), "20160.00");
        assert_eq!(figure(&kept, "lifetime_value", "customers"), "5");
        let g = app.gql(t, "{ analyticsOverview { computedAt sections { key computedAt figures { key value } } } }", json!({})).await.ok(200);
        let gs = &g["data"]["analyticsOverview"]["sections"];
        assert_eq!(gs[0]["key"], "abc");
        assert_eq!(ts(&gs[0]["computedAt"]), ts(&sections(&kept)["abc"]["computed_at"]), "{g}");
        assert_eq!(gs[0]["figures"][0]["value"], "20160.00");

        // A new order: the stored sections wait for the next run (a day away), the reports and
        // an overview with parameters see it at once.
        let new_order = order(app, &s, ("company_id", &companies["Never"]["id"]), day(1, 12), "5000").await;
        in_feed(app, t, &new_order["id"]).await;
        let same = app.get("/api/v1/analytics/overview", t).await.ok(200);
        assert_eq!(figure(&same, "abc", "revenue"), "20160.00");
        let asked = app.get(&format!("/api/v1/analytics/overview?reference_date={today}"), t).await.ok(200);
        assert_eq!(figure(&asked, "abc", "revenue"), "25160.00");
        let thresholds = app.get("/api/v1/analytics/overview?a=0.7&b=0.9", t).await.ok(200);
        assert!(ts(&sections(&thresholds)["abc"]["computed_at"]) > at, "parameters are computed now");

        // The next run stores the new figures.
        app.post("/api/v1/analytics/refresh/run", t, json!({})).await.ok(202);
        let second = refreshed(app, t, &run["refreshed_at"]).await;
        let at2 = ts(&second["refreshed_at"]);
        let first_abc = ts(&sections(&kept)["abc"]["computed_at"]);
        let next = stored_overview(app, t, "companies", first_abc, at2).await;
        assert_eq!(figure(&next, "abc", "revenue"), "25160.00");
        assert_eq!(figure(&next, "lifetime_value", "customers"), "6");

        // A deal changes only the funnel: the next look computes its section again, not the
        // reports (their sections keep their time).
        let p = app.post("/api/v1/pipelines", t, crm_tests::fixtures::pipeline_body("Sales")).await.ok(201);
        app.post("/api/v1/deals", t, json!({"name": "Big one", "pipeline_id": p["id"]})).await.ok(201);
        assert_eq!(figure(&next, "funnel", "open_deals"), &Value::Null, "no pipeline at the run");
        app.call("PUT", "/api/v1/analytics/refresh", t, Some(json!({"interval_secs": 5}))).await.ok(200);
        let mut seen = Value::Null;
        for _ in 0..200 {
            seen = app.get("/api/v1/analytics/overview", t).await.ok(200);
            if figure(&seen, "funnel", "open_deals") == "1" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(figure(&seen, "funnel", "open_deals"), "1", "{seen}");
        let now_s = sections(&seen);
        assert!(ts(&now_s["funnel"]["computed_at"]) > at2, "{seen}");
        assert_eq!(now_s["abc"]["computed_at"], sections(&next)["abc"]["computed_at"], "the reports were not run again");
        assert_eq!(figure(&seen, "abc", "revenue"), "25160.00");

        // Turned off, the stored sections are no longer answered.
        app.call("PUT", "/api/v1/analytics/refresh", t, Some(json!({"enabled": false}))).await.ok(200);
        let off = app.get("/api/v1/analytics/overview", t).await.ok(200);
        assert!(ts(&sections(&off)["abc"]["computed_at"]) > at2, "{off}");
        assert_eq!(figure(&off, "abc", "revenue"), "25160.00");
    }
}
