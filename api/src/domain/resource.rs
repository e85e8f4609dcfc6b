//! What a writable resource is: how it loads, inserts, changes and deletes itself, which city it
//! belongs to, and which other records show part of it. The pipeline
//! ([`crate::domain::pipeline`]) does the rest, the same way for every resource.

use std::future::Future;

use chrono::{DateTime, Utc};
use entity::item_unit::UnitRole;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use validator::Validate;

use crate::{
    domain::{
        dependents::Target,
        journal::{Actor, Change},
    },
    error::{ApiError, Result},
    views::problem::FieldError,
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
    /// What a creation (or a PUT) carries: the body, with whatever the URL adds.
    type In: Validate + 'static;
    /// The body of PATCH.
    type Patch: Validate + 'static;

    /// The resource as the API shows it; 404 when absent.
    fn load(db: &impl ConnectionTrait, id: Uuid) -> impl Future<Output = Result<Self::Out>>;
    /// The city the resource belongs to; `None` for resources only an admin may write.
    fn city_of(out: &Self::Out) -> Option<Uuid>;
    /// The city a new resource would belong to; `None` for admin-only resources.
    fn city_of_input(db: &impl ConnectionTrait, input: &Self::In) -> impl Future<Output = Result<Option<Uuid>>>;
    /// 403 unless `who` may write the resource as it now is. Most resources ask whether `who` may
    /// write to their city.
    fn authorize(db: &impl ConnectionTrait, who: &impl Authority, out: &Self::Out) -> impl Future<Output = Result<()>> {
        let _ = db;
        async move { who.authorize(Self::city_of(out)) }
    }
    /// 403 unless `who` may write the resource `input` describes.
    fn authorize_input(
        db: &impl ConnectionTrait,
        who: &impl Authority,
        input: &Self::In,
    ) -> impl Future<Output = Result<()>> {
        async move { who.authorize(Self::city_of_input(db, input).await?) }
    }
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
    /// Records whose representation shows part of this one (see [`crate::domain::dependents`]);
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
    etag_of_json(&serde_json::to_vec(value).unwrap_or_default())
}

/// The entity tag of a representation already serialised (see [`etag`]).
pub fn etag_of_json(json: &[u8]) -> String {
    let digest = Sha256::digest(json);
    format!("\"{}\"", hex(&digest[..16]))
}

/// `bytes` in lower-case hexadecimal. (A `format!` per byte cost a tag a few thousand
/// instructions, on the path of every read.)
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}

/// The JSON the revision log keeps of a resource.
pub fn snapshot<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|error| anyhow::Error::new(error).context("Failed to serialise a resource").into())
}

/// A representation with its entity tag.
#[derive(Debug)]
pub struct Tagged<T> {
    pub value: T,
    pub etag: String,
}

impl<T: Serialize> Tagged<T> {
    /// `value` with the tag of its JSON.
    pub fn new(value: T) -> Self {
        let etag = etag(&value);
        Self { value, etag }
    }
}

/// The version a write is based on (`If-Match`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Precondition {
    /// No condition: write whatever the current version.
    #[default]
    None,
    /// `*`: any current version.
    Any,
    /// One of these entity tags, as sent.
    OneOf(Vec<String>),
}

impl Precondition {
    /// Reads an `If-Match` value: `*` or a list of entity tags.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        if value.trim() == "*" {
            return Ok(Self::Any);
        }
        let tags: Vec<String> = value.split(',').map(|tag| tag.trim().to_owned()).collect();
        let well_formed = tags.iter().all(|tag| {
            let opaque = tag.strip_prefix("W/").unwrap_or(tag);
            opaque.len() >= 2
                && opaque.starts_with('"')
                && opaque.ends_with('"')
                && !opaque[1..opaque.len() - 1].contains('"')
        });
        if !well_formed {
            return Err(FieldError::new("If-Match", "must be `*` or a list of entity tags such as \"5de44cd4…\""));
        }
        Ok(Self::OneOf(tags))
    }

    /// 412 unless the condition holds for the version tagged `current`. Strong comparison (RFC
    /// 9110): a weak tag never matches.
    pub fn check(&self, current: &str) -> Result<()> {
        match self {
            Self::None | Self::Any => Ok(()),
            Self::OneOf(tags) if tags.iter().any(|tag| tag == current) => Ok(()),
            Self::OneOf(tags) => Err(ApiError::PreconditionFailed(format!(
                "the resource has changed: its ETag is {current}, not {}",
                tags.join(", ")
            ))),
        }
    }
}

/// Who writes, and whether they may write to a city's data (`None`: data only admins write).
pub trait Authority {
    /// The name and id the revision log records.
    fn actor(&self) -> Actor;
    /// 403 unless this writer may write to `city` (`None`: admin-only data).
    fn authorize(&self, city: Option<Uuid>) -> Result<()>;
    /// 403 unless this writer may file or correct a progress report by `unit` (`None`: the name
    /// matches no unit of the city) on an item of `city` on which the unit has `role` (`None`: the
    /// unit is not on the item). Whoever may write to the city may (a report naming no unit of the
    /// item is then a 422); reporters have their own rule.
    fn authorize_report(&self, city: Uuid, unit: Option<Uuid>, role: Option<UnitRole>) -> Result<()> {
        let _ = (unit, role);
        self.authorize(Some(city))
    }
}

/// A writer the server trusts with everything: whoever runs `duban` on its machine, or the server
/// itself loading the seed documents.
#[derive(Debug, Clone)]
pub struct Trusted(pub Actor);

impl Authority for Trusted {
    fn actor(&self) -> Actor {
        self.0.clone()
    }

    fn authorize(&self, _: Option<Uuid>) -> Result<()> {
        Ok(())
    }
}
