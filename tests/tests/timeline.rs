//! The customer timeline, and GraphQL nesting with a bounded number of SQL statements.

use crm_tests::{Session, TestApp, dual};
use serde_json::{Value, json};
use std::collections::HashSet;

async fn walk(app: &TestApp, s: &Session, path: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!(
                "{path}{}limit={limit}&cursor={c}",
                if path.contains('?') { "&" } else { "?" }
            ),
            None => format!(
                "{path}{}limit={limit}",
                if path.contains('?') { "&" } else { "?" }
            ),
        };
        let page = app.get(&url, Some(&s.token)).await.ok(200);
        out.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

dual! {
    async fn timeline_order_and_completeness_across_pages(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let co = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Globex"})).await.ok(201);
        let ann = app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Ann", "company_id": co["id"]})).await.ok(201);
        let bob = app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Bob", "company_id": co["id"]})).await.ok(201);
        let ann_id = ann["id"].as_str().unwrap().to_owned();
        let mut ann_activities = HashSet::new();
        for i in 0..40 {
            let who = if i % 3 == 0 { &bob } else { &ann };
            // Several share a timestamp, to exercise the id tiebreak.
            let at = format!("2026-02-{:02}T{:02}:00:00Z", 1 + i / 4, 8 + (i % 2));
            let kind = ["call", "email", "meeting", "note"][i % 4];
            let channel = ["phone", "email", "in_person", "website"][i % 4];
            let a = app.post("/api/v1/activities", Some(&s.token), json!({"kind": kind, "channel": channel, "contact_id": who["id"], "occurred_at": at})).await.ok(201);
            if who["id"] == ann["id"] {
                ann_activities.insert(a["id"].as_str().unwrap().to_owned());
            }
        }
        // Field changes show up too.
        app.patch(&format!("/api/v1/contacts/{ann_id}"), Some(&s.token), json!({"title": "CEO"})).await.ok(200);

        let entries = walk(app, &s, &format!("/api/v1/contacts/{ann_id}/timeline"), 7).await;
        let activity_ids: HashSet<String> = entries.iter().filter(|e| e["entry_type"] == "activity").map(|e| e["activity"]["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(activity_ids, ann_activities, "every activity once");
        assert_eq!(entries.iter().filter(|e| e["entry_type"] == "activity").count(), ann_activities.len(), "no duplicates");
        let changes: Vec<&Value> = entries.iter().filter(|e| e["entry_type"] == "change").collect();
        assert_eq!(changes.len(), 2, "created and updated");
        assert_eq!(changes[0]["change"]["entry"]["changes"]["title"]["after"], "CEO");
        let keys: Vec<(String, String)> = entries.iter().map(|e| (e["at"].as_str().unwrap().to_owned(), e["id"].as_str().unwrap().to_owned())).collect();
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| {
            let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
            (at(&b.0), &b.1).cmp(&(at(&a.0), &a.1))
        });
        assert_eq!(keys, sorted, "newest first");

        // Filters by kind and channel (activities only).
        let calls = walk(app, &s, &format!("/api/v1/contacts/{ann_id}/timeline?kind=call,meeting"), 50).await;
        assert!(calls.iter().all(|e| ["call", "meeting"].contains(&e["activity"]["kind"].as_str().unwrap())));
        let web = walk(app, &s, &format!("/api/v1/contacts/{ann_id}/timeline?channel=website"), 50).await;
        assert!(!web.is_empty() && web.iter().all(|e| e["activity"]["channel"] == "website"));
        let only_changes = walk(app, &s, &format!("/api/v1/contacts/{ann_id}/timeline?types=change"), 50).await;
        assert_eq!(only_changes.len(), 2);
        app.get(&format!("/api/v1/contacts/{ann_id}/timeline?kind=seance"), Some(&s.token)).await.problem(422, "validation_failed");
        app.get(&format!("/api/v1/contacts/{ann_id}/timeline?colour=red"), Some(&s.token)).await.problem(422, "validation_failed");

        // The company's timeline holds both contacts' activities.
        let company = walk(app, &s, &format!("/api/v1/companies/{}/timeline?types=activity", co["id"].as_str().unwrap()), 9).await;
        assert_eq!(company.len(), 40);

        // A deleted activity leaves the timelines.
        let gone = ann_activities.iter().next().unwrap().clone();
        app.delete(&format!("/api/v1/activities/{gone}"), Some(&s.token)).await.ok(204);
        let after = walk(app, &s, &format!("/api/v1/contacts/{ann_id}/timeline?types=activity"), 50).await;
        assert_eq!(after.len(), ann_activities.len() - 1);

        // GraphQL: the same timeline.
        let g = app.gql(Some(&s.token), "query($id: ID!) { contact(id: $id) { timeline(first: 3, kinds: [CALL]) { edges { node { entryType activity { kind } } } pageInfo { hasNextPage } } } }", json!({"id": ann_id})).await.ok(200);
        let edges = g["data"]["contact"]["timeline"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 3);
        assert!(edges.iter().all(|e| e["node"]["activity"]["kind"] == "CALL"));

        // Merging Bob into Ann brings Bob's activities into Ann's timeline.
        app.post(&format!("/api/v1/contacts/{ann_id}/merge"), Some(&s.token), json!({"source_id": bob["id"]})).await.ok(200);
        let merged = walk(app, &s, &format!("/api/v1/contacts/{ann_id}/timeline?types=activity"), 50).await;
        assert_eq!(merged.len(), 39);
        // Unknown and foreign records: 404.
        app.get(&format!("/api/v1/contacts/{}/timeline", uuid::Uuid::now_v7()), Some(&s.token)).await.problem(404, "not_found");
        let other = app.signup("Other", "admin@other.test").await;
        app.get(&format!("/api/v1/contacts/{ann_id}/timeline"), Some(&other.token)).await.problem(404, "not_found");
    }

    async fn a_timeline_page_is_one_statement_whatever_its_sources(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let c = app.post("/api/v1/contacts", Some(&s.token), json!({"last_name": "Lovelace"})).await.ok(201);
        let id = c["id"].as_str().unwrap().to_owned();
        for k in 0..3 {
            app.post("/api/v1/activities", Some(&s.token), json!({"kind": "call", "channel": "phone", "contact_id": id, "subject": format!("A{k}")})).await.ok(201);
        }
        let statements = || app.server().state.metrics.statements();
        let pg = app.backend == crm_tests::Backend::Postgres;
        // Authentication reads the user on SQLite (1 statement) and, once the server listens
        // for user changes, nothing on PostgreSQL; the timeline adds one statement, whichever
        // sources it reads (the record's existence is part of it), and nothing else.
        let auth = u64::from(!pg);
        for (types, sources, entries) in [("activity", 1, 3), ("change", 1, 1), ("activity,change", 1, 4)] {
            let mut cost = u64::MAX;
            for _ in 0..250 {
                let before = statements();
                let page = app.get(&format!("/api/v1/contacts/{id}/timeline?types={types}"), Some(&s.token)).await.ok(200);
                cost = statements() - before;
                assert_eq!(page["data"].as_array().unwrap().len(), entries, "{page}");
                if cost == auth + sources {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            assert_eq!(cost, auth + sources, "statements of a {types} timeline page");
        }
        // A deleted contact's timeline is a 404, although its activities' links are live.
        app.delete(&format!("/api/v1/contacts/{id}"), Some(&s.token)).await.ok(204);
        app.get(&format!("/api/v1/contacts/{id}/timeline?types=activity"), Some(&s.token)).await.problem(404, "not_found");
        app.get(&format!("/api/v1/contacts/{id}/timeline"), Some(&s.token)).await.problem(404, "not_found");
        // An empty timeline of a live contact is an empty page (the one case that asks whether
        // the contact exists).
        let empty = app.post("/api/v1/contacts", Some(&s.token), json!({"last_name": "Empty"})).await.ok(201);
        let page = app.get(&format!("/api/v1/contacts/{}/timeline?types=activity", empty["id"].as_str().unwrap()), Some(&s.token)).await.ok(200);
        assert_eq!(page["data"], json!([]));
    }

    async fn nested_graphql_statement_count_does_not_grow_with_page_size(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        for i in 0..50 {
            let co = app.post("/api/v1/companies", Some(&s.token), json!({"name": format!("Co {i:02}")})).await.ok(201);
            for j in 0..2 {
                let c = app.post("/api/v1/contacts", Some(&s.token), json!({"last_name": format!("C{i}-{j}"), "company_id": co["id"]})).await.ok(201);
                for k in 0..2 {
                    app.post("/api/v1/activities", Some(&s.token), json!({"kind": "call", "channel": "phone", "contact_id": c["id"], "subject": format!("A{k}")})).await.ok(201);
                }
            }
        }
        let query = "query($n: Int) { companies(first: $n) { edges { node { name owner { email } contacts(first: 10) { nodes { lastName company { name } activities(first: 5) { nodes { subject } } } } } } } }";
        let mut counts = Vec::new();
        // Each size measured three times, the least kept: the counter is the server's, and a
        // background task (job polling, feed pruning) may run a statement during one query.
        for n in [5, 5, 5, 50, 50, 50] {
            let before = app.server().state.metrics.statements();
            let res = app.gql(Some(&s.token), query, json!({"n": n})).await.ok(200);
            let after = app.server().state.metrics.statements();
            assert!(res.get("errors").is_none(), "{res}");
            let edges = res["data"]["companies"]["edges"].as_array().unwrap();
            assert_eq!(edges.len(), n);
            for e in edges {
                let contacts = e["node"]["contacts"]["nodes"].as_array().unwrap();
                assert_eq!(contacts.len(), 2);
                for c in contacts {
                    assert_eq!(c["activities"]["nodes"].as_array().unwrap().len(), 2);
                    assert_eq!(c["company"]["name"], e["node"]["name"]);
                }
            }
            counts.push(after - before);
        }
        let counts = [counts[..3].iter().min().copied().unwrap_or(0), counts[3..].iter().min().copied().unwrap_or(0)];
        assert_eq!(counts[0], counts[1], "statements for 5 and 50 companies: {counts:?}");
        // Authentication (1) + the custom field definitions and the page (2) + one per relation
        // (owner, contacts, company, activities).
        assert!(counts[0] <= 8, "{counts:?}");
    }
}
