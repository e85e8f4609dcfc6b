//! The HTTP layer: state, extractors, responders, middleware, handlers, the OpenAPI document and
//! the server. Handlers extract, call one domain function, and map the result to a response.

pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod rate_limiter;
pub mod respond;
pub mod routes;
pub mod startup;
pub mod state;
