//! The harness's HTTP client: signed-in requests whose bodies are checked by the scenarios.

use crate::generate::Dataset;
use serde_json::{Value, json};

/// A signed-in client of the server under test.
pub(crate) struct Ctx {
    /// The HTTP client (one connection pool for all workers).
    pub client: awc::Client,
    /// `http://host:port` of the server.
    pub base: String,
    /// `Authorization: Bearer` credential: an access token or an API key.
    pub token: String,
    /// The generated data set.
    pub data: Dataset,
}

/// POSTs `body` as JSON and returns the JSON answer; a non-2xx answer is an error.
pub(crate) async fn post(
    client: &awc::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Result<Value, String> {
    let mut req = client.post(format!("{base}{path}"));
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    let mut res = req.send_json(&body).await.map_err(|e| e.to_string())?;
    let status = res.status();
    let body = res
        .body()
        .limit(64 * 1024 * 1024)
        .await
        .map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "POST {path}: {status} {}",
            String::from_utf8_lossy(&body)
        ));
    }
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

/// Signs in and returns the access token.
pub(crate) async fn login(
    client: &awc::Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<String, String> {
    let body = post(
        client,
        base,
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no access token for {email}"))
}

/// The shape of a page that a measured read checks: how many records it holds. Each record is
/// read over (`IgnoredAny`: the JSON is scanned and checked, nothing is built), so the load
/// generator, which shares the machine with the server and the database, spends little beside
/// the server it measures (parsed into `Value`s, a page of 50 activities cost the harness
/// almost as much CPU as the server spent answering it).
#[derive(serde::Deserialize)]
pub(crate) struct Records {
    /// The records of the page.
    pub data: Vec<serde::de::IgnoredAny>,
}

/// The shape of a single record that a measured read checks: its id.
#[derive(serde::Deserialize)]
pub(crate) struct One {
    /// The record's id.
    pub id: uuid::Uuid,
}

impl Ctx {
    /// GETs `path` and returns the JSON answer; a non-2xx answer is an error.
    pub async fn get(&self, path: &str) -> Result<Value, String> {
        self.get_as(path).await
    }

    /// GETs `path` and reads the JSON answer as `T`; a non-2xx answer is an error.
    pub async fn get_as<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let mut res = self
            .client
            .get(format!("{}{path}", self.base))
            .insert_header(("authorization", format!("Bearer {}", self.token)))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let body = res
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "GET {path}: {status} {}",
                String::from_utf8_lossy(&body)
            ));
        }
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }

    /// POSTs `body` to `path` with this client's credential.
    pub async fn post_json(&self, path: &str, body: Value) -> Result<Value, String> {
        post(&self.client, &self.base, path, Some(&self.token), body).await
    }

    /// PUTs `body` to `path` with this client's credential and returns the JSON answer; a
    /// non-2xx answer is an error.
    pub async fn put_json(&self, path: &str, body: Value) -> Result<Value, String> {
        let mut res = self
            .client
            .put(format!("{}{path}", self.base))
            .insert_header(("authorization", format!("Bearer {}", self.token)))
            .send_json(&body)
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let body = res.body().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "PUT {path}: {status} {}",
                String::from_utf8_lossy(&body)
            ));
        }
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }

    /// The server's SQL statement counter, read from `/metrics`.
    pub async fn statements(&self) -> Result<u64, String> {
        let mut res = self
            .client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let body = res.body().await.map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&body)
            .lines()
            .find_map(|l| l.strip_prefix("crm_sql_statements_total "))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| "no crm_sql_statements_total in /metrics".to_owned())
    }

    /// Runs a GraphQL document.
    pub async fn gql(&self, query: &str) -> Result<Value, String> {
        self.post_json("/graphql", json!({ "query": query })).await
    }
}
