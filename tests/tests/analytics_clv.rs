//! Lifetime value (`GET /api/v1/analytics/clv`, `clvAnalysis` over GraphQL): the histories the
//! report builds from orders are checked by hand, its fitted BG/NBD and Gamma-Gamma models
//! against the same histories fitted here with the crate's models, its per-customer
//! expectations and discounted value against the papers' formulas, on both engines.

use crm_analytics::models::{BgNbd, GammaGamma, Purchases, Spend};
use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};

const WINDOW: &str = "from=2026-01-01&to=2026-07-01&reference_date=2026-07-01";

/// Six companies' orders in the first half of 2026 (EUR). Per company: its purchase days and
/// amounts; A's two orders of 20 June are one purchase. D also bought in November 2025, before
/// the window: its history there is cut, so the models leave it out.
const ORDERS: [(&str, &[(&str, &str)]); 6] = [
    (
        "A",
        &[
            ("2026-01-05", "100"),
            ("2026-02-05", "200"),
            ("2026-03-05", "300"),
            ("2026-06-20", "400"),
            ("2026-06-20", "50"),
        ],
    ),
    ("B", &[("2026-01-10", "50"), ("2026-01-20", "60")]),
    ("C", &[("2026-02-01", "500")]),
    (
        "D",
        &[
            ("2025-11-20", "40"),
            ("2026-01-02", "80"),
            ("2026-01-09", "90"),
            ("2026-01-16", "70"),
        ],
    ),
    ("E", &[("2026-05-01", "120"), ("2026-06-01", "130")]),
    ("F", &[("2026-03-15", "60")]),
];

/// Per company, as the models read it in weeks up to 1 July: (x, t_x, T, repeat average,
/// revenue).
const HISTORIES: [(&str, f64, f64, f64, f64, f64); 6] = [
    ("A", 3.0, 166.0 / 7.0, 177.0 / 7.0, 950.0 / 3.0, 1050.0),
    ("B", 1.0, 10.0 / 7.0, 172.0 / 7.0, 60.0, 110.0),
    ("C", 0.0, 0.0, 150.0 / 7.0, 0.0, 500.0),
    ("D", 2.0, 14.0 / 7.0, 180.0 / 7.0, 80.0, 240.0),
    ("E", 1.0, 31.0 / 7.0, 61.0 / 7.0, 130.0, 250.0),
    ("F", 0.0, 0.0, 108.0 / 7.0, 0.0, 60.0),
];

async fn seed(app: &TestApp, s: &Session) {
    let t = Some(s.token.as_str());
    for (name, orders) in ORDERS {
        let company = app
            .post("/api/v1/companies", t, json!({"name": name}))
            .await
            .ok(201);
        for (day, amount) in orders {
            app.post(
                "/api/v1/orders",
                t,
                json!({"currency": "EUR", "company_id": company["id"], "ordered_at": format!("{day}T10:00:00Z"),
                       "lines": [{"description": "Service", "quantity": "1", "unit_price": amount, "tax_rate": "19"}]}),
            )
            .await
            .ok(201);
        }
    }
}

fn money(v: &Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

/// A money string against `want`, rounded to the cent.
fn cents(got: &Value, want: f64) -> bool {
    (money(got) - want).abs() <= 0.005 + 1e-9 * want.abs()
}

fn close(got: f64, want: f64, tolerance: f64) -> bool {
    (got - want).abs() <= tolerance * want.abs().max(1.0)
}

dual! {
    async fn lifetime_value_fits_the_models_to_the_window_and_prices_each_customer(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        seed(app, &s).await;
        let r = app.get(&format!("/api/v1/analytics/clv?{WINDOW}&limit=1000"), t).await.ok(200);
        assert_eq!(r["row_count"], 6);
        assert_eq!(r["time_unit"], "weeks");
        assert_eq!(r["horizon_months"], 12);
        assert_eq!(r["discount_rate"], 0.01);
        assert_eq!(r["scope"]["orders"], 14, "D's order before the window is not in it");
        assert!(r["bg_nbd"].is_object() && r["bg_nbd"]["fit_sample"].is_null(), "a small base is fitted whole: {}", r["bg_nbd"]);
        let by_name = |name: &str| r["items"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap().clone();

        // The histories, by hand.
        for (name, x, t_x, age, repeat, revenue) in HISTORIES {
            let i = by_name(name);
            assert_eq!(i["repeat_purchases"], x as i64, "{name}");
            assert_eq!(i["purchases"], x as i64 + 1, "{name}");
            assert!(close(i["recency"].as_f64().unwrap(), t_x, 1e-12), "{name}: {i}");
            assert!(close(i["age"].as_f64().unwrap(), age, 1e-12), "{name}: {i}");
            assert!(close(money(&i["revenue"]), revenue, 1e-12), "{name}: {i}");
            if x > 0.0 {
                assert!(cents(&i["average_repeat_spend"], repeat), "{name}: {i}");
            } else {
                assert!(i["average_repeat_spend"].is_null());
            }
        }
        assert_eq!(by_name("A")["first_purchase"], "2026-01-05");
        assert_eq!(by_name("A")["last_purchase"], "2026-06-20");

        // The models: the same histories fitted here give the same parameters.
        let histories: Vec<(Purchases, f64)> = HISTORIES.iter().filter(|h| h.0 != "D").map(|h| (Purchases { x: h.1, t_x: h.2, t: h.3 }, 1.0)).collect();
        let bg = BgNbd::fit(&histories).unwrap();
        let got = &r["bg_nbd"];
        for (field, want) in [("r", bg.model.r), ("alpha", bg.model.alpha), ("a", bg.model.a), ("b", bg.model.b), ("log_likelihood", bg.log_likelihood)] {
            assert!(close(got[field].as_f64().unwrap(), want, 1e-9), "{field}: {got} against {bg:?}");
        }
        assert_eq!(got["customers"], 5, "D is not fitted");
        // Whether the search converged, and if not, what it tried, as the crate's fit says.
        assert_eq!(got["converged"], bg.converged, "{got}");
        if bg.converged {
            assert!(got["not_converged"].is_null(), "{got}");
        } else {
            let why = got["not_converged"].as_str().unwrap();
            assert!(why.contains("Nelder-Mead") && why.contains(&format!("after {} iterations", bg.iterations)), "{why}");
        }
        let spends: Vec<(Spend, f64)> = HISTORIES.iter().filter(|h| h.1 > 0.0 && h.0 != "D").map(|h| (Spend { x: h.1, m: h.4 }, 1.0)).collect();
        let gg = GammaGamma::fit(&spends).unwrap();
        let horizon = 365.25 / 7.0;
        let month = 365.25 / 12.0 / 7.0;
        let d = by_name("D");
        assert_eq!(d["history_truncated"], true);
        assert!(d["p_alive"].is_null() && d["expected_purchases"].is_null() && d["clv"].is_null(), "{d}");
        for (name, x, t_x, age, repeat, _) in HISTORIES.into_iter().filter(|h| h.0 != "D") {
            let i = by_name(name);
            assert_eq!(i["history_truncated"], false);
            let h = Purchases { x, t_x, t: age };
            assert!(close(i["p_alive"].as_f64().unwrap(), bg.model.p_alive(&h), 1e-9), "{name}: {i}");
            let expected = bg.model.expected_purchases(&h, horizon).unwrap();
            assert!(close(i["expected_purchases"].as_f64().unwrap(), expected, 1e-9), "{name}: {i}");
            if gg.model.q > 1.0 {
                let spend = gg.model.expected_spend(&Spend { x, m: repeat }).unwrap();
                assert!(cents(&i["expected_spend"], spend), "{name}: {i}");
                // Twelve months, each month's expected purchases x spend, discounted at 1 %.
                let mut clv = 0.0;
                let mut before = 0.0;
                for k in 1..=12 {
                    let to_end = bg.model.expected_purchases(&h, month * k as f64).unwrap();
                    clv += (to_end - before) * spend / 1.01f64.powi(k);
                    before = to_end;
                }
                assert!(cents(&i["clv"], clv), "{name}: {i} against {clv}");
            } else {
                assert!(i["clv"].is_null() && r["gamma_gamma"].is_null());
            }
        }
        // A customer without repeat purchases is alive for BG/NBD; B, who bought twice in
        // January and then stopped, is less likely alive than A, who bought in June.
        assert_eq!(by_name("C")["p_alive"], 1.0);
        assert!(by_name("B")["p_alive"].as_f64().unwrap() < by_name("A")["p_alive"].as_f64().unwrap());

        // The simple model: B, C, D and F are churned (no purchase in the last 90 days of the
        // window): 4 of 6 in 181 days, scaled to a year.
        let simple = &r["simple"];
        assert_eq!(simple["churned"], 4);
        let annual = 1.0 - (1.0f64 / 3.0).powf(365.25 / 181.0);
        assert!(close(simple["annual_churn_rate"].as_f64().unwrap(), annual, 1e-12), "{simple}");
        let lifetime = 1.0 / annual;
        assert!(close(simple["expected_lifetime_years"].as_f64().unwrap(), lifetime, 1e-12));
        let a = by_name("A");
        assert!(cents(&a["simple_clv"], 1050.0 * 365.25 / 181.0 * lifetime), "{a}");

        // Highest value first.
        let values: Vec<f64> = r["items"].as_array().unwrap().iter().filter_map(|i| i["clv"].as_str()).map(|v| v.parse().unwrap()).collect();
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");

        // In days, with a longer horizon and no discount.
        let days = app.get(&format!("/api/v1/analytics/clv?{WINDOW}&time_unit=days&horizon_months=24&discount_rate=0"), t).await.ok(200);
        assert_eq!(days["time_unit"], "days");
        let a_days = days["items"].as_array().unwrap().iter().find(|i| i["name"] == "A").unwrap();
        assert_eq!(a_days["age"], 177.0);
        assert_eq!(a_days["recency"], 166.0);

        // A window reaching past the reference date watches customers up to it: days that
        // have not happened are not days without purchases.
        let ahead = app.get("/api/v1/analytics/clv?from=2026-01-01&to=2027-01-01&reference_date=2026-06-30&time_unit=days", t).await.ok(200);
        let a_ahead = ahead["items"].as_array().unwrap().iter().find(|i| i["name"] == "A").unwrap();
        assert_eq!(a_ahead["age"], 177.0, "{a_ahead}");
        assert_eq!(ahead["simple"]["churned"], 4);
        app.get("/api/v1/analytics/clv?from=2026-01-01&to=2026-07-01&reference_date=2025-12-01", t).await.problem(422, "validation_failed");

        // The same report over GraphQL.
        let g = app.gql(t, "{ clvAnalysis(from: \"2026-01-01\", to: \"2026-07-01\", referenceDate: \"2026-07-01\", limit: 2) { rowCount timeUnit bgNbd { r alpha a b customers } simple { churned } items { name repeatPurchases pAlive expectedPurchases clv simpleClv } } }", json!({})).await.ok(200);
        let gc = &g["data"]["clvAnalysis"];
        assert_eq!(gc["rowCount"], 6);
        assert_eq!(gc["timeUnit"], "WEEKS");
        assert_eq!(gc["bgNbd"]["r"], r["bg_nbd"]["r"]);
        assert_eq!(gc["simple"]["churned"], 4);
        assert_eq!(gc["items"].as_array().unwrap().len(), 2);
        assert_eq!(gc["items"][0]["name"], r["items"][0]["name"]);
        assert_eq!(gc["items"][0]["clv"], r["items"][0]["clv"]);

        // Every customer as CSV.
        let csv = app.get(&format!("/api/v1/analytics/clv?{WINDOW}&format=csv&limit=1"), t).await;
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let text = csv.text();
        assert!(text.starts_with("id,name,first_purchase,last_purchase,purchases,repeat_purchases,recency,age,revenue"), "{text}");
        assert_eq!(text.lines().count(), 7, "{text}");

        // Another organization sees none of it.
        let other = app.signup("Globex", "bob@globex.test").await;
        let empty = app.get(&format!("/api/v1/analytics/clv?{WINDOW}"), Some(&other.token)).await.ok(200);
        assert_eq!(empty["row_count"], 0);
        assert!(empty["bg_nbd"].is_null() && empty["gamma_gamma"].is_null() && empty["total_clv"].is_null());
    }

    async fn lifetime_value_parameters_are_checked(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        for (query, pointer) in [
            ("subject=products", "/subject"),
            ("horizon_months=0", "/horizon_months"),
            ("horizon_months=121", "/horizon_months"),
            ("horizon_months=x", "/horizon_months"),
            ("discount_rate=1.5", "/discount_rate"),
            ("discount_rate=-0.1", "/discount_rate"),
            ("time_unit=months", "/time_unit"),
            ("inactive_days=0", "/inactive_days"),
            ("limit=0", "/limit"),
            ("a=0.5", "/a"),
            ("periods=3", "/periods"),
        ] {
            let p = app.get(&format!("/api/v1/analytics/clv?{WINDOW}&{query}"), t).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], pointer, "{query}: {p}");
        }
        let g = app.gql(t, "{ clvAnalysis(horizonMonths: 0) { rowCount } }", json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "validation_failed", "{g}");
        // A reader may see it; an unauthenticated caller may not.
        let viewer = app.member(&s, "viewer", "vic@acme.test").await;
        app.get(&format!("/api/v1/analytics/clv?{WINDOW}"), Some(&viewer.token)).await.ok(200);
        app.get(&format!("/api/v1/analytics/clv?{WINDOW}"), None).await.problem(401, "unauthenticated");
    }
}
