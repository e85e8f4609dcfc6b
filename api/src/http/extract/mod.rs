//! What handlers take from a request: bodies, query strings, list options, credentials and
//! preconditions, each answering a precise problem when malformed.

pub mod auth;
pub mod body;
pub mod if_match;
pub mod list;
pub mod query;
pub mod reading;
