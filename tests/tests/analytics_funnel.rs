//! The funnel report (`/api/v1/analytics/funnel`, GraphQL `funnelAnalysis`): stage entries and
//! conversions, win rate, deal size at the close day's rate, cycle, velocity, and lead
//! conversion by source channel, counted by hand from deals moved through a pipeline.

use crm_tests::dual;
use crm_tests::fixtures::pipeline_body;
use serde_json::{Value, json};

fn stage(p: &Value, name: &str) -> Value {
    Value::from(crm_tests::fixtures::stage(p, name))
}

dual! {
    async fn the_funnel_counts_entries_conversions_and_closed_deals(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let p = app.post("/api/v1/pipelines", t, pipeline_body("Sales")).await.ok(201);
        let today = chrono::Utc::now().date_naive();
        let yesterday = today - chrono::Duration::days(1);
        let closed_yesterday = format!("{yesterday}T12:00:00Z");
        app.call("PUT", "/api/v1/exchange-rates", t, Some(json!({"rates": [{"currency": "USD", "date": yesterday.to_string(), "rate": "0.9"}]}))).await.ok(200);
        let deal = |body: Value| async move { app.post("/api/v1/deals", t, body).await.ok(201) };
        let mv = |d: Value, to: &str| {
            let target = stage(&p, to);
            async move {
                app.patch(&format!("/api/v1/deals/{}", d["id"].as_str().unwrap()), t, json!({"stage_id": target})).await.ok(200)
            }
        };
        // A: Qualify -> Propose -> Won (1000 EUR). B: Qualify -> Lost. C: Qualify -> Propose.
        // D: created in Propose. E: brought in won yesterday, 500 USD (450 EUR). F: won
        // yesterday, 100 GBP, no rate.
        let a = deal(json!({"name": "A", "amount": {"amount": "1000", "currency": "EUR"}})).await;
        mv(a.clone(), "Propose").await;
        mv(a.clone(), "Won").await;
        let b = deal(json!({"name": "B"})).await;
        mv(b, "Lost").await;
        let c = deal(json!({"name": "C"})).await;
        mv(c, "Propose").await;
        deal(json!({"name": "D", "stage_id": stage(&p, "Propose")})).await;
        deal(json!({"name": "E", "stage_id": stage(&p, "Won"), "closed_at": closed_yesterday, "amount": {"amount": "500", "currency": "USD"}})).await;
        deal(json!({"name": "F", "stage_id": stage(&p, "Won"), "closed_at": closed_yesterday, "amount": {"amount": "100", "currency": "GBP"}})).await;
        // Leads: two from the website (one converted), one by phone, one without a channel.
        let mut first = None;
        for channel in [Some("website"), Some("website"), Some("phone"), None] {
            let mut body = json!({"last_name": "Lead"});
            if let Some(c) = channel {
                body["source_channel"] = json!(c);
            }
            let l = app.post("/api/v1/leads", t, body).await.ok(201);
            first.get_or_insert(l);
        }
        app.post(&format!("/api/v1/leads/{}/convert", first.unwrap()["id"].as_str().unwrap()), t, json!({})).await.ok(200);

        let period = format!("from={yesterday}&to={}", today + chrono::Duration::days(2));
        let r = app.get(&format!("/api/v1/analytics/funnel?{period}"), t).await.ok(200);
        assert_eq!(r["scope"]["pipeline_name"], "Sales", "{r}");
        let stages: Vec<(&str, i64, i64, Option<f64>)> = r["stages"].as_array().unwrap().iter().map(|s| (
            s["name"].as_str().unwrap(), s["entered"].as_i64().unwrap(), s["converted"].as_i64().unwrap(), s["conversion_rate"].as_f64(),
        )).collect();
        assert_eq!(stages, [
            ("Qualify", 3, 2, Some(2.0 / 3.0)),
            ("Propose", 3, 1, Some(1.0 / 3.0)),
            ("Won", 3, 0, None),
            ("Lost", 1, 0, None),
        ], "{r}");
        let q = &r["stages"][0];
        assert!(q["average_days"].as_f64().unwrap() >= 0.0 && q["median_days"].as_f64().unwrap() < 1.0, "{q}");
        assert!(r["stages"][2]["average_days"].is_null(), "no visit of the won stage has ended");
        assert_eq!((r["won"].as_i64(), r["lost"].as_i64(), r["win_rate"].as_f64()), (Some(3), Some(1), Some(0.75)), "{r}");
        assert_eq!(r["average_deal_size"], "725.00", "(1000 + 450) / 2, F has no rate: {r}");
        assert_eq!(r["scope"]["deals_without_rate"], 1);
        assert_eq!(r["scope"]["missing_rates"], json!([{"currency": "GBP", "date": yesterday.to_string()}]));
        assert_eq!(r["open_deals"], 2);
        // Only A's cycle counts (E and F were closed before they were created here).
        let cycle = r["sales_cycle_days"].as_f64().unwrap();
        assert!((0.0..1.0).contains(&cycle), "{r}");
        if cycle > 0.0 {
            let velocity: f64 = r["pipeline_velocity"].as_str().unwrap().parse().unwrap();
            let expected = 2.0 * 725.0 * 0.75 / cycle;
            assert!((velocity - expected).abs() / expected < 1e-6, "{velocity} vs {expected}");
        }
        let leads: Vec<(&str, i64, i64)> = r["lead_sources"].as_array().unwrap().iter().map(|l| (
            l["channel"].as_str().unwrap(), l["leads"].as_i64().unwrap(), l["converted"].as_i64().unwrap(),
        )).collect();
        assert_eq!(leads, [("phone", 1, 0), ("unknown", 1, 0), ("website", 2, 1)], "{r}");

        // The same over GraphQL, by pipeline id; another pipeline, or none, is a 422.
        let g = app.gql(t, &format!("{{ funnelAnalysis(pipelineId: \"{}\", from: \"{yesterday}\") {{ won winRate stages {{ name entered }} }} }}", p["id"].as_str().unwrap()), json!({})).await.ok(200);
        assert_eq!(g["data"]["funnelAnalysis"]["stages"][0]["entered"], 3, "{g}");
        let e = app.get(&format!("/api/v1/analytics/funnel?pipeline_id={}", uuid::Uuid::now_v7()), t).await.problem(422, "validation_failed");
        assert_eq!(e["errors"][0]["pointer"], "/pipeline_id");
        app.get("/api/v1/analytics/funnel?pipeline_id=nope", t).await.problem(422, "validation_failed");
        let other = app.signup("Other", "admin@other.test").await;
        let e = app.get("/api/v1/analytics/funnel", Some(&other.token)).await.problem(422, "validation_failed");
        assert_eq!(e["errors"][0]["pointer"], "/pipeline_id", "{e}");
        let e = app.get(&format!("/api/v1/analytics/funnel?pipeline_id={}", p["id"].as_str().unwrap()), Some(&other.token)).await.problem(422, "validation_failed");
        assert_eq!(e["errors"][0]["code"], "not_found", "another organization's pipeline: {e}");
    }
}
