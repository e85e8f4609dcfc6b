//! The handlers: each extracts what it needs, calls the domain, and maps the result to a
//! response. Every handler is registered from the list in [`crate::http::openapi`], so the
//! document and the server cannot drift apart.

pub mod changes;
pub mod cities;
pub mod crud;
pub mod docs;
pub mod documents;
pub mod feeds;
pub mod health;
pub mod imports;
pub mod items;
pub mod landing;
pub mod people;
pub mod problems;
pub mod reports;
pub mod sections;
pub mod stats;
pub mod users;
