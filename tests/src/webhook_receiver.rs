//! A webhook receiver on loopback for the tests: it records every request (path, the
//! Standard Webhooks headers, the body) and answers as scripted; [`verifies`] checks a
//! signature with its own HMAC code, from the spec, not the server's.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// What the receiver answers and what it got.
#[derive(Default)]
pub struct Script {
    /// Statuses to answer first, in order; then 200.
    pub statuses: VecDeque<u16>,
    /// Answer this to everything (after `statuses`), when set.
    pub always: Option<u16>,
    pub got: Vec<Received>,
}

/// A webhook receiver on loopback.
pub struct Receiver {
    /// Where it listens (`http://127.0.0.1:<port>/hook`).
    pub url: String,
    /// What it answers and what it got.
    pub script: Arc<Mutex<Script>>,
    server: actix_web::dev::ServerHandle,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    script: web::Data<Arc<Mutex<Script>>>,
) -> HttpResponse {
    let h = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let mut s = script.lock().unwrap();
    s.got.push(Received {
        path: req.path().to_owned(),
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body: String::from_utf8(body.to_vec()).unwrap(),
    });
    let status = s.statuses.pop_front().or(s.always).unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .body(format!("answer {status}"))
}

impl Receiver {
    /// A receiver on a free port.
    pub async fn start() -> Receiver {
        Self::start_on(TcpListener::bind("127.0.0.1:0").unwrap()).await
    }

    /// A receiver on `listener`.
    pub async fn start_on(listener: TcpListener) -> Receiver {
        let port = listener.local_addr().unwrap().port();
        let script = Arc::new(Mutex::new(Script::default()));
        let data = web::Data::new(script.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_rt::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            script,
            server: handle,
        }
    }

    /// What it received so far.
    pub fn got(&self) -> Vec<Received> {
        self.script.lock().unwrap().got.clone()
    }

    /// Waits until `pred` holds for what was received (20 s at most).
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        self.wait_for_long(what, Duration::from_secs(20), pred)
            .await
    }

    /// Waits until `pred` holds for what was received (`limit` at most).
    pub async fn wait_for_long(
        &self,
        what: &str,
        limit: Duration,
        pred: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        loop {
            {
                let s = self.script.lock().unwrap();
                if pred(&s.got) {
                    return s.got.clone();
                }
                assert!(
                    Instant::now() < deadline,
                    "timed out waiting for {what}; got {}: {:#?}",
                    s.got.len(),
                    s.got.iter().take(5).collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops it.
    pub async fn stop(self) {
        self.server.stop(false).await;
    }
}

/// The Standard Webhooks check, written here from the spec: HMAC-SHA256 keyed with the
/// base64-decoded part of the secret after `whsec_`, over `{id}.{timestamp}.{body}`, compared
/// with each space-separated `v1,<base64>` signature.
pub fn verifies(secret: &str, r: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    r.signature
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}
