//! `kill -9` during concurrent writes loses nothing that was acknowledged: the real `crm` binary
//! runs as its own process (on a fresh SQLite file, or a fresh PostgreSQL database), 8 writers
//! create contacts and activities on them for about 2 s, the process gets SIGKILL while requests
//! are in flight, and after a restart on the same database every record answered 201 is there
//! with the content it was acknowledged with. Twice in a row.
//!
//! The binary is found (or built) by [`crm_tests::process::crm_binary`].

use crm_tests::openapi_walk::try_send;
use crm_tests::process::ServerProcess;
use crm_tests::{Backend, PASSWORD, drop_database, fresh_database};
use serde_json::{Value, json};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const ADMIN: &str = "admin@localhost";
const WRITERS: usize = 8;
const ROUNDS: usize = 2;

async fn start(url: &str, dir: &Path) -> ServerProcess {
    ServerProcess::start(url, dir, &[("CRM_LOGIN_ATTEMPTS_PER_MINUTE", "1000")]).await
}

async fn login(base: &str) -> String {
    let body = serde_json::to_vec(&json!({"email": ADMIN, "password": PASSWORD})).expect("json");
    let res = try_send(
        base,
        "POST",
        "/api/v1/auth/login",
        &[("content-type", "application/json")],
        body,
    )
    .await
    .expect("login answered");
    assert_eq!(res.status, 200, "login: {}", res.text());
    res.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn post(
    base: &str,
    token: &str,
    path: &str,
    body: &Value,
) -> Result<crm_tests::Resp, String> {
    let auth = format!("Bearer {token}");
    let bytes = serde_json::to_vec(body).expect("json");
    try_send(
        base,
        "POST",
        path,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        bytes,
    )
    .await
}

/// The acknowledged records: `(resource, id)` -> the fields the 201 answered.
type Acked = BTreeMap<(String, String), Value>;

/// The body of a 201 to `POST path`; `None` once the server is gone (after the kill) or on any
/// other answer (recorded in `errors`).
async fn acknowledged(
    base: &str,
    token: &str,
    path: &str,
    body: &Value,
    w: usize,
    killed: &Cell<bool>,
    errors: &RefCell<Vec<String>>,
) -> Option<Value> {
    let res = match post(base, token, path, body).await {
        Ok(r) => r,
        Err(_) if killed.get() => return None,
        Err(e) => {
            errors
                .borrow_mut()
                .push(format!("writer {w} before the kill: {e}"));
            return None;
        }
    };
    if res.status != 201 {
        errors
            .borrow_mut()
            .push(format!("writer {w}: {path} {} {}", res.status, res.text()));
        return None;
    }
    Some(res.json())
}

/// One writer: contacts, each with an activity, until the server dies.
async fn writer(
    base: &str,
    token: &str,
    round: usize,
    w: usize,
    killed: &Cell<bool>,
    acked: &RefCell<Acked>,
    errors: &RefCell<Vec<String>>,
) {
    for i in 0.. {
        let contact = json!({"first_name": format!("W{w}"), "last_name": format!("R{round}-{i}"), "email": format!("w{w}-r{round}-{i}@crash.test")});
        let Some(c) =
            acknowledged(base, token, "/api/v1/contacts", &contact, w, killed, errors).await
        else {
            return;
        };
        let id = c["id"].as_str().expect("id").to_owned();
        acked.borrow_mut().insert(("contacts".into(), id.clone()), json!({"first_name": c["first_name"], "last_name": c["last_name"], "email": c["email"], "version": c["version"]}));
        let activity = json!({"kind": "note", "subject": format!("note {w}-{round}-{i}"), "body": "acknowledged", "contact_id": id});
        let Some(a) = acknowledged(
            base,
            token,
            "/api/v1/activities",
            &activity,
            w,
            killed,
            errors,
        )
        .await
        else {
            return;
        };
        acked.borrow_mut().insert(("activities".into(), a["id"].as_str().expect("id").to_owned()), json!({"subject": a["subject"], "body": a["body"], "contact_id": a["contact_id"], "kind": a["kind"]}));
    }
}

/// Every record of `resource`, by id, walking the pages.
async fn all(base: &str, token: &str, resource: &str) -> BTreeMap<String, Value> {
    let auth = format!("Bearer {token}");
    let mut out = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/{resource}?limit=100&cursor={c}"),
            None => format!("/api/v1/{resource}?limit=100"),
        };
        let res = try_send(base, "GET", &path, &[("authorization", &auth)], Vec::new())
            .await
            .expect("list answered");
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        let page = res.json();
        for r in page["data"].as_array().expect("data") {
            out.insert(r["id"].as_str().expect("id").to_owned(), r.clone());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// Every acknowledged record is there with the acknowledged fields.
async fn verify(base: &str, acked: &Acked) -> Vec<String> {
    let token = login(base).await;
    let mut stored = BTreeMap::new();
    for resource in ["contacts", "activities"] {
        stored.insert(resource, all(base, &token, resource).await);
    }
    let mut missing = Vec::new();
    for ((resource, id), fields) in acked {
        let Some(record) = stored[resource.as_str()].get(id) else {
            missing.push(format!("acknowledged {resource} {id} is gone"));
            continue;
        };
        for (k, v) in fields.as_object().expect("fields") {
            if &record[k] != v {
                missing.push(format!(
                    "{resource} {id}: {k} is {}, acknowledged {v}",
                    record[k]
                ));
            }
        }
    }
    missing
}

async fn crash_and_restart(url: &str, dir: &Path) {
    let mut server = start(url, dir).await;
    let acked = RefCell::new(Acked::new());
    let errors = RefCell::new(Vec::new());
    for round in 0..ROUNDS {
        let token = login(&server.base).await;
        let killed = Cell::new(false);
        let cell = RefCell::new(server);
        let base = cell.borrow().base.clone();
        let before = acked.borrow().len();
        let writers =
            (0..WRITERS).map(|w| writer(&base, &token, round, w, &killed, &acked, &errors));
        let killer = async {
            actix_rt::time::sleep(Duration::from_secs(2)).await;
            cell.borrow_mut().kill9();
            killed.set(true);
        };
        futures_util::future::join(futures_util::future::join_all(writers), killer).await;
        let dead = cell.into_inner();
        let written = acked.borrow().len() - before;
        assert!(
            errors.borrow().is_empty(),
            "writers failed: {:?}",
            errors.borrow()
        );
        assert!(
            written >= 2 * WRITERS,
            "round {round}: only {written} acknowledged writes in 2 s"
        );
        drop(dead);
        server = start(url, dir).await;
        let so_far = acked.borrow().clone();
        let lost = verify(&server.base, &so_far).await;
        eprintln!(
            "round {round}: {written} writes acknowledged before SIGKILL, {} in all, {} lost",
            acked.borrow().len(),
            lost.len()
        );
        assert!(
            lost.is_empty(),
            "round {round}: {} of {} acknowledged records lost or changed:\n{}",
            lost.len(),
            acked.borrow().len(),
            lost.join("\n")
        );
    }
}

async fn run(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((url, pg)) = fresh_database(backend, dir.path()).await else {
        return;
    };
    let outcome = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
        crash_and_restart(&url, dir.path()),
    ))
    .await;
    if let Some(pg) = pg {
        drop_database(pg).await;
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[actix_rt::test]
async fn sqlite_keeps_every_acknowledged_write_through_kill_9() {
    run(Backend::Sqlite).await;
}

#[actix_rt::test]
async fn postgres_keeps_every_acknowledged_write_through_kill_9() {
    run(Backend::Postgres).await;
}
