//! Duban (督办): an open REST/JSON API that publishes and tracks the work plans Chinese city
//! governments issue every year.
//!
//! The layers point one way (see `ARCHITECTURE.md`): [`views`] (what crosses the wire) ←
//! [`domain`] (reading and writing with sea-orm; no HTTP) ← [`http`] (extractors, responders,
//! middleware, handlers, the OpenAPI document, the server) ← [`cli`]. The binary `duban` is a
//! thin wrapper around [`cli::run`]; tests build the server with
//! [`http::startup::Application::build`] on port 0.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod telemetry;
pub mod views;
