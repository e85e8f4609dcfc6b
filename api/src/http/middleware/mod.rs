//! What wraps every request: security headers, request ids, metrics, rate limits, deadlines,
//! conditional GETs, the lists' representations by suffix.

pub mod caching;
pub mod deadline;
pub mod hardening;
pub mod metrics;
pub mod rate_limit;
pub mod representation;
pub mod request_id;
