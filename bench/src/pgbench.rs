//! The database's own limit: `pgbench` running a custom script of the very statements the API
//! runs (`-M prepared`, the same concurrency and duration), one right after the API's
//! measurement, its latencies read from pgbench's per-transaction log.

use crate::load::Stats;
use sea_orm::{Statement, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The table that maps a random integer to one of the ids the API's measurement draws from, so
/// that pgbench (whose random numbers are integers) reads the same rows.
pub const KEYS_TABLE: &str = "crm_bench_keys";

/// One pgbench script: its text and the variables it reads (`-D name=value`).
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// The script (pgbench syntax: `\set`, SQL commands ending in `;`).
    pub text: String,
    /// Variables given on the command line.
    pub vars: Vec<(String, String)>,
}

impl Script {
    /// A script of one SQL statement (placeholders `$n` become variables `:pN`), preceded by
    /// `prelude` (such as `\set n random(0, 99)`).
    pub fn of_statement(prelude: &str, stmt: &Statement) -> Result<Script, String> {
        let (sql, vars) = with_variables(stmt, "p")?;
        Ok(Script {
            text: format!("{prelude}\n{sql};\n"),
            vars,
        })
    }
}

impl Script {
    /// A script of SQL statements run one after the other, as one transaction of pgbench's
    /// count (the placeholders `$n` of the `j`th become variables `:sjpN`).
    pub fn of_statements(prelude: &str, stmts: &[Statement]) -> Result<Script, String> {
        let mut script = Script {
            text: format!("{prelude}\n"),
            vars: Vec::new(),
        };
        for (j, stmt) in stmts.iter().enumerate() {
            let (sql, vars) = with_variables(stmt, &format!("s{j}p"))?;
            script.text.push_str(&format!("{sql};\n"));
            script.vars.extend(vars);
        }
        Ok(script)
    }

    /// Replaces the variable bound to `value` by the SQL expression `expr` (such as a lookup of
    /// the `n`th key in [`KEYS_TABLE`]).
    pub fn replace_value(mut self, value: &str, expr: &str) -> Result<Script, String> {
        let at = self
            .vars
            .iter()
            .position(|(_, v)| v == value)
            .ok_or_else(|| format!("no variable bound to {value}"))?;
        let (name, _) = self.vars.remove(at);
        let token = format!(":{name}");
        let mut out = String::with_capacity(self.text.len());
        let mut rest = self.text.as_str();
        while let Some(i) = rest.find(&token) {
            let after = &rest[i + token.len()..];
            out.push_str(&rest[..i]);
            if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                out.push_str(&token);
            } else {
                out.push_str(expr);
            }
            rest = after;
        }
        out.push_str(rest);
        self.text = out;
        Ok(self)
    }
}

/// Runs pgbench against one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgBench {
    bin: PathBuf,
    url: String,
    concurrency: usize,
    duration: Duration,
}

impl PgBench {
    /// A runner for `url`, or `None` when the database is not PostgreSQL or no pgbench is
    /// installed.
    pub fn new(url: &str, concurrency: usize, duration: Duration) -> Option<PgBench> {
        if !url.starts_with("postgres") {
            return None;
        }
        Some(PgBench {
            bin: find()?,
            url: url.to_owned(),
            concurrency,
            duration,
        })
    }

    /// Runs `scripts` (pgbench picks one at random per transaction) and reports what pgbench
    /// measured; a failed transaction or an aborted client counts as an error.
    pub async fn run(&self, scripts: Vec<Script>) -> Result<Stats, String> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.run_blocking(&scripts))
            .await
            .map_err(|e| e.to_string())?
    }

    fn run_blocking(&self, scripts: &[Script]) -> Result<Stats, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let threads = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .min(self.concurrency)
            .max(1);
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(dir.path())
            .args(["-n", "-M", "prepared", "--no-vacuum"])
            .args(["-c", &self.concurrency.to_string()])
            .args(["-j", &threads.to_string()])
            .args(["-T", &self.duration.as_secs().max(1).to_string()])
            .args(["-l", "--log-prefix", "txlog"]);
        for (i, s) in scripts.iter().enumerate() {
            let file = dir.path().join(format!("script{i}.sql"));
            std::fs::write(&file, &s.text).map_err(|e| e.to_string())?;
            cmd.arg("-f").arg(&file);
            for (k, v) in &s.vars {
                cmd.arg("-D").arg(format!("{k}={v}"));
            }
        }
        cmd.arg(&self.url);
        eprintln!("pgbench baseline starts ({} scripts)", scripts.len());
        let out = cmd.output().map_err(|e| format!("pgbench: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut stats = Stats {
            throughput: figure(&stdout, "tps = ").unwrap_or(0.0),
            ..Stats::default()
        };
        let failed = figure(&stdout, "number of failed transactions: ").unwrap_or(0.0) as u64;
        let aborted = stderr.lines().find(|l| {
            l.contains("aborted") || l.contains("ERROR") || l.starts_with("pgbench: error")
        });
        if !out.status.success() || failed > 0 || aborted.is_some() {
            stats.errors = failed.max(1);
            stats.first_error = Some(format!(
                "pgbench: {}",
                aborted.unwrap_or(stderr.lines().last().unwrap_or("failed"))
            ));
        }
        let mut latencies = log_latencies(dir.path())?;
        latencies.sort_unstable();
        let pick = |q: f64| {
            latencies
                .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
                .map_or(Duration::ZERO, |us| Duration::from_micros(*us))
        };
        stats.requests = latencies.len() as u64;
        stats.p50 = pick(0.5);
        stats.p95 = pick(0.95);
        stats.p99 = pick(0.99);
        Ok(stats)
    }
}

/// pgbench on the `PATH` or in PostgreSQL's own `bin` directory (Debian).
fn find() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("pgbench"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin/pgbench")))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.pop()
    })
}

/// The number after `label` on the first line that has it.
fn figure(text: &str, label: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let rest = &l[l.find(label)? + label.len()..];
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Every transaction's latency (microseconds) from pgbench's logs (`txlog.*`: client,
/// transaction, latency in µs, script, epoch seconds, µs).
fn log_latencies(dir: &Path) -> Result<Vec<u64>, String> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let is_log = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("txlog"));
        if !is_log {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        all.extend(
            text.lines()
                .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok()),
        );
    }
    Ok(all)
}

/// The statement's SQL with `$n` replaced by `:<prefix>n`, and the values as variables.
pub fn with_variables(
    stmt: &Statement,
    prefix: &str,
) -> Result<(String, Vec<(String, String)>), String> {
    let mut sql = String::with_capacity(stmt.sql.len());
    let mut chars = stmt.sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            sql.push(':');
            sql.push_str(prefix);
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                sql.push(d);
            }
        } else {
            sql.push(c);
        }
    }
    let values = stmt.values.as_ref().map(|v| v.0.as_slice()).unwrap_or(&[]);
    let vars = values
        .iter()
        .enumerate()
        .map(|(i, v)| Ok((format!("{prefix}{}", i + 1), text_of(v)?)))
        .collect::<Result<_, String>>()?;
    Ok((sql, vars))
}

/// A bound value as PostgreSQL reads it from text.
fn text_of(v: &Value) -> Result<String, String> {
    let text = match v {
        Value::Bool(Some(b)) => b.to_string(),
        Value::TinyInt(Some(n)) => n.to_string(),
        Value::SmallInt(Some(n)) => n.to_string(),
        Value::Int(Some(n)) => n.to_string(),
        Value::BigInt(Some(n)) => n.to_string(),
        Value::TinyUnsigned(Some(n)) => n.to_string(),
        Value::SmallUnsigned(Some(n)) => n.to_string(),
        Value::Unsigned(Some(n)) => n.to_string(),
        Value::BigUnsigned(Some(n)) => n.to_string(),
        Value::Float(Some(n)) => n.to_string(),
        Value::Double(Some(n)) => n.to_string(),
        Value::String(Some(s)) => s.clone(),
        Value::Char(Some(c)) => c.to_string(),
        Value::Uuid(Some(u)) => u.to_string(),
        Value::Json(Some(j)) => j.to_string(),
        Value::ChronoDateTimeUtc(Some(t)) => t.to_rfc3339(),
        Value::ChronoDateTimeWithTimeZone(Some(t)) => t.to_rfc3339(),
        Value::ChronoDate(Some(d)) => d.to_string(),
        other => return Err(format!("pgbench cannot bind {other:?}")),
    };
    if text.contains('\0') || text.contains('\n') {
        return Err(format!("pgbench cannot pass {text:?} as a variable"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::DbBackend;

    #[test]
    fn placeholders_become_variables() {
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 WHERE a = $1 AND b::text = $12 AND c = '$'",
            [
                Value::from(1i64),
                "x y".into(),
                true.into(),
                4i32.into(),
                5i32.into(),
                6i32.into(),
                7i32.into(),
                8i32.into(),
                9i32.into(),
                10i32.into(),
                11i32.into(),
                12i32.into(),
            ],
        );
        let (sql, vars) = with_variables(&stmt, "p").unwrap();
        assert_eq!(sql, "SELECT 1 WHERE a = :p1 AND b::text = :p12 AND c = '$'");
        assert_eq!(vars[1], ("p2".into(), "x y".into()));
        assert_eq!(vars.len(), 12);
        let script = Script {
            text: format!("{sql};"),
            vars,
        }
        .replace_value("x y", "(SELECT 2)")
        .unwrap();
        assert!(script.text.contains("b::text = :p12"));
        assert!(!script.vars.iter().any(|(k, _)| k == "p2"));
    }

    #[test]
    fn figures_are_read_from_the_report() {
        let out =
            "latency average = 0.631 ms\ntps = 25345.123456 (without initial connection time)\n";
        assert_eq!(figure(out, "tps = "), Some(25345.123456));
        assert_eq!(figure(out, "number of failed transactions: "), None);
    }
}
