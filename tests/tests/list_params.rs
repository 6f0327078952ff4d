//! The list parameters the OpenAPI document declares are the ones the server takes: every
//! declared filter (`field`, `field[op]`) of every list answers 200 with a value of its declared
//! type, `q` is declared exactly where it works, and an undeclared parameter is a 422.

use crm_tests::dual;
use serde_json::Value;

/// A value of the type `schema` declares.
fn sample(schema: &Value) -> String {
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.as_str().unwrap_or("x").to_owned();
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("boolean"), _) => "true".into(),
        (Some("number" | "integer"), _) => "1".into(),
        (_, Some("uuid")) => uuid::Uuid::now_v7().to_string(),
        (_, Some("date-time")) => "2026-01-01T00:00:00Z".into(),
        (_, Some("date")) => "2026-01-01".into(),
        _ => "x".into(),
    }
}

fn encode(s: &str) -> String {
    s.replace('[', "%5B")
        .replace(']', "%5D")
        .replace(':', "%3A")
}

dual! {
    async fn declared_list_parameters_are_taken(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let doc = app.get("/openapi.json", None).await.ok(200);
        let mut lists = 0;
        let mut failures = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let Some(params) = item["get"]["parameters"].as_array() else { continue };
            if !params.iter().any(|p| p["name"].as_str().is_some_and(|n| n.contains('['))) {
                continue;
            }
            lists += 1;
            let by_name = |n: &str| params.iter().find(|p| p["name"] == n).cloned();
            for p in params.iter().filter(|p| p["in"] == "query") {
                let name = p["name"].as_str().unwrap();
                let value = match name {
                    "limit" => "5".to_owned(),
                    "cursor" => continue,
                    "sort" => "-created_at".to_owned(),
                    "q" => "acme".to_owned(),
                    n if n.ends_with("[in]") => {
                        let field = n.trim_end_matches("[in]");
                        sample(&by_name(field).map(|f| f["schema"].clone()).unwrap_or(Value::Null))
                    }
                    _ => sample(&p["schema"]),
                };
                let url = format!("{path}?{}={}", encode(name), encode(&value));
                let res = app.get(&url, Some(&s.token)).await;
                if res.status != 200 {
                    failures.push(format!("GET {url}: {} {}", res.status, res.text()));
                }
            }
            // `q` is declared exactly where the server searches.
            if by_name("q").is_none() {
                let res = app.get(&format!("{path}?q=acme"), Some(&s.token)).await;
                if res.status != 422 {
                    failures.push(format!("GET {path}?q=acme: {} although q is not declared", res.status));
                }
            }
            let res = app.get(&format!("{path}?no_such_field=1"), Some(&s.token)).await;
            if res.status != 422 {
                failures.push(format!("GET {path}?no_such_field=1: {}", res.status));
            }
        }
        assert!(lists >= 9, "only {lists} lists declare filters");
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }
}
