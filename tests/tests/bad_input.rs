//! The bad-input corpus over every write operation of the served OpenAPI document (every POST,
//! PUT and PATCH with a JSON body; `auth/*` gets a smaller set of its own), as an admin: each
//! field of a known-good body in turn gets a NUL character, a lone surrogate, a 1,000,000-character
//! string, LIKE metacharacters, huge, negative and tiny numbers, and years 0, 10000 and +10000;
//! each body is also sent with a duplicate key. Every answer is below 500 and every refusal is a
//! problem document; a NUL, an out-of-range year and a duplicate key are 422. Nothing is
//! half-written: after every request the row count of every table and the version sum of every
//! versioned table are unchanged unless the request succeeded (and then a create added exactly
//! one record). Money that overflows is 422 naming the line field; NUL in query parameters and
//! GraphQL variables is 422 / `validation_failed`; `%` and `_` in filters match themselves only.

use crm_tests::bad_input::{
    REFUSALS, bad_values, changes, creates, good_body, judge, state, table_of,
};
use crm_tests::fixtures::{Fixtures, every_resource};
use crm_tests::openapi_walk::{Doc, Gen, Operation, raw_json, try_send, unique};
use crm_tests::{PASSWORD, Session, TestApp, dual};
use serde_json::{Value, json};

/// The body with its first key written twice (the first time with another value).
fn duplicate_key(base: &Value, doc: &Doc, op: &Operation, g: &mut Gen) -> Vec<u8> {
    let schema = doc.resolve(op.body.as_ref().expect("body"));
    let first = base
        .as_object()
        .and_then(|o| o.iter().next())
        .map(|(k, v)| (k.clone(), v.clone()));
    let (key, value) = first.unwrap_or_else(|| {
        let (k, p) = schema["properties"]
            .as_object()
            .and_then(|p| p.iter().next())
            .expect("a property");
        (k.clone(), doc.generate(p, k, g))
    });
    let other = match &value {
        Value::String(s) => json!(format!("{s}-first")),
        v => v.clone(),
    };
    let rest = serde_json::to_string(base).expect("json");
    let text = if base.as_object().is_some_and(|o| !o.is_empty()) {
        format!("{{{}:{other},{}", json!(key), &rest[1..])
    } else {
        format!("{{{}:{other},{}:{value}}}", json!(key), json!(key))
    };
    text.into_bytes()
}

/// The path of `op` on the fixtures (a fresh external id for upserts).
fn target(op: &Operation, fx: &Fixtures) -> String {
    let id = match op.key().as_str() {
        "POST /api/v1/leads/{id}/disqualify" => fx.id("lead2").to_owned(),
        _ if op.has_id() => fx.id(op.resource().expect("resource")).to_owned(),
        _ => String::new(),
    };
    op.fill(&[
        ("id", &id),
        ("source", "walk"),
        ("external_id", &unique("ext")),
        (
            "delivery_id",
            fx.extra.get("webhook_delivery").map_or("", String::as_str),
        ),
    ])
}

/// Sends each case of `op`, judging the answer and the tables around it.
async fn run_cases(
    app: &TestApp,
    op: &Operation,
    fx: &Fixtures,
    token: &str,
    cases: Vec<(String, Vec<u8>, bool)>,
    codes: &[&str],
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut earlier_2xx = false;
    let auth = format!("Bearer {token}");
    let ct = op
        .content_type
        .clone()
        .unwrap_or_else(|| "application/json".to_owned());
    for (label, bytes, must_422) in cases {
        let path = target(op, fx);
        let before = state(app).await;
        let res = try_send(
            &app.base,
            &op.method,
            &path,
            &[("authorization", &auth), ("content-type", &ct)],
            bytes,
        )
        .await;
        let after = state(app).await;
        let diff = changes(&before, &after);
        let verdict = judge(&res, must_422, earlier_2xx, codes);
        earlier_2xx |= res.as_ref().is_ok_and(|r| (200..300).contains(&r.status));
        match verdict {
            Err(e) => failures.push(format!("{} {label}: {e}", op.key())),
            Ok(true) => {
                if creates(op) {
                    match op.resource().and_then(table_of) {
                        None => {
                            failures.push(format!("{}: no table known for this create", op.key()))
                        }
                        Some(t) => {
                            let added = diff.iter().find(|(n, _)| n == t).map_or(0, |(_, d)| *d);
                            if added != 1 {
                                failures.push(format!(
                                    "{} {label}: a 2xx create added {added} rows to {t}: {diff:?}",
                                    op.key()
                                ));
                            }
                        }
                    }
                }
                continue;
            }
            Ok(false) => {}
        }
        if !res.as_ref().is_ok_and(|r| (200..300).contains(&r.status)) && !diff.is_empty() {
            failures.push(format!(
                "{} {label}: refused, yet written: {diff:?}",
                op.key()
            ));
        }
    }
    failures
}

/// The cases of one operation: the duplicate key, then every field with every bad value
/// (those that must be 422 first, while the record is as the fixtures made it).
/// `base` makes a fresh known-good body for each case (unique emails, SKUs, ...).
fn cases_of(
    doc: &Doc,
    op: &Operation,
    base: &mut dyn FnMut(&mut Gen) -> Value,
    g: &mut Gen,
) -> Vec<(String, Vec<u8>, bool)> {
    let first = base(g);
    let mut cases = vec![(
        "a duplicate key".to_owned(),
        duplicate_key(&first, doc, op, g),
        true,
    )];
    let mut rest = Vec::new();
    for leaf in doc.leaves(op.body.as_ref().expect("body")) {
        for b in bad_values(leaf.kind) {
            let fresh = base(g);
            let body = doc.with_leaf(&fresh, &leaf, b.value.clone(), g);
            rest.push((
                format!("{} = {}", leaf.pointer(), b.label),
                raw_json(&body),
                b.must_422,
            ));
        }
    }
    rest.sort_by_key(|c| !c.2);
    cases.extend(rest);
    cases
}

async fn money(
    app: &TestApp,
    s: &Session,
    path: &str,
    body: Value,
    must_422: bool,
) -> Option<String> {
    let auth = format!("Bearer {}", s.token);
    let before = state(app).await;
    let res = try_send(
        &app.base,
        "POST",
        path,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        raw_json(&body),
    )
    .await;
    let after = state(app).await;
    let res = match res {
        Ok(r) => r,
        Err(e) => return Some(format!("POST {path} {body}: {e}")),
    };
    let named = res.status == 422
        && res.json()["errors"].as_array().is_some_and(|e| {
            !e.is_empty()
                && e.iter().all(|e| {
                    e["pointer"]
                        .as_str()
                        .is_some_and(|p| p.starts_with("/lines/0/") || p == "/amount")
                })
        });
    let fine = named || (!must_422 && res.status == 201);
    if !fine {
        return Some(format!(
            "POST {path} {body}: {}",
            crm_tests::openapi_walk::brief(&res)
        ));
    }
    (res.status != 201 && before != after).then(|| {
        format!(
            "POST {path}: refused, yet written: {:?}",
            changes(&before, &after)
        )
    })
}

dual! {
    async fn every_write_body_survives_the_bad_input_corpus(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let fx = every_resource(app, &admin).await;
        let doc = Doc::fetch(app).await;
        let mut g = Gen::with_ids(&[("contact_id", fx.id("contacts")), ("company_id", fx.id("companies")), ("price_list_id", fx.id("price_list")), ("product_id", fx.id("products"))]);
        let mut failures = Vec::new();
        let mut operations = 0;
        for op in doc.operations() {
            if op.body.is_none() || !matches!(op.method.as_str(), "POST" | "PUT" | "PATCH") || op.path.starts_with("/api/v1/auth/") {
                continue;
            }
            operations += 1;
            let mut base = |g: &mut Gen| good_body(&op, &fx).unwrap_or_else(|| doc.body(&op, g).expect("body"));
            let cases = cases_of(&doc, &op, &mut base, &mut g);
            failures.extend(run_cases(app, &op, &fx, &admin.token, cases, &REFUSALS).await);
        }
        assert!(operations >= 30, "only {operations} operations with a body");
        assert!(failures.is_empty(), "{} bad-input failures:\n{}", failures.len(), failures.join("\n"));
    }

    #[config(|c| c.login_attempts_per_minute = 1000)]
    async fn auth_bodies_survive_the_bad_input_corpus(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let doc = Doc::fetch(app).await;
        let fx = Fixtures::default();
        let mut g = Gen::default();
        let mut failures = Vec::new();
        let codes: Vec<&str> = REFUSALS.iter().copied().chain(["unauthenticated", "invalid_credentials", "rate_limited"]).collect();
        for op in doc.operations() {
            if op.body.is_none() || !op.path.starts_with("/api/v1/auth/") {
                continue;
            }
            let refresh = app.login(&admin.email).await.refresh;
            let mut base = |_: &mut Gen| match op.path.as_str() {
                "/api/v1/auth/signup" => json!({"org_name": "Walk", "name": "Walk", "email": format!("{}@walk.test", unique("signup")), "password": PASSWORD}),
                "/api/v1/auth/login" => json!({"email": admin.email, "password": PASSWORD}),
                _ => json!({"refresh_token": refresh}),
            };
            let mut cases = cases_of(&doc, &op, &mut base, &mut g);
            cases.retain(|c| c.2 || c.0.contains("surrogate") || c.0.contains("1,000,000") || c.0.contains("LIKE"));
            failures.extend(run_cases(app, &op, &fx, &admin.token, cases, &codes).await);
        }
        assert!(failures.is_empty(), "{} auth bad-input failures:\n{}", failures.len(), failures.join("\n"));
    }

    async fn money_that_overflows_is_422_naming_the_field(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let cases = [
            ("9999999999999999", "99999999999999.99", true),
            ("1", "79228162514264337593543950335", true),
            ("1", "99999999999999999999999999999", true),
            ("99999999999999999999999999999", "1", true),
            ("1", "1.0000000000000000000000000001", false),
            ("99999999999999", "99999999999999", false),
        ];
        let mut failures = Vec::new();
        for resource in ["orders", "quotes", "invoices"] {
            for (quantity, unit_price, must_422) in cases {
                let body = json!({"currency": "EUR", "lines": [{"description": "Big", "quantity": quantity, "unit_price": unit_price, "tax_rate": "19"}]});
                failures.extend(money(app, &s, &format!("/api/v1/{resource}"), body, must_422).await);
            }
        }
        let invoice = app.post("/api/v1/invoices", Some(&s.token), json!({"currency": "EUR", "lines": [{"description": "x", "quantity": "1", "unit_price": "100"}]})).await.ok(201);
        let payments = format!("/api/v1/invoices/{}/payments", invoice["id"].as_str().unwrap());
        for amount in ["99999999999999999999999999999", "79228162514264337593543950335", "1e28"] {
            failures.extend(money(app, &s, &payments, json!({"amount": amount}), true).await);
        }
        assert!(failures.is_empty(), "{} money failures:\n{}", failures.len(), failures.join("\n"));
    }

    async fn query_parameters_and_graphql_variables_are_checked(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let t = Some(s.token.as_str());
        app.post("/api/v1/contacts", t, json!({"last_name": "100%_sure", "email": "pct@x.test"})).await.ok(201);
        app.post("/api/v1/contacts", t, json!({"last_name": "Plain", "email": "plain@x.test"})).await.ok(201);
        let mut failures = Vec::new();
        for q in ["q=%00", "email[contains]=%00", "last_name=%00", "q=a%00b"] {
            let res = app.get(&format!("/api/v1/contacts?{q}"), t).await;
            if res.status != 422 || crm_tests::openapi_walk::problem_check(&res, &["validation_failed"]).is_err() {
                failures.push(format!("GET /api/v1/contacts?{q}: {}", crm_tests::openapi_walk::brief(&res)));
            }
        }
        // Full-text search is by words (letters and digits): a `q` of punctuation alone matches
        // nothing, rather than everything.
        let res = app.get("/api/v1/contacts?q=%25_", t).await;
        if res.status != 200 || !res.json()["data"].as_array().unwrap().is_empty() {
            failures.push(format!("GET /api/v1/contacts?q=%25_: want no record, got {}", crm_tests::openapi_walk::brief(&res)));
        }
        for q in ["last_name[contains]=%25", "last_name[contains]=_", "last_name[starts_with]=100%25"] {
            let res = app.get(&format!("/api/v1/contacts?{q}"), t).await;
            let names: Vec<Value> = if res.status == 200 { res.json()["data"].as_array().unwrap().iter().map(|c| c["last_name"].clone()).collect() } else { Vec::new() };
            if res.status != 200 || names != vec![json!("100%_sure")] {
                failures.push(format!("GET /api/v1/contacts?{q}: want only 100%_sure, got {names:?} ({})", crm_tests::openapi_walk::brief(&res)));
            }
        }
        let before = state(app).await;
        let gql = app.gql(t, "mutation($input: NewContact!) { createContact(input: $input) { id } }", json!({"input": {"firstName": "a\u{0}b"}})).await;
        let body = gql.json();
        if gql.status >= 500 || body["errors"][0]["extensions"]["code"] != "validation_failed" {
            failures.push(format!("GraphQL createContact with a NUL: {} {body}", gql.status));
        }
        let auth = format!("Bearer {}", s.token);
        let dup = app.raw("POST", "/api/v1/contacts", &[("authorization", &auth), ("content-type", "application/json")], br#"{"first_name":"a","first_name":"b"}"#.to_vec()).await;
        if dup.status != 422 || crm_tests::openapi_walk::problem_check(&dup, &["validation_failed"]).is_err() {
            failures.push(format!("POST /api/v1/contacts with a duplicate key: {}", crm_tests::openapi_walk::brief(&dup)));
        }
        let accepted = i64::from(gql.status == 200 && body["errors"].is_null()) + i64::from(dup.status == 201);
        let after = state(app).await;
        let written = changes(&before, &after);
        if written.iter().any(|(t, n)| t != "contacts" && t != "contacts.version" || *n != accepted) {
            failures.push(format!("{accepted} accepted, yet written: {written:?}"));
        }
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }
}
