//! Charts as SVG (`?format=svg`): the Pareto chart of ABC, the ABC-XYZ matrix, the RFM grid, the
//! funnel and the cohort heat map are well-formed SVG documents whose text carries the report's
//! figures, on both engines; reports without a chart refuse the format.

use crm_tests::dual;
use crm_tests::fixtures::pipeline_body;
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::json;

const PERIOD: &str = "from=2026-01-01&to=2026-04-01&reference_date=2026-04-01";

/// The SVG's texts, after checking that it parses as XML with an `svg` root.
fn texts(svg: &str) -> Vec<String> {
    let mut reader = Reader::from_str(svg);
    let (mut out, mut root, mut rects) = (Vec::new(), None, 0);
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"))
        {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                root.get_or_insert(name.clone());
                rects += usize::from(name == "rect");
            }
            Event::Text(t) => {
                let s = t.xml10_content().unwrap().trim().to_owned();
                if !s.is_empty() {
                    out.push(s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(root.as_deref(), Some("svg"), "{svg}");
    assert!(rects > 1, "a chart draws shapes: {svg}");
    out
}

dual! {
    async fn reports_draw_their_charts_as_svg(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let t = Some(s.token.as_str());
        // Three companies ordering in the first quarter; A every month.
        for (name, days) in [("A", &["2026-01-05", "2026-02-05", "2026-03-05"][..]), ("B", &["2026-01-20"][..]), ("C", &["2026-02-11", "2026-03-11"][..])] {
            let c = app.post("/api/v1/companies", t, json!({"name": name})).await.ok(201);
            for day in days {
                app.post("/api/v1/orders", t, json!({"currency": "EUR", "company_id": c["id"], "ordered_at": format!("{day}T10:00:00Z"),
                    "lines": [{"description": "Service", "quantity": "1", "unit_price": "100", "tax_rate": "19"}]})).await.ok(201);
            }
        }
        let get = |path: String| async move {
            let r = app.get(&path, t).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text());
            assert!(r.header("content-type").unwrap().starts_with("image/svg+xml"), "{path}");
            texts(&r.text())
        };
        let pareto = get(format!("/api/v1/analytics/abc?{PERIOD}&format=svg")).await;
        assert!(pareto.iter().any(|s| s.starts_with("ABC: revenue of companies")), "{pareto:?}");
        assert!(pareto.iter().any(|s| s == "cumulative share"), "{pareto:?}");

        let matrix = get(format!("/api/v1/analytics/abc-xyz?{PERIOD}&format=svg")).await;
        for label in ["A", "B", "C", "X", "Y", "Z"] {
            assert!(matrix.iter().any(|s| s == label), "{label}: {matrix:?}");
        }
        // A: 300 over three steady months, class A and X.
        assert!(matrix.iter().any(|s| s.contains("300.00")), "{matrix:?}");

        let rfm = get(format!("/api/v1/analytics/rfm?{PERIOD}&format=svg&limit=1")).await;
        assert!(rfm.iter().any(|s| s == "R 5") && rfm.iter().any(|s| s == "F 1"), "{rfm:?}");
        // Every customer is counted, whatever the page: the cells sum to 3.
        let cells: i64 = rfm.iter().filter_map(|s| s.parse::<i64>().ok()).sum();
        assert_eq!(cells, 3, "{rfm:?}");

        let cohorts = get(format!("/api/v1/analytics/retention?{PERIOD}&format=svg")).await;
        assert!(cohorts.iter().any(|s| s == "2026-01 (2)"), "{cohorts:?}");
        assert!(cohorts.iter().any(|s| s == "100 %"), "{cohorts:?}");

        app.post("/api/v1/pipelines", t, pipeline_body("Sales")).await.ok(201);
        app.post("/api/v1/deals", t, json!({"name": "Pumps"})).await.ok(201);
        let today = chrono::Utc::now().date_naive();
        let funnel = get(format!("/api/v1/analytics/funnel?from={}&to={}&format=svg", today, today + chrono::Duration::days(1))).await;
        assert!(funnel.iter().any(|s| s.starts_with("Funnel of Sales")), "{funnel:?}");
        assert!(funnel.iter().any(|s| s == "Qualify"), "{funnel:?}");
        assert!(funnel.iter().any(|s| s.starts_with("1 entered")), "{funnel:?}");

        // The same charts over GraphQL: the same documents as REST.
        let rest_svg = |path: String| async move { app.get(&path, t).await.text() };
        let gql_svg = |args: String| async move {
            let g = app.gql(t, &format!("{{ analyticsChart({args}) }}"), json!({})).await.ok(200);
            assert!(g["errors"].is_null(), "{args}: {g}");
            g["data"]["analyticsChart"].as_str().unwrap().to_owned()
        };
        let period = r#"from: "2026-01-01", to: "2026-04-01", referenceDate: "2026-04-01""#;
        for (chart, path) in [("ABC_PARETO", "abc"), ("ABC_XYZ_MATRIX", "abc-xyz"), ("RFM_GRID", "rfm"), ("COHORT_HEAT_MAP", "retention")] {
            let over_graphql = gql_svg(format!("chart: {chart}, {period}")).await;
            texts(&over_graphql);
            assert_eq!(over_graphql, rest_svg(format!("/api/v1/analytics/{path}?{PERIOD}&format=svg")).await, "{chart}");
        }
        let over_graphql = gql_svg(format!("chart: ABC_PARETO, {period}, a: 0.5, limit: 2, subject: COMPANIES")).await;
        assert_eq!(over_graphql, rest_svg(format!("/api/v1/analytics/abc?{PERIOD}&format=svg&a=0.5&limit=2&subject=companies")).await);
        let window = format!(r#"from: "{}", to: "{}""#, today, today + chrono::Duration::days(1));
        let over_graphql = gql_svg(format!("chart: FUNNEL, {window}")).await;
        assert!(texts(&over_graphql).iter().any(|s| s.starts_with("Funnel of Sales")));
        // An argument the chart's report does not take is refused, by name.
        let g = app.gql(t, &format!("{{ analyticsChart(chart: FUNNEL, {period}, a: 0.5) }}"), json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "validation_failed", "{g}");
        assert_eq!(g["errors"][0]["extensions"]["errors"][0]["pointer"], "/a", "{g}");
        let g = app.gql(t, &format!("{{ analyticsChart(chart: RFM_GRID, {period}, inactiveDays: 30) }}"), json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["errors"][0]["pointer"], "/inactiveDays", "{g}");

        // Charts are for the reports that have one.
        for path in ["xyz", "clv", "cross-sell", "profitability"] {
            let p = app.get(&format!("/api/v1/analytics/{path}?{PERIOD}&format=svg"), t).await.problem(422, "validation_failed");
            assert_eq!(p["errors"][0]["pointer"], "/format", "{path}: {p}");
        }
        let p = app.get(&format!("/api/v1/analytics/funnel?{PERIOD}&format=csv"), t).await.problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["pointer"], "/format");
    }
}
