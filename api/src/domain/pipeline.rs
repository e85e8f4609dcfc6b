//! The write pipeline every resource shares, so that authorisation, preconditions, row locking,
//! revisions, dependents and entity tags are written once: row lock → load → authorise → check
//! `If-Match` → write → record the revisions, all in one transaction.

use entity::revision;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use crate::{
    domain::{
        journal::{self, Action, Change},
        paging::{KeyKind, Listing, PageRequest, SortColumn, SortKey, fetch, resolve_sort},
        resource::{Authority, Precondition, Resource, Tagged, WriteContext, snapshot},
        search, snapshots,
    },
    error::{ApiError, Result},
    views::revisions::RevisionOut,
};

/// The body of an update: a full replacement or a patch.
pub enum Update<R: Resource> {
    Replace(R::In),
    Patch(R::Patch),
}

/// Takes the row's write lock before reading it, so that two writers with the same `If-Match`
/// cannot both pass the check: the second waits, then sees the first one's change. A no-op
/// UPDATE does it on both backends (a row lock on PostgreSQL, the write lock on SQLite).
async fn lock_row(db: &impl ConnectionTrait, table: &'static str, id: Uuid) -> Result<()> {
    let statement = Query::update().table(table).value("id", Expr::col("id")).and_where(Expr::col("id").eq(id)).take();
    db.execute(&statement).await?;
    Ok(())
}

/// The resource a PUT, PATCH or DELETE changes: locked for this transaction, writable by `who`,
/// and still the version `precondition` names.
async fn locked_for_write<R: Resource>(
    txn: &impl ConnectionTrait,
    who: &impl Authority,
    precondition: &Precondition,
    id: Uuid,
) -> Result<R::Out> {
    lock_row(txn, R::TABLE, id).await?;
    let current = R::load(txn, id).await?;
    R::authorize(txn, who, &current).await?;
    precondition.check(&Tagged::new(&current).etag)?;
    Ok(current)
}

fn context(who: &impl Authority) -> WriteContext {
    WriteContext { now: chrono::Utc::now(), actor: who.actor() }
}

/// The resource with `id`, tagged.
pub async fn get<R: Resource>(db: &impl ConnectionTrait, id: Uuid) -> Result<Tagged<R::Out>> {
    Ok(Tagged::new(R::load(db, id).await?))
}

/// Creates a resource; returns it as it now is.
pub async fn create<R: Resource>(
    db: &DatabaseConnection,
    who: &impl Authority,
    input: R::In,
) -> Result<(Uuid, Tagged<R::Out>)> {
    let ctx = context(who);
    let txn = db.begin().await?;
    R::authorize_input(&txn, who, &input).await?;
    let dependents = R::dependents_of_input(&txn, &input).await?;
    let id = R::insert(&txn, input, &ctx).await?;
    let out = R::load(&txn, id).await?;
    let mut changes = vec![Change {
        resource_type: R::COLLECTION,
        resource_id: id,
        city_id: R::city_of(&out),
        action: Action::Create,
        before: None,
        after: Some(snapshot(&out)?),
    }];
    journal::serialize(&txn).await?;
    changes.extend(snapshots::unrecorded_updates(&txn, &dependents).await?);
    journal::record(&txn, &ctx.actor, changes).await?;
    txn.commit().await.map_err(ApiError::from_commit)?;
    Ok((id, Tagged::new(out)))
}

/// Replaces or patches a resource; returns it as it now is. A write that would change nothing
/// but `updated_at` is rolled back and leaves no trace.
pub async fn update<R: Resource>(
    db: &DatabaseConnection,
    who: &impl Authority,
    precondition: &Precondition,
    id: Uuid,
    update: Update<R>,
) -> Result<Tagged<R::Out>> {
    let ctx = context(who);
    let txn = db.begin().await?;
    let before = locked_for_write::<R>(&txn, who, precondition, id).await?;
    if let Update::Replace(input) = &update {
        // A replacement may not move the resource to a city the writer cannot write to.
        R::authorize_input(&txn, who, input).await?;
    }
    let dependents = R::dependents(&txn, &before).await?;
    let mut changes = match update {
        Update::Replace(input) => R::replace(&txn, &before, input, &ctx).await?,
        Update::Patch(patch) => R::patch(&txn, &before, patch, &ctx).await?,
    };
    search::refresh_dependents(&txn, &dependents).await?;
    let after = R::load(&txn, id).await?;
    let (before_json, after_json) = (snapshot(&before)?, snapshot(&after)?);
    if !journal::differs(Some(&before_json), Some(&after_json)) {
        txn.rollback().await?;
        return Ok(Tagged::new(before));
    }
    changes.push(Change {
        resource_type: R::COLLECTION,
        resource_id: id,
        city_id: R::city_of(&after),
        action: Action::Update,
        before: Some(before_json),
        after: Some(after_json),
    });
    journal::serialize(&txn).await?;
    changes.extend(snapshots::unrecorded_updates(&txn, &dependents).await?);
    journal::record(&txn, &ctx.actor, changes).await?;
    txn.commit().await.map_err(ApiError::from_commit)?;
    Ok(Tagged::new(after))
}

/// Deletes a resource; 409 when others depend on it and `cascade` is false.
pub async fn delete<R: Resource>(
    db: &DatabaseConnection,
    who: &impl Authority,
    precondition: &Precondition,
    id: Uuid,
    cascade: bool,
) -> Result<()> {
    let ctx = context(who);
    let txn = db.begin().await?;
    let before = locked_for_write::<R>(&txn, who, precondition, id).await?;
    let dependents = R::dependents(&txn, &before).await?;
    let mut changes = R::delete(&txn, &before, cascade, &ctx).await?;
    // Dependents deleted with it are in `changes` as tombstones; the rest may show it no more.
    journal::serialize(&txn).await?;
    changes.extend(snapshots::unrecorded_updates(&txn, &dependents).await?);
    changes.push(Change {
        resource_type: R::COLLECTION,
        resource_id: id,
        city_id: R::city_of(&before),
        action: Action::Delete,
        before: Some(snapshot(&before)?),
        after: None,
    });
    journal::record(&txn, &ctx.actor, changes).await?;
    txn.commit().await.map_err(ApiError::from_commit)?;
    Ok(())
}

/// The resource's revisions, oldest first. A deleted resource's history stays readable.
pub async fn revisions<R: Resource>(
    db: &impl ConnectionTrait,
    id: Uuid,
    sort: Option<&str>,
    page: &PageRequest,
) -> Result<Listing<RevisionOut>> {
    let select = revision::Entity::find()
        .filter(revision::Column::ResourceType.eq(R::COLLECTION))
        .filter(revision::Column::ResourceId.eq(id));
    let seq = SortColumn::new(Expr::col((revision::Entity, revision::Column::Seq)), "/seq", KeyKind::Int);
    let ordering = resolve_sort(
        sort,
        &[SortKey::new("seq", vec![seq])],
        SortColumn::new(Expr::col((revision::Entity, revision::Column::Id)), "/id", KeyKind::Uuid),
    )?;
    let listing = fetch(db, select, ordering, page).await?;
    if listing.items.is_empty() && listing.offset == 0 && !listing.by_cursor {
        // Either no such resource, or one whose history was not kept; only the first is a 404.
        let known = revision::Entity::find()
            .filter(revision::Column::ResourceType.eq(R::COLLECTION))
            .filter(revision::Column::ResourceId.eq(id))
            .one(db)
            .await?;
        if known.is_none() {
            R::load(db, id).await?;
        }
    }
    Ok(listing.map(journal::shown))
}
