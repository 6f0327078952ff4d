//! The HTTP client that POSTs webhooks: awc over rustls (ring, Mozilla's roots from
//! webpki-roots), HTTP/1.1 with pooled keep-alive connections, no redirects (a redirect could
//! lead past the address guard), the configured timeout.
//!
//! awc runs on a single-threaded actix runtime and its futures are not `Send`, while job
//! handlers run on the multi-threaded tokio runtime. So one thread of its own runs an actix
//! system with the client; senders hand it requests over a channel and await the answer.
//! The connection is made to the address the guard approved ([`Outgoing::addr`]); the Host
//! header and TLS server name stay those of the URL.

use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How much of an answer's body is kept.
pub const EXCERPT_BYTES: usize = 1000;

/// One POST to make.
#[derive(Debug)]
pub struct Outgoing {
    /// The address to connect to (approved by the guard).
    pub addr: SocketAddr,
    /// The endpoint URL (Host header and TLS name).
    pub url: String,
    /// Headers besides `content-type` and `user-agent`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: String,
}

/// How a POST went.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status, when an answer came.
    pub status: Option<u16>,
    /// The beginning of the answer's body.
    pub excerpt: Option<String>,
    /// What failed (no answer, or a non-2xx status).
    pub error: Option<String>,
    /// How long it took.
    pub duration: Duration,
}

type Job = (Outgoing, oneshot::Sender<Answer>);

/// A handle on the client's thread (cheap to clone).
#[derive(Clone)]
pub struct HttpSender {
    tx: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for HttpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSender").finish_non_exhaustive()
    }
}

fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // Deprecated only for lacking post-quantum key exchange, which needs aws-lc-rs (cmake and
    // a C build); ring's classical suites are what the webhook receivers of today speak.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

impl HttpSender {
    /// Starts the client's thread; `timeout` bounds each POST.
    pub fn start(timeout: Duration) -> Result<Self, String> {
        let tls = tls_config().map_err(|e| format!("TLS setup: {e}"))?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        std::thread::Builder::new()
            .name("webhook-http".to_owned())
            .spawn(move || {
                let system = actix_rt::System::new();
                system.block_on(async move {
                    let connector = awc::Connector::new()
                        .rustls_0_23(Arc::new(tls))
                        .timeout(Duration::from_secs(5))
                        .limit(512);
                    let client = awc::Client::builder()
                        .connector(connector)
                        .disable_redirects()
                        .timeout(timeout)
                        .add_default_header(("user-agent", "crm-webhooks/1"))
                        .finish();
                    while let Some((out, reply)) = rx.recv().await {
                        let client = client.clone();
                        actix_rt::spawn(async move {
                            let _ = reply.send(post(&client, out).await);
                        });
                    }
                });
            })
            .map_err(|e| format!("starting the webhook HTTP thread: {e}"))?;
        Ok(Self { tx })
    }

    /// POSTs `out` and answers how it went.
    pub async fn send(&self, out: Outgoing) -> Answer {
        let started = Instant::now();
        let (reply, answer) = oneshot::channel();
        let gone = |what: &str| Answer {
            status: None,
            excerpt: None,
            error: Some(what.to_owned()),
            duration: started.elapsed(),
        };
        if self.tx.send((out, reply)).is_err() {
            return gone("the webhook HTTP client has stopped");
        }
        answer
            .await
            .unwrap_or_else(|_| gone("the webhook HTTP client has stopped"))
    }
}

async fn post(client: &awc::Client, out: Outgoing) -> Answer {
    let started = Instant::now();
    let mut request = client
        .post(out.url.as_str())
        .address(out.addr)
        .insert_header(("content-type", "application/json"));
    for (name, value) in out.headers {
        request = request.insert_header((name, value));
    }
    let mut response = match request.send_body(out.body).await {
        Ok(r) => r,
        Err(e) => {
            return Answer {
                status: None,
                excerpt: None,
                error: Some(format!("no answer: {e}")),
                duration: started.elapsed(),
            };
        }
    };
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while body.len() < EXCERPT_BYTES {
        match tokio::time::timeout(Duration::from_secs(2), response.next()).await {
            Ok(Some(Ok(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(EXCERPT_BYTES);
    let excerpt = (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned());
    let error = (!(200..300).contains(&status)).then(|| format!("the endpoint answered {status}"));
    Answer {
        status: Some(status),
        excerpt,
        error,
        duration: started.elapsed(),
    }
}
