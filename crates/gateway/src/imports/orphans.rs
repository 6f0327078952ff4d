//! Uploaded files nothing owns any more: the part of an upload a server was receiving when it
//! stopped (no import was recorded), or the file of an import whose server stopped before it
//! could delete it. Every server sweeps the shared folder now and then; a file is deleted once
//! no queued or running import owns it and nothing has written to it for
//! `import_orphan_secs` (an upload being received is written to all the time, so it is never
//! taken). Deleting the same file twice is harmless, so replicas need no coordination.

use sea_orm::DatabaseConnection;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use uuid::Uuid;

/// Deletes the orphaned uploads in `dir` untouched for `age`; returns how many.
pub async fn sweep(db: &DatabaseConnection, dir: &Path, age: Duration) -> std::io::Result<usize> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let now = SystemTime::now();
    let mut stale: Vec<(Uuid, PathBuf)> = Vec::new();
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".upload"))
            .and_then(|stem| stem.parse::<Uuid>().ok())
        else {
            continue;
        };
        let Ok(meta) = entry.metadata().await else {
            continue;
        };
        let idle = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if meta.is_file() && idle >= age {
            stale.push((id, path));
        }
    }
    if stale.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = stale.iter().map(|(id, _)| *id).collect();
    let in_use = crm_integration::imports::unfinished_imports(db, &ids)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut deleted = 0;
    for (id, path) in stale {
        if in_use.contains(&id) {
            continue;
        }
        match tokio::fs::remove_file(&path).await {
            Ok(()) => deleted += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(deleted)
}

/// Sweeps at start and then every `min(age, 1 h)` (at least every second), until the task is
/// aborted.
pub async fn run(db: DatabaseConnection, dir: PathBuf, age: Duration) {
    let every = age.clamp(Duration::from_secs(1), Duration::from_secs(3600));
    loop {
        match sweep(&db, &dir, age).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "orphaned import uploads deleted"),
            Err(e) => tracing::warn!(error = %e, "cannot sweep orphaned import uploads"),
        }
        tokio::time::sleep(every).await;
    }
}
