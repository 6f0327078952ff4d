//! Activities on every channel, tasks, feedback, and logging from integrations.

use crm_tests::dual;
use serde_json::{Value, json};

const CHANNELS: [&str; 14] = [
    "postal_mail",
    "fax",
    "email",
    "media_ad",
    "service_center",
    "website",
    "point_of_sale",
    "call_center",
    "phone",
    "sms",
    "chat",
    "social",
    "in_person",
    "event",
];
const KINDS: [&str; 7] = [
    "call",
    "email",
    "meeting",
    "note",
    "task",
    "visit",
    "presentation",
];

dual! {
    async fn every_kind_and_channel_is_logged(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let colleague = app.member(&s, "agent", "colleague@acme.test").await;
        let c = app.post("/api/v1/contacts", Some(&s.token), json!({"first_name": "Ann", "email": "ann@x.test"})).await.ok(201);
        let cid = c["id"].as_str().unwrap();
        for (i, channel) in CHANNELS.iter().enumerate() {
            let kind = KINDS[i % KINDS.len()];
            let res = app.post("/api/v1/activities", Some(&s.token), json!({
                "kind": kind, "channel": channel, "direction": if i % 2 == 0 { "inbound" } else { "outbound" },
                "subject": format!("{kind} via {channel}"), "body": "notes", "duration_secs": 60 * i,
                "outcome": "ok", "contact_id": cid,
                "participants": [{"kind": "user", "id": colleague.user_id}, {"kind": "contact", "id": cid}],
                "occurred_at": format!("2026-01-{:02}T10:00:00Z", i + 1)
            })).await;
            assert_eq!(res.header("etag").as_deref(), Some("\"1\""));
            let a = res.ok(201);
            assert_eq!(a["channel"], *channel);
            assert_eq!(a["kind"], kind);
            assert_eq!(a["participants"].as_array().unwrap().len(), 2);
        }
        let page = app.get(&format!("/api/v1/activities?contact_id={cid}&limit=100"), Some(&s.token)).await.ok(200);
        assert_eq!(page["data"].as_array().unwrap().len(), 14);
        assert_eq!(page["data"][0]["channel"], "event", "newest first");
        let only = app.get("/api/v1/activities?channel=fax", Some(&s.token)).await.ok(200);
        assert_eq!(only["data"].as_array().unwrap().len(), 1);
        // Unknown channel, kind or bad input: 422 naming the field; nothing written.
        let bad = app.post("/api/v1/activities", Some(&s.token), json!({"kind": "call", "channel": "telepathy"})).await.problem(422, "validation_failed");
        assert_eq!(bad["errors"][0]["pointer"], "/channel");
        app.post("/api/v1/activities", Some(&s.token), json!({"kind": "seance"})).await.problem(422, "validation_failed");
        let bad = app.post("/api/v1/activities", Some(&s.token), json!({"kind": "call", "duration_secs": -5, "contact_id": uuid::Uuid::now_v7(), "participants": [{"kind": "user", "id": uuid::Uuid::now_v7()}]})).await.problem(422, "validation_failed");
        let pointers: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert!(pointers.contains(&"/contact_id") && pointers.contains(&"/duration_secs") && pointers.contains(&"/participants/0/id"), "{pointers:?}");
        app.post("/api/v1/activities", Some(&s.token), json!({"kind": "call", "due_at": "2026-01-01T00:00:00Z"})).await.problem(422, "validation_failed");
        let all = app.get("/api/v1/activities?limit=100", Some(&s.token)).await.ok(200);
        assert_eq!(all["data"].as_array().unwrap().len(), 14);

        // The write-safety kit: ETag, delete/restore, history.
        let a = &page["data"][0];
        let path = format!("/api/v1/activities/{}", a["id"].as_str().unwrap());
        let auth = format!("Bearer {}", s.token);
        let stale = app.raw("PATCH", &path, &[("authorization", &auth), ("content-type", "application/json"), ("if-match", "\"7\"")], br#"{"outcome":"x"}"#.to_vec()).await;
        stale.problem(412, "precondition_failed");
        app.patch(&path, Some(&s.token), json!({"outcome": "rescheduled"})).await.ok(200);
        app.delete(&path, Some(&s.token)).await.ok(204);
        app.get(&path, Some(&s.token)).await.problem(404, "not_found");
        app.post(&format!("{path}/restore"), Some(&s.token), json!({})).await.ok(200);
        let history = app.get(&format!("{path}/history"), Some(&s.token)).await.ok(200);
        let actions: Vec<&str> = history["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["restored", "deleted", "updated", "created"]);
    }

    async fn tasks_mine_overdue_and_completion(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let agent = app.member(&s, "agent", "agent@acme.test").await;
        let t = |subject: &str, due: &str, assignee: Option<&str>| {
            let mut body = json!({"kind": "task", "subject": subject, "due_at": due, "reminder_at": due});
            if let Some(a) = assignee {
                body["assignee_id"] = json!(a);
            }
            body
        };
        let mine_late = app.post("/api/v1/activities", Some(&agent.token), t("call back", "2020-01-01T09:00:00Z", None)).await.ok(201);
        assert_eq!(mine_late["assignee_id"], agent.user_id.as_str(), "assigned to the creator by default");
        assert_eq!(mine_late["status"], "open");
        assert_eq!(mine_late["priority"], "normal");
        app.post("/api/v1/activities", Some(&agent.token), t("prepare offer", "2099-01-01T09:00:00Z", None)).await.ok(201);
        app.post("/api/v1/activities", Some(&agent.token), t("for the boss", "2020-06-01T09:00:00Z", Some(&s.user_id))).await.ok(201);
        app.post("/api/v1/activities", Some(&agent.token), t("nobody", "2020-06-01T09:00:00Z", Some(&uuid::Uuid::now_v7().to_string()))).await.problem(422, "validation_failed");

        let subjects = |v: &Value| v["data"].as_array().unwrap().iter().map(|a| a["subject"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let mine = app.get("/api/v1/tasks/mine", Some(&agent.token)).await.ok(200);
        assert_eq!(subjects(&mine), vec!["call back", "prepare offer"]);
        let overdue = app.get("/api/v1/tasks/overdue", Some(&agent.token)).await.ok(200);
        assert_eq!(subjects(&overdue), vec!["call back", "for the boss"]);
        let overdue_mine = app.get(&format!("/api/v1/tasks/overdue?assignee_id={}", agent.user_id), Some(&agent.token)).await.ok(200);
        assert_eq!(subjects(&overdue_mine), vec!["call back"]);

        let done = app.post(&format!("/api/v1/activities/{}/complete", mine_late["id"].as_str().unwrap()), Some(&s.token), json!({})).await.ok(200);
        assert_eq!(done["status"], "done");
        assert_eq!(done["completed_by"], s.user_id.as_str());
        assert!(done["completed_at"].is_string());
        let mine = app.get("/api/v1/tasks/mine", Some(&agent.token)).await.ok(200);
        assert_eq!(subjects(&mine), vec!["prepare offer"]);
        // Reopening clears the completion; cancelling is a status too.
        let reopened = app.patch(&format!("/api/v1/activities/{}", mine_late["id"].as_str().unwrap()), Some(&agent.token), json!({"status": "open"})).await.ok(200);
        assert!(reopened["completed_at"].is_null() && reopened["completed_by"].is_null());
        // Only tasks complete.
        let note = app.post("/api/v1/activities", Some(&agent.token), json!({"kind": "note", "body": "hi"})).await.ok(201);
        app.post(&format!("/api/v1/activities/{}/complete", note["id"].as_str().unwrap()), Some(&agent.token), json!({})).await.problem(422, "validation_failed");
        // GraphQL: my open tasks.
        let g = app.gql(Some(&agent.token), "{ myOpenTasks { edges { node { subject status priority } } } }", json!({})).await.ok(200);
        assert_eq!(g["data"]["myOpenTasks"]["edges"][0]["node"], json!({"subject": "call back", "status": "OPEN", "priority": "NORMAL"}));

        // Another organization's task is a 404.
        let other = app.signup("Other", "admin@other.test").await;
        let path = format!("/api/v1/activities/{}", mine_late["id"].as_str().unwrap());
        app.get(&path, Some(&other.token)).await.problem(404, "not_found");
        app.patch(&path, Some(&other.token), json!({"status": "done"})).await.problem(404, "not_found");
        app.post(&format!("{path}/complete"), Some(&other.token), json!({})).await.problem(404, "not_found");
        app.delete(&path, Some(&other.token)).await.problem(404, "not_found");
        let theirs = app.get("/api/v1/tasks/overdue", Some(&other.token)).await.ok(200);
        assert_eq!(theirs["data"].as_array().unwrap().len(), 0);
    }

    async fn feedback_is_counted_and_followed_up(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let c = app.post("/api/v1/contacts", Some(&s.token), json!({"email": "angry@x.test"})).await.ok(201);
        let mk = |t: &str, cat: &str| json!({"kind": "note", "channel": "website", "contact_id": c["id"], "feedback_type": t, "feedback_category": cat, "body": "..."});
        let first = app.post("/api/v1/activities", Some(&s.token), mk("complaint", "delivery")).await.ok(201);
        assert_eq!(first["feedback_state"], "new");
        app.post("/api/v1/activities", Some(&s.token), mk("complaint", "delivery")).await.ok(201);
        app.post("/api/v1/activities", Some(&s.token), mk("suggestion", "product")).await.ok(201);
        app.post("/api/v1/activities", Some(&s.token), json!({"kind": "note", "feedback_state": "new"})).await.problem(422, "validation_failed");
        app.patch(&format!("/api/v1/activities/{}", first["id"].as_str().unwrap()), Some(&s.token), json!({"feedback_state": "resolved"})).await.ok(200);
        let summary = app.get("/api/v1/feedback/summary", Some(&s.token)).await.ok(200);
        assert_eq!(summary, json!([
            {"feedback_type": "complaint", "feedback_state": "new", "category": "delivery", "count": 1},
            {"feedback_type": "complaint", "feedback_state": "resolved", "category": "delivery", "count": 1},
            {"feedback_type": "suggestion", "feedback_state": "new", "category": "product", "count": 1},
        ]));
        let open = app.get("/api/v1/activities?feedback_type=complaint&feedback_state=new", Some(&s.token)).await.ok(200);
        assert_eq!(open["data"].as_array().unwrap().len(), 1);
    }

    async fn integrations_log_by_email_or_phone(app: &TestApp) {
        let s = app.signup("Acme", "admin@acme.test").await;
        let co = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Globex"})).await.ok(201);
        let c = app.post("/api/v1/contacts", Some(&s.token), json!({"email": "Hans@Globex.de", "phone": "+49 30 1234567", "company_id": co["id"]})).await.ok(201);
        let (_, key) = app.api_key(&s, "read_write", "agent").await;
        let by_email = app.post("/api/v1/activities", Some(&key), json!({"kind": "email", "channel": "email", "direction": "inbound", "subject": "Re: offer", "contact_email": "HANS@globex.de"})).await.ok(201);
        assert_eq!(by_email["contact_id"], c["id"]);
        assert_eq!(by_email["company_id"], co["id"], "the contact's company is linked");
        let by_phone = app.post("/api/v1/activities", Some(&key), json!({"kind": "call", "channel": "call_center", "contact_phone": "+49 (30) 123-4567", "duration_secs": 300})).await.ok(201);
        assert_eq!(by_phone["contact_id"], c["id"]);
        let none = app.post("/api/v1/activities", Some(&key), json!({"kind": "call", "contact_email": "stranger@nowhere.test"})).await.problem(422, "validation_failed");
        assert_eq!(none["errors"][0]["pointer"], "/contact_email");
        assert_eq!(none["errors"][0]["code"], "no_match");
        app.post("/api/v1/activities", Some(&key), json!({"kind": "call", "contact_phone": "+1 202 555 0123"})).await.problem(422, "validation_failed");
        // Another organization's contact is no match.
        let other = app.signup("Other", "admin@other.test").await;
        let (_, other_key) = app.api_key(&other, "read_write", "agent").await;
        app.post("/api/v1/activities", Some(&other_key), json!({"kind": "call", "contact_email": "hans@globex.de"})).await.problem(422, "validation_failed");
        // A read-only key cannot log.
        let (_, read_key) = app.api_key(&s, "read", "agent").await;
        app.post("/api/v1/activities", Some(&read_key), json!({"kind": "call", "contact_email": "hans@globex.de"})).await.problem(403, "forbidden");
    }
}
