//! Integration tests: every test that touches storage runs on SQLite and on PostgreSQL
//! (`…::sqlite`, `…::postgres`), through HTTP against a real server on port 0.

mod helpers;

mod auth;
mod caching;
mod concurrency;
mod contract;
mod dashboards;
mod deadlines;
mod docs;
mod errors;
mod feeds;
mod import;
mod integrity;
mod landing;
mod lists;
mod notices;
mod ops;
mod process;
mod proxy;
mod replica;
mod reports;
mod schemas;
mod seed;
mod sync;
mod writes;
