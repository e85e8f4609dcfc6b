//! Building large statements while the database runs the ones before.
//!
//! An import writes a few dozen statements of thousands of rows each, and building one (its SQL
//! and its values, and the JSON of the revisions it records) kept the client busy while the
//! database waited, and the database busy while the client waited: of a 10,000-item first import
//! on PostgreSQL, about 0.5 s of 2.2. A builder on a blocking thread hands each statement over
//! as soon as it is built, and the caller's connection (a transaction) runs them in order.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tokio::sync::mpsc;

use crate::error::{ApiError, Result};

/// Where a builder sends its statements, in the order they are to run.
pub struct Statements(mpsc::Sender<Statement>);

impl Statements {
    /// Hands `statement` over. Fails once a statement before it has failed: the builder should
    /// stop, as nothing more will run.
    pub fn send(&self, statement: Statement) -> Result<()> {
        self.0.blocking_send(statement).map_err(|_| anyhow::anyhow!("a statement before this one failed").into())
    }
}

/// Runs on `db`, in order, the statements `build` sends while `build` runs on a blocking thread;
/// returns what `build` returns once every statement ran. The first statement to fail ends it
/// with that statement's error (the builder stops at its next statement).
pub async fn run_while_built<T: Send + 'static>(
    db: &impl ConnectionTrait,
    build: impl FnOnce(&Statements) -> Result<T> + Send + 'static,
) -> Result<T> {
    // Up to eight built ahead (of 1,000 items or 2,000 revisions each, a few megabytes): the
    // builder runs ahead of the database and whatever it does after its last statement (an import
    // shows the items it creates) is done before the database is.
    let (sender, mut built) = mpsc::channel(8);
    let builder = tokio::task::spawn_blocking(move || build(&Statements(sender)));
    // The statements are of a few shapes (1,000 items, 5,000 unit rows, 2,000 revisions), each run
    // many times. PostgreSQL planned the first five runs of a shape for their values, walking
    // tens of thousands of parameters each time: 0.2-0.4 s of a 10,000-item import (of 2.2-2.7). A
    // generic plan is made once a shape. `SET LOCAL`: the caller's transaction keeps it, should a
    // statement fail before it is reset.
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    if postgres {
        db.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan").await?;
    }
    while let Some(statement) = built.recv().await {
        db.execute_raw(statement).await?;
    }
    if postgres {
        db.execute_unprepared("RESET plan_cache_mode").await?;
    }
    builder
        .await
        .map_err(|error| ApiError::Internal(anyhow::Error::new(error).context("a statement builder panicked")))?
}
