//! Duban (督办): an open REST/JSON API that publishes and tracks the work plans Chinese city
//! governments issue every year.
//!
//! The binary `duban` is a thin wrapper around [`cli::run`]; tests build the server with
//! [`startup::Application::build`] on port 0.

pub mod auth;
pub mod body;
pub mod caching;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod import;
pub mod journal;
pub mod listing;
pub mod metrics;
pub mod openapi;
pub mod query;
pub mod resource;
pub mod routes;
pub mod search;
pub mod services;
pub mod startup;
pub mod telemetry;
