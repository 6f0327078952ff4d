//! `POST /api/v1/contacts/parse` and GraphQL `parseContact` / `createContactFromText`: a
//! proposal without a write, matches within the caller's organization only, creation with its
//! history and event, roles, and bad input.

use crm_tests::{Session, TestApp, dual};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SIGNATURE: &str = "Mit freundlichen Grüßen\n\nDr. Hans Meier\nGeschäftsführer\nGlobex GmbH\n\
Friedrichstraße 123, 10117 Berlin\nTel.: +49 (0)30 1234567\nMob.: +49 (0)171 1234567\n\
hans.meier@globex.de\nwww.globex.de";

async fn count(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}");
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn parse(app: &TestApp, s: &Session, query: &str, body: Value) -> crm_tests::Resp {
    app.post(
        &format!("/api/v1/contacts/parse{query}"),
        Some(&s.token),
        body,
    )
    .await
}

fn confidence(body: &Value, field: &str) -> f64 {
    body["confidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == field)
        .and_then(|c| c["confidence"].as_f64())
        .unwrap_or_else(|| panic!("no confidence for {field}: {body}"))
}

dual! {
    async fn parsing_proposes_a_contact_and_writes_nothing(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let contacts = count(app, "contacts").await;
        let history = count(app, "record_history").await;
        let body = parse(app, &s, "", json!({ "text": SIGNATURE })).await.ok(200);
        let p = &body["proposal"];
        assert_eq!(body["source"], "text");
        assert_eq!(p["first_name"], "Hans");
        assert_eq!(p["last_name"], "Meier");
        assert_eq!(p["title"], "Geschäftsführer");
        assert_eq!(p["company_name"], "Globex GmbH");
        assert_eq!(p["email"], "hans.meier@globex.de");
        assert_eq!(p["phone"], "+49301234567");
        assert_eq!(p["website"], "https://www.globex.de");
        assert_eq!(
            p["address"],
            json!({"street": "Friedrichstraße 123", "city": "Berlin", "region": null, "postal_code": "10117", "country": "DE"})
        );
        assert_eq!(
            p["phones"],
            json!([
                {"number": "+49301234567", "kind": "work", "raw": "+49 (0)30 1234567"},
                {"number": "+491711234567", "kind": "mobile", "raw": "+49 (0)171 1234567"}
            ])
        );
        assert_eq!(confidence(&body, "email"), 0.99);
        assert_eq!(confidence(&body, "phone"), 0.95);
        assert_eq!(body["confidence"].as_array().unwrap().len(), 8);
        assert!(body["matched_contact"].is_null() && body["matched_company"].is_null());
        assert!(body["created"].is_null());
        assert_eq!(count(app, "contacts").await, contacts);
        assert_eq!(count(app, "record_history").await, history);
    }

    async fn nothing_recognisable_is_not_an_error(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let body = parse(app, &s, "", json!({ "text": "see you tomorrow, ok?" })).await.ok(200);
        assert!(body["proposal"]["first_name"].is_null());
        assert_eq!(body["proposal"]["emails"], json!([]));
        assert!(body["confidence"].as_array().unwrap().iter().all(|c| c["confidence"] == 0.0));
    }

    async fn matches_an_existing_contact_and_company_of_the_organization(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let company = app
            .post("/api/v1/companies", Some(&s.token), json!({"name": "Globex Germany", "domain": "globex.de"}))
            .await
            .ok(201);
        let contact = app
            .post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Hans", "email": "Hans.Meier@globex.de"}))
            .await
            .ok(201);
        let body = parse(app, &s, "", json!({ "text": SIGNATURE })).await.ok(200);
        assert_eq!(body["matched_contact"]["contact"]["id"], contact["id"]);
        assert_eq!(body["matched_contact"]["reason"], "email");
        assert_eq!(body["matched_company"]["company"]["id"], company["id"]);
        assert_eq!(body["matched_company"]["reason"], "website_domain");

        // By phone when the email differs; by email domain when there is no website.
        let body = parse(
            app,
            &s,
            "",
            json!({ "text": "Erika Muster\nTel. 030 1234567\nerika@globex.de", "default_country": "de" }),
        )
        .await
        .ok(200);
        assert!(body["matched_contact"].is_null(), "{body}");
        assert_eq!(body["matched_company"]["reason"], "email_domain");
        app.post("/api/v1/contacts", Some(&s.token), json!({"last_name": "Phone", "phone": "+49 30 1234567"}))
            .await
            .ok(201);
        let body = parse(app, &s, "", json!({ "text": "Erika Muster\nTel. 030 1234567", "default_country": "DE" }))
            .await
            .ok(200);
        assert_eq!(body["proposal"]["phone"], "+49301234567");
        assert_eq!(body["matched_contact"]["reason"], "phone");
        assert_eq!(body["matched_contact"]["contact"]["last_name"], "Phone");
    }

    async fn a_match_never_comes_from_another_organization(app: &TestApp) {
        let other = app.signup("Other", "admin@other.test").await;
        app.post("/api/v1/companies", Some(&other.token), json!({"name": "Globex GmbH", "domain": "globex.de"}))
            .await
            .ok(201);
        app.post("/api/v1/contacts", Some(&other.token), json!({"email": "hans.meier@globex.de", "phone": "+49 30 1234567"}))
            .await
            .ok(201);
        let s = app.signup("Acme", "admin@acme.test").await;
        let body = parse(app, &s, "", json!({ "text": SIGNATURE })).await.ok(200);
        assert!(body["matched_contact"].is_null(), "{body}");
        assert!(body["matched_company"].is_null(), "{body}");
        let created = parse(app, &s, "?create=true", json!({ "text": SIGNATURE })).await.ok(201);
        assert!(created["created"]["company_id"].is_null());
        // The other organization still sees its own matches.
        let theirs = parse(app, &other, "", json!({ "text": SIGNATURE })).await.ok(200);
        assert_eq!(theirs["matched_contact"]["reason"], "email");
        assert_eq!(theirs["matched_company"]["reason"], "website_domain");
    }

    async fn create_makes_the_contact_with_history_and_event(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let company = app
            .post("/api/v1/companies", Some(&s.token), json!({"name": "Globex GmbH"}))
            .await
            .ok(201);
        let contacts = count(app, "contacts").await;
        let res = parse(app, &s, "?create=true", json!({ "text": SIGNATURE })).await;
        let body = res.ok(201);
        let created = &body["created"];
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(res.header("location"), Some(format!("/api/v1/contacts/{id}")));
        assert_eq!(body["matched_company"]["reason"], "name");
        assert_eq!(created["company_id"], company["id"]);
        assert_eq!(created["first_name"], "Hans");
        assert_eq!(created["last_name"], "Meier");
        assert_eq!(created["email"], "hans.meier@globex.de");
        assert_eq!(created["phone"], "+49301234567");
        assert_eq!(created["title"], "Geschäftsführer");
        assert_eq!(created["address"]["city"], "Berlin");
        assert_eq!(created["owner_id"], s.user_id.as_str());
        assert_eq!(count(app, "contacts").await, contacts + 1);
        let got = app.get(&format!("/api/v1/contacts/{id}"), Some(&s.token)).await.ok(200);
        assert_eq!(got["email"], "hans.meier@globex.de");
        let history = app
            .get(&format!("/api/v1/contacts/{id}/history"), Some(&s.token))
            .await
            .ok(200);
        assert_eq!(history["data"].as_array().unwrap().len(), 1, "{history}");
        assert_eq!(history["data"][0]["action"], "created");
        // The event reaches the change feed (PostgreSQL's horizon may hold it back a moment).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let page = app.get("/api/v1/events?types=contact.*&limit=100", Some(&s.token)).await.ok(200);
            let found = page["data"].as_array().unwrap().iter().any(|e| {
                e["type"] == "contact.created" && e["record"]["id"] == id.as_str()
            });
            if found {
                break;
            }
            assert!(Instant::now() < deadline, "no contact.created event: {page}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Nothing to create from: the create operation's own validation answers.
        let bad = parse(app, &s, "?create=true", json!({ "text": "nothing here" })).await;
        let problem = bad.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "/last_name");
        assert_eq!(count(app, "contacts").await, contacts + 1);
    }

    async fn viewers_may_parse_but_not_create(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let viewer = app.member(&admin, "viewer", "viewer@acme.test").await;
        let contacts = count(app, "contacts").await;
        parse(app, &viewer, "", json!({ "text": SIGNATURE })).await.ok(200);
        parse(app, &viewer, "?create=true", json!({ "text": SIGNATURE }))
            .await
            .problem(403, "forbidden");
        let gql = app
            .gql(
                Some(&viewer.token),
                "mutation($i: ParseContactInput!) { createContactFromText(input: $i) { created { id } } }",
                json!({ "i": { "text": SIGNATURE } }),
            )
            .await
            .ok(200);
        assert_eq!(gql["errors"][0]["extensions"]["code"], "forbidden", "{gql}");
        assert_eq!(count(app, "contacts").await, contacts);
        let anonymous = app.post("/api/v1/contacts/parse", None, json!({ "text": SIGNATURE })).await;
        anonymous.problem(401, "unauthenticated");
    }

    async fn bad_input_is_a_422_naming_the_field(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let cases = [
            (json!({ "text": "" }), "/text"),
            (json!({ "text": "   \n " }), "/text"),
            (json!({ "text": "x".repeat(10_001) }), "/text"),
            (json!({ "text": "Hans\u{0}Meier" }), "/text"),
            (json!({ "text": "Hans Meier", "default_country": "XX" }), "/default_country"),
            (json!({ "text": "Hans Meier", "default_country": "Germany" }), "/default_country"),
        ];
        for (body, pointer) in cases {
            for query in ["", "?create=true"] {
                let problem = parse(app, &s, query, body.clone()).await.problem(422, "validation_failed");
                assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
            }
        }
        // Missing and unknown fields are refused by the body's schema.
        let missing = parse(app, &s, "", json!({})).await;
        assert_eq!(missing.status, 422, "{}", missing.text());
        let unknown = parse(app, &s, "", json!({"text": "a", "extra": 1})).await;
        assert_eq!(unknown.status, 422, "{}", unknown.text());
        // Exactly 10,000 characters is fine.
        parse(app, &s, "", json!({ "text": "x".repeat(10_000) })).await.ok(200);
        assert_eq!(count(app, "contacts").await, 0);
    }

    async fn graphql_parses_without_writing_and_creates(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let company = app
            .post("/api/v1/companies", Some(&s.token), json!({"name": "Globex", "domain": "https://globex.de"}))
            .await
            .ok(201);
        let q = "query($i: ParseContactInput!) { parseContact(input: $i) { source proposal { firstName lastName email phone phones { number kind } address { city country } } confidence { field confidence reason } matchedCompany { reason company { id name } } created { id } } }";
        let body = app
            .gql(Some(&s.token), q, json!({ "i": { "text": SIGNATURE } }))
            .await
            .ok(200);
        assert!(body["errors"].is_null(), "{body}");
        let r = &body["data"]["parseContact"];
        assert_eq!(r["source"], "text");
        assert_eq!(r["proposal"]["firstName"], "Hans");
        assert_eq!(r["proposal"]["phones"][1], json!({"number": "+491711234567", "kind": "MOBILE"}));
        assert_eq!(r["proposal"]["address"], json!({"city": "Berlin", "country": "DE"}));
        assert_eq!(r["matchedCompany"]["company"]["id"], company["id"]);
        assert!(r["created"].is_null());
        assert_eq!(count(app, "contacts").await, 0);

        let vcard = "BEGIN:VCARD\nVERSION:4.0\nN:Doe;Jane;;;\nTEL;TYPE=cell:+1 415 555 0132\nEMAIL:jane@globex.de\nEND:VCARD";
        let m = "mutation($i: ParseContactInput!) { createContactFromText(input: $i) { source created { id firstName lastName phone companyId } } }";
        let body = app
            .gql(Some(&s.token), m, json!({ "i": { "text": vcard } }))
            .await
            .ok(200);
        assert!(body["errors"].is_null(), "{body}");
        let r = &body["data"]["createContactFromText"];
        assert_eq!(r["source"], "vcard");
        assert_eq!(r["created"]["lastName"], "Doe");
        assert_eq!(r["created"]["phone"], "+14155550132");
        assert_eq!(r["created"]["companyId"], company["id"]);
        assert_eq!(count(app, "contacts").await, 1);

        let bad = app
            .gql(Some(&s.token), q, json!({ "i": { "text": "", "defaultCountry": "ZZ" } }))
            .await
            .ok(200);
        assert_eq!(bad["errors"][0]["extensions"]["code"], "validation_failed", "{bad}");
        let pointers = bad["errors"][0]["extensions"]["errors"].to_string();
        assert!(pointers.contains("/text") && pointers.contains("/default_country"), "{bad}");
    }
}
