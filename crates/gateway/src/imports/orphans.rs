//! Uploaded files nothing owns any more: the part of an upload a server was receiving when it
//! stopped (no import was recorded; it is received as `.part` and renamed `.upload` when
//! complete), or the file of an import whose server stopped before it could delete it. Every server sweeps the shared folder now and then; a file is deleted once
//! no queued or running import owns it and nothing has written to it for
//! `import_orphan_secs` (an upload being received is written to all the time, so it is never
//! taken). Deleting the same file twice is harmless, so replicas need no coordination.

use sea_orm::DatabaseConnection;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use uuid::Uuid;

/// How long a file still being received (`.part`) may sit untouched before it is taken for
/// the remains of a server that stopped during the upload.
const PART_AGE: Duration = Duration::from_secs(24 * 3600);

/// Deletes the orphaned uploads in `dir` untouched for `age` (part files: for a day); returns
/// how many.
pub async fn sweep(db: &DatabaseConnection, dir: &Path, age: Duration) -> std::io::Result<usize> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let now = SystemTime::now();
    let mut stale: Vec<(Uuid, PathBuf)> = Vec::new();
    let mut deleted = 0;
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let (stem, part) = match (name.strip_suffix(".upload"), name.strip_suffix(".part")) {
            (Some(stem), _) => (stem, false),
            (None, Some(stem)) => (stem, true),
            _ => continue,
        };
        let Ok(id) = stem.parse::<Uuid>() else {
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
        if !meta.is_file() {
            continue;
        }
        if part {
            // No import owns a part file: it becomes `.upload` before the import is recorded.
            if idle >= PART_AGE.max(age) && tokio::fs::remove_file(&path).await.is_ok() {
                deleted += 1;
            }
        } else if idle >= age {
            stale.push((id, path));
        }
    }
    if stale.is_empty() {
        return Ok(deleted);
    }
    let ids: Vec<Uuid> = stale.iter().map(|(id, _)| *id).collect();
    let in_use = crm_integration::imports::unfinished_imports(db, &ids)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
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
