//! Logging through `tracing`: pretty or JSON lines, filtered by `log_level`; and, with
//! `otlp_endpoint`, request spans exported over OTLP ([`crate::otel`]) whatever the log level.

use crate::config::{Config, LogFormat};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Installs the global subscriber (once; later calls are ignored, which tests rely on).
pub fn init(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_target(true);
    let fmt = match config.log_format {
        LogFormat::Json => fmt.json().flatten_event(true).with_filter(filter).boxed(),
        LogFormat::Pretty => fmt.with_filter(filter).boxed(),
    };
    let mut failed = None;
    let otel =
        config
            .otlp_endpoint
            .as_deref()
            .and_then(|endpoint| match crate::otel::layer(endpoint) {
                Ok(layer) => Some(layer.with_filter(
                    Targets::new().with_target(crate::otel::TARGET, tracing::Level::INFO),
                )),
                Err(e) => {
                    failed = Some(e);
                    None
                }
            });
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init();
    if let Some(e) = failed {
        tracing::error!(error = %e, "trace export is off");
    }
}
