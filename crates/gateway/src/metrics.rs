//! Prometheus metrics as text at `GET /metrics`: responses by status class, request latency
//! histograms by route pattern, method and status ([`latency`]), SQL statements, the database
//! pool and the read connections held beside it, and the process ([`process`]).

pub mod latency;
pub mod process;

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use sea_orm::{DatabaseConnection, DbBackend};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one server.
#[derive(Debug, Default)]
pub struct Metrics {
    /// SQL statements run (every statement, in or out of transactions).
    pub sql_statements: AtomicU64,
    /// Responses by status class: 1xx..5xx at indexes 0..4.
    pub responses: [AtomicU64; 5],
    /// Request latencies by route pattern, method and status.
    pub latencies: latency::Latencies,
}

impl Metrics {
    /// Counts one response with `status`.
    pub fn response(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
    }

    /// The number of SQL statements run so far.
    pub fn statements(&self) -> u64 {
        self.sql_statements.load(Ordering::Relaxed)
    }
}

/// `GET /metrics`: the counters in the Prometheus text format.
pub async fn render(state: web::Data<AppState>) -> HttpResponse {
    let m = &state.metrics;
    let mut out = String::from(
        "# HELP crm_http_responses_total HTTP responses by status class.\n# TYPE crm_http_responses_total counter\n",
    );
    for (i, c) in m.responses.iter().enumerate() {
        out.push_str(&format!(
            "crm_http_responses_total{{class=\"{}xx\"}} {}\n",
            i + 1,
            c.load(Ordering::Relaxed)
        ));
    }
    out.push_str("# HELP crm_sql_statements_total SQL statements run.\n# TYPE crm_sql_statements_total counter\n");
    out.push_str(&format!("crm_sql_statements_total {}\n", m.statements()));
    m.latencies.render(&mut out);
    pool(&state.db, state.config.db_max_connections, &mut out);
    held_reads(&state.reads, &mut out);
    process::Process::read().render(&mut out);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out)
}

/// The database pool's gauges: open connections, idle ones, and the most it may open.
fn pool(db: &DatabaseConnection, max: u32, out: &mut String) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    let _ = write!(
        out,
        "# HELP crm_db_pool_connections Open database connections (in use and idle).\n\
         # TYPE crm_db_pool_connections gauge\ncrm_db_pool_connections {size}\n\
         # HELP crm_db_pool_idle_connections Idle database connections.\n\
         # TYPE crm_db_pool_idle_connections gauge\ncrm_db_pool_idle_connections {idle}\n\
         # HELP crm_db_pool_max_connections The most database connections the pool opens.\n\
         # TYPE crm_db_pool_max_connections gauge\ncrm_db_pool_max_connections {max}\n"
    );
}

/// The gauges of the read connections held beside the pool (PostgreSQL with
/// `CRM_DB_READ_CONNECTIONS` above 0; absent otherwise).
fn held_reads(reads: &crm_core::reads::Reads, out: &mut String) {
    let Some(held) = reads.held_stats() else {
        return;
    };
    let _ = write!(
        out,
        "# HELP crm_db_read_connections Open read connections held beside the pool (idle, \
         serving a statement, or being checked).\n\
         # TYPE crm_db_read_connections gauge\ncrm_db_read_connections {}\n\
         # HELP crm_db_read_idle_connections Idle read connections held beside the pool.\n\
         # TYPE crm_db_read_idle_connections gauge\ncrm_db_read_idle_connections {}\n\
         # HELP crm_db_read_max_connections The most read connections held beside the pool.\n\
         # TYPE crm_db_read_max_connections gauge\ncrm_db_read_max_connections {}\n",
        held.open, held.idle, held.max
    );
}
