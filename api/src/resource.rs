//! The write pipeline every resource shares, so that authorisation, `If-Match`, row locking,
//! revisions and ETags are written once: a resource says how to load, insert, change and delete
//! itself, and [`create`], [`replace`], [`patch`], [`delete`], [`get`] and [`revisions`] do the rest.

use std::future::Future;

use actix_web::{HttpRequest, HttpResponse, http::header};
use chrono::{DateTime, Utc};
use entity::revision;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::AuthUser,
    error::{ApiError, Result},
    journal::{self, Action, Actor, Change},
    listing::{KeyKind, Listing, PageRequest, SortColumn, SortKey, fetch, resolve_sort},
    routes::revisions::RevisionOut,
    services::dependents::{self, Target},
    startup::AppState,
};

/// What a write knows besides its input.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub now: DateTime<Utc>,
    pub actor: Actor,
}

/// A resource the API can write.
pub trait Resource: 'static {
    /// The collection's name in URLs and revisions, e.g. `work-items`.
    const COLLECTION: &'static str;
    /// The table its rows live in.
    const TABLE: &'static str;
    /// What the API shows.
    type Out: Serialize;
    /// The body of POST and PUT.
    type In: DeserializeOwned + Validate + 'static;
    /// The body of PATCH.
    type Patch: DeserializeOwned + Validate + 'static;

    /// The resource as the API shows it; 404 when absent.
    fn load(db: &impl ConnectionTrait, id: Uuid) -> impl Future<Output = Result<Self::Out>>;
    /// The city the resource belongs to; `None` for resources only an admin may write.
    fn city_of(out: &Self::Out) -> Option<Uuid>;
    /// The city a new resource would belong to; `None` for admin-only resources.
    fn city_of_input(db: &impl ConnectionTrait, input: &Self::In) -> impl Future<Output = Result<Option<Uuid>>>;
    /// Inserts a new resource; returns its id.
    fn insert(db: &impl ConnectionTrait, input: Self::In, ctx: &WriteContext) -> impl Future<Output = Result<Uuid>>;
    /// Replaces every writable field. Returns the changes it made to other resources (a
    /// section's new period reaching its items), for the revision log.
    fn replace(
        db: &impl ConnectionTrait,
        current: &Self::Out,
        input: Self::In,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Vec<Change>>>;
    /// Changes the fields the patch names; returns the changes to other resources.
    fn patch(
        db: &impl ConnectionTrait,
        current: &Self::Out,
        patch: Self::Patch,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Vec<Change>>>;
    /// Records whose representation shows part of this one (see [`crate::services::dependents`]);
    /// their changes reach the revision log with the write.
    fn dependents(db: &impl ConnectionTrait, current: &Self::Out) -> impl Future<Output = Result<Vec<Target>>> {
        let _ = (db, current);
        async { Ok(Vec::new()) }
    }
    /// The dependents a new resource will have, from its input.
    fn dependents_of_input(db: &impl ConnectionTrait, input: &Self::In) -> impl Future<Output = Result<Vec<Target>>> {
        let _ = (db, input);
        async { Ok(Vec::new()) }
    }
    /// Deletes the resource; with `cascade`, what depends on it too. Returns the changes to
    /// dependants, for the revision log. Without `cascade`, a resource others depend on is a 409
    /// that says what depends on it.
    fn delete(
        db: &impl ConnectionTrait,
        current: &Self::Out,
        cascade: bool,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Vec<Change>>>;
}

/// A strong entity tag of a representation: a digest of its JSON.
pub fn etag<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_vec(value).unwrap_or_default();
    let digest = Sha256::digest(&json);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// 412 unless `If-Match` is absent, `*`, or lists `current`.
fn check_if_match(req: &HttpRequest, current: &str) -> Result<()> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(());
    };
    let value = value.to_str().map_err(|_| ApiError::bad_field("If-Match", "is not text"))?;
    let tags: Vec<&str> = value.split(',').map(str::trim).collect();
    let well_formed = value.trim() == "*"
        || tags.iter().all(|tag| {
            let opaque = tag.strip_prefix("W/").unwrap_or(tag);
            opaque.len() >= 2
                && opaque.starts_with('"')
                && opaque.ends_with('"')
                && !opaque[1..opaque.len() - 1].contains('"')
        });
    if !well_formed {
        return Err(ApiError::bad_field("If-Match", "must be `*` or a list of entity tags such as \"5de44cd4…\""));
    }
    // Strong comparison (RFC 9110): a weak tag never matches.
    let matches = value.trim() == "*" || tags.contains(&current);
    if matches {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(format!(
            "the resource has changed: its ETag is {current}, not {}",
            value.trim()
        )))
    }
}

/// Takes the row's write lock before reading it, so that two writers with the same `If-Match`
/// cannot both pass the check: the second waits, then sees the first one's change. A no-op
/// UPDATE does it on both backends (a row lock on PostgreSQL, the write lock on SQLite).
async fn lock_row(db: &impl ConnectionTrait, table: &'static str, id: Uuid) -> Result<()> {
    let statement = Query::update().table(table).value("id", Expr::col("id")).and_where(Expr::col("id").eq(id)).take();
    db.execute(&statement).await?;
    Ok(())
}

/// The resource a PUT, PATCH or DELETE changes: locked for this transaction, writable by `auth`,
/// and still the version `If-Match` names.
async fn locked_for_write<R: Resource>(
    txn: &impl ConnectionTrait,
    auth: &AuthUser,
    req: &HttpRequest,
    id: Uuid,
) -> Result<R::Out> {
    lock_row(txn, R::TABLE, id).await?;
    let current = R::load(txn, id).await?;
    authorize(auth, R::city_of(&current))?;
    check_if_match(req, &etag(&current))?;
    Ok(current)
}

fn context(auth: &AuthUser) -> WriteContext {
    WriteContext { now: Utc::now(), actor: Actor { id: Some(auth.id), name: auth.username.clone() } }
}

fn authorize(auth: &AuthUser, city: Option<Uuid>) -> Result<()> {
    match city {
        Some(city) => auth.require_city(city),
        None => auth.require_admin(),
    }
}

/// The JSON the revision log keeps of a resource.
pub fn snapshot<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|error| anyhow::Error::new(error).context("Failed to serialise a resource").into())
}

/// 200 with the resource and its ETag.
pub fn ok_with_etag<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, etag(value))).json(value)
}

/// `GET /{collection}/{id}`.
pub async fn get<R: Resource>(state: &AppState, id: Uuid) -> Result<HttpResponse> {
    Ok(ok_with_etag(&R::load(&state.db, id).await?))
}

/// `POST /{collection}`: 201 with `Location` and `ETag`.
pub async fn create<R: Resource>(state: &AppState, auth: &AuthUser, input: R::In) -> Result<HttpResponse> {
    let ctx = context(auth);
    let txn = state.db.begin().await?;
    authorize(auth, R::city_of_input(&txn, &input).await?)?;
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
    changes.extend(dependents::unrecorded_updates(&txn, &dependents).await?);
    journal::record(&txn, &ctx.actor, changes).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/{}/{id}", R::COLLECTION)))
        .insert_header((header::ETAG, etag(&out)))
        .json(out))
}

/// The body of an update: a full replacement or a patch.
pub enum Update<R: Resource> {
    Replace(R::In),
    Patch(R::Patch),
}

/// `PUT` or `PATCH /{collection}/{id}`: 200 with the new `ETag`, 412 on a stale `If-Match`.
pub async fn update<R: Resource>(
    state: &AppState,
    auth: &AuthUser,
    req: &HttpRequest,
    id: Uuid,
    update: Update<R>,
) -> Result<HttpResponse> {
    let ctx = context(auth);
    let txn = state.db.begin().await?;
    let before = locked_for_write::<R>(&txn, auth, req, id).await?;
    if let Update::Replace(input) = &update {
        // A replacement may not move the resource to a city the writer cannot write to.
        authorize(auth, R::city_of_input(&txn, input).await?)?;
    }
    let dependents = R::dependents(&txn, &before).await?;
    let mut changes = match update {
        Update::Replace(input) => R::replace(&txn, &before, input, &ctx).await?,
        Update::Patch(patch) => R::patch(&txn, &before, patch, &ctx).await?,
    };
    crate::search::refresh_dependents(&txn, &dependents).await?;
    let after = R::load(&txn, id).await?;
    let (before_json, after_json) = (snapshot(&before)?, snapshot(&after)?);
    if journal::diff(Some(&before_json), Some(&after_json)).as_object().is_some_and(|changes| changes.is_empty()) {
        // Nothing but `updated_at` would change: roll back, so a no-op write leaves no trace.
        txn.rollback().await?;
        return Ok(ok_with_etag(&before));
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
    changes.extend(dependents::unrecorded_updates(&txn, &dependents).await?);
    journal::record(&txn, &ctx.actor, changes).await?;
    txn.commit().await?;
    Ok(ok_with_etag(&after))
}

/// `DELETE /{collection}/{id}`: 204; 409 when others depend on it and `cascade` is false.
pub async fn delete<R: Resource>(
    state: &AppState,
    auth: &AuthUser,
    req: &HttpRequest,
    id: Uuid,
    cascade: bool,
) -> Result<HttpResponse> {
    let ctx = context(auth);
    let txn = state.db.begin().await?;
    let before = locked_for_write::<R>(&txn, auth, req, id).await?;
    let dependents = R::dependents(&txn, &before).await?;
    let mut changes = R::delete(&txn, &before, cascade, &ctx).await?;
    // Dependents deleted with it are in `changes` as tombstones; the rest may show it no more.
    journal::serialize(&txn).await?;
    changes.extend(dependents::unrecorded_updates(&txn, &dependents).await?);
    changes.push(Change {
        resource_type: R::COLLECTION,
        resource_id: id,
        city_id: R::city_of(&before),
        action: Action::Delete,
        before: Some(snapshot(&before)?),
        after: None,
    });
    journal::record(&txn, &ctx.actor, changes).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /{collection}/{id}/revisions`: the resource's revisions, oldest first. A deleted
/// resource's history stays readable.
pub async fn revisions<R: Resource>(
    state: &AppState,
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
    let listing = fetch(&state.db, select, ordering, page).await?;
    if listing.items.is_empty() && listing.offset == 0 && !listing.by_cursor {
        // Either no such resource, or one whose history was not kept; only the first is a 404.
        let known = revision::Entity::find()
            .filter(revision::Column::ResourceType.eq(R::COLLECTION))
            .filter(revision::Column::ResourceId.eq(id))
            .one(&state.db)
            .await?;
        if known.is_none() {
            R::load(&state.db, id).await?;
        }
    }
    Ok(listing.map(RevisionOut::from))
}
