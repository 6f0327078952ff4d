//! Where generation's time goes, printed on stderr: per table the time spent making its rows
//! and the time spent writing them, then each later phase (index builds, `ANALYZE`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Per table: rows, time making them, time writing them.
type Tables = BTreeMap<String, (usize, Duration, Duration)>;

static TABLES: Mutex<(Option<Instant>, Tables)> = Mutex::new((None, BTreeMap::new()));

/// Notes a write of `rows` rows into `table` that began at `started`; the time since the
/// previous write ended is counted as making this table's rows.
pub(super) fn note(table: &str, rows: usize, started: Instant) {
    let now = Instant::now();
    if let Ok(mut guard) = TABLES.lock() {
        let (last, tables) = &mut *guard;
        let made = last.map_or(Duration::ZERO, |l| started.saturating_duration_since(l));
        let entry = tables.entry(table.to_owned()).or_default();
        entry.0 += rows;
        entry.1 += made;
        entry.2 += now - started;
        *last = Some(now);
    }
}

/// Starts counting (the time before the first write is not a table's).
pub(super) fn start() {
    if let Ok(mut guard) = TABLES.lock() {
        *guard = (Some(Instant::now()), BTreeMap::new());
    }
}

/// Prints the per-table figures noted so far.
pub(super) fn report_tables() {
    if let Ok(guard) = TABLES.lock() {
        for (table, (rows, made, written)) in &guard.1 {
            eprintln!(
                "timing: {table:<16} {rows:>10} rows  make {:>7.1} s  write {:>7.1} s",
                made.as_secs_f64(),
                written.as_secs_f64()
            );
        }
    }
}

/// Prints one phase that began at `started`.
pub(super) fn phase(what: &str, started: Instant) {
    eprintln!("timing: {:>7.1} s  {what}", started.elapsed().as_secs_f64());
}
