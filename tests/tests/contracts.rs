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
