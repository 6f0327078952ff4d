//! A real browser (headless Chromium) against the real server: a page on another origin signs
//! in, reads `/api/v1/me`, writes with `Idempotency-Key` and `If-Match`, queries GraphQL and
//! reads the exposed headers, all cross-origin with `fetch`; and GraphiQL mounts with every
//! request outside loopback failing (so nothing may come from a CDN).
//!
//! Skipped, with a message, when Chromium is not installed, unless `CRM_TEST_REQUIRE_BROWSER=1`
//! (set by `scripts/test`), which makes a missing browser a failure.

use crm_tests::{Backend, PASSWORD, TestApp};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Chromium to run: `CRM_TEST_CHROMIUM`, else the first of the usual names on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("CRM_TEST_CHROMIUM") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// Chromium, or `None` (test skipped) when it is missing and not required.
fn browser_or_skip(test: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        let required =
            std::env::var("CRM_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1" || v == "true");
        assert!(
            !required,
            "CRM_TEST_REQUIRE_BROWSER=1 but no Chromium found (run scripts/ensure-chromium)"
        );
        eprintln!(
            "skipped {test}: Chromium is not installed (scripts/ensure-chromium installs it)"
        );
    }
    found
}

/// Loads `url` in headless Chromium, lets its scripts run (up to 20 s of virtual time) and
/// returns the DOM it ends with. Every host but 127.0.0.1 fails to resolve.
async fn dump_dom(chromium: PathBuf, url: String) -> String {
    tokio::task::spawn_blocking(move || {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(&chromium)
            .args([
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=20000",
                "--dump-dom",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(&url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let dom = out.join().unwrap_or_default();
        let log = err.join().unwrap_or_default();
        assert!(
            status.is_some_and(|s| s.success()),
            "chromium failed or timed out on {url}: {status:?}\n{log}"
        );
        dom
    })
    .await
    .expect("chromium task")
}

/// A one-page static server on its own loopback port (another origin than the API): answers
/// every request with `page` until the test ends.
fn serve_page(listener: TcpListener, page: String) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                page.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(page.as_bytes());
        }
    });
}

/// The page of the front end: every call cross-origin, results written into `#result`.
fn front_end(api: &str, email: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>front end</title><link rel="icon" href="data:,"></head>
<body><pre id="result">pending</pre>
<script>
const api = {api:?};
const out = {{}};
async function run() {{
  let r = await fetch(api + "/api/v1/auth/login", {{
    method: "POST",
    headers: {{ "content-type": "application/json", "x-request-id": "browser-login-1" }},
    body: JSON.stringify({{ email: {email:?}, password: {PASSWORD:?} }}),
  }});
  out.login = {{ status: r.status, requestId: r.headers.get("x-request-id") }};
  const token = (await r.json()).access_token;
  const auth = {{ authorization: "Bearer " + token }};

  r = await fetch(api + "/api/v1/me", {{ headers: auth }});
  out.me = {{ status: r.status, email: (await r.json()).user.email, requestId: r.headers.get("x-request-id") }};

  const body = JSON.stringify({{ first_name: "Browser", email: "browser@example.test" }});
  const create = () => fetch(api + "/api/v1/contacts", {{
    method: "POST",
    headers: {{ ...auth, "content-type": "application/json", "idempotency-key": "browser-create-1" }},
    body,
  }});
  r = await create();
  const created = await r.json();
  out.create = {{ status: r.status, location: r.headers.get("location"), etag: r.headers.get("etag") }};
  r = await create();
  out.replay = {{ status: r.status, replayed: r.headers.get("idempotent-replayed"), id: (await r.json()).id === created.id }};

  r = await fetch(api + "/api/v1/contacts/" + created.id, {{
    method: "PATCH",
    headers: {{ ...auth, "content-type": "application/merge-patch+json", "if-match": out.create.etag }},
    body: JSON.stringify({{ last_name: "Tested" }}),
  }});
  out.patch = {{ status: r.status, etag: r.headers.get("etag"), lastName: (await r.json()).last_name }};
  r = await fetch(api + "/api/v1/contacts/" + created.id, {{
    method: "PATCH",
    headers: {{ ...auth, "content-type": "application/json", "if-match": out.create.etag }},
    body: JSON.stringify({{ last_name: "Stale" }}),
  }});
  out.stale = {{ status: r.status, code: (await r.json()).code }};

  r = await fetch(api + "/api/v1/contacts/" + created.id, {{
    headers: {{ ...auth, "if-none-match": out.patch.etag }}, cache: "no-store",
  }});
  out.conditional = {{ status: r.status }};

  r = await fetch(api + "/graphql", {{
    method: "POST",
    headers: {{ ...auth, "content-type": "application/json", "x-request-id": "browser-graphql-1" }},
    body: JSON.stringify({{ query: "query($id: ID!) {{ me {{ role }} contact(id: $id) {{ lastName version }} }}", variables: {{ id: created.id }} }}),
  }});
  const gql = await r.json();
  out.graphql = {{ status: r.status, role: gql.data.me.role, lastName: gql.data.contact.lastName, requestId: r.headers.get("x-request-id") }};

  r = await fetch(api + "/api/v1/contacts/0190a0a0-0000-7000-8000-000000000000", {{ headers: auth }});
  const problem = await r.json();
  out.missing = {{ status: r.status, code: problem.code, sameId: problem.request_id === r.headers.get("x-request-id") }};
}}
run().catch((e) => {{ out.error = String(e); }}).finally(() => {{
  document.getElementById("result").textContent = JSON.stringify(out);
}});
</script></body></html>
"#
    )
}

/// The JSON a page wrote into `<pre id="result">`.
fn result_of(dom: &str) -> Value {
    let start = dom
        .find("<pre id=\"result\">")
        .map(|i| i + "<pre id=\"result\">".len());
    let text = start
        .and_then(|s| dom[s..].split("</pre>").next())
        .unwrap_or("");
    let text = text
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("no result in the page ({e}):\n{dom}"))
}

async fn cross_origin_front_end(backend: Backend) {
    let Some(chromium) = browser_or_skip("cross_origin_front_end") else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let allowed = origin.clone();
    let Some(app) = TestApp::start_with(backend, move |c| c.cors_origins = vec![allowed]).await
    else {
        return;
    };
    let admin = app.signup("Acme", "ann@acme.test").await;
    serve_page(listener, front_end(&app.base, &admin.email));

    let dom = dump_dom(chromium, format!("{origin}/")).await;
    let out = result_of(&dom);
    assert!(out.get("error").is_none(), "the page failed: {out}");
    assert_eq!(out["login"]["status"], 200, "{out}");
    assert_eq!(
        out["login"]["requestId"], "browser-login-1",
        "X-Request-Id readable: {out}"
    );
    assert_eq!(out["me"]["status"], 200);
    assert_eq!(out["me"]["email"], "ann@acme.test");
    assert!(
        out["me"]["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{out}"
    );
    assert_eq!(out["create"]["status"], 201);
    assert!(
        out["create"]["location"]
            .as_str()
            .is_some_and(|l| l.contains("/api/v1/contacts/")),
        "Location readable: {out}"
    );
    assert_eq!(out["create"]["etag"], "\"1\"", "ETag readable: {out}");
    assert_eq!(out["replay"]["status"], 201);
    assert_eq!(
        out["replay"]["replayed"], "true",
        "Idempotent-Replayed readable: {out}"
    );
    assert_eq!(out["replay"]["id"], true);
    assert_eq!(
        out["patch"]["status"], 200,
        "PATCH with If-Match preflighted: {out}"
    );
    assert_eq!(out["patch"]["etag"], "\"2\"");
    assert_eq!(out["patch"]["lastName"], "Tested");
    assert_eq!(out["stale"]["status"], 412);
    assert_eq!(out["stale"]["code"], "precondition_failed");
    assert_eq!(
        out["conditional"]["status"], 304,
        "If-None-Match from a script: {out}"
    );
    assert_eq!(out["graphql"]["status"], 200);
    assert_eq!(out["graphql"]["role"], "ADMIN");
    assert_eq!(out["graphql"]["lastName"], "Tested");
    assert_eq!(out["graphql"]["requestId"], "browser-graphql-1");
    assert_eq!(out["missing"]["status"], 404);
    assert_eq!(out["missing"]["code"], "not_found");
    assert_eq!(out["missing"]["sameId"], true);
    app.finish().await;
}

#[actix_rt::test]
async fn cross_origin_front_end_sqlite() {
    cross_origin_front_end(Backend::Sqlite).await;
}

#[actix_rt::test]
async fn cross_origin_front_end_postgres() {
    cross_origin_front_end(Backend::Postgres).await;
}

/// The same page from an origin the server does not list: the browser refuses every answer.
#[actix_rt::test]
async fn unlisted_origin_is_refused_by_the_browser() {
    let Some(chromium) = browser_or_skip("unlisted_origin_is_refused_by_the_browser") else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let Some(app) = TestApp::start_with(Backend::Sqlite, |c| {
        c.cors_origins = vec!["http://app.test:3000".to_owned()]
    })
    .await
    else {
        return;
    };
    let admin = app.signup("Acme", "ann@acme.test").await;
    serve_page(listener, front_end(&app.base, &admin.email));
    let out = result_of(&dump_dom(chromium, format!("{origin}/")).await);
    assert!(
        out["error"]
            .as_str()
            .is_some_and(|e| e.contains("Failed to fetch")),
        "{out}"
    );
    assert!(out.get("login").is_none(), "{out}");
    app.finish().await;
}

#[actix_rt::test]
async fn graphiql_renders_offline() {
    let Some(chromium) = browser_or_skip("graphiql_renders_offline") else {
        return;
    };
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let dom = dump_dom(chromium, format!("{}/graphql", app.base)).await;
    assert!(
        dom.contains("graphiql-container"),
        "GraphiQL did not mount:\n{dom}"
    );
    assert!(!dom.contains(">Loading...<"), "{dom}");
    app.finish().await;
}
