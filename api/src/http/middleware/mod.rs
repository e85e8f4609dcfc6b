//! What wraps every request: security headers, request ids, metrics, rate limits, deadlines,
//! conditional GETs.

pub mod caching;
pub mod deadline;
pub mod hardening;
pub mod metrics;
pub mod rate_limit;
pub mod request_id;
