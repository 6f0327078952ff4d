//! One record of every resource, created through the API by an organization's admin, for the
//! walks that need real ids (tenancy, bad input).

use crate::openapi_walk::unique;
use crate::{PASSWORD, Session, TestApp};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The records of one organization: the id of one record per resource (keyed by the first path
/// segment after `/api/v1/`, such as `contacts` or `api-keys`), plus a few extra ids.
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    /// One record per resource.
    pub ids: BTreeMap<String, String>,
    /// Other records: `contact2`, `company2`, `lead2`, `price_list`, `user2`, `admin`, `stage`.
    pub extra: BTreeMap<String, String>,
}

impl Fixtures {
    /// The id of `resource`'s record (panics naming it when there is none).
    pub fn id(&self, resource: &str) -> &str {
        self.ids
            .get(resource)
            .or_else(|| self.extra.get(resource))
            .unwrap_or_else(|| panic!("no fixture for {resource}"))
    }
}

/// A pipeline body with open, won and lost stages.
pub fn pipeline_body(name: &str) -> Value {
    json!({
        "name": name,
        "stages": [
            {"name": "Qualify", "probability": 10},
            {"name": "Propose", "probability": 50},
            {"name": "Won", "stage_type": "won"},
            {"name": "Lost", "stage_type": "lost"}
        ]
    })
}

/// The id of the stage called `name` of a pipeline as the API answers it.
pub fn stage(p: &Value, name: &str) -> String {
    p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A one-line document body (order, quote, invoice) of `unit_price` EUR.
pub fn document_body(unit_price: &str) -> Value {
    json!({
        "currency": "EUR",
        "lines": [{"description": "Service", "quantity": "1", "unit_price": unit_price, "tax_rate": "19"}]
    })
}

async fn created(app: &TestApp, s: &Session, path: &str, body: Value) -> Value {
    let res = app.post(path, Some(&s.token), body).await;
    assert_eq!(res.status, 201, "fixture {path}: {}", res.text());
    res.json()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// Creates one record of every resource as `admin` (who must be an admin of a fresh
/// organization), and returns their ids.
pub async fn every_resource(app: &TestApp, admin: &Session) -> Fixtures {
    let mut f = Fixtures::default();
    let tag = unique("fx");
    let user = created(
        app,
        admin,
        "/api/v1/users",
        json!({"email": format!("{tag}-member@fx.test"), "name": "Member", "role": "agent", "password": PASSWORD}),
    )
    .await;
    f.ids.insert("users".into(), id_of(&user));
    let key = created(
        app,
        admin,
        "/api/v1/api-keys",
        json!({"name": "fixture", "scope": "read", "role": "viewer"}),
    )
    .await;
    f.ids.insert("api-keys".into(), id_of(&key["api_key"]));
    let company = created(
        app,
        admin,
        "/api/v1/companies",
        json!({"name": "Fixture GmbH", "domain": format!("{tag}.example"), "tags": ["fx"]}),
    )
    .await;
    let company_id = id_of(&company);
    let contact = created(
        app,
        admin,
        "/api/v1/contacts",
        json!({"first_name": "Fiona", "last_name": "Fixture", "email": format!("{tag}-fiona@fx.test"), "company_id": company_id}),
    )
    .await;
    let contact_id = id_of(&contact);
    let activity = created(
        app,
        admin,
        "/api/v1/activities",
        json!({"kind": "task", "subject": "Call back", "contact_id": contact_id, "due_at": "2099-01-15T10:00:00Z"}),
    )
    .await;
    let field = created(
        app,
        admin,
        "/api/v1/custom-fields",
        json!({"record_type": "contact", "key": "fx_tier", "label": "Tier", "field_type": "text"}),
    )
    .await;
    let lead = created(
        app,
        admin,
        "/api/v1/leads",
        json!({"last_name": "Lead", "email": format!("{tag}-lead@fx.test"), "company_name": "Lead Co"}),
    )
    .await;
    let pipeline = created(app, admin, "/api/v1/pipelines", pipeline_body("Fixture")).await;
    let deal = created(
        app,
        admin,
        "/api/v1/deals",
        json!({"name": "Fixture deal", "amount": {"amount": "1000.00", "currency": "EUR"}, "company_id": company_id, "expected_close_date": "2099-06-30"}),
    )
    .await;
    let price_list = created(
        app,
        admin,
        "/api/v1/price-lists",
        json!({"name": "EU", "currency": "EUR", "is_default": true}),
    )
    .await;
    let product = created(
        app,
        admin,
        "/api/v1/products",
        json!({"sku": format!("{tag}-sku"), "name": "Widget", "tax_rate": "19", "prices": [{"price_list_id": id_of(&price_list), "unit_price": "10.00"}]}),
    )
    .await;
    let mut quote = document_body("100");
    quote["valid_until"] = json!("2099-12-31");
    let quote = created(app, admin, "/api/v1/quotes", quote).await;
    let order = created(app, admin, "/api/v1/orders", document_body("100")).await;
    let invoice = created(app, admin, "/api/v1/invoices", document_body("1000")).await;
    f.ids.insert("companies".into(), id_of(&company));
    f.ids.insert("contacts".into(), id_of(&contact));
    f.ids.insert("activities".into(), id_of(&activity));
    f.ids.insert("custom-fields".into(), id_of(&field));
    f.ids.insert("leads".into(), id_of(&lead));
    f.ids.insert("pipelines".into(), id_of(&pipeline));
    f.ids.insert("deals".into(), id_of(&deal));
    f.ids.insert("price-lists".into(), id_of(&price_list));
    f.ids.insert("products".into(), id_of(&product));
    f.ids.insert("quotes".into(), id_of(&quote));
    f.ids.insert("orders".into(), id_of(&order));
    f.ids.insert("invoices".into(), id_of(&invoice));
    f.ids
        .insert("jobs".into(), dead_job(app, &admin.org_id).await);
    let export = app
        .post(
            "/api/v1/exports",
            Some(&admin.token),
            json!({"resource": "contacts"}),
        )
        .await;
    assert_eq!(export.status, 202, "fixture export: {}", export.text());
    f.ids.insert("exports".into(), id_of(&export.json()));
    f.ids
        .insert("imports".into(), import_fixture(app, admin).await);
    let (webhook, delivery) = webhook_with_delivery(app, admin).await;
    f.ids.insert("webhooks".into(), webhook);
    f.extra.insert("webhook_delivery".into(), delivery);
    let rates = app
        .call(
            "PUT",
            "/api/v1/exchange-rates",
            Some(&admin.token),
            Some(json!({"rates": [{"currency": "USD", "date": "2026-01-02", "rate": "0.9"}]})),
        )
        .await;
    assert_eq!(rates.status, 200, "fixture exchange rate: {}", rates.text());
    f.ids
        .insert("exchange-rates".into(), id_of(&rates.json()["data"][0]));

    let contact2 = created(
        app,
        admin,
        "/api/v1/contacts",
        json!({"first_name": "Second", "email": format!("{tag}-second@fx.test")}),
    )
    .await;
    let company2 = created(
        app,
        admin,
        "/api/v1/companies",
        json!({"name": "Second Co"}),
    )
    .await;
    let lead2 = created(
        app,
        admin,
        "/api/v1/leads",
        json!({"last_name": "Other lead", "email": format!("{tag}-lead2@fx.test")}),
    )
    .await;
    f.extra.insert("contact2".into(), id_of(&contact2));
    f.extra.insert("company2".into(), id_of(&company2));
    f.extra.insert("lead2".into(), id_of(&lead2));
    f.extra.insert("price_list".into(), id_of(&price_list));
    f.extra.insert("user2".into(), id_of(&user));
    f.extra.insert("admin".into(), admin.user_id.clone());
    f.extra.insert(
        "stage".into(),
        pipeline["stages"][0]["id"]
            .as_str()
            .expect("stage")
            .to_owned(),
    );
    f
}

/// A disabled webhook endpoint (a public address, so the guard admits it; disabled, so
/// nothing is sent) and one of its deliveries (a replay of the organization's events so far).
pub async fn webhook_with_delivery(app: &TestApp, admin: &Session) -> (String, String) {
    let hook = created(
        app,
        admin,
        "/api/v1/webhooks",
        json!({"url": "https://93.184.216.34/fixture", "event_types": ["*"], "enabled": false}),
    )
    .await;
    let id = id_of(&hook);
    // The feed (and so a replay) shows events once every older transaction has ended: on
    // PostgreSQL another test's open transaction can hold them back for a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let replay = app
            .post(
                &format!("/api/v1/webhooks/{id}/replay"),
                Some(&admin.token),
                json!({"from": "2000-01-01T00:00:00Z", "to": "2999-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(replay.status, 202, "fixture replay: {}", replay.text());
        if replay.json()["queued"].as_u64() > Some(0) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no event to replay");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let list = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries"),
            Some(&admin.token),
        )
        .await;
    let delivery = list.json()["data"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("fixture delivery: {}", list.text()))
        .to_owned();
    (id, delivery)
}

/// A dead job of organization `org_id` (jobs are enqueued by features, not through the API):
/// enqueued with a kind no server handles, then marked dead as its last failure would.
pub async fn dead_job(app: &TestApp, org_id: &str) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let org = uuid::Uuid::parse_str(org_id).expect("org id");
    let job = crm_worker::NewJob::new("fixture.never", Some(org), json!({"n": 1}));
    let id = crm_worker::enqueue(&app.db, job).await.expect("enqueue");
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "UPDATE jobs SET state = 'dead', attempts = 10, last_error = 'fixture' WHERE id = $1"
        }
        _ => "UPDATE jobs SET state = 'dead', attempts = 10, last_error = 'fixture' WHERE id = ?",
    };
    app.db
        .execute_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .expect("dead job");
    id.to_string()
}

/// The current state of `resource`'s record `id` as `s` sees it: `GET /{id}` where the document
/// has it, else the record's entry in the list.
pub async fn snapshot(
    app: &TestApp,
    s: &Session,
    resource: &str,
    id: &str,
    has_get: bool,
) -> Value {
    if has_get {
        let res = app
            .get(&format!("/api/v1/{resource}/{id}"), Some(&s.token))
            .await;
        assert_eq!(res.status, 200, "GET {resource}/{id}: {}", res.text());
        return res.json();
    }
    let list = app
        .get(&format!("/api/v1/{resource}"), Some(&s.token))
        .await
        .ok(200);
    let items = list
        .get("data")
        .and_then(Value::as_array)
        .or_else(|| list.as_array())
        .cloned()
        .unwrap_or_default();
    items
        .into_iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{resource} {id} not in its list: {list}"))
}

/// A small contacts import (a multipart upload), for the walks.
async fn import_fixture(app: &TestApp, admin: &Session) -> String {
    let boundary = "crm-fixture-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n\
         {{\"resource\":\"contacts\"}}\r\n--{boundary}\r\nContent-Disposition: form-data; \
         name=\"file\"; filename=\"fixture.csv\"\r\n\r\nemail\nimported@fixture.test\n\r\n\
         --{boundary}--\r\n"
    );
    let auth = format!("Bearer {}", admin.token);
    let ct = format!("multipart/form-data; boundary={boundary}");
    let res = app
        .raw(
            "POST",
            "/api/v1/imports",
            &[("authorization", &auth), ("content-type", &ct)],
            body.into_bytes(),
        )
        .await;
    assert_eq!(res.status, 202, "fixture import: {}", res.text());
    let id = id_of(&res.json());
    // Its contact is written by a job: wait for it, so that walks counting rows see none appear
    // behind their requests.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let i = app
            .get(&format!("/api/v1/imports/{id}"), Some(&admin.token))
            .await;
        let state = i.json()["state"].as_str().unwrap_or("").to_owned();
        if state != "queued" && state != "running" {
            assert_eq!(state, "succeeded", "fixture import: {}", i.text());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the fixture import did not end"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    id
}
