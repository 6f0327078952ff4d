//! Bulk imports (`POST /api/v1/imports`): a multipart upload (encoded here by hand, as any
//! HTTP client would) of CSV, NDJSON or vCard, mapped onto the create body, deduplicated, run
//! by a worker through the single write's rules, with progress, failed rows as CSV, dry runs,
//! cancel, and `Idempotency-Key`; bad options are 422s before anything is queued.

use crm_tests::dual;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const BOUNDARY: &str = "----crm-import-test-7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body with the `options` part and a `file` part.
fn multipart(options: &Value, file_name: &str, file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"options\"\r\nContent-Type: application/json\r\n\r\n{options}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(
    app: &crm_tests::TestApp,
    token: &str,
    options: Value,
    file_name: &str,
    file: &[u8],
    key: Option<&str>,
) -> crm_tests::Resp {
    let auth = format!("Bearer {token}");
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let mut headers = vec![
        ("authorization", auth.as_str()),
        ("content-type", ct.as_str()),
    ];
    if let Some(k) = key {
        headers.push(("idempotency-key", k));
    }
    app.raw(
        "POST",
        "/api/v1/imports",
        &headers,
        multipart(&options, file_name, file),
    )
    .await
}

/// Polls an import until it has ended.
async fn ended(app: &crm_tests::TestApp, token: &str, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let i = app
            .get(&format!("/api/v1/imports/{id}"), Some(token))
            .await
            .ok(200);
        if i["state"] != "queued" && i["state"] != "running" {
            return i;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the import did not end: {i}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn import_file(
    app: &crm_tests::TestApp,
    token: &str,
    options: Value,
    file_name: &str,
    file: &[u8],
) -> Value {
    let res = upload(app, token, options, file_name, file, None).await;
    let job = res.ok(202);
    assert_eq!(
        res.header("location").unwrap(),
        format!("/api/v1/imports/{}", job["id"].as_str().unwrap())
    );
    ended(app, token, job["id"].as_str().unwrap()).await
}

fn failures(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        vec!["row", "field", "code", "reason"]
    );
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn contacts(app: &crm_tests::TestApp, token: &str) -> Vec<Value> {
    app.get("/api/v1/contacts?limit=100&sort=email", Some(token))
        .await
        .ok(200)["data"]
        .as_array()
        .unwrap()
        .clone()
}

dual! {
    #[config(|c| c.job_poll_interval_ms = 50)]
    async fn csv_rows_are_mapped_matched_validated_and_reported(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        app.post("/api/v1/custom-fields", Some(&s.token), json!({"record_type": "contact", "key": "tier", "label": "Tier", "field_type": "select", "options": ["gold", "silver"]})).await.ok(201);
        app.post("/api/v1/custom-fields", Some(&s.token), json!({"record_type": "contact", "key": "score", "label": "Score", "field_type": "number"})).await.ok(201);
        let old = app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Old", "email": "Ada@X.test"})).await.ok(201);

        let mut file = Vec::new();
        file.extend_from_slice("E-Mail;Vorname;Nachname;Ort;Stufe;Punkte;Tags\n".as_bytes());
        file.extend_from_slice("ada@x.test;Ada;Lovelace;London;gold;9;\"vip; math\"\n".as_bytes()); // line 2: matches Old
        file.extend_from_slice("bob@x.test;Bob;\"Quoted; Name\";Köln;silver;3;\n".as_bytes()); // line 3: created
        file.extend_from_slice("not-an-email;Cy;C;;;;\n".as_bytes()); // line 4: invalid email
        file.extend_from_slice("dan@x.test;Dan\n".as_bytes()); // line 5: too few columns
        file.extend_from_slice(b"eve@x.test;\xff\xfe;E;;;;\n"); // line 6: bad UTF-8
        file.extend_from_slice("BOB@x.test;Robert;;;;;\n".as_bytes()); // line 7: matches line 3
        file.extend_from_slice("fay@x.test;Fay;F;;platinum;x;\n".as_bytes()); // line 8: bad select and number
        let options = json!({
            "resource": "contacts", "delimiter": ";",
            "mapping": {"E-Mail": "email", "Vorname": "first_name", "Nachname": "last_name", "Ort": "address.city", "Stufe": "custom.tier", "Punkte": "custom.score", "Tags": "tags"},
            "match_on": "email", "on_match": "update"
        });
        let done = import_file(app, &s.token, options, "kontakte.csv", &file).await;
        assert_eq!(done["state"], "succeeded", "{done}");
        assert_eq!(done["format"], "csv");
        assert_eq!(done["file_name"], "kontakte.csv");
        assert_eq!(done["bytes"], file.len());
        assert_eq!((done["rows_total"].as_i64(), done["rows_done"].as_i64()), (Some(7), Some(7)), "{done}");
        let res = app.get(done["failures_url"].as_str().unwrap(), Some(&s.token)).await;
        assert_eq!((done["created"].as_i64(), done["updated"].as_i64(), done["skipped"].as_i64(), done["failed"].as_i64()), (Some(1), Some(2), Some(0), Some(4)), "{done} {}", res.text());
        assert_eq!(done["percent"], 100.0);

        let all = contacts(app, &s.token).await;
        assert_eq!(all.len(), 2, "{all:?}");
        let ada = all.iter().find(|c| c["id"] == old["id"]).expect("the matched contact was updated in place");
        assert_eq!(ada["first_name"], "Ada");
        assert_eq!(ada["address"]["city"], "London");
        assert_eq!(ada["custom"], json!({"tier": "gold", "score": 9}));
        assert_eq!(ada["tags"], json!(["vip", "math"]));
        let bob = all.iter().find(|c| c["email"] == "bob@x.test").unwrap();
        assert_eq!(bob["first_name"], "Robert", "the later row updated the record an earlier row created");
        assert_eq!(bob["last_name"], "Quoted; Name");
        // Written as the single create writes: searchable, with its history.
        let found = app.get("/api/v1/contacts?q=quoted", Some(&s.token)).await.ok(200);
        assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");
        let history = app.get(&format!("/api/v1/contacts/{}/history", bob["id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        let actions: Vec<&str> = history["data"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"created") && actions.contains(&"updated"), "{history}");

        // Failed rows, by line, with the column and the reason.
        let res = app.get(done["failures_url"].as_str().unwrap(), Some(&s.token)).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("content-type").unwrap(), "text/csv; charset=utf-8");
        let rows = failures(&res.text());
        let lines: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(lines, vec!["4", "5", "6", "8", "8"], "{rows:?}");
        assert_eq!(rows[0][1], "E-Mail");
        assert_eq!(rows[1][2], "malformed_row");
        assert!(rows[1][3].contains("2 columns"), "{rows:?}");
        assert!(rows[2][3].contains("UTF-8"), "{rows:?}");
        let fields: Vec<&str> = rows[3..].iter().map(|r| r[1].as_str()).collect();
        assert!(fields.contains(&"Stufe") && fields.contains(&"Punkte"), "{rows:?}");

        // Every written record is attributable to the import in the change feed.
        // On PostgreSQL the feed shows an event once every transaction older than it has ended,
        // across the cluster: another test's open transaction can hold it back for a moment.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let events = loop {
            let events = app.get("/api/v1/events?types=contact.*&limit=100", Some(&s.token)).await.ok(200);
            let seen = events["data"].as_array().unwrap().iter().filter(|e| e["origin"]["type"] == "import").count();
            if seen >= 3 || std::time::Instant::now() > deadline {
                break events;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        let from_import: Vec<&Value> = events["data"].as_array().unwrap().iter().filter(|e| e["origin"]["type"] == "import").collect();
        assert_eq!(from_import.len(), 3, "{events}");
        assert!(from_import.iter().all(|e| e["origin"]["id"] == done["id"]));
        let direct = events["data"].as_array().unwrap().iter().find(|e| e["record"]["id"] == old["id"] && e["type"] == "contact.created").unwrap();
        assert_eq!(direct["origin"], Value::Null);

        // GraphQL follows the same import.
        let q = app.gql(Some(&s.token), "query($id: ID!) { import(id: $id) { state rowsTotal created updated failed failuresUrl } imports(first: 5) { edges { node { id } } } }", json!({"id": done["id"]})).await.ok(200);
        assert_eq!(q["data"]["import"]["created"], 1, "{q}");
        assert_eq!(q["data"]["import"]["state"], "SUCCEEDED");
        assert_eq!(q["data"]["imports"]["edges"].as_array().unwrap().len(), 1);

        // Another organization sees none of it.
        let other = app.signup("Other", "admin@other.test").await;
        app.get(&format!("/api/v1/imports/{}", done["id"].as_str().unwrap()), Some(&other.token)).await.problem(404, "not_found");
        app.get(done["failures_url"].as_str().unwrap(), Some(&other.token)).await.problem(404, "not_found");
        assert!(contacts(app, &other.token).await.is_empty());
    }

    #[config(|c| c.job_poll_interval_ms = 50)]
    async fn dry_runs_skip_and_idempotency_keys_write_nothing_twice(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Old", "email": "a@x.test"})).await.ok(201);
        let file = b"email,first_name\na@x.test,A\nb@x.test,B\nb@x.test,B2\nbad,C\n";
        let options = json!({"resource": "contacts", "match_on": "email", "on_match": "skip", "dry_run": true});
        let dry = import_file(app, &s.token, options, "c.csv", file).await;
        assert_eq!((dry["created"].as_i64(), dry["skipped"].as_i64(), dry["failed"].as_i64(), dry["dry_run"].as_bool()), (Some(1), Some(2), Some(1), Some(true)), "{dry}");
        assert_eq!(contacts(app, &s.token).await.len(), 1, "a dry run writes nothing");

        // The same file twice with one key: one import, one run.
        let options = json!({"resource": "contacts", "match_on": "email"});
        let first = upload(app, &s.token, options.clone(), "c.csv", file, Some("imp-1")).await.ok(202);
        let again = upload(app, &s.token, options.clone(), "c.csv", file, Some("imp-1")).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(again.json()["id"], first["id"]);
        let done = ended(app, &s.token, first["id"].as_str().unwrap()).await;
        assert_eq!((done["created"].as_i64(), done["skipped"].as_i64()), (Some(1), Some(2)), "{done}");
        // Another file under the same key: refused as any write's reused key is.
        upload(app, &s.token, options.clone(), "c.csv", b"email\nz@x.test\n", Some("imp-1")).await.problem(422, "idempotency_key_reused");
        // So are other options with the same file.
        upload(app, &s.token, json!({"resource": "contacts", "match_on": "none"}), "c.csv", file, Some("imp-1")).await.problem(422, "idempotency_key_reused");
        let list = app.get("/api/v1/imports", Some(&s.token)).await.ok(200);
        assert_eq!(list["data"].as_array().unwrap().len(), 2, "{list}");
        assert_eq!(contacts(app, &s.token).await.len(), 2);
    }

    #[config(|c| c.job_poll_interval_ms = 50)]
    async fn bad_options_are_refused_before_anything_is_queued(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let file = b"Mail,Name\na@x.test,A\n";
        let refuse = |r: crm_tests::Resp, pointer: &str| {
            let p = r.problem(422, "validation_failed");
            assert!(p["errors"].as_array().unwrap().iter().any(|e| e["pointer"] == pointer), "{p}");
        };
        refuse(upload(app, &s.token, json!({"resource": "contacts", "mapping": {"Mail": "mail"}}), "c.csv", file, None).await, "/options/mapping/Mail");
        refuse(upload(app, &s.token, json!({"resource": "contacts", "mapping": {"Nope": "email"}}), "c.csv", file, None).await, "/options/mapping/Nope");
        refuse(upload(app, &s.token, json!({"resource": "contacts", "mapping": {"Mail": "custom.tier"}}), "c.csv", file, None).await, "/options/mapping/Mail");
        refuse(upload(app, &s.token, json!({"resource": "activities", "mapping": {"Mail": "status"}}), "c.csv", file, None).await, "/options/mapping/Mail");
        refuse(upload(app, &s.token, json!({"resource": "contacts"}), "c.csv", file, None).await, "/options/mapping");
        refuse(upload(app, &s.token, json!({"resource": "tickets"}), "c.csv", file, None).await, "/options/resource");
        refuse(upload(app, &s.token, json!({"resource": "contacts", "match_on": "domain"}), "c.csv", b"email\n", None).await, "/options/match_on");
        refuse(upload(app, &s.token, json!({"resource": "companies", "format": "vcard"}), "c.vcf", b"", None).await, "/options/format");
        refuse(upload(app, &s.token, json!({"resource": "contacts", "bogus": 1}), "c.csv", file, None).await, "/options/bogus");
        refuse(upload(app, &s.token, json!({"resource": "contacts", "delimiter": "x"}), "c.csv", b"email\n", None).await, "/options/delimiter");
        // No options part.
        let auth = format!("Bearer {}", s.token);
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nemail\n\r\n--{BOUNDARY}--\r\n");
        refuse(app.raw("POST", "/api/v1/imports", &[("authorization", &auth), ("content-type", &ct)], body.into_bytes()).await, "/options");
        // Not multipart at all.
        let r = app.post("/api/v1/imports", Some(&s.token), json!({"resource": "contacts"})).await;
        assert!(r.status == 400 || r.status == 415 || r.status == 422, "{}", r.status);
        // Viewers may not import; no credentials is a 401.
        let viewer = app.member(&s, "viewer", "viewer@acme.test").await;
        upload(app, &viewer.token, json!({"resource": "contacts"}), "c.csv", b"email\na@x.test\n", None).await.problem(403, "forbidden");
        let list = app.get("/api/v1/imports", Some(&s.token)).await.ok(200);
        assert!(list["data"].as_array().unwrap().is_empty(), "nothing was queued: {list}");
        assert!(app.get("/api/v1/contacts", Some(&s.token)).await.ok(200)["data"].as_array().unwrap().is_empty());
    }

    #[config(|c| { c.job_poll_interval_ms = 50; c.import_max_bytes = 2048; })]
    async fn uploads_over_the_size_limit_are_413(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let mut file = b"email\n".to_vec();
        while file.len() < 4096 {
            file.extend_from_slice(b"someone@example.test\n");
        }
        upload(app, &s.token, json!({"resource": "contacts"}), "c.csv", &file, None).await.problem(413, "payload_too_large");
        let dir = app.server().state.config.data_dir.join("imports");
        let left = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "the refused upload's file is deleted");
    }

    #[config(|c| c.job_poll_interval_ms = 50)]
    async fn orders_with_lines_products_companies_activities_and_vcards(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        // Products by SKU, with their ERP ids.
        let products = b"sku,name,unit,external_id\nP-1,Widget,pc,900001\nP-2,Gadget,pc,900002\n";
        let done = import_file(app, &s.token, json!({"resource": "products", "external_source": "sap", "match_on": "sku"}), "p.csv", products).await;
        assert_eq!((done["created"].as_i64(), done["failed"].as_i64()), (Some(2), Some(0)), "{done}");
        let again = import_file(app, &s.token, json!({"resource": "products", "external_source": "sap", "match_on": "external_id", "on_match": "update"}), "p.csv", b"sku,name,unit,external_id\nP-1,Widget XL,pc,900001\n").await;
        assert_eq!((again["created"].as_i64(), again["updated"].as_i64()), (Some(0), Some(1)), "{again}");
        let list = app.get("/api/v1/products?sort=sku", Some(&s.token)).await.ok(200);
        let p1 = &list["data"][0];
        assert_eq!((p1["name"].as_str(), p1["external_source"].as_str(), p1["external_id"].as_str()), (Some("Widget XL"), Some("sap"), Some("900001")), "{p1}");
        let p2 = list["data"][1]["id"].as_str().unwrap().to_owned();
        let p1 = p1["id"].as_str().unwrap().to_owned();

        // Companies by domain: the second is skipped.
        let done = import_file(app, &s.token, json!({"resource": "companies", "match_on": "domain"}), "c.csv", b"name,domain\nGlobex,globex.test\nGlobex again,GLOBEX.test\nGlobex site,https://www.globex.test/about\n").await;
        assert_eq!((done["created"].as_i64(), done["skipped"].as_i64()), (Some(1), Some(2)), "{done}");

        // Orders: rows with one external id are one order's lines; the ERP's order date stays.
        let orders = format!("external_id,currency,ordered_at,lines.product_id,lines.quantity,lines.unit_price\nA-1,EUR,2019-03-04T10:00:00Z,{p1},2,10.00\nA-1,EUR,2019-03-04T10:00:00Z,{p2},1,5.50\nA-2,EUR,2020-01-02T00:00:00Z,{p2},3,5.50\nA-3,EUR,2020-01-02T00:00:00Z,{p2},0,5.50\n");
        let done = import_file(app, &s.token, json!({"resource": "orders", "external_source": "erp", "match_on": "external_id", "on_match": "skip"}), "o.csv", orders.as_bytes()).await;
        assert_eq!((done["rows_done"].as_i64(), done["created"].as_i64(), done["failed"].as_i64()), (Some(4), Some(2), Some(1)), "{done}");
        let list = app.get("/api/v1/orders?sort=created_at", Some(&s.token)).await.ok(200);
        let first = &list["data"][0];
        assert_eq!(first["lines"].as_array().map(Vec::len), Some(2), "{first}");
        assert_eq!(first["total"]["amount"], "25.50");
        assert!(first["ordered_at"].as_str().unwrap().starts_with("2019-03-04"), "{first}");
        assert_eq!(first["external_id"], "A-1");
        let rows = failures(&app.get(done["failures_url"].as_str().unwrap(), Some(&s.token)).await.text());
        assert_eq!(rows[0][0], "5", "{rows:?}");
        // The same file again: every order is skipped.
        let done = import_file(app, &s.token, json!({"resource": "orders", "external_source": "erp", "match_on": "external_id", "on_match": "skip"}), "o.csv", orders.as_bytes()).await;
        assert_eq!((done["created"].as_i64(), done["skipped"].as_i64()), (Some(0), Some(2)), "{done}");
        // Lines naming their product by SKU, as ERP exports do; an unknown SKU fails its order.
        // A line's cost as the ERP knows it, by the fields of the cost.
        let by_sku = b"external_id,currency,lines.sku,lines.quantity,lines.unit_price,lines.unit_cost.amount,lines.unit_cost.currency\nB-1,EUR,P-1,2,10,4.50,usd\nB-1,EUR,P-2,1,5,,\nB-2,EUR,P-9,1,5,,\n";
        let done = import_file(app, &s.token, json!({"resource": "orders", "external_source": "erp", "match_on": "external_id"}), "b.csv", by_sku).await;
        assert_eq!((done["created"].as_i64(), done["failed"].as_i64()), (Some(1), Some(1)), "{done}");
        let rows = failures(&app.get(done["failures_url"].as_str().unwrap(), Some(&s.token)).await.text());
        assert_eq!((rows[0][0].as_str(), rows[0][1].as_str(), rows[0][2].as_str()), ("4", "lines.sku", "not_found"), "{rows:?}");
        let b1 = app.get("/api/v1/orders?external_id=B-1", Some(&s.token)).await.ok(200);
        let lines = b1["data"][0]["lines"].as_array().cloned().unwrap_or_default();
        let ids: Vec<&str> = lines.iter().map(|l| l["product_id"].as_str().unwrap_or("")).collect();
        assert_eq!(ids, [p1.as_str(), p2.as_str()], "{b1}");
        assert_eq!(lines[0]["unit_cost"], json!({"amount": "4.50", "currency": "USD"}), "{b1}");
        assert!(lines[1]["unit_cost"].is_null(), "{b1}");

        // Activities from NDJSON, with their real dates.
        let contact = app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Ada"})).await.ok(201);
        let nd = format!("{{\"kind\":\"call\",\"subject\":\"Intro\",\"occurred_at\":\"2018-05-01T09:00:00Z\",\"contact_id\":\"{}\"}}\n\n{{\"kind\":\"nope\"}}\nnot json\n", contact["id"].as_str().unwrap());
        let done = import_file(app, &s.token, json!({"resource": "activities"}), "a.ndjson", nd.as_bytes()).await;
        assert_eq!((done["format"].as_str(), done["rows_total"].as_i64(), done["created"].as_i64(), done["failed"].as_i64()), (Some("ndjson"), Some(3), Some(1), Some(2)), "{done}");
        let rows = failures(&app.get(done["failures_url"].as_str().unwrap(), Some(&s.token)).await.text());
        assert_eq!(rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), vec!["3", "4"], "{rows:?}");
        let acts = app.get("/api/v1/activities", Some(&s.token)).await.ok(200);
        assert!(acts["data"][0]["occurred_at"].as_str().unwrap().starts_with("2018-05-01"), "{acts}");

        // vCard.
        let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Meier;Hans;;;\r\nFN:Hans Meier\r\nEMAIL;TYPE=work:hans.meier@globex.de\r\nTEL;TYPE=work:+49 30 1234567\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nFN:Eva Braun\r\nEMAIL:eva@x.test\r\nEND:VCARD\r\n";
        let done = import_file(app, &s.token, json!({"resource": "contacts", "match_on": "email"}), "cards.vcf", vcf.as_bytes()).await;
        assert_eq!((done["format"].as_str(), done["created"].as_i64()), (Some("vcard"), Some(2)), "{done}");
        let hans = app.get("/api/v1/contacts?email=hans.meier@globex.de", Some(&s.token)).await.ok(200);
        assert_eq!(hans["data"][0]["last_name"], "Meier");
        assert_eq!(hans["data"][0]["phone"], "+49301234567");
    }

    #[config(|c| c.job_poll_interval_ms = 50)]
    async fn cancel_keeps_committed_chunks_and_says_how_far(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let mut file = b"email\n".to_vec();
        for i in 0..3000 {
            file.extend_from_slice(format!("p{i}@x.test\n").as_bytes());
        }
        let job = upload(app, &s.token, json!({"resource": "contacts"}), "big.csv", &file, None).await.ok(202);
        let id = job["id"].as_str().unwrap();
        let cancelled = app.gql(Some(&s.token), "mutation($id: ID!) { cancelImport(id: $id) { cancelRequested } }", json!({"id": id})).await.ok(200);
        let done = ended(app, &s.token, id).await;
        if cancelled["errors"].is_null() {
            assert_eq!(cancelled["data"]["cancelImport"]["cancelRequested"], true);
            assert_eq!(done["state"], "cancelled", "{done}");
        } else {
            assert_eq!(done["state"], "succeeded", "only an import that had ended refuses the cancel: {cancelled}");
        }
        // What the counters say is committed is exactly what exists.
        let mut n = 0;
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor { Some(c) => format!("/api/v1/contacts?limit=100&cursor={c}"), None => "/api/v1/contacts?limit=100".to_owned() };
            let page = app.get(&path, Some(&s.token)).await.ok(200);
            n += page["data"].as_array().unwrap().len();
            match page["next_cursor"].as_str() { Some(c) => cursor = Some(c.to_owned()), None => break }
        }
        assert_eq!(n as i64, done["created"].as_i64().unwrap(), "{done}");
        assert_eq!(done["rows_done"], done["created"]);
        // An ended import cannot be cancelled.
        app.post(&format!("/api/v1/imports/{id}/cancel"), Some(&s.token), json!({})).await.problem(409, "conflict");
    }
}

dual! {
    #[config(|c| { c.job_poll_interval_ms = 50; c.job_lease_secs = 2; })]
    async fn other_writes_go_on_while_an_import_runs_and_nothing_is_written_twice(app: &TestApp) {
        // Companies go row by row (a savepoint each), the slowest path: on SQLite the import
        // must leave the write lock to the server's other writers and to its own job lease.
        let s = app.signup("Acme", "admin@acme.test").await;
        let mut file = b"name,domain\n".to_vec();
        for i in 0..4000 {
            file.extend_from_slice(format!("Company {i},c{i}.example.test\n").as_bytes());
        }
        let job = upload(app, &s.token, json!({"resource": "companies", "match_on": "domain"}), "companies.csv", &file, None).await.ok(202);
        let id = job["id"].as_str().unwrap();
        let mut side = 0;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
        loop {
            let i = app.get(&format!("/api/v1/imports/{id}"), Some(&s.token)).await.ok(200);
            if i["state"] != "queued" && i["state"] != "running" {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the import did not end: {i}");
            let started = std::time::Instant::now();
            app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": format!("Side {side}")})).await.ok(201);
            assert!(started.elapsed() < std::time::Duration::from_secs(5), "a write waited {:?}", started.elapsed());
            side += 1;
        }
        let done = ended(app, &s.token, id).await;
        assert_eq!((done["state"].as_str(), done["created"].as_i64(), done["failed"].as_i64()), (Some("succeeded"), Some(4000), Some(0)), "{done}");
        // Every company once.
        let backend = app.db.get_database_backend();
        let sql = "SELECT COUNT(*) AS n, COUNT(DISTINCT domain) AS d FROM companies";
        let row = app.db.query_one_raw(sea_orm::Statement::from_string(backend, sql)).await.unwrap().unwrap();
        let (n, d): (i64, i64) = (row.try_get("", "n").unwrap(), row.try_get("", "d").unwrap());
        assert_eq!((n, d), (4000, 4000));
        let contacts = app.get("/api/v1/contacts?limit=100", Some(&s.token)).await.ok(200);
        assert_eq!(contacts["data"].as_array().unwrap().len().min(100), side.min(100));
    }

    #[config(|c| c.job_poll_interval_ms = 50)]
    async fn spreadsheet_quirks_are_read_and_ambiguous_mappings_refused(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        // Two columns onto one field is ambiguous.
        let r = upload(app, &s.token, json!({"resource": "contacts", "mapping": {"Mail": "email", "Ort": "first_name", "Name": "first_name"}}), "c.csv", b"Mail,Ort,Name\na@x.test,B,C\n", None).await;
        let p = r.problem(422, "validation_failed");
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["code"] == "duplicate_target"), "{p}");
        // A header naming a used column twice is refused too.
        let r = upload(app, &s.token, json!({"resource": "contacts"}), "c.csv", b"email,first_name,first_name\na@x.test,A,B\n", None).await;
        let p = r.problem(422, "validation_failed");
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["code"] == "duplicate_column"), "{p}");
        // Excel: a trailing delimiter, padded headers, CRLF; the mapping may name padded headers.
        let file = b" first_name ,email ,\r\nAda,ada@x.test,\r\nBob,bad,\r\nCy,cy@x.test,\r\n";
        let done = import_file(app, &s.token, json!({"resource": "contacts", "mapping": {" first_name ": "first_name", "email ": "email"}}), "c.csv", file).await;
        assert_eq!((done["created"].as_i64(), done["failed"].as_i64()), (Some(2), Some(1)), "{done}");
        assert_eq!(done["mapping"], json!({"first_name": "first_name", "email": "email"}));
        let rows = failures(&app.get(done["failures_url"].as_str().unwrap(), Some(&s.token)).await.text());
        assert_eq!(rows[0][0], "3", "the spreadsheet's row: {rows:?}");
        assert_eq!(rows[0][1], "email");
        let done = import_file(app, &s.token, json!({"resource": "contacts"}), "c.csv", b"first_name,email,\r\nDee,dee@x.test,\r\n").await;
        assert_eq!(done["created"], 1, "{done}");
    }

    #[config(|c| c.job_poll_interval_ms = 50)]
    async fn an_imported_contact_is_stored_as_the_single_create_stores_it(app: &TestApp) {
        // Imported contacts are written set-based (on PostgreSQL as one JSON parameter per
        // table): every field, the history and the event must equal the single create's.
        let s = app.signup("Acme", "admin@acme.test").await;
        app.post("/api/v1/custom-fields", Some(&s.token), json!({"record_type": "contact", "key": "tier", "label": "Tier", "field_type": "select", "options": ["gold", "silver"]})).await.ok(201);
        let body = |email: &str| json!({
            "first_name": "Zoë", "last_name": "O'Brien \"Q\"", "email": email, "phone": "+49 30 1234567",
            "title": "CTO", "lifecycle_stage": "customer", "source_channel": "website",
            "address": {"street": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"},
            "tags": ["vip", "ärger"], "custom": {"tier": "gold"},
            "consent": {"email": true, "phone": false}
        });
        let single = app.post("/api/v1/contacts", Some(&s.token), body("one@x.test")).await.ok(201);
        let line = format!("{}\n", body("two@x.test"));
        let done = import_file(app, &s.token, json!({"resource": "contacts"}), "c.ndjson", line.as_bytes()).await;
        assert_eq!(done["created"], 1, "{done}");
        let all = contacts(app, &s.token).await;
        let imported = all.iter().find(|c| c["email"] == "two@x.test").expect("imported");
        let same = |v: &Value| {
            let mut v = v.clone();
            for k in ["id", "email", "created_at", "updated_at"] {
                v.as_object_mut().unwrap().remove(k);
            }
            v
        };
        assert_eq!(same(imported), same(&single));
        let read = app.get(&format!("/api/v1/contacts/{}", imported["id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        assert_eq!(same(&read), same(&single));
        assert_eq!(read["created_at"], read["updated_at"]);
        let found = app.get("/api/v1/contacts?q=brien", Some(&s.token)).await.ok(200);
        assert_eq!(found["data"].as_array().unwrap().len(), 2, "searchable: {found}");

        // The history entry and the event hold what the single create's hold.
        let mut created = Vec::new();
        for id in [&imported["id"], &single["id"]] {
            let h = app.get(&format!("/api/v1/contacts/{}/history", id.as_str().unwrap()), Some(&s.token)).await.ok(200);
            let entry = h["data"][0].clone();
            assert_eq!(entry["action"], "created", "{h}");
            let mut changes = entry["changes"].clone();
            changes.as_object_mut().unwrap().remove("email");
            changes.as_object_mut().unwrap().remove("id");
            created.push(changes);
        }
        assert_eq!(created[0], created[1]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let events = loop {
            let e = app.get("/api/v1/events?types=contact.created&limit=10", Some(&s.token)).await.ok(200);
            if e["data"].as_array().unwrap().len() >= 2 || std::time::Instant::now() > deadline {
                break e;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        let events = events["data"].as_array().unwrap();
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(same(&events[1]["after"]), same(&events[0]["after"]));
        assert_eq!(events[1]["after"]["id"], imported["id"]);
        assert_eq!(events[1]["actor"], events[0]["actor"]);
        assert_eq!(events[1]["origin"]["type"], "import");
    }

    #[config(|c| c.jobs_enabled = false)]
    async fn an_import_whose_worker_died_on_its_last_attempt_ends_failed(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let queued = upload(app, &s.token, json!({"resource": "contacts"}), "c.csv", b"email\na@x.test\n", None).await.ok(202);
        let id = queued["id"].as_str().unwrap().to_owned();
        // What a worker that died during the last attempt leaves: the job running past its
        // lease with every attempt spent, the import running.
        let pg = app.backend == crm_tests::Backend::Postgres;
        let p = |n: usize| if pg { format!("${n}") } else { "?".to_owned() };
        let past = chrono::Utc::now() - chrono::Duration::minutes(5);
        app.db.execute_raw(sea_orm::Statement::from_sql_and_values(app.db.get_database_backend(),
            format!("UPDATE jobs SET state = 'running', attempts = max_attempts, locked_by = 'gone', locked_until = {} WHERE kind = 'import.run'", p(1)),
            [past.into()])).await.unwrap();
        app.db.execute_raw(sea_orm::Statement::from_sql_and_values(app.db.get_database_backend(),
            format!("UPDATE imports SET state = 'running', started_at = {} WHERE id = {}", p(1), p(2)),
            [past.into(), uuid::Uuid::parse_str(&id).unwrap().into()])).await.unwrap();
        assert_eq!(app.get(&format!("/api/v1/imports/{id}"), Some(&s.token)).await.ok(200)["state"], "running");

        // Another worker claims it, finds no attempt left, buries it: the import fails with why.
        let registry = crm_tests::crm_gateway::server::job_registry(&app.server().state.config);
        let settings = crm_worker::Settings { poll_interval: std::time::Duration::from_millis(20), ..crm_worker::Settings::default() };
        let runtime = crm_worker::Runtime::start(app.db.clone(), registry, settings);
        let done = ended(app, &s.token, &id).await;
        assert_eq!(done["state"], "failed", "{done}");
        assert!(done["error"].as_str().unwrap().contains("stopped before it ended"), "{done}");
        assert_eq!(done["created"], 0);
        assert!(contacts(app, &s.token).await.is_empty(), "no handler ran again");
        runtime.shutdown(std::time::Duration::from_secs(1)).await;
    }

    #[config(|c| { c.jobs_enabled = false; c.import_orphan_secs = 1; })]
    async fn uploads_a_stopped_server_left_behind_are_swept(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        // A queued import owns its file, however old; what a server killed during an upload
        // leaves (a part file with no import) and the file of an ended import are deleted.
        let queued = upload(app, &s.token, json!({"resource": "contacts"}), "c.csv", b"email\na@x.test\n", None).await.ok(202);
        let dir = app.server().state.config.data_dir.join("imports");
        let owned = dir.join(format!("{}.upload", queued["id"].as_str().unwrap()));
        assert!(owned.exists());
        let cancelled = upload(app, &s.token, json!({"resource": "contacts"}), "c.csv", b"email\nb@x.test\n", None).await.ok(202);
        app.post(&format!("/api/v1/imports/{}/cancel", cancelled["id"].as_str().unwrap()), Some(&s.token), json!({})).await.ok(200);
        let ended = dir.join(format!("{}.upload", cancelled["id"].as_str().unwrap()));
        std::fs::write(&ended, b"email\nb@x.test\n").unwrap();
        let part = dir.join(format!("{}.upload", uuid::Uuid::now_v7()));
        std::fs::write(&part, b"email\nhalf-way@x.te").unwrap();
        // A file still being received (`.part`) is left alone for a day, however idle.
        let receiving = dir.join(format!("{}.part", uuid::Uuid::now_v7()));
        std::fs::write(&receiving, b"email\nslow@x.te").unwrap();
        let foreign = dir.join("README.txt");
        std::fs::write(&foreign, b"not an upload").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
        for f in [&owned, &ended, &part, &foreign, &receiving] {
            std::fs::File::options().write(true).open(f).unwrap().set_modified(old).unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while part.exists() || ended.exists() {
            assert!(std::time::Instant::now() < deadline, "the orphans were not swept");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(owned.exists(), "a queued import's file stays");
        assert!(foreign.exists(), "files that are not uploads stay");
        assert!(receiving.exists(), "an upload being received stays");
    }

    #[config(|c| c.job_poll_interval_ms = 50)]
    async fn contacts_match_on_their_external_id(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let known = app.call("PUT", "/api/v1/contacts/by-external-id/sap/K-1", Some(&s.token), Some(json!({"last_name": "Old", "title": "CFO"}))).await.ok(201);
        let file = b"Kundennr;Name\nK-1;Meier\nK-2;Schulz\n";
        let options = json!({"resource": "contacts", "delimiter": ";", "mapping": {"Kundennr": "external_id", "Name": "last_name"},
            "match_on": "external_id", "external_source": "sap", "on_match": "update"});
        let done = import_file(app, &s.token, options, "k.csv", file).await;
        assert_eq!((done["created"].as_i64(), done["updated"].as_i64(), done["failed"].as_i64()), (Some(1), Some(1), Some(0)), "{done}");
        let all = contacts(app, &s.token).await;
        assert_eq!(all.len(), 2, "{all:?}");
        let k1 = all.iter().find(|c| c["id"] == known["id"]).expect("matched by its external id");
        assert_eq!(k1["last_name"], "Meier");
        let k2 = all.iter().find(|c| c["external_id"] == "K-2").expect("created with its external id");
        assert_eq!((k2["external_source"].as_str(), k2["last_name"].as_str()), (Some("sap"), Some("Schulz")));
    }

    async fn activities_match_on_their_external_id(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let ada = app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Ada", "email": "ada@x.test"})).await.ok(201);
        // A call log exported twice from the telephony system: the second run updates the
        // calls it knows instead of logging them again.
        let file = b"call_id,kind,subject,occurred_at,contact_email,duration_secs\nC-1,call,Intro,2025-02-03T10:00:00Z,ada@x.test,60\nC-2,call,Follow-up,2025-02-10T10:00:00Z,ada@x.test,30\n";
        let options = json!({"resource": "activities", "mapping": {"call_id": "external_id", "kind": "kind", "subject": "subject", "occurred_at": "occurred_at", "contact_email": "contact_email", "duration_secs": "duration_secs"},
            "match_on": "external_id", "external_source": "pbx", "on_match": "update"});
        let done = import_file(app, &s.token, options.clone(), "calls.csv", file).await;
        assert_eq!((done["created"].as_i64(), done["updated"].as_i64(), done["failed"].as_i64()), (Some(2), Some(0), Some(0)), "{done}");
        let file = b"call_id,kind,subject,occurred_at,contact_email,duration_secs\nC-1,call,Intro (long),2025-02-03T10:00:00Z,ada@x.test,600\nC-3,call,Third,2025-02-11T10:00:00Z,ada@x.test,10\n";
        let done = import_file(app, &s.token, options, "calls.csv", file).await;
        assert_eq!((done["created"].as_i64(), done["updated"].as_i64(), done["failed"].as_i64()), (Some(1), Some(1), Some(0)), "{done}");
        let all = app.get("/api/v1/activities?external_source=pbx&sort=occurred_at", Some(&s.token)).await.ok(200);
        let calls = all["data"].as_array().unwrap();
        let ids: Vec<&str> = calls.iter().map(|a| a["external_id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["C-1", "C-2", "C-3"], "{all}");
        assert_eq!((calls[0]["subject"].as_str(), calls[0]["duration_secs"].as_i64()), (Some("Intro (long)"), Some(600)));
        assert!(calls.iter().all(|a| a["contact_id"] == ada["id"]), "{all}");
        assert!(calls[0]["occurred_at"].as_str().unwrap().starts_with("2025-02-03"), "{all}");
    }
}
