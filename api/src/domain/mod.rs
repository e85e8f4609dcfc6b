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

use std::{
    collections::HashMap,
    sync::{Arc, Weak},
    time::Duration,
};

use uuid::Uuid;

/// Indexes models by their id.
pub(crate) fn by_id<M>(models: Vec<M>, id: impl Fn(&M) -> Uuid) -> HashMap<Uuid, M> {
    models.into_iter().map(|m| (id(&m), m)).collect()
}

/// Runs `work` on `alive`'s value every `period`, in the background, until the last [`Arc`] of
/// that value is dropped: what the server keeps up between requests (kept connections swept back
/// to the pool, the search index's pending list merged) ends with the server.
pub(crate) fn every_while_alive<T, F>(
    alive: Weak<T>,
    period: Duration,
    mut work: impl FnMut(Arc<T>) -> F + Send + 'static,
) where
    T: Send + Sync + 'static,
    F: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(period).await;
            let Some(value) = alive.upgrade() else { return };
            work(value).await;
        }
    });
}
