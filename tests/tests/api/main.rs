//! Integration tests: every test that touches storage runs on SQLite and on PostgreSQL
//! (`…::sqlite`, `…::postgres`), through HTTP against a real server on port 0.

mod helpers;

mod docs;
mod errors;
mod import;
mod lists;
mod seed;
