//! What the examples install for an operator: a `tracing` subscriber that
//! prints to standard error what `RUST_LOG` selects (warnings by default:
//! dead letters, overdue partitions), and, when `BLAZES_PROMETHEUS` names an
//! address (`127.0.0.1:9000`, say), a Prometheus exporter serving the run's
//! counters (see the crate's `runtime` docs) at `http://ADDRESS/metrics`.

use std::io::IsTerminal;
use std::net::SocketAddr;

use tracing_subscriber::EnvFilter;

/// The variable naming the Prometheus exporter's address.
const PROMETHEUS_VAR: &str = "BLAZES_PROMETHEUS";

/// Installs the subscriber and, when asked for, the exporter.
pub fn install() -> Result<(), Box<dyn std::error::Error>> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|e| -> Box<dyn std::error::Error> { e })?;
    if let Ok(address) = std::env::var(PROMETHEUS_VAR) {
        let address: SocketAddr = address
            .parse()
            .map_err(|e| format!("{PROMETHEUS_VAR}={address}: not an address ({e})"))?;
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(address)
            .install()?;
        eprintln!("metrics at http://{address}/metrics");
    }
    Ok(())
}
