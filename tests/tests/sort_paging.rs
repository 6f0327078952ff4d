//! Every sortable field of every kit resource pages through every record, in both directions:
//! cursors are built from the record's sort keys alone (`crm_core::list::SortKeys`), so a
//! field the list sorts on but the record does not carry would repeat or skip records. The
//! fields come from each resource's own declaration, so a new sortable field is covered here
//! the day it is declared.

use crm_core::kit::Records;
use crm_core::list::Resource;
use crm_tests::fixtures::{document_body, pipeline_body};
use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The sortable fields of a declaration (custom fields are covered in `custom_fields.rs`).
fn sortable(resource: &Resource) -> Vec<&'static str> {
    resource
        .fields
        .iter()
        .filter(|f| f.sortable)
        .map(|f| f.name)
        .collect()
}

/// Ids of one list, walked two at a time with `sort`.
async fn walk(app: &TestApp, s: &Session, path: &str, sort: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let url = match &cursor {
            Some(c) => format!("/api/v1/{path}?sort={sort}&limit=2&cursor={c}"),
            None => format!("/api/v1/{path}?sort={sort}&limit=2"),
        };
        let page = app.get(&url, Some(&s.token)).await.ok(200);
        for r in page["data"].as_array().unwrap() {
            seen.push(r["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return seen,
        }
    }
    panic!("{path} sorted by {sort} did not end after 50 pages: {seen:?}");
}

/// Values of `field` in list order, for checking the order itself.
fn values(app_page: &Value, field: &str) -> Vec<Value> {
    app_page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| at(r, field).cloned().unwrap_or(Value::Null))
        .collect()
}

/// A field of a record, nested ones (`analytics.clv`) by their path.
fn at<'a>(record: &'a Value, field: &str) -> Option<&'a Value> {
    field.split('.').try_fold(record, |v, part| v.get(part))
}

async fn create_all(app: &TestApp, s: &Session, path: &str, bodies: Vec<Value>) {
    for b in bodies {
        app.post(&format!("/api/v1/{path}"), Some(&s.token), b)
            .await
            .ok(201);
    }
}

dual! {
    async fn every_sortable_field_pages_through_every_record(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let names = ["Berg", "Adler", "Adler", "Cole", "Dahl"];
        create_all(app, &s, "contacts", names.iter().enumerate().map(|(i, n)| {
            // Two without a last name or email: NULLs sort first ascending.
            if i % 3 == 2 { json!({"first_name": format!("F{i}")}) }
            else { json!({"first_name": "Eva", "last_name": n, "email": format!("e{i}@x.test")}) }
        }).collect()).await;
        create_all(app, &s, "companies", names.iter().map(|n| json!({"name": n})).collect()).await;
        create_all(app, &s, "activities", (0..5).map(|i| {
            if i % 2 == 0 { json!({"kind": "task", "subject": "t", "due_at": format!("2027-01-0{}T09:00:00Z", 1 + i % 3)}) }
            else { json!({"kind": "note", "body": "n", "occurred_at": "2026-01-01T00:00:00Z"}) }
        }).collect()).await;
        create_all(app, &s, "products", names.iter().enumerate().map(|(i, n)| json!({"sku": format!("S{}", 9 - i), "name": n})).collect()).await;
        create_all(app, &s, "leads", names.iter().enumerate().map(|(i, n)| {
            if i == 1 { json!({"first_name": "Only"}) } else { json!({"last_name": n}) }
        }).collect()).await;
        app.post("/api/v1/pipelines", Some(&s.token), pipeline_body("Sales")).await.ok(201);
        create_all(app, &s, "deals", names.iter().enumerate().map(|(i, n)| {
            if i % 2 == 0 { json!({"name": n, "expected_close_date": "2027-03-01"}) } else { json!({"name": n}) }
        }).collect()).await;
        create_all(app, &s, "invoices", (0..5).map(|i| {
            let mut b = document_body("10");
            if i % 2 == 1 { b["due_date"] = json!("2027-02-01"); }
            b
        }).collect()).await;
        // Touch a few so updated_at differs from created_at order.
        let touched = app.get("/api/v1/contacts?sort=created_at&limit=1", Some(&s.token)).await.ok(200);
        let id = touched["data"][0]["id"].as_str().unwrap();
        app.patch(&format!("/api/v1/contacts/{id}"), Some(&s.token), json!({"title": "CEO"})).await.ok(200);

        let lists: [(&str, &Resource); 7] = [
            ("contacts", crm_customers::kit::Contacts::RESOURCE),
            ("companies", crm_customers::kit::Companies::RESOURCE),
            ("activities", crm_interactions::kit::Activities::RESOURCE),
            ("products", crm_sales::kit::Products::RESOURCE),
            ("leads", crm_sales::kit::Leads::RESOURCE),
            ("deals", crm_sales::kit::Deals::RESOURCE),
            ("invoices", crm_sales::kit::Invoices::RESOURCE),
        ];
        for (path, resource) in lists {
            let all = app.get(&format!("/api/v1/{path}?limit=100"), Some(&s.token)).await.ok(200);
            let expected: BTreeSet<String> = all["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
            assert_eq!(expected.len(), 5, "{path}: {all}");
            let fields = sortable(resource);
            assert!(!fields.is_empty(), "{path} declares sortable fields");
            for field in fields {
                let one = app.get(&format!("/api/v1/{path}?sort={field}&limit=1"), Some(&s.token)).await.ok(200);
                assert!(at(&one["data"][0], field).is_some(), "{path} records carry their sortable field {field}: {one}");
                for sort in [field.to_owned(), format!("-{field}")] {
                    let walked = walk(app, &s, path, &sort).await;
                    let distinct: BTreeSet<String> = walked.iter().cloned().collect();
                    assert_eq!(walked.len(), 5, "{path} sort={sort} repeated or skipped: {walked:?}");
                    assert_eq!(distinct, expected, "{path} sort={sort}");
                    let whole = app.get(&format!("/api/v1/{path}?sort={sort}&limit=100"), Some(&s.token)).await.ok(200);
                    let order: Vec<String> = whole["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
                    assert_eq!(walked, order, "{path} sort={sort}: pages in the order of one page ({:?})", values(&whole, field));
                }
            }
        }
    }
}
