//! What the landing page shows: how many records each public collection holds.

use entity::item::ItemKind;
use sea_orm::{ActiveEnum, ConnectionTrait, Statement};

use crate::{error::Result, views::collection::Collection};

/// The size of every public collection, in one statement (one round trip; each count is its own
/// scalar subquery, so the planner may answer it from an index).
pub async fn collection_counts(db: &impl ConnectionTrait) -> Result<Vec<(Collection, u64)>> {
    let from = |collection: Collection| match collection {
        Collection::WorkItems => format!("items WHERE kind = '{}'", ItemKind::WorkItem.to_value()),
        Collection::LivelihoodProjects => format!("items WHERE kind = '{}'", ItemKind::LivelihoodProject.to_value()),
        Collection::Reports => "progress_reports".to_owned(),
        other => other.as_str().to_owned(),
    };
    let columns: Vec<String> = Collection::PUBLIC
        .iter()
        .enumerate()
        .map(|(index, collection)| format!("(SELECT COUNT(*) FROM {}) AS c{index}", from(*collection)))
        .collect();
    let sql = format!("SELECT {}", columns.join(", "));
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    let mut counts = Vec::with_capacity(Collection::PUBLIC.len());
    for (index, collection) in Collection::PUBLIC.into_iter().enumerate() {
        let count: i64 = match &row {
            Some(row) => row.try_get("", &format!("c{index}"))?,
            None => 0,
        };
        counts.push((collection, u64::try_from(count).unwrap_or(0)));
    }
    Ok(counts)
}
