//! The committed contracts are what the code generates and serves.

use crm_tests::dual;

/// Fails naming the first differing line, not dumping both documents.
#[track_caller]
fn assert_same(generated: &str, committed: &str, fix: &str) {
    if generated != committed {
        let line = generated
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| generated.lines().count().min(committed.lines().count()));
        panic!(
            "differs from the committed file at line {}: generated {:?}, committed {:?}; {fix}",
            line + 1,
            generated.lines().nth(line),
            committed.lines().nth(line)
        );
    }
}

fn repo_file(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

dual! {
    async fn served_openapi_equals_the_committed_file(app: &TestApp) {
        let res = app.get("/openapi.json", None).await;
        assert_eq!(res.status, 200);
        assert_same(&res.text(), &repo_file("openapi/openapi.json"), "run scripts/check-contracts --write");
        let doc = res.json();
        assert_eq!(doc["openapi"], "3.1.0");
        // Every operation documents its errors and its security.
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                assert!(op["summary"].is_string() || op["description"].is_string(), "{method} {path} undocumented");
                assert!(op.get("security").is_some(), "{method} {path} says nothing of security");
                if path.starts_with("/api/") {
                    let responses = op["responses"].as_object().unwrap();
                    assert!(responses.keys().any(|k| k.starts_with('4')), "{method} {path} lists no error");
                }
            }
        }
    }
}

#[test]
fn committed_graphql_schema_equals_the_generated_one() {
    assert_same(
        &crm_tests::crm_gateway::contracts::graphql_sdl(),
        &repo_file("schema/crm.graphql"),
        "run scripts/check-contracts --write",
    );
}

/// Whether `schema` has an example: its own, its `$ref`'d component's, or its array items'.
fn has_example(schema: &serde_json::Value, doc: &serde_json::Value) -> bool {
    if schema.get("example").is_some()
        || schema["examples"].as_array().is_some_and(|e| !e.is_empty())
    {
        return true;
    }
    if let Some(r) = schema["$ref"].as_str() {
        return doc
            .pointer(r.trim_start_matches('#'))
            .is_some_and(|s| has_example(s, doc));
    }
    if schema.get("items").is_some() {
        return has_example(&schema["items"], doc);
    }
    false
}

#[test]
fn every_request_and_response_has_an_example() {
    let doc: serde_json::Value =
        serde_json::from_str(&crm_tests::crm_gateway::contracts::openapi_json()).unwrap();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let mut bodies = vec![("request".to_owned(), &op["requestBody"]["content"])];
            for (status, res) in op["responses"].as_object().unwrap() {
                if status.starts_with('2') {
                    bodies.push((status.clone(), &res["content"]));
                }
            }
            for (what, content) in bodies {
                for (media, c) in content.as_object().into_iter().flatten() {
                    if !has_example(&c["schema"], &doc) {
                        missing.push(format!("{method} {path} {what} {media}"));
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "without an example:\n{}",
        missing.join("\n")
    );
}

#[test]
fn documented_decimal_rules_are_the_money_constants() {
    use crm_core::money::{
        MAX_DECIMAL_LENGTH, NON_NEGATIVE_PATTERN, PERCENT_PATTERN, POSITIVE_PATTERN,
    };
    let doc: serde_json::Value =
        serde_json::from_str(&crm_tests::crm_gateway::contracts::openapi_json()).unwrap();
    let s = &doc["components"]["schemas"];
    for (schema, field, pattern) in [
        ("Money", "amount", NON_NEGATIVE_PATTERN),
        ("ProductPrice", "unit_price", NON_NEGATIVE_PATTERN),
        ("LineInput", "unit_price", NON_NEGATIVE_PATTERN),
        ("LineInput", "quantity", POSITIVE_PATTERN),
        ("NewPayment", "amount", POSITIVE_PATTERN),
        ("LineInput", "discount_percent", PERCENT_PATTERN),
        ("LineInput", "tax_rate", PERCENT_PATTERN),
        ("NewProduct", "tax_rate", PERCENT_PATTERN),
    ] {
        let p = &s[schema]["properties"][field];
        assert_eq!(p["pattern"], pattern, "{schema}.{field}");
        let max = p["maxLength"].as_u64().unwrap_or(0) as usize;
        assert!(
            max > 0 && max <= MAX_DECIMAL_LENGTH,
            "{schema}.{field} maxLength {max}"
        );
    }
}
