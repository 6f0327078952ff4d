//! The black-box test harness: starts the real server (the same `start` the `crm` binary runs)
//! on a free port with a database of its own, and speaks HTTP to it.
//!
//! Every test runs twice, on SQLite (always) and on PostgreSQL. PostgreSQL is found at
//! `CRM_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`); each test
//! creates a database of its own and drops it afterwards, so tests run in parallel. When
//! PostgreSQL cannot be reached the PostgreSQL variants are skipped, unless
//! `CRM_TEST_REQUIRE_POSTGRES=1` (set by CI), which makes them fail instead.

use awc::http::Method;
use crm_gateway::config::{Config, Secret};
use crm_gateway::server::{RunningServer, start};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use std::time::Duration;

pub mod bad_input;
pub mod fixtures;
pub mod openapi_walk;

pub use crm_gateway;
pub use serde_json;

pub mod process;
pub mod webhook_receiver;

/// The JWT secret of every test server (tests forge tokens with it).
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
/// The password every user created by the helpers has.
pub const PASSWORD: &str = "correct horse battery staple";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file in a temporary folder.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

/// A running server for one test.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The database the server uses (for asserting on stored state).
    pub db: DatabaseConnection,
    /// Which database this is.
    pub backend: Backend,
    client: awc::Client,
    server: Option<RunningServer>,
    pg_database: Option<(String, String)>,
    config: Config,
    _dir: tempfile::TempDir,
}

/// A database of its own for one test: an SQLite file in `dir`, or a new PostgreSQL database.
/// Returns its URL and, on PostgreSQL, `(admin URL, name)` for [`drop_database`]; `None` when
/// PostgreSQL is unreachable and not required (the test is skipped).
pub async fn fresh_database(
    backend: Backend,
    dir: &std::path::Path,
) -> Option<(String, Option<(String, String)>)> {
    match backend {
        Backend::Sqlite => Some((
            format!("sqlite://{}?mode=rwc", dir.join("crm.db").display()),
            None,
        )),
        Backend::Postgres => {
            let admin = pg_admin_url();
            let name = format!("crm_test_{}", uuid::Uuid::now_v7().simple());
            let created = async {
                let db = tokio::time::timeout(Duration::from_secs(5), Database::connect(&admin))
                    .await
                    .map_err(|_| "timed out".to_owned())?
                    .map_err(|e| e.to_string())?;
                db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = db.close().await;
                Ok::<(), String>(())
            }
            .await;
            if let Err(e) = created {
                if pg_required() {
                    panic!("PostgreSQL is required but unreachable at {admin}: {e}");
                }
                eprintln!("skipped: PostgreSQL unreachable at {admin}: {e}");
                return None;
            }
            Some((with_database(&admin, &name), Some((admin, name))))
        }
    }
}

/// Drops a database made by [`fresh_database`].
pub async fn drop_database((admin, name): (String, String)) {
    if let Ok(db) = Database::connect(&admin).await {
        let _ = db
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        let _ = db.close().await;
    }
}

/// A response, fully read.
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: awc::http::header::HeaderMap,
    /// Raw body.
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Asserts the status and that the body is a problem document with `code`; returns it.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "status; body: {}", self.text());
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "content type; body: {}",
            self.text()
        );
        let body = self.json();
        assert_eq!(body["code"], code, "code; body: {body}");
        assert_eq!(body["status"], status, "status field; body: {body}");
        assert_eq!(body["type"], format!("/errors/{code}"));
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{body}"
        );
        assert!(body["errors"].is_array(), "{body}");
        let request_id = body["request_id"].as_str().expect("request_id");
        assert_eq!(self.header("x-request-id").as_deref(), Some(request_id));
        body
    }

    /// Asserts the status; returns the JSON body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "status; body: {}", self.text());
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    /// Access token.
    pub token: String,
    /// Refresh token.
    pub refresh: String,
    /// The user's id.
    pub user_id: String,
    /// The organization's id.
    pub org_id: String,
    /// The user's email.
    pub email: String,
}

fn pg_admin_url() -> String {
    std::env::var("CRM_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn pg_required() -> bool {
    std::env::var("CRM_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let root = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap_or(0) + 2 => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

impl TestApp {
    /// A domain context acting as the admin `s` on this server's database, for calling
    /// operations directly (EXPLAIN checks, writing in a transaction the test holds open).
    pub fn admin_ctx(&self, s: &Session) -> crm_core::Ctx {
        crm_core::Ctx::new(
            self.db.clone(),
            crm_core::Actor {
                org_id: s.org_id.parse().unwrap(),
                user_id: s.user_id.parse().unwrap(),
                api_key_id: None,
                session_id: None,
                kind: crm_core::PrincipalKind::User,
                role: crm_core::Role::Admin,
            },
        )
    }

    /// A server on `backend` with the test defaults; `None` when PostgreSQL is not reachable
    /// (and not required).
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, |_| {}).await
    }

    /// A server on `backend` with the test defaults changed by `tweak`.
    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config {
            listen: "127.0.0.1:0".to_owned(),
            data_dir: dir.path().to_path_buf(),
            jwt_secret: Some(Secret(TEST_JWT_SECRET.to_owned())),
            log_level: "warn".to_owned(),
            workers: Some(2),
            db_max_connections: 5,
            // The general limit stays on (its headers on every answer) but never refuses a
            // test's burst; `tests/tests/rate_limits.rs` tries a small one.
            rate_limit_per_minute: 100_000,
            ..Config::default()
        };
        let (url, pg_database) = fresh_database(backend, dir.path()).await?;
        config.database_url = Some(Secret(url));
        tweak(&mut config);
        crm_gateway::telemetry::init(&config);
        let server = start(config.clone()).await.expect("server starts");
        let base = format!("http://{}", server.addr);
        let db = server.state.db.clone();
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(120))
            .disable_redirects()
            .finish();
        Some(TestApp {
            base,
            db,
            backend,
            client,
            server: Some(server),
            pg_database,
            config,
            _dir: dir,
        })
    }

    /// A second server on this test's database, as another replica behind a load balancer
    /// would be (finish it before the first).
    pub async fn replica(&self) -> TestApp {
        let server = start(self.config.clone()).await.expect("replica starts");
        TestApp {
            base: format!("http://{}", server.addr),
            db: server.state.db.clone(),
            backend: self.backend,
            client: self.client.clone(),
            server: Some(server),
            pg_database: None,
            config: self.config.clone(),
            _dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// The running server (to reach its state).
    pub fn server(&self) -> &RunningServer {
        self.server.as_ref().expect("server running")
    }

    /// Stops the server and drops the test's PostgreSQL database.
    pub async fn finish(mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.stop().await;
        }
        let _ = self.db.close_by_ref().await;
        if let Some(pg) = self.pg_database.take() {
            drop_database(pg).await;
        }
    }

    /// Sends a request with raw headers and body.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let mut res = req.send_body(body).await.expect("request sent");
        let body = res.body().limit(64 * 1024 * 1024).await.expect("body read");
        Resp {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: body.to_vec(),
        }
    }

    /// Sends a request with an optional JSON body and bearer token.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        let bytes = match body {
            Some(v) => {
                headers.push(("content-type", "application/json"));
                serde_json::to_vec(&v).expect("json")
            }
            None => Vec::new(),
        };
        self.raw(method, path, &headers, bytes).await
    }

    /// `GET` with a token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.call("GET", path, token, None).await
    }

    /// `POST` a JSON body with a token.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call("POST", path, token, Some(body)).await
    }

    /// `PATCH` a JSON body with a token.
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call("PATCH", path, token, Some(body)).await
    }

    /// `DELETE` with a token.
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.call("DELETE", path, token, None).await
    }

    /// A GraphQL request.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Resp {
        self.post(
            "/graphql",
            token,
            json!({ "query": query, "variables": variables }),
        )
        .await
    }

    /// Signs up a new organization; returns its admin's session.
    pub async fn signup(&self, org: &str, email: &str) -> Session {
        let res = self
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "org_name": org, "name": "Admin", "email": email, "password": PASSWORD }),
            )
            .await;
        let body = res.ok(201);
        Session {
            token: body["tokens"]["access_token"]
                .as_str()
                .expect("token")
                .to_owned(),
            refresh: body["tokens"]["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_owned(),
            user_id: body["user"]["id"].as_str().expect("user id").to_owned(),
            org_id: body["organization"]["id"]
                .as_str()
                .expect("org id")
                .to_owned(),
            email: email.to_owned(),
        }
    }

    /// Signs a user in.
    pub async fn login(&self, email: &str) -> Session {
        let body = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": email, "password": PASSWORD }),
            )
            .await
            .ok(200);
        let me = self
            .get("/api/v1/me", body["access_token"].as_str())
            .await
            .ok(200);
        Session {
            token: body["access_token"].as_str().expect("token").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_owned(),
            user_id: me["user"]["id"].as_str().expect("id").to_owned(),
            org_id: me["organization"]["id"].as_str().expect("org").to_owned(),
            email: email.to_owned(),
        }
    }

    /// Has `admin` create a user of `role` in their organization, and signs them in.
    pub async fn member(&self, admin: &Session, role: &str, email: &str) -> Session {
        self.post(
            "/api/v1/users",
            Some(&admin.token),
            json!({ "email": email, "name": role, "role": role, "password": PASSWORD }),
        )
        .await
        .ok(201);
        self.login(email).await
    }

    /// Has `admin` create an API key; returns `(id, full key)`.
    pub async fn api_key(&self, admin: &Session, scope: &str, role: &str) -> (String, String) {
        let body = self
            .post(
                "/api/v1/api-keys",
                Some(&admin.token),
                json!({ "name": "integration", "scope": scope, "role": role }),
            )
            .await
            .ok(201);
        (
            body["api_key"]["id"].as_str().expect("id").to_owned(),
            body["key"].as_str().expect("key").to_owned(),
        )
    }
}

/// Defines each `async fn name(app: &TestApp) { ... }` as two tests, `name::sqlite` and
/// `name::postgres`. `#[config(|c| ...)]` before a function changes that test's configuration.
#[macro_export]
macro_rules! dual {
    ($( $(#[config($cfg:expr)])? async fn $name:ident($app:ident: &TestApp) $body:block )*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: &$crate::TestApp) $body

            async fn go(backend: $crate::Backend) {
                #[allow(unused_mut)]
                let mut tweak: Box<dyn FnOnce(&mut $crate::crm_gateway::config::Config)> = Box::new(|_| {});
                $( tweak = Box::new($cfg); )?
                if let Some(app) = $crate::TestApp::start_with(backend, tweak).await {
                    run(&app).await;
                    app.finish().await;
                }
            }

            #[actix_rt::test]
            async fn sqlite() {
                go($crate::Backend::Sqlite).await;
            }

            #[actix_rt::test]
            async fn postgres() {
                go($crate::Backend::Postgres).await;
            }
        }
    )*};
}
