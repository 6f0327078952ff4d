//! The write scenarios: S8 (a contact and an activity in one GraphQL request, against every row
//! the API writes, written directly) and S10 (200 connections, mixed reads and writes).

use super::{Env, Row, admin_actor, p, sql};
use crate::load;
use crate::pgbench::Script;
use crate::server::Server;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use serde_json::json;
use std::rc::Rc;
use uuid::Uuid;

/// The columns the baselines write, as the API writes them.
const CONTACT_COLUMNS: &str = "id, org_id, last_name, email, consent, tags, custom, search_text, \
     version, created_at, updated_at";
const ACTIVITY_COLUMNS: &str = "id, org_id, kind, channel, subject, occurred_at, contact_id, \
     participants, links, version, created_at, updated_at";
const LINK_COLUMNS: &str =
    "org_id, activity_id, record_type, record_id, role, occurred_at, kind, channel, deleted";
const HISTORY_COLUMNS: &str = "id, org_id, record_type, record_id, action, actor_user_id, \
     actor_api_key_id, changes, at";
const OUTBOX_COLUMNS: &str = "id, org_id, topic, record_type, record_id, actor_user_id, \
     actor_api_key_id, payload, created_at";

/// S8: create a contact and an activity in one GraphQL request.
pub(crate) async fn s8(env: &Env) -> Result<Row, String> {
    let c = env.writer.clone();
    let api = env
        .measure(move |w, i| {
            let c = c.clone();
            async move {
                let email = format!("s8-{w}-{i}-{}@bench.test", Uuid::now_v7().simple());
                let doc = format!(
                    "mutation {{ c: createContact(input: {{lastName: \"Bench\", email: \"{email}\"}}) {{ id }} \
                     a: createActivity(input: {{kind: CALL, channel: PHONE, contactEmail: \"{email}\", subject: \"hello\"}}) {{ id contactId }} }}"
                );
                let b = c.gql(&doc).await?;
                (b.get("errors").is_none() && b["data"]["a"]["contactId"] == b["data"]["c"]["id"])
                    .then_some(())
                    .ok_or_else(|| format!("bad answer: {b}"))
            }
        })
        .await;
    // The baselines write the history and outbox rows the API just wrote, as they are.
    let org = env.data.writer_org_id;
    let user = admin_actor(&env.db, org).await?.user_id;
    let audit = Audit {
        contact_changes: latest_json(&env.db, org, "record_history", "changes", "contact").await?,
        contact_event: latest_json(&env.db, org, "outbox_events", "payload", "contact").await?,
        activity_changes: latest_json(&env.db, org, "record_history", "changes", "activity")
            .await?,
        activity_event: latest_json(&env.db, org, "outbox_events", "payload", "activity").await?,
    };
    let pgbench = env.pgbench(Ok(vec![s8_script(org, user, &audit)])).await;
    let (d, audit) = (env.db.clone(), Rc::new(audit));
    let driver = env
        .measure(move |_, _| {
            let (d, audit) = (d.clone(), audit.clone());
            async move { s8_direct(&d, org, user, &audit).await }
        })
        .await;
    Ok(Row {
        name: "S8 contact + activity in one request",
        api,
        pgbench,
        driver,
        target: 0.3,
        other_targets_met: true,
        note: "baselines write the same rows: contact, activity, link, 2 history rows, 2 events, \
               in 2 transactions"
            .into(),
    })
}

/// The JSON the API wrote into history and outbox rows (the baselines write the same).
struct Audit {
    contact_changes: String,
    contact_event: String,
    activity_changes: String,
    activity_event: String,
}

async fn latest_json(
    db: &DatabaseConnection,
    org: Uuid,
    table: &str,
    column: &str,
    record_type: &str,
) -> Result<String, String> {
    let b = db.get_database_backend();
    let cast = if b == DbBackend::Postgres {
        "::text"
    } else {
        ""
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            b,
            format!(
                "SELECT {column}{cast} FROM {table} WHERE org_id = {} AND record_type = {} \
                 ORDER BY id DESC LIMIT 1",
                p(b, 1),
                p(b, 2)
            ),
            [org.into(), record_type.into()],
        ))
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no {table} row of a {record_type}"))?;
    row.try_get_by_index(0).map_err(|e| e.to_string())
}

/// pgbench: the API's two transactions with every row they write.
fn s8_script(org: Uuid, user: Uuid, a: &Audit) -> Script {
    let audit = |kind: &str, id: &str, changes: &str, event: &str| {
        format!(
            "WITH h AS (INSERT INTO record_history ({HISTORY_COLUMNS}) VALUES (gen_random_uuid(), \
             :org, '{kind}', {id}, 'created', :user, NULL, CAST(:{changes} AS jsonb), now())) \
             INSERT INTO outbox_events ({OUTBOX_COLUMNS}) VALUES (gen_random_uuid(), :org, \
             '{kind}.created', '{kind}', {id}, :user, NULL, CAST(:{event} AS jsonb), now());"
        )
    };
    let text = [
        "BEGIN;".to_owned(),
        format!(
            "INSERT INTO contacts ({CONTACT_COLUMNS}) VALUES (gen_random_uuid(), :org, 'Bench', \
             's8-' || gen_random_uuid() || '@bench.test', '{{}}', '[]', '{{}}', 'bench', 1, now(), \
             now()) RETURNING id AS cid, email AS cemail \\gset"
        ),
        audit("contact", ":cid", "hc", "ec"),
        "COMMIT;".to_owned(),
        "BEGIN;".to_owned(),
        "SELECT id, company_id FROM contacts WHERE org_id = :org AND lower(email) = :cemail \
         AND deleted_at IS NULL ORDER BY updated_at DESC LIMIT 1;"
            .to_owned(),
        format!(
            "INSERT INTO activities ({ACTIVITY_COLUMNS}) VALUES (gen_random_uuid(), :org, 'call', \
             'phone', 'hello', now(), :cid, '[]', '[]', 1, now(), now()) RETURNING id AS aid \\gset"
        ),
        format!(
            "INSERT INTO activity_links ({LINK_COLUMNS}) VALUES (:org, :aid, 'contact', :cid, \
             'about', now(), 'call', 'phone', false);"
        ),
        audit("activity", ":aid", "ha", "ea"),
        "COMMIT;".to_owned(),
    ]
    .join("\n");
    Script {
        text: text + "\n",
        vars: vec![
            ("org".into(), org.to_string()),
            ("user".into(), user.to_string()),
            ("hc".into(), a.contact_changes.clone()),
            ("ec".into(), a.contact_event.clone()),
            ("ha".into(), a.activity_changes.clone()),
            ("ea".into(), a.activity_event.clone()),
        ],
    }
}

/// The same rows through the driver, in write transactions as the server begins them
/// (`BEGIN IMMEDIATE` on SQLite).
async fn s8_direct(
    db: &DatabaseConnection,
    org: Uuid,
    user: Uuid,
    a: &Audit,
) -> Result<(), String> {
    let b = db.get_database_backend();
    let marks = |n: usize| (1..=n).map(|i| p(b, i)).collect::<Vec<_>>().join(", ");
    let st = |sql: String, v: Vec<Value>| Statement::from_sql_and_values(b, sql, v);
    let json = |i: usize| match b {
        DbBackend::Postgres => format!("CAST({} AS jsonb)", p(b, i)),
        _ => p(b, i),
    };
    let err = |e: sea_orm::DbErr| e.to_string();
    let audit_rows = |kind: &str, id: Uuid, changes: &str, event: &str| {
        let now = Utc::now();
        let head = marks(7);
        let rest = p(b, 9);
        [
            st(
                format!(
                    "INSERT INTO record_history ({HISTORY_COLUMNS}) VALUES ({head}, {}, {rest})",
                    json(8)
                ),
                vec![
                    Uuid::now_v7().into(),
                    org.into(),
                    kind.into(),
                    id.into(),
                    "created".into(),
                    Some(user).into(),
                    None::<Uuid>.into(),
                    changes.into(),
                    now.into(),
                ],
            ),
            st(
                // SQLite's feed order is `seq`, which the server's insert numbers (audit.rs).
                match b {
                    DbBackend::Sqlite => format!(
                        "INSERT INTO outbox_events ({OUTBOX_COLUMNS}, seq) VALUES ({head}, {}, \
                         {rest}, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox_events))",
                        json(8)
                    ),
                    _ => format!(
                        "INSERT INTO outbox_events ({OUTBOX_COLUMNS}) VALUES ({head}, {}, {rest})",
                        json(8)
                    ),
                },
                vec![
                    Uuid::now_v7().into(),
                    org.into(),
                    format!("{kind}.created").into(),
                    kind.into(),
                    id.into(),
                    Some(user).into(),
                    None::<Uuid>.into(),
                    event.into(),
                    now.into(),
                ],
            ),
        ]
    };
    let (cid, aid, now) = (Uuid::now_v7(), Uuid::now_v7(), Utc::now());
    let email = format!("s8-{cid}@bench.test");
    let tx = crm_core::db::begin_write(db).await.map_err(err)?;
    tx.execute_raw(st(
        format!(
            "INSERT INTO contacts ({CONTACT_COLUMNS}) VALUES ({}, '{{}}', '[]', '{{}}', {})",
            marks(4),
            (5..=8).map(|i| p(b, i)).collect::<Vec<_>>().join(", ")
        ),
        vec![
            cid.into(),
            org.into(),
            "Bench".into(),
            email.clone().into(),
            "bench".into(),
            1i64.into(),
            now.into(),
            now.into(),
        ],
    ))
    .await
    .map_err(err)?;
    for s in audit_rows("contact", cid, &a.contact_changes, &a.contact_event) {
        tx.execute_raw(s).await.map_err(err)?;
    }
    tx.commit().await.map_err(err)?;
    let tx = crm_core::db::begin_write(db).await.map_err(err)?;
    tx.query_one_raw(st(
        format!(
            "SELECT id, company_id FROM contacts WHERE org_id = {} AND lower(email) = {} \
             AND deleted_at IS NULL ORDER BY updated_at DESC LIMIT 1",
            p(b, 1),
            p(b, 2)
        ),
        vec![org.into(), email.into()],
    ))
    .await
    .map_err(err)?
    .ok_or("the contact just written is not there")?;
    tx.execute_raw(st(
        format!(
            "INSERT INTO activities ({ACTIVITY_COLUMNS}) VALUES ({}, '[]', '[]', {})",
            marks(7),
            (8..=10).map(|i| p(b, i)).collect::<Vec<_>>().join(", ")
        ),
        vec![
            aid.into(),
            org.into(),
            "call".into(),
            "phone".into(),
            "hello".into(),
            now.into(),
            cid.into(),
            1i64.into(),
            now.into(),
            now.into(),
        ],
    ))
    .await
    .map_err(err)?;
    tx.execute_raw(st(
        format!(
            "INSERT INTO activity_links ({LINK_COLUMNS}) VALUES ({})",
            marks(9)
        ),
        vec![
            org.into(),
            aid.into(),
            "contact".into(),
            cid.into(),
            "about".into(),
            now.into(),
            "call".into(),
            "phone".into(),
            false.into(),
        ],
    ))
    .await
    .map_err(err)?;
    for s in audit_rows("activity", aid, &a.activity_changes, &a.activity_event) {
        tx.execute_raw(s).await.map_err(err)?;
    }
    tx.commit().await.map_err(err)
}

/// S10: many connections, mixed reads (main organization) and writes (second one): no errors,
/// nothing lost. The notes of this run carry a marker, so that they are counted apart from
/// those of earlier runs on the same data.
pub(crate) async fn s10(env: &Env, server: &Server) -> Result<Row, String> {
    let marker = format!("s10 {}", Uuid::now_v7().simple());
    // The peak is S10's own; what earlier scenarios left resident is reported beside it.
    let before = server.memory_kb().map(|(rss, _)| rss);
    let reset = server.reset_peak();
    let (c, w) = (env.admin.clone(), env.writer.clone());
    let acknowledged = Rc::new(std::cell::Cell::new(0u64));
    let acks = acknowledged.clone();
    let body = marker.clone();
    let mut s10 = load::run(200, env.o.duration, move |wk, i| {
        let (c, w, acks, body) = (c.clone(), w.clone(), acks.clone(), body.clone());
        async move {
            if i % 5 == 0 {
                let ids = &w.data.writer_contact_ids;
                let b = w
                    .post_json(
                        "/api/v1/activities",
                        json!({"kind": "note", "contact_id": ids[wk % ids.len()], "body": body}),
                    )
                    .await?;
                b["id"].as_str().ok_or_else(|| "no id".to_owned())?;
                acks.set(acks.get() + 1);
                Ok(())
            } else {
                let id = c.data.contact_ids[(wk * 31 + i as usize) % c.data.contact_ids.len()];
                c.get(&format!("/api/v1/contacts/{id}")).await.map(|_| ())
            }
        }
    })
    .await;
    let b = env.db.get_database_backend();
    let written = sql(
        &env.db,
        &format!(
            "SELECT id FROM activities WHERE org_id = {} AND body = {}",
            p(b, 1),
            p(b, 2)
        ),
        vec![env.data.writer_org_id.into(), marker.into()],
    )
    .await?;
    let (memory, memory_met) = match server.memory_kb() {
        Some((rss, peak)) => (
            format!(
                "server RSS {} kB before S10, {rss} kB after, peak {peak} kB {} (target < 200 MB)",
                before.unwrap_or(0),
                if reset {
                    "during S10"
                } else {
                    "since the start"
                }
            ),
            peak < 200 * 1024,
        ),
        None => (
            "server memory not measured (in-process server)".into(),
            true,
        ),
    };
    let acknowledged = acknowledged.get();
    if (written as u64) < acknowledged {
        s10.errors += 1;
        s10.first_error.get_or_insert(format!(
            "lost writes: {acknowledged} acknowledged, {written} stored"
        ));
    }
    Ok(Row {
        name: "S10 200 connections, mixed",
        api: s10,
        pgbench: None,
        driver: Default::default(),
        target: 0.0,
        other_targets_met: memory_met,
        note: format!("{written} notes stored, {acknowledged} acknowledged; {memory}"),
    })
}
