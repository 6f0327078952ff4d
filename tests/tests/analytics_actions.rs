//! Next best actions (`/api/v1/analytics/next-best-actions`, the same over GraphQL): the list
//! checked against the documented rules applied here to the written-back figures and the
//! recommendations, accepting (the task exists, assigned and due as documented) and
//! dismissing, and what is refused, on both engines.

use chrono::{Datelike, Months, NaiveDate, Utc};
use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

fn day(back: u32) -> NaiveDate {
    let today = Utc::now().date_naive();
    today.with_day(1).unwrap() - Months::new(back) + chrono::Days::new(3)
}

/// Orders of a company: (months back, amount per line, with the second product too).
type Orders = &'static [(u32, &'static str, bool)];

/// Ten companies whose recency and frequency quintiles give champions (recent and frequent,
/// buying the pump only), valuable customers at risk (frequent, big, long ago), lost and
/// hibernating ones (once, long ago), and the middle, who buy pumps with valves: so the
/// champions are recommended the valve.
const COMPANIES: [(&str, Orders); 10] = [
    (
        "Champ1",
        &[
            (1, "100", false),
            (2, "100", false),
            (3, "100", false),
            (4, "100", false),
            (5, "100", false),
            (6, "100", false),
        ],
    ),
    (
        "Champ2",
        &[
            (1, "100", false),
            (2, "100", false),
            (3, "100", false),
            (4, "100", false),
            (5, "100", false),
        ],
    ),
    (
        "Risk1",
        &[
            (7, "5000", false),
            (8, "5000", false),
            (9, "5000", false),
            (10, "5000", false),
            (11, "5000", false),
        ],
    ),
    (
        "Risk2",
        &[
            (8, "4000", false),
            (9, "4000", false),
            (10, "4000", false),
            (11, "4000", false),
        ],
    ),
    ("Lost1", &[(11, "50", false)]),
    ("Lost2", &[(10, "50", false)]),
    ("Mid1", &[(2, "80", true), (5, "80", true)]),
    ("Mid2", &[(3, "80", false)]),
    ("Mid3", &[(4, "80", true), (6, "80", true)]),
    ("Mid4", &[(2, "80", false)]),
];

async fn seed(app: &TestApp, s: &Session) -> HashMap<String, String> {
    let t = Some(s.token.as_str());
    let pump = app
        .post("/api/v1/products", t, json!({"sku": "P1", "name": "Pump"}))
        .await
        .ok(201);
    let valve = app
        .post("/api/v1/products", t, json!({"sku": "P2", "name": "Valve"}))
        .await
        .ok(201);
    let mut ids = HashMap::new();
    for (name, orders) in COMPANIES {
        let c = app
            .post("/api/v1/companies", t, json!({"name": name}))
            .await
            .ok(201);
        for (back, amount, both) in orders {
            let mut lines = vec![
                json!({"product_id": pump["id"], "quantity": "1", "unit_price": amount, "tax_rate": "19"}),
            ];
            if *both {
                lines.push(json!({"product_id": valve["id"], "quantity": "1", "unit_price": "10", "tax_rate": "19"}));
            }
            app.post("/api/v1/orders", t, json!({"currency": "EUR", "company_id": c["id"], "ordered_at": format!("{}T10:00:00Z", day(*back)), "lines": lines}))
                .await
                .ok(201);
        }
        ids.insert(name.to_owned(), c["id"].as_str().unwrap().to_owned());
    }
    // The figures the rules read.
    app.post("/api/v1/analytics/refresh/run", t, json!({}))
        .await
        .ok(202);
    for _ in 0..300 {
        let r = app.get("/api/v1/analytics/refresh", t).await.ok(200);
        if !r["refreshed_at"].is_null() && r["pending"] == false {
            return ids;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the refresh did not run");
}

/// The documented rules, applied here to the companies' written-back figures and their best
/// recommendation: (customer id, rule) in rank order (rule, then value highest first, then id).
async fn expected(app: &TestApp, t: Option<&str>) -> Vec<(String, String)> {
    let companies = app.get("/api/v1/companies?limit=100", t).await.ok(200);
    let recs = app
        .get("/api/v1/analytics/recommendations?top=1&limit=1000", t)
        .await
        .ok(200);
    let has_offer: Vec<String> = recs["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["recommendations"].as_array().unwrap().is_empty())
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let mut out: Vec<(usize, Option<f64>, String, String)> = Vec::new();
    for c in companies["data"].as_array().unwrap() {
        let a = &c["analytics"];
        let id = c["id"].as_str().unwrap().to_owned();
        let segment = a["rfm_segment"].as_str().unwrap_or("");
        let valuable = a["abc_class"] == "A" || a["abc_class"] == "B";
        let at_risk = ["at risk", "cannot lose them", "about to sleep"].contains(&segment)
            || a["churn_risk"].as_f64().is_some_and(|r| r >= 0.5);
        if valuable && at_risk {
            out.push((0, a["clv"].as_f64(), id.clone(), "retention_call".into()));
        }
        if ["champions", "loyal"].contains(&segment) && has_offer.contains(&id) {
            out.push((1, a["clv"].as_f64(), id.clone(), "cross_sell_offer".into()));
        }
        if ["hibernating", "lost"].contains(&segment) {
            out.push((2, a["clv"].as_f64(), id.clone(), "reactivation".into()));
        }
    }
    out.sort_by(|x, y| {
        x.0.cmp(&y.0)
            .then_with(|| match (x.1, y.1) {
                (Some(a), Some(b)) => b.total_cmp(&a),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| x.2.cmp(&y.2))
    });
    out.into_iter().map(|(_, _, id, rule)| (id, rule)).collect()
}

fn listed(r: &Value) -> Vec<(String, String)> {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["customer_id"].as_str().unwrap().to_owned(),
                i["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

dual! {
    async fn next_best_actions_follow_the_rules_and_are_accepted_or_dismissed(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let ids = seed(app, &s).await;
        let name_of: HashMap<String, String> = ids.iter().map(|(n, id)| (id.clone(), n.clone())).collect();

        let r = app.get("/api/v1/analytics/next-best-actions", t).await.ok(200);
        let want = expected(app, t).await;
        assert_eq!(listed(&r), want, "{r}");
        assert_eq!(r["row_count"], want.len());
        assert_eq!(r["subject"], "companies");
        assert!(r["figures_computed_at"].is_string());
        for rule in ["retention_call", "cross_sell_offer", "reactivation"] {
            assert!(want.iter().any(|(_, r)| r == rule), "the data gives a {rule}: {:?}", want.iter().map(|(id, r)| (name_of[id].clone(), r.clone())).collect::<Vec<_>>());
        }
        for (i, item) in r["items"].as_array().unwrap().iter().enumerate() {
            assert_eq!(item["rank"], i + 1);
            assert_eq!(item["customer_name"], name_of[item["customer_id"].as_str().unwrap()].as_str());
            assert!(!item["reason"].as_str().unwrap().is_empty());
            if item["rule"] == "cross_sell_offer" {
                assert_eq!(item["product_name"], "Valve", "{item}");
                assert_eq!(item["title"], "Offer Valve");
                assert!(item["reason"].as_str().unwrap().contains("Pump"), "explained by what it bought: {item}");
                assert!(item["product_score"].as_f64().unwrap() > 0.0);
            } else {
                assert!(item["product_id"].is_null());
            }
        }
        // The overview counts them per rule.
        let o = app.get("/api/v1/analytics/overview", t).await.ok(200);
        let section = o["sections"].as_array().unwrap().iter().find(|s| s["key"] == "next_best_actions").unwrap().clone();
        let figure = |key: &str| section["figures"].as_array().unwrap().iter().find(|f| f["key"] == key).unwrap()["value"].clone();
        assert_eq!(figure("actions"), want.len().to_string(), "{section}");
        for (key, rule) in [("retention_calls", "retention_call"), ("cross_sell_offers", "cross_sell_offer"), ("reactivations", "reactivation")] {
            assert_eq!(figure(key), want.iter().filter(|(_, r)| r == rule).count().to_string(), "{key}: {section}");
        }

        // The valuable customers at risk come first.
        let first: Vec<&str> = r["items"].as_array().unwrap().iter().take(2).map(|i| name_of[i["customer_id"].as_str().unwrap()].as_str()).collect();
        assert_eq!(first, vec!["Risk1", "Risk2"], "{r}");
        // One customer's.
        let one = app.get(&format!("/api/v1/analytics/next-best-actions?customer_id={}", ids["Risk2"]), t).await.ok(200);
        assert_eq!(listed(&one), want.iter().filter(|(id, _)| *id == ids["Risk2"]).cloned().collect::<Vec<_>>());
        // Paged.
        let page = app.get("/api/v1/analytics/next-best-actions?offset=1&limit=2", t).await.ok(200);
        assert_eq!(listed(&page), want[1..3].to_vec());
        assert_eq!(page["items"][0]["rank"], 2);

        // Accept: the task exists, for the customer, high priority, due in 2 days, assigned to
        // the caller; the action leaves the list.
        let accepted = app.post("/api/v1/analytics/next-best-actions/accept", t, json!({"customer_id": ids["Risk1"], "rule": "retention_call"})).await;
        assert_eq!(accepted.status, 201, "{}", accepted.text());
        let d = accepted.json();
        assert_eq!(d["state"], "accepted");
        assert_eq!(d["customer_type"], "companies");
        let task_id = d["activity_id"].as_str().unwrap();
        assert_eq!(accepted.header("location").as_deref(), Some(format!("/api/v1/activities/{task_id}").as_str()));
        let task = app.get(&format!("/api/v1/activities/{task_id}"), t).await.ok(200);
        assert_eq!(task["kind"], "task");
        assert_eq!(task["subject"], "Retention call");
        assert_eq!(task["company_id"], ids["Risk1"].as_str());
        assert_eq!(task["priority"], "high");
        assert_eq!(task["assignee_id"], s.user_id.as_str());
        let due: chrono::DateTime<Utc> = task["due_at"].as_str().unwrap().parse().unwrap();
        assert!((due - Utc::now() - chrono::Duration::days(2)).num_minutes().abs() < 5, "{task}");
        assert!(task["body"].as_str().unwrap().contains("ABC class A"), "{task}");
        let after = app.get("/api/v1/analytics/next-best-actions?limit=1000", t).await.ok(200);
        let left: Vec<(String, String)> = want.iter().filter(|(id, r)| !(*id == ids["Risk1"] && r == "retention_call")).cloned().collect();
        assert_eq!(listed(&after), left);
        // Twice: 409, and no second task.
        app.post("/api/v1/analytics/next-best-actions/accept", t, json!({"customer_id": ids["Risk1"], "rule": "retention_call"})).await.problem(409, "conflict");
        let tasks = app.get(&format!("/api/v1/activities?company_id={}&kind=task", ids["Risk1"]), t).await.ok(200);
        assert_eq!(tasks["data"].as_array().unwrap().len(), 1, "{tasks}");

        // Dismiss, over GraphQL: gone too, and no task.
        let (quiet, _) = want.iter().find(|(_, r)| r == "reactivation").unwrap().clone();
        let g = app.gql(t, "mutation($c: UUID!) { dismissNextBestAction(input: {customerId: $c, rule: REACTIVATION, note: \"not now\"}) { state note activityId hiddenUntil } }", json!({"c": quiet})).await.ok(200);
        assert!(g["errors"].is_null(), "{g}");
        assert_eq!(g["data"]["dismissNextBestAction"]["state"], "DISMISSED");
        assert!(g["data"]["dismissNextBestAction"]["activityId"].is_null());
        let g = app.gql(t, "{ nextBestActions(subject: COMPANIES, limit: 1000) { rowCount items { customerId rule title } } }", json!({})).await.ok(200);
        assert!(g["errors"].is_null(), "{g}");
        assert_eq!(g["data"]["nextBestActions"]["rowCount"], left.len() - 1);
        assert!(!g["data"]["nextBestActions"]["items"].as_array().unwrap().iter().any(|i| i["customerId"] == quiet.as_str() && i["rule"] == "REACTIVATION"));
        // Accept over GraphQL, with a due date and an assignee.
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        let (champ, _) = want.iter().find(|(_, r)| r == "cross_sell_offer").unwrap().clone();
        let g = app.gql(Some(&agent.token), "mutation($c: UUID!) { acceptNextBestAction(input: {customerId: $c, rule: CROSS_SELL_OFFER, dueAt: \"2031-01-02T09:00:00Z\"}) { activityId decidedBy } }", json!({"c": champ})).await.ok(200);
        assert!(g["errors"].is_null(), "{g}");
        let task = app.get(&format!("/api/v1/activities/{}", g["data"]["acceptNextBestAction"]["activityId"].as_str().unwrap()), t).await.ok(200);
        assert_eq!(task["subject"], "Offer Valve");
        assert_eq!(task["due_at"], "2031-01-02T09:00:00Z");
        assert_eq!(task["assignee_id"], agent.user_id.as_str());

        // Refused: a rule that proposes nothing for the customer, an unknown customer, bad
        // parameters, readers.
        let p = app.post("/api/v1/analytics/next-best-actions/accept", t, json!({"customer_id": ids["Mid2"], "rule": "retention_call"})).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/rule");
        assert_eq!(p["errors"][0]["code"], "not_applicable");
        app.post("/api/v1/analytics/next-best-actions/accept", t, json!({"customer_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "rule": "retention_call"})).await.problem(404, "not_found");
        let p = app.post("/api/v1/analytics/next-best-actions/dismiss", t, json!({"customer_id": ids["Risk2"], "rule": "call_them"})).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/rule", "{p}");
        let p = app.post("/api/v1/analytics/next-best-actions/dismiss", t, json!({"customer_id": ids["Risk2"], "rule": "retention_call", "note": "x".repeat(2001)})).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/note", "{p}");
        for bad in ["subject=products", "subject=deals", "limit=0", "limit=1001", "customer_id=nope", "offset=-1", "from=2026-01-01"] {
            app.get(&format!("/api/v1/analytics/next-best-actions?{bad}"), t).await.problem(422, "validation_failed");
        }
        let viewer = app.member(&s, "viewer", "viewer@acme.test").await;
        app.get("/api/v1/analytics/next-best-actions", Some(&viewer.token)).await.ok(200);
        app.post("/api/v1/analytics/next-best-actions/dismiss", Some(&viewer.token), json!({"customer_id": ids["Risk2"], "rule": "retention_call"})).await.problem(403, "forbidden");
        // Contacts have no orders here: an empty, well-formed answer.
        let none = app.get("/api/v1/analytics/next-best-actions?subject=contacts", t).await.ok(200);
        assert_eq!(none["items"], json!([]));
        assert_eq!(none["row_count"], 0);
    }

    async fn next_best_actions_sort_and_filter_like_lists(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        seed(app, &s).await;
        let all = app.get("/api/v1/analytics/next-best-actions", t).await.ok(200);
        let every = all["items"].as_array().unwrap().clone();
        assert!(every.len() >= 3, "{all}");

        // One rule, by name: ranks stay their places in the whole ranking.
        let got = app.get("/api/v1/analytics/next-best-actions?rule=reactivation&sort=-customer_name", t).await.ok(200);
        let mut want: Vec<Value> = every.iter().filter(|i| i["rule"] == "reactivation").cloned().collect();
        want.sort_by(|a, b| b["customer_name"].as_str().cmp(&a["customer_name"].as_str()));
        assert!(!want.is_empty());
        assert_eq!(got["items"], json!(want));
        assert_eq!(got["row_count"], want.len());

        // Churn risk, highest first, unknown last; two rules; the page cut after.
        let got = app.get("/api/v1/analytics/next-best-actions?rule[in]=retention_call,cross_sell_offer&sort=-churn_risk&limit=2", t).await.ok(200);
        let mut want: Vec<Value> = every.iter().filter(|i| i["rule"] == "retention_call" || i["rule"] == "cross_sell_offer").cloned().collect();
        want.sort_by(|a, b| match (a["churn_risk"].as_f64(), b["churn_risk"].as_f64()) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        assert_eq!(got["row_count"], want.len());
        assert_eq!(got["items"], json!(want[..2.min(want.len())]));
        let offers = app.get("/api/v1/analytics/next-best-actions?product_id[is_null]=false", t).await.ok(200);
        assert!(offers["items"].as_array().unwrap().iter().all(|i| i["rule"] == "cross_sell_offer"), "{offers}");
        assert_eq!(offers["row_count"], every.iter().filter(|i| !i["product_id"].is_null()).count());

        // GraphQL: the same.
        let g = app.gql(t, r#"{ nextBestActions(sort: [{field: "customerName"}], filter: [{field: "rule", op: NE, value: "reactivation"}]) { rowCount items { rank customerName rule } } }"#, json!({})).await.ok(200);
        let r = app.get("/api/v1/analytics/next-best-actions?sort=customer_name&rule[ne]=reactivation", t).await.ok(200);
        let rest: Vec<Value> = r["items"].as_array().unwrap().iter().map(|i| json!([i["rank"], i["customer_name"], i["rule"]])).collect();
        let graph: Vec<Value> = g["data"]["nextBestActions"]["items"].as_array().unwrap().iter().map(|i| json!([i["rank"], i["customerName"], i["rule"].as_str().unwrap().to_lowercase()])).collect();
        assert_eq!(graph, rest, "{g}");
        assert_eq!(g["data"]["nextBestActions"]["rowCount"], r["row_count"]);

        for (query, pointer) in [("sort=score", "/sort"), ("clv=high", "/clv"), ("rank[starts_with]=1", "/rank"), ("from=2026-01-01", "/from")] {
            let p = app.get(&format!("/api/v1/analytics/next-best-actions?{query}"), t).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{query}: {p}");
        }
    }
}
