//! Prometheus metrics through the `metrics` facade and its Prometheus exporter: request counts
//! and latency histograms by method, route and status, plus what other modules record (database
//! pool, statement timeouts, rate-limit refusals, failed logins, imports). Counters are per
//! process: Prometheus scrapes every replica.

use std::{sync::OnceLock, time::Instant};

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: from a cached read to a big import.
const LATENCY_BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The process's recorder, installed on first use (tests start many servers in one process).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_duration_seconds".to_owned()), &LATENCY_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => Some(handle),
                Err(error) => {
                    tracing::error!(%error, "Failed to install the metrics recorder; /metrics will be empty");
                    None
                }
            }
        })
        .as_ref()
}

/// Installs the recorder; call before serving so that metrics recorded early are kept.
pub fn install() {
    let _ = handle();
}

/// The middleware: counts every answered request under its route pattern (not its raw path, so
/// ids do not explode the label set) and records how long it took.
pub async fn count(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let res = next.call(req).await?;
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let labels = [("method", method), ("route", route), ("status", res.status().as_u16().to_string())];
    metrics::counter!("duban_http_requests_total", &labels).increment(1);
    metrics::histogram!("duban_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    Ok(res)
}

/// The metrics in the Prometheus text format.
pub fn render() -> String {
    handle().map(PrometheusHandle::render).unwrap_or_default()
}
