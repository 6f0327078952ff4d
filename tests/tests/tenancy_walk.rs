//! The tenancy walk: organization A has one record of every resource; organization B calls
//! EVERY operation of the served OpenAPI document whose path has an `{id}` with A's id (with its
//! admin's token and with an admin API key), and every answer is a 404 problem document. A's
//! records are unchanged afterwards. The GraphQL single reads (every Query field taking
//! `id: ID!`, found by introspection) answer `null` for A's ids, and the ERP upserts
//! (`PUT .../by-external-id/{source}/{external_id}`) give B a record of its own without touching
//! A's. A resource in the document without a fixture fails the walk, so new resources join it.

use crm_tests::fixtures::{Fixtures, document_body, every_resource, pipeline_body, snapshot};
use crm_tests::openapi_walk::{Doc, Gen, Operation, brief, problem_check};
use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `contacts` -> `contact`, `api-keys` -> `apiKey`, `companies` -> `company`.
fn singular_camel(resource: &str) -> String {
    let mut out = String::new();
    for (i, part) in resource.split('-').enumerate() {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            if i == 0 {
                out.push(first);
            } else {
                out.extend(first.to_uppercase());
            }
            out.push_str(chars.as_str());
        }
    }
    if let Some(stem) = out.strip_suffix("ies") {
        format!("{stem}y")
    } else {
        out.strip_suffix('s').map(str::to_owned).unwrap_or(out)
    }
}

/// Sends `op` on `path` as `token` with the operation's generated body.
async fn call(
    app: &TestApp,
    doc: &Doc,
    op: &Operation,
    path: &str,
    token: &str,
) -> crm_tests::Resp {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("authorization", auth.as_str())];
    let body = match doc.body(op, &mut Gen::default()) {
        Some(b) => {
            headers.push((
                "content-type",
                op.content_type.as_deref().unwrap_or("application/json"),
            ));
            serde_json::to_vec(&b).expect("json")
        }
        None => Vec::new(),
    };
    app.raw(&op.method, path, &headers, body).await
}

/// Every `{id}` operation of the document, as B, on A's records: 404 for each.
async fn rest_walk(
    app: &TestApp,
    doc: &Doc,
    fx: &Fixtures,
    tokens: &[(&str, &str)],
) -> Vec<String> {
    let ops: Vec<Operation> = doc
        .operations()
        .into_iter()
        .filter(Operation::has_id)
        .collect();
    let missing: Vec<String> = ops
        .iter()
        .filter(|op| op.resource().is_none_or(|r| !fx.ids.contains_key(r)))
        .map(Operation::key)
        .collect();
    assert!(
        missing.is_empty(),
        "operations with an {{id}} whose resource has no fixture in the tenancy walk: {missing:#?}"
    );
    let mut failures = Vec::new();
    let mut calls = 0;
    for op in &ops {
        let resource = op.resource().expect("resource");
        let path = op.fill(&[
            ("id", fx.id(resource)),
            ("delivery_id", fx.id("webhook_delivery")),
        ]);
        for (who, token) in tokens {
            let res = call(app, doc, op, &path, token).await;
            calls += 1;
            if res.status != 404 || problem_check(&res, &["not_found"]).is_err() {
                failures.push(format!("{} as B ({who}): {}", op.key(), brief(&res)));
            }
        }
    }
    assert!(
        calls >= 2 * 30,
        "the walk made only {calls} calls: is the document complete?"
    );
    failures
}

/// A GraphQL single read: the field, the selection to ask for, a required enum argument
/// (`kind`) with every value of it, and the other required `ID` arguments (`webhookId`).
type SingleRead = (String, String, Option<(String, Vec<String>)>, Vec<String>);

/// The GraphQL Query fields that take `id: ID!`. A field with another required `ID` argument
/// reads what hangs off a parent (`webhookDelivery(webhookId:, id:)`).
async fn graphql_single_reads(app: &TestApp, s: &Session) -> Vec<SingleRead> {
    let q = "{ __schema { queryType { fields { name args { name defaultValue type { kind name ofType { kind name ofType { kind name } } } } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } types { name kind enumValues { name } fields { name } } } }";
    let res = app.gql(Some(&s.token), q, json!({})).await.ok(200);
    let schema = &res["data"]["__schema"];
    let types: BTreeMap<String, Value> = schema["types"]
        .as_array()
        .expect("types")
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or("").to_owned(), t.clone()))
        .collect();
    let named = |mut t: &Value| -> String {
        while t["name"].is_null() && !t["ofType"].is_null() {
            t = &t["ofType"];
        }
        t["name"].as_str().unwrap_or("").to_owned()
    };
    let mut out = Vec::new();
    for field in schema["queryType"]["fields"].as_array().expect("fields") {
        let args = field["args"].as_array().expect("args");
        let takes_id = args.iter().any(|a| {
            a["name"] == "id" && a["type"]["kind"] == "NON_NULL" && named(&a["type"]) == "ID"
        });
        if !takes_id {
            continue;
        }
        let mut enum_arg = None;
        let mut id_args = Vec::new();
        for a in args {
            if a["name"] != "id" && a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null() {
                if named(&a["type"]) == "ID" {
                    id_args.push(a["name"].as_str().expect("name").to_owned());
                    continue;
                }
                let t = &types[&named(&a["type"])];
                assert_eq!(
                    t["kind"], "ENUM",
                    "unexpected required argument {a} of {field}"
                );
                let values = t["enumValues"]
                    .as_array()
                    .expect("values")
                    .iter()
                    .map(|v| v["name"].as_str().expect("name").to_owned())
                    .collect();
                enum_arg = Some((a["name"].as_str().expect("name").to_owned(), values));
            }
        }
        let returns = &types[&named(&field["type"])];
        let has = |f: &str| {
            returns["fields"]
                .as_array()
                .is_some_and(|fs| fs.iter().any(|x| x["name"] == f))
        };
        let selection = if has("id") {
            "{ id }"
        } else if has("edges") {
            "{ edges { cursor } }"
        } else if returns["kind"] == "OBJECT" {
            "{ __typename }"
        } else {
            ""
        };
        out.push((
            field["name"].as_str().expect("name").to_owned(),
            selection.to_owned(),
            enum_arg,
            id_args,
        ));
    }
    out
}

/// Which fixture a GraphQL field reads: the resource whose singular name is the longest prefix
/// of the field (`contactHistory` -> contacts), or the one an enum value names (`ORDER` -> orders).
fn resource_of(fx: &Fixtures, field: &str, enum_value: Option<&str>) -> Option<String> {
    let wanted = enum_value.map(str::to_lowercase);
    fx.ids
        .keys()
        .filter(|r| {
            let s = singular_camel(r);
            match &wanted {
                Some(w) => s.to_lowercase() == *w,
                None => field.starts_with(&s),
            }
        })
        .max_by_key(|r| singular_camel(r).len())
        .cloned()
}

async fn graphql_walk(
    app: &TestApp,
    fx: &Fixtures,
    a: &Session,
    tokens: &[(&str, &str)],
) -> Vec<String> {
    let fields = graphql_single_reads(app, a).await;
    assert!(fields.len() >= 5, "few single reads found: {fields:?}");
    let mut failures = Vec::new();
    let mut unmapped = Vec::new();
    for (field, selection, enum_arg, id_args) in &fields {
        let variants: Vec<Option<(String, String)>> = match enum_arg {
            Some((arg, values)) => values
                .iter()
                .map(|v| Some((arg.clone(), v.clone())))
                .collect(),
            None => vec![None],
        };
        for variant in variants {
            // A read under a parent (`webhookDelivery`): the parent's fixture for `webhookId`,
            // the record's own (`webhook_delivery`) for `id`.
            let (resource, parents) = if id_args.is_empty() {
                let Some(resource) =
                    resource_of(fx, field, variant.as_ref().map(|(_, v)| v.as_str()))
                else {
                    unmapped.push(format!("{field} {variant:?}"));
                    continue;
                };
                (resource, String::new())
            } else {
                let mut parents = String::new();
                for arg in id_args {
                    let parent = arg.strip_suffix("Id").unwrap_or(arg);
                    let Some(r) = fx.ids.keys().find(|r| singular_camel(r) == parent) else {
                        unmapped.push(format!("{field} {arg}"));
                        continue;
                    };
                    parents.push_str(&format!(", {arg}: \"{}\"", fx.id(r)));
                }
                let own: String = field
                    .chars()
                    .flat_map(|c| {
                        if c.is_uppercase() {
                            vec!['_', c.to_ascii_lowercase()]
                        } else {
                            vec![c]
                        }
                    })
                    .collect();
                (own, parents)
            };
            let extra = variant
                .as_ref()
                .map(|(arg, v)| format!(", {arg}: {v}"))
                .unwrap_or_default();
            let extra = format!("{extra}{parents}");
            let query = format!("query($id: ID!) {{ {field}(id: $id{extra}) {selection} }}");
            let id = fx.id(&resource);
            // A can read it (the query is right) ...
            let own = app
                .gql(Some(&a.token), &query, json!({"id": id}))
                .await
                .ok(200);
            if own.get("errors").is_some() || own["data"][field.as_str()].is_null() {
                failures.push(format!("{field}{extra} as A on its own {resource}: {own}"));
            }
            // ... and B reads null.
            for (who, token) in tokens {
                let res = app.gql(Some(token), &query, json!({"id": id})).await;
                let body = res.ok(200);
                let codes: Vec<&Value> = body["errors"]
                    .as_array()
                    .map(|e| e.iter().map(|e| &e["extensions"]["code"]).collect())
                    .unwrap_or_default();
                // A single read of a record answers `null` and no error (as API.md has it);
                // what hangs off a record (its history, duplicates, board) may say not_found.
                let single = !["History", "Duplicates", "Timeline", "Board"]
                    .iter()
                    .any(|suffix| field.ends_with(suffix));
                let refused = if single {
                    !codes.is_empty()
                } else {
                    codes.iter().any(|c| *c != "not_found")
                };
                if !body["data"][field.as_str()].is_null()
                    || refused
                    || res.text().contains("Fixture")
                {
                    failures.push(format!(
                        "GraphQL {field}{extra} as B ({who}) on A's {resource}: {body}"
                    ));
                }
            }
        }
    }
    assert!(
        unmapped.is_empty(),
        "GraphQL single reads without a fixture: {unmapped:?}"
    );
    failures
}

/// The ERP upserts: B upserting A's `{source}/{external_id}` gets its own record.
async fn upsert_walk(
    app: &TestApp,
    doc: &Doc,
    a: &Session,
    b: &Session,
    b_key: &str,
) -> Vec<String> {
    // B's deals need a pipeline of B's own.
    app.post("/api/v1/pipelines", Some(&b.token), pipeline_body("B's"))
        .await
        .ok(201);
    let bodies: BTreeMap<&str, (Value, Value)> = BTreeMap::from([
        (
            "companies",
            (
                json!({"name": "A's company"}),
                json!({"name": "B's company"}),
            ),
        ),
        (
            "contacts",
            (
                json!({"last_name": "A's contact"}),
                json!({"last_name": "B's contact"}),
            ),
        ),
        (
            "products",
            (
                json!({"sku": "UP-1", "name": "A's product"}),
                json!({"sku": "UP-1", "name": "B's product"}),
            ),
        ),
        ("orders", (document_body("100"), document_body("200"))),
        (
            "activities",
            (
                json!({"kind": "call", "subject": "A's call"}),
                json!({"kind": "call", "subject": "B's call"}),
            ),
        ),
        (
            "leads",
            (
                json!({"last_name": "A's lead"}),
                json!({"last_name": "B's lead"}),
            ),
        ),
        (
            "deals",
            (json!({"name": "A's deal"}), json!({"name": "B's deal"})),
        ),
        ("invoices", (document_body("100"), document_body("200"))),
    ]);
    let ops: Vec<Operation> = doc
        .operations()
        .into_iter()
        .filter(|op| {
            op.method == "PUT" && op.path.contains("{source}") && op.path.contains("{external_id}")
        })
        .collect();
    assert!(ops.len() >= 4, "upsert operations: {ops:?}");
    let mut failures = Vec::new();
    for op in &ops {
        let resource = op.resource().expect("resource");
        let Some((mine, theirs)) = bodies.get(resource) else {
            panic!("the tenancy walk has no upsert body for {}", op.key());
        };
        let path = op.fill(&[("source", "sap"), ("external_id", "EXT-4711")]);
        let created = app
            .call("PUT", &path, Some(&a.token), Some(mine.clone()))
            .await;
        assert_eq!(created.status, 201, "A upserts {path}: {}", created.text());
        let a_id = created.json()["id"].as_str().expect("id").to_owned();
        let before = snapshot(app, a, resource, &a_id, true).await;
        let mut b_ids = Vec::new();
        for (who, token, status) in [("token", b.token.as_str(), 201), ("api key", b_key, 200)] {
            let res = app
                .call("PUT", &path, Some(token), Some(theirs.clone()))
                .await;
            if res.status != status {
                failures.push(format!(
                    "{} as B ({who}): expected {status}, got {}",
                    op.key(),
                    brief(&res)
                ));
                continue;
            }
            let body = res.json();
            if body["id"] == a_id.as_str() {
                failures.push(format!(
                    "{} as B ({who}) answered A's record: {body}",
                    op.key()
                ));
            }
            b_ids.push(body["id"].clone());
        }
        if b_ids.len() == 2 && b_ids[0] != b_ids[1] {
            failures.push(format!(
                "{}: B's two upserts made two records {b_ids:?}",
                op.key()
            ));
        }
        let after = snapshot(app, a, resource, &a_id, true).await;
        if before != after {
            failures.push(format!(
                "{}: A's record changed\nbefore: {before}\nafter:  {after}",
                op.key()
            ));
        }
        if let Some(b_id) = b_ids.first().and_then(Value::as_str) {
            let theirs = app
                .get(&format!("/api/v1/{resource}/{b_id}"), Some(&b.token))
                .await;
            if theirs.status != 200 || theirs.json()["external_id"] != "EXT-4711" {
                failures.push(format!(
                    "{resource}: B's upserted record as B: {}",
                    brief(&theirs)
                ));
            }
            let hidden = app
                .get(&format!("/api/v1/{resource}/{b_id}"), Some(&a.token))
                .await;
            if hidden.status != 404 {
                failures.push(format!(
                    "{resource}: B's upserted record as A: {}",
                    brief(&hidden)
                ));
            }
        }
    }
    failures
}

dual! {
    async fn org_b_gets_404_on_every_id_operation_for_org_a_records(app: &TestApp) {
        let a = app.signup("Org A", "admin@a.test").await;
        let fx = every_resource(app, &a).await;
        let b = app.signup("Org B", "admin@b.test").await;
        let (_, b_key) = app.api_key(&b, "read_write", "admin").await;
        let doc = Doc::fetch(app).await;
        let gets: Vec<String> = doc.operations().iter().filter(|o| o.method == "GET").map(Operation::key).collect();
        let has_get = |r: &str| gets.contains(&format!("GET /api/v1/{r}/{{id}}"));

        let mut before = BTreeMap::new();
        for (resource, id) in &fx.ids {
            before.insert(resource.clone(), snapshot(app, &a, resource, id, has_get(resource)).await);
        }
        let tokens = [("admin token", b.token.as_str()), ("admin api key", b_key.as_str())];
        let mut failures = rest_walk(app, &doc, &fx, &tokens).await;
        failures.extend(graphql_walk(app, &fx, &a, &tokens).await);

        for (resource, id) in &fx.ids {
            let after = snapshot(app, &a, resource, id, has_get(resource)).await;
            if after != before[resource] {
                failures.push(format!("A's {resource} {id} changed\nbefore: {}\nafter:  {after}", before[resource]));
            }
        }
        failures.extend(upsert_walk(app, &doc, &a, &b, &b_key).await);
        assert!(failures.is_empty(), "{} tenancy failures:\n{}", failures.len(), failures.join("\n"));
    }
}
