//! Prometheus metrics: requests by method, route and status, with their total duration, and
//! whether the database answers. Counters are per process: Prometheus scrapes every replica.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{LazyLock, Mutex},
    time::Instant,
};

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
};

/// (method, route pattern, status) → (count, seconds).
type Tallies = BTreeMap<(String, String, u16), (u64, f64)>;

static REQUESTS: LazyLock<Mutex<Tallies>> = LazyLock::new(Default::default);

/// The middleware: counts every answered request under its route pattern (not its raw path, so
/// ids do not explode the label set).
pub async fn count(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let res = next.call(req).await?;
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let key = (method, route, res.status().as_u16());
    if let Ok(mut requests) = REQUESTS.lock() {
        let entry = requests.entry(key).or_default();
        entry.0 += 1;
        entry.1 += started.elapsed().as_secs_f64();
    }
    Ok(res)
}

/// The metrics in the Prometheus text format; `database_up` says whether the database answers.
pub fn render(database_up: bool) -> String {
    let mut text = String::new();
    let label = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let _ = writeln!(text, "# HELP duban_http_requests_total Requests answered, by method, route and status.");
    let _ = writeln!(text, "# TYPE duban_http_requests_total counter");
    let requests = REQUESTS.lock().map(|r| r.clone()).unwrap_or_default();
    for ((method, route, status), (count, _)) in &requests {
        let _ = writeln!(
            text,
            "duban_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
            label(route)
        );
    }
    let _ =
        writeln!(text, "# HELP duban_http_request_duration_seconds Time spent answering, by method, route and status.");
    let _ = writeln!(text, "# TYPE duban_http_request_duration_seconds summary");
    for ((method, route, status), (count, seconds)) in &requests {
        let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", label(route));
        let _ = writeln!(text, "duban_http_request_duration_seconds_sum{{{labels}}} {seconds:.6}");
        let _ = writeln!(text, "duban_http_request_duration_seconds_count{{{labels}}} {count}");
    }
    let _ = writeln!(text, "# HELP duban_database_up Whether the database answers (1) or not (0).");
    let _ = writeln!(text, "# TYPE duban_database_up gauge");
    let _ = writeln!(text, "duban_database_up {}", u8::from(database_up));
    text
}
