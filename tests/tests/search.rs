//! Full-text search (`q`) on every list where a user searches: activities, tasks, deals,
//! orders, quotes and invoices (companies and contacts are in `lists.rs`). Every token must
//! prefix-match, whatever the case; other organizations' records never match; on
//! PostgreSQL the search is answered by its GIN index.

use crm_tests::fixtures::{document_body, pipeline_body};
use crm_tests::{Backend, Session, TestApp, dual};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

fn urlencoding(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn field_of(page: &Value, field: &str) -> Vec<String> {
    let mut out: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r[field]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| r[field].to_string())
        })
        .collect();
    out.sort();
    out
}

async fn search(app: &TestApp, s: &Session, path: &str, q: &str, field: &str) -> Vec<String> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let page = app
        .get(&format!("{path}{sep}q={q}"), Some(&s.token))
        .await
        .ok(200);
    field_of(&page, field)
}

dual! {
    async fn activities_and_tasks_are_searched_by_subject_body_and_outcome(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let other = app.signup("Other", "admin@other.test").await;
        let t = Some(s.token.as_str());
        app.post("/api/v1/activities", t, json!({"kind": "call", "subject": "Pricing call", "outcome": "Wants the Müller discount"})).await.ok(201);
        app.post("/api/v1/activities", t, json!({"kind": "note", "subject": "Visit notes", "body": "Talked about pricing and the new warehouse"})).await.ok(201);
        app.post("/api/v1/activities", t, json!({"kind": "task", "subject": "Send pricing sheet", "due_at": "2020-01-01T09:00:00Z"})).await.ok(201);
        app.post("/api/v1/activities", t, json!({"kind": "task", "subject": "Book travel", "due_at": "2099-01-01T09:00:00Z"})).await.ok(201);
        app.post("/api/v1/activities", Some(&other.token), json!({"kind": "note", "subject": "Pricing elsewhere"})).await.ok(201);

        assert_eq!(search(app, &s, "/api/v1/activities", "pricing", "subject").await, vec!["Pricing call", "Send pricing sheet", "Visit notes"]);
        assert_eq!(search(app, &s, "/api/v1/activities", "PRIC%20WARE", "subject").await, vec!["Visit notes"], "every token prefix-matches, in any column");
        assert_eq!(search(app, &s, "/api/v1/activities", "M%C3%9CLLER", "subject").await, vec!["Pricing call"], "letters beyond ASCII, any case");
        assert_eq!(search(app, &s, "/api/v1/activities?kind=task", "pricing", "subject").await, vec!["Send pricing sheet"], "with filters");
        assert!(search(app, &s, "/api/v1/activities", "nothing", "subject").await.is_empty());
        assert_eq!(search(app, &s, "/api/v1/tasks/mine", "pricing", "subject").await, vec!["Send pricing sheet"]);
        assert_eq!(search(app, &s, "/api/v1/tasks/overdue", "send", "subject").await, vec!["Send pricing sheet"]);
        assert!(search(app, &s, "/api/v1/tasks/overdue", "travel", "subject").await.is_empty());

        // An edit is searchable at once, and the old text no longer is.
        let page = app.get("/api/v1/activities?q=book", t).await.ok(200);
        let id = page["data"][0]["id"].as_str().unwrap().to_owned();
        app.patch(&format!("/api/v1/activities/{id}"), t, json!({"subject": "Book flights"})).await.ok(200);
        assert_eq!(search(app, &s, "/api/v1/activities", "flights", "subject").await, vec!["Book flights"]);
        assert!(search(app, &s, "/api/v1/activities", "travel", "subject").await.is_empty());
        // A deleted activity is not listed, found or not.
        app.delete(&format!("/api/v1/activities/{id}"), t).await.ok(204);
        assert!(search(app, &s, "/api/v1/activities", "flights", "subject").await.is_empty());

        // The same search through GraphQL.
        let g = app.gql(t, r#"{ activities(q: "pricing") { edges { node { subject } } } }"#, json!({})).await.ok(200);
        assert!(g["errors"].is_null(), "{g}");
        assert_eq!(g["data"]["activities"]["edges"].as_array().unwrap().len(), 3, "{g}");
    }

    async fn deals_and_documents_are_searched(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        app.post("/api/v1/pipelines", t, pipeline_body("Sales")).await.ok(201);
        app.post("/api/v1/deals", t, json!({"name": "Warehouse robots"})).await.ok(201);
        app.post("/api/v1/deals", t, json!({"name": "Office chairs"})).await.ok(201);
        assert_eq!(search(app, &s, "/api/v1/deals", "robot", "name").await, vec!["Warehouse robots"]);

        let put = |path: &str| format!("/api/v1/{path}");
        app.call("PUT", &put("orders/by-external-id/erp/SO-77812"), t, Some(document_body("10"))).await.ok(201);
        app.post("/api/v1/orders", t, document_body("10")).await.ok(201);
        assert_eq!(search(app, &s, "/api/v1/orders", "so%2077812", "external_id").await, vec!["SO-77812"]);
        assert!(search(app, &s, "/api/v1/orders", "77813", "external_id").await.is_empty());

        let invoice = app.post("/api/v1/invoices", t, document_body("10")).await.ok(201);
        let number = invoice["number"].as_i64().expect("an issued invoice has a number");
        app.post("/api/v1/invoices", t, document_body("10")).await.ok(201);
        let found = app.get(&format!("/api/v1/invoices?q={number}"), t).await.ok(200);
        let numbers: Vec<i64> = found["data"].as_array().unwrap().iter().map(|d| d["number"].as_i64().unwrap()).collect();
        assert!(numbers.contains(&number), "{found}");
        assert!(numbers.iter().all(|n| n.to_string().starts_with(&number.to_string())), "{found}");

        app.post("/api/v1/quotes", t, document_body("10")).await.ok(201);
        let quotes = app.get("/api/v1/quotes?q=zzz", t).await.ok(200);
        assert!(quotes["data"].as_array().unwrap().is_empty());

        let g = app.gql(t, r#"{ deals(q: "warehouse") { edges { node { name } } } }"#, json!({})).await.ok(200);
        assert_eq!(g["data"]["deals"]["edges"][0]["node"]["name"], "Warehouse robots", "{g}");
    }

    async fn products_and_leads_are_searched_filtered_and_sorted(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        app.post("/api/v1/products", t, json!({"sku": "PMP-100", "name": "Water pump", "description": "Stainless steel"})).await.ok(201);
        let valve = app.post("/api/v1/products", t, json!({"sku": "VLV-7", "name": "Valve"})).await.ok(201);
        app.post("/api/v1/products", t, json!({"sku": "PMP-200", "name": "Oil pump", "active": false})).await.ok(201);
        assert_eq!(search(app, &s, "/api/v1/products", "pump", "sku").await, vec!["PMP-100", "PMP-200"]);
        assert_eq!(search(app, &s, "/api/v1/products", "stainless", "sku").await, vec!["PMP-100"]);
        assert_eq!(search(app, &s, "/api/v1/products?active=false", "pmp", "sku").await, vec!["PMP-200"]);
        let sorted = app.get("/api/v1/products?sort=-sku", t).await.ok(200);
        let skus: Vec<&str> = sorted["data"].as_array().unwrap().iter().map(|p| p["sku"].as_str().unwrap()).collect();
        assert_eq!(skus, vec!["VLV-7", "PMP-200", "PMP-100"]);
        // A stale If-Match leaves the product; the current one deletes it.
        let v = valve["version"].as_i64().unwrap();
        let path = format!("/api/v1/products/{}", valve["id"].as_str().unwrap());
        let auth = format!("Bearer {}", s.token);
        let stale = format!("\"{}\"", v + 5);
        let res = app.raw("DELETE", &path, &[("authorization", &auth), ("if-match", &stale)], Vec::new()).await;
        res.problem(412, "precondition_failed");
        let current = format!("\"{v}\"");
        let res = app.raw("DELETE", &path, &[("authorization", &auth), ("if-match", &current)], Vec::new()).await;
        assert_eq!(res.status, 204);

        app.post("/api/v1/leads", t, json!({"first_name": "Ada", "last_name": "Lovelace", "company_name": "Analytical Engines"})).await.ok(201);
        app.post("/api/v1/leads", t, json!({"last_name": "Babbage", "email": "charles@engines.test"})).await.ok(201);
        assert_eq!(search(app, &s, "/api/v1/leads", "engines", "last_name").await, vec!["Babbage", "Lovelace"]);
        assert_eq!(search(app, &s, "/api/v1/leads?last_name=Babbage", "charles", "last_name").await, vec!["Babbage"]);
        let g = app.gql(t, r#"{ leads(filter: {companyName: {startsWith: "analytical"}}) { edges { node { lastName } } } products(q: "valve") { edges { node { sku } } } }"#, json!({})).await.ok(200);
        assert_eq!(g["data"]["leads"]["edges"][0]["node"]["lastName"], "Lovelace", "{g}");
        assert_eq!(g["data"]["products"]["edges"], json!([]), "a deleted product is not listed: {g}");
    }

    async fn every_searched_list_uses_its_index(app: &TestApp) {
        if app.backend != Backend::Postgres {
            // SQLite answers from the FTS5 tables, which the tests above exercise.
            return;
        }
        let lists = [
            ("activities", crm_interactions::ops::ACTIVITY_FIELDS),
            ("deals", crm_sales::ops::DEAL_FIELDS),
            ("sales_documents", crm_sales::ops::DOCUMENT_FIELDS),
            ("products", crm_sales::ops::PRODUCT_FIELDS),
            ("leads", crm_sales::ops::LEAD_FIELDS),
            ("companies", crm_customers::ops::COMPANY_FIELDS),
            ("contacts", crm_customers::ops::CONTACT_FIELDS),
        ];
        for (table, resource) in lists {
            let how = resource.search.expect("searched");
            let tx = app.db.begin().await.unwrap();
            tx.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
            // The stored vector is generated from the declared text, and the search condition
            // reads it through its own GIN index.
            let generated = format!(
                "SELECT to_tsvector('simple', {}) = search_vector FROM {table} WHERE false",
                how.pg_text
            );
            tx.execute_unprepared(&generated).await.unwrap();
            let sql = format!("EXPLAIN SELECT id FROM {table} WHERE search_vector @@ to_tsquery('simple', 'x:*')");
            let rows = tx.query_all_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, sql)).await.unwrap();
            let plan: Vec<String> = rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
            tx.rollback().await.unwrap();
            let plan = plan.join("\n");
            assert!(plan.contains(&format!("ix_{table}_search")), "{table}:\n{plan}");
            // Its pending list is kept small: every search reads all of it (migration 000028).
            let options = app.db.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'ix_{table}_search'"),
            )).await.unwrap().unwrap().try_get_by_index::<String>(0).unwrap();
            assert_eq!(options, "gin_pending_list_limit=64", "{table}");
        }
    }
}

dual! {
    async fn a_search_finds_the_same_records_whichever_way_it_is_run(app: &TestApp) {
        // On PostgreSQL a search first reads the newest rows of the list, then asks the search
        // index when those hold too few matches, then falls back to the plain list when the
        // index holds too many: small probe sizes and caps take every path on a few records.
        let s = app.signup("Acme", "admin@acme.test").await;
        let other = app.signup("Other", "admin@other.test").await;
        let t = Some(s.token.as_str());
        let names = ["Rare", "Common", "Common", "Common", "Common", "Rare", "Common", "Common", "Common", "Common", "Common", "Common"];
        for n in names {
            app.post("/api/v1/contacts", t, json!({"first_name": "Ann", "last_name": n})).await.ok(201);
        }
        app.post("/api/v1/contacts", Some(other.token.as_str()), json!({"last_name": "Rare"})).await.ok(201);
        let all = app.get("/api/v1/contacts?limit=100", t).await.ok(200);
        let newest_first: Vec<(String, String)> = all["data"].as_array().unwrap().iter()
            .map(|c| (c["id"].as_str().unwrap().to_owned(), c["last_name"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(newest_first.len(), names.len());
        let ctx = app.admin_ctx(&s);
        let pg = app.backend == Backend::Postgres;
        // (q, probe rows, match cap, statements of the first page on PostgreSQL)
        let cases: &[(&str, Option<u64>, Option<u64>, usize)] = &[
            ("common", None, None, 1),
            ("common", Some(3), None, 1),
            ("rare", None, None, 1),
            ("rare", Some(3), None, 3),
            ("rare", Some(3), Some(1), 3),
            ("ann rare", Some(1), None, 3),
            ("nomatch", Some(3), None, 2),
            ("com", Some(1), Some(3), 3),
            ("ann", Some(3), Some(100), 1),
        ];
        for &(q, probe_rows, match_cap, statements) in cases {
            let want: Vec<String> = newest_first.iter()
                .filter(|(_, name)| q.split(' ').all(|tok| name.to_lowercase().starts_with(tok) || "ann".starts_with(tok)))
                .map(|(id, _)| id.clone())
                .collect();
            let params = |cursor: Option<String>| crm_core::list::ListParams {
                q: Some(q.to_owned()),
                page: crm_core::PageRequest { limit: Some(2), cursor, ..Default::default() },
                probe_rows,
                match_cap,
                ..Default::default()
            };
            let mut got = Vec::new();
            let mut cursor = None;
            loop {
                let page = crm_customers::ops::list_contacts(&ctx, &params(cursor.take())).await.unwrap();
                assert!(page.data.len() <= 2);
                got.extend(page.data.iter().map(|c| c.id.to_string()));
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
                assert!(got.len() <= names.len(), "{q}: endless pages");
            }
            assert_eq!(got, want, "q={q} probe={probe_rows:?} cap={match_cap:?}");
            let ran = crm_customers::ops::contact_list_sql(&ctx, &params(None)).await.unwrap();
            assert_eq!(ran.len(), if pg { statements } else { 1 }, "q={q} probe={probe_rows:?} cap={match_cap:?}: {ran:?}");
        }
    }
}

dual! {
    async fn a_long_number_asks_the_search_index_first(app: &TestApp) {
        // A caller lookup by phone number: on PostgreSQL a token of seven digits or more asks
        // the search index for it before any rows of the list are read (two statements), and
        // the page's statement still applies every token and filter.
        let s = app.signup("Acme", "admin@acme.test").await;
        let other = app.signup("Other", "admin@other.test").await;
        let t = Some(s.token.as_str());
        let ann = app.post("/api/v1/contacts", t, json!({"first_name": "Ann", "last_name": "Lee", "phone": "+49 30 1234567"})).await.ok(201);
        let bob = app.post("/api/v1/contacts", t, json!({"first_name": "Bob", "last_name": "Lee", "phone": "+49 30 1234567"})).await.ok(201);
        let gone = app.post("/api/v1/contacts", t, json!({"first_name": "Cy", "last_name": "Lee", "phone": "+49 30 1234567"})).await.ok(201);
        app.delete(&format!("/api/v1/contacts/{}", gone["id"].as_str().unwrap()), t).await.ok(204);
        let mut fillers = Vec::new();
        for i in 0..5 {
            let c = app.post("/api/v1/contacts", t, json!({"last_name": format!("Filler{i}"), "phone": format!("+49 89 765432{i}")})).await.ok(201);
            fillers.insert(0, c["id"].as_str().unwrap().to_owned());
        }
        app.post("/api/v1/contacts", Some(other.token.as_str()), json!({"last_name": "Lee", "phone": "+49 30 1234567"})).await.ok(201);
        let ctx = app.admin_ctx(&s);
        let pg = app.backend == Backend::Postgres;
        let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
        // (q, match cap, expected ids newest first, statements on PostgreSQL)
        let cases: Vec<(&str, Option<u64>, Vec<String>, usize)> = vec![
            ("301234567", None, vec![id(&bob), id(&ann)], 2),
            ("ann 4930123", None, vec![id(&ann)], 2),
            ("3012345", Some(1), vec![id(&bob), id(&ann)], 2),
            ("9999999", None, vec![], 1),
            ("8976543", None, fillers.clone(), 2),
            ("897654", None, fillers.clone(), 1),
        ];
        for (q, match_cap, want, statements) in cases {
            let params = crm_core::list::ListParams {
                q: Some(q.to_owned()),
                page: crm_core::PageRequest { limit: Some(25), ..Default::default() },
                match_cap,
                ..Default::default()
            };
            let page = crm_customers::ops::list_contacts(&ctx, &params).await.unwrap();
            let got: Vec<String> = page.data.iter().map(|c| c.id.to_string()).collect();
            assert_eq!(got, want, "q={q} cap={match_cap:?}");
            let ran = crm_customers::ops::contact_list_sql(&ctx, &params).await.unwrap();
            assert_eq!(ran.len(), if pg { statements } else { 1 }, "q={q} cap={match_cap:?}: {ran:?}");
            if pg && q != "897654" {
                assert!(!ran[0].sql.contains("row_number"), "q={q}: the probe ran first: {ran:?}");
            }
        }
        // Over REST and GraphQL, the number as a caller's display or a person writes it: the
        // groups joined, `(0)` dropped, a trunk `0` or an international `00` prefix understood.
        let mut want = vec![id(&bob), id(&ann)];
        want.sort();
        for q in ["+49 30 1234567", "+49 (0)30 123-4567", "0049 30 1234567", "(030) 1234567", "030/1234567", "4930123"] {
            let found = app.get(&format!("/api/v1/contacts?q={}", urlencoding(q)), t).await.ok(200);
            assert_eq!(field_of(&found, "id"), want, "q={q}");
        }
        let gql = app.gql(t, "query($q: String) { contacts(q: $q, first: 10) { edges { node { id } } } }", json!({"q": "+49 (0)30 1234567"})).await.ok(200);
        let mut got: Vec<String> = gql["data"]["contacts"]["edges"].as_array().unwrap().iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect();
        got.sort();
        assert_eq!(got, want, "{gql}");
        // A number too long for PostgreSQL's search (over 2,047 bytes) is dropped from the
        // search there, as it always was; it must not make the search index first find nothing.
        if pg {
            let params = crm_core::list::ListParams {
                q: Some(format!("ann {}", "1".repeat(2_048))),
                ..Default::default()
            };
            let page = crm_customers::ops::list_contacts(&ctx, &params).await.unwrap();
            assert_eq!(page.data.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(), vec![id(&ann)]);
        }
        // Seven digits with a word are two terms, both applied.
        let found = app.get("/api/v1/contacts?q=bob%204930123", t).await.ok(200);
        assert_eq!(field_of(&found, "id"), vec![id(&bob)]);
    }
}
