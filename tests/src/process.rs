//! The `crm` binary in a process of its own, for tests that must kill it (`kill -9`) or measure
//! its memory from outside, as an operator would. The binary is the one `cargo` built next to
//! the test executable (`target/<profile>/crm`); it is built first when missing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `crm` binary of this build (or `CRM_BIN`), built now if it is not there yet.
pub fn crm_binary() -> PathBuf {
    if let Ok(bin) = std::env::var("CRM_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/crm
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = profile_dir.join(format!("crm{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let target = profile_dir.parent().expect("target dir");
        let status = Command::new(cargo)
            .args(["build", "-q", "-p", "crm-gateway", "--bin", "crm"])
            .env("CARGO_TARGET_DIR", target)
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the crm binary failed");
    }
    assert!(bin.is_file(), "no crm binary at {}", bin.display());
    bin
}

/// A `crm serve` process; killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl ServerProcess {
    /// Starts `crm serve` on `database_url` with its data in `data_dir`, the test JWT secret, and
    /// `env` on top; waits until `/readyz` answers.
    pub async fn start(database_url: &str, data_dir: &Path, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut cmd = Command::new(crm_binary());
        cmd.arg("serve")
            .env("CRM_LISTEN", format!("127.0.0.1:{port}"))
            .env("CRM_DATABASE_URL", database_url)
            .env("CRM_DATA_DIR", data_dir)
            .env("CRM_JWT_SECRET", crate::TEST_JWT_SECRET)
            .env("CRM_LOG_LEVEL", "error")
            .env("CRM_BOOTSTRAP_ADMIN_EMAIL", "admin@localhost")
            .env("CRM_BOOTSTRAP_ADMIN_PASSWORD", crate::PASSWORD)
            // Floods from one address (the memory tests) are not what the general limit is for.
            .env("CRM_RATE_LIMIT_PER_MINUTE", "100000")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("crm starts");
        let mut server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = awc::Client::default();
        let started = Instant::now();
        loop {
            if let Ok(res) = client.get(format!("{}/readyz", server.base)).send().await
                && res.status().is_success()
            {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited while starting: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not become ready in 60 s"
            );
            actix_rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now and at its peak, in kB (`VmRSS`, `VmHWM` of `/proc/<pid>/status`).
    pub fn memory_kb(&self) -> (u64, u64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .expect("memory field")
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// `kill -9`: the process ends at once, with no chance to flush or drain.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
