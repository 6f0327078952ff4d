//! GraphQL's typed filters and sort keys, generated from each resource's field declaration,
//! and nested lists as Relay connections that continue with `after`.

use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};

fn names(g: &Value, list: &str, field: &str) -> Vec<String> {
    g["data"][list]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{g}"))
        .iter()
        .map(|e| e["node"][field].as_str().unwrap_or("-").to_owned())
        .collect()
}

async fn seed(app: &TestApp, s: &Session) -> (Value, Value) {
    let t = Some(s.token.as_str());
    let retail = app
        .post(
            "/api/v1/companies",
            t,
            json!({"name": "Shopco", "industry": "retail"}),
        )
        .await
        .ok(201);
    let steel = app
        .post(
            "/api/v1/companies",
            t,
            json!({"name": "Steelco", "industry": "steel"}),
        )
        .await
        .ok(201);
    for (last, company, tags) in [
        ("Smith", &retail, json!(["vip"])),
        ("Smyth", &steel, json!([])),
        ("Jones", &retail, json!([])),
        ("Smalls", &retail, json!(["vip"])),
        ("Brown", &steel, json!(["vip"])),
    ] {
        app.post(
            "/api/v1/contacts",
            t,
            json!({"last_name": last, "company_id": company["id"], "tags": tags}),
        )
        .await
        .ok(201);
    }
    app.post("/api/v1/contacts", t, json!({"last_name": "Smart"}))
        .await
        .ok(201);
    (retail, steel)
}

dual! {
    async fn typed_filters_combine_and_reach_through_relations(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        seed(app, &s).await;
        let q = |filter: &str, order: &str| format!("{{ contacts(first: 50, filter: {filter}, orderBy: {order}) {{ edges {{ node {{ lastName }} }} }} }}");
        let run = async |filter: &str, order: &str| {
            let g = app.gql(t, &q(filter, order), json!({})).await.ok(200);
            assert!(g["errors"].is_null(), "{filter}: {g}");
            names(&g, "contacts", "lastName")
        };
        let by_name = "[{field: LAST_NAME}]";
        assert_eq!(run(r#"{lastName: {startsWith: "Sm"}}"#, by_name).await, vec!["Smalls", "Smart", "Smith", "Smyth"]);
        assert_eq!(run(r#"{lastName: {startsWith: "sm"}, company: {industry: {eq: "retail"}}}"#, by_name).await, vec!["Smalls", "Smith"]);
        assert_eq!(run(r#"{or: [{lastName: {eq: "Jones"}}, {company: {name: {eq: "Steelco"}}}]}"#, by_name).await, vec!["Brown", "Jones", "Smyth"]);
        assert_eq!(run(r#"{tags: {eq: "vip"}, not: {company: {industry: {eq: "steel"}}}}"#, "[{field: LAST_NAME, direction: DESC}]").await, vec!["Smith", "Smalls"]);
        assert_eq!(run(r#"{companyId: {isNull: true}}"#, by_name).await, vec!["Smart"]);
        assert_eq!(run(r#"{lastName: {in: ["Jones", "Brown", "Nobody"]}}"#, by_name).await, vec!["Brown", "Jones"]);
        assert_eq!(run(r#"{and: [{lastName: {startsWith: "S"}}, {lastName: {contains: "MI"}}]}"#, by_name).await, vec!["Smith"]);
        assert_eq!(run(r#"{or: []}"#, by_name).await, Vec::<String>::new(), "an empty or matches nothing");

        // Activities through their contact's company; deals through their company.
        let smith = app.get("/api/v1/contacts?last_name=Smith", t).await.ok(200)["data"][0].clone();
        app.post("/api/v1/activities", t, json!({"kind": "call", "subject": "Hello Smith", "contact_id": smith["id"]})).await.ok(201);
        app.post("/api/v1/activities", t, json!({"kind": "note", "subject": "Loose note"})).await.ok(201);
        let g = app.gql(t, r#"{ activities(filter: {contact: {company: {industry: {eq: "retail"}}}, kind: {in: ["call", "meeting"]}}) { edges { node { subject } } } }"#, json!({})).await.ok(200);
        assert_eq!(names(&g, "activities", "subject"), vec!["Hello Smith"], "{g}");

        // Bad values are errors naming where they were, never a 500.
        let g = app.gql(t, r#"{ contacts(filter: {lifecycleStage: {eq: "emperor"}}) { edges { cursor } } }"#, json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "validation_failed", "{g}");
        assert_eq!(g["errors"][0]["extensions"]["errors"][0]["pointer"], "/filter/lifecycleStage/eq", "{g}");
        let g = app.gql(t, r#"{ contacts(filter: {createdAt: {gt: "yesterday"}}) { edges { cursor } } }"#, json!({})).await.ok(200);
        assert!(g["errors"][0]["extensions"]["code"].is_string(), "{g}");
        let g = app.gql(t, r#"{ contacts(filter: {lastName: {like: "x"}}) { edges { cursor } } }"#, json!({})).await.ok(200);
        assert!(g["errors"][0]["extensions"]["code"].is_string(), "an operator the kind lacks: {g}");
        let g = app.gql(t, r#"{ contacts(orderBy: [{field: TAGS}]) { edges { cursor } } }"#, json!({})).await.ok(200);
        assert!(g["errors"][0]["extensions"]["code"].is_string(), "tags do not sort: {g}");

        // Another organization's companies never match a relation filter.
        let other = app.signup("Other", "admin@other.test").await;
        let g = app.gql(Some(&other.token), r#"{ contacts(filter: {company: {industry: {eq: "retail"}}}) { edges { cursor } } }"#, json!({})).await.ok(200);
        assert_eq!(g["data"]["contacts"]["edges"], json!([]), "{g}");
    }

    async fn the_schema_declares_each_resource_s_inputs(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let g = app.gql(Some(&s.token), r#"{ f: __type(name: "ContactFilter") { inputFields { name type { name kind ofType { name } } } } o: __type(name: "ContactSortField") { enumValues { name } } t: __type(name: "StringFilter") { inputFields { name } } }"#, json!({})).await.ok(200);
        let fields: Vec<&str> = g["data"]["f"]["inputFields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        for want in ["lastName", "email", "companyId", "lifecycleStage", "tags", "company", "custom", "and", "or", "not", "analyticsAbcClass", "analyticsClv", "analyticsComputedAt"] {
            assert!(fields.contains(&want), "{want} in {fields:?}");
        }
        let sorts: Vec<&str> = g["data"]["o"]["enumValues"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(sorts, vec!["CREATED_AT", "UPDATED_AT", "LAST_NAME", "FIRST_NAME", "EMAIL", "ANALYTICS_ABC_CLASS", "ANALYTICS_XYZ_CLASS", "ANALYTICS_RFM_SCORE", "ANALYTICS_RFM_SEGMENT", "ANALYTICS_CLV", "ANALYTICS_P_ALIVE", "ANALYTICS_CHURN_RISK"]);
        let ops: Vec<&str> = g["data"]["t"]["inputFields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        let want: Vec<String> = crm_core::list::Kind::Text.operators().iter().map(|o| if *o == "starts_with" { "startsWith".into() } else if *o == "is_null" { "isNull".into() } else { (*o).to_owned() }).collect();
        assert_eq!(ops, want, "the operators the planner takes, no more");
    }

    async fn nested_lists_are_connections_that_continue(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let co = app.post("/api/v1/companies", t, json!({"name": "Globex"})).await.ok(201);
        let mut contact = Value::Null;
        for i in 0..5 {
            contact = app.post("/api/v1/contacts", t, json!({"last_name": format!("C{i}"), "company_id": co["id"]})).await.ok(201);
        }
        for i in 0..4 {
            app.post("/api/v1/activities", t, json!({"kind": "call", "subject": format!("A{i}"), "contact_id": contact["id"], "occurred_at": format!("2026-0{}-01T10:00:00Z", i + 1)})).await.ok(201);
        }
        let q = r#"query($id: ID!, $a: String, $b: String) { company(id: $id) { contacts(first: 2, after: $a) { pageInfo { hasNextPage endCursor } edges { cursor node { lastName activities(first: 3, after: $b) { pageInfo { hasNextPage endCursor } nodes { subject } } } } } } }"#;
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let g = app.gql(t, q, json!({"id": co["id"], "a": after})).await.ok(200);
            assert!(g["errors"].is_null(), "{g}");
            let conn = &g["data"]["company"]["contacts"];
            for e in conn["edges"].as_array().unwrap() {
                seen.push(e["node"]["lastName"].as_str().unwrap().to_owned());
            }
            if conn["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = conn["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, vec!["C4", "C3", "C2", "C1", "C0"], "newest first, each once");

        let q = r#"query($id: ID!, $b: String) { contact(id: $id) { activities(first: 3, after: $b) { pageInfo { hasNextPage endCursor } nodes { subject } } } }"#;
        let g = app.gql(t, q, json!({"id": contact["id"]})).await.ok(200);
        let first = &g["data"]["contact"]["activities"];
        assert_eq!(first["nodes"], json!([{"subject": "A3"}, {"subject": "A2"}, {"subject": "A1"}]), "{g}");
        assert_eq!(first["pageInfo"]["hasNextPage"], true);
        let g = app.gql(t, q, json!({"id": contact["id"], "b": first["pageInfo"]["endCursor"]})).await.ok(200);
        let rest = &g["data"]["contact"]["activities"];
        assert_eq!(rest["nodes"], json!([{"subject": "A0"}]), "{g}");
        assert_eq!(rest["pageInfo"]["hasNextPage"], false);
        // A cursor that is not one is an error naming it.
        let g = app.gql(t, q, json!({"id": contact["id"], "b": "garbage"})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "validation_failed", "{g}");
    }
}
