//! Lists: filters, sorts, search, keyset paging (also while records are added), index use.

use crm_tests::{Backend, Session, TestApp, dual};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::{Value, json};
use std::collections::HashMap;

async fn seed(app: &TestApp, s: &Session, bodies: Vec<Value>) -> Vec<String> {
    let mut ids = Vec::new();
    for chunk in bodies.chunks(20) {
        let created = futures_util::future::join_all(
            chunk
                .iter()
                .map(|b| app.post("/api/v1/contacts", Some(&s.token), b.clone())),
        )
        .await;
        for r in created {
            ids.push(r.ok(201)["id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

async fn walk(
    app: &TestApp,
    s: &Session,
    query: &str,
    mut during: impl AsyncFnMut(usize),
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/contacts?{query}&cursor={c}"),
            None => format!("/api/v1/contacts?{query}"),
        };
        let page = app.get(&path, Some(&s.token)).await.ok(200);
        for c in page["data"].as_array().unwrap() {
            seen.push(c["id"].as_str().unwrap().to_owned());
        }
        pages += 1;
        during(pages).await;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    seen
}

fn names(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["last_name"].as_str().unwrap_or("-").to_owned())
        .collect()
}

dual! {
    async fn paging_sees_every_original_exactly_once_while_others_are_added(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let bodies = (0..1000)
            .map(|i| if i % 7 == 0 { json!({"email": format!("n{i}@x.test")}) } else { json!({"last_name": format!("L{:03}", (i * 37) % 300), "email": format!("c{i}@x.test")}) })
            .collect();
        let originals = seed(app, &s, bodies).await;
        for (round, query) in ["limit=25", "limit=25&sort=last_name", "limit=25&sort=-last_name,email"].into_iter().enumerate() {
            let mut added = 0;
            let seen = walk(app, &s, query, async |page| {
                if page % 4 == 0 {
                    let body = json!({"last_name": format!("L{:03}", page * 7 % 300), "email": format!("new{page}-{round}@x.test")});
                    app.post("/api/v1/contacts", Some(&s.token), body).await.ok(201);
                    added += 1;
                }
            }).await;
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for id in &seen {
                *counts.entry(id.as_str()).or_default() += 1;
            }
            for id in &originals {
                assert_eq!(counts.get(id.as_str()), Some(&1), "{query}: original {id} seen {:?} times", counts.get(id.as_str()));
            }
            assert!(counts.values().all(|n| *n == 1), "{query}: no record twice");
            assert!(added > 0);
        }
    }

    async fn filters_sorts_and_errors(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let co = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Initech"})).await.ok(201);
        seed(app, &s, vec![
            json!({"first_name": "Ann", "last_name": "Berg", "email": "ann@initech.test", "lifecycle_stage": "customer", "tags": ["vip"], "company_id": co["id"], "address": {"country": "DE"}}),
            json!({"first_name": "Bob", "last_name": "Adler", "email": "bob@x.test", "lifecycle_stage": "lead", "tags": ["vip", "new"]}),
            json!({"first_name": "Cid", "last_name": "Cole", "email": "cid@x.test", "lifecycle_stage": "customer"}),
            json!({"first_name": "Dee", "email": "dee@x.test"}),
        ]).await;
        let token = s.token.as_str();
        let get = |q: &str| { let q = q.to_owned(); async move { app.get(&format!("/api/v1/contacts?{q}"), Some(token)).await } };
        assert_eq!(names(&get("sort=last_name").await.ok(200)), vec!["-", "Adler", "Berg", "Cole"]);
        assert_eq!(names(&get("sort=-last_name").await.ok(200)), vec!["Cole", "Berg", "Adler", "-"]);
        assert_eq!(names(&get("lifecycle_stage=customer&sort=last_name").await.ok(200)), vec!["Berg", "Cole"]);
        assert_eq!(names(&get("lifecycle_stage[ne]=customer&sort=last_name").await.ok(200)), vec!["-", "Adler"]);
        assert_eq!(names(&get("lifecycle_stage[in]=lead,customer&sort=last_name").await.ok(200)), vec!["Adler", "Berg", "Cole"]);
        assert_eq!(names(&get("last_name[is_null]=true").await.ok(200)), vec!["-"]);
        assert_eq!(names(&get("email[contains]=INITECH").await.ok(200)), vec!["Berg"]);
        assert_eq!(names(&get("last_name[starts_with]=ad").await.ok(200)), vec!["Adler"]);
        assert_eq!(names(&get("email=BOB@x.test").await.ok(200)), vec!["Adler"]);
        assert_eq!(names(&get("tags=vip&sort=last_name").await.ok(200)), vec!["Adler", "Berg"]);
        assert_eq!(names(&get("tags[in]=new,none").await.ok(200)), vec!["Adler"]);
        assert_eq!(names(&get(&format!("company_id={}", co["id"].as_str().unwrap())).await.ok(200)), vec!["Berg"]);
        assert_eq!(names(&get("country=DE").await.ok(200)), vec!["Berg"]);
        assert_eq!(names(&get("created_at[gt]=2000-01-01T00:00:00Z&sort=last_name&limit=2").await.ok(200)), vec!["-", "Adler"]);
        assert_eq!(get("created_at[lt]=2000-01-01T00:00:00Z").await.ok(200)["data"].as_array().unwrap().len(), 0);
        // Search: names, emails, phones and company names.
        assert_eq!(names(&get("q=initech").await.ok(200)), vec!["Berg"]);
        assert_eq!(names(&get("q=bob").await.ok(200)), vec!["Adler"]);
        assert_eq!(names(&get("q=ann%20berg").await.ok(200)), vec!["Berg"]);
        assert_eq!(get("q=zzzz").await.ok(200)["data"].as_array().unwrap().len(), 0);
        // Errors name the parameter.
        for (q, pointer) in [
            ("colour=red", "/colour"),
            ("last_name[like]=x", "/last_name[like]"),
            ("lifecycle_stage=vip", "/lifecycle_stage"),
            ("created_at[gt]=yesterday", "/created_at[gt]"),
            ("custom.nope=1", "/custom.nope"),
            ("sort=tags", "/sort"),
            ("sort=phone", "/sort"),
            ("limit=0", "/limit"),
            ("cursor=abc", "/cursor"),
        ] {
            let body = get(q).await.problem(422, "validation_failed");
            assert_eq!(body["errors"][0]["pointer"], pointer, "{q}: {body}");
        }
        // A cursor of one sort is refused by another.
        let page = get("sort=last_name&limit=1").await.ok(200);
        let c = page["next_cursor"].as_str().unwrap();
        get(&format!("sort=email&cursor={c}")).await.problem(422, "validation_failed");
        // GraphQL takes the same filters, sort and search.
        let g = app.gql(Some(&s.token), r#"{ contacts(first: 10, filter: {tags: {eq: "vip"}}, orderBy: [{field: LAST_NAME, direction: DESC}]) { edges { node { lastName } } } }"#, json!({})).await.ok(200);
        assert_eq!(g["data"]["contacts"]["edges"], json!([{"node": {"lastName": "Berg"}}, {"node": {"lastName": "Adler"}}]));
        let g = app.gql(Some(&s.token), r#"{ contacts(q: "initech") { edges { node { lastName } } } companies(q: "init") { edges { node { name } } } }"#, json!({})).await.ok(200);
        assert_eq!(g["data"]["contacts"]["edges"][0]["node"]["lastName"], "Berg");
        assert_eq!(g["data"]["companies"]["edges"][0]["node"]["name"], "Initech");
        // Every edge's cursor (not only the last) continues the list after that edge.
        let g = app.gql(Some(&s.token), r#"{ contacts(first: 3, orderBy: [{field: LAST_NAME}]) { edges { cursor node { lastName } } } }"#, json!({})).await.ok(200);
        let edges = g["data"]["contacts"]["edges"].as_array().unwrap().clone();
        let after = app.gql(Some(&s.token), r#"query($a: String) { contacts(first: 1, after: $a, orderBy: [{field: LAST_NAME}]) { edges { node { lastName } } } }"#, json!({"a": edges[0]["cursor"]})).await.ok(200);
        assert_eq!(after["data"]["contacts"]["edges"][0]["node"], edges[1]["node"], "{after}");
        // An unknown field is refused by the schema itself; a custom field unknown to the
        // organization by the planner, naming where it was.
        let g = app.gql(Some(&s.token), r#"{ contacts(filter: {colour: {eq: "red"}}) { edges { cursor } } }"#, json!({})).await.ok(200);
        assert!(g["errors"][0]["extensions"]["code"].is_string(), "{g}");
        let g = app.gql(Some(&s.token), r#"{ contacts(filter: {custom: [{key: "colour", value: "red"}]}) { edges { cursor } } }"#, json!({})).await.ok(200);
        assert_eq!(g["errors"][0]["extensions"]["code"], "validation_failed", "{g}");
    }

    async fn hot_queries_use_an_index(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        seed(app, &s, (0..30).map(|i| json!({"last_name": format!("N{i}"), "lifecycle_stage": "customer"})).collect()).await;
        if app.backend == Backend::Postgres {
            // Enough rows that a selective search is worth its GIN index, as in production.
            app.db.execute_unprepared(&format!(
                "INSERT INTO contacts (id, org_id, last_name, search_text, version, created_at, updated_at) \
                 SELECT gen_random_uuid(), '{}', 'Filler', 'filler ' || g, 1, now(), now() FROM generate_series(1, 5000) g",
                s.org_id
            )).await.unwrap();
            app.db.execute_unprepared("ANALYZE contacts").await.unwrap();
        }
        let ctx = app.admin_ctx(&s);
        type Case<'a> = (&'a str, Vec<(String, String)>, &'a str);
        let cases: Vec<Case> = vec![
            ("default list", vec![], "ix_contacts_org_created"),
            ("search", vec![("q".into(), "n29".into())], if app.backend == Backend::Postgres { "ix_contacts_search" } else { "contacts_fts" }),
            ("filtered list", vec![("lifecycle_stage".into(), "customer".into())], "ix_contacts_org_lifecycle"),
        ];
        for (what, pairs, index) in cases {
            let params = crm_core::list::ListParams::from_pairs(pairs).unwrap();
            let stmts = crm_customers::ops::contact_list_sql(&ctx, &params).await.unwrap();
            if what == "search" && app.backend == Backend::Postgres {
                // The term is not among the newest rows: the probe, then the search index, then the page.
                assert_eq!(stmts.len(), 3, "{stmts:?}");
            } else {
                assert_eq!(stmts.len(), 1, "{stmts:?}");
            }
            let backend = app.db.get_database_backend();
            let mut plan = Vec::new();
            for stmt in stmts {
                let tx = app.db.begin().await.unwrap();
                let explain = match app.backend {
                    Backend::Postgres => {
                        // The planner may prefer a scan on tiny tables: forbid it to see what it can use.
                        tx.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
                        format!("EXPLAIN {}", stmt.sql)
                    }
                    Backend::Sqlite => format!("EXPLAIN QUERY PLAN {}", stmt.sql),
                };
                let rows = tx.query_all_raw(Statement::from_sql_and_values(backend, explain, stmt.values.clone().map(|v| v.0).unwrap_or_default())).await.unwrap();
                plan.extend(rows.iter().map(|r| match app.backend {
                    Backend::Postgres => r.try_get_by_index::<String>(0).unwrap(),
                    Backend::Sqlite => r.try_get_by_index::<String>(3).unwrap(),
                }));
                tx.rollback().await.unwrap();
            }
            let text = plan.join("\n");
            assert!(text.contains(index), "{what} should use {index}:\n{text}");
            assert!(!text.contains("Seq Scan on contacts"), "{what}:\n{text}");
        }
    }
}
