//! Reading and writing resources; every function takes `&impl ConnectionTrait` so it runs on the
//! pool or inside a transaction.

pub mod cities;
pub mod dependents;
pub mod documents;
pub mod item_writes;
pub mod items;
pub mod people;
pub mod sections;
pub mod stats;
pub mod users;
