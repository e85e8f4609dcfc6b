//! Prometheus metrics through the `metrics` facade and its Prometheus exporter: request counts
//! and latency histograms by method, route and status, plus what other modules record (database
//! pool, statement timeouts, rate-limit refusals, failed logins, imports). Counters are per
//! process: Prometheus scrapes every replica.

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    sync::OnceLock,
    time::Instant,
};

use actix_web::{
    Error, HttpRequest,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
};
use metrics::{Counter, Histogram};
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
    let res = next.call(req).await?;
    let (counter, histogram) = handles(res.request(), res.status().as_u16());
    counter.increment(1);
    histogram.record(started.elapsed().as_secs_f64());
    Ok(res)
}

/// The handles of one route's requests, by method and status.
type RouteHandles = Vec<(Method, u16, Counter, Histogram)>;

thread_local! {
    /// The handles of each label set this worker has seen, by route, then method and status:
    /// registering a metric (building its key, hashing it, finding it in the registry) on every
    /// request cost more than recording it.
    static HANDLES: RefCell<HashMap<String, RouteHandles>> = RefCell::default();
    /// The paths that are their own route pattern (routes without parameters), found by walking
    /// the resource map once each.
    static STATIC_ROUTES: RefCell<HashSet<String>> = RefCell::default();
}

/// The request counter and latency histogram of `req`'s method, route and `status`.
fn handles(req: &HttpRequest, status: u16) -> (Counter, Histogram) {
    let route = route(req);
    HANDLES.with_borrow_mut(|handles| {
        let method = req.method();
        let known =
            handles.get(&route).and_then(|by_route| by_route.iter().find(|(m, s, ..)| m == method && *s == status));
        if let Some((.., counter, histogram)) = known {
            return (counter.clone(), histogram.clone());
        }
        let labels = [("method", method.to_string()), ("route", route.clone()), ("status", status.to_string())];
        let counter = metrics::counter!("duban_http_requests_total", &labels);
        let histogram = metrics::histogram!("duban_http_request_duration_seconds", &labels);
        handles.entry(route).or_default().push((method.clone(), status, counter.clone(), histogram.clone()));
        (counter, histogram)
    })
}

/// The route pattern `req` matched. A request the router never saw (a 304 from the caching
/// middleware, a 429) costs `match_pattern` a walk of the whole resource map, with a regex per
/// route; a path without parameters is its own pattern, so it is walked once.
fn route(req: &HttpRequest) -> String {
    let routed = req.match_info().unprocessed().is_empty();
    let path = req.path();
    if !routed && STATIC_ROUTES.with_borrow(|routes| routes.contains(path)) {
        return path.to_owned();
    }
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    if !routed && route == path {
        STATIC_ROUTES.with_borrow_mut(|routes| routes.insert(route.clone()));
    }
    route
}

/// The metrics in the Prometheus text format.
pub fn render() -> String {
    handle().map(PrometheusHandle::render).unwrap_or_default()
}
