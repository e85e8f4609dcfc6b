//! Who changed what and when, with the before and after of the changed fields.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Position in commit order, gap-free and increasing.
    pub seq: i64,
    /// Collection name as in the URL, e.g. `work-items`.
    pub resource_type: String,
    pub resource_id: Uuid,
    /// `create`, `update`, `delete` or `import`.
    pub action: String,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    /// `{"field": {"before": …, "after": …}}`; `{}` for a creation, whose changes are the
    /// snapshot's fields, each from null (derived when shown).
    pub changes: Json,
    /// The resource as the API showed it after the change; `None` after a delete.
    pub snapshot: Option<Json>,
    /// The city the resource belongs to, for city-scoped feeds.
    pub city_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
