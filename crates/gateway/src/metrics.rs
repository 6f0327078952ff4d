//! Prometheus metrics: requests by status class and SQL statements, as text at `GET /metrics`.

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one server.
#[derive(Debug, Default)]
pub struct Metrics {
    /// SQL statements run (every statement, in or out of transactions).
    pub sql_statements: AtomicU64,
    /// Responses by status class: 1xx..5xx at indexes 0..4.
    pub responses: [AtomicU64; 5],
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
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out)
}
