//! Reading and writing resources with sea-orm. Every function takes `&impl ConnectionTrait`, so
//! it runs on the pool or inside a transaction. Nothing here knows HTTP: callers pass what a
//! request carries (who asks, the precondition, the input) and get views back.

pub mod auth;
pub mod changes;
pub mod cities;
pub mod collection;
pub mod dependents;
pub mod documents;
pub(crate) mod driver;
pub mod filter;
pub mod generate;
pub mod import;
pub mod include;
pub mod items;
pub mod journal;
pub mod notice;
pub mod overlap;
pub mod overview;
pub mod paging;
pub mod people;
pub mod pipeline;
pub mod reports;
pub mod resource;
pub mod search;
pub mod sections;
pub mod snapshots;
pub mod stats;
pub mod trend_tallies;
pub mod users;

use std::collections::HashMap;

use uuid::Uuid;

/// Indexes models by their id.
pub(crate) fn by_id<M>(models: Vec<M>, id: impl Fn(&M) -> Uuid) -> HashMap<Uuid, M> {
    models.into_iter().map(|m| (id(&m), m)).collect()
}
