//! Exports (`GET /api/v1/<resource>/export`): every record the list's filters select, streamed
//! as CSV (columns from the record's schema, nested objects and custom fields as their own
//! columns) or NDJSON (the list's JSON, one per line), across more than one internal page;
//! bad parameters are 422s before the download starts; tenancy holds.

use crm_tests::dual;
use futures_util::StreamExt;
use serde_json::{Value, json};

/// Parses CSV with an independent reader; returns the header and the rows as maps.
fn parse_csv(text: &str) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (header, rows)
}

dual! {
    async fn csv_has_schema_columns_custom_fields_and_the_list_filters(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        app.post("/api/v1/custom-fields", Some(&s.token), json!({"record_type": "contact", "key": "tier", "label": "Tier", "field_type": "select", "options": ["gold", "silver"]})).await.ok(201);
        app.post("/api/v1/custom-fields", Some(&s.token), json!({"record_type": "contact", "key": "score", "label": "Score", "field_type": "number"})).await.ok(201);
        let a = app.post("/api/v1/contacts", Some(&s.token), json!({
            "first_name": "Ada", "last_name": "Lovelace, Countess", "email": "ada@x.test", "tags": ["vip", "math"],
            "address": {"city": "London", "country": "GB"}, "custom": {"tier": "gold", "score": 9.5}
        })).await.ok(201);
        app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Bob", "last_name": "\"Quoted\"\nName", "email": "bob@x.test", "custom": {"tier": "silver"}})).await.ok(201);
        app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Cy", "email": "cy@y.test"})).await.ok(201);

        let res = app.get("/api/v1/contacts/export?format=csv&sort=first_name", Some(&s.token)).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("content-type").unwrap(), "text/csv; charset=utf-8");
        let disposition = res.header("content-disposition").unwrap();
        assert!(disposition.starts_with("attachment; filename=\"contacts-") && disposition.ends_with(".csv\""), "{disposition}");
        let (header, rows) = parse_csv(&res.text());
        // The schema's order, the address expanded, custom fields by key, no `custom` column.
        assert_eq!(header[0], "id");
        for col in ["first_name", "last_name", "email", "tags", "address.city", "address.country", "custom.score", "custom.tier", "version", "created_at"] {
            assert!(header.iter().any(|h| h == col), "{col} missing from {header:?}");
        }
        assert!(!header.iter().any(|h| h == "custom" || h == "address"), "{header:?}");
        let pos = |c: &str| header.iter().position(|h| h == c).unwrap();
        assert!(pos("first_name") < pos("last_name") && pos("custom.score") < pos("custom.tier"));
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["id"], a["id"].as_str().unwrap());
        assert_eq!(rows[0]["last_name"], "Lovelace, Countess");
        assert_eq!(rows[0]["address.city"], "London");
        assert_eq!(rows[0]["custom.tier"], "gold");
        assert_eq!(rows[0]["custom.score"], "9.5");
        assert_eq!(serde_json::from_str::<Value>(&rows[0]["tags"]).unwrap(), json!(["vip", "math"]));
        assert_eq!(rows[1]["last_name"], "\"Quoted\"\nName");
        assert_eq!(rows[2]["custom.tier"], "");

        // The list's filters and search select the same records.
        let res = app.get("/api/v1/contacts/export?email[contains]=x.test&sort=-first_name", Some(&s.token)).await;
        let (_, rows) = parse_csv(&res.text());
        let names: Vec<&str> = rows.iter().map(|r| r["first_name"].as_str()).collect();
        assert_eq!(names, vec!["Bob", "Ada"]);
        let res = app.get("/api/v1/contacts/export?q=lovelace", Some(&s.token)).await;
        assert_eq!(parse_csv(&res.text()).1.len(), 1);
        // Nothing matches: the header alone.
        let res = app.get("/api/v1/contacts/export?email=none@x.test", Some(&s.token)).await;
        let (header, rows) = parse_csv(&res.text());
        assert!(rows.is_empty() && header[0] == "id");

        // A viewer reads, so a viewer exports; another organization sees none of it.
        let viewer = app.member(&s, "viewer", "viewer@acme.test").await;
        let res = app.get("/api/v1/contacts/export", Some(&viewer.token)).await;
        assert_eq!(parse_csv(&res.text()).1.len(), 3);
        let other = app.signup("Other", "admin@other.test").await;
        let res = app.get("/api/v1/contacts/export?format=ndjson", Some(&other.token)).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.text(), "");
        app.get("/api/v1/contacts/export", None).await.problem(401, "unauthenticated");
    }

    async fn bad_parameters_are_422_before_the_download(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let bad = app.get("/api/v1/contacts/export?format=xml", Some(&s.token)).await.problem(422, "validation_failed");
        assert_eq!(bad["errors"][0]["pointer"], "/format");
        let bad = app.get("/api/v1/contacts/export?limit=10", Some(&s.token)).await.problem(422, "validation_failed");
        assert_eq!(bad["errors"][0]["pointer"], "/limit");
        app.get("/api/v1/contacts/export?cursor=abc", Some(&s.token)).await.problem(422, "validation_failed");
        app.get("/api/v1/contacts/export?shoe_size=9", Some(&s.token)).await.problem(422, "validation_failed");
        app.get("/api/v1/contacts/export?sort=password", Some(&s.token)).await.problem(422, "validation_failed");
    }

    async fn ndjson_streams_every_record_across_pages(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        // More than one internal page (1,000 records) of activities.
        let total = 1_030;
        futures_util::stream::iter(0..total)
            .for_each_concurrent(8, |i| {
                let token = s.token.clone();
                async move {
                    app.post("/api/v1/activities", Some(&token), json!({
                        "kind": "note", "subject": format!("note {i:05}"),
                        "occurred_at": format!("2026-01-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60)
                    })).await.ok(201);
                }
            })
            .await;
        let res = app.get("/api/v1/activities/export?format=ndjson&sort=created_at", Some(&s.token)).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("content-type").unwrap(), "application/x-ndjson");
        let text = res.text();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), total);
        let mut ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), total, "no record twice");
        // Each line is the record as the list gives it.
        let first = app.get("/api/v1/activities?sort=created_at&limit=1", Some(&s.token)).await.ok(200);
        assert_eq!(lines[0], first["data"][0]);
        // Filters apply across pages too.
        let res = app.get("/api/v1/activities/export?format=csv&subject[starts_with]=note%20009", Some(&s.token)).await;
        let (_, rows) = parse_csv(&res.text());
        assert_eq!(rows.len(), 100);
    }

    async fn contacts_export_every_record_past_a_batch_in_the_lists_order(app: &TestApp) {
        // Contacts are read by one streamed statement on PostgreSQL (pages on SQLite): more
        // than one batch (1,000), in the list's order, each once, filters and sort applied.
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let total = 1_150;
        futures_util::stream::iter(0..total / 50)
            .for_each_concurrent(4, |b| async move {
                let items: Vec<Value> = (0..50)
                    .map(|i| json!({"op": "create", "data": {"first_name": format!("P{:04}", b * 50 + i), "last_name": if i % 2 == 0 { "Even" } else { "Odd" }}}))
                    .collect();
                app.post("/api/v1/contacts/batch", t, json!({"items": items})).await.ok(200);
            })
            .await;
        let res = app.get("/api/v1/contacts/export?format=ndjson&sort=-first_name", t).await;
        assert_eq!(res.status, 200);
        let lines: Vec<Value> = res.text().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), total);
        let names: Vec<&str> = lines.iter().map(|l| l["first_name"].as_str().unwrap()).collect();
        let mut want = names.clone();
        want.sort_by(|a, b| b.cmp(a));
        want.dedup();
        assert_eq!(names, want, "every contact once, in the sort asked for");
        let page = app.get("/api/v1/contacts?sort=-first_name&limit=1", t).await.ok(200);
        assert_eq!(lines[0], page["data"][0], "each line is the record as the list gives it");
        let res = app.get("/api/v1/contacts/export?format=csv&last_name=Odd&sort=first_name", t).await;
        let (_, rows) = parse_csv(&res.text());
        assert_eq!(rows.len(), total / 2);
        let res = app.get("/api/v1/contacts/export?format=csv&q=P0999", t).await;
        let (_, rows) = parse_csv(&res.text());
        assert_eq!(rows.len(), 1);
        // Several at once: the test server's pool (5) allows one streamed statement, the
        // others read page by page; each download is the same.
        let whole = app.get("/api/v1/contacts/export?format=ndjson&sort=-first_name", t).await.text();
        let together = futures_util::future::join_all((0..3).map(|_| app.get("/api/v1/contacts/export?format=ndjson&sort=-first_name", t))).await;
        for res in together {
            assert_eq!(res.status, 200);
            assert_eq!(res.text(), whole);
        }
    }

    async fn every_resource_exports_the_records_its_list_gives(app: &TestApp) {
        // Each resource's export (one streamed statement on PostgreSQL, pages on SQLite) gives
        // the records of its list, in its order, with what each record reads besides its row
        // (a product's prices, a document's lines).
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        let eu = app.post("/api/v1/price-lists", t, json!({"name": "EU", "currency": "EUR", "is_default": true})).await.ok(201);
        let us = app.post("/api/v1/price-lists", t, json!({"name": "US", "currency": "USD"})).await.ok(201);
        app.post("/api/v1/pipelines", t, json!({"name": "Sales", "stages": [{"name": "Open", "probability": 20}, {"name": "Won", "stage_type": "won"}, {"name": "Lost", "stage_type": "lost"}]})).await.ok(201);
        let co = app.post("/api/v1/companies", t, json!({"name": "Globex"})).await.ok(201);
        app.post("/api/v1/companies", t, json!({"name": "Initech"})).await.ok(201);
        let c = app.post("/api/v1/contacts", t, json!({"first_name": "Ada", "company_id": co["id"]})).await.ok(201);
        for i in 0..3 {
            let prices = if i == 2 { json!([]) } else { json!([{"price_list_id": eu["id"], "unit_price": format!("{i}.50")}, {"price_list_id": us["id"], "unit_price": "7"}]) };
            app.post("/api/v1/products", t, json!({"sku": format!("P-{i}"), "name": format!("Product {i}"), "tax_rate": "19", "prices": prices})).await.ok(201);
            app.post("/api/v1/orders", t, json!({"contact_id": c["id"], "lines": [{"sku": "P-0", "quantity": "2"}, {"description": format!("Service {i}"), "quantity": "1", "unit_price": "10"}]})).await.ok(201);
            app.post("/api/v1/quotes", t, json!({"currency": "EUR", "lines": [{"description": format!("Quote line {i}"), "quantity": "3", "unit_price": "4"}]})).await.ok(201);
            app.post("/api/v1/invoices", t, json!({"currency": "EUR", "lines": [{"description": format!("Invoice line {i}"), "quantity": "1", "unit_price": "5"}]})).await.ok(201);
            app.post("/api/v1/deals", t, json!({"name": format!("Deal {i}"), "amount": {"amount": "100", "currency": "EUR"}, "company_id": co["id"]})).await.ok(201);
            app.post("/api/v1/leads", t, json!({"first_name": "Lee", "last_name": format!("Lead {i}"), "email": format!("lead{i}@x.test")})).await.ok(201);
            app.post("/api/v1/activities", t, json!({"kind": "call", "subject": format!("Call {i}"), "contact_id": c["id"]})).await.ok(201);
        }
        for (path, sort) in [("contacts", "created_at"), ("companies", "-name"), ("activities", "created_at"), ("deals", "-name"), ("leads", "last_name"), ("products", "-sku"), ("orders", "-created_at"), ("quotes", "created_at"), ("invoices", "created_at")] {
            let list = app.get(&format!("/api/v1/{path}?sort={sort}&limit=100"), t).await.ok(200);
            let res = app.get(&format!("/api/v1/{path}/export?format=ndjson&sort={sort}"), t).await;
            assert_eq!(res.status, 200, "{path}");
            let lines: Vec<Value> = res.text().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            assert_eq!(Value::Array(lines), list["data"], "{path}: the export is the list");
        }
        // What each record reads besides its row is there.
        let products = app.get("/api/v1/products/export?format=ndjson&sort=sku", t).await.text();
        let products: Vec<Value> = products.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(products[0]["prices"].as_array().unwrap().len(), 2);
        assert_eq!(products[2]["prices"], json!([]));
        let orders = app.get("/api/v1/orders/export?format=ndjson", t).await.text();
        for order in orders.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()) {
            assert_eq!(order["lines"].as_array().unwrap().len(), 2, "{order}");
            assert_eq!(order["lines"][1]["net_amount"]["amount"], "10.00");
        }
    }
}

/// Polls an export until it is no longer queued or running.
async fn finished(app: &crm_tests::TestApp, token: &str, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let e = app
            .get(&format!("/api/v1/exports/{id}"), Some(token))
            .await
            .ok(200);
        if e["state"] != "queued" && e["state"] != "running" {
            return e;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the export did not finish: {e}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

dual! {
    #[config(|c| c.job_poll_interval_ms = 50)]
    async fn export_jobs_write_a_file_that_is_downloaded_when_ready(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        for (first, email) in [("Ada", "ada@x.test"), ("Bob", "bob@x.test"), ("Cy", "cy@y.test")] {
            app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": first, "email": email, "address": {"city": "Berlin"}})).await.ok(201);
        }
        // Bad requests fail now, not in the job.
        let bad = app.post("/api/v1/exports", Some(&s.token), json!({"resource": "spaceships"})).await.problem(422, "validation_failed");
        assert_eq!(bad["errors"][0]["pointer"], "/resource");
        app.post("/api/v1/exports", Some(&s.token), json!({"resource": "contacts", "params": {"shoe_size": "9"}})).await.problem(422, "validation_failed");
        app.post("/api/v1/exports", Some(&s.token), json!({"resource": "contacts", "params": {"limit": "5"}})).await.problem(422, "validation_failed");
        app.post("/api/v1/exports", Some(&s.token), json!({"resource": "contacts", "params": {"format": "csv"}})).await.problem(422, "validation_failed");
        app.post("/api/v1/exports", Some(&s.token), json!({"resource": "contacts", "format": "xlsx"})).await.problem(422, "validation_failed");

        let res = app.post("/api/v1/exports", Some(&s.token), json!({"resource": "contacts", "params": {"email[contains]": "x.test", "sort": "first_name"}})).await;
        let queued = res.ok(202);
        let id = queued["id"].as_str().unwrap().to_owned();
        assert_eq!(res.header("location").unwrap(), format!("/api/v1/exports/{id}"));
        assert_eq!(queued["format"], "csv");
        assert_eq!(queued["download_url"], Value::Null);
        let done = finished(app, &s.token, &id).await;
        assert_eq!(done["state"], "succeeded", "{done}");
        assert_eq!(done["rows"], 2);
        assert!(done["expires_at"].is_string() && done["finished_at"].is_string());
        let url = done["download_url"].as_str().unwrap().to_owned();
        let file = app.get(&url, Some(&s.token)).await;
        assert_eq!(file.status, 200);
        assert_eq!(file.header("content-type").unwrap(), "text/csv; charset=utf-8");
        assert_eq!(done["bytes"], file.body.len());
        // The same file as the streamed export of the same parameters.
        let streamed = app.get("/api/v1/contacts/export?email[contains]=x.test&sort=first_name", Some(&s.token)).await;
        assert_eq!(file.text(), streamed.text());
        let (_, rows) = parse_csv(&file.text());
        assert_eq!(rows.iter().map(|r| r["first_name"].as_str()).collect::<Vec<_>>(), vec!["Ada", "Bob"]);
        assert_eq!(rows[0]["address.city"], "Berlin");

        // Others see their own; admins see all; other organizations none.
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        app.get(&format!("/api/v1/exports/{id}"), Some(&agent.token)).await.problem(404, "not_found");
        app.get(&url, Some(&agent.token)).await.problem(404, "not_found");
        let mine = app.post("/api/v1/exports", Some(&agent.token), json!({"resource": "companies", "format": "ndjson"})).await.ok(202);
        let listed = app.get("/api/v1/exports", Some(&agent.token)).await.ok(200);
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);
        let listed = app.get("/api/v1/exports", Some(&s.token)).await.ok(200);
        assert_eq!(listed["data"].as_array().unwrap().len(), 2);
        let mine = finished(app, &agent.token, mine["id"].as_str().unwrap()).await;
        assert_eq!(mine["state"], "succeeded");
        assert_eq!(mine["rows"], 0);
        let other = app.signup("Other", "admin@other.test").await;
        app.get(&format!("/api/v1/exports/{id}"), Some(&other.token)).await.problem(404, "not_found");

        // GraphQL: the same operations.
        let started = app.gql(Some(&s.token), r#"mutation { startExport(input: {resource: "activities", format: NDJSON, params: {sort: "created_at"}}) { id state format } }"#, json!({})).await.ok(200);
        let gid = started["data"]["startExport"]["id"].as_str().unwrap().to_owned();
        assert_eq!(started["data"]["startExport"]["state"], "QUEUED");
        finished(app, &s.token, &gid).await;
        let q = app.gql(Some(&s.token), "query($id: ID!) { exportFile(id: $id) { state rows downloadUrl } exportFiles(first: 10) { edges { node { id } } } }", json!({"id": gid})).await.ok(200);
        assert_eq!(q["data"]["exportFile"]["state"], "SUCCEEDED");
        assert_eq!(q["data"]["exportFile"]["downloadUrl"], format!("/api/v1/exports/{gid}/file"));
        assert_eq!(q["data"]["exportFiles"]["edges"].as_array().unwrap().len(), 3);
        let bad = app.gql(Some(&s.token), r#"mutation { startExport(input: {resource: "contacts", params: {nope: "1"}}) { id } }"#, json!({})).await.ok(200);
        assert_eq!(bad["errors"][0]["extensions"]["code"], "validation_failed");
    }
}
