//! What a browser front end and integrators' HTTP tools rely on (issue #11, API.md "What
//! integrators' tools need"): CORS for configured origins, compression by `Accept-Encoding`,
//! `If-None-Match` -> 304, `HEAD` on every `GET` route, `Allow` on 405, the `/docs` redirect and
//! GraphiQL served from the binary.

use crm_tests::{Resp, dual};
use serde_json::{Value, json};
use std::io::Read;

const APP: &str = "http://app.test:3000";
const OTHER: &str = "http://localhost:5173";
const EVIL: &str = "http://evil.test";

/// The comma-separated items of a header, lowercased (header names and methods compare so).
fn items(res: &Resp, name: &str) -> Vec<String> {
    res.header(name)
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

#[track_caller]
fn assert_lists(res: &Resp, name: &str, expected: &[&str]) {
    let got = items(res, name);
    for want in expected {
        assert!(
            got.contains(&want.to_ascii_lowercase()),
            "{name} lacks {want}: {got:?}"
        );
    }
}

/// A preflight as a browser sends it before a cross-origin `method` with `headers`.
async fn preflight(
    app: &crm_tests::TestApp,
    path: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> Resp {
    app.raw(
        "OPTIONS",
        path,
        &[
            ("origin", origin),
            ("access-control-request-method", method),
            ("access-control-request-headers", headers),
        ],
        Vec::new(),
    )
    .await
}

const REQUEST_HEADERS: &str =
    "authorization,content-type,idempotency-key,if-match,if-none-match,x-request-id";
const EXPOSED: [&str; 7] = [
    "etag",
    "location",
    "x-request-id",
    "ratelimit",
    "ratelimit-policy",
    "retry-after",
    "idempotent-replayed",
];

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

async fn contact(app: &crm_tests::TestApp, token: &str, n: usize) -> Value {
    app.post(
        "/api/v1/contacts",
        Some(token),
        json!({
            "first_name": format!("Person{n}"),
            "last_name": "Compressible",
            "email": format!("person{n}@example.test"),
            "tags": ["lead", "newsletter", "trade-show-2025"],
        }),
    )
    .await
    .ok(201)
}

dual! {
    #[config(|c| c.cors_origins = vec![APP.to_owned(), OTHER.to_owned()])]
    async fn cors_answers_configured_origins_only(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;

        // Preflight on REST and on GraphQL, for each configured origin.
        for (path, method, origin) in [
            ("/api/v1/contacts/0190a0a0-0000-7000-8000-000000000000", "PATCH", APP),
            ("/api/v1/contacts", "POST", OTHER),
            ("/api/v1/contacts/0190a0a0-0000-7000-8000-000000000000", "DELETE", APP),
            ("/graphql", "POST", APP),
        ] {
            let res = preflight(app, path, origin, method, REQUEST_HEADERS).await;
            assert!((200..300).contains(&res.status), "{path}: {} {}", res.status, res.text());
            assert_eq!(res.header("access-control-allow-origin").as_deref(), Some(origin), "{path}");
            assert_lists(&res, "access-control-allow-methods", &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);
            assert_lists(&res, "access-control-allow-headers", &REQUEST_HEADERS.split(',').collect::<Vec<_>>());
            assert!(res.header("access-control-allow-credentials").is_none(), "no credentials");
            assert!(res.header("access-control-max-age").is_some());
            assert_lists(&res, "vary", &["origin"]);
        }

        // The actual requests carry the origin and expose the headers a front end reads,
        // on success, on errors (the problem document stays readable) and on a routing 405.
        let origin = [("origin", APP)];
        let auth = format!("Bearer {}", s.token);
        let ok = app.raw("GET", "/api/v1/me", &[("origin", APP), ("authorization", &auth)], Vec::new()).await;
        ok.ok(200);
        assert_eq!(ok.header("access-control-allow-origin").as_deref(), Some(APP));
        assert_lists(&ok, "access-control-expose-headers", &EXPOSED);
        let unauthenticated = app.raw("GET", "/api/v1/me", &origin, Vec::new()).await;
        unauthenticated.problem(401, "unauthenticated");
        assert_eq!(unauthenticated.header("access-control-allow-origin").as_deref(), Some(APP));
        let not_allowed = app.raw("DELETE", "/api/v1/me", &origin, Vec::new()).await;
        not_allowed.problem(405, "method_not_allowed");
        assert_eq!(not_allowed.header("access-control-allow-origin").as_deref(), Some(APP));
        assert_lists(&not_allowed, "access-control-expose-headers", &EXPOSED);
        let graphql = app
            .raw("POST", "/graphql", &[("origin", OTHER), ("authorization", &auth), ("content-type", "application/json")],
                br#"{"query":"{ me { role } }"}"#.to_vec())
            .await;
        assert_eq!(graphql.ok(200)["data"]["me"]["role"], "ADMIN");
        assert_eq!(graphql.header("access-control-allow-origin").as_deref(), Some(OTHER));

        // Another origin: no Access-Control-Allow-Origin anywhere, so the browser refuses; the
        // refused preflight is a problem document; a plain request is served as to any client.
        for res in [
            preflight(app, "/api/v1/contacts", EVIL, "POST", "content-type").await,
            preflight(app, "/graphql", "http://app.test:3001", "POST", "content-type").await,
        ] {
            res.problem(400, "malformed_request");
            assert!(res.header("access-control-allow-origin").is_none());
        }
        let plain = app.raw("GET", "/api/v1/me", &[("origin", EVIL), ("authorization", &auth)], Vec::new()).await;
        plain.ok(200);
        assert!(plain.header("access-control-allow-origin").is_none());
        // An allowed origin asking for a header or method outside the lists is refused too.
        let res = preflight(app, "/api/v1/contacts", APP, "POST", "x-secret-header").await;
        assert!(res.status >= 400 && res.header("access-control-allow-origin").is_none(), "{}", res.status);
        let res = preflight(app, "/api/v1/contacts", APP, "TRACE", "content-type").await;
        assert!(res.status >= 400 && res.header("access-control-allow-origin").is_none(), "{}", res.status);
    }

    async fn no_cors_headers_without_configured_origins(app: &TestApp) {
        let res = app.raw("GET", "/livez", &[("origin", APP)], Vec::new()).await;
        res.ok(200);
        for name in ["access-control-allow-origin", "access-control-expose-headers", "vary"] {
            assert!(res.header(name).is_none(), "{name}: {:?}", res.header(name));
        }
        // A preflight is just an OPTIONS request then: 405, with Allow, no CORS header.
        let res = preflight(app, "/api/v1/contacts", APP, "POST", "content-type").await;
        res.problem(405, "method_not_allowed");
        assert!(res.header("access-control-allow-origin").is_none());
        assert_lists(&res, "allow", &["GET", "HEAD", "POST"]);
    }

    #[config(|c| c.cors_origins = vec!["*".to_owned()])]
    async fn cors_wildcard_allows_any_origin_without_credentials(app: &TestApp) {
        let res = preflight(app, "/api/v1/auth/login", "https://anything.example", "POST", "content-type").await;
        assert!((200..300).contains(&res.status), "{}", res.status);
        assert_eq!(res.header("access-control-allow-origin").as_deref(), Some("*"));
        assert!(res.header("access-control-allow-credentials").is_none());
        let res = app.raw("GET", "/livez", &[("origin", "https://else.example")], Vec::new()).await;
        assert_eq!(res.header("access-control-allow-origin").as_deref(), Some("*"));
        assert_lists(&res, "access-control-expose-headers", &EXPOSED);
    }

    async fn responses_are_compressed_as_accept_encoding_asks(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        for n in 0..30 {
            contact(app, &s.token, n).await;
        }
        let auth = format!("Bearer {}", s.token);
        let path = "/api/v1/contacts?limit=100";
        let plain = app.raw("GET", path, &[("authorization", &auth)], Vec::new()).await;
        let listed = plain.ok(200);
        assert_eq!(listed["data"].as_array().unwrap().len(), 30);
        assert!(plain.header("content-encoding").is_none(), "plain unless asked");
        assert!(plain.body.len() > 8 * 1024, "a large list: {} bytes", plain.body.len());

        let gz = app.raw("GET", path, &[("authorization", &auth), ("accept-encoding", "gzip")], Vec::new()).await;
        assert_eq!(gz.status, 200);
        assert_eq!(gz.header("content-encoding").as_deref(), Some("gzip"));
        assert_lists(&gz, "vary", &["accept-encoding"]);
        assert!(gz.body.len() * 4 < plain.body.len(), "{} vs {}", gz.body.len(), plain.body.len());
        let unzipped: Value = serde_json::from_slice(&gunzip(&gz.body)).unwrap();
        assert_eq!(unzipped, listed);

        for (asked, answered) in [("br", "br"), ("zstd", "zstd"), ("identity", ""), ("br;q=0, gzip;q=0.5", "gzip")] {
            let res = app.raw("GET", path, &[("authorization", &auth), ("accept-encoding", asked)], Vec::new()).await;
            assert_eq!(res.status, 200);
            assert_eq!(res.header("content-encoding").unwrap_or_default(), answered, "{asked}");
            if answered.is_empty() {
                assert_eq!(res.json(), listed);
            } else {
                assert!(res.body.len() * 4 < plain.body.len(), "{asked}");
            }
        }
        // Errors are compressed too, and stay problem documents.
        let res = app.raw("GET", "/api/v1/nope", &[("accept-encoding", "gzip")], Vec::new()).await;
        assert_eq!(res.status, 404);
        assert_eq!(res.header("content-type").as_deref(), Some("application/problem+json"));
        let body: Value = serde_json::from_slice(&gunzip(&res.body)).unwrap();
        assert_eq!(body["code"], "not_found");
    }

    async fn if_none_match_answers_304_without_body(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let auth = format!("Bearer {}", s.token);
        let id = contact(app, &s.token, 1).await["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/contacts/{id}");
        let full = app.get(&path, Some(&s.token)).await;
        full.ok(200);
        let etag = full.header("etag").expect("an ETag");
        assert_eq!(etag, "\"1\"");

        for condition in [etag.as_str(), "W/\"1\"", "\"0\", \"1\"", "*"] {
            let res = app.raw("GET", &path, &[("authorization", &auth), ("if-none-match", condition)], Vec::new()).await;
            assert_eq!(res.status, 304, "{condition}: {}", res.text());
            assert!(res.body.is_empty(), "{condition}");
            assert_eq!(res.header("etag").as_deref(), Some(etag.as_str()));
            assert!(res.header("x-request-id").is_some());
            assert!(res.header("content-type").is_none());
            // HEAD too, and compression does not get in the way.
            let head = app.raw("HEAD", &path, &[("authorization", &auth), ("if-none-match", condition), ("accept-encoding", "gzip")], Vec::new()).await;
            assert_eq!(head.status, 304, "HEAD {condition}");
        }
        // Not the current version: the full record.
        for condition in ["\"0\"", "\"11\"", "1"] {
            let res = app.raw("GET", &path, &[("authorization", &auth), ("if-none-match", condition)], Vec::new()).await;
            assert_eq!(res.ok(200)["id"], id.as_str(), "{condition}");
        }
        // After a change the old ETag no longer matches.
        app.patch(&path, Some(&s.token), json!({"first_name": "Changed"})).await.ok(200);
        let res = app.raw("GET", &path, &[("authorization", &auth), ("if-none-match", &etag)], Vec::new()).await;
        assert_eq!(res.ok(200)["first_name"], "Changed");
        assert_eq!(res.header("etag").as_deref(), Some("\"2\""));
        // Errors are never 304, and If-None-Match does not turn writes into 304s.
        app.raw("GET", &format!("/api/v1/contacts/{}", uuid::Uuid::now_v7()), &[("authorization", &auth), ("if-none-match", "*")], Vec::new())
            .await
            .problem(404, "not_found");
        let res = app.raw("PATCH", &path, &[("authorization", &auth), ("if-none-match", "\"2\""), ("content-type", "application/json")], br#"{"last_name":"X"}"#.to_vec()).await;
        assert_eq!(res.ok(200)["last_name"], "X");

        // Every GET that sends an ETag: a company, a deal's pipeline, an embedded asset.
        let company = app.post("/api/v1/companies", Some(&s.token), json!({"name": "Globex"})).await.ok(201);
        let path = format!("/api/v1/companies/{}", company["id"].as_str().unwrap());
        let res = app.raw("GET", &path, &[("authorization", &auth), ("if-none-match", "\"1\"")], Vec::new()).await;
        assert_eq!(res.status, 304);
        let asset = "/graphql/assets/graphiql-4.1.2.min.css";
        let etag = app.get(asset, None).await.header("etag").expect("assets have ETags");
        let res = app.raw("GET", asset, &[("if-none-match", &etag)], Vec::new()).await;
        assert_eq!(res.status, 304);
        assert!(res.body.is_empty());
        assert!(res.header("cache-control").unwrap().contains("immutable"));
    }

    async fn head_answers_every_get_route_without_body(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let auth = format!("Bearer {}", s.token);
        let id = contact(app, &s.token, 1).await["id"].as_str().unwrap().to_owned();
        for path in [
            format!("/api/v1/contacts/{id}"),
            "/api/v1/contacts?limit=5".to_owned(),
            format!("/api/v1/contacts/{id}/history"),
            format!("/api/v1/contacts/{id}/timeline"),
            "/api/v1/me".to_owned(),
            "/livez".to_owned(),
            "/openapi.json".to_owned(),
            "/errors/not_found".to_owned(),
            "/graphql".to_owned(),
            "/graphql/assets/react-18.3.1.production.min.js".to_owned(),
            "/docs/".to_owned(),
        ] {
            let get = app.raw("GET", &path, &[("authorization", &auth)], Vec::new()).await;
            let head = app.raw("HEAD", &path, &[("authorization", &auth)], Vec::new()).await;
            assert_eq!(get.status, 200, "GET {path}: {}", get.text());
            assert_eq!(head.status, 200, "HEAD {path}");
            assert!(head.body.is_empty(), "HEAD {path} has a body");
            for name in ["content-type", "etag", "cache-control", "location"] {
                assert_eq!(head.header(name), get.header(name), "{name} of HEAD {path}");
            }
            if let Some(length) = head.header("content-length") {
                assert_eq!(length, get.body.len().to_string(), "content-length of HEAD {path}");
            }
            assert!(head.header("x-request-id").is_some());
        }
        // HEAD of what GET refuses is refused alike, without a body.
        let res = app.raw("HEAD", "/api/v1/me", &[], Vec::new()).await;
        assert_eq!(res.status, 401);
        assert!(res.body.is_empty());
        let res = app.raw("HEAD", "/api/v1/nope", &[], Vec::new()).await;
        assert_eq!(res.status, 404);
        // No GET, no HEAD: a POST-only path answers 405 listing POST.
        let res = app.raw("HEAD", "/api/v1/auth/login", &[], Vec::new()).await;
        assert_eq!(res.status, 405);
        assert_eq!(items(&res, "allow"), ["post"]);
    }

    async fn method_not_allowed_lists_the_allowed_methods(app: &TestApp) {
        let s = app.signup("Acme", "ann@acme.test").await;
        let id = contact(app, &s.token, 1).await["id"].as_str().unwrap().to_owned();
        for (method, path, allowed) in [
            ("DELETE", "/api/v1/me".to_owned(), vec!["get", "head"]),
            ("PUT", format!("/api/v1/contacts/{id}"), vec!["get", "head", "patch", "delete"]),
            ("DELETE", "/api/v1/contacts".to_owned(), vec!["get", "head", "post"]),
            ("GET", "/api/v1/auth/login".to_owned(), vec!["post"]),
            ("POST", "/livez".to_owned(), vec!["get", "head"]),
            ("PATCH", "/graphql".to_owned(), vec!["post", "get", "head"]),
        ] {
            let res = app.call(method, &path, Some(&s.token), None).await;
            let body = res.problem(405, "method_not_allowed");
            assert!(body["detail"].as_str().unwrap().contains(method), "{body}");
            let mut got = items(&res, "allow");
            let mut want: Vec<String> = allowed.iter().map(|m| (*m).to_owned()).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "Allow of {method} {path}");
        }
    }

    async fn docs_redirect_and_graphiql_is_served_from_the_binary(app: &TestApp) {
        let res = app.get("/docs", None).await;
        assert!(res.status == 308 || res.status == 301, "{}", res.status);
        assert_eq!(res.header("location").as_deref(), Some("/docs/"));
        let docs = app.get("/docs/", None).await;
        assert_eq!(docs.status, 200);
        assert!(docs.text().contains("swagger"), "{}", docs.text());

        let page = app.get("/graphql", None).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-type").as_deref(), Some("text/html; charset=utf-8"));
        let html = page.text();
        assert!(!html.contains("unpkg") && !html.contains("https://") && !html.contains("http://"), "{html}");
        // Every script and style the page loads is served by us, with a type and a year of cache.
        let mut assets = Vec::new();
        for part in html.split("/graphql/assets/").skip(1) {
            assets.push(part.split('"').next().unwrap().to_owned());
        }
        assert_eq!(assets.len(), 4, "{html}");
        for asset in &assets {
            let res = app.get(&format!("/graphql/assets/{asset}"), None).await;
            assert_eq!(res.status, 200, "{asset}");
            let expected = if asset.ends_with(".css") { "text/css; charset=utf-8" } else { "text/javascript; charset=utf-8" };
            assert_eq!(res.header("content-type").as_deref(), Some(expected), "{asset}");
            let cache = res.header("cache-control").unwrap();
            assert!(cache.contains("max-age=31536000") && cache.contains("immutable"), "{cache}");
            assert_eq!(res.header("x-content-type-options").as_deref(), Some("nosniff"));
            assert!(res.body.len() > 10_000, "{asset}: {} bytes", res.body.len());
        }
        assert!(html.contains("createFetcher({ url: \"/graphql\" })"), "{html}");
        app.get("/graphql/assets/graphiql.min.js", None).await.problem(404, "not_found");
        app.get("/graphql/assets/..%2FCargo.toml", None).await.problem(404, "not_found");
    }

    #[config(|c| c.env = crm_tests::crm_gateway::config::Environment::Production)]
    async fn production_serves_no_docs_and_no_graphiql(app: &TestApp) {
        for path in ["/docs", "/docs/", "/graphql", "/graphql/assets/graphiql-4.1.2.min.js"] {
            app.get(path, None).await.problem(404, "not_found");
        }
    }
}
