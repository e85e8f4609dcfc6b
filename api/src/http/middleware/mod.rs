//! What wraps every request: conditional GETs, metrics, request ids.

pub mod caching;
pub mod metrics;
pub mod request_id;
