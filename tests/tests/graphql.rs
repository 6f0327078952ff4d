//! The GraphQL face: same operations and codes as REST, and its limits.

use crm_tests::{PASSWORD, dual};
use serde_json::json;

dual! {
    async fn same_operations_as_rest(app: &TestApp) {
        let signup = app.gql(None, "mutation($i: SignupInput!) { signup(input: $i) { organization { name } user { email role } tokens { accessToken refreshToken tokenType } } }",
            json!({"i": {"orgName": "Acme", "name": "Ann", "email": "ann@acme.test", "password": PASSWORD}})).await.ok(200);
        assert!(signup.get("errors").is_none(), "{signup}");
        let token = signup["data"]["signup"]["tokens"]["accessToken"].as_str().unwrap().to_owned();
        assert_eq!(signup["data"]["signup"]["user"]["role"], "ADMIN");

        let created = app.gql(Some(&token), "mutation { createUser(input: {email: \"bob@acme.test\", name: \"Bob\", role: AGENT, password: \"correct horse battery staple\"}) { id email } }", json!({})).await.ok(200);
        let bob_id = created["data"]["createUser"]["id"].as_str().unwrap().to_owned();
        // Visible over REST too.
        let bob = app.get(&format!("/api/v1/users/{bob_id}"), Some(&token)).await.ok(200);
        assert_eq!(bob["email"], "bob@acme.test");

        let page = app.gql(Some(&token), "{ users(first: 1) { edges { cursor node { email } } pageInfo { hasNextPage endCursor } } }", json!({})).await.ok(200);
        assert_eq!(page["data"]["users"]["pageInfo"]["hasNextPage"], true);
        let after = page["data"]["users"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        let next = app.gql(Some(&token), "query($a: String) { users(first: 1, after: $a) { edges { node { email } } pageInfo { hasNextPage } } }", json!({"a": after})).await.ok(200);
        assert_eq!(next["data"]["users"]["edges"][0]["node"]["email"], "bob@acme.test");
        assert_eq!(next["data"]["users"]["pageInfo"]["hasNextPage"], false);

        let login = app.gql(None, "mutation { login(input: {email: \"bob@acme.test\", password: \"correct horse battery staple\"}) { accessToken refreshToken } }", json!({})).await.ok(200);
        let refresh = login["data"]["login"]["refreshToken"].as_str().unwrap().to_owned();
        let rotated = app.gql(None, "mutation($r: String!) { refreshToken(input: {refreshToken: $r}) { accessToken } }", json!({"r": refresh})).await.ok(200);
        assert!(rotated["data"]["refreshToken"]["accessToken"].is_string());
        let reused = app.gql(None, "mutation($r: String!) { refreshToken(input: {refreshToken: $r}) { accessToken } }", json!({"r": refresh})).await.ok(200);
        assert_eq!(reused["errors"][0]["extensions"]["code"], "unauthenticated");
    }

    async fn errors_carry_the_rest_codes(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let viewer = app.member(&s, "viewer", "viewer@acme.test").await;
        let unauth = app.gql(None, "{ me { role } }", json!({})).await.ok(200);
        assert_eq!(unauth["errors"][0]["extensions"]["code"], "unauthenticated");
        let forbidden = app.gql(Some(&viewer.token), "mutation { createApiKey(input: {name: \"k\", scope: READ}) { key } }", json!({})).await.ok(200);
        assert_eq!(forbidden["errors"][0]["extensions"]["code"], "forbidden");
        let invalid = app.gql(Some(&s.token), "mutation { createUser(input: {email: \"nope\", name: \"\", role: AGENT, password: \"x\"}) { id } }", json!({})).await.ok(200);
        let ext = &invalid["errors"][0]["extensions"];
        assert_eq!(ext["code"], "validation_failed");
        assert_eq!(ext["errors"].as_array().unwrap().len(), 3, "{ext}");
        assert_eq!(ext["errors"][0]["pointer"], "/email");
        let conflict = app.gql(Some(&s.token), "mutation { createUser(input: {email: \"viewer@acme.test\", name: \"V\", role: AGENT, password: \"correct horse battery staple\"}) { id } }", json!({})).await.ok(200);
        assert_eq!(conflict["errors"][0]["extensions"]["code"], "conflict");
        let too_many = app.gql(Some(&s.token), "{ users(first: 101) { edges { cursor } } }", json!({})).await.ok(200);
        assert_eq!(too_many["errors"][0]["extensions"]["code"], "validation_failed");
        let bad_token = app.gql(Some("nope"), "{ me { role } }", json!({})).await;
        assert_eq!(bad_token.status, 401);
        assert_eq!(bad_token.json()["errors"][0]["extensions"]["code"], "unauthenticated");
    }

    #[config(|c| c.graphql_max_depth = 3)]
    async fn too_deep_queries_are_refused_before_any_resolver(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        // Depth 3 is allowed.
        let ok = app.gql(Some(&s.token), "{ me { user { email } } }", json!({})).await.ok(200);
        assert_eq!(ok["data"]["me"]["user"]["email"], "ann@acme.test");
        // Depth 4 is refused at validation: no data at all.
        let too_deep = app.gql(Some(&s.token), "{ __schema { types { fields { type { name } } } } }", json!({})).await.ok(200);
        assert!(too_deep.get("data").is_none() || too_deep["data"].is_null(), "{too_deep}");
        assert!(too_deep["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("nested too deep"), "{too_deep}");
        let users = app.get("/api/v1/users", Some(&s.token)).await.ok(200);
        assert_eq!(users["data"].as_array().unwrap().len(), 1);
    }

    #[config(|c| c.graphql_max_depth = 2)]
    async fn a_deep_mutation_never_runs(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        // createUser { id } is depth 2 (allowed); asking for more depth through `me` makes the
        // whole document invalid, so the mutation in it must not run.
        let res = app.gql(Some(&s.token), "mutation { createUser(input: {email: \"deep@acme.test\", name: \"D\", role: AGENT, password: \"correct horse battery staple\"}) { id } signup(input: {orgName: \"x\", name: \"x\", email: \"x@x.test\", password: \"correct horse battery staple\"}) { user { email } } }", json!({})).await.ok(200);
        assert!(res.get("data").is_none() || res["data"].is_null(), "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains("nested too deep"), "{res}");
        assert_eq!(res["errors"][0]["extensions"]["code"], "query_too_deep", "{res}");
        let users = app.get("/api/v1/users", Some(&s.token)).await.ok(200);
        assert_eq!(users["data"].as_array().unwrap().len(), 1, "the mutation did not run");
    }

    #[config(|c| { c.graphql_max_batch = 2; c.max_body_bytes = 4096; })]
    async fn batch_and_body_limits(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let two = json!([{"query": "{ me { role } }"}, {"query": "{ me { auth_method: authMethod } }"}]);
        let res = app.post("/graphql", Some(&s.token), two).await.ok(200);
        assert_eq!(res.as_array().unwrap().len(), 2);
        let three = json!([{"query": "{ me { role } }"}, {"query": "{ me { role } }"}, {"query": "{ me { role } }"}]);
        let res = app.post("/graphql", Some(&s.token), three).await;
        assert_eq!(res.status, 400);
        assert_eq!(res.json()["errors"][0]["extensions"]["code"], "batch_too_large");
        let res = app.post("/graphql", Some(&s.token), json!([])).await;
        assert_eq!(res.json()["errors"][0]["extensions"]["code"], "batch_too_large");
        let big = json!({"query": format!("{{ me {{ role }} }} # {}", "x".repeat(5000))});
        let res = app.post("/graphql", Some(&s.token), big).await;
        assert_eq!(res.status, 413);
        assert_eq!(res.json()["errors"][0]["extensions"]["code"], "payload_too_large");
        let res = app.raw("POST", "/graphql", &[("content-type", "application/json")], b"{not json".to_vec()).await;
        assert_eq!(res.status, 400);
        assert_eq!(res.json()["errors"][0]["extensions"]["code"], "malformed_request");
    }

    async fn graphiql_and_introspection_in_development(app: &TestApp) {
        let page = app.get("/graphql", None).await;
        assert_eq!(page.status, 200);
        assert!(page.text().to_lowercase().contains("graphiql"));
        let intro = app.gql(None, "{ __schema { queryType { name } } }", json!({})).await.ok(200);
        assert_eq!(intro["data"]["__schema"]["queryType"]["name"], "QueryRoot");
        assert_eq!(app.get("/docs/", None).await.status, 200);
    }

    #[config(|c| c.env = crm_tests::crm_gateway::config::Environment::Production)]
    async fn production_hides_playgrounds_and_introspection(app: &TestApp) {
        app.get("/graphql", None).await.problem(404, "not_found");
        app.get("/docs/", None).await.problem(404, "not_found");
        // Introspection answers nothing of the schema.
        let intro = app.gql(None, "{ __schema { queryType { name } types { name } } }", json!({})).await.ok(200);
        assert!(intro["data"]["__schema"].is_null(), "{intro}");
        assert!(!intro.to_string().contains("QueryRoot"), "{intro}");
        // The API itself works.
        let s = app.signup("Acme", "ann@acme.test").await;
        let me = app.gql(Some(&s.token), "{ me { role } }", json!({})).await.ok(200);
        assert_eq!(me["data"]["me"]["role"], "ADMIN");
    }

    #[config(|c| { c.graphql_max_depth = 3; c.graphql_max_complexity = 5; })]
    async fn every_limit_and_document_error_carries_a_code(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let code = |res: &serde_json::Value| res["errors"][0]["extensions"]["code"].as_str().unwrap_or("none").to_owned();
        let deep = app.gql(Some(&s.token), "{ contacts(first: 1) { edges { node { id } } } }", json!({})).await.ok(200);
        assert_eq!(code(&deep), "query_too_deep", "{deep}");
        let complex = app.gql(Some(&s.token), "{ a: me { role } b: me { role } c: me { role } d: me { role } }", json!({})).await.ok(200);
        assert_eq!(code(&complex), "query_too_complex", "{complex}");
        let syntax = app.gql(Some(&s.token), "{ me { role ", json!({})).await;
        let body = syntax.json();
        assert_eq!(code(&body), "graphql_invalid", "{body}");
        let unknown = app.gql(Some(&s.token), "{ nope }", json!({})).await.json();
        assert_eq!(code(&unknown), "graphql_invalid", "{unknown}");
        assert!(unknown["errors"][0]["extensions"]["requestId"].is_string(), "{unknown}");
        // Recursion past 64 levels is refused before any depth is counted.
        let nested = format!("{{ {}me {{ role }}{} }}", "... on QueryRoot { ".repeat(70), " }".repeat(70));
        let rec = app.gql(Some(&s.token), &nested, json!({})).await.json();
        assert_eq!(code(&rec), "query_too_deep", "{rec}");
    }

    async fn standard_introspection_passes_the_default_limits(app: &TestApp) {
        // graphql-js `getIntrospectionQuery()`, as codegen tools and GraphQL inspectors send it.
        let query = include_str!("../fixtures/introspection.graphql");
        let res = app.gql(None, query, json!({})).await.ok(200);
        assert!(res.get("errors").is_none(), "{res}");
        let types = res["data"]["__schema"]["types"].as_array().unwrap();
        assert!(types.iter().any(|t| t["name"] == "Contact"), "{} types", types.len());
    }
}
