//! The server under test: the `crm` binary in its own process (so that its memory is its own and
//! the harness measures it from outside, as a client would), or, when that binary is not built,
//! the same server inside the harness.

use crm_gateway::config::{Config, Secret};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The JWT secret the harness runs the server with.
const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";

/// The general request limit the server runs with: on, but beyond what a benchmark sends from
/// one token (`CRM_RATE_LIMIT_PER_MINUTE` in the harness's environment overrides it; `0`
/// measures without it).
fn rate_limit() -> String {
    std::env::var("CRM_RATE_LIMIT_PER_MINUTE").unwrap_or_else(|_| "1000000000".to_owned())
}

/// The harness's server configuration (auth on, logs at `warn`, a generous login limit).
pub fn config(url: &str, dir: &Path) -> Config {
    Config {
        rate_limit_per_minute: rate_limit().parse().unwrap_or(1_000_000_000),
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        database_url: Some(Secret(url.to_owned())),
        jwt_secret: Some(Secret(JWT_SECRET.into())),
        log_level: "warn".into(),
        login_attempts_per_minute: 1000,
        // S11's receiver listens on loopback.
        webhooks_allow_private: true,
        ..Config::default()
    }
}

/// A running server.
pub enum Server {
    /// The `crm` binary as a child process.
    Process {
        /// The child.
        child: KillOnDrop,
        /// Its base URL.
        base: String,
    },
    /// The server inside the harness process (boxed: it is large beside a child process).
    InProcess(Box<crm_gateway::server::RunningServer>),
}

/// The `crm` binary next to the harness's own (`target/<profile>/crm`), if it is built.
pub fn sibling_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.with_file_name(format!("crm{}", std::env::consts::EXE_SUFFIX));
    bin.is_file().then_some(bin)
}

impl Server {
    /// Starts `bin` (or the in-process server when `bin` is `None`) on `url` and waits until it
    /// answers `/readyz`.
    pub async fn start(bin: Option<&Path>, url: &str, dir: &Path) -> Result<Server, String> {
        let Some(bin) = bin else {
            let running = crm_gateway::server::start(config(url, dir))
                .await
                .map_err(|e| e.to_string())?;
            return Ok(Server::InProcess(Box::new(running)));
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new(bin)
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", url])
            .arg("--data-dir")
            .arg(dir)
            .env("CRM_JWT_SECRET", JWT_SECRET)
            .env("CRM_LOG_LEVEL", "warn")
            .env("CRM_LOGIN_ATTEMPTS_PER_MINUTE", "1000")
            .env("CRM_WEBHOOKS_ALLOW_PRIVATE", "true")
            .env("CRM_RATE_LIMIT_PER_MINUTE", rate_limit())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let server = Server::Process {
            child: KillOnDrop(child),
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = awc::Client::default();
        let started = Instant::now();
        loop {
            if let Ok(res) = client.get(format!("{}/readyz", server.base())).send().await
                && res.status().is_success()
            {
                return Ok(server);
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err("the server did not become ready in 60 s".into());
            }
            actix_rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The base URL, such as `http://127.0.0.1:4321`.
    pub fn base(&self) -> String {
        match self {
            Server::Process { base, .. } => base.clone(),
            Server::InProcess(s) => format!("http://{}", s.addr),
        }
    }

    /// The server's resident and peak resident memory in kB, when it runs in its own process.
    pub fn memory_kb(&self) -> Option<(u64, u64)> {
        let Server::Process { child, .. } = self else {
            return None;
        };
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.0.id())).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// Starts a new peak: the kernel resets the process's peak resident memory (`VmHWM`) to its
    /// current resident memory (`/proc/<pid>/clear_refs`, value 5). Returns whether it could.
    pub fn reset_peak(&self) -> bool {
        let Server::Process { child, .. } = self else {
            return false;
        };
        std::fs::write(format!("/proc/{}/clear_refs", child.0.id()), "5").is_ok()
    }

    /// The process id of the server, when it runs in its own process.
    pub fn pid(&self) -> Option<u32> {
        match self {
            Server::Process { child, .. } => Some(child.0.id()),
            Server::InProcess(_) => None,
        }
    }

    /// Stops the server: SIGTERM (a graceful drain) for the process.
    pub async fn stop(self) {
        match self {
            Server::Process { mut child, .. } => {
                let _ = Command::new("kill")
                    .args(["-TERM", &child.0.id().to_string()])
                    .status();
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(30) {
                    if let Ok(Some(_)) = child.0.try_wait() {
                        return;
                    }
                    actix_rt::time::sleep(Duration::from_millis(50)).await;
                }
            }
            Server::InProcess(s) => {
                let _ = s.stop().await;
            }
        }
    }
}

/// A child process that is killed when the harness lets go of it (an error midway must not leave
/// a server running).
pub struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
